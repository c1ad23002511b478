// CUDA registration of fastgan::pairwise_distances: checks, device guard, the
// GEMM in cuBLAS (TF32 off: the refinement bound assumes full float32), then
// the epilogue kernel on the current stream.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include "fastgan/checks.h"
#include "fastgan/cuda/operands.h"
#include "fastgan/cuda/tile_loop.h"
#include "fastgan/pairwise_distances.h"

namespace fastgan::cuda {
namespace {

template <typename scalar_t>
at::Tensor distances(const at::Tensor& x_in, const at::Tensor& y_in, bool squared,
                     double refine_below) {
  const at::Tensor x = x_in.contiguous();
  const at::Tensor y = y_in.contiguous();
  const int64_t n = x.size(0), m = y.size(0);
  at::Tensor out = at::empty({n, m}, x.options());
  if (n == 0 || m == 0) return out;
  // Centre on the common mean so the GEMM cancels less (see distance_tiles.h); the
  // whole matrix is one tile, its Gram block computed into `out` and turned into
  // distances in place.
  const Operands ops = prepare_operands<scalar_t>(x, y, false);
  gram_tile_into(out, ops, 0, n, 0, m);
  scalar_t* data = out.data_ptr<scalar_t>();
  const DistanceTile<scalar_t> tile = make_distance_tile<scalar_t>(ops, data, 0, n, 0, m);
  C10_CUDA_CHECK(launch_distance_epilogue<scalar_t>(tile, DistanceEpilogue{squared, refine_below},
                                                    data, c10::cuda::getCurrentCUDAStream()));
  return out;
}

at::Tensor pairwise_distances_cuda(const at::Tensor& x, const at::Tensor& y, bool squared,
                                   double refine_below) {
  check_feature_pair(x, "x", y, "y");
  TORCH_CHECK(refine_below >= 0.0, "fastgan: refine_below must be >= 0, got ", refine_below);
  const c10::cuda::CUDAGuard guard(x.device());
  if (x.scalar_type() == at::kDouble) return distances<double>(x, y, squared, refine_below);
  return distances<float>(x, y, squared, refine_below);
}

}  // namespace
}  // namespace fastgan::cuda

TORCH_LIBRARY_IMPL(fastgan, CUDA, m) {
  m.impl("pairwise_distances", &fastgan::cuda::pairwise_distances_cuda);
}
