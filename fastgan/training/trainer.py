"""The Trainer: one loop for every model family, driven by the model's Recipe.

Per generator step: `recipe.n_critic` discriminator steps (adversarial loss from
fastgan.losses, optional fused gradient penalty, optional weight clipping after the
optimiser step), then one generator step and an EMA update. Everything random (batches,
latents, penalty interpolation) comes from seeded torch.Generators stored in the
checkpoint, so a run is reproducible for a seed and resumes where it stopped.
"""
import inspect
import json
import math
import os
import time

import torch

from ..layers.ema import GeneratorEMA
from ..losses import adversarial_loss, clip_weights_after_step, gradient_penalty
from ..models.recipe import make_optimizer
from .checkpoint import read_checkpoint, save_checkpoint

CURVE_KEYS = ("fid", "kid", "precision", "recall", "density", "coverage", "modes_covered", "high_quality",
              "label_accuracy")


class Trainer:
    """Trains a GANModel on a DataSource.

    Args:
        model: a fastgan.models.GANModel.
        data: a fastgan.data.DataSource (its x/y are the training set).
        out_dir: folder for config.json, checkpoints, samples, metrics.jsonl, metrics.json;
            None writes nothing (metrics are still returned).
        steps: generator steps (default: the recipe's).
        seed: seeds batches, latents and penalty draws (seed the model's initialisation
            yourself, or use `fastgan.training.train`, which does).
        device: "cpu", "cuda", ...
        amp: mixed precision: "auto" (bfloat16 autocast on CUDA devices that support it,
            off on the CPU), True or False. The gradient penalty always runs in float32.
        eval_every: steps between metric evaluations (default: steps // 10; 0 = only at the end).
        sample_every: steps between sample grids (default: eval_every).
        checkpoint_every: steps between `last.pt` saves (default: eval_every).
        eval_samples: generated samples per evaluation (see Evaluator).
        progress: show a tqdm progress bar.
    """

    def __init__(self, model, data, out_dir=None, steps=None, seed=0, device="cpu", amp="auto",
                 eval_every=None, sample_every=None, checkpoint_every=None, eval_samples=None, progress=True):
        self.model, self.data = model, data
        self.recipe = model.recipe
        if model.shape != data.shape:
            raise ValueError(f"model was built for samples of shape {model.shape}, data has {data.shape}")
        if model.num_classes and data.y is None:
            raise ValueError(f"{model.name} is conditional but the data {data.name!r} has no labels")
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

        model.to(self.device).train()
        self.loss = adversarial_loss(self.recipe.loss)
        self.d_loss_options = _checked_loss_options(self.loss.discriminator, self.recipe.d_loss_options)
        self.g_opt = make_optimizer(self.recipe.g_optimizer, model.generator.parameters())
        self.d_opt = make_optimizer(self.recipe.d_optimizer, model.discriminator.parameters())
        if self.recipe.clip:
            clip_weights_after_step(self.d_opt, model.discriminator, clip=self.recipe.clip)
        self.ema = GeneratorEMA(model.generator, self.recipe.ema_decay) if self.recipe.ema_decay else None
        self.data_gen = torch.Generator().manual_seed(self.seed)
        self.noise_gen = torch.Generator().manual_seed(self.seed + 1)
        self.step = 0
        self.history = []
        self.best = None
        self._evaluator = None
        self._x = data.x.to(self.device)
        self._y = data.y.to(self.device) if (data.y is not None and model.num_classes) else None

    # -- one step each ------------------------------------------------------------------
    def _batch(self):
        idx = torch.randint(len(self._x), (self.recipe.batch_size,), generator=self.data_gen).to(self.device)
        return self._x[idx], (self._y[idx] if self._y is not None else None)

    def _latent(self, n):
        labels = None
        if self.model.num_classes:
            labels = torch.randint(self.model.num_classes, (n,), generator=self.noise_gen)
        return self.model.sample_latent(n, generator=self.noise_gen, device=self.device, labels=labels)

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp)

    def discriminator_step(self, real=None, labels=None):
        """One critic update on a real batch (drawn if not given); returns the loss as a float."""
        if real is None:
            real, labels = self._batch()
        G, D = self.model.generator, self.model.discriminator
        z, _ = self._latent(len(real))
        with self._autocast():
            with torch.no_grad():
                fake = G(z, labels)
            loss = self.loss.discriminator(D(real, labels).float(), D(fake, labels).float(), **self.d_loss_options)
        if self.recipe.gradient_penalty:
            loss = loss + gradient_penalty(lambda x: D(x, labels), real.float(), fake.float(),
                                           weight=self.recipe.gradient_penalty, generator=self.noise_gen,
                                           check_inputs=False)
        self.d_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.d_opt.step()
        return loss.item()

    def generator_step(self):
        """One generator update (and EMA update); returns the loss as a float."""
        G, D = self.model.generator, self.model.discriminator
        z, labels = self._latent(self.recipe.batch_size)
        D.requires_grad_(False)  # no weight gradients for D in G's step
        try:
            with self._autocast():
                loss = self.loss.generator(D(G(z, labels), labels).float())
            self.g_opt.zero_grad(set_to_none=True)
            loss.backward()
            self.g_opt.step()
            loss = loss.item()
        finally:
            D.requires_grad_(True)
        if self.ema is not None:
            # Ramp the decay up (as in StyleGAN/ProGAN implementations): with a fixed 0.999 the
            # average of a short run would still be dominated by the initial weights.
            self.ema.decay = min(self.recipe.ema_decay, (1.0 + self.step) / (10.0 + self.step))
            self.ema.update(G)
        return loss

    def train_step(self):
        """n_critic discriminator steps then one generator step; returns (d_loss, g_loss)."""
        d_losses = [self.discriminator_step() for _ in range(self.recipe.n_critic)]
        g_loss = self.generator_step()
        self.step += 1
        return sum(d_losses) / len(d_losses), g_loss

    # -- the loop -------------------------------------------------------------------------
    @property
    def sampler(self):
        """The generator used for samples and metrics: the EMA copy when there is one."""
        return self.ema.module if self.ema is not None else self.model.generator

    @property
    def evaluator(self):
        if self._evaluator is None:
            from .evaluation import Evaluator

            self._evaluator = Evaluator(self.data, self.eval_samples)
        return self._evaluator

    def evaluate(self):
        """Metrics of the current (EMA) generator against held-out data."""
        sampler = self.sampler
        was_training = sampler.training
        sampler.eval()
        try:
            return self.evaluator(self.model, sampler, self.device)
        finally:
            sampler.train(was_training)

    def fit(self):
        """Train for the remaining steps; returns the final metrics dict (see metrics.json)."""
        from tqdm.auto import tqdm

        start_time = time.perf_counter()
        if self.out_dir:
            os.makedirs(os.path.join(self.out_dir, "samples"), exist_ok=True)
            self._write_json("config.json", {"model": self.model.config, "data": self.data.config,
                                             "seed": self.seed, "steps": self.steps, "device": str(self.device),
                                             "amp": self.amp})
        bar = tqdm(total=self.steps, initial=self.step, disable=not self.progress, desc=self.model.name,
                   dynamic_ncols=True)
        d_sum = g_sum = 0.0
        count = 0
        final = None
        while self.step < self.steps:
            d_loss, g_loss = self.train_step()
            d_sum, g_sum, count = d_sum + d_loss, g_sum + g_loss, count + 1
            bar.update(1)
            if not (math.isfinite(d_loss) and math.isfinite(g_loss)):
                raise RuntimeError(f"training diverged at step {self.step} (d_loss={d_loss}, g_loss={g_loss}); "
                                   f"try a smaller learning rate")
            last = self.step == self.steps
            if self.eval_every and (self.step % self.eval_every == 0) or last:
                record = {"step": self.step, "d_loss": d_sum / count, "g_loss": g_sum / count,
                          **self.evaluate(), "seconds": round(time.perf_counter() - start_time, 2)}
                d_sum = g_sum = 0.0
                count = 0
                final = record
                self.history.append(record)
                bar.set_postfix({k: f"{record[k]:.3g}" for k in ("fid", "d_loss", "g_loss") if k in record})
                self._log(record)
            if self.out_dir and (last or (self.sample_every and self.step % self.sample_every == 0)):
                self.save_samples(os.path.join(self.out_dir, "samples", f"step_{self.step:06d}.png"))
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
                from .pictures import save_curves

                save_curves(self.history, CURVE_KEYS, os.path.join(self.out_dir, "metrics.png"),
                            reference=self.evaluator.baseline)
        return result

    def _write_json(self, name, payload):
        with open(os.path.join(self.out_dir, name), "w") as f:
            json.dump(payload, f, indent=2)
            f.write("\n")

    @torch.no_grad()
    def save_samples(self, path, n=64):
        """A PNG of `n` samples of the (EMA) generator: an image grid, or a scatter plot for points."""
        from .pictures import save_image_grid, save_scatter

        sampler = self.sampler
        was_training = sampler.training
        sampler.eval()
        try:
            gen = torch.Generator().manual_seed(4321)
            if self.data.kind == "points":
                z, labels = self.model.sample_latent(1000, generator=gen, device=self.device)
                save_scatter(sampler(z, labels).cpu(), path, real=self.data.heldout_x[:1000],
                             centers=self.data.centers)
            else:
                z, labels = self.model.sample_latent(n, generator=gen, device=self.device)
                save_image_grid(sampler(z, labels).cpu(), path,
                                nrow=self.model.num_classes if self.model.num_classes else None)
        finally:
            sampler.train(was_training)
        return path

    # -- checkpoints ----------------------------------------------------------------------
    def save(self, path, extra=None):
        """Write a resumable checkpoint (plain state dicts, JSON config)."""
        rng = {"data": self.data_gen.get_state(), "noise": self.noise_gen.get_state()}
        extra = {"history": self.history, "best": self.best, "seed": self.seed, **(extra or {})}
        return save_checkpoint(path, self.model, step=self.step, ema=self.ema, g_optimizer=self.g_opt,
                               d_optimizer=self.d_opt, data=self.data.config, rng=rng, extra=extra)

    def resume(self, path):
        """Restore weights, optimisers, EMA, RNG states, step and history from a checkpoint."""
        payload = read_checkpoint(path)
        if payload["config"]["model"]["name"] != self.model.name:
            raise ValueError(f"{path} holds a {payload['config']['model']['name']!r} model, not {self.model.name!r}")
        self.model.generator.load_state_dict(payload["generator"])
        self.model.discriminator.load_state_dict(payload["discriminator"])
        if self.ema is not None and "ema" in payload:
            self.ema.module.load_state_dict(payload["ema"])
        if "g_optimizer" in payload:
            self.g_opt.load_state_dict(payload["g_optimizer"])
            self.d_opt.load_state_dict(payload["d_optimizer"])
        if "rng" in payload:
            self.data_gen.set_state(payload["rng"]["data"])
            self.noise_gen.set_state(payload["rng"]["noise"])
        self.step = int(payload["step"])
        extra = payload["config"].get("extra", {})
        self.history = list(extra.get("history", []))
        self.best = extra.get("best")
        return self


