"""One evaluation pipeline: folders, arrays, datasets or generators -> features -> every metric.

    fastgan.evaluate("data/real", "samples/", metrics=("fid", "kid", "is", "prdc"))

Each input is turned into features once (FID Inception pool3 by default, plus its logits for
the Inception Score) and shared by all metrics. Features of image folders on the real side
are cached on disk, keyed by the file list (relative names, sizes, modification times), the
extractor's identity and its preprocessing, so evaluating many generators against one
reference set extracts the reference features once.

Result keys follow torch-fidelity: ``frechet_inception_distance``,
``kernel_inception_distance_mean`` / ``_std``, ``inception_score_mean`` / ``_std``,
``precision``, ``recall``, plus ``density`` and ``coverage`` (prdc).
"""
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm.auto import tqdm

from . import distributed
from ._cache import default_cache_dir
from ._modes import eval_mode
from .metrics.fid import frechet_distance
from .metrics.inception_score import inception_score
from .metrics.kid import kid
from .metrics.prdc import prdc
from .metrics.stats import FeatureStats

__all__ = ["evaluate", "extract_features", "default_cache_dir", "METRICS"]

METRICS = ("fid", "kid", "is", "prdc", "ppl")
DEFAULT_METRICS = ("fid", "kid", "is", "prdc")
# Metrics computed from the feature pass (PPL samples the generator itself).
_FEATURE_METRICS = {"fid", "kid", "is", "prdc"}
# Bumped whenever the meaning of cached files changes (decoding, stored arrays).
_CACHE_FORMAT = "fastgan-features-v1"


