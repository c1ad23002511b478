"""Slow evidence (make test-slow): ProGAN and StyleGAN on the shapes set, seeds 0, 1, 2.

Each test trains the family's default recipe (`fastgan train progan|stylegan --data shapes
--seed S --threads 1 --eval-every 75|100`, a few minutes on one CPU thread) and checks the
issue's claims; the README's ProGAN/StyleGAN rows are these measurements. Claims that did
not hold when measured are marked xfail (strict) with the numbers, so that a change that
makes them hold shows up.

PPL: LPIPS-VGG's pretrained weights cannot be downloaded on the machine these rows were
measured on, so `stylegan_measurements` uses the pretrained LPIPS when it is cached and a
seeded random-weight LPIPS-VGG otherwise (it says which), a proxy distance, not the
published metric.
"""
import json
import math

import pytest
import torch

from fastgan.training.trainer import prepare

SEEDS = (0, 1, 2)
PSIS = (1.0, 0.8, 0.6, 0.4)


_RUNS = {}


def _train(family, seed, tmp_path_factory, eval_every):
    """(trainer, result) of the family's default recipe on shapes, trained once per session and seed."""
    key = (family, seed)
    if key not in _RUNS:
        torch.set_num_threads(1)
        out = tmp_path_factory.mktemp(f"{family}-s{seed}")
        trainer = prepare(family, "shapes", seed=seed, out_dir=str(out), eval_every=eval_every, progress=False)
        _RUNS[key] = (trainer, trainer.fit())
    return _RUNS[key]


def _lpips():
    from fastgan.networks import LPIPS
    from fastgan.networks.weights import load_seeded

    try:
        return LPIPS("vgg"), "pretrained LPIPS-VGG"
    except Exception:  # weights not cached and no network
        return load_seeded(LPIPS("vgg", pretrained=False)), "seeded random-weight LPIPS-VGG (proxy)"


@torch.no_grad()
def stylegan_measurements(trainer, ppl_samples=500):
    """{"ppl_z", "ppl_w", "lpips", "truncation": {psi: {fid, precision, recall}}} of the trained (EMA) StyleGAN."""
    from fastgan.metrics import perceptual_path_length

    nets = trainer.sampling_networks
    G = nets["generator"].eval()
    lpips, which = _lpips()
    opts = dict(num_samples=ppl_samples, resize=32, lpips_model=lpips, batch_size=50, seed=0)
    out = {"lpips": which,
           "ppl_z": perceptual_path_length(G, space="z", **opts)[0],
           "ppl_w": perceptual_path_length(G, space="w", **opts)[0], "truncation": {}}
    evaluator = trainer.evaluator
    for psi in PSIS:  # the same 1000 latents for every psi
        gen = torch.Generator().manual_seed(1234)
        fake = torch.cat([trainer.model.sample(500, generator=gen, networks=nets, truncation=psi) for _ in range(2)])
        score = evaluator.score(fake.float().cpu())
        out["truncation"][psi] = {k: score[k] for k in ("fid", "precision", "recall")}
    return out


def _phases(history):
    return sorted({(int(r["resolution"]), r["alpha"] < 1.0) for r in history})


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_progan_grows_through_every_phase_on_shapes(seed, tmp_path_factory):
    trainer, result = _train("progan", seed, tmp_path_factory, 75)
    # The curve holds an evaluation in every resolution's fade-in and stable phase.
    assert _phases(trainer.history) == [(4, False), (8, False), (8, True), (16, False), (16, True), (32, False),
                                        (32, True)]
    print(json.dumps({"seed": seed, "final": result["final"], "best": result["best"]}))
    assert math.isfinite(result["final"]["fid"])
    # The fade-in picture (README): one row per evaluation, the same latents in every row.
    from fastgan.training.timeline import timeline

    picture, shown = timeline(trainer.out_dir, label_keys=("resolution", "alpha"), max_rows=len(trainer.history))
    assert shown == [int(r["step"]) for r in trainer.history] and picture.shape[0] > 0


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured (README): final FID 506 / 139 / 177 vs 3 x 3.42 real-vs-held-out")
@pytest.mark.parametrize("seed", SEEDS)
def test_progan_fid_within_3x_of_real_vs_heldout(seed, tmp_path_factory):
    _, result = _train("progan", seed, tmp_path_factory, 75)
    assert result["final"]["fid"] <= 3 * result["real_vs_heldout"]["fid"]


_MEASURED = {}


def _stylegan(seed, tmp_path_factory):
    if seed not in _MEASURED:
        trainer, result = _train("stylegan", seed, tmp_path_factory, 100)
        m = stylegan_measurements(trainer)
        print(json.dumps({"seed": seed, "final": result["final"], **m}))
        _MEASURED[seed] = (result, m)
    return _MEASURED[seed]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_stylegan_ppl_in_w_below_z(seed, tmp_path_factory):
    _, m = _stylegan(seed, tmp_path_factory)
    assert m["ppl_w"] < m["ppl_z"]


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured (README): FID 122.5 / 228.9 / 139.2 vs 3 x 3.42 real-vs-held-out")
@pytest.mark.parametrize("seed", SEEDS)
def test_stylegan_fid_within_3x_of_real_vs_heldout(seed, tmp_path_factory):
    result, m = _stylegan(seed, tmp_path_factory)
    assert m["truncation"][1.0]["fid"] <= 3 * result["real_vs_heldout"]["fid"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_stylegan_truncation_trades_recall_for_precision(seed, tmp_path_factory):
    _, m = _stylegan(seed, tmp_path_factory)
    table = m["truncation"]
    assert table[0.4]["recall"] <= table[1.0]["recall"]
    # Held on all three seeds once the critic was widened (README); before, seed 1's precision fell.
    assert table[0.4]["precision"] >= table[1.0]["precision"]
