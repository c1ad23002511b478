// Plain C++ entry points of the CUDA kernels behind fastgan::pairwise_distances.
// Shared by csrc/cuda/pairwise_distances.cu (definitions) and its glue
// (csrc/cuda/pairwise_distances_glue.cpp); no torch types, so nvcc can compile
// the kernels on machines without a CUDA build of torch.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "fastgan/distance_tile.h"

namespace fastgan::cuda {

// out[i] = sum_k a[i, k]^2 in float64, for a contiguous [n, d] matrix.
template <typename scalar_t>
cudaError_t launch_row_squared_norms(const scalar_t* a, int64_t n, int64_t d, double* out,
                                     cudaStream_t stream);

// What the distance epilogue makes of each pair.
struct DistanceEpilogue {
  bool squared;         // d^2 rather than d
  double refine_below;  // pairs with d^2 <= refine_below * (|x_c|^2 + |y_c|^2) are recomputed
};

// out[i * cols + j] = the (squared) distance of the tile's pair (r0 + i, c0 + j);
// pairs the GEMM form leaves below the refine_below band are recomputed from the
// original rows. `out` may be tile.gram itself (in place).
template <typename scalar_t>
cudaError_t launch_distance_epilogue(const DistanceTile<scalar_t>& tile,
                                     const DistanceEpilogue& epilogue, scalar_t* out,
                                     cudaStream_t stream);

}  // namespace fastgan::cuda