def evaluate(real, fake, metrics=DEFAULT_METRICS, feature_extractor="inception", batch_size=50, device=None, cache=True,
             num_samples=None, *, cache_dir=None, verbose=True, kid_subsets=100, kid_subset_size=1000,
             is_splits=10, is_shuffle_seed=2020, prdc_k=5, latent_dim=None, seed=0, image_range=(-1.0, 1.0), on_error="raise",
             num_workers=0, ppl_samples=10000, ppl_options=None):
    """Every requested metric between a real and a generated set, from one feature pass per set.

    Args:
        real, fake: each one of
            - a folder of images (or one image/array file; see fastgan.data.ImageFolder),
            - a ``.npz`` with ``mu`` and ``sigma`` (statistics: FID only),
            - a ``.npy`` of features [N, D] (FID, KID, PRDC),
            - uint8 images [N,3,H,W] (tensor or NumPy; floats in [0,1] also work),
            - a torch Dataset of images [3,H,W] (or (image, label) pairs),
            - a generator: a callable / nn.Module mapping latents [B, latent_dim] to images
              (needs ``num_samples``; float outputs are in `image_range` and are quantised to
              uint8 like saved images, so a generator and a folder of its samples agree).
        Under torch.distributed (e.g. ``torchrun --nproc_per_node N``) every process reads a
        disjoint shard of each input and all return the whole sets' numbers, plus
        "world_size" and "samples_per_rank" (the real-side cache is not used then).
        metrics: any of "fid", "kid", "is", "prdc", "ppl" (a tuple or a comma-separated string).
            IS is computed on `fake` only, like torch-fidelity; PPL needs `fake` to be a
            generator (perceptual path length in z, LPIPS-VGG, torch-fidelity's keys).
        feature_extractor: "inception" (the FID Inception-v3 with pytorch-fid's published
            weights), or an nn.Module / callable mapping an image batch (uint8 [B,3,H,W]) to
            features [B, D] or to a dict with "pool3" (features) and "logits_unbiased" or
            "logits" (for IS), as fastgan.networks.FIDInceptionV3 returns.
        batch_size: images per extractor call.
        device: where the extractor runs; default CUDA when available (for "inception") or
            the module's own device.
        cache: cache the real side's features on disk (folder inputs only; see `cache_dir`).
        num_samples: samples drawn from a generator input.
        cache_dir: cache folder; default ``$FASTGAN_CACHE_DIR`` or ``~/.cache/fastgan``.
        verbose: progress bars (False silences them).
        kid_subsets, kid_subset_size: KID subsets; the subset size is capped by the set sizes.
        is_splits: Inception Score splits.
        is_shuffle_seed: the fake rows are permuted by
            ``numpy.random.RandomState(is_shuffle_seed).permutation(N)`` before splitting, as
            torch-fidelity does (2020 is its seed); None keeps the input order.
        prdc_k: k of PRDC.
        latent_dim: latent size of a generator without a ``latent_dim``/``z_dim`` attribute.
        seed: seed of the generator latents.
        image_range: value range of float generator outputs (default [-1, 1], tanh).
        on_error: "raise" (default) or "skip" unreadable image files.
        num_workers: DataLoader workers reading image folders.
        ppl_samples: latent pairs of PPL.
        ppl_options: more keyword arguments of fastgan.metrics.perceptual_path_length
            (epsilon, space, resize, lpips_model, ...).

    Returns:
        dict of floats with the keys listed in the module docstring, for the metrics asked.

    Raises:
        ValueError / TypeError / FileNotFoundError with the input and what to do: unknown
        metrics, empty folders, unreadable files, statistics where features are needed, too
        few samples; fastgan.networks.weights.WeightsNotFoundError (names where to put the
        file) when the Inception weights are missing and cannot be downloaded.
    """
    wanted = _parse_metrics(metrics)
    extractor = Extractor(feature_extractor, device=device)
    rank, world_size = distributed.world()
    # Under torch.distributed every process reads its own rows of every input (no padding).
    shard = (rank, world_size) if world_size > 1 else None
    options = dict(batch_size=batch_size, verbose=verbose and rank == 0, num_samples=num_samples,
                   latent_dim=latent_dim, seed=seed, image_range=image_range, on_error=on_error,
                   num_workers=num_workers, shard=shard)
    need_logits = "is" in wanted
    if "ppl" in wanted and (not callable(fake) or isinstance(fake, (Dataset, torch.Tensor, np.ndarray))):
        raise ValueError("PPL samples a generator: give fake as a generator (a callable / nn.Module of latents)")
    feature_metrics = wanted & _FEATURE_METRICS
    # Cheap checks of both inputs first, so an empty fake folder fails before the real set is extracted.
    for source, name in ((real, "real"), (fake, "fake")):
        if (name == "fake" and feature_metrics) or feature_metrics - {"is"}:
            _precheck(source, name)
    real_set = load_features(real, "real", extractor, cache=cache and shard is None, cache_dir=cache_dir,
                             need_logits=False, **options) if feature_metrics - {"is"} else None
    fake_set = load_features(fake, "fake", extractor, cache=False, need_logits=need_logits,
                             **options) if feature_metrics else None
    compute = compute_metrics if shard is None else compute_metrics_sharded
    out = compute(real_set, fake_set, feature_metrics, kid_subsets=kid_subsets, kid_subset_size=kid_subset_size,
                  is_splits=is_splits, is_shuffle_seed=is_shuffle_seed, prdc_k=prdc_k, verbose=verbose)
    if "ppl" in wanted:
        from .metrics.ppl import perceptual_path_length

        mean, std, _ = perceptual_path_length(fake, num_samples=ppl_samples, latent_dim=latent_dim, seed=seed,
                                              image_range=image_range, batch_size=batch_size,
                                              verbose=verbose and rank == 0, **(ppl_options or {}))
        out["perceptual_path_length_mean"] = mean
        out["perceptual_path_length_std"] = std
    if shard is not None:
        out["world_size"] = world_size
        out["samples_per_rank"] = {name: distributed.comm.all_gather_counts(
            0 if fs is None or fs.features is None else fs.features.shape[0], torch.device("cpu")).tolist()
            for name, fs in (("real", real_set), ("fake", fake_set))}
    return out


