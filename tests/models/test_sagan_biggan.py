"""SAGAN and BigGAN: their parts (attention, spectral norm, conditional BN, skip-z, projection,
orthogonal regularisation, truncation), recipes, pictures and refusals; one Trainer step each."""
import pytest
import torch
from PIL import Image

from fastgan.data import load_data
from fastgan.layers import ConditionalBatchNorm2d, SelfAttention2d, SharedClassEmbedding
from fastgan.layers.spectral_norm import SpectralNorm
from fastgan.models import build
from fastgan.models.biggan import sample_truncated, truncated_normal
from fastgan.models.sagan import attention_maps, save_attention_picture
from fastgan.training import Trainer

SHAPE = (1, 16, 16)


def _spectral(net):
    convs = [m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear))]
    normed = [m for m in convs if hasattr(m, "parametrizations") and isinstance(m.parametrizations.weight[0], SpectralNorm)]
    return len(normed), len(convs)


def test_sagan_attends_at_the_middle_resolution_in_both_networks_with_spectral_norm():
    torch.manual_seed(0)
    model = build("sagan", shape=(1, 32, 32))
    for net in (model.generator, model.discriminator):
        assert sum(isinstance(m, SelfAttention2d) for m in net.modules()) == 1
        normed, total = _spectral(net)
        assert normed == total  # every conv and linear layer, the attention's 1x1 convs too
    z = torch.randn(3, model.generator.z_dim)
    images, attention, side = attention_maps(model.generator.eval(), z)
    assert side == 16 and images.shape == (3, 1, 32, 32) and attention.shape == (3, 256, 256)
    torch.testing.assert_close(attention.sum(-1), torch.ones(3, 256))
    recipe = model.recipe
    assert recipe.loss == "hinge"
    assert recipe.g_optimizer == {"name": "adam", "lr": 1e-4, "betas": [0.0, 0.9]}
    assert recipe.d_optimizer == {"name": "adam", "lr": 4e-4, "betas": [0.0, 0.9]}
    with pytest.raises(ValueError, match=r"attention_size must be a hidden feature-map side.*\[8, 16\]"):
        build("sagan", shape=(1, 32, 32), attention_size=4)
    with pytest.raises(ValueError, match="sagan models images"):
        build("sagan", shape=(2,))


def test_sagan_attention_picture(tmp_path):
    torch.manual_seed(0)
    g = build("sagan", shape=SHAPE).generator.eval()
    path = save_attention_picture(g, tmp_path / "attention.png", n=2)
    img = Image.open(path)
    assert img.mode == "RGB" and img.size[0] > img.size[1]  # 2 rows of 1 sample + 3 maps


def test_biggan_parts():
    torch.manual_seed(0)
    model = build("biggan", shape=SHAPE, num_classes=10)
    g, d = model.generator, model.discriminator
    embeddings = [m for m in g.modules() if isinstance(m, SharedClassEmbedding)]
    assert len(embeddings) == 1  # one table shared by every conditional batch norm
    cbn = [m for m in g.modules() if isinstance(m, ConditionalBatchNorm2d)]
    assert len(cbn) == 4 and all(m.gain.in_features == embeddings[0].embedding_dim + g.chunk for m in cbn)
    assert g.z_dim == 3 * g.chunk  # skip-z: one chunk for the start and one per block
    assert _spectral(g)[0] > 0 and _spectral(d)[0] == _spectral(d)[1]
    assert model.recipe.loss == "hinge" and model.recipe.orthogonal_regularisation == 1e-4
    assert model.recipe.ema_decay > 0
    with torch.no_grad():
        # Hierarchical latents: a later chunk alone changes the output.
        for module in g.modules():  # conditional BN starts as plain BN: give the projections weight
            if isinstance(module, ConditionalBatchNorm2d):
                module.gain.weight.normal_(0, 0.5)
        g.eval()
        z = torch.randn(1, g.z_dim).repeat(2, 1)
        z[1, -g.chunk:] = torch.randn(g.chunk)
        x = g(z, torch.tensor([3, 3]))
        assert not torch.allclose(x[0], x[1])
        # The projection: the same image scores differently under different labels.
        scores = d.eval()(x[:1].repeat(2, 1, 1, 1), torch.tensor([0, 1]))
        assert scores[0] != scores[1]


def test_biggan_refuses_unlabelled_data_and_bad_latents():
    with pytest.raises(ValueError, match="biggan needs labelled data"):
        build("biggan", shape=SHAPE)
    from fastgan.models.biggan import BigGenerator

    with pytest.raises(ValueError, match="conditional batch norm needs labels"):
        BigGenerator(SHAPE, 0, z_dim=60)
    with pytest.raises(ValueError, match="z_dim must be a multiple of 3"):
        build("biggan", shape=SHAPE, num_classes=10, z_dim=64)
    unlabelled = load_data("digits", conditional=False)
    with pytest.raises(ValueError, match="biggan needs labelled data"):
        Trainer(build("biggan", shape=SHAPE, num_classes=10), unlabelled, progress=False)


def test_truncation():
    gen = torch.Generator().manual_seed(0)
    z = truncated_normal(2000, 8, psi=0.5, generator=gen)
    assert z.abs().max() <= 0.5 and z.std() < 0.35  # uniform-ish on [-0.5, 0.5]: std ~0.28
    assert truncated_normal(4, 3, None, torch.Generator().manual_seed(1)).shape == (4, 3)
    with pytest.raises(ValueError, match="psi must be > 0"):
        truncated_normal(2, 2, psi=0.0)
    torch.manual_seed(0)
    model = build("biggan", shape=SHAPE, num_classes=10).eval()
    a = sample_truncated(model, 4, psi=0.3, generator=torch.Generator().manual_seed(0))
    b = sample_truncated(model, 4, psi=2.0, generator=torch.Generator().manual_seed(0))
    assert a.shape == (4, *SHAPE) and not torch.allclose(a, b)


@pytest.mark.parametrize("name", ["sagan", "biggan"])
def test_one_trainer_step(name):
    data = load_data("digits")
    torch.manual_seed(0)
    model = build(name, shape=SHAPE, num_classes=10 if name == "biggan" else 0, batch_size=8, width=8)
    record = Trainer(model, data, steps=1, eval_every=0, progress=False).train_step()
    assert set(record) == {"d_loss", "g_loss"} and all(torch.isfinite(torch.tensor(list(record.values()))))


def test_truncation_is_a_declared_sample_option_and_a_cli_flag(tmp_path, capsys):
    from fastgan.cli import main
    from fastgan.training.command import run_train

    torch.manual_seed(0)
    with pytest.raises(ValueError, match="dcgan sampling takes no truncation option; its options: none"):
        build("dcgan", shape=SHAPE).sample(2, truncation=0.5)
    common = ["--data", "digits", "--steps", "1", "--quiet", "--width", "8", "--batch-size", "8",
              "--eval-samples", "50"]
    for name in ("biggan", "dcgan"):
        assert run_train(name, common + ["--out", str(tmp_path / name)], out=lambda line: None) == 0
    assert main(["sample", str(tmp_path / "biggan" / "last.pt"), "-n", "4", "--truncation", "0.5",
                 "--out", str(tmp_path / "t.png")]) == 0
    assert Image.open(tmp_path / "t.png").size[0] > 0
    assert main(["sample", str(tmp_path / "dcgan" / "last.pt"), "--truncation", "0.5",
                 "--out", str(tmp_path / "d.png")]) == 1
    assert "takes no truncation option" in capsys.readouterr().err
