"""Image checks, pixel mappings and resizing shared by the feature networks.

Each anchor maps pixels to the Inception input range in its own way, and the difference is
visible in the features (~3e-3 relative): pytorch-fid (and fastgan's FIDInceptionV3 by default)
uses ``2 * (x / 255) - 1``; torch-fidelity, torchmetrics and clean-fid use the TF graph's
``(x - 128) / 128`` on 0..255 pixels. ``to_pixel_float`` and ``tf_pixel_mapping`` give the
latter; the resizers of each anchor live in ``fastgan.networks.resize``.
"""
import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["as_image_batch", "to_unit_float", "to_pixel_float", "tf_pixel_mapping", "resize_images"]

# Float images may overshoot [0,1] by rounding (e.g. after a resize); more than this is a
# different value range (0..255 floats, or [-1,1]) and would give silently wrong features.
_RANGE_SLACK = 1e-3


def as_image_batch(images, name):
    """A [N,3,H,W] tensor view of `images` (tensor or NumPy), with a clear error otherwise."""
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(np.ascontiguousarray(images))
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor or NumPy array [N,3,H,W], got {type(images).__name__}")
    if images.dim() != 4 or images.shape[1] != 3:
        hint = ""
        if images.dim() == 4 and images.shape[-1] == 3:
            hint = "; channels look last: use images.permute(0, 3, 1, 2)"
        elif images.dim() == 4 and images.shape[1] == 1:
            hint = "; for grey images repeat the channel: images.expand(-1, 3, -1, -1)"
        elif images.dim() == 3:
            hint = "; for one image add a batch dimension: images[None]"
        raise ValueError(f"{name} must have shape [N,3,H,W], got {tuple(images.shape)}{hint}")
    return images


def to_unit_float(images, name, device=None, dtype=torch.float32):
    """uint8 images in 0..255 or float images in [0,1] -> float [N,3,H,W] in [0,1].

    Raises TypeError for other dtypes and ValueError for floats outside [0,1] (a common slip:
    floats in 0..255 or in [-1,1], which would give wrong features without an error).
    """
    images = as_image_batch(images, name)
    if images.dtype == torch.uint8:
        return images.to(device=device).to(dtype) / 255
    if not images.is_floating_point():
        raise TypeError(f"{name} must be uint8 (0..255) or float (0..1), got {images.dtype}")
    x = images.to(device=device, dtype=dtype)
    if x.numel() and not torch.compiler.is_compiling():
        lo, hi = (float(v) for v in torch.aminmax(x.detach()))
        if lo != lo or hi != hi:
            raise ValueError(f"{name} contains NaN")
        if not (lo >= -_RANGE_SLACK and hi <= 1 + _RANGE_SLACK):
            raise ValueError(
                f"float {name} must lie in [0,1], got values in [{lo:.4g}, {hi:.4g}]; "
                f"pass uint8 images, or divide 0..255 floats by 255 (or map [-1,1] with (x + 1) / 2)")
    return x


def to_pixel_float(images, name, device=None, dtype=torch.float32):
    """uint8 images (0..255) or float images in [0,1] -> float [N,3,H,W] in 0..255.

    uint8 pixels are converted exactly (as torch-fidelity and clean-fid cast them); floats in
    [0,1] are multiplied by 255 (range checked as in ``to_unit_float``).
    """
    images = as_image_batch(images, name)
    if images.dtype == torch.uint8:
        return images.to(device=device).to(dtype)
    return to_unit_float(images, name, device=device, dtype=dtype) * 255


def tf_pixel_mapping(x):
    """0..255 float pixels -> the TF Inception graph's input, ``(x - 128) / 128``.

    The mapping of torch-fidelity, torchmetrics and clean-fid (``x / 127.5 - 1`` is pytorch-fid's;
    the two differ by up to 1/128 and change the features by ~3e-3 relative). The subtraction
    and the division are two roundings, in this order, as those anchors compute them.
    """
    return (x - 128) / 128


def resize_images(x, size, method):
    """Resize float images in [0,1] to size x size.

    Args:
        x: float [N,C,H,W].
        method: ``"bilinear"``: pytorch-fid's ``F.interpolate(..., mode="bilinear",
            align_corners=False)`` without antialiasing (skipped at the target size, where it is
            the identity); ``"clean"``: PIL's bicubic filter on float pixels (antialiased when
            shrinking, a = -0.5), clamped to [0,1], as clean-fid resizes.
    """
    if tuple(x.shape[-2:]) == (size, size):
        return x
    if method == "bilinear":
        return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    if method == "clean":
        # torch's antialiased bicubic uses PIL's kernel and support, in both directions.
        return F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False, antialias=True).clamp_(0, 1)
    raise ValueError(f'resize must be "bilinear", "clean" or None, got {method!r}')