@dataclass
class FeatureSet:
    """Features of one input: `features` [N, D] float32 and `logits` [N, C] (or None); or only
    `stats` (a .npz of mean and covariance)."""

    name: str
    features: torch.Tensor = None
    logits: torch.Tensor = None
    stats: FeatureStats = None

    def fid_stats(self):
        if self.stats is None:
            _require_rows(self, 2, "FID")
            self.stats = FeatureStats().update(self.features)
        return self.stats


def compute_metrics(real, fake, wanted, kid_subsets=100, kid_subset_size=1000, is_splits=10, is_shuffle_seed=2020,
                    prdc_k=5, verbose=False, kid_seed=2020):
    """The requested metrics from two FeatureSets (see `evaluate` for keys and arguments)."""
    out = {}
    if "fid" in wanted:
        out["frechet_inception_distance"] = _fid_of_stats(real.fid_stats(), fake.fid_stats())
    if "kid" in wanted:
        x, y = _features_of(real, "KID"), _features_of(fake, "KID")
        size = min(kid_subset_size, x.shape[0], y.shape[0])
        mean, std = kid(x, y, subsets=kid_subsets, subset_size=size, seed=kid_seed)
        out["kernel_inception_distance_mean"] = mean
        out["kernel_inception_distance_std"] = std
    if "is" in wanted:
        logits = _fake_logits(fake)
        if is_shuffle_seed is not None:
            logits = logits[torch.from_numpy(np.random.RandomState(is_shuffle_seed).permutation(logits.shape[0]))]
        mean, std = inception_score(logits, splits=is_splits)
        out["inception_score_mean"] = mean
        out["inception_score_std"] = std
    if "prdc" in wanted:
        x, y = _features_of(real, "PRDC"), _features_of(fake, "PRDC")
        out.update(prdc(x, y, nearest_k=prdc_k, verbose=verbose))
    return out


def compute_metrics_sharded(real, fake, wanted, kid_subsets=100, kid_subset_size=1000, is_splits=10,
                            is_shuffle_seed=2020, prdc_k=5, verbose=False, kid_seed=2020):
    """`compute_metrics` from this process's shards of both sets (fastgan.distributed); the same keys."""
    out = {}
    if "fid" in wanted:
        out["frechet_inception_distance"] = _fid_of_stats(_stats_sharded(real), _stats_sharded(fake))
    if "kid" in wanted:
        x, y = _shard_features(real, "KID"), _shard_features(fake, "KID")
        rows = [int(distributed.comm.all_gather_counts(t.shape[0], torch.device("cpu")).sum()) for t in (x, y)]
        size = min(kid_subset_size, *rows)
        mean, std = distributed.kid(x, y, subsets=kid_subsets, subset_size=size, seed=kid_seed)
        out["kernel_inception_distance_mean"] = mean
        out["kernel_inception_distance_std"] = std
    if "is" in wanted:
        total = int(distributed.comm.all_gather_counts(_fake_logits(fake).shape[0], torch.device("cpu")).sum())
        order = None if is_shuffle_seed is None else np.random.RandomState(is_shuffle_seed).permutation(total)
        mean, std = distributed.inception_score(fake.logits, splits=is_splits, order=order)
        out["inception_score_mean"] = mean
        out["inception_score_std"] = std
    if "prdc" in wanted:
        x, y = _shard_features(real, "PRDC"), _shard_features(fake, "PRDC")
        out.update(distributed.prdc(x, y, nearest_k=prdc_k))
    return out


def _fid_of_stats(r, f):
    """FID of two FeatureStats, refusing statistics of different feature sizes."""
    if r.num_features != f.num_features:
        raise ValueError(f"feature sizes differ: real has {r.num_features}, fake has {f.num_features}; "
                         "were they computed with the same extractor?")
    return frechet_distance(r.mean, r.cov, f.mean.to(r.device), f.cov.to(r.device))


