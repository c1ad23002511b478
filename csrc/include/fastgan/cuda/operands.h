// Torch-side preparation shared by the CUDA glue of the distance ops: originals,
// rows centred on the common mean (so the GEMM cancels less), float64 norms, and
// the mean itself (kernel_sum recovers raw dot products with it).
#pragma once

#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAStream.h>

#include "fastgan/column_sums.h"
#include "fastgan/pairwise_distances.h"

namespace fastgan::cuda {

struct Operands {
  at::Tensor x, y;  // originals, contiguous
  at::Tensor x_centred, y_centred;
  at::Tensor x_norms, y_norms;  // float64 squared norms of the centred rows
  at::Tensor mean;              // [d] the common mean subtracted, in the operands' dtype
};

template <typename scalar_t>
at::Tensor squared_norms(const at::Tensor& a) {
  at::Tensor norms = at::empty({a.size(0)}, a.options().dtype(at::kDouble));
  C10_CUDA_CHECK(launch_row_squared_norms<scalar_t>(a.data_ptr<scalar_t>(), a.size(0), a.size(1),
                                                     norms.data_ptr<double>(),
                                                     c10::cuda::getCurrentCUDAStream()));
  return norms;
}

// `same`: y is x (one centred copy serves both sides).
template <typename scalar_t>
Operands prepare_operands(const at::Tensor& x_in, const at::Tensor& y_in, bool same) {
  Operands ops;
  ops.x = x_in.contiguous();
  ops.y = same ? ops.x : y_in.contiguous();
  const int64_t count = ops.x.size(0) + (same ? 0 : ops.y.size(0));
  at::Tensor mean = column_sums_float64(ops.x);
  if (!same) mean = mean + column_sums_float64(ops.y);
  if (count > 0) mean = mean / static_cast<double>(count);
  ops.mean = mean.to(ops.x.scalar_type()).contiguous();
  ops.x_centred = (ops.x - ops.mean).contiguous();
  ops.y_centred = same ? ops.x_centred : (ops.y - ops.mean).contiguous();
  ops.x_norms = squared_norms<scalar_t>(ops.x_centred);
  ops.y_norms = same ? ops.x_norms : squared_norms<scalar_t>(ops.y_centred);
  return ops;
}

}  // namespace fastgan::cuda
