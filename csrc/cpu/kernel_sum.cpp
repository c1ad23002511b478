// CPU kernel of fastgan::kernel_sum: the sum of a kernel over every pair of two
// sets, in float64, on the shared tile engine (no N x M kernel matrix). A set
// against itself with the diagonal excluded takes the self pass: each Gram block
// once, counted for both orders, so half the GEMM work.
#include <torch/library.h>

#include <cmath>
#include <string>
#include <vector>

#include "fastgan/kernel_sum_checks.h"
#include "fastgan/cpu/distance_tiles.h"
#include "fastgan/cpu/tile_engine.h"

namespace fastgan::cpu {
namespace {

constexpr int64_t kTile = 256;

enum class Kernel { Polynomial, Rbf };

struct KernelParams {
  Kernel kernel;
  double gamma, coef0;
  int64_t degree;
};

inline double integer_power(double base, int64_t degree) {
  double result = 1.0;
  for (int64_t p = 0; p < degree; ++p) result *= base;
  return result;
}

// Row offsets that turn centred Gram entries back into raw dot products:
// x_i . y_j = xc_i . yc_j + offset_x[i] + offset_y[j], offset = xc . mu + |mu|^2 / 2.
template <typename scalar_t>
std::vector<double> dot_offsets(const at::Tensor& centred, const at::Tensor& mean) {
  const int64_t n = centred.size(0), d = centred.size(1);
  const double* mu = mean.data_ptr<double>();
  double half_mu2 = 0.0;
  for (int64_t k = 0; k < d; ++k) half_mu2 += 0.5 * mu[k] * mu[k];
  std::vector<double> out(static_cast<size_t>(n));
  const scalar_t* rows = centred.data_ptr<scalar_t>();
  at::parallel_for(0, n, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      double total = half_mu2;
      for (int64_t k = 0; k < d; ++k) total += static_cast<double>(rows[i * d + k]) * mu[k];
      out[static_cast<size_t>(i)] = total;
    }
  });
  return out;
}

// Tile handler: per row tile partial sums (indexed by the tile's first row), each
// accumulated by one thread in a fixed order over tiles of a fixed size, so the
// result does not depend on the number of threads.
template <typename scalar_t>
struct KernelSumHandler {
  struct State {};
  KernelParams params;
  const double* x_offsets;
  const double* y_offsets;
  bool skip_diagonal;  // cross pass over a set against itself: skip global i == j
  std::vector<double>& partials;

  State make_state() const { return {}; }

  double value(const GramTile<scalar_t>& t, int64_t i, int64_t j) const {
    if (params.kernel == Kernel::Polynomial) {
      const double dot = static_cast<double>(t.gram[i * t.cols + j]) + x_offsets[t.r0 + i] +
                         y_offsets[t.c0 + j];
      return integer_power(params.gamma * dot + params.coef0, params.degree);
    }
    const double d2 = t.approx(i, j);
    return std::exp(-params.gamma * (d2 < 0.0 ? 0.0 : d2));  // NaN stays NaN
  }

  void tile(State&, const GramTile<scalar_t>& t) {
    double total = 0.0;
    for (int64_t i = 0; i < t.rows; ++i) {
      for (int64_t j = 0; j < t.cols; ++j) {
        if ((t.diagonal || skip_diagonal) && t.r0 + i == t.c0 + j) continue;
        total += value(t, i, j);
      }
    }
    partials[static_cast<size_t>(t.r0)] += t.mirrored ? 2.0 * total : total;
  }
  void merge(State&) {}
};

template <typename scalar_t>
double sum_kernel(const at::Tensor& x, const at::Tensor& y, const KernelParams& params,
                  bool exclude_diagonal) {
  // The self pass needs y to be x itself; the same rows in another tensor take the
  // cross pass with the diagonal skipped.
  const bool self = exclude_diagonal && x.is_same(y);
  const DistanceOperands ops =
      self ? prepare_self_operands<scalar_t>(x) : prepare_distance_operands<scalar_t>(x, y);
  std::vector<double> x_offsets, y_offsets;
  if (params.kernel == Kernel::Polynomial) {
    x_offsets = dot_offsets<scalar_t>(ops.x_centred, ops.mean);
    y_offsets = self ? x_offsets : dot_offsets<scalar_t>(ops.y_centred, ops.mean);
  }
  std::vector<double> partials(static_cast<size_t>(x.size(0)), 0.0);
  KernelSumHandler<scalar_t> handler{params, x_offsets.data(), y_offsets.data(),
                                     exclude_diagonal && !self, partials};
  if (self) {
    for_each_self_tile<scalar_t>(ops, kTile, false, handler);
  } else {
    for_each_tile<scalar_t>(ops, std::min<int64_t>(x.size(0), kTile),
                            std::min<int64_t>(y.size(0), 4 * kTile), Ownership::Rows, handler);
  }
  double total = 0.0;
  for (double partial : partials) total += partial;
  return total;
}

at::Tensor kernel_sum_cpu(const at::Tensor& x, const at::Tensor& y, c10::string_view kernel,
                          double gamma, double coef0, int64_t degree, bool exclude_diagonal) {
  const bool polynomial =
      check_kernel_sum_args(x, y, kernel, gamma, coef0, degree, exclude_diagonal);
  const KernelParams params{polynomial ? Kernel::Polynomial : Kernel::Rbf, gamma, coef0, degree};
  double total = 0.0;
  if (x.size(0) > 0 && y.size(0) > 0) {
    total = x.scalar_type() == at::kDouble ? sum_kernel<double>(x, y, params, exclude_diagonal)
                                           : sum_kernel<float>(x, y, params, exclude_diagonal);
  }
  return at::scalar_tensor(total, x.options().dtype(at::kDouble));
}

}  // namespace
}  // namespace fastgan::cpu

TORCH_LIBRARY_IMPL(fastgan, CPU, m) {
  m.impl("kernel_sum", &fastgan::cpu::kernel_sum_cpu);
}