def _fake_logits(fake):
    if fake.logits is None:
        raise ValueError("the Inception Score needs classifier logits of the fake set, but its features came "
                         "from a file or an extractor without logits; give images and an extractor that returns "
                         "a dict with 'logits' (such as the default 'inception')")
    return fake.logits


def _stats_sharded(feature_set):
    if feature_set.stats is not None:
        return feature_set.stats
    stats = distributed.feature_stats(feature_set.features)
    if stats.num_samples < 2:
        raise ValueError(f"FID needs at least 2 {feature_set.name} samples over all processes, got {stats.num_samples}")
    return stats


def _shard_features(feature_set, metric):
    # Row counts are checked over all processes by fastgan.distributed: a shard may be tiny.
    if feature_set.features is None:
        raise ValueError(f"{metric} needs features, but {feature_set.name} is a file of statistics (mu, sigma); "
                         f"give its images or a .npy of features, or compute FID only")
    return feature_set.features


class Extractor:
    """A feature extractor with a stable identity for the cache.

    Args:
        spec: "inception", an nn.Module or a callable (see `evaluate`).
        device: where a module runs (default: CUDA if available for "inception", else the
            module's device).

    ``identity`` is a string that changes whenever the features would: the published weights'
    hash for "inception", a fingerprint of the state dict for modules; None for plain
    callables (their features are not cached unless they carry a ``cache_key`` attribute).
    """

    def __init__(self, spec, device=None):
        self.spec = spec
        self.device = torch.device(device) if device is not None else None
        self._net = None
        self._identity = None
        if isinstance(spec, str):
            if spec != "inception":
                raise ValueError(f'feature_extractor must be "inception", an nn.Module or a callable, got {spec!r}')
        elif not callable(spec):
            raise TypeError(f"feature_extractor must be 'inception', an nn.Module or a callable, "
                            f"got {type(spec).__name__}")

    @property
    def identity(self):
        if self._identity is None:
            self._identity = self._compute_identity()
        return self._identity or None

    def _compute_identity(self):
        if isinstance(self.spec, str):
            from .networks.weights import REGISTRY

            # The name and the published hash identify it without loading 100 MB of weights.
            return f"FIDInceptionV3:{REGISTRY['pytorch-fid'].sha256}:resize=bilinear"
        key = getattr(self.spec, "cache_key", None)
        if key is not None:
            return f"custom:{key}"
        if isinstance(self.spec, nn.Module):
            return (f"{type(self.spec).__module__}.{type(self.spec).__qualname__}:{state_fingerprint(self.spec)}"
                    f":resize={getattr(self.spec, 'resize', None)}")
        return ""

    def net(self):
        """The callable, built (and moved to `device`) on first use."""
        if self._net is None:
            if isinstance(self.spec, str):
                from .networks.inception import FIDInceptionV3

                device = self.device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
                self._net = FIDInceptionV3(weights="pytorch-fid").to(device)
            else:
                if self.device is not None and isinstance(self.spec, nn.Module):
                    self.spec.to(self.device)
                self._net = self.spec
        return self._net

    def __call__(self, images):
        """(features [B, D] float32 CPU, logits [B, C] float32 CPU or None) of an image batch."""
        net = self.net()
        if self.device is not None and not isinstance(net, nn.Module):
            images = images.to(self.device)
        with torch.no_grad():
            out = net(images)
        if isinstance(out, dict):
            feats = out.get("pool3", out.get("features"))
            if feats is None:
                raise ValueError(f"the feature extractor returned a dict with keys {sorted(out)}; "
                                 "it needs 'pool3' (or 'features')")
            logits = out.get("logits_unbiased", out.get("logits"))
        elif isinstance(out, (tuple, list)):
            feats, logits = out[0], None
        else:
            feats, logits = out, None
        if not isinstance(feats, torch.Tensor):
            raise TypeError(f"the feature extractor must return a tensor or a dict of tensors, got {type(feats).__name__}")
        feats = feats.reshape(feats.shape[0], -1).float().cpu()
        return feats, (None if logits is None else logits.reshape(logits.shape[0], -1).float().cpu())


