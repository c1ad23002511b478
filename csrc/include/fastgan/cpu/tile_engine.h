// The one blocked distance loop of the CPU kernels (knn, knn_self, ball_counts,
// kernel_sum). It walks (x tile, y tile) pairs, computes each Gram tile of the
// centred operands with one GEMM, and hands it to a per-tile handler that decides
// what is kept (k smallest, threshold counts, kernel sums). The exactness
// machinery the handlers share lives in GramTile: the approximate d^2 of a pair and
// its proven rounding bound (error_bounds.h); pairs within the bound of a decision
// are re-checked with direct_squared_distance (exact_distance.h).
//
// A handler is any type with
//   struct State;                      per-thread scratch (may be empty)
//   State make_state() const;          one per worker thread, made lazily
//   void tile(State&, GramTile<scalar_t>&);   called once per tile (may escalate() it)
//   void merge(State&);                called serially for every state after the loop
// Tiles of one owner tile (a row tile with Ownership::Rows, a column tile with
// Ownership::Columns) are only ever handled by one thread, in increasing order of
// the other index, so per-owner outputs need no locks and sums have a fixed order.
#pragma once

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "fastgan/cpu/distance_tiles.h"
#include "fastgan/error_bounds.h"

namespace fastgan::cpu {

enum class Ownership { Rows, Columns };

// One Gram tile: gram[i * cols + j] = xc[r0 + i] . yc[c0 + j], possibly from the
// bfloat16 candidate pass (low); a handler that finds its band too wide to pay for
// calls escalate() to have the same tile in float32 before it goes on.
template <typename scalar_t>
struct GramTile {
  const scalar_t* gram;
  int64_t r0, rows, c0, cols;
  int64_t owner;  // index of the owning tile (row tile or column tile)
  bool diagonal;  // a set against itself, r0 == c0: both orders of every pair are in the tile
  bool mirrored;  // a set against itself, off the diagonal: (i, j) also stands for (j, i)
  const double* x_norms;  // float64 squared norms of the centred rows
  const double* y_norms;
  double coefficient;  // rounding bound per unit of |x|^2 + |y|^2 (all but the
                       // bfloat16 dot product, when pair_bound is set)
  const BFloat16PairBound* pair_bound;  // the bfloat16 tile's dot-product bound, or null
  const DistanceOperands* ops;
  at::Tensor* buffer;

  bool low() const { return pair_bound != nullptr; }
  double norm_sum(int64_t i, int64_t j) const { return x_norms[r0 + i] + y_norms[c0 + j]; }
  // GEMM-form squared distance of local pair (i, j); |approx - exact| <= error(i, j).
  double approx(int64_t i, int64_t j) const {
    return norm_sum(i, j) - 2.0 * static_cast<double>(gram[i * cols + j]);
  }
  double error(int64_t i, int64_t j) const {
    const double shared = coefficient * norm_sum(i, j);
    if (pair_bound == nullptr) return shared;
    return shared + pair_bound->error(r0 + i, c0 + j, static_cast<double>(gram[i * cols + j]));
  }

  // Recomputes a bfloat16 tile in float32 (approx and error change, decisions made
  // so far stay exact); false when the tile is float32 already.
  bool escalate() {
    if (!low()) return false;
    gram = gram_tile<scalar_t>(*ops, r0, rows, c0, cols, *buffer, true);
    coefficient = tile_error_coefficient<scalar_t>(*ops, true);
    pair_bound = nullptr;
    return true;
  }
};

// Per-thread handler states, made on first use by each worker.
template <typename State>
class ThreadStates {
 public:
  explicit ThreadStates(int64_t threads) : states_(static_cast<size_t>(threads)) {}
  template <typename Make>
  State& get(Make&& make) {
    std::optional<State>& slot = states_[static_cast<size_t>(at::get_thread_num())];
    if (!slot) slot.emplace(make());
    return *slot;
  }
  template <typename Merge>
  void merge_all(Merge&& merge) {
    for (auto& slot : states_)
      if (slot) merge(*slot);
  }

