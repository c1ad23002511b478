// CPU kernels of the fastgan::gradient_penalty_* ops: the per-sample interpolation
// x_hat = alpha * real + (1 - alpha) * fake, and the per-sample gradient norm with the
// penalty weight / B * sum_i (||g_i|| - center)^2 and its backward, each one pass over
// memory instead of the half dozen elementwise passes of the autograd formulation.
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>
#include <vector>

#include "fastgan/gradient_penalty_checks.h"
#include "fastgan/gradient_penalty_math.h"
#include "fastgan/gradient_penalty_operands.h"

namespace fastgan::cpu {
namespace {

// Rows per parallel task: enough work per task to amortise scheduling.
int64_t rows_per_task(int64_t per_sample) {
  constexpr int64_t kTargetElements = 1 << 15;
  return std::max<int64_t>(1, kTargetElements / std::max<int64_t>(per_sample, 1));
}

// Sum of squares of one row. Blocks of kBlock values are summed in scalar_t over
// kLanes independent lanes, which the compiler vectorises without reassociating
// anything, and each block's total is added in float64: float32 rounding is confined
// to 32 additions per lane, and the long sum over blocks is exact to float64.
template <typename scalar_t>
double row_sum_of_squares(const scalar_t* row, int64_t n) {
  constexpr int64_t kLanes = 8;
  constexpr int64_t kBlock = 256;
  double total = 0.0;
  int64_t j = 0;
  for (; j + kBlock <= n; j += kBlock) {
    scalar_t acc[kLanes] = {};
    for (int64_t b = j; b < j + kBlock; b += kLanes) {
      for (int64_t k = 0; k < kLanes; ++k) acc[k] += row[b + k] * row[b + k];
    }
    double block = 0.0;
    for (int64_t k = 0; k < kLanes; ++k) block += static_cast<double>(acc[k]);
    total += block;
  }
  for (; j < n; ++j) {
    const double v = static_cast<double>(row[j]);
    total += v * v;
  }
  return total;
}

at::Tensor interpolate_cpu(const at::Tensor& real_in, const at::Tensor& fake_in,
                           const at::Tensor& alpha_in) {
  gp::check_interpolate_args(real_in, fake_in, alpha_in);
  const gp::InterpolateOperands op = gp::prepare_interpolate(real_in, fake_in, alpha_in);
  if (op.out.numel() == 0) return op.out;
  const int64_t per_sample = op.per_sample;
  AT_DISPATCH_FLOATING_TYPES(op.real.scalar_type(), "gradient_penalty_interpolate", [&] {
    const scalar_t* r = op.real.data_ptr<scalar_t>();
    const scalar_t* f = op.fake.data_ptr<scalar_t>();
    const scalar_t* a = op.alpha.data_ptr<scalar_t>();
    scalar_t* o = op.out.data_ptr<scalar_t>();
    at::parallel_for(0, op.batch, rows_per_task(per_sample), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        // Same arithmetic as alpha * real + (1 - alpha) * fake in torch.
        const scalar_t ai = a[i];
        const scalar_t bi = scalar_t(1) - ai;
        const int64_t offset = i * per_sample;
        for (int64_t j = 0; j < per_sample; ++j) {
          o[offset + j] = ai * r[offset + j] + bi * f[offset + j];
        }
      }
    });
  });
  return op.out;
}

std::tuple<at::Tensor, at::Tensor> norms_penalty_cpu(const at::Tensor& grads_in, double weight,
                                                     double center, bool one_sided) {
  gp::check_penalty_args(grads_in, weight, center);
  const gp::NormsOperands op = gp::prepare_norms(grads_in);
  const int64_t batch = op.batch;
  const int64_t per_sample = op.per_sample;
  std::vector<double> terms(batch);
  AT_DISPATCH_FLOATING_TYPES(op.grads.scalar_type(), "gradient_penalty_norms", [&] {
    const scalar_t* g = op.grads.data_ptr<scalar_t>();
    scalar_t* n = op.norms.data_ptr<scalar_t>();
    at::parallel_for(0, batch, rows_per_task(per_sample), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const double norm = std::sqrt(row_sum_of_squares(g + i * per_sample, per_sample));
        n[i] = static_cast<scalar_t>(norm);
        terms[i] = gp::penalty_term(norm, center, one_sided);
      }
    });
    // Summed serially in row order: deterministic whatever the thread count.
    double total = 0.0;
    for (double t : terms) total += t;
    op.penalty.fill_(static_cast<scalar_t>(weight * total / static_cast<double>(batch)));
  });
  return {op.penalty, op.norms};
}

at::Tensor norms_penalty_backward_cpu(const at::Tensor& grad_penalty_in,
                                      const std::optional<at::Tensor>& grad_norms_in,
                                      const at::Tensor& grads_in, const at::Tensor& norms_in,
                                      double weight, double center, bool one_sided) {
  const std::optional<at::Tensor> grad_norms =
      gp::check_backward_args(grad_penalty_in, grad_norms_in, grads_in, norms_in, weight, center);
  const gp::NormsBackwardOperands op =
      gp::prepare_norms_backward(grad_penalty_in, grads_in, norms_in);
  const int64_t batch = op.batch;
  const int64_t per_sample = op.per_sample;
  AT_DISPATCH_FLOATING_TYPES(op.grads.scalar_type(), "gradient_penalty_norms_backward", [&] {
    const double upstream = static_cast<double>(op.grad_penalty.item<scalar_t>());
    const double scale = upstream * 2.0 * weight / static_cast<double>(batch);
    const scalar_t* g = op.grads.data_ptr<scalar_t>();
    const scalar_t* n = op.norms.data_ptr<scalar_t>();
    const scalar_t* gn = grad_norms ? grad_norms->data_ptr<scalar_t>() : nullptr;
    scalar_t* o = op.out.data_ptr<scalar_t>();
    at::parallel_for(0, batch, rows_per_task(per_sample), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const scalar_t coef = static_cast<scalar_t>(gp::row_coefficient(
            static_cast<double>(n[i]), scale, center, one_sided,
            gn ? static_cast<double>(gn[i]) : 0.0));
        const int64_t offset = i * per_sample;
        for (int64_t j = 0; j < per_sample; ++j) o[offset + j] = coef * g[offset + j];
      }
    });
  });
  return op.out;
}

}  // namespace
}  // namespace fastgan::cpu

TORCH_LIBRARY_IMPL(fastgan, CPU, m) {
  m.impl("gradient_penalty_interpolate", &fastgan::cpu::interpolate_cpu);
  m.impl("gradient_penalty_norms", &fastgan::cpu::norms_penalty_cpu);
  m.impl("gradient_penalty_norms_backward", &fastgan::cpu::norms_penalty_backward_cpu);
}
