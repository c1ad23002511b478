// CUDA registration of fastgan::knn and fastgan::knn_self. The shared tile loop
// (fastgan/cuda/tile_loop.h) with the knn handler: per block of queries, the
// epilogue kernel on each Gram tile and a running top-(k + extra) by approximate
// d^2; then float64 re-ranking of the candidates and a float64 scan for the
// queries whose k-th neighbour the candidates cannot prove (see
// csrc/include/fastgan/cpu/knn_select.h).
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include <algorithm>
#include <limits>
#include <tuple>

#include "fastgan/checks.h"
#include "fastgan/cuda/operands.h"
#include "fastgan/cuda/tile_loop.h"
#include "fastgan/distance_tile.h"
#include "fastgan/error_bounds.h"
#include "fastgan/knn.h"

namespace fastgan::cuda {
namespace {

constexpr int64_t kQueryBlock = 4096;
constexpr int64_t kRefBlock = 16384;
constexpr int64_t kScanBytes = int64_t{512} << 20;

// (values, indices) ascending by value, equal values by lower index.
std::tuple<at::Tensor, at::Tensor> sort_by_value_then_index(const at::Tensor& values,
                                                            const at::Tensor& index) {
  const auto [sorted_index, by_index] = at::sort(index, 1);
  const at::Tensor values_by_index = values.gather(1, by_index);
  const auto [sorted_values, order] = at::sort(values_by_index, /*stable=*/true, 1, false);
  return {sorted_values, sorted_index.gather(1, order)};
}

template <typename scalar_t>
std::tuple<at::Tensor, at::Tensor> knn_kernel(const at::Tensor& query, const at::Tensor& ref,
                                              int64_t k, int64_t extra, bool self) {
  const Operands ops = prepare_operands<scalar_t>(query, ref, self);
  const int64_t n = ops.x.size(0), m = ops.y.size(0), d = ops.x.size(1);
  const int64_t available = self ? m - 1 : m;
  const int64_t capacity = std::min(available, k + extra);
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  // The GEMM bound of the tiles (error_bounds.h), plus one rounding of the approximate
  // d^2 stored back in scalar_t: |d^2| <= 2 (|x|^2 + |y|^2).
  const double coefficient = gemm_error_coefficient<scalar_t>(d) + 2.0 * unit_roundoff<scalar_t>();

  at::Tensor cand_values = at::empty({n, capacity}, ops.x.options());
  at::Tensor cand_index = at::empty({n, capacity}, ops.x.options().dtype(at::kLong));
  // Per block of queries, a running top-capacity by approximate d^2 over the ref tiles.
  at::Tensor best_values, best_index;
  for_each_gram_tile<scalar_t>(ops, kQueryBlock, kRefBlock, [&](const DistanceTile<scalar_t>& tile,
                                                                at::Tensor& gram) {
    C10_CUDA_CHECK(
        launch_knn_tile_epilogue<scalar_t>(tile, gram.data_ptr<scalar_t>(), self, stream));
    const int64_t take = std::min(capacity, tile.cols);
    auto [values, index] = at::topk(gram, take, 1, /*largest=*/false, /*sorted=*/true);
    index = index + tile.c0;
    if (tile.c0 > 0) {
      values = at::cat({best_values, values}, 1);
      index = at::cat({best_index, index}, 1);
      const auto [keep_values, keep] = at::topk(values, std::min(capacity, values.size(1)), 1,
                                                false, true);
      best_values = keep_values;
      best_index = index.gather(1, keep);
    } else {
      best_values = values;
      best_index = index;
    }
    if (tile.c0 + tile.cols < m) return;
    // A block of self-queries may have collected the +inf self entry when capacity
    // equals every other point; those slots are replaced by exact values below anyway.
    cand_values.narrow(0, tile.r0, tile.rows).copy_(best_values.narrow(1, 0, capacity));
    cand_index.narrow(0, tile.r0, tile.rows).copy_(best_index.narrow(1, 0, capacity));
  });

  // Exact float64 distances of the candidates, sorted (ties by index).
  at::Tensor exact = at::empty({n, capacity}, ops.x.options().dtype(at::kDouble));
  const ExactRows<scalar_t> sets{ops.x.data_ptr<scalar_t>(), ops.y.data_ptr<scalar_t>(), m, d};
  C10_CUDA_CHECK(launch_exact_candidate_distances<scalar_t>(
      sets, CandidateList{cand_index.data_ptr<int64_t>(), n, capacity}, exact.data_ptr<double>(),
      stream));
  auto [values, index] = sort_by_value_then_index(exact, cand_index);

  // Everything not kept has approx d^2 >= the largest kept approx; its exact d^2 is
  // at least that minus the largest error bound of the row.
  at::Tensor lower = at::full({n}, std::numeric_limits<double>::infinity(),
                              ops.x.options().dtype(at::kDouble));
  if (capacity < available) {
    const double max_ref_norm = ops.y_norms.max().item<double>();
    lower = std::get<0>(cand_values.to(at::kDouble).max(1)) -
            coefficient * (ops.x_norms + max_ref_norm);
  }
  const at::Tensor unproven = (lower < values.select(1, k - 1)).nonzero().flatten();
  const int64_t failed = unproven.size(0);
  const int64_t batch = std::max<int64_t>(1, kScanBytes / std::max<int64_t>(1, m * 8));
  for (int64_t b0 = 0; b0 < failed; b0 += batch) {
    const at::Tensor rows = unproven.narrow(0, b0, std::min(batch, failed - b0)).contiguous();
    at::Tensor scan = at::empty({rows.size(0), m}, ops.x.options().dtype(at::kDouble));
    C10_CUDA_CHECK(launch_exact_rows<scalar_t>(
        sets, RowScan{rows.data_ptr<int64_t>(), rows.size(0), self}, scan.data_ptr<double>(),
        stream));
    const auto [scan_values, scan_index] = at::sort(scan, /*stable=*/true, 1, false);
    values.index_put_({rows, at::indexing::Slice(0, k)}, scan_values.narrow(1, 0, k));
    index.index_put_({rows, at::indexing::Slice(0, k)}, scan_index.narrow(1, 0, k));
  }
  return {values.narrow(1, 0, k).contiguous(), index.narrow(1, 0, k).contiguous()};
}

void check_k(int64_t k, int64_t extra, int64_t available) {
  TORCH_CHECK(k >= 1, "fastgan: k must be >= 1, got ", k);
  TORCH_CHECK(extra >= 0, "fastgan: extra candidates must be >= 0, got ", extra);
  TORCH_CHECK(k <= available, "fastgan: k=", k, " but only ", available,
              " candidates available; use a smaller k or more samples");
}

std::tuple<at::Tensor, at::Tensor> knn_cuda(const at::Tensor& query, const at::Tensor& ref,
                                            int64_t k, int64_t extra) {
  check_feature_pair(query, "query", ref, "ref");
  check_k(k, extra, ref.size(0));
  const c10::cuda::CUDAGuard guard(query.device());
  if (query.size(0) == 0) {
    return {at::empty({0, k}, query.options().dtype(at::kDouble)),
            at::empty({0, k}, query.options().dtype(at::kLong))};
  }
  if (query.scalar_type() == at::kDouble) return knn_kernel<double>(query, ref, k, extra, false);
  return knn_kernel<float>(query, ref, k, extra, false);
}

std::tuple<at::Tensor, at::Tensor> knn_self_cuda(const at::Tensor& x, int64_t k, int64_t extra) {
  check_feature_matrix(x, "x");
  check_k(k, extra, x.size(0) - 1);
  const c10::cuda::CUDAGuard guard(x.device());
  if (x.scalar_type() == at::kDouble) return knn_kernel<double>(x, x, k, extra, true);
  return knn_kernel<float>(x, x, k, extra, true);
}

}  // namespace
}  // namespace fastgan::cuda

TORCH_LIBRARY_IMPL(fastgan, CUDA, m) {
  m.impl("knn", &fastgan::cuda::knn_cuda);
  m.impl("knn_self", &fastgan::cuda::knn_self_cuda);
}
