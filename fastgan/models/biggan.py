"""BigGAN (Brock et al., 2019), scaled down: class-conditional batch norm with a shared class
embedding, hierarchical latents (skip-z), a projection discriminator (Miyato & Koyama, 2018),
spectral norm in both networks, the hinge loss, orthogonal regularisation of G, a generator
EMA, and the truncation trick at sampling.

G: z is split into one chunk per block plus one for the 4x4 start; each residual up-block
(BN-ReLU-upsample-conv3x3-BN-ReLU-conv3x3, a 1x1 conv on the upsampled skip) normalises
with `ConditionalBatchNorm2d` conditioned on [shared embedding of the label, its z chunk].
D: residual down-blocks (ReLU-conv3x3-ReLU-conv3x3-avgpool), ReLU, sum over positions -> h;
``score = w . h + embed(y) . h`` (the projection). Optimisers: SAGAN's two time scales,
Adam(1e-4) for G and Adam(4e-4) for D with betas (0, 0.9), one D step per G step (BigGAN's
ImageNet settings, 5e-5/2e-4 with two D steps, were not tried on these short CPU runs);
orthogonal regularisation beta = 1e-4, EMA decay 0.999.

`truncated_normal` and `sample_truncated` give the truncation trick: z drawn from N(0, I)
with every entry above `psi` in magnitude redrawn, trading variety for fidelity.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..layers.conditional_batch_norm import ConditionalBatchNorm2d, SharedClassEmbedding
from ..layers.spectral_norm import spectral_norm
from .adversarial import GANRecipe, adversarial_family
from .family import device_of
from .nets import IMAGE_SIZES


def _sn_conv(a, b, k):
    return spectral_norm(nn.Conv2d(a, b, k, 1, k // 2))


class GBlock(nn.Module):
    """Residual up-block with conditional batch norm: [B, a, s, s] -> [B, b, 2s, 2s]."""

    def __init__(self, a, b, cond_dim):
        super().__init__()
        self.bn1, self.bn2 = ConditionalBatchNorm2d(a, cond_dim), ConditionalBatchNorm2d(b, cond_dim)
        self.conv1, self.conv2 = _sn_conv(a, b, 3), _sn_conv(b, b, 3)
        self.skip = _sn_conv(a, b, 1)

    def forward(self, x, cond):
        h = F.interpolate(F.relu(self.bn1(x, cond)), scale_factor=2, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h), cond)))
        return h + self.skip(F.interpolate(x, scale_factor=2, mode="nearest"))


class BigGenerator(nn.Module):
    """(z [B, z_dim], labels [B]) -> images [B, C, S, S].

    Args:
        shape: (C, S, S), S in 16/32/64.
        num_classes: K >= 1 (conditional batch norm needs labels).
        z_dim: latent size, split evenly into (blocks + 1) chunks (must divide).
        width: channels of the last block; they double towards the 4x4 start.
        embed_dim: size of the shared class embedding.
    """

    def __init__(self, shape, num_classes, z_dim, width=32, embed_dim=32):
        super().__init__()
        channels, size, _ = shape
        if num_classes < 1:
            raise ValueError("biggan's conditional batch norm needs labels: build it with num_classes >= 1 "
                             "(labelled data)")
        blocks = int(math.log2(size // 4))
        if z_dim % (blocks + 1):
            raise ValueError(f"biggan splits z into {blocks + 1} chunks at {size} px (skip-z): z_dim must be a "
                             f"multiple of {blocks + 1}, got {z_dim}")
        self.shape, self.z_dim, self.num_classes = tuple(shape), int(z_dim), int(num_classes)
        self.chunk = z_dim // (blocks + 1)
        chans = [width * 2 ** (blocks - i) for i in range(blocks + 1)]  # e.g. 16 px: [4w, 2w, w]
        self.embed = SharedClassEmbedding(num_classes, embed_dim)
        self.start = spectral_norm(nn.Linear(self.chunk, chans[0] * 16))
        self.blocks = nn.ModuleList(GBlock(a, b, embed_dim + self.chunk) for a, b in zip(chans[:-1], chans[1:]))
        self.out_bn = nn.BatchNorm2d(chans[-1])
        self.out = _sn_conv(chans[-1], channels, 3)

    def forward(self, z, labels):
        if labels is None:
            raise ValueError("biggan's generator is class-conditional: pass labels [B]")
        chunks = z.split(self.chunk, dim=1)
        embedding = self.embed(labels).to(z.dtype)
        h = self.start(chunks[0]).reshape(len(z), -1, 4, 4)
        for block, chunk in zip(self.blocks, chunks[1:]):
            h = block(h, torch.cat([embedding, chunk], dim=1))
        return torch.tanh(self.out(F.relu(self.out_bn(h))))


class DBlock(nn.Module):
    """Residual down-block: [B, a, s, s] -> [B, b, s/2, s/2] (no ReLU before the first conv of the first block)."""

    def __init__(self, a, b, first=False):
        super().__init__()
        self.first = first
        self.conv1, self.conv2, self.skip = _sn_conv(a, b, 3), _sn_conv(b, b, 3), _sn_conv(a, b, 1)

    def forward(self, x):
        h = x if self.first else F.relu(x)
        h = F.avg_pool2d(self.conv2(F.relu(self.conv1(h))), 2)
        return h + F.avg_pool2d(self.skip(x), 2)


class ProjectionDiscriminator(nn.Module):
    """(images [B, C, S, S], labels [B]) -> scores [B] = linear(h) + embed(y) . h.

    Args:
        shape: (C, S, S).
        num_classes: K >= 1.
        width: channels of the first block; they double at each halving.
    """

    def __init__(self, shape, num_classes, width=32):
        super().__init__()
        channels, size, _ = shape
        self.shape, self.num_classes = tuple(shape), int(num_classes)
        blocks, fan_in, layers = int(math.log2(size // 4)), channels, []
        for i in range(blocks):
            layers.append(DBlock(fan_in, width * 2 ** i, first=i == 0))
            fan_in = width * 2 ** i
        self.blocks = nn.Sequential(*layers)
        self.linear = spectral_norm(nn.Linear(fan_in, 1))
        self.embed = spectral_norm(nn.Embedding(num_classes, fan_in))

    def score_and_features(self, x, labels):
        """(scores [B], h [B, C]: the ReLU'd last block summed over positions)."""
        h = F.relu(self.blocks(x)).sum(dim=(2, 3))
        return self.linear(h).squeeze(1) + (self.embed(labels) * h).sum(1), h

    def forward(self, x, labels):
        return self.score_and_features(x, labels)[0]


def make(shape, num_classes, z_dim=None, width=None, embed_dim=32):
    if len(shape) != 3 or shape[1] not in IMAGE_SIZES:
        raise ValueError(f"biggan models images of {IMAGE_SIZES} px, not samples of shape {tuple(shape)}")
    blocks = int(math.log2(shape[1] // 4))
    z_dim, width = int(z_dim or 20 * (blocks + 1)), int(width or 24)
    g = BigGenerator(shape, num_classes, z_dim=z_dim, width=width, embed_dim=embed_dim)
    d = ProjectionDiscriminator(shape, num_classes, width=width)
    recipe = GANRecipe(loss="hinge", g_optimizer={"name": "adam", "lr": 1e-4, "betas": [0.0, 0.9]},
                       d_optimizer={"name": "adam", "lr": 4e-4, "betas": [0.0, 0.9]}, orthogonal_regularisation=1e-4,
                       batch_size=64, steps=2000, ema_decay=0.999)
    return g, d, recipe


def truncated_normal(n, dim, psi=None, generator=None):
    """[n, dim] N(0, 1) draws with every entry of magnitude > psi redrawn (psi None: no truncation).

    Args:
        n, dim: output shape.
        psi: truncation threshold > 0 (BigGAN's truncation trick), or None.
        generator: CPU torch.Generator.
    """
    z = torch.randn(n, dim, generator=generator)
    if psi is None:
        return z
    psi = float(psi)
    if psi <= 0:
        raise ValueError(f"truncation psi must be > 0 (or None for none), got {psi}")
    outside = z.abs() > psi
    while outside.any():
        z[outside] = torch.randn(int(outside.sum()), generator=generator)
        outside = z.abs() > psi
    return z


def sample(nets, n, generator, labels, truncation=None):
    """z ~ N(0, I) (truncated at `truncation`, if given) through the class-conditional generator."""
    return sample_with_truncation(nets, n, generator, labels, psi=truncation)


def sample_with_truncation(nets, n, generator, labels, psi=None):
    """``Family.sample`` with the truncation trick: z from `truncated_normal(psi)`."""
    G = nets["generator"]
    if labels is None:
        labels = torch.arange(n) % G.num_classes
    device = device_of(nets)
    z = truncated_normal(n, G.z_dim, psi, generator).to(device)
    return G(z, labels.to(device))


def sample_truncated(model, n, psi, generator=None, labels=None, networks=None):
    """[n, C, S, S] samples of a biggan Model with truncation `psi` (None: none); labels cycle 0..K-1 by default.

    Args:
        model: a biggan fastgan.models.Model.
        n: number of samples.
        psi: truncation threshold.
        generator: CPU torch.Generator for z.
        labels: [n] class labels.
        networks: {name: network} (e.g. the Trainer's EMA copies; default the model's).
    """
    nets = networks or model.networks
    if labels is None:
        labels = torch.arange(n) % model.num_classes
    return model.sample(n, generator=generator, labels=labels, networks=nets, truncation=psi)


FAMILY = adversarial_family(
    "biggan", "BigGAN (Brock et al., 2019): conditional BN, skip-z, projection D, ortho reg, EMA, truncation",
    make, data="labelled", samples=("images",), sample_fn=sample,
    sample_options={"truncation": "psi: latent entries above psi in magnitude are redrawn (the truncation trick)"},
    options={"embed_dim": "size of the shared class embedding of G's conditional batch norm"})
