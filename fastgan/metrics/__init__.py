"""Functional metrics on features (and images, through fastgan.networks)."""
from .lpips import lpips

__all__ = ["lpips"]
