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
    # The same draws, one pair at a time (batches of 4 then 2 draw z and t per batch).
    rng = torch.Generator().manual_seed(5)
    want = []
    for size in (4, 2):
        z = torch.randn(2 * size, 6, generator=rng)
        t = torch.rand(size, 1, generator=rng)
        with torch.no_grad():
            for i in range(size):
                a, b = z[i:i + 1], z[size + i:size + i + 1]
                if space == "w":
                    a, b = mapping(a), mapping(b)
                    p0, p1 = a + (b - a) * t[i], a + (b - a) * (t[i] + eps)
                else:
                    p0 = torch.from_numpy(_reference_slerp(a.numpy(), b.numpy(), t[i].numpy())).float()
                    p1 = torch.from_numpy(_reference_slerp(a.numpy(), b.numpy(), t[i].numpy() + eps)).float()
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
