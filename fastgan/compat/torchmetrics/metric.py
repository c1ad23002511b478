"""The base class of the torchmetrics shims: ``torchmetrics.Metric`` when it is installed.

With torchmetrics installed (``pip install fastgan[torchmetrics]``) the shims are real
``torchmetrics.Metric`` subclasses: their states are registered with ``add_state`` and
torchmetrics synchronises them across processes, so ``MetricCollection``, Lightning's
``self.log(metric)``, ``forward``, ``merge_state`` and ``compute_on_cpu`` behave as with
torchmetrics' own classes, and unknown keyword arguments are refused as torchmetrics
refuses them. Without torchmetrics, `FallbackMetric` gives the same interface on a plain
``nn.Module`` (states gathered with ``all_gather_object`` under torch.distributed).
"""
import copy

import torch
from torch import nn

try:  # an optional dependency: the shims work without it
    from torchmetrics import Metric as _TorchmetricsMetric
except ImportError as exc:  # pragma: no cover - exercised where torchmetrics is absent
    _TorchmetricsMetric = None
    if getattr(exc, "name", None) != "torchmetrics":
        # Installed but broken (e.g. it found torch-fidelity, whose torchvision is missing): say so.
        import warnings

        warnings.warn(f"fastgan.compat.torchmetrics: torchmetrics is installed but failed to import ({exc}); "
                      "the metrics fall back to plain nn.Module classes", RuntimeWarning, stacklevel=2)

HAVE_TORCHMETRICS = _TorchmetricsMetric is not None

# The keyword arguments torchmetrics.Metric accepts; the fallback accepts (and mostly ignores) them.
METRIC_KWARGS = ("compute_on_cpu", "dist_sync_on_step", "process_group", "dist_sync_fn", "distributed_available_fn",
                 "sync_on_compute", "compute_with_cache")

def gather_objects(obj):
    """[obj of every process] under torch.distributed, else [obj]."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        out = [None] * dist.get_world_size()
        dist.all_gather_object(out, obj)
        return out
    return [obj]


class FallbackMetric(nn.Module):
    """torchmetrics' Metric interface on a plain nn.Module, for installs without torchmetrics.

    States are tensors (reduced by "sum") or lists of tensors (reduced by "cat").
    ``compute()`` reduces the states of every process (``all_gather_object``) first.
    """

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(METRIC_KWARGS))
        if unknown:
            raise ValueError(f"Unexpected keyword arguments: {', '.join(f'`{k}`' for k in unknown)}")
        self.compute_on_cpu = bool(kwargs.get("compute_on_cpu", False))
        self._defaults = {}
        self._reductions = {}
        self._update_count = 0

    def add_state(self, name, default, dist_reduce_fx=None, persistent=False):
        """Register a state: a tensor (reduced by "sum") or an empty list (reduced by "cat")."""
        if not (isinstance(default, torch.Tensor) or default == []):
            raise ValueError("state variable must be a tensor or any empty list (where you can append tensors)")
        if dist_reduce_fx not in (None, "sum", "cat"):
            raise ValueError(f"dist_reduce_fx must be None, 'sum' or 'cat' here, got {dist_reduce_fx!r}")
        self._defaults[name] = default.detach().clone() if isinstance(default, torch.Tensor) else []
        self._reductions[name] = dist_reduce_fx or ("cat" if isinstance(default, list) else "sum")
        setattr(self, name, self._fresh(name))

    def _fresh(self, name):
        default = self._defaults[name]
        return default.clone() if isinstance(default, torch.Tensor) else []

    @property
    def update_count(self):
        return self._update_count

    def reset(self):
        """Every state back to its default."""
        self._update_count = 0
        for name in self._defaults:
            setattr(self, name, self._fresh(name))

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        """Update the global state with this batch and return the metric of the batch alone."""
        saved = {name: getattr(self, name) for name in self._defaults}
        count = self._update_count
        self.reset()
        self.update(*args, **kwargs)
        batch_states = {name: getattr(self, name) for name in self._defaults}
        value = self.compute()
        for name in self._defaults:
            setattr(self, name, saved[name])
        self._update_count = count
        self._merge(batch_states)
        self._update_count += 1
        return value

    def merge_state(self, incoming_state):
        """Add another metric's states (a metric of the same class, or a dict of its states)."""
        if isinstance(incoming_state, FallbackMetric):
            if type(incoming_state) is not type(self):
                raise ValueError(f"cannot merge a {type(incoming_state).__name__} into a {type(self).__name__}")
            incoming_state = {name: getattr(incoming_state, name) for name in self._defaults}
        elif not isinstance(incoming_state, dict):
            raise ValueError(f"merge_state takes a metric or a dict of states, got {type(incoming_state).__name__}")
        self._merge(incoming_state)

    def _merge(self, states):
        for name, value in states.items():
            if name not in self._defaults:
                raise ValueError(f"unknown state {name!r}; this metric has {sorted(self._defaults)}")
            current = getattr(self, name)
            if isinstance(current, list):
                # torchmetrics' order: the incoming states first.
                setattr(self, name, list(value) + current)
            else:
                setattr(self, name, current + value.to(current.device))

    def synced_states(self):
        """{name: state reduced over every process} (the states themselves in one process)."""
        local = {name: getattr(self, name) for name in self._defaults}
        everyone = gather_objects(local)
        if len(everyone) == 1:
            return {name: (torch.cat(v) if isinstance(v, list) and v else v) for name, v in local.items()}
        out = {}
        for name, reduction in self._reductions.items():
            parts = [state[name] for state in everyone]
            if reduction == "cat":
                parts = [t for part in parts for t in part]
                out[name] = torch.cat(parts) if parts else []
            else:
                out[name] = torch.stack([p.to(local[name].device) for p in parts]).sum(0)
        return out

    def clone(self):
        return copy.deepcopy(self)


MetricBase = _TorchmetricsMetric if HAVE_TORCHMETRICS else FallbackMetric


def states_of(metric):
    """The metric's states, reduced over processes where torchmetrics has not done so already.

    torchmetrics syncs the states itself before ``compute``; list states may still be lists of
    tensors there, and are concatenated. The fallback gathers them here.
    """
    if isinstance(metric, FallbackMetric):
        return metric.synced_states()
    states = {}
    for name in metric._defaults:
        value = getattr(metric, name)
        states[name] = torch.cat(value) if isinstance(value, list) and value else value
    return states
