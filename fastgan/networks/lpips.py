"""LPIPS (Zhang et al. 2018, v0.1): learned perceptual distance between two images."""
import torch
from torch import nn

from .alexnet import AlexNetFeatures
from .preprocessing import as_image_batch
from .vgg import VGG16Features
from .weights import load_state_dict, weights_path

__all__ = ["LPIPS"]

_BACKBONES = {"alex": AlexNetFeatures, "vgg": VGG16Features}

# v0.1 input scaling: the [-1,1] image is shifted and scaled per channel to approximate the
# ImageNet normalisation the backbones were trained with (constants of the lpips package).
_SHIFT = (-0.030, -0.088, -0.188)
_SCALE = (0.458, 0.448, 0.450)
_EPS = 1e-10  # added to the feature norm, as lpips does, so all-zero features give 0, not NaN


class LPIPS(nn.Module):
    """Learned perceptual image patch similarity; ``lp(a, b)`` -> [N] distances.

    Per tapped backbone layer: unit-normalise the features along channels, square the
    difference, weight channels with the v0.1 linear layer (a 1x1 conv to one channel), average
    over space; sum over layers.

    Args:
        net: ``"alex"`` or ``"vgg"``.
        pretrained: load torchvision's ImageNet backbone and the lpips v0.1 linear layers
            (each fetched once into the torch hub cache). False leaves both untrained.
        backbone_weights: overrides the backbone's weights (path, state dict, published name).
        linear_weights: overrides the linear layers (path or dict in the lpips package's format).

    ``lp.backbone`` is the VGG16Features/AlexNetFeatures module. Parameters are frozen; the
    distance is differentiable with respect to the images.
    """

    def __init__(self, net="alex", pretrained=True, backbone_weights=None, linear_weights=None):
        super().__init__()
        if net not in _BACKBONES:
            raise ValueError(f'net must be "alex" or "vgg", got {net!r}')
        self.net = net
        if backbone_weights is None:
            backbone_weights = "torchvision" if pretrained else None
        self.backbone = _BACKBONES[net](weights=backbone_weights)
        self.register_buffer("shift", torch.tensor(_SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(_SCALE).view(1, 3, 1, 1), persistent=False)
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, kernel_size=1, bias=False) for c in self.backbone.CHANNELS)
        if linear_weights is None and pretrained:
            linear_weights = weights_path(f"lpips-v0.1-{net}")
        if linear_weights is not None:
            self.load_linear_weights(linear_weights)
        self.eval()
        self.requires_grad_(False)

    def load_linear_weights(self, path_or_dict):
        """Load linear layers saved by the lpips package (``lin{i}.model.1.weight`` [1,C_i,1,1]).

        Also accepts this module's own names (``lins.{i}.weight``).
        """
        state = path_or_dict if isinstance(path_or_dict, dict) else load_state_dict(path_or_dict)
        for i, lin in enumerate(self.lins):
            key = next((k for k in (f"lin{i}.model.1.weight", f"lin{i}.model.0.weight", f"lins.{i}.weight")
                        if k in state), None)
            if key is None:
                raise ValueError(f"linear weights lack layer {i} (expected key 'lin{i}.model.1.weight'); "
                                 f"found keys {sorted(state)[:6]}")
            w = state[key]
            if tuple(w.shape) != tuple(lin.weight.shape):
                raise ValueError(f"linear weights {key} have shape {tuple(w.shape)}, LPIPS-{self.net} needs "
                                 f"{tuple(lin.weight.shape)}: are they for the other backbone?")
            with torch.no_grad():
                lin.weight.copy_(w)
        return self

    def forward(self, a, b, normalize=False):
        """Distances between image pairs.

        Args:
            a, b: float [N,3,H,W] in [-1,1] (in [0,1] with ``normalize=True``), same shape.
        Returns:
            float [N].
        """
        a = as_image_batch(a, "a")
        b = as_image_batch(b, "b")
        if a.shape != b.shape:
            raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
        if not (a.is_floating_point() and b.is_floating_point()):
            raise TypeError(f"a and b must be float images in [-1,1], got {a.dtype} and {b.dtype}; "
                            f"map uint8 images with x / 127.5 - 1")
        w = self.lins[0].weight
        a, b = a.to(w.device, w.dtype), b.to(w.device, w.dtype)
        if normalize:
            a, b = 2 * a - 1, 2 * b - 1
        return self.forward_scaled((a - self.shift) / self.scale, (b - self.shift) / self.scale)

    def forward_scaled(self, a, b):
        """Distances between images already scaled for the backbone.

        For callers that must scale (and resize) in another order than ``forward``, e.g.
        torch-fidelity, which scales 0..255 pixels by ``(x - (1 + shift) * 255 / 2) * 2 / (scale * 255)``
        and then resizes: at PPL's tiny steps the rounding of the order matters.

        Args:
            a, b: float [N,3,H,W], ``(x - shift) / scale`` of the [-1,1] images, same shape and
                on this module's device and dtype.
        Returns:
            float [N].
        """
        n = a.shape[0]
        # One backbone pass over both halves: fewer, larger convolutions.
        feats = self.backbone.taps(torch.cat([a, b]))
        total = 0
        for lin, f in zip(self.lins, feats):
            f = f / (f.pow(2).sum(dim=1, keepdim=True).sqrt() + _EPS)
            total = total + lin((f[:n] - f[n:]).pow(2)).mean(dim=(2, 3))
        return total.view(n)
