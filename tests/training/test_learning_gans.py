"""Evidence for sagan, biggan and cogan (the README's rows). Slow: `make test-slow`.

Each test runs tools/gan_evidence.py's function for its family (the default recipe and
steps, one CPU thread, seed 0) and checks the claim of its README row.
"""
import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TOOL = Path(__file__).resolve().parents[2] / "tools" / "gan_evidence.py"


def _evidence():
    spec = importlib.util.spec_from_file_location("gan_evidence", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sagan_digits_fid_within_3x_of_real_and_attention_picture(tmp_path):
    summary = _evidence().sagan(str(tmp_path / "sagan"), seed=0)
    assert summary["best"]["fid"] <= 3 * summary["real"]["fid"], summary["best"]
    assert Path(summary["attention_picture"]).is_file()


def test_biggan_label_accuracy_and_truncation_trades_recall(tmp_path):
    summary = _evidence().biggan(str(tmp_path / "biggan"), seed=0)
    assert summary["best"]["label_accuracy"] >= 0.9, summary["best"]
    table = {row["psi"]: row for row in summary["truncation"]}
    assert table[0.25]["recall"] < table[None]["recall"], table  # truncation gives up variety


@pytest.mark.xfail(reason="measured (README): 84.9% of pairs agree at seed 0 (81-85% over the run): the pairs "
                          "correspond, but ambiguous generated digits are labelled differently by the two "
                          "domains' classifiers", strict=False)
def test_cogan_pairs_agree_on_the_digit(tmp_path):
    pytest.importorskip("fastgan.data.two_domain")
    summary = _evidence().cogan(str(tmp_path / "cogan"), seed=0)
    assert summary["best_checkpoint"]["pair_label_agreement"] >= 0.9, summary["best_checkpoint"]
