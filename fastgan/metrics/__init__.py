"""Functional metrics on features (and images, through fastgan.networks)."""
from .authpct import authpct
from .cmmd import cmmd
from .fid import fid_from_features, frechet_distance
from .fid_infinity import fid_infinity, is_infinity
from .inception_score import inception_score
from .kid import kid, polynomial_mmd2
from .lpips import lpips
from .ppl import perceptual_path_length
from .prdc import prdc
from .stats import FeatureStats
from .vendi import vendi_score

__all__ = [
    "FeatureStats",
    "authpct",
    "cmmd",
    "fid_infinity",
    "is_infinity",
    "vendi_score",
    "fid_from_features",
    "frechet_distance",
    "inception_score",
    "kid",
    "polynomial_mmd2",
    "lpips",
    "perceptual_path_length",
    "prdc",
]
