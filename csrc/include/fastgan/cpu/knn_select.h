// Exact k-nearest-neighbour selection on top of approximate (GEMM) distances.
//
// Each query keeps a bounded max-heap of its `capacity` = k + extra best
// candidates by approximate d^2, together with the smallest lower bound
// (approx - error) of everything it rejected. At the end the candidates that
// can still be among the k nearest are recomputed exactly; if some rejected
// point could beat the exact k-th distance, the query falls back to an exact
// scan of every reference. The result is therefore exact whatever the GEMM's
// rounding, and the fallback only runs for pathological near-ties.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "fastgan/cpu/distance_tiles.h"
#include "fastgan/cpu/tile_engine.h"

namespace fastgan::cpu {

struct Candidate {
  double approx;  // GEMM-form d^2
  double lower;   // approx - error bound: the exact d^2 is at least this
  int64_t index;
};

// Larger approx first (max-heap); among equal distances the larger index is
// "worse", so ties keep the lower index.
inline bool worse(const Candidate& a, const Candidate& b) {
  return a.approx > b.approx || (a.approx == b.approx && a.index > b.index);
}

// Per-query candidate heaps stored in one flat array [queries, capacity].
class CandidateHeaps {
 public:
  CandidateHeaps(int64_t queries, int64_t capacity)
      : capacity_(capacity),
        slots_(static_cast<size_t>(queries * capacity)),
        sizes_(static_cast<size_t>(queries), 0),
        rejected_lower_(static_cast<size_t>(queries), std::numeric_limits<double>::infinity()) {}

  // Offer reference `index` to query `q`. Not thread-safe for the same q.
  inline void offer(int64_t q, double approx, double lower, int64_t index) {
    Candidate* heap = slots_.data() + q * capacity_;
    int64_t& size = sizes_[q];
    const Candidate incoming{approx, lower, index};
    if (size < capacity_) {
      heap[size] = incoming;
      std::push_heap(heap, heap + size + 1, worse_first);
      ++size;
      return;
    }
    if (worse(heap[0], incoming)) {
      reject(q, heap[0].lower);
      std::pop_heap(heap, heap + size, worse_first);
      heap[size - 1] = incoming;
      std::push_heap(heap, heap + size, worse_first);
    } else {
      reject(q, lower);
    }
  }

  inline double worst_approx(int64_t q) const {
    return sizes_[q] < capacity_ ? std::numeric_limits<double>::infinity()
                                 : slots_[q * capacity_].approx;
  }
  inline void reject(int64_t q, double lower) {
    if (lower < rejected_lower_[q]) rejected_lower_[q] = lower;
  }
  const Candidate* candidates(int64_t q) const { return slots_.data() + q * capacity_; }
  int64_t size(int64_t q) const { return sizes_[q]; }
  double rejected_lower(int64_t q) const { return rejected_lower_[q]; }