def state_fingerprint(module):
    """SHA-256 (first 16 hex digits) of a module's state dict: names, dtypes, shapes and values."""
    h = hashlib.sha256()
    for name, value in module.state_dict().items():
        h.update(f"{name}:{value.dtype}:{tuple(value.shape)};".encode())
        h.update(value.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:16]


def load_features(source, name, extractor, *, cache=False, cache_dir=None, need_logits=False, batch_size=50,
                  verbose=True, num_samples=None, latent_dim=None, seed=0, image_range=(-1.0, 1.0),
                  on_error="raise", num_workers=0, shard=None):
    """A FeatureSet for one input of `evaluate` (see there), using the cache for folders.

    shard: (rank, world_size) to read only that process's rows (fastgan.distributed.shard_range);
    .npz statistics are read whole.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"{name}: {path} does not exist; give an image folder, a .npz of statistics "
                                    "or a .npy of features")
        if path.is_file() and path.suffix.lower() == ".npz" and _is_stats_file(path):
            return FeatureSet(name, stats=FeatureStats.load(path))
        if path.is_file() and path.suffix.lower() == ".npy" and _is_feature_file(path):
            rows = np.load(path, mmap_mode="r")
            start, stop = _rows_of(rows.shape[0], shard)
            return FeatureSet(name, features=torch.from_numpy(np.array(rows[start:stop], dtype=np.float32)))
        return _folder_features(path, name, extractor, cache, cache_dir, need_logits, batch_size, verbose,
                                on_error, num_workers, shard)
    batches, total = _image_batches(source, name, batch_size, num_samples, latent_dim, seed, image_range, shard)
    features, logits = extract_features(batches, extractor, total=total, desc=name, verbose=verbose)
    return FeatureSet(name, features=features, logits=logits)


def extract_features(batches, extractor, total=None, desc="features", verbose=True, allow_empty=False):
    """Run `extractor` (an Extractor) over image batches; returns (features, logits or None).

    allow_empty: a process's shard may hold no images (more processes than images); its
    features are then [0, D], D from one blank image.
    """
    extractor.net()  # built (weights loaded or a clear error) before the progress bar starts
    feats, logits = [], []
    with tqdm(total=total, desc=desc, unit="img", disable=not verbose) as bar:
        for batch in batches:
            if batch.shape[0] == 0:
                continue
            f, lg = extractor(batch)
            feats.append(f)
            if lg is not None:
                logits.append(lg)
            bar.update(batch.shape[0])
    if not feats and allow_empty:
        f, lg = extractor(torch.zeros(1, 3, 8, 8, dtype=torch.uint8))
        return f[:0], (lg[:0] if lg is not None else None)
    if not feats:
        raise ValueError(f"{desc}: no images to evaluate")
    return torch.cat(feats), (torch.cat(logits) if len(logits) == len(feats) else None)


def folder_cache_key(files, root, extractor_identity, on_error):
    """Hex key of a folder's features: file names, sizes and mtimes, the extractor, the decoding."""
    h = hashlib.sha256(f"{_CACHE_FORMAT};{extractor_identity};on_error={on_error};".encode())
    root = Path(root)
    for path in files:
        st = path.stat()
        rel = path.relative_to(root).as_posix() if path != root else path.name
        h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]


def _rows_of(n, shard):
    return (0, n) if shard is None else distributed.shard_range(n, *shard)


