"""fastgan.networks.weights: registry, cache folders, hash checks, downloads and offline errors.

Everything runs on small local files: downloads come from file:// URLs or a replaced opener.
"""
import hashlib
import re
import sys
import urllib.error
import zlib

import pytest
import torch

from fastgan.networks import LPIPS, AlexNetFeatures
from fastgan.networks import weights as W
from seeded import relative_error


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An empty torch hub folder and no FASTGAN_* settings."""
    folder = tmp_path / "hub"
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(folder))
    monkeypatch.delenv("FASTGAN_WEIGHTS_DIR", raising=False)
    monkeypatch.delenv("FASTGAN_OFFLINE", raising=False)
    return folder / "checkpoints"


def _published(tmp_path, payload=b"fastgan test weights", filename="tiny-abc.pth", sha=None):
    """A PublishedWeights whose URL is a local file with `payload`."""
    source = tmp_path / "server" / filename
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    return W.PublishedWeights(filename=filename, url=source.as_uri(), sha256=sha or digest, description="a test file")


def _no_network(url):
    raise AssertionError(f"unexpected download of {url}")


def test_registry_entries_are_consistent():
    for key, entry in W.REGISTRY.items():
        assert entry.url.startswith("https://"), key
        if entry.sha256 is None:
            # Only where the publisher gives no digest (Meta's DINOv2 checkpoints).
            assert key in ("dinov2-vitl14",), key
            continue
        assert re.fullmatch(r"[0-9a-f]{8}|[0-9a-f]{64}", entry.sha256), key
        if len(entry.sha256) == 8:
            # torchvision / pytorch-fid convention: the file name carries the hash prefix,
            # and the cached name is the published one, so their caches are shared.
            assert entry.filename.endswith(f"-{entry.sha256}.pth") and entry.url.endswith("/" + entry.filename), key
    assert W.REGISTRY["pytorch-fid"].filename == "pt_inception-2015-12-05-6726825d.pth"


def test_cache_folder_is_torch_hub_checkpoints_unless_overridden(hub, tmp_path, monkeypatch):
    assert W.weights_dir() == hub
    monkeypatch.setenv("FASTGAN_WEIGHTS_DIR", str(tmp_path / "mine"))
    assert W.weights_dir() == tmp_path / "mine"
    assert W.search_dirs() == [tmp_path / "mine", hub]


def test_file_already_in_torch_hub_cache_is_reused(hub, tmp_path, monkeypatch):
    entry = _published(tmp_path)
    hub.mkdir(parents=True)
    (hub / entry.filename).write_bytes(b"fastgan test weights")
    monkeypatch.setenv("FASTGAN_WEIGHTS_DIR", str(tmp_path / "mine"))  # searched first, empty
    monkeypatch.setattr(W, "_open_url", _no_network)
    assert W.weights_path(entry) == hub / entry.filename


def test_download_verifies_and_renames_atomically(hub, tmp_path, monkeypatch):
    entry = _published(tmp_path)
    path = W.weights_path(entry, progress=False)
    assert path == hub / entry.filename and path.read_bytes() == b"fastgan test weights"
    assert sorted(p.name for p in hub.iterdir()) == [entry.filename]  # no temporary left
    monkeypatch.setattr(W, "_open_url", _no_network)
    assert W.weights_path(entry) == path  # second call: from the cache


def test_download_goes_to_override_folder(hub, tmp_path, monkeypatch):
    monkeypatch.setenv("FASTGAN_WEIGHTS_DIR", str(tmp_path / "mine"))
    entry = _published(tmp_path)
    assert W.weights_path(entry, progress=False) == tmp_path / "mine" / entry.filename
    assert not hub.exists()


def test_hash_prefix_is_accepted(hub, tmp_path):
    payload = b"prefix-checked"
    entry = _published(tmp_path, payload, sha=hashlib.sha256(payload).hexdigest()[:8])
    assert W.weights_path(entry, progress=False).read_bytes() == payload


def test_download_with_wrong_hash_keeps_nothing(hub, tmp_path):
    entry = _published(tmp_path, sha="0" * 64)
    with pytest.raises(W.WeightsHashError, match="was not kept"):
        W.weights_path(entry, progress=False)
    assert list(hub.iterdir()) == []


def test_interrupted_download_keeps_nothing(hub, tmp_path, monkeypatch):
    entry = _published(tmp_path)

    class Broken:
        headers = {"Content-Length": "100"}

        def __init__(self):
            self.calls = 0

        def read(self, n):
            self.calls += 1
            if self.calls > 1:
                raise ConnectionResetError("connection reset by peer")
            return b"partial data"

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(W, "_open_url", lambda url: Broken())
    with pytest.raises(W.WeightsNotFoundError, match="connection reset"):
        W.weights_path(entry, progress=False)
    assert list(hub.iterdir()) == []


def test_cached_file_with_wrong_hash_is_an_error_naming_it(hub, tmp_path):
    entry = _published(tmp_path)
    hub.mkdir(parents=True)
    (hub / entry.filename).write_bytes(b"something else")
    with pytest.raises(W.WeightsHashError) as info:
        W.weights_path(entry)
    message = str(info.value)
    assert str(hub / entry.filename) in message and "Delete it" in message and entry.url in message


def test_offline_error_names_file_url_and_folder(hub, tmp_path, monkeypatch):
    entry = _published(tmp_path)

    def offline(url):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(W, "_open_url", offline)
    with pytest.raises(W.WeightsNotFoundError) as info:
        W.weights_path(entry)
    message = str(info.value)
    for part in (entry.filename, entry.url, str(hub), "name resolution", "FASTGAN_WEIGHTS_DIR"):
        assert part in message
    assert not hub.exists() or list(hub.iterdir()) == []


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_downloads_can_be_forbidden(how, hub, tmp_path, monkeypatch):
    entry = _published(tmp_path)
    monkeypatch.setattr(W, "_open_url", _no_network)
    if how == "environment":
        monkeypatch.setenv("FASTGAN_OFFLINE", "1")
    with pytest.raises(W.WeightsNotFoundError, match="downloads are disabled"):
        W.weights_path(entry, download=False if how == "argument" else None)


def test_unknown_registry_name():
    with pytest.raises(KeyError, match="known: "):
        W.weights_path("inception-v4")


def test_copy_bundled_by_an_installed_package_is_used(hub, tmp_path, monkeypatch):
    payload = b"bundled linear layers"
    package = tmp_path / "site" / "fakelpips"
    (package / "weights").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "weights" / "alex.pth").write_bytes(payload)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(W, "_open_url", _no_network)
    good = W.PublishedWeights("x.pth", "https://example.invalid/x.pth", hashlib.sha256(payload).hexdigest(),
                              package_file=("fakelpips", "weights/alex.pth"))
    assert W.weights_path(good) == package / "weights" / "alex.pth"
    assert "fakelpips" not in sys.modules  # found without importing it
    bad = W.PublishedWeights("x.pth", "https://example.invalid/x.pth", "1" * 64,
                             package_file=("fakelpips", "weights/alex.pth"))
    with pytest.raises(W.WeightsNotFoundError):
        W.weights_path(bad, download=False)


def test_resolve_state_dict_forms(tmp_path, hub, monkeypatch):
    state = {"w": torch.arange(3.0)}
    path = tmp_path / "s.pth"
    torch.save(state, path)
    assert W.resolve_state_dict(None, {}) is None
    assert W.resolve_state_dict(state, {}) is state
    assert torch.equal(W.resolve_state_dict(path, {})["w"], state["w"])
    assert torch.equal(W.resolve_state_dict(str(path), {})["w"], state["w"])
    entry = _published(tmp_path, path.read_bytes(), filename="s-test.pth")
    monkeypatch.setitem(W.REGISTRY, "test-entry", entry)
    assert torch.equal(W.resolve_state_dict("short", {"short": "test-entry"})["w"], state["w"])
    with pytest.raises(FileNotFoundError, match="'short'"):
        W.resolve_state_dict("nope.pth", {"short": "test-entry"})
    with pytest.raises(TypeError):
        W.resolve_state_dict(3, {})


def test_load_into_lists_every_kind_of_mismatch():
    net = AlexNetFeatures(weights=None)
    state = dict(net.state_dict())
    del state["features.0.bias"]
    state["features.3.weight"] = torch.zeros(1)
    state["classifier.6.bias"] = torch.zeros(1000)
    with pytest.raises(ValueError, match=r"missing: features.0.bias; unexpected: classifier.6.bias; "
                                         r"wrong shape: features.3.weight"):
        W.load_into(net, state)


def test_seeded_recipe():
    net = AlexNetFeatures(weights=None)
    state = W.seeded_state_dict(net)
    again = W.seeded_state_dict(AlexNetFeatures(weights=None))
    assert all(torch.equal(state[k], again[k]) for k in state)
    # Each entry depends on its own name only: the recipe's per-name generator.
    g = torch.Generator().manual_seed(zlib.crc32(b"features.3.bias"))
    assert torch.equal(state["features.3.bias"], 0.1 * torch.randn(192, generator=g))
    g = torch.Generator().manual_seed(zlib.crc32(b"features.0.weight"))
    assert torch.equal(state["features.0.weight"], torch.randn(64, 3, 11, 11, generator=g) * (2 / 363) ** 0.5)


def test_seeded_recipe_for_batchnorm():
    bn = torch.nn.BatchNorm2d(7)
    state = W.seeded_state_dict(bn)
    assert bool(((state["running_var"] >= 0.5) & (state["running_var"] < 1.5)).all())
    assert float((state["weight"] - 1).abs().max()) < 0.5
    assert int(state["num_batches_tracked"]) == 0


def test_pretrained_lpips_from_local_published_files(hub, tmp_path, monkeypatch, networks_ref):
    """LPIPS(pretrained=True) end to end: both files found in the cache, verified, loaded."""
    backbone = W.load_seeded(AlexNetFeatures(weights=None))
    files = {"torchvision-alexnet": dict(backbone.state_dict()), "lpips-v0.1-alex": networks_ref["lpips_alex_lin"]}
    hub.mkdir(parents=True)
    for key, state in files.items():
        path = hub / W.REGISTRY[key].filename
        torch.save(state, path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        monkeypatch.setitem(W.REGISTRY, key, W.PublishedWeights(path.name, W.REGISTRY[key].url, digest,
                                                                package_file=()))
    monkeypatch.setattr(W, "_open_url", _no_network)
    lp = LPIPS("alex", pretrained=True)
    x = networks_ref["imgs64"].float() / 127.5 - 1
    with torch.inference_mode():
        d = lp(x[:2], x[2:])
    assert relative_error(d, networks_ref["lpips_alex"]) < 1e-4
