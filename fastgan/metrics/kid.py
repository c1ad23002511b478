"""Kernel Inception Distance: unbiased MMD² with a polynomial kernel, over subsets.

    k(x, y) = (γ x·y + c0)^degree,  γ = 1/D by default
    MMD²_u = Σ_{i≠j} k(x_i, x_j) / (m(m-1)) + Σ_{i≠j} k(y_i, y_j) / (m(m-1)) - 2 Σ_{i,j} k(x_i, y_j) / m²

Kernel sums are float64 (fastgan.ops.kernel_sum, tiled, on the features' device): MMD²
is a small difference of large sums, so float32 Gram matrices would lose most of its digits.
"""
import math

import numpy as np
import torch

from ..ops._inputs import as_tensor, check_finite
from ..ops.kernel_sum import kernel_sum


@torch.no_grad()
def kid(real, fake, subsets=100, subset_size=1000, degree=3, gamma=None, coef0=1.0, seed=2020):
    """KID between two feature sets, as (mean, std) of MMD² over random subsets.

    Each subset draws `subset_size` rows of `real`, then `subset_size` rows of
    `fake`, without replacement, from numpy.random.RandomState(seed) (the sampling
    of torch-fidelity, whose defaults these are; torch-fidelity draws its first input,
    the generated set, first: pass that set as `real` to reproduce its subsets; MMD² is
    symmetric in the two sets). `std` is the population standard
    deviation over subsets (ddof=0, like torch-fidelity; torchmetrics uses ddof=1).

    Args:
        real: [N1, D], fake: [N2, D] NumPy arrays or torch tensors (same device).
        subsets: number of subsets (>= 1).
        subset_size: rows per subset (>= 2, at most min(N1, N2)).
        degree, gamma, coef0: polynomial kernel (γ x·y + c0)^degree; gamma None = 1/D.
        seed: seed of the subset sampling, or a numpy.random.RandomState to draw from
            (advanced in place; e.g. ``np.random.mtrand._rand``, NumPy's global state, which
            clean-fid samples from).

    Returns:
        (mean, std) as floats.

    Raises:
        ValueError when a set has fewer rows than subset_size (pass a smaller
        subset_size), for bad shapes, NaN/Inf or invalid kernel parameters.
    """
    x, y = _feature_pair(real, fake)
    if not isinstance(subsets, (int, np.integer)) or subsets < 1:
        raise ValueError(f"subsets must be an integer >= 1, got {subsets!r}")
    if not isinstance(subset_size, (int, np.integer)) or subset_size < 2:
        raise ValueError(f"subset_size must be an integer >= 2, got {subset_size!r}")
    for name, features in (("real", x), ("fake", y)):
        if features.shape[0] < subset_size:
            raise ValueError(
                f"{name} has {features.shape[0]} samples, fewer than subset_size={subset_size}; "
                f"pass subset_size <= {min(x.shape[0], y.shape[0])} or use more samples"
            )
    gamma = _kernel_gamma(gamma, degree, coef0, x.shape[1])
    rng = seed if isinstance(seed, np.random.RandomState) else np.random.RandomState(seed)
    values = []
    for _ in range(subsets):
        rows_real = torch.from_numpy(rng.choice(x.shape[0], subset_size, replace=False)).to(x.device)
        rows_fake = torch.from_numpy(rng.choice(y.shape[0], subset_size, replace=False)).to(y.device)
        values.append(_mmd2(x[rows_real], y[rows_fake], degree, gamma, coef0))
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std())


@torch.no_grad()
def polynomial_mmd2(x, y, degree=3, gamma=None, coef0=1.0):
    """Unbiased MMD² between all rows of x [M, D] and all rows of y [M, D] (one KID subset).

    Same kernel and estimator as `kid`; both sets must have the same number of rows
    (>= 2). Returns a float.
    """
    x, y = _feature_pair(x, y, names=("x", "y"))
    if x.shape[0] != y.shape[0] or x.shape[0] < 2:
        raise ValueError(f"x and y need the same number of rows (>= 2), got {x.shape[0]} and {y.shape[0]}")
    return _mmd2(x, y, degree, _kernel_gamma(gamma, degree, coef0, x.shape[1]), coef0)


def _mmd2(x, y, degree, gamma, coef0):
    # Kernel sums in float64 on the tile engine: no M x M kernel matrix, and the two
    # within-set sums compute each Gram block once.
    m = x.shape[0]
    x = x.double()
    y = y.double()
    params = dict(kernel="polynomial", gamma=gamma, coef0=coef0, degree=degree)
    within = kernel_sum(x, **params) + kernel_sum(y, **params)
    across = kernel_sum(x, y, **params)
    return float(within / (m * (m - 1)) - 2.0 * across / (m * m))


def _feature_pair(real, fake, names=("real", "fake")):
    x = as_tensor(real, names[0])
    y = as_tensor(fake, names[1])
    for name, t in ((names[0], x), (names[1], y)):
        if t.dim() != 2:
            raise ValueError(f"{name} must be a 2-D feature matrix [N, D], got shape {tuple(t.shape)}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must be floating point, got {t.dtype}; cast it first, e.g. {name}.float()")
        check_finite(t, name)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"feature sizes differ: {names[0]} has {x.shape[1]}, {names[1]} has {y.shape[1]}")
    if x.device != y.device:
        raise ValueError(f"{names[0]} is on {x.device} but {names[1]} is on {y.device}; move both to the same device")
    return x, y


def _kernel_gamma(gamma, degree, coef0, dim):
    if not isinstance(degree, (int, np.integer)) or isinstance(degree, bool) or degree < 1:
        raise ValueError(f"degree must be an integer >= 1, got {degree!r}")
    if not isinstance(coef0, (int, float, np.floating)) or not math.isfinite(coef0):
        raise ValueError(f"coef0 must be a finite number, got {coef0!r}")
    if gamma is None:
        return 1.0 / dim
    if not isinstance(gamma, (int, float, np.floating)) or not math.isfinite(gamma) or gamma <= 0:
        raise ValueError(f"gamma must be a positive number or None (1/D), got {gamma!r}")
    return float(gamma)
