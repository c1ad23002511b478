"""fastgan.compat.torchmetrics.image.perceptual_path_length against torchmetrics' own estimator.

torchmetrics refuses to run PPL without torchvision (not installable here); its functional
code needs torchvision only for its default LPIPS, so with the availability flag set and the
same similarity network passed in, its own estimator runs and both must agree.
"""
import pytest
import torch
from torch import nn

from fastgan.compat.torchmetrics.image import perceptual_path_length as ours
from fastgan.compat.torchmetrics.image.perceptual_path_length import PerceptualPathLength
from fastgan.networks import LPIPS
from fastgan.networks.weights import load_seeded


class Generator(nn.Module):
    """z [B, 6] -> images [B, 3, 32, 32] in [0, 255], as torchmetrics' generators return them."""

    num_classes = 3

    def __init__(self, conditional=False):
        super().__init__()
        torch.manual_seed(1)
        self.lin = nn.Linear(6 + 3 * conditional, 3 * 32 * 32)
        self.conditional = conditional

    def forward(self, z, labels=None):
        if self.conditional:
            z = torch.cat([z, nn.functional.one_hot(labels, 3).float()], 1)
        return (255 * (torch.tanh(self.lin(z)) + 1) / 2).view(-1, 3, 32, 32)

    def sample(self, n):
        return torch.randn(n, 6)


class Similarity(nn.Module):
    """A seeded LPIPS-alex called as torchmetrics calls its similarity net (images in [-1, 1])."""

    def __init__(self):
        super().__init__()
        self.lpips = load_seeded(LPIPS("alex", pretrained=False))

    def forward(self, a, b):
        return self.lpips(a, b).reshape(-1, 1, 1, 1)


@pytest.fixture(scope="module")
def anchor():
    tm = pytest.importorskip("torchmetrics.functional.image.perceptual_path_length")
    return tm


@pytest.mark.parametrize("method", ["lerp", "slerp_any", "slerp_unit"])
@pytest.mark.parametrize("conditional", [False, True])
def test_matches_torchmetrics_with_the_same_seed(anchor, monkeypatch, method, conditional):
    monkeypatch.setattr(anchor, "_TORCHVISION_AVAILABLE", True)
    net, gen = Similarity(), Generator(conditional)
    args = dict(num_samples=40, conditional=conditional, batch_size=16, interpolation_method=method, epsilon=1e-2,
                lower_discard=0.1, upper_discard=0.9, sim_net=net)
    torch.manual_seed(7)
    want = anchor.perceptual_path_length(gen, **args)
    torch.manual_seed(7)
    metric = PerceptualPathLength(**args)
    metric.update(gen)
    got = metric.compute()
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-6, atol=0)


def test_interpolation_equals_torchmetrics_incl_degenerate_latents(anchor):
    a = torch.randn(5, 4)
    b = torch.randn(5, 4)
    b[1] = 2 * a[1]  # parallel: lerp
    a[2] = 0  # zero: lerp
    for method in ("lerp", "slerp_any", "slerp_unit"):
        torch.testing.assert_close(ours._interpolate(a, b, 0.3, method), anchor._interpolate(a, b, 0.3, method))


def test_resize_is_torchmetrics_lpips_resize():
    lp = pytest.importorskip("torchmetrics.functional.image.lpips")
    for shape in ((2, 3, 100, 90), (2, 3, 40, 90), (1, 3, 20, 20)):
        x = torch.rand(shape)
        torch.testing.assert_close(ours.resize_like_torchmetrics(x, 64), lp._resize_tensor(x, 64))


def test_arguments_and_generators_are_checked_like_torchmetrics():
    with pytest.raises(ValueError, match="interpolation_method"):
        PerceptualPathLength(interpolation_method="cubic", sim_net=Similarity())
    with pytest.raises(ValueError, match="epsilon"):
        PerceptualPathLength(epsilon=1, sim_net=Similarity())
    with pytest.raises(ValueError, match="squeeze"):
        PerceptualPathLength(sim_net="squeeze")
    metric = PerceptualPathLength(sim_net=Similarity(), conditional=True)
    with pytest.raises(NotImplementedError, match="sample"):
        metric.update(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="update"):
        PerceptualPathLength(sim_net=Similarity()).compute()
