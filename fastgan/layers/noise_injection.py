"""StyleGAN's per-pixel noise injection: x + weight[c] * noise[b, 0, h, w].

One noise image per sample, shared by all channels, scaled by a learned per-channel
weight that starts at zero (so the layer starts as the identity).
"""
import torch
from torch import nn


class NoiseInjection(nn.Module):
    """Adds scaled per-pixel Gaussian noise.

    Args:
        channels: C of the [B, C, H, W] input.
    """

    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(channels))

    def forward(self, x, noise=None):
        """x [B, C, H, W]; noise [B, 1, H, W] (drawn from N(0, 1) when None) -> [B, C, H, W]."""
        if noise is None:
            noise = torch.randn(x.shape[0], 1, *x.shape[2:], dtype=x.dtype, device=x.device)
        elif noise.shape[0] != x.shape[0] or noise.shape[1] != 1 or noise.shape[2:] != x.shape[2:]:
            raise ValueError(f"noise must be [B, 1, H, W] = [{x.shape[0]}, 1, {', '.join(map(str, x.shape[2:]))}], got {tuple(noise.shape)}")
        return x + self.weight.view(1, -1, *([1] * (x.dim() - 2))) * noise
