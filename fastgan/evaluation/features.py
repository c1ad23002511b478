"""Inputs -> features: one pass of each extractor over each input, and the on-disk cache.

Features of image folders on the real side are cached on disk, keyed by the file list
(relative names, sizes, modification times), the extractor's identity and the decoding, so
evaluating many generators against one reference set extracts the reference features once.
"""
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Subset
from tqdm.auto import tqdm

from .._cache import default_cache_dir
from ..metrics.stats import FeatureStats
from .inputs import image_batches, is_feature_file, is_stats_file, rows_of

__all__ = ["FeatureSet", "load_features", "extract_layers", "extract_features", "folder_cache_key",
           "default_cache_dir"]

# Bumped whenever the meaning of cached files changes (decoding, stored arrays).
_CACHE_FORMAT = "fastgan-features-v1"


@dataclass
class FeatureSet:
    """What one extractor made of one input.

    Attributes:
        name: the input's name in messages ("real", "fake").
        layers: {layer name: [N, ...] float32 tensor}, e.g. "features" [N, D], "logits" [N, C].
        stats: FeatureStats of "features" (a .npz of mean and covariance gives only these).
        given: True when the input was a file of features or statistics (not images): it then
            stands for whatever feature space a metric asks for.
    """

    name: str
    layers: dict = field(default_factory=dict)
    stats: FeatureStats = None
    given: bool = False

    @property
    def features(self):
        """[N, D] main features (Inception pool3), or None for statistics only."""
        return self.layers.get("features")

    @property
    def logits(self):
        """[N, C] classifier logits, or None."""
        return self.layers.get("logits")

    def view(self, layer):
        """A FeatureSet whose "features" are this set's `layer` (statistics only for "features").

        A file of features stands for the "features" layer of any extractor, never for logits
        or spatial features: those are then missing and the metric says so.
        """
        if layer == "features":
            return self
        return FeatureSet(self.name, {"features": self.layers[layer]} if layer in self.layers else {})

    def fid_stats(self):
        """FeatureStats (float64 mean and covariance) of the features, computed once."""
        if self.stats is None:
            if self.features is None or self.features.shape[0] < 2:
                n = 0 if self.features is None else self.features.shape[0]
                raise ValueError(f"a Fréchet distance needs at least 2 {self.name} samples, got {n}")
            self.stats = FeatureStats().update(self.features)
        return self.stats


def load_features(source, name, extractor, *, layers=("features",), cache=False, cache_dir=None, need_logits=False,
                  batch_size=50, verbose=True, num_samples=None, latent_dim=None, seed=0, image_range=(-1.0, 1.0),
                  on_error="raise", num_workers=0, shard=None):
    """A FeatureSet of one input of `fastgan.evaluate` (see there), using the cache for folders.

    Args:
        source, name: the input and its name in messages.
        extractor: an Extractor.
        layers: the layers wanted ("features", "logits", "spatial"); need_logits adds "logits".
        shard: (rank, world_size) to read only that process's rows
            (fastgan.distributed.shard_range); .npz statistics are read whole.
        The others: as in `fastgan.evaluate`.
    """
    layers = tuple(dict.fromkeys((*layers, *(("logits",) if need_logits else ()))))
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"{name}: {path} does not exist; give an image folder, a .npz of statistics "
                                    "or a .npy of features")
        if path.is_file() and path.suffix.lower() == ".npz" and is_stats_file(path):
            return FeatureSet(name, stats=FeatureStats.load(path), given=True)
        if path.is_file() and path.suffix.lower() == ".npy" and is_feature_file(path):
            rows = np.load(path, mmap_mode="r")
            start, stop = rows_of(rows.shape[0], shard)
            features = torch.from_numpy(np.array(rows[start:stop], dtype=np.float32))
            return FeatureSet(name, {"features": features}, given=True)
        return _folder_features(path, name, extractor, layers, cache, cache_dir, batch_size, verbose, on_error,
                                num_workers, shard)
    batches, total = image_batches(source, name, batch_size, num_samples, latent_dim, seed, image_range, shard)
    return FeatureSet(name, extract_layers(batches, extractor, layers, total=total, desc=name, verbose=verbose))


def extract_layers(batches, extractor, layers=("features",), total=None, desc="features", verbose=True,
                   allow_empty=False):
    """Run `extractor` (an Extractor) over image batches; returns {layer: [N, ...] float32}.

    Layers the network does not give are left out (the metric that needs them says so).
    allow_empty: a process's shard may hold no images (more processes than images); its
    layers are then [0, ...], their sizes from one blank image.
    """
    extractor.net()  # built (weights loaded or a clear error) before the progress bar starts
    parts = []
    with tqdm(total=total, desc=desc, unit="img", disable=not verbose) as bar:
        for batch in batches:
            if batch.shape[0] == 0:
                continue
            out = extractor.layers(batch)
            parts.append({k: v for k, v in out.items() if k in layers})
            bar.update(batch.shape[0])
    if not parts and allow_empty:
        out = extractor.layers(torch.zeros(1, 3, 8, 8, dtype=torch.uint8))
        return {k: v[:0] for k, v in out.items() if k in layers}
    if not parts:
        raise ValueError(f"{desc}: no images to evaluate")
    return {k: torch.cat([p[k] for p in parts]) for k in parts[0] if all(k in p for p in parts)}


