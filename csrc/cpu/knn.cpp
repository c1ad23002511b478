// CPU kernels of fastgan::knn and fastgan::knn_self: tiled GEMM distances with a
// fused bounded-heap selection and exact re-ranking (see knn_select.h), on the
// shared tile engine (tile_engine.h). Large float32 problems find candidates in
// bfloat16 tiles (candidate_precision.h); the queries those cannot prove get a
// float32 pass, and every reported distance and index stays exact.
#include <torch/library.h>

#include <algorithm>
#include <vector>

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

// Candidates beyond k + extra kept when they come from bfloat16 tiles, whose wider
// band needs more of them to prove the k-th neighbour.
constexpr int64_t kBFloat16ExtraCandidates = 16;

int64_t heap_capacity(const DistanceOperands& ops, int64_t k, int64_t extra, int64_t available) {
  return std::min(available, k + extra + (ops.low_precision() ? kBFloat16ExtraCandidates : 0));
}

// Finalises every query of a pass whose query rows are `queries` [q, d] (global
// rows `query_ids`, or 0..q-1 when null) against the references of `ops`, writing
// row query_ids[r] of d2/index. With `allow_scan` false, unproven queries are
// returned (in increasing order) instead of scanned.
template <typename scalar_t>
std::vector<int64_t> finalize_all(const CandidateHeaps& heaps, const at::Tensor& queries,
                                  const int64_t* query_ids, const DistanceOperands& ops, int64_t k,
                                  bool exclude_self, bool allow_scan, at::Tensor& d2,
                                  at::Tensor& index) {
  const int64_t q_rows = queries.size(0), m = ops.y.size(0), d = ops.y.size(1);
  const scalar_t* x = queries.data_ptr<scalar_t>();
  const scalar_t* y = ops.y.data_ptr<scalar_t>();
  double* out_d2 = d2.data_ptr<double>();
  int64_t* out_index = index.data_ptr<int64_t>();
  std::vector<char> proven(static_cast<size_t>(q_rows), 1);
  at::parallel_for(0, q_rows, 16, [&](int64_t begin, int64_t end) {
    std::vector<std::pair<double, int64_t>> scratch;
    for (int64_t r = begin; r < end; ++r) {
      const int64_t q = query_ids != nullptr ? query_ids[r] : r;
      proven[r] = finalize_query(heaps, r, k, x + r * d, y, m, d, exclude_self ? q : -1,
                                 out_d2 + q * k, out_index + q * k, scratch, allow_scan);
    }
  });
  std::vector<int64_t> unproven;
  for (int64_t r = 0; r < q_rows; ++r) {
    if (!proven[r]) unproven.push_back(query_ids != nullptr ? query_ids[r] : r);
  }
  return unproven;
}

// Tile handler of the k-NN passes: every pair of a tile is offered to the query
// heaps of its row (and, for mirrored tiles of a set against itself, of its column).
template <typename scalar_t>
struct KnnHandler {
  struct State {
    std::vector<double> scratch;
  };
  CandidateHeaps& heaps;
  bool skip_self = false;              // a cross pass over rows of the reference set
  const int64_t* query_ids = nullptr;  // those rows' indices in the reference set
  State make_state() const { return {}; }
  void tile(State& state, const GramTile<scalar_t>& t) {
    state.scratch.resize(static_cast<size_t>(4 * t.cols));
    offer_tile(heaps, t, t.diagonal || skip_self, t.mirrored, query_ids, state.scratch.data());
  }
  void merge(State&) {}
};

// Cross pass of the query rows of `ops` against its references; rows query_ids (or
// 0..q-1) of d2/index are written. Returns the unproven queries (none with `allow_scan`).
template <typename scalar_t>
std::vector<int64_t> cross_pass(const DistanceOperands& ops, const int64_t* query_ids, int64_t k,
                                int64_t extra, bool exclude_self, bool allow_scan, at::Tensor& d2,
                                at::Tensor& index) {
  const int64_t n = ops.x.size(0), m = ops.y.size(0);
  CandidateHeaps heaps(n, heap_capacity(ops, k, extra, exclude_self ? m - 1 : m));
  KnnHandler<scalar_t> handler{heaps, exclude_self, query_ids};
  // Rows are queries: a thread owns its row tiles' heaps.
  for_each_tile<scalar_t>(ops, balanced_tile_rows(n, kPreferredTile),
                          std::min<int64_t>(m, 4 * kPreferredTile), Ownership::Rows, handler);
  return finalize_all<scalar_t>(heaps, ops.x, query_ids, ops, k, exclude_self, allow_scan, d2, index);
}

// The queries a bfloat16 pass could not prove get a float32 pass of their own
// (cheaper than an exact scan each: it is still GEMM work).
template <typename scalar_t>
void refine_unproven(const std::vector<int64_t>& unproven, const at::Tensor& queries,
                     const at::Tensor& ref, int64_t k, int64_t extra, bool exclude_self,
                     at::Tensor& d2, at::Tensor& index) {
  if (unproven.empty()) return;
  const at::Tensor ids = at::tensor(unproven, queries.options().dtype(at::kLong));
  const DistanceOperands ops =
      prepare_distance_operands<scalar_t>(queries.index_select(0, ids).contiguous(), ref);
  cross_pass<scalar_t>(ops, ids.data_ptr<int64_t>(), k, extra, exclude_self, true, d2, index);
}

template <typename scalar_t>
void knn_cross(const at::Tensor& query, const at::Tensor& ref, int64_t k, int64_t extra,
               at::Tensor& d2, at::Tensor& index) {
  const DistanceOperands ops = prepare_distance_operands<scalar_t>(query, ref, /*allow_low=*/true);
  const auto unproven =
      cross_pass<scalar_t>(ops, nullptr, k, extra, false, !ops.low_precision(), d2, index);
  refine_unproven<scalar_t>(unproven, ops.x, ops.y, k, extra, false, d2, index);
}

// One self pass over x (both sides of a mirrored tile offered at once); with
// `allow_low` it may take bfloat16 tiles and then returns the unproven queries.
template <typename scalar_t>
std::vector<int64_t> self_pass(const at::Tensor& x, int64_t k, int64_t extra, bool allow_low,
                               at::Tensor& d2, at::Tensor& index) {
  const DistanceOperands ops = prepare_self_operands<scalar_t>(x, allow_low);
  CandidateHeaps heaps(x.size(0), heap_capacity(ops, k, extra, x.size(0) - 1));
  KnnHandler<scalar_t> handler{heaps};
  // One Gram block serves both tiles' queries (symmetry).
  for_each_self_tile<scalar_t>(ops, kPreferredTile, true, handler);
  return finalize_all<scalar_t>(heaps, ops.x, nullptr, ops, k, true, !ops.low_precision(), d2, index);
}

template <typename scalar_t>
void knn_self_kernel(const at::Tensor& x, int64_t k, int64_t extra, at::Tensor& d2,
                     at::Tensor& index) {
  const at::Tensor rows = x.contiguous();
  const auto unproven = self_pass<scalar_t>(rows, k, extra, true, d2, index);
  // A float32 cross pass over the unproven rows costs twice their share of a float32
  // self pass (it has no symmetry to use): past half the rows, redo the self pass.
  if (2 * static_cast<int64_t>(unproven.size()) > rows.size(0)) {
    self_pass<scalar_t>(rows, k, extra, false, d2, index);
  } else {
    refine_unproven<scalar_t>(unproven, rows, rows, k, extra, true, d2, index);
  }
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
