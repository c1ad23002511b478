"""fastgan.networks.LPIPS against the lpips package (shared/reference/networks.pt)."""
import pytest
import torch

from fastgan.networks import LPIPS, AlexNetFeatures, VGG16Features
from seeded import relative_error

TOL = 1e-4


def _signed(images):
    return images.float() / 127.5 - 1


def test_matches_lpips_package(lpips_net, networks_ref):
    net, lp = lpips_net
    x = _signed(networks_ref["imgs64"])
    with torch.inference_mode():
        d = lp(x[:2], x[2:])
        same = lp(x[:2], x[:2])
    want = networks_ref[f"lpips_{net}"]
    assert d.shape == (2,) and d.dtype == torch.float32
    assert relative_error(d, want) < TOL, (d, want)
    torch.testing.assert_close(same, networks_ref[f"lpips_{net}_self"], rtol=0, atol=1e-7)


def test_structure(lpips_net):
    net, lp = lpips_net
    assert isinstance(lp.backbone, {"alex": AlexNetFeatures, "vgg": VGG16Features}[net])
    assert [lin.weight.shape[1] for lin in lp.lins] == list(lp.backbone.CHANNELS)
    assert not lp.training and not any(p.requires_grad for p in lp.parameters())


def test_symmetric_and_normalize_flag(lpips_net, networks_ref):
    _, lp = lpips_net
    x = _signed(networks_ref["imgs64"])
    torch.testing.assert_close(lp(x[:2], x[2:]), lp(x[2:], x[:2]), rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(lp((x[:2] + 1) / 2, (x[2:] + 1) / 2, normalize=True), lp(x[:2], x[2:]),
                               rtol=1e-5, atol=1e-7)


def test_differentiable_in_the_images(lpips_net, gen):
    _, lp = lpips_net
    a = (torch.rand(1, 3, 48, 48, generator=gen) * 2 - 1).requires_grad_(True)
    b = torch.rand(1, 3, 48, 48, generator=gen) * 2 - 1
    lp(a, b).sum().backward()
    assert a.grad is not None and float(a.grad.abs().sum()) > 0


def test_float64_agrees(networks_ref):
    lp = LPIPS("alex", pretrained=False, linear_weights=networks_ref["lpips_alex_lin"])
    from fastgan.networks.weights import load_seeded
    load_seeded(lp.backbone)
    x = _signed(networks_ref["imgs64"])
    d32 = lp(x[:2], x[2:])
    d64 = lp.double()(x[:2].double(), x[2:].double())
    assert d64.dtype == torch.float64
    assert relative_error(d32, d64) < 1e-5


def test_linear_weights_formats_and_errors(networks_ref, tmp_path):
    lin = networks_ref["lpips_alex_lin"]
    path = tmp_path / "alex.pth"
    torch.save(lin, path)
    lp = LPIPS("alex", pretrained=False, linear_weights=str(path))
    for i, layer in enumerate(lp.lins):
        assert torch.equal(layer.weight, lin[f"lin{i}.model.1.weight"])
    # Round trip through this module's own names.
    own = {f"lins.{i}.weight": layer.weight.clone() for i, layer in enumerate(lp.lins)}
    other = LPIPS("alex", pretrained=False).load_linear_weights(own)
    assert all(torch.equal(a.weight, b.weight) for a, b in zip(other.lins, lp.lins))
    with pytest.raises(ValueError, match="other backbone"):
        LPIPS("vgg", pretrained=False, linear_weights=lin)
    with pytest.raises(ValueError, match="lack layer 4"):
        LPIPS("alex", pretrained=False, linear_weights={k: v for k, v in lin.items() if not k.startswith("lin4")})


@pytest.mark.parametrize("a,b,error,match", [
    (torch.zeros(2, 3, 32, 32), torch.zeros(1, 3, 32, 32), ValueError, "same shape"),
    (torch.zeros(2, 3, 32, 32, dtype=torch.uint8), torch.zeros(2, 3, 32, 32, dtype=torch.uint8), TypeError, "127.5"),
    (torch.zeros(2, 32, 32, 3), torch.zeros(2, 32, 32, 3), ValueError, "permute"),
])
def test_bad_inputs(a, b, error, match):
    lp = LPIPS("alex", pretrained=False)
    with pytest.raises(error, match=match):
        lp(a, b)


def test_unknown_net():
    with pytest.raises(ValueError, match='"alex" or "vgg"'):
        LPIPS("squeeze", pretrained=False)
