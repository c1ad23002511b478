"""fastgan.layers.spectral_norm: the normalised weight's largest singular value is 1."""
import pytest
import torch
from torch import nn

from fastgan.layers import spectral_norm


def _sigma_max(weight, dim=0):
    return torch.linalg.matrix_norm(weight.detach().movedim(dim, 0).flatten(1).double(), ord=2).item()


@pytest.mark.parametrize(
    "make,dim",
    [
        (lambda: nn.Linear(13, 7), 0),
        (lambda: nn.Conv2d(3, 5, 3), 0),
        (lambda: nn.ConvTranspose2d(6, 4, 4), 1),
    ],
)
def test_largest_singular_value_is_one(make, dim):
    torch.manual_seed(0)
    module = make()
    original = module.weight.detach().clone()
    spectral_norm(module)
    module.train()
    x = torch.randn(2, *((13,) if isinstance(module, nn.Linear) else (module.in_channels, 8, 8)))
    for _ in range(20):  # one power iteration per training forward pass
        module(x)
    assert _sigma_max(module.weight, dim) == pytest.approx(1.0, abs=1e-4)
    # The stored weight is untouched: the normalisation happens at access time.
    torch.testing.assert_close(module.parametrizations.weight.original.detach(), original)
    sigma = module.parametrizations.weight[0].sigma(original).item()
    assert sigma == pytest.approx(_sigma_max(original, dim), rel=1e-4)


def test_eval_mode_freezes_the_vectors_and_gradients_reach_the_weight():
    torch.manual_seed(1)
    layer = spectral_norm(nn.Linear(6, 4))
    param = layer.parametrizations.weight[0]
    layer.eval()
    u = param.u.clone()
    w1 = layer.weight.detach().clone()
    w2 = layer.weight.detach().clone()
    assert torch.equal(param.u, u) and torch.equal(w1, w2)
    layer.train()
    layer(torch.randn(3, 6)).sum().backward()
    assert layer.parametrizations.weight.original.grad is not None
    assert float(layer.parametrizations.weight.original.grad.abs().sum()) > 0


def test_scaling_the_weight_does_not_change_the_layer():
    torch.manual_seed(2)
    layer = spectral_norm(nn.Linear(5, 5, bias=False)).eval()
    x = torch.randn(4, 5)
    before = layer(x)
    with torch.no_grad():
        layer.parametrizations.weight.original.mul_(7.0)
    torch.testing.assert_close(layer(x), before)


def test_bad_module():
    with pytest.raises(ValueError, match="no parameter or buffer named 'kernel'"):
        spectral_norm(nn.Linear(2, 2), name="kernel")
    with pytest.raises(ValueError, match=">= 2 dimensions"):
        spectral_norm(nn.Linear(2, 2), name="bias")
