// Plain C++ entry points of the CUDA kernels behind fastgan::pairwise_distances.
// Shared by csrc/cuda/pairwise_distances.cu (definitions) and its glue
// (csrc/cuda/pairwise_distances_glue.cpp); no torch types, so nvcc can compile
// the kernels on machines without a CUDA build of torch.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace fastgan::cuda {

// out[i] = sum_k a[i, k]^2 in float64, for a contiguous [n, d] matrix.
template <typename scalar_t>
cudaError_t launch_row_squared_norms(const scalar_t* a, int64_t n, int64_t d, double* out,
                                     cudaStream_t stream);

// On entry `inout` [n, m] holds the Gram matrix of the centred rows; on exit the
// (squared) distances. Pairs with d^2 <= refine_below * (|x|^2 + |y|^2) are
// recomputed from the original rows x [n, d] and y [m, d].
template <typename scalar_t>
cudaError_t launch_distance_epilogue(scalar_t* inout, const double* x_norms,
                                     const double* y_norms, const scalar_t* x, const scalar_t* y,
                                     int64_t n, int64_t m, int64_t d, bool squared,
                                     double refine_below, cudaStream_t stream);

}  // namespace fastgan::cuda
