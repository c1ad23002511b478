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
#include "fastgan/gradient_penalty_operands.h"

namespace fastgan::cuda {
namespace {

at::Tensor interpolate_cuda(const at::Tensor& real_in, const at::Tensor& fake_in,
                            const at::Tensor& alpha_in) {
  gp::check_interpolate_args(real_in, fake_in, alpha_in);
  const c10::cuda::CUDAGuard guard(real_in.device());
  const gp::InterpolateOperands op = gp::prepare_interpolate(real_in, fake_in, alpha_in);
  if (op.out.numel() == 0) return op.out;
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  if (op.real.scalar_type() == at::kDouble) {
    C10_CUDA_CHECK(launch_gp_interpolate<double>(
        op.real.data_ptr<double>(), op.fake.data_ptr<double>(), op.alpha.data_ptr<double>(),
        op.batch, op.per_sample, op.out.data_ptr<double>(), stream));
  } else {
    C10_CUDA_CHECK(launch_gp_interpolate<float>(
        op.real.data_ptr<float>(), op.fake.data_ptr<float>(), op.alpha.data_ptr<float>(),
        op.batch, op.per_sample, op.out.data_ptr<float>(), stream));
  }
  return op.out;
}

template <typename scalar_t>
void norms_penalty(const gp::NormsOperands& op, double weight, double center, bool one_sided) {
  at::Tensor terms = at::empty({op.batch}, op.grads.options().dtype(at::kDouble));
  C10_CUDA_CHECK(launch_gp_norms_penalty<scalar_t>(
      op.grads.data_ptr<scalar_t>(), op.batch, op.per_sample, weight, center, one_sided,
      op.norms.data_ptr<scalar_t>(), terms.data_ptr<double>(), op.penalty.data_ptr<scalar_t>(),
      c10::cuda::getCurrentCUDAStream()));
}

std::tuple<at::Tensor, at::Tensor> norms_penalty_cuda(const at::Tensor& grads_in, double weight,
                                                      double center, bool one_sided) {
  gp::check_penalty_args(grads_in, weight, center);
  const c10::cuda::CUDAGuard guard(grads_in.device());
  const gp::NormsOperands op = gp::prepare_norms(grads_in);
  if (op.grads.scalar_type() == at::kDouble) {
    norms_penalty<double>(op, weight, center, one_sided);
  } else {
    norms_penalty<float>(op, weight, center, one_sided);
  }
  return {op.penalty, op.norms};
}

template <typename scalar_t>
void penalty_backward(const gp::NormsBackwardOperands& op,
                      const std::optional<at::Tensor>& grad_norms, double weight, double center,
                      bool one_sided) {
  C10_CUDA_CHECK(launch_gp_norms_penalty_backward<scalar_t>(
      op.grad_penalty.data_ptr<scalar_t>(),
      grad_norms ? grad_norms->data_ptr<scalar_t>() : nullptr, op.grads.data_ptr<scalar_t>(),
      op.norms.data_ptr<scalar_t>(), op.batch, op.per_sample, weight, center, one_sided,
      op.out.data_ptr<scalar_t>(), c10::cuda::getCurrentCUDAStream()));
}

at::Tensor norms_penalty_backward_cuda(const at::Tensor& grad_penalty_in,
                                       const std::optional<at::Tensor>& grad_norms_in,
                                       const at::Tensor& grads_in, const at::Tensor& norms_in,
                                       double weight, double center, bool one_sided) {
  const std::optional<at::Tensor> grad_norms =
      gp::check_backward_args(grad_penalty_in, grad_norms_in, grads_in, norms_in, weight, center);
  const c10::cuda::CUDAGuard guard(grads_in.device());
  const gp::NormsBackwardOperands op =
      gp::prepare_norms_backward(grad_penalty_in, grads_in, norms_in);
  if (op.grads.scalar_type() == at::kDouble) {
    penalty_backward<double>(op, grad_norms, weight, center, one_sided);
  } else {
    penalty_backward<float>(op, grad_norms, weight, center, one_sided);
  }
  return op.out;
}

}  // namespace
}  // namespace fastgan::cuda

TORCH_LIBRARY_IMPL(fastgan, CUDA, m) {
  m.impl("gradient_penalty_interpolate", &fastgan::cuda::interpolate_cuda);
  m.impl("gradient_penalty_norms", &fastgan::cuda::norms_penalty_cuda);
  m.impl("gradient_penalty_norms_backward", &fastgan::cuda::norms_penalty_backward_cuda);
}
