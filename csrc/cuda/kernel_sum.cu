// CUDA kernels of fastgan::kernel_sum: per Gram tile of the centred operands, the
// float64 sum of a kernel of every pair, and the float64 row offsets that recover
// raw dot products from centred ones. Reductions are two-pass (per-block partials
// by block_sum, then one block in a fixed order) with a grid that depends only on
// the tile's size, so a sum's bits never depend on scheduling.
#include <cuda_runtime.h>

#include <cstdint>

#include "fastgan/cuda/launch.cuh"
#include "fastgan/distance_tile.h"
#include "fastgan/kernel_sum.h"

namespace fastgan::cuda {
namespace {

// Blocks of one tile's pass: enough to fill a large GPU (the kernel is
// arithmetic-bound); the grid-stride loop covers bigger tiles.
constexpr int64_t kSumBlocks = 1024;

// base^degree for degree >= 1 by binary powering (exact for small integer bases,
// a few roundings otherwise; no call to pow).
__device__ inline double integer_power(double base, int64_t degree) {
  double result = 1.0;
  while (true) {
    if (degree & 1) result *= base;
    degree >>= 1;
    if (degree == 0) return result;
    base *= base;
  }
}

template <typename scalar_t>
__device__ inline double kernel_value(const DistanceTile<scalar_t>& tile, const KernelSum& kernel,
                                      int64_t idx, int64_t i, int64_t j) {
  const double gram = static_cast<double>(tile.gram[idx]);
  if (kernel.kind == KernelKind::rbf) {
    const double d2 = tile.x_norms[i] + tile.y_norms[j] - 2.0 * gram;
    return exp(-kernel.gamma * (d2 < 0.0 ? 0.0 : d2));  // NaN stays NaN
  }
  const double dot = gram + kernel.x_offsets[i] + kernel.y_offsets[j];
  return integer_power(kernel.gamma * dot + kernel.coef0, kernel.degree);
}

template <typename scalar_t>
__global__ void kernel_sum_tile_kernel(const DistanceTile<scalar_t> tile, const KernelSum kernel,
                                       double* __restrict__ partials) {
  double total = 0.0;
  for (int64_t idx : grid_stride_range(tile.rows * tile.cols)) {
    const int64_t i = tile.r0 + idx / tile.cols, j = tile.c0 + idx % tile.cols;
    if (kernel.exclude_diagonal && i == j) continue;
    total += kernel_value(tile, kernel, idx, i, j);
  }
  const double sum = block_sum(total);
  if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

__global__ void ordered_sum_kernel(const double* __restrict__ values, int64_t count,
                                   double* __restrict__ out) {
  const double sum = ordered_sum(values, count);
  if (threadIdx.x == 0) out[0] = sum;
}

// One block per row.
template <typename scalar_t>
__global__ void row_dots_kernel(const scalar_t* __restrict__ a, int64_t d,
                                const scalar_t* __restrict__ v, const double* __restrict__ add,
                                double* __restrict__ out) {
  const scalar_t* row = a + static_cast<int64_t>(blockIdx.x) * d;
  double total = 0.0;
  for (int64_t k = threadIdx.x; k < d; k += kThreads) {
    total += static_cast<double>(row[k]) * static_cast<double>(v[k]);
  }
  const double sum = block_sum(total);
  if (threadIdx.x == 0) out[blockIdx.x] = add != nullptr ? sum + add[0] : sum;
}

}  // namespace

int64_t kernel_sum_partials_size() { return kSumBlocks; }

template <typename scalar_t>
cudaError_t launch_kernel_sum_tile(const DistanceTile<scalar_t>& tile, const KernelSum& kernel,
                                   double* partials, double* tile_sum, cudaStream_t stream) {
  const int64_t total = tile.rows * tile.cols;
  const unsigned int wanted = grid_for(total);
  const unsigned int blocks = wanted < kSumBlocks ? wanted : static_cast<unsigned int>(kSumBlocks);
  kernel_sum_tile_kernel<scalar_t><<<blocks, kThreads, 0, stream>>>(tile, kernel, partials);
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) return status;
  return launch_ordered_sum(partials, blocks, tile_sum, stream);
}

template <typename scalar_t>
cudaError_t launch_row_dots(const scalar_t* a, int64_t n, int64_t d, const scalar_t* v,
                            const double* add, double* out, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  row_dots_kernel<scalar_t><<<static_cast<unsigned int>(n), kThreads, 0, stream>>>(a, d, v, add,
                                                                                   out);
  return cudaGetLastError();
}

cudaError_t launch_ordered_sum(const double* values, int64_t count, double* out,
                               cudaStream_t stream) {
  ordered_sum_kernel<<<1, kThreads, 0, stream>>>(values, count, out);
  return cudaGetLastError();
}

template cudaError_t launch_kernel_sum_tile<float>(const DistanceTile<float>&, const KernelSum&,
                                                   double*, double*, cudaStream_t);
template cudaError_t launch_kernel_sum_tile<double>(const DistanceTile<double>&, const KernelSum&,
                                                    double*, double*, cudaStream_t);
template cudaError_t launch_row_dots<float>(const float*, int64_t, int64_t, const float*,
                                            const double*, double*, cudaStream_t);
template cudaError_t launch_row_dots<double>(const double*, int64_t, int64_t, const double*,
                                             const double*, double*, cudaStream_t);

}  // namespace fastgan::cuda
