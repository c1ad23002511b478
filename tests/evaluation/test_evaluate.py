"""fastgan.evaluate: every input form, shared features, torch-fidelity keys, the on-disk cache, errors."""
import os

import numpy as np
import pytest
import torch
from torch import nn

import fastgan
from fastgan.evaluation import Extractor, default_cache_dir
from fastgan.metrics import fid_from_features, inception_score, kid, prdc
from fastgan.networks import FIDInceptionV3
from fastgan.networks.weights import WeightsNotFoundError, load_seeded
from tiny_inception import TinyNet, make_images, write_folder

KEYS = {
    "frechet_inception_distance", "kernel_inception_distance_mean", "kernel_inception_distance_std",
    "inception_score_mean", "inception_score_std", "precision", "recall", "density", "coverage",
}
SMALL = dict(kid_subset_size=6, kid_subsets=10, is_splits=2, prdc_k=3, verbose=False)


def _direct(net, real, fake, **small):
    """The metrics computed by hand from the network's outputs (what evaluate must equal)."""
    with torch.no_grad():
        r, f = net(real), net(fake)
    fid = fid_from_features(r["pool3"], f["pool3"])
    kid_mean, kid_std = kid(r["pool3"], f["pool3"], subsets=10, subset_size=6)
    order = torch.from_numpy(np.random.RandomState(2020).permutation(f["logits_unbiased"].shape[0]))
    is_mean, is_std = inception_score(f["logits_unbiased"][order], splits=2)  # torch-fidelity's shuffle
    return {"frechet_inception_distance": fid, "kernel_inception_distance_mean": kid_mean,
            "kernel_inception_distance_std": kid_std, "inception_score_mean": is_mean,
            "inception_score_std": is_std, **prdc(r["pool3"], f["pool3"], nearest_k=3)}


@pytest.fixture
def net():
    return TinyNet()


@pytest.fixture
def folders(tmp_path):
    real, fake = make_images(0), make_images(1, shift=40)
    return real, fake, write_folder(tmp_path / "real", real), write_folder(tmp_path / "fake", fake)


def _close(got, want):
    assert set(got) == set(want)
    for key in want:
        assert got[key] == pytest.approx(want[key], rel=1e-6, abs=1e-9), key


def test_folders_give_every_metric_with_torch_fidelity_keys(folders, net, tmp_path):
    real, fake, real_dir, fake_dir = folders
    out = fastgan.evaluate(str(real_dir), fake_dir, feature_extractor=net, cache_dir=tmp_path / "cache", **SMALL)
    assert set(out) == KEYS
    assert all(isinstance(v, float) for v in out.values())
    _close(out, _direct(net, real, fake))
    assert out["frechet_inception_distance"] > 0


def test_features_are_extracted_once_per_input(folders, net, tmp_path):
    *_, real_dir, fake_dir = folders
    fastgan.evaluate(real_dir, fake_dir, feature_extractor=net, batch_size=5, cache=False, **SMALL)
    assert net.calls == 2 * 3  # 12 images in batches of 5, per set, shared by all four metrics


@pytest.mark.parametrize("form", ["tensor", "numpy", "dataset", "pairs", "float"])
def test_in_memory_inputs_equal_folders(folders, net, form):
    real, fake, real_dir, _ = folders
    if form == "tensor":
        given = fake
    elif form == "numpy":
        given = fake.numpy()
    elif form == "float":
        given = fake.float() / 255
    else:
        items = [(x, 0) for x in fake] if form == "pairs" else list(fake)
        given = _ListDataset(items)
    out = fastgan.evaluate(real_dir, given, feature_extractor=net, cache=False, **SMALL)
    _close(out, _direct(net, real, fake))


class _ListDataset(torch.utils.data.Dataset):
    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


class _TableGenerator(nn.Module):
    """Deterministic generator: images in [-1,1] computed from the latent."""

    latent_dim = 4

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 3 * 16 * 16)
        load_seeded(self)

    def forward(self, z):
        return torch.tanh(self.lin(z)).view(-1, 3, 16, 16)


