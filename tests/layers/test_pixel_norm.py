"""fastgan.layers.pixel_norm: unit mean square over the channels of every pixel."""
import torch

from fastgan.layers import PixelNorm, pixel_norm


def test_unit_mean_square_per_pixel():
    x = torch.randn(3, 7, 5, 4, dtype=torch.float64) * torch.rand(3, 1, 5, 4, dtype=torch.float64) * 10
    out = PixelNorm(eps=0.0)(x)
    torch.testing.assert_close(out.square().mean(dim=1), torch.ones(3, 5, 4, dtype=torch.float64))
    # Only a per-pixel rescaling: directions are kept.
    ratio = out / x
    torch.testing.assert_close(ratio, ratio[:, :1].expand_as(ratio))


def test_latent_vectors_and_zero_input():
    z = torch.tensor([[3.0, 4.0]])
    torch.testing.assert_close(pixel_norm(z, eps=0.0), z / (12.5**0.5))
    assert torch.equal(pixel_norm(torch.zeros(1, 3, 2, 2)), torch.zeros(1, 3, 2, 2))
