"""The adversarial families' shared declaration: GANRecipe, the D and G steps, sampling z ~ N(0, I).

gan, dcgan, cgan, wgan, wgan-gp and lsgan differ only in networks and recipe; each module
calls `adversarial_family(...)` with its own `make`. Per iteration: `n_critic` critic steps
(adversarial loss from fastgan.losses on detached fakes, optional fused gradient penalty,
optional weight clipping after each optimiser step), then one generator step on fresh z.
"""
import inspect
from dataclasses import dataclass

import torch

from ..losses import adversarial_loss, clip_weights_after_step, gradient_penalty
from .family import Family, Optimizer, Step, device_of
from .recipe import Recipe, option


@dataclass
class GANRecipe(Recipe):
    """How an adversarial family is trained (plus Recipe's batch_size, ema_decay, steps)."""

    loss: str = option("non_saturating", "adversarial loss (fastgan.losses.ADVERSARIAL_LOSSES)")
    g_optimizer: dict = option({"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]},
                               "generator optimiser: name (adam, rmsprop, sgd), lr and its keywords")
    d_optimizer: dict = option({"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]},
                               "discriminator optimiser, as g_optimizer")
    d_loss_options: dict = option({}, "keywords of the discriminator loss, e.g. {\"real_label\": 0.9} "
                                      "(one-sided label smoothing)")
    n_critic: int = option(1, "discriminator (critic) steps per generator step")
    clip: float = option(None, "WGAN weight clipping bound of the critic (null: no clipping)")
    gradient_penalty: float = option(0.0, "WGAN-GP weight lambda (0: no penalty; fastgan.ops.gradient_penalty)")

    def check(self):
        super().check()
        if int(self.n_critic) < 1:
            raise ValueError(f"n_critic must be >= 1, got {self.n_critic}")
        loss = adversarial_loss(self.loss)
        accepted = set(list(inspect.signature(loss.discriminator).parameters)[2:])  # after the two score sets
        unknown = set(self.d_loss_options) - accepted
        if unknown:
            raise ValueError(f"d_loss_options {sorted(unknown)} are not keywords of {loss.discriminator.__name__} "
                             f"(it takes {sorted(accepted) or 'none'})")


def _latent(ctx, n):
    """(z, labels) for n fakes: labels drawn first (conditional models), then z, from the noise stream."""
    labels = ctx.random_labels(n) if ctx.num_classes else None
    return ctx.normal(n, ctx.nets["generator"].z_dim), labels


def discriminator_loss(ctx):
    """Critic loss on a real batch and detached fakes, plus the gradient penalty when the recipe asks."""
    G, D, recipe = ctx.nets["generator"], ctx.nets["discriminator"], ctx.recipe
    batch = ctx.batch()
    real, labels = batch.x, batch.y
    z, _ = _latent(ctx, len(real))
    loss_fn = adversarial_loss(recipe.loss)
    with ctx.autocast():
        with torch.no_grad():
            fake = G(z, labels)
        loss = loss_fn.discriminator(D(real, labels).float(), D(fake, labels).float(), **recipe.d_loss_options)
    if recipe.gradient_penalty:
        loss = loss + gradient_penalty(lambda x: D(x, labels), real.float(), fake.float(),
                                       weight=recipe.gradient_penalty, generator=ctx.noise_generator,
                                       check_inputs=False)
    return loss


def generator_loss(ctx):
    """Generator loss of fresh fakes through the current critic."""
    G, D = ctx.nets["generator"], ctx.nets["discriminator"]
    z, labels = _latent(ctx, ctx.recipe.batch_size)
    with ctx.autocast():
        return adversarial_loss(ctx.recipe.loss).generator(D(G(z, labels), labels).float())


def sample(nets, n, generator, labels):
    """z ~ N(0, I) through the generator."""
    G = nets["generator"]
    z = torch.randn(n, G.z_dim, generator=generator).to(device_of(nets))
    return G(z, labels)


def _prepare(nets, optimizers, recipe):
    if recipe.clip:
        clip_weights_after_step(optimizers["discriminator"], nets["discriminator"], clip=recipe.clip)


def adversarial_family(name, summary, make, data="unconditional"):
    """The Family of a GAN whose `make(shape, num_classes, **arch) -> (G, D, GANRecipe)` builds it.

    Args:
        name: registry name.
        summary: one line for listings.
        make: builds the networks and the recipe; its keyword arguments are the architecture options.
        data: "unconditional" or "labelled" (G and D then take the labels).
    """
    signature = inspect.signature(make)
    arch = list(signature.parameters.values())[2:]

    def build(spec, **kwargs):
        if data == "labelled" and spec.num_classes < 1:
            raise ValueError(f"{name} needs labelled data: num_classes must be >= 1")
        g, d, recipe = make(spec.shape, spec.num_classes, **kwargs)
        return {"generator": g, "discriminator": d}, recipe

    # The CLI lists the architecture options from build's signature: give it make's keywords.
    build.__signature__ = inspect.Signature([inspect.Parameter("spec", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
                                            + arch)
    return Family(
        name=name, summary=summary, build=build, recipe=GANRecipe,
        optimizers={"generator": Optimizer("g_optimizer", ("generator",)),
                    "discriminator": Optimizer("d_optimizer", ("discriminator",))},
        steps=(Step("d", ("discriminator",), discriminator_loss, repeat="n_critic"),
               Step("g", ("generator",), generator_loss)),
        sample=sample, data=data, ema=("generator",), prepare=_prepare,
        options={"z_dim": "latent size", "width": "hidden units (MLPs) or channels (conv nets)",
                 "depth": "hidden layers of the MLPs", "g_norm": "generator normalisation: batch, layer or none",
                 "d_norm": "discriminator normalisation: batch, layer or none",
                 "minibatch_stddev": "append the minibatch standard deviation in D (ProGAN)"},
    )
