// CPU kernels of fastgan::knn and fastgan::knn_self: tiled GEMM distances with a
// fused bounded-heap selection and exact re-ranking (see knn_select.h).
#include <torch/library.h>

#include <algorithm>

#include "fastgan/checks.h"
#include "fastgan/cpu/distance_tiles.h"
#include "fastgan/cpu/knn_select.h"

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

template <typename scalar_t>
void knn_cross(const at::Tensor& query, const at::Tensor& ref, int64_t k, int64_t extra,
               at::Tensor& d2, at::Tensor& index) {
  const DistanceOperands ops = prepare_distance_operands<scalar_t>(query, ref);
  const int64_t n = query.size(0), m = ref.size(0), d = query.size(1);
  const int64_t capacity = std::min(m, k + extra);
  CandidateHeaps heaps(n, capacity);
  const double coefficient = gemm_error_coefficient<scalar_t>(d);
  const double* xn = ops.x_norms.data_ptr<double>();
  const double* yn = ops.y_norms.data_ptr<double>();
  const int64_t tile_rows = balanced_tile_rows(n, kPreferredTile);
  const int64_t tile_cols = std::min<int64_t>(m, 4 * kPreferredTile);
  const int64_t row_tiles = (n + tile_rows - 1) / tile_rows;
  at::parallel_for(0, row_tiles, 1, [&](int64_t begin, int64_t end) {
    at::Tensor buffer = at::empty({tile_rows * tile_cols}, ops.x_centred.options());
    for (int64_t tile = begin; tile < end; ++tile) {
      const int64_t r0 = tile * tile_rows, rows = std::min(tile_rows, n - r0);
      for (int64_t c0 = 0; c0 < m; c0 += tile_cols) {
        const int64_t cols = std::min(tile_cols, m - c0);
        const scalar_t* gram = gram_tile<scalar_t>(ops, r0, rows, c0, cols, buffer);
        offer_tile(heaps, gram, r0, rows, c0, cols, xn, yn, coefficient, false, false);
      }
    }
  });
  finalize_all<scalar_t>(heaps, ops, k, false, d2, index);
}

// Round-robin schedule over tile pairs: in each round every tile appears in at
// most one pair, so a pair's work may update the heaps of both of its tiles
// without locks. Returns, per round, the (a, b) pairs with a < b.
std::vector<std::vector<std::pair<int64_t, int64_t>>> round_robin_pairs(int64_t tiles) {
  const int64_t slots = tiles + (tiles % 2);  // an odd count gets a resting slot
  std::vector<std::vector<std::pair<int64_t, int64_t>>> rounds;
  for (int64_t r = 0; r + 1 < slots; ++r) {
    std::vector<std::pair<int64_t, int64_t>> pairs;
    for (int64_t s = 0; s < slots / 2; ++s) {
      const int64_t a = s == 0 ? slots - 1 : (r + s) % (slots - 1);
      const int64_t b = (r - s + (slots - 1)) % (slots - 1);
      if (a < tiles && b < tiles) pairs.emplace_back(std::min(a, b), std::max(a, b));
    }
    rounds.push_back(std::move(pairs));
  }
  return rounds;
}

template <typename scalar_t>
void knn_self_kernel(const at::Tensor& x, int64_t k, int64_t extra, at::Tensor& d2,
                     at::Tensor& index) {
  const DistanceOperands ops = prepare_self_operands<scalar_t>(x);
  const int64_t n = x.size(0), d = x.size(1);
  const int64_t capacity = std::min(n - 1, k + extra);
  CandidateHeaps heaps(n, capacity);
  const double coefficient = gemm_error_coefficient<scalar_t>(d);
  const double* norms = ops.x_norms.data_ptr<double>();
  const int64_t threads = std::max<int64_t>(1, at::get_num_threads());
  // Enough tiles for every thread to have pairs in each round.
  const int64_t tile = std::clamp<int64_t>(n / (4 * threads), 32, kPreferredTile);
  const int64_t tiles = (n + tile - 1) / tile;
  auto tile_rows = [&](int64_t t) { return std::min(tile, n - t * tile); };

  // Diagonal tiles: one Gram block each, both orders of every pair inside it.
  at::parallel_for(0, tiles, 1, [&](int64_t begin, int64_t end) {
    at::Tensor buffer = at::empty({tile * tile}, ops.x_centred.options());
    for (int64_t t = begin; t < end; ++t) {
      const int64_t r0 = t * tile, rows = tile_rows(t);
      const scalar_t* gram = gram_tile<scalar_t>(ops, r0, rows, r0, rows, buffer);
      offer_tile(heaps, gram, r0, rows, r0, rows, norms, norms, coefficient, true, false);
    }
  });
  // Off-diagonal tiles: one Gram block serves both tiles' queries (symmetry).
  for (const auto& pairs : round_robin_pairs(tiles)) {
    at::parallel_for(0, static_cast<int64_t>(pairs.size()), 1, [&](int64_t begin, int64_t end) {
      at::Tensor buffer = at::empty({tile * tile}, ops.x_centred.options());
      for (int64_t p = begin; p < end; ++p) {
        const auto [a, b] = pairs[p];
        const int64_t r0 = a * tile, rows = tile_rows(a), c0 = b * tile, cols = tile_rows(b);
        const scalar_t* gram = gram_tile<scalar_t>(ops, r0, rows, c0, cols, buffer);
        offer_tile(heaps, gram, r0, rows, c0, cols, norms, norms, coefficient, false, true);
      }
    });
  }
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
