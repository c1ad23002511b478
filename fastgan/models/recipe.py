"""Training recipes as plain data: every field JSON-able, documented where it is declared.

`Recipe` holds what every family has (batch size, EMA, steps); a family's recipe is a
dataclass that extends it (`GANRecipe` for the adversarial families, `VAERecipe`, ...).
Each field carries its help text (`option(default, help)`), which `fastgan train NAME
--help` prints, so a recipe travels inside a checkpoint's config, can be overridden from
Python or the CLI, and documents itself.
"""
import copy
from dataclasses import MISSING, asdict, dataclass, field, fields

OPTIMIZERS = ("adam", "rmsprop", "sgd", "sparse_adam")


def option(default, help):
    """A recipe field with its help text; dict and list defaults are copied per instance."""
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass
class Recipe:
    """The fields every family's recipe has (families extend this dataclass)."""

    batch_size: int = option(64, "real samples per step")
    ema_decay: float = option(0.999, "decay of the weight EMA used for samples and metrics (0: no EMA)")
    steps: int = option(2000, "default number of training iterations for a full run")

    def to_dict(self):
        """The recipe as a JSON-able dict."""
        return asdict(self)

    @classmethod
    def field_names(cls):
        return [f.name for f in fields(cls)]

    @classmethod
    def field_help(cls):
        """{field: (default, help text)} in declaration order."""
        out = {}
        for f in fields(cls):
            default = f.default_factory() if f.default is MISSING else f.default
            out[f.name] = (default, f.metadata.get("help", ""))
        return out

    @classmethod
    def from_dict(cls, values):
        """A recipe from `to_dict()` output; unknown keys raise ValueError listing the valid ones."""
        names = cls.field_names()
        unknown = set(values) - set(names)
        if unknown:
            raise ValueError(f"unknown recipe fields {sorted(unknown)}; known: {sorted(names)}")
        recipe = cls(**values)
        recipe.check()
        return recipe

    def check(self):
        """Raise ValueError for values no run could use (families add their own checks)."""
        if int(self.batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not 0.0 <= float(self.ema_decay) < 1.0:
            raise ValueError(f"ema_decay must lie in [0, 1), got {self.ema_decay}")
        if int(self.steps) < 0:
            raise ValueError(f"steps must be >= 0, got {self.steps}")

    def updated(self, **overrides):
        """A copy with `overrides` applied; dict fields (optimisers, loss options) are merged, not replaced."""
        values = self.to_dict()
        for key, value in overrides.items():
            if isinstance(values.get(key), dict) and isinstance(value, dict):
                values[key] = {**values[key], **value}
            else:
                values[key] = value
        return type(self).from_dict(values)


def make_optimizer(spec, parameters):
    """A torch optimiser from a recipe's optimiser dict ({"name": ..., "lr": ..., keywords})."""
    import torch

    spec = dict(spec)
    name = spec.pop("name", "adam").lower()
    if "betas" in spec:
        spec["betas"] = tuple(spec["betas"])
    classes = {"adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop, "sgd": torch.optim.SGD,
               "sparse_adam": torch.optim.SparseAdam}
    if name not in classes:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {OPTIMIZERS}")
    return classes[name](parameters, **spec)
