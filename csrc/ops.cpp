// Every fastgan operator schema, in one place. Kernels register under these
// names from csrc/cpu/*.cpp and csrc/cuda/*_glue.cpp.
#include <torch/library.h>

#include <string>

namespace {

bool compiled_with_cuda() {
#ifdef FASTGAN_WITH_CUDA
  return true;
#else
  return false;
#endif
}

std::string build_info() {
  std::string info = "compiler=";
#if defined(__clang__)
  info += "clang " __clang_version__;
#elif defined(__GNUC__)
  info += "gcc " __VERSION__;
#else
  info += "unknown";
#endif
#ifdef _OPENMP
  info += ";openmp=" + std::to_string(_OPENMP);
#else
  info += ";openmp=none";
#endif
#ifdef FASTGAN_CUDA_VERSION
  info += ";cuda=" FASTGAN_CUDA_VERSION;
#endif
  return info;
}

}  // namespace

TORCH_LIBRARY(fastgan, m) {
  // Fake kernels, autograd and autocast of every op below are registered from Python,
  // all in this one module (imported by fastgan._ext when it loads the library).
  m.set_python_module("fastgan.ops._library");

  // Build metadata, read by fastgan._ext and `fastgan info`.
  m.def("_compiled_with_cuda() -> bool", &compiled_with_cuda);
  m.def("_build_info() -> str", &build_info);

  // Euclidean (or squared) distances between the rows of x [N, D] and y [M, D] -> [N, M].
  // refine_below: pairs whose GEMM-form d^2 is below refine_below * (|x|^2 + |y|^2) are
  // recomputed directly as sum((x - y)^2), where cancellation would otherwise dominate.
  m.def("pairwise_distances(Tensor x, Tensor y, bool squared, float refine_below) -> Tensor");

  // k nearest rows of ref for every row of query: exact float64 squared distances
  // [Q, k] (ascending) and int64 indices [Q, k]. `extra` candidates beyond k are
  // kept from the GEMM pass for exact re-ranking.
  m.def("knn(Tensor query, Tensor ref, int k, int extra) -> (Tensor, Tensor)");
  // The same within one set, excluding each point itself (duplicates still count).
  m.def("knn_self(Tensor x, int k, int extra) -> (Tensor, Tensor)");

  // One pass over the pairs of x [N, D] (ball centres) and y [M, D]:
  //   y_in_x [M]      #i with d2(x_i, y_j) < x_threshold[i]
  //   x_ball_hits [N] #j with d2(x_i, y_j) < x_threshold[i]
  //   x_in_y [N]      #j with d2(x_i, y_j) < y_threshold[j] (zeros without y_threshold);
  //                   with x_in_y_any, 1 if there is such a j, else 0 (not a count: a
  //                   kernel may stop looking for x_i once one is certain)
  //   realism [M]     max_i realism_weight[i] / d2(x_i, y_j), exact (empty without weights)
  // Thresholds are float64 squared radii; membership is strict.
  m.def("ball_counts(Tensor x, Tensor y, Tensor x_threshold, Tensor? y_threshold, "
        "Tensor? realism_weight, bool x_in_y_any=False) -> (Tensor, Tensor, Tensor, Tensor)");

  // Sum over every pair (x_i, y_j) of a kernel of the pair, accumulated in float64,
  // without the N x M kernel matrix (0-dim float64 tensor):
  //   kernel "polynomial": (gamma * x.y + coef0)^degree
  //   kernel "rbf":        exp(-gamma * |x - y|^2)
  // exclude_diagonal: y is x and the pairs i == j are skipped (the off-diagonal sums
  // of an unbiased MMD).
  m.def("kernel_sum(Tensor x, Tensor y, str kernel, float gamma, float coef0, int degree, "
        "bool exclude_diagonal) -> Tensor");

  // Gradient penalties (fastgan/ops/gradient_penalty.py). Samples are rows: real/fake
  // [B, ...] and alpha [B] give x_hat = alpha * real + (1 - alpha) * fake; grads [B, D]
  // give (penalty = weight / B * sum_i (||grads_i|| - center)^2, clamped at 0 from below
  // when one_sided, and norms [B]); the backward returns d/d grads of
  // grad_penalty * penalty + sum_i grad_norms_i * norms_i.
  m.def("gradient_penalty_interpolate(Tensor real, Tensor fake, Tensor alpha) -> Tensor");
  m.def("gradient_penalty_norms(Tensor grads, float weight, float center, bool one_sided) -> (Tensor, Tensor)");
  m.def("gradient_penalty_norms_backward(Tensor grad_penalty, Tensor? grad_norms, Tensor grads, Tensor norms, float weight, float center, bool one_sided) -> Tensor");

  // Matrix square root of a [n, n] by the coupled Newton-Schulz iteration, stopped when
  // |I - Z Y|_F <= tol, when it no longer decreases, or after num_iters steps.
  // Returns (sqrt_a [n, n], residual: float64 scalar |I - Z Y|_F of the returned iterate,
  // iterations: int64 scalar, the number of steps that produced it).
  m.def("sqrtm_newton_schulz(Tensor a, int num_iters, float tol) -> (Tensor, Tensor, Tensor)");
}
