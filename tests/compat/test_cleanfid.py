"""fastgan.compat.cleanfid against clean-fid 0.1.35's own code, with seeded Inception weights.

clean-fid's pipeline (file list, decoding, its resizers, ToTensor, statistics, scipy FID, KID
sampling) runs for real; only its network is ours, because its weights are downloads: in modes
"clean"/"legacy_tensorflow" clean-fid's own InceptionV3W wrapper (its ``forward`` does the pixel
mapping) holds fastgan's seeded FID Inception as its layers, and for "legacy_tensorflow" the
TorchScript graph's internal resize is fastgan's ``resize_tf1_bilinear_grid`` (so that mode checks
the pipeline, not the resize; the resize is checked against torch-fidelity's TF1 code in
tests/networks/test_preprocessing.py). "legacy_pytorch" gets clean-fid's model function
``model(x / 255)`` with the ``2x - 1`` mapping of its pytorch-fid port.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from anchors import anchor_modules, cleanfid_stubs
from fastgan.compat.cleanfid import features, fid, resize
from fastgan.networks import FIDInceptionV3
from fastgan.networks.preprocessing import tf_pixel_mapping
from fastgan.networks.resize import resize_tf1_bilinear_grid
from tiny_inception import make_images, write_folder


@pytest.fixture(scope="module")
def seeded_net(seeded_inception_state):
    return FIDInceptionV3(weights=seeded_inception_state, resize=None)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("cleanfid")
    # Two sizes, both resized to 299 by every mode; a nested folder, as clean-fid globs recursively.
    a = write_folder(root / "a", make_images(0, 4, 32))
    write_folder(root / "a" / "sub", make_images(1, 1, 32, shift=30))
    b = write_folder(root / "b", make_images(2, 5, 64, shift=50))
    small = write_folder(root / "small", make_images(3, 2, 64, shift=10))
    return str(a), str(b), str(small)


def _cheap_features(x):
    """A stand-in network for the pipeline tests (the seeded Inception costs ~1 s per image here)."""
    return F.adaptive_avg_pool2d(x.float(), 4).flatten(1) / 255


@pytest.fixture
def cleanfid():
    with anchor_modules("cleanfid", cleanfid_stubs()) as load:
        yield load


def _anchor_model(cleanfid_load, mode, net):
    """The feature function clean-fid would build for `mode`, around fastgan's seeded network."""
    if mode == "legacy_pytorch":
        return lambda x: net.pool3(2 * (x / 255) - 1)
    wrapper_cls = cleanfid_load("inception_torchscript").InceptionV3W
    wrapper = wrapper_cls.__new__(wrapper_cls)
    nn.Module.__init__(wrapper)
    wrapper.layers = _Layers(net)
    wrapper.base = _TorchScriptStandIn(net)
    wrapper.resize_inside = mode == "legacy_tensorflow"
    return wrapper


class _Layers(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net.pool3(x)


class _TorchScriptStandIn(nn.Module):
    """inception-2015-12-05.pt's ``forward(x, return_features=True)``: resize, map, features."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x, return_features=True):
        return self.net.pool3(tf_pixel_mapping(resize_tf1_bilinear_grid(x.to(torch.float32), 299)))


@pytest.mark.parametrize("mode", ["clean", "legacy_pytorch", "legacy_tensorflow"])
def test_inception_features_match_cleanfid(mode, cleanfid, folders, seeded_net, seeded_inception_state):
    """Seeded Inception features of a folder of 64x64 images, clean-fid's pipeline vs the shim."""
    anchor = cleanfid("fid")
    model = _anchor_model(cleanfid, mode, seeded_net)
    small = folders[2]
    want = anchor.get_folder_features(small, model, num_workers=0, batch_size=2, device=torch.device("cpu"),
                                      mode=mode, verbose=False)
    got = fid.get_folder_features(small, None, num_workers=0, batch_size=2, device="cpu", mode=mode,
                                  verbose=False, inception_weights=seeded_inception_state)
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6 * np.abs(want).max())


