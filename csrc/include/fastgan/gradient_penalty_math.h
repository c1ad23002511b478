// The per-sample arithmetic of the fastgan::gradient_penalty_* ops, one definition
// for the CPU kernels (csrc/cpu/gradient_penalty.cpp) and the CUDA kernels
// (csrc/cuda/gradient_penalty.cu), so both devices compute the same thing. Plain
// C++ (no torch types): nvcc compiles it.
#pragma once

#include "fastgan/host_device.h"

namespace fastgan::gp {

// The penalty term of one sample, gap^2 with gap = norm - center, clamped at 0
// from below when one_sided.
FASTGAN_HOST_DEVICE inline double penalty_term(double norm, double center, bool one_sided) {
  double gap = norm - center;
  if (one_sided && gap < 0.0) gap = 0.0;
  return gap * gap;
}

// d penalty / d g_i = coef_i * g_i. `scale` is upstream * 2 * weight / batch;
// grad_norm is the upstream gradient of ||g_i|| (0 when there is none). The norm's
// subgradient at g_i = 0 is taken as 0, as torch's norm backward does; with
// center 0 the penalty is ||g||^2, whose gradient 2 g is defined everywhere.
FASTGAN_HOST_DEVICE inline double row_coefficient(double norm, double scale, double center,
                                                  bool one_sided, double grad_norm) {
  const double gap = norm - center;
  double coef = 0.0;
  if (!one_sided || gap > 0.0) {
    if (center == 0.0) {
      coef = scale;
    } else if (norm > 0.0) {
      coef = scale * gap / norm;
    }
  }
  if (norm > 0.0) coef += grad_norm / norm;
  return coef;
}

}  // namespace fastgan::gp
