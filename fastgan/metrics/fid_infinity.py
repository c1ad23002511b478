"""FID∞ and IS∞ (Chong & Forsyth, "Effectively Unbiased FID and Inception Score and where to find them").

FID_N is biased upward by a term that falls like 1/N (IS_N downward). The reference evaluates FID on
`num_points` subsets of the generated features of sizes evenly spaced from `min_n` to
`max_n` (each a fresh random subset), fits FID_N = FID∞ + slope / N by least squares,
and reports the intercept (IS∞ alike, with the Inception Score of one split per subset).
The real statistics are computed once; each subset's
statistics come from the features already in memory.
"""
import numpy as np
import torch

from .fid import frechet_distance
from .stats import FeatureStats
from ._features import feature_pair


@torch.no_grad()
def fid_infinity(real, fake, min_n=5000, max_n=None, num_points=15, seed=0, return_points=False):
    """FID extrapolated to infinitely many generated samples.

    Args:
        real: [N1, D] real features (NumPy or torch).
        fake: [N2, D] generated features, same D.
        min_n: the smallest subset (the reference: 5000).
        max_n: the largest subset (default: all of fake; the reference: 50000).
        num_points: how many subset sizes, evenly spaced from min_n to max_n (>= 2).
        seed: subsets are drawn by numpy RandomState(seed) permutations, one per size.
        return_points: also return the (sizes, FIDs) the line was fitted to.

    Returns:
        float FID∞, or (FID∞, sizes [num_points] int, fids [num_points] float).
    """
    x, y = feature_pair(real, "real", fake, "fake", min_rows=2)
    sizes = _subset_sizes(y.shape[0], min_n, max_n, num_points)
    real_stats = FeatureStats().update(x)
    rng = np.random.RandomState(seed)
    fids = []
    for size in sizes:
        rows = torch.from_numpy(rng.permutation(y.shape[0])[:size]).to(y.device)
        stats = FeatureStats().update(y[rows])
        fids.append(frechet_distance(real_stats.mean, real_stats.cov, stats.mean.to(real_stats.device),
                                     stats.cov.to(real_stats.device)))
    return _extrapolated(sizes, fids, return_points)


@torch.no_grad()
def is_infinity(logits, min_n=5000, max_n=None, num_points=15, seed=0, return_points=False):
    """The Inception Score extrapolated to infinitely many generated samples.

    Args:
        logits: [N, C] classifier logits of the generated samples (NumPy or torch).
        min_n, max_n, num_points, seed, return_points: as in `fid_infinity`; each subset's
            score is the Inception Score of one split (the whole subset).

    Returns:
        float IS∞, or (IS∞, sizes [num_points] int, scores [num_points] float).
    """
    from ._features import feature_matrix
    from .inception_score import inception_score

    y = feature_matrix(logits, "logits", min_rows=2)
    sizes = _subset_sizes(y.shape[0], min_n, max_n, num_points)
    rng = np.random.RandomState(seed)
    scores = []
    for size in sizes:
        rows = torch.from_numpy(rng.permutation(y.shape[0])[:size]).to(y.device)
        scores.append(inception_score(y[rows], splits=1)[0])
    return _extrapolated(sizes, scores, return_points)


def _subset_sizes(n, min_n, max_n, num_points):
    """num_points subset sizes evenly spaced from min_n to max_n (None: n), validated."""
    max_n = n if max_n is None else max_n
    for name, value in (("min_n", min_n), ("max_n", max_n), ("num_points", num_points)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
            raise ValueError(f"{name} must be an integer >= 2, got {value!r}")
    if not min_n < max_n <= n:
        raise ValueError(f"need min_n < max_n <= the {n} generated samples, got min_n={min_n}, max_n={max_n}")
    return np.linspace(min_n, max_n, num_points).astype(np.int64)


def _extrapolated(sizes, values, return_points):
    """The intercept of the least-squares line value = a + b / size (and the points, if asked)."""
    values = np.asarray(values, dtype=np.float64)
    design = np.stack([np.ones(len(sizes)), 1.0 / sizes], axis=1)
    (intercept, _slope), *_ = np.linalg.lstsq(design, values, rcond=None)
    return (float(intercept), sizes, values) if return_points else float(intercept)
