"""Unpaired two-domain image data (CycleGAN, CoGAN): samples of A and of B, not aligned.

- folders (`load_data("ROOT")` with ROOT/trainA and ROOT/trainB, CycleGAN's layout;
  ROOT/testA and ROOT/testB, when present, are the held-out sets, else a seeded 10% of
  each domain is held out); `load_data("unpaired:ROOT")` says the same explicitly;
- `digits-inverted`: scikit-learn's digits <-> the same kind of digits with inverted colours;
- `digits-m`: grey digits <-> digits blended with texture from scikit-learn's two sample
  photographs (|patch - digit| per channel, as MNIST-M is made from MNIST), both as RGB.

In the built-in sets the two domains' *training* images come from disjoint halves of the
digits' train split (so no training pair is aligned: the data is truly unpaired), while
the held-out sets are the held-out digits in both domains, aligned (heldout_b[i] is
heldout_x[i] translated), so a translation can also be compared with the true one.
Labels are kept for both domains.

A DataSource of two-domain data has domain A as x/y/heldout_x/heldout_y and, in extra:
"domain_b" [M, ...], "heldout_b", and for labelled sets "labels_b", "heldout_labels_b".
"""
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .digits import digits, split_indices
from .domain_images import check_folder, domain_files, read_images, split, to_model_images

DOMAIN_SEED = 0
TEXTURE_SEED = 1


def unpaired_folders(root, size=16, channels=3):
    """A DataSource of ROOT/trainA (domain A) and ROOT/trainB (domain B), held out from testA/testB.

    Args:
        root: the folder holding trainA/ and trainB/ (and optionally testA/, testB/).
        size: model image side (16, 32, 64).
        channels: 1 (grey) or 3; both domains are read with the same side and channels.

    Raises:
        ValueError: a missing, unreadable or empty domain folder, or images of different
            sizes within one domain (naming the file).
    """
    root = check_folder(root, "two-domain folder")
    domains = {}
    for d in ("A", "B"):
        what = f"two-domain folder {root}, domain {d}"
        train = to_model_images(read_images(domain_files(root / f"train{d}", what), what), size, channels)
        if (root / f"test{d}").exists():
            held = to_model_images(read_images(domain_files(root / f"test{d}", what), what), size, channels)
        else:
            tr, ho = split(len(train), f"{what} (train{d}, no test{d})")
            train, held = train[torch.from_numpy(tr)], train[torch.from_numpy(ho)]
        domains[d] = (train, held)
    from .sources import DataSource

    (a, ha), (b, hb) = domains["A"], domains["B"]
    return DataSource(str(root), "images", a, None, ha, None, 0,
                      {"name": str(root), "size": int(size), "channels": int(channels)},
                      extra={"domain_b": b, "heldout_b": hb})


def digits_inverted(size=16, conditional=True):
    """The built-in two-domain set `digits-inverted`: digits (A) <-> colour-inverted digits (B).

    Args:
        size: image side (16, 32, 64).
        conditional: keep the labels of A (y, heldout_y) and of B (extra).

    Returns:
        A DataSource of [N, 1, S, S] images in [-1, 1] (see the module docstring for the split).
    """
    return _digit_domains("digits-inverted", size, conditional, to_grey, invert)


def digits_m(size=16, conditional=True):
    """The built-in two-domain set `digits-m`: grey digits as RGB (A) <-> digits on photo texture (B).

    Returns:
        A DataSource of [N, 3, S, S] images in [-1, 1] (see the module docstring for the split).
    """
    return _digit_domains("digits-m", size, conditional, grey_rgb, texture_blend)


def domain_transforms(name):
    """(transform of A, transform of B) of a built-in set: ``t(digits [N,1,S,S], seed) -> images``."""
    return {"digits-inverted": (to_grey, invert), "digits-m": (grey_rgb, texture_blend)}[name]


def to_grey(x, seed=0):
    """The digits as they are."""
    return x


def invert(x, seed=0):
    """Colour inversion in [-1, 1]: white strokes on black become black strokes on white."""
    return -x


def grey_rgb(x, seed=0):
    """Grey digits repeated over three channels (so both domains of digits-m share a shape)."""
    return x.expand(-1, 3, -1, -1).contiguous()


def texture_blend(x, seed=TEXTURE_SEED):
    """MNIST-M style: |patch - digit| per channel, patch a random crop of a sample photograph.

    Args:
        x: [N, 1, S, S] digits in [-1, 1].
        seed: seeds the crops (photo, position), so a set is the same on every run.

    Returns:
        [N, 3, S, S] in [-1, 1].
    """
    photos = _photos()
    n, _, size, _ = x.shape
    rng = np.random.default_rng(seed)
    crop = 4 * size  # a crop several times the digit's side keeps texture, not one flat colour
    patches = []
    for _ in range(n):
        photo = photos[rng.integers(len(photos))]
        top = rng.integers(photo.shape[1] - crop + 1)
        left = rng.integers(photo.shape[2] - crop + 1)
        patches.append(photo[:, top:top + crop, left:left + crop])
    patches = F.interpolate(torch.stack(patches), size=(size, size), mode="area")
    digit = (x + 1) / 2
    return ((patches - digit).abs() * 2 - 1).contiguous()


_PHOTOS = []


def _photos():
    """scikit-learn's two sample photographs as float [3, H, W] in [0, 1] (loaded once)."""
    if not _PHOTOS:
        try:
            from sklearn.datasets import load_sample_images
        except ImportError as exc:  # pragma: no cover - scikit-learn is a dependency
            raise RuntimeError("the digits-m data needs scikit-learn: pip install scikit-learn") from exc
        for img in load_sample_images().images:
            _PHOTOS.append(torch.from_numpy(np.array(img, dtype=np.float32)).permute(2, 0, 1) / 255.0)
    return _PHOTOS


def halves(labels, seed=DOMAIN_SEED):
    """(indices of A, indices of B): the train split halved per label (seeded), so A and B are disjoint."""
    first, second = split_indices(labels, heldout_fraction=0.5, seed=seed)
    return first, second


def _digit_domains(name, size, conditional, to_a, to_b):
    from .sources import DataSource

    if int(size) not in (16, 32, 64):
        raise ValueError(f"{name} comes at 16, 32 or 64 px, got size={size}")
    x, y = digits(size, "train")
    hx, hy = digits(size, "heldout")
    ia, ib = (torch.from_numpy(i) for i in halves(y.numpy()))
    a, b = to_a(x[ia], seed=TEXTURE_SEED), to_b(x[ib], seed=TEXTURE_SEED)
    ha, hb = to_a(hx, seed=TEXTURE_SEED + 1), to_b(hx, seed=TEXTURE_SEED + 1)
    extra = {"domain_b": b, "heldout_b": hb}
    if conditional:
        extra.update(labels_b=y[ib], heldout_labels_b=hy)
    return DataSource(name, "images", a, y[ia] if conditional else None, ha, hy if conditional else None,
                      10 if conditional else 0, {"name": name, "size": int(size)}, extra=extra)


def is_two_domain_folder(path):
    """Whether `path` is a folder with CycleGAN's trainA/ and trainB/ subfolders."""
    path = Path(path)
    return path.is_dir() and (path / "trainA").is_dir() and (path / "trainB").is_dir()
