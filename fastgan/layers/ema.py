"""Exponential moving average of a generator's weights (Karras et al., 2018; BigGAN; StyleGAN).

Samples and metrics are usually taken from an averaged copy of the generator:
``theta_ema <- decay * theta_ema + (1 - decay) * theta`` after every generator step,
which smooths out the oscillations of adversarial training. Buffers (e.g. batch norm
running statistics) are copied, not averaged.
"""
import copy

import torch
from torch import nn


class GeneratorEMA(nn.Module):
    """Holds the averaged copy of `model` as `self.module`.

    Args:
        model: the generator being trained.
        decay: beta in [0, 1); StyleGAN uses 0.5 ** (batch / (10 * 1000)) ~ 0.999.

    Call `update(model)` after each optimiser step; use `ema(z)` or `ema.module` for
    sampling. The copy starts equal to the model and never requires grad.
    """

    def __init__(self, model, decay=0.999):
        super().__init__()
        decay = float(decay)
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must lie in [0, 1), got {decay}")
        self.decay = decay
        self.module = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        """Move the averaged parameters towards `model`'s and copy its buffers."""
        ema_params = dict(self.module.named_parameters())
        for name, param in model.named_parameters():
            ema_params[name].lerp_(param.detach(), 1.0 - self.decay)
        ema_buffers = dict(self.module.named_buffers())
        for name, buf in model.named_buffers():
            ema_buffers[name].copy_(buf)

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)
