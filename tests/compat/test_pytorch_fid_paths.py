"""fastgan.compat.pytorch_fid: InceptionV3 blocks and the path-level functions of pytorch-fid."""
import inspect

import numpy as np
import pytest
import torch

from fastgan.compat import pytorch_fid
from fastgan.compat.pytorch_fid import InceptionV3
from fastgan.metrics import FeatureStats, fid_from_features
from fastgan.networks import FIDInceptionV3
from tiny_inception import make_images, write_folder

SIZE = 75  # the smallest input Inception takes without resizing: cheap on the CPU


@pytest.fixture(scope="module")
def blocks(seeded_inception_state):
    return InceptionV3([0, 1, 2, 3], resize_input=False, weights=seeded_inception_state)


def test_signatures_match_pytorch_fid():
    params = lambda f: list(inspect.signature(f).parameters)  # noqa: E731
    assert params(pytorch_fid.calculate_fid_given_paths)[:5] == ["paths", "batch_size", "device", "dims", "num_workers"]
    assert params(pytorch_fid.save_fid_stats)[:5] == ["paths", "batch_size", "device", "dims", "num_workers"]
    assert params(pytorch_fid.calculate_activation_statistics)[:6] == [
        "files", "model", "batch_size", "dims", "device", "num_workers"]
    assert params(InceptionV3)[:5] == ["output_blocks", "resize_input", "normalize_input", "requires_grad",
                                       "use_fid_inception"]
    assert InceptionV3.BLOCK_INDEX_BY_DIM == {64: 0, 192: 1, 768: 2, 2048: 3}


def test_blocks_shapes_and_pool3_equal_fastgan_network(blocks, seeded_inception_state):
    x = make_images(0, 2, SIZE).float() / 255
    outs = blocks(x)
    assert [o.shape[1] for o in outs] == [64, 192, 768, 2048]
    assert outs[3].shape == (2, 2048, 1, 1)
    net = FIDInceptionV3(weights=seeded_inception_state, resize=None)
    want = net(x)["pool3"]
    torch.testing.assert_close(outs[3].flatten(1), want, rtol=1e-5, atol=1e-6)


def test_only_requested_blocks_are_returned(seeded_inception_state, blocks):
    x = make_images(1, 2, SIZE).float() / 255
    one = InceptionV3([1], resize_input=False, weights=seeded_inception_state)(x)
    assert len(one) == 1 and one[0].shape[1] == 192
    torch.testing.assert_close(one[0], blocks(x)[1])
    with pytest.raises(ValueError, match="output_blocks"):
        InceptionV3([4], weights=None)
    with pytest.raises(ValueError, match="use_fid_inception"):
        InceptionV3(use_fid_inception=False, weights=None)


def test_fid_given_paths_equals_fastgan_on_the_same_features(tmp_path, blocks, seeded_inception_state):
    # dims=64: the path logic is the same for every block, and a 2048-d FID costs seconds of eigensolves.
    real, fake = make_images(2, 3, SIZE), make_images(3, 3, SIZE, shift=30)
    dirs = [str(write_folder(tmp_path / "real", real)), str(write_folder(tmp_path / "fake", fake))]
    model = InceptionV3([0], resize_input=False, weights=seeded_inception_state)
    got = pytorch_fid.calculate_fid_given_paths(dirs, 3, "cpu", 64, num_workers=0, model=model)
    assert isinstance(got, np.float64)
    with torch.no_grad():
        want = fid_from_features(blocks(real.float() / 255)[0].mean(dim=(2, 3)),
                                 blocks(fake.float() / 255)[0].mean(dim=(2, 3)))
    assert got == pytest.approx(want, rel=1e-5)

    out = tmp_path / "real_stats.npz"
    pytorch_fid.save_fid_stats([dirs[0], str(out)], 3, "cpu", 64, num_workers=0, model=model)
    with np.load(out) as f:
        assert set(f.files) == {"mu", "sigma"}
    assert pytorch_fid.calculate_fid_given_paths([str(out), dirs[1]], 3, "cpu", 64, 0, model=model) == \
        pytest.approx(got, rel=1e-12)
    with pytest.raises(RuntimeError, match="Existing output file"):
        pytorch_fid.save_fid_stats([dirs[0], str(out)], 3, "cpu", 64, 0, model=model)
    with pytest.raises(RuntimeError, match="Invalid path"):
        pytorch_fid.calculate_fid_given_paths([dirs[0], str(tmp_path / "nope")], 3, "cpu", 64, 0, model=model)


def test_smaller_dims_use_pooled_block_outputs(tmp_path, blocks, seeded_inception_state):
    imgs = make_images(4, 3, SIZE)  # batches of 2 and 1: pooled per batch, stacked in order
    files = sorted(write_folder(tmp_path / "d", imgs).glob("*.png"))
    model = InceptionV3([0], resize_input=False, weights=seeded_inception_state)
    mu, sigma = pytorch_fid.calculate_activation_statistics(files, model, batch_size=2, dims=64, num_workers=0)
    with torch.no_grad():
        feats = blocks(imgs.float() / 255)[0].mean(dim=(2, 3))
    stats = FeatureStats().update(feats)
    np.testing.assert_allclose(mu, stats.mean.numpy(), rtol=1e-5, atol=1e-7)
    # Batches of 2 and of 4 run different float32 convolution paths, whose features
    # differ by ~1e-7 relative; the 4-sample covariance cancels most digits of its
    # near-zero entries, so the tolerance is relative to the covariance's scale.
    want = stats.cov.numpy()
    np.testing.assert_allclose(sigma, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


@pytest.mark.slow  # Inception at 299x299 on the CPU
def test_blocks_reproduce_pytorch_fid_reference(seeded_inception_state, reference_dir):
    ref = torch.load(str(reference_dir / "networks.pt"), weights_only=True)
    model = InceptionV3([3], weights=seeded_inception_state)
    got = model(ref["imgs64"].float() / 255)[0].flatten(1)
    torch.testing.assert_close(got, ref["inception_pool3_64"], rtol=1e-4, atol=1e-4)
