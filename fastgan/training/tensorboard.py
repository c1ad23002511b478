"""TensorBoard event files for a training run, through torch.utils.tensorboard.SummaryWriter.

The run's out_dir is the log folder, so `tensorboard --logdir runs/` lists every run under
runs/ by its folder name. What a run writes (tags):

- `train/<name>`: each logged training value (the families' `<step>_loss` and extras), the
  mean over the last `loss_every` iterations, at the iteration that closes the window;
- `time/seconds_per_step`: mean wall time of one training iteration over the same window
  (evaluation and sample grids excluded);
- `<metric>/model` and `<metric>/real_vs_heldout` at each evaluation: every numeric metric
  beside the score of real training data against the held-out data (a perfect generator's);
  the Custom Scalars tab draws the two in one chart per metric;
- `samples`: the sample grid (or scatter plot) written at each sample step, as an image;
- `config` and `recipe` (text, at the first step) and the hparams tab's row: the run's
  recipe fields, model, data and seed beside its final metrics (`final/<metric>`).

The `tensorboard` package is optional: `tensorboard="auto"` writes events when it is
installed, True asks for them (RuntimeError naming the fix when it is missing), False never.
"""
import importlib.util
import json
import math
import os

INSTALL_HINT = "pip install tensorboard (or pip install 'fastgan[tensorboard]')"


def available():
    """Whether the tensorboard package (which SummaryWriter needs) can be imported."""
    return importlib.util.find_spec("tensorboard") is not None


def make_loggers(out_dir, tensorboard="auto", loss_every=10):
    """The run loggers the Trainer uses by default.

    Args:
        out_dir: the run's folder (None: nothing is written, no loggers).
        tensorboard: "auto" (events when the package is installed), True (required), False.
        loss_every: iterations per loss/time point.

    Returns:
        a list of loggers (a TensorBoardLogger or nothing).

    Raises:
        RuntimeError: tensorboard=True without the package or without an out_dir.
        ValueError: tensorboard is not "auto", True or False.
    """
    if tensorboard not in ("auto", True, False):
        raise ValueError(f"tensorboard must be 'auto', True or False, got {tensorboard!r}")
    if tensorboard is True and not out_dir:
        raise RuntimeError("TensorBoard events need an out_dir for the run")
    if tensorboard is True and not available():
        raise RuntimeError(f"TensorBoard events were asked for but the tensorboard package is not installed: "
                           f"{INSTALL_HINT}, or train without them (--no-tensorboard)")
    if not out_dir or tensorboard is False or not available():
        return []
    return [TensorBoardLogger(out_dir, loss_every=loss_every)]


