"""Drop-in replacement for pytorch-fid, with its module layout.

    from fastgan.compat.pytorch_fid import fid_score, inception   # was: from pytorch_fid import ...
    python -m fastgan.compat.pytorch_fid path1 path2               # was: python -m pytorch_fid ...

The functions are also importable from this package directly, as before.
"""
from . import fid_score, inception
from .fid_score import (
    IMAGE_EXTENSIONS,
    ImagePathDataset,
    calculate_activation_statistics,
    calculate_fid_given_paths,
    calculate_frechet_distance,
    compute_statistics_of_path,
    get_activations,
    save_fid_stats,
)
from .inception import FID_WEIGHTS_URL, InceptionV3, fid_inception_v3

__version__ = "0.3.0"

__all__ = [
    "fid_score",
    "inception",
    "InceptionV3",
    "fid_inception_v3",
    "FID_WEIGHTS_URL",
    "IMAGE_EXTENSIONS",
    "ImagePathDataset",
    "calculate_frechet_distance",
    "get_activations",
    "calculate_activation_statistics",
    "compute_statistics_of_path",
    "calculate_fid_given_paths",
    "save_fid_stats",
]
