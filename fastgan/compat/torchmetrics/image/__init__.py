"""``torchmetrics.image``: the image metrics, each also in its own module as torchmetrics has them.

    from fastgan.compat.torchmetrics.image.fid import FrechetInceptionDistance   # was: torchmetrics.image.fid
"""
from .fid import FrechetInceptionDistance
from .inception import InceptionScore
from .kid import KernelInceptionDistance
from .lpip import LearnedPerceptualImagePatchSimilarity
from .perceptual_path_length import PerceptualPathLength

__all__ = ["FrechetInceptionDistance", "KernelInceptionDistance", "InceptionScore",
           "LearnedPerceptualImagePatchSimilarity", "PerceptualPathLength"]
