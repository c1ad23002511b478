"""The U-Net generator of Pix2Pix (Isola et al., 2017).

An encoder of stride-2 4x4 convolutions halves the resolution `num_downs` times; a
decoder of stride-2 transposed convolutions doubles it back, and every decoder level
also receives the encoder's features of the same resolution (skip connections), so
low-level structure (edges, layout) can bypass the bottleneck.

Channels at encoder level k are ngf * min(2^k, 8). Encoder blocks are
LeakyReLU(0.2) -> conv -> norm (the first has neither activation nor norm, the
innermost no norm); decoder blocks are ReLU -> transposed conv -> norm, with dropout
(0.5) in the inner 8*ngf levels when `dropout` is set, and tanh at the output.

With `z_dim` > 0 the U-Net also takes a latent code z [B, z_dim] (BicycleGAN, Zhu et al.
2017), tiled over the image and concatenated along the channels either to the input only
(`inject="input"`) or to the input of every encoder level (`inject="all"`); the skip
connections carry the encoder features without z, as in the paper's code. z_dim=0 builds
exactly the plain U-Net (same layers, same initialisation draws).
"""
import torch
from torch import nn

from ._norms import conv_bias, norm_layer

Z_INJECTIONS = ("input", "all")


class UNetGenerator(nn.Module):
    """Pix2Pix's U-Net.

    Args:
        in_channels, out_channels: image channels of input and output.
        num_downs: number of halvings; inputs must be divisible by 2**num_downs
            (8 for 256x256 images, the bottleneck is then 1x1). At least 2.
        ngf: channels of the first level.
        norm: "batch", "instance" or "none".
        dropout: dropout in the innermost 8*ngf decoder levels (Pix2Pix's noise source).
        z_dim: size of the latent code z taken by `forward` (0: none).
        inject: where z enters: "input" (concatenated to the image) or "all" (to the input of
            every encoder level).
    """

    def __init__(self, in_channels=3, out_channels=3, num_downs=8, ngf=64, norm="batch", dropout=False, z_dim=0,
                 inject="input"):
        super().__init__()
        if num_downs < 2:
            raise ValueError(f"num_downs must be >= 2, got {num_downs}")
        if inject not in Z_INJECTIONS:
            raise ValueError(f"inject must be one of {Z_INJECTIONS}, got {inject!r}")
        if int(z_dim) < 0:
            raise ValueError(f"z_dim must be >= 0, got {z_dim}")
        self.num_downs = num_downs
        self.z_dim, self.inject = int(z_dim), inject
        bias = conv_bias(norm)
        channels = [ngf * min(2**k, 8) for k in range(num_downs)]
        self.encoder = nn.ModuleList()
        for k in range(num_downs):
            layers = [] if k == 0 else [nn.LeakyReLU(0.2)]
            fan_in = (in_channels if k == 0 else channels[k - 1]) + (self.z_dim if k == 0 or inject == "all" else 0)
            layers.append(nn.Conv2d(fan_in, channels[k], 4, 2, 1, bias=bias))
            if 0 < k < num_downs - 1:
                layers.append(norm_layer(norm, channels[k]))
            self.encoder.append(nn.Sequential(*layers))
        # decoder[k] maps level k back to level k - 1's resolution and channels.
        self.decoder = nn.ModuleList()
        for k in range(num_downs):
            innermost, outermost = k == num_downs - 1, k == 0
            in_ch = channels[k] if innermost else 2 * channels[k]
            out_ch = out_channels if outermost else channels[k - 1]
            layers = [nn.ReLU(), nn.ConvTranspose2d(in_ch, out_ch, 4, 2, 1, bias=bias or outermost)]
            if outermost:
                layers.append(nn.Tanh())
            else:
                layers.append(norm_layer(norm, out_ch))
                if dropout and not innermost and channels[k - 1] == 8 * ngf and channels[k] == 8 * ngf:
                    layers.append(nn.Dropout(0.5))
            self.decoder.append(nn.Sequential(*layers))

    def forward(self, x, z=None):
        """x [B, in_channels, H, W] (and z [B, z_dim] when z_dim > 0) -> [B, out_channels, H, W] in (-1, 1)."""
        factor = 2**self.num_downs
        if x.dim() != 4 or x.shape[2] % factor or x.shape[3] % factor:
            raise ValueError(f"UNetGenerator expects [B, C, H, W] with H and W divisible by {factor}, got {tuple(x.shape)}")
        if self.z_dim and (z is None or tuple(z.shape) != (x.shape[0], self.z_dim)):
            got = None if z is None else tuple(z.shape)
            raise ValueError(f"this U-Net takes a latent code z of shape [{x.shape[0]}, {self.z_dim}], got {got}")
        if not self.z_dim and z is not None:
            raise ValueError("this U-Net takes no latent code (z_dim=0)")
        skips = []
        for k, block in enumerate(self.encoder):
            x = block(_with_code(x, z) if self.z_dim and (k == 0 or self.inject == "all") else x)
            skips.append(x)
        y = self.decoder[-1](skips[-1])
        for k in range(self.num_downs - 2, -1, -1):
            y = self.decoder[k](torch.cat([skips[k], y], dim=1))
        return y


def _with_code(x, z):
    """x [B, C, H, W] with z [B, Z] tiled over H x W appended along the channels: [B, C + Z, H, W]."""
    return torch.cat([x, z.to(x.dtype)[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])], dim=1)