class TensorBoardLogger:
    """Writes a run's losses, metrics, sample grids and config as TensorBoard events.

    The Trainer calls its hooks (every one optional in a logger): on_start(trainer),
    on_step(trainer, logs, seconds), on_evaluation(trainer, metrics), on_samples(trainer, path),
    on_finish(trainer, result) and close(trainer).

    Args:
        out_dir: the log folder (the run's out_dir).
        loss_every: iterations averaged into one loss and time point (>= 1).
    """

    def __init__(self, out_dir, loss_every=10):
        if not available():
            raise RuntimeError(f"TensorBoardLogger needs the tensorboard package: {INSTALL_HINT}")
        if int(loss_every) < 1:
            raise ValueError(f"loss_every must be >= 1, got {loss_every}")
        self.out_dir = os.fspath(out_dir)
        self.loss_every = int(loss_every)
        self.writer = None
        self._sums, self._count, self._seconds = {}, 0, 0.0

    # -- the Trainer's hooks ----------------------------------------------------------------------
    def on_start(self, trainer):
        """Open the event file; on a resumed run, events past the checkpoint's step are dropped."""
        from torch.utils.tensorboard import SummaryWriter

        # purge_step: events a crashed run wrote after its last checkpoint (step S) would otherwise
        # show twice once the resumed run writes those steps again.
        self.writer = SummaryWriter(self.out_dir, purge_step=trainer.step + 1 if trainer.step else None,
                                    flush_secs=30)
        if trainer.step == 0:
            self.writer.add_text("config", _code(run_config(trainer)), 0)
            self.writer.add_text("recipe", _code(trainer.recipe.to_dict()), 0)
            self._layout(trainer)

    def on_step(self, trainer, logs, seconds):
        """Accumulate one iteration's logged values and time; write their means every `loss_every`."""
        for key, value in logs.items():
            self._sums[key] = self._sums.get(key, 0.0) + float(value)
        self._count += 1
        self._seconds += seconds
        if trainer.step % self.loss_every == 0:
            self._flush_losses(trainer.step)

    def on_evaluation(self, trainer, metrics):
        """Each numeric metric beside its real-vs-held-out value, at the current step."""
        reference = trainer.evaluator.baseline
        for key, value in metrics.items():
            if not _is_number(value):
                continue
            self.writer.add_scalar(f"{key}/model", value, trainer.step)
            if _is_number(reference.get(key)):
                self.writer.add_scalar(f"{key}/{_REFERENCE}", reference[key], trainer.step)
        self.writer.flush()

    def on_samples(self, trainer, path):
        """The sample PNG just written (grid or scatter plot) as the `samples` image."""
        import numpy as np
        from PIL import Image

        with Image.open(path) as img:
            pixels = np.asarray(img.convert("RGB"))
        self.writer.add_image("samples", pixels, trainer.step, dataformats="HWC")

    def on_finish(self, trainer, result):
        """The hparams row: recipe fields, model, data, seed and the final metrics."""
        from torch.utils.tensorboard.summary import hparams

        self._flush_losses(trainer.step)
        final = {f"final/{k}": float(v) for k, v in result["final"].items()
                 if _is_number(v) and k not in ("step", "seconds")}
        if result.get("best"):
            final["final/best_fid"] = float(result["best"]["fid"])
        params = {**_flat(trainer.recipe.to_dict()), "model": trainer.model.name, "data": trainer.data.name,
                  "seed": trainer.seed, "steps": trainer.steps}  # the run's steps, not the recipe's default
        # written into this run's own event file (SummaryWriter.add_hparams would open a
        # sub-run folder per call), so the hparams tab lists one row per run folder.
        for summary in hparams(params, final):
            self.writer.file_writer.add_summary(summary, trainer.step)
        for key, value in final.items():
            self.writer.add_scalar(key, value, trainer.step)
        self.writer.flush()

    def close(self, trainer=None):
        """Flush and close the event file (also after a failed run)."""
        if self.writer is not None:
            self._flush_losses(trainer.step if trainer is not None else None)
            self.writer.close()
            self.writer = None

    # -- helpers ----------------------------------------------------------------------------------
    def _flush_losses(self, step):
        if not self._count or step is None:
            return
        for key, total in self._sums.items():
            self.writer.add_scalar(f"train/{key}", total / self._count, step)
        self.writer.add_scalar("time/seconds_per_step", self._seconds / self._count, step)
        self._sums, self._count, self._seconds = {}, 0, 0.0

    def _layout(self, trainer):
        """Custom Scalars: one chart per metric with the model's line and the reference line."""
        keys = [k for k, v in trainer.evaluator.baseline.items() if _is_number(v)]
        charts = {key: ["Multiline", [f"{key}/model", f"{key}/{_REFERENCE}"]] for key in keys}
        self.writer.add_custom_scalars({"metrics vs real-vs-held-out": charts})


_REFERENCE = "real_vs_heldout"


def run_config(trainer):
    """The run's config as config.json holds it: model and data configs, seed, steps, device."""
    return {"model": trainer.model.config, "data": trainer.data.config, "seed": trainer.seed,
            "steps": trainer.steps, "device": str(trainer.device), "amp": trainer.amp}


def _code(payload):
    # TensorBoard renders text as markdown: a code block keeps the JSON's indentation.
    return "```\n" + json.dumps(payload, indent=2, default=str) + "\n```"


def _flat(recipe, prefix=""):
    """Recipe fields as hparams values (numbers, strings, bools); dicts flatten to a.b, lists to text."""
    out = {}
    for key, value in recipe.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, name + "."))
        elif isinstance(value, (bool, str)) or (_is_number(value) and math.isfinite(value)):
            out[name] = value
        elif value is not None:
            out[name] = json.dumps(value, default=str)
    return out


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)
