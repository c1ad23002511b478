// CPU kernels of fastgan::knn and fastgan::knn_self: tiled GEMM distances with a
// fused bounded-heap selection and exact re-ranking (see knn_select.h), on the
// shared tile engine (tile_engine.h).
#include <torch/library.h>

#include <algorithm>

#include "fastgan/checks.h"
#include "fastgan/cpu/distance_tiles.h"
#include "fastgan/cpu/knn_select.h"
#include "fastgan/cpu/tile_engine.h"

namespace fastgan::cpu {
namespace {

constexpr int64_t kPreferredTile = 256;

void check_k(int64_t k, int64_t extra, int64_t available, const char* what) {
  TORCH_CHECK(k >= 1, "fastgan: k must be >= 1, got ", k);
  TORCH_CHECK(extra >= 0, "fastgan: extra candidates must be >= 0, got ", extra);
  TORCH_CHECK(k <= available, "fastgan: k=", k, " but only ", available, " ", what,
              " available; use a smaller k or more samples");
}

template <typename scalar_t>
void finalize_all(const CandidateHeaps& heaps, const DistanceOperands& ops, int64_t k,
                  bool exclude_self, at::Tensor& d2, at::Tensor& index) {
  const int64_t n = ops.x.size(0), m = ops.y.size(0), d = ops.x.size(1);
  const scalar_t* x = ops.x.data_ptr<scalar_t>();
  const scalar_t* y = ops.y.data_ptr<scalar_t>();
  double* out_d2 = d2.data_ptr<double>();
  int64_t* out_index = index.data_ptr<int64_t>();
  at::parallel_for(0, n, 16, [&](int64_t begin, int64_t end) {
    std::vector<std::pair<double, int64_t>> scratch;
    for (int64_t q = begin; q < end; ++q) {
      finalize_query(heaps, q, k, x + q * d, y, m, d, exclude_self ? q : -1, out_d2 + q * k,
                     out_index + q * k, scratch);
    }
  });
}

// Tile handler of the k-NN passes: every pair of a tile is offered to the query
// heaps of its row (and, for mirrored tiles of a set against itself, of its column).
template <typename scalar_t>
struct KnnHandler {
  struct State {};
  CandidateHeaps& heaps;
  State make_state() const { return {}; }
  void tile(State&, const GramTile<scalar_t>& t) {
    offer_tile(heaps, t.gram, t.r0, t.rows, t.c0, t.cols, t.x_norms, t.y_norms, t.coefficient,
               t.diagonal, t.mirrored);
  }
  void merge(State&) {}
};

template <typename scalar_t>
void knn_cross(const at::Tensor& query, const at::Tensor& ref, int64_t k, int64_t extra,
               at::Tensor& d2, at::Tensor& index) {
  const DistanceOperands ops = prepare_distance_operands<scalar_t>(query, ref);
  const int64_t n = query.size(0), m = ref.size(0);
  CandidateHeaps heaps(n, std::min(m, k + extra));
  KnnHandler<scalar_t> handler{heaps};
  // Rows are queries: a thread owns its row tiles' heaps.
  for_each_tile<scalar_t>(ops, balanced_tile_rows(n, kPreferredTile),
                          std::min<int64_t>(m, 4 * kPreferredTile), Ownership::Rows, handler);
  finalize_all<scalar_t>(heaps, ops, k, false, d2, index);
}

template <typename scalar_t>
void knn_self_kernel(const at::Tensor& x, int64_t k, int64_t extra, at::Tensor& d2,
                     at::Tensor& index) {
  const DistanceOperands ops = prepare_self_operands<scalar_t>(x);
  CandidateHeaps heaps(x.size(0), std::min(x.size(0) - 1, k + extra));
  KnnHandler<scalar_t> handler{heaps};
  // One Gram block serves both tiles' queries (symmetry).
  for_each_self_tile<scalar_t>(ops, kPreferredTile, true, handler);
  finalize_all<scalar_t>(heaps, ops, k, true, d2, index);
}

std::tuple<at::Tensor, at::Tensor> knn_cpu(const at::Tensor& query, const at::Tensor& ref,
                                           int64_t k, int64_t extra) {
  check_feature_pair(query, "query", ref, "ref");
  check_k(k, extra, ref.size(0), "reference points");
  at::Tensor d2 = at::empty({query.size(0), k}, query.options().dtype(at::kDouble));
  at::Tensor index = at::empty({query.size(0), k}, query.options().dtype(at::kLong));
  if (query.size(0) == 0) return {d2, index};
  if (query.scalar_type() == at::kDouble) {
    knn_cross<double>(query, ref, k, extra, d2, index);
  } else {
    knn_cross<float>(query, ref, k, extra, d2, index);
  }
  return {d2, index};
}

std::tuple<at::Tensor, at::Tensor> knn_self_cpu(const at::Tensor& x, int64_t k, int64_t extra) {
  check_feature_matrix(x, "x");
  check_k(k, extra, x.size(0) - 1, "other points (the point itself is excluded)");
  at::Tensor d2 = at::empty({x.size(0), k}, x.options().dtype(at::kDouble));
  at::Tensor index = at::empty({x.size(0), k}, x.options().dtype(at::kLong));
  if (x.scalar_type() == at::kDouble) {
    knn_self_kernel<double>(x, k, extra, d2, index);
  } else {
    knn_self_kernel<float>(x, k, extra, d2, index);
  }
  return {d2, index};
}

}  // namespace
}  // namespace fastgan::cpu

TORCH_LIBRARY_IMPL(fastgan, CPU, m) {
  m.impl("knn", &fastgan::cpu::knn_cpu);
  m.impl("knn_self", &fastgan::cpu::knn_self_cpu);
}
