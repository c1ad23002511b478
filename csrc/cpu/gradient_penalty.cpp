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

// d penalty / d g_i = coef_i * g_i. `scale` is upstream * 2 * weight / batch. The norm's
// subgradient at g_i = 0 is taken as 0, as torch's norm backward does; with center 0 the
// penalty is ||g||^2, whose gradient 2 g is defined everywhere.
double row_coefficient(double norm, double scale, double center, bool one_sided,
                       double grad_norm) {
  const double gap = norm - center;
  double coef = 0.0;
  if (!one_sided || gap > 0.0) {
    if (center == 0.0) {
      coef = scale;
    } else if (norm > 0.0) {
      coef = scale * gap / norm;
    }
  }
  if (norm > 0.0) coef += grad_norm / norm;
  return coef;
}

at::Tensor interpolate_cpu(const at::Tensor& real_in, const at::Tensor& fake_in,
                           const at::Tensor& alpha_in) {
  gp::check_interpolate_args(real_in, fake_in, alpha_in);
  const at::Tensor real = real_in.contiguous();
  const at::Tensor fake = fake_in.contiguous();
  const at::Tensor alpha = alpha_in.contiguous();
  at::Tensor out = at::empty_like(real, at::MemoryFormat::Contiguous);
  const int64_t batch = real.size(0);
  if (real.numel() == 0) return out;
  const int64_t per_sample = real.numel() / batch;
  AT_DISPATCH_FLOATING_TYPES(real.scalar_type(), "gradient_penalty_interpolate", [&] {
    const scalar_t* r = real.data_ptr<scalar_t>();
    const scalar_t* f = fake.data_ptr<scalar_t>();
    const scalar_t* a = alpha.data_ptr<scalar_t>();
    scalar_t* o = out.data_ptr<scalar_t>();
    at::parallel_for(0, batch, rows_per_task(per_sample), [&](int64_t begin, int64_t end) {
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
  return out;
}

std::tuple<at::Tensor, at::Tensor> norms_penalty_cpu(const at::Tensor& grads_in, double weight,
                                                     double center, bool one_sided) {
  gp::check_penalty_args(grads_in, weight, center);
  const at::Tensor grads = grads_in.contiguous();
  const int64_t batch = grads.size(0);
  const int64_t per_sample = grads.size(1);
  at::Tensor norms = at::empty({batch}, grads.options());
  at::Tensor penalty = at::empty({}, grads.options());
  std::vector<double> terms(batch);
  AT_DISPATCH_FLOATING_TYPES(grads.scalar_type(), "gradient_penalty_norms", [&] {
    const scalar_t* g = grads.data_ptr<scalar_t>();
    scalar_t* n = norms.data_ptr<scalar_t>();
    at::parallel_for(0, batch, rows_per_task(per_sample), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const double norm = std::sqrt(row_sum_of_squares(g + i * per_sample, per_sample));
        n[i] = static_cast<scalar_t>(norm);
        double gap = norm - center;
        if (one_sided && gap < 0.0) gap = 0.0;
        terms[i] = gap * gap;
      }
    });
    // Summed serially in row order: deterministic whatever the thread count.
    double total = 0.0;
    for (double t : terms) total += t;
    penalty.fill_(static_cast<scalar_t>(weight * total / static_cast<double>(batch)));
  });
  return {penalty, norms};
}

at::Tensor norms_penalty_backward_cpu(const at::Tensor& grad_penalty,
                                      const std::optional<at::Tensor>& grad_norms_in,
                                      const at::Tensor& grads_in, const at::Tensor& norms_in,
                                      double weight, double center, bool one_sided) {
  const std::optional<at::Tensor> grad_norms =
      gp::check_backward_args(grad_penalty, grad_norms_in, grads_in, norms_in, weight, center);
  const int64_t batch = grads_in.size(0);
  const int64_t per_sample = grads_in.size(1);
  const at::Tensor grads = grads_in.contiguous();
  const at::Tensor norms = norms_in.contiguous();
  at::Tensor out = at::empty_like(grads);
  AT_DISPATCH_FLOATING_TYPES(grads.scalar_type(), "gradient_penalty_norms_backward", [&] {
    const double upstream = static_cast<double>(grad_penalty.item<scalar_t>());
    const double scale = upstream * 2.0 * weight / static_cast<double>(batch);
    const scalar_t* g = grads.data_ptr<scalar_t>();
    const scalar_t* n = norms.data_ptr<scalar_t>();
    const scalar_t* gn = grad_norms ? grad_norms->data_ptr<scalar_t>() : nullptr;
    scalar_t* o = out.data_ptr<scalar_t>();
    at::parallel_for(0, batch, rows_per_task(per_sample), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const scalar_t coef = static_cast<scalar_t>(row_coefficient(
            static_cast<double>(n[i]), scale, center, one_sided,
            gn ? static_cast<double>(gn[i]) : 0.0));
        const int64_t offset = i * per_sample;
        for (int64_t j = 0; j < per_sample; ++j) o[offset + j] = coef * g[offset + j];
      }
    });
  });
  return out;
}

}  // namespace
}  // namespace fastgan::cpu

TORCH_LIBRARY_IMPL(fastgan, CPU, m) {
  m.impl("gradient_penalty_interpolate", &fastgan::cpu::interpolate_cpu);
  m.impl("gradient_penalty_norms", &fastgan::cpu::norms_penalty_cpu);
  m.impl("gradient_penalty_norms_backward", &fastgan::cpu::norms_penalty_backward_cpu);
}
