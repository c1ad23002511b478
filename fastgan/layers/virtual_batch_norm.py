"""Virtual batch normalisation (Salimans et al., 2016, section 3.4).

Each example is normalised with statistics of a fixed reference batch together with
the example itself, never with the rest of its own batch, so an example's output
does not depend on the other examples it is batched with. The statistics equal batch
norm's over the N reference examples plus the one example:
``mu = (N mu_ref + mean(x)) / (N + 1)`` per channel (and likewise the mean square).

Usage: run the network on the reference batch inside `reference_pass(model)` first
(this records each layer's reference statistics, differentiably), then on the batch.
"""
import contextlib

import torch
from torch import nn


class VirtualBatchNorm2d(nn.Module):
    """VBN for [B, C, H, W] inputs, with a learned per-channel affine.

    Args:
        num_features: C.
        eps: added to the variance.
    """

    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.reference_mode = False
        self._ref = None  # (mean [C], mean square [C], reference batch size)

    def forward(self, x):
        """x [B, C, H, W] -> [B, C, H, W]."""
        if x.dim() != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"VirtualBatchNorm2d expects [B, {self.num_features}, H, W], got shape {tuple(x.shape)}")
        if self.reference_mode:
            # The reference batch itself is normalised with its own statistics.
            mean = x.mean(dim=(0, 2, 3))
            mean_sq = x.square().mean(dim=(0, 2, 3))
            self._ref = (mean, mean_sq, x.shape[0])
            return self._normalise(x, mean[None, :, None, None], mean_sq[None, :, None, None])
        if self._ref is None:
            raise RuntimeError("VirtualBatchNorm2d has no reference statistics; run the reference batch inside reference_pass(model) first")
        ref_mean, ref_mean_sq, count = self._ref
        new, old = 1.0 / (count + 1), count / (count + 1.0)
        mean = new * x.mean(dim=(2, 3), keepdim=True) + old * ref_mean[None, :, None, None]
        mean_sq = new * x.square().mean(dim=(2, 3), keepdim=True) + old * ref_mean_sq[None, :, None, None]
        return self._normalise(x, mean, mean_sq)

    def _normalise(self, x, mean, mean_sq):
        var = (mean_sq - mean.square()).clamp_min(0)
        return (x - mean) / (var + self.eps).sqrt() * self.weight[None, :, None, None] + self.bias[None, :, None, None]


@contextlib.contextmanager
def reference_pass(model):
    """Within this block, every VirtualBatchNorm2d in `model` records the batch it sees as its reference."""
    layers = [m for m in model.modules() if isinstance(m, VirtualBatchNorm2d)]
    for layer in layers:
        layer.reference_mode = True
    try:
        yield model
    finally:
        for layer in layers:
            layer.reference_mode = False
