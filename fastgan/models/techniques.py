"""The "improved techniques" (Salimans et al., 2016) and BigGAN's orthogonal regularisation
for the adversarial families, and the checks that refuse them where they do not apply.

Training techniques are GANRecipe fields (fastgan.models.adversarial):

- ``feature_matching`` (weight w): G's loss gains ``w * ||E f(x) - E f(G(z))||^2`` on the
  last hidden layer f of D (`D.score_and_features`). The paper replaces G's objective by
  this term; here it is added to the adversarial loss (set the weight high to let it lead).
- ``historical_averaging`` (weight w): each player's loss gains ``w * ||theta - mean_t theta_t||^2``,
  the mean over its initial parameters and those after each of its optimiser steps so far. The mean lives in
  the optimiser's state, so it is saved in checkpoints and resumes exactly.
- ``label_smoothing`` (s): one-sided: D's target for real samples is 1 - s (BCE losses only).
- ``orthogonal_regularisation`` (beta): BigGAN's ``beta * ||W W^T * (1 - I)||_F^2`` summed
  over G's weight matrices (convolutions flattened to [out, in * k * k]).

Architecture techniques are architecture options of every adversarial family:

- ``minibatch_discrimination`` (K): D appends K minibatch-discrimination statistics before its
  output layer (`D.add_minibatch_discrimination`).
- ``virtual_batch_norm``: every BatchNorm2d of G becomes a VirtualBatchNorm2d normalised
  with a fixed reference batch of latents (drawn once, stored as buffers) plus the sample.
"""
import torch
from torch import nn

from ..layers.virtual_batch_norm import VirtualBatchNorm2d, reference_pass

BCE_LOSSES = ("minimax", "non_saturating")  # the losses with a real-sample target to smooth
MINIBATCH_KERNEL_DIM = 5  # the paper's C (rows of each kernel)
REFERENCE_SEED = 2016  # draws VBN's reference latents, independent of the global RNG


def check_recipe(recipe):
    """ValueError for technique values no run can use (negative weights, smoothing outside [0, 1))."""
    for name in ("feature_matching", "historical_averaging", "orthogonal_regularisation"):
        if float(getattr(recipe, name)) < 0:
            raise ValueError(f"{name} is a loss weight and must be >= 0, got {getattr(recipe, name)}")
    s = float(recipe.label_smoothing)
    if not 0.0 <= s < 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1) (real target 1 - s, e.g. 0.1), got {s}")
    if s and recipe.loss not in BCE_LOSSES:
        raise ValueError(f"label_smoothing smooths the real target of a BCE loss ({', '.join(BCE_LOSSES)}); "
                         f"loss {recipe.loss!r} has no target to smooth")
    if s and "real_label" in recipe.d_loss_options:
        raise ValueError("label_smoothing and d_loss_options.real_label both set the real target; use one")


def check_networks(name, generator, discriminator, recipe):
    """ValueError when `recipe` asks for a technique the built networks cannot use.

    Args:
        name: the family name (for the message).
        generator, discriminator: the built networks.
        recipe: the GANRecipe.
    """
    if recipe.feature_matching and not hasattr(discriminator, "score_and_features"):
        raise ValueError(f"{name}: feature_matching needs a discriminator that exposes an intermediate layer "
                         f"(score_and_features); {type(discriminator).__name__} returns only scores")
    if getattr(discriminator, "minibatch", None) is not None and recipe.gradient_penalty:
        raise ValueError(f"{name}: minibatch_discrimination makes each critic score depend on the whole batch, "
                         "which the gradient penalty's per-sample input gradients assume it does not")


def apply_architecture(name, generator, discriminator, minibatch_discrimination=0, virtual_batch_norm=False):
    """The networks with the architecture techniques applied; ValueError where they do not fit.

    Args:
        name: the family name (for the messages).
        generator, discriminator: the family's networks.
        minibatch_discrimination: K statistics appended in D (0: off).
        virtual_batch_norm: replace G's BatchNorm2d layers by virtual batch norm.

    Returns:
        (generator, discriminator).
    """
    kernels = int(minibatch_discrimination or 0)
    if kernels < 0:
        raise ValueError(f"minibatch_discrimination is a number of kernels and must be >= 0, got {kernels}")
    if kernels:
        if not hasattr(discriminator, "add_minibatch_discrimination"):
            raise ValueError(f"{name}: minibatch_discrimination is not available for its discriminator "
                             f"({type(discriminator).__name__} has no add_minibatch_discrimination)")
        discriminator.add_minibatch_discrimination(kernels, MINIBATCH_KERNEL_DIM)
    if virtual_batch_norm:
        generator = VirtualBatchGenerator(generator)
    return generator, discriminator


