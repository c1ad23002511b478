"""Drop-in replacement for torchmetrics' image metrics, with its module layout.

    from fastgan.compat.torchmetrics.image.fid import FrechetInceptionDistance
    from fastgan.compat.torchmetrics.image.kid import KernelInceptionDistance
    from fastgan.compat.torchmetrics.image.inception import InceptionScore
    from fastgan.compat.torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity
    from fastgan.compat.torchmetrics.image.perceptual_path_length import PerceptualPathLength

The classes are also importable from this package directly, as before. States live on
the CPU as exact float64 statistics (FID) or feature lists (KID, IS); under
torch.distributed ``compute()`` gathers them from every process.
"""
from . import image
from .image import (
    FrechetInceptionDistance,
    InceptionScore,
    KernelInceptionDistance,
    LearnedPerceptualImagePatchSimilarity,
    PerceptualPathLength,
)

__all__ = ["image", "FrechetInceptionDistance", "KernelInceptionDistance", "InceptionScore",
           "LearnedPerceptualImagePatchSimilarity", "PerceptualPathLength"]
