// CUDA kernels of fastgan::pairwise_distances. The GEMM itself runs in cuBLAS
// (called by the glue); these kernels compute the float64 row norms and the
// epilogue that turns the Gram matrix into distances, refining the pairs where
// the GEMM form cancels.
#include <cuda_runtime.h>

#include <cstdint>

#include "fastgan/exact_distance.h"
#include "fastgan/pairwise_distances.h"

namespace fastgan::cuda {
namespace {

constexpr int kNormThreads = 256;
constexpr int kEpilogueThreads = 256;

template <typename scalar_t>
__global__ void row_squared_norms_kernel(const scalar_t* __restrict__ a, int64_t d,
                                         double* __restrict__ out) {
  __shared__ double partial[kNormThreads];
  const scalar_t* row = a + static_cast<int64_t>(blockIdx.x) * d;
  double total = 0.0;
  for (int64_t k = threadIdx.x; k < d; k += blockDim.x) {
    const double v = static_cast<double>(row[k]);
    total += v * v;
  }
  partial[threadIdx.x] = total;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = partial[0];
}

template <typename scalar_t>
__global__ void distance_epilogue_kernel(scalar_t* __restrict__ inout,
                                         const double* __restrict__ x_norms,
                                         const double* __restrict__ y_norms,
                                         const scalar_t* __restrict__ x,
                                         const scalar_t* __restrict__ y, int64_t n, int64_t m,
                                         int64_t d, bool squared, double refine_below) {
  const int64_t total = n * m;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += step) {
    const int64_t i = idx / m;
    const int64_t j = idx - i * m;
    const double norm_sum = x_norms[i] + y_norms[j];
    double value = norm_sum - 2.0 * static_cast<double>(inout[idx]);
    if (value <= refine_below * norm_sum) {
      value = direct_squared_distance(x + i * d, y + j * d, d);
    }
    value = value > 0.0 ? value : 0.0;
    inout[idx] = static_cast<scalar_t>(squared ? value : sqrt(value));
  }
}

}  // namespace

template <typename scalar_t>
cudaError_t launch_row_squared_norms(const scalar_t* a, int64_t n, int64_t d, double* out,
                                     cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  row_squared_norms_kernel<scalar_t>
      <<<static_cast<unsigned int>(n), kNormThreads, 0, stream>>>(a, d, out);
  return cudaGetLastError();
}

template <typename scalar_t>
cudaError_t launch_distance_epilogue(scalar_t* inout, const double* x_norms,
                                     const double* y_norms, const scalar_t* x, const scalar_t* y,
                                     int64_t n, int64_t m, int64_t d, bool squared,
                                     double refine_below, cudaStream_t stream) {
  const int64_t total = n * m;
  if (total == 0) return cudaSuccess;
  // Grid-stride loop: enough blocks to fill the GPU, capped so the grid stays legal.
  const int64_t wanted = (total + kEpilogueThreads - 1) / kEpilogueThreads;
  const unsigned int blocks = static_cast<unsigned int>(wanted < 65535 * 8 ? wanted : 65535 * 8);
  distance_epilogue_kernel<scalar_t><<<blocks, kEpilogueThreads, 0, stream>>>(
      inout, x_norms, y_norms, x, y, n, m, d, squared, refine_below);
  return cudaGetLastError();
}

template cudaError_t launch_row_squared_norms<float>(const float*, int64_t, int64_t, double*,
                                                     cudaStream_t);
template cudaError_t launch_row_squared_norms<double>(const double*, int64_t, int64_t, double*,
                                                      cudaStream_t);
template cudaError_t launch_distance_epilogue<float>(float*, const double*, const double*,
                                                     const float*, const float*, int64_t, int64_t,
                                                     int64_t, bool, double, cudaStream_t);
template cudaError_t launch_distance_epilogue<double>(double*, const double*, const double*,
                                                      const double*, const double*, int64_t,
                                                      int64_t, int64_t, bool, double,
                                                      cudaStream_t);

}  // namespace fastgan::cuda