 private:
  static bool worse_first(const Candidate& a, const Candidate& b) { return worse(b, a); }
  int64_t capacity_;
  std::vector<Candidate> slots_;
  std::vector<int64_t> sizes_;
  std::vector<double> rejected_lower_;
};

// Offer every pair of one Gram tile to the heaps. Rows are queries; with
// `symmetric`, columns are queries too (a tile of a set against itself serves both
// sides). `skip_self` drops pairs with equal global indices, where a query's global
// index is query_ids[row] when given (a pass over some rows of the reference set),
// else its row. `scratch` holds 4 * t.cols doubles.
//
// Most pairs are rejected; each query's current worst kept distance and smallest
// rejected bound are cached in locals (a stale worst is only ever too large, which
// sends a pair to the heap's own exact comparison), so a rejection costs two compares.
template <typename scalar_t>
inline void offer_tile(CandidateHeaps& heaps, const GramTile<scalar_t>& t, bool skip_self,
                       bool symmetric, const int64_t* query_ids, double* scratch) {
  constexpr double kNone = std::numeric_limits<double>::infinity();
  double* approx = scratch;
  double* lower = scratch + t.cols;
  double* col_worst = scratch + 2 * t.cols;
  double* col_rejected = scratch + 3 * t.cols;
  if (symmetric) {
    for (int64_t j = 0; j < t.cols; ++j) {
      col_worst[j] = heaps.worst_approx(t.c0 + j);
      col_rejected[j] = kNone;
    }
  }
  for (int64_t i = 0; i < t.rows; ++i) {
    // The row's distances and bounds first, branch-free (vectorised), then the offers.
    for (int64_t j = 0; j < t.cols; ++j) {
      approx[j] = t.approx(i, j);
      lower[j] = approx[j] - t.error(i, j);
    }
    const int64_t row = t.r0 + i;
    const int64_t self = query_ids != nullptr ? query_ids[row] : row;
    double row_worst = heaps.worst_approx(row), row_rejected = kNone;
    for (int64_t j = 0; j < t.cols; ++j) {
      const int64_t col = t.c0 + j;
      if (skip_self && self == col) continue;
      if (approx[j] <= row_worst) {
        heaps.offer(row, approx[j], lower[j], col);
        row_worst = heaps.worst_approx(row);
      } else if (lower[j] < row_rejected) {
        row_rejected = lower[j];
      }
      if (!symmetric) continue;
      if (approx[j] <= col_worst[j]) {
        heaps.offer(col, approx[j], lower[j], row);
        col_worst[j] = heaps.worst_approx(col);
      } else if (lower[j] < col_rejected[j]) {
        col_rejected[j] = lower[j];
      }
    }
    heaps.reject(row, row_rejected);
  }
  if (symmetric) {
    for (int64_t j = 0; j < t.cols; ++j) heaps.reject(t.c0 + j, col_rejected[j]);
  }
}

// Exact k nearest of query q from its candidates (or, with `allow_scan`, an exact
// scan when the candidates cannot prove it). Writes k squared distances (ascending,
// float64) and indices; returns false, writing nothing, when unproven without a scan.
// `query_row` is the query's original row; `refs` the original reference rows
// [m, d]; `self_index` is excluded (-1 for none).
template <typename scalar_t>
bool finalize_query(const CandidateHeaps& heaps, int64_t q, int64_t k, const scalar_t* query_row,
                    const scalar_t* refs, int64_t m, int64_t d, int64_t self_index,
                    double* out_d2, int64_t* out_index, std::vector<std::pair<double, int64_t>>& scratch,
                    bool allow_scan = true) {
  const Candidate* cands = heaps.candidates(q);
  const int64_t size = heaps.size(q);
  // Upper bound on the exact k-th distance: the k-th smallest approx + error.
  scratch.clear();
  for (int64_t c = 0; c < size; ++c) {
    scratch.emplace_back(2.0 * cands[c].approx - cands[c].lower, cands[c].index);
  }
  std::nth_element(scratch.begin(), scratch.begin() + (k - 1), scratch.end());
  const double upper_kth = scratch[k - 1].first;
  double rejected_lower = heaps.rejected_lower(q);
  scratch.clear();
  for (int64_t c = 0; c < size; ++c) {
    if (cands[c].lower <= upper_kth) {
      scratch.emplace_back(direct_squared_distance(query_row, refs + cands[c].index * d, d),
                           cands[c].index);
    } else if (cands[c].lower < rejected_lower) {
      rejected_lower = cands[c].lower;
    }
  }
  std::sort(scratch.begin(), scratch.end());
  const bool proven = static_cast<int64_t>(scratch.size()) >= k && rejected_lower >= scratch[k - 1].first;
  if (!proven && !allow_scan) return false;
  if (!proven) {
    // Near-ties beyond the candidate list: settle them with an exact scan.
    scratch.clear();
    for (int64_t j = 0; j < m; ++j) {
      if (j == self_index) continue;
      scratch.emplace_back(direct_squared_distance(query_row, refs + j * d, d), j);
    }
    std::partial_sort(scratch.begin(), scratch.begin() + k, scratch.end());
  }
  for (int64_t c = 0; c < k; ++c) {
    out_d2[c] = scratch[c].first;
    out_index[c] = scratch[c].second;
  }
  return true;
}

}  // namespace fastgan::cpu
