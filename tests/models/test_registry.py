"""fastgan.models: every family builds for every data kind, and one D and one G step learn something."""
import json

import pytest
import torch

from fastgan.models import GANModel, GANRecipe, Recipe, available, build

FAMILIES = ["cgan", "dcgan", "gan", "lsgan", "wgan", "wgan-gp"]
SHAPES = [(2,), (1, 16, 16), (3, 32, 32), (1, 64, 64)]


def test_available_lists_every_family():
    assert set(FAMILIES + ["glann", "glo", "imle", "vae", "sagan", "biggan", "cogan"]) <= set(available())
    assert {"pix2pix", "cyclegan", "vae-gan", "bicyclegan"} <= set(available())


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("name", FAMILIES)
def test_every_family_builds_and_maps_shapes(name, shape):
    torch.manual_seed(0)
    model = build(name, shape=shape, num_classes=10 if name == "cgan" else 0)
    assert isinstance(model, GANModel) and isinstance(model.recipe, Recipe)
    json.dumps(model.config)  # the config must be JSON
    model.eval()
    x = model.sample(3)
    labels = torch.arange(3) % 10 if name == "cgan" else None
    assert x.shape == (3, *shape)
    if len(shape) == 3:
        assert x.abs().max() <= 1.0  # tanh output, same range as the data
    scores = model.discriminator(x, labels)
    assert scores.shape == (3,)


def test_recipes_are_the_papers():
    wgan = build("wgan", shape=(1, 16, 16)).recipe
    assert wgan.loss == "wasserstein" and wgan.clip == 0.01 and wgan.n_critic == 5
    assert wgan.d_optimizer == {"name": "rmsprop", "lr": 5e-5}
    assert wgan.d_optimizer["name"] == "rmsprop"
    gp = build("wgan-gp", shape=(1, 16, 16)).recipe
    assert gp.gradient_penalty == 10.0 and gp.n_critic == 5 and gp.clip is None
    assert gp.d_optimizer == {"name": "adam", "lr": 1e-4, "betas": [0.0, 0.9]}
    assert build("lsgan").recipe.loss == "least_squares"
    assert build("gan").recipe.loss == "non_saturating"
    assert build("gan", loss="minimax").recipe.loss == "minimax"
    dcgan = build("dcgan", shape=(1, 32, 32)).recipe
    assert dcgan.g_optimizer == {"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]}
    assert dcgan.d_optimizer == {"name": "adam", "lr": 5e-5, "betas": [0.5, 0.999]}  # the slower D of the README


def test_2d_recipes_sample_the_raw_generator_or_a_short_ema():
    # On a mixture a long EMA of a generator that moved between modes lands between them.
    for name in ("gan", "wgan", "wgan-gp", "lsgan"):
        assert build(name).recipe.ema_decay == (0.99 if name in ("wgan", "wgan-gp") else 0.0), name
        assert build(name, shape=(1, 16, 16)).recipe.ema_decay == 0.999, name
    assert build("wgan").recipe.clip == 0.05 and build("wgan-gp").recipe.gradient_penalty == 1.0


def test_dcgan_uses_batch_norm_except_at_g_output_and_d_input():
    model = build("dcgan", shape=(3, 32, 32))
    g_layers = list(model.generator.net)
    d_layers = list(model.discriminator.net)
    assert isinstance(g_layers[-1], torch.nn.Tanh) and isinstance(g_layers[-2], torch.nn.ConvTranspose2d)
    assert isinstance(d_layers[0], torch.nn.Conv2d) and not isinstance(d_layers[1], torch.nn.BatchNorm2d)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in d_layers)
    assert any(isinstance(m, torch.nn.LeakyReLU) for m in d_layers)


def test_gradient_penalty_critics_do_not_mix_samples():
    for shape in [(2,), (1, 16, 16)]:
        critic = build("wgan-gp", shape=shape).discriminator
        assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in critic.modules())


def test_cgan_labels_change_the_output():
    torch.manual_seed(0)
    model = build("cgan", shape=(1, 16, 16), num_classes=10).eval()
    z = torch.randn(1, model.generator.z_dim).repeat(2, 1)
    x = model.generator(z, torch.tensor([0, 1]))
    assert not torch.allclose(x[0], x[1])
    d = model.discriminator(x[:1].repeat(2, 1, 1, 1), torch.tensor([0, 1]))
    assert d[0] != d[1]


def test_from_config_rebuilds_the_same_architecture():
    model = build("wgan-gp", shape=(1, 16, 16), width=16, n_critic=3)
    again = GANModel.from_config(json.loads(json.dumps(model.config)))
    assert again.recipe == model.recipe
    again.load_state_dict(model.state_dict())  # same parameter names and shapes


@pytest.mark.parametrize("bad", [dict(name="stylegan9"), dict(name="gan", shape=(1, 20, 20)),
                                 dict(name="cgan", num_classes=0), dict(name="gan", n_critic_typo=2)])
def test_bad_arguments_raise_clear_errors(bad):
    name = bad.pop("name")
    with pytest.raises((ValueError, TypeError)):
        build(name, **bad)


def test_recipe_rejects_unknown_fields_and_merges_optimizers():
    recipe = GANRecipe().updated(g_optimizer={"lr": 1e-3})
    assert recipe.g_optimizer["lr"] == 1e-3 and recipe.g_optimizer["betas"] == [0.5, 0.999]
    assert isinstance(recipe, Recipe)
    with pytest.raises(ValueError, match="unknown recipe fields"):
        GANRecipe.from_dict({"los": "x"})


def test_dcgan_minibatch_stddev_lets_d_see_batch_variety():
    torch.manual_seed(0)
    model = build("dcgan", shape=(1, 16, 16), minibatch_stddev=True)
    assert model.config["arch"]["minibatch_stddev"] is True
    d = model.discriminator.eval()
    x = torch.randn(8, 1, 16, 16)
    varied = d(x)
    same = d(x[:1].expand(8, -1, -1, -1))
    # Identical samples have zero spread, which changes the score of the very same image.
    assert not torch.allclose(varied[:1], same[:1])
    with pytest.raises(ValueError, match="divisible by the group size"):
        d(torch.randn(6, 1, 16, 16))
    rebuilt = GANModel.from_config(model.config)
    assert any(type(m).__name__ == "MinibatchStdDev" for m in rebuilt.discriminator.modules())
