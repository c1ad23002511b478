"""What a family's step functions see: networks, recipe, seeded batches and noise, autocast.

Every random draw of a step comes from the Trainer's seeded generators (one for data, one
for noise), so runs reproduce for a seed and resume exactly from a checkpoint.
"""
from typing import NamedTuple, Optional

import torch


class Batch(NamedTuple):
    """A training batch.

    Attributes:
        x: samples [B, *shape] (the inputs, for paired data).
        y: labels [B] int64 (labelled families only), else None.
        index: [B] int64 rows of the training set (for per-image codes).
        target: [B, *shape] aligned targets (paired data), else None.
    """

    x: torch.Tensor
    y: Optional[torch.Tensor]
    index: torch.Tensor
    target: Optional[torch.Tensor] = None


class StepContext:
    """Handed to every Step's loss function by the Trainer.

    Attributes:
        nets: {name: network} being trained (the live ones, not the EMA copies).
        recipe: the model's recipe.
        step: iterations completed before this one.
        total_steps: the run's iteration count.
        num_classes: label count of a conditional model (0 otherwise).
        device: where the networks live.
        noise_generator: the seeded CPU generator for noise (pass it to ops that draw, e.g. a penalty).
    """

    def __init__(self, trainer):
        self._trainer = trainer
        self.nets = trainer.model.networks
        self.recipe = trainer.recipe
        self.num_classes = trainer.model.num_classes
        self.device = trainer.device
        self.noise_generator = trainer.noise_gen
        self.data = trainer.data

    @property
    def step(self):
        return self._trainer.step

    @property
    def total_steps(self):
        return self._trainer.steps

    def batch(self, n=None):
        """A Batch of `n` (default: the recipe's batch_size) training samples drawn with replacement."""
        return self._trainer._batch(n or self.recipe.batch_size)

    def batch_b(self, n=None):
        """A Batch of `n` (default: batch_size) samples of the second domain (two-domain data)."""
        return self._trainer._batch_b(n or self.recipe.batch_size)

    def normal(self, *shape):
        """N(0, 1) noise of `shape` on the device, from the noise stream."""
        return torch.randn(*shape, generator=self.noise_generator).to(self.device)

    def random_labels(self, n):
        """[n] uniform class labels on the device, from the noise stream."""
        return torch.randint(self.num_classes, (n,), generator=self.noise_generator).to(self.device)

    def autocast(self):
        """bfloat16 autocast when the run uses mixed precision (a no-op otherwise)."""
        return self._trainer._autocast()
