"""matplotlib figures: metric curves of one and several runs, tables as line plots, `fastgan plot`."""
import json
import math

import numpy as np
import pytest
from matplotlib.ticker import MaxNLocator
from PIL import Image

from fastgan.cli import main
from fastgan.training.plotting import (RunCurves, curves_figure, line_plot, plot_folders, read_run, save_curves,
                                       table_figure)


def _history(values, key="fid", start=100):
    return [{"step": start * (i + 1), key: v} for i, v in enumerate(values)]


def _panels(fig):
    return {ax.get_title(): ax for ax in fig.axes if ax.get_visible()}


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _model_line(ax, label="model"):
    [line] = [ln for ln in ax.get_lines() if ln.get_label().startswith(label) and ln.get_linestyle() != "--"]
    return line


def _reference_lines(ax):
    # axhline draws from x=0 to x=1 in axes coordinates, at a constant y
    return [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]


def test_metrics_png_is_written_with_a_panel_per_metric_and_the_reference(tmp_path):
    history = [{"step": s, "fid": f, "precision": p, "d_loss": 0.5} for s, f, p in
               ((100, 200.0, 0.2), (200, 20.0, 0.5), (300, 8.0, 0.8))]
    path = save_curves(history, ("fid", "kid", "precision"), tmp_path / "metrics.png", reference={"fid": 3.76})
    assert Image.open(path).size[0] > 300
    fig = curves_figure([RunCurves(None, history, {"fid": 3.76})], keys=("fid", "kid", "precision"))
    panels = _panels(fig)
    assert list(panels) == ["fid", "precision"]  # kid is in no record: no panel
    fid = panels["fid"]
    assert fid.get_xlabel() == "step" and fid.get_ylabel() == "fid"
    assert list(_model_line(fid).get_xdata()) == [100, 200, 300]
    [ref] = _reference_lines(fid)
    assert list(ref.get_ydata()) == [3.76, 3.76]
    assert "real vs held-out 3.76" in _legend(fid)
    assert _reference_lines(panels["precision"]) == []
    assert len(fid.get_yticks()) > 1 and len(fid.get_xticks()) > 1


def test_a_curve_with_one_point(tmp_path):
    fig = curves_figure([RunCurves(None, _history([7.5]), {})], keys=("fid",))
    ax = _panels(fig)["fid"]
    line = _model_line(ax)
    assert list(line.get_xdata()) == [100] and list(line.get_ydata()) == [7.5]
    low, high = ax.get_ylim()
    assert low < 7.5 < high
    low, high = ax.get_xlim()
    assert low < 100 < high
    save_curves(_history([7.5]), ("fid",), tmp_path / "one.png")  # draws without a warning or error


def test_constant_values_get_a_readable_range():
    ax = _panels(curves_figure([RunCurves(None, _history([0.25] * 4, "recall"), {})], keys=("recall",)))["recall"]
    assert ax.get_yscale() == "linear"
    low, high = ax.get_ylim()
    assert low < 0.25 < high and high - low > 1e-3


def test_counts_get_integer_ticks_from_zero():
    history = _history([8] * 5, "modes_covered")
    ax = _panels(curves_figure([RunCurves(None, history, {"modes_covered": 8})], keys=("modes_covered",)))[
        "modes_covered"]
    locator = ax.yaxis.get_major_locator()
    assert isinstance(locator, MaxNLocator) and locator._integer
    assert ax.get_ylim()[0] <= 0 and ax.get_ylim()[1] > 8
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert 8 in ticks and all(float(t).is_integer() for t in ticks)


def test_log_scale_only_for_positive_values_spanning_orders_of_magnitude():
    def scale(values, reference=None):
        run = RunCurves(None, _history(values), {"fid": reference} if reference is not None else {})
        return _panels(curves_figure([run], keys=("fid",)))["fid"].get_yscale()

    assert scale([300.0, 30.0, 5.0]) == "log"
    assert scale([12.0, 10.0, 8.0]) == "linear"
    assert scale([12.0, 10.0, 8.0], reference=0.1) == "log"  # the reference line is on the axis too
    assert scale([5.0, -1.0, 300.0]) == "linear"


def test_nan_and_inf_are_skipped_and_said_in_the_legend():
    history = _history([float("nan"), 50.0, float("inf"), 10.0]) + [{"step": 500, "fid": 9.0, "diverged": True}]
    fig = curves_figure([RunCurves(None, history, {"fid": float("nan")})], keys=("fid", "diverged"))
    panels = _panels(fig)
    assert list(panels) == ["fid"]  # a boolean flag is not a curve
    line = _model_line(panels["fid"])
    assert list(line.get_xdata()) == [200, 400, 500] and list(line.get_ydata()) == [50.0, 10.0, 9.0]
    assert _legend(panels["fid"]) == ["model (2 NaN/inf skipped)"]  # a NaN reference draws no line


def test_a_metric_with_no_finite_value_gets_a_panel_that_says_so():
    ax = _panels(curves_figure([RunCurves(None, _history([float("nan")] * 3), {})], keys=("fid",)))["fid"]
    assert _legend(ax) == ["model (3 NaN/inf skipped)"]
    assert any(t.get_text() == "no finite values" for t in ax.texts)


