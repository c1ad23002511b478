"""fastgan.layers.MinibatchDiscrimination: closeness statistics of Salimans et al., by hand."""
import math

import pytest
import torch

from fastgan.layers import MinibatchDiscrimination


def test_by_hand():
    layer = MinibatchDiscrimination(2, num_kernels=1, kernel_dim=2).double()
    with torch.no_grad():
        layer.T.copy_(torch.eye(2))  # M_i = x_i
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 2.0]], dtype=torch.float64)
    out = layer(x)
    # L1 distances: |x0-x1| = 1, |x0-x2| = 3, |x1-x2| = 2; each sum includes exp(0) = 1 for j = i.
    want = torch.tensor(
        [1 + math.exp(-1) + math.exp(-3), math.exp(-1) + 1 + math.exp(-2), math.exp(-3) + math.exp(-2) + 1],
        dtype=torch.float64,
    )
    assert out.shape == (3, 3)
    torch.testing.assert_close(out[:, :2], x)
    torch.testing.assert_close(out[:, 2], want)


def test_identical_samples_give_the_batch_size():
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(5, num_kernels=4, kernel_dim=3)
    x = torch.randn(1, 5).expand(6, 5)
    torch.testing.assert_close(layer(x)[:, 5:], torch.full((6, 4), 6.0))


def test_wrong_shape():
    with pytest.raises(ValueError, match=r"expects \[N, 5\]"):
        MinibatchDiscrimination(5, 2, 2)(torch.zeros(3, 4))
