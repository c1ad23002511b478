// CUDA registration of the fastgan::gradient_penalty_* ops: checks, device guard,
// then the kernels of csrc/cuda/gradient_penalty.cu on the current stream. The
// upstream gradient of the penalty stays on the device (no host synchronisation).
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include <optional>
#include <tuple>

#include "fastgan/gradient_penalty.h"
#include "fastgan/gradient_penalty_checks.h"

namespace fastgan::cuda {
namespace {

at::Tensor interpolate_cuda(const at::Tensor& real_in, const at::Tensor& fake_in,
                            const at::Tensor& alpha_in) {
  gp::check_interpolate_args(real_in, fake_in, alpha_in);
  const c10::cuda::CUDAGuard guard(real_in.device());
  const at::Tensor real = real_in.contiguous();
  const at::Tensor fake = fake_in.contiguous();
  const at::Tensor alpha = alpha_in.contiguous();
  at::Tensor out = at::empty_like(real, at::MemoryFormat::Contiguous);
  const int64_t batch = real.size(0);
  if (real.numel() == 0) return out;
  const int64_t per_sample = real.numel() / batch;
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  if (real.scalar_type() == at::kDouble) {
    C10_CUDA_CHECK(launch_gp_interpolate<double>(real.data_ptr<double>(), fake.data_ptr<double>(),
                                                 alpha.data_ptr<double>(), batch, per_sample,
                                                 out.data_ptr<double>(), stream));
  } else {
    C10_CUDA_CHECK(launch_gp_interpolate<float>(real.data_ptr<float>(), fake.data_ptr<float>(),
                                                alpha.data_ptr<float>(), batch, per_sample,
                                                out.data_ptr<float>(), stream));
  }
  return out;
}

template <typename scalar_t>
void norms_penalty(const at::Tensor& grads, double weight, double center, bool one_sided,
                   at::Tensor& penalty, at::Tensor& norms) {
  at::Tensor terms = at::empty({grads.size(0)}, grads.options().dtype(at::kDouble));
  C10_CUDA_CHECK(launch_gp_norms_penalty<scalar_t>(
      grads.data_ptr<scalar_t>(), grads.size(0), grads.size(1), weight, center, one_sided,
      norms.data_ptr<scalar_t>(), terms.data_ptr<double>(), penalty.data_ptr<scalar_t>(),
      c10::cuda::getCurrentCUDAStream()));
}

std::tuple<at::Tensor, at::Tensor> norms_penalty_cuda(const at::Tensor& grads_in, double weight,
                                                      double center, bool one_sided) {
  gp::check_penalty_args(grads_in, weight, center);
  const c10::cuda::CUDAGuard guard(grads_in.device());
  const at::Tensor grads = grads_in.contiguous();
  at::Tensor norms = at::empty({grads.size(0)}, grads.options());
  at::Tensor penalty = at::empty({}, grads.options());
  if (grads.scalar_type() == at::kDouble) {
    norms_penalty<double>(grads, weight, center, one_sided, penalty, norms);
  } else {
    norms_penalty<float>(grads, weight, center, one_sided, penalty, norms);
  }
  return {penalty, norms};
}

template <typename scalar_t>
void penalty_backward(const at::Tensor& grad_penalty, const std::optional<at::Tensor>& grad_norms,
                      const at::Tensor& grads, const at::Tensor& norms, double weight,
                      double center, bool one_sided, at::Tensor& out) {
  C10_CUDA_CHECK(launch_gp_norms_penalty_backward<scalar_t>(
      grad_penalty.data_ptr<scalar_t>(), grad_norms ? grad_norms->data_ptr<scalar_t>() : nullptr,
      grads.data_ptr<scalar_t>(), norms.data_ptr<scalar_t>(), grads.size(0), grads.size(1),
      weight, center, one_sided, out.data_ptr<scalar_t>(), c10::cuda::getCurrentCUDAStream()));
}

at::Tensor norms_penalty_backward_cuda(const at::Tensor& grad_penalty_in,
                                       const std::optional<at::Tensor>& grad_norms_in,
                                       const at::Tensor& grads_in, const at::Tensor& norms_in,
                                       double weight, double center, bool one_sided) {
  const std::optional<at::Tensor> grad_norms =
      gp::check_backward_args(grad_penalty_in, grad_norms_in, grads_in, norms_in, weight, center);
  const c10::cuda::CUDAGuard guard(grads_in.device());
  const at::Tensor grad_penalty = grad_penalty_in.contiguous();
  const at::Tensor grads = grads_in.contiguous();
  const at::Tensor norms = norms_in.contiguous();
  at::Tensor out = at::empty_like(grads);
  if (grads.scalar_type() == at::kDouble) {
    penalty_backward<double>(grad_penalty, grad_norms, grads, norms, weight, center, one_sided, out);
  } else {
    penalty_backward<float>(grad_penalty, grad_norms, grads, norms, weight, center, one_sided, out);
  }
  return out;
}

}  // namespace
}  // namespace fastgan::cuda

TORCH_LIBRARY_IMPL(fastgan, CUDA, m) {
  m.impl("gradient_penalty_interpolate", &fastgan::cuda::interpolate_cuda);
  m.impl("gradient_penalty_norms", &fastgan::cuda::norms_penalty_cuda);
  m.impl("gradient_penalty_norms_backward", &fastgan::cuda::norms_penalty_backward_cuda);
}
