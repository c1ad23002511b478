"""The adversarial families' shared declaration: GANRecipe, the D and G steps, sampling z ~ N(0, I).

gan, dcgan, cgan, wgan, wgan-gp, lsgan, sagan and biggan differ only in networks and recipe;
each module calls `adversarial_family(...)` with its own `make`. Per iteration: `n_critic`
critic steps (adversarial loss from fastgan.losses on detached fakes, optional fused
gradient penalty, optional weight clipping after each optimiser step), then one generator
step on fresh z. The improved techniques (fastgan.models.techniques) are recipe fields
(feature matching, historical averaging, one-sided label smoothing, orthogonal
regularisation) and architecture options of every family (minibatch discrimination,
virtual batch norm); all default to off, which leaves the steps exactly as before.

A discriminator is called as ``D(x, labels) -> [B]`` scores; one that also has
``score_and_features(x, labels) -> (scores [B], features [B, F])`` supports feature matching.
"""
import inspect
import weakref
from dataclasses import dataclass

import torch

from ..losses import adversarial_loss, clip_weights_after_step, feature_matching_loss, gradient_penalty
from . import techniques
from .family import SAMPLE_KINDS, Family, Optimizer, Step, device_of
from .recipe import Recipe, option

# network -> the optimiser that steps it, for the historical-averaging penalty (set by _prepare).
_OPTIMIZER_OF = weakref.WeakKeyDictionary()


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
    feature_matching: float = option(0.0, "weight of feature matching in G's loss: squared distance of the mean "
                                          "last hidden layer of D on real and fake batches (Salimans et al.; 0: off)")
    historical_averaging: float = option(0.0, "weight of historical averaging in both players' losses: squared "
                                              "distance of the parameters to their mean over past steps (0: off)")
    label_smoothing: float = option(0.0, "one-sided label smoothing: D's target for real samples is 1 - VALUE "
                                         "(e.g. 0.1; BCE losses only; 0: off)")
    orthogonal_regularisation: float = option(0.0, "BigGAN's orthogonal regularisation of G's weights, beta * "
                                                   "||W W^T - diag||_F^2 (e.g. 1e-4; 0: off)")

    def check(self):
        super().check()
        techniques.check_recipe(self)
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
    options = dict(recipe.d_loss_options)
    if recipe.label_smoothing:
        options["real_label"] = 1.0 - recipe.label_smoothing
    with ctx.autocast():
        with torch.no_grad():
            fake = G(z, labels)
        loss = loss_fn.discriminator(D(real, labels).float(), D(fake, labels).float(), **options)
    if recipe.gradient_penalty:
        loss = loss + gradient_penalty(lambda x: D(x, labels), real.float(), fake.float(),
                                       weight=recipe.gradient_penalty, generator=ctx.noise_generator,
                                       check_inputs=False)
    if recipe.historical_averaging:
        loss = loss + recipe.historical_averaging * techniques.historical_penalty(_OPTIMIZER_OF[D], D)
    return loss


def generator_loss(ctx):
    """Generator loss of fresh fakes through the current critic, plus the recipe's G-side techniques."""
    G, D, recipe = ctx.nets["generator"], ctx.nets["discriminator"], ctx.recipe
    z, labels = _latent(ctx, recipe.batch_size)
    logs = {}
    with ctx.autocast():
        fake = G(z, labels)
        if recipe.feature_matching:
            batch = ctx.batch()
            with torch.no_grad():
                _, real_features = D.score_and_features(batch.x, batch.y)
            scores, fake_features = D.score_and_features(fake, labels)
            matching = feature_matching_loss(real_features.float(), fake_features.float())
            logs["feature_matching"] = matching.item()
        else:
            scores = D(fake, labels)
        loss = adversarial_loss(recipe.loss).generator(scores.float())
    if recipe.feature_matching:
        loss = loss + recipe.feature_matching * matching
    if recipe.historical_averaging:
        loss = loss + recipe.historical_averaging * techniques.historical_penalty(_OPTIMIZER_OF[G], G)
    if recipe.orthogonal_regularisation:
        loss = loss + recipe.orthogonal_regularisation * techniques.orthogonal_penalty(G)
    return (loss, logs) if logs else loss


