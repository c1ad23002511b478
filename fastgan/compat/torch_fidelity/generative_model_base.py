"""``torch_fidelity.GenerativeModelBase``: what PPL needs of a generator.

torch-fidelity's own instances (and its ``GenerativeModelModuleWrapper``) are accepted as they are:
the shim asks only for an ``nn.Module`` with these three properties.
"""
from abc import ABC, abstractmethod

import torch

__all__ = ["GenerativeModelBase", "is_generative_model"]

Z_TYPES = ("normal", "unit", "uniform_0_1")


class GenerativeModelBase(ABC, torch.nn.Module):
    """A generator ``forward(z)`` (or ``forward(z, labels)`` when conditional) -> images [B,3,H,W]."""

    @property
    @abstractmethod
    def z_size(self):
        """Size of the latent (a positive int)."""

    @property
    @abstractmethod
    def z_type(self):
        """Latent distribution: "normal", "unit" (uniform [0,1) then unit norm) or "uniform_0_1"."""

    @property
    @abstractmethod
    def num_classes(self):
        """Number of classes of a conditional generator; 0 when unconditional."""


def is_generative_model(obj):
    """True for this module's or torch-fidelity's GenerativeModelBase (duck-typed: an nn.Module
    with ``z_size``, ``z_type`` and ``num_classes``)."""
    return isinstance(obj, torch.nn.Module) and all(hasattr(obj, k) for k in ("z_size", "z_type", "num_classes"))
