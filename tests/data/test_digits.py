"""The digits data set, its fixed split, and the cached digits classifier."""
import pytest
import torch

from fastgan.data import digits, digits_classifier, load_data
from fastgan.data.classifier import classifier_accuracy


def test_split_is_disjoint_stratified_and_fixed():
    train, ytr = digits(8, "train")
    held, yho = digits(8, "heldout")
    assert len(train) + len(held) == 1797 and 340 < len(held) < 380
    assert train.min() >= -1 and train.max() <= 1
    assert set(yho.tolist()) == set(range(10)) and torch.bincount(yho).min() >= 30
    # No held-out image is in the train split.
    flat_train = {tuple(r.tolist()) for r in train.flatten(1)}
    overlap = sum(tuple(r.tolist()) in flat_train for r in held.flatten(1))
    assert overlap < 5  # the raw data has a handful of exact duplicate digits across classes
    again, _ = digits(8, "heldout")
    assert torch.equal(held, again)


@pytest.mark.parametrize("size", [16, 32])
def test_upsampled_sizes(size):
    x, y = digits(size, "heldout")
    assert x.shape[1:] == (1, size, size) and x.dtype == torch.float32


def test_bad_size_and_split():
    with pytest.raises(ValueError, match="size"):
        digits(20)
    with pytest.raises(ValueError, match="split"):
        digits(16, "test")


def test_classifier_is_accurate_on_held_out_digits_and_cached(monkeypatch):
    from fastgan.data import classifier as module

    model = digits_classifier(16)  # trained once per machine (cache_dir()), then loaded
    held, labels = digits(16, "heldout")
    assert classifier_accuracy(model, held, labels) > 0.9
    assert model.features(held[:4]).shape == (4, 64)
    big, _ = digits(32, "heldout")
    assert classifier_accuracy(model, big, labels) > 0.9  # other sizes are resized to 16 px
    path = module.cache_dir() + f"/digits_classifier_v{module.CLASSIFIER_VERSION}_16px.pt"
    assert torch.load(path, weights_only=True).keys() == model.state_dict().keys()
    monkeypatch.setattr(module, "_LOADED", {})
    again = digits_classifier(16)  # from the cache file: same weights
    assert again is not model
    for a, b in zip(model.parameters(), again.parameters()):
        assert torch.equal(a, b)


def test_load_data_sources(tmp_path):
    ring = load_data("ring8")
    assert ring.kind == "points" and ring.shape == (2,) and ring.num_classes == 8
    dig = load_data("digits", size=16)
    assert dig.kind == "images" and dig.shape == (1, 16, 16) and dig.num_classes == 10
    with pytest.raises(ValueError, match="unknown data"):
        load_data("mnist-please")


def test_load_data_from_an_image_folder(tmp_path):
    from PIL import Image

    gen = torch.Generator().manual_seed(0)
    for i in range(25):
        pixels = torch.randint(0, 256, (40, 30, 3), generator=gen, dtype=torch.uint8).numpy()
        Image.fromarray(pixels).save(tmp_path / f"{i:02d}.png")
    source = load_data(str(tmp_path), size=16, channels=1)
    assert source.shape == (1, 16, 16) and len(source.x) + len(source.heldout_x) == 25
    assert source.x.min() >= -1 and source.x.max() <= 1
