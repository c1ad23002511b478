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
#include <limits>
#include <tuple>
#include <vector>


namespace fastgan::cpu {
namespace {

// A square float32/float64 matrix [n, n].
void check_square_matrix(const at::Tensor& a, const char* name) {
  TORCH_CHECK(a.dim() == 2 && a.size(0) == a.size(1), "fastgan: ", name,
              " must be a square matrix [n, n], got shape ", a.sizes());
  TORCH_CHECK(a.scalar_type() == at::kFloat || a.scalar_type() == at::kDouble, "fastgan: ", name,
              " must be float32 or float64, got ", a.scalar_type(), "; cast it first, e.g. a.double()");
}

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
  const double norm_sq = squared_frobenius(a.data_ptr<scalar_t>(), n);
  TORCH_CHECK(std::isfinite(norm_sq), "fastgan: sqrtm_newton_schulz: a contains NaN or Inf (or its ",
              "Frobenius norm overflows); remove or rescale those entries");
  // The square root of the zero matrix is zero: no iteration (it would divide by 0).
  if (norm_sq == 0.0) return result(at::zeros_like(a), 0.0, 0);
  const double norm = std::sqrt(norm_sq);

  // Ping-pong buffers: Y_{k+1} is written beside Y_k, so when a step makes things
  // worse the previous (best) iterate is still there to return.
  at::Tensor y[2] = {a / norm, at::empty_like(a)};
  at::Tensor z[2] = {at::eye(n, a.options()), at::empty_like(a)};
  at::Tensor p = at::empty_like(a);
  int cur = 0;
  double best = std::numeric_limits<double>::infinity();
  int64_t best_iter = 0;
  int best_buf = 0;
  for (int64_t k = 0;; ++k) {
    at::mm_out(p, z[cur], y[cur]);
    const double r = std::sqrt(step_and_residual(p.data_ptr<scalar_t>(), n));
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
  return result(y[best_buf] * std::sqrt(norm), best, best_iter);
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> sqrtm_newton_schulz_cpu(const at::Tensor& a,
                                                                       int64_t num_iters,
                                                                       double tol) {
  check_square_matrix(a, "a");
  TORCH_CHECK(num_iters >= 0, "fastgan: num_iters must be >= 0, got ", num_iters);
  TORCH_CHECK(tol >= 0.0, "fastgan: tol must be >= 0, got ", tol);
  if (a.scalar_type() == at::kDouble) return newton_schulz<double>(a, num_iters, tol);
  return newton_schulz<float>(a, num_iters, tol);
}

}  // namespace
}  // namespace fastgan::cpu

TORCH_LIBRARY_IMPL(fastgan, CPU, m) {
  m.impl("sqrtm_newton_schulz", &fastgan::cpu::sqrtm_newton_schulz_cpu);
}
