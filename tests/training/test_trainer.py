"""The Trainer: D/G steps change parameters, checkpoints round-trip and resume, runs reproduce."""
import json

import pytest
import torch

from fastgan.data import load_data
from fastgan.models import build, family
from fastgan.training import Trainer, load_generator, read_checkpoint

FAMILIES = ["cgan", "dcgan", "gan", "lsgan", "wgan", "wgan-gp"]


@pytest.fixture(scope="module")
def ring8():
    return load_data("ring8")


@pytest.fixture(scope="module")
def digits16():
    return load_data("digits", size=16)


def _model(name, source, **overrides):
    torch.manual_seed(0)
    return build(name, shape=source.shape, num_classes=source.num_classes if family(name).conditional else 0,
                 batch_size=16, **overrides)


def _snapshot(module):
    return [p.detach().clone() for p in module.parameters()]


def _changed(before, module):
    return any(not torch.equal(a, b) for a, b in zip(before, module.parameters()))


@pytest.mark.parametrize("data", ["ring8", "digits16"])
@pytest.mark.parametrize("name", FAMILIES)
def test_one_d_step_changes_only_d_and_one_g_step_only_g(name, data, request):
    source = request.getfixturevalue(data)
    model = _model(name, source)
    trainer = Trainer(model, source, progress=False)
    g0, d0 = _snapshot(model.generator), _snapshot(model.discriminator)
    loss = trainer.run_step("d")["d_loss"]
    assert torch.isfinite(torch.tensor(loss))
    assert _changed(d0, model.discriminator) and not _changed(g0, model.generator)
    d1 = _snapshot(model.discriminator)
    trainer.run_step("g")
    assert _changed(g0, model.generator) and not _changed(d1, model.discriminator)
    if model.recipe.clip:
        assert all(p.abs().max() <= model.recipe.clip for p in model.discriminator.parameters())
    if model.recipe.ema_decay:
        ema = trainer.ema["generator"].module
        assert any(not torch.equal(a, b) for a, b in zip(ema.parameters(), g0))
    else:  # 2-D recipes sample the raw generator (an EMA would average between modes)
        assert trainer.ema == {} and trainer.sampling_networks["generator"] is model.generator


def test_train_step_runs_n_critic_discriminator_steps(ring8, monkeypatch):
    trainer = Trainer(_model("wgan-gp", ring8), ring8, progress=False)
    calls = []
    original = trainer.run_step
    monkeypatch.setattr(trainer, "run_step", lambda name: calls.append(name) or original(name))
    trainer.train_step()
    assert calls == ["d"] * 5 + ["g"] and trainer.step == 1


def _run(source, tmp_path, name="wgan-gp", steps=6, seed=3, **kw):
    torch.manual_seed(seed)
    model = build(name, shape=source.shape, num_classes=source.num_classes if family(name).conditional else 0,
                  batch_size=16, ema_decay=0.999)  # with an EMA, so checkpoints carry both generators
    trainer = Trainer(model, source, out_dir=tmp_path, steps=steps, seed=seed, eval_every=3,
                      eval_samples=200, progress=False, **kw)
    return trainer, trainer.fit()


def test_same_seed_same_run_other_seed_differs(ring8, tmp_path):
    a, ra = _run(ring8, tmp_path / "a")
    b, rb = _run(ring8, tmp_path / "b")
    c, rc = _run(ring8, tmp_path / "c", seed=4)
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)
    timeless = lambda r: {k: v for k, v in r["final"].items() if k != "seconds"}  # noqa: E731
    assert timeless(ra) == timeless(rb)
    assert any(not torch.equal(pa, pc) for pa, pc in zip(a.model.parameters(), c.model.parameters()))


def test_fit_writes_every_artefact(ring8, tmp_path):
    trainer, result = _run(ring8, tmp_path)
    for name in ("config.json", "last.pt", "best.pt", "samples.png", "metrics.jsonl", "metrics.json",
                 "metrics.png", "samples/step_000003.png", "samples/step_000006.png"):
        assert (tmp_path / name).is_file(), name
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [3, 6]
    for key in ("fid", "precision", "recall", "density", "coverage", "modes_covered", "high_quality", "d_loss"):
        assert key in lines[-1]
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["final"]["step"] == 6 and saved["best"]["fid"] == min(r["fid"] for r in lines)
    assert saved["real_vs_heldout"]["modes_covered"] == 8  # real data covers every mode


