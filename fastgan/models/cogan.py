"""CoGAN (Liu & Tuzel, 2016): a pair of GANs that learns a joint distribution of two domains from
unpaired samples, by sharing the generators' first layers and the discriminators' last layers.

G: one DCGAN trunk (z -> 4x4 -> ... -> S/2, batch norm, ReLU) shared by both domains, then one
transposed convolution + tanh per domain. D: one strided convolution per domain on its input,
then a shared DCGAN trunk down to one score. Shared layers carry the high-level semantics
(which digit, its pose), the unshared ones the domain's rendering, so the same z gives a
corresponding pair. Both GANs use the non-saturating loss and Adam(2e-4, beta1 0.5); each
D step sees a real batch of each domain (domain B's from the Trainer, `StepContext.batch_b`,
like the other two-domain families) and the pair generated from one z batch.

Sampling (`Family.sample`) returns domain A; `sample_pairs` both. On the built-in
two-domain sets the family adds `pair_label_agreement` to every evaluation: the fraction of
pairs whose two images get the same label from each domain's digit classifier
(fastgan.data.domain_classifier), and `fid_b`, the FID of the B images under domain B's
classifier features against the held-out B images.
"""
import math
from dataclasses import dataclass

import torch
from torch import nn

from ..losses import adversarial_loss
from .family import Family, Optimizer, Step, device_of
from .nets import IMAGE_SIZES, _norm2d, dcgan_init
from .recipe import Recipe, option

DOMAINS = ("a", "b")


