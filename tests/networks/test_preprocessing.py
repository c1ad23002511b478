"""fastgan.networks.preprocessing and .resize: the resize modes and pixel mappings against what
pytorch-fid, torch-fidelity and clean-fid do (PIL called as clean-fid calls it; torch-fidelity's
own TF1 code is compared in tests/compat/test_torch_fidelity_anchor.py)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from fastgan.networks.preprocessing import resize_images, tf_pixel_mapping, to_pixel_float, to_unit_float
from fastgan.networks.resize import (pil_bicubic_taps, resize_pil_bicubic, resize_tf1_bilinear,
                                     resize_tf1_bilinear_grid, resize_torch_bilinear)


def _pil_float_resize(x, size):
    """clean-fid's resize: each channel as a PIL float image, bicubic, clipped to the pixel range."""
    out = np.empty((x.shape[0], x.shape[1], size, size), dtype=np.float32)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            img = Image.fromarray(x[n, c].astype(np.float32), mode="F")
            out[n, c] = np.asarray(img.resize((size, size), resample=Image.BICUBIC)).clip(0, 255)
    return out


@pytest.mark.parametrize("h,w,size", [(64, 64, 299), (37, 53, 29), (512, 512, 299), (300, 301, 299)])
def test_clean_resize_matches_pil_bicubic(h, w, size, rng):
    pixels = rng.integers(0, 256, size=(2, 3, h, w)).astype(np.uint8)
    want = _pil_float_resize(pixels, size) / 255
    got = resize_images(to_unit_float(torch.from_numpy(pixels), "x"), size, "clean")
    assert got.shape == (2, 3, size, size)
    # Within 1/100 of a grey level: PIL accumulates its float filter taps in another order.
    np.testing.assert_allclose(got.numpy(), want, atol=5e-5, rtol=0)


def test_bilinear_resize_is_pytorch_fid_interpolation(gen):
    x = torch.rand(2, 3, 64, 48, generator=gen)
    want = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
    assert torch.equal(resize_images(x, 299, "bilinear"), want)


@pytest.mark.parametrize("method", ["bilinear", "clean"])
def test_resize_to_the_same_size_is_the_identity(method, gen):
    x = torch.rand(1, 3, 299, 299, generator=gen)
    assert torch.equal(resize_images(x, 299, method), x)
    # ... which is also what interpolating to the same size gives (pytorch-fid always resizes).
    mode = "bilinear" if method == "bilinear" else "bicubic"
    same = F.interpolate(x, size=(299, 299), mode=mode, align_corners=False, antialias=method == "clean")
    torch.testing.assert_close(same, x, rtol=0, atol=1e-6)


def test_uint8_maps_to_unit_range():
    x = torch.tensor([0, 51, 255], dtype=torch.uint8).view(1, 3, 1, 1)
    torch.testing.assert_close(to_unit_float(x, "x").flatten(), torch.tensor([0.0, 0.2, 1.0]))


def test_float_range_slack_allows_rounding_only():
    to_unit_float(torch.full((1, 3, 2, 2), 1.0005), "x")
    with pytest.raises(ValueError, match=r"divide 0..255 floats by 255"):
        to_unit_float(torch.full((1, 3, 2, 2), 1.01), "x")


# --- the anchors' own resizers (fastgan.networks.resize) ------------------------------------

def _pil_float_channels(x, size):
    """PIL bicubic on each float32 channel (mode 'F'), called as clean-fid calls it, unclipped."""
    h, w = size
    out = np.empty((x.shape[0], x.shape[1], h, w), dtype=np.float32)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            img = Image.fromarray(np.ascontiguousarray(x[n, c], dtype=np.float32), mode="F")
            out[n, c] = np.asarray(img.resize((w, h), resample=Image.BICUBIC))
    return out


@pytest.mark.parametrize("hw,size", [((32, 32), (299, 299)), ((64, 48), (299, 299)), ((299, 299), (299, 299)),
                                     ((400, 512), (299, 299)), ((37, 53), (29, 31)), ((16, 16), (13, 15))])
