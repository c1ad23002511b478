// Argument checks of fastgan::kernel_sum, shared by the CPU and CUDA registrations
// so that both refuse the same inputs with the same words.
#pragma once

#include <ATen/ATen.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "fastgan/checks.h"

namespace fastgan {

// Validates every argument; returns true for the polynomial kernel, false for rbf.
inline bool check_kernel_sum_args(const at::Tensor& x, const at::Tensor& y, std::string_view kernel,
                                  double gamma, double coef0, int64_t degree,
                                  bool exclude_diagonal) {
  check_feature_pair(x, "x", y, "y");
  TORCH_CHECK(kernel == "polynomial" || kernel == "rbf",
              "fastgan: kernel must be \"polynomial\" or \"rbf\", got \"", std::string(kernel), "\"");
  const bool polynomial = kernel == "polynomial";
  TORCH_CHECK(!polynomial || degree >= 1,
              "fastgan: the polynomial kernel's degree must be >= 1, got ", degree);
  TORCH_CHECK(std::isfinite(gamma) && gamma >= 0.0, "fastgan: gamma must be finite and >= 0, got ",
              gamma);
  TORCH_CHECK(std::isfinite(coef0), "fastgan: coef0 must be finite, got ", coef0);
  TORCH_CHECK(!exclude_diagonal || x.size(0) == y.size(0),
              "fastgan: exclude_diagonal needs y to be x (the same rows), got ", x.size(0), " and ",
              y.size(0), " rows");
  return polynomial;
}

}  // namespace fastgan
