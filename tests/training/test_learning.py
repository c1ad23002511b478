"""Evidence that the families learn (the README's table). Slow: `make test-slow`.

Each run uses the model's default recipe and steps on one CPU thread, seed 0.
"""
import pytest

from fastgan.training import train

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["gan", "wgan", "wgan-gp", "lsgan"])
def test_ring8_modes_and_quality(name, tmp_path):
    _, result = train(name, "ring8", seed=0, out_dir=tmp_path, progress=False)
    final = result["final"]
    assert final["modes_covered"] >= (8 if name == "wgan-gp" else 7), final
    assert final["high_quality"] >= 0.7, final


@pytest.mark.parametrize("name", ["dcgan", "wgan-gp"])
def test_digits_fid_within_3x_of_real(name, tmp_path):
    _, result = train(name, "digits", seed=0, out_dir=tmp_path, progress=False)
    best_fid = result["best"]["fid"]
    assert best_fid <= 3 * result["real_vs_heldout"]["fid"], (best_fid, result["real_vs_heldout"]["fid"])


def test_cgan_digits_label_accuracy(tmp_path):
    _, result = train("cgan", "digits", seed=0, out_dir=tmp_path, progress=False)
    assert result["final"]["label_accuracy"] >= 0.8, result["final"]
