"""fastgan.compat.torch_fidelity.calculate_metrics: torch-fidelity's keywords, keys and conventions."""
import numpy as np
import pytest
import torch

import fastgan
from fastgan.compat.torch_fidelity import calculate_metrics
from fastgan.metrics import inception_score
from tiny_inception import make_images, write_folder


def test_keys_and_input1_is_the_generated_set(tmp_path, tiny_net):
    real_imgs, fake_imgs = make_images(0, 10, 32), make_images(1, 10, 32, shift=40)
    real_dir = write_folder(tmp_path / "real", real_imgs)
    fake_dir = write_folder(tmp_path / "fake", fake_imgs)
    out = calculate_metrics(input1=str(fake_dir), input2=str(real_dir), isc=True, fid=True, kid=True, prc=True,
                            feature_extractor=tiny_net, isc_splits=2, kid_subset_size=5, kid_subsets=7,
                            verbose=False, cache=False, cuda=False)
    assert set(out) == {"inception_score_mean", "inception_score_std", "frechet_inception_distance",
                        "kernel_inception_distance_mean", "kernel_inception_distance_std", "precision", "recall",
                        "f_score"}
    want = fastgan.evaluate(real_dir, fake_dir, feature_extractor=tiny_net, is_splits=2, kid_subset_size=5,
                            kid_subsets=7, prdc_k=3, cache=False, verbose=False)
    for key in {"inception_score_mean", "inception_score_std", "precision", "recall"}:
        assert out[key] == want[key], key
    # torch-fidelity's FID statistics take a float32 mean of the features (evaluate: float64).
    assert out["frechet_inception_distance"] == pytest.approx(want["frechet_inception_distance"], rel=1e-5)
    # KID: torch-fidelity draws input1's (the generated set's) subset first; evaluate draws the
    # real set's first. (This test used to require evaluate's order, which is not torch-fidelity's.)
    with torch.no_grad():  # PNG is lossless: the folders hold exactly these images
        fake_feats, real_feats = tiny_net(fake_imgs)["pool3"], tiny_net(real_imgs)["pool3"]
    mean, std = fastgan.metrics.kid(fake_feats, real_feats, subsets=7, subset_size=5, seed=2020)
    assert out["kernel_inception_distance_mean"] == pytest.approx(mean, rel=1e-12)
    assert out["kernel_inception_distance_std"] == pytest.approx(std, rel=1e-12)
    p, r = out["precision"], out["recall"]
    assert out["f_score"] == pytest.approx(2 * p * r / (p + r) if p + r else 0.0)


def test_isc_alone_shuffles_like_torch_fidelity(tmp_path, tiny_net):
    imgs = make_images(2, 9, 32)
    with torch.no_grad():
        logits = tiny_net(imgs)["logits_unbiased"]
    order = torch.from_numpy(np.random.RandomState(2020).permutation(9))
    out = calculate_metrics(input1=imgs, isc=True, isc_splits=3, feature_extractor=tiny_net, verbose=False)
    assert (out["inception_score_mean"], out["inception_score_std"]) == inception_score(logits[order], splits=3)
    plain = calculate_metrics(input1=imgs, isc=True, isc_splits=3, feature_extractor=tiny_net, verbose=False,
                              samples_shuffle=False)
    assert plain["inception_score_mean"] == inception_score(logits, splits=3)[0]


def test_errors_name_the_argument(tiny_net):
    imgs = make_images(3, 4, 32)
    with pytest.raises(ValueError, match="no metric"):
        calculate_metrics(input1=imgs)
    with pytest.raises(ValueError, match="input2"):
        calculate_metrics(input1=imgs, fid=True, feature_extractor=tiny_net)
    with pytest.raises(TypeError, match="unsupported arguments.*fidd"):
        calculate_metrics(input1=imgs, fidd=True)
    with pytest.raises(ValueError, match="ppl needs input1 to be a generator"):
        calculate_metrics(input1=imgs, ppl=True)
