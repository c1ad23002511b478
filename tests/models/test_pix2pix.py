"""pix2pix: steps through the Trainer, the L1-only switch, pictures, checkpoint resume, the CLI and translate."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from fastgan.cli import main
from fastgan.models import build, family
from fastgan.training import Trainer, prepare


def test_two_steps_train_both_networks_and_write_input_output_target_pictures(tmp_path, one_thread):
    trainer = prepare("pix2pix", "digits-edges", steps=2, out_dir=str(tmp_path), progress=False,
                      tensorboard=False, model_config={"ngf": 8, "ndf": 8})
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    result = trainer.fit()
    after = trainer.model.state_dict()
    for net in ("generator", "discriminator"):
        assert any(not before[k].equal(after[k]) for k in after if k.startswith(net + "."))
    final = result["final"]
    assert {"fid", "l1", "label_accuracy", "g_l1"} <= set(final)
    assert 0 <= final["label_accuracy"] <= 1 and final["l1"] > 0
    grid = Image.open(tmp_path / "samples.png")
    assert grid.size == (4 * (8 * 18 + 2), 4 * (3 * 18 + 2))  # 3 rows (input, output, target) of 8, x4


def test_l1_only_leaves_the_discriminator_untouched(one_thread):
    trainer = prepare("pix2pix", "digits-edges", steps=1, progress=False, tensorboard=False,
                      model_config={"ngf": 8, "ndf": 8, "gan_weight": 0.0})
    d_before = {k: v.clone() for k, v in trainer.model.discriminator.state_dict().items()}
    logs = trainer.train_step()
    assert "d_loss" not in logs and "g_gan" not in logs
    assert all(v.equal(trainer.model.discriminator.state_dict()[k]) for k, v in d_before.items())


def test_resume_continues_exactly(tmp_path, one_thread):
    cfg = {"ngf": 8, "ndf": 8}
    full = prepare("pix2pix", "digits-edges", steps=3, progress=False, tensorboard=False, model_config=cfg)
    for _ in range(3):
        full.train_step()
    part = prepare("pix2pix", "digits-edges", steps=3, progress=False, tensorboard=False, model_config=cfg)
    part.train_step()
    part.save(str(tmp_path / "ckpt.pt"))
    resumed = prepare("pix2pix", "digits-edges", steps=3, progress=False, tensorboard=False, model_config=cfg)
    resumed.resume(str(tmp_path / "ckpt.pt"))
    resumed.train_step()
    resumed.train_step()
    for k, v in full.model.generator.state_dict().items():
        assert torch.allclose(v, resumed.model.generator.state_dict()[k], atol=1e-6), k


def test_refuses_unpaired_data_and_has_no_prior():
    model = build("pix2pix", shape=(1, 16, 16), ngf=8, ndf=8)
    from fastgan.data import load_data

    with pytest.raises(ValueError, match="needs paired data"):
        Trainer(model, load_data("digits"), progress=False, tensorboard=False)
    with pytest.raises(ValueError, match="no prior"):
        model.sample(2)
    with pytest.raises(ValueError, match="no reverse"):
        family("pix2pix").translate(model.networks, torch.zeros(1, 1, 16, 16), None, reverse=True)


def test_cli_train_then_translate(tmp_path, one_thread, capsys):
    out = tmp_path / "run"
    assert main(["train", "pix2pix", "--data", "digits-edges", "--steps", "2", "--out", str(out), "--quiet",
                 "--ngf", "8", "--ndf", "8", "--no-tensorboard"]) == 0
    assert json.loads((out / "metrics.json").read_text())["final"]["l1"] > 0
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(2):
        Image.fromarray(np.full((20, 24, 3), 40 * i, dtype=np.uint8)).save(inputs / f"e{i}.png")
    dest = tmp_path / "translated"
    assert main(["translate", str(out / "last.pt"), str(inputs), str(dest)]) == 0
    assert sorted(p.name for p in dest.iterdir()) == ["e0.png", "e1.png"]
    assert Image.open(dest / "e0.png").size == (16, 16)
    assert main(["translate", str(out / "last.pt"), str(inputs), str(dest)]) == 1  # would overwrite
    assert "pass --force" in capsys.readouterr().err
    assert main(["translate", str(out / "last.pt"), str(inputs), str(dest), "--force"]) == 0
    assert main(["translate", str(out / "last.pt"), str(inputs), str(dest), "--reverse", "--force"]) == 1


def test_with_noise_takes_a_fresh_z_per_image_and_reports_diversity(tmp_path, one_thread):
    """z_dim > 0: the BicycleGAN paper's "Pix2Pix with noise" baseline (GAN + L1 only)."""
    trainer = prepare("pix2pix", "digits-edges", steps=1, out_dir=str(tmp_path), progress=False, tensorboard=False,
                      model_config={"ngf": 8, "ndf": 8, "z_dim": 4, "inject": "all", "batch_size": 8})
    final = trainer.fit()["final"]
    assert {"fid", "l1", "label_accuracy", "diversity", "diversity_pretrained"} <= set(final)
    assert Image.open(tmp_path / "samples.png").size == (4 * (8 * 18 + 2), 4 * (6 * 18 + 2))  # 4 rows of outputs
    nets = {k: v.eval() for k, v in trainer.model.networks.items()}
    x = torch.zeros(2, 1, 16, 16)
    with torch.no_grad():
        out = family("pix2pix").translate(nets, x, torch.Generator().manual_seed(0))
    assert (out[0] - out[1]).abs().max() > 0  # one input, two codes
    assert trainer.model.generator.encoder[1][1].in_channels == 8 + 4  # "all": z at every encoder level


def test_without_noise_no_z_and_no_diversity(one_thread):
    trainer = prepare("pix2pix", "digits-edges", steps=1, progress=False, tensorboard=False,
                      model_config={"ngf": 8, "ndf": 8, "batch_size": 8})
    assert trainer.model.generator.z_dim == 0 and "z_dim" not in trainer.model.config["arch"]
    trainer.train_step()
    assert "diversity" not in trainer.evaluate()