def test_generator_equals_a_folder_of_its_saved_samples(folders, net, tmp_path):
    _, _, real_dir, _ = folders
    gen = _TableGenerator()
    out = fastgan.evaluate(real_dir, gen, metrics="fid,prdc", num_samples=10, batch_size=4, feature_extractor=net,
                           cache=False, seed=3, **SMALL)
    z = torch.randn(10, 4, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        saved = ((gen(z) + 1) / 2).clamp(0, 1).mul(255).round().to(torch.uint8)
    from_folder = fastgan.evaluate(real_dir, write_folder(tmp_path / "samples", saved), metrics=("fid", "prdc"),
                                   feature_extractor=net, cache=False, **SMALL)
    _close(out, from_folder)


def test_generator_needs_num_samples_and_latent_size(folders, net):
    _, _, real_dir, _ = folders
    with pytest.raises(ValueError, match="num_samples"):
        fastgan.evaluate(real_dir, _TableGenerator(), metrics="fid", feature_extractor=net, cache=False, verbose=False)
    with pytest.raises(ValueError, match="latent_dim"):
        fastgan.evaluate(real_dir, lambda z: z, metrics="fid", num_samples=4, feature_extractor=net, cache=False,
                         verbose=False)


def test_feature_and_statistics_files(folders, net, tmp_path):
    real, fake, real_dir, fake_dir = folders
    with torch.no_grad():
        r, f = net(real)["pool3"].numpy(), net(fake)["pool3"].numpy()
    np.save(tmp_path / "real.npy", r)
    np.save(tmp_path / "fake.npy", f)
    stats = fastgan.metrics.FeatureStats().update(r)
    stats_path = stats.save(tmp_path / "real_stats.npz")
    want = _direct(net, real, fake)
    out = fastgan.evaluate(tmp_path / "real.npy", tmp_path / "fake.npy", metrics="fid,kid,prdc", verbose=False,
                           kid_subset_size=6, kid_subsets=10, prdc_k=3)
    _close(out, {k: v for k, v in want.items() if not k.startswith("inception")})
    out = fastgan.evaluate(stats_path, fake_dir, metrics="fid", feature_extractor=net, verbose=False)
    assert out["frechet_inception_distance"] == pytest.approx(want["frechet_inception_distance"], rel=1e-6)
    with pytest.raises(ValueError, match="statistics"):
        fastgan.evaluate(stats_path, fake_dir, metrics="kid", feature_extractor=net, verbose=False)
    with pytest.raises(ValueError, match="logits"):
        fastgan.evaluate(tmp_path / "real.npy", tmp_path / "fake.npy", metrics="is", verbose=False)


def test_cache_hit_skips_the_real_set_and_touching_a_file_invalidates_it(folders, net, tmp_path):
    *_, real_dir, fake_dir = folders
    cache = tmp_path / "cache"
    first = fastgan.evaluate(real_dir, fake_dir, metrics="fid", feature_extractor=net, cache_dir=cache, verbose=False)
    calls = net.calls
    assert len(list((cache / "features").glob("*.npz"))) == 1
    second = fastgan.evaluate(real_dir, fake_dir, metrics="fid", feature_extractor=net, cache_dir=cache, verbose=False)
    assert second == first
    assert net.calls - calls == 1  # only the fake set went through the network
    stat = os.stat(real_dir / "003.png")
    os.utime(real_dir / "003.png", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    calls = net.calls
    third = fastgan.evaluate(real_dir, fake_dir, metrics="fid", feature_extractor=net, cache_dir=cache, verbose=False)
    assert net.calls - calls == 2 and third == first
    assert len(list((cache / "features").glob("*.npz"))) == 2


def test_cache_key_follows_the_extractor_and_the_file_list(folders, net, tmp_path):
    *_, real_dir, fake_dir = folders
    cache = tmp_path / "cache"
    fastgan.evaluate(real_dir, fake_dir, metrics="fid", feature_extractor=net, cache_dir=cache, verbose=False)
    other = TinyNet()
    with torch.no_grad():
        other.conv.weight.mul_(2)  # different weights: different features, different key
    out = fastgan.evaluate(real_dir, fake_dir, metrics="fid", feature_extractor=other, cache_dir=cache, verbose=False)
    assert other.calls == 2
    assert out == fastgan.evaluate(real_dir, fake_dir, metrics="fid", feature_extractor=other, cache=False,
                                   verbose=False)
    (real_dir / "003.png").rename(real_dir / "zzz.png")  # same bytes, new name: a new key
    fastgan.evaluate(real_dir, fake_dir, metrics="fid", feature_extractor=net, cache_dir=cache, verbose=False)
    assert len(list((cache / "features").glob("*.npz"))) == 3


def test_plain_callables_are_not_cached(folders, net, tmp_path):
    *_, real_dir, fake_dir = folders
    calls = []

    def extractor(images):
        calls.append(len(images))
        return net(images)["pool3"]

    for _ in range(2):
        fastgan.evaluate(real_dir, fake_dir, metrics="fid", feature_extractor=extractor, cache_dir=tmp_path / "c",
                         verbose=False)
    assert len(calls) == 4 and not (tmp_path / "c").exists()


def test_default_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FASTGAN_CACHE_DIR", str(tmp_path / "here"))
    assert default_cache_dir() == tmp_path / "here"
    monkeypatch.delenv("FASTGAN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "fastgan"


def test_cache_dir_from_environment_is_used(folders, net, tmp_path, monkeypatch):
    *_, real_dir, fake_dir = folders
    monkeypatch.setenv("FASTGAN_CACHE_DIR", str(tmp_path / "env_cache"))
    fastgan.evaluate(real_dir, fake_dir, metrics="fid", feature_extractor=net, verbose=False)
    assert len(list((tmp_path / "env_cache" / "features").glob("*.npz"))) == 1


def test_corrupt_file_is_named_or_skipped(folders, net):
    real, fake, real_dir, fake_dir = folders
    (fake_dir / "bad.png").write_bytes(b"this is not a png")
    with pytest.raises(ValueError, match="bad.png.*on_error='skip'"):
        fastgan.evaluate(real_dir, fake_dir, metrics="fid", feature_extractor=net, cache=False, verbose=False)
    with pytest.warns(UserWarning, match="bad.png"):
        out = fastgan.evaluate(real_dir, fake_dir, metrics="fid", feature_extractor=net, cache=False, verbose=False,
                               on_error="skip")
    assert out["frechet_inception_distance"] == pytest.approx(_direct(net, real, fake)["frechet_inception_distance"],
                                                              rel=1e-6)


def test_empty_and_missing_folders(folders, net, tmp_path):
    *_, real_dir, _ = folders
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="fake: no images found"):
        fastgan.evaluate(real_dir, tmp_path / "empty", metrics="fid", feature_extractor=net, cache=False, verbose=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fastgan.evaluate(tmp_path / "nowhere", real_dir, metrics="fid", feature_extractor=net, verbose=False)


def test_bad_arguments(folders, net):
    *_, real_dir, fake_dir = folders
    with pytest.raises(ValueError, match="unknown metrics.*fdi"):
        fastgan.evaluate(real_dir, fake_dir, metrics="fdi", feature_extractor=net)
    with pytest.raises(ValueError, match="feature_extractor"):
        fastgan.evaluate(real_dir, fake_dir, feature_extractor="vgg")
    with pytest.raises(TypeError, match="feature_extractor"):
        fastgan.evaluate(real_dir, fake_dir, feature_extractor=3)
    with pytest.raises(TypeError, match="fake must be"):
        fastgan.evaluate(real_dir, 3.5, metrics="fid", feature_extractor=net, cache=False, verbose=False)
    with pytest.raises(ValueError, match="splits"):
        fastgan.evaluate(real_dir, fake_dir, metrics="is", feature_extractor=net, is_splits=20, verbose=False)


def test_inception_only_needs_no_real_set(folders, net):
    _, fake, _, fake_dir = folders
    out = fastgan.evaluate(None, fake_dir, metrics="is", feature_extractor=net, is_splits=2, verbose=False)
    assert set(out) == {"inception_score_mean", "inception_score_std"}
    assert out["inception_score_mean"] == pytest.approx(_direct(net, fake, fake)["inception_score_mean"], rel=1e-9)


def test_missing_inception_weights_say_where_to_put_them(folders, tmp_path, monkeypatch):
    *_, real_dir, fake_dir = folders
    monkeypatch.setenv("FASTGAN_WEIGHTS_DIR", str(tmp_path / "weights"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setenv("FASTGAN_OFFLINE", "1")
    with pytest.raises(WeightsNotFoundError, match=r"pt_inception-2015-12-05-6726825d\.pth.*put it in .*weights"):
        fastgan.evaluate(real_dir, fake_dir, metrics="fid", cache=False, verbose=False, device="cpu")


def test_inception_identity_does_not_load_the_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("FASTGAN_OFFLINE", "1")
    monkeypatch.setenv("FASTGAN_WEIGHTS_DIR", str(tmp_path))
    assert "6726825d" in Extractor("inception").identity


@pytest.fixture(scope="module")
def seeded_inception():
    return load_seeded(FIDInceptionV3(weights=None))


@pytest.mark.slow  # Inception at 299x299 on the CPU: minutes on a busy 2-core machine
def test_seeded_inception_through_a_folder_matches_pytorch_fid_reference(seeded_inception, reference_dir, tmp_path):
    """Decoding, batching and the network reproduce pytorch-fid's pool3 features (networks.pt)."""
    ref = torch.load(str(reference_dir / "networks.pt"), weights_only=True)
    imgs = ref["imgs64"]
    real_dir = write_folder(tmp_path / "real", imgs[:2])
    fake_dir = write_folder(tmp_path / "fake", imgs[2:])
    out = fastgan.evaluate(real_dir, fake_dir, metrics="fid,is", feature_extractor=seeded_inception, is_splits=1,
                           batch_size=2, cache=False, verbose=False)
    pool3 = ref["inception_pool3_64"]
    assert out["frechet_inception_distance"] == pytest.approx(fid_from_features(pool3[:2], pool3[2:]), rel=1e-4)
    unbiased = ref["inception_logits_64"][2:] - seeded_inception.fc.bias
    assert out["inception_score_mean"] == pytest.approx(inception_score(unbiased, splits=1)[0], rel=1e-4)


def test_a_generator_is_sampled_in_eval_mode_and_may_be_grey():
    """Batch norm in train mode would make samples depend on the batch; grey outputs are repeated to RGB."""
    class Grey(torch.nn.Module):
        latent_dim = 4

        def __init__(self):
            super().__init__()
            self.lin, self.norm, self.modes = torch.nn.Linear(4, 64), torch.nn.BatchNorm1d(64), []

        def forward(self, z):
            self.modes.append(self.training)
            return torch.tanh(self.norm(self.lin(z))).view(-1, 1, 8, 8)

    gen = Grey().train()
    seen = []

    def extractor(images):
        seen.append(images)
        return images.float().flatten(1)[:, :6]

    fastgan.evaluate(torch.randint(0, 255, (10, 3, 8, 8), dtype=torch.uint8), gen, metrics="fid",
                     feature_extractor=extractor, num_samples=10, batch_size=5, verbose=False)
    assert gen.modes == [False, False] and gen.training
    assert all(batch.shape[1] == 3 for batch in seen)


def test_ppl_is_reachable_from_evaluate():
    from fastgan.networks import LPIPS

    class Gen(torch.nn.Module):
        latent_dim = 5

        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(5, 3 * 16 * 16)
            load_seeded(self)

        def forward(self, z):
            return torch.tanh(self.lin(z)).view(-1, 3, 16, 16)

    lpips_vgg = load_seeded(LPIPS("vgg", pretrained=False))
    gen = Gen()
    options = dict(epsilon=1e-2, resize=16, lpips_model=lpips_vgg)
    out = fastgan.evaluate(None, gen, metrics="ppl", ppl_samples=6, batch_size=3, verbose=False, ppl_options=options)
    from fastgan.metrics import perceptual_path_length

    want = perceptual_path_length(gen, num_samples=6, batch_size=3, **options)
    assert set(out) == {"perceptual_path_length_mean", "perceptual_path_length_std"}
    assert out["perceptual_path_length_mean"] == pytest.approx(want[0])
    with pytest.raises(ValueError, match="generator"):
        fastgan.evaluate(None, torch.zeros(4, 3, 8, 8, dtype=torch.uint8), metrics="ppl", verbose=False)
