"""tools/feature_space_sensitivity.py: its first row is the Evaluator's real-vs-held-out baseline,
and degrading the images raises the FID."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import feature_space_sensitivity as tool  # noqa: E402


def test_rows_start_at_the_evaluators_baseline_and_degradations_cost_fid():
    from fastgan.data.sources import load_data
    from fastgan.training.evaluation import Evaluator

    rows = tool.sensitivity("digits", num_samples=300)
    assert [r["change"] for r in rows] == list(tool.PERTURBATIONS)
    assert rows[0]["fid"] == pytest.approx(Evaluator(load_data("digits"), 300).baseline["fid"], rel=1e-12)
    assert rows[0]["fid_ratio"] == 1.0
    by_name = {r["change"]: r for r in rows}
    assert by_name["quarter resolution, nearest upsampling"]["fid_ratio"] > 1.5
    assert by_name["pixel noise, sigma 0.1"]["fid"] > by_name["pixel noise, sigma 0.05"]["fid"]


def test_points_are_refused():
    with pytest.raises(ValueError, match="not images"):
        tool.sensitivity("ring8")
