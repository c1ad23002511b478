"""IMLE (Li & Malik, 2018): implicit maximum likelihood by nearest-neighbour matching.

Per step: a batch of M real samples and N = samples_per_real * M generated ones; each
real sample's nearest generated sample is found exactly (fastgan.ops.knn) and their
squared distance is minimised (the sigma -> 0 limit of a Gaussian-kernel likelihood of
the data under the generator, as the study notes derive). Every real sample pulls some
generated sample to itself, so no mode of the data is left without one: IMLE covers
modes by construction, at the price of pixel-space blur.

`variant="repulsive"` is the notes' reverse direction: each generated sample moves to
its nearest real one and away from its nearest sample of a second generated batch (which
keeps fakes from collapsing together), `margin` bounding the push (relu(m - d)). On
16 px digits it did not learn as tried (README: FID ~500-630, coverage ~0.1 with margins
0.02 and 0.1): the fakes gather on a few real digits; the default direction covers them.
Samples: z ~ N(0, I) through the generator (DCGAN convs for images, an MLP for points).
"""
from dataclasses import dataclass

from ..losses import imle_loss, repulsive_imle_loss
from .adversarial import sample
from .family import Family, Optimizer, Step
from .nets import ConvGenerator, MLPGenerator, dcgan_init, is_image
from .recipe import Recipe, option

VARIANTS = ("imle", "repulsive")


@dataclass
class IMLERecipe(Recipe):
    """How IMLE is trained (plus Recipe's batch_size, ema_decay, steps)."""

    optimizer: dict = option({"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]}, "generator optimiser")
    samples_per_real: int = option(10, "generated samples per real sample in each step (N / M)")
    variant: str = option("imle", "imle (each real pulls its nearest fake) or repulsive (the notes' variant)")
    margin: float = option(None, "repulsive variant: push fakes apart only while closer than this "
                                 "(squared distance per coordinate); null: subtract the distance")

    def check(self):
        super().check()
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.variant!r}")
        if int(self.samples_per_real) < 1:
            raise ValueError(f"samples_per_real must be >= 1, got {self.samples_per_real}")


def build(spec, z_dim=None, width=None, depth=3, norm="batch"):
    """The generator: DCGAN convs for images (z 64, width 64), a 256-unit MLP for points (z 2)."""
    if is_image(spec.shape):
        g = ConvGenerator(spec.shape, z_dim=z_dim or 64, width=width or 64, norm=norm)
        g.apply(dcgan_init)
    else:
        g = MLPGenerator(spec.shape, z_dim=z_dim or 2, width=width or 256, depth=depth, norm="none")
    return {"generator": g}, IMLERecipe()


def imle_step(ctx):
    G, recipe = ctx.nets["generator"], ctx.recipe
    real = ctx.batch().x
    n = recipe.samples_per_real * len(real)
    with ctx.autocast():
        fake = G(ctx.normal(n, G.z_dim))
        if recipe.variant == "imle":
            return imle_loss(real, fake)
        other = G(ctx.normal(n, G.z_dim))
        return repulsive_imle_loss(real, fake, other, margin=recipe.margin)


FAMILY = Family(
    name="imle", summary="IMLE (Li & Malik, 2018): each real sample pulls its nearest generated one",
    build=build, recipe=IMLERecipe,
    optimizers={"generator": Optimizer("optimizer", ("generator",))},
    steps=(Step("imle", ("generator",), imle_step),),
    sample=sample, ema=("generator",),
    options={"z_dim": "latent size (default 64 for images, 2 for points)",
             "width": "channels of the last hidden layer (images) or MLP units (points)",
             "depth": "MLP hidden layers (points)", "norm": "generator normalisation (images): batch, layer or none"},
)
