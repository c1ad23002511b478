"""fastgan.layers.NoiseInjection: x + weight[c] * noise, one noise image per sample."""
import pytest
import torch

from fastgan.layers import NoiseInjection


def test_starts_as_identity_and_scales_per_channel():
    layer = NoiseInjection(3)
    x = torch.randn(2, 3, 4, 5)
    assert torch.equal(layer(x), x)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([0.0, 1.0, -2.0]))
    noise = torch.randn(2, 1, 4, 5)
    out = layer(x, noise)
    torch.testing.assert_close(out - x, torch.tensor([0.0, 1.0, -2.0]).view(1, 3, 1, 1) * noise)


def test_drawn_noise_is_shared_across_channels_and_differs_across_samples():
    layer = NoiseInjection(4)
    with torch.no_grad():
        layer.weight.fill_(1.0)
    x = torch.zeros(2, 4, 6, 6)
    out = layer(x)
    torch.testing.assert_close(out[:, 0], out[:, 3])
    assert not torch.allclose(out[0], out[1])


def test_wrong_noise_shape():
    with pytest.raises(ValueError, match=r"noise must be \[B, 1, H, W\]"):
        NoiseInjection(2)(torch.zeros(2, 2, 3, 3), torch.zeros(2, 2, 3, 3))