def test_pil_bicubic_equals_pil_to_float32_rounding(hw, size, rng):
    pixels = rng.integers(0, 256, size=(2, 3, *hw)).astype(np.float32)
    want = _pil_float_channels(pixels, size)
    got = resize_pil_bicubic(torch.from_numpy(pixels), size)
    assert got.dtype == torch.float32 and got.shape == (2, 3, *size)
    # Same taps, weights and float64 sums; Pillow >= 12 may run its two passes in the other
    # order, which moves some pixels by one float32 step (6e-8 of the largest value).
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=2.5e-7 * np.abs(want).max())


def test_pil_bicubic_at_the_input_size_is_the_identity(rng):
    x = torch.from_numpy(rng.random((1, 3, 40, 30)).astype(np.float32) * 255)
    assert torch.equal(resize_pil_bicubic(x, (40, 30)), x)
    taps_first, taps_count, weights = pil_bicubic_taps(100, 30)
    assert weights.dtype == torch.float64 and torch.allclose(weights.sum(1), torch.ones(30, dtype=torch.float64))
    assert int(taps_first.min()) >= 0 and int((taps_first + taps_count).max()) <= 100


def test_tf1_grid_resize_is_tf1_bilinear_up_to_position_rounding(gen):
    x = torch.randint(0, 256, (2, 3, 64, 48), generator=gen).float()
    grid, direct = resize_tf1_bilinear_grid(x, 299), resize_tf1_bilinear(x, 299)
    # Both sample input pixel dst*in/out; the grid computes the positions in float32 through
    # [-1, 1] coordinates, off by ~1e-5 pixel: a few thousandths of a grey level.
    assert float((grid - direct).abs().max()) < 0.02
    assert float((grid - direct).abs().max()) > 0  # really the TorchScript network's own arithmetic


def test_tf1_bilinear_samples_without_half_pixel_shift():
    x = torch.arange(4.0).view(1, 1, 1, 4).expand(1, 1, 2, 4)
    # Output j reads input j * 4/8 with the right neighbour clamped at the border.
    want = torch.tensor([0, 0.5, 1, 1.5, 2, 2.5, 3, 3])
    torch.testing.assert_close(resize_tf1_bilinear(x, (2, 8))[0, 0, 0], want, rtol=0, atol=0)


@pytest.mark.parametrize("name", ["tf1", "tf1_grid", "pil", "torch"])
def test_resizers_run_on_the_images_device(name, device, gen):
    fn = {"tf1": resize_tf1_bilinear, "tf1_grid": resize_tf1_bilinear_grid, "pil": resize_pil_bicubic,
          "torch": resize_torch_bilinear}[name]
    x = torch.randint(0, 256, (2, 3, 40, 56), generator=gen).float()
    want = fn(x, 299)
    got = fn(x.to(device), 299)
    assert got.device.type == device.type and got.shape == (2, 3, 299, 299)
    # Element-wise float ops without fused multiply-adds: the same bits on both devices, except
    # grid_sample's own kernel.
    tol = 1e-3 if name == "tf1_grid" and device.type == "cuda" else 0
    torch.testing.assert_close(got.cpu(), want, rtol=0, atol=tol)


def test_resizers_reject_bad_input():
    with pytest.raises(TypeError, match="float tensor"):
        resize_pil_bicubic(torch.zeros(1, 3, 8, 8, dtype=torch.uint8), 4)
    with pytest.raises(ValueError, match=r"\[N,C,H,W\]"):
        resize_tf1_bilinear(torch.zeros(3, 8, 8), 4)
    with pytest.raises(ValueError, match="size must be"):
        resize_tf1_bilinear(torch.zeros(1, 3, 8, 8), 0)


def test_pixel_mappings():
    u = torch.tensor([0, 128, 255], dtype=torch.uint8).view(1, 3, 1, 1)
    assert torch.equal(to_pixel_float(u, "x").flatten(), torch.tensor([0.0, 128.0, 255.0]))
    assert torch.equal(to_pixel_float(u.float() / 255, "x").flatten(), u.float().flatten() / 255 * 255)
    torch.testing.assert_close(tf_pixel_mapping(to_pixel_float(u, "x")).flatten(),
                               torch.tensor([-1.0, 0.0, 127 / 128]), rtol=0, atol=0)
