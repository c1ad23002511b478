"""Generator and discriminator bodies shared by the model families.

MLPs serve 2-D points (and flattened images for the vanilla GAN); DCGAN-style
convolutional nets serve square images of 16, 32 or 64 pixels with any channel count.
Conditional variants take integer labels: one-hot vectors concatenated to z and to
D's input for MLPs; learned embeddings for conv nets (a vector appended to z for G,
an extra input plane for D).

The discriminators expose their last hidden layer (`score_and_features`, for feature
matching) and can take minibatch discrimination before their output layer
(`add_minibatch_discrimination`); fastgan.models.techniques relies on both.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..layers.minibatch_discrimination import MinibatchDiscrimination
from ..layers.minibatch_stddev import MinibatchStdDev

IMAGE_SIZES = (16, 32, 64)


def check_shape(shape):
    """Validate a sample shape: (D,) for points/vectors or (C, S, S) for images, S in 16/32/64."""
    shape = tuple(int(s) for s in shape)
    if len(shape) == 1 and shape[0] >= 1:
        return shape
    if len(shape) == 3 and shape[1] == shape[2] and shape[1] in IMAGE_SIZES and shape[0] >= 1:
        return shape
    raise ValueError(
        f"sample shape must be (D,) for points or (C, S, S) with S in {IMAGE_SIZES} for images, got {shape}"
    )


def is_image(shape):
    return len(shape) == 3


def _norm1d(kind, width):
    if kind == "batch":
        return nn.BatchNorm1d(width)
    if kind == "layer":
        return nn.LayerNorm(width)
    return nn.Identity()


def _norm2d(kind, channels):
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)  # layer norm over C, H, W: no mixing across samples
    return nn.Identity()


class MLPGenerator(nn.Module):
    """z [B, z_dim] (+ labels [B]) -> samples [B, *shape]; tanh output for images.

    Args:
        shape: output sample shape.
        z_dim: latent size.
        width: hidden units per layer.
        depth: hidden layers.
        norm: "batch", "layer" or "none" on hidden layers (never at the output).
        num_classes: > 0 makes it conditional (one-hot label concatenated to z).
    """

    def __init__(self, shape, z_dim=8, width=128, depth=3, norm="none", num_classes=0):
        super().__init__()
        self.shape, self.z_dim, self.num_classes = tuple(shape), z_dim, num_classes
        layers, fan_in = [], z_dim + num_classes
        for _ in range(depth):
            layers += [nn.Linear(fan_in, width), _norm1d(norm, width), nn.ReLU()]
            fan_in = width
        layers.append(nn.Linear(fan_in, math.prod(self.shape)))
        if is_image(self.shape):
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z, labels=None):
        if self.num_classes:
            z = torch.cat([z, F.one_hot(labels, self.num_classes).to(z.dtype)], dim=1)
        return self.net(z).reshape(z.shape[0], *self.shape)


class MLPDiscriminator(nn.Module):
    """samples [B, *shape] (+ labels [B]) -> scores [B] (raw logits / critic values).

    Args:
        shape: input sample shape.
        width, depth: hidden units and layers.
        norm: "batch", "layer" or "none" on hidden layers after the first (never at the input).
        num_classes: > 0 makes it conditional (one-hot label concatenated to the input).
    """

    def __init__(self, shape, width=128, depth=3, norm="none", num_classes=0):
        super().__init__()
        self.shape, self.num_classes = tuple(shape), num_classes
        layers, fan_in = [], math.prod(self.shape) + num_classes
        for i in range(depth):
            layers += [nn.Linear(fan_in, width), _norm1d(norm if i > 0 else "none", width), nn.LeakyReLU(0.2)]
            fan_in = width
        layers.append(nn.Linear(fan_in, 1))
        self.net = nn.Sequential(*layers)
        self.minibatch = None

    def add_minibatch_discrimination(self, num_kernels, kernel_dim=5):
        """Append `num_kernels` minibatch-discrimination statistics to the last hidden layer (a new output layer)."""
        width = self.net[-1].in_features
        self.minibatch = MinibatchDiscrimination(width, num_kernels, kernel_dim)
        self.net[-1] = nn.Linear(width + num_kernels, 1)
        return self

    def score_and_features(self, x, labels=None):
        """(scores [B], last hidden layer [B, width]) of samples x [B, *shape]."""
        x = x.reshape(x.shape[0], -1)
        if self.num_classes:
            x = torch.cat([x, F.one_hot(labels, self.num_classes).to(x.dtype)], dim=1)
        features = self.net[:-1](x)
        head = self.minibatch(features) if self.minibatch is not None else features
        return self.net[-1](head).squeeze(1), features

    def forward(self, x, labels=None):
        return self.score_and_features(x, labels)[0]


class ConvGenerator(nn.Module):
    """DCGAN generator: z -> 4x4 feature map -> transposed convs (x2 each) -> tanh image.

    Batch norm (or `norm`) and ReLU on every layer except the output.

    Args:
        shape: (C, S, S) output shape, S in 16/32/64.
        z_dim: latent size.
        width: channels of the last hidden layer; they double towards the 4x4 start.
        norm: "batch", "layer" or "none".
        num_classes: > 0 makes it conditional (a learned label embedding appended to z).
    """

    def __init__(self, shape, z_dim=64, width=32, norm="batch", num_classes=0):
        super().__init__()
        channels, size, _ = shape
        self.shape, self.z_dim, self.num_classes = tuple(shape), z_dim, num_classes
        ups = int(math.log2(size // 4))
        chans = [width * 2 ** (ups - 1 - i) for i in range(ups)]  # e.g. 16px: [2w, w]
        self.embed = nn.Embedding(num_classes, z_dim) if num_classes else None
        fan_in = z_dim * (2 if num_classes else 1)
        layers = [nn.ConvTranspose2d(fan_in, chans[0], 4, 1, 0), _norm2d(norm, chans[0]), nn.ReLU()]
        for a, b in zip(chans[:-1], chans[1:]):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1), _norm2d(norm, b), nn.ReLU()]
        layers += [nn.ConvTranspose2d(chans[-1], channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z, labels=None):
        if self.num_classes:
            z = torch.cat([z, self.embed(labels).to(z.dtype)], dim=1)
        return self.net(z[:, :, None, None])


class ConvDiscriminator(nn.Module):
    """DCGAN discriminator: strided convs (/2 each) with LeakyReLU(0.2) down to 4x4, then a 4x4 conv to one score.

    No normalisation on the input layer; `norm` ("batch", "layer", "none") on the others.
    Critics trained with a gradient penalty must not use "batch" (it mixes samples).

    Args:
        shape: (C, S, S) input shape.
        width: channels of the first layer; they double at each halving.
        norm: normalisation of the inner layers.
        num_classes: > 0 makes it conditional (a learned embedding, reshaped to an extra input plane).
        minibatch_stddev: append the within-group feature standard deviation (ProGAN) before
            the last conv, so D can reject batches with too little variety; batch sizes must
            then be multiples of 4.
    """

    def __init__(self, shape, width=32, norm="batch", num_classes=0, minibatch_stddev=False):
        super().__init__()
        channels, size, _ = shape
        self.shape, self.num_classes = tuple(shape), num_classes
        self.embed = nn.Embedding(num_classes, size * size) if num_classes else None
        downs = int(math.log2(size // 4))
        fan_in = channels + (1 if num_classes else 0)
        layers = []
        for i in range(downs):
            out = width * 2 ** i
            layers += [nn.Conv2d(fan_in, out, 4, 2, 1), _norm2d(norm if i > 0 else "none", out), nn.LeakyReLU(0.2)]
            fan_in = out
        self.feature_layers = len(layers)  # net[:feature_layers] ends at the last hidden LeakyReLU
        if minibatch_stddev:
            layers.append(MinibatchStdDev(group_size=4))
            fan_in += 1
        layers.append(nn.Conv2d(fan_in, 1, 4, 1, 0))
        self.net = nn.Sequential(*layers)
        self.minibatch = None

    def add_minibatch_discrimination(self, num_kernels, kernel_dim=5):
        """Minibatch discrimination on the flattened 4x4 map before the output conv (Salimans et al.).

        Its `num_kernels` statistics enter the output conv as constant planes; the output conv
        is replaced (DCGAN initialisation).
        """
        last = self.net[-1]
        self.minibatch = MinibatchDiscrimination(last.in_channels * 16, num_kernels, kernel_dim)
        self.net[-1] = nn.Conv2d(last.in_channels + num_kernels, 1, 4, 1, 0)
        dcgan_init(self.net[-1])
        return self

    def score_and_features(self, x, labels=None):
        """(scores [B], last hidden layer flattened [B, C * 16]) of images x [B, C, S, S]."""
        if self.num_classes:
            size = self.shape[1]
            plane = self.embed(labels).to(x.dtype).reshape(x.shape[0], 1, size, size)
            x = torch.cat([x, plane], dim=1)
        features = self.net[:self.feature_layers](x)
        h = self.net[self.feature_layers:-1](features)
        if self.minibatch is not None:
            stats = self.minibatch(h.flatten(1))  # [B, C*16 + K]: the K statistics come last
            planes = stats[:, -self.minibatch.num_kernels:, None, None].expand(-1, -1, *h.shape[2:])
            h = torch.cat([h, planes], dim=1)
        return self.net[-1](h).reshape(x.shape[0]), features.flatten(1)

    def forward(self, x, labels=None):
        return self.score_and_features(x, labels)[0]


class ConvEncoder(nn.Module):
    """Images [B, C, S, S] -> vectors [B, out_dim]: the DCGAN discriminator's strided convs, then a 4x4 conv.

    Args:
        shape: (C, S, S) input shape.
        out_dim: output size (a VAE's encoder outputs mean and log-variance: 2 * z_dim).
        width: channels of the first layer; they double at each halving.
        norm: normalisation of the inner layers ("batch", "layer", "none").
    """

    def __init__(self, shape, out_dim, width=32, norm="batch"):
        super().__init__()
        channels, size, _ = shape
        self.shape, self.out_dim = tuple(shape), int(out_dim)
        layers, fan_in = [], channels
        for i in range(int(math.log2(size // 4))):
            out = width * 2 ** i
            layers += [nn.Conv2d(fan_in, out, 4, 2, 1), _norm2d(norm if i > 0 else "none", out), nn.LeakyReLU(0.2)]
            fan_in = out
        layers.append(nn.Conv2d(fan_in, self.out_dim, 4, 1, 0))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).reshape(x.shape[0], self.out_dim)


class MLP(nn.Module):
    """Vectors [B, in_dim] -> [B, out_dim]: `depth` hidden ReLU layers of `width` units (GLANN's mapping)."""

    def __init__(self, in_dim, out_dim, width=256, depth=3, norm="none"):
        super().__init__()
        self.in_dim, self.out_dim = int(in_dim), int(out_dim)
        layers, fan_in = [], self.in_dim
        for _ in range(depth):
            layers += [nn.Linear(fan_in, width), _norm1d(norm, width), nn.ReLU()]
            fan_in = width
        layers.append(nn.Linear(fan_in, self.out_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def dcgan_init(module):
    """DCGAN's initialisation: N(0, 0.02) weights for convs and linears, N(1, 0.02) for norms."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def adaptive_pair(shape, num_classes=0, *, z_dim=None, width=None, depth=3, g_norm="batch", d_norm="batch",
                  minibatch_stddev=False):
    """(generator, discriminator) for `shape`: MLPs for vectors, DCGAN convs for images."""
    if is_image(shape):
        z_dim = z_dim or 64
        width = width or 32
        g = ConvGenerator(shape, z_dim=z_dim, width=width, norm=g_norm, num_classes=num_classes)
        d = ConvDiscriminator(shape, width=width, norm=d_norm, num_classes=num_classes,
                              minibatch_stddev=minibatch_stddev)
        g.apply(dcgan_init)
        d.apply(dcgan_init)
        return g, d
    z_dim = z_dim or 8
    width = width or 128
    g = MLPGenerator(shape, z_dim=z_dim, width=width, depth=depth, norm=g_norm, num_classes=num_classes)
    d = MLPDiscriminator(shape, width=width, depth=depth, norm=d_norm, num_classes=num_classes)
    return g, d
