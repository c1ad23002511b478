"""fastgan.models.diversity: mean LPIPS between outputs for one input; the published LPIPS only when cached."""
import pytest
import torch

import fastgan.networks as networks
import fastgan.networks.weights as weights
from fastgan.models import diversity


@pytest.fixture
def fresh_cache():
    diversity.lpips_model.cache_clear()
    yield
    diversity.lpips_model.cache_clear()


def test_a_translator_that_ignores_z_has_no_diversity_and_one_that_uses_it_has_some():
    x = torch.rand(6, 1, 16, 16) * 2 - 1

    def noisy(b, generator):
        return (b + 0.5 * torch.randn(b.shape, generator=generator)).clamp(-1, 1)

    assert diversity.output_diversity(lambda b, g: b, x, torch.Generator().manual_seed(0), pairs=1) == 0
    first = diversity.output_diversity(noisy, x, torch.Generator().manual_seed(0), pairs=2, batch_size=4)
    assert first > 0
    assert first == diversity.output_diversity(noisy, x, torch.Generator().manual_seed(0), pairs=2, batch_size=4)


def test_the_published_weights_are_used_only_when_already_cached(monkeypatch, fresh_cache):
    asked = []
    monkeypatch.setattr(weights, "weights_path", lambda name, download=None: asked.append((name, download)))
    monkeypatch.setattr(networks, "LPIPS", lambda net, pretrained=True: ("LPIPS", net, pretrained))
    assert diversity.lpips_model() == (("LPIPS", "vgg", True), "pretrained")
    assert asked == [("torchvision-vgg16", False), ("lpips-v0.1-vgg", False)]  # never a download


def test_without_them_the_seeded_random_weight_proxy(monkeypatch, fresh_cache):
    def missing(name, download=None):
        raise weights.WeightsNotFoundError(name)

    monkeypatch.setattr(weights, "weights_path", missing)
    model, which = diversity.lpips_model()
    assert which == "proxy" and model.net == "vgg"
    again = networks.LPIPS("vgg", pretrained=False)
    weights.load_seeded(again)
    for (name, p), (_, q) in zip(model.state_dict().items(), again.state_dict().items()):
        assert torch.equal(p, q), name
