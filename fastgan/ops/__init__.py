"""Operators with compiled CPU/CUDA kernels and plain-PyTorch references."""
from .pairwise_distances import pairwise_distances

__all__ = ["pairwise_distances"]
