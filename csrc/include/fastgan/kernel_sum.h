// Plain C++ entry points of the CUDA kernels behind fastgan::kernel_sum
// (csrc/cuda/kernel_sum.cu), shared with its glue (csrc/cuda/kernel_sum_glue.cpp).
// No torch types, so nvcc compiles them without a CUDA build of torch.
//
// The glue walks the Gram tiles of the centred operands; each tile's pairs are
// summed by launch_kernel_sum_tile into one float64 value per tile, and
// launch_ordered_sum adds the per-tile values. Every sum has a fixed order (no
// floating-point atomics), so repeated runs give identical bits.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "fastgan/distance_tile.h"

namespace fastgan::cuda {

enum class KernelKind { polynomial, rbf };

// The kernel-sum handler. With centred rows x_c = x - mu, y_c = y - mu:
//   polynomial: k = (gamma * x.y + coef0)^degree with x.y = gram + x_offsets[i] + y_offsets[j]
//   rbf:        k = exp(-gamma * max(0, |x_c|^2 + |y_c|^2 - 2 gram))
struct KernelSum {
  KernelKind kind;
  double gamma;
  double coef0;
  int64_t degree;           // >= 1 (polynomial only)
  bool exclude_diagonal;    // skip the pairs with equal global indices
  const double* x_offsets;  // [N] x_c . mu (polynomial only, else null)
  const double* y_offsets;  // [M] y_c . mu + mu . mu (polynomial only, else null)
};

// Doubles the `partials` scratch of launch_kernel_sum_tile must hold.
int64_t kernel_sum_partials_size();

// *tile_sum = sum of k over the tile's pairs, in float64. `partials` is scratch
// (kernel_sum_partials_size() doubles) and may be reused by the next tile's launch
// on the same stream.
template <typename scalar_t>
cudaError_t launch_kernel_sum_tile(const DistanceTile<scalar_t>& tile, const KernelSum& kernel,
                                   double* partials, double* tile_sum, cudaStream_t stream);

// out[i] = sum_k a[i, k] * v[k] (+ add[0] when add is not null), in float64, for a
// contiguous [n, d] matrix a and a [d] vector v.
template <typename scalar_t>
cudaError_t launch_row_dots(const scalar_t* a, int64_t n, int64_t d, const scalar_t* v,
                            const double* add, double* out, cudaStream_t stream);

// out[0] = values[0] + ... + values[count - 1] in a fixed order (one block).
cudaError_t launch_ordered_sum(const double* values, int64_t count, double* out,
                               cudaStream_t stream);

}  // namespace fastgan::cuda
