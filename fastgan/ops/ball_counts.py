"""Counting how many balls contain each point, in tiles, exactly.

A ball is a centre with a radius; a point is inside when its distance is strictly
below the radius (the convention of `prdc`). The kernels never hold the
queries x centres matrix: tiles of GEMM distances are compared with the radii,
and pairs within the GEMM's rounding bound of a radius are recomputed exactly.
"""
import torch

from ._dispatch import use_compiled
from ._exact import exact_squared_distances
from ._inputs import as_features, as_tensor, check_feature_pair, check_finite


def ball_counts(query, centers, radii, inclusive=False, impl="auto"):
    """For every query, the number of balls (centers[i], radii[i]) that contain it.

    Args:
        query: [Q, D] floating-point tensor or NumPy array (float16/bfloat16 computed
            in float32). No gradient: inputs may require grad, the counts do not.
        centers: [C, D], same dtype and device.
        radii: [C] non-negative radii (any float dtype; compared in float64).
        inclusive: count d == radius as inside (default strict d < radius, as prdc).
        impl: "auto", "compiled" or "reference".

    Returns:
        [Q] int64 counts.
    """
    query = as_features(query, "query")
    centers = as_features(centers, "centers")
    check_feature_pair(centers, "centers", query, "query")
    thresholds = radii_to_thresholds(radii, centers.shape[0], centers.device, inclusive)
    counts, _, _, _ = ball_statistics(centers, query, thresholds, impl=impl)
    return counts


def radii_to_thresholds(radii, count, device, inclusive=False):
    """Float64 squared thresholds t with `inside <=> d^2 < t` for the given radii."""
    radii = as_tensor(radii, "radii").detach()
    if radii.dim() != 1 or radii.shape[0] != count:
        raise ValueError(f"radii must have one entry per centre ({count}), got shape {tuple(radii.shape)}")
    if not radii.is_floating_point():
        radii = radii.double()
    check_finite(radii.reshape(-1, 1), "radii")
    # A data-dependent check: skipped while torch.compile traces (it would break the graph).
    if not torch.compiler.is_compiling() and bool((radii < 0).any()):
        raise ValueError("radii must be non-negative")
    thresholds = radii.to(device=device, dtype=torch.float64).square()
    if inclusive:
        thresholds = torch.nextafter(thresholds, torch.full_like(thresholds, float("inf")))
    return thresholds.contiguous()


def ball_statistics(x, y, x_thresholds, y_thresholds=None, realism_weights=None, x_in_y_any=False, impl="auto"):
    """One pass over the x-y pairs (x: ball centres), all counts at once.

    Args:
        x: [N, D] centres; y: [M, D] points (same dtype/device; validated by callers).
        x_thresholds: [N] float64 squared radii of the x-balls (strict).
        y_thresholds: optional [M] float64 squared radii of y-balls around the y points.
        realism_weights: optional [N] float64; realism[j] = max_i w_i / d^2(x_i, y_j) over w_i > 0.
        x_in_y_any: x_in_y only says whether some y-ball holds x_i (1 or 0), which lets
            the kernel stop checking x_i once one surely does (PRDC's recall needs no more).

    Returns:
        (y_in_x [M], x_ball_hits [N], x_in_y [N], realism [M] or empty), counts int64.
    """
    if use_compiled(impl, x.device):
        return torch.ops.fastgan.ball_counts(x, y, x_thresholds, y_thresholds, realism_weights, bool(x_in_y_any))
    return _reference(x, y, x_thresholds, y_thresholds, realism_weights, x_in_y_any)


def _reference(x, y, x_thresholds, y_thresholds=None, realism_weights=None, x_in_y_any=False):
    """Plain-PyTorch definition on exact float64 squared distances (chunked over x)."""
    y_in_x = torch.zeros(y.shape[0], dtype=torch.int64, device=x.device)
    x_hits = torch.zeros(x.shape[0], dtype=torch.int64, device=x.device)
    x_in_y = torch.zeros(x.shape[0], dtype=torch.int64, device=x.device)
    realism = torch.zeros(y.shape[0] if realism_weights is not None else 0, dtype=torch.float64, device=x.device)
    chunk = 1024
    for start in range(0, x.shape[0], chunk):
        stop = start + chunk
        d2 = exact_squared_distances(x[start:stop], y)
        inside = d2 < x_thresholds[start:stop, None]
        y_in_x += inside.sum(0)
        x_hits[start:stop] = inside.sum(1)
        if y_thresholds is not None:
            inside_y = d2 < y_thresholds[None, :]
            x_in_y[start:stop] = inside_y.any(1) if x_in_y_any else inside_y.sum(1)
        if realism_weights is not None:
            w = realism_weights[start:stop, None]
            ratio = torch.where(w > 0, w / d2, torch.zeros_like(d2))
            if ratio.shape[0]:
                realism = torch.maximum(realism, ratio.max(0).values)
    return y_in_x, x_hits, x_in_y, realism
