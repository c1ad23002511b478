"""Checkpoints as plain state_dict files: tensors, numbers and a JSON config string.

Loading uses ``torch.load(weights_only=True)``: no pickled classes, so a checkpoint
cannot run code and survives refactors. The model is rebuilt from its JSON config
(`GANModel.from_config`) and the state dicts are loaded into it.
"""
import json
import os

import torch

FORMAT = "fastgan-checkpoint-v1"


def save_checkpoint(path, model, *, step, ema=None, g_optimizer=None, d_optimizer=None, data=None,
                    rng=None, extra=None):
    """Write a checkpoint atomically.

    Args:
        path: output file.
        model: the GANModel.
        step: generator steps done.
        ema: the GeneratorEMA (its averaged generator), optional.
        g_optimizer / d_optimizer: optimisers, for resuming.
        data: the DataSource config dict (JSON-able).
        rng: dict of RNG state tensors (for exact resumption).
        extra: JSON-able dict (e.g. the metrics at this step).
    """
    payload = {
        "format": FORMAT,
        "config": json.dumps({"model": model.config, "data": data or {}, "extra": extra or {}}),
        "step": int(step),
        "generator": model.generator.state_dict(),
        "discriminator": model.discriminator.state_dict(),
    }
    if ema is not None:
        payload["ema"] = ema.module.state_dict()
    if g_optimizer is not None:
        payload["g_optimizer"] = g_optimizer.state_dict()
    if d_optimizer is not None:
        payload["d_optimizer"] = d_optimizer.state_dict()
    if rng:
        payload["rng"] = rng
    tmp = f"{path}.tmp"
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def read_checkpoint(path):
    """The checkpoint's payload dict, with "config" parsed from JSON."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a fastgan checkpoint (expected format {FORMAT})")
    payload["config"] = json.loads(payload["config"])
    return payload


def load_generator(path, use_ema=True):
    """(GANModel with trained weights, config dict) from a checkpoint; the EMA generator when present.

    The returned model's `generator` holds the EMA weights if `use_ema` and the checkpoint has them.
    """
    from ..models import GANModel

    payload = read_checkpoint(path)
    model = GANModel.from_config(payload["config"]["model"])
    model.generator.load_state_dict(payload["ema"] if use_ema and "ema" in payload else payload["generator"])
    model.discriminator.load_state_dict(payload["discriminator"])
    return model.eval(), payload["config"]
