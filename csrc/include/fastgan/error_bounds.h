// Rounding bounds of the GEMM form of squared distances, shared by the CPU and
// CUDA kernels (no torch types).
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace fastgan {

// Unit roundoff of a floating type.
template <typename scalar_t>
constexpr double unit_roundoff() {
  return std::is_same_v<scalar_t, float> ? 5.9604644775390625e-08 : 1.1102230246251565e-16;
}

// Bound on |approximate d^2 - exact d^2| for the GEMM form on centred operands,
// as a multiple of (|x|^2 + |y|^2): the dot product of D terms in precision u is
// off by at most gamma_{D+2} |x||y| <= gamma_{D+2} (|x|^2 + |y|^2) / 2 (doubled by
// the factor 2 in -2 x.y), centring rounds each coordinate once (~4.2 u), and the
// float64 norms add D * 2^-53. Pairs closer than this to a decision are settled
// by an exact recomputation, so no decision depends on GEMM rounding.
template <typename scalar_t>
double gemm_error_coefficient(int64_t d) {
  const double u = unit_roundoff<scalar_t>();
  const double terms = static_cast<double>(d + 2);
  const double gamma = terms * u / (1.0 - terms * u);
  return gamma + 4.2 * u + 4.0 * static_cast<double>(d + 1) * unit_roundoff<double>();
}

}  // namespace fastgan
