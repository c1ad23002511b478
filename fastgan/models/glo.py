"""GLO (Bojanowski et al., 2018): one learned code per training image, trained with the generator.

Each training image i owns a code z_i, kept on the unit sphere (projected after every
step); the generator and the codes minimise a reconstruction loss d(x_i, G(z_i)): L2,
plus optionally the Laplacian-pyramid L1 of the paper and LPIPS-VGG
(fastgan.networks.LPIPS, which needs its pretrained weights). The codes are an
nn.Embedding with sparse gradients and SparseAdam, so a code moves only when its image
is in the batch. GLO learns an embedding, not a sampler; to draw new images, as in the
paper, a full-covariance Gaussian is fitted to the codes and its draws are projected to
the sphere (GLANN replaces that Gaussian by an IMLE-trained mapping). Metric: the
reconstruction error of the training images (`recon_l2`, mean squared error per pixel).
"""
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..losses import laplacian_l1_loss
from .family import Family, Optimizer, Step, device_of
from .nets import ConvGenerator, dcgan_init
from .recipe import Recipe, option


@dataclass
class GLORecipe(Recipe):
    """How GLO is trained (plus Recipe's batch_size, ema_decay, steps)."""

    g_optimizer: dict = option({"name": "adam", "lr": 1e-3, "betas": [0.5, 0.999]}, "generator optimiser")
    code_optimizer: dict = option({"name": "sparse_adam", "lr": 1e-2}, "optimiser of the codes (sparse gradients)")
    l2: float = option(1.0, "weight of the L2 (mean squared error) reconstruction loss")
    laplacian_l1: float = option(1.0, "weight of the Laplacian-pyramid L1 loss (GLO paper)")
    lpips_vgg: float = option(0.0, "weight of LPIPS-VGG (needs the pretrained VGG and LPIPS weights)")
    steps: int = option(3000, "default number of training iterations for a full run")

    def check(self):
        super().check()
        weights = (self.l2, self.laplacian_l1, self.lpips_vgg)
        if min(weights) < 0 or max(weights) <= 0:
            raise ValueError(f"the loss weights l2, laplacian_l1, lpips_vgg must be >= 0, one > 0; got {weights}")


class Codes(nn.Module):
    """One code per training item on the unit sphere: ``codes(index [B]) -> [B, dim]``.

    Args:
        num_items: training-set size.
        dim: code size.
    """

    def __init__(self, num_items, dim):
        super().__init__()
        self.embedding = nn.Embedding(num_items, dim, sparse=True)
        nn.init.normal_(self.embedding.weight)
        self.project()

    @torch.no_grad()
    def project(self, rows=None):
        """Put the codes (or only `rows` [K] of them) back on the unit sphere."""
        weight = self.embedding.weight
        if rows is None:
            weight.copy_(F.normalize(weight, dim=1))
        else:
            weight[rows] = F.normalize(weight[rows], dim=1)

    def touched_rows(self):
        """The rows the last backward pass gave a gradient (the batch's codes), or None for all."""
        grad = self.embedding.weight.grad
        if grad is None or not grad.is_sparse:
            return None
        return grad.coalesce().indices()[0]

    @property
    def table(self):
        return self.embedding.weight

    def forward(self, index):
        return self.embedding(index)


def build(spec, z_dim=32, width=64, norm="batch"):
    """Codes for spec.num_items images and a DCGAN generator from codes."""
    g = ConvGenerator(spec.shape, z_dim=z_dim, width=width, norm=norm)
    g.apply(dcgan_init)
    return {"codes": Codes(spec.num_items, z_dim), "generator": g}, GLORecipe()


_LPIPS = {}


def _lpips(device):
    if device not in _LPIPS:
        from ..networks import LPIPS

        _LPIPS[device] = LPIPS("vgg", pretrained=True).to(device).eval()
    return _LPIPS[device]


def reconstruction_loss(recipe, fake, real):
    """The recipe's weighted sum of L2, Laplacian-pyramid L1 and LPIPS-VGG between [B, C, H, W] images."""
    loss = 0.0
    if recipe.l2:
        loss = loss + recipe.l2 * (fake - real).square().mean()
    if recipe.laplacian_l1:
        loss = loss + recipe.laplacian_l1 * laplacian_l1_loss(fake, real)
    if recipe.lpips_vgg:
        rgb = (lambda x: x.expand(-1, 3, -1, -1)) if real.shape[1] == 1 else (lambda x: x)
        loss = loss + recipe.lpips_vgg * _lpips(real.device)(rgb(fake), rgb(real)).mean()
    return loss


def glo_step(ctx):
    batch = ctx.batch()
    with ctx.autocast():
        fake = ctx.nets["generator"](ctx.nets["codes"](batch.index)).float()
    return reconstruction_loss(ctx.recipe, fake, batch.x)


def project_codes(nets, optimizers, recipe):
    """After every step of the codes' optimiser, project the codes it moved back onto the sphere.

    Only the batch's rows: renormalising a unit vector can change its last bit, and codes
    outside the batch must stay exactly as they were.
    """
    codes = nets["codes"]
    optimizers["codes"].register_step_post_hook(lambda *args: codes.project(codes.touched_rows()))


def sample(nets, n, generator, labels):
    """Draws of a full-covariance Gaussian fitted to the codes, projected to the sphere, through G."""
    table = nets["codes"].table.detach().double().cpu()
    mean = table.mean(0)
    cov = torch.cov(table.T) + 1e-6 * torch.eye(table.shape[1], dtype=table.dtype)
    eps = torch.randn(n, table.shape[1], generator=generator, dtype=torch.float64)
    z = F.normalize(mean + eps @ torch.linalg.cholesky(cov).T, dim=1).float()
    return nets["generator"](z.to(device_of(nets)))


@torch.no_grad()
def reconstruction_metrics(nets, data, device):
    """{"recon_l2": mean squared error per pixel of G(code_i) against training image i}."""
    dev = device_of(nets)
    total, count = 0.0, 0
    for index in torch.arange(len(data.x)).split(500):
        fake = nets["generator"](nets["codes"](index.to(dev))).float().cpu()
        total += float((fake - data.x[index].float()).square().sum())
        count += fake.numel()
    return {"recon_l2": total / count}


OPTIONS = {"z_dim": "code size", "width": "channels of the generator's last hidden layer",
           "norm": "generator normalisation: batch, layer or none"}

FAMILY = Family(
    name="glo", summary="GLO (Bojanowski et al., 2018): a learned code per training image, on the unit sphere",
    build=build, recipe=GLORecipe,
    optimizers={"generator": Optimizer("g_optimizer", ("generator",)),
                "codes": Optimizer("code_optimizer", ("codes",))},
    steps=(Step("glo", ("generator", "codes"), glo_step),),
    sample=sample, samples=("images",), ema=("generator",), prepare=project_codes,
    metrics=reconstruction_metrics, options=OPTIONS, per_item=True,
)
