"""`fastgan.evaluate`: inputs -> features (once per extractor) -> the registered metrics."""
import numpy as np
import torch

from .. import distributed
from .extractors import EXTRACTORS, Extractor
from .features import load_features
from .inputs import is_generator, precheck
from .registry import EvaluationContext, Space, parse_metrics, resolve_options

DEFAULT_METRICS = ("fid", "kid", "is", "prdc")


def evaluate(real, fake, metrics=DEFAULT_METRICS, feature_extractor="inception", batch_size=50, device=None, cache=True,
             num_samples=None, *, options=None, cache_dir=None, verbose=True, latent_dim=None, seed=0,
             image_range=(-1.0, 1.0), on_error="raise", num_workers=0, **metric_options):
    """Every requested metric between a real and a generated set, from one feature pass per set and extractor.

    Args:
        real, fake: each one of
            - a folder of images (or one image/array file; see fastgan.data.ImageFolder),
            - a ``.npz`` with ``mu`` and ``sigma`` (statistics: Fréchet distances only),
            - a ``.npy`` of features [N, D] (the feature-level metrics run on them as given),
            - uint8 images [N,3,H,W] (tensor or NumPy; floats in [0,1] also work),
            - a torch Dataset of images [3,H,W] (or (image, label) pairs),
            - a generator: a callable / nn.Module mapping latents [B, latent_dim] to images
              (needs ``num_samples``; float outputs are in `image_range` and are quantised to
              uint8 like saved images, so a generator and a folder of its samples agree).
        Under torch.distributed (e.g. ``torchrun --nproc_per_node N``) every process reads a
        disjoint shard of each input and all return the whole sets' numbers, plus
        "world_size" and "samples_per_rank". The cache holds the rows each run read, so runs
        of any world size reuse each other's features.
        metrics: names of the metric registry (`fastgan.evaluation.metric_names()`: fid, kid,
            is, prdc, sfid, fd_dinov2, cmmd, vendi, fid_inf, authpct, lpips, ppl), a tuple or a
            comma-separated string. IS and Vendi are computed on `fake` only; AuthPct takes
            `real` as the training set; LPIPS compares aligned pairs; PPL needs a generator.
        feature_extractor: the network of the metrics on Inception features (fid, kid, is,
            prdc, sfid, vendi, fid_inf, authpct): "inception" (the FID Inception-v3 with
            pytorch-fid's published weights), or an nn.Module / callable mapping uint8 images
            [B,3,H,W] to features [B, D] or to a dict with "pool3" (features),
            "logits_unbiased" or "logits" (IS) and "spatial" (sFID), as FIDInceptionV3 returns.
            fd_dinov2 and cmmd always use their own networks (DINOv2, CLIP).
        batch_size: images per extractor call.
        device: where the extractors run; default CUDA when available (named extractors) or
            the module's own device.
        cache: cache the real side's features on disk (folder inputs only; see `cache_dir`).
        num_samples: samples drawn from a generator input.
        options: {metric name: its options dataclass (fastgan.evaluation.KIDOptions, ...) or a
            dict of its fields}.
        cache_dir: cache folder; default ``$FASTGAN_CACHE_DIR`` or ``~/.cache/fastgan``.
        verbose: progress bars (False silences them).
        latent_dim: latent size of a generator without a ``latent_dim``/``z_dim`` attribute.
        seed: seed of the generator latents.
        image_range: value range of float generator outputs (default [-1, 1], tanh).
        on_error: "raise" (default) or "skip" unreadable image files.
        num_workers: DataLoader workers reading image folders.
        **metric_options: one option as ``<metric>_<field>=value``, e.g. kid_subsets=100,
            kid_subset_size=1000, is_splits=10, is_shuffle_seed=2020, prdc_k=5, ppl_samples=10000,
            ppl_options={...}, cmmd_sigma=10 (see each metric's options dataclass).

    Returns:
        dict of floats: the keys of each metric asked (torch-fidelity's where it has the metric).

    Raises:
        ValueError / TypeError / FileNotFoundError with the input and what to do: unknown
        metrics or options, empty folders, unreadable files, statistics where features are
        needed, one file of features asked to stand for two feature spaces, too few samples;
        fastgan.networks.weights.WeightsNotFoundError (names where to put the file) when
        weights are missing and cannot be downloaded.
    """
    wanted = parse_metrics(metrics)
    opts = resolve_options(wanted, options, metric_options)
    rank, world_size = distributed.world()
    # Under torch.distributed every process reads its own rows of every input (no padding).
    shard = (rank, world_size) if world_size > 1 else None
    if shard is not None:
        lone = [m.name for m in wanted if m.sharded is None]
        if lone:
            raise ValueError(f"{', '.join(lone)} cannot run across processes yet; evaluate them in one process "
                             f"(world size here: {world_size})")
    context = EvaluationContext(real, fake, batch_size=batch_size, num_samples=num_samples, latent_dim=latent_dim,
                                seed=seed, image_range=image_range, on_error=on_error, num_workers=num_workers,
                                verbose=verbose and rank == 0, shard=shard)
    if any(m.fake == "generator" for m in wanted) and not is_generator(fake):
        names = ", ".join(m.name.upper() for m in wanted if m.fake == "generator")
        raise ValueError(f"{names} samples a generator: give fake as a generator (a callable / nn.Module of latents)")
    plan = _plan(wanted, feature_extractor, device)
    # Cheap checks of both inputs first, so an empty fake folder fails before the real set is extracted.
    for side, source in (("real", real), ("fake", fake)):
        if plan[side] or any(getattr(m, side) == "images" for m in wanted):
            precheck(source, side)
    sets = {side: _side_features(side, source, plan[side], context, cache, cache_dir)
            for side, source in (("real", real), ("fake", fake))}
    out = {}
    for m in wanted:
        real_view, fake_view = (_view(sets[side], getattr(m, side), side, m.name) for side in ("real", "fake"))
        compute = m.compute if shard is None else m.sharded
        out.update(compute(real_view, fake_view, opts[m.name], context))
    if shard is not None:
        out["world_size"] = world_size
        out["samples_per_rank"] = {side: distributed.comm.all_gather_counts(_rows(sets[side]), torch.device("cpu")).tolist()
                                   for side in ("real", "fake")}
    return out


