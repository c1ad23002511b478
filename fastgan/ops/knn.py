"""Exact k nearest neighbours and k-NN radii, without an N x M distance matrix.

The kernels stream GEMM tiles of squared distances through a per-query bounded
heap of k + `extra` candidates, then recompute the candidates exactly in float64
and prove, with a rounding bound on the GEMM, that no rejected point could be
closer than the k-th; queries that cannot be proven (near-ties beyond the
candidate list) are settled by an exact scan. Large float32 problems on CPUs with
native bfloat16 take their tiles from a bfloat16 GEMM with a wider (still proven)
band and a float32 pass for the queries it cannot prove (FASTGAN_CANDIDATE_PRECISION,
README "What exact means here"). Memory grows with N * (k + extra).
"""
import numpy as np
import torch

from ._dispatch import use_compiled
from ._exact import exact_squared_distances
from ._inputs import as_features, check_feature_matrix, check_feature_pair

# Candidates kept beyond k for exact re-ranking; more only costs heap memory.
EXTRA_CANDIDATES = 8


def knn(query, ref=None, k=5, exclude_self=False, float64_squared=False, impl="auto"):
    """The k nearest rows of `ref` for every row of `query`.

    Differentiable: the distances have gradients in query and ref through the
    selected pairs (0 at distance 0); the indices have none. float16/bfloat16
    inputs are computed, and returned, in float32.

    Args:
        query: [Q, D] floating-point tensor or NumPy array.
        ref: [M, D], same dtype and device; None means `query` itself.
        k: neighbours per query (1 <= k <= M, or M - 1 with exclude_self).
        exclude_self: `ref` is `query`; skip each query's own row (duplicates of it still count).
        float64_squared: return exact float64 squared distances instead of distances in the input dtype.
        impl: "auto", "compiled" or "reference".

    Returns:
        (distances [Q, k] ascending, indices [Q, k] int64 into ref). Distances are exact
        (float64-accurate, then rounded once); equal distances list the lower index first.
    """
    query = as_features(query, "query")
    if ref is None:
        ref, exclude_self = query, True
    ref = as_features(ref, "ref")
    check_feature_pair(query, "query", ref, "ref")
    if exclude_self and ref is not query and not _same_rows(ref, query):
        raise ValueError("exclude_self=True needs ref to be the query set itself (pass ref=None)")
    _check_k(k, ref.shape[0] - (1 if exclude_self else 0), "ref" if not exclude_self else "query (minus itself)")
    k = int(k)
    if use_compiled(impl, query.device):
        if exclude_self:
            d2, index = torch.ops.fastgan.knn_self(query, int(k), EXTRA_CANDIDATES)
        else:
            d2, index = torch.ops.fastgan.knn(query, ref, int(k), EXTRA_CANDIDATES)
    else:
        d2, index = _reference(query, ref, k, exclude_self)
    if float64_squared:
        return d2, index
    return _distance(d2).to(query.dtype), index


def knn_radii(x, k, float64_squared=False, impl="auto"):
    """Distance from every row of `x` to its k-th nearest other row (itself excluded).

    Duplicates of a point count as neighbours at distance 0, as in `prdc`.

    Args:
        x: [N, D] floating-point tensor or NumPy array, N > k (float16/bfloat16
            computed in float32). The radii are differentiable in x.
        k: which neighbour (k >= 1).
        float64_squared: return exact float64 squared radii.

    Returns:
        [N] radii in x's dtype (or float64 squared).
    """
    x = as_features(x, "x")
    check_feature_matrix(x, "x")
    _check_k(k, x.shape[0] - 1, "x (minus itself)")
    k = int(k)
    d2, _ = knn(x, None, k, exclude_self=True, float64_squared=True, impl=impl)
    radii2 = d2[:, k - 1].contiguous()
    return radii2 if float64_squared else _distance(radii2).to(x.dtype)


def _distance(d2):
    """sqrt of float64 squared distances with a zero (not NaN) gradient at distance 0."""
    return torch.where(d2 > 0, d2.clamp_min(torch.finfo(d2.dtype).tiny).sqrt(), torch.zeros_like(d2))


def _same_rows(a, b):
    # A data-dependent comparison: skipped while torch.compile traces (it would break the graph).
    if torch.compiler.is_compiling():
        return a.shape == b.shape
    return a.shape == b.shape and torch.equal(a.detach(), b.detach())


def _check_k(k, available, name):
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if k > available:
        raise ValueError(
            f"k={k} nearest neighbours need at least {k} candidates in {name}, but there are {max(available, 0)}; "
            "use a smaller k or more samples"
        )


def _reference(query, ref, k, exclude_self=False):
    """Plain-PyTorch definition: exact float64 d^2, stable sort (ties by index), first k."""
    d2 = exact_squared_distances(query, ref)
    if exclude_self:
        d2.fill_diagonal_(float("inf"))
    values, index = torch.sort(d2, dim=1, stable=True)
    return values[:, :k].contiguous(), index[:, :k].contiguous()
