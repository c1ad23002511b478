"""fastgan.layers AdaIN: the output carries the style's channel statistics."""
import pytest
import torch

from fastgan.layers import AdaIN, adain, channel_statistics


def test_output_has_the_styles_mean_and_std():
    gen = torch.Generator().manual_seed(0)
    content = torch.randn(3, 4, 6, 5, generator=gen, dtype=torch.float64) * 2 + 1
    style = torch.randn(3, 4, 7, 7, generator=gen, dtype=torch.float64) * torch.rand(1, 4, 1, 1, generator=gen, dtype=torch.float64) * 3 - 2
    out = adain(content, style, eps=1e-12)
    out_mean, out_std = channel_statistics(out, eps=0.0)
    style_mean, style_std = channel_statistics(style, eps=0.0)
    torch.testing.assert_close(out_mean, style_mean, rtol=1e-9, atol=1e-10)
    torch.testing.assert_close(out_std, style_std, rtol=1e-9, atol=1e-10)


def test_styled_adain_takes_scale_and_bias_from_w():
    torch.manual_seed(1)
    layer = AdaIN(3, style_dim=5).double()
    torch.nn.init.normal_(layer.style.weight)
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    w = torch.randn(2, 5, dtype=torch.float64)
    out = layer(x, w)
    style = layer.style(w)
    mean, std = channel_statistics(out, eps=0.0)
    # std(out) = |scale| * std(x) / sqrt(var(x) + eps) ~ |scale|.
    torch.testing.assert_close(mean[:, :, 0, 0], style[:, 3:], rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(std[:, :, 0, 0], style[:, :3].abs(), rtol=1e-4, atol=1e-6)


def test_styled_adain_starts_as_instance_norm():
    layer = AdaIN(3, style_dim=4)
    with torch.no_grad():
        layer.style.weight.zero_()
    x = torch.randn(2, 3, 5, 5)
    torch.testing.assert_close(layer(x, torch.randn(2, 4)), torch.nn.functional.instance_norm(x, eps=1e-5))


def test_mismatched_shapes():
    with pytest.raises(ValueError, match=r"agree in \[B, C\]"):
        adain(torch.zeros(2, 3, 4, 4), torch.zeros(2, 4, 4, 4))
    with pytest.raises(ValueError, match="spatial"):
        channel_statistics(torch.zeros(2, 3))
