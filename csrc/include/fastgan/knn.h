// Plain C++ entry points of the CUDA kernels behind fastgan::knn, fastgan::knn_self
// and fastgan::ball_counts (csrc/cuda/knn.cu, csrc/cuda/ball_counts.cu). No torch
// types, so nvcc compiles them without a CUDA build of torch.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace fastgan::cuda {

// In place: tile [rows, cols] holds x_c . y_c^T of centred rows; on exit it holds
// the approximate squared distances (float), +inf where the global row index
// r0 + i equals the global column index c0 + j and skip_self is set.
template <typename scalar_t>
cudaError_t launch_knn_tile_epilogue(scalar_t* tile, const double* x_norms, const double* y_norms,
                                     int64_t r0, int64_t rows, int64_t c0, int64_t cols,
                                     bool skip_self, cudaStream_t stream);

// out[p] = exact float64 sum((query[p / per_row] - ref[index[p]])^2) for
// p < queries * per_row; one warp per pair.
template <typename scalar_t>
cudaError_t launch_exact_candidate_distances(const scalar_t* query, const scalar_t* ref,
                                             const int64_t* index, int64_t queries,
                                             int64_t per_row, int64_t d, double* out,
                                             cudaStream_t stream);

// out[r, j] = exact float64 squared distance of query row rows[r] to every ref row
// j (inf where j == rows[r] and skip_self); one block per (r, tile of refs).
template <typename scalar_t>
cudaError_t launch_exact_rows(const scalar_t* query, const scalar_t* ref, const int64_t* rows,
                              int64_t count, int64_t m, int64_t d, bool skip_self, double* out,
                              cudaStream_t stream);

// One Gram tile of the ball-count pass: for x rows [r0, r0 + rows) and y rows
// [c0, c0 + cols), classify every pair against the float64 thresholds with the
// GEMM error bound `coefficient * (|x|^2 + |y|^2)`, recompute uncertain pairs
// exactly, and add to the int64 counters (atomics). y_threshold / realism_weight
// may be null.
template <typename scalar_t>
cudaError_t launch_ball_tile(const scalar_t* gram, const double* x_norms, const double* y_norms,
                             const scalar_t* x, const scalar_t* y, int64_t d, int64_t r0,
                             int64_t rows, int64_t c0, int64_t cols, double coefficient,
                             const double* x_threshold, const double* y_threshold,
                             const double* realism_weight, unsigned long long* y_in_x,
                             unsigned long long* x_ball_hits, unsigned long long* x_in_y,
                             unsigned long long* realism_bits, cudaStream_t stream);

}  // namespace fastgan::cuda
