"""fastgan: fast, exact GAN evaluation metrics and a tested family of GANs for PyTorch."""
from . import data, metrics, networks, ops
from ._ext import available, has_cuda
from .evaluate import evaluate

__version__ = "0.1.0"

__all__ = ["ops", "metrics", "networks", "data", "available", "has_cuda", "evaluate", "__version__"]
