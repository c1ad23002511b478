"""BicycleGAN (Zhu et al., 2017): multimodal image-to-image translation, cVAE-GAN + cLR-GAN sharing one U-Net.

Networks: a U-Net generator G(A, z) that takes a latent code z (fastgan.layers.unet; `inject`
"input": z tiled and concatenated to the input image, "all": to the input of every encoder
level), an encoder E(B) -> (mu, log-variance) of q(z|B), and the paper's two PatchGANs, one
per path (`d_vae`, `d_lr`), so each judges the outputs of one way of choosing z.

Each batch of pairs (A, B) is split in halves, as in the paper's code:
- cVAE-GAN (first half): z = mu + sigma * eps from E(B); G(A, z) is pulled to B by
  lambda_img * L1, q(z|B) to N(0, I) by lambda_kl * KL, and judged by d_vae.
- cLR-GAN (second half): z ~ N(0, I); G(A, z) is judged by d_lr, and E must recover z from
  it: lambda_latent * |mu(G(A, z)) - z|. That latent term updates G only (as in the paper:
  with E trained on it too, E and G could agree on a code that carries nothing); E's
  weights enter it as constants.
Per iteration: one discriminator step (both PatchGANs, least-squares loss as in the paper),
then one step of G and E on the sum of the terms above.

The PatchGANs see the input A beside the output (`conditional_d`, as Pix2Pix's here; the
paper's code defaults to unconditional ones), so the comparison with Pix2Pix with noise
(`fastgan train pix2pix --z-dim 8`) changes only how z is learned. Consumes paired data;
`translate` draws a new z ~ N(0, I) for each image; the evaluation reports FID, L1 to the
target and label accuracy of outputs for random z, their diversity (mean LPIPS between
outputs for one input; fastgan.models.diversity) and `encoded_l1`, the L1 of G(A, mu(E(B))).
"""
from dataclasses import dataclass

import torch

from ..layers.patchgan import PatchDiscriminator
from ..layers.unet import UNetGenerator
from ..losses import adversarial_loss
from .family import Family, Optimizer, Step, device_of
from .nets import ConvEncoder
from .recipe import Recipe, option
from .translation import PICTURE_COLUMNS, multimodal_rows, no_prior, one_way_translate, stochastic_scores

