"""Figures with matplotlib: a run's metric curves (metrics.png), several runs in one figure
(`fastgan plot`), and a table as a line plot (truncation sweeps, ablations).

Every figure is drawn on a `matplotlib.figure.Figure` of its own (no pyplot state, no GUI
backend), so it works in tests, on servers and from several threads.

Axis rules, shared by every panel:
- A panel whose finite values (and reference lines) are all positive and span more than
  `LOG_SPAN` uses a log scale: FID falls by orders of magnitude early in training, which a
  linear axis flattens into one corner.
- A panel whose values are all whole numbers (counts such as modes covered) gets integer
  ticks and a y range from 0, so a count that stays at 8 reads as 8 out of its range.
- NaN and inf values are left out of the line; the legend entry says how many were.
"""
import json
import math
import os
from dataclasses import dataclass, field

LOG_SPAN = 20.0
REFERENCE_LABEL = "real vs held-out"


@dataclass
class RunCurves:
    """One run's curves.

    Args:
        label: the legend name of the run (None: "model", for a figure of one run).
        history: list of records, each with "step" and metric values (metrics.jsonl's lines).
        reference: {metric: value} drawn as dashed lines, e.g. the real-vs-held-out metrics.
    """
    label: str
    history: list
    reference: dict = field(default_factory=dict)


def save_curves(history, keys, path, reference=None, title=None):
    """Write metrics.png of one run: a panel per metric, the metric over steps beside its reference.

    Args:
        history: list of dicts with "step" and metric values (Trainer.history).
        keys: metric names to plot, in panel order; names that no record holds get no panel.
        path: output image (the format follows the extension: .png, .pdf, .svg).
        reference: optional {metric: value} drawn as a dashed "real vs held-out" line.
        title: optional figure title.

    Returns:
        path.
    """
    return plot_runs([RunCurves(None, history, dict(reference or {}))], path, keys=keys, title=title)


def plot_runs(runs, path, keys=None, title=None):
    """Write `curves_figure(runs, keys, title)` to `path` (.png, .pdf, .svg, ...); returns path."""
    return _save(curves_figure(runs, keys=keys, title=title), path)


