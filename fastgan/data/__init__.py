"""Data sources: image folders (more to come: bundled digits, gaussian mixtures, paired sets)."""
from .images import ARRAY_EXTENSIONS, IMAGE_EXTENSIONS, ImageFolder, ImageReadError, list_images

__all__ = ["ImageFolder", "ImageReadError", "list_images", "IMAGE_EXTENSIONS", "ARRAY_EXTENSIONS"]
