"""fastgan.compat.torch_fidelity against torch-fidelity 0.4's own modules, with seeded weights.

torch-fidelity's package __init__ imports torchvision (not installable here), so its modules are
loaded one by one (tests/compat/anchors.py): its TF1 interpolation, its Inception feature
extractor (given a seeded weights file through ``feature_extractor_weights_path``) and its
IS/FID/KID functions run for real.
"""
import pytest
import torch

from anchors import anchor_modules, torch_fidelity_stubs
from fastgan.compat.torch_fidelity import TorchFidelityInceptionV3, calculate_metrics
from fastgan.networks.resize import resize_tf1_bilinear
from seeded import relative_error
from tiny_inception import make_images


@pytest.fixture
def tfid():
    with anchor_modules("torch_fidelity", torch_fidelity_stubs()) as load:
        yield load


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory, seeded_inception_state):
    path = tmp_path_factory.mktemp("tfid") / "weights-inception-seeded.pth"
    torch.save(seeded_inception_state, path)
    return str(path)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("hw", [(32, 32), (64, 64), (299, 299), (64, 48), (400, 512), (17, 300)])
def test_tf1_resize_is_bit_identical(hw, dtype, tfid, gen):
    anchor = tfid("interpolate_compat_tensorflow").interpolate_bilinear_2d_like_tensorflow1x
    x = torch.randint(0, 256, (2, 3, *hw), generator=gen).to(dtype)
    want = anchor(x, size=(299, 299), align_corners=False)
    got = resize_tf1_bilinear(x, 299)
    assert got.dtype == dtype and torch.equal(got, want)


@pytest.mark.parametrize("size,n", [(32, 2), (64, 1), (299, 1)])
def test_inception_features_are_torch_fidelitys(size, n, tfid, weights_file):
    extractor_cls = tfid("feature_extractor_inceptionv3").FeatureExtractorInceptionV3
    anchor = extractor_cls("inception-v3-compat", ["2048", "logits_unbiased", "logits"],
                           feature_extractor_weights_path=weights_file)
    ours = TorchFidelityInceptionV3(weights=weights_file)
    imgs = make_images(size, n, size)
    with torch.no_grad():
        pool3, logits_unbiased, logits = anchor(imgs)
        got = ours(imgs)
    # The same operations on the same weights: equal up to convolution scheduling (in practice 0).
    assert relative_error(got["pool3"], pool3) <= 1e-6
    assert relative_error(got["logits_unbiased"], logits_unbiased) <= 1e-6
    assert relative_error(got["logits"], logits) <= 1e-6


@pytest.mark.parametrize("size", [32, 64])
def test_block_features_are_torch_fidelitys(size, tfid, weights_file):
    """64/192/768: what torchmetrics' FID(feature=64/192/768) runs through torch-fidelity."""
    extractor_cls = tfid("feature_extractor_inceptionv3").FeatureExtractorInceptionV3
    anchor = extractor_cls("inception-v3-compat", ["64", "192", "768"], feature_extractor_weights_path=weights_file)
    imgs = make_images(size + 1, 2, size)
    with torch.no_grad():
        want = anchor(imgs)
        for dims, expected in zip((64, 192, 768), want):
            got = TorchFidelityInceptionV3(weights=weights_file, feature=dims)(imgs)["features"]
            assert got.shape == (2, dims) and relative_error(got, expected) <= 1e-6
    with pytest.raises(ValueError, match="feature must be"):
        TorchFidelityInceptionV3(weights=weights_file, feature=100)


def _anchor_metrics(tfid, f1, l1, f2, splits, subsets, subset_size, seed=2020):
    isc = tfid("metric_isc").isc_features_to_metric(l1, splits, True, seed)
    mf = tfid("metric_fid")
    fid = mf.fid_statistics_to_metric(mf.fid_features_to_statistics(f1), mf.fid_features_to_statistics(f2), False)
    kid_args = dict(kid_subsets=subsets, kid_subset_size=subset_size, verbose=False, rng_seed=seed, kid_kernel="poly",
                    kid_kernel_poly_degree=3, kid_kernel_poly_gamma=None, kid_kernel_poly_coef0=1)
    kid = tfid("metric_kid").kid_features_to_metric(f1, f2, **kid_args)
    # The same subsets on float64 features: torch-fidelity's estimator without its float32 sums.
    kid64 = tfid("metric_kid").kid_features_to_metric(f1.double(), f2.double(), **kid_args)
    return {**isc, **fid, **kid}, kid64


