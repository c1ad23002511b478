// CPU kernel of fastgan::ball_counts: one tiled pass over the x-y pairs counts,
// for every y, the x-balls that contain it, and for every x, the y-points in its
// ball and the y-balls that contain it. Membership is strict (d^2 < threshold);
// pairs whose GEMM distance is within the rounding bound of a threshold are
// decided by an exact float64 recomputation, so counts never depend on rounding
// (nor on whether the tiles came from the bfloat16 candidate pass).
#include <torch/library.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "fastgan/checks.h"
#include "fastgan/cpu/distance_tiles.h"
#include "fastgan/cpu/tile_engine.h"

namespace fastgan::cpu {
namespace {

constexpr int64_t kTileRows = 256;   // x rows per Gram tile
constexpr int64_t kTileCols = 256;   // y rows per Gram tile
constexpr double kInfinity = std::numeric_limits<double>::infinity();

// -1: certainly outside, 1: certainly inside, 0: too close to call.
inline int classify(double approx, double error, double threshold) {
  if (approx + error < threshold) return 1;
  if (approx - error >= threshold) return -1;
  return 0;
}

struct BallOutputs {
  at::Tensor y_in_x;       // [M] int64: #x-balls containing y_j
  at::Tensor x_ball_hits;  // [N] int64: #y-points inside x-ball i
  at::Tensor x_in_y;       // [N] int64: #y-balls containing x_i (0 without y thresholds)
  at::Tensor realism;      // [M] float64: max_i weight_i / d^2_ij (empty unless asked)
};

// Tile handler of the ball pass. y tiles are owned by threads (their y-side counts
// are written directly); x-side counts are per thread and summed by merge().
template <typename scalar_t>
struct BallHandler {
  struct State {
    std::vector<int64_t> hits, in_y;
    std::vector<double> approx, error;  // one row of the tile
  };
  const scalar_t* xs;
  const scalar_t* ys;
  int64_t n, d;
  const double* xt;  // x-ball thresholds (strict)
  const double* yt;  // y-ball thresholds or null
  const double* w;   // realism weights or null
  bool x_in_y_any;   // x_in_y only needs to be > 0: skip x_i once a y-ball surely holds it
  int64_t* y_in_x;
  double* realism;
  int64_t* x_hits;
  int64_t* x_in_y;

  State make_state() const { return {std::vector<int64_t>(n, 0), std::vector<int64_t>(n, 0), {}, {}}; }

  void tile(State& state, GramTile<scalar_t>& t) {
    // A float32 tile costs about as much as rows * cols / 32 scalar float64 re-checks;
    // a bfloat16 tile that needs more than that goes on in float32.
    const int64_t recheck_budget = std::max<int64_t>(64, t.rows * t.cols / 32);
    int64_t rechecks = 0;
    state.approx.resize(static_cast<size_t>(t.cols));
    state.error.resize(static_cast<size_t>(t.cols));
    double* approx = state.approx.data();
    double* error = state.error.data();
    for (int64_t i = 0; i < t.rows; ++i) {
      if (rechecks > recheck_budget) t.escalate();
      // The row's distances and bounds first, branch-free (vectorised), then the decisions.
      for (int64_t j = 0; j < t.cols; ++j) {
        approx[j] = t.approx(i, j);
        error[j] = t.error(i, j);
      }
      const int64_t gi = t.r0 + i;
      const scalar_t* x_row = xs + gi * d;
      for (int64_t j = 0; j < t.cols; ++j) {
        const int64_t gj = t.c0 + j;
        double exact = -1.0;  // computed at most once per pair, when needed
        auto exact_d2 = [&]() {
          if (exact < 0.0) {
            exact = direct_squared_distance(x_row, ys + gj * d, d);
            ++rechecks;
          }
          return exact;
        };
        int inside = classify(approx[j], error[j], xt[gi]);
        if (inside == 0) inside = exact_d2() < xt[gi] ? 1 : -1;
        if (inside > 0) {
          ++y_in_x[gj];
          ++state.hits[gi];
        }
        if (yt != nullptr && !(x_in_y_any && state.in_y[gi] > 0)) {
          int in_other = classify(approx[j], error[j], yt[gj]);
          if (in_other == 0) in_other = exact_d2() < yt[gj] ? 1 : -1;
          if (in_other > 0) ++state.in_y[gi];
        }
        if (w != nullptr && w[gi] > 0.0) {
          // Only a pair that might beat the best so far is recomputed exactly,
          // so the maximum is exact (and independent of tiling) at little cost.
          const double low = approx[j] - error[j];
          const double best_possible = low > 0.0 ? w[gi] / low : kInfinity;
          if (best_possible > realism[gj]) {
            const double d2 = exact_d2();
            const double ratio = d2 > 0.0 ? w[gi] / d2 : kInfinity;
            if (ratio > realism[gj]) realism[gj] = ratio;
          }
        }
      }
    }
  }

