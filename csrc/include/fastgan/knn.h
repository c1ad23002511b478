// Plain C++ entry points of the CUDA kernels behind fastgan::knn, fastgan::knn_self
// and fastgan::ball_counts (csrc/cuda/knn.cu, csrc/cuda/ball_counts.cu). No torch
// types, so nvcc compiles them without a CUDA build of torch.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "fastgan/distance_tile.h"

namespace fastgan::cuda {

// The original (uncentred) rows that exact distances are computed between.
template <typename scalar_t>
struct ExactRows {
  const scalar_t* query;  // [Q, d] contiguous
  const scalar_t* ref;    // [m, d] contiguous
  int64_t m;              // reference rows
  int64_t d;
};

// Candidate lists: index[q * per_row + c] is the c-th candidate reference of query q.
struct CandidateList {
  const int64_t* index;  // [queries, per_row]
  int64_t queries;
  int64_t per_row;
};

// Query rows that get an exact scan against every reference row.
struct RowScan {
  const int64_t* rows;  // [count] query row indices
  int64_t count;
  bool skip_self;  // the pair (q, q) is excluded (reported as +inf)
};

// approx[i * cols + j] = the approximate squared distance of the tile's pair
// (r0 + i, c0 + j), stored in scalar_t; +inf where r0 + i == c0 + j and skip_self.
// `approx` may be tile.gram itself (in place).
template <typename scalar_t>
cudaError_t launch_knn_tile_epilogue(const DistanceTile<scalar_t>& tile, scalar_t* approx,
                                     bool skip_self, cudaStream_t stream);

// out[p] = float64 sum((query[p / per_row] - ref[index[p]])^2) for p < queries * per_row,
// one warp per pair. The warp sums its lanes' strided partial sums, an order other
// than direct_squared_distance's, so the last bits may differ from the CPU kernels'.
template <typename scalar_t>
cudaError_t launch_exact_candidate_distances(const ExactRows<scalar_t>& sets,
                                             const CandidateList& candidates, double* out,
                                             cudaStream_t stream);

// out[r, j] = float64 squared distance of query row rows[r] to every ref row j
// (+inf where j == rows[r] and skip_self), [count, m]; one warp per pair, summed
// like launch_exact_candidate_distances.
template <typename scalar_t>
cudaError_t launch_exact_rows(const ExactRows<scalar_t>& sets, const RowScan& scan, double* out,
                              cudaStream_t stream);

// The ball-count handler: per-pair thresholds and the counters it adds to.
struct BallCounts {
  const double* x_threshold;         // [N] squared radii of the x-balls
  const double* y_threshold;         // [M] squared radii of the y-balls, or null
  const double* realism_weight;      // [N], or null
  unsigned long long* y_in_x;        // [M] #i with d2(x_i, y_j) < x_threshold[i]
  unsigned long long* x_ball_hits;   // [N] #j with d2(x_i, y_j) < x_threshold[i]
  unsigned long long* x_in_y;        // [N] #j with d2(x_i, y_j) < y_threshold[j]
  unsigned long long* realism_bits;  // [M] bits of max_i realism_weight[i] / d2, or null
};

// One Gram tile of the ball-count pass: classify every pair against the float64
// thresholds (strict <) with the tile's GEMM error bound, recompute uncertain pairs
// exactly, and add to the counters (integer atomics; realism by an exact atomic max,
// the slots starting at +0.0).
template <typename scalar_t>
cudaError_t launch_ball_tile(const DistanceTile<scalar_t>& tile, const BallCounts& counts,
                             cudaStream_t stream);

}  // namespace fastgan::cuda
