"""scikit-learn's bundled handwritten digits (1797 8x8 greyscale images), upsampled, with labels.

The split is fixed (seeded permutation, 80% train / 20% held-out, stratified by label), so
every run, model and metric sees the same held-out digits.
"""
import numpy as np
import torch
import torch.nn.functional as F

SPLIT_SEED = 0
HELDOUT_FRACTION = 0.2
SIZES = (8, 16, 32, 64)


def _raw_digits():
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - scikit-learn is a dependency
        raise RuntimeError("the digits data needs scikit-learn: pip install scikit-learn") from exc
    bunch = load_digits()
    return bunch.images.astype(np.float32), bunch.target.astype(np.int64)


def split_indices(labels, heldout_fraction=HELDOUT_FRACTION, seed=SPLIT_SEED):
    """(train indices, held-out indices): per label, a seeded shuffle, the first share held out."""
    rng = np.random.default_rng(seed)
    train, heldout = [], []
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        rng.shuffle(idx)
        cut = int(round(heldout_fraction * len(idx)))
        heldout.append(idx[:cut])
        train.append(idx[cut:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(heldout))


def digits(size=16, split="train"):
    """The digits as images in [-1, 1] with their labels.

    Args:
        size: output side in pixels, one of 8, 16, 32, 64 (bilinear upsampling of 8x8).
        split: "train" (80%), "heldout" (20%) or "all".

    Returns:
        (images [N, 1, size, size] float32 in [-1, 1], labels [N] int64).
    """
    if int(size) not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size}")
    images, labels = _raw_digits()
    if split != "all":
        train, heldout = split_indices(labels)
        if split == "train":
            keep = train
        elif split == "heldout":
            keep = heldout
        else:
            raise ValueError(f"split must be 'train', 'heldout' or 'all', got {split!r}")
        images, labels = images[keep], labels[keep]
    x = torch.from_numpy(images / 16.0).unsqueeze(1)  # pixel values are 0..16
    if size != 8:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    x = (x.clamp(0, 1) * 2 - 1).contiguous()
    return x, torch.from_numpy(labels)
