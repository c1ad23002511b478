// CUDA kernels of fastgan::knn / knn_self: the Gram-tile epilogue (approximate
// d^2 for top-k selection), float64 re-ranking of candidates, and the float64 row
// scan used when candidates cannot prove the k-th neighbour. The float64 distances
// are summed by a warp (lane-strided partial sums, then a shuffle tree), not in
// direct_squared_distance's order (eight interleaved partial sums), so they may
// differ from the CPU kernels' in the last bits, and a near-exact tie may rank
// differently.
#include <cuda_runtime.h>

#include <cstdint>

#include "fastgan/cuda/launch.cuh"
#include "fastgan/distance_tile.h"
#include "fastgan/knn.h"

namespace fastgan::cuda {
namespace {

template <typename scalar_t>
__global__ void knn_tile_epilogue_kernel(const DistanceTile<scalar_t> tile, scalar_t* approx,
                                         bool skip_self) {
  for (int64_t idx : grid_stride_range(tile.rows * tile.cols)) {
    const int64_t i = idx / tile.cols, j = idx - i * tile.cols;
    const double value = tile.x_norms[tile.r0 + i] + tile.y_norms[tile.c0 + j] -
                         2.0 * static_cast<double>(tile.gram[idx]);
    approx[idx] = (skip_self && tile.r0 + i == tile.c0 + j) ? static_cast<scalar_t>(INFINITY)
                                                            : static_cast<scalar_t>(value);
  }
}

// float64 sum((a - b)^2) by the lanes of one warp; valid in lane 0.
template <typename scalar_t>
__device__ double warp_squared_distance(const scalar_t* __restrict__ a,
                                        const scalar_t* __restrict__ b, int64_t d, int lane) {
  double total = 0.0;
  for (int64_t k = lane; k < d; k += kWarpSize) {
    const double diff = static_cast<double>(a[k]) - static_cast<double>(b[k]);
    total += diff * diff;
  }
  return warp_sum(total);
}

template <typename scalar_t>
__global__ void exact_candidates_kernel(const ExactRows<scalar_t> sets,
                                        const CandidateList candidates, double* __restrict__ out) {
  const int lane = threadIdx.x % kWarpSize;
  for (int64_t p : warp_stride_range(candidates.queries * candidates.per_row)) {
    const int64_t q = p / candidates.per_row;
    const double value = warp_squared_distance(sets.query + q * sets.d,
                                               sets.ref + candidates.index[p] * sets.d, sets.d, lane);
    if (lane == 0) out[p] = value;
  }
}

template <typename scalar_t>
__global__ void exact_rows_kernel(const ExactRows<scalar_t> sets, const RowScan scan,
                                  double* __restrict__ out) {
  const int lane = threadIdx.x % kWarpSize;
  for (int64_t p : warp_stride_range(scan.count * sets.m)) {
    const int64_t r = p / sets.m, j = p - r * sets.m;
    const int64_t q = scan.rows[r];
    if (scan.skip_self && q == j) {
      if (lane == 0) out[p] = INFINITY;
      continue;
    }
    const double value =
        warp_squared_distance(sets.query + q * sets.d, sets.ref + j * sets.d, sets.d, lane);
    if (lane == 0) out[p] = value;
  }
}

}  // namespace

template <typename scalar_t>
cudaError_t launch_knn_tile_epilogue(const DistanceTile<scalar_t>& tile, scalar_t* approx,
                                     bool skip_self, cudaStream_t stream) {
  const int64_t total = tile.rows * tile.cols;
  if (total == 0) return cudaSuccess;
  knn_tile_epilogue_kernel<scalar_t><<<grid_for(total), kThreads, 0, stream>>>(tile, approx,
                                                                                skip_self);
  return cudaGetLastError();
}

template <typename scalar_t>
cudaError_t launch_exact_candidate_distances(const ExactRows<scalar_t>& sets,
                                             const CandidateList& candidates, double* out,
                                             cudaStream_t stream) {
  const int64_t pairs = candidates.queries * candidates.per_row;
  if (pairs == 0) return cudaSuccess;
  exact_candidates_kernel<scalar_t><<<grid_for(pairs * kWarpSize), kThreads, 0, stream>>>(
      sets, candidates, out);
  return cudaGetLastError();
}

template <typename scalar_t>
cudaError_t launch_exact_rows(const ExactRows<scalar_t>& sets, const RowScan& scan, double* out,
                              cudaStream_t stream) {
  const int64_t pairs = scan.count * sets.m;
  if (pairs == 0) return cudaSuccess;
  exact_rows_kernel<scalar_t><<<grid_for(pairs * kWarpSize), kThreads, 0, stream>>>(sets, scan,
                                                                                     out);
  return cudaGetLastError();
}

template cudaError_t launch_knn_tile_epilogue<float>(const DistanceTile<float>&, float*, bool,
                                                     cudaStream_t);
template cudaError_t launch_knn_tile_epilogue<double>(const DistanceTile<double>&, double*, bool,
                                                      cudaStream_t);
template cudaError_t launch_exact_candidate_distances<float>(const ExactRows<float>&,
                                                             const CandidateList&, double*,
                                                             cudaStream_t);
template cudaError_t launch_exact_candidate_distances<double>(const ExactRows<double>&,
                                                              const CandidateList&, double*,
                                                              cudaStream_t);
template cudaError_t launch_exact_rows<float>(const ExactRows<float>&, const RowScan&, double*,
                                              cudaStream_t);
template cudaError_t launch_exact_rows<double>(const ExactRows<double>&, const RowScan&, double*,
                                               cudaStream_t);

}  // namespace fastgan::cuda
