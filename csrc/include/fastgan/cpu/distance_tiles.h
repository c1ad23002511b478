// Squared Euclidean distances on the CPU in the GEMM form, shared by every op
// that compares two feature sets (pairwise_distances, k-NN, ball counts).
//
// d^2 = |x|^2 + |y|^2 - 2 x.y is fast (the dot products are one GEMM through
// at::mm) but cancels; the helpers here centre both sets on their common mean,
// keep the norms in float64, compute Gram tiles, and recompute pairs exactly
// (sum((x - y)^2) in float64) where the GEMM's rounding could matter.
#pragma once

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <cstdint>
#include <vector>

#include "fastgan/column_sums.h"
#include "fastgan/cpu/candidate_precision.h"
#include "fastgan/error_bounds.h"
#include "fastgan/exact_distance.h"

namespace fastgan::cpu {

// Squared row norms of a contiguous [n, d] matrix, accumulated in float64.
template <typename scalar_t>
at::Tensor row_squared_norms(const at::Tensor& a) {
  const int64_t n = a.size(0), d = a.size(1);
  at::Tensor norms = at::empty({n}, a.options().dtype(at::kDouble));
  const scalar_t* src = a.data_ptr<scalar_t>();
  double* dst = norms.data_ptr<double>();
  at::parallel_for(0, n, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      double total = 0.0;
      const scalar_t* row = src + i * d;
      for (int64_t k = 0; k < d; ++k) total += static_cast<double>(row[k]) * row[k];
      dst[i] = total;
    }
  });
  return norms;
}

// The operands of the GEMM form, prepared once per call. Both sets are centred
// on their common mean: the rounding error of x.y grows with |x||y|, and
// centring shrinks the norms to the spread of the data.
struct DistanceOperands {
  at::Tensor x, y;              // originals, contiguous (exact refinement reads these)
  at::Tensor x_centred, y_centred;
  at::Tensor x_norms, y_norms;  // float64 squared norms of the centred rows
  at::Tensor mean;              // [d] float64 copy of the (rounded) mean both sets were centred on
  // bfloat16 copies of the centred rows when the candidates come from a bfloat16
  // GEMM (candidate_precision.h); undefined otherwise.
  at::Tensor x_low, y_low;
  at::Tensor low_norms;  // float64 behind `bound`: |x~|, |x - x~| (and |y~|, |y - y~| unless y is x)
  BFloat16PairBound bound{};

  bool low_precision() const { return x_low.defined(); }
};

// Rounding bound per unit of |x|^2 + |y|^2 of the Gram tiles of `ops` (the float32
// pass with `precise`, whatever the operands hold).
template <typename scalar_t>
double tile_error_coefficient(const DistanceOperands& ops, bool precise) {
  const int64_t d = ops.x.size(1);
  return ops.low_precision() && !precise ? bfloat16_shared_error_coefficient(d)
                                         : gemm_error_coefficient<scalar_t>(d);
}

// bfloat16 copy (round to nearest even) of a contiguous float32 matrix [n, d], with
// per row upper bounds of |x~| and |x - x~| (the residual is exact in float32; the
// float64 sums are inflated by their worst relative rounding error).
inline at::Tensor bfloat16_copy(const at::Tensor& a, double* norm, double* residual) {
  const int64_t n = a.size(0), d = a.size(1);
  at::Tensor low = at::empty({n, d}, a.options().dtype(at::kBFloat16));
  const float* src = a.data_ptr<float>();
  c10::BFloat16* dst = low.data_ptr<c10::BFloat16>();
  const double inflate = 1.0 + static_cast<double>(d + 2) * unit_roundoff<double>() + 1e-12;
  at::parallel_for(0, n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      double copy_sq = 0.0, residual_sq = 0.0;
      for (int64_t k = 0; k < d; ++k) {
        const float value = src[i * d + k];
        const c10::BFloat16 rounded(value);
        const float back = static_cast<float>(rounded);
        const double rest = static_cast<double>(value - back);
        dst[i * d + k] = rounded;
        copy_sq += static_cast<double>(back) * back;
        residual_sq += rest * rest;
      }
      norm[i] = std::sqrt(copy_sq) * inflate;
      residual[i] = std::sqrt(residual_sq) * inflate;
    }
  });
  return low;
}