def curves_figure(runs, keys=None, title=None):
    """One matplotlib Figure with a panel per metric and a line per run (seeds side by side).

    Args:
        runs: list of RunCurves (e.g. from `read_run`).
        keys: metric names in panel order (default: fastgan.training.trainer.CURVE_KEYS); only
            names that some run holds as a number get a panel.
        title: optional figure title.

    Returns:
        a matplotlib.figure.Figure (save it with .savefig, or show it in a notebook).

    Raises:
        ValueError: no run holds any of `keys`.
    """
    if keys is None:
        from .trainer import CURVE_KEYS as keys
    wanted = list(keys)
    keys = [k for k in wanted if any(_is_number(rec.get(k)) for run in runs for rec in run.history)]
    if not keys:
        raise ValueError(f"no run holds any of {', '.join(wanted)} as a number; nothing to plot")
    cols = min(3, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig = _figure(cols * 4.2, rows * 3.0 + (0.4 if title else 0))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, key in zip(axes.flat, keys):
        _panel(ax, key, runs)
    for ax in list(axes.flat)[len(keys):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def line_plot(rows, x, ys, path, xlabel=None, ylabel=None, reference=None, title=None, log="auto"):
    """Write a table as a line plot: one line per column in `ys` against column `x`.

    For the sweeps and ablations the families report, e.g. FID, precision and recall
    against the truncation psi:

        line_plot([{"psi": 0.5, "fid": 9.1, "recall": 0.3}, ...], "psi", ["fid"], "truncation.png",
                  reference={"fid": 3.76})

    Args:
        rows: list of dicts (one per table row); rows without a number for a column are skipped
            for that column (NaN/inf too, counted in the legend).
        x: the column on the x axis (numbers).
        ys: the columns to draw, one line each, all on one y axis (plot quantities of one
            scale together; call again for another panel).
        path: output image.
        xlabel, ylabel: axis labels (default: `x`, and the column name when there is one).
        reference: optional {column: value} drawn as dashed lines labelled "real vs held-out".
        title: optional title.
        log: "auto" (log y when the values span more than LOG_SPAN and are positive), True, False.

    Returns:
        path.
    """
    return _save(table_figure(rows, x, ys, xlabel=xlabel, ylabel=ylabel, reference=reference, title=title,
                              log=log), path)


def table_figure(rows, x, ys, xlabel=None, ylabel=None, reference=None, title=None, log="auto"):
    """The Figure that `line_plot` saves (same arguments, without the path)."""
    ys = [ys] if isinstance(ys, str) else list(ys)
    if not ys:
        raise ValueError("line_plot needs at least one column in ys")
    missing = [c for c in [x, *ys] if not any(c in row for row in rows)]
    if missing:
        raise ValueError(f"line_plot: no row has the column(s) {', '.join(missing)}")
    fig = _figure(5.5, 3.6)
    ax = fig.subplots()
    series = []
    for i, col in enumerate(ys):
        points = [(row[x], row.get(col)) for row in rows if _is_number(row.get(x)) and _is_number(row.get(col))]
        series.append(_series(ax, points, col, f"C{i}"))
    refs = [(v, col, f"C{i}") for i, col in enumerate(ys) for v in [(reference or {}).get(col)] if _finite(v)]
    for value, col, colour in refs:
        ax.axhline(value, color=colour, linestyle="--", linewidth=1,
                   label=f"{col}: {REFERENCE_LABEL} {value:.4g}" if len(ys) > 1 else f"{REFERENCE_LABEL} {value:.4g}")
    _axes_rules(ax, [v for s in series for v in s] + [v for v, _, _ in refs], log=log)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or (ys[0] if len(ys) == 1 else "value"))
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def read_run(folder):
    """A run folder written by `fastgan train` (or Trainer(out_dir=...)) as RunCurves.

    Args:
        folder: the run's out_dir; its metrics.jsonl gives the curves, its metrics.json (written
            when the run finished) the real-vs-held-out reference.

    Returns:
        RunCurves labelled with the folder's name.

    Raises:
        FileNotFoundError: the folder does not exist.
        ValueError: it is not a run folder (no metrics.jsonl), or its files are not a run's.
    """
    folder = os.fspath(folder)
    if not os.path.exists(folder):
        raise FileNotFoundError(f"{folder}: no such folder (give the out_dir of a run: it holds metrics.jsonl)")
    if not os.path.isdir(folder):
        raise ValueError(f"{folder} is not a folder; give the out_dir of a run (it holds metrics.jsonl)")
    lines_path = os.path.join(folder, "metrics.jsonl")
    if not os.path.isfile(lines_path):
        raise ValueError(f"{folder} is not a fastgan run: it has no metrics.jsonl "
                         "(fastgan train writes one at each evaluation)")
    history = []
    with open(lines_path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{lines_path} line {number} is not JSON ({exc})") from None
            if not isinstance(record, dict) or not _is_number(record.get("step")):
                raise ValueError(f"{lines_path} line {number} is not a metrics record (no step)")
            history.append(record)
    if not history:
        raise ValueError(f"{lines_path} holds no evaluations yet")
    reference = {}
    summary_path = os.path.join(folder, "metrics.json")
    if os.path.isfile(summary_path):
        try:
            with open(summary_path) as f:
                summary = json.load(f)
        except ValueError as exc:
            raise ValueError(f"{summary_path} is not JSON ({exc})") from None
        reference = (summary.get("real_vs_heldout") or {}) if isinstance(summary, dict) else {}
    label = os.path.basename(os.path.normpath(os.path.abspath(folder)))
    return RunCurves(label, history, reference)


def plot_folders(folders, out, keys=None, force=False):
    """`fastgan plot RUN_DIR... --out FILE`: the runs' curves in one figure.

    Args:
        folders: run folders (each checked by `read_run`).
        out: output image; an existing file is refused unless `force`.
        keys: metric names (default: every curve metric the runs hold).
        force: overwrite `out`.

    Returns:
        the list of RunCurves plotted.
    """
    if os.path.isdir(out):
        raise ValueError(f"--out {out} is a folder; give a file name such as {os.path.join(out, 'runs.png')}")
    if os.path.exists(out) and not force:
        raise ValueError(f"{out} exists; pass --force to overwrite it")
    runs = [read_run(folder) for folder in folders]
    labels = [run.label for run in runs]
    if len(set(labels)) < len(labels):  # same folder names under different parents: use the paths
        for run, folder in zip(runs, folders):
            run.label = os.path.normpath(folder)
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    plot_runs(runs, out, keys=keys)
    return runs


# -- drawing ------------------------------------------------------------------------------------
def _panel(ax, key, runs):
    """One metric: a line per run, the reference lines, axis rules, labels, legend."""
    values = []
    for i, run in enumerate(runs):
        points = [(rec["step"], rec.get(key)) for rec in run.history if _is_number(rec.get(key))]
        if points:
            values += _series(ax, points, run.label or "model", f"C{i}")
        else:  # keeps the run in the legend, in its colour, when it lacks this metric
            ax.plot([], [], color=f"C{i}", label=f"{run.label} (no values)")
    refs = {}
    for i, run in enumerate(runs):
        value = run.reference.get(key)
        if _finite(value):
            refs.setdefault(round(float(value), 12), (float(value), run.label, f"C{i}"))
    for value, label, colour in refs.values():
        name = f"{REFERENCE_LABEL} {value:.4g}"
        if len(refs) > 1:  # runs on different data: one reference per run, in its colour
            name = f"{label}: {name}"
        ax.axhline(value, color=colour if len(refs) > 1 else "black", linestyle="--", linewidth=1.2,
                   label=name)
    _axes_rules(ax, values + [v for v, _, _ in refs.values()])
    ax.set_title(key)
    ax.set_xlabel("step")
    ax.set_ylabel(key)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="x-small")


def _series(ax, points, label, colour):
    """Draw (x, y) points as a line with markers, non-finite y skipped; returns the finite ys."""
    finite = [(x, y) for x, y in points if _finite(y) and _finite(x)]
    skipped = len(points) - len(finite)
    if skipped:
        label = f"{label} ({skipped} NaN/inf skipped)"
    xs, ys = [p[0] for p in finite], [p[1] for p in finite]
    ax.plot(xs, ys, color=colour, marker="o", markersize=3 if len(xs) > 1 else 5, linewidth=1.5, label=label)
    return [float(y) for y in ys]


def _axes_rules(ax, values, log="auto"):
    """Log scale for positive values spanning orders of magnitude; integer ticks for counts."""
    from matplotlib.ticker import MaxNLocator

    if not values:
        ax.text(0.5, 0.5, "no finite values", transform=ax.transAxes, ha="center", va="center", color="grey")
        return
    low, high = min(values), max(values)
    if log == "auto":
        log = low > 0 and high > LOG_SPAN * low
    if log:
        ax.set_yscale("log")
    elif all(float(v).is_integer() for v in values):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(min(0.0, low) - 0.5, high + 0.5)


def _figure(width, height):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _save(fig, path):
    path = os.fspath(path)
    fig.savefig(path)
    return path


def _is_number(value):
    """A metric value: int or float, not a bool (flags such as "diverged" are not curves)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(value):
    return _is_number(value) and math.isfinite(value)
