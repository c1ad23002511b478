// CUDA registration of fastgan::kernel_sum: checks, device guard, then the shared
// tile loop (fastgan/cuda/tile_loop.h) with the kernel-sum handler, on the current
// stream. Raw dot products are recovered from the centred Gram tiles as
// x.y = x_c.y_c + x_c.mu + (y_c.mu + mu.mu), with float64 row offsets computed once.
// Each tile is summed into one float64 value, and the per-tile values are summed in
// tile order: no floating-point atomics, so repeated calls give identical bits.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include <cmath>
#include <cstdint>
#include <string_view>

#include "fastgan/checks.h"
#include "fastgan/kernel_sum_checks.h"
#include "fastgan/cuda/operands.h"
#include "fastgan/cuda/tile_loop.h"
#include "fastgan/distance_tile.h"
#include "fastgan/kernel_sum.h"

namespace fastgan::cuda {
namespace {

constexpr int64_t kTile = 8192;

// x_offsets[i] = x_c[i] . mu and y_offsets[j] = y_c[j] . mu + mu . mu, float64.
template <typename scalar_t>
void dot_offsets(const Operands& ops, at::Tensor& x_offsets, at::Tensor& y_offsets,
                 cudaStream_t stream) {
  const at::TensorOptions f64 = ops.x.options().dtype(at::kDouble);
  const int64_t n = ops.x.size(0), m = ops.y.size(0), d = ops.x.size(1);
  const scalar_t* mean = ops.mean.data_ptr<scalar_t>();
  at::Tensor mean_sq = at::empty({1}, f64);
  x_offsets = at::empty({n}, f64);
  y_offsets = at::empty({m}, f64);
  C10_CUDA_CHECK(launch_row_dots<scalar_t>(mean, 1, d, mean, nullptr, mean_sq.data_ptr<double>(),
                                           stream));
  C10_CUDA_CHECK(launch_row_dots<scalar_t>(ops.x_centred.data_ptr<scalar_t>(), n, d, mean,
                                           nullptr, x_offsets.data_ptr<double>(), stream));
  C10_CUDA_CHECK(launch_row_dots<scalar_t>(ops.y_centred.data_ptr<scalar_t>(), m, d, mean,
                                           mean_sq.data_ptr<double>(),
                                           y_offsets.data_ptr<double>(), stream));
}

template <typename scalar_t>
at::Tensor sum_tiles(const at::Tensor& x, const at::Tensor& y, KernelSum kernel) {
  const Operands ops = prepare_operands<scalar_t>(x, y, x.is_same(y));
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::TensorOptions f64 = ops.x.options().dtype(at::kDouble);
  at::Tensor x_offsets, y_offsets;
  if (kernel.kind == KernelKind::polynomial) {
    dot_offsets<scalar_t>(ops, x_offsets, y_offsets, stream);
    kernel.x_offsets = x_offsets.data_ptr<double>();
    kernel.y_offsets = y_offsets.data_ptr<double>();
  }
  at::Tensor partials = at::empty({kernel_sum_partials_size()}, f64);
  at::Tensor tile_sums = at::empty({gram_tile_count(ops, kTile, kTile)}, f64);
  double* next_sum = tile_sums.data_ptr<double>();
  for_each_gram_tile<scalar_t>(ops, kTile, kTile,
                               [&](const DistanceTile<scalar_t>& tile, const at::Tensor&) {
                                 C10_CUDA_CHECK(launch_kernel_sum_tile<scalar_t>(
                                     tile, kernel, partials.data_ptr<double>(), next_sum++,
                                     stream));
                               });
  at::Tensor out = at::empty({}, f64);
  C10_CUDA_CHECK(launch_ordered_sum(tile_sums.data_ptr<double>(), tile_sums.size(0),
                                    out.data_ptr<double>(), stream));
  return out;
}

at::Tensor kernel_sum_cuda(const at::Tensor& x, const at::Tensor& y, std::string_view kernel,
                           double gamma, double coef0, int64_t degree, bool exclude_diagonal) {
  const bool polynomial =
      check_kernel_sum_args(x, y, kernel, gamma, coef0, degree, exclude_diagonal);
  const c10::cuda::CUDAGuard guard(x.device());
  if (x.size(0) == 0 || y.size(0) == 0) return at::zeros({}, x.options().dtype(at::kDouble));
  const KernelSum params{polynomial ? KernelKind::polynomial : KernelKind::rbf,
                         gamma,
                         coef0,
                         degree,
                         exclude_diagonal,
                         nullptr,
                         nullptr};
  if (x.scalar_type() == at::kDouble) return sum_tiles<double>(x, y, params);
  return sum_tiles<float>(x, y, params);
}

}  // namespace
}  // namespace fastgan::cuda

TORCH_LIBRARY_IMPL(fastgan, CUDA, m) {
  m.impl("kernel_sum", &fastgan::cuda::kernel_sum_cuda);
}
