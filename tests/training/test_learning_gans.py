"""Evidence for sagan, biggan and cogan (the README's rows). Slow: `make test-slow`.

Each test runs tools/gan_evidence.py's function for its family (the default recipe and
steps, one CPU thread) on each measured seed, once per session, and checks the claim of its
README row. Measured (README, per seed, best-FID checkpoint):
- sagan best FID 9.04 / 8.78 / 8.11 on seeds 0 / 1 / 2 (3x real: 11.28): holds;
- biggan label accuracy 95.7% / 100% / 97.4% (with class-wise collapse: recall 0.19 / 0.003 /
  0.02 untruncated, 0 at psi 0.25): holds;
- cogan pair label agreement 85.3% / 83.5% / 84.0%: the 90% claim fails on every seed (strict
  xfail); the pairs are near-exact inverses (pixel agreement 99.3% / 99.1% / 99.3%) and the
  agreement sits at the ceiling the two domains' classifiers set on a generated digit and its
  exact inverse (85.3% / 84.1% / 83.5%), which holds on every seed.
About 4 to 9 minutes a run on one CPU thread; nine runs.
"""
import importlib.util
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TOOL = Path(__file__).resolve().parents[2] / "tools" / "gan_evidence.py"
SEEDS = (0, 1, 2)
_RUNS = {}


def _evidence():
    spec = importlib.util.spec_from_file_location("gan_evidence", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _summary(family, seed, tmp_path_factory):
    """The evidence summary of `family` at `seed`, run once per session (several tests read it)."""
    if (family, seed) not in _RUNS:
        out = tmp_path_factory.mktemp(f"{family}-s{seed}") / family
        _RUNS[family, seed] = summary = getattr(_evidence(), family)(str(out), seed=seed)
        print(json.dumps({"family": family, "seed": seed, "best": summary["best"]}))
    return _RUNS[family, seed]


@pytest.mark.parametrize("seed", SEEDS)
def test_sagan_digits_fid_within_3x_of_real_and_attention_picture(seed, tmp_path_factory):
    summary = _summary("sagan", seed, tmp_path_factory)
    assert summary["best"]["fid"] <= 3 * summary["real"]["fid"], summary["best"]
    assert Path(summary["attention_picture"]).is_file()


@pytest.mark.parametrize("seed", SEEDS)
def test_biggan_label_accuracy_and_truncation_trades_recall(seed, tmp_path_factory):
    summary = _summary("biggan", seed, tmp_path_factory)
    assert summary["best"]["label_accuracy"] >= 0.9, summary["best"]
    table = {row["psi"]: row for row in summary["truncation"]}
    assert table[0.25]["recall"] < table[None]["recall"], table  # truncation gives up variety


@pytest.mark.xfail(strict=True, reason=(
    "measured (README): 85.3% / 83.5% / 84.0% of pairs agree on seeds 0 / 1 / 2, at the ceiling the two "
    "domains' classifiers set (85.3% / 84.1% / 83.5% on a generated digit and its exact inverse)"))
@pytest.mark.parametrize("seed", SEEDS)
def test_cogan_pairs_agree_on_the_digit(seed, tmp_path_factory):
    pytest.importorskip("fastgan.data.two_domain")
    summary = _summary("cogan", seed, tmp_path_factory)
    assert summary["best_checkpoint"]["pair_label_agreement"] >= 0.9, summary["best_checkpoint"]


@pytest.mark.parametrize("seed", SEEDS)
def test_cogan_pairs_are_inverses_and_their_disagreement_is_the_classifiers(seed, tmp_path_factory):
    """The paper's pixel agreement (B = -A on digits-inverted) is high, and pair agreement reaches the
    ceiling the two classifiers set on a generated digit and its exact inverse."""
    pytest.importorskip("fastgan.data.two_domain")
    best = _summary("cogan", seed, tmp_path_factory)["best_checkpoint"]
    assert best["pixel_agreement"] >= 0.95, best
    assert best["pair_label_agreement"] >= best["inverse_label_agreement"] - 0.02, best
