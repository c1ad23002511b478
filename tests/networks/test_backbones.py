"""fastgan.networks.VGG16Features / AlexNetFeatures: torchvision's parameter names and LPIPS taps."""
import json

import pytest
import torch

from fastgan.networks import AlexNetFeatures, VGG16Features
from fastgan.networks.weights import load_seeded

NETS = {"alex": AlexNetFeatures, "vgg": VGG16Features}


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_state_dict_matches_torchvision_manifest(net, reference_dir):
    manifest = json.loads((reference_dir / f"lpips_{net}_backbone_manifest.json").read_text())
    state = NETS[net](weights=None).state_dict()
    assert list(state) == list(manifest)
    assert {k: list(v.shape) for k, v in state.items()} == manifest


@pytest.mark.parametrize("net,size,shapes", [
    ("alex", 64, [(64, 15, 15), (192, 7, 7), (384, 3, 3), (256, 3, 3), (256, 3, 3)]),
    ("vgg", 32, [(64, 32, 32), (128, 16, 16), (256, 8, 8), (512, 4, 4), (512, 2, 2)]),
])
def test_taps_are_the_lpips_layers(net, size, shapes, gen):
    model = load_seeded(NETS[net](weights=None))
    x = torch.randn(2, 3, size, size, generator=gen)
    taps = model.taps(x)
    assert [tuple(t.shape[1:]) for t in taps] == shapes
    assert [t.shape[1] for t in taps] == list(model.CHANNELS)
    assert all(bool((t >= 0).all()) for t in taps)  # each tap follows a ReLU
    # The last tap, run through the remaining layers, is the whole stack's output.
    rest = taps[-1]
    for layer in model.features[model.TAPS[-1]:]:
        rest = layer(rest)
    torch.testing.assert_close(model(x), rest)


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_loads_a_torchvision_style_checkpoint_ignoring_the_classifier(net, tmp_path):
    source = load_seeded(NETS[net](weights=None))
    state = dict(source.state_dict())
    state["classifier.1.weight"] = torch.zeros(4096, 9216)
    path = tmp_path / "full.pth"
    torch.save(state, path)
    model = NETS[net](weights=str(path))
    for k, v in source.state_dict().items():
        assert torch.equal(model.state_dict()[k], v)
    assert not any(p.requires_grad for p in model.parameters())


def test_backbone_of_the_other_network_is_rejected():
    with pytest.raises(ValueError, match="does not fit AlexNetFeatures"):
        AlexNetFeatures(weights=VGG16Features(weights=None).state_dict())


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_smallest_input_works_and_smaller_is_a_clear_error(net):
    model = NETS[net](weights=None)
    size = model.MIN_SIZE
    assert all(t.shape[-1] >= 1 for t in model.taps(torch.zeros(1, 3, size, size)))
    with pytest.raises(ValueError, match=f"at least {size}x{size}"):
        model.taps(torch.zeros(1, 3, size - 1, size + 5))
