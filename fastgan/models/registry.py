"""The model registry: `available()` names the families, `build(name, ...)` makes a GANModel.

A family is a function ``make(shape, num_classes, **arch) -> (generator, discriminator, Recipe)``
registered under its name. `build` splits keyword overrides into architecture keywords
(passed to the family) and recipe fields, and records everything in `model.config`, a
JSON-able dict from which `GANModel.from_config` rebuilds the same model (checkpoints
need no pickled classes).
"""
from dataclasses import fields

import torch
from torch import nn

from .nets import check_shape
from .recipe import Recipe

_FAMILIES = {}
_RECIPE_FIELDS = {f.name for f in fields(Recipe)}


def register(name):
    """Decorator: register a family's ``make(shape, num_classes, **arch)`` under `name`."""

    def add(make):
        _FAMILIES[name] = make
        return make

    return add


def available():
    """Sorted names of the registered model families."""
    from . import cgan, dcgan, gan, lsgan, wgan, wgan_gp  # noqa: F401  (registration)

    return sorted(_FAMILIES)


class GANModel(nn.Module):
    """A generator/discriminator pair with its recipe.

    Attributes:
        generator: maps (z [B, z_dim], labels [B] or None) to samples [B, *shape].
        discriminator: maps (samples, labels or None) to scores [B].
        recipe: the Recipe the Trainer follows.
        config: JSON-able dict (name, shape, num_classes, arch, recipe) that rebuilds it.
    """

    def __init__(self, generator, discriminator, recipe, config):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.recipe = recipe
        self.config = config

    @property
    def name(self):
        return self.config["name"]

    @property
    def shape(self):
        return tuple(self.config["shape"])

    @property
    def num_classes(self):
        return self.config["num_classes"]

    @property
    def z_dim(self):
        return self.generator.z_dim

    def sample_latent(self, n, generator=None, device=None, labels=None):
        """(z [n, z_dim], labels [n] or None): labels cycle 0..K-1 unless given."""
        device = device or next(self.generator.parameters()).device
        z = torch.randn(n, self.z_dim, generator=generator).to(device)
        if self.num_classes and labels is None:
            labels = torch.arange(n) % self.num_classes
        if labels is not None:
            labels = torch.as_tensor(labels, dtype=torch.long).to(device)
        return z, labels

    @classmethod
    def from_config(cls, config):
        """Rebuild an (untrained) model from `model.config`."""
        return build(config["name"], shape=config["shape"], num_classes=config["num_classes"],
                     **config.get("arch", {}), **config.get("recipe", {}))


def build(name, shape=(2,), num_classes=0, **overrides):
    """Build the model family `name` for samples of `shape`.

    Args:
        name: one of `available()`.
        shape: (D,) for points, (C, S, S) with S in 16/32/64 for images.
        num_classes: number of labels (conditional models need > 0).
        overrides: recipe fields (loss, n_critic, clip, gradient_penalty, batch_size,
            ema_decay, steps, g_optimizer, d_optimizer, d_loss_options) and architecture keywords of the
            family (z_dim, width, depth; dcgan also g_norm, d_norm, minibatch_stddev).

    Returns:
        A GANModel.
    """
    names = available()
    if name not in _FAMILIES:
        raise ValueError(f"unknown model {name!r}; choose one of {names}")
    shape = check_shape(shape)
    recipe_overrides = {k: v for k, v in overrides.items() if k in _RECIPE_FIELDS}
    arch = {k: v for k, v in overrides.items() if k not in _RECIPE_FIELDS}
    try:
        generator, discriminator, recipe = _FAMILIES[name](shape, int(num_classes), **arch)
    except TypeError as exc:
        raise TypeError(f"model {name!r}: {exc}") from None
    recipe = recipe.updated(**recipe_overrides)
    config = {"name": name, "shape": list(shape), "num_classes": int(num_classes), "arch": arch,
              "recipe": recipe.to_dict()}
    return GANModel(generator, discriminator, recipe, config)
