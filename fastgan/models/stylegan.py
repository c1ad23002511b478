"""StyleGAN (Karras et al., 2019): a mapping network z -> w and a synthesis network styled by w.

- Mapping: z is pixel-normalised, then `mapping_layers` (8) equalised linear layers with
  leaky ReLU and the learning-rate multiplier `mapping_lr_mul` (0.01).
- Synthesis: a learned 4x4 constant; per resolution two layers, each (nearest upsample
  and) a 3x3 equalised conv, per-pixel noise (fastgan.layers.NoiseInjection), leaky ReLU
  and AdaIN from its own w (fastgan.layers.AdaIN); a 1x1 to-RGB at the data size. There
  are `num_ws` = 2 * resolutions per-layer latents; `synthesis(w)` takes w [B, D] (the
  same for every layer) or [B, num_ws, D].
- Style mixing regularisation: with probability `style_mixing` (0.9) a sample's layers
  from a random crossover on take the w of a second z.
- Truncation in w at sampling: w' = w_avg + psi * (w - w_avg), with w_avg a running mean
  of the mapped w (decay `w_avg_decay`), a buffer that the EMA copy and checkpoints carry;
  `Model.sample(n, truncation=psi)` and `fastgan sample --truncation PSI`.
- Loss: the non-saturating logistic loss, R1 on reals with lazy regularisation (a
  separate step every `r1_every` iterations, its penalty scaled by `r1_every`, as in
  StyleGAN2); the discriminator is ProGAN's at full resolution (minibatch stddev,
  equalised lr); generator EMA (Recipe.ema_decay).
- PPL: the generator has `.mapping` and `.synthesis` and declares `normalizes_z`, so
  fastgan.metrics.perceptual_path_length measures it in Z (slerp) and in W (lerp).
- A style-mixing picture (Family.pictures["style-mixing"]): rows take the coarse styles
  of one source, columns the fine styles of another.

Small by default (z and w of 64, 32 synthesis channels at 4x4 and 8x8, halving after; a
discriminator of 64 channels at 4x4 and 8x8 and never fewer than 32) so that a 32 px run
takes minutes on one CPU thread.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import AdaIN, EqualizedConv2d, EqualizedLinear, NoiseInjection, pixel_norm
from ..losses import non_saturating_discriminator_loss, non_saturating_generator_loss, r1_penalty
from .family import Family, Optimizer, Step, device_of
from .progan import ProDiscriminator, channels_at
from .recipe import Recipe, option

ADAM = {"name": "adam", "lr": 2e-3, "betas": [0.0, 0.99], "eps": 1e-8}


@dataclass
class StyleGANRecipe(Recipe):
    """How StyleGAN is trained (plus Recipe's batch_size, ema_decay, steps)."""

    g_optimizer: dict = option(dict(ADAM), "generator (mapping and synthesis) optimiser")
    d_optimizer: dict = option(dict(ADAM), "discriminator optimiser")
    r1_gamma: float = option(1.0, "R1 weight gamma (penalty gamma/2 * E|grad D(real)|^2)")
    r1_every: int = option(16, "lazy regularisation: the R1 step runs every this many iterations, scaled by it")
    style_mixing: float = option(0.9, "probability that a sample mixes the styles of two z")
    w_avg_decay: float = option(0.995, "decay of the running mean of w (the truncation centre)")
    batch_size: int = option(32, "real samples per step (a multiple of the minibatch-stddev group, 4)")
    steps: int = option(1000, "default number of training iterations for a full run")

    def check(self):
        super().check()
        if int(self.r1_every) < 1 or float(self.r1_gamma) < 0:
            raise ValueError(f"r1_every must be >= 1 and r1_gamma >= 0, got {self.r1_every}, {self.r1_gamma}")
        if not 0 <= float(self.style_mixing) <= 1 or not 0 <= float(self.w_avg_decay) < 1:
            raise ValueError("style_mixing must lie in [0, 1] and w_avg_decay in [0, 1)")


class Mapping(nn.Module):
    """z [B, z_dim] -> w [B, w_dim]: pixel norm, then `layers` equalised linear layers (lr multiplier)."""

    def __init__(self, z_dim=64, w_dim=64, layers=8, lr_mul=0.01):
        super().__init__()
        self.latent_dim = self.z_dim = z_dim
        dims = [z_dim] + [w_dim] * layers
        self.layers = nn.ModuleList([EqualizedLinear(a, b, lr_mul=lr_mul) for a, b in zip(dims, dims[1:])])

    def forward(self, z):
        x = pixel_norm(z)
        for layer in self.layers:
            x = F.leaky_relu(layer(x), 0.2)
        return x


class StyledLayer(nn.Module):
    """(upsample,) 3x3 conv (none for the constant), noise, leaky ReLU, AdaIN from one w."""

    def __init__(self, cin, cout, w_dim, conv=True, upsample=False):
        super().__init__()
        self.conv = EqualizedConv2d(cin, cout, 3, padding=1) if conv else None
        self.upsample = upsample
        self.noise = NoiseInjection(cout)
        self.bias = nn.Parameter(torch.zeros(cout))
        self.adain = AdaIN(cout, w_dim)

    def forward(self, x, w, noise=None):
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        if self.conv is not None:
            x = self.conv(x)
        x = self.noise(x, noise) + self.bias[None, :, None, None]
        return self.adain(F.leaky_relu(x, 0.2), w)


class Synthesis(nn.Module):
    """w [B, w_dim] or [B, num_ws, w_dim] (and per-layer noise) -> images [B, C, S, S].

    Args:
        shape: (C, S, S), S a power of two >= 8.
        w_dim: latent size.
        width: channels at 4x4 and 8x8 (halving with each doubling after).
        min_width: the fewest channels of any resolution (fastgan.models.progan.channels_at).
    """

    def __init__(self, shape, w_dim=64, width=32, min_width=8):
        super().__init__()
        self.size = shape[-1]
        levels = int(math.log2(self.size // 4)) + 1
        c0 = channels_at(0, width, min_width)
        self.const = nn.Parameter(torch.ones(1, c0, 4, 4))
        layers = [StyledLayer(c0, c0, w_dim, conv=False), StyledLayer(c0, c0, w_dim)]
        for level in range(1, levels):
            cin, cout = channels_at(level - 1, width, min_width), channels_at(level, width, min_width)
            layers += [StyledLayer(cin, cout, w_dim, upsample=True), StyledLayer(cout, cout, w_dim)]
        self.layers = nn.ModuleList(layers)
        self.num_ws = len(layers)
        self.resolutions = [4 << (i // 2) for i in range(self.num_ws)]
        self.to_rgb = EqualizedConv2d(channels_at(levels - 1, width, min_width), shape[0], 1, gain=1.0)

    def noise_shapes(self, n):
        """The shapes of the per-layer noise inputs for n samples: [(n, 1, r, r), ...]."""
        return [(n, 1, r, r) for r in self.resolutions]

    def forward(self, w, noise=None):
        if w.dim() == 2:
            w = w[:, None, :].expand(-1, self.num_ws, -1)
        if w.shape[1] != self.num_ws:
            raise ValueError(f"w must be [B, D] or [B, {self.num_ws}, D], got {tuple(w.shape)}")
        noise = noise if noise is not None else [None] * self.num_ws
        x = self.const.expand(len(w), -1, -1, -1)
        for i, layer in enumerate(self.layers):
            x = layer(x, w[:, i], noise[i])
        return self.to_rgb(x)


class StyleGenerator(nn.Module):
    """z [B, z_dim] -> images; `.mapping`, `.synthesis` and the truncation centre `w_avg`.

    Args:
        shape: (C, S, S).
        z_dim: latent size (w has the same size).
        width: synthesis channels (see Synthesis).
        mapping_layers / mapping_lr_mul: the mapping network's depth and lr multiplier.
        min_width: the fewest synthesis channels of any resolution.
    """

    normalizes_z = True  # the mapping pixel-normalises z: PPL may feed unit-norm latents, as StyleGAN does

    def __init__(self, shape, z_dim=64, width=32, mapping_layers=8, mapping_lr_mul=0.01, min_width=8):
        super().__init__()
        self.latent_dim = self.z_dim = z_dim
        self.mapping = Mapping(z_dim, z_dim, mapping_layers, mapping_lr_mul)
        self.synthesis = Synthesis(shape, z_dim, width, min_width)
        self.register_buffer("w_avg", torch.zeros(z_dim))

    def truncate(self, w, psi):
        """w_avg + psi * (w - w_avg): psi = 1 leaves w, psi = 0 gives the mean w."""
        return torch.lerp(self.w_avg.to(w.dtype), w, float(psi))

    def forward(self, z, labels=None, truncation=1.0, noise=None):
        w = self.mapping(z)
        if truncation != 1.0:
            w = self.truncate(w, truncation)
        return self.synthesis(w, noise)


def build(spec, z_dim=64, width=32, mapping_layers=8, mapping_lr_mul=0.01, min_width=8, d_width=64,
          d_min_width=32):
    """StyleGenerator and (ProGAN's, at full resolution) discriminator for images of spec.shape.

    d_width / d_min_width: the discriminator's channels (0: the generator's width / min_width).
    By default it is wider than the generator at high resolutions (64, 64, 32, 32 channels from
    4x4 to 32x32 at 32 px, against 32, 32, 16, 8): with the generator's widths it learned shapes
    more slowly (README, "Tried this session").
    """
    shape = tuple(spec.shape)
    size = shape[-1]
    if size < 8 or size & (size - 1):
        raise ValueError(f"stylegan synthesises from 4x4 by doubling: the image side must be a power of two >= 8, "
                         f"got {size}")
    g = StyleGenerator(shape, z_dim, width, mapping_layers, mapping_lr_mul, min_width)
    d = ProDiscriminator(shape, width=d_width or width, min_width=d_min_width or min_width)
    d.set_progress(d.levels - 1, 1.0)
    return {"generator": g, "discriminator": d}, StyleGANRecipe()


def mixed_ws(G, z1, z2, prob, uniform):
    """Per-layer w [n, num_ws, D] with style mixing: sample i takes mapping(z2) from a crossover on.

    Args:
        G: the StyleGenerator.
        z1, z2: [n, z_dim] latents.
        prob: mixing probability.
        uniform: [n, 2] U(0, 1) draws: whether to mix, and where the crossover lies (1..num_ws-1).
    """
    num_ws = G.synthesis.num_ws
    w1, w2 = G.mapping(z1), G.mapping(z2)
    cut = 1 + (uniform[:, 1] * (num_ws - 1)).long().clamp(max=num_ws - 2)
    cut = torch.where(uniform[:, 0] < prob, cut, torch.full_like(cut, num_ws))
    layer = torch.arange(num_ws, device=z1.device)[None, :]
    return torch.where((layer < cut[:, None])[..., None], w1[:, None], w2[:, None]), w1


def _fakes(ctx, n):
    """n style-mixed fakes with noise from the seeded stream, and the unmixed w."""
    G, r = ctx.nets["generator"], ctx.recipe
    z1, z2 = ctx.normal(n, G.z_dim), ctx.normal(n, G.z_dim)
    uniform = torch.rand(n, 2, generator=ctx.noise_generator).to(ctx.device)
    noise = [ctx.normal(*s) for s in G.synthesis.noise_shapes(n)]
    ws, w = mixed_ws(G, z1, z2, float(r.style_mixing), uniform)
    return G.synthesis(ws, noise), w


def discriminator_loss(ctx):
    """Logistic loss of D on a real batch and detached style-mixed fakes."""
    D = ctx.nets["discriminator"]
    real = ctx.batch().x
    with ctx.autocast():
        with torch.no_grad():
            fake, _ = _fakes(ctx, len(real))
        return non_saturating_discriminator_loss(D(real).float(), D(fake).float())


def r1_loss(ctx):
    """The lazy R1 step: r1_every * gamma/2 * E|grad D(real)|^2 (every r1_every iterations)."""
    D, r = ctx.nets["discriminator"], ctx.recipe
    real = ctx.batch().x.float()
    return r1_penalty(D, real, gamma=float(r.r1_gamma), check_inputs=False) * int(r.r1_every)


def generator_loss(ctx):
    """Non-saturating loss of style-mixed fakes; updates the running mean of w."""
    G, D, r = ctx.nets["generator"], ctx.nets["discriminator"], ctx.recipe
    with ctx.autocast():
        fake, w = _fakes(ctx, r.batch_size)
        loss = non_saturating_generator_loss(D(fake).float())
    with torch.no_grad():
        G.w_avg.lerp_(w.detach().float().mean(0), 1.0 - float(r.w_avg_decay))
    return loss


def _r1_due(ctx):
    return ctx.step % int(ctx.recipe.r1_every) == 0


def sample(nets, n, generator, labels, truncation=1.0):
    """z ~ N(0, I) (and the per-layer noise) from `generator`, w truncated by psi = `truncation`."""
    G = nets["generator"]
    dev = device_of(nets)
    z = torch.randn(n, G.z_dim, generator=generator).to(dev)
    noise = [torch.randn(*s, generator=generator).to(dev) for s in G.synthesis.noise_shapes(n)]
    w = G.mapping(z)
    if truncation != 1.0:
        w = G.truncate(w, truncation)
    return G.synthesis(w, noise)


def style_mixing_picture(nets, generator, rows=4, cols=4, crossover=None, truncation=1.0):
    """A style-mixing grid: (images [(rows + 1) * (cols + 1), C, S, S], images per row).

    The first row holds `cols` column sources, the first column `rows` row sources (the
    corner is blank); cell (i, j) takes row source i's w for the layers before
    `crossover` (coarse styles: default the 4x4 and 8x8 layers) and column source j's w
    after it (fine styles), with one noise draw for the whole picture.
    """
    G = nets["generator"]
    dev = device_of(nets)
    crossover = 4 if crossover is None else int(crossover)
    num_ws = G.synthesis.num_ws
    w = G.truncate(G.mapping(torch.randn(rows + cols, G.z_dim, generator=generator).to(dev)), truncation)
    noise1 = [torch.randn(*s, generator=generator).to(dev) for s in G.synthesis.noise_shapes(1)]
    row_w, col_w = w[:rows], w[rows:]
    layer = torch.arange(num_ws, device=dev)
    ws = torch.where((layer < crossover)[None, None, :, None], row_w[:, None, None], col_w[None, :, None])
    ws = ws.reshape(rows * cols, num_ws, -1)

    def synth(batch):
        return G.synthesis(batch, [n.expand(len(batch), -1, -1, -1) for n in noise1])

    cells = synth(ws).reshape(rows, cols, *G.synthesis(w[:1], noise1).shape[1:])
    sources_r, sources_c = synth(row_w), synth(col_w)
    blank = torch.ones_like(sources_c[:1])
    grid = [torch.cat([blank, sources_c])]
    for i in range(rows):
        grid.append(torch.cat([sources_r[i:i + 1], cells[i]]))
    return torch.cat(grid), cols + 1


TRUNCATION_ROWS = (1.0, 0.8, 0.6, 0.4, 0.2, 0.0)


def truncation_picture(nets, generator, cols=8, psis=TRUNCATION_ROWS, truncation=1.0):
    """The truncation trade-off as a grid: (images [len(psis) * cols, C, S, S], cols per row).

    Row i shows the same `cols` latents and noise with w truncated by psis[i] (1: none, 0: the
    mean w, one image repeated). `truncation` is the sample option; the rows set their own.
    """
    G = nets["generator"]
    dev = device_of(nets)
    z = torch.randn(cols, G.z_dim, generator=generator).to(dev)
    noise = [torch.randn(*s, generator=generator).to(dev) for s in G.synthesis.noise_shapes(cols)]
    w = G.mapping(z)
    return torch.cat([G.synthesis(G.truncate(w, psi), noise) for psi in psis]), cols


FAMILY = Family(
    name="stylegan", summary="StyleGAN (Karras et al., 2019): mapping z->w, styled synthesis, mixing, truncation, R1",
    build=build, recipe=StyleGANRecipe,
    optimizers={"generator": Optimizer("g_optimizer", ("generator",)),
                "discriminator": Optimizer("d_optimizer", ("discriminator",))},
    steps=(Step("d", ("discriminator",), discriminator_loss),
           Step("r1", ("discriminator",), r1_loss, active=_r1_due),
           Step("g", ("generator",), generator_loss)),
    sample=sample, samples=("images",), ema=("generator",),
    sample_options={"truncation": "psi of the truncation trick in w (1: none, 0: the mean w)"},
    pictures={"style-mixing": style_mixing_picture, "truncation": truncation_picture},
    options={"z_dim": "latent size (z and w)", "width": "synthesis/discriminator channels at 4x4 and 8x8",
             "mapping_layers": "layers of the mapping network", "mapping_lr_mul": "mapping network lr multiplier",
             "min_width": "the fewest synthesis/discriminator channels of any resolution",
             "d_width": "discriminator channels at 4x4 and 8x8 (0: width)",
             "d_min_width": "the fewest discriminator channels of any resolution (0: min_width)"},
)