@pytest.mark.parametrize("mode", ["clean", "legacy_pytorch", "legacy_tensorflow"])
def test_compute_fid_and_kid_match_cleanfid(mode, cleanfid, folders, monkeypatch):
    """The whole of clean-fid's compute_fid / compute_kid (folders of 32x32 and 64x64 images, each
    mode's resize and input), with a cheap network on both sides."""
    anchor = cleanfid("fid")
    if mode == "legacy_tensorflow":  # that network resizes inside
        def network(x):
            return _cheap_features(resize_tf1_bilinear_grid(x.float(), 299))
    else:
        network = _cheap_features
    monkeypatch.setattr(anchor, "build_feature_extractor", lambda *args, **kwargs: network)
    monkeypatch.setattr(fid, "build_feature_extractor", lambda *args, **kwargs: network)
    a, b, _ = folders
    run = dict(mode=mode, num_workers=0, batch_size=4, device=torch.device("cpu"), verbose=False)
    want = anchor.compute_fid(a, b, **run)
    got = fid.compute_fid(a, b, **run)
    assert got == pytest.approx(float(want), rel=1e-6)
    np.random.seed(7)
    want_kid = anchor.compute_kid(a, b, **run)
    np.random.seed(7)
    got_kid = fid.compute_kid(a, b, **run)
    # clean-fid sums its kernels in float32; on the same subsets in float64 the two agree to
    # 1e-12 (test_kernel_distance_draws_like_cleanfid).
    assert got_kid == pytest.approx(want_kid, rel=1e-5)


def test_kernel_distance_draws_like_cleanfid(cleanfid, rng):
    anchor = cleanfid("fid")
    f1 = rng.normal(size=(40, 16))
    f2 = rng.normal(size=(33, 16)) + 0.3
    np.random.seed(3)
    want = anchor.kernel_distance(f1, f2, num_subsets=9, max_subset_size=20)
    np.random.seed(3)
    got = fid.kernel_distance(f1, f2, num_subsets=9, max_subset_size=20)
    assert got == pytest.approx(want, rel=1e-12)
    # ... and the global state advanced by the same draws.
    assert np.random.rand() == pytest.approx((np.random.seed(3), anchor.kernel_distance(f1, f2, 9, 20),
                                              np.random.rand())[2])


def test_fid_from_feats_matches_cleanfid(cleanfid, rng):
    anchor = cleanfid("fid")
    f1 = rng.normal(size=(50, 8)).astype(np.float32)
    f2 = (rng.normal(size=(60, 8)) * 1.3 + 0.2).astype(np.float32)
    # clean-fid's scipy sqrtm vs fastgan's eigenvalue route: both float64, different rounding.
    assert fid.fid_from_feats(f1, f2) == pytest.approx(float(anchor.fid_from_feats(f1, f2)), rel=1e-6)


@pytest.mark.parametrize("shape", [(32, 32, 3), (64, 48, 3), (299, 299, 3), (300, 512, 3)])
@pytest.mark.parametrize("mode", ["clean", "legacy_pytorch", "legacy_tensorflow"])
def test_build_resizer_matches_cleanfid(mode, shape, cleanfid, rng):
    anchor = cleanfid("resize")
    img = rng.integers(0, 256, size=shape).astype(np.uint8)
    want = anchor.build_resizer(mode)(img)
    got = resize.build_resizer(mode)(img)
    assert got.dtype == want.dtype and got.shape == want.shape
    # PIL's float bicubic: equal to float32 rounding (Pillow may run its two passes in the other
    # order, which changes the last bit of some pixels).
    np.testing.assert_allclose(got, want, rtol=2.5e-7, atol=0)


