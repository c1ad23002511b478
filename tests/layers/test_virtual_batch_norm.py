"""fastgan.layers.VirtualBatchNorm2d: batch norm over the reference batch plus the one example."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from fastgan.layers import VirtualBatchNorm2d, reference_pass


def test_equals_batch_norm_over_reference_plus_example():
    gen = torch.Generator().manual_seed(0)
    ref = torch.randn(5, 3, 4, 4, generator=gen, dtype=torch.float64) * 2 + 1
    x = torch.randn(3, 3, 4, 4, generator=gen, dtype=torch.float64)
    layer = VirtualBatchNorm2d(3).double()
    with reference_pass(layer):
        ref_out = layer(ref)
    torch.testing.assert_close(ref_out, F.batch_norm(ref, None, None, training=True, eps=1e-5))
    out = layer(x)
    for i in range(3):
        joint = F.batch_norm(torch.cat([ref, x[i : i + 1]]), None, None, training=True, eps=1e-5)
        torch.testing.assert_close(out[i], joint[-1])


def test_an_example_does_not_depend_on_its_batch():
    layer = VirtualBatchNorm2d(2)
    with reference_pass(nn.Sequential(layer)):
        layer(torch.randn(8, 2, 3, 3))
    x = torch.randn(4, 2, 3, 3)
    alone = layer(x[:1])
    torch.testing.assert_close(layer(x)[:1], alone)
    torch.testing.assert_close(layer(torch.cat([x[:1], 100 * x[1:]]))[:1], alone)


def test_reference_statistics_are_differentiable_and_required():
    layer = VirtualBatchNorm2d(2)
    with pytest.raises(RuntimeError, match="no reference statistics"):
        layer(torch.randn(1, 2, 2, 2))
    ref = torch.randn(4, 2, 2, 2, requires_grad=True)
    with reference_pass(layer):
        layer(ref)
    layer(torch.randn(1, 2, 2, 2)).square().sum().backward()
    assert ref.grad is not None and float(ref.grad.abs().sum()) > 0
