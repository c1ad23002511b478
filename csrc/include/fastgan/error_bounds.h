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

// Unit roundoff of bfloat16 (8 significant bits).
constexpr double bfloat16_unit_roundoff() { return 3.90625e-03; }

// The part of gemm_error_coefficient that does not come from the dot product
// (centring, float64 norms), plus 1e-12 for the denormals that bfloat16 dot-product
// instructions flush: at most D 2^-126 (|x| + |y| + 1) absolute, below 1e-12
// (|x|^2 + |y|^2) wherever that is >= 1e-20 (D up to a million; callers ensure it).
inline double bfloat16_shared_error_coefficient(int64_t d) {
  return 1e-12 + 4.2 * unit_roundoff<float>() + 4.0 * static_cast<double>(d + 1) * unit_roundoff<double>();
}

// Per-pair bound of the dot-product error of a Gram entry computed from bfloat16
// copies x~ = bf16(x) of the centred float32 rows: products of bfloat16 numbers are
// exact in float32, their float32 sum is off by at most gamma_{D+2} |x~||y~|, and the
// entry g is rounded to bfloat16 (b |v| <= b / (1 - b) |g|). The copies' own error,
// x.y - x~.y~ = x~.r_y + r_x.y~ + r_x.r_y with r = x - x~, is bounded by Cauchy-Schwarz
// with the actual residual norms, about a third of the worst case b |x||y| for
// typical data. Norms are upper bounds (float64 sums, inflated by 1e-12 relative).
struct BFloat16PairBound {
  const double* x_norm;      // |x~| per row of x
  const double* y_norm;      // |y~| per row of y
  const double* x_residual;  // |x - x~|
  const double* y_residual;
  double gamma;   // gamma_{D+2} of float32
  double output;  // b / (1 - b)

  // Bound on |approx d^2 - exact d^2| from the dot product of global pair (i, j).
  double error(int64_t i, int64_t j, double gram) const {
    const double copies = x_norm[i] * y_residual[j] + x_residual[i] * y_norm[j] + x_residual[i] * y_residual[j];
    const double dot = copies + gamma * x_norm[i] * y_norm[j] + output * std::fabs(gram);
    return 2.0 * dot * (1.0 + 1e-12);
  }
};

// gamma_{D+2} and b / (1 - b) for a BFloat16PairBound of dimension d.
inline void set_bfloat16_constants(BFloat16PairBound& bound, int64_t d) {
  const double u = unit_roundoff<float>();
  const double terms = static_cast<double>(d + 2);
  bound.gamma = terms * u / (1.0 - terms * u);
  bound.output = bfloat16_unit_roundoff() / (1.0 - bfloat16_unit_roundoff());
}

}  // namespace fastgan
