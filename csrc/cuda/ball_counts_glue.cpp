// CUDA registration of fastgan::ball_counts: the shared tile loop
// (fastgan/cuda/tile_loop.h) with the ball-count handler, one kernel launch per
// Gram tile that adds to int64 counters.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include <optional>
#include <tuple>

#include "fastgan/checks.h"
#include "fastgan/cuda/operands.h"
#include "fastgan/cuda/tile_loop.h"
#include "fastgan/distance_tile.h"
#include "fastgan/knn.h"

namespace fastgan::cuda {
namespace {

constexpr int64_t kTile = 8192;

unsigned long long* counters(at::Tensor& t) {
  return reinterpret_cast<unsigned long long*>(t.data_ptr<int64_t>());
}

template <typename scalar_t>
void count_balls(const at::Tensor& x_in, const at::Tensor& y_in, const at::Tensor& x_threshold,
                 const std::optional<at::Tensor>& y_threshold,
                 const std::optional<at::Tensor>& realism_weight, at::Tensor& y_in_x,
                 at::Tensor& x_hits, at::Tensor& x_in_y, at::Tensor& realism) {
  const Operands ops = prepare_operands<scalar_t>(x_in, y_in, false);
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const at::Tensor xt = x_threshold.contiguous();
  const at::Tensor yt = y_threshold ? y_threshold->contiguous() : at::Tensor();
  const at::Tensor w = realism_weight ? realism_weight->contiguous() : at::Tensor();
  const BallCounts counts{
      xt.data_ptr<double>(),
      yt.defined() ? yt.data_ptr<double>() : nullptr,
      w.defined() ? w.data_ptr<double>() : nullptr,
      counters(y_in_x),
      counters(x_hits),
      counters(x_in_y),
      realism_weight ? reinterpret_cast<unsigned long long*>(realism.data_ptr<double>()) : nullptr};
  for_each_gram_tile<scalar_t>(ops, kTile, kTile,
                               [&](const DistanceTile<scalar_t>& tile, const at::Tensor&) {
                                 C10_CUDA_CHECK(launch_ball_tile<scalar_t>(tile, counts, stream));
                               });
}

void check_thresholds(const at::Tensor& t, const at::Tensor& like, int64_t rows, const char* name) {
  TORCH_CHECK(t.dim() == 1 && t.size(0) == rows, "fastgan: ", name, " must have ", rows,
              " entries, got shape ", t.sizes());
  TORCH_CHECK(t.scalar_type() == at::kDouble, "fastgan: ", name, " must be float64, got ",
              t.scalar_type());
  TORCH_CHECK(t.device() == like.device(), "fastgan: ", name, " must be on ", like.device());
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> ball_counts_cuda(
    const at::Tensor& x, const at::Tensor& y, const at::Tensor& x_threshold,
    const std::optional<at::Tensor>& y_threshold, const std::optional<at::Tensor>& realism_weight,
    bool x_in_y_any) {
  check_feature_pair(x, "centers", y, "query");
  check_thresholds(x_threshold, x, x.size(0), "x_threshold");
  if (y_threshold) check_thresholds(*y_threshold, x, y.size(0), "y_threshold");
  if (realism_weight) check_thresholds(*realism_weight, x, x.size(0), "realism_weight");
  const c10::cuda::CUDAGuard guard(x.device());
  const auto longs = x.options().dtype(at::kLong);
  at::Tensor y_in_x = at::zeros({y.size(0)}, longs);
  at::Tensor x_hits = at::zeros({x.size(0)}, longs);
  at::Tensor x_in_y = at::zeros({x.size(0)}, longs);
  at::Tensor realism = at::zeros({realism_weight ? y.size(0) : 0}, x.options().dtype(at::kDouble));
  if (x.size(0) > 0 && y.size(0) > 0) {
    if (x.scalar_type() == at::kDouble) {
      count_balls<double>(x, y, x_threshold, y_threshold, realism_weight, y_in_x, x_hits, x_in_y, realism);
    } else {
      count_balls<float>(x, y, x_threshold, y_threshold, realism_weight, y_in_x, x_hits, x_in_y, realism);
    }
  }
  // The CUDA pass counts every pair anyway; "any" is the count's sign.
  if (x_in_y_any) x_in_y.clamp_max_(1);
  return {y_in_x, x_hits, x_in_y, realism};
}

}  // namespace
}  // namespace fastgan::cuda

TORCH_LIBRARY_IMPL(fastgan, CUDA, m) {
  m.impl("ball_counts", &fastgan::cuda::ball_counts_cuda);
}
