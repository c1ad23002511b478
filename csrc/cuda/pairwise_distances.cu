// CUDA kernels of fastgan::pairwise_distances. The GEMM itself runs in cuBLAS
// (called by the glue); these kernels compute the float64 row norms and the
// epilogue that turns the Gram matrix into distances, refining the pairs where
// the GEMM form cancels. Which pairs fall below refine_below depends on the GEMM
// (cuBLAS here) and on the norms (a block tree here, index order on the CPU), so
// near the edge of the band a pair may be refined on one device and not the other.
#include <cuda_runtime.h>

#include <cstdint>

#include "fastgan/cuda/launch.cuh"
#include "fastgan/distance_tile.h"
#include "fastgan/exact_distance.h"
#include "fastgan/pairwise_distances.h"

namespace fastgan::cuda {
namespace {

// One block per row.
template <typename scalar_t>
__global__ void row_squared_norms_kernel(const scalar_t* __restrict__ a, int64_t d,
                                         double* __restrict__ out) {
  const scalar_t* row = a + static_cast<int64_t>(blockIdx.x) * d;
  double total = 0.0;
  for (int64_t k = threadIdx.x; k < d; k += blockDim.x) {
    const double v = static_cast<double>(row[k]);
    total += v * v;
  }
  const double sum = block_sum(total);
  if (threadIdx.x == 0) out[blockIdx.x] = sum;
}

template <typename scalar_t>
__global__ void distance_epilogue_kernel(const DistanceTile<scalar_t> tile,
                                         const DistanceEpilogue epilogue, scalar_t* out) {
  for (int64_t idx : grid_stride_range(tile.rows * tile.cols)) {
    const int64_t i = tile.r0 + idx / tile.cols;
    const int64_t j = tile.c0 + idx % tile.cols;
    const double norm_sum = tile.x_norms[i] + tile.y_norms[j];
    double value = norm_sum - 2.0 * static_cast<double>(tile.gram[idx]);
    if (value <= epilogue.refine_below * norm_sum) {
      value = direct_squared_distance(tile.x + i * tile.d, tile.y + j * tile.d, tile.d);
    }
    value = value > 0.0 ? value : 0.0;
    out[idx] = static_cast<scalar_t>(epilogue.squared ? value : sqrt(value));
  }
}

}  // namespace

template <typename scalar_t>
cudaError_t launch_row_squared_norms(const scalar_t* a, int64_t n, int64_t d, double* out,
                                     cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  row_squared_norms_kernel<scalar_t>
      <<<static_cast<unsigned int>(n), kThreads, 0, stream>>>(a, d, out);
  return cudaGetLastError();
}

template <typename scalar_t>
cudaError_t launch_distance_epilogue(const DistanceTile<scalar_t>& tile,
                                     const DistanceEpilogue& epilogue, scalar_t* out,
                                     cudaStream_t stream) {
  const int64_t total = tile.rows * tile.cols;
  if (total == 0) return cudaSuccess;
  distance_epilogue_kernel<scalar_t><<<grid_for(total), kThreads, 0, stream>>>(tile, epilogue,
                                                                                out);
  return cudaGetLastError();
}

template cudaError_t launch_row_squared_norms<float>(const float*, int64_t, int64_t, double*,
                                                     cudaStream_t);
template cudaError_t launch_row_squared_norms<double>(const double*, int64_t, int64_t, double*,
                                                      cudaStream_t);
template cudaError_t launch_distance_epilogue<float>(const DistanceTile<float>&,
                                                     const DistanceEpilogue&, float*,
                                                     cudaStream_t);
template cudaError_t launch_distance_epilogue<double>(const DistanceTile<double>&,
                                                      const DistanceEpilogue&, double*,
                                                      cudaStream_t);

}  // namespace fastgan::cuda
