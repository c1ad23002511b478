"""The built-in metrics of the registry: each a name, its features, its options and its function.

Result keys follow torch-fidelity where it has the metric: ``frechet_inception_distance``,
``kernel_inception_distance_mean`` / ``_std``, ``inception_score_mean`` / ``_std``,
``precision``, ``recall``, plus ``density`` and ``coverage`` (prdc) and
``perceptual_path_length_mean`` / ``_std``.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from .. import distributed
from ..metrics.fid import frechet_distance
from ..metrics.inception_score import inception_score
from ..metrics.kid import kid
from ..metrics.prdc import prdc
from .registry import Metric, Space, register_metric


def _features(side, metric, rows=2):
    """The [N, D] features of a FeatureSet, or a clear error (statistics only, too few rows)."""
    if side.features is None:
        what = "a file of statistics (mu, sigma)" if side.stats is not None else "an input without these features"
        raise ValueError(f"{metric} needs features, but {side.name} is {what}; give its images or a .npy of "
                         f"features, or compute FID only")
    if side.features.shape[0] < rows:
        raise ValueError(f"{metric} needs at least {rows} {side.name} samples, got {side.features.shape[0]}")
    return side.features


def _shard_features(side, metric):
    # Row counts are checked over all processes by fastgan.distributed: a shard may be tiny.
    return _features(side, metric, rows=0)


def _frechet(r, f):
    """The Fréchet distance of two FeatureStats, refusing statistics of different feature sizes."""
    if r.num_features != f.num_features:
        raise ValueError(f"feature sizes differ: real has {r.num_features}, fake has {f.num_features}; "
                         "were they computed with the same extractor?")
    return frechet_distance(r.mean, r.cov, f.mean.to(r.device), f.cov.to(r.device))


def _stats_sharded(side):
    if side.stats is not None:
        return side.stats
    stats = distributed.feature_stats(_shard_features(side, "a Fréchet distance"))
    if stats.num_samples < 2:
        raise ValueError(f"a Fréchet distance needs at least 2 {side.name} samples over all processes, "
                         f"got {stats.num_samples}")
    return stats


def _frechet_metric(key):
    """compute and sharded functions of a Fréchet distance reported under `key`."""
    def compute(real, fake, options, context):
        return {key: _frechet(real.fid_stats(), fake.fid_stats())}

    def sharded(real, fake, options, context):
        return {key: _frechet(_stats_sharded(real), _stats_sharded(fake))}

    return compute, sharded


@dataclass(frozen=True)
class NoOptions:
    """A metric without options."""


_fid, _fid_sharded = _frechet_metric("frechet_inception_distance")
register_metric(Metric("fid", "Fréchet Inception Distance (pytorch-fid's numbers)", ("frechet_inception_distance",),
                       NoOptions, _fid, sharded=_fid_sharded))


@dataclass(frozen=True)
class KIDOptions:
    """KID: `subsets` random subsets of `subset_size` rows per side (capped by the set sizes), the
    polynomial kernel (x.y * gamma + coef0)^degree (gamma None: 1/D), subsets drawn from `seed`."""

    subsets: int = 100
    subset_size: int = 1000
    degree: int = 3
    gamma: Optional[float] = None
    coef0: float = 1.0
    seed: int = 2020


def _kid(real, fake, o, context):
    x, y = _features(real, "KID"), _features(fake, "KID")
    size = min(o.subset_size, x.shape[0], y.shape[0])
    mean, std = kid(x, y, subsets=o.subsets, subset_size=size, degree=o.degree, gamma=o.gamma, coef0=o.coef0,
                    seed=o.seed)
    return {"kernel_inception_distance_mean": mean, "kernel_inception_distance_std": std}


def _kid_sharded(real, fake, o, context):
    x, y = _shard_features(real, "KID"), _shard_features(fake, "KID")
    rows = [int(distributed.comm.all_gather_counts(t.shape[0], torch.device("cpu")).sum()) for t in (x, y)]
    size = min(o.subset_size, *rows)
    mean, std = distributed.kid(x, y, subsets=o.subsets, subset_size=size, degree=o.degree, gamma=o.gamma,
                                coef0=o.coef0, seed=o.seed)
    return {"kernel_inception_distance_mean": mean, "kernel_inception_distance_std": std}


register_metric(Metric("kid", "Kernel Inception Distance (unbiased MMD², polynomial kernel)",
                       ("kernel_inception_distance_mean", "kernel_inception_distance_std"), KIDOptions, _kid,
                       sharded=_kid_sharded))


@dataclass(frozen=True)
class ISOptions:
    """Inception Score: `splits` splits of the fake logits, permuted first by
    numpy RandomState(shuffle_seed).permutation(N) as torch-fidelity does (None keeps the order)."""

    splits: int = 10
    shuffle_seed: Optional[int] = 2020


def _logits(fake):
    if fake.features is None:
        raise ValueError("the Inception Score needs classifier logits of the fake set, but its features came "
                         "from a file or an extractor without logits; give images and an extractor that returns "
                         "a dict with 'logits' (such as the default 'inception')")
    return fake.features


def _is(real, fake, o, context):
    logits = _logits(fake)
    if o.shuffle_seed is not None:
        logits = logits[torch.from_numpy(np.random.RandomState(o.shuffle_seed).permutation(logits.shape[0]))]
    mean, std = inception_score(logits, splits=o.splits)
    return {"inception_score_mean": mean, "inception_score_std": std}


def _is_sharded(real, fake, o, context):
    logits = _logits(fake)
    total = int(distributed.comm.all_gather_counts(logits.shape[0], torch.device("cpu")).sum())
    order = None if o.shuffle_seed is None else np.random.RandomState(o.shuffle_seed).permutation(total)
    mean, std = distributed.inception_score(logits, splits=o.splits, order=order)
    return {"inception_score_mean": mean, "inception_score_std": std}


register_metric(Metric("is", "Inception Score of the fake set (torch-fidelity's numbers)",
                       ("inception_score_mean", "inception_score_std"), ISOptions, _is, real=None,
                       fake=Space(layer="logits"), sharded=_is_sharded))


@dataclass(frozen=True)
class PRDCOptions:
    """PRDC with the k-th nearest neighbour (prdc's nearest_k)."""

    k: int = 5


def _prdc(real, fake, o, context):
    return prdc(_features(real, "PRDC"), _features(fake, "PRDC"), nearest_k=o.k, verbose=context.verbose)


def _prdc_sharded(real, fake, o, context):
    return distributed.prdc(_shard_features(real, "PRDC"), _shard_features(fake, "PRDC"), nearest_k=o.k)


register_metric(Metric("prdc", "improved precision/recall, density and coverage (prdc's numbers, exact k-NN)",
                       ("precision", "recall", "density", "coverage"), PRDCOptions, _prdc, sharded=_prdc_sharded))

_sfid, _sfid_sharded = _frechet_metric("sfid")
register_metric(Metric("sfid", "spatial FID: the ADM evaluator's mixed_6/conv features (2023-d) of the FID Inception",
                       ("sfid",), NoOptions, _sfid, real=Space(layer="spatial"), fake=Space(layer="spatial"),
                       sharded=_sfid_sharded))

_fd_dinov2, _fd_dinov2_sharded = _frechet_metric("fd_dinov2")
register_metric(Metric("fd_dinov2", "Fréchet distance of DINOv2 ViT-L/14 features (dgm-eval)", ("fd_dinov2",),
                       NoOptions, _fd_dinov2, real=Space("dinov2"), fake=Space("dinov2"), sharded=_fd_dinov2_sharded))


@dataclass(frozen=True)
class CMMDOptions:
    """CMMD: the Gaussian RBF bandwidth `sigma` and the reported multiple `scale` of MMD²."""

    sigma: float = 10.0
    scale: float = 1000.0


def _cmmd(real, fake, o, context):
    from ..metrics.cmmd import cmmd

    return {"cmmd": cmmd(_features(real, "CMMD"), _features(fake, "CMMD"), sigma=o.sigma, scale=o.scale)}


register_metric(Metric("cmmd", "CLIP maximum mean discrepancy (Jayasumana et al.), CLIP ViT-L/14@336 embeddings",
                       ("cmmd",), CMMDOptions, _cmmd, real=Space("clip"), fake=Space("clip")))


@dataclass(frozen=True)
class VendiOptions:
    """Vendi score of the fake set: order `q`, kernel "cosine" or "rbf" (scale `gamma`, None: 1/D)."""

    q: float = 1.0
    kernel: str = "cosine"
    gamma: Optional[float] = None


def _vendi(real, fake, o, context):
    from ..metrics.vendi import vendi_score

    return {"vendi_score": vendi_score(_features(fake, "Vendi", rows=1), q=o.q, kernel=o.kernel, gamma=o.gamma)}


register_metric(Metric("vendi", "Vendi score (effective number of distinct samples) of the fake set",
                       ("vendi_score",), VendiOptions, _vendi, real=None))


@dataclass(frozen=True)
class FIDInfinityOptions:
    """FID-infinity: FID of `num_points` fake subsets from `min_n` to `max_n` rows (None: all),
    drawn from `seed`, extrapolated to infinitely many samples."""

    min_n: int = 5000
    max_n: Optional[int] = None
    num_points: int = 15
    seed: int = 0


def _fid_inf(real, fake, o, context):
    from ..metrics.fid_infinity import fid_infinity

    value = fid_infinity(_features(real, "FID-infinity"), _features(fake, "FID-infinity"), min_n=o.min_n,
                         max_n=o.max_n, num_points=o.num_points, seed=o.seed)
    return {"fid_infinity": value}


register_metric(Metric("fid_inf", "FID extrapolated to infinitely many samples (Chong & Forsyth)", ("fid_infinity",),
                       FIDInfinityOptions, _fid_inf))


def _is_inf(real, fake, o, context):
    from ..metrics.fid_infinity import is_infinity

    return {"inception_score_infinity": is_infinity(_logits(fake), min_n=o.min_n, max_n=o.max_n,
                                                    num_points=o.num_points, seed=o.seed)}


register_metric(Metric("is_inf", "Inception Score extrapolated to infinitely many samples (Chong & Forsyth)",
                       ("inception_score_infinity",), FIDInfinityOptions, _is_inf, real=None,
                       fake=Space(layer="logits")))


def _authpct(real, fake, o, context):
    from ..metrics.authpct import authpct

    return {"authpct": authpct(_features(real, "AuthPct"), _features(fake, "AuthPct", rows=1))}


register_metric(Metric("authpct", "AuthPct (dgm-eval): % of fake samples not closer to a real (training) sample "
                                  "than that sample's own neighbour", ("authpct",), NoOptions, _authpct))
from . import image_metrics  # noqa: E402,F401  (registers lpips and ppl after the feature metrics)
