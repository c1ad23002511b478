// CUDA kernels of fastgan::sqrtm_newton_schulz. The GEMMs run in cuBLAS (called by
// the glue); these kernels normalise the input, form T = (3 I - P) / 2 while
// reducing |I - P|_F^2 in the same pass (the fused residual check), and undo the
// normalisation at the end. Reductions are two-pass (per-block partials, then one
// block in a fixed order), so the residual is deterministic run to run.
#include <cuda_runtime.h>

#include <cstdint>

#include "fastgan/cuda/launch.cuh"
#include "fastgan/sqrtm_newton_schulz.h"

namespace fastgan::cuda {
namespace {

// Enough blocks to fill a large GPU for n up to a few thousand; the grid-stride loops
// cover the rest. Fixed, so that the reduction order never depends on n.
constexpr int kPartialBlocks = 512;

template <typename scalar_t>
__global__ void squared_sum_partials_kernel(const scalar_t* __restrict__ a, int64_t count,
                                            double* __restrict__ partials) {
  double total = 0.0;
  for (int64_t idx : grid_stride_range(count)) {
    const double v = static_cast<double>(a[idx]);
    total += v * v;
  }
  const double sum = block_sum(total);
  if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

__global__ void finish_sum_kernel(const double* __restrict__ partials, int count,
                                  double* __restrict__ out) {
  const double sum = ordered_sum(partials, count);
  if (threadIdx.x == 0) out[0] = sum;
}

template <typename scalar_t>
__global__ void init_kernel(const scalar_t* __restrict__ a, int64_t n,
                            const double* __restrict__ norm_sq, scalar_t* __restrict__ y,
                            scalar_t* __restrict__ z) {
  const double norm = sqrt(norm_sq[0]);
  const double inv = norm > 0.0 ? 1.0 / norm : 0.0;
  const int64_t count = n * n;
  for (int64_t idx : grid_stride_range(count)) {
    const int64_t i = idx / n;
    const int64_t j = idx - i * n;
    y[idx] = static_cast<scalar_t>(static_cast<double>(a[idx]) * inv);
    z[idx] = static_cast<scalar_t>(i == j ? 1.0 : 0.0);
  }
}

// P -> T = (3 I - P) / 2 in place; per-block partial sums of (I - P)^2.
template <typename scalar_t>
__global__ void step_kernel(scalar_t* __restrict__ p, int64_t n, double* __restrict__ partials) {
  double total = 0.0;
  const int64_t count = n * n;
  for (int64_t idx : grid_stride_range(count)) {
    const int64_t i = idx / n;
    const double delta = (idx - i * n == i) ? 1.0 : 0.0;
    const double v = static_cast<double>(p[idx]);
    const double r = delta - v;
    total += r * r;
    p[idx] = static_cast<scalar_t>(1.5 * delta - 0.5 * v);
  }
  const double sum = block_sum(total);
  if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

template <typename scalar_t>
__global__ void finish_kernel(const scalar_t* __restrict__ y, int64_t count,
                              const double* __restrict__ norm_sq, scalar_t* __restrict__ out) {
  // sqrt(|A|_F) = (|A|_F^2)^(1/4).
  const double scale = sqrt(sqrt(norm_sq[0]));
  for (int64_t idx : grid_stride_range(count)) {
    out[idx] = static_cast<scalar_t>(static_cast<double>(y[idx]) * scale);
  }
}

}  // namespace

int64_t newton_schulz_partials_size() { return kPartialBlocks; }

template <typename scalar_t>
cudaError_t launch_newton_schulz_init(const scalar_t* a, int64_t n, scalar_t* y, scalar_t* z,
                                      double* norm_sq, double* partials, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  squared_sum_partials_kernel<scalar_t><<<kPartialBlocks, kThreads, 0, stream>>>(a, n * n, partials);
  finish_sum_kernel<<<1, kThreads, 0, stream>>>(partials, kPartialBlocks, norm_sq);
  init_kernel<scalar_t><<<grid_for(n * n), kThreads, 0, stream>>>(a, n, norm_sq, y, z);
  return cudaGetLastError();
}

template <typename scalar_t>
cudaError_t launch_newton_schulz_step(scalar_t* p, int64_t n, double* residual_sq,
                                      double* partials, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  step_kernel<scalar_t><<<kPartialBlocks, kThreads, 0, stream>>>(p, n, partials);
  finish_sum_kernel<<<1, kThreads, 0, stream>>>(partials, kPartialBlocks, residual_sq);
  return cudaGetLastError();
}

template <typename scalar_t>
cudaError_t launch_newton_schulz_finish(const scalar_t* y, int64_t n, const double* norm_sq,
                                        scalar_t* out, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  finish_kernel<scalar_t><<<grid_for(n * n), kThreads, 0, stream>>>(y, n * n, norm_sq, out);
  return cudaGetLastError();
}

template cudaError_t launch_newton_schulz_init<float>(const float*, int64_t, float*, float*,
                                                      double*, double*, cudaStream_t);
template cudaError_t launch_newton_schulz_init<double>(const double*, int64_t, double*, double*,
                                                       double*, double*, cudaStream_t);
template cudaError_t launch_newton_schulz_step<float>(float*, int64_t, double*, double*,
                                                      cudaStream_t);
template cudaError_t launch_newton_schulz_step<double>(double*, int64_t, double*, double*,
                                                       cudaStream_t);
template cudaError_t launch_newton_schulz_finish<float>(const float*, int64_t, const double*,
                                                        float*, cudaStream_t);
template cudaError_t launch_newton_schulz_finish<double>(const double*, int64_t, const double*,
                                                         double*, cudaStream_t);

}  // namespace fastgan::cuda