 private:
  std::vector<std::optional<State>> states_;
};

// Cross pass: every (x tile, y tile) pair once. Threads split the owner side's tiles.
// With bfloat16 operands, an owner's tile that the handler escalated predicts its
// neighbours: the owner's remaining tiles are computed in float32 straight away, so a
// pass never costs much more than a float32 one.
template <typename scalar_t, typename Handler>
void for_each_tile(const DistanceOperands& ops, int64_t tile_rows, int64_t tile_cols,
                   Ownership owner, Handler& handler) {
  const int64_t n = ops.x.size(0), m = ops.y.size(0);
  if (n == 0 || m == 0) return;
  const double low_coefficient = tile_error_coefficient<scalar_t>(ops, false);
  const double precise_coefficient = tile_error_coefficient<scalar_t>(ops, true);
  const double* xn = ops.x_norms.data_ptr<double>();
  const double* yn = ops.y_norms.data_ptr<double>();
  const int64_t row_tiles = (n + tile_rows - 1) / tile_rows;
  const int64_t col_tiles = (m + tile_cols - 1) / tile_cols;
  const bool by_rows = owner == Ownership::Rows;
  ThreadStates<typename Handler::State> states(std::max<int64_t>(1, at::get_num_threads()));
  at::parallel_for(0, by_rows ? row_tiles : col_tiles, 1, [&](int64_t begin, int64_t end) {
    auto& state = states.get([&] { return handler.make_state(); });
    at::Tensor buffer = at::empty({tile_rows * tile_cols}, ops.x_centred.options());
    for (int64_t own = begin; own < end; ++own) {
      bool low = ops.low_precision();
      for (int64_t other = 0; other < (by_rows ? col_tiles : row_tiles); ++other) {
        const int64_t r0 = (by_rows ? own : other) * tile_rows;
        const int64_t c0 = (by_rows ? other : own) * tile_cols;
        const int64_t rows = std::min(tile_rows, n - r0), cols = std::min(tile_cols, m - c0);
        GramTile<scalar_t> tile{gram_tile<scalar_t>(ops, r0, rows, c0, cols, buffer, !low),
                                r0, rows, c0, cols, own, false, false, xn, yn,
                                low ? low_coefficient : precise_coefficient,
                                low ? &ops.bound : nullptr, &ops, &buffer};
        handler.tile(state, tile);
        low = low && tile.low();
      }
    }
  });
  states.merge_all([&](auto& state) { handler.merge(state); });
}

// Round-robin schedule over tile pairs: in each round every tile appears in at
// most one pair, so a pair's work may update the outputs of both of its tiles
// without locks. Returns, per round, the (a, b) pairs with a < b.
inline std::vector<std::vector<std::pair<int64_t, int64_t>>> round_robin_pairs(int64_t tiles) {
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

// Self pass over a set against itself (ops from prepare_self_operands): each
// diagonal tile once (diagonal = true), then each off-diagonal pair of tiles once
// (mirrored = true, owner = the row tile), so half the GEMM work of a cross pass.
// In every parallel step a tile belongs to one pair, so a handler may update the
// outputs of both tiles of its pair. With `balance_threads` the tile shrinks (down to
// 32 rows) until every thread has pairs in each round; without, tiles are
// `preferred_tile` rows whatever the thread count (sums then do not depend on it).
template <typename scalar_t, typename Handler>
void for_each_self_tile(const DistanceOperands& ops, int64_t preferred_tile, bool balance_threads,
                        Handler& handler) {
  const int64_t n = ops.x.size(0);
  if (n == 0) return;
  const double coefficient = tile_error_coefficient<scalar_t>(ops, false);
  const bool low = ops.low_precision();
  const double* norms = ops.x_norms.data_ptr<double>();
  const int64_t threads = std::max<int64_t>(1, at::get_num_threads());
  const int64_t tile = balance_threads ? std::clamp<int64_t>(n / (4 * threads), 32, preferred_tile)
                                       : preferred_tile;
  const int64_t tiles = (n + tile - 1) / tile;
  auto size_of = [&](int64_t t) { return std::min(tile, n - t * tile); };
  ThreadStates<typename Handler::State> states(threads);
  auto run = [&](int64_t a, int64_t b, at::Tensor& buffer) {
    auto& state = states.get([&] { return handler.make_state(); });
    const int64_t r0 = a * tile, rows = size_of(a), c0 = b * tile, cols = size_of(b);
    GramTile<scalar_t> view{gram_tile<scalar_t>(ops, r0, rows, c0, cols, buffer, !low),
                            r0, rows, c0, cols, a, a == b, a != b, norms, norms, coefficient,
                            low ? &ops.bound : nullptr, &ops, &buffer};
    handler.tile(state, view);
  };
  at::parallel_for(0, tiles, 1, [&](int64_t begin, int64_t end) {
    at::Tensor buffer = at::empty({tile * tile}, ops.x_centred.options());
    for (int64_t t = begin; t < end; ++t) run(t, t, buffer);
  });
  for (const auto& pairs : round_robin_pairs(tiles)) {
    at::parallel_for(0, static_cast<int64_t>(pairs.size()), 1, [&](int64_t begin, int64_t end) {
      at::Tensor buffer = at::empty({tile * tile}, ops.x_centred.options());
      for (int64_t p = begin; p < end; ++p) run(pairs[p].first, pairs[p].second, buffer);
    });
  }
  states.merge_all([&](auto& state) { handler.merge(state); });
}

}  // namespace fastgan::cpu
