// CUDA registration of fastgan::sqrtm_newton_schulz: checks, device guard, the
// GEMMs in cuBLAS (TF32 off: the residual test assumes full precision), the
// normalise / fused step / finish kernels on the current stream.
//
// The host loop reads one float64 residual per iteration (a 8-byte copy and a
// stream sync); next to three n x n GEMMs per iteration that is negligible, and it
// lets the iteration stop as soon as it has converged.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include <cmath>

#include "fastgan/sqrtm_newton_schulz.h"
#include "fastgan/sqrtm_newton_schulz_common.h"

namespace fastgan::cuda {
namespace {

using sqrtm::result;

template <typename scalar_t>
sqrtm::Result newton_schulz(const at::Tensor& a_in, int64_t num_iters, double tol) {
  const at::Tensor a = a_in.contiguous();
  const int64_t n = a.size(0);
  if (n == 0) return result(at::empty_like(a), 0.0, 0);
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::TensorOptions f64 = a.options().dtype(at::kDouble);
  at::Tensor partials = at::empty({newton_schulz_partials_size()}, f64);
  at::Tensor norm_sq = at::empty({1}, f64);
  at::Tensor residual_sq = at::empty({1}, f64);

  // Ping-pong buffers: Y_{k+1} is written beside Y_k, so when a step makes things
  // worse the previous (best) iterate is still there to return.
  at::Tensor y[2] = {at::empty_like(a), at::empty_like(a)};
  at::Tensor z[2] = {at::empty_like(a), at::empty_like(a)};
  at::Tensor p = at::empty_like(a);
  C10_CUDA_CHECK(launch_newton_schulz_init<scalar_t>(
      a.data_ptr<scalar_t>(), n, y[0].data_ptr<scalar_t>(), z[0].data_ptr<scalar_t>(),
      norm_sq.data_ptr<double>(), partials.data_ptr<double>(), stream));
  const double norm_sq_host = norm_sq.item<double>();
  sqrtm::check_norm_finite(norm_sq_host);
  if (norm_sq_host == 0.0) return result(at::zeros_like(a), 0.0, 0);

  at::NoTF32Guard full_precision;
  const sqrtm::Best best = sqrtm::iterate(y, z, p, num_iters, tol, [&](at::Tensor& t) {
    C10_CUDA_CHECK(launch_newton_schulz_step<scalar_t>(t.data_ptr<scalar_t>(), n,
                                                        residual_sq.data_ptr<double>(),
                                                        partials.data_ptr<double>(), stream));
    return std::sqrt(residual_sq.item<double>());
  });
  at::Tensor out = at::empty_like(a);
  C10_CUDA_CHECK(launch_newton_schulz_finish<scalar_t>(y[best.buffer].data_ptr<scalar_t>(), n,
                                                        norm_sq.data_ptr<double>(),
                                                        out.data_ptr<scalar_t>(), stream));
  return result(out, best.residual, best.iteration);
}

sqrtm::Result sqrtm_newton_schulz_cuda(const at::Tensor& a, int64_t num_iters, double tol) {
  sqrtm::check_args(a, num_iters, tol);
  const c10::cuda::CUDAGuard guard(a.device());
  if (a.scalar_type() == at::kDouble) return newton_schulz<double>(a, num_iters, tol);
  return newton_schulz<float>(a, num_iters, tol);
}

}  // namespace
}  // namespace fastgan::cuda

TORCH_LIBRARY_IMPL(fastgan, CUDA, m) {
  m.impl("sqrtm_newton_schulz", &fastgan::cuda::sqrtm_newton_schulz_cuda);
}
