"""Equalised learning rate (ProGAN, Karras et al., 2018).

Weights are stored as N(0, 1) draws and scaled at every forward pass by
``gain / sqrt(fan_in)`` (He's constant), instead of being initialised with it. Adaptive
optimisers normalise updates per parameter, so with the scale outside the parameter
every layer learns at the same effective speed. `lr_mul` (StyleGAN's mapping network
uses 0.01) further divides the stored values and multiplies the runtime scale.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


class EqualizedLinear(nn.Module):
    """Linear layer with runtime weight scaling.

    Args:
        in_features, out_features: as in nn.Linear.
        bias: learn a bias (stored divided by lr_mul, initialised to bias_init).
        gain: sqrt(2) for layers followed by (leaky) ReLU, 1 for linear outputs.
        lr_mul: learning-rate multiplier.
        bias_init: initial value of the effective bias.
    """

    def __init__(self, in_features, out_features, bias=True, gain=math.sqrt(2), lr_mul=1.0, bias_init=0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init) / lr_mul)) if bias else None
        self.scale = gain / math.sqrt(in_features) * lr_mul
        self.lr_mul = lr_mul

    def forward(self, x):
        bias = self.bias * self.lr_mul if self.bias is not None else None
        return F.linear(x, self.weight * self.scale, bias)


class EqualizedConv2d(nn.Module):
    """Conv2d with runtime weight scaling; fan_in = in_channels * k * k.

    Args:
        in_channels, out_channels, kernel_size, stride, padding: as in nn.Conv2d.
        bias, gain, lr_mul: as in EqualizedLinear.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, gain=math.sqrt(2), lr_mul=1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size) / lr_mul)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.scale = gain / math.sqrt(in_channels * kernel_size * kernel_size) * lr_mul
        self.lr_mul = lr_mul
        self.stride = stride
        self.padding = padding

    def forward(self, x):
        bias = self.bias * self.lr_mul if self.bias is not None else None
        return F.conv2d(x, self.weight * self.scale, bias, stride=self.stride, padding=self.padding)
