// Argument checks of the fastgan::gradient_penalty_* ops, shared by the CPU kernels
// and the CUDA glue, so that a direct torch.ops.fastgan.* call gets a readable error.
#pragma once

#include <ATen/ATen.h>

#include <cmath>
#include <optional>

namespace fastgan::gp {

inline void check_float(const at::Tensor& t, const char* name) {
  TORCH_CHECK(t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble, "fastgan: ", name,
              " must be float32 or float64, got ", t.scalar_type(), "; cast it first");
}

inline void check_same(const at::Tensor& a, const char* a_name, const at::Tensor& b,
                       const char* b_name) {
  TORCH_CHECK(a.scalar_type() == b.scalar_type(), "fastgan: ", a_name, " is ", a.scalar_type(),
              " but ", b_name, " is ", b.scalar_type(), "; cast both to the same dtype");
  TORCH_CHECK(a.device() == b.device(), "fastgan: ", a_name, " is on ", a.device(), " but ",
              b_name, " is on ", b.device(), "; move both to the same device");
}

inline void check_interpolate_args(const at::Tensor& real, const at::Tensor& fake,
                                   const at::Tensor& alpha) {
  check_float(real, "real");
  check_same(real, "real", fake, "fake");
  check_same(real, "real", alpha, "alpha");
  TORCH_CHECK(real.sizes() == fake.sizes(), "fastgan: real and fake must have the same shape, got ",
              real.sizes(), " and ", fake.sizes());
  TORCH_CHECK(real.dim() >= 1, "fastgan: real and fake need a batch dimension");
  TORCH_CHECK(alpha.dim() == 1 && alpha.size(0) == real.size(0), "fastgan: alpha must be [batch] = [",
              real.size(0), "], got shape ", alpha.sizes());
}

inline void check_penalty_args(const at::Tensor& grads, double weight, double center) {
  check_float(grads, "grads");
  TORCH_CHECK(grads.dim() == 2, "fastgan: grads must be [batch, features], got shape ",
              grads.sizes());
  TORCH_CHECK(grads.size(0) > 0, "fastgan: the gradient penalty needs at least one sample");
  TORCH_CHECK(std::isfinite(weight), "fastgan: weight must be finite, got ", weight);
  TORCH_CHECK(std::isfinite(center) && center >= 0.0,
              "fastgan: center must be a finite value >= 0, got ", center);
}

// Checks the backward's tensors; returns grad_norms when it is given and defined.
inline std::optional<at::Tensor> check_backward_args(const at::Tensor& grad_penalty,
                                                     const std::optional<at::Tensor>& grad_norms,
                                                     const at::Tensor& grads,
                                                     const at::Tensor& norms, double weight,
                                                     double center) {
  check_penalty_args(grads, weight, center);
  check_same(grads, "grads", norms, "norms");
  check_same(grads, "grads", grad_penalty, "grad_penalty");
  TORCH_CHECK(grad_penalty.numel() == 1, "fastgan: grad_penalty must hold one value, got shape ",
              grad_penalty.sizes());
  const int64_t batch = grads.size(0);
  TORCH_CHECK(norms.dim() == 1 && norms.size(0) == batch, "fastgan: norms must be [batch] = [",
              batch, "], got shape ", norms.sizes());
  if (!grad_norms.has_value() || !grad_norms->defined()) return std::nullopt;
  check_same(grads, "grads", *grad_norms, "grad_norms");
  TORCH_CHECK(grad_norms->dim() == 1 && grad_norms->size(0) == batch,
              "fastgan: grad_norms must be [batch] = [", batch, "], got shape ",
              grad_norms->sizes());
  return grad_norms->contiguous();
}

}  // namespace fastgan::gp
