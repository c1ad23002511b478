// The exact squared distance that settles every close call, for both the CPU
// kernels and the CUDA kernels (one definition, so both decide identically).
#pragma once

#include <cstdint>

#include "fastgan/host_device.h"

namespace fastgan {

// sum((a - b)^2) over d coordinates, accumulated in float64 in index order;
// float32 inputs are differenced exactly.
template <typename scalar_t>
FASTGAN_HOST_DEVICE inline double direct_squared_distance(const scalar_t* a, const scalar_t* b,
                                                          int64_t d) {
  double total = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    const double diff = static_cast<double>(a[k]) - static_cast<double>(b[k]);
    total += diff * diff;
  }
  return total;
}

}  // namespace fastgan
