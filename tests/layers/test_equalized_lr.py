"""fastgan.layers equalised learning rate: weights scaled at runtime by gain / sqrt(fan_in)."""
import math

import pytest
import torch
import torch.nn.functional as F

from fastgan.layers import EqualizedConv2d, EqualizedLinear


def test_linear_scales_at_runtime():
    torch.manual_seed(0)
    layer = EqualizedLinear(50, 3)
    assert layer.scale == pytest.approx(math.sqrt(2 / 50))
    x = torch.randn(4, 50)
    torch.testing.assert_close(layer(x), F.linear(x, layer.weight * math.sqrt(2 / 50), layer.bias))
    with torch.no_grad():
        layer.weight.fill_(1.0)
    # The scale applies to whatever is stored now, not to the initial values.
    torch.testing.assert_close(layer(x), (x.sum(1, keepdim=True) * math.sqrt(2 / 50)).expand(4, 3) + layer.bias)


def test_stored_weights_are_unit_normal():
    torch.manual_seed(1)
    w = EqualizedConv2d(64, 64, 3).weight
    assert w.detach().std().item() == pytest.approx(1.0, abs=0.02)
    assert EqualizedLinear(256, 256, lr_mul=0.01).weight.detach().std().item() == pytest.approx(100.0, rel=0.02)


def test_conv_scales_at_runtime_and_gradient_carries_the_scale():
    torch.manual_seed(2)
    layer = EqualizedConv2d(3, 4, 3, padding=1)
    fan_in = 3 * 3 * 3
    x = torch.randn(2, 3, 5, 5)
    torch.testing.assert_close(layer(x), F.conv2d(x, layer.weight * math.sqrt(2 / fan_in), layer.bias, padding=1))
    # d out / d stored weight = scale * d out / d effective weight.
    effective = (layer.weight.detach() * layer.scale).requires_grad_()
    F.conv2d(x, effective, layer.bias.detach(), padding=1).sum().backward()
    layer(x).sum().backward()
    torch.testing.assert_close(layer.weight.grad, effective.grad * layer.scale)


def test_lr_mul():
    torch.manual_seed(3)
    layer = EqualizedLinear(8, 2, lr_mul=0.01, gain=1.0, bias_init=0.5)
    x = torch.randn(3, 8)
    torch.testing.assert_close(layer(x), F.linear(x, layer.weight * 0.01 / math.sqrt(8), layer.bias * 0.01))
    torch.testing.assert_close(layer.bias * 0.01, torch.full((2,), 0.5))