def _folder_features(path, name, extractor, cache, cache_dir, need_logits, batch_size, verbose, on_error,
                     num_workers, shard=None):
    from .data.images import ImageFolder, ImageReadError

    try:
        dataset = ImageFolder(path, on_error=on_error)
    except ImageReadError as exc:
        raise ValueError(f"{name}: {exc}; remove or fix the file, or pass on_error='skip'") from exc
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from exc
    target = None
    identity = extractor.identity if cache else None
    if identity:
        key = folder_cache_key(dataset.files, path, identity, on_error)
        target = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        target = target / "features" / f"{key}.npz"
        cached = _read_cache(target, need_logits)
        if cached is not None:
            if verbose:
                print(f"{name}: features of {path} from the cache ({target})")
            return cached
    collate = dataset.collate
    if shard is not None:
        dataset = Subset(dataset, range(*_rows_of(len(dataset), shard)))
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers, collate_fn=collate)
    try:
        features, logits = extract_features(loader, extractor, total=len(dataset), desc=name, verbose=verbose,
                                            allow_empty=shard is not None)
    except ImageReadError as exc:
        raise ValueError(f"{name}: {exc}; remove or fix the file, or pass on_error='skip'") from exc
    if target is not None:
        _write_cache(target, features, logits)
    return FeatureSet(name, features=features, logits=logits)


def _read_cache(path, need_logits):
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            if need_logits and "logits" not in data.files:
                return None
            features = torch.from_numpy(data["features"])
            logits = torch.from_numpy(data["logits"]) if "logits" in data.files else None
    except (OSError, ValueError, KeyError):
        return None  # a damaged cache file is recomputed (and overwritten)
    return FeatureSet("real", features=features, logits=logits)


def _write_cache(path, features, logits):
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"features": features.numpy()}
    if logits is not None:
        arrays["logits"] = logits.numpy()
    # Written beside the target and renamed: a concurrent reader never sees half a file.
    fd, tmp = tempfile.mkstemp(prefix=path.stem, suffix=".npz.partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _image_batches(source, name, batch_size, num_samples, latent_dim, seed, image_range, shard=None):
    """(iterable of image batches, number of images) for arrays, datasets and generators (of this shard)."""
    if isinstance(source, np.ndarray):
        source = torch.from_numpy(np.ascontiguousarray(source))
    if isinstance(source, torch.Tensor):
        if source.dim() != 4 or source.shape[1] != 3:
            raise ValueError(f"{name} images must be [N,3,H,W], got shape {tuple(source.shape)}")
        if source.shape[0] == 0:
            raise ValueError(f"{name} holds no images")
        start, stop = _rows_of(source.shape[0], shard)
        return (source[i:min(i + batch_size, stop)] for i in range(start, stop, batch_size)), stop - start
    if isinstance(source, Dataset):
        if len(source) == 0:
            raise ValueError(f"{name} dataset is empty")
        rows = range(*_rows_of(len(source), shard))
        loader = DataLoader(Subset(source, rows), batch_size=batch_size, collate_fn=_collate_images)
        return loader, len(rows)
    if callable(source):
        if num_samples is None or num_samples < 1:
            raise ValueError(f"{name} is a generator: pass num_samples= (how many images to draw)")
        rows = _rows_of(num_samples, shard)
        return _generated(source, name, batch_size, num_samples, latent_dim, seed, image_range, rows), \
            rows[1] - rows[0]
    raise TypeError(f"{name} must be a folder, a .npz/.npy path, images [N,3,H,W], a Dataset or a generator, "
                    f"got {type(source).__name__}")


def _collate_images(items):
    images = [item[0] if isinstance(item, (tuple, list)) else item for item in items]
    images = [torch.as_tensor(x) for x in images]
    return torch.stack(images)


def generator_latent_dim(generator, latent_dim=None):
    """The latent size of a generator: `latent_dim`, or its latent_dim / z_dim / nz attribute."""
    if latent_dim is not None:
        return int(latent_dim)
    for attr in ("latent_dim", "z_dim", "nz"):
        value = getattr(generator, attr, None)
        if isinstance(value, int):
            return value
    raise ValueError("cannot tell the generator's latent size: pass latent_dim= (or give the generator a "
                     "latent_dim attribute)")


def generator_device(generator):
    if isinstance(generator, nn.Module):
        for p in generator.parameters():
            return p.device
    return torch.device("cpu")


def latent_batches(num_samples, dim, batch_size, seed, chunk=1024):
    """Standard normal latents [B, dim] in batches; the same rows whatever batch_size is.

    Drawn from torch.Generator().manual_seed(seed) in fixed chunks of `chunk` rows (torch's
    randn gives different numbers for one call of 10 rows than for calls of 4, 4 and 2).
    """
    rng = torch.Generator().manual_seed(seed)
    buffer = torch.empty(0, dim)
    drawn = 0
    for start in range(0, num_samples, batch_size):
        n = min(batch_size, num_samples - start)
        while buffer.shape[0] < n:
            rows = min(chunk, num_samples - drawn)
            buffer = torch.cat([buffer, torch.randn(rows, dim, generator=rng)])
            drawn += rows
        yield buffer[:n]
        buffer = buffer[n:]


def _generated(generator, name, batch_size, num_samples, latent_dim, seed, image_range, rows=None):
    dim = generator_latent_dim(generator, latent_dim)
    device = generator_device(generator)
    lo, hi = image_range
    start, stop = rows if rows is not None else (0, num_samples)
    # Every process draws the same latents (cheap) and runs the generator on its rows only,
    # so the samples are those of a single-process run. The generator runs in eval mode.
    with eval_mode(generator):
        yield from _generated_batches(generator, name, batch_size, num_samples, dim, seed, lo, hi, start, stop, device)


def _generated_batches(generator, name, batch_size, num_samples, dim, seed, lo, hi, start, stop, device):
    position = 0
    for z in latent_batches(num_samples, dim, batch_size, seed):
        first, position = position, position + z.shape[0]
        z = z[max(start - first, 0):max(min(stop - first, z.shape[0]), 0)]
        if z.shape[0] == 0:
            continue
        with torch.no_grad():
            images = generator(z.to(device))
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] not in (1, 3):
            got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise ValueError(f"{name} generator must return images [B,3,H,W] (or [B,1,H,W]), got {got}")
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)  # grey samples: the feature networks take RGB
        if images.dtype != torch.uint8:
            # Quantised like a saved PNG, so a generator and a folder of its samples score the same.
            images = ((images.float() - lo) / (hi - lo)).clamp(0, 1).mul(255).round().to(torch.uint8)
        yield images


