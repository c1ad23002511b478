"""Exact k nearest neighbours and k-NN radii, without an N x M distance matrix.

The kernels stream GEMM tiles of squared distances through a per-query bounded
heap of k + `extra` candidates, then recompute the candidates exactly in float64
and prove, with a rounding bound on the GEMM, that no rejected point could be
closer than the k-th; queries that cannot be proven (near-ties beyond the
candidate list) are settled by an exact scan. Memory grows with N * (k + extra).
"""
import numpy as np
import torch

from ._dispatch import use_compiled
from ._exact import exact_squared_distances
from ._inputs import as_tensor, check_feature_matrix, check_feature_pair

# Candidates kept beyond k for exact re-ranking; more only costs heap memory.
EXTRA_CANDIDATES = 8


def knn(query, ref=None, k=5, exclude_self=False, float64_squared=False, impl="auto"):
    """The k nearest rows of `ref` for every row of `query`.

    Args:
        query: [Q, D] float32/float64 tensor or NumPy array.
        ref: [M, D], same dtype and device; None means `query` itself.
        k: neighbours per query (1 <= k <= M, or M - 1 with exclude_self).
        exclude_self: `ref` is `query`; skip each query's own row (duplicates of it still count).
        float64_squared: return exact float64 squared distances instead of distances in the input dtype.
        impl: "auto", "compiled" or "reference".

    Returns:
        (distances [Q, k] ascending, indices [Q, k] int64 into ref). Distances are exact
        (float64-accurate, then rounded once); equal distances list the lower index first.
    """
    query = as_tensor(query, "query")
    if ref is None:
        ref, exclude_self = query, True
    ref = as_tensor(ref, "ref")
    check_feature_pair(query, "query", ref, "ref")
    if exclude_self and ref is not query and not (ref.shape == query.shape and torch.equal(ref, query)):
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
    return d2.sqrt().to(query.dtype), index


def knn_radii(x, k, float64_squared=False, impl="auto"):
    """Distance from every row of `x` to its k-th nearest other row (itself excluded).

    Duplicates of a point count as neighbours at distance 0, as in `prdc`.

    Args:
        x: [N, D] float32/float64 tensor or NumPy array, N > k.
        k: which neighbour (k >= 1).
        float64_squared: return exact float64 squared radii.

    Returns:
        [N] radii in x's dtype (or float64 squared).
    """
    x = as_tensor(x, "x")
    check_feature_matrix(x, "x")
    _check_k(k, x.shape[0] - 1, "x (minus itself)")
    k = int(k)
    d2, _ = knn(x, None, k, exclude_self=True, float64_squared=True, impl=impl)
    radii2 = d2[:, k - 1].contiguous()
    return radii2 if float64_squared else radii2.sqrt().to(x.dtype)


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


def _fake_knn(query, ref, k, extra):
    shape = (query.shape[0], k)
    return query.new_empty(shape, dtype=torch.float64), query.new_empty(shape, dtype=torch.int64)


def _fake_knn_self(x, k, extra):
    return _fake_knn(x, x, k, extra)


def _register_fakes():
    from .. import _ext

    if _ext.available():
        torch.library.register_fake("fastgan::knn")(_fake_knn)
        torch.library.register_fake("fastgan::knn_self")(_fake_knn_self)


_register_fakes()