def _check(out, want, kid64):
    assert out["inception_score_mean"] == pytest.approx(want["inception_score_mean"], rel=1e-12)
    assert out["inception_score_std"] == pytest.approx(want["inception_score_std"], rel=1e-9)
    assert out["frechet_inception_distance"] == pytest.approx(want["frechet_inception_distance"], rel=1e-6)
    for key in ("kernel_inception_distance_mean", "kernel_inception_distance_std"):
        assert out[key] == pytest.approx(kid64[key], rel=1e-9), key
        # torch-fidelity's float32 kernel sums round at ~1e-7 and MMD² cancels a few digits.
        assert out[key] == pytest.approx(want[key], rel=1e-4), key
    assert all(type(v) is float for v in out.values())


def test_metrics_match_torch_fidelity(tfid, tiny_net):
    """IS (seeded shuffle, splits), FID (its statistics) and KID (input1's subset drawn first)
    on the same features, here from a cheap seeded network."""
    fake, real = make_images(5, 30, 32), make_images(6, 24, 32, shift=30)
    out = calculate_metrics(input1=fake, input2=real, isc=True, fid=True, kid=True, isc_splits=4, kid_subsets=13,
                            kid_subset_size=11, feature_extractor=tiny_net, verbose=False, cache=False, cuda=False)
    with torch.no_grad():
        f1, l1 = tiny_net(fake)["pool3"], tiny_net(fake)["logits_unbiased"]
        f2 = tiny_net(real)["pool3"]
    want, kid64 = _anchor_metrics(tfid, f1, l1, f2, 4, 13, 11)
    assert set(out) == set(want)
    _check(out, want, kid64)


@pytest.mark.slow
@pytest.mark.parametrize("size", [32, 64, 299])
def test_calculate_metrics_matches_torch_fidelity_end_to_end(size, tfid, weights_file):
    """Seeded Inception, uint8 images: torch-fidelity's extractor and metric functions vs the shim."""
    fake, real = make_images(7, 8, size), make_images(8, 8, size, shift=40)
    out = calculate_metrics(input1=fake, input2=real, isc=True, fid=True, kid=True, isc_splits=2, kid_subsets=5,
                            kid_subset_size=4, feature_extractor_weights_path=weights_file, verbose=False,
                            cache=False, cuda=False, batch_size=8)
    extractor = tfid("feature_extractor_inceptionv3").FeatureExtractorInceptionV3(
        "inception-v3-compat", ["2048", "logits_unbiased"], feature_extractor_weights_path=weights_file)
    with torch.no_grad():
        f1, l1 = extractor(fake)
        f2, _ = extractor(real)
    want, kid64 = _anchor_metrics(tfid, f1, l1, f2, 2, 5, 4)
    _check(out, want, kid64)


def test_weights_path_is_accepted_and_checked(tmp_path):
    imgs = make_images(9, 2, 32)
    with pytest.raises(FileNotFoundError, match="neither a published name"):
        calculate_metrics(input1=imgs, isc=True, feature_extractor_weights_path=str(tmp_path / "missing.pth"),
                          verbose=False)


def test_old_kid_argument_names_still_work(tiny_net):
    fake, real = make_images(10, 12, 32), make_images(11, 12, 32, shift=20)
    with pytest.warns(FutureWarning, match="kid_kernel_poly_degree"):
        old = calculate_metrics(input1=fake, input2=real, kid=True, kid_subsets=3, kid_subset_size=6, kid_degree=2,
                                feature_extractor=tiny_net, verbose=False)
    new = calculate_metrics(input1=fake, input2=real, kid=True, kid_subsets=3, kid_subset_size=6,
                            kid_kernel_poly_degree=2, feature_extractor=tiny_net, verbose=False)
    assert old == new
