"""clean-fid's resizers (``cleanfid.resize``), computed by fastgan's batched torch resizers.

``build_resizer(mode)`` returns what clean-fid's does: a function from one HxWx3 image (uint8 or
float, 0..255) to the network's input as a NumPy array, with clean-fid's numbers:

- "clean": PIL bicubic on each float32 channel (mode 'F'), clipped to 0..255, float32 299x299x3;
- "legacy_pytorch": ``F.interpolate(bilinear, align_corners=False)`` on the float pixels,
  clipped to 0..255, float32;
- "legacy_tensorflow": the image unchanged (the TorchScript network resizes it inside).

``resize_batch(images, mode)`` is the batched form the shim itself uses: [N,3,H,W] pixels in,
[N,3,299,299] float32 out, on the images' device.
"""
import numpy as np
import torch

from ...networks.resize import resize_pil_bicubic, resize_torch_bilinear

__all__ = ["build_resizer", "resize_batch", "MODES"]

MODES = ("clean", "legacy_pytorch", "legacy_tensorflow")
SIZE = 299


def build_resizer(mode):
    """clean-fid's per-image resizer for `mode` (see the module docstring).

    Args:
        mode: "clean", "legacy_pytorch" or "legacy_tensorflow".
    Returns:
        a function: image HxWx3 NumPy array -> NumPy array (299x299x3 float32 for the first two
        modes, the input itself for "legacy_tensorflow").
    """
    _check_mode(mode)
    if mode == "legacy_tensorflow":
        return lambda x: x

    def resize(x):
        x = np.asarray(x)
        if x.ndim != 3 or x.shape[2] != 3:
            raise ValueError(f"the resizer takes one HxWx3 image, got shape {x.shape}")
        t = torch.from_numpy(np.ascontiguousarray(x.astype(np.float32, copy=False).transpose(2, 0, 1)))[None]
        return resize_batch(t, mode)[0].permute(1, 2, 0).numpy()

    return resize


def resize_batch(images, mode):
    """Resize a batch of 0..255 pixel images as clean-fid's `mode` does, one batched pass.

    Args:
        images: [N,3,H,W] uint8 or float (0..255) tensor.
        mode: "clean" or "legacy_pytorch" ("legacy_tensorflow" resizes inside the network:
            the images are returned as float32).
    Returns:
        float32 [N,3,299,299] (clipped to 0..255 as clean-fid clips), same device.
    """
    _check_mode(mode)
    x = images.to(torch.float32)
    if mode == "legacy_tensorflow":
        return x
    if mode == "clean":
        return resize_pil_bicubic(x, SIZE).clamp_(0, 255)
    return resize_torch_bilinear(x, SIZE).clamp_(0, 255)


def _check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"Invalid mode {mode} specified; use one of {', '.join(MODES)}")
