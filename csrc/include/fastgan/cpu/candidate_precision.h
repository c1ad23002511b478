// Which precision the CPU distance passes find their candidates in.
//
// The k-NN and ball-count decisions are exact whatever the Gram tiles' precision:
// every decision inside a tile's proven rounding band is settled by an exact float64
// recomputation. So the tiles may come from a bfloat16 GEMM (float32 accumulation),
// which runs about three times as fast as float32 on CPUs with native bfloat16 dot
// products, at the price of a band about 100 times wider. Passes that could pay for
// that band (ball counts re-checking too many pairs of a tile, k-NN queries whose
// candidates cannot prove their k-th neighbour) redo that work with float32 tiles.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuinfo.h>
#endif

namespace fastgan::cpu {

enum class CandidatePrecision { Auto, BFloat16, Float32 };

// FASTGAN_CANDIDATE_PRECISION: "auto" (the default), "bfloat16" (always, e.g. for
// tests; correct on any CPU, fast only on those with native bfloat16) or "float32".
inline CandidatePrecision candidate_precision_setting() {
  const char* value = std::getenv("FASTGAN_CANDIDATE_PRECISION");
  if (value == nullptr || *value == '\0' || std::strcmp(value, "auto") == 0) {
    return CandidatePrecision::Auto;
  }
  if (std::strcmp(value, "bfloat16") == 0) return CandidatePrecision::BFloat16;
  if (std::strcmp(value, "float32") == 0) return CandidatePrecision::Float32;
  TORCH_CHECK(false, "fastgan: FASTGAN_CANDIDATE_PRECISION must be auto, bfloat16 or float32, got '",
              value, "'");
}

// AVX512-BF16 or AMX-BF16: bfloat16 GEMMs that outrun float32 ones.
inline bool cpu_has_native_bfloat16() {
#if defined(__x86_64__) || defined(_M_X64)
  static const bool has =
      cpuinfo_initialize() && (cpuinfo_has_x86_avx512bf16() || cpuinfo_has_x86_amx_bf16());
  return has;
#else
  return false;
#endif
}

// Below these sizes the float32 pass is cheap and its narrow band always pays.
constexpr double kAutoMinMultiplyAdds = 2147483648.0;  // pairs x dimensions
constexpr int64_t kAutoMinDimension = 64;

// Whether float32 features of n x m pairs in d dimensions take bfloat16 candidates.
template <typename scalar_t>
bool wants_bfloat16_candidates(int64_t n, int64_t m, int64_t d) {
  if constexpr (!std::is_same_v<scalar_t, float>) {
    return false;  // float64 features keep float64 tiles
  } else {
    switch (candidate_precision_setting()) {
      case CandidatePrecision::BFloat16:
        return true;
      case CandidatePrecision::Float32:
        return false;
      case CandidatePrecision::Auto:
        break;
    }
    return cpu_has_native_bfloat16() && d >= kAutoMinDimension &&
           static_cast<double>(n) * static_cast<double>(m) * static_cast<double>(d) >= kAutoMinMultiplyAdds;
  }
}

// Centred rows whose squared norm is below this keep the float32 pass: bfloat16
// dot-product instructions flush denormals, an absolute error the relative bound
// covers only above it (bfloat16_gemm_error_coefficient adds 1e-12 for it).
constexpr double kMinSquaredNormForBFloat16 = 1e-20;

}  // namespace fastgan::cpu
