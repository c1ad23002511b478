// Plain C++ entry points of the CUDA kernels behind fastgan::sqrtm_newton_schulz.
// Shared by csrc/cuda/sqrtm_newton_schulz.cu (definitions) and its glue
// (csrc/cuda/sqrtm_newton_schulz_glue.cpp); no torch types, so nvcc can compile
// the kernels on machines without a CUDA build of torch.
//
// The iteration (coupled Newton-Schulz for the square root of an n x n matrix A):
//   Y0 = A / |A|_F,  Z0 = I
//   P_k = Z_k Y_k                      (GEMM, cuBLAS, in the glue)
//   T_k = (3 I - P_k) / 2,  r_k = |I - P_k|_F   (one fused kernel: launch_newton_schulz_step)
//   Y_{k+1} = Y_k T_k,  Z_{k+1} = T_k Z_k       (GEMMs, in the glue)
// and sqrt(A) = Y * sqrt(|A|_F). Y_k -> A^(1/2) and Z_k -> A^(-1/2) when the
// eigenvalues of A are real and positive; r_k bounds the relative error of the
// eigenvalues of Y_k (hence of its trace) by about r_k / 2.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace fastgan::cuda {

// Number of doubles the `partials` scratch buffer of the launchers below must hold.
int64_t newton_schulz_partials_size();

// norm_sq[0] = |A|_F^2 (float64 accumulation); then y = A / |A|_F and z = I, both
// [n, n] contiguous. A zero matrix gives y = 0. `partials` is scratch.
template <typename scalar_t>
cudaError_t launch_newton_schulz_init(const scalar_t* a, int64_t n, scalar_t* y, scalar_t* z,
                                      double* norm_sq, double* partials, cudaStream_t stream);

// On entry `p` [n, n] holds Z Y; on exit T = (3 I - P) / 2. residual_sq[0] receives
// |I - P|_F^2, reduced in a fixed order (deterministic). `partials` is scratch.
template <typename scalar_t>
cudaError_t launch_newton_schulz_step(scalar_t* p, int64_t n, double* residual_sq,
                                      double* partials, cudaStream_t stream);

// out = y * sqrt(|A|_F), undoing the normalisation of launch_newton_schulz_init.
template <typename scalar_t>
cudaError_t launch_newton_schulz_finish(const scalar_t* y, int64_t n, const double* norm_sq,
                                        scalar_t* out, cudaStream_t stream);

}  // namespace fastgan::cuda
