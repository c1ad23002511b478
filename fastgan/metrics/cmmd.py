"""CMMD (Jayasumana et al., "Rethinking FID"): MMD² with a Gaussian RBF kernel on embeddings.

    k(x, y) = exp(-|x - y|² / (2 σ²)),  σ = 10
    CMMD = scale · (mean K_xx + mean K_yy - 2 mean K_xy),  scale = 1000

the reference's estimator: means over the full kernel matrices, diagonals included
(a V-statistic). The three kernel sums run on the tile engine's kernel-sum handler
(fastgan.ops.kernel_sum) in float64, without an n x n matrix; the within-set sums
compute each Gram block once.
"""
import math

import torch

from ..ops.kernel_sum import kernel_sum
from ._features import feature_pair

SIGMA = 10.0
SCALE = 1000.0


@torch.no_grad()
def cmmd(real, fake, sigma=SIGMA, scale=SCALE, impl="auto"):
    """CMMD between two embedding sets, as the reference computes it on given embeddings.

    The embeddings are used as given (the CLIP embedding step of the reference normalises
    them to unit length before this).

    Args:
        real: [N, D] embeddings (NumPy or torch, any device).
        fake: [M, D] embeddings, same D and device.
        sigma: the RBF bandwidth (10 in the paper).
        scale: the reported multiple of MMD² (1000 in the paper).
        impl: "auto", "compiled" or "reference" (of fastgan.ops.kernel_sum).

    Returns:
        float.
    """
    x, y = feature_pair(real, "real", fake, "fake", min_rows=1, dtype=torch.float64)
    if not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a positive number, got {sigma!r}")
    gamma = 1.0 / (2.0 * sigma * sigma)
    n, m = x.shape[0], y.shape[0]
    # Within-set sums without the diagonal (the self pass), plus the diagonal's exp(0) = 1s.
    k_xx = (float(kernel_sum(x, kernel="rbf", gamma=gamma, impl=impl)) + n) / (n * n)
    k_yy = (float(kernel_sum(y, kernel="rbf", gamma=gamma, impl=impl)) + m) / (m * m)
    k_xy = float(kernel_sum(x, y, kernel="rbf", gamma=gamma, impl=impl)) / (n * m)
    return float(scale) * (k_xx + k_yy - 2.0 * k_xy)
