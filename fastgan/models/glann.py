"""GLANN (Hoshen, Li & Malik, 2019): GLO, then IMLE in its latent space.

Phase 1 (the first `glo_fraction` of the iterations) is GLO: codes on the unit sphere and
a generator trained to reconstruct the training images from them. Phase 2 trains a
mapping T from noise to codes by IMLE on the (now fixed) codes: each code in a batch
pulls its nearest mapped noise sample, exactly as pixel IMLE does with images, but in a
space where L2 distance means something. Samples: z ~ N(0, I) -> T -> sphere -> G.
"""
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..losses import imle_loss
from .family import Family, Optimizer, Step, device_of
from .glo import OPTIONS, Codes, GLORecipe, glo_step, project_codes, reconstruction_metrics
from .nets import MLP, ConvGenerator, dcgan_init
from .recipe import option


@dataclass
class GLANNRecipe(GLORecipe):
    """GLO's recipe plus the mapping's IMLE phase."""

    m_optimizer: dict = option({"name": "adam", "lr": 1e-3}, "optimiser of the mapping T (phase 2)")
    glo_fraction: float = option(0.6, "share of the iterations spent on GLO (phase 1) before T trains")
    samples_per_code: int = option(10, "mapped noise samples per code in each IMLE step")
    steps: int = option(5000, "default number of training iterations for a full run (both phases)")

    def check(self):
        super().check()
        if not 0.0 < float(self.glo_fraction) < 1.0:
            raise ValueError(f"glo_fraction must lie in (0, 1), got {self.glo_fraction}")


class Mapping(torch.nn.Module):
    """Noise [B, noise_dim] -> codes [B, z_dim] on the unit sphere (an MLP, then normalisation)."""

    def __init__(self, noise_dim, z_dim, width, depth):
        super().__init__()
        self.z_dim = noise_dim  # what sampling draws
        self.net = MLP(noise_dim, z_dim, width=width, depth=depth)

    def forward(self, z):
        return F.normalize(self.net(z), dim=1)


def build(spec, z_dim=32, width=64, norm="batch", noise_dim=32, mapping_width=256, mapping_depth=3):
    """Codes, the generator and the mapping."""
    g = ConvGenerator(spec.shape, z_dim=z_dim, width=width, norm=norm)
    g.apply(dcgan_init)
    nets = {"codes": Codes(spec.num_items, z_dim), "generator": g,
            "mapping": Mapping(noise_dim, z_dim, mapping_width, mapping_depth)}
    return nets, GLANNRecipe()


def _in_glo_phase(ctx):
    return ctx.step < int(round(ctx.recipe.glo_fraction * ctx.total_steps))


def mapping_step(ctx):
    T, recipe = ctx.nets["mapping"], ctx.recipe
    codes = ctx.nets["codes"](ctx.batch().index).detach()
    with ctx.autocast():
        mapped = T(ctx.normal(recipe.samples_per_code * len(codes), T.z_dim))
    return imle_loss(codes, mapped.float())


def sample(nets, n, generator, labels):
    T = nets["mapping"]
    z = torch.randn(n, T.z_dim, generator=generator).to(device_of(nets))
    return nets["generator"](T(z))


FAMILY = Family(
    name="glann", summary="GLANN (Hoshen et al., 2019): GLO, then IMLE of a noise-to-code mapping",
    build=build, recipe=GLANNRecipe,
    optimizers={"generator": Optimizer("g_optimizer", ("generator",)), "codes": Optimizer("code_optimizer", ("codes",)),
                "mapping": Optimizer("m_optimizer", ("mapping",))},
    steps=(Step("glo", ("generator", "codes"), glo_step, active=_in_glo_phase),
           Step("mapping", ("mapping",), mapping_step, active=lambda ctx: not _in_glo_phase(ctx))),
    sample=sample, samples=("images",), ema=("generator",), prepare=project_codes,
    metrics=reconstruction_metrics, per_item=True,
    options={**OPTIONS, "noise_dim": "input size of the mapping T", "mapping_width": "hidden units of T",
             "mapping_depth": "hidden layers of T"},
)
