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
#include <limits>
#include <tuple>

#include "fastgan/sqrtm_newton_schulz.h"

namespace fastgan::cuda {
namespace {

void check_square_matrix(const at::Tensor& a, const char* name) {
  TORCH_CHECK(a.dim() == 2 && a.size(0) == a.size(1), "fastgan: ", name,
              " must be a square matrix [n, n], got shape ", a.sizes());
  TORCH_CHECK(a.scalar_type() == at::kFloat || a.scalar_type() == at::kDouble, "fastgan: ", name,
              " must be float32 or float64, got ", a.scalar_type(),
              "; cast it first, e.g. a.double()");
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> result(const at::Tensor& sqrt_a, double residual,
                                                       int64_t iterations) {
  return {sqrt_a, at::scalar_tensor(residual, sqrt_a.options().dtype(at::kDouble)),
          at::scalar_tensor(iterations, sqrt_a.options().dtype(at::kLong))};
}

template <typename scalar_t>
std::tuple<at::Tensor, at::Tensor, at::Tensor> newton_schulz(const at::Tensor& a_in,
                                                             int64_t num_iters, double tol) {
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
  TORCH_CHECK(std::isfinite(norm_sq_host), "fastgan: sqrtm_newton_schulz: a contains NaN or Inf ",
              "(or its Frobenius norm overflows); remove or rescale those entries");
  if (norm_sq_host == 0.0) return result(at::zeros_like(a), 0.0, 0);

  at::NoTF32Guard full_precision;
  int cur = 0;
  double best = std::numeric_limits<double>::infinity();
  int64_t best_iter = 0;
  int best_buf = 0;
  for (int64_t k = 0;; ++k) {
    at::mm_out(p, z[cur], y[cur]);
    C10_CUDA_CHECK(launch_newton_schulz_step<scalar_t>(p.data_ptr<scalar_t>(), n,
                                                        residual_sq.data_ptr<double>(),
                                                        partials.data_ptr<double>(), stream));
    const double r = std::sqrt(residual_sq.item<double>());
    // Stop on convergence, on no progress (the rounding floor, or divergence), or at the cap.
    if (!(r < best)) break;
    best = r;
    best_iter = k;
    best_buf = cur;
    if (r <= tol || k >= num_iters) break;
    const int next = 1 - cur;
    at::mm_out(y[next], y[cur], p);
    at::mm_out(z[next], p, z[cur]);
    cur = next;
  }
  at::Tensor out = at::empty_like(a);
  C10_CUDA_CHECK(launch_newton_schulz_finish<scalar_t>(y[best_buf].data_ptr<scalar_t>(), n,
                                                        norm_sq.data_ptr<double>(),
                                                        out.data_ptr<scalar_t>(), stream));
  return result(out, best, best_iter);
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> sqrtm_newton_schulz_cuda(const at::Tensor& a,
                                                                        int64_t num_iters,
                                                                        double tol) {
  check_square_matrix(a, "a");
  TORCH_CHECK(num_iters >= 0, "fastgan: num_iters must be >= 0, got ", num_iters);
  TORCH_CHECK(tol >= 0.0, "fastgan: tol must be >= 0, got ", tol);
  const c10::cuda::CUDAGuard guard(a.device());
  if (a.scalar_type() == at::kDouble) return newton_schulz<double>(a, num_iters, tol);
  return newton_schulz<float>(a, num_iters, tol);
}

}  // namespace
}  // namespace fastgan::cuda

TORCH_LIBRARY_IMPL(fastgan, CUDA, m) {
  m.impl("sqrtm_newton_schulz", &fastgan::cuda::sqrtm_newton_schulz_cuda);
}
