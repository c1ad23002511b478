"""`fastgan train`, `fastgan sample` and `fastgan demo`, run as users run them (subprocesses)."""
import json
import os
import subprocess
import sys

from PIL import Image


def fastgan(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "fastgan", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300, env=os.environ.copy())


def test_train_then_sample_points(tmp_path):
    out = tmp_path / "run"
    result = fastgan("train", "wgan-gp", "--data", "ring8", "--steps", "4", "--seed", "1", "--out", str(out),
                     "--eval-every", "2", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "modes_covered" in result.stdout and "real vs held-out" in result.stdout
    for name in ("config.json", "last.pt", "best.pt", "samples.png", "metrics.jsonl", "metrics.json"):
        assert (out / name).is_file(), name
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["name"] == "wgan-gp" and config["seed"] == 1 and config["steps"] == 4
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 2
    grid = tmp_path / "grid.png"
    result = fastgan("sample", str(out / "best.pt"), "-n", "16", "--out", str(grid))
    assert result.returncode == 0, result.stderr
    assert Image.open(grid).size[0] > 0


def test_train_cgan_digits_and_sample_one_label(tmp_path):
    out = tmp_path / "run"
    result = fastgan("train", "cgan", "--data", "digits", "--steps", "2", "--out", str(out), "--quiet",
                     "--batch-size", "8")
    assert result.returncode == 0, result.stderr
    assert "label_accuracy" in result.stdout
    grid = tmp_path / "sevens.png"
    result = fastgan("sample", str(out / "last.pt"), "-n", "9", "--label", "7", "--out", str(grid))
    assert result.returncode == 0, result.stderr
    img = Image.open(grid)
    assert img.mode == "L" and img.size[0] == img.size[1]


def test_train_refuses_bad_input_with_one_line(tmp_path):
    result = fastgan("train", "stylegan9", "--data", "ring8", "--out", str(tmp_path / "x"))
    assert result.returncode == 1 and "unknown model" in result.stderr and "Traceback" not in result.stderr
    result = fastgan("train", "gan", "--data", "nowhere", "--out", str(tmp_path / "y"))
    assert result.returncode == 1 and "unknown data" in result.stderr
    result = fastgan("sample", str(tmp_path / "missing.pt"))
    assert result.returncode == 1 and "no checkpoint" in result.stderr


def test_demo_runs_tiny(tmp_path):
    result = fastgan("demo", "--steps", "2", "--out", str(tmp_path / "demo"), "--quiet")
    assert result.returncode == 0, result.stderr
    for key in ("fid", "kid", "precision", "recall", "density", "coverage", "real vs held-out"):
        assert key in result.stdout
    assert (tmp_path / "demo" / "samples.png").is_file() and (tmp_path / "demo" / "metrics.png").is_file()
    assert (tmp_path / "demo" / "real.png").is_file()


def test_demo_refuses_zero_steps(tmp_path):
    result = fastgan("demo", "--steps", "0", "--out", str(tmp_path / "demo"), "--quiet")
    assert result.returncode == 1 and "--steps must be >= 1" in result.stderr
    assert not (tmp_path / "demo").exists()


def test_train_glann_from_the_cli_with_recipe_fields_then_sample(tmp_path):
    out = tmp_path / "run"
    result = fastgan("train", "glann", "--data", "digits", "--steps", "2", "--out", str(out), "--quiet",
                     "--batch-size", "8", "--glo-fraction", "0.5", "--g-optimizer", '{"lr": 5e-4}', "--z-dim", "16",
                     "--eval-samples", "100")
    assert result.returncode == 0, result.stderr
    assert "recon_l2" in result.stdout and "train_nn_l2" in result.stdout
    config = json.loads((out / "config.json").read_text())["model"]
    assert config["recipe"]["glo_fraction"] == 0.5 and config["arch"]["z_dim"] == 16
    assert config["recipe"]["g_optimizer"] == {"name": "adam", "lr": 5e-4, "betas": [0.5, 0.999]}  # merged
    grid = tmp_path / "grid.png"
    result = fastgan("sample", str(out / "last.pt"), "-n", "9", "--out", str(grid))
    assert result.returncode == 0, result.stderr
    assert Image.open(grid).size[0] > 0


def test_family_help_lists_its_own_options():
    result = fastgan("train", "vae", "--help")
    assert result.returncode == 0 and "--beta" in result.stdout and "--z-dim" in result.stdout
    assert "--n-critic" not in result.stdout
    result = fastgan("train", "--help")
    assert result.returncode == 0
    for name in ("dcgan", "vae", "imle", "glo", "glann"):
        assert name in result.stdout


def test_unknown_options_and_unfit_data_are_refused_before_training(tmp_path):
    result = fastgan("train", "imle", "--data", "digits", "--margn", "0.1", "--out", str(tmp_path / "a"))
    assert result.returncode == 1 and "unknown option(s) --margn" in result.stderr and "--margin" in result.stderr
    result = fastgan("train", "glo", "--data", "ring8", "--out", str(tmp_path / "b"))
    assert result.returncode == 1 and "glo models images" in result.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
