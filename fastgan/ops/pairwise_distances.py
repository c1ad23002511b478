"""Euclidean distances between two sets of feature vectors.

The kernels use the GEMM form d^2 = |x|^2 + |y|^2 - 2 x.y (fast: one matrix
product) with three safeguards against its cancellation: both sets are centred
on their common mean, norms are kept in float64 outside the GEMM, and pairs whose
d^2 is small next to the norms are recomputed directly. Distances are therefore
never negative and identical rows give exactly 0.
"""
import torch

from ._dispatch import use_compiled
from ._inputs import as_features, check_feature_pair

# Below this fraction of |x|^2 + |y|^2 the GEMM form has lost too many digits, and
# the pair is recomputed as sum((x - y)^2). float32 GEMMs carry ~sqrt(D)*6e-8
# relative error in x.y, so 1e-2 keeps d^2 within ~1e-4 relative of exact.
REFINE_BELOW = {torch.float32: 1e-2, torch.float64: 1e-6}


def pairwise_distances(x, y, squared=False, impl="auto"):
    """Distances between every row of `x` and every row of `y`.

    Args:
        x: [N, D] floating-point tensor or NumPy array (float16/bfloat16 are computed,
            and returned, in float32).
        y: [M, D], same dtype and device as `x`.
        squared: return squared distances instead.
        impl: "auto" (compiled kernel when built, else reference), "compiled", "reference".

    Returns:
        [N, M] tensor of x's dtype and device. Differentiable in x and y.

    Raises:
        ValueError / TypeError on wrong rank, dtype, mismatched feature sizes,
        devices, or NaN/Inf entries.
    """
    x = as_features(x, "x")
    y = as_features(y, "y")
    check_feature_pair(x, "x", y, "y")
    if not use_compiled(impl, x.device):
        return _reference(x, y, squared)
    return torch.ops.fastgan.pairwise_distances(x, y, bool(squared), REFINE_BELOW[x.dtype])


def _reference(x, y, squared=False):
    """Plain-PyTorch definition: sqrt(sum((x_i - y_j)^2)), accumulated in float64."""
    distances = torch.cdist(x.double(), y.double(), compute_mode="donot_use_mm_for_euclid_dist")
    return (distances.square() if squared else distances).to(x.dtype)
