"""The Vendi score (Friedman & Dieng): the exponential of the entropy of a similarity matrix.

    VS_q(X) = exp(H_q(λ)),  λ the eigenvalues of K / n,  K_ij = k(x_i, x_j), k(x, x) = 1
    H_1 = -Σ λ log λ;  H_q = log(Σ λ^q) / (1 - q);  H_inf = -log max λ

For the cosine kernel (dgm-eval's default: rows normalised, linear kernel) the non-zero
eigenvalues of X̂ X̂ᵀ / n are those of the d x d second moment X̂ᵀ X̂ / n, so any order q
costs one [d, d] product and one eigendecomposition, never an n x n matrix. For the
RBF kernel, q = 2 is Σ λ² = Σ_ij k_ij² / n², a kernel sum of k² (itself an RBF with 2γ)
on the tile engine.
"""
import math

import torch

from ..ops.kernel_sum import kernel_sum
from ._features import feature_matrix

KERNELS = ("cosine", "rbf")


@torch.no_grad()
def vendi_score(features, q=1.0, kernel="cosine", gamma=None, impl="auto"):
    """The Vendi score of one feature set.

    Args:
        features: [N, D] (NumPy or torch, any device).
        q: the order: a number >= 0 (1 is the Shannon entropy, the paper's default) or
            float("inf") / "inf".
        kernel: "cosine" (rows normalised to unit length, then x.y; dgm-eval's default, any q)
            or "rbf" exp(-gamma |x - y|²) (q = 2 only: other orders need the eigenvalues
            of the n x n matrix, which fastgan does not build).
        gamma: the rbf kernel's scale (None = 1/D).
        impl: "auto", "compiled" or "reference" (of fastgan.ops.kernel_sum).

    Returns:
        float, between 1 and N.
    """
    q = _order(q)
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    x = feature_matrix(features, "features", min_rows=1, dtype=torch.float64)
    n = x.shape[0]
    if kernel == "cosine":
        norms = x.norm(dim=1, keepdim=True)
        if bool((norms == 0).any()):
            raise ValueError("features has an all-zero row: the cosine kernel is undefined there")
        unit = x / norms
        eigenvalues = torch.linalg.eigvalsh(unit.T @ unit / n)
        return _exp_entropy(eigenvalues.clamp_min(0), q)
    if q != 2.0:
        raise ValueError(f"the {kernel} kernel is computed without the n x n matrix for q = 2 only, got q={q}")
    gamma = 1.0 / x.shape[1] if gamma is None else float(gamma)
    off_diagonal = float(kernel_sum(x, kernel="rbf", gamma=2.0 * gamma, impl=impl))
    return n / (1.0 + off_diagonal / n)  # Σλ² = (n + Σ_{i≠j} k²) / n², VS_2 = 1 / Σλ²


def _order(q):
    if isinstance(q, str) and q == "inf":
        return math.inf
    if isinstance(q, bool) or not isinstance(q, (int, float)) or math.isnan(q) or q < 0:
        raise ValueError(f"q must be a number >= 0 or 'inf', got {q!r}")
    return float(q)


def _exp_entropy(eigenvalues, q):
    p = eigenvalues[eigenvalues > 0]
    if q == 1.0:
        return math.exp(float(-(p * p.log()).sum()))
    if math.isinf(q):
        return math.exp(float(-p.max().log()))
    return math.exp(float(torch.log((p**q).sum())) / (1.0 - q))
