"""fastgan.networks.preprocessing: the resize modes against what pytorch-fid and clean-fid do."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from fastgan.networks.preprocessing import resize_images, to_unit_float


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
