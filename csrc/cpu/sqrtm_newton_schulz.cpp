// CPU kernel of fastgan::sqrtm_newton_schulz: coupled Newton-Schulz iteration for a
// matrix square root, with a residual-based stop.
//
// GEMMs go through at::mm (MKL/OpenBLAS); the element-wise step that forms
// T = (3 I - Z Y) / 2 also computes |I - Z Y|_F in the same pass, so the
// residual costs no extra sweep over the matrix. Sums are float64, per row, and
// added in row order, so the residual (and the stopping decision) does not
// depend on the thread count.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <cmath>
#include <vector>

#include "fastgan/sqrtm_newton_schulz_common.h"

namespace fastgan::cpu {
namespace {

// Rows per parallel task: each row is a sweep over n entries, so small grains suffice.
constexpr int64_t kRowGrain = 8;

double ordered_sum(const std::vector<double>& per_row) {
  double total = 0.0;
  for (double v : per_row) total += v;
  return total;
}

// |A|_F^2 in float64.
template <typename scalar_t>
double squared_frobenius(const scalar_t* a, int64_t n) {
  std::vector<double> per_row(n, 0.0);
  at::parallel_for(0, n, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      double s = 0.0;
      for (int64_t j = 0; j < n; ++j) {
        const double v = static_cast<double>(a[i * n + j]);
        s += v * v;
      }
      per_row[i] = s;
    }
  });
  return ordered_sum(per_row);
}

// In place: P -> T = (3 I - P) / 2. Returns |I - P|_F^2.
template <typename scalar_t>
double step_and_residual(scalar_t* p, int64_t n) {
  std::vector<double> per_row(n, 0.0);
  at::parallel_for(0, n, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      scalar_t* row = p + i * n;
      double s = 0.0;
      for (int64_t j = 0; j < n; ++j) {
        const double v = static_cast<double>(row[j]);
        const double delta = (i == j) ? 1.0 : 0.0;
        const double r = delta - v;
        s += r * r;
        row[j] = static_cast<scalar_t>(1.5 * delta - 0.5 * v);
      }
      per_row[i] = s;
    }
  });
  return ordered_sum(per_row);
}

using sqrtm::result;

template <typename scalar_t>
sqrtm::Result newton_schulz(const at::Tensor& a_in, int64_t num_iters, double tol) {
  const at::Tensor a = a_in.contiguous();
  const int64_t n = a.size(0);
  if (n == 0) return result(at::empty_like(a), 0.0, 0);
  const double norm_sq = squared_frobenius(a.data_ptr<scalar_t>(), n);
  sqrtm::check_norm_finite(norm_sq);
  // The square root of the zero matrix is zero: no iteration (it would divide by 0).
  if (norm_sq == 0.0) return result(at::zeros_like(a), 0.0, 0);
  const double norm = std::sqrt(norm_sq);

  at::Tensor y[2] = {a / norm, at::empty_like(a)};
  at::Tensor z[2] = {at::eye(n, a.options()), at::empty_like(a)};
  at::Tensor p = at::empty_like(a);
  const sqrtm::Best best = sqrtm::iterate(y, z, p, num_iters, tol, [n](at::Tensor& t) {
    return std::sqrt(step_and_residual(t.data_ptr<scalar_t>(), n));
  });
  return result(y[best.buffer] * std::sqrt(norm), best.residual, best.iteration);
}

sqrtm::Result sqrtm_newton_schulz_cpu(const at::Tensor& a, int64_t num_iters, double tol) {
  sqrtm::check_args(a, num_iters, tol);
  if (a.scalar_type() == at::kDouble) return newton_schulz<double>(a, num_iters, tol);
  return newton_schulz<float>(a, num_iters, tol);
}

}  // namespace
}  // namespace fastgan::cpu

TORCH_LIBRARY_IMPL(fastgan, CPU, m) {
  m.impl("sqrtm_newton_schulz", &fastgan::cpu::sqrtm_newton_schulz_cpu);
}
