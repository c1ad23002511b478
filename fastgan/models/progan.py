"""ProGAN (Karras et al., 2018): progressive growing from 4x4 to the data size, with fade-in.

Both networks hold every resolution's block from the start; a `level` (the current top
resolution, 4 * 2**level) and a fade-in `alpha` are buffers of both, so they travel with
the EMA copy and the checkpoint. The schedule is part of the recipe: `stable_steps` at
4x4, then per new resolution `fade_steps` with alpha rising linearly from 0 to 1 and
`stable_steps` at alpha = 1; the last resolution stays until the run ends
(`schedule(step, ...)`).

- G: z is pixel-normalised, mapped to 4x4 features, then per resolution nearest
  upsampling and two 3x3 convs with leaky ReLU and pixel norm; a 1x1 to-RGB per
  resolution. While fading, the output is (1 - alpha) * upsample(to_rgb[prev](h)) +
  alpha * to_rgb[new](block(h)). Outputs at lower resolutions are upsampled (nearest) to
  the data size, so samples and metrics always have the data's shape.
- D mirrors it: from-RGB per resolution, two convs and average pooling per block, the
  new block blended with the downsampled input's old from-RGB path, then minibatch
  standard deviation, a 3x3 conv and two linear layers at 4x4. Inputs larger than the
  current resolution are average-pooled to it (exact for G's nearest-upsampled output).
- Real images are faded like the fakes: (1 - alpha) * upsample(downsample(x)) + alpha * x
  at the current resolution.
- Every conv and linear layer has the equalised learning rate (fastgan.layers).
- Loss: WGAN-GP (lambda = 10, fastgan.ops.gradient_penalty at the current resolution)
  plus the drift term 0.001 * E[D(real)^2]; Adam(1e-3, betas=(0, 0.99)). n_critic = 3, not
  the paper's 1: measured on 16 px shapes (stable = fade = 100 steps), n_critic = 1 diverged at 4x4
  already (FID 900 -> 13000, collapsed colour noise), lr 2e-4 did not fix it (FID 765 at
  750 steps, recall 0), n_critic = 3 learned (FID 96, recall 0.40 at 750 steps).

Small by default (z of 64, 32 channels at 4x4 and 8x8, halving with every doubling after)
so that a 32 px run takes minutes on one CPU thread.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import EqualizedConv2d, EqualizedLinear, MinibatchStdDev, pixel_norm
from ..losses import gradient_penalty, wasserstein_discriminator_loss, wasserstein_generator_loss
from .family import Family, Optimizer, Step, device_of
from .recipe import Recipe, option

ADAM = {"name": "adam", "lr": 1e-3, "betas": [0.0, 0.99], "eps": 1e-8}


@dataclass
class ProGANRecipe(Recipe):
    """How ProGAN is trained (plus Recipe's batch_size, ema_decay, steps)."""

    g_optimizer: dict = option(dict(ADAM), "generator optimiser (name, lr and its keywords)")
    d_optimizer: dict = option(dict(ADAM), "discriminator optimiser, as g_optimizer")
    n_critic: int = option(3, "discriminator steps per generator step (the paper: 1)")
    gradient_penalty: float = option(10.0, "WGAN-GP weight lambda")
    drift: float = option(0.001, "weight of the drift term E[D(real)^2] that keeps critic scores near 0")
    stable_steps: int = option(150, "iterations per resolution at alpha = 1 (the first, 4x4, has only these)")
    fade_steps: int = option(150, "iterations of each new resolution's fade-in (alpha from 0 to 1)")
    batch_size: int = option(32, "real samples per step (a multiple of the minibatch-stddev group, 4)")

    def check(self):
        super().check()
        if int(self.n_critic) < 1:
            raise ValueError(f"n_critic must be >= 1, got {self.n_critic}")
        if int(self.stable_steps) < 1 or int(self.fade_steps) < 0:
            raise ValueError(f"stable_steps must be >= 1 and fade_steps >= 0, got {self.stable_steps} "
                             f"and {self.fade_steps}")
        if float(self.gradient_penalty) < 0 or float(self.drift) < 0:
            raise ValueError("gradient_penalty and drift must be >= 0")


def schedule(step, levels, stable_steps, fade_steps):
    """(level, alpha) after `step` iterations: resolution 4 * 2**level, fade-in alpha in [0, 1].

    Args:
        step: iterations completed.
        levels: number of resolutions (3 for 16 px, 4 for 32 px).
        stable_steps / fade_steps: the recipe's schedule.
    """
    if step < stable_steps:
        return 0, 1.0
    phase = stable_steps + fade_steps
    k, into = divmod(step - stable_steps, phase)
    level = k + 1
    if level >= levels:
        return levels - 1, 1.0
    alpha = into / fade_steps if into < fade_steps else 1.0
    return level, float(alpha)


def schedule_length(levels, stable_steps, fade_steps):
    """Iterations until the last resolution has faded in and trained `stable_steps` at alpha = 1."""
    return levels * stable_steps + (levels - 1) * fade_steps


def channels_at(level, width, min_width=8):
    """Channels of resolution 4 * 2**level: `width` up to 8x8, halving with each doubling after,
    never below `min_width` (nor below 8)."""
    return max(8, min(width, min_width), width >> max(0, level - 1))


class _Progressive(nn.Module):
    """The level/alpha buffers both networks share."""

    def __init__(self, size):
        super().__init__()
        self.size = int(size)
        self.levels = int(math.log2(self.size // 4)) + 1
        self.register_buffer("level", torch.zeros((), dtype=torch.long))
        self.register_buffer("alpha", torch.ones(()))

    def set_progress(self, level, alpha):
        """Set the current resolution (4 * 2**level) and fade-in alpha."""
        if not 0 <= level < self.levels:
            raise ValueError(f"level must lie in [0, {self.levels - 1}], got {level}")
        self.level.fill_(int(level))
        self.alpha.fill_(float(alpha))

    @property
    def resolution(self):
        return 4 << int(self.level)


class ProGenerator(_Progressive):
    """z [B, z_dim] -> images [B, C, S, S] at the current level (upsampled to S).

    Args:
        shape: (C, S, S) with S a power of two >= 8.
        z_dim: latent size.
        width: channels at 4x4 and 8x8 (halving with each doubling after).
        min_width: the fewest channels of any resolution (see channels_at).
    """

    def __init__(self, shape, z_dim=64, width=32, min_width=8):
        super().__init__(shape[-1])
        self.z_dim = z_dim
        c0 = channels_at(0, width, min_width)
        # ProGAN's first layer: a dense layer to 4x4 (gain sqrt(2)/4, as a 4x4 transposed conv has).
        self.input = EqualizedLinear(z_dim, c0 * 16, gain=math.sqrt(2) / 4)
        self.input_conv = EqualizedConv2d(c0, c0, 3, padding=1)
        self.blocks = nn.ModuleList([nn.Identity()])
        for level in range(1, self.levels):
            cin, cout = channels_at(level - 1, width, min_width), channels_at(level, width, min_width)
            self.blocks.append(nn.ModuleList([EqualizedConv2d(cin, cout, 3, padding=1),
                                              EqualizedConv2d(cout, cout, 3, padding=1)]))
        self.to_rgb = nn.ModuleList([EqualizedConv2d(channels_at(level, width, min_width), shape[0], 1, gain=1.0)
                                     for level in range(self.levels)])

    @staticmethod
    def _act(x):
        return pixel_norm(F.leaky_relu(x, 0.2))

    def _block(self, level, h):
        h = F.interpolate(h, scale_factor=2, mode="nearest")
        for conv in self.blocks[level]:
            h = self._act(conv(h))
        return h

    def forward(self, z, labels=None):
        level, alpha = int(self.level), float(self.alpha)
        h = self._act(self.input(pixel_norm(z)).view(len(z), -1, 4, 4))
        h = self._act(self.input_conv(h))
        for k in range(1, level):
            h = self._block(k, h)
        if level == 0:
            img = self.to_rgb[0](h)
        else:
            img = self.to_rgb[level](self._block(level, h))
            if alpha < 1.0:
                old = F.interpolate(self.to_rgb[level - 1](h), scale_factor=2, mode="nearest")
                img = torch.lerp(old, img, alpha)
        if img.shape[-1] != self.size:
            img = F.interpolate(img, size=(self.size, self.size), mode="nearest")
        return img


class ProDiscriminator(_Progressive):
    """images [B, C, R, R] (R >= the current resolution) -> scores [B].

    Args:
        shape: (C, S, S).
        width / min_width: as for ProGenerator.
        group_size: minibatch standard deviation group (the batch must be divisible by it).
    """

    def __init__(self, shape, width=32, group_size=4, min_width=8):
        super().__init__(shape[-1])
        self.from_rgb = nn.ModuleList([EqualizedConv2d(shape[0], channels_at(level, width, min_width), 1)
                                       for level in range(self.levels)])
        self.blocks = nn.ModuleList([nn.Identity()])
        for level in range(1, self.levels):
            cin, cout = channels_at(level, width, min_width), channels_at(level - 1, width, min_width)
            self.blocks.append(nn.ModuleList([EqualizedConv2d(cin, cin, 3, padding=1),
                                              EqualizedConv2d(cin, cout, 3, padding=1)]))
        c0 = channels_at(0, width, min_width)
        self.stddev = MinibatchStdDev(group_size)
        self.final_conv = EqualizedConv2d(c0 + 1, c0, 3, padding=1)
        self.dense = EqualizedLinear(c0 * 16, c0)
        self.out = EqualizedLinear(c0, 1, gain=1.0)

    def _block(self, level, h):
        for conv in self.blocks[level]:
            h = F.leaky_relu(conv(h), 0.2)
        return F.avg_pool2d(h, 2)

    def forward(self, x, labels=None):
        level, alpha = int(self.level), float(self.alpha)
        res = 4 << level
        if x.shape[-1] != res:
            x = F.avg_pool2d(x, x.shape[-1] // res)
        h = F.leaky_relu(self.from_rgb[level](x), 0.2)
        if level > 0:
            h = self._block(level, h)
            if alpha < 1.0:
                old = F.leaky_relu(self.from_rgb[level - 1](F.avg_pool2d(x, 2)), 0.2)
                h = torch.lerp(old, h, alpha)
        for k in range(level - 1, 0, -1):
            h = self._block(k, h)
        h = F.leaky_relu(self.final_conv(self.stddev(h)), 0.2)
        h = F.leaky_relu(self.dense(h.flatten(1)), 0.2)
        return self.out(h).squeeze(1)


def build(spec, z_dim=64, width=32, min_width=8):
    """ProGenerator and ProDiscriminator for images of spec.shape, with the default recipe."""
    shape = tuple(spec.shape)
    size = shape[-1]
    if size < 8 or size & (size - 1):
        raise ValueError(f"progan grows from 4x4 by doubling: the image side must be a power of two >= 8, got {size}")
    g = ProGenerator(shape, z_dim=z_dim, width=width, min_width=min_width)
    d = ProDiscriminator(shape, width=width, min_width=min_width)
    return {"generator": g, "discriminator": d}, ProGANRecipe()


def complete_recipe(recipe, nets, given):
    """Unless `steps` was given: the run lasts the growth schedule (every resolution faded in and stable)."""
    if "steps" in given:
        return recipe
    levels = nets["generator"].levels
    return recipe.updated(steps=schedule_length(levels, int(recipe.stable_steps), int(recipe.fade_steps)))


def grow(ctx):
    """Set both networks' level and alpha from the recipe's schedule at the current step."""
    G, D, r = ctx.nets["generator"], ctx.nets["discriminator"], ctx.recipe
    level, alpha = schedule(ctx.step, G.levels, int(r.stable_steps), int(r.fade_steps))
    G.set_progress(level, alpha)
    D.set_progress(level, alpha)
    return level, alpha


def faded_reals(x, level, alpha):
    """Real images at resolution 4 * 2**level, blended with their half-resolution version while fading."""
    res = 4 << level
    if x.shape[-1] != res:
        x = F.avg_pool2d(x, x.shape[-1] // res)
    if level > 0 and alpha < 1.0:
        x = torch.lerp(F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="nearest"), x, alpha)
    return x


def discriminator_loss(ctx):
    """WGAN-GP critic loss with the drift term, at the current resolution."""
    level, alpha = grow(ctx)
    G, D, r = ctx.nets["generator"], ctx.nets["discriminator"], ctx.recipe
    real = faded_reals(ctx.batch().x, level, alpha)
    z = ctx.normal(len(real), G.z_dim)
    with ctx.autocast():
        with torch.no_grad():
            fake = faded_reals(G(z), level, 1.0)  # G's output is already faded: only pool it
        real_scores = D(real).float()
        loss = wasserstein_discriminator_loss(real_scores, D(fake).float())
    loss = loss + float(r.drift) * real_scores.square().mean()
    if r.gradient_penalty:
        loss = loss + gradient_penalty(D, real.float(), fake.float(), weight=float(r.gradient_penalty),
                                       generator=ctx.noise_generator, check_inputs=False)
    return loss, {"resolution": 4 << level, "alpha": alpha}


def generator_loss(ctx):
    """-E[D(G(z))] at the current resolution."""
    grow(ctx)
    G, D = ctx.nets["generator"], ctx.nets["discriminator"]
    z = ctx.normal(ctx.recipe.batch_size, G.z_dim)
    with ctx.autocast():
        return wasserstein_generator_loss(D(G(z)).float())


def sample(nets, n, generator, labels):
    """z ~ N(0, I) through the generator at its current level (upsampled to the data size)."""
    G = nets["generator"]
    z = torch.randn(n, G.z_dim, generator=generator).to(device_of(nets))
    return G(z)


def progress(nets, data, device):
    """{"resolution", "alpha"} of the sampled generator: the growth phase beside each evaluation."""
    G = nets["generator"]
    return {"resolution": G.resolution, "alpha": float(G.alpha)}


FAMILY = Family(
    name="progan", summary="ProGAN (Karras et al., 2018): progressive growing with fade-in, WGAN-GP + drift",
    build=build, recipe=ProGANRecipe,
    optimizers={"generator": Optimizer("g_optimizer", ("generator",)),
                "discriminator": Optimizer("d_optimizer", ("discriminator",))},
    steps=(Step("d", ("discriminator",), discriminator_loss, repeat="n_critic"),
           Step("g", ("generator",), generator_loss)),
    sample=sample, samples=("images",), ema=("generator",), metrics=progress, complete_recipe=complete_recipe,
    options={"z_dim": "latent size", "width": "channels at 4x4 and 8x8 (halving with each doubling after)",
             "min_width": "the fewest channels of any resolution (the halving stops there)"},
)
