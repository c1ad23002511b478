"""Training data by name: `load_data("ring8" | "grid25" | "digits" | <folder>, ...)`.

A DataSource holds the training tensors, a held-out set for the metrics, and what the
metrics need to know (points or images, labels, mixture centres). Everything is held in
memory: these are the small data sets GANs are demonstrated and tested on.
"""
import os
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from . import toy
from .digits import digits

TOY_TRAIN = 10000
TOY_HELDOUT = 2500


@dataclass
class DataSource:
    """Tensors and facts the Trainer and the metrics use.

    Attributes:
        name: the data's name ("ring8", "grid25", "digits", or a folder path).
        kind: "points" or "images".
        x: training samples [N, *shape] (points as floats; images in [-1, 1]).
        y: training labels [N] int64, or None.
        heldout_x / heldout_y: samples (and labels) never trained on, for the metrics.
        num_classes: label count (0 when unlabelled).
        config: JSON-able dict that `load_data(**config)` rebuilds this from.
        centers / std: mixture modes and their std (2-D mixtures only).
        extra: further tensors of other data kinds: "target" [N, ...] aligned with x
            (paired data), "domain_b" [M, ...] (two-domain data); ground-truth factors
            "factors" / "heldout_factors" [N, F] (shapes: fastgan.data.shapes.FACTORS).
    """

    name: str
    kind: str
    x: torch.Tensor
    y: torch.Tensor
    heldout_x: torch.Tensor
    heldout_y: torch.Tensor
    num_classes: int
    config: dict
    centers: torch.Tensor = None
    std: float = None
    extra: dict = field(default_factory=dict)

    @property
    def shape(self):
        return tuple(self.x.shape[1:])

    @property
    def kinds(self):
        """The data kinds it provides (fastgan.models.DATA_KINDS): always "unconditional";
        "labelled" with labels; "paired" with aligned targets (``extra["target"]``);
        "two-domain" with a second domain (``extra["domain_b"]``)."""
        kinds = {"unconditional"}
        if self.y is not None:
            kinds.add("labelled")
        if self.extra.get("target") is not None:
            kinds.add("paired")
        if self.extra.get("domain_b") is not None:
            kinds.add("two-domain")
        return kinds


def load_data(name, size=None, channels=None, conditional=True):
    """The data set `name` as a DataSource.

    Args:
        name: "ring8", "grid25" (2-D Gaussian mixtures; labels are mode indices),
            "digits" (scikit-learn's digits, labels 0-9), "shapes" (procedural RGB scenes of
            shapes, labels: the shape; fastgan.data.shapes), or a folder/file of images.
        size: image side for digits (8/16/32/64, default 16), shapes (16/32/64, default 32)
            and image folders (16/32/64, default 16).
        channels: image folders: 1 (grey) or 3 (colour); default 3.
        conditional: keep labels (mixture modes, digit classes).

    Returns:
        A DataSource.
    """
    if name in toy.MIXTURES:
        x, y = toy.sample_mixture(name, TOY_TRAIN, seed=0)
        hx, hy = toy.sample_mixture(name, TOY_HELDOUT, seed=1)
        centers, std = toy.mixture_spec(name)
        return DataSource(name, "points", x, y if conditional else None, hx, hy if conditional else None,
                          len(centers) if conditional else 0, {"name": name}, centers=centers, std=std)
    if name == "shapes":
        from .shapes import SHAPES, shapes

        size = 32 if size is None else size
        x, y, factors = shapes(size, "train")
        hx, hy, hfactors = shapes(size, "heldout")
        return DataSource(name, "images", x, y if conditional else None, hx, hy if conditional else None,
                          len(SHAPES) if conditional else 0, {"name": name, "size": int(size)},
                          extra={"factors": factors, "heldout_factors": hfactors})
    size = 16 if size is None else size
    if name == "digits":
        x, y = digits(size, "train")
        hx, hy = digits(size, "heldout")
        return DataSource(name, "images", x, y if conditional else None, hx, hy if conditional else None,
                          10 if conditional else 0, {"name": name, "size": int(size)})
    # Image-to-image data (fastgan.data.translation): digits-edges, digits-inverted, digits-m,
    # paired:FOLDER, and folders with A/+B/ (paired) or trainA/+trainB/ (two domains).
    from .translation import load_translation

    translation = load_translation(name, size=size, channels=channels, conditional=conditional)
    if translation is not None:
        return translation
    if os.path.exists(name):
        return _image_folder(name, size, channels or 3)
    raise ValueError(f"unknown data {name!r}: use ring8, grid25, digits, shapes, or a folder of images")


def _image_folder(root, size, channels):
    from .images import ImageFolder

    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    if size not in (16, 32, 64):
        raise ValueError(f"image folders are resized to 16, 32 or 64 px, got size={size}")
    folder = ImageFolder(root)
    images = []
    for i in range(len(folder)):
        img = folder[i].float().unsqueeze(0) / 127.5 - 1.0
        # Centre square crop, then area resize: keeps aspect ratio and avoids aliasing.
        h, w = img.shape[-2:]
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        img = F.interpolate(img[..., top:top + side, left:left + side], size=(size, size), mode="area")
        images.append(img.mean(1, keepdim=True) if channels == 1 else img)
    x = torch.cat(images)
    if len(x) < 20:
        raise ValueError(f"{root} holds {len(x)} images; GAN training needs at least 20")
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    cut = max(10, len(x) // 10)
    heldout, train = perm[:cut].sort().values, perm[cut:].sort().values
    return DataSource(str(root), "images", x[train], None, x[heldout], None, 0,
                      {"name": str(root), "size": int(size), "channels": int(channels)})