  void merge(State& state) {
    for (int64_t i = 0; i < n; ++i) {
      x_hits[i] += state.hits[i];
      x_in_y[i] += state.in_y[i];
    }
  }
};

template <typename scalar_t>
void count_balls(const at::Tensor& x, const at::Tensor& y, const at::Tensor& x_threshold,
                 const std::optional<at::Tensor>& y_threshold,
                 const std::optional<at::Tensor>& realism_weight, bool x_in_y_any,
                 BallOutputs& out) {
  const DistanceOperands ops = prepare_distance_operands<scalar_t>(x, y, /*allow_low=*/true);
  const at::Tensor xt_c = x_threshold.contiguous();
  const at::Tensor yt_c = y_threshold ? y_threshold->contiguous() : at::Tensor();
  const at::Tensor w_c = realism_weight ? realism_weight->contiguous() : at::Tensor();
  BallHandler<scalar_t> handler{ops.x.data_ptr<scalar_t>(),
                                ops.y.data_ptr<scalar_t>(),
                                x.size(0),
                                x.size(1),
                                xt_c.data_ptr<double>(),
                                y_threshold ? yt_c.data_ptr<double>() : nullptr,
                                realism_weight ? w_c.data_ptr<double>() : nullptr,
                                x_in_y_any,
                                out.y_in_x.data_ptr<int64_t>(),
                                realism_weight ? out.realism.data_ptr<double>() : nullptr,
                                out.x_ball_hits.data_ptr<int64_t>(),
                                out.x_in_y.data_ptr<int64_t>()};
  for_each_tile<scalar_t>(ops, std::min<int64_t>(kTileRows, x.size(0)),
                          balanced_tile_rows(y.size(0), kTileCols), Ownership::Columns, handler);
}

void check_thresholds(const at::Tensor& t, int64_t rows, const char* name, const char* set) {
  TORCH_CHECK(t.dim() == 1 && t.size(0) == rows, "fastgan: ", name, " must have one entry per row of ",
              set, " (", rows, "), got shape ", t.sizes());
  TORCH_CHECK(t.scalar_type() == at::kDouble, "fastgan: ", name, " must be float64, got ",
              t.scalar_type());
  TORCH_CHECK(t.device().is_cpu(), "fastgan: ", name, " must be on the CPU like the features");
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> ball_counts_cpu(
    const at::Tensor& x, const at::Tensor& y, const at::Tensor& x_threshold,
    const std::optional<at::Tensor>& y_threshold, const std::optional<at::Tensor>& realism_weight,
    bool x_in_y_any) {
  check_feature_pair(x, "centers", y, "query");
  check_thresholds(x_threshold, x.size(0), "x_threshold", "centers");
  if (y_threshold) check_thresholds(*y_threshold, y.size(0), "y_threshold", "query");
  if (realism_weight) check_thresholds(*realism_weight, x.size(0), "realism_weight", "centers");
  const auto longs = x.options().dtype(at::kLong);
  BallOutputs out{at::zeros({y.size(0)}, longs), at::zeros({x.size(0)}, longs),
                  at::zeros({x.size(0)}, longs),
                  realism_weight ? at::zeros({y.size(0)}, x.options().dtype(at::kDouble))
                                 : at::empty({0}, x.options().dtype(at::kDouble))};
  if (x.size(0) > 0 && y.size(0) > 0) {
    if (x.scalar_type() == at::kDouble) {
      count_balls<double>(x, y, x_threshold, y_threshold, realism_weight, x_in_y_any, out);
    } else {
      count_balls<float>(x, y, x_threshold, y_threshold, realism_weight, x_in_y_any, out);
    }
  }
  // Per-thread flags were summed: back to 0/1, whatever the thread count.
  if (x_in_y_any) out.x_in_y.clamp_max_(1);
  return {out.y_in_x, out.x_ball_hits, out.x_in_y, out.realism};
}

}  // namespace
}  // namespace fastgan::cpu

TORCH_LIBRARY_IMPL(fastgan, CPU, m) {
  m.impl("ball_counts", &fastgan::cpu::ball_counts_cpu);
}
