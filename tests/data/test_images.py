"""fastgan.data.ImageFolder: formats, order, conversions, errors and worker processes."""
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from fastgan.data import ImageFolder, ImageReadError, list_images


def _rgb(rng, h=6, w=5):
    return rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


@pytest.fixture
def folder(tmp_path, rng):
    """A small tree of lossless images and arrays, with the pixels each item must have."""
    root = tmp_path / "imgs"
    (root / "sub").mkdir(parents=True)
    expected = {}
    a = _rgb(rng)
    Image.fromarray(a).save(root / "b.png")
    expected["b.png"] = a
    grey = rng.integers(0, 256, size=(6, 5), dtype=np.uint8)
    Image.fromarray(grey, mode="L").save(root / "a.bmp")
    expected["a.bmp"] = np.repeat(grey[:, :, None], 3, axis=2)
    rgba = rng.integers(0, 256, size=(6, 5, 4), dtype=np.uint8)
    Image.fromarray(rgba, mode="RGBA").save(root / "sub" / "c.PNG")
    expected["sub/c.PNG"] = rgba[..., :3]
    lossless = _rgb(rng)
    Image.fromarray(lossless).save(root / "sub" / "d.webp", lossless=True)
    expected["sub/d.webp"] = lossless
    chw = _rgb(rng).transpose(2, 0, 1)
    np.save(root / "e.npy", chw)
    expected["e.npy"] = chw.transpose(1, 2, 0)
    batch = rng.integers(0, 256, size=(3, 6, 5, 3), dtype=np.uint8)
    np.savez_compressed(root / "f.npz", batch)
    for i in range(3):
        expected[f"f.npz[{i}]"] = batch[i]
    (root / "notes.txt").write_text("not an image")
    (root / ".hidden.png").write_bytes(b"editor debris")
    return root, expected


def test_items_in_sorted_order_with_exact_pixels(folder):
    root, expected = folder
    ds = ImageFolder(root)
    names = ["a.bmp", "b.png", "e.npy", "f.npz[0]", "f.npz[1]", "f.npz[2]", "sub/c.PNG", "sub/d.webp"]
    assert len(ds) == len(names)
    for i, name in enumerate(names):
        item = ds[i]
        assert item.dtype == torch.uint8 and item.shape == (3, 6, 5), name
        assert ds.path(i) == str(root / name.split("[")[0]) + ("[" + name.split("[")[1] if "[" in name else "")
        np.testing.assert_array_equal(item.permute(1, 2, 0).numpy(), expected[name], err_msg=name)


def test_order_does_not_depend_on_creation_order(tmp_path, rng):
    roots = []
    for k, order in enumerate([["z", "a", "m"], ["m", "z", "a"]]):
        root = tmp_path / f"r{k}"
        root.mkdir()
        for name in order:
            Image.fromarray(np.full((2, 2, 3), ord(name), dtype=np.uint8)).save(root / f"{name}.png")
        roots.append(root)
    firsts = [[int(ImageFolder(r)[i][0, 0, 0]) for i in range(3)] for r in roots]
    assert firsts[0] == firsts[1] == [ord("a"), ord("m"), ord("z")]


def test_jpeg_decodes_like_pil(tmp_path, rng):
    path = tmp_path / "x.jpg"
    Image.fromarray(_rgb(rng, 16, 16)).save(path, quality=90)
    want = np.asarray(Image.open(path).convert("RGB"))
    np.testing.assert_array_equal(ImageFolder(path)[0].permute(1, 2, 0).numpy(), want)


def test_extension_filter(folder):
    root, _ = folder
    assert [p.name for p in list_images(root, extensions=(".png",))] == ["b.png", "c.PNG"]


def test_worker_processes_give_the_same_batches(folder):
    root, _ = folder
    ds = ImageFolder(root)
    serial = list(ds.loader(batch_size=3))
    parallel = list(ds.loader(batch_size=3, num_workers=2))
    assert len(serial) == len(parallel) == 3
    for s, p in zip(serial, parallel):
        assert torch.equal(s, p)


def test_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no images")
    with pytest.raises(ValueError, match=r"no images found in .*empty"):
        ImageFolder(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolder(tmp_path / "missing")


def test_corrupt_image_raises_naming_the_file(folder):
    root, _ = folder
    (root / "sub" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    ds = ImageFolder(root)
    index = [ds.path(i) for i in range(len(ds))].index(str(root / "sub" / "broken.png"))
    with pytest.raises(ImageReadError, match="broken.png") as info:
        ds[index]
    assert info.value.path == str(root / "sub" / "broken.png")


def test_truncated_image_raises(tmp_path, rng):
    path = tmp_path / "t.png"
    Image.fromarray(_rgb(rng, 64, 64)).save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ImageReadError, match="t.png"):
        ImageFolder(tmp_path)[0]


def test_skip_mode_warns_and_drops_bad_files(folder):
    root, expected = folder
    (root / "broken.jpg").write_bytes(b"not a jpeg")
    np.save(root / "floats.npy", np.zeros((4, 4, 3), dtype=np.float32))
    with pytest.warns(UserWarning, match="floats.npy.*uint8"):
        ds = ImageFolder(root, on_error="skip")
    assert len(ds) == len(expected) + 1  # the float array is left out at once, the jpeg is indexed
    with pytest.warns(UserWarning, match="broken.jpg"):
        batches = list(ds.loader(batch_size=4))
    assert sum(b.shape[0] for b in batches) == len(expected)


def test_bad_arrays_are_clear_errors(tmp_path):
    np.save(tmp_path / "f.npy", np.zeros((4, 4, 3), dtype=np.float32))
    with pytest.raises(ImageReadError, match=r"f.npy.*uint8"):
        ImageFolder(tmp_path)
    (tmp_path / "f.npy").unlink()
    np.save(tmp_path / "g.npy", np.zeros((2, 5, 5, 5), dtype=np.uint8))
    with pytest.raises(ImageReadError, match=r"g.npy.*\[N,H,W,C\]"):
        ImageFolder(tmp_path)
    (tmp_path / "g.npy").unlink()
    np.savez(tmp_path / "h.npz", images=np.zeros((1, 4, 4, 3), np.uint8), labels=np.zeros((1, 4, 4, 3), np.uint8))
    with pytest.raises(ImageReadError, match="npz_key"):
        ImageFolder(tmp_path)
    assert len(ImageFolder(tmp_path, npz_key="images")) == 1
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ImageReadError, match="bad.npz"):
        ImageFolder(tmp_path, npz_key="images")


def test_truncated_npy_data_raises_on_read(tmp_path):
    path = tmp_path / "cut.npy"
    np.save(path, np.zeros((10, 8, 8, 3), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-100])
    ds = ImageFolder(tmp_path)
    with pytest.raises(ImageReadError, match="cut.npy"):
        ds[0]


def test_mixed_sizes_in_one_batch_is_a_clear_error(tmp_path, rng):
    Image.fromarray(_rgb(rng, 4, 4)).save(tmp_path / "a.png")
    Image.fromarray(_rgb(rng, 5, 5)).save(tmp_path / "b.png")
    ds = ImageFolder(tmp_path)
    with pytest.raises(ValueError, match="differ in size"):
        list(ds.loader(batch_size=2))
    assert [b.shape[-1] for b in ds.loader(batch_size=1)] == [4, 5]


def test_invalid_on_error():
    with pytest.raises(ValueError, match="on_error"):
        ImageFolder(".", on_error="ignore")


def test_no_warning_for_clean_folder(folder):
    root, _ = folder
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(ImageFolder(root).loader(batch_size=8))
