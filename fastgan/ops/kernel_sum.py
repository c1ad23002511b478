"""Sums of a kernel over every pair of two feature sets, without the N x M kernel matrix.

The kernels run on the shared tile engine: Gram tiles of the centred rows in the
input dtype, the kernel evaluated and summed in float64 per tile, partial sums
added in a fixed order (the result does not depend on the number of threads). A set
against itself with the diagonal excluded (the off-diagonal sums of an unbiased
MMD) computes each Gram block once, so it costs half a cross sum. No gradient.
"""
import math

import torch

from ._dispatch import use_compiled
from ._exact import exact_squared_distances
from ._inputs import as_features, check_feature_pair

KERNELS = ("polynomial", "rbf")


def kernel_sum(x, y=None, kernel="polynomial", gamma=None, coef0=1.0, degree=3, impl="auto"):
    """sum_{i,j} k(x_i, y_j), or sum_{i != j} k(x_i, x_j) when y is None.

    Kernels: "polynomial" (gamma * x.y + coef0)^degree (KID's, with gamma = 1/D);
    "rbf" exp(-gamma * |x - y|^2) (CMMD's Gaussian kernel, gamma = 1 / (2 sigma^2)).

    Args:
        x: [N, D] floating-point tensor or NumPy array (float16/bfloat16 are computed
            in float32; pass float64 where the sum's digits matter, e.g. MMD).
        y: [M, D], same dtype and device; None sums over the distinct pairs of x.
        kernel: "polynomial" or "rbf".
        gamma: the kernel's scale (> 0); None means 1/D.
        coef0: the polynomial kernel's offset (finite).
        degree: the polynomial kernel's degree (integer >= 1).
        impl: "auto", "compiled" or "reference".

    Returns:
        A 0-dim float64 tensor on x's device (no gradient).
    """
    x = as_features(x, "x")
    exclude_diagonal = y is None
    y = x if y is None else as_features(y, "y")
    check_feature_pair(x, "x", y, "y")
    gamma, coef0, degree = _check_params(kernel, gamma, coef0, degree, x.shape[1])
    if use_compiled(impl, x.device):
        return torch.ops.fastgan.kernel_sum(x, y, kernel, gamma, coef0, degree, exclude_diagonal)
    return _reference(x.detach(), y.detach(), kernel, gamma, coef0, degree, exclude_diagonal)


def _check_params(kernel, gamma, coef0, degree, dim):
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    if gamma is None:
        gamma = 1.0 / max(dim, 1)
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not math.isfinite(gamma) or gamma <= 0:
        raise ValueError(f"gamma must be a positive number or None (1/D), got {gamma!r}")
    if isinstance(coef0, bool) or not isinstance(coef0, (int, float)) or not math.isfinite(coef0):
        raise ValueError(f"coef0 must be a finite number, got {coef0!r}")
    if isinstance(degree, bool) or not isinstance(degree, int) or degree < 1:
        raise ValueError(f"degree must be an integer >= 1, got {degree!r}")
    return float(gamma), float(coef0), int(degree)


def _reference(x, y, kernel, gamma, coef0, degree, exclude_diagonal):
    """Plain-PyTorch definition: the full float64 kernel matrix, summed."""
    x, y = x.double(), y.double()
    if kernel == "polynomial":
        matrix = (gamma * (x @ y.T) + coef0) ** degree
    else:
        matrix = torch.exp(-gamma * exact_squared_distances(x, y))
    total = matrix.sum()
    if exclude_diagonal:
        total = total - matrix.diagonal().sum()
    return total
