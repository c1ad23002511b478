"""Minibatch standard deviation (ProGAN, Karras et al., 2018; StyleGAN's grouped form).

Samples are split into groups of `group_size` (sample n belongs to group n % (N / G),
so each group spans the batch). Within a group, the standard deviation of every
feature over the group's samples is averaged over channels (per chunk of channels)
and positions, and the result is appended as `num_channels` constant feature maps.
The discriminator can then tell a batch with too little variety.
"""
import torch
from torch import nn


class MinibatchStdDev(nn.Module):
    """Appends the within-group feature standard deviation as extra channels.

    Args:
        group_size: G; min(G, N) samples per group, N must be divisible by it.
        num_channels: F, how many channel chunks get their own statistic (1 in ProGAN).
        eps: added to the variance before the square root.
    """

    def __init__(self, group_size=4, num_channels=1, eps=1e-8):
        super().__init__()
        if group_size < 1 or num_channels < 1:
            raise ValueError(f"group_size and num_channels must be >= 1, got {group_size} and {num_channels}")
        self.group_size = group_size
        self.num_channels = num_channels
        self.eps = eps

    def forward(self, x):
        """x [N, C, H, W] -> [N, C + F, H, W]."""
        n, c, h, w = x.shape
        g = min(self.group_size, n)
        if n % g != 0:
            raise ValueError(f"batch size {n} must be divisible by the group size {g}")
        f = self.num_channels
        if c % f != 0:
            raise ValueError(f"channels {c} must be divisible by num_channels {f}")
        y = x.reshape(g, n // g, f, c // f, h, w)
        std = (y.var(dim=0, unbiased=False) + self.eps).sqrt()  # [N/G, F, C/F, H, W]
        stat = std.mean(dim=(2, 3, 4))  # [N/G, F]
        stat = stat.repeat(g, 1)[:, :, None, None].expand(n, f, h, w)
        return torch.cat([x, stat], dim=1)
