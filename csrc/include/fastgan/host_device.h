// FASTGAN_HOST_DEVICE marks a function that both the CPU kernels (g++) and the
// CUDA kernels (nvcc) compile, so the two devices share one definition.
#pragma once

#if defined(__CUDACC__)
#define FASTGAN_HOST_DEVICE __host__ __device__
#else
#define FASTGAN_HOST_DEVICE
#endif
