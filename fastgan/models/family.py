"""The training contract: what a model family declares, and the Model the Trainer runs.

A family is data plus small functions (see `Family`): the networks it builds, the
optimisers over them, the steps of one training iteration (which optimisers step on which
loss, how often, from when), the data kind it consumes, and how it samples. The Trainer
(fastgan.training) runs every family the same way; nothing here knows a family by name.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

import torch
from torch import nn

from .recipe import Recipe

# What a DataSource can provide, and what a family may ask for (DataSource.kinds).
DATA_KINDS = {
    "unconditional": "samples (labels, if any, are ignored)",
    "labelled": "samples with integer class labels",
    "paired": "aligned (input, target) pairs",
    "two-domain": "samples from two unaligned domains",
}
SAMPLE_KINDS = ("points", "images")


@dataclass(frozen=True)
class DataSpec:
    """What a family builds its networks for.

    Attributes:
        shape: one sample's shape, (D,) for points or (C, S, S) for images.
        num_classes: label count (0: unconditional).
        num_items: training-set size (families that learn one code per image need it).
    """

    shape: tuple
    num_classes: int = 0
    num_items: int = 0


@dataclass(frozen=True)
class Optimizer:
    """One optimiser of a family.

    Attributes:
        recipe_field: the recipe field holding its spec ({"name": "adam", "lr": ..., ...}).
        networks: names of the networks whose parameters it updates.
    """

    recipe_field: str
    networks: tuple


@dataclass(frozen=True)
class Step:
    """One update of a training iteration.

    Attributes:
        name: short name; its mean loss is logged as "<name>_loss".
        optimizers: names (in Family.optimizers) stepped after the backward pass. Every
            network outside them is frozen (no weight gradients) during the step.
        loss: ``loss(ctx) -> tensor`` or ``(tensor, {name: float})``, with ctx a
            fastgan.training.StepContext (networks, recipe, seeded batches and noise, autocast).
        repeat: times per iteration: an int, or the name of an int recipe field (e.g. "n_critic").
        active: ``active(ctx) -> bool``; None: every iteration (phases, schedules).
    """

    name: str
    optimizers: tuple
    loss: Callable
    repeat: Union[int, str] = 1
    active: Optional[Callable] = None


@dataclass(frozen=True)
class Family:
    """A model family, registered under `name` (fastgan.models.registry).

    Attributes:
        name: the registry name (`fastgan train NAME`).
        summary: one line for listings.
        build: ``build(spec: DataSpec, **arch) -> ({network name: nn.Module}, recipe)``; its
            keyword arguments are the architecture options (shown by `fastgan train NAME --help`).
        recipe: the Recipe dataclass its recipes are (fields settable from the CLI).
        optimizers: {name: Optimizer}.
        steps: the Steps of one iteration, in order.
        sample: ``sample(nets, n, generator, labels) -> [n, *shape]``: nets maps names to
            networks (EMA copies where there are), generator a CPU torch.Generator for
            the prior, labels [n] int64 or None.
        data: the DATA_KINDS entry it consumes.
        samples: the SAMPLE_KINDS it can model.
        ema: networks averaged for sampling and metrics (when the recipe's ema_decay > 0).
        prepare: ``prepare(nets, optimizers, recipe)`` once the Trainer has built the optimisers
            (step hooks such as weight clipping or projecting codes onto the sphere).
        metrics: ``metrics(nets, data, device) -> dict``: family-specific metrics added to
            each evaluation (e.g. a VAE's held-out negative ELBO).
        options: help text of the build's keyword arguments.
        check: ``check(recipe)`` raising ValueError for recipes the family cannot run.
        check_networks: ``check_networks(nets, recipe)`` raising ValueError for recipe options the
            built networks cannot use (e.g. feature matching with a D that exposes no features).
        sample_options: {keyword: help} of the extra keywords its `sample` takes (e.g.
            "truncation"); `Model.sample(..., **options)` passes them on and refuses others, and
            `fastgan sample` exposes the ones it has a flag for (--truncation).
        pictures: {name: ``picture(nets, generator, **sample_options) -> (images [N, C, H, W], per row)``}:
            family-specific pictures (StyleGAN's "style-mixing" grid), drawn by
            `fastgan sample --picture NAME`.
        per_item: it learns something per training sample (GLO's codes), so a model is built
            for one training-set size (DataSpec.num_items) and refuses data of another.
        translate: ``translate(nets, x, generator, reverse=False) -> [N, *shape]``: image-to-image
            families map input images x [N, *shape] to outputs (reverse: the other direction, for
            families with two); `fastgan translate` calls it.
        sample_grid: ``sample_grid(nets, data, generator) -> (images [N, C, H, W], images per row)``:
            the grid the Trainer writes as its sample pictures instead of prior samples
            (translations: input | output | target rows of held-out images).
        prior_samples: False for families with no prior to sample from (translations): the
            Evaluator then reports the family's `metrics` alone, not scores of `sample` outputs.
        complete_recipe: ``complete_recipe(recipe, nets, given) -> recipe``: fills the recipe
            fields that follow from others (ProGAN's run length from its growth schedule) once
            the overrides are in; `given` is the set of fields the user set, which it keeps.
    """

    name: str
    summary: str
    build: Callable
    recipe: type
    optimizers: dict
    steps: tuple
    sample: Callable
    data: str = "unconditional"
    samples: tuple = SAMPLE_KINDS
    ema: tuple = ("generator",)
    prepare: Optional[Callable] = None
    metrics: Optional[Callable] = None
    options: dict = field(default_factory=dict)
    check: Optional[Callable] = None
    per_item: bool = False
    check_networks: Optional[Callable] = None
    sample_options: dict = field(default_factory=dict)
    pictures: dict = field(default_factory=dict)
    translate: Optional[Callable] = None
    sample_grid: Optional[Callable] = None
    prior_samples: bool = True
    complete_recipe: Optional[Callable] = None

    def __post_init__(self):
        if self.data not in DATA_KINDS:
            raise ValueError(f"family {self.name!r}: data must be one of {list(DATA_KINDS)}, got {self.data!r}")
        if not issubclass(self.recipe, Recipe):
            raise TypeError(f"family {self.name!r}: recipe must subclass fastgan.models.Recipe")
        for step in self.steps:
            missing = set(step.optimizers) - set(self.optimizers)
            if missing:
                raise ValueError(f"family {self.name!r}: step {step.name!r} uses undeclared optimizers "
                                 f"{sorted(missing)}")

    @property
    def conditional(self):
        return self.data == "labelled"


class Model(nn.Module):
    """A family's networks with their recipe and a JSON config that rebuilds them.

    The networks are submodules under their declared names (`model.generator`,
    `model.discriminator`, `model.encoder`, ...).

    Attributes:
        family: the Family.
        recipe: its Recipe.
        config: JSON-able dict (name, shape, num_classes, num_items, arch, recipe).
    """

    def __init__(self, family, networks, recipe, config):
        super().__init__()
        self.family = family
        self.recipe = recipe
        self.config = config
        self.network_names = tuple(networks)
        for name, net in networks.items():
            self.add_module(name, net)

    @property
    def networks(self):
        """{name: network} in declaration order."""
        return {name: getattr(self, name) for name in self.network_names}

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
    def num_items(self):
        return self.config.get("num_items", 0)

    def sample(self, n, generator=None, labels=None, networks=None, **options):
        """[n, *shape] samples; labels cycle 0..K-1 for conditional models unless given.

        Args:
            n: number of samples.
            generator: CPU torch.Generator for the prior (default: the global RNG).
            labels: [n] class labels, conditional models only.
            networks: {name: network} to sample with (default: this model's; the Trainer
                passes its EMA copies).
            options: the family's sample options (Family.sample_options), e.g. truncation=0.5.
        """
        unknown = set(options) - set(self.family.sample_options)
        if unknown:
            raise ValueError(f"{self.name} sampling takes no {', '.join(sorted(unknown))} option; its options: "
                             f"{', '.join(sorted(self.family.sample_options)) or 'none'}")
        if self.num_classes and labels is None:
            labels = torch.arange(n) % self.num_classes
        nets = networks or self.networks
        if labels is not None:
            labels = torch.as_tensor(labels, dtype=torch.long).to(device_of(nets))
        return self.family.sample(nets, n, generator, labels, **options)

    @classmethod
    def from_config(cls, config):
        """Rebuild an (untrained) model from `model.config`."""
        from .registry import build

        return build(config["name"], shape=config["shape"], num_classes=config["num_classes"],
                     num_items=config.get("num_items", 0), **config.get("arch", {}), **config.get("recipe", {}))


def device_of(nets):
    """The device of the first parameter among `nets` (a dict of modules)."""
    for net in nets.values():
        for p in net.parameters():
            return p.device
    return torch.device("cpu")
