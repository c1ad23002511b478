"""fastgan.layers.MinibatchStdDev: one extra channel holding the group's mean feature std."""
import pytest
import torch

from fastgan.layers import MinibatchStdDev


def test_one_group_by_hand():
    x = torch.zeros(2, 1, 1, 2, dtype=torch.float64)
    x[0, 0, 0] = torch.tensor([1.0, 0.0])
    x[1, 0, 0] = torch.tensor([3.0, 4.0])
    out = MinibatchStdDev(group_size=4, eps=0.0)(x)
    # Population std over the 2 samples: feature 0 -> 1, feature 1 -> 2; mean 1.5.
    assert out.shape == (2, 2, 1, 2)
    assert torch.equal(out[:, :1], x)
    torch.testing.assert_close(out[:, 1], torch.full((2, 1, 2), 1.5, dtype=torch.float64))


def test_groups_span_the_batch_and_match_a_direct_computation():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(8, 6, 3, 3, generator=gen, dtype=torch.float64)
    out = MinibatchStdDev(group_size=4, num_channels=2, eps=1e-8)(x)
    assert out.shape == (8, 8, 3, 3)
    for n in range(8):
        group = x[n % 2 :: 2]  # sample n is in group n % (N / G)
        for f in range(2):
            chunk = group[:, 3 * f : 3 * f + 3]
            want = (chunk.var(dim=0, unbiased=False) + 1e-8).sqrt().mean()
            torch.testing.assert_close(out[n, 6 + f], want.expand(3, 3))


def test_identical_samples_give_sqrt_eps():
    x = torch.randn(1, 3, 2, 2).expand(4, 3, 2, 2)
    out = MinibatchStdDev(group_size=2, eps=1e-8)(x)
    torch.testing.assert_close(out[:, 3], torch.full((4, 2, 2), 1e-4))


def test_indivisible_batch():
    with pytest.raises(ValueError, match="divisible by the group size 4"):
        MinibatchStdDev(group_size=4)(torch.zeros(6, 2, 2, 2))
