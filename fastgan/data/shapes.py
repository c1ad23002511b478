"""Procedural shapes: RGB scenes of one shape on a plain background, generated from a seed.

Each image holds one shape (circle, square, triangle or plus) of a random size, position
and colour on a background of another random colour. Everything is drawn from a NumPy
generator seeded with `seed`, so the set ships as code: the same seed gives the same
pixels on every machine. The ground-truth factors of every image are kept (`FACTORS`),
so that disentanglement and path-length measurements have something to refer to.

Rendering: the shape's mask is evaluated on a 4x supersampled pixel grid and averaged,
so edges are anti-aliased (coverage in [0, 1]); pixel = background * (1 - coverage) +
colour * coverage, mapped to [-1, 1].

The split is fixed: `SPLIT_SEED` generates `TOTAL` scenes, the first `TRAIN` are the
training set and the rest the held-out set (the scenes are i.i.d., so a prefix split is
an unbiased one).
"""
import colorsys
import functools

import numpy as np
import torch

SHAPES = ("circle", "square", "triangle", "plus")
# Columns of the factors tensor, in order.
FACTORS = ("shape", "size", "x", "y", "red", "green", "blue", "bg_red", "bg_green", "bg_blue")
SIZES = (16, 32, 64)
SPLIT_SEED = 0
TOTAL = 10000
TRAIN = 8000
SUPERSAMPLE = 4


def sample_factors(n, seed=0):
    """[n, len(FACTORS)] float64 factors of n random scenes (geometry in units of the image side).

    shape: class index; size: the shape's half-extent (0.12-0.3); x, y: its centre, kept so
    the shape lies inside the image; red..blue: its colour and bg_red..bg_blue the
    background's, in [0, 1] (colours in HSV: the shape bright and saturated, the
    background darker, with hues drawn independently).
    """
    if int(n) < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    n = int(n)
    shape = rng.integers(0, len(SHAPES), n)
    size = rng.uniform(0.12, 0.3, n)
    x = rng.uniform(size, 1 - size)
    y = rng.uniform(size, 1 - size)
    fg = _hsv(rng.uniform(0, 1, n), rng.uniform(0.6, 1, n), rng.uniform(0.75, 1, n))
    bg = _hsv(rng.uniform(0, 1, n), rng.uniform(0.2, 0.8, n), rng.uniform(0.1, 0.45, n))
    return np.column_stack([shape, size, x, y, fg, bg])


def render(factors, size=32):
    """Images [n, 3, size, size] float32 in [-1, 1] of the scenes `factors` ([n, len(FACTORS)])."""
    if int(size) not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size}")
    factors = np.asarray(factors, dtype=np.float64)
    if factors.ndim != 2 or factors.shape[1] != len(FACTORS):
        raise ValueError(f"factors must be [n, {len(FACTORS)}] ({', '.join(FACTORS)}), got {factors.shape}")
    out = []
    for chunk in np.array_split(factors, max(1, len(factors) // 1000)):
        coverage = _coverage(chunk, int(size))[:, None]  # [n, 1, S, S]
        fg, bg = chunk[:, 4:7, None, None], chunk[:, 7:10, None, None]
        out.append((bg * (1 - coverage) + fg * coverage) * 2 - 1)
    return torch.from_numpy(np.concatenate(out).astype(np.float32))


def shapes(size=32, split="train", seed=SPLIT_SEED):
    """The shapes data set: (images [N, 3, size, size] in [-1, 1], labels [N] int64, factors [N, 10] float32).

    Args:
        size: image side, 16, 32 or 64.
        split: "train" (the first TRAIN scenes), "heldout" (the other TOTAL - TRAIN) or "all".
        seed: generator seed (the published split uses SPLIT_SEED).
    """
    parts = {"train": slice(0, TRAIN), "heldout": slice(TRAIN, TOTAL), "all": slice(0, TOTAL)}
    if split not in parts:
        raise ValueError(f"split must be 'train', 'heldout' or 'all', got {split!r}")
    images, labels, factors = _generated(int(size), int(seed))
    part = parts[split]
    return images[part].clone(), labels[part].clone(), factors[part].clone()


@functools.lru_cache(maxsize=2)
def _generated(size, seed):
    """All TOTAL scenes of `seed` at `size`, rendered once per process (a few seconds)."""
    factors = sample_factors(TOTAL, seed)
    return render(factors, size), torch.from_numpy(factors[:, 0].astype(np.int64)), \
        torch.from_numpy(factors.astype(np.float32))


def _hsv(h, s, v):
    return np.array([colorsys.hsv_to_rgb(*hsv) for hsv in zip(h, s, v)]).reshape(len(h), 3)


def _coverage(factors, size):
    """Fraction of each pixel covered by the shape, [n, size, size], from a supersampled grid."""
    k = SUPERSAMPLE
    grid = (np.arange(size * k) + 0.5) / (size * k)  # sample positions in [0, 1]
    px, py = grid[None, None, :], grid[None, :, None]
    kind = factors[:, 0].astype(int)[:, None, None]
    r = factors[:, 1, None, None]
    dx, dy = px - factors[:, 2, None, None], py - factors[:, 3, None, None]
    circle = dx**2 + dy**2 <= r**2
    square = np.maximum(np.abs(dx), np.abs(dy)) <= 0.8 * r  # same area scale as the circle, roughly
    # Upward triangle with its centroid at the centre: base at dy = r/2, apex at dy = -r.
    triangle = (dy <= 0.5 * r) & (np.abs(dx) * np.sqrt(3) <= dy + r)
    arm = r / 3
    plus = ((np.abs(dx) <= r) & (np.abs(dy) <= arm)) | ((np.abs(dy) <= r) & (np.abs(dx) <= arm))
    mask = np.select([kind == 0, kind == 1, kind == 2], [circle, square, triangle], plus)
    n = len(factors)
    return mask.reshape(n, size, k, size, k).mean(axis=(2, 4))