def _checked_loss_options(loss_fn, options):
    """`options` if `loss_fn` takes them as keywords; a ValueError naming the unknown ones otherwise."""
    options = dict(options or {})
    accepted = set(list(inspect.signature(loss_fn).parameters)[2:])  # after (real_scores, fake_scores)
    unknown = set(options) - accepted
    if unknown:
        raise ValueError(f"d_loss_options {sorted(unknown)} are not keywords of {loss_fn.__name__} "
                         f"(it takes {sorted(accepted) or 'none'})")
    return options


def train(model, data, *, seed=0, steps=None, out_dir=None, device="cpu", model_config=None, data_config=None,
          **trainer_kwargs):
    """Seeded one-call training: build model `model` for data `data` (names) and fit.

    Args:
        model: a family name (fastgan.models.available()).
        data: a data name or folder (fastgan.data.load_data).
        seed: seeds the model's initialisation and the training loop.
        steps / out_dir / device / trainer_kwargs: see Trainer.
        model_config: overrides for fastgan.models.build (recipe fields, architecture).
        data_config: keywords for fastgan.data.load_data (size, channels, conditional).

    Returns:
        (trainer, result dict).
    """
    from ..data import load_data
    from ..models import build

    data_config = dict(data_config or {})
    source = load_data(data, **data_config)
    torch.manual_seed(seed)
    net = build(model, shape=source.shape, num_classes=source.num_classes if model == "cgan" else 0,
                **(model_config or {}))
    trainer = Trainer(net, source, out_dir=out_dir, steps=steps, seed=seed, device=device, **trainer_kwargs)
    return trainer, trainer.fit()
