"""FID∞ (Chong & Forsyth, "Effectively Unbiased FID and Inception Score and where to find them").

FID_N is biased upward by a term that falls like 1/N. The reference evaluates FID on
`num_points` subsets of the generated features of sizes evenly spaced from `min_n` to
`max_n` (each a fresh random subset), fits FID_N = FID∞ + slope / N by least squares,
and reports the intercept. The real statistics are computed once; each subset's
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
    max_n = y.shape[0] if max_n is None else max_n
    for name, value in (("min_n", min_n), ("max_n", max_n), ("num_points", num_points)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
            raise ValueError(f"{name} must be an integer >= 2, got {value!r}")
    if not min_n < max_n <= y.shape[0]:
        raise ValueError(f"need min_n < max_n <= the {y.shape[0]} generated samples, got min_n={min_n}, max_n={max_n}")
    real_stats = FeatureStats().update(x)
    sizes = np.linspace(min_n, max_n, num_points).astype(np.int64)
    rng = np.random.RandomState(seed)
    fids = []
    for size in sizes:
        rows = torch.from_numpy(rng.permutation(y.shape[0])[:size]).to(y.device)
        stats = FeatureStats().update(y[rows])
        fids.append(frechet_distance(real_stats.mean, real_stats.cov, stats.mean.to(real_stats.device),
                                     stats.cov.to(real_stats.device)))
    fids = np.asarray(fids, dtype=np.float64)
    design = np.stack([np.ones(num_points), 1.0 / sizes], axis=1)
    (intercept, _slope), *_ = np.linalg.lstsq(design, fids, rcond=None)
    return (float(intercept), sizes, fids) if return_points else float(intercept)
