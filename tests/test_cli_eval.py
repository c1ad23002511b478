"""`fastgan eval`, `fastgan fid` and `fastgan stats`, run as users run them (a subprocess)."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

import fastgan
from fastgan.compat.pytorch_fid import calculate_frechet_distance


def fastgan_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "fastgan", *args], capture_output=True, text=True, timeout=300,
                          env=env)


@pytest.mark.parametrize("command", ["eval", "fid", "stats"])
def test_help(command):
    result = fastgan_cli(command, "--help")
    assert result.returncode == 0 and "usage: fastgan " + command in result.stdout
    assert "Example" in result.stdout


def test_eval_on_feature_files_writes_the_evaluate_results(tmp_path, rng):
    real = rng.standard_normal((40, 8)).astype(np.float32)
    fake = (rng.standard_normal((30, 8)) + 0.3).astype(np.float32)
    np.save(tmp_path / "real.npy", real)
    np.save(tmp_path / "fake.npy", fake)
    out = tmp_path / "scores.json"
    result = fastgan_cli("eval", str(tmp_path / "real.npy"), str(tmp_path / "fake.npy"), "--metrics", "fid,kid,prdc",
                         "--kid-subset-size", "20", "--kid-subsets", "5", "-k", "3", "--json", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    written = json.loads(out.read_text())
    want = fastgan.evaluate(tmp_path / "real.npy", tmp_path / "fake.npy", metrics="fid,kid,prdc", kid_subset_size=20,
                            kid_subsets=5, prdc_k=3, verbose=False)
    assert written == pytest.approx(want, rel=1e-12)
    assert "frechet_inception_distance" in result.stdout and "coverage" in result.stdout


def test_fid_on_statistics_files(tmp_path, rng):
    paths = []
    for i, shift in enumerate((0.0, 0.5)):
        x = rng.standard_normal((50, 6)) + shift
        paths.append(fastgan.metrics.FeatureStats().update(x).save(tmp_path / f"s{i}.npz"))
    result = fastgan_cli("fid", *paths, "--device", "cpu")
    assert result.returncode == 0, result.stderr
    value = float(result.stdout.split("FID:")[1])
    s = [np.load(p) for p in paths]
    assert value == pytest.approx(calculate_frechet_distance(s[0]["mu"], s[0]["sigma"], s[1]["mu"], s[1]["sigma"]),
                                  rel=1e-12)


def _offline_env(tmp_path):
    import os

    env = dict(os.environ, FASTGAN_OFFLINE="1", FASTGAN_WEIGHTS_DIR=str(tmp_path / "weights"),
               TORCH_HOME=str(tmp_path / "torch_home"), FASTGAN_CACHE_DIR=str(tmp_path / "cache"))
    return env


def _folder(path, n=3):
    path.mkdir()
    for i in range(n):
        Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(path / f"{i}.png")
    return path


@pytest.mark.parametrize("command", [["eval"], ["fid"], ["stats"]])
def test_missing_weights_is_one_line_saying_where_to_put_the_file(tmp_path, command):
    a, b = _folder(tmp_path / "a"), _folder(tmp_path / "b")
    second = str(tmp_path / "out.npz") if command == ["stats"] else str(b)
    result = fastgan_cli(*command, str(a), second, "--device", "cpu", env=_offline_env(tmp_path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "pt_inception-2015-12-05-6726825d.pth" in lines[0] and str(tmp_path / "weights") in lines[0]


@pytest.mark.parametrize("args,message", [
    (["eval", "nowhere_real", "nowhere_fake"], "does not exist"),
    (["eval", "{a}", "{empty}", "--metrics", "fid"], "no images found"),
    (["eval", "{a}", "{a}", "--metrics", "fdi"], "unknown metrics"),
    (["stats", "nowhere", "out.npz"], "not a folder"),
    (["stats", "{a}", "{existing}"], "--force"),
    (["fid", "nowhere", "{a}"], "Invalid path"),
])
def test_errors_are_one_line_with_exit_1(tmp_path, args, message):
    a = _folder(tmp_path / "a")
    (tmp_path / "empty").mkdir()
    (tmp_path / "existing.npz").write_bytes(b"")
    args = [x.format(a=a, empty=tmp_path / "empty", existing=tmp_path / "existing.npz") for x in args]
    result = fastgan_cli(*args, env=_offline_env(tmp_path))
    assert result.returncode == 1, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.slow  # Inception at 299x299 on the CPU, in three subprocesses
def test_stats_then_fid_with_a_weights_file(tmp_path):
    from fastgan.networks import FIDInceptionV3
    from fastgan.networks.weights import seeded_state_dict

    weights = tmp_path / "seeded.pth"
    torch.save(seeded_state_dict(FIDInceptionV3(weights=None)), weights)
    a, b = _folder(tmp_path / "a"), _folder(tmp_path / "b", n=4)
    result = fastgan_cli("stats", str(a), str(tmp_path / "a.npz"), "--weights", str(weights), "--quiet")
    assert result.returncode == 0, result.stderr
    from_stats = fastgan_cli("fid", str(tmp_path / "a.npz"), str(b), "--weights", str(weights), "--device", "cpu")
    from_folders = fastgan_cli("fid", str(a), str(b), "--weights", str(weights), "--device", "cpu")
    assert from_stats.returncode == 0 and from_folders.returncode == 0, from_stats.stderr + from_folders.stderr
    assert float(from_stats.stdout.split("FID:")[1]) == pytest.approx(float(from_folders.stdout.split("FID:")[1]),
                                                                      rel=1e-6)
