// CUDA kernel of fastgan::ball_counts: classify every pair of a Gram tile against
// the ball thresholds, with exact float64 recomputation inside the rounding band.
// The results agree with the CPU kernel's: a pair outside the rounding band is
// decided by its true d^2 on either device, a pair inside it by the same
// direct_squared_distance (built without FMA contraction, see setup.py), and the
// realism maximum is a maximum of those exact ratios (IEEE division), whatever the
// order. Only a pair whose true d^2 lies within float64 rounding of a threshold
// could be decided differently.
#include <cuda_runtime.h>

#include <cstdint>

#include "fastgan/cuda/launch.cuh"
#include "fastgan/distance_tile.h"
#include "fastgan/knn.h"

namespace fastgan::cuda {
namespace {

template <typename scalar_t>
__global__ void ball_tile_kernel(const DistanceTile<scalar_t> tile, const BallCounts counts) {
  for (int64_t idx : grid_stride_range(tile.rows * tile.cols)) {
    TilePair<scalar_t> pair(tile, idx);
    const int64_t gi = pair.i, gj = pair.j;
    if (pair.inside(counts.x_threshold[gi])) {
      atomicAdd(counts.y_in_x + gj, 1ull);
      atomicAdd(counts.x_ball_hits + gi, 1ull);
    }
    if (counts.y_threshold != nullptr && pair.inside(counts.y_threshold[gj])) {
      atomicAdd(counts.x_in_y + gi, 1ull);
    }
    if (counts.realism_weight != nullptr && counts.realism_weight[gi] > 0.0) {
      // Recompute exactly only the pairs that might beat the current maximum.
      const double weight = counts.realism_weight[gi];
      const double low = pair.lower();
      const double best_possible = low > 0.0 ? weight / low : INFINITY;
      if (best_possible > load_double_bits(counts.realism_bits + gj)) {
        const double exact = pair.exact();
        atomic_max_nonnegative(counts.realism_bits + gj, exact > 0.0 ? weight / exact : INFINITY);
      }
    }
  }
}

}  // namespace

template <typename scalar_t>
cudaError_t launch_ball_tile(const DistanceTile<scalar_t>& tile, const BallCounts& counts,
                             cudaStream_t stream) {
  const int64_t total = tile.rows * tile.cols;
  if (total == 0) return cudaSuccess;
  ball_tile_kernel<scalar_t><<<grid_for(total), kThreads, 0, stream>>>(tile, counts);
  return cudaGetLastError();
}

template cudaError_t launch_ball_tile<float>(const DistanceTile<float>&, const BallCounts&,
                                             cudaStream_t);
template cudaError_t launch_ball_tile<double>(const DistanceTile<double>&, const BallCounts&,
                                              cudaStream_t);

}  // namespace fastgan::cuda