def sample(nets, n, generator, labels):
    """z ~ N(0, I) through the generator."""
    G = nets["generator"]
    z = torch.randn(n, G.z_dim, generator=generator).to(device_of(nets))
    return G(z, labels)


def _prepare(nets, optimizers, recipe):
    if recipe.clip:
        clip_weights_after_step(optimizers["discriminator"], nets["discriminator"], clip=recipe.clip)
    if recipe.historical_averaging:
        for name in ("generator", "discriminator"):
            techniques.track_history(optimizers[name])
            _OPTIMIZER_OF[nets[name]] = optimizers[name]


TECHNIQUE_OPTIONS = {"minibatch_discrimination": 0, "virtual_batch_norm": False}
TECHNIQUE_HELP = {
    "minibatch_discrimination": "K minibatch-discrimination statistics appended before D's output layer "
                                "(Salimans et al.; 0: off)",
    "virtual_batch_norm": "replace G's batch norm by virtual batch norm over a fixed reference batch of latents",
}


def adversarial_family(name, summary, make, data="unconditional", options=None, sample_fn=None,
                       samples=SAMPLE_KINDS, sample_options=None):
    """The Family of a GAN whose `make(shape, num_classes, **arch) -> (G, D, GANRecipe)` builds it.

    Args:
        name: registry name.
        summary: one line for listings.
        make: builds the networks and the recipe; its keyword arguments are the architecture options.
        data: "unconditional" or "labelled" (G and D then take the labels).
        options: help text of make's own keywords (added to the common ones).
        sample_fn: ``sample(nets, n, generator, labels)`` replacing z ~ N(0, I) through G.
        samples: the SAMPLE_KINDS it can model.
        sample_options: {keyword: help} of sample_fn's extra keywords (Family.sample_options).
    """
    signature = inspect.signature(make)
    arch = list(signature.parameters.values())[2:]
    made = {p.name for p in arch}
    arch += [inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=default)
             for key, default in TECHNIQUE_OPTIONS.items() if key not in made]

    def build(spec, minibatch_discrimination=0, virtual_batch_norm=False, **kwargs):
        if data == "labelled" and spec.num_classes < 1:
            raise ValueError(f"{name} needs labelled data: num_classes must be >= 1")
        g, d, recipe = make(spec.shape, spec.num_classes, **kwargs)
        g, d = techniques.apply_architecture(name, g, d, minibatch_discrimination, virtual_batch_norm)
        return {"generator": g, "discriminator": d}, recipe

    def check_networks(nets, recipe):
        techniques.check_networks(name, nets["generator"], nets["discriminator"], recipe)

    # The CLI lists the architecture options from build's signature: give it make's keywords.
    build.__signature__ = inspect.Signature([inspect.Parameter("spec", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
                                            + arch)
    return Family(
        name=name, summary=summary, build=build, recipe=GANRecipe,
        optimizers={"generator": Optimizer("g_optimizer", ("generator",)),
                    "discriminator": Optimizer("d_optimizer", ("discriminator",))},
        steps=(Step("d", ("discriminator",), discriminator_loss, repeat="n_critic"),
               Step("g", ("generator",), generator_loss)),
        sample=sample_fn or sample, data=data, samples=tuple(samples), ema=("generator",), prepare=_prepare, check_networks=check_networks,
        sample_options=dict(sample_options or {}),
        options={**TECHNIQUE_HELP, "z_dim": "latent size", "width": "hidden units (MLPs) or channels (conv nets)",
                 "depth": "hidden layers of the MLPs", "g_norm": "generator normalisation: batch, layer or none",
                 "d_norm": "discriminator normalisation: batch, layer or none",
                 "minibatch_stddev": "append the minibatch standard deviation in D (ProGAN)", **(options or {})},
    )
