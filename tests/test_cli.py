"""The `fastgan` command line, run as users run it (a subprocess)."""
import json
import subprocess
import sys

import numpy as np
import pytest


def fastgan(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "fastgan", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_info_reports_versions_kernels_devices_threads():
    result = fastgan("info")
    assert result.returncode == 0, result.stderr
    for label in ("fastgan", "torch", "torch CUDA", "compiler", "CPU kernels", "CUDA kernels", "devices", "threads"):
        assert label in result.stdout
    assert "CPU kernels   compiled" in result.stdout


def test_no_command_prints_help_and_exits_2():
    result = fastgan()
    assert result.returncode == 2
    assert "info" in result.stdout and "prdc" in result.stdout


@pytest.mark.parametrize("command", ["prdc", "demo", "info", "train", "sample"])
def test_every_command_has_help(command):
    result = fastgan(command, "--help")
    assert result.returncode == 0 and "usage: fastgan" in result.stdout


# `fastgan demo` (now the DCGAN-on-digits showcase) is tested in tests/training/test_cli_train.py.


def test_prdc_matches_the_library_and_writes_json(tmp_path, rng, capsys):
    from prdc import compute_prdc

    real = rng.standard_normal((300, 12)).astype(np.float32)
    fake = (rng.standard_normal((250, 12)) * 1.2).astype(np.float32)
    np.save(tmp_path / "real.npy", real)
    np.savez(tmp_path / "fake.npz", features=fake)
    out = tmp_path / "results" / "prdc.json"
    result = fastgan("prdc", str(tmp_path / "real.npy"), str(tmp_path / "fake.npz"), "-k", "4", "--json", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    written = json.loads(out.read_text())
    expected = compute_prdc(real, fake, 4)
    for key, value in expected.items():
        assert written[key] == float(value)
        assert key in result.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["prdc", "missing_real.npy", "missing_fake.npy"], "no such file"),
        (["prdc", "real.npy", "real.npy", "-k", "50"], "nearest_k=50 needs more than 50"),
        (["prdc", "real.npy", "other.npy"], "feature sizes differ"),
    ],
)
def test_errors_are_one_readable_line(tmp_path, args, message):
    np.save(tmp_path / "real.npy", np.zeros((10, 3), dtype=np.float32) + np.arange(10, dtype=np.float32)[:, None])
    np.save(tmp_path / "other.npy", np.zeros((10, 4), dtype=np.float32))
    result = fastgan(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert result.stderr.strip().count("\n") == 0
