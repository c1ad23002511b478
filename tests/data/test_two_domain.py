"""Two-domain data: trainA/trainB folders, digits-inverted, digits-m, the domain classifiers, bad input."""
import os

import numpy as np
import pytest
import torch
from PIL import Image

from fastgan.data import load_data
from fastgan.data.domain_classifier import domain_classifier, predict


def _save(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path)


def _domains(root, n_a=4, n_b=3, size=8, test=False):
    rng = np.random.default_rng(0)
    for d, n in (("A", n_a), ("B", n_b)):
        for i in range(n):
            _save(root / f"train{d}" / f"{i}.png", rng.integers(0, 256, (size, size, 3)))
        if test:
            _save(root / f"test{d}" / "t.png", rng.integers(0, 256, (size, size, 3)))


def test_unpaired_folders_split_or_use_test_folders(tmp_path):
    _domains(tmp_path)
    data = load_data(str(tmp_path), size=16)
    assert data.kinds == {"unconditional", "two-domain"} and data.shape == (3, 16, 16)
    assert (len(data.x), len(data.heldout_x)) == (3, 1)
    assert (len(data.extra["domain_b"]), len(data.extra["heldout_b"])) == (2, 1)
    _domains(tmp_path / "t", test=True)
    data = load_data(f"unpaired:{tmp_path / 't'}", size=16, channels=1)
    assert data.shape == (1, 16, 16) and len(data.x) == 4 and len(data.heldout_x) == 1
    assert len(data.extra["domain_b"]) == 3 and len(data.extra["heldout_b"]) == 1


def test_empty_missing_and_unreadable_domain_folders_are_named(tmp_path):
    _domains(tmp_path)
    for f in (tmp_path / "trainB").iterdir():
        f.unlink()
    with pytest.raises(ValueError, match=r"domain B: the folder .*trainB holds no images"):
        load_data(str(tmp_path))
    with pytest.raises(ValueError, match="trainA/ and trainB/"):
        load_data(f"unpaired:{tmp_path / 'trainA'}")
    _domains(tmp_path / "bad")
    (tmp_path / "bad" / "trainA" / "9.png").write_bytes(b"broken")
    with pytest.raises(OSError, match=r"trainA/9\.png"):
        load_data(str(tmp_path / "bad"))
    if os.geteuid() != 0:  # root reads any folder
        locked = tmp_path / "locked"
        _domains(locked)
        os.chmod(locked / "trainB", 0)
        try:
            with pytest.raises(ValueError, match="cannot read the folder .*trainB"):
                load_data(str(locked))
        finally:
            os.chmod(locked / "trainB", 0o755)


def test_images_of_different_sizes_in_one_domain(tmp_path):
    _domains(tmp_path)
    _save(tmp_path / "trainA" / "5.png", np.zeros((9, 8, 3)))
    with pytest.raises(ValueError, match=r"domain A: .*5\.png is 8x9 px but .*0\.png is 8x8 px"):
        load_data(str(tmp_path))


def test_a_domain_of_one_image_has_nothing_to_hold_out(tmp_path):
    _domains(tmp_path, n_b=1)
    with pytest.raises(ValueError, match="domain B .*at least 2"):
        load_data(str(tmp_path))


@pytest.mark.parametrize("name,channels", [("digits-inverted", 1), ("digits-m", 3)])
def test_built_in_sets_are_unpaired_in_training_and_aligned_when_held_out(name, channels):
    data = load_data(name)
    digits = load_data("digits")
    assert data.kinds == {"unconditional", "labelled", "two-domain"} and data.shape == (channels, 16, 16)
    b, yb = data.extra["domain_b"], data.extra["labels_b"]
    assert abs(len(data.x) - len(b)) <= 10 and len(data.x) + len(b) == len(digits.x)
    # A and B come from disjoint halves of the train split, each stratified by label.
    assert torch.bincount(data.y).min() >= 60 and torch.bincount(yb).min() >= 60
    assert data.heldout_y.equal(digits.heldout_y) and data.extra["heldout_labels_b"].equal(digits.heldout_y)
    assert data.heldout_x.shape == data.extra["heldout_b"].shape
    assert load_data(name).extra["domain_b"].equal(b)  # deterministic
    if name == "digits-inverted":
        assert data.extra["heldout_b"].equal(-data.heldout_x)
        a_rows = {tuple(r.tolist()) for r in data.x.flatten(1)}
        assert sum(tuple((-r).tolist()) in a_rows for r in b.flatten(1)) < 5  # no inverted copy of an A image
    else:
        assert b.min() >= -1 and b.max() <= 1 and b.std(dim=(0, 2, 3)).min() > 0.2
        assert data.heldout_x.equal(digits.heldout_x.expand(-1, 3, -1, -1))


def test_domain_classifiers_recognise_their_domains():
    data = load_data("digits-inverted")
    clf_b = domain_classifier(data, "b")
    acc = (predict(clf_b, data.extra["heldout_b"]) == data.extra["heldout_labels_b"]).float().mean()
    assert acc > 0.9
    assert domain_classifier(data, "b") is clf_b  # loaded once
    assert domain_classifier(load_data("digits"), "b") is None  # not a translation set
