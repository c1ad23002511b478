"""VAE-GAN (Larsen et al., 2016): a VAE whose reconstruction error is measured in a discriminator's features.

Networks: an encoder q(z|x) (mean and log-variance), a decoder that doubles as the GAN's
generator, and a discriminator whose intermediate feature map D_l gives the
reconstruction loss ||D_l(x) - D_l(x~)||^2 in place of a pixel-wise likelihood. Per
iteration, as in the paper: the encoder steps on KL + the feature loss; the decoder on
gamma * the feature loss + the GAN loss of its reconstructions and of prior samples
G(z), z ~ N(0, I); the discriminator on real vs both kinds of fakes. Unconditional data;
sampling is z ~ N(0, I) through the decoder, as the `vae` family's, so the two compare
on the same metrics.
"""
import math
from dataclasses import dataclass

import torch
from torch import nn

from ..losses import adversarial_loss
from .family import Family, Optimizer, Step, device_of
from .nets import ConvEncoder, ConvGenerator, dcgan_init
from .recipe import Recipe, option

ADAM = {"name": "adam", "lr": 3e-4, "betas": [0.5, 0.999]}


@dataclass
class VAEGANRecipe(Recipe):
    """How a VAE-GAN is trained (plus Recipe's batch_size, ema_decay, steps)."""

    e_optimizer: dict = option(ADAM, "encoder optimiser")
    g_optimizer: dict = option(ADAM, "decoder (generator) optimiser")
    d_optimizer: dict = option(ADAM, "discriminator optimiser")
    kl_weight: float = option(1.0, "weight of the KL term, per latent dimension over feature elements")
    gamma: float = option(1.0, "weight of the feature reconstruction loss in the decoder's loss (the paper's gamma)")
    loss: str = option("non_saturating", "adversarial loss (fastgan.losses.ADVERSARIAL_LOSSES)")
    steps: int = option(3000, "default number of training iterations for a full run")

    def check(self):
        super().check()
        adversarial_loss(self.loss)
        if float(self.kl_weight) < 0 or float(self.gamma) < 0:
            raise ValueError("kl_weight and gamma must be >= 0")


class FeatureDiscriminator(nn.Module):
    """DCGAN-style critic [B, C, S, S] -> [B] scores, with `features(x)` the map before its last conv.

    Args:
        shape: (C, S, S), S in 16/32/64.
        width: channels of the first layer (doubling at each halving).
    """

    def __init__(self, shape, width=32):
        super().__init__()
        channels, size, _ = shape
        layers, fan_in = [], channels
        for i in range(int(math.log2(size // 4))):
            out = width * 2 ** i
            layers += [nn.Conv2d(fan_in, out, 4, 2, 1)]
            layers += [nn.BatchNorm2d(out)] if i else []
            layers += [nn.LeakyReLU(0.2)]
            fan_in = out
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv2d(fan_in, 1, 4, 1, 0)

    def features(self, x):
        """[B, C, S, S] -> [B, F, 4, 4] (the layer the reconstruction loss is measured in)."""
        return self.body(x)

    def forward(self, x):
        return self.head(self.body(x)).reshape(x.shape[0])


class Decoder(nn.Module):
    """z [B, z_dim] -> images, a DCGAN generator (z_dim attribute for sampling)."""

    def __init__(self, shape, z_dim, width):
        super().__init__()
        self.net = ConvGenerator(shape, z_dim=z_dim, width=width, norm="batch")
        self.z_dim = z_dim

    def forward(self, z):
        return self.net(z)


def build(spec, z_dim=32, width=64):
    """Encoder (-> 2 * z_dim), decoder and feature discriminator for images of spec.shape."""
    if len(spec.shape) != 3:
        raise ValueError(f"vae-gan models images, got samples of shape {spec.shape}")
    nets = {"encoder": ConvEncoder(spec.shape, 2 * z_dim, width=width, norm="batch"),
            "decoder": Decoder(spec.shape, z_dim, width), "discriminator": FeatureDiscriminator(spec.shape, width)}
    for net in nets.values():
        net.apply(dcgan_init)
    return nets, VAEGANRecipe()


def _forward(ctx):
    """(x, reconstruction, prior sample, kl per image) of one batch."""
    enc, dec = ctx.nets["encoder"], ctx.nets["decoder"]
    x = ctx.batch().x
    mu, logvar = enc(x).float().chunk(2, dim=1)
    eps, z_p = ctx.normal(len(x), dec.z_dim), ctx.normal(len(x), dec.z_dim)
    recon = dec(mu + (0.5 * logvar).exp() * eps)
    kl = 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(1)
    return x, recon, dec(z_p), kl


def _feature_loss(D, x, recon):
    """Mean squared distance of D's features of x and of its reconstruction."""
    return (D.features(recon).float() - D.features(x).float().detach()).square().mean()


def _encoder_loss(ctx):
    D = ctx.nets["discriminator"]
    with ctx.autocast():
        x, recon, _, kl = _forward(ctx)
        feat = _feature_loss(D, x, recon)
        # KL in nats per image over the feature elements: the scale the feature loss is a mean over.
        elements = D.features(x[:1]).numel()
        loss = feat + ctx.recipe.kl_weight * kl.mean() / elements
    return loss, {"kl": kl.mean().item(), "feature": feat.item()}


def _decoder_loss(ctx):
    D, recipe = ctx.nets["discriminator"], ctx.recipe
    g_loss = adversarial_loss(recipe.loss).generator
    with ctx.autocast():
        x, recon, prior, _ = _forward(ctx)
        feat = _feature_loss(D, x, recon)
        gan = g_loss(D(recon).float()) + g_loss(D(prior).float())
    return recipe.gamma * feat + gan, {"gan": gan.item()}


def _discriminator_loss(ctx):
    D = ctx.nets["discriminator"]
    d_loss = adversarial_loss(ctx.recipe.loss).discriminator
    with ctx.autocast():
        with torch.no_grad():
            x, recon, prior, _ = _forward(ctx)
        real = D(x).float()
        return d_loss(real, D(recon).float()) + d_loss(real, D(prior).float())


def sample(nets, n, generator, labels):
    """z ~ N(0, I) through the decoder."""
    dec = nets["decoder"]
    return dec(torch.randn(n, dec.z_dim, generator=generator).to(device_of(nets)))


FAMILY = Family(
    name="vae-gan", summary="VAE-GAN (Larsen et al., 2016): VAE with a discriminator-feature reconstruction loss + GAN",
    build=build, recipe=VAEGANRecipe,
    optimizers={"encoder": Optimizer("e_optimizer", ("encoder",)), "decoder": Optimizer("g_optimizer", ("decoder",)),
                "discriminator": Optimizer("d_optimizer", ("discriminator",))},
    steps=(Step("e", ("encoder",), _encoder_loss), Step("g", ("decoder",), _decoder_loss),
           Step("d", ("discriminator",), _discriminator_loss)),
    sample=sample, samples=("images",), ema=("decoder",),
    options={"z_dim": "latent size", "width": "channels of the first encoder/critic and last decoder layer"},
)
