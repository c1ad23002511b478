// CPU kernel of fastgan::pairwise_distances: tiled GEMM form with exact refinement.
#include <torch/library.h>

#include <cmath>

#include "fastgan/checks.h"
#include "fastgan/cpu/distance_tiles.h"

namespace fastgan::cpu {
namespace {

template <typename scalar_t>
void fill_distances(const at::Tensor& x, const at::Tensor& y, bool squared, double refine_below,
                    at::Tensor& out) {
  const DistanceOperands ops = prepare_distance_operands<scalar_t>(x, y);
  const int64_t m = y.size(0);
  scalar_t* dst = out.data_ptr<scalar_t>();
  TileShape shape;
  shape.rows = balanced_tile_rows(x.size(0), shape.rows);
  for_each_distance_tile<scalar_t>(
      ops, refine_below, shape,
      [&](const double* d2, int64_t r0, int64_t rows, int64_t c0, int64_t cols) {
        for (int64_t i = 0; i < rows; ++i) {
          scalar_t* out_row = dst + (r0 + i) * m + c0;
          const double* tile_row = d2 + i * cols;
          for (int64_t j = 0; j < cols; ++j) {
            out_row[j] = static_cast<scalar_t>(squared ? tile_row[j] : std::sqrt(tile_row[j]));
          }
        }
      });
}

at::Tensor pairwise_distances_cpu(const at::Tensor& x, const at::Tensor& y, bool squared,
                                  double refine_below) {
  check_feature_pair(x, "x", y, "y");
  TORCH_CHECK(refine_below >= 0.0, "fastgan: refine_below must be >= 0, got ", refine_below);
  at::Tensor out = at::empty({x.size(0), y.size(0)}, x.options());
  if (x.scalar_type() == at::kDouble) {
    fill_distances<double>(x, y, squared, refine_below, out);
  } else {
    fill_distances<float>(x, y, squared, refine_below, out);
  }
  return out;
}

}  // namespace
}  // namespace fastgan::cpu

TORCH_LIBRARY_IMPL(fastgan, CPU, m) {
  m.impl("pairwise_distances", &fastgan::cpu::pairwise_distances_cpu);
}
