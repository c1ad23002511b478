"""A model's training recipe as plain data: losses, optimisers, critic steps, clipping, penalty.

The Trainer reads these fields; it has no per-model code paths. Every field is JSON-able,
so a recipe travels inside a checkpoint's config and can be overridden from the CLI.
"""
from dataclasses import asdict, dataclass, field, fields

OPTIMIZERS = ("adam", "rmsprop", "sgd")


@dataclass
class Recipe:
    """How a GAN is trained.

    Attributes:
        loss: adversarial loss name from fastgan.losses.ADVERSARIAL_LOSSES.
        g_optimizer / d_optimizer: {"name": "adam"|"rmsprop"|"sgd", "lr": float, plus the
            optimiser's own keywords, e.g. "betas": [0.5, 0.999]}.
        d_loss_options: keywords of the discriminator loss, e.g. {"real_label": 0.9} for
            one-sided label smoothing (Salimans et al., 2016) with the (non-)saturating loss.
        n_critic: discriminator (critic) steps per generator step.
        clip: WGAN weight clipping bound for the critic after each step (None: no clipping).
        gradient_penalty: WGAN-GP weight lambda (0: no penalty); uses fastgan.ops.gradient_penalty.
        batch_size: samples per step, for real and generated alike.
        ema_decay: decay of the generator EMA used for samples and metrics (0: no EMA).
        steps: default number of generator steps for a full run on this data.
    """

    loss: str = "non_saturating"
    g_optimizer: dict = field(default_factory=lambda: {"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]})
    d_optimizer: dict = field(default_factory=lambda: {"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]})
    d_loss_options: dict = field(default_factory=dict)
    n_critic: int = 1
    clip: float = None
    gradient_penalty: float = 0.0
    batch_size: int = 64
    ema_decay: float = 0.999
    steps: int = 2000

    def to_dict(self):
        """The recipe as a JSON-able dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        """A recipe from `to_dict()` output; unknown keys raise ValueError."""
        names = {f.name for f in fields(cls)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"unknown recipe fields {sorted(unknown)}; known: {sorted(names)}")
        return cls(**values)

    def updated(self, **overrides):
        """A copy with `overrides` applied (optimiser and loss-option dicts are merged, not replaced)."""
        values = self.to_dict()
        for key, value in overrides.items():
            if key in ("g_optimizer", "d_optimizer", "d_loss_options") and isinstance(value, dict):
                values[key] = {**values[key], **value}
            else:
                values[key] = value
        return Recipe.from_dict(values)


def make_optimizer(spec, parameters):
    """A torch optimiser from a recipe's optimiser dict."""
    import torch

    spec = dict(spec)
    name = spec.pop("name", "adam").lower()
    if "betas" in spec:
        spec["betas"] = tuple(spec["betas"])
    if name == "adam":
        return torch.optim.Adam(parameters, **spec)
    if name == "rmsprop":
        return torch.optim.RMSprop(parameters, **spec)
    if name == "sgd":
        return torch.optim.SGD(parameters, **spec)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {OPTIMIZERS}")
