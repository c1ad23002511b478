"""TensorBoard event files of a training run, read back with the tensorboard package's own reader."""
import io
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from fastgan.cli import main
from fastgan.training import prepare
from fastgan.training import tensorboard as tb
from fastgan.training.plotting import plot_folders

TINY = dict(model_config={"batch_size": 16}, eval_samples=300, progress=False)


def _events(folder):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def _event_files(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("events.out.tfevents"))


def _steps(acc, tag):
    return [e.step for e in acc.Scalars(tag)]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    pytest.importorskip("tensorboard")
    out = tmp_path_factory.mktemp("tb") / "gan-ring8-s3"
    trainer = prepare("gan", "ring8", seed=3, steps=25, out_dir=str(out), eval_every=10, **TINY)
    trainer.fit()
    return out


def test_losses_and_seconds_per_step_every_few_steps(run_dir):
    acc = _events(run_dir)
    assert _steps(acc, "train/d_loss") == [10, 20, 25]  # every 10 iterations, and the last one
    assert _steps(acc, "train/g_loss") == [10, 20, 25]
    seconds = [e.value for e in acc.Scalars("time/seconds_per_step")]
    assert len(seconds) == 3 and all(0 < s < 5 for s in seconds)


def test_every_metric_beside_its_real_vs_heldout_reference(run_dir):
    acc = _events(run_dir)
    history = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    summary = json.loads((run_dir / "metrics.json").read_text())
    for key in ("fid", "precision", "recall", "density", "coverage", "modes_covered", "high_quality"):
        model = acc.Scalars(f"{key}/model")
        assert [e.step for e in model] == [rec["step"] for rec in history] == [10, 20, 25]
        assert [e.value for e in model] == pytest.approx([rec[key] for rec in history], rel=1e-6)
        ref = acc.Scalars(f"{key}/real_vs_heldout")
        assert [e.value for e in ref] == pytest.approx([summary["real_vs_heldout"][key]] * 3, rel=1e-6)
    assert acc.Scalars("final/fid")[0].value == pytest.approx(summary["final"]["fid"], rel=1e-6)
    layout = acc.Tensors("custom_scalars__config__")  # the Custom Scalars tab: model and reference in one chart
    assert b"fid/real_vs_heldout" in layout[0].tensor_proto.string_val[0]


def test_sample_grids_are_images_at_each_sample_step(run_dir):
    acc = _events(run_dir)
    images = acc.Images("samples")
    assert [e.step for e in images] == [10, 20, 25]
    for event in images:
        logged = np.asarray(Image.open(io.BytesIO(event.encoded_image_string)).convert("RGB"))
        written = np.asarray(Image.open(run_dir / "samples" / f"step_{event.step:06d}.png").convert("RGB"))
        assert np.array_equal(logged, written)


def test_config_and_recipe_as_text_and_hparams(run_dir):
    from tensorboard.plugins.hparams import plugin_data_pb2

    acc = _events(run_dir)
    config = acc.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert json.loads(config.strip("`\n")) == json.loads((run_dir / "config.json").read_text())
    recipe = json.loads(acc.Tensors("recipe/text_summary")[0].tensor_proto.string_val[0].decode().strip("`\n"))
    assert recipe["batch_size"] == 16 and recipe["loss"] == "non_saturating"
    content = acc.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    hparams = start.session_start_info.hparams
    assert hparams["model"].string_value == "gan" and hparams["seed"].number_value == 3
    assert hparams["steps"].number_value == 25 and hparams["batch_size"].number_value == 16
    assert hparams["d_optimizer.lr"].number_value > 0
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
    assert "final/fid" in [m.name.tag for m in experiment.metric_infos]


def test_a_real_run_folder_plots(run_dir, tmp_path):
    [run] = plot_folders([str(run_dir)], str(tmp_path / "run.png"))
    assert run.label == "gan-ring8-s3" and run.reference["modes_covered"] == 8
    assert Image.open(tmp_path / "run.png").size[0] > 300


class _CopyCheckpoint:
    """A logger that keeps last.pt as it was at `step` (a run that crashed after that checkpoint)."""

    def __init__(self, step, target):
        self.step, self.target = step, target

    def on_step(self, trainer, logs, seconds):
        if trainer.step == self.step + 1:
            shutil.copy(trainer.out_dir + "/last.pt", self.target)


def test_a_resumed_run_drops_the_events_after_its_checkpoint(tmp_path):
    pytest.importorskip("tensorboard")
    out = tmp_path / "run"
    first = prepare("gan", "ring8", steps=20, out_dir=str(out), eval_every=10, loggers=[
        _CopyCheckpoint(10, tmp_path / "step10.pt")], **TINY)
    first.fit()
    again = prepare("gan", "ring8", steps=20, out_dir=str(out), eval_every=10, **TINY)
    again.resume(str(tmp_path / "step10.pt"))
    assert again.step == 10
    again.fit()
    assert len(_event_files(out)) == 2
    acc = _events(out)
    # steps 11-20 were written twice; the second file's purge keeps them once
    assert _steps(acc, "fid/model") == [10, 20]
    assert _steps(acc, "train/d_loss") == [10, 20]
    assert [e.step for e in acc.Images("samples")] == [10, 20]
    assert len(acc.Tensors("config/text_summary")) == 1


def test_asking_for_tensorboard_without_the_package_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(tb, "available", lambda: False)
    with pytest.raises(RuntimeError, match=r"tensorboard package is not installed: pip install tensorboard"):
        prepare("gan", "ring8", steps=1, out_dir=str(tmp_path / "a"), tensorboard=True, **TINY)
    trainer = prepare("gan", "ring8", steps=1, out_dir=str(tmp_path / "b"), **TINY)  # "auto": quietly without
    assert trainer.loggers == []
    with pytest.raises(RuntimeError, match="need an out_dir"):
        tb.make_loggers(None, tensorboard=True)
    with pytest.raises(ValueError, match="'auto', True or False"):
        tb.make_loggers(str(tmp_path), tensorboard="yes")


def test_fastgan_train_writes_events_by_default_and_not_with_no_tensorboard(tmp_path, capsys):
    pytest.importorskip("tensorboard")
    common = ["--data", "ring8", "--steps", "2", "--eval-every", "1", "--eval-samples", "200", "--quiet",
              "--batch-size", "16"]
    on, off = tmp_path / "runs" / "on", tmp_path / "runs" / "off"
    assert main(["train", "gan", *common, "--out", str(on)]) == 0
    assert f"tensorboard --logdir {tmp_path / 'runs'}" in capsys.readouterr().out
    assert len(_event_files(on)) == 1 and _steps(_events(on), "fid/model") == [1, 2]
    assert main(["train", "gan", *common, "--out", str(off), "--no-tensorboard"]) == 0
    assert "no TensorBoard events (--no-tensorboard)" in capsys.readouterr().out
    assert _event_files(off) == [] and (off / "metrics.png").is_file()
