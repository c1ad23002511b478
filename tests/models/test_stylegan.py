"""fastgan.models.stylegan: mapping/synthesis, truncation, style mixing, lazy R1, training, resume, PPL, CLI."""
import pytest
import torch

from fastgan.cli import main
from fastgan.models import build
from fastgan.models.stylegan import mixed_ws, style_mixing_picture, truncation_picture
from fastgan.training.trainer import prepare


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = build("stylegan", shape=(3, 16, 16), width=16, z_dim=16)
    m.generator.w_avg.normal_()
    return m.eval()


def test_truncation_psi_one_is_untruncated_and_zero_the_mean_w(model):
    G = model.generator
    z = torch.randn(6, G.z_dim)
    w = G.mapping(z)
    torch.testing.assert_close(G.truncate(w, 1.0), w)
    torch.testing.assert_close(G.truncate(w, 0.0), G.w_avg.expand(6, -1))
    torch.testing.assert_close(G.truncate(w, 0.5), (w + G.w_avg) / 2)
    one = model.sample(4, generator=torch.Generator().manual_seed(1), truncation=1.0)
    plain = model.sample(4, generator=torch.Generator().manual_seed(1))
    assert torch.equal(one, plain)
    noise = [torch.zeros(*s) for s in G.synthesis.noise_shapes(4)]
    zero = G(torch.randn(4, G.z_dim), truncation=0.0, noise=noise)
    torch.testing.assert_close(zero, zero[:1].expand(4, -1, -1, -1))  # one image: the mean w
    with pytest.raises(ValueError, match="truncation"):
        build("progan", shape=(3, 16, 16)).sample(2, truncation=0.5)


def test_style_mixing_switches_w_at_the_crossover(model):
    G = model.generator
    z1, z2 = torch.randn(3, G.z_dim), torch.randn(3, G.z_dim)
    uniform = torch.tensor([[0.0, 0.0], [0.0, 0.99], [1.0, 0.5]])  # mix at layer 1, at the last, no mix
    ws, w = mixed_ws(G, z1, z2, 0.9, uniform)
    w1, w2 = G.mapping(z1), G.mapping(z2)
    n = G.synthesis.num_ws
    assert ws.shape == (3, n, G.z_dim) and torch.equal(w, w1)
    assert torch.equal(ws[0, 0], w1[0]) and torch.equal(ws[0, 1:], w2[0].expand(n - 1, -1))
    assert torch.equal(ws[1, :n - 1], w1[1].expand(n - 1, -1)) and torch.equal(ws[1, -1], w2[1])
    assert torch.equal(ws[2], w1[2].expand(n, -1))
    images, nrow = style_mixing_picture(model.networks, torch.Generator().manual_seed(0), rows=2, cols=3)
    assert images.shape == (12, 3, 16, 16) and nrow == 4


def test_truncation_picture_rows_go_from_the_samples_to_the_mean_w():
    torch.manual_seed(0)
    model = build("stylegan", shape=(3, 16, 16), width=16, z_dim=16)
    G = model.generator.eval()
    G.w_avg.normal_()
    with torch.no_grad():
        images, cols = truncation_picture(model.networks, torch.Generator().manual_seed(0), cols=3, psis=(1.0, 0.5, 0.0))
        gen = torch.Generator().manual_seed(0)
        z = torch.randn(3, G.z_dim, generator=gen)
        noise = [torch.randn(*s, generator=gen) for s in G.synthesis.noise_shapes(3)]
        want = torch.cat([G.synthesis(G.truncate(G.mapping(z), psi), noise) for psi in (1.0, 0.5, 0.0)])
    assert images.shape == (9, 3, 16, 16) and cols == 3
    torch.testing.assert_close(images, want)
    # psi = 0: every latent becomes the mean w (noise strengths start at 0, so one image three times).
    torch.testing.assert_close(images[6], images[7])
    assert not torch.allclose(images[0], images[1])


def test_training_steps_lazy_r1_and_resume(tmp_path):
    cfg = {"batch_size": 8, "width": 16, "z_dim": 16, "r1_every": 2}
    kw = dict(seed=0, model_config=cfg, data_config={"size": 16}, eval_every=2, eval_samples=64, progress=False)
    trainer = prepare("stylegan", "shapes", steps=4, out_dir=str(tmp_path / "a"), **kw)
    w_avg = trainer.model.generator.w_avg.clone()
    logs = [trainer.train_step() for _ in range(3)]
    assert "r1_loss" in logs[0] and "r1_loss" not in logs[1] and "r1_loss" in logs[2]
    assert not torch.equal(trainer.model.generator.w_avg, w_avg)
    trainer.train_step()
    half = prepare("stylegan", "shapes", steps=2, out_dir=str(tmp_path / "b"), **kw)
    half.fit()
    resumed = prepare("stylegan", "shapes", steps=4, out_dir=str(tmp_path / "c"), **kw).resume(str(tmp_path / "b/last.pt"))
    resumed.fit()
    for a, b in zip(trainer.model.state_dict().values(), resumed.model.state_dict().values()):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(resumed.sampling_networks["generator"].w_avg, resumed.model.generator.w_avg)
    # The CLI: truncated samples and the style-mixing picture of the checkpoint.
    out = tmp_path / "t.png"
    assert main(["sample", str(tmp_path / "c/last.pt"), "-n", "4", "--truncation", "0.5", "--out", str(out)]) == 0
    assert out.exists()
    mix = tmp_path / "mix.png"
    assert main(["sample", str(tmp_path / "c/last.pt"), "--picture", "style-mixing", "--out", str(mix)]) == 0
    assert mix.exists()
    assert main(["sample", str(tmp_path / "c/last.pt"), "--picture", "nope", "--out", str(tmp_path / "n.png")]) != 0
    # An existing output is kept unless --force.
    before = mix.read_bytes()
    assert main(["sample", str(tmp_path / "c/last.pt"), "--picture", "truncation", "--out", str(mix)]) != 0
    assert mix.read_bytes() == before
    assert main(["sample", str(tmp_path / "c/last.pt"), "-n", "4", "--out", str(mix)]) != 0
    assert main(["sample", str(tmp_path / "c/last.pt"), "--picture", "truncation", "--out", str(mix), "--force"]) == 0
    assert mix.read_bytes() != before


def test_ppl_in_z_and_w(model):
    from fastgan.metrics import perceptual_path_length
    from fastgan.networks import LPIPS
    from fastgan.networks.weights import load_seeded

    lpips = load_seeded(LPIPS("vgg", pretrained=False))
    opts = dict(num_samples=4, epsilon=1e-2, resize=16, lpips_model=lpips, discard=None, batch_size=4)
    z_mean, _, dz = perceptual_path_length(model.generator, space="z", **opts)
    w_mean, _, dw = perceptual_path_length(model.generator, space="w", **opts)
    assert dz.shape == dw.shape == (4,) and z_mean > 0 and w_mean > 0 and z_mean != w_mean
