"""clean-fid's feature extractors (``cleanfid.features``) on fastgan's FID Inception.

clean-fid feeds the same Inception-v3 (the TF 2015-12-05 graph) in two ways:

- "clean" and "legacy_tensorflow": NVIDIA's TorchScript port, fed 0..255 float pixels. In
  "clean" the images arrive resized and the network maps them by ``(x - 128) / 128``; in
  "legacy_tensorflow" the network first resizes them itself (TF1 bilinear through an affine
  grid, ``fastgan.networks.resize.resize_tf1_bilinear_grid``), then maps them the same way.
- "legacy_pytorch": pytorch-fid's port, fed ``x / 255`` and mapping it by ``2 * x - 1``.

Here every mode runs ``fastgan.networks.FIDInceptionV3`` (pytorch-fid's weights file, the same
TF weights) on the input each mode computes, and returns the 2048 pool3 features.

Reference statistics of named datasets are files that clean-fid downloads; fastgan never
downloads them: ``get_reference_statistics`` reads them from ``stats_dir()`` (or from the stats
folder of an installed clean-fid) and otherwise raises an error that says where to put the file.
"""
import importlib.util
import os
from pathlib import Path

import numpy as np
import torch

from ..._cache import default_cache_dir
from ...networks.inception import FIDInceptionV3
from ...networks.preprocessing import tf_pixel_mapping
from ...networks.resize import resize_tf1_bilinear_grid
from .resize import MODES

__all__ = ["feature_extractor", "build_feature_extractor", "get_reference_statistics", "stats_dir",
           "stats_search_dirs", "StatisticsNotFoundError", "STATS_BASE_URL"]

STATS_BASE_URL = "https://www.cs.cmu.edu/~clean-fid/stats/"


class StatisticsNotFoundError(FileNotFoundError):
    """Named reference statistics that are not on this machine (fastgan does not download them)."""


def build_feature_extractor(mode, device=None, use_dataparallel=True, weights="pytorch-fid"):
    """The feature function clean-fid builds for `mode`: batch [N,3,H,W] pixels -> [N,2048].

    Args:
        mode: "clean", "legacy_pytorch" or "legacy_tensorflow".
        device: where the network runs (default: CUDA when available, else the CPU).
        use_dataparallel: accepted for clean-fid compatibility (one device is used).
        weights: FIDInceptionV3 weights (fastgan extension): "pytorch-fid" (the published
            file), a path or a state dict.
    Returns:
        a callable taking float 0..255 images as the mode's resizer leaves them (299x299 for
        "clean" and "legacy_pytorch", any size for "legacy_tensorflow") and returning float32
        features [N,2048] on the network's device.
    """
    if mode not in MODES:
        raise ValueError(f"Invalid mode {mode} specified; use one of {', '.join(MODES)}")
    return feature_extractor(mode, device=device, weights=weights)


def feature_extractor(mode="clean", device=None, weights="pytorch-fid"):
    """See ``build_feature_extractor`` (clean-fid names the builder of one network so)."""
    device = torch.device(device) if device is not None else torch.device(
        "cuda" if torch.cuda.is_available() else "cpu")
    net = FIDInceptionV3(weights=weights, resize=None).to(device)

    @torch.no_grad()
    def features(batch):
        x = torch.as_tensor(batch).to(device=device, dtype=torch.float32)
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"expected images [N,3,H,W], got shape {tuple(x.shape)}")
        if mode == "legacy_pytorch":
            x = 2 * (x / 255) - 1
        else:
            if mode == "legacy_tensorflow":
                x = resize_tf1_bilinear_grid(x, 299)
            elif tuple(x.shape[-2:]) != (299, 299):
                raise ValueError(f"mode 'clean' expects images resized to 299x299, got {tuple(x.shape[-2:])}")
            x = tf_pixel_mapping(x)
        return net.pool3(x)

    features.network = net
    return features


def stats_dir():
    """Where fastgan keeps clean-fid statistics: ``$FASTGAN_CLEANFID_STATS_DIR``, else
    ``<fastgan cache>/cleanfid_stats`` (custom statistics are written there)."""
    override = os.environ.get("FASTGAN_CLEANFID_STATS_DIR")
    if override:
        return Path(override).expanduser()
    return default_cache_dir() / "cleanfid_stats"


def stats_search_dirs():
    """Folders searched for statistics files: ``stats_dir()``, then an installed clean-fid's own
    ``stats`` folder (found without importing clean-fid), so files it downloaded are reused."""
    dirs = [stats_dir()]
    spec = importlib.util.find_spec("cleanfid")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            dirs.append(Path(loc) / "stats")
    return dirs


def reference_file_name(name, res, mode="clean", model_name="inception_v3", split="test", metric="FID"):
    """clean-fid's file name for named statistics: ``{name}_{mode}[_{model}]_{split}_{res}[_kid].npz``."""
    if split == "custom":
        res = "na"
    modifier = "" if model_name == "inception_v3" else "_" + model_name
    suffix = "_kid" if metric == "KID" else ""
    if metric not in ("FID", "KID"):
        raise ValueError(f"metric must be 'FID' or 'KID', got {metric!r}")
    return f"{name}_{mode}{modifier}_{split}_{res}{suffix}.npz".lower()


def find_statistics(fname):
    """The first existing path of statistics file `fname` in ``stats_search_dirs()``, or None."""
    for folder in stats_search_dirs():
        path = folder / fname
        if path.is_file():
            return path
    return None


def get_reference_statistics(name, res, mode="clean", model_name="inception_v3", seed=0, split="test",
                             metric="FID"):
    """Reference statistics of a named dataset, as clean-fid's function returns them.

    Args:
        name, res, mode, model_name, split: which statistics (clean-fid's naming); split
            "custom" selects statistics made by ``make_custom_stats``.
        seed: unused (clean-fid's signature).
        metric: "FID" -> (mu [2048], sigma [2048, 2048]); "KID" -> features [N, 2048].
    Raises:
        StatisticsNotFoundError naming the file, the URL clean-fid downloads it from and the
        folder to put it in (fastgan never downloads statistics).
    """
    fname = reference_file_name(name, res, mode, model_name, split, metric)
    path = find_statistics(fname)
    if path is None:
        if split == "custom":
            raise StatisticsNotFoundError(
                f"custom statistics {name!r} (mode {mode!r}) do not exist: no {fname} in "
                f"{', '.join(str(d) for d in stats_search_dirs())}; create them with make_custom_stats")
        raise StatisticsNotFoundError(
            f"the {metric} reference statistics {fname} are not on this machine, and fastgan does not download "
            f"them. Download {STATS_BASE_URL}{fname} on a connected machine and put it in {stats_dir()} "
            f"(or set FASTGAN_CLEANFID_STATS_DIR to the folder that holds it)")
    with np.load(path) as stats:
        if metric == "KID":
            return stats["feats"]
        return stats["mu"], stats["sigma"]
