// Launch configuration and reductions shared by every CUDA kernel of fastgan
// (csrc/cuda/*.cu). nvcc only: cuda_runtime.h, no torch types.
//
// Every kernel runs blocks of kThreads threads. Element-wise kernels walk their
// work with a grid-stride loop over a grid sized by grid_for(); reductions use
// block_sum() (a fixed tree, so a sum depends only on the values each thread
// holds, never on scheduling) and write one partial per block, which a second
// one-block launch sums in a fixed order. No kernel adds doubles with atomics.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace fastgan::cuda {

// Threads per block of every fastgan kernel; block_sum() relies on it.
constexpr int kThreads = 256;
constexpr int kWarpSize = 32;
constexpr int kWarpsPerBlock = kThreads / kWarpSize;

// The one cap on grid sizes: 2^20 blocks, far more than any GPU keeps resident at
// once (an H100 holds about two thousand blocks of kThreads), so a grid-stride loop
// over a capped grid loses nothing, and well below the 2^31 - 1 limit of gridDim.x.
constexpr int64_t kMaxBlocks = int64_t{1} << 20;

// Blocks of `threads` threads that give one thread per unit of `work`, capped at
// kMaxBlocks (a grid-stride loop covers the rest), and at least 1 so that the
// launch configuration is always valid.
inline unsigned int grid_for(int64_t work, int threads = kThreads) {
  const int64_t wanted = (work + threads - 1) / threads;
  const int64_t blocks = wanted < 1 ? 1 : (wanted < kMaxBlocks ? wanted : kMaxBlocks);
  return static_cast<unsigned int>(blocks);
}

// Indices first, first + step, ... below end, for a range-for:
//   for (int64_t idx : grid_stride_range(total)) { ... }
class StridedRange {
 public:
  class Iterator {
   public:
    __device__ Iterator(int64_t index, int64_t step) : index_(index), step_(step) {}
    __device__ int64_t operator*() const { return index_; }
    __device__ Iterator& operator++() {
      index_ += step_;
      return *this;
    }
    // Only ever compared against end(): "not yet past the end".
    __device__ bool operator!=(const Iterator& end) const { return index_ < end.index_; }

   private:
    int64_t index_, step_;
  };

  __device__ StridedRange(int64_t first, int64_t end, int64_t step)
      : first_(first), end_(end), step_(step) {}
  __device__ Iterator begin() const { return Iterator(first_, step_); }
  __device__ Iterator end() const { return Iterator(end_, step_); }

 private:
  int64_t first_, end_, step_;
};

// One index per thread of the grid, striding by the grid's thread count.
__device__ inline StridedRange grid_stride_range(int64_t total) {
  return StridedRange(static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x, total,
                      static_cast<int64_t>(gridDim.x) * blockDim.x);
}

// One index per warp of the grid (all lanes of a warp see the same index),
// striding by the grid's warp count.
__device__ inline StridedRange warp_stride_range(int64_t total) {
  const int64_t warps_per_block = blockDim.x / kWarpSize;
  return StridedRange(static_cast<int64_t>(blockIdx.x) * warps_per_block + threadIdx.x / kWarpSize,
                      total, static_cast<int64_t>(gridDim.x) * warps_per_block);
}

// Sum of `value` over the 32 lanes of a full warp by shuffles, halving the
// distance each step (16, 8, 4, 2, 1): a fixed order. The total is valid in lane 0.
__device__ inline double warp_sum(double value) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    value += __shfl_down_sync(0xffffffffu, value, offset);
  }
  return value;
}

// Sum of `value` over the kThreads threads of a block (launch with blockDim.x ==
// kThreads), by a fixed tree in shared memory: thread t adds t + 128, then t + 64,
// ..., then t + 1. The order never depends on scheduling, so the bits of the
// total depend only on the values. Every thread of the block must call it (it
// synchronises); every thread gets the total. It may be called again in the same
// kernel.
__device__ inline double block_sum(double value) {
  __shared__ double shared[kThreads];
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) shared[threadIdx.x] += shared[threadIdx.x + stride];
    __syncthreads();
  }
  const double total = shared[0];
  __syncthreads();
  return total;
}

// values[0] + ... + values[count - 1] by one block in a fixed order: thread t adds
// values t, t + kThreads, t + 2 kThreads, ... in turn, then block_sum(). Used to
// finish a two-pass reduction over per-block partials. Every thread gets the total.
__device__ inline double ordered_sum(const double* values, int64_t count) {
  double total = 0.0;
  for (int64_t i = threadIdx.x; i < count; i += kThreads) total += values[i];
  return block_sum(total);
}

// *slot = max(*slot, value) for a slot holding the bit pattern of a double.
// Non-negative doubles (+inf included) order like their bit patterns read as
// unsigned integers, so the integer atomicMax is exact; value and the slot's
// initial content must be >= 0 (not NaN, not -0.0).
__device__ inline void atomic_max_nonnegative(unsigned long long* slot, double value) {
  atomicMax(slot, static_cast<unsigned long long>(__double_as_longlong(value)));
}

// The double whose bit pattern *slot holds, read with a volatile load (a value
// other threads may be raising with atomic_max_nonnegative; a stale read is a
// lower bound of the final maximum).
__device__ inline double load_double_bits(const unsigned long long* slot) {
  return __longlong_as_double(
      static_cast<long long>(*reinterpret_cast<const volatile unsigned long long*>(slot)));
}

}  // namespace fastgan::cuda
