// The exact squared distance that settles every close call, for both the CPU
// kernels and the CUDA kernels. Where both call this function (the ball-count
// re-checks), and with FMA contraction off (--fmad=false, -ffp-contract=off), the two
// devices compute identical bits and decide identically; CUDA's k-NN re-ranking sums
// the same terms in a warp-reduction order, so there the last bits may differ.
#pragma once

#include <cstdint>

#include "fastgan/host_device.h"

namespace fastgan {

// sum((a - b)^2) over d coordinates, accumulated in float64 in index order;
// float32 differences are exact in float64 unless the two exponents are more than
// 29 apart (then the error is below 2^-53 of the larger coordinate).
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
