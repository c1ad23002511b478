"""fastgan.compat.pytorch_fid mirrors pytorch-fid's modules: fid_score, inception, python -m."""
import subprocess
import sys
from unittest import mock

import numpy as np
import pytest
from PIL import Image

from fastgan.compat.pytorch_fid import fid_score, inception


def test_modules_hold_pytorch_fids_names():
    for name in ("IMAGE_EXTENSIONS", "ImagePathDataset", "get_activations", "calculate_activation_statistics",
                 "compute_statistics_of_path", "calculate_fid_given_paths", "calculate_frechet_distance",
                 "save_fid_stats", "main", "parser"):
        assert hasattr(fid_score, name), name
    for name in ("InceptionV3", "fid_inception_v3", "FID_WEIGHTS_URL"):
        assert hasattr(inception, name), name
    assert inception.InceptionV3.BLOCK_INDEX_BY_DIM == {64: 0, 192: 1, 768: 2, 2048: 3}


def test_mocked_statistics_are_used_and_no_network_is_built(tmp_path):
    """Users mock fid_score.compute_statistics_of_path; the path function must look it up there."""
    paths = [str(tmp_path / "one"), str(tmp_path / "two")]
    for p in paths:
        (tmp_path / p).mkdir()
    means = {"one": np.zeros(8), "two": np.full(8, 2.0)}

    def fake_statistics(path, model, batch_size, dims, device, num_workers):
        return means[path.rsplit("/", 1)[-1]], np.eye(8)

    with mock.patch("fastgan.compat.pytorch_fid.fid_score.compute_statistics_of_path", side_effect=fake_statistics):
        value = fid_score.calculate_fid_given_paths(paths, batch_size=4, device="cpu", dims=2048, num_workers=0)
    assert value == pytest.approx(8 * 4.0)


def test_image_path_dataset_returns_pil_images_without_transforms(tmp_path):
    pixels = np.full((6, 5, 3), 200, dtype=np.uint8)
    path = tmp_path / "a.png"
    Image.fromarray(pixels).save(path)
    dataset = fid_score.ImagePathDataset([str(path)])
    assert np.array_equal(np.array(dataset[0]), pixels)
    tensor = fid_score.ImagePathDataset([str(path)], transforms=fid_score.to_tensor)[0]
    assert tensor.shape == (3, 6, 5) and float(tensor.max()) == pytest.approx(200 / 255)


def test_python_dash_m_prints_like_pytorch_fid(tmp_path):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    np.savez(a, mu=np.zeros(4), sigma=np.eye(4))
    np.savez(b, mu=np.ones(4), sigma=np.eye(4))
    out = subprocess.run([sys.executable, "-m", "fastgan.compat.pytorch_fid", str(a), str(b), "--device", "cpu"],
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith("FID:  ") and float(out.split()[-1]) == pytest.approx(4.0)


def test_python_dash_m_refuses_unknown_dims(tmp_path):
    result = subprocess.run([sys.executable, "-m", "fastgan.compat.pytorch_fid", "x", "y", "--dims", "100"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice" in result.stderr
