"""SAGAN (Zhang et al., 2019): self-attention in G and D at a middle resolution, spectral norm in
both networks, the hinge loss and the two time-scale update rule (D Adam(4e-4), G Adam(1e-4),
betas (0, 0.9)).

The convolutional bodies are DCGAN's (transposed convolutions up, strided convolutions down,
4x4 kernels) with every convolution and linear layer spectral-normalised; one
`SelfAttention2d` block sits in G after the layer that reaches `attention_size` (default:
half the image side, 8x8 for 16 px digits) and one in D at the same resolution. G keeps
batch norm (as SAGAN's generator does); D has none. `attention_maps` returns G's attention
for a batch of latents and `save_attention_picture` writes a few samples beside the maps of
some query positions.
"""
import math

import torch
from torch import nn

from ..layers.self_attention import SelfAttention2d
from ..layers.spectral_norm import spectral_norm
from .adversarial import GANRecipe, adversarial_family
from .nets import IMAGE_SIZES


def _check_attention_size(size, attention_size):
    sizes = [size // 2 ** i for i in range(1, int(math.log2(size // 4)))]  # hidden sides from 8 to size / 2
    attention_size = int(attention_size or size // 2)
    if attention_size not in sizes:
        raise ValueError(f"attention_size must be a hidden feature-map side of the {size} px networks: one of "
                         f"{sorted(sizes)}, got {attention_size}")
    return attention_size


class SAGenerator(nn.Module):
    """z [B, z_dim] -> images [B, C, S, S]: spectral-normalised transposed convs with one self-attention block.

    Args:
        shape: (C, S, S), S in 16/32/64.
        z_dim: latent size.
        width: channels of the last hidden layer; they double towards the 4x4 start.
        attention_size: side of the feature map the attention block works on.
    """

    def __init__(self, shape, z_dim=64, width=64, attention_size=None):
        super().__init__()
        channels, size, _ = shape
        self.shape, self.z_dim, self.num_classes = tuple(shape), int(z_dim), 0
        self.attention_size = _check_attention_size(size, attention_size)
        ups = int(math.log2(size // 4))
        chans = [width * 2 ** (ups - 1 - i) for i in range(ups)]
        layers = [spectral_norm(nn.ConvTranspose2d(z_dim, chans[0], 4, 1, 0)), nn.BatchNorm2d(chans[0]), nn.ReLU()]
        side = 4
        for a, b in zip(chans[:-1], chans[1:]):
            layers += [spectral_norm(nn.ConvTranspose2d(a, b, 4, 2, 1)), nn.BatchNorm2d(b), nn.ReLU()]
            side *= 2
            if side == self.attention_size:
                layers.append(SelfAttention2d(b, spectral_norm=True))
        layers += [spectral_norm(nn.ConvTranspose2d(chans[-1], channels, 4, 2, 1)), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z, labels=None, return_attention=False):
        """Images [B, C, S, S] (and the attention [B, N, N] over the attention map's N positions)."""
        h = z[:, :, None, None]
        attention = None
        for layer in self.net:
            if isinstance(layer, SelfAttention2d):
                h, attention = layer(h, return_attention=True)
            else:
                h = layer(h)
        return (h, attention) if return_attention else h


class SADiscriminator(nn.Module):
    """Images [B, C, S, S] -> scores [B]: spectral-normalised strided convs, LeakyReLU(0.1), one self-attention block.

    Args:
        shape: (C, S, S).
        width: channels of the first layer; they double at each halving.
        attention_size: side of the feature map the attention block works on.
    """

    def __init__(self, shape, width=64, attention_size=None):
        super().__init__()
        channels, size, _ = shape
        self.shape, self.num_classes = tuple(shape), 0
        self.attention_size = _check_attention_size(size, attention_size)
        layers, fan_in, side = [], channels, size
        for i in range(int(math.log2(size // 4))):
            out = width * 2 ** i
            layers += [spectral_norm(nn.Conv2d(fan_in, out, 4, 2, 1)), nn.LeakyReLU(0.1)]
            fan_in, side = out, side // 2
            if side == self.attention_size:
                layers.append(SelfAttention2d(out, spectral_norm=True))
        self.body = nn.Sequential(*layers)
        self.head = spectral_norm(nn.Linear(fan_in * 16, 1))

    def score_and_features(self, x, labels=None):
        """(scores [B], the flattened 4x4 features [B, C * 16])."""
        features = self.body(x).flatten(1)
        return self.head(features).squeeze(1), features

    def forward(self, x, labels=None):
        return self.score_and_features(x)[0]


def make(shape, num_classes, z_dim=None, width=None, attention_size=None):
    if len(shape) != 3 or shape[1] not in IMAGE_SIZES:
        raise ValueError(f"sagan models images of {IMAGE_SIZES} px, not samples of shape {tuple(shape)}")
    z_dim, width = int(z_dim or 64), int(width or 64)
    g = SAGenerator(shape, z_dim=z_dim, width=width, attention_size=attention_size)
    d = SADiscriminator(shape, width=width, attention_size=attention_size)
    recipe = GANRecipe(loss="hinge", g_optimizer={"name": "adam", "lr": 1e-4, "betas": [0.0, 0.9]},
                       d_optimizer={"name": "adam", "lr": 4e-4, "betas": [0.0, 0.9]}, batch_size=64, steps=2000,
                       ema_decay=0.999)
    return g, d, recipe


@torch.no_grad()
def attention_maps(generator, z):
    """(images [B, C, S, S], attention [B, N, N], side of the attention map) of latents z [B, z_dim]."""
    images, attention = generator(z, return_attention=True)
    return images, attention, generator.attention_size


QUERY_COLOURS = ((1.0, -1.0, -1.0), (-1.0, 1.0, -1.0), (-1.0, -1.0, 1.0), (1.0, 1.0, -1.0))


@torch.no_grad()
def save_attention_picture(generator, path, n=4, queries=((0.25, 0.25), (0.5, 0.75), (0.75, 0.4)), seed=0):
    """A PNG with one row per sample: the sample with its query positions marked, then G's attention per query.

    Each map shows, for one query position of the attention block's feature map, the softmax
    weights over all positions, min-max scaled to black (least) .. white (most attended),
    with the query's cell outlined in the colour of its mark on the sample (red, green, blue).

    Args:
        generator: a SAGenerator (an EMA copy is fine), in eval mode for reproducible maps.
        path: output PNG.
        n: samples (rows).
        queries: up to 4 (row, column) fractions of the attention map's side.
        seed: latent seed.

    Returns:
        path.
    """
    from ..training.pictures import save_image_grid

    if not 1 <= len(queries) <= len(QUERY_COLOURS):
        raise ValueError(f"queries: give 1 to {len(QUERY_COLOURS)} (row, column) fractions, got {len(queries)}")
    z = torch.randn(n, generator.z_dim, generator=torch.Generator().manual_seed(seed))
    device = next(generator.parameters()).device
    images, attention, side = attention_maps(generator, z.to(device))
    images, attention = images.float().cpu(), attention.float().cpu()
    size = images.shape[-1]
    cell = size // side
    tiles = []
    for b in range(n):
        marked = images[b].mean(0, keepdim=True).repeat(3, 1, 1)
        maps = []
        for (qr, qc), colour in zip(queries, QUERY_COLOURS):
            r, c = min(int(qr * side), side - 1), min(int(qc * side), side - 1)
            colour = torch.tensor(colour)[:, None, None]
            amap = attention[b, r * side + c].reshape(1, 1, side, side)
            amap = (amap - amap.min()) / (amap.max() - amap.min()).clamp_min(1e-12) * 2 - 1
            amap = torch.nn.functional.interpolate(amap, size=(size, size), mode="nearest")[0].repeat(3, 1, 1)
            top, left = r * cell, c * cell
            for tile in (marked, amap):
                tile[:, top:top + cell, left:left + cell] = colour
            maps.append(amap)
        tiles += [marked] + maps
    return save_image_grid(torch.stack(tiles), path, nrow=1 + len(queries), scale=8)


FAMILY = adversarial_family(
    "sagan", "SAGAN (Zhang et al., 2019): self-attention, spectral norm, hinge loss, TTUR", make,
    samples=("images",), options={"attention_size": "side of the feature map with the self-attention block (default: half the image "
                                "side)"})
