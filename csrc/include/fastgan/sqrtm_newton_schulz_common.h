// Host-side pieces of fastgan::sqrtm_newton_schulz shared by the CPU kernel
// (csrc/cpu/sqrtm_newton_schulz.cpp) and the CUDA glue
// (csrc/cuda/sqrtm_newton_schulz_glue.cpp): the argument checks, the packing of
// the op's result, and the coupled iteration with its stopping rule. Only the
// element-wise step (and the initial normalisation) differ between devices.
// Uses torch types, so it is for the .cpp files, never for the .cu kernels.
#pragma once

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <tuple>

namespace fastgan::sqrtm {

using Result = std::tuple<at::Tensor, at::Tensor, at::Tensor>;

// `a` is a square float32/float64 matrix [n, n]; num_iters and tol are >= 0.
inline void check_args(const at::Tensor& a, int64_t num_iters, double tol) {
  TORCH_CHECK(a.dim() == 2 && a.size(0) == a.size(1),
              "fastgan: a must be a square matrix [n, n], got shape ", a.sizes());
  TORCH_CHECK(a.scalar_type() == at::kFloat || a.scalar_type() == at::kDouble,
              "fastgan: a must be float32 or float64, got ", a.scalar_type(),
              "; cast it first, e.g. a.double()");
  TORCH_CHECK(num_iters >= 0, "fastgan: num_iters must be >= 0, got ", num_iters);
  TORCH_CHECK(tol >= 0.0, "fastgan: tol must be >= 0, got ", tol);
}

// |A|_F^2 must be finite: the iteration divides by |A|_F.
inline void check_norm_finite(double norm_sq) {
  TORCH_CHECK(std::isfinite(norm_sq), "fastgan: sqrtm_newton_schulz: a contains NaN or Inf ",
              "(or its Frobenius norm overflows); remove or rescale those entries");
}

// The op's outputs: (sqrt_a, residual as a float64 scalar, iterations as an int64
// scalar), both scalars on sqrt_a's device.
inline Result result(const at::Tensor& sqrt_a, double residual, int64_t iterations) {
  return {sqrt_a, at::scalar_tensor(residual, sqrt_a.options().dtype(at::kDouble)),
          at::scalar_tensor(iterations, sqrt_a.options().dtype(at::kLong))};
}

// Where the iteration stopped: the best residual, the iteration that reached it,
// and which ping-pong buffer (0 or 1) holds that iterate Y.
struct Best {
  double residual;
  int64_t iteration;
  int buffer;
};

// The coupled iteration on y[0] = A / |A|_F and z[0] = I, with y[1], z[1] and p
// as scratch of the same shape. step(p) turns P = Z Y into T = (3 I - P) / 2 in
// place and returns |I - P|_F. Y_{k+1} is written beside Y_k (ping-pong), so when
// a step makes things worse the previous (best) iterate is still there.
template <typename Step>
Best iterate(at::Tensor (&y)[2], at::Tensor (&z)[2], at::Tensor& p, int64_t num_iters,
             double tol, Step&& step) {
  int cur = 0;
  Best best{std::numeric_limits<double>::infinity(), 0, 0};
  for (int64_t k = 0;; ++k) {
    at::mm_out(p, z[cur], y[cur]);
    const double r = step(p);
    // Stop on convergence, on no progress (the rounding floor, or divergence), or at the cap.
    if (!(r < best.residual)) break;
    best = {r, k, cur};
    if (r <= tol || k >= num_iters) break;
    const int next = 1 - cur;
    at::mm_out(y[next], y[cur], p);
    at::mm_out(z[next], p, z[cur]);
    cur = next;
  }
  return best;
}

}  // namespace fastgan::sqrtm
