"""CycleGAN (Zhu et al., 2017): two generators A->B and B->A, two least-squares PatchGANs, cycle L1.

Per iteration: one generator step (both generators: least-squares GAN loss through D_B and
D_A, cycle consistency lambda * (|G_BA(G_AB(a)) - a| + |G_AB(G_BA(b)) - b|), and an optional
identity loss identity_weight * lambda * (|G_AB(b) - b| + |G_BA(a) - a|)), then one
discriminator step on real images and on fakes drawn from a buffer of past fakes (the
paper's pool of 50: half the time a stored fake is shown instead of the new one, which
replaces it), so D does not chase the newest G alone. The buffer is a network without
parameters ("pool"), so it is saved in checkpoints and a resumed run continues exactly.
Consumes two-domain data (x = domain A, extra["domain_b"] = domain B).
"""
from dataclasses import dataclass

import torch
from torch import nn

from ..layers.patchgan import PatchDiscriminator
from ..layers.unet import UNetGenerator
from ..losses import adversarial_loss
from .family import Family, Optimizer, Step, device_of
from .recipe import Recipe, option
from .translation import PICTURE_COLUMNS, rows, translated, translation_scores

ADAM = {"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]}


@dataclass
class CycleGANRecipe(Recipe):
    """How CycleGAN is trained (plus Recipe's batch_size, ema_decay, steps)."""

    g_optimizer: dict = option(ADAM, "optimiser of both generators")
    d_optimizer: dict = option(ADAM, "optimiser of both discriminators")
    cycle_weight: float = option(10.0, "lambda of the cycle-consistency L1")
    identity_weight: float = option(0.0, "identity loss weight, in units of lambda (the paper: 0.5; 0: off)")
    batch_size: int = option(32, "real samples per domain per step")
    steps: int = option(2000, "default number of training iterations for a full run")

    def check(self):
        super().check()
        if float(self.cycle_weight) < 0 or float(self.identity_weight) < 0:
            raise ValueError("cycle_weight and identity_weight must be >= 0")


class ImagePool(nn.Module):
    """A buffer of up to `size` past fakes per domain (state in buffers, saved with the model).

    Args:
        shape: (C, S, S) of one image.
        size: images kept per domain (0: no buffer, fakes pass through).
    """

    def __init__(self, shape, size=50):
        super().__init__()
        self.size = int(size)
        for d in ("a", "b"):
            self.register_buffer(f"images_{d}", torch.zeros(self.size, *shape))
            self.register_buffer(f"count_{d}", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def query(self, domain, fakes, generator):
        """Fakes to show D: each new fake, or (half the time, once full) a stored one it replaces."""
        if self.size == 0:
            return fakes
        images, count = getattr(self, f"images_{domain}"), getattr(self, f"count_{domain}")
        out = fakes.clone()
        coins = torch.rand(len(fakes), generator=generator).tolist()
        slots = torch.randint(self.size, (len(fakes),), generator=generator).tolist()
        for i, fake in enumerate(fakes):
            if int(count) < self.size:
                images[int(count)] = fake
                count += 1
            elif coins[i] < 0.5:
                out[i] = images[slots[i]].clone()
                images[slots[i]] = fake
        return out


def build(spec, ngf=32, ndf=32, num_downs=None, n_layers=2, norm="instance", pool_size=50):
    """Generators A->B and B->A (U-Nets), PatchGANs of A and B, and the fake pool."""
    if len(spec.shape) != 3:
        raise ValueError(f"cyclegan translates images, got samples of shape {spec.shape}")
    channels, size, _ = spec.shape
    num_downs = num_downs or size.bit_length() - 1

    def g():
        return UNetGenerator(channels, channels, num_downs=num_downs, ngf=ngf, norm=norm)

    def d():
        return PatchDiscriminator(channels, ndf=ndf, n_layers=n_layers, norm=norm)

    nets = {"g_ab": g(), "g_ba": g(), "d_a": d(), "d_b": d(), "pool": ImagePool(spec.shape, pool_size)}
    return nets, CycleGANRecipe()


def _g_loss(ctx):
    n = ctx.nets
    recipe = ctx.recipe
    lsgan = adversarial_loss("least_squares")
    a, b = ctx.batch().x, ctx.batch_b().x
    with ctx.autocast():
        fake_b, fake_a = n["g_ab"](a), n["g_ba"](b)
        gan = lsgan.generator(n["d_b"](fake_b).float()) + lsgan.generator(n["d_a"](fake_a).float())
        cycle = (n["g_ba"](fake_b).float() - a).abs().mean() + (n["g_ab"](fake_a).float() - b).abs().mean()
        loss = gan + recipe.cycle_weight * cycle
        logs = {"gan": gan.item(), "cycle": cycle.item()}
        if recipe.identity_weight:
            identity = (n["g_ab"](b).float() - b).abs().mean() + (n["g_ba"](a).float() - a).abs().mean()
            loss = loss + recipe.identity_weight * recipe.cycle_weight * identity
            logs["identity"] = identity.item()
    return loss, logs


def _d_loss(ctx):
    n = ctx.nets
    lsgan = adversarial_loss("least_squares")
    a, b = ctx.batch().x, ctx.batch_b().x
    with ctx.autocast():
        with torch.no_grad():
            fake_b, fake_a = n["g_ab"](a).float(), n["g_ba"](b).float()
        fake_b = n["pool"].query("b", fake_b, ctx.noise_generator)
        fake_a = n["pool"].query("a", fake_a, ctx.noise_generator)
        return (lsgan.discriminator(n["d_b"](b).float(), n["d_b"](fake_b).float())
                + lsgan.discriminator(n["d_a"](a).float(), n["d_a"](fake_a).float()))


def translate(nets, x, generator=None, reverse=False):
    """Domain A images -> domain B (reverse: B -> A)."""
    return nets["g_ba" if reverse else "g_ab"](x)


def sample(nets, n, generator, labels):
    raise ValueError("cyclegan has no prior to sample from: translate images with `fastgan translate`")


def metrics(nets, data, device):
    """Per direction: FID in the target domain, label accuracy, L1 to aligned truths; cycle L1 both ways.

    "fid" (the best-checkpoint criterion) is the mean of the two directions' FIDs.
    """
    dev = device_of(nets)
    a, b = data.heldout_x, data.extra["heldout_b"]
    ab = translated(lambda x: translate(nets, x), a, dev)
    ba = translated(lambda x: translate(nets, x, reverse=True), b, dev)
    aligned = len(a) == len(b) and data.config.get("name") in ("digits-inverted", "digits-m")
    out = translation_scores(data, "b", ab, b, labels=data.heldout_y, targets=b if aligned else None,
                             prefix="a2b_")
    out.update(translation_scores(data, "a", ba, a, labels=data.extra.get("heldout_labels_b"),
                                  targets=a if aligned else None, prefix="b2a_"))
    aba = translated(lambda x: translate(nets, x, reverse=True), ab, dev)
    bab = translated(lambda x: translate(nets, x), ba, dev)
    out["cycle_l1_a"] = float((aba - a).abs().mean())
    out["cycle_l1_b"] = float((bab - b).abs().mean())
    out["fid"] = (out["a2b_fid"] + out["b2a_fid"]) / 2
    return out


def pictures(nets, data, generator):
    """Rows: A | A->B | A->B->A | B | B->A | B->A->B (held-out images)."""
    dev = device_of(nets)
    a, b = data.heldout_x[:PICTURE_COLUMNS], data.extra["heldout_b"][:PICTURE_COLUMNS]
    ab = translated(lambda x: translate(nets, x), a, dev)
    ba = translated(lambda x: translate(nets, x, reverse=True), b, dev)
    return rows(a, ab, translated(lambda x: translate(nets, x, reverse=True), ab, dev),
                b, ba, translated(lambda x: translate(nets, x), ba, dev))


FAMILY = Family(
    name="cyclegan", summary="CycleGAN (Zhu et al., 2017): two U-Nets, least-squares PatchGANs, cycle L1, fake pool",
    build=build, recipe=CycleGANRecipe,
    optimizers={"generators": Optimizer("g_optimizer", ("g_ab", "g_ba")),
                "discriminators": Optimizer("d_optimizer", ("d_a", "d_b"))},
    steps=(Step("g", ("generators",), _g_loss), Step("d", ("discriminators",), _d_loss)),
    sample=sample, data="two-domain", samples=("images",), ema=("g_ab", "g_ba"), metrics=metrics,
    translate=translate, sample_grid=pictures, prior_samples=False,
    options={"ngf": "U-Net channels of the first level", "ndf": "PatchGAN channels of the first layer",
             "num_downs": "U-Net halvings (null: down to 1x1)", "n_layers": "PatchGAN stride-2 layers",
             "norm": "instance, batch or none", "pool_size": "past fakes kept per domain for D (0: none)"},
)
