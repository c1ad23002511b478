"""bicyclegan: both paths' steps, both ways of injecting z, the latent loss on G only, z-dependent
outputs, resume, the CLI (train, translate, sample's refusal) and refused data."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from fastgan.cli import main
from fastgan.data import load_data
from fastgan.models import build, family
from fastgan.models.bicyclegan import _encode_as_constant
from fastgan.training import Trainer, load_model, prepare

TINY = {"ngf": 8, "ndf": 8, "nef": 8, "batch_size": 8}


def _trainer(steps=1, **config):
    return prepare("bicyclegan", "digits-edges", steps=steps, progress=False, tensorboard=False,
                   model_config={**TINY, **config})


@pytest.mark.parametrize("inject", ["input", "all"])
def test_one_step_trains_every_network_on_both_paths(inject):
    trainer = _trainer(inject=inject)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    logs = trainer.train_step()
    # cVAE-GAN: L1 to B, KL, d_vae; cLR-GAN: d_lr, the latent L1.
    assert {"d_vae", "d_lr", "eg_gan_vae", "eg_gan_lr", "eg_img_l1", "eg_kl", "eg_latent_l1"} <= set(logs)
    assert all(np.isfinite(v) for v in logs.values())
    after = trainer.model.state_dict()
    for net in ("generator", "encoder", "d_vae", "d_lr"):
        assert any(not before[k].equal(after[k]) for k in after if k.startswith(net + ".")), net


@pytest.mark.parametrize("inject, widened", [("input", [0]), ("all", [0, 1, 2, 3])])
def test_z_enters_the_input_or_every_encoder_level(inject, widened):
    model = build("bicyclegan", shape=(1, 16, 16), inject=inject, z_dim=5, ngf=8)
    convs = [block[-1] if isinstance(block[-1], torch.nn.Conv2d) else block[-2] for block in model.generator.encoder]
    plain = [1, 8, 16, 32]  # the plain U-Net's encoder inputs for ngf 8, 16 px
    assert [c.in_channels - p for c, p in zip(convs, plain)] == [5 if k in widened else 0 for k in range(4)]


@pytest.mark.parametrize("inject", ["input", "all"])
def test_different_z_give_different_outputs_and_a_seed_repeats_them(inject):
    trainer = _trainer(steps=1, inject=inject)
    trainer.train_step()
    nets = trainer.model.networks
    for net in nets.values():
        net.eval()
    x = load_data("digits-edges").heldout_x[:4]
    fam = family("bicyclegan")
    with torch.no_grad():
        a = fam.translate(nets, x, torch.Generator().manual_seed(0))
        b = fam.translate(nets, x, torch.Generator().manual_seed(1))
        again = fam.translate(nets, x, torch.Generator().manual_seed(0))
    assert a.shape == x.shape
    assert (a - b).abs().mean() > 1e-4
    assert torch.equal(a, again)


def test_the_latent_loss_reaches_the_generator_but_not_the_encoder():
    model = build("bicyclegan", shape=(1, 16, 16), **TINY)
    E = model.encoder
    images = torch.randn(3, 1, 16, 16, requires_grad=True)
    _encode_as_constant(E, images).sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0
    assert all(p.grad is None for p in E.parameters())
    assert _encode_as_constant(E, images).shape == (3, 8)


def test_metrics_and_the_picture_show_several_outputs_per_input(tmp_path):
    trainer = prepare("bicyclegan", "digits-edges", steps=1, out_dir=str(tmp_path), progress=False,
                      tensorboard=False, model_config=TINY)
    final = trainer.fit()["final"]
    assert {"fid", "l1", "label_accuracy", "diversity", "diversity_pretrained", "encoded_l1"} <= set(final)
    assert final["diversity"] > 0 and final["diversity_pretrained"] in (0.0, 1.0)
    grid = Image.open(tmp_path / "samples.png")
    assert grid.size == (4 * (8 * 18 + 2), 4 * (6 * 18 + 2))  # input, 4 outputs (one z each), target; x4


def test_resume_continues_exactly(tmp_path):
    full = _trainer(steps=3)
    for _ in range(3):
        full.train_step()
    part = _trainer(steps=3)
    part.train_step()
    part.save(str(tmp_path / "ckpt.pt"))
    resumed = _trainer(steps=3).resume(str(tmp_path / "ckpt.pt"))
    resumed.train_step()
    resumed.train_step()
    for name in ("generator", "encoder", "d_vae", "d_lr"):
        for k, v in getattr(full.model, name).state_dict().items():
            assert torch.allclose(v, getattr(resumed.model, name).state_dict()[k], atol=1e-6), (name, k)


def test_refuses_unpaired_and_unconditional_data_and_bad_recipes():
    model = build("bicyclegan", shape=(1, 16, 16), **TINY)
    for data in ("digits", "digits-inverted"):
        with pytest.raises(ValueError, match="bicyclegan needs paired data"):
            Trainer(model, load_data(data), progress=False, tensorboard=False)
    with pytest.raises(ValueError, match="no prior"):
        model.sample(2)
    with pytest.raises(ValueError, match="no reverse"):
        family("bicyclegan").translate(model.networks, torch.zeros(1, 1, 16, 16), None, reverse=True)
    with pytest.raises(ValueError, match="z_dim must be >= 1"):
        build("bicyclegan", shape=(1, 16, 16), z_dim=0)
    with pytest.raises(ValueError, match="inject must be one of"):
        build("bicyclegan", shape=(1, 16, 16), inject="middle")
    with pytest.raises(ValueError, match="batch_size must be >= 2"):
        build("bicyclegan", shape=(1, 16, 16), batch_size=1)


def test_cli_train_reload_translate_and_sample(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "bicyclegan", "--data", "digits-edges", "--steps", "2", "--out", str(out), "--quiet",
                 "--ngf", "8", "--ndf", "8", "--nef", "8", "--inject", "all", "--batch-size", "8",
                 "--no-tensorboard"]) == 0
    assert json.loads((out / "metrics.json").read_text())["final"]["diversity"] > 0
    model, config = load_model(out / "last.pt")
    assert config["model"]["arch"]["inject"] == "all" and model.generator.z_dim == 8
    inputs = tmp_path / "in"
    inputs.mkdir()
    edge = (np.asarray(load_data("digits-edges").heldout_x[0, 0]) * 127.5 + 127.5).astype(np.uint8)
    for i in range(2):
        Image.fromarray(edge).save(inputs / f"e{i}.png")
    pictures = {}
    for seed in (0, 0, 1):
        dest = tmp_path / f"translated-{seed}"
        assert main(["translate", str(out / "last.pt"), str(inputs), str(dest), "--seed", str(seed), "--force"]) == 0
        pictures.setdefault(seed, []).append([np.asarray(Image.open(dest / f"e{i}.png")) for i in range(2)])
    (first, again), (other,) = pictures[0], pictures[1]
    assert all(np.array_equal(p, q) for p, q in zip(first, again))  # a seed repeats its codes
    assert not np.array_equal(first[0], other[0])  # another seed, other codes
    assert not np.array_equal(first[0], first[1])  # one z per image: the same input, two outputs
    capsys.readouterr()
    assert main(["sample", str(out / "last.pt"), "--out", str(tmp_path / "s.png")]) == 1
    assert "fastgan translate" in capsys.readouterr().err
