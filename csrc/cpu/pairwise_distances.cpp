// CPU kernel of fastgan::pairwise_distances: GEMM form with exact refinement.
#include <torch/library.h>

#include <cmath>

#include "fastgan/checks.h"
#include "fastgan/cpu/distance_tiles.h"

namespace fastgan::cpu {
namespace {

// The output is N x M anyway, so the Gram matrix is written straight into it by
// one multi-threaded GEMM, and a parallel epilogue turns it into distances in place.
template <typename scalar_t>
void fill_distances(const at::Tensor& x, const at::Tensor& y, bool squared, double refine_below,
                    at::Tensor& out) {
  const DistanceOperands ops = prepare_distance_operands<scalar_t>(x, y);
  const int64_t m = y.size(0), d = x.size(1);
  if (x.size(0) == 0 || m == 0) return;
  at::mm_out(out, ops.x_centred, ops.y_centred.t());
  scalar_t* dst = out.data_ptr<scalar_t>();
  const scalar_t* xs = ops.x.data_ptr<scalar_t>();
  const scalar_t* ys = ops.y.data_ptr<scalar_t>();
  const double* xn = ops.x_norms.data_ptr<double>();
  const double* yn = ops.y_norms.data_ptr<double>();
  at::parallel_for(0, x.size(0), 8, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      scalar_t* row = dst + i * m;
      for (int64_t j = 0; j < m; ++j) {
        const double norm_sum = xn[i] + yn[j];
        double value = norm_sum - 2.0 * static_cast<double>(row[j]);
        // Where d^2 is small next to the norms, the GEMM form has lost most of its
        // digits: recompute exactly (identical rows give exactly 0).
        if (value <= refine_below * norm_sum) {
          value = direct_squared_distance(xs + i * d, ys + j * d, d);
        }
        value = value > 0.0 ? value : 0.0;
        row[j] = static_cast<scalar_t>(squared ? value : std::sqrt(value));
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
