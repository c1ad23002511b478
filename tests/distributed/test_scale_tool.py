"""tools/distributed_scale.py: every world size gives the world-1 PRDC, and says what each rank sent."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import distributed_scale  # noqa: E402


def test_scale_tool_reports_equal_results_and_traffic(tmp_path):
    rows = distributed_scale.run({"real": 300, "fake": 250, "dim": 8, "k": 3, "worlds": [1, 2]}, str(tmp_path))
    assert rows[1]["equal_to_world_1"] and rows[2]["equal_to_world_1"]
    assert rows[1]["bytes_per_rank"] == [0]
    # Each rank's shard visits the other rank once: at least its features, float32.
    assert all(sent >= 125 * 8 * 4 for sent in rows[2]["bytes_per_rank"])
