"""The metric registry: what `fastgan.evaluate`, `fastgan eval` and the Trainer can compute.

A Metric declares its name, the features it needs (an extractor of
fastgan.evaluation.extractors and a layer of it, per side), its options as one small
dataclass with defaults, and functions from features to results (one process, and across
processes under torch.distributed where it can be). The built-in metrics register
themselves in fastgan.evaluation.builtin; `register_metric` adds more.
"""
import dataclasses
from dataclasses import dataclass
from typing import Callable, Optional

__all__ = ["Metric", "Space", "EvaluationContext", "register_metric", "metric", "metric_names", "parse_metrics", "resolve_options"]


@dataclass(frozen=True)
class Space:
    """Where a metric's features come from: a registered extractor ("inception", "dinov2", "clip")
    and one of its layers ("features", "logits", "spatial"). extractor None: the one
    `evaluate(feature_extractor=...)` was given (the FID Inception by default)."""

    extractor: Optional[str] = None
    layer: str = "features"


@dataclass(frozen=True)
class Metric:
    """One metric of the registry.

    Attributes:
        name: the name in `evaluate(metrics=...)` and `fastgan eval --metrics`.
        summary: one line for listings.
        keys: the result keys it returns (torch-fidelity's where there is one).
        options: a dataclass type of its options, all with defaults.
        compute: ``compute(real, fake, options, context) -> dict``: real and fake are
            FeatureSets of the spaces below (None for a side it does not use), context an
            EvaluationContext (the raw inputs, batch size, seed, device, verbosity).
        real, fake: the Space of each side, or None when that side is not used (IS reads
            only fake); "images" for metrics that read images themselves (LPIPS) and
            "generator" for those that sample a generator (PPL).
        sharded: the same under torch.distributed, from this process's shards, or None
            (then it refuses to run across processes).
    """

    name: str
    summary: str
    keys: tuple
    options: type
    compute: Callable
    real: object = Space()
    fake: object = Space()
    sharded: Optional[Callable] = None


_METRICS = {}


def register_metric(m):
    """Add a Metric (refusing a second one of the same name); returns it."""
    if m.name in _METRICS:
        raise ValueError(f"a metric named {m.name!r} is registered already")
    if not dataclasses.is_dataclass(m.options):
        raise TypeError(f"{m.name}: options must be a dataclass type")
    _METRICS[m.name] = m
    return m


def metric(name):
    """The registered Metric `name` (ValueError listing the names otherwise)."""
    _load_builtin()
    if name not in _METRICS:
        raise ValueError(f"unknown metric {name!r}; choose from {', '.join(metric_names())}")
    return _METRICS[name]


def metric_names():
    """Names of every registered metric, in registration order."""
    _load_builtin()
    return tuple(_METRICS)


def parse_metrics(metrics):
    """A tuple or a comma-separated string of names -> the Metrics, in the order given (no repeats)."""
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    names = list(dict.fromkeys(str(m).lower() for m in metrics))
    unknown = [n for n in names if n not in metric_names()]
    if unknown or not names:
        raise ValueError(f"unknown metrics {unknown or '(none given)'}; choose from {', '.join(metric_names())}")
    return [metric(n) for n in names]


def resolve_options(metrics, options=None, flat=None):
    """Each metric's options dataclass from `options` and flat keyword arguments.

    Args:
        metrics: the Metrics asked for.
        options: {metric name: options dataclass or dict of its fields}, or None.
        flat: {"<metric>_<field>": value} (e.g. kid_subsets=100, prdc_k=5), the keyword form
            of `fastgan.evaluate`; a name that matches no metric's field is a TypeError, one
            of a metric not asked for is ignored (so one call can carry every option).

    Returns:
        {metric name: options dataclass}.
    """
    options = dict(options or {})
    unknown_names = set(options) - set(metric_names())
    if unknown_names:
        raise ValueError(f"options given for unknown metrics {sorted(unknown_names)}")
    flat = dict(flat or {})
    fields = {f"{m.name}_{f.name}": (m.name, f.name) for m in (metric(n) for n in metric_names())
              for f in dataclasses.fields(m.options)}
    unknown = sorted(set(flat) - set(fields))
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(unknown)}; metric options are named <metric>_<field>: "
                        f"{', '.join(sorted(fields))}")
    per_metric = {}
    for key, value in flat.items():
        name, field_name = fields[key]
        per_metric.setdefault(name, {})[field_name] = value
    out = {}
    for m in metrics:
        given = options.get(m.name)
        if isinstance(given, m.options):
            base = given
        elif given is None or isinstance(given, dict):
            try:
                base = m.options(**(given or {}))
            except TypeError as exc:
                raise TypeError(f"{m.name} options: {exc}") from None
        else:
            raise TypeError(f"options[{m.name!r}] must be a {m.options.__name__} or a dict, got {type(given).__name__}")
        out[m.name] = dataclasses.replace(base, **per_metric.get(m.name, {}))
    return out


def _load_builtin():
    from . import builtin  # noqa: F401  (its module body registers the built-in metrics)


@dataclass
class EvaluationContext:
    """What a metric may need beyond features: the raw inputs and how `evaluate` reads them.

    Attributes:
        real, fake: the inputs as given to `evaluate`.
        batch_size, num_samples, latent_dim, seed, image_range, on_error, num_workers: as in `evaluate`.
        verbose: progress bars on this process.
        shard: (rank, world_size) under torch.distributed, else None.
    """

    real: object
    fake: object
    batch_size: int = 50
    num_samples: Optional[int] = None
    latent_dim: Optional[int] = None
    seed: int = 0
    image_range: tuple = (-1.0, 1.0)
    on_error: str = "raise"
    num_workers: int = 0
    verbose: bool = True
    shard: Optional[tuple] = None
