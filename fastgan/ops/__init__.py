"""Operators with compiled CPU/CUDA kernels and plain-PyTorch references."""
from .pairwise_distances import pairwise_distances
from .sqrtm import sqrtm_newton_schulz, trace_sqrt_product

__all__ = ["pairwise_distances", "sqrtm_newton_schulz", "trace_sqrt_product"]
