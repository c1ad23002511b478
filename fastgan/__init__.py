"""fastgan: fast, exact GAN evaluation metrics and a tested family of GANs for PyTorch."""
from . import data, metrics, models, networks, ops, training
from ._ext import available, has_cuda
from .evaluation import evaluate

__version__ = "0.1.0"

__all__ = [
    "ops",
    "metrics",
    "networks",
    "data",
    "models",
    "training",
    "evaluate",
    "available",
    "has_cuda",
    "__version__",
]
