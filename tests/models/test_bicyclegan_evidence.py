"""Evidence for BicycleGAN (slow; `make test-slow`): the README's rows.

On digits-edges, seeds 0, 1, 2, 1000 iterations each, one CPU thread, three models with the
same U-Net and PatchGAN sizes: `bicyclegan` (default recipe: the paper's weights, z_dim 8,
z into the input), `pix2pix --z-dim 8` (Pix2Pix with noise, the paper's baseline: GAN + L1
only) and the plain `pix2pix`. Claims (issue 14):
- diversity (mean LPIPS between two outputs for one held-out input, 100 inputs x 2 pairs)
  of BicycleGAN clearly above Pix2Pix with noise: at least twice as large;
- FID of BicycleGAN's outputs for random z not worse than Pix2Pix's by more than 20%
  (checked against both Pix2Pix with noise and the plain Pix2Pix).
LPIPS-VGG's published weights cannot be downloaded on the machine these rows were measured
on: the diversity is then measured with the seeded random-weight LPIPS-VGG, a proxy distance
(the JSON line says which: "diversity_pretrained"). Each run prints one JSON line (pytest -s).
Measured (README): the diversity claim holds on every seed (8.5x / 9.0x / 9.4x); the FID
claim fails against Pix2Pix with noise on every seed (xfail, strict) and holds against the
plain Pix2Pix. About 30 minutes for the nine runs on one CPU thread.
"""
import json
import time

import pytest
import torch

from fastgan.training import train

STEPS = 1000
SEEDS = (0, 1, 2)
MODELS = {"bicyclegan": ("bicyclegan", {}), "pix2pix-noise": ("pix2pix", {"z_dim": 8}), "pix2pix": ("pix2pix", {})}
_RUNS = {}


def _final(key, seed):
    """Final metrics of MODELS[key] on digits-edges for `seed`, trained once per session."""
    if (key, seed) not in _RUNS:
        torch.set_num_threads(1)
        name, config = MODELS[key]
        start = time.perf_counter()
        _, result = train(name, "digits-edges", seed=seed, steps=STEPS, eval_every=250, progress=False,
                          tensorboard=False, model_config=config)
        final = result["final"]
        print(json.dumps({"model": key, "seed": seed, "config": config, "wall_s": round(time.perf_counter() - start),
                          "final": final}))
        _RUNS[key, seed] = final
    return _RUNS[key, seed]


@pytest.mark.slow
def test_the_distance_between_different_real_digits_sets_the_scale():
    """For scale (a line in the README): mean LPIPS between held-out targets i and i+1 (other digits)."""
    from fastgan.data import load_data
    from fastgan.models.diversity import lpips_model

    targets = load_data("digits-edges").extra["heldout_target"][:201].expand(-1, 3, -1, -1)
    model, which = lpips_model()
    with torch.no_grad():
        scale = float(model(targets[:-1], targets[1:]).mean())
    print(json.dumps({"lpips": which, "different_real_digits": scale}))
    assert scale > 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_bicyclegan_outputs_are_more_diverse_than_pix2pix_with_noise(seed):
    assert _final("bicyclegan", seed)["diversity"] >= 2 * _final("pix2pix-noise", seed)["diversity"]


@pytest.mark.slow
@pytest.mark.parametrize("baseline", [
    pytest.param("pix2pix-noise", marks=pytest.mark.xfail(strict=True, reason=(
        "measured (README): bicyclegan FID 2.95 / 2.01 / 2.61 vs Pix2Pix with noise 1.45 / 1.67 / 1.76 "
        "(2.03x / 1.21x / 1.48x) on seeds 0 / 1 / 2"))),
    "pix2pix"])  # plain Pix2Pix 4.66 / 4.00 / 2.35: holds on every seed (0.63x / 0.50x / 1.11x)
@pytest.mark.parametrize("seed", SEEDS)
def test_bicyclegan_fid_within_20_percent_of_pix2pix(seed, baseline):
    assert _final("bicyclegan", seed)["fid"] <= 1.2 * _final(baseline, seed)["fid"]
