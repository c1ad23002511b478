"""Reading one domain of an image-to-image data set: same-size images, checked before training.

Translation data sets (paired folders, trainA/trainB folders) are read here with stricter
checks than a plain image folder: every image of a domain must have the same size (a
mixed folder usually means a wrong file slipped in), and every error names the file or
folder at fault, so a bad data set fails before the first training step.
"""
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .images import IMAGE_EXTENSIONS, ImageFolder, ImageReadError, list_images

SPLIT_SEED = 0
HELDOUT_FRACTION = 0.1
FOLDER_SIZES = (16, 32, 64)


def check_folder(path, what):
    """The folder `path` as a Path; ValueError naming it (and `what` it should hold) when missing or unreadable."""
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"{what}: {path} is not a folder")
    if not os.access(path, os.R_OK | os.X_OK):
        raise ValueError(f"{what}: cannot read the folder {path} (permission denied)")
    return path


def domain_files(folder, what):
    """Sorted image files under `folder` (recursively); ValueError naming the folder when it holds none."""
    folder = check_folder(folder, what)
    files = list_images(folder, IMAGE_EXTENSIONS)
    if not files:
        raise ValueError(f"{what}: the folder {folder} holds no images (looked for {', '.join(IMAGE_EXTENSIONS)})")
    return files


def read_images(files, what):
    """uint8 [N, 3, H, W] of `files`, all of one size.

    Raises:
        ImageReadError: a file that cannot be decoded (it names the file).
        ValueError: a file whose size differs from the first file's (naming both).
    """
    images = []
    for path in files:
        img = ImageFolder(path)[0]
        if images and img.shape != images[0].shape:
            raise ValueError(f"{what}: {path} is {img.shape[2]}x{img.shape[1]} px but {files[0]} is "
                             f"{images[0].shape[2]}x{images[0].shape[1]} px; every image of one domain "
                             f"must have the same size")
        images.append(img)
    return torch.stack(images)


def to_model_images(images, size, channels):
    """uint8 [N, 3, H, W] -> float [N, channels, size, size] in [-1, 1].

    A centre square crop, then an area resize (no aliasing), then grey (channel mean) for
    channels=1. Paired inputs and targets go through the same crop, so they stay aligned.
    """
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    if size not in FOLDER_SIZES:
        raise ValueError(f"image folders are resized to {FOLDER_SIZES} px, got size={size}")
    x = images.float() / 127.5 - 1.0
    h, w = x.shape[-2:]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    x = F.interpolate(x[..., top:top + side, left:left + side], size=(size, size), mode="area")
    return x.mean(1, keepdim=True) if channels == 1 else x.contiguous()


def split(n, what, heldout_fraction=HELDOUT_FRACTION, seed=SPLIT_SEED):
    """(train indices, held-out indices) of n items: a seeded permutation, at least one held out.

    Raises ValueError (naming `what`) below two items: a run needs one to train on and one to measure.
    """
    if n < 2:
        raise ValueError(f"{what} holds {n} image(s); a translation data set needs at least 2 "
                         f"(one to train on, one held out)")
    perm = np.random.default_rng(seed).permutation(n)
    cut = max(1, int(round(heldout_fraction * n)))
    return np.sort(perm[cut:]), np.sort(perm[:cut])


def relative_names(files, root):
    """Each file's path relative to `root` without its extension (how paired folders match files)."""
    return [Path(f).relative_to(root).with_suffix("").as_posix() for f in files]


__all__ = ["ImageReadError", "check_folder", "domain_files", "read_images", "relative_names", "split",
           "to_model_images"]
