"""fastgan.layers.GeneratorEMA: exponential moving average of generator weights."""
import pytest
import torch
from torch import nn


from fastgan.layers import GeneratorEMA


def test_ema_of_a_constant_is_that_constant():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ema = GeneratorEMA(model, decay=0.9)
    for _ in range(5):
        ema.update(model)
    for p_ema, p in zip(ema.module.parameters(), model.parameters()):
        assert torch.equal(p_ema, p.detach())


def test_average_by_hand_and_buffers_are_copied():
    model = nn.Sequential(nn.Linear(1, 1, bias=False), nn.BatchNorm1d(1))
    with torch.no_grad():
        model[0].weight.fill_(1.0)
    ema = GeneratorEMA(model, decay=0.5)
    for value in (3.0, 5.0):
        with torch.no_grad():
            model[0].weight.fill_(value)
        ema.update(model)
    # 1 -> 0.5 * 1 + 0.5 * 3 = 2 -> 0.5 * 2 + 0.5 * 5 = 3.5
    assert ema.module[0].weight.item() == pytest.approx(3.5)
    model.train()(torch.randn(8, 1))  # moves the running statistics
    ema.update(model)
    assert torch.equal(ema.module[1].running_mean, model[1].running_mean)


def test_copy_is_independent_and_frozen():
    model = nn.Linear(2, 2)
    ema = GeneratorEMA(model)
    assert not any(p.requires_grad for p in ema.module.parameters())
    assert not ema.module.training
    with torch.no_grad():
        model.weight.add_(1.0)
    assert not torch.equal(ema.module.weight, model.weight)
    x = torch.randn(3, 2)
    torch.testing.assert_close(ema(x), ema.module(x))
    with pytest.raises(ValueError, match=r"decay must lie in \[0, 1\)"):
        GeneratorEMA(model, decay=1.0)
