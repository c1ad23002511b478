"""Functional metrics on features (and images, through fastgan.networks)."""
from .lpips import lpips
from .prdc import prdc

__all__ = ["lpips", "prdc"]