def extract_features(batches, extractor, total=None, desc="features", verbose=True, allow_empty=False):
    """`extract_layers` for the main features and the logits: (features [N, D], logits [N, C] or None)."""
    out = extract_layers(batches, extractor, ("features", "logits"), total=total, desc=desc, verbose=verbose,
                         allow_empty=allow_empty)
    return out["features"], out.get("logits")


def folder_cache_key(files, root, extractor_identity, on_error):
    """Hex key of a folder's features: file names, sizes and mtimes, the extractor, the decoding."""
    h = hashlib.sha256(f"{_CACHE_FORMAT};{extractor_identity};on_error={on_error};".encode())
    root = Path(root)
    for path in files:
        st = path.stat()
        rel = path.relative_to(root).as_posix() if path != root else path.name
        h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]


def _folder_features(path, name, extractor, layers, cache, cache_dir, batch_size, verbose, on_error, num_workers,
                     shard=None):
    from ..data.images import ImageFolder, ImageReadError

    try:
        dataset = ImageFolder(path, on_error=on_error)
    except ImageReadError as exc:
        raise ValueError(f"{name}: {exc}; remove or fix the file, or pass on_error='skip'") from exc
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from exc
    rows = rows_of(len(dataset), shard)
    folder, key, kept = None, None, ()
    identity = extractor.identity if cache else None
    if identity:
        key = folder_cache_key(dataset.files, path, identity, on_error)
        folder = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / "features"
        cached, kept = _read_cached_rows(folder, key, rows, len(dataset), name, layers)
        if cached is not None:
            if verbose:
                print(f"{name}: features of {path} from the cache ({folder / key}*)")
            return cached
    collate = dataset.collate
    if shard is not None:
        dataset = Subset(dataset, range(*rows))
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers, collate_fn=collate)
    wanted = tuple(dict.fromkeys((*layers, *kept)))  # a re-extraction keeps what the cache held
    try:
        out = extract_layers(loader, extractor, wanted, total=len(dataset), desc=name, verbose=verbose,
                             allow_empty=shard is not None)
    except ImageReadError as exc:
        raise ValueError(f"{name}: {exc}; remove or fix the file, or pass on_error='skip'") from exc
    if folder is not None and rows[1] > rows[0]:
        _write_cache(folder / f"{key}-{rows[0]}-{rows[1]}.npz", out)
    return FeatureSet(name, out)


def _cache_pieces(folder, key, total):
    """[(start, stop, path)] of the cached pieces of one folder's features, longest first.

    A run caches the rows it read: the whole folder in one process, its shard under
    torch.distributed; any run can assemble its rows from pieces of earlier runs of any world size.
    """
    pieces = []
    legacy = folder / f"{key}.npz"  # the one-file layout of earlier versions: every row
    if legacy.is_file():
        pieces.append((0, total, legacy))
    for path in folder.glob(f"{key}-*-*.npz"):
        try:
            start, stop = (int(v) for v in path.stem[len(key) + 1:].split("-"))
        except ValueError:
            continue
        if 0 <= start < stop <= total:
            pieces.append((start, stop, path))
    return sorted(pieces, key=lambda p: (p[0], -p[1]))


def _read_cached_rows(folder, key, rows, total, name, layers):
    """(FeatureSet of rows [start, stop) from cached pieces, or None; the layers the pieces hold)."""
    start, stop = rows
    if stop <= start:
        return None, ()
    parts, held, position = [], None, start
    for lo, hi, path in _cache_pieces(folder, key, total):
        if lo > position:
            break  # a gap: the rows are not all cached
        if hi <= position:
            continue
        data = _read_cache(path, layers)
        if data is None:
            continue
        take = slice(position - lo, min(hi, stop) - lo)
        parts.append({k: v[take] for k, v in data.items()})
        held = set(data) if held is None else held & set(data)
        position = min(hi, stop)
        if position >= stop:
            out = {k: torch.cat([p[k] for p in parts]) for k in held}
            return FeatureSet(name, out), tuple(held)
    return None, tuple(held or ())


def _read_cache(path, layers):
    """{layer: tensor} of one cache file holding every layer asked, or None (missing layer, damaged file)."""
    try:
        with np.load(path) as data:
            if not set(layers) <= set(data.files):
                return None
            return {k: torch.from_numpy(data[k]) for k in data.files}
    except (OSError, ValueError, KeyError):
        return None  # a damaged cache file is recomputed (and overwritten)


def _write_cache(path, layers):
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: a concurrent reader never sees half a file.
    fd, tmp = tempfile.mkstemp(prefix=path.stem, suffix=".npz.partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{k: v.numpy() for k, v in layers.items()})
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
