"""The PatchGAN discriminator of Pix2Pix/CycleGAN (Isola et al., 2017).

A fully convolutional classifier whose every output scores one overlapping patch of
the input (70x70 pixels with the default three stride-2 layers), modelling only
high-frequency structure and leaving low frequencies to an L1 term. For conditional
use, concatenate the condition and the image along the channels.
"""
from torch import nn

from ._norms import conv_bias, norm_layer


def patch_size(n_layers=3):
    """The receptive field (in pixels) of one PatchGAN output: 70 for n_layers=3."""
    size = 1
    # Walk back from the output: two stride-1 4x4 convs, then n_layers stride-2 ones.
    for stride in [1, 1] + [2] * n_layers:
        size = (size - 1) * stride + 4
    return size


class PatchDiscriminator(nn.Module):
    """PatchGAN: [B, C, H, W] -> [B, 1, H', W'] raw patch scores.

    Args:
        in_channels: input channels (image + condition channels for Pix2Pix).
        ndf: channels of the first layer.
        n_layers: stride-2 layers; patch_size(n_layers) pixels per output.
        norm: "batch", "instance" or "none".
    """

    def __init__(self, in_channels=3, ndf=64, n_layers=3, norm="batch"):
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1, got {n_layers}")
        bias = conv_bias(norm)
        layers = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2)]
        channels = ndf
        for n in range(1, n_layers + 1):
            out = ndf * min(2**n, 8)
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(channels, out, 4, stride, 1, bias=bias), norm_layer(norm, out), nn.LeakyReLU(0.2)]
            channels = out
        layers.append(nn.Conv2d(channels, 1, 4, 1, 1))
        self.model = nn.Sequential(*layers)
        self.n_layers = n_layers

    def forward(self, x):
        return self.model(x)