def _precheck(source, name):
    if not isinstance(source, (str, os.PathLike)):
        return
    from .data.images import list_images

    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"{name}: {path} does not exist; give an image folder, a .npz of statistics "
                                "or a .npy of features")
    if path.is_dir() and not list_images(path):
        raise ValueError(f"{name}: no images found in {path}")


def _parse_metrics(metrics):
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    wanted = {str(m).lower() for m in metrics}
    unknown = wanted - set(METRICS)
    if unknown or not wanted:
        raise ValueError(f"unknown metrics {sorted(unknown) or '(none given)'}; choose from {', '.join(METRICS)}")
    return wanted


def _is_stats_file(path):
    try:
        with np.load(path) as data:
            return {"mu", "sigma"} <= set(data.files)
    except (OSError, ValueError):
        return False


def _is_feature_file(path):
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = reader(f)
    except (OSError, ValueError):
        return False
    # uint8 arrays are images (ImageFolder reads them); float [N, D] arrays are features.
    return len(shape) == 2 and np.issubdtype(dtype, np.floating)


def _features_of(feature_set, metric):
    if feature_set.features is None:
        raise ValueError(f"{metric} needs features, but {feature_set.name} is a file of statistics (mu, sigma); "
                         f"give its images or a .npy of features, or compute FID only")
    _require_rows(feature_set, 2, metric)
    return feature_set.features


def _require_rows(feature_set, rows, metric):
    n = feature_set.features.shape[0]
    if n < rows:
        raise ValueError(f"{metric} needs at least {rows} {feature_set.name} samples, got {n}")
