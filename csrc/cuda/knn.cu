// CUDA kernels of fastgan::knn / knn_self: the Gram-tile epilogue (approximate
// d^2 for top-k selection), exact float64 re-ranking of candidates, and the exact
// row scan used when candidates cannot prove the k-th neighbour.
#include <cuda_runtime.h>

#include <cstdint>

#include "fastgan/knn.h"

namespace fastgan::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarp = 32;

inline unsigned int grid_for(int64_t work, int threads) {
  const int64_t blocks = (work + threads - 1) / threads;
  return static_cast<unsigned int>(blocks < 65535 * 16 ? blocks : 65535 * 16);
}

template <typename scalar_t>
__global__ void knn_tile_epilogue_kernel(scalar_t* __restrict__ tile,
                                         const double* __restrict__ x_norms,
                                         const double* __restrict__ y_norms, int64_t r0,
                                         int64_t rows, int64_t c0, int64_t cols, bool skip_self) {
  const int64_t total = rows * cols;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = idx / cols, j = idx - i * cols;
    const double approx = x_norms[r0 + i] + y_norms[c0 + j] - 2.0 * static_cast<double>(tile[idx]);
    tile[idx] = (skip_self && r0 + i == c0 + j) ? static_cast<scalar_t>(INFINITY)
                                                 : static_cast<scalar_t>(approx);
  }
}

template <typename scalar_t>
__device__ double warp_squared_distance(const scalar_t* __restrict__ a,
                                        const scalar_t* __restrict__ b, int64_t d, int lane) {
  double total = 0.0;
  for (int64_t k = lane; k < d; k += kWarp) {
    const double diff = static_cast<double>(a[k]) - static_cast<double>(b[k]);
    total += diff * diff;
  }
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    total += __shfl_down_sync(0xffffffffu, total, offset);
  }
  return total;  // valid in lane 0
}

template <typename scalar_t>
__global__ void exact_candidates_kernel(const scalar_t* __restrict__ query,
                                        const scalar_t* __restrict__ ref,
                                        const int64_t* __restrict__ index, int64_t pairs,
                                        int64_t per_row, int64_t d, double* __restrict__ out) {
  const int lane = threadIdx.x % kWarp;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarp);
  for (int64_t p = static_cast<int64_t>(blockIdx.x) * (blockDim.x / kWarp) + threadIdx.x / kWarp;
       p < pairs; p += warps) {
    const int64_t q = p / per_row;
    const double value = warp_squared_distance(query + q * d, ref + index[p] * d, d, lane);
    if (lane == 0) out[p] = value;
  }
}

template <typename scalar_t>
__global__ void exact_rows_kernel(const scalar_t* __restrict__ query,
                                  const scalar_t* __restrict__ ref,
                                  const int64_t* __restrict__ rows, int64_t count, int64_t m,
                                  int64_t d, bool skip_self, double* __restrict__ out) {
  const int lane = threadIdx.x % kWarp;
  const int64_t pairs = count * m;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarp);
  for (int64_t p = static_cast<int64_t>(blockIdx.x) * (blockDim.x / kWarp) + threadIdx.x / kWarp;
       p < pairs; p += warps) {
    const int64_t r = p / m, j = p - r * m;
    const int64_t q = rows[r];
    if (skip_self && q == j) {
      if (lane == 0) out[p] = INFINITY;
      continue;
    }
    const double value = warp_squared_distance(query + q * d, ref + j * d, d, lane);
    if (lane == 0) out[p] = value;
  }
}

}  // namespace

template <typename scalar_t>
cudaError_t launch_knn_tile_epilogue(scalar_t* tile, const double* x_norms, const double* y_norms,
                                     int64_t r0, int64_t rows, int64_t c0, int64_t cols,
                                     bool skip_self, cudaStream_t stream) {
  if (rows * cols == 0) return cudaSuccess;
  knn_tile_epilogue_kernel<scalar_t><<<grid_for(rows * cols, kThreads), kThreads, 0, stream>>>(
      tile, x_norms, y_norms, r0, rows, c0, cols, skip_self);
  return cudaGetLastError();
}

template <typename scalar_t>
cudaError_t launch_exact_candidate_distances(const scalar_t* query, const scalar_t* ref,
                                             const int64_t* index, int64_t queries,
                                             int64_t per_row, int64_t d, double* out,
                                             cudaStream_t stream) {
  const int64_t pairs = queries * per_row;
  if (pairs == 0) return cudaSuccess;
  exact_candidates_kernel<scalar_t>
      <<<grid_for(pairs * kWarp, kThreads), kThreads, 0, stream>>>(query, ref, index, pairs,
                                                                     per_row, d, out);
  return cudaGetLastError();
}

template <typename scalar_t>
cudaError_t launch_exact_rows(const scalar_t* query, const scalar_t* ref, const int64_t* rows,
                              int64_t count, int64_t m, int64_t d, bool skip_self, double* out,
                              cudaStream_t stream) {
  if (count * m == 0) return cudaSuccess;
  exact_rows_kernel<scalar_t><<<grid_for(count * m * kWarp, kThreads), kThreads, 0, stream>>>(
      query, ref, rows, count, m, d, skip_self, out);
  return cudaGetLastError();
}

#define FASTGAN_INSTANTIATE(T)                                                                  \
  template cudaError_t launch_knn_tile_epilogue<T>(T*, const double*, const double*, int64_t, \
                                                   int64_t, int64_t, int64_t, bool,           \
                                                   cudaStream_t);                             \
  template cudaError_t launch_exact_candidate_distances<T>(                                   \
      const T*, const T*, const int64_t*, int64_t, int64_t, int64_t, double*, cudaStream_t);  \
  template cudaError_t launch_exact_rows<T>(const T*, const T*, const int64_t*, int64_t,      \
                                            int64_t, int64_t, bool, double*, cudaStream_t);
FASTGAN_INSTANTIATE(float)
FASTGAN_INSTANTIATE(double)
#undef FASTGAN_INSTANTIATE

}  // namespace fastgan::cuda
