// Argument checks shared by the CPU and CUDA registrations. They run before any
// kernel so that a user calling torch.ops.fastgan.* directly gets a readable
// error instead of a crash or a wrong number.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace fastgan {

// A feature matrix is a 2-D float32/float64 tensor [rows, features].
inline void check_feature_matrix(const at::Tensor& t, const char* name) {
  TORCH_CHECK(t.dim() == 2, "fastgan: ", name, " must be a 2-D feature matrix [N, D], got ",
              t.dim(), " dimension(s) with shape ", t.sizes());
  TORCH_CHECK(t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble, "fastgan: ", name,
              " must be float32 or float64, got ", t.scalar_type(),
              "; cast it first, e.g. x.float()");
}

// Two feature matrices that are compared row against row.
inline void check_feature_pair(const at::Tensor& x, const char* x_name, const at::Tensor& y,
                               const char* y_name) {
  check_feature_matrix(x, x_name);
  check_feature_matrix(y, y_name);
  TORCH_CHECK(x.size(1) == y.size(1), "fastgan: feature sizes differ: ", x_name, " has ",
              x.size(1), " features per row, ", y_name, " has ", y.size(1));
  TORCH_CHECK(x.scalar_type() == y.scalar_type(), "fastgan: ", x_name, " is ", x.scalar_type(),
              " but ", y_name, " is ", y.scalar_type(), "; cast both to the same dtype");
  TORCH_CHECK(x.device() == y.device(), "fastgan: ", x_name, " is on ", x.device(), " but ",
              y_name, " is on ", y.device(), "; move both to the same device");
}

}  // namespace fastgan
