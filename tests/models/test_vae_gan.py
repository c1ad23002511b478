"""vae-gan: one iteration updates encoder, decoder and discriminator on their own losses; it samples and resumes."""
import torch

from fastgan.training import prepare

CFG = {"z_dim": 8, "width": 16, "batch_size": 16}


def test_steps_update_each_network_and_sampling_is_seeded(tmp_path, one_thread):
    trainer = prepare("vae-gan", "digits", steps=2, out_dir=str(tmp_path), progress=False, tensorboard=False,
                      eval_samples=200, model_config=CFG)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    result = trainer.fit()
    after = trainer.model.state_dict()
    for net in ("encoder", "decoder", "discriminator"):
        assert any(not before[k].equal(after[k]) for k in after if k.startswith(net + ".")), net
    final = result["final"]
    assert {"fid", "e_kl", "e_feature", "g_gan", "d_loss"} <= set(final)
    model = trainer.model.eval()
    a = model.sample(4, generator=torch.Generator().manual_seed(3))
    b = model.sample(4, generator=torch.Generator().manual_seed(3))
    assert a.shape == (4, 1, 16, 16) and a.equal(b)
    assert (tmp_path / "samples.png").exists()


def test_resume_continues_exactly(tmp_path, one_thread):
    full = prepare("vae-gan", "digits", steps=2, progress=False, tensorboard=False, model_config=CFG)
    full.train_step()
    full.save(str(tmp_path / "v.pt"))
    again = prepare("vae-gan", "digits", steps=2, progress=False, tensorboard=False, model_config=CFG)
    again.resume(str(tmp_path / "v.pt"))
    full.train_step()
    again.train_step()
    for k, v in full.model.decoder.state_dict().items():
        assert torch.allclose(v, again.model.decoder.state_dict()[k], atol=1e-6), k
