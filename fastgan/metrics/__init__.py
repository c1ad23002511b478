"""Functional metrics on features (and images, through fastgan.networks)."""
from .prdc import prdc

__all__ = ["prdc"]