class VirtualBatchGenerator(nn.Module):
    """A generator whose BatchNorm2d layers are virtual batch norm over a fixed reference batch.

    Each forward first runs the reference latents (and labels) through the generator inside
    `reference_pass` (recording every layer's reference statistics, differentiably), then the
    given batch, so a sample never depends on the others of its batch.

    Args:
        generator: a generator with BatchNorm2d layers and a `z_dim` attribute.
        reference_size: latents in the reference batch.
    """

    def __init__(self, generator, reference_size=64):
        super().__init__()
        norms = [(n, m) for n, m in generator.named_modules() if isinstance(m, nn.BatchNorm2d)]
        if not norms:
            raise ValueError(f"virtual_batch_norm replaces the generator's batch norm, and "
                             f"{type(generator).__name__} has none (batch-normalised conv generators only)")
        for path, norm in norms:
            parent_path, _, leaf = path.rpartition(".")
            parent = generator.get_submodule(parent_path) if parent_path else generator
            setattr(parent, leaf, VirtualBatchNorm2d(norm.num_features, eps=norm.eps))
        self.generator = generator
        self.z_dim = generator.z_dim
        self.num_classes = getattr(generator, "num_classes", 0)
        gen = torch.Generator().manual_seed(REFERENCE_SEED)
        self.register_buffer("reference_z", torch.randn(reference_size, self.z_dim, generator=gen))
        labels = torch.arange(reference_size) % self.num_classes if self.num_classes else torch.zeros(0)
        self.register_buffer("reference_labels", labels.long())

    def forward(self, z, labels=None):
        """z [B, z_dim] (+ labels [B]) -> samples [B, ...], normalised against the reference batch."""
        ref_labels = self.reference_labels if self.num_classes else None
        with reference_pass(self.generator):
            self.generator(self.reference_z.to(z.dtype), ref_labels)
        return self.generator(z, labels)


# -- losses ------------------------------------------------------------------------------------
HISTORY_KEY = "historical_average"


def track_history(optimizer):
    """Keep the running mean of `optimizer`'s parameters (their values now and after each step) in its state.

    The mean is stored per parameter as ``optimizer.state[p]["historical_average"]`` (and the
    count under "historical_count"), so `optimizer.state_dict()` checkpoints it. It enters the
    state at the first step (optimisers initialise empty states lazily), holding the mean of
    the initial values (remembered here) and the stepped ones.
    """
    initial = {p: p.detach().clone() for group in optimizer.param_groups for p in group["params"]}

    def update(opt, args, kwargs):
        with torch.no_grad():
            for group in opt.param_groups:
                for p in group["params"]:
                    state = opt.state[p]
                    if not state:  # not stepped yet (no gradient): nothing to average
                        continue
                    if HISTORY_KEY not in state:
                        start = initial.pop(p, None)
                        count = 1 if start is None else 2
                        state[HISTORY_KEY] = p.detach().clone() if start is None else (start + p.detach()) / 2
                        state["historical_count"] = torch.full((), float(count))
                    else:
                        state["historical_count"] += 1
                        state[HISTORY_KEY].add_(p.detach() - state[HISTORY_KEY],
                                                alpha=1.0 / float(state["historical_count"]))

    optimizer.register_step_post_hook(update)


def historical_penalty(optimizer, network):
    """``sum_p ||p - mean_t p_t||^2`` over `network`'s parameters tracked by `optimizer` (0 before its first step)."""
    total = None
    for p in network.parameters():
        avg = optimizer.state[p].get(HISTORY_KEY) if p in optimizer.state else None
        if avg is not None:
            term = (p.float() - avg.float()).square().sum()
            total = term if total is None else total + term
    return total if total is not None else torch.zeros((), device=next(network.parameters()).device)


def orthogonal_penalty(network):
    """BigGAN's ``sum_W ||W W^T * (1 - I)||_F^2`` over the weight matrices of convs and linears.

    Embeddings and norm layers are left out (as in BigGAN). Weights are taken as trained
    (before any spectral normalisation), viewed as [out, in * k * k].
    """
    total = None
    for module in network.modules():
        if not isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            continue
        parametrized = getattr(module, "parametrizations", None)
        weight = parametrized.weight.original if parametrized is not None and "weight" in parametrized \
            else module.weight
        if isinstance(module, nn.ConvTranspose2d):
            weight = weight.transpose(0, 1)
        w = weight.flatten(1).float()
        gram = w @ w.T
        term = (gram * (1 - torch.eye(len(w), device=w.device))).square().sum()
        total = term if total is None else total + term
    if total is None:
        raise ValueError(f"orthogonal_regularisation: {type(network).__name__} has no conv or linear weights")
    return total