// Adds the bfloat16 copies when `allow_low` and the sizes and data call for them.
template <typename scalar_t>
void add_bfloat16_operands(DistanceOperands& ops, bool allow_low) {
  const int64_t n = ops.x.size(0), m = ops.y.size(0), d = ops.x.size(1);
  if (!allow_low || n == 0 || m == 0 || !wants_bfloat16_candidates<scalar_t>(n, m, d)) return;
  const double smallest = std::min(ops.x_norms.min().item<double>(), ops.y_norms.min().item<double>());
  if (!(smallest >= kMinSquaredNormForBFloat16)) return;
  const bool self = ops.y_centred.is_same(ops.x_centred);
  ops.low_norms = at::empty({self ? 2 * n : 2 * (n + m)}, ops.x_norms.options());
  double* base = ops.low_norms.data_ptr<double>();
  ops.x_low = bfloat16_copy(ops.x_centred, base, base + n);
  ops.y_low = self ? ops.x_low : bfloat16_copy(ops.y_centred, base + 2 * n, base + 2 * n + m);
  ops.bound.x_norm = base;
  ops.bound.x_residual = base + n;
  ops.bound.y_norm = self ? base : base + 2 * n;
  ops.bound.y_residual = self ? base + n : base + 2 * n + m;
  set_bfloat16_constants(ops.bound, d);
}

// `allow_low`: the caller's tiles may be bfloat16 candidates (decisions with exact
// re-checks), not values it returns.
template <typename scalar_t>
DistanceOperands prepare_distance_operands(const at::Tensor& x, const at::Tensor& y,
                                           bool allow_low = false) {
  DistanceOperands ops;
  ops.x = x.contiguous();
  ops.y = y.contiguous();
  const double count = static_cast<double>(x.size(0) + y.size(0));
  at::Tensor mean = column_sums_float64(ops.x) + column_sums_float64(ops.y);
  if (count > 0) mean = mean / count;
  mean = mean.to(x.scalar_type());
  ops.mean = mean.to(at::kDouble);
  ops.x_centred = (ops.x - mean).contiguous();
  ops.y_centred = (ops.y - mean).contiguous();
  ops.x_norms = row_squared_norms<scalar_t>(ops.x_centred);
  ops.y_norms = row_squared_norms<scalar_t>(ops.y_centred);
  add_bfloat16_operands<scalar_t>(ops, allow_low);
  return ops;
}

// Operands of a set against itself: one centred copy, shared by both sides.
template <typename scalar_t>
DistanceOperands prepare_self_operands(const at::Tensor& x, bool allow_low = false) {
  DistanceOperands ops;
  ops.x = x.contiguous();
  at::Tensor mean = column_sums_float64(ops.x);
  if (x.size(0) > 0) mean = mean / static_cast<double>(x.size(0));
  ops.mean = mean.to(x.scalar_type()).to(at::kDouble);
  ops.x_centred = (ops.x - mean.to(x.scalar_type())).contiguous();
  ops.x_norms = row_squared_norms<scalar_t>(ops.x_centred);
  ops.y = ops.x;
  ops.y_centred = ops.x_centred;
  ops.y_norms = ops.x_norms;
  add_bfloat16_operands<scalar_t>(ops, allow_low);
  return ops;
}

// Rows per tile: at most `preferred`, but small enough that every thread gets a tile.
inline int64_t balanced_tile_rows(int64_t n, int64_t preferred) {
  const int64_t threads = std::max<int64_t>(1, at::get_num_threads());
  const int64_t per_thread = (n + threads - 1) / threads;
  return std::max<int64_t>(1, std::min(preferred, per_thread));
}

}  // namespace fastgan::cpu

namespace fastgan::cpu {

// Gram tile of centred rows: gram[rows, cols] = xc[r0:r0+rows] . yc[c0:c0+cols]^T,
// from the bfloat16 copies unless `precise` (or there are none). `buffer` must hold
// at least rows * cols elements; returns the tile's data.
template <typename scalar_t>
const scalar_t* gram_tile(const DistanceOperands& ops, int64_t r0, int64_t rows, int64_t c0,
                          int64_t cols, at::Tensor& buffer, bool precise = true) {
  at::Tensor gram = buffer.narrow(0, 0, rows * cols).view({rows, cols});
  if (ops.low_precision() && !precise) {
    gram.copy_(at::mm(ops.x_low.narrow(0, r0, rows), ops.y_low.narrow(0, c0, cols).t()));
  } else {
    at::mm_out(gram, ops.x_centred.narrow(0, r0, rows), ops.y_centred.narrow(0, c0, cols).t());
  }
  return gram.data_ptr<scalar_t>();
}

}  // namespace fastgan::cpu
