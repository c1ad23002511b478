// CUDA kernel of fastgan::ball_counts: classify every pair of a Gram tile against
// the ball thresholds, with exact float64 recomputation inside the rounding band.
#include <cuda_runtime.h>

#include <cstdint>

#include "fastgan/exact_distance.h"
#include "fastgan/knn.h"

namespace fastgan::cuda {
namespace {

constexpr int kThreads = 256;

// Non-negative doubles order like their bit patterns, so an integer atomicMax works.
__device__ void atomic_max_nonnegative(unsigned long long* slot, double value) {
  atomicMax(slot, static_cast<unsigned long long>(__double_as_longlong(value)));
}

template <typename scalar_t>
__global__ void ball_tile_kernel(const scalar_t* __restrict__ gram,
                                 const double* __restrict__ x_norms,
                                 const double* __restrict__ y_norms,
                                 const scalar_t* __restrict__ x, const scalar_t* __restrict__ y,
                                 int64_t d, int64_t r0, int64_t rows, int64_t c0, int64_t cols,
                                 double coefficient, const double* __restrict__ x_threshold,
                                 const double* __restrict__ y_threshold,
                                 const double* __restrict__ realism_weight,
                                 unsigned long long* y_in_x, unsigned long long* x_ball_hits,
                                 unsigned long long* x_in_y, unsigned long long* realism_bits) {
  const int64_t total = rows * cols;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t gi = r0 + idx / cols, gj = c0 + idx % cols;
    const double norm_sum = x_norms[gi] + y_norms[gj];
    const double approx = norm_sum - 2.0 * static_cast<double>(gram[idx]);
    const double error = coefficient * norm_sum;
    double exact = -1.0;
    const double tx = x_threshold[gi];
    bool inside = approx + error < tx;
    if (!inside && approx - error < tx) {
      exact = direct_squared_distance(x + gi * d, y + gj * d, d);
      inside = exact < tx;
    }
    if (inside) {
      atomicAdd(y_in_x + gj, 1ull);
      atomicAdd(x_ball_hits + gi, 1ull);
    }
    if (y_threshold != nullptr) {
      const double ty = y_threshold[gj];
      bool in_other = approx + error < ty;
      if (!in_other && approx - error < ty) {
        if (exact < 0.0) exact = direct_squared_distance(x + gi * d, y + gj * d, d);
        in_other = exact < ty;
      }
      if (in_other) atomicAdd(x_in_y + gi, 1ull);
    }
    if (realism_weight != nullptr && realism_weight[gi] > 0.0) {
      // Recompute exactly only the pairs that might beat the current maximum.
      const double low = approx - error;
      const double best_possible = low > 0.0 ? realism_weight[gi] / low : INFINITY;
      const double current = __longlong_as_double(
          static_cast<long long>(*reinterpret_cast<volatile unsigned long long*>(realism_bits + gj)));
      if (best_possible > current) {
        if (exact < 0.0) exact = direct_squared_distance(x + gi * d, y + gj * d, d);
        atomic_max_nonnegative(realism_bits + gj, exact > 0.0 ? realism_weight[gi] / exact : INFINITY);
      }
    }
  }
}

}  // namespace

template <typename scalar_t>
cudaError_t launch_ball_tile(const scalar_t* gram, const double* x_norms, const double* y_norms,
                             const scalar_t* x, const scalar_t* y, int64_t d, int64_t r0,
                             int64_t rows, int64_t c0, int64_t cols, double coefficient,
                             const double* x_threshold, const double* y_threshold,
                             const double* realism_weight, unsigned long long* y_in_x,
                             unsigned long long* x_ball_hits, unsigned long long* x_in_y,
                             unsigned long long* realism_bits, cudaStream_t stream) {
  const int64_t total = rows * cols;
  if (total == 0) return cudaSuccess;
  const int64_t wanted = (total + kThreads - 1) / kThreads;
  const unsigned int blocks = static_cast<unsigned int>(wanted < 65535 * 16 ? wanted : 65535 * 16);
  ball_tile_kernel<scalar_t><<<blocks, kThreads, 0, stream>>>(
      gram, x_norms, y_norms, x, y, d, r0, rows, c0, cols, coefficient, x_threshold, y_threshold,
      realism_weight, y_in_x, x_ball_hits, x_in_y, realism_bits);
  return cudaGetLastError();
}

template cudaError_t launch_ball_tile<float>(const float*, const double*, const double*,
                                             const float*, const float*, int64_t, int64_t,
                                             int64_t, int64_t, int64_t, double, const double*,
                                             const double*, const double*, unsigned long long*,
                                             unsigned long long*, unsigned long long*,
                                             unsigned long long*, cudaStream_t);
template cudaError_t launch_ball_tile<double>(const double*, const double*, const double*,
                                              const double*, const double*, int64_t, int64_t,
                                              int64_t, int64_t, int64_t, double, const double*,
                                              const double*, const double*, unsigned long long*,
                                              unsigned long long*, unsigned long long*,
                                              unsigned long long*, cudaStream_t);

}  // namespace fastgan::cuda
