// Column sums of a feature matrix in float64, without a float64 copy of the whole matrix.
//
// a.sum(0, false, kDouble) converts all of `a` to float64 first: for float32 features
// that is a transient twice their size, which decides whether a shard fits. Summing
// blocks of rows caps the transient at one block. Shared by the CPU and CUDA glue.
#pragma once

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>

namespace fastgan {

inline constexpr int64_t kColumnSumBlockRows = 1024;

// [d] float64 sums of the columns of a [n, d] matrix (zeros when n == 0).
inline at::Tensor column_sums_float64(const at::Tensor& a) {
  if (a.scalar_type() == at::kDouble || a.size(0) <= kColumnSumBlockRows) {
    return a.sum(0, false, at::kDouble);
  }
  at::Tensor total = at::zeros({a.size(1)}, a.options().dtype(at::kDouble));
  for (int64_t r = 0; r < a.size(0); r += kColumnSumBlockRows) {
    const int64_t rows = std::min(kColumnSumBlockRows, a.size(0) - r);
    total.add_(a.narrow(0, r, rows).sum(0, false, at::kDouble));
  }
  return total;
}

}  // namespace fastgan
