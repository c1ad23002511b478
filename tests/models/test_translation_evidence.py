"""Evidence for the image-to-image families (slow; `make test-slow`): the README's rows.

Each test trains with one CPU thread and prints its numbers as one JSON line (pytest -s).
- pix2pix on digits-edges: FID of held-out outputs vs targets below the same U-Net trained
  with L1 only (gan_weight=0), L1 to the targets reported.
- cyclegan on digits-inverted: label accuracy of translations under the target domain's
  classifier >= 90% both ways; cycle L1 and FID per domain reported.
"""
import json

import pytest
import torch

from fastgan.training import train

STEPS = 1000


def _run(model, data, seed, **config):
    torch.set_num_threads(1)
    _, result = train(model, data, seed=seed, steps=STEPS, eval_every=250, progress=False, tensorboard=False,
                      model_config=config)
    final = result["final"]
    print(json.dumps({"model": model, "data": data, "seed": seed, "config": config, "final": final}))
    return final


@pytest.mark.slow
@pytest.mark.xfail(reason="measured at 1000 steps: the L1-only U-Net has the lower FID on seeds 0, 1 and 2 "
                          "(2.10/3.02/2.19 vs 4.66/4.00/2.35 with the GAN loss); see the README", strict=False)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pix2pix_gan_loss_lowers_fid_against_l1_only(seed):
    gan = _run("pix2pix", "digits-edges", seed)
    l1_only = _run("pix2pix", "digits-edges", seed, gan_weight=0.0)
    assert gan["fid"] < l1_only["fid"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.xfail(
    reason="measured: seed 1 learns a cycle-consistent relabelling (2.5% / 3.3% label accuracy, cycle L1 0.074)",
    strict=False)), 2])
def test_cyclegan_keeps_digit_labels_both_ways(seed):
    final = _run("cyclegan", "digits-inverted", seed)
    assert final["a2b_label_accuracy"] >= 0.9 and final["b2a_label_accuracy"] >= 0.9


VAE_STEPS = 1500


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vae_gan_fid_below_the_plain_vae(seed):
    """Same encoder/decoder size (z_dim 32, width 64) and iterations; FID on digits (classifier features)."""
    torch.set_num_threads(1)
    finals = {}
    for model in ("vae-gan", "vae"):
        _, result = train(model, "digits", seed=seed, steps=VAE_STEPS, eval_every=500, progress=False,
                          tensorboard=False, model_config={"z_dim": 32, "width": 64})
        finals[model] = result["final"]
        print(json.dumps({"model": model, "data": "digits", "seed": seed, "final": result["final"]}))
    assert finals["vae-gan"]["fid"] < finals["vae"]["fid"]
