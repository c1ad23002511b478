// The exact squared distance that settles every close call, for both the CPU
// kernels and the CUDA kernels. Where both call this function (the ball-count
// re-checks), and with FMA contraction off (--fmad=false, -ffp-contract=off), the two
// devices compute identical bits and decide identically; CUDA's k-NN re-ranking sums
// the same terms in a warp-reduction order, so there the last bits may differ.
#pragma once

#include <cstdint>

#include "fastgan/host_device.h"

namespace fastgan {

// Partial sums of direct_squared_distance: independent accumulators let the
// compiler keep several float64 additions in flight (and in vector registers), where
// one running sum waits on each addition in turn.
constexpr int64_t kExactPartialSums = 8;

// sum((a - b)^2) over d coordinates in float64: coordinate k goes to partial sum
// k % 8, and the partial sums are added pairwise in a fixed order, so every caller
// on every device rounds identically. float32 differences are exact in float64
// unless the two exponents are more than 29 apart (then the error is below 2^-53 of
// the larger coordinate).
template <typename scalar_t>
FASTGAN_HOST_DEVICE inline double direct_squared_distance(const scalar_t* a, const scalar_t* b,
                                                          int64_t d) {
  double partial[kExactPartialSums] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
  int64_t k = 0;
  for (; k + kExactPartialSums <= d; k += kExactPartialSums) {
    for (int64_t lane = 0; lane < kExactPartialSums; ++lane) {
      const double diff = static_cast<double>(a[k + lane]) - static_cast<double>(b[k + lane]);
      partial[lane] += diff * diff;
    }
  }
  for (int64_t lane = 0; k < d; ++k, ++lane) {
    const double diff = static_cast<double>(a[k]) - static_cast<double>(b[k]);
    partial[lane] += diff * diff;
  }
  return ((partial[0] + partial[1]) + (partial[2] + partial[3])) +
         ((partial[4] + partial[5]) + (partial[6] + partial[7]));
}

}  // namespace fastgan
