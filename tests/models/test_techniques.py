"""fastgan.models.techniques: the improved techniques as recipe fields / architecture options of the
adversarial families, what each changes, and the refusals where one does not apply."""
import pytest
import torch
from torch import nn

from fastgan.data import load_data
from fastgan.models import adversarial_family, build, family, register
from fastgan.models.adversarial import GANRecipe
from fastgan.models.nets import ConvGenerator, MLPDiscriminator
from fastgan.models.techniques import VirtualBatchGenerator, orthogonal_penalty
from fastgan.training import Trainer
from fastgan.training.command import family_parser, run_train

SHAPE = (1, 16, 16)
TECHNIQUES = {
    "feature_matching": {"feature_matching": 1.0},
    "minibatch_discrimination": {"minibatch_discrimination": 4},
    "historical_averaging": {"historical_averaging": 0.5},
    "label_smoothing": {"label_smoothing": 0.1},
    "virtual_batch_norm": {"virtual_batch_norm": True},
    "orthogonal_regularisation": {"orthogonal_regularisation": 1e-3},
}


@pytest.fixture(scope="module")
def digits16():
    return load_data("digits", size=16)


def _trainer(digits, name="dcgan", steps=2, seed=0, **options):
    torch.manual_seed(seed)
    model = build(name, shape=digits.shape, num_classes=digits.num_classes if family(name).conditional else 0,
                  batch_size=8, width=8, **options)
    return Trainer(model, digits, steps=steps, seed=seed, eval_every=0, eval_samples=50, progress=False)


def _state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("technique", sorted(TECHNIQUES))
def test_each_technique_trains_two_steps_and_changes_the_run(technique, digits16):
    base = _trainer(digits16)
    base_losses = [base.train_step() for _ in range(2)]
    trainer = _trainer(digits16, **TECHNIQUES[technique])
    losses = [trainer.train_step() for _ in range(2)]
    assert all(torch.isfinite(torch.tensor(list(r.values()))).all() for r in losses)
    assert losses != base_losses  # the technique is applied, not ignored
    samples = trainer.model.eval().sample(4, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (4, *SHAPE) and torch.isfinite(samples).all()


def test_techniques_are_cli_flags_of_every_adversarial_family():
    for name in ("gan", "dcgan", "cgan", "wgan", "wgan-gp", "lsgan", "sagan", "biggan"):
        text = family_parser(family(name)).format_help()
        for flag in ("--feature-matching", "--historical-averaging", "--label-smoothing",
                     "--orthogonal-regularisation", "--minibatch-discrimination", "--virtual-batch-norm"):
            assert flag in text, (name, flag)


def test_off_by_default_keeps_the_families_as_they_were():
    recipe = build("dcgan", shape=SHAPE).recipe
    assert (recipe.feature_matching, recipe.historical_averaging, recipe.label_smoothing,
            recipe.orthogonal_regularisation) == (0.0, 0.0, 0.0, 0.0)
    torch.manual_seed(0)
    a = build("dcgan", shape=SHAPE)
    torch.manual_seed(0)
    b = build("dcgan", shape=SHAPE, minibatch_discrimination=0, virtual_batch_norm=False)
    assert a.config["arch"] == {} and _state(a).keys() == _state(b).keys()
    for key, value in _state(a).items():
        assert torch.equal(value, _state(b)[key])


def test_discriminators_expose_their_last_hidden_layer():
    torch.manual_seed(0)
    for shape, width in (((2,), 16), (SHAPE, 8)):
        d = build("dcgan", shape=shape, width=width).discriminator.eval()
        x = torch.randn(5, *shape)
        scores, features = d.score_and_features(x)
        assert torch.equal(scores, d(x)) and features.shape[0] == 5 and features.dim() == 2


def test_feature_matching_logs_its_term_and_uses_a_real_batch(digits16):
    trainer = _trainer(digits16, feature_matching=2.0)
    record = trainer.train_step()
    assert record["g_feature_matching"] > 0


def test_minibatch_discrimination_makes_scores_depend_on_the_batch():
    torch.manual_seed(0)
    d = build("dcgan", shape=SHAPE, width=8, minibatch_discrimination=4, d_norm="none").discriminator.eval()
    x = torch.randn(6, *SHAPE)
    alone = d(x[:3])
    together = d(torch.cat([x[:3], x[:3]]))[:3]  # duplicates are maximally close: the statistics change
    assert not torch.allclose(alone, together)
    plain = build("dcgan", shape=SHAPE, width=8, d_norm="none").discriminator.eval()
    torch.testing.assert_close(plain(x[:3]), plain(torch.cat([x[:3], x[3:]]))[:3])


def test_virtual_batch_norm_makes_a_sample_independent_of_its_batch():
    torch.manual_seed(0)
    g = build("dcgan", shape=SHAPE, width=8, virtual_batch_norm=True).generator
    assert isinstance(g, VirtualBatchGenerator)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in g.modules())
    z = torch.randn(6, g.z_dim)
    torch.testing.assert_close(g(z[:2]), g(z)[:2])  # in training mode too
    plain = build("dcgan", shape=SHAPE, width=8).generator
    assert not torch.allclose(plain(z[:2]), plain(z)[:2], atol=1e-4)  # batch norm mixes the batch