@dataclass
class CoGANRecipe(Recipe):
    """How CoGAN is trained (plus Recipe's batch_size, ema_decay, steps)."""

    loss: str = option("non_saturating", "adversarial loss of both GANs (fastgan.losses.ADVERSARIAL_LOSSES)")
    g_optimizer: dict = option({"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]},
                               "optimiser of the coupled generators: name, lr and its keywords")
    d_optimizer: dict = option({"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]},
                               "optimiser of the coupled discriminators, as g_optimizer")

    def check(self):
        super().check()
        adversarial_loss(self.loss)


class CoupledGenerator(nn.Module):
    """z [B, z_dim] -> (images of A, images of B) [B, C, S, S] each, through a shared trunk.

    Args:
        shape: (C, S, S), S in 16/32/64 (both domains).
        z_dim: latent size.
        width: channels of the last shared layer; they double towards the 4x4 start.
        shared_upsampling: the shared trunk also does the last upsampling (to S, width // 2
            channels) and each domain's head is a stride-1 3x3 convolution, as in the paper's
            digit generators, where only a full-resolution rendering layer is per domain.
            Default False: the head upsamples S/2 -> S itself.
    """

    def __init__(self, shape, z_dim=64, width=64, shared_upsampling=False):
        super().__init__()
        channels, size, _ = shape
        self.shape, self.z_dim, self.num_classes = tuple(shape), int(z_dim), 0
        ups = int(math.log2(size // 4))
        chans = [width * 2 ** (ups - 1 - i) for i in range(ups)]
        if shared_upsampling:
            chans.append(max(width // 2, 1))  # one more shared layer, at full resolution
        layers = [nn.ConvTranspose2d(z_dim, chans[0], 4, 1, 0), _norm2d("batch", chans[0]), nn.ReLU()]
        for a, b in zip(chans[:-1], chans[1:]):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1), _norm2d("batch", b), nn.ReLU()]
        self.shared = nn.Sequential(*layers)
        self.heads = nn.ModuleDict({d: _head(chans[-1], channels, shared_upsampling) for d in DOMAINS})

    def pair(self, z):
        """(A images, B images) of the same latents z [B, z_dim]."""
        h = self.shared(z[:, :, None, None])
        return self.heads["a"](h), self.heads["b"](h)

    def forward(self, z, labels=None, domain="a"):
        """Images of one domain ("a" or "b") [B, C, S, S]."""
        return self.heads[domain](self.shared(z[:, :, None, None]))


def _head(fan_in, channels, full_resolution):
    """One domain's unshared output layer: upsample S/2 -> S, or render at S (stride 1)."""
    if full_resolution:
        return nn.Sequential(nn.Conv2d(fan_in, channels, 3, 1, 1), nn.Tanh())
    return nn.Sequential(nn.ConvTranspose2d(fan_in, channels, 4, 2, 1), nn.Tanh())


class CoupledDiscriminator(nn.Module):
    """(images [B, C, S, S], domain) -> scores [B]: a first conv per domain, then a shared trunk.

    Args:
        shape: (C, S, S).
        width: channels of the first layer; they double at each halving.
    """

    def __init__(self, shape, width=64):
        super().__init__()
        channels, size, _ = shape
        self.shape = tuple(shape)
        self.inputs = nn.ModuleDict({d: nn.Sequential(nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2))
                                     for d in DOMAINS})
        layers, fan_in = [], width
        for i in range(1, int(math.log2(size // 4))):
            out = width * 2 ** i
            layers += [nn.Conv2d(fan_in, out, 4, 2, 1), _norm2d("batch", out), nn.LeakyReLU(0.2)]
            fan_in = out
        layers.append(nn.Conv2d(fan_in, 1, 4, 1, 0))
        self.shared = nn.Sequential(*layers)

    def forward(self, x, domain="a"):
        return self.shared(self.inputs[domain](x)).reshape(len(x))


def build(spec, z_dim=64, width=64, shared_upsampling=False):
    shape = spec.shape
    if len(shape) != 3 or shape[1] not in IMAGE_SIZES:
        raise ValueError(f"cogan models images of {IMAGE_SIZES} px, not samples of shape {tuple(shape)}")
    g = CoupledGenerator(shape, z_dim=z_dim, width=width, shared_upsampling=bool(shared_upsampling))
    d = CoupledDiscriminator(shape, width=width)
    g.apply(dcgan_init)
    d.apply(dcgan_init)
    return {"generator": g, "discriminator": d}, CoGANRecipe(batch_size=64, steps=2000, ema_decay=0.999)


def _domain_b_batch(ctx, n):
    """n rows of domain B from the Trainer's data stream, refused unless they have A's shape.

    The generators share every layer but the last, so both domains must be one image shape;
    the check is here, at the first batch, because the Trainer does not know that constraint.
    """
    b = ctx.batch_b(n).x
    if tuple(b.shape[1:]) != tuple(ctx.data.shape):
        raise ValueError(f"cogan needs both domains at one image shape; the data {ctx.data.name!r} has A "
                         f"{tuple(ctx.data.shape)} and B {tuple(b.shape[1:])}")
    return b


def discriminator_loss(ctx):
    """Both discriminators on a real batch of their domain and the detached pair of one z batch."""
    G, D = ctx.nets["generator"], ctx.nets["discriminator"]
    real_a = ctx.batch().x
    real_b = _domain_b_batch(ctx, len(real_a))
    z = ctx.normal(len(real_a), G.z_dim)
    loss_fn = adversarial_loss(ctx.recipe.loss)
    with ctx.autocast():
        with torch.no_grad():
            fake_a, fake_b = G.pair(z)
        loss_a = loss_fn.discriminator(D(real_a, "a").float(), D(fake_a, "a").float())
        loss_b = loss_fn.discriminator(D(real_b, "b").float(), D(fake_b, "b").float())
    return loss_a + loss_b, {"a": loss_a.item(), "b": loss_b.item()}


def generator_loss(ctx):
    """Both generators' losses on the pair of one fresh z batch."""
    G, D = ctx.nets["generator"], ctx.nets["discriminator"]
    z = ctx.normal(ctx.recipe.batch_size, G.z_dim)
    loss_fn = adversarial_loss(ctx.recipe.loss)
    with ctx.autocast():
        fake_a, fake_b = G.pair(z)
        return loss_fn.generator(D(fake_a, "a").float()) + loss_fn.generator(D(fake_b, "b").float())


def sample(nets, n, generator, labels):
    """Domain A images of z ~ N(0, I)."""
    return sample_pairs(nets, n, generator)[0]


def sample_pairs(nets, n, generator=None):
    """(A images, B images) [n, C, S, S] each from the same z ~ N(0, I)."""
    G = nets["generator"]
    z = torch.randn(n, G.z_dim, generator=generator).to(device_of(nets))
    return G.pair(z)


@torch.no_grad()
def pair_metrics(nets, data, device=None, n=1000, seed=99):
    """{"pair_label_agreement", "fid_b"} of `n` pairs on a built-in two-domain set; {} on other data.

    Args:
        nets: {name: network} (the Trainer's EMA copies, in eval mode).
        data: the training DataSource.
        device: unused (the networks' device is used).
        n: pairs sampled.
        seed: latent seed.
    """
    from ..data.domain_classifier import domain_classifier, features, predict
    from ..metrics import fid_from_features

    with torch.enable_grad():  # a classifier not cached yet is trained here (evaluations run without grad)
        classifiers = [domain_classifier(data, d) for d in DOMAINS]
    if any(c is None for c in classifiers):
        return {}
    a, b = sample_pairs(nets, n, torch.Generator().manual_seed(seed))
    agree = (predict(classifiers[0], a) == predict(classifiers[1], b)).float().mean()
    fid_b = fid_from_features(features(classifiers[1], data.extra["heldout_b"]), features(classifiers[1], b))
    return {"pair_label_agreement": float(agree), "fid_b": float(fid_b)}


FAMILY = Family(
    name="cogan",
    summary="CoGAN (Liu & Tuzel, 2016): two GANs sharing G's first and D's last layers learn two domains jointly",
    build=build, recipe=CoGANRecipe,
    optimizers={"generator": Optimizer("g_optimizer", ("generator",)),
                "discriminator": Optimizer("d_optimizer", ("discriminator",))},
    steps=(Step("d", ("discriminator",), discriminator_loss), Step("g", ("generator",), generator_loss)),
    sample=sample, data="two-domain", samples=("images",), ema=("generator",), metrics=pair_metrics,
    options={"z_dim": "latent size", "width": "channels of the last shared G layer and the first D layers",
             "shared_upsampling": "share G's last upsampling too; each domain keeps a stride-1 output layer "
                                  "(the paper's digit generators)"},
)
