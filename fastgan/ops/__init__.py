"""Operators with compiled CPU/CUDA kernels and plain-PyTorch references."""
from .ball_counts import ball_counts
from .gradient_penalty import gradient_penalty, penalty_from_gradients, r1_penalty
from .kernel_sum import kernel_sum
from .knn import knn, knn_radii
from .pairwise_distances import pairwise_distances
from .sqrtm import sqrtm_newton_schulz, trace_sqrt_product

__all__ = [
    "pairwise_distances",
    "knn",
    "knn_radii",
    "ball_counts",
    "kernel_sum",
    "sqrtm_newton_schulz",
    "trace_sqrt_product",
    "gradient_penalty",
    "r1_penalty",
    "penalty_from_gradients",
]
