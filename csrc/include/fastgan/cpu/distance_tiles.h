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
};

template <typename scalar_t>
DistanceOperands prepare_distance_operands(const at::Tensor& x, const at::Tensor& y) {
  DistanceOperands ops;
  ops.x = x.contiguous();
  ops.y = y.contiguous();
  const double count = static_cast<double>(x.size(0) + y.size(0));
  at::Tensor mean = (ops.x.sum(0, false, at::kDouble) + ops.y.sum(0, false, at::kDouble));
  if (count > 0) mean = mean / count;
  mean = mean.to(x.scalar_type());
  ops.mean = mean.to(at::kDouble);
  ops.x_centred = (ops.x - mean).contiguous();
  ops.y_centred = (ops.y - mean).contiguous();
  ops.x_norms = row_squared_norms<scalar_t>(ops.x_centred);
  ops.y_norms = row_squared_norms<scalar_t>(ops.y_centred);
  return ops;
}

// Operands of a set against itself: one centred copy, shared by both sides.
template <typename scalar_t>
DistanceOperands prepare_self_operands(const at::Tensor& x) {
  DistanceOperands ops;
  ops.x = x.contiguous();
  at::Tensor mean = ops.x.sum(0, false, at::kDouble);
  if (x.size(0) > 0) mean = mean / static_cast<double>(x.size(0));
  ops.mean = mean.to(x.scalar_type()).to(at::kDouble);
  ops.x_centred = (ops.x - mean.to(x.scalar_type())).contiguous();
  ops.x_norms = row_squared_norms<scalar_t>(ops.x_centred);
  ops.y = ops.x;
  ops.y_centred = ops.x_centred;
  ops.y_norms = ops.x_norms;
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

// Gram tile of centred rows: gram[rows, cols] = xc[r0:r0+rows] . yc[c0:c0+cols]^T.
// `buffer` must hold at least rows * cols elements; returns the tile's data.
template <typename scalar_t>
const scalar_t* gram_tile(const DistanceOperands& ops, int64_t r0, int64_t rows, int64_t c0,
                          int64_t cols, at::Tensor& buffer) {
  at::Tensor gram = buffer.narrow(0, 0, rows * cols).view({rows, cols});
  at::mm_out(gram, ops.x_centred.narrow(0, r0, rows), ops.y_centred.narrow(0, c0, cols).t());
  return gram.data_ptr<scalar_t>();
}

}  // namespace fastgan::cpu
