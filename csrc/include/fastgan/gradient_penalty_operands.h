// The set-up of the fastgan::gradient_penalty_* ops shared by the CPU kernels
// (csrc/cpu/gradient_penalty.cpp) and the CUDA glue (csrc/cuda/gradient_penalty_glue.cpp):
// contiguous operands, the outputs allocated, and the [batch, per_sample] layout
// every kernel walks. Call the prepare_* functions after the checks of
// gradient_penalty_checks.h (and, on CUDA, after the device guard: they allocate).
// Uses torch types: for the .cpp files, never for the .cu kernels.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace fastgan::gp {

// gradient_penalty_interpolate: out = alpha * real + (1 - alpha) * fake, row by row.
struct InterpolateOperands {
  at::Tensor real, fake, alpha;  // contiguous
  at::Tensor out;                // contiguous, shaped like real
  int64_t batch;
  int64_t per_sample;  // values per sample; 0 when the input is empty
};

inline InterpolateOperands prepare_interpolate(const at::Tensor& real, const at::Tensor& fake,
                                               const at::Tensor& alpha) {
  InterpolateOperands op{real.contiguous(), fake.contiguous(), alpha.contiguous(),
                         at::empty_like(real, at::MemoryFormat::Contiguous), real.size(0), 0};
  // An empty input has no rows to walk, and batch may be 0: no division.
  if (real.numel() > 0) op.per_sample = real.numel() / op.batch;
  return op;
}

// gradient_penalty_norms: the per-sample norms of grads [batch, per_sample] and the
// penalty, a 0-dim tensor; both of grads' dtype and device.
struct NormsOperands {
  at::Tensor grads;  // contiguous
  at::Tensor norms;  // [batch]
  at::Tensor penalty;
  int64_t batch;
  int64_t per_sample;
};

inline NormsOperands prepare_norms(const at::Tensor& grads_in) {
  const at::Tensor grads = grads_in.contiguous();
  return {grads, at::empty({grads.size(0)}, grads.options()), at::empty({}, grads.options()),
          grads.size(0), grads.size(1)};
}

// gradient_penalty_norms_backward: out [batch, per_sample] = d loss / d grads.
// (grad_norms is made contiguous by check_backward_args.)
struct NormsBackwardOperands {
  at::Tensor grad_penalty, grads, norms;  // contiguous
  at::Tensor out;
  int64_t batch;
  int64_t per_sample;
};

inline NormsBackwardOperands prepare_norms_backward(const at::Tensor& grad_penalty,
                                                    const at::Tensor& grads_in,
                                                    const at::Tensor& norms) {
  const at::Tensor grads = grads_in.contiguous();
  return {grad_penalty.contiguous(), grads, norms.contiguous(), at::empty_like(grads),
          grads.size(0), grads.size(1)};
}

}  // namespace fastgan::gp