def test_several_runs_of_different_lengths_in_one_figure(tmp_path):
    runs = [RunCurves("s0", [{"step": s, "fid": 100.0 / s, "recall": 0.1 * i} for i, s in enumerate((1, 2, 3))],
                      {"fid": 0.5, "recall": 0.9}),
            RunCurves("s1", [{"step": s, "fid": 90.0 / s} for s in (1, 2, 3, 4, 5)], {"fid": 0.5})]
    panels = _panels(curves_figure(runs))
    assert list(panels) == ["fid", "recall"]
    assert len(_model_line(panels["fid"], "s0").get_xdata()) == 3
    assert len(_model_line(panels["fid"], "s1").get_xdata()) == 5
    assert _legend(panels["fid"]) == ["s0", "s1", "real vs held-out 0.5"]  # one line for a shared reference
    assert _legend(panels["recall"]) == ["s0", "s1 (no values)", "real vs held-out 0.9"]
    other = [runs[0], RunCurves("s2", runs[1].history, {"fid": 0.7})]  # different data: one reference each
    assert _legend(_panels(curves_figure(other))["fid"])[-2:] == ["s0: real vs held-out 0.5",
                                                                  "s2: real vs held-out 0.7"]


def test_curves_refuse_keys_no_run_holds():
    with pytest.raises(ValueError, match="no run holds any of kid"):
        curves_figure([RunCurves(None, _history([1.0]), {})], keys=("kid",))


def test_line_plot_draws_a_table(tmp_path):
    rows = [{"psi": p, "fid": 30 * (1.1 - p) ** 2 + 2, "recall": p} for p in (0.25, 0.5, 0.75, 1.0)]
    rows.append({"psi": 1.25, "fid": float("nan")})
    path = line_plot(rows, "psi", ["fid"], tmp_path / "truncation.png", reference={"fid": 3.0}, title="truncation")
    assert Image.open(path).size[0] > 200
    [ax] = table_figure(rows, "psi", ["fid", "recall"], reference={"fid": 3.0}).axes
    assert ax.get_xlabel() == "psi" and ax.get_ylabel() == "value"
    assert list(_model_line(ax, "fid").get_xdata()) == [0.25, 0.5, 0.75, 1.0]
    assert _legend(ax) == ["fid (1 NaN/inf skipped)", "recall", "fid: real vs held-out 3"]
    with pytest.raises(ValueError, match="no row has the column"):
        line_plot(rows, "psi", ["precision"], tmp_path / "x.png")


# -- run folders and `fastgan plot` ---------------------------------------------------------------
def _run_folder(path, fids, reference=None):
    path.mkdir(parents=True)
    lines = [json.dumps({"step": 10 * (i + 1), "fid": f, "d_loss": 0.7}) for i, f in enumerate(fids)]
    (path / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    if reference is not None:
        (path / "metrics.json").write_text(json.dumps({"real_vs_heldout": reference}))
    return path


def test_read_run_reads_the_curves_and_the_reference(tmp_path):
    run = read_run(_run_folder(tmp_path / "gan-ring8-s0", [3.0, float("nan"), 1.0], {"fid": 0.01}))
    assert run.label == "gan-ring8-s0" and run.reference == {"fid": 0.01}
    assert [r["step"] for r in run.history] == [10, 20, 30] and math.isnan(run.history[1]["fid"])
    assert read_run(_run_folder(tmp_path / "unfinished", [2.0])).reference == {}


def test_fastgan_plot_draws_seeds_side_by_side(tmp_path, capsys):
    dirs = [str(_run_folder(tmp_path / f"runs/dcgan-s{seed}", [9.0 - seed, 5.0], {"fid": 3.76})) for seed in (0, 1)]
    out = tmp_path / "figs" / "dcgan.png"
    assert main(["plot", *dirs, "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out and np.asarray(Image.open(out)).ndim == 3
    assert main(["plot", *dirs, "--out", str(out)]) == 1  # no silent overwrite
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["plot", *dirs, "--out", str(out), "--force", "--metrics", "fid,d_loss"]) == 0


def test_same_folder_names_are_told_apart_by_their_paths(tmp_path):
    a = _run_folder(tmp_path / "a" / "s0", [1.0])
    b = _run_folder(tmp_path / "b" / "s0", [2.0])
    runs = plot_folders([str(a), str(b)], str(tmp_path / "both.png"))
    assert [r.label for r in runs] == [str(a), str(b)]


@pytest.mark.parametrize("make, message", [
    (lambda p: p, "no such folder"),
    (lambda p: (p.write_text("x"), p)[1], "is not a folder"),
    (lambda p: (p.mkdir(), p)[1], "is not a fastgan run: it has no metrics.jsonl"),
    (lambda p: (p.mkdir(), (p / "metrics.jsonl").write_text(""), p)[2], "holds no evaluations yet"),
    (lambda p: (p.mkdir(), (p / "metrics.jsonl").write_text('{"step": 1}\n{oops\n'), p)[2], "line 2 is not JSON"),
    (lambda p: (p.mkdir(), (p / "metrics.jsonl").write_text('{"fid": 1}\n'), p)[2], "line 1 is not a metrics record"),
])
def test_fastgan_plot_refuses_folders_that_are_not_runs(tmp_path, capsys, make, message):
    folder = make(tmp_path / "notarun")
    good = _run_folder(tmp_path / "good", [1.0])
    out = tmp_path / "fig.png"
    assert main(["plot", str(good), str(folder), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert message in err and "notarun" in err and "Traceback" not in err
    assert not out.exists()


def test_fastgan_plot_refuses_a_folder_as_output_and_unknown_metrics(tmp_path, capsys):
    good = str(_run_folder(tmp_path / "good", [1.0]))
    assert main(["plot", good, "--out", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err
    assert main(["plot", good, "--out", str(tmp_path / "f.png"), "--metrics", "kid"]) == 1
    assert "no run holds any of kid" in capsys.readouterr().err
