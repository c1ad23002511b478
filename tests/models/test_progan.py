"""fastgan.models.progan: the growth schedule, fade-in in both networks, training through the Trainer."""
import pytest
import torch

from fastgan.models import build
from fastgan.models.progan import faded_reals, schedule, schedule_length
from fastgan.training.trainer import prepare


def test_schedule_stable_then_fade_per_resolution():
    assert schedule(0, 3, 10, 4) == (0, 1.0) and schedule(9, 3, 10, 4) == (0, 1.0)
    assert schedule(10, 3, 10, 4) == (1, 0.0) and schedule(12, 3, 10, 4) == (1, 0.5)
    assert schedule(14, 3, 10, 4) == (1, 1.0) and schedule(24, 3, 10, 4) == (2, 0.0)
    assert schedule(10_000, 3, 10, 4) == (2, 1.0)
    assert schedule_length(3, 10, 4) == 38 and schedule(38, 3, 10, 4) == (2, 1.0)


def test_fade_in_blends_the_old_and_new_paths_in_both_networks():
    torch.manual_seed(0)
    model = build("progan", shape=(3, 16, 16))
    G, D = model.generator, model.discriminator
    z, x = torch.randn(4, G.z_dim), torch.randn(4, 3, 16, 16)
    G.set_progress(0, 1.0), D.set_progress(0, 1.0)
    low, d_low = G(z), D(x)
    assert low.shape == (4, 3, 16, 16)
    assert torch.equal(low, low.view(4, 3, 4, 4, 4, 4)[:, :, :, :1, :, :1].repeat_interleave(4, 3)
                       .repeat_interleave(4, 5).view(4, 3, 16, 16))  # a 4x4 image, upsampled
    G.set_progress(1, 0.0), D.set_progress(1, 0.0)
    torch.testing.assert_close(G(z), low)  # alpha = 0: only the upsampled old path
    torch.testing.assert_close(D(x), d_low)
    G.set_progress(1, 1.0), D.set_progress(1, 1.0)
    new, d_new = G(z), D(x)
    G.set_progress(1, 0.25), D.set_progress(1, 0.25)
    torch.testing.assert_close(G(z), torch.lerp(low, new, 0.25))
    assert not torch.allclose(new, low) and not torch.allclose(d_new, d_low)
    real = faded_reals(x, 1, 0.0)
    assert real.shape == (4, 3, 8, 8)
    torch.testing.assert_close(real, torch.nn.functional.interpolate(
        torch.nn.functional.avg_pool2d(x, 4), scale_factor=2, mode="nearest"))
    with pytest.raises(ValueError, match="S in"):
        build("progan", shape=(3, 24, 24))


def test_training_grows_through_the_phases_and_resumes(tmp_path):
    cfg = {"stable_steps": 2, "fade_steps": 2, "batch_size": 8, "width": 16}
    kw = dict(seed=0, model_config=cfg, data_config={"size": 16}, eval_every=3, eval_samples=64, progress=False)
    trainer = prepare("progan", "shapes", steps=8, out_dir=str(tmp_path / "a"), **kw)
    assert trainer.steps == 8 and trainer.model.recipe.steps == schedule_length(3, 2, 2)  # --steps 8 cuts it short
    result = trainer.fit()
    phases = [(r["step"], r["resolution"], r["alpha"]) for r in trainer.history]
    # Each evaluation sees the phase of the last step trained (step s - 1).
    want = [(3, 8, 0.0), (6, 8, 1.0), (8, 16, 0.5)]
    assert phases == want == [(s, 4 << schedule(s - 1, 3, 2, 2)[0], schedule(s - 1, 3, 2, 2)[1]) for s in (3, 6, 8)]
    assert int(trainer.sampling_networks["generator"].level) == 2  # the EMA copy grew too
    assert result["final"]["fid"] > 0
    # Resume at step 3 (mid fade) reproduces the uninterrupted run.
    half = prepare("progan", "shapes", steps=3, out_dir=str(tmp_path / "b"), **kw)
    half.fit()
    resumed = prepare("progan", "shapes", steps=8, out_dir=str(tmp_path / "c"), **kw).resume(str(tmp_path / "b/last.pt"))
    resumed.fit()
    for a, b in zip(trainer.model.state_dict().values(), resumed.model.state_dict().values()):
        torch.testing.assert_close(a, b)


def test_the_run_length_follows_an_overridden_schedule_unless_steps_is_given():
    # 32 px: 4 resolutions, so 4 stable phases and 3 fades.
    assert build("progan", shape=(3, 32, 32), stable_steps=300, fade_steps=200).recipe.steps == 4 * 300 + 3 * 200
    assert build("progan", shape=(3, 32, 32)).recipe.steps == schedule_length(4, 150, 150)
    given = build("progan", shape=(3, 32, 32), stable_steps=300, steps=500)
    assert given.recipe.steps == 500
    # A saved config rebuilds the same recipe.
    assert type(given).from_config(given.config).recipe.steps == 500


def test_min_width_stops_the_channel_halving():
    from fastgan.models.progan import channels_at

    assert [channels_at(level, 32) for level in range(4)] == [32, 32, 16, 8]
    assert [channels_at(level, 32, min_width=16) for level in range(4)] == [32, 32, 16, 16]
    assert [channels_at(level, 64, min_width=32) for level in range(5)] == [64, 64, 32, 32, 32]
    # It never widens a network beyond `width`.
    assert [channels_at(level, 16, min_width=32) for level in range(4)] == [16, 16, 16, 16]
    for name, extra in (("progan", {}), ("stylegan", {"d_width": 0, "d_min_width": 0})):
        model = build(name, shape=(3, 32, 32), width=16, min_width=16, **extra)
        assert model.discriminator.from_rgb[3].weight.shape[0] == 16
        x = model.sample(4, generator=torch.Generator().manual_seed(0))
        assert x.shape == (4, 3, 32, 32)


def test_stylegans_default_critic_is_wider_than_its_generator():
    model = build("stylegan", shape=(3, 32, 32))
    assert [rgb.weight.shape[0] for rgb in model.discriminator.from_rgb] == [64, 64, 32, 32]
    assert model.generator.synthesis.to_rgb.weight.shape[1] == 8  # synthesis: 32, 32, 16, 8