def compute_on_features(metrics, real, fake, options=None, **metric_options):
    """Registered metrics on feature matrices you already have (one process; no networks run).

    Args:
        metrics: names (a tuple or a comma-separated string) of metrics on features: fid, kid,
            is (fake = logits), prdc, vendi, fid_inf, is_inf, authpct, cmmd, fd_dinov2, sfid (each
            side's matrix is taken as that metric's features).
        real, fake: [N, D] and [M, D] tensors or arrays (None for a side no metric reads).
        options, **metric_options: as in `evaluate`.

    Returns:
        dict with the metrics' result keys.
    """
    from .features import FeatureSet
    from .inputs import as_feature_tensor

    wanted = parse_metrics(metrics)
    opts = resolve_options(wanted, options, metric_options)
    sides = {side: None if value is None else FeatureSet(side, {"features": as_feature_tensor(value, side)}, given=True)
             for side, value in (("real", real), ("fake", fake))}
    context = EvaluationContext(real, fake, verbose=False)
    out = {}
    for m in wanted:
        views = []
        for side in ("real", "fake"):
            space = getattr(m, side)
            if space is not None and not isinstance(space, Space):
                raise ValueError(f"{m.name} reads {space}, not features: use fastgan.evaluate")
            if space is not None and sides[side] is None:
                raise ValueError(f"{m.name} needs {side} features")
            views.append(sides[side] if space is not None else None)
        out.update(m.compute(*views, opts[m.name], context))
    return out


def _plan(wanted, feature_extractor, device):
    """{side: {extractor key: (Extractor, layers)}} of the feature passes the metrics need."""
    extractors = {}
    plan = {"real": {}, "fake": {}}
    for m in wanted:
        for side in ("real", "fake"):
            space = getattr(m, side)
            if not isinstance(space, Space):
                continue
            key = space.extractor or "default"
            if key not in extractors:
                spec = feature_extractor if space.extractor is None else space.extractor
                if space.extractor is not None and spec not in EXTRACTORS:
                    extractors[key] = _MissingExtractor(spec, m.name)  # files of features still work
                else:
                    extractors[key] = Extractor(spec, device=device)
            layers = plan[side].setdefault(key, (extractors[key], []))[1]
            if space.layer not in layers:
                layers.append(space.layer)
    return plan


class _MissingExtractor:
    """Stands for a feature network this installation lacks: fine for inputs that are files of
    features, a clear error as soon as images need it."""

    def __init__(self, name, metric_name):
        self.message = (f"{metric_name} needs the {name!r} feature network for image inputs, which this "
                        f"installation does not provide (available: {', '.join(sorted(EXTRACTORS))}); "
                        f"give .npy files of its features instead")

    @property
    def identity(self):
        raise ValueError(self.message)

    def net(self):
        raise ValueError(self.message)

    layers = net


def _side_features(side, source, passes, context, cache, cache_dir):
    """{extractor key: FeatureSet} of one input, one pass per extractor."""
    out = {}
    for key, (extractor, layers) in passes.items():
        out[key] = load_features(source, side, extractor, layers=tuple(layers), cache=cache and side == "real",
                                 cache_dir=cache_dir, batch_size=context.batch_size, verbose=context.verbose,
                                 num_samples=context.num_samples, latent_dim=context.latent_dim, seed=context.seed,
                                 image_range=context.image_range, on_error=context.on_error,
                                 num_workers=context.num_workers, shard=context.shard)
        spaces = [(k, layer) for k, (_, ls) in passes.items() for layer in ls if layer != "logits"]
        if out[key].given and len(spaces) > 1:
            named = ", ".join(f"{'inception' if k == 'default' else k} {layer}" for k, layer in spaces)
            raise ValueError(f"{side} is a file of features or statistics: it can stand for one feature space, but "
                             f"the metrics asked need {named}; evaluate them separately")
    return out


def _view(sets, space, side, metric_name):
    """The FeatureSet of `space` for one side, or a clear error when that layer is missing."""
    if not isinstance(space, Space):
        return None
    whole = sets[space.extractor or "default"]
    view = whole.view(space.layer)
    if view.features is None and view.stats is None:
        hint = {"logits": "classifier logits (an extractor that returns a dict with 'logits', such as the default "
                          "'inception')",
                "spatial": "the FID Inception's spatial features (the default 'inception', or a FIDInceptionV3)"}
        source = "a file of features or statistics" if whole.given else "the feature extractor"
        raise ValueError(f"{metric_name} needs the {space.layer!r} layer of the {side} set, which {source} "
                         f"does not give; it needs {hint.get(space.layer, space.layer)}")
    return view


def _rows(sets):
    for fs in sets.values():
        if fs.features is not None:
            return fs.features.shape[0]
    return 0
