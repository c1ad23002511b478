"""fastgan.losses.LazyRegularizer: the penalty every k steps, scaled by k."""
import pytest
import torch

from fastgan.losses import LazyRegularizer, r1_penalty


def test_called_every_k_steps_and_scaled_by_k():
    calls = []

    def penalty(x):
        calls.append(x)
        return torch.tensor(2.0)

    reg = LazyRegularizer(penalty, every=4)
    values = []
    for step in range(10):
        assert reg.due == (step % 4 == 0)
        values.append(float(reg(step)))
    assert calls == [0, 4, 8]
    assert values == [8.0, 0, 0, 0, 8.0, 0, 0, 0, 8.0, 0]
    # Same expected contribution per step as the penalty every step: 2 on average over whole periods.
    assert sum(values[:8]) / 8 == 2.0


def test_lazy_r1_matches_eager_r1_on_average():
    critic = lambda x: 0.5 * x.square().sum(1)  # noqa: E731
    real = torch.randn(5, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    reg = LazyRegularizer(lambda x: r1_penalty(critic, x, gamma=1.0), every=3)
    total = sum(float(torch.as_tensor(reg(real)).detach()) for _ in range(6))
    assert total / 6 == pytest.approx(r1_penalty(critic, real, gamma=1.0).item(), rel=1e-12)


def test_every_one_is_the_plain_penalty_and_adam_correction():
    reg = LazyRegularizer(lambda: torch.tensor(3.0), every=1)
    assert [float(reg()) for _ in range(3)] == [3.0, 3.0, 3.0]
    lazy = LazyRegularizer(lambda: 0.0, every=16)
    lr, (b1, b2) = lazy.adam_hyperparameters(0.002, (0.0, 0.99))
    c = 16 / 17
    assert lr == pytest.approx(0.002 * c) and b1 == 0.0 and b2 == pytest.approx(0.99**c)


def test_bad_arguments():
    with pytest.raises(ValueError, match="every must be >= 1"):
        LazyRegularizer(lambda: 0.0, every=0)
    with pytest.raises(TypeError, match="penalty must be callable"):
        LazyRegularizer(3.0)
