// Plain C++ entry points of the CUDA kernels behind the fastgan::gradient_penalty_* ops.
// Shared by csrc/cuda/gradient_penalty.cu (definitions) and its glue
// (csrc/cuda/gradient_penalty_glue.cpp); no torch types, so nvcc can compile the
// kernels on machines without a CUDA build of torch.
//
// Layout everywhere: a batch of `batch` samples, each flattened to `per_sample`
// contiguous values (row i starts at i * per_sample).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace fastgan::cuda {

// out[i, j] = alpha[i] * real[i, j] + (1 - alpha[i]) * fake[i, j].
template <typename scalar_t>
cudaError_t launch_gp_interpolate(const scalar_t* real, const scalar_t* fake,
                                  const scalar_t* alpha, int64_t batch, int64_t per_sample,
                                  scalar_t* out, cudaStream_t stream);

// norms[i] = ||grads[i, :]||_2 (accumulated in float64) and
// penalty[0] = weight / batch * sum_i gap_i^2 with gap_i = norms[i] - center,
// clamped at 0 from below when one_sided. `terms` is a float64 workspace of
// `batch` values; the batch sum is a fixed-order tree, so the result is deterministic.
template <typename scalar_t>
cudaError_t launch_gp_norms_penalty(const scalar_t* grads, int64_t batch, int64_t per_sample,
                                    double weight, double center, bool one_sided,
                                    scalar_t* norms, double* terms, scalar_t* penalty,
                                    cudaStream_t stream);

// out[i, j] = coef_i * grads[i, j], the gradient of the penalty (times the
// upstream scalar *grad_penalty) plus, when grad_norms is not null, of
// sum_i grad_norms[i] * norms[i]. grad_penalty points to one device value.
template <typename scalar_t>
cudaError_t launch_gp_norms_penalty_backward(const scalar_t* grad_penalty,
                                             const scalar_t* grad_norms, const scalar_t* grads,
                                             const scalar_t* norms, int64_t batch,
                                             int64_t per_sample, double weight, double center,
                                             bool one_sided, scalar_t* out, cudaStream_t stream);

}  // namespace fastgan::cuda
