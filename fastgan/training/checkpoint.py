"""Checkpoints as plain state_dict files: tensors, numbers and a JSON config string.

Loading uses ``torch.load(weights_only=True)``: no pickled classes, so a checkpoint
cannot run code and survives refactors. The model is rebuilt from its JSON config
(`Model.from_config`) and the state dicts (one per network, per EMA copy, per optimiser)
are loaded into it. Version-1 files (a generator and a discriminator) still load.
"""
import json
import os

import torch

FORMAT = "fastgan-checkpoint-v2"
_OLD_FORMAT = "fastgan-checkpoint-v1"


def save_checkpoint(path, model, *, step, ema=None, optimizers=None, data=None, rng=None, extra=None):
    """Write a checkpoint atomically.

    Args:
        path: output file.
        model: the fastgan.models.Model.
        step: iterations done.
        ema: {network name: GeneratorEMA}, optional.
        optimizers: {optimiser name: torch optimiser}, for resuming.
        data: the DataSource config dict (JSON-able).
        rng: dict of RNG state tensors (for exact resumption).
        extra: JSON-able dict (e.g. the metrics at this step).
    """
    payload = {
        "format": FORMAT,
        "config": json.dumps({"model": model.config, "data": data or {}, "extra": extra or {}}),
        "step": int(step),
        "networks": {name: net.state_dict() for name, net in model.networks.items()},
        "ema": {name: copy.module.state_dict() for name, copy in (ema or {}).items()},
        "optimizers": {name: opt.state_dict() for name, opt in (optimizers or {}).items()},
    }
    if rng:
        payload["rng"] = rng
    tmp = f"{path}.tmp"
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def read_checkpoint(path):
    """The checkpoint's payload dict, with "config" parsed from JSON (version-1 files converted)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") not in (FORMAT, _OLD_FORMAT):
        raise ValueError(f"{path} is not a fastgan checkpoint (expected format {FORMAT})")
    payload["config"] = json.loads(payload["config"])
    if payload["format"] == _OLD_FORMAT:
        payload["networks"] = {"generator": payload.pop("generator"), "discriminator": payload.pop("discriminator")}
        payload["ema"] = {"generator": payload.pop("ema")} if "ema" in payload else {}
        payload["optimizers"] = {name: payload.pop(f"{key}_optimizer") for name, key in
                                 (("generator", "g"), ("discriminator", "d")) if f"{key}_optimizer" in payload}
    return payload


def load_model(path, use_ema=True):
    """(Model with trained weights, config dict) from a checkpoint, in eval mode.

    With `use_ema` (and EMA copies in the checkpoint) the averaged weights replace the
    raw ones of the networks that have them, so `model.sample(...)` samples as the
    Trainer's metrics did.
    """
    from ..models import Model

    payload = read_checkpoint(path)
    model = Model.from_config(payload["config"]["model"])
    nets = model.networks
    for name, state in payload["networks"].items():
        nets[name].load_state_dict(state)
    if use_ema:
        for name, state in payload.get("ema", {}).items():
            nets[name].load_state_dict(state)
    return model.eval(), payload["config"]


load_generator = load_model  # the name from before every family had more than a generator
