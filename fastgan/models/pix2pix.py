"""Pix2Pix (Isola et al., 2017): a U-Net maps input A to output B, judged by a PatchGAN that sees A too.

The generator (fastgan.layers.unet) is trained on the GAN loss of the conditional PatchGAN
(fastgan.layers.patchgan: D scores each patch of cat(A, B)) plus lambda * L1 to the target;
`gan_weight=0` gives the same U-Net trained with L1 alone (the paper's baseline: blurrier
outputs, lower L1, higher FID). Consumes paired data (x = inputs, extra["target"] = targets).
Metrics on held-out pairs: FID of outputs vs targets, L1 to the targets, label accuracy of the
outputs under the target domain's classifier (built-in sets). `sample` has no prior: use
`fastgan translate`.

`z_dim > 0` gives "Pix2Pix with noise", the BicycleGAN paper's baseline: the U-Net also
takes a random code z ~ N(0, I) (injected as `inject` says, fastgan.layers.unet), drawn
afresh for every training batch and every translation, trained with GAN + L1 alone; its
evaluation adds the diversity of its outputs (fastgan.models.diversity). z_dim=0 (the
default) is the plain Pix2Pix, unchanged.
"""
from dataclasses import dataclass

import torch

from ..layers.patchgan import PatchDiscriminator
from ..layers.unet import UNetGenerator
from ..losses import adversarial_loss
from .family import Family, Optimizer, Step, device_of
from .recipe import Recipe, option
from .translation import (PICTURE_COLUMNS, multimodal_rows, no_prior, one_way_translate, rows, stochastic_scores,
                          translated, translation_scores)

ADAM = {"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]}


@dataclass
class Pix2PixRecipe(Recipe):
    """How Pix2Pix is trained (plus Recipe's batch_size, ema_decay, steps)."""

    loss: str = option("non_saturating", "adversarial loss (fastgan.losses.ADVERSARIAL_LOSSES)")
    g_optimizer: dict = option(ADAM, "generator optimiser")
    d_optimizer: dict = option(ADAM, "discriminator optimiser")
    l1_weight: float = option(100.0, "lambda of the L1 term to the target")
    gan_weight: float = option(1.0, "weight of the GAN term (0: the U-Net with L1 only; D is not trained)")
    steps: int = option(1500, "default number of training iterations for a full run")

    def check(self):
        super().check()
        adversarial_loss(self.loss)
        if float(self.l1_weight) < 0 or float(self.gan_weight) < 0:
            raise ValueError(f"l1_weight and gan_weight must be >= 0, got {self.l1_weight}, {self.gan_weight}")


def build(spec, ngf=32, ndf=32, num_downs=None, n_layers=2, norm="batch", dropout=False, z_dim=0, inject="input"):
    """U-Net generator (taking a z_dim code when z_dim > 0) and conditional PatchGAN for images of spec.shape."""
    if len(spec.shape) != 3:
        raise ValueError(f"pix2pix translates images, got samples of shape {spec.shape}")
    channels, size, _ = spec.shape
    num_downs = num_downs or size.bit_length() - 1  # down to a 1x1 bottleneck
    g = UNetGenerator(channels, channels, num_downs=num_downs, ngf=ngf, norm=norm, dropout=dropout, z_dim=z_dim,
                      inject=inject)
    d = PatchDiscriminator(2 * channels, ndf=ndf, n_layers=n_layers, norm=norm)
    return {"generator": g, "discriminator": d}, Pix2PixRecipe()


def _d_loss(ctx):
    G, D, recipe = ctx.nets["generator"], ctx.nets["discriminator"], ctx.recipe
    batch = ctx.batch()
    with ctx.autocast():
        with torch.no_grad():
            fake = _generate(ctx, G, batch.x)
        real_scores = D(torch.cat([batch.x, batch.target], 1)).float()
        fake_scores = D(torch.cat([batch.x, fake], 1)).float()
        return adversarial_loss(recipe.loss).discriminator(real_scores, fake_scores)


def _g_loss(ctx):
    G, D, recipe = ctx.nets["generator"], ctx.nets["discriminator"], ctx.recipe
    batch = ctx.batch()
    with ctx.autocast():
        fake = _generate(ctx, G, batch.x)
        l1 = (fake.float() - batch.target).abs().mean()
        loss = recipe.l1_weight * l1
        logs = {"l1": l1.item()}
        if recipe.gan_weight:
            gan = adversarial_loss(recipe.loss).generator(D(torch.cat([batch.x, fake], 1)).float())
            loss = loss + recipe.gan_weight * gan
            logs["gan"] = gan.item()
    return loss, logs


def _generate(ctx, G, x):
    """G(x), with a fresh code from the noise stream when G takes one (nothing drawn otherwise)."""
    return G(x, ctx.normal(len(x), G.z_dim)) if G.z_dim else G(x)


translate = one_way_translate("pix2pix")
sample = no_prior("pix2pix")


def metrics(nets, data, device):
    """Held-out FID (outputs vs targets), L1 to the targets, label accuracy of the outputs (with noise: diversity)."""
    if nets["generator"].z_dim:
        return stochastic_scores(nets["generator"], data)
    out = translated(lambda b: translate(nets, b), data.heldout_x, device_of(nets))
    return translation_scores(data, "b", out, data.extra["heldout_target"], labels=data.heldout_y,
                              targets=data.extra["heldout_target"])


def pictures(nets, data, generator):
    """Rows: held-out inputs | their outputs (with noise: one row per z) | their targets."""
    x = data.heldout_x[:PICTURE_COLUMNS]
    if nets["generator"].z_dim:
        return multimodal_rows(nets["generator"], x, data.extra["heldout_target"][:PICTURE_COLUMNS], generator)
    out = translated(lambda b: translate(nets, b), x, device_of(nets))
    return rows(x, out, data.extra["heldout_target"][:PICTURE_COLUMNS])


FAMILY = Family(
    name="pix2pix", summary="Pix2Pix (Isola et al., 2017): U-Net + conditional PatchGAN, GAN + lambda*L1",
    build=build, recipe=Pix2PixRecipe,
    optimizers={"generator": Optimizer("g_optimizer", ("generator",)),
                "discriminator": Optimizer("d_optimizer", ("discriminator",))},
    steps=(Step("d", ("discriminator",), _d_loss, active=lambda ctx: ctx.recipe.gan_weight > 0),
           Step("g", ("generator",), _g_loss)),
    sample=sample, data="paired", samples=("images",), ema=("generator",), metrics=metrics,
    translate=translate, sample_grid=pictures, prior_samples=False,
    options={"ngf": "U-Net channels of the first level", "ndf": "PatchGAN channels of the first layer",
             "num_downs": "U-Net halvings (null: down to 1x1)", "n_layers": "PatchGAN stride-2 layers",
             "norm": "batch, instance or none", "dropout": "dropout in the U-Net's inner decoder levels",
             "z_dim": "latent code size of 'Pix2Pix with noise' (0: plain Pix2Pix)",
             "inject": "where z enters the U-Net: input or all (every encoder level)"},
)
