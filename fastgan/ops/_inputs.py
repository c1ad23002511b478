"""Argument checks shared by the ops: clear errors before any kernel runs."""
import numpy as np
import torch

FLOAT_DTYPES = (torch.float32, torch.float64)
# Computed in float32 (the precision policy of every op, fastgan/ops/_library.py).
LOW_PRECISION_DTYPES = (torch.float16, torch.bfloat16)


def as_tensor(value, name):
    """A torch tensor view of `value` (tensor, NumPy array, memmap or nested list); no copy when possible."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value)) if value.flags.writeable else torch.from_numpy(np.array(value))
    try:
        return torch.as_tensor(np.asarray(value))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a torch tensor or a NumPy array, got {type(value).__name__}") from exc


def promote_low_precision(t):
    """float16/bfloat16 tensors as float32 (differentiably); any other tensor unchanged."""
    return t.float() if t.dtype in LOW_PRECISION_DTYPES else t


def as_features(value, name):
    """`as_tensor`, then float16/bfloat16 promoted to float32: the ops never compute below float32."""
    return promote_low_precision(as_tensor(value, name))


def check_feature_matrix(t, name):
    """Raise ValueError/TypeError unless `t` is a finite float32/float64 [N, D] tensor."""
    if t.dim() != 2:
        raise ValueError(f"{name} must be a 2-D feature matrix [N, D], got shape {tuple(t.shape)}")
    if t.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{name} must be float32 or float64 (float16/bfloat16 are computed in float32), "
            f"got {t.dtype}; cast it first, e.g. {name}.float()"
        )
    check_finite(t, name)


def check_finite(t, name, row_offset=0):
    """Raise ValueError naming the first bad row (plus row_offset) if `t` holds NaN or Inf.

    Skipped while torch.compile traces: a data-dependent branch would break the graph.
    """
    if torch.compiler.is_compiling():
        return
    if not t.numel() or not t.is_floating_point():
        return
    # min/max propagate NaN and expose +-Inf in one reduction, far cheaper than a
    # boolean isfinite tensor; the slow path only runs to name the bad row.
    low, high = torch.aminmax(t)
    if not bool(torch.isfinite(low) & torch.isfinite(high)):
        bad = (~torch.isfinite(t)).reshape(t.shape[0], -1).any(dim=1).nonzero()
        raise ValueError(f"{name} contains NaN or Inf (first in row {row_offset + int(bad[0])}); remove or fix those samples")


def check_feature_pair(x, x_name, y, y_name):
    """Both feature matrices valid, with the same feature size, dtype and device."""
    check_feature_matrix(x, x_name)
    check_feature_matrix(y, y_name)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"feature sizes differ: {x_name} has {x.shape[1]} features per row, {y_name} has {y.shape[1]}")
    if x.dtype != y.dtype:
        raise TypeError(f"{x_name} is {x.dtype} but {y_name} is {y.dtype}; cast both to the same dtype")
    if x.device != y.device:
        raise ValueError(f"{x_name} is on {x.device} but {y_name} is on {y.device}; move both to the same device")


def check_impl(impl):
    """`impl` selects the implementation: "auto" (compiled when built), "compiled" or "reference"."""
    if impl not in ("auto", "compiled", "reference"):
        raise ValueError(f'impl must be "auto", "compiled" or "reference", got {impl!r}')
