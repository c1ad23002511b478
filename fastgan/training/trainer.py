"""The Trainer: one loop for every model family, driven by the family's declaration.

Per iteration it runs the family's Steps in order (each as many times as its `repeat`
says, when `active`): draw through a StepContext, compute the step's loss, backpropagate,
step that step's optimisers with every other network frozen, then update the EMA copies
of the networks that changed. Everything random (batches, noise, penalty interpolation)
comes from seeded torch.Generators stored in the checkpoint, so a run is reproducible for
a seed and resumes where it stopped. Nothing here depends on which family runs.
"""
import json
import math
import os
import time

import torch

from ..layers.ema import GeneratorEMA
from ..models.recipe import make_optimizer
from .checkpoint import read_checkpoint, save_checkpoint
from .context import Batch, StepContext

CURVE_KEYS = ("fid", "kid", "precision", "recall", "density", "coverage", "modes_covered", "high_quality",
              "label_accuracy", "heldout_nelbo", "recon_l2", "train_nn_l2")


class Trainer:
    """Trains a fastgan.models.Model on a DataSource.

    Args:
        model: a fastgan.models.Model (from fastgan.models.build).
        data: a fastgan.data.DataSource (its x/y are the training set).
        out_dir: folder for config.json, checkpoints, samples, metrics.jsonl, metrics.json;
            None writes nothing (metrics are still returned).
        steps: iterations (default: the recipe's).
        seed: seeds batches and noise (seed the model's initialisation yourself, or use
            `fastgan.training.train`, which does).
        device: "cpu", "cuda", ...
        amp: mixed precision: "auto" (bfloat16 autocast on CUDA devices that support it,
            off on the CPU), True or False. Gradient penalties always run in float32.
        eval_every: iterations between metric evaluations (default: steps // 10; 0 = only at the end).
        sample_every: iterations between sample grids (default: eval_every).
        checkpoint_every: iterations between `last.pt` saves (default: eval_every).
        eval_samples: generated samples per evaluation (see Evaluator).
        progress: show a tqdm progress bar.
        tensorboard: TensorBoard event files in out_dir: "auto" (when the package is installed),
            True (RuntimeError without it) or False (see fastgan.training.tensorboard).
        loggers: more run loggers; each may define on_start(trainer), on_step(trainer, logs,
            seconds), on_evaluation(trainer, metrics), on_samples(trainer, png_path),
            on_finish(trainer, result) and close(trainer), called at those points of `fit`.

    Raises:
        ValueError: before any training, when the data does not fit the model (shape, data
            kind, training-set size).
    """

    def __init__(self, model, data, out_dir=None, steps=None, seed=0, device="cpu", amp="auto",
                 eval_every=None, sample_every=None, checkpoint_every=None, eval_samples=None, progress=True,
                 tensorboard="auto", loggers=()):
        check_data(model, data)
        self.model, self.data = model, data
        self.family = model.family
        self.recipe = model.recipe
        self.device = torch.device(device)
        self.steps = int(steps if steps is not None else self.recipe.steps)
        if self.steps < 0:
            raise ValueError(f"steps must be >= 0, got {self.steps}")
        self.seed = int(seed)
        if amp == "auto":
            amp = self.device.type == "cuda" and torch.cuda.is_bf16_supported()
        self.amp = bool(amp)
        self.eval_every = int(eval_every if eval_every is not None else max(1, self.steps // 10))
        self.sample_every = int(sample_every if sample_every is not None else self.eval_every)
        self.checkpoint_every = int(checkpoint_every if checkpoint_every is not None else self.eval_every)
        self.eval_samples = eval_samples
        self.progress = progress
        self.out_dir = out_dir
        from .tensorboard import make_loggers

        self.loggers = make_loggers(out_dir, tensorboard) + list(loggers)

        model.to(self.device).train()
        nets = model.networks
        self.optimizers = {}
        for name, spec in self.family.optimizers.items():
            params = [p for net in spec.networks for p in nets[net].parameters()]
            self.optimizers[name] = make_optimizer(getattr(self.recipe, spec.recipe_field), params)
        if self.family.prepare is not None:
            self.family.prepare(nets, self.optimizers, self.recipe)
        decay = self.recipe.ema_decay
        self.ema = {name: GeneratorEMA(nets[name], decay) for name in self.family.ema} if decay else {}
        self.data_gen = torch.Generator().manual_seed(self.seed)
        self.noise_gen = torch.Generator().manual_seed(self.seed + 1)
        self.step = 0
        self.history = []
        self.best = None
        self._evaluator = None
        self._x = data.x.to(self.device)
        self._y = data.y.to(self.device) if (data.y is not None and self.family.conditional) else None
        target = data.extra.get("target") if self.family.data == "paired" else None
        self._target = target.to(self.device) if target is not None else None
        domain_b = data.extra.get("domain_b") if self.family.data == "two-domain" else None
        self._domain_b = domain_b.to(self.device) if domain_b is not None else None
        self.context = StepContext(self)

    # -- one step each ------------------------------------------------------------------
    def _batch(self, n):
        idx = torch.randint(len(self._x), (n,), generator=self.data_gen).to(self.device)
        return Batch(self._x[idx], self._y[idx] if self._y is not None else None, idx,
                     self._target[idx] if self._target is not None else None)

    def _batch_b(self, n):
        """A Batch of n samples of the second domain (two-domain families), from the data stream."""
        idx = torch.randint(len(self._domain_b), (n,), generator=self.data_gen).to(self.device)
        return Batch(self._domain_b[idx], None, idx)

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp)

    def _step_spec(self, name):
        for step in self.family.steps:
            if step.name == name:
                return step
        raise ValueError(f"{self.model.name} has no step {name!r}; its steps: {[s.name for s in self.family.steps]}")

    def run_step(self, name):
        """One update of the family's step `name` (no repeat); returns {"<name>_loss": float, extras}."""
        step = self._step_spec(name)
        nets = self.model.networks
        updated = {net for opt in step.optimizers for net in self.family.optimizers[opt].networks}
        frozen = [net for key, net in nets.items() if key not in updated]
        states = [[p.requires_grad for p in net.parameters()] for net in frozen]
        for net in frozen:  # no weight gradients for networks this step does not update
            net.requires_grad_(False)
        try:
            out = step.loss(self.context)
            loss, logs = out if isinstance(out, tuple) else (out, {})
            for opt in step.optimizers:
                self.optimizers[opt].zero_grad(set_to_none=True)
            loss.backward()
            for opt in step.optimizers:
                self.optimizers[opt].step()
        finally:
            for net, flags in zip(frozen, states):
                for p, flag in zip(net.parameters(), flags):
                    p.requires_grad_(flag)
        for key in updated & set(self.ema):
            # Ramp the decay up (as in StyleGAN/ProGAN implementations): with a fixed 0.999 the
            # average of a short run would still be dominated by the initial weights.
            self.ema[key].decay = min(self.recipe.ema_decay, (1.0 + self.step) / (10.0 + self.step))
            self.ema[key].update(nets[key])
        return {f"{name}_loss": loss.item(), **{f"{name}_{k}": float(v) for k, v in logs.items()}}

    def train_step(self):
        """One iteration: every active step, each `repeat` times; returns the mean of each logged value."""
        record = {}
        for step in self.family.steps:
            if step.active is not None and not step.active(self.context):
                continue
            repeat = getattr(self.recipe, step.repeat) if isinstance(step.repeat, str) else step.repeat
            logs = [self.run_step(step.name) for _ in range(int(repeat))]
            for key in logs[0]:
                record[key] = sum(entry[key] for entry in logs) / len(logs)
        self.step += 1
        return record

    # -- sampling and metrics -------------------------------------------------------------
    @property
    def sampling_networks(self):
        """{name: network} used for samples and metrics: EMA copies where there are, the live ones otherwise."""
        return {name: (self.ema[name].module if name in self.ema else net) for name, net in self.model.networks.items()}

    @property
    def evaluator(self):
        if self._evaluator is None:
            from .evaluation import Evaluator

            self._evaluator = Evaluator(self.data, self.eval_samples)
        return self._evaluator

    def _in_eval_mode(self, fn):
        nets = self.sampling_networks
        modes = {name: net.training for name, net in nets.items()}
        for net in nets.values():
            net.eval()
        try:
            return fn(nets)
        finally:
            for name, net in nets.items():
                net.train(modes[name])

    def evaluate(self):
        """Metrics of the current (EMA) networks against held-out data."""
        return self._in_eval_mode(lambda nets: self.evaluator(self.model, nets, self.device))

    def fit(self):
        """Train for the remaining iterations; returns the final metrics dict (see metrics.json)."""
        try:
            return self._fit()
        finally:  # event files are flushed and closed after a failed run too
            self._notify("close")

    def _notify(self, hook, *args):
        """Call `hook` (on_step, on_evaluation, ...) of every logger that defines it."""
        for logger in self.loggers:
            method = getattr(logger, hook, None)
            if method is not None:
                method(self, *args)

    def _fit(self):
        from tqdm.auto import tqdm

        start_time = time.perf_counter()
        if self.out_dir:
            os.makedirs(os.path.join(self.out_dir, "samples"), exist_ok=True)
            self._write_json("config.json", {"model": self.model.config, "data": self.data.config,
                                             "seed": self.seed, "steps": self.steps, "device": str(self.device),
                                             "amp": self.amp})
        self._notify("on_start")
        bar = tqdm(total=self.steps, initial=self.step, disable=not self.progress, desc=self.model.name,
                   dynamic_ncols=True)
        sums, counts = {}, {}
        final = None
        while self.step < self.steps:
            tick = time.perf_counter()
            losses = self.train_step()
            self._notify("on_step", losses, time.perf_counter() - tick)
            for key, value in losses.items():
                sums[key], counts[key] = sums.get(key, 0.0) + value, counts.get(key, 0) + 1
            bar.update(1)
            bad = {k: v for k, v in losses.items() if not math.isfinite(v)}
            if bad:
                raise RuntimeError(f"training diverged at step {self.step} ({bad}); try a smaller learning rate")
            last = self.step == self.steps
            if self.eval_every and (self.step % self.eval_every == 0) or last:
                metrics = self.evaluate()
                self._notify("on_evaluation", metrics)
                record = {"step": self.step, **{k: sums[k] / counts[k] for k in sums}, **metrics,
                          "seconds": round(time.perf_counter() - start_time, 2)}
                sums, counts = {}, {}
                final = record
                self.history.append(record)
                bar.set_postfix({k: f"{v:.3g}" for k, v in record.items() if k == "fid" or k.endswith("_loss")})
                self._log(record)
            if self.out_dir and (last or (self.sample_every and self.step % self.sample_every == 0)):
                self._notify("on_samples", self.save_samples(
                    os.path.join(self.out_dir, "samples", f"step_{self.step:06d}.png")))
            if self.out_dir and (last or (self.checkpoint_every and self.step % self.checkpoint_every == 0)):
                self.save(os.path.join(self.out_dir, "last.pt"))
        bar.close()
        if final is None:
            final = {"step": self.step, **self.evaluate()}
        return self._finish(final, time.perf_counter() - start_time)

    def _log(self, record):
        if not self.out_dir:
            if self._is_best(record):
                self.best = {"step": record["step"], "fid": record["fid"]}
            return
        with open(os.path.join(self.out_dir, "metrics.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
        if self._is_best(record):
            self.best = {"step": record["step"], "fid": record["fid"]}
            self.save(os.path.join(self.out_dir, "best.pt"), extra={"metrics": record})

    def _is_best(self, record):
        fid = record.get("fid")
        return fid is not None and math.isfinite(fid) and (self.best is None or fid < self.best["fid"])

    def _finish(self, final, seconds):
        result = {"model": self.model.name, "data": self.data.name, "seed": self.seed, "steps": self.step,
                  "seconds": round(seconds, 1), "final": final, "best": self.best,
                  "real_vs_heldout": self.evaluator.baseline}
        if self.out_dir:
            self._write_json("metrics.json", result)
            self.save_samples(os.path.join(self.out_dir, "samples.png"))
            if self.history:
                from .plotting import save_curves

                save_curves(self.history, CURVE_KEYS, os.path.join(self.out_dir, "metrics.png"),
                            reference=self.evaluator.baseline,
                            title=f"{self.model.name} on {self.data.name}, seed {self.seed}")
        self._notify("on_finish", result)
        return result

    def _write_json(self, name, payload):
        with open(os.path.join(self.out_dir, name), "w") as f:
            json.dump(payload, f, indent=2)
            f.write("\n")

    @torch.no_grad()
    def save_samples(self, path, n=64):
        """A PNG of `n` samples of the (EMA) networks: an image grid, or a scatter plot for points."""
        from .pictures import save_samples

        gen = torch.Generator().manual_seed(4321)
        if self.family.sample_grid is not None:  # e.g. input | output | target rows of translations
            from .pictures import save_image_grid

            images, nrow = self._in_eval_mode(lambda nets: self.family.sample_grid(nets, self.data, gen))
            return save_image_grid(images.cpu(), path, nrow=nrow)

        def draw(nets):
            points = self.data.kind == "points"
            return self.model.sample(1000 if points else n, generator=gen, networks=nets).cpu()

        samples = self._in_eval_mode(draw)
        return save_samples(samples, path, data=self.data, num_classes=self.model.num_classes)

    # -- checkpoints ----------------------------------------------------------------------
    def save(self, path, extra=None):
        """Write a resumable checkpoint (plain state dicts, JSON config)."""
        rng = {"data": self.data_gen.get_state(), "noise": self.noise_gen.get_state()}
        extra = {"history": self.history, "best": self.best, "seed": self.seed, **(extra or {})}
        return save_checkpoint(path, self.model, step=self.step, ema=self.ema, optimizers=self.optimizers,
                               data=self.data.config, rng=rng, extra=extra)

    def resume(self, path):
        """Restore weights, optimisers, EMA, RNG states, step and history from a checkpoint."""
        payload = read_checkpoint(path)
        if payload["config"]["model"]["name"] != self.model.name:
            raise ValueError(f"{path} holds a {payload['config']['model']['name']!r} model, not {self.model.name!r}")
        nets = self.model.networks
        for name, state in payload["networks"].items():
            nets[name].load_state_dict(state)
        for name, state in payload.get("ema", {}).items():
            if name in self.ema:
                self.ema[name].module.load_state_dict(state)
        for name, state in payload.get("optimizers", {}).items():
            self.optimizers[name].load_state_dict(state)
        if "rng" in payload:
            self.data_gen.set_state(payload["rng"]["data"])
            self.noise_gen.set_state(payload["rng"]["noise"])
        self.step = int(payload["step"])
        extra = payload["config"].get("extra", {})
        self.history = list(extra.get("history", []))
        self.best = extra.get("best")
        return self


def check_data(model, data):
    """ValueError before training when `data` does not fit `model` (sample shape, data kind, set size)."""
    from ..models import DATA_KINDS

    fam = model.family
    if model.shape != data.shape:
        raise ValueError(f"{model.name} was built for samples of shape {model.shape}, the data {data.name!r} "
                         f"has {data.shape}")
    if data.kind not in fam.samples:
        raise ValueError(f"{model.name} models {' or '.join(fam.samples)}; the data {data.name!r} holds {data.kind}")
    if fam.data not in data.kinds:
        raise ValueError(f"{model.name} needs {fam.data} data ({DATA_KINDS[fam.data]}); the data {data.name!r} "
                         f"provides {', '.join(sorted(data.kinds))}")
    if model.num_items and model.num_items != len(data.x):
        raise ValueError(f"{model.name} was built for {model.num_items} training samples (one code each); "
                         f"the data {data.name!r} has {len(data.x)}")


def prepare(model, data, *, seed=0, model_config=None, data_config=None, **trainer_kwargs):
    """A Trainer for family `model` on data `data` (names), with the model built and seeded.

    Args:
        model: a family name (fastgan.models.available()).
        data: a data name or folder (fastgan.data.load_data).
        seed: seeds the model's initialisation and the training loop.
        model_config: overrides for fastgan.models.build (recipe fields, architecture options).
        data_config: keywords for fastgan.data.load_data (size, channels, conditional).
        trainer_kwargs: see Trainer (steps, out_dir, device, eval_every, ...).

    Returns:
        The Trainer (not yet fitted).
    """
    from ..data import load_data
    from ..models import build, family

    fam = family(model)
    source = load_data(data, **dict(data_config or {}))
    torch.manual_seed(seed)
    net = build(model, shape=source.shape, num_classes=source.num_classes if fam.conditional else 0,
                num_items=len(source.x), **(model_config or {}))
    return Trainer(net, source, seed=seed, **trainer_kwargs)


def train(model, data, *, seed=0, steps=None, out_dir=None, device="cpu", model_config=None, data_config=None,
          **trainer_kwargs):
    """Seeded one-call training: `prepare(...)` then `fit()`; returns (trainer, result dict)."""
    trainer = prepare(model, data, seed=seed, steps=steps, out_dir=out_dir, device=device, model_config=model_config,
                      data_config=data_config, **trainer_kwargs)
    return trainer, trainer.fit()