ADAM = {"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]}


@dataclass
class BicycleGANRecipe(Recipe):
    """How BicycleGAN is trained (plus Recipe's batch_size, ema_decay, steps); the paper's weights."""

    loss: str = option("least_squares", "adversarial loss of both paths (fastgan.losses.ADVERSARIAL_LOSSES)")
    g_optimizer: dict = option(ADAM, "generator optimiser")
    e_optimizer: dict = option(ADAM, "encoder optimiser")
    d_optimizer: dict = option(ADAM, "optimiser of both discriminators")
    img_weight: float = option(10.0, "lambda_img: L1 of the cVAE-GAN reconstruction G(A, E(B)) to B")
    latent_weight: float = option(0.5, "lambda_latent: L1 of E(G(A, z)) to z in the cLR-GAN path (updates G only)")
    kl_weight: float = option(0.01, "lambda_kl: KL of q(z|B) to N(0, I), summed over z, per image")
    steps: int = option(1500, "default number of training iterations for a full run")

    def check(self):
        super().check()
        adversarial_loss(self.loss)
        if int(self.batch_size) < 2:
            raise ValueError(f"bicyclegan splits each batch between its two paths: batch_size must be >= 2, "
                             f"got {self.batch_size}")
        for name in ("img_weight", "latent_weight", "kl_weight"):
            if float(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


def build(spec, z_dim=8, inject="input", ngf=32, ndf=32, nef=32, num_downs=None, n_layers=2, norm="batch",
          conditional_d=True):
    """G(A, z) (U-Net), E(B) -> 2 * z_dim, and the two PatchGANs, for images of spec.shape."""
    if len(spec.shape) != 3:
        raise ValueError(f"bicyclegan translates images, got samples of shape {spec.shape}")
    if int(z_dim) < 1:
        raise ValueError(f"bicyclegan needs a latent code: z_dim must be >= 1, got {z_dim}")
    channels, size, _ = spec.shape
    num_downs = num_downs or size.bit_length() - 1  # down to a 1x1 bottleneck
    d_in = 2 * channels if conditional_d else channels
    nets = {"generator": UNetGenerator(channels, channels, num_downs=num_downs, ngf=ngf, norm=norm, z_dim=z_dim,
                                       inject=inject),
            "encoder": ConvEncoder(spec.shape, 2 * int(z_dim), width=nef, norm="none"),
            "d_vae": PatchDiscriminator(d_in, ndf=ndf, n_layers=n_layers, norm=norm),
            "d_lr": PatchDiscriminator(d_in, ndf=ndf, n_layers=n_layers, norm=norm)}
    nets["d_vae"].conditional = nets["d_lr"].conditional = bool(conditional_d)
    return nets, BicycleGANRecipe()


def _judge(D, a, b):
    """D's patch scores of output b (beside its input a when D is conditional), as float32."""
    return D(torch.cat([a, b], 1) if D.conditional else b).float()


def _paths(ctx):
    """One batch through both paths: (a, b, fake, z_random, mu, logvar), halves [:h] cVAE, [h:] cLR."""
    G, E = ctx.nets["generator"], ctx.nets["encoder"]
    batch = ctx.batch()
    a, b = batch.x, batch.target
    h = len(a) // 2
    mu, logvar = E(b[:h]).float().chunk(2, dim=1)
    z_encoded = mu + (0.5 * logvar).exp() * ctx.normal(h, G.z_dim)
    z_random = ctx.normal(len(a) - h, G.z_dim)
    fake = G(a, torch.cat([z_encoded, z_random]))  # one pass: batch norm sees the whole batch
    return a, b, fake, z_random, mu, logvar


def _d_loss(ctx):
    nets, d_loss = ctx.nets, adversarial_loss(ctx.recipe.loss).discriminator
    with ctx.autocast():
        with torch.no_grad():
            a, b, fake, *_ = _paths(ctx)
        h = len(a) // 2
        vae = d_loss(_judge(nets["d_vae"], a[:h], b[:h]), _judge(nets["d_vae"], a[:h], fake[:h]))
        lr = d_loss(_judge(nets["d_lr"], a[h:], b[h:]), _judge(nets["d_lr"], a[h:], fake[h:]))
    return vae + lr, {"vae": vae.item(), "lr": lr.item()}


def _eg_loss(ctx):
    nets, recipe = ctx.nets, ctx.recipe
    g_loss = adversarial_loss(recipe.loss).generator
    with ctx.autocast():
        a, b, fake, z_random, mu, logvar = _paths(ctx)
        h = len(a) // 2
        gan_vae = g_loss(_judge(nets["d_vae"], a[:h], fake[:h]))
        gan_lr = g_loss(_judge(nets["d_lr"], a[h:], fake[h:]))
        img = (fake[:h].float() - b[:h]).abs().mean()
        kl = 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(1).mean()
        latent = (_encode_as_constant(nets["encoder"], fake[h:]) - z_random).abs().mean()
        loss = (gan_vae + gan_lr + recipe.img_weight * img + recipe.kl_weight * kl
                + recipe.latent_weight * latent)
    return loss, {"gan_vae": gan_vae.item(), "gan_lr": gan_lr.item(), "img_l1": img.item(), "kl": kl.item(),
                  "latent_l1": latent.item()}


def _encode_as_constant(E, images):
    """mu of E(images), differentiable in the images but not in E's weights (the latent loss updates G only)."""
    weights = {name: p.detach() for name, p in E.named_parameters()}
    return torch.func.functional_call(E, weights, (images,)).float().chunk(2, dim=1)[0]


translate = one_way_translate("bicyclegan")
sample = no_prior("bicyclegan")


def metrics(nets, data, device):
    """Outputs for random z: FID, L1, label accuracy, diversity; and encoded_l1, the L1 of G(A, mu(E(B)))."""
    G, E = nets["generator"], nets["encoder"]
    out = stochastic_scores(G, data)
    targets = data.extra["heldout_target"]
    dev = device_of(nets)
    with torch.no_grad():
        encoded = torch.cat([G(x.to(dev), E(t.to(dev)).float().chunk(2, dim=1)[0]).float().cpu()
                             for x, t in zip(data.heldout_x.split(500), targets.split(500))])
    out["encoded_l1"] = float((encoded - targets.float()).abs().mean())
    return out


def pictures(nets, data, generator):
    """Rows: held-out inputs | outputs for one z per row | targets."""
    x = data.heldout_x[:PICTURE_COLUMNS]
    return multimodal_rows(nets["generator"], x, data.extra["heldout_target"][:PICTURE_COLUMNS], generator)


FAMILY = Family(
    name="bicyclegan", summary="BicycleGAN (Zhu et al., 2017): cVAE-GAN + cLR-GAN sharing a U-Net G(A, z)",
    build=build, recipe=BicycleGANRecipe,
    optimizers={"generator": Optimizer("g_optimizer", ("generator",)),
                "encoder": Optimizer("e_optimizer", ("encoder",)),
                "discriminators": Optimizer("d_optimizer", ("d_vae", "d_lr"))},
    steps=(Step("d", ("discriminators",), _d_loss), Step("eg", ("generator", "encoder"), _eg_loss)),
    sample=sample, data="paired", samples=("images",), ema=("generator", "encoder"), metrics=metrics,
    translate=translate, sample_grid=pictures, prior_samples=False,
    options={"z_dim": "latent code size", "inject": "where z enters the U-Net: input or all (every encoder level)",
             "ngf": "U-Net channels of the first level", "ndf": "PatchGAN channels of the first layer",
             "nef": "encoder channels of the first layer", "num_downs": "U-Net halvings (null: down to 1x1)",
             "n_layers": "PatchGAN stride-2 layers", "norm": "batch, instance or none (U-Net and PatchGANs)",
             "conditional_d": "the PatchGANs see the input beside the output (false: the output alone)"},
)
