"""fastgan.metrics.perceptual_path_length: known answers, a step-by-step reference, both spaces."""
import numpy as np
import pytest
import torch
from torch import nn

from fastgan.metrics import perceptual_path_length
from fastgan.metrics.ppl import slerp
from fastgan.networks import LPIPS
from fastgan.networks.weights import load_seeded


@pytest.fixture(scope="module")
def lpips_vgg():
    return load_seeded(LPIPS("vgg", pretrained=False))


class Gen(nn.Module):
    latent_dim = 6

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(6, 3 * 16 * 16)
        load_seeded(self)

    def forward(self, z):
        return torch.tanh(self.lin(z)).view(-1, 3, 16, 16)


def test_generator_independent_of_z_has_zero_ppl(lpips_vgg):
    const = torch.rand(1, 3, 16, 16) * 2 - 1
    mean, std, d = perceptual_path_length(lambda z: const.expand(z.shape[0], -1, -1, -1), num_samples=5,
                                          latent_dim=3, resize=16, lpips_model=lpips_vgg)
    assert mean == 0 and std == 0 and d.shape == (5,) and not d.any()


def _reference_slerp(a, b, t):
    """StyleGAN's slerp, in NumPy."""
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    d = np.sum(a * b, axis=-1, keepdims=True)
    p = t * np.arccos(d)
    c = b - d * a
    c = c / np.linalg.norm(c, axis=-1, keepdims=True)
    out = a * np.cos(p) + c * np.sin(p)
    return out / np.linalg.norm(out, axis=-1, keepdims=True)


