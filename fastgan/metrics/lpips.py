"""LPIPS distance between image pairs, as a function."""
import functools

import torch

from ..networks.lpips import LPIPS
from ..networks.preprocessing import as_image_batch

__all__ = ["lpips"]

_RANGE_SLACK = 1e-3  # rounding overshoot tolerated beyond [-1,1] / [0,1]


def lpips(a, b, net="alex", *, normalize=False, reduction="none", batch_size=64, model=None):
    """LPIPS v0.1 distance of each pair ``(a[i], b[i])``, as the lpips package computes it.

    Args:
        a, b: images [N,3,H,W] of the same shape, tensors or NumPy arrays. Floats in [-1,1]
            (in [0,1] with ``normalize=True``), or uint8 in 0..255 (mapped by ``x / 127.5 - 1``).
        net: ``"alex"`` (default, as lpips and torchmetrics) or ``"vgg"``.
        normalize: float inputs are in [0,1] rather than [-1,1].
        reduction: ``"none"`` -> float32 tensor [N]; ``"mean"`` or ``"sum"`` -> Python float.
        batch_size: pairs per network pass (bounds memory).
        model: an ``fastgan.networks.LPIPS`` to use instead of the pretrained one for `net`
            (which is built once per process and device, downloading weights the first time).
    Returns:
        distances [N] on the device of `a` (or their mean/sum).
    Raises:
        ValueError: shapes differ, values outside the expected range, NaN/Inf, empty input.
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f'reduction must be "none", "mean" or "sum", got {reduction!r}')
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    a = _as_signed_unit(a, "a", normalize)
    b = _as_signed_unit(b, "b", normalize)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if a.shape[0] == 0:
        raise ValueError("a and b hold no images")
    if model is None:
        model = _pretrained(net, str(a.device))
    elif model.net != net:
        raise ValueError(f"model is LPIPS-{model.net} but net={net!r}; pass the matching net")
    out = torch.cat([model(a[i:i + batch_size], b[i:i + batch_size]).float().to(a.device)
                     for i in range(0, a.shape[0], batch_size)])
    if reduction == "mean":
        return float(out.double().mean())
    if reduction == "sum":
        return float(out.double().sum())
    return out


def _as_signed_unit(x, name, normalize):
    """Images as float in [-1,1], with a clear error for values that belong to another range."""
    x = as_image_batch(x, name)
    if x.dtype == torch.uint8:
        return x.float() / 127.5 - 1
    if not x.is_floating_point():
        raise TypeError(f"{name} must be float or uint8 images, got {x.dtype}")
    if x.numel() and not torch.compiler.is_compiling():
        if not bool(torch.isfinite(x.detach()).all()):
            raise ValueError(f"{name} contains NaN or Inf")
        lo, hi = (float(v) for v in torch.aminmax(x.detach()))
        low = 0.0 if normalize else -1.0
        if lo < low - _RANGE_SLACK or hi > 1 + _RANGE_SLACK:
            expected = "[0,1] (normalize=True)" if normalize else "[-1,1]"
            raise ValueError(f"{name} must lie in {expected}, got values in [{lo:.4g}, {hi:.4g}]; "
                             f"pass uint8 images, or set normalize= to match the range")
    return 2 * x - 1 if normalize else x


@functools.lru_cache(maxsize=4)
def _pretrained(net, device):
    return LPIPS(net, pretrained=True).to(device)
