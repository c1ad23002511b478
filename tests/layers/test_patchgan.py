"""fastgan.layers.PatchDiscriminator: every output scores one 70x70 patch."""
import pytest
import torch

from fastgan.layers import PatchDiscriminator, patch_size


def test_each_output_sees_exactly_a_70x70_patch():
    torch.manual_seed(0)
    net = PatchDiscriminator(2, ndf=4, n_layers=3, norm="batch").double().eval()
    x = torch.randn(1, 2, 96, 96, dtype=torch.float64, requires_grad=True)
    out = net(x)
    i, j = out.shape[2] // 2, out.shape[3] // 2
    (grad,) = torch.autograd.grad(out[0, 0, i, j], x)
    rows = grad.abs().sum(dim=(0, 1, 3)).nonzero().flatten()
    cols = grad.abs().sum(dim=(0, 1, 2)).nonzero().flatten()
    assert patch_size(3) == 70
    assert int(rows.max() - rows.min() + 1) == 70
    assert int(cols.max() - cols.min() + 1) == 70


def test_output_shape_for_256_inputs():
    net = PatchDiscriminator(6, ndf=8, n_layers=3, norm="instance")
    assert net(torch.randn(1, 6, 256, 256)).shape == (1, 1, 30, 30)
    assert patch_size(1) == 16 and patch_size(2) == 34


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_layers must be >= 1"):
        PatchDiscriminator(n_layers=0)
