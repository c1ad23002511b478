// The one blocked loop of the CUDA distance ops (knn, knn_self, ball_counts,
// kernel_sum): walk the (x tile, y tile) pairs in row-major order, compute each
// Gram tile of the centred operands with one full-precision GEMM in cuBLAS, and
// hand it, as a DistanceTile (fastgan/distance_tile.h) with its proven rounding
// bound (fastgan/error_bounds.h), to the op's per-tile handler, which launches its
// kernel on the current stream. Torch-side: for the glue, never for the .cu files.
#pragma once

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>

#include "fastgan/cuda/operands.h"
#include "fastgan/distance_tile.h"
#include "fastgan/error_bounds.h"

namespace fastgan::cuda {

// The tile of x rows [r0, r0 + rows) against y rows [c0, c0 + cols) whose Gram
// block is at `gram` ([rows, cols] row-major), with the GEMM error coefficient of
// the operands' dtype and feature count.
template <typename scalar_t>
DistanceTile<scalar_t> make_distance_tile(const Operands& ops, const scalar_t* gram, int64_t r0,
                                          int64_t rows, int64_t c0, int64_t cols) {
  const int64_t d = ops.x.size(1);
  return DistanceTile<scalar_t>{gram,
                                ops.x_norms.data_ptr<double>(),
                                ops.y_norms.data_ptr<double>(),
                                ops.x.data_ptr<scalar_t>(),
                                ops.y.data_ptr<scalar_t>(),
                                d,
                                r0,
                                rows,
                                c0,
                                cols,
                                gemm_error_coefficient<scalar_t>(d)};
}

// out = x_c[r0, r0 + rows) . y_c[c0, c0 + cols)^T in full precision: TF32 off,
// since the error bounds assume the operands' own precision.
inline void gram_tile_into(at::Tensor& out, const Operands& ops, int64_t r0, int64_t rows,
                           int64_t c0, int64_t cols) {
  at::NoTF32Guard full_precision;
  at::mm_out(out, ops.x_centred.narrow(0, r0, rows), ops.y_centred.narrow(0, c0, cols).t());
}

inline at::Tensor gram_tile(const Operands& ops, int64_t r0, int64_t rows, int64_t c0,
                            int64_t cols) {
  at::NoTF32Guard full_precision;
  return at::mm(ops.x_centred.narrow(0, r0, rows), ops.y_centred.narrow(0, c0, cols).t());
}

// Number of tiles for_each_gram_tile visits.
inline int64_t gram_tile_count(const Operands& ops, int64_t tile_rows, int64_t tile_cols) {
  const int64_t n = ops.x.size(0), m = ops.y.size(0);
  return ((n + tile_rows - 1) / tile_rows) * ((m + tile_cols - 1) / tile_cols);
}

// callback(const DistanceTile<scalar_t>& tile, at::Tensor& gram) for every tile of
// at most tile_rows x tile_cols pairs, row tiles outer and column tiles inner, in
// increasing order of both (so the tiles of one row block arrive c0 = 0 first and
// end with c0 + cols == m). `gram` is the tile's [rows, cols] Gram tensor
// (tile.gram points into it); the callback may overwrite it in place. Nothing is
// visited when either set is empty.
template <typename scalar_t, typename Callback>
void for_each_gram_tile(const Operands& ops, int64_t tile_rows, int64_t tile_cols,
                        Callback&& callback) {
  const int64_t n = ops.x.size(0), m = ops.y.size(0);
  for (int64_t r0 = 0; r0 < n; r0 += tile_rows) {
    const int64_t rows = std::min(tile_rows, n - r0);
    for (int64_t c0 = 0; c0 < m; c0 += tile_cols) {
      const int64_t cols = std::min(tile_cols, m - c0);
      at::Tensor gram = gram_tile(ops, r0, rows, c0, cols);
      const DistanceTile<scalar_t> tile =
          make_distance_tile<scalar_t>(ops, gram.data_ptr<scalar_t>(), r0, rows, c0, cols);
      callback(tile, gram);
    }
  }
}

}  // namespace fastgan::cuda
