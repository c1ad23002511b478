"""Data sources: image folders, scikit-learn's digits, 2-D Gaussian mixtures (ring8, grid25)."""
from .classifier import DigitsClassifier, digits_classifier
from .digits import digits
from .images import ARRAY_EXTENSIONS, IMAGE_EXTENSIONS, ImageFolder, ImageReadError, list_images
from .sources import DataSource, load_data
from .toy import grid25, mode_metrics, ring8

__all__ = [
    "ImageFolder", "ImageReadError", "list_images", "IMAGE_EXTENSIONS", "ARRAY_EXTENSIONS",
    "DataSource", "load_data", "digits", "digits_classifier", "DigitsClassifier",
    "ring8", "grid25", "mode_metrics",
]
