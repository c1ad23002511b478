"""Operators with compiled CPU/CUDA kernels and plain-PyTorch references."""
from .gradient_penalty import gradient_penalty, penalty_from_gradients, r1_penalty
from .pairwise_distances import pairwise_distances

__all__ = ["pairwise_distances", "gradient_penalty", "r1_penalty", "penalty_from_gradients"]