def test_named_statistics_are_never_downloaded(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTGAN_CLEANFID_STATS_DIR", str(tmp_path))
    with pytest.raises(features.StatisticsNotFoundError, match=r"ffhq_clean_trainval_1024\.npz.*" + str(tmp_path)):
        features.get_reference_statistics("FFHQ", 1024, mode="clean", split="trainval")
    np.savez(tmp_path / "ffhq_clean_trainval_1024.npz", mu=np.zeros(3), sigma=np.eye(3))
    mu, sigma = features.get_reference_statistics("FFHQ", 1024, mode="clean", split="trainval")
    assert mu.shape == (3,) and sigma.shape == (3, 3)


def test_custom_stats_round_trip(tmp_path, monkeypatch, folders, seeded_inception_state):
    monkeypatch.setenv("FASTGAN_CLEANFID_STATS_DIR", str(tmp_path))
    monkeypatch.setattr(fid, "build_feature_extractor", lambda *args, **kwargs: _cheap_features)
    a, b, _ = folders
    assert not fid.test_stats_exists("mine", mode="clean")
    fid.make_custom_stats("mine", b, mode="clean", device="cpu", verbose=False,
                          inception_weights=seeded_inception_state)
    assert fid.test_stats_exists("mine", mode="clean")
    assert (tmp_path / "mine_clean_custom_na.npz").is_file() and (tmp_path / "mine_clean_custom_na_kid.npz").is_file()
    with pytest.raises(FileExistsError, match="remove_custom_stats"):
        fid.make_custom_stats("mine", b, mode="clean", device="cpu", verbose=False,
                              inception_weights=seeded_inception_state)
    by_name = fid.compute_fid(a, dataset_name="mine", dataset_split="custom", mode="clean", device="cpu",
                              num_workers=0, verbose=False, inception_weights=seeded_inception_state)
    by_folder = fid.compute_fid(a, b, mode="clean", device="cpu", num_workers=0, verbose=False,
                                inception_weights=seeded_inception_state)
    assert by_name == pytest.approx(by_folder, rel=1e-9)
    fid.remove_custom_stats("mine", mode="clean")
    assert not fid.test_stats_exists("mine", mode="clean")
    with pytest.raises(FileNotFoundError):
        fid.remove_custom_stats("mine", mode="clean")


def test_generator_input_samples_like_cleanfid(folders, seeded_inception_state, monkeypatch):
    """gen(z) with z = torch.randn((batch_size, z_dim)) from torch's global generator, images
    in 0..255; whole batches, cut to num_gen."""
    weight = torch.randn(4, 3 * 32 * 32, generator=torch.Generator().manual_seed(0))

    def gen(z):
        return (torch.sigmoid(z @ weight) * 255).view(-1, 3, 32, 32)

    monkeypatch.setattr(fid, "build_feature_extractor", lambda *args, **kwargs: _cheap_features)
    torch.manual_seed(11)
    got = fid.get_model_features(gen, None, mode="clean", z_dim=4, num_gen=5, batch_size=3, device="cpu",
                                 verbose=False, inception_weights=seeded_inception_state)
    torch.manual_seed(11)
    z = torch.cat([torch.randn((3, 4)) for _ in range(2)])
    pixels = resize.resize_batch(gen(z)[:5], "clean")
    want = _cheap_features(pixels).numpy()
    assert got.shape == (5, 48)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)  # batches of 3 vs one of 5
    a, _, _ = folders
    score = fid.compute_fid(gen=gen, fdir2=a, z_dim=4, num_gen=6, batch_size=3, mode="clean", device="cpu",
                            num_workers=0, verbose=False, inception_weights=seeded_inception_state)
    assert np.isfinite(score) and score > 0


def test_errors_are_clear(folders):
    a, b, _ = folders
    with pytest.raises(ValueError, match="Invalid mode"):
        fid.compute_fid(a, b, mode="bicubic")
    with pytest.raises(NotImplementedError, match="clip_vit_b_32"):
        fid.compute_fid(a, b, model_name="clip_vit_b_32")
    with pytest.raises(ValueError, match="invalid combination"):
        fid.compute_fid(inception_weights=None)


def test_zip_and_npy_inputs_read_like_folders(tmp_path, folders, monkeypatch):
    import zipfile

    monkeypatch.setattr(fid, "build_feature_extractor", lambda *args, **kwargs: _cheap_features)
    _, b, _ = folders
    files = fid._list_files(b)
    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in files:
            z.write(f, arcname=f.rsplit("/", 1)[-1])
    arrays = tmp_path / "npy"
    arrays.mkdir()
    for i, img in enumerate(make_images(2, 5, 64, shift=50)):
        np.save(arrays / f"{i:03d}.npy", img.permute(1, 2, 0).numpy())
    run = dict(mode="clean", num_workers=0, batch_size=4, device="cpu", verbose=False)
    from_folder = np.sort(fid.get_folder_features(b, None, **run), axis=0)
    for source in (str(archive), str(arrays)):
        # A zip lists its members in set order (as clean-fid does): compare as sets of rows.
        np.testing.assert_array_equal(np.sort(fid.get_folder_features(source, None, **run), axis=0), from_folder)
