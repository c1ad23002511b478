// One Gram tile of the CUDA tile engine, as plain C++ (no torch types, no CUDA
// headers): what the glue's tile loop (fastgan/cuda/tile_loop.h) hands to each
// per-tile kernel, passed by value. TilePair holds the exactness machinery the
// per-tile handlers share: the GEMM-form d^2 of a pair, its proven rounding bound
// (fastgan/error_bounds.h), and the exact d^2 (fastgan/exact_distance.h) computed
// at most once, only where a decision falls inside the bound.
#pragma once

#include <cstdint>

#include "fastgan/exact_distance.h"
#include "fastgan/host_device.h"

namespace fastgan {

template <typename scalar_t>
struct DistanceTile {
  const scalar_t* gram;   // [rows, cols] row-major: x_c[r0 + i] . y_c[c0 + j] of the centred rows
  const double* x_norms;  // [N] float64 |x_c|^2, indexed by global row
  const double* y_norms;  // [M] float64 |y_c|^2
  const scalar_t* x;      // [N, d] original rows, contiguous (the exact re-checks read these)
  const scalar_t* y;      // [M, d]
  int64_t d;
  int64_t r0, rows;    // the tile covers x rows [r0, r0 + rows) ...
  int64_t c0, cols;    // ... against y rows [c0, c0 + cols)
  double coefficient;  // |approx d^2 - exact d^2| <= coefficient * (|x_c|^2 + |y_c|^2)
};

// Pair `idx` (row-major within the tile) of a DistanceTile.
template <typename scalar_t>
class TilePair {
 public:
  FASTGAN_HOST_DEVICE TilePair(const DistanceTile<scalar_t>& tile, int64_t idx)
      : i(tile.r0 + idx / tile.cols),
        j(tile.c0 + idx % tile.cols),
        norm_sum(tile.x_norms[i] + tile.y_norms[j]),
        approx(norm_sum - 2.0 * static_cast<double>(tile.gram[idx])),
        error(tile.coefficient * norm_sum),
        x_row_(tile.x + i * tile.d),
        y_row_(tile.y + j * tile.d),
        d_(tile.d) {}

  const int64_t i, j;     // global row of x, global row of y
  const double norm_sum;  // |x_c|^2 + |y_c|^2
  const double approx;    // GEMM-form d^2 (may be slightly negative)
  const double error;     // bound on |approx - exact|

  // The exact d^2 is at least this.
  FASTGAN_HOST_DEVICE double lower() const { return approx - error; }

  // sum((x_i - y_j)^2) in float64, computed on first use.
  FASTGAN_HOST_DEVICE double exact() {
    if (exact_ < 0.0) exact_ = direct_squared_distance(x_row_, y_row_, d_);
    return exact_;
  }

  // d^2 < threshold, decided exactly: by the GEMM form where it is outside its
  // rounding band, else by the exact d^2.
  FASTGAN_HOST_DEVICE bool inside(double threshold) {
    if (approx + error < threshold) return true;
    if (!(approx - error < threshold)) return false;
    return exact() < threshold;
  }

 private:
  const scalar_t* x_row_;
  const scalar_t* y_row_;
  int64_t d_;
  double exact_ = -1.0;  // not yet computed
};

}  // namespace fastgan
