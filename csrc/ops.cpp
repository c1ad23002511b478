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
  // Build metadata, read by fastgan._ext and `fastgan info`.
  m.def("_compiled_with_cuda() -> bool", &compiled_with_cuda);
  m.def("_build_info() -> str", &build_info);

  // Euclidean (or squared) distances between the rows of x [N, D] and y [M, D] -> [N, M].
  // refine_below: pairs whose GEMM-form d^2 is below refine_below * (|x|^2 + |y|^2) are
  // recomputed directly as sum((x - y)^2), where cancellation would otherwise dominate.
  m.def("pairwise_distances(Tensor x, Tensor y, bool squared, float refine_below) -> Tensor");

  // Matrix square root of a [n, n] by the coupled Newton-Schulz iteration, stopped when
  // |I - Z Y|_F <= tol, when it no longer decreases, or after num_iters steps.
  // Returns (sqrt_a [n, n], residual: float64 scalar |I - Z Y|_F of the returned iterate,
  // iterations: int64 scalar, the number of steps that produced it).
  m.def("sqrtm_newton_schulz(Tensor a, int num_iters, float tol) -> (Tensor, Tensor, Tensor)");
}