def test_historical_averaging_penalty_is_the_distance_to_the_mean_of_past_parameters(digits16):
    trainer = _trainer(digits16, historical_averaging=0.5, steps=3)
    history = [[p.detach().clone() for p in trainer.model.generator.parameters()]]  # the initial values count
    for _ in range(3):
        trainer.train_step()
        history.append([p.detach().clone() for p in trainer.model.generator.parameters()])
    opt = trainer.optimizers["generator"]
    for i, p in enumerate(trainer.model.generator.parameters()):
        mean = torch.stack([h[i] for h in history]).mean(0)
        torch.testing.assert_close(opt.state[p]["historical_average"], mean)


def test_historical_averaging_resumes_exactly(digits16, tmp_path):
    full = _trainer(digits16, historical_averaging=0.5, steps=3)
    full.out_dir = None
    for _ in range(3):
        full.train_step()
    half = _trainer(digits16, historical_averaging=0.5, steps=3)
    for _ in range(2):
        half.train_step()
    half.save(tmp_path / "half.pt")
    resumed = _trainer(digits16, historical_averaging=0.5, steps=3, seed=0).resume(tmp_path / "half.pt")
    resumed.train_step()
    for key, value in _state(full.model).items():
        torch.testing.assert_close(_state(resumed.model)[key], value, rtol=0, atol=0, msg=key)


def test_orthogonal_penalty_is_zero_for_orthogonal_rows_only():
    net = nn.Linear(4, 3, bias=False)
    with torch.no_grad():
        net.weight.copy_(torch.eye(4)[:3] * 2.0)  # orthogonal rows of any norm: BigGAN's variant ignores the diagonal
    assert float(orthogonal_penalty(net).detach()) == 0.0
    with torch.no_grad():
        net.weight[1, 0] = 1.0
    assert float(orthogonal_penalty(net).detach()) == pytest.approx(2 * 2.0 ** 2)


# -- refusals ---------------------------------------------------------------------------------
class _ScoresOnly(nn.Module):
    """A discriminator that returns scores and nothing else."""

    def __init__(self, shape):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(int(torch.tensor(shape).prod()), 1))

    def forward(self, x, labels=None):
        return self.net(x).squeeze(1)


def _plain_make(shape, num_classes, z_dim=None):
    return ConvGenerator(shape, z_dim=8, width=8), _ScoresOnly(shape), GANRecipe()


def test_feature_matching_with_a_discriminator_without_features_is_refused():
    register(adversarial_family("test-scores-only", "a GAN whose D exposes no features", _plain_make))
    build("test-scores-only", shape=SHAPE)  # fine without the technique
    with pytest.raises(ValueError, match="feature_matching needs a discriminator.*_ScoresOnly returns only scores"):
        build("test-scores-only", shape=SHAPE, feature_matching=1.0)
    with pytest.raises(ValueError, match="minibatch_discrimination is not available.*_ScoresOnly"):
        build("test-scores-only", shape=SHAPE, minibatch_discrimination=4)


def test_techniques_a_family_cannot_use_are_refused_with_why():
    with pytest.raises(ValueError, match="label_smoothing smooths the real target of a BCE loss.*'wasserstein'"):
        build("wgan", shape=SHAPE, label_smoothing=0.1)
    with pytest.raises(ValueError, match="label_smoothing.*'hinge'"):
        build("sagan", shape=SHAPE, label_smoothing=0.1)
    with pytest.raises(ValueError, match="minibatch_discrimination makes each critic score depend on the whole "
                                         "batch.*gradient penalty"):
        build("wgan-gp", shape=SHAPE, minibatch_discrimination=4)
    with pytest.raises(ValueError, match="virtual_batch_norm replaces the generator's batch norm.*MLPGenerator"):
        build("gan", shape=SHAPE, virtual_batch_norm=True)
    with pytest.raises(ValueError, match="label_smoothing and d_loss_options.real_label"):
        build("dcgan", shape=SHAPE, label_smoothing=0.1, d_loss_options={"real_label": 0.9})
    with pytest.raises(ValueError, match=r"label_smoothing must lie in \[0, 1\)"):
        build("dcgan", shape=SHAPE, label_smoothing=1.0)
    for name in ("feature_matching", "historical_averaging", "orthogonal_regularisation"):
        with pytest.raises(ValueError, match=f"{name} is a loss weight and must be >= 0"):
            build("dcgan", shape=SHAPE, **{name: -1.0})
    with pytest.raises(ValueError, match="minibatch_discrimination is a number of kernels"):
        build("dcgan", shape=SHAPE, minibatch_discrimination=-2)


def test_cli_trains_with_technique_flags_and_refuses_what_does_not_apply(tmp_path, capsys):
    lines = []
    status = run_train("dcgan", ["--data", "digits", "--steps", "1", "--out", str(tmp_path / "run"), "--quiet",
                                 "--width", "8", "--batch-size", "8", "--eval-samples", "50",
                                 "--feature-matching", "1", "--minibatch-discrimination", "4",
                                 "--historical-averaging", "0.1", "--label-smoothing", "0.1",
                                 "--virtual-batch-norm", "true"], out=lines.append)
    assert status == 0 and (tmp_path / "run" / "last.pt").is_file()
    with pytest.raises(ValueError, match="label_smoothing"):
        run_train("wgan", ["--data", "digits", "--steps", "1", "--out", str(tmp_path / "wgan"),
                           "--label-smoothing", "0.1"], out=lines.append)
    assert not (tmp_path / "wgan").exists()
