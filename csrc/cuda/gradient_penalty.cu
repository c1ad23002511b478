// CUDA kernels of the fastgan::gradient_penalty_* ops: the per-sample interpolation,
// the per-sample gradient norms with the penalty, and the penalty's backward. Each is
// one pass over memory; the batch sum of the penalty is a fixed-order tree in one
// block, so results do not depend on scheduling.
#include <cuda_runtime.h>

#include <cstdint>

#include "fastgan/cuda/launch.cuh"
#include "fastgan/gradient_penalty.h"
#include "fastgan/gradient_penalty_math.h"

namespace fastgan::cuda {
namespace {

template <typename scalar_t>
__global__ void interpolate_kernel(const scalar_t* __restrict__ real,
                                   const scalar_t* __restrict__ fake,
                                   const scalar_t* __restrict__ alpha, int64_t per_sample,
                                   int64_t total, scalar_t* __restrict__ out) {
  for (int64_t idx : grid_stride_range(total)) {
    const scalar_t a = alpha[idx / per_sample];
    out[idx] = a * real[idx] + (scalar_t(1) - a) * fake[idx];
  }
}

// One block per sample: the norm of its gradient row and its penalty term.
template <typename scalar_t>
__global__ void row_norms_kernel(const scalar_t* __restrict__ grads, int64_t per_sample,
                                 double center, bool one_sided, scalar_t* __restrict__ norms,
                                 double* __restrict__ terms) {
  const scalar_t* row = grads + static_cast<int64_t>(blockIdx.x) * per_sample;
  double sum = 0.0;
  for (int64_t j = threadIdx.x; j < per_sample; j += blockDim.x) {
    const double v = static_cast<double>(row[j]);
    sum += v * v;
  }
  const double norm = sqrt(block_sum(sum));
  if (threadIdx.x == 0) {
    norms[blockIdx.x] = static_cast<scalar_t>(norm);
    terms[blockIdx.x] = gp::penalty_term(norm, center, one_sided);
  }
}

template <typename scalar_t>
__global__ void penalty_sum_kernel(const double* __restrict__ terms, int64_t batch,
                                   double weight, scalar_t* __restrict__ penalty) {
  const double total = ordered_sum(terms, batch);
  if (threadIdx.x == 0) penalty[0] = static_cast<scalar_t>(weight * total / static_cast<double>(batch));
}

template <typename scalar_t>
__global__ void penalty_backward_kernel(const scalar_t* __restrict__ grad_penalty,
                                        const scalar_t* __restrict__ grad_norms,
                                        const scalar_t* __restrict__ grads,
                                        const scalar_t* __restrict__ norms, int64_t batch,
                                        int64_t per_sample, double weight, double center,
                                        bool one_sided, int64_t total,
                                        scalar_t* __restrict__ out) {
  const double scale =
      static_cast<double>(grad_penalty[0]) * 2.0 * weight / static_cast<double>(batch);
  for (int64_t idx : grid_stride_range(total)) {
    const int64_t i = idx / per_sample;
    const double gn = grad_norms != nullptr ? static_cast<double>(grad_norms[i]) : 0.0;
    const scalar_t coef = static_cast<scalar_t>(
        gp::row_coefficient(static_cast<double>(norms[i]), scale, center, one_sided, gn));
    out[idx] = coef * grads[idx];
  }
}

}  // namespace

template <typename scalar_t>
cudaError_t launch_gp_interpolate(const scalar_t* real, const scalar_t* fake,
                                  const scalar_t* alpha, int64_t batch, int64_t per_sample,
                                  scalar_t* out, cudaStream_t stream) {
  const int64_t total = batch * per_sample;
  if (total == 0) return cudaSuccess;
  interpolate_kernel<scalar_t>
      <<<grid_for(total), kThreads, 0, stream>>>(real, fake, alpha, per_sample, total, out);
  return cudaGetLastError();
}

template <typename scalar_t>
cudaError_t launch_gp_norms_penalty(const scalar_t* grads, int64_t batch, int64_t per_sample,
                                    double weight, double center, bool one_sided,
                                    scalar_t* norms, double* terms, scalar_t* penalty,
                                    cudaStream_t stream) {
  if (batch == 0) return cudaSuccess;
  row_norms_kernel<scalar_t><<<static_cast<unsigned int>(batch), kThreads, 0, stream>>>(
      grads, per_sample, center, one_sided, norms, terms);
  cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) return status;
  penalty_sum_kernel<scalar_t><<<1, kThreads, 0, stream>>>(terms, batch, weight, penalty);
  return cudaGetLastError();
}

template <typename scalar_t>
cudaError_t launch_gp_norms_penalty_backward(const scalar_t* grad_penalty,
                                             const scalar_t* grad_norms, const scalar_t* grads,
                                             const scalar_t* norms, int64_t batch,
                                             int64_t per_sample, double weight, double center,
                                             bool one_sided, scalar_t* out, cudaStream_t stream) {
  const int64_t total = batch * per_sample;
  if (total == 0) return cudaSuccess;
  penalty_backward_kernel<scalar_t><<<grid_for(total), kThreads, 0, stream>>>(
      grad_penalty, grad_norms, grads, norms, batch, per_sample, weight, center, one_sided, total,
      out);
  return cudaGetLastError();
}

template cudaError_t launch_gp_interpolate<float>(const float*, const float*, const float*,
                                                  int64_t, int64_t, float*, cudaStream_t);
template cudaError_t launch_gp_interpolate<double>(const double*, const double*, const double*,
                                                   int64_t, int64_t, double*, cudaStream_t);
template cudaError_t launch_gp_norms_penalty<float>(const float*, int64_t, int64_t, double, double,
                                                    bool, float*, double*, float*, cudaStream_t);
template cudaError_t launch_gp_norms_penalty<double>(const double*, int64_t, int64_t, double,
                                                     double, bool, double*, double*, double*,
                                                     cudaStream_t);
template cudaError_t launch_gp_norms_penalty_backward<float>(const float*, const float*,
                                                             const float*, const float*, int64_t,
                                                             int64_t, double, double, bool, float*,
                                                             cudaStream_t);
template cudaError_t launch_gp_norms_penalty_backward<double>(const double*, const double*,
                                                              const double*, const double*,
                                                              int64_t, int64_t, double, double,
                                                              bool, double*, cudaStream_t);

}  // namespace fastgan::cuda
