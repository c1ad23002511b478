"""fastgan.metrics.lpips: the functional form, against the lpips package's outputs."""
import numpy as np
import pytest
import torch

import fastgan.metrics


def test_matches_reference_from_uint8_float_and_numpy(lpips_alex, networks_ref):
    imgs = networks_ref["imgs64"]
    want = networks_ref["lpips_alex"]
    signed = imgs.float() / 127.5 - 1
    for a, b, kw in [
        (imgs[:2], imgs[2:], {}),                                           # uint8: x / 127.5 - 1
        (signed[:2], signed[2:], {}),                                       # [-1,1]
        ((signed[:2] + 1) / 2, (signed[2:] + 1) / 2, {"normalize": True}),  # [0,1]
        (signed[:2].numpy(), signed[2:].numpy(), {}),                       # NumPy
    ]:
        got = fastgan.metrics.lpips(a, b, model=lpips_alex, **kw)
        assert got.shape == (2,) and got.dtype == torch.float32
        assert float(((got - want).abs() / want).max()) < 1e-4, (kw, got, want)


def test_reductions_and_batching(lpips_alex, networks_ref):
    imgs = networks_ref["imgs64"]
    a, b = imgs[[0, 1, 2, 3, 0]], imgs[[3, 2, 1, 0, 0]]
    each = fastgan.metrics.lpips(a, b, model=lpips_alex)
    batched = fastgan.metrics.lpips(a, b, model=lpips_alex, batch_size=2)
    torch.testing.assert_close(batched, each, rtol=1e-5, atol=1e-7)
    assert each[4] == 0
    mean = fastgan.metrics.lpips(a, b, model=lpips_alex, reduction="mean")
    total = fastgan.metrics.lpips(a, b, model=lpips_alex, reduction="sum")
    assert isinstance(mean, float) and isinstance(total, float)
    assert mean == pytest.approx(float(each.double().mean()), rel=1e-6)
    assert total == pytest.approx(float(each.double().sum()), rel=1e-6)


@pytest.mark.parametrize("a,b,kw,error,match", [
    (torch.zeros(2, 3, 32, 32), torch.zeros(3, 3, 32, 32), {}, ValueError, "same shape"),
    (torch.full((1, 3, 32, 32), 200.0), torch.zeros(1, 3, 32, 32), {}, ValueError, r"\[-1,1\]"),
    (torch.full((1, 3, 32, 32), -0.5), torch.zeros(1, 3, 32, 32), {"normalize": True}, ValueError, r"\[0,1\]"),
    (torch.full((1, 3, 32, 32), float("nan")), torch.zeros(1, 3, 32, 32), {}, ValueError, "NaN"),
    (torch.zeros(0, 3, 32, 32), torch.zeros(0, 3, 32, 32), {}, ValueError, "no images"),
    (torch.zeros(1, 3, 32, 32), torch.zeros(1, 3, 32, 32), {"reduction": "max"}, ValueError, "reduction"),
    (torch.zeros(1, 3, 32, 32), torch.zeros(1, 3, 32, 32), {"net": "vgg"}, ValueError, "matching net"),
    (np.zeros((1, 3, 32, 32), np.int64), np.zeros((1, 3, 32, 32), np.int64), {}, TypeError, "uint8"),
])
def test_bad_input(lpips_alex, a, b, kw, error, match):
    with pytest.raises(error, match=match):
        fastgan.metrics.lpips(a, b, model=lpips_alex, **kw)


def test_gradient_flows_for_path_length_use(lpips_alex, gen):
    a = (torch.rand(2, 3, 40, 40, generator=gen) * 2 - 1).requires_grad_(True)
    b = torch.rand(2, 3, 40, 40, generator=gen) * 2 - 1
    fastgan.metrics.lpips(a, b, model=lpips_alex).sum().backward()
    assert float(a.grad.abs().sum()) > 0
