"""fastgan.data.shapes: deterministic scenes, a fixed split, factors that describe the pixels."""
import numpy as np
import pytest
import torch

from fastgan.data import load_data
from fastgan.data.shapes import FACTORS, SHAPES, TOTAL, TRAIN, render, sample_factors, shapes


def test_the_same_seed_gives_the_same_pixels_and_another_seed_others():
    a = render(sample_factors(20, seed=3))
    b = render(sample_factors(20, seed=3))
    c = render(sample_factors(20, seed=4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == (20, 3, 32, 32) and a.dtype == torch.float32
    assert a.min() >= -1 and a.max() <= 1


def test_splits_are_disjoint_and_fixed():
    x, y, f = shapes(16, "train")
    hx, hy, hf = shapes(16, "heldout")
    assert len(x) == TRAIN and len(hx) == TOTAL - TRAIN
    assert x.shape[1:] == (3, 16, 16) and f.shape == (TRAIN, len(FACTORS))
    # No held-out scene is a training scene (the factors are continuous draws).
    dist = torch.cdist(hf[:500, 1:].double(), f[:, 1:].double()).min(1).values
    assert dist.min() > 1e-6
    assert torch.equal(torch.cat([f, hf]), shapes(16, "all")[2])
    assert set(y.tolist()) == set(range(len(SHAPES)))
    with pytest.raises(ValueError, match="split"):
        shapes(16, "test")


def test_factors_describe_the_pixels():
    f = sample_factors(200, seed=1)
    f[:, 1] = 0.3  # large shapes centred in the image: the centre pixel is the shape's colour
    f[:, 2:4] = 0.5
    img = (render(f, 32).double() + 1) / 2
    centre = img[:, :, 15:17, 15:17].mean((2, 3)).numpy()
    corner = img[:, :, 0, 0].numpy()
    np.testing.assert_allclose(centre, f[:, 4:7], atol=1e-6)
    np.testing.assert_allclose(corner, f[:, 7:10], atol=1e-6)
    # Circles cover pi r^2 of the image, squares (2 * 0.8 r)^2: coverage follows the shape.
    bg, fg = torch.from_numpy(f[:, 7:10])[:, :, None, None], torch.from_numpy(f[:, 4:7])[:, :, None, None]
    # Per-pixel coverage recovered from the colours (pixel = bg + coverage * (fg - bg)).
    cov = ((img - bg) * (fg - bg)).sum(1) / (fg - bg).square().sum(1)
    cov = cov.mean((1, 2))
    for kind, area in ((0, np.pi * 0.3**2), (1, (1.6 * 0.3) ** 2)):
        assert cov[f[:, 0] == kind].mean().item() == pytest.approx(area, rel=0.02)


def test_load_data_shapes():
    source = load_data("shapes")
    assert source.shape == (3, 32, 32) and source.kind == "images" and source.num_classes == len(SHAPES)
    assert torch.equal(source.y, source.extra["factors"][:, 0].long())
    assert len(source.extra["heldout_factors"]) == len(source.heldout_x)
    assert load_data("shapes", size=16).shape == (3, 16, 16)
    assert load_data("shapes", conditional=False).y is None
    with pytest.raises(ValueError, match="size"):
        load_data("shapes", size=24)
    with pytest.raises(ValueError, match="factors"):
        render(np.zeros((2, 3)))


def test_the_shapes_classifier_defines_the_feature_space():
    from fastgan.data.classifier import classifier_accuracy, feature_classifier
    from fastgan.data.shapes_classifier import ShapesClassifier

    model = feature_classifier("shapes", 32)  # trained once per machine (~20 s), then cached
    assert isinstance(model, ShapesClassifier) and feature_classifier("shapes") is model
    hx, hy, hf = shapes(32, "heldout")
    assert classifier_accuracy(model, hx, hy) > 0.95
    assert model.features(hx[:10]).shape == (10, 64)
    assert model.features(torch.nn.functional.interpolate(hx[:4], size=16, mode="area")).shape == (4, 64)
    assert feature_classifier("ring8") is None
