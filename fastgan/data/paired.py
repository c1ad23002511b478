"""Paired (aligned) image-to-image data: input A -> target B, as Pix2Pix and BicycleGAN consume it.

Two folder layouts, and one built-in set:

- side by side (`load_data("paired:ROOT")`): every image under ROOT holds A on its left
  half and B on its right half (the layout of Pix2Pix's facades/edges2shoes archives);
- two folders (`load_data("ROOT")` with ROOT/A and ROOT/B): files match by their path
  relative to A and B, extension aside (A/x.png pairs with B/x.jpg);
- `digits-edges`: scikit-learn's digits, input = the digit's edge map, target = the digit.

Images under a `test/` or `val/` subfolder are the held-out pairs; without any, a seeded
10% of the pairs is held out. A DataSource of paired data has the inputs as x/heldout_x and
``extra["target"]`` / ``extra["heldout_target"]`` aligned with them.
"""
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .digits import digits
from .domain_images import check_folder, domain_files, read_images, relative_names, split, to_model_images

HELDOUT_FOLDERS = ("test", "val")


def side_by_side_folder(root, size=16, channels=3):
    """A DataSource of the A|B images under `root` (each split into its left and right halves).

    Args:
        root: folder of side-by-side images (test/ or val/ subfolders are held out).
        size: model image side (16, 32, 64); each half is centre-cropped and resized.
        channels: 1 (grey) or 3.

    Raises:
        ValueError: no images, images of different sizes, or an odd width (naming the file).
    """
    root = check_folder(root, "paired folder")
    files = domain_files(root, f"paired folder {root}")
    images = read_images(files, f"paired folder {root}")
    width = images.shape[-1]
    if width % 2:
        raise ValueError(f"paired folder {root}: {files[0]} is {width} px wide; side-by-side A|B images need an "
                         f"even width (A on the left half, B on the right)")
    a, b = images[..., : width // 2], images[..., width // 2:]
    heldout = _heldout_mask(relative_names(files, root))
    return _paired_source(f"paired:{root}", a, b, heldout, size, channels, f"paired folder {root}")


def two_folder_pairs(root, size=16, channels=3):
    """A DataSource of ROOT/A/* paired with ROOT/B/* by relative file name.

    Raises:
        ValueError: a file without a partner, different counts, or a pair whose two images
            differ in size (naming the files).
    """
    root = Path(root)
    files_a = domain_files(root / "A", f"paired folder {root}, domain A")
    files_b = domain_files(root / "B", f"paired folder {root}, domain B")
    names_a, names_b = relative_names(files_a, root / "A"), relative_names(files_b, root / "B")
    for name, dupes in (("A", names_a), ("B", names_b)):
        seen = {}
        for f, n in zip(files_a if name == "A" else files_b, dupes):
            if n in seen:
                raise ValueError(f"paired folder {root}: {seen[n]} and {f} have the same name in {name}; "
                                 f"pairs are matched by name, so names must be unique")
            seen[n] = f
    only_a = sorted(set(names_a) - set(names_b))
    only_b = sorted(set(names_b) - set(names_a))
    if only_a or only_b:
        first = (root / "A" / only_a[0]) if only_a else (root / "B" / only_b[0])
        raise ValueError(f"paired folder {root}: A holds {len(files_a)} images and B {len(files_b)}; "
                         f"{len(only_a)} in A and {len(only_b)} in B have no partner of the same name "
                         f"(first: {first}.*)")
    by_name_b = dict(zip(names_b, files_b))
    files_b = [by_name_b[n] for n in names_a]
    a = read_images(files_a, f"paired folder {root}, domain A")
    b = read_images(files_b, f"paired folder {root}, domain B")
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"paired folder {root}: {files_a[0]} is {a.shape[-1]}x{a.shape[-2]} px but its partner "
                         f"{files_b[0]} is {b.shape[-1]}x{b.shape[-2]} px; the two images of a pair must have "
                         f"the same size")
    return _paired_source(str(root), a, b, _heldout_mask(names_a), size, channels, f"paired folder {root}")


def digits_edges(size=16, conditional=True):
    """The built-in paired set `digits-edges`: edge map of a digit -> the digit (labels kept).

    Args:
        size: image side (16, 32, 64).
        conditional: keep the digit labels (y, heldout_y).

    Returns:
        A DataSource: x = edge maps [N, 1, S, S] in {-1, 1}, extra["target"] = the digits in
        [-1, 1]; the digits' fixed 80/20 split (fastgan.data.digits).
    """
    from .sources import DataSource

    if int(size) not in (16, 32, 64):
        raise ValueError(f"digits-edges comes at 16, 32 or 64 px, got size={size}")
    x, y = digits(size, "train")
    hx, hy = digits(size, "heldout")
    return DataSource("digits-edges", "images", edge_map(x), y if conditional else None, edge_map(hx),
                      hy if conditional else None, 10 if conditional else 0,
                      {"name": "digits-edges", "size": int(size)},
                      extra={"target": x, "heldout_target": hx, "labels_b": y, "heldout_labels_b": hy})


def edge_map(x, threshold=0.35):
    """Edges of images in [-1, 1]: the morphological gradient (3x3 max minus min) above `threshold`.

    Args:
        x: [N, C, S, S] in [-1, 1] (C = 1 for digits).
        threshold: gradient (in [0, 1] units of intensity) that counts as an edge.

    Returns:
        [N, C, S, S] in {-1, 1}: 1 on edges, -1 elsewhere (strokes become outlines).
    """
    unit = (x + 1) / 2
    dilated = F.max_pool2d(unit, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-unit, 3, stride=1, padding=1)
    return torch.where(dilated - eroded > threshold, 1.0, -1.0)


def _heldout_mask(names):
    """True for names under a test/ or val/ folder (at any depth)."""
    return np.array([any(part in HELDOUT_FOLDERS for part in name.split("/")[:-1]) for name in names])


def _paired_source(name, a, b, heldout, size, channels, what):
    from .sources import DataSource

    a, b = to_model_images(a, size, channels), to_model_images(b, size, channels)
    if heldout.any():
        held, train = np.flatnonzero(heldout), np.flatnonzero(~heldout)
        if len(train) == 0:
            raise ValueError(f"{what}: every pair is under test/ or val/; nothing is left to train on")
    else:
        train, held = split(len(a), what)
    train, held = torch.from_numpy(train), torch.from_numpy(held)
    return DataSource(name, "images", a[train], None, a[held], None, 0,
                      {"name": name, "size": int(size), "channels": int(channels)},
                      extra={"target": b[train], "heldout_target": b[held]})
