"""Every registered family through the one Trainer: a step, a checkpoint that reloads and samples, exact resume."""
import dataclasses

import pytest
import torch

from fastgan.data import load_data
from fastgan.models import available, build, family
from fastgan.training import Trainer, load_model, read_checkpoint


@pytest.fixture(scope="module")
def digits16():
    return load_data("digits", size=16)


def _data_for(fam, source):
    """`source`, with the inverted digits as a second domain for families that consume two domains,
    and the built-in edges -> digits pairs for families that consume paired data."""
    if fam.data == "paired":
        return load_data("digits-edges", size=source.shape[-1])
    if fam.data == "two-domain" and "two-domain" not in source.kinds:
        source = dataclasses.replace(source, extra={**source.extra, "domain_b": -source.x,
                                                    "heldout_b": -source.heldout_x})
    return source


def _trainer(name, source, out_dir, steps=2, seed=5):
    torch.manual_seed(seed)
    fam = family(name)
    source = _data_for(fam, source)
    model = build(name, shape=source.shape, num_classes=source.num_classes if fam.conditional else 0,
                  num_items=len(source.x), batch_size=8, ema_decay=0.999)
    return Trainer(model, source, out_dir=out_dir, steps=steps, seed=seed, eval_every=1, eval_samples=100,
                   progress=False)


def _parameters(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("name", available())
def test_every_family_trains_checkpoints_samples_and_resumes(name, digits16, tmp_path):
    full = _trainer(name, digits16, tmp_path / "full")
    before = _parameters(full.model)
    result = full.fit()
    after = _parameters(full.model)
    assert any(not torch.equal(before[k], after[k]) for k in before)  # something learned
    final = result["final"]
    assert final["step"] == 2
    if full.model.family.prior_samples:
        assert "fid" in final and "coverage" in final
    else:  # translations report their own metrics in the target domain's feature space
        assert any(k.startswith("fid") for k in final), final
    losses = [k for k in result["final"] if k.endswith("_loss")]
    assert losses, result["final"]

    # The checkpoint is plain tensors + JSON, rebuilds the model and samples like the Trainer does.
    payload = read_checkpoint(tmp_path / "full" / "last.pt")
    assert set(payload["networks"]) == set(full.model.network_names)
    model, config = load_model(tmp_path / "full" / "last.pt")
    assert config["model"]["name"] == name
    if model.family.prior_samples:
        samples = model.sample(4, generator=torch.Generator().manual_seed(0))
    else:  # a translation: the reloaded model maps inputs to outputs
        samples = model.family.translate(model.networks, digits16.heldout_x[:4], torch.Generator().manual_seed(0))
    assert samples.shape == (4, *digits16.shape) and torch.isfinite(samples).all()

    # One step, save, a fresh Trainer resumed from it: the same weights as two steps straight.
    half = _trainer(name, digits16, tmp_path / "half", steps=1)
    half.fit()
    torch.manual_seed(123)  # resuming must not depend on the global RNG
    resumed = _trainer(name, digits16, tmp_path / "half", steps=2).resume(tmp_path / "half" / "last.pt")
    assert resumed.step == 1
    resumed.fit()
    for key, value in _parameters(resumed.model).items():
        torch.testing.assert_close(value, after[key], rtol=0, atol=0, msg=f"{name}: {key}")


def test_data_a_family_cannot_consume_is_refused_before_training(digits16):
    ring8 = load_data("ring8")
    with pytest.raises(ValueError, match="vae models images"):
        build("vae", shape=ring8.shape)
    unlabelled = load_data("digits", conditional=False)
    cgan = build("cgan", shape=unlabelled.shape, num_classes=10)
    with pytest.raises(ValueError, match="cgan needs labelled data"):
        Trainer(cgan, unlabelled, progress=False)
    glo = build("glo", shape=digits16.shape, num_items=10)
    with pytest.raises(ValueError, match="built for 10 training samples"):
        Trainer(glo, digits16, progress=False)
    with pytest.raises(ValueError, match="num_items"):
        build("glo", shape=digits16.shape)
    with pytest.raises(ValueError, match="shape"):
        Trainer(build("imle", shape=(1, 32, 32)), digits16, progress=False)


def test_unknown_options_are_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown options \['bta'\].*'beta'.*z_dim"):
        build("vae", shape=(1, 16, 16), bta=2.0)
    with pytest.raises(ValueError, match="variant must be one of"):
        build("imle", shape=(1, 16, 16), variant="nearest")
