"""fastgan.networks.FIDInceptionV3 against pytorch-fid's outputs (shared/reference/networks.pt)."""
import json

import numpy as np
import pytest
import torch

from fastgan.networks import FIDInceptionV3
from seeded import relative_error, seeded_inception

TOL = 1e-4  # relative, as the issue asks


def test_state_dict_matches_published_manifest(reference_dir):
    manifest = json.loads((reference_dir / "inception_fid_manifest.json").read_text())
    state = FIDInceptionV3(weights=None).state_dict()
    assert list(state) == list(manifest)  # same names, same order
    assert {k: list(v.shape) for k, v in state.items()} == manifest


@pytest.mark.parametrize("size", [64, 299])
def test_matches_pytorch_fid(inception, networks_ref, size):
    images = networks_ref[f"imgs{size}"]
    with torch.inference_mode():
        out = inception(images)
    for key in ("pool3", "logits"):
        want = networks_ref[f"inception_{key}_{size}"]
        assert out[key].shape == want.shape and out[key].dtype == torch.float32
        err = relative_error(out[key], want)
        assert err < TOL, f"{key} at {size}px: relative error {err:.2e}"
    torch.testing.assert_close(out["logits_unbiased"], out["logits"] - inception.fc.bias, rtol=1e-5, atol=1e-5)


def test_float_input_in_unit_range_equals_uint8():
    net = seeded_inception(resize=None)
    images = torch.randint(0, 256, (1, 3, 80, 80), generator=torch.Generator().manual_seed(2), dtype=torch.uint8)
    with torch.inference_mode():
        a = net(images)["pool3"]
        b = net(images.float() / 255)["pool3"]
        c = net(images.numpy())["pool3"]
    torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(a, c, rtol=0, atol=0)


def test_batch_size_does_not_change_features():
    # No resizing at 83x83 keeps this cheap; batch composition must not leak between images.
    net = seeded_inception(resize=None)
    images = torch.randint(0, 256, (3, 3, 83, 83), generator=torch.Generator().manual_seed(3), dtype=torch.uint8)
    with torch.inference_mode():
        whole = net(images)["pool3"]
        parts = torch.cat([net(images[:1])["pool3"], net(images[1:])["pool3"]])
    assert relative_error(parts, whole) < 1e-5
    # Distinct images give distinct features (the network is not degenerate).
    assert relative_error(whole[0], whole[1]) > 1e-2


def test_float64_network_agrees_with_float32():
    net32 = seeded_inception(resize=None)
    net64 = FIDInceptionV3(weights=None, resize=None)
    net64.load_state_dict(net32.state_dict())
    net64.double()
    # float64 convolutions have no fast CPU path: one small image.
    images = torch.randint(0, 256, (1, 3, 75, 75), generator=torch.Generator().manual_seed(4), dtype=torch.uint8)
    with torch.inference_mode():
        a, b = net32(images)["pool3"], net64(images)["pool3"]
    assert b.dtype == torch.float64
    assert relative_error(a, b) < 1e-4


def test_loads_weights_from_a_file_and_tolerates_missing_batch_counters(tmp_path):
    state = dict(FIDInceptionV3(weights=None).state_dict())
    # Some published checkpoints predate BatchNorm's num_batches_tracked.
    trimmed = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    path = tmp_path / "inception.pth"
    torch.save(trimmed, path)
    net = FIDInceptionV3(weights=path)
    for k, v in trimmed.items():
        assert torch.equal(net.state_dict()[k], v), k
    assert not net.training and not any(p.requires_grad for p in net.parameters())


def test_rejects_checkpoint_of_another_network():
    state = dict(FIDInceptionV3(weights=None).state_dict())
    state["fc.weight"] = torch.zeros(1000, 2048)  # torchvision's 1000-class Inception
    state["fc.bias"] = torch.zeros(1000)
    state["AuxLogits.fc.weight"] = torch.zeros(1000, 768)
    with pytest.raises(ValueError, match=r"unexpected: AuxLogits.fc.weight.*wrong shape: fc.weight"):
        FIDInceptionV3(weights=state)


def test_unknown_weights_name_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="neither a published name"):
        FIDInceptionV3(weights="tensorflow")
    with pytest.raises(ValueError, match="resize"):
        FIDInceptionV3(weights=None, resize="nearest")


@pytest.mark.parametrize("bad,error,match", [
    (torch.zeros(2, 299, 299, 3, dtype=torch.uint8), ValueError, "permute"),
    (torch.zeros(2, 1, 64, 64, dtype=torch.uint8), ValueError, "grey"),
    (torch.zeros(3, 64, 64, dtype=torch.uint8), ValueError, "batch dimension"),
    (torch.full((1, 3, 64, 64), 255.0), ValueError, r"\[0,1\]"),
    (torch.full((1, 3, 64, 64), -1.0), ValueError, r"\[0,1\]"),
    (torch.zeros(1, 3, 64, 64, dtype=torch.int32), TypeError, "uint8"),
    (torch.full((1, 3, 64, 64), float("nan")), ValueError, "NaN"),
    ([[1, 2, 3]], TypeError, "tensor or NumPy"),
])
def test_bad_images_are_clear_errors(bad, error, match):
    net = seeded_inception(resize=None)
    with pytest.raises(error, match=match):
        net.preprocess(bad)


def test_small_images_without_resize_are_rejected():
    net = seeded_inception(resize=None)
    with pytest.raises(ValueError, match="too small"):
        net.preprocess(np.zeros((1, 3, 64, 64), dtype=np.uint8))


def test_gradients_reach_the_input():
    net = seeded_inception(resize=None)
    x = torch.rand(1, 3, 75, 75, requires_grad=True)
    net(x)["pool3"].sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_fused_copy_gives_the_same_features(networks_ref):
    net = seeded_inception()
    fused = net.fused(channels_last=True)
    assert not any(k.endswith("running_var") for k in fused.state_dict())
    assert any(k.endswith("running_var") for k in net.state_dict())  # the original is untouched
    with torch.inference_mode():
        out = fused(networks_ref["imgs299"][:1])
    for key in ("pool3", "logits"):
        assert relative_error(out[key], networks_ref[f"inception_{key}_299"][:1]) < TOL