def test_checkpoint_round_trip_and_loads_without_pickles(ring8, tmp_path):
    trainer, _ = _run(ring8, tmp_path)
    payload = read_checkpoint(tmp_path / "last.pt")  # weights_only=True inside
    assert payload["step"] == 6 and payload["config"]["model"]["name"] == "wgan-gp"
    model, config = load_generator(tmp_path / "last.pt")
    for a, b in zip(model.generator.parameters(), trainer.ema["generator"].module.parameters()):
        assert torch.equal(a, b)
    raw, _ = load_generator(tmp_path / "last.pt", use_ema=False)
    for a, b in zip(raw.generator.parameters(), trainer.model.generator.parameters()):
        assert torch.equal(a, b)


def test_resume_continues_exactly(ring8, tmp_path):
    full, rf = _run(ring8, tmp_path / "full", steps=6)
    half, _ = _run(ring8, tmp_path / "half", steps=3)
    torch.manual_seed(99)  # the resumed run must not depend on the global RNG
    model = build("wgan-gp", shape=ring8.shape, batch_size=16, ema_decay=0.999)
    resumed = Trainer(model, ring8, out_dir=tmp_path / "half", steps=6, seed=3, eval_every=3, eval_samples=200,
                      progress=False).resume(tmp_path / "half" / "last.pt")
    assert resumed.step == 3
    rr = resumed.fit()
    for a, b in zip(full.model.parameters(), resumed.model.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert rr["final"]["fid"] == rf["final"]["fid"]


def test_conditional_digits_run_reports_label_accuracy(digits16, tmp_path):
    trainer, result = _run(digits16, tmp_path, name="cgan", steps=2)
    final = result["final"]
    for key in ("fid", "kid", "precision", "recall", "density", "coverage", "label_accuracy"):
        assert key in final
    assert result["real_vs_heldout"]["label_accuracy"] > 0.9  # the classifier knows real digits


def test_mismatched_model_and_data_are_refused(ring8, digits16):
    with pytest.raises(ValueError, match="shape"):
        Trainer(build("gan", shape=(1, 16, 16)), ring8, progress=False)
    unlabelled = load_data("ring8", conditional=False)
    with pytest.raises(ValueError, match="labels"):
        Trainer(build("cgan", shape=(2,), num_classes=8), unlabelled, progress=False)


def test_not_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / "x.pt"
    torch.save({"a": torch.zeros(1)}, path)
    with pytest.raises(ValueError, match="not a fastgan checkpoint"):
        read_checkpoint(path)
    with pytest.raises(FileNotFoundError):
        read_checkpoint(tmp_path / "missing.pt")


def test_d_loss_options_reach_the_discriminator_loss(ring8):
    losses = {}
    for real_label in (1.0, 0.9):
        model = _model("gan", ring8, d_loss_options={"real_label": real_label})
        losses[real_label] = Trainer(model, ring8, progress=False).run_step("d")["d_loss"]
    # Same seed, same batch, same weights: only the smoothed target changes the loss.
    assert losses[0.9] != losses[1.0]


def test_unknown_d_loss_options_are_refused(ring8):
    with pytest.raises(ValueError, match="real_label.*wasserstein_discriminator_loss"):
        _model("wgan", ring8, d_loss_options={"real_label": 0.9})


def test_amp_is_off_on_the_cpu_by_default(ring8):
    assert Trainer(_model("gan", ring8), ring8, progress=False).amp is False


@pytest.mark.parametrize("name", ["dcgan", "wgan-gp"])
def test_bfloat16_autocast_steps_keep_float32_weights(name, digits16):
    # The CUDA default (amp="auto" -> bfloat16 autocast) exercised through the CPU autocast:
    # the weights and optimiser state stay float32, the penalty runs in float32, losses are finite.
    model = _model(name, digits16)
    trainer = Trainer(model, digits16, progress=False, amp=True)
    before = _snapshot(model.generator)
    losses = trainer.train_step()
    assert torch.isfinite(torch.tensor([losses["d_loss"], losses["g_loss"]])).all()
    assert _changed(before, model.generator)
    params = list(model.generator.parameters()) + list(model.discriminator.parameters())
    assert all(p.dtype == torch.float32 for p in params)
