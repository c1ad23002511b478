"""Paired image-to-image data: side-by-side and A/B folders, digits-edges, and their bad-input errors."""
import numpy as np
import pytest
import torch
from PIL import Image

from fastgan.data import load_data
from fastgan.data.paired import edge_map


def _save(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path)


def _pair_images(i, size=8):
    rng = np.random.default_rng(i)
    a = rng.integers(0, 256, (size, size, 3))
    return a, 255 - a  # B is A inverted: alignment is checkable after loading


def test_side_by_side_folder_splits_each_image_and_holds_out_test(tmp_path):
    for i in range(6):
        a, b = _pair_images(i)
        _save(tmp_path / ("test" if i == 5 else "train") / f"{i}.png", np.concatenate([a, b], axis=1))
    data = load_data(f"paired:{tmp_path}", size=16)
    assert data.kinds >= {"paired"} and data.shape == (3, 16, 16)
    assert len(data.x) == 5 and len(data.heldout_x) == 1
    # B = 255 - A in uint8 is -A in [-1, 1] (area resizing is linear).
    assert torch.allclose(data.extra["target"], -data.x, atol=1e-5)
    assert torch.allclose(data.extra["heldout_target"], -data.heldout_x, atol=1e-5)
    assert load_data(**data.config).x.equal(data.x)


def test_two_folders_pair_by_name_across_extensions(tmp_path):
    for i in range(5):
        a, b = _pair_images(i)
        _save(tmp_path / "A" / f"img{i}.png", a)
        _save(tmp_path / "B" / f"img{i}.bmp", b)
    data = load_data(str(tmp_path), size=16, channels=1)
    assert data.shape == (1, 16, 16) and len(data.x) + len(data.heldout_x) == 5 and len(data.heldout_x) == 1
    assert torch.allclose(data.extra["target"], -data.x, atol=1e-5)


def test_mismatched_pairs_name_the_file(tmp_path):
    for i in range(3):
        a, b = _pair_images(i)
        _save(tmp_path / "A" / f"{i}.png", a)
        if i < 2:
            _save(tmp_path / "B" / f"{i}.png", b)
    with pytest.raises(ValueError, match=r"A holds 3 images and B 2.*2\.\*"):
        load_data(str(tmp_path))
    a, _ = _pair_images(9)
    _save(tmp_path / "B" / "2.png", np.zeros((10, 8, 3)))
    with pytest.raises(ValueError, match=r"2\.png is 8x10 px"):
        load_data(str(tmp_path))


def test_pairs_of_different_sizes_and_mixed_sizes_in_a_domain(tmp_path):
    a, b = _pair_images(0)
    _save(tmp_path / "A" / "0.png", a)
    _save(tmp_path / "B" / "0.png", np.zeros((12, 12, 3)))
    _save(tmp_path / "A" / "1.png", a)
    _save(tmp_path / "B" / "1.png", np.zeros((12, 12, 3)))
    with pytest.raises(ValueError, match="its partner .*0.png is 12x12 px"):
        load_data(str(tmp_path))
    side = tmp_path / "side"
    _save(side / "0.png", np.zeros((8, 16, 3)))
    _save(side / "1.png", np.zeros((8, 18, 3)))
    with pytest.raises(ValueError, match=r"1\.png is 18x8 px but .*0\.png is 16x8 px"):
        load_data(f"paired:{side}")


def test_odd_width_empty_and_unreadable_files(tmp_path):
    odd = tmp_path / "odd"
    _save(odd / "0.png", np.zeros((8, 15, 3)))
    _save(odd / "1.png", np.zeros((8, 15, 3)))
    with pytest.raises(ValueError, match=r"0\.png is 15 px wide"):
        load_data(f"paired:{odd}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        load_data(f"paired:{tmp_path / 'empty'}")
    bad = tmp_path / "bad"
    _save(bad / "0.png", np.zeros((8, 16, 3)))
    (bad / "1.png").write_bytes(b"not a png")
    with pytest.raises(OSError, match=r"1\.png"):
        load_data(f"paired:{bad}")
    with pytest.raises(ValueError, match="is not a folder"):
        load_data(f"paired:{tmp_path / 'missing'}")


def test_one_pair_is_too_few(tmp_path):
    _save(tmp_path / "0.png", np.zeros((8, 16, 3)))
    with pytest.raises(ValueError, match="at least 2"):
        load_data(f"paired:{tmp_path}")


def test_digits_edges_is_paired_labelled_and_aligned():
    data = load_data("digits-edges")
    digits = load_data("digits")
    assert data.kinds == {"unconditional", "labelled", "paired"}
    assert data.extra["target"].equal(digits.x) and data.y.equal(digits.y)
    assert data.extra["heldout_target"].equal(digits.heldout_x)
    assert set(data.x.unique().tolist()) == {-1.0, 1.0}
    assert data.x.equal(edge_map(digits.x))
    # Edges sit where the digit changes: a blank image has none, every digit has some.
    assert (edge_map(-torch.ones(1, 1, 16, 16)) == -1).all()
    assert ((data.x > 0).flatten(1).sum(1) > 5).all()
    with pytest.raises(ValueError, match="16, 32 or 64"):
        load_data("digits-edges", size=8)
