"""Evidence that the families learn (the README's tables). Slow: `make test-slow`.

Each run uses the model's default recipe and steps on one CPU thread. Digits runs are
shared between the tests that compare families (one run per family and seed).
"""
import functools

import pytest

from fastgan.training import train

pytestmark = pytest.mark.slow

SEEDS = (0, 1, 2)


@pytest.mark.parametrize("name", ["gan", "wgan", "wgan-gp", "lsgan"])
def test_ring8_modes_and_quality(name, tmp_path):
    _, result = train(name, "ring8", seed=0, out_dir=tmp_path, progress=False)
    final = result["final"]
    assert final["modes_covered"] >= (8 if name == "wgan-gp" else 7), final
    assert final["high_quality"] >= 0.7, final


@functools.lru_cache(maxsize=None)
def digits_run(name, seed):
    """(metrics of the evaluation with the lowest FID, result dict) of a default run on 16 px digits."""
    trainer, result = train(name, "digits", seed=seed, progress=False)
    best = min(trainer.history, key=lambda r: r["fid"])
    return best, result


@pytest.mark.parametrize("name", ["dcgan", "wgan-gp"])
def test_digits_fid_within_3x_of_real(name):
    best, result = digits_run(name, 0)
    assert best["fid"] <= 3 * result["real_vs_heldout"]["fid"], (best["fid"], result["real_vs_heldout"]["fid"])


def test_cgan_digits_label_accuracy():
    _, result = digits_run("cgan", 0)
    assert result["final"]["label_accuracy"] >= 0.8, result["final"]


def test_vae_learns_digits():
    best, result = digits_run("vae", 0)
    assert best["fid"] <= 10 * result["real_vs_heldout"]["fid"], best  # measured 31.3 against real 3.76
    # Nats per image: below 0 only once the decoder's sigma has left 1 (where it starts near +330).
    assert result["final"]["heldout_nelbo"] < 0, result["final"]


@pytest.mark.parametrize("seed", SEEDS)
def test_imle_coverage_at_least_dcgans(seed):
    imle, _ = digits_run("imle", seed)
    dcgan, _ = digits_run("dcgan", seed)
    assert imle["coverage"] >= dcgan["coverage"], (imle, dcgan)


@pytest.mark.xfail(reason="measured (README): IMLE's recall stays near 0.75 on digits, DCGAN's is above 0.9; "
                          "blurred samples sit in a tighter region of the feature space", strict=False)
@pytest.mark.parametrize("seed", SEEDS)
def test_imle_recall_at_least_dcgans(seed):
    imle, _ = digits_run("imle", seed)
    dcgan, _ = digits_run("dcgan", seed)
    assert imle["recall"] >= dcgan["recall"], (imle, dcgan)


@pytest.mark.parametrize("seed", SEEDS)
def test_glann_beats_pixel_imle_on_fid(seed):
    glann, _ = digits_run("glann", seed)
    imle, _ = digits_run("imle", seed)
    assert glann["fid"] < imle["fid"], (glann["fid"], imle["fid"])


@pytest.mark.parametrize("seed", SEEDS)
def test_glo_reconstructs_and_glann_samples_new_images(seed):
    _, glo = digits_run("glo", seed)
    _, glann = digits_run("glann", seed)
    assert glo["final"]["recon_l2"] < 0.01, glo["final"]  # mean squared error per pixel, pixels in [-1, 1]
    assert glann["final"]["train_nn_l2"] > 0.5 * glann["real_vs_heldout"]["train_nn_l2"], glann["final"]
