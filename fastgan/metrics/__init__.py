"""Functional metrics on features (and images, through fastgan.networks)."""

__all__ = []