def test_slerp_matches_stylegan_formula(gen):
    a, b, t = torch.randn(5, 7, generator=gen, dtype=torch.float64), torch.randn(5, 7, dtype=torch.float64,
                                                                               generator=gen), torch.rand(5, 1)
    np.testing.assert_allclose(slerp(a, b, t.double()).numpy(), _reference_slerp(a.numpy(), b.numpy(), t.numpy()),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("space", ["z", "w"])
def test_distances_equal_a_step_by_step_computation(lpips_vgg, space):
    gen = Gen()
    mapping = nn.Linear(6, 6)
    load_seeded(mapping)
    eps, n = 1e-2, 6
    kwargs = dict(mapping=mapping) if space == "w" else {}
    mean, std, d = perceptual_path_length(gen, num_samples=n, epsilon=eps, space=space, resize=32, seed=5,
                                          lpips_model=lpips_vgg, discard=None, batch_size=4, **kwargs)
    # The same draws, one pair at a time (batches of 4 then 2 draw z, t and a noise seed per batch).
    rng = torch.Generator().manual_seed(5)
    want = []
    for size in (4, 2):
        z = torch.randn(2 * size, 6, generator=rng)
        t = torch.rand(size, 1, generator=rng)
        torch.randint(0, 2**62, (1,), generator=rng)
        with torch.no_grad():
            for i in range(size):
                a, b = z[i:i + 1], z[size + i:size + i + 1]
                if space == "w":
                    a, b = mapping(a), mapping(b)
                    p0, p1 = a + (b - a) * t[i], a + (b - a) * (t[i] + eps)
                else:  # StyleGAN's slerp of the directions, at the linearly interpolated norm
                    def point(s):
                        direction = _reference_slerp(a.numpy(), b.numpy(), s)
                        norm = (1 - s) * np.linalg.norm(a.numpy()) + s * np.linalg.norm(b.numpy())
                        return torch.from_numpy(direction * norm).float()

                    p0, p1 = point(t[i].numpy()), point(t[i].numpy() + eps)
                imgs = torch.nn.functional.interpolate(gen(torch.cat([p0, p1])), size=(32, 32), mode="bilinear",
                                                       align_corners=False)
                want.append(float(lpips_vgg(imgs[:1], imgs[1:])) / eps**2)
    np.testing.assert_allclose(d, want, rtol=2e-3)
    assert d.min() > 0
    assert mean == pytest.approx(np.mean(d)) and std == pytest.approx(np.std(d))


def test_discard_drops_the_tails(lpips_vgg):
    mean, _, d = perceptual_path_length(Gen(), num_samples=8, epsilon=1e-2, resize=None, lpips_model=lpips_vgg,
                                        discard=(0.2, 0.8))
    lo, hi = np.percentile(d, 20, method="lower"), np.percentile(d, 80, method="higher")
    kept = d[(d >= lo) & (d <= hi)]
    assert len(kept) < len(d) and mean == pytest.approx(kept.mean())


def test_bad_arguments(lpips_vgg):
    with pytest.raises(ValueError, match="space"):
        perceptual_path_length(Gen(), space="x", lpips_model=lpips_vgg)
    with pytest.raises(ValueError, match="mapping"):
        perceptual_path_length(Gen(), space="w", num_samples=2, lpips_model=lpips_vgg)
    with pytest.raises(ValueError, match="latent_dim"):
        perceptual_path_length(lambda z: z, num_samples=2, lpips_model=lpips_vgg)
    with pytest.raises(ValueError, match="images"):
        perceptual_path_length(lambda z: z, num_samples=2, latent_dim=3, lpips_model=lpips_vgg)
    with pytest.raises(ValueError, match="LPIPS-VGG"):
        perceptual_path_length(Gen(), num_samples=2, lpips_model=LPIPS("alex", pretrained=False))


def test_slerp_keeps_the_interpolated_norm_unless_told_otherwise(gen):
    a = 8 * torch.randn(4, 64, generator=gen, dtype=torch.float64)
    b = 3 * torch.randn(4, 64, generator=gen, dtype=torch.float64)
    t = torch.rand(4, generator=gen, dtype=torch.float64)
    kept = slerp(a, b, t, keep_norm=True)
    want = (1 - t) * a.norm(dim=1) + t * b.norm(dim=1)
    torch.testing.assert_close(kept.norm(dim=1), want)
    torch.testing.assert_close(slerp(a, b, t).norm(dim=1), torch.ones(4, dtype=torch.float64))
    torch.testing.assert_close(kept / kept.norm(dim=1, keepdim=True), slerp(a, b, t))


class Recorder(Gen):
    """Gen that records the latent norms, its training mode and the noise it draws."""

    def __init__(self, normalizes_z=False, channels=3):
        super().__init__()
        self.normalizes_z, self.channels, self.seen = normalizes_z, channels, []

    def forward(self, z):
        noise = torch.randn(z.shape[0], 1, 1, 1)
        self.seen.append((z.norm(dim=-1), self.training, noise))
        out = super().forward(z) + 0.1 * noise
        return out[:, :1] if self.channels == 1 else out


def test_z_norm_is_kept_or_unit_as_the_generator_declares(lpips_vgg):
    raw = Recorder()
    perceptual_path_length(raw, num_samples=4, epsilon=1e-2, resize=16, lpips_model=lpips_vgg, discard=None)
    assert float(raw.seen[0][0].mean()) > 1.5  # |z| ~ sqrt(6) for raw latents, not 1
    unit = Recorder(normalizes_z=True)
    perceptual_path_length(unit, num_samples=4, epsilon=1e-2, resize=16, lpips_model=lpips_vgg, discard=None)
    torch.testing.assert_close(unit.seen[0][0], torch.ones(4))


def test_both_ends_of_a_pair_see_the_same_noise_in_eval_mode(lpips_vgg):
    gen = Recorder()
    gen.train()
    perceptual_path_length(gen, num_samples=3, epsilon=1e-2, resize=16, lpips_model=lpips_vgg, discard=None)
    (_, mode0, noise0), (_, mode1, noise1) = gen.seen
    assert torch.equal(noise0, noise1) and not mode0 and not mode1
    assert gen.training  # restored afterwards


def test_per_layer_w_is_interpolated_with_one_t_per_sample(lpips_vgg):
    class Mapping(nn.Module):
        latent_dim = 6

        def forward(self, z):
            return z[:, None, :].expand(-1, 4, -1) * torch.arange(1, 5.0)[None, :, None]  # [B, num_ws=4, D]

    class Synthesis(nn.Module):
        def __init__(self):
            super().__init__()
            self.gen, self.seen = Gen(), []

        def forward(self, w):
            self.seen.append(w)
            return self.gen(w.mean(1))

    synthesis = Synthesis()
    perceptual_path_length(synthesis, num_samples=4, epsilon=1e-2, space="w", mapping=Mapping(), resize=16,
                           lpips_model=lpips_vgg, discard=None, seed=1)
    first, second = synthesis.seen
    assert first.shape == (4, 4, 6)
    step = (second - first) / 1e-2  # = b - a per sample: the same for every layer up to the layer scale
    torch.testing.assert_close(step / torch.arange(1, 5.0)[None, :, None], (step[:, :1] / 1.0).expand(-1, 4, -1),
                               rtol=1e-3, atol=1e-3)


def test_one_channel_generators_are_scored(lpips_vgg):
    mean, _, d = perceptual_path_length(Recorder(channels=1), num_samples=3, epsilon=1e-2, resize=16,
                                        lpips_model=lpips_vgg, discard=None)
    assert d.shape == (3,) and mean > 0
