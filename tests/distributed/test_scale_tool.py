"""tools/distributed_scale.py: every world size gives the world-1 PRDC, says what each rank sent,
and, under a memory cap, tells a world that fits from one that does not."""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import distributed_scale  # noqa: E402


def test_scale_tool_reports_equal_results_and_traffic(tmp_path):
    rows = distributed_scale.run({"real": 300, "fake": 250, "dim": 8, "k": 3, "worlds": [1, 2]}, str(tmp_path))
    assert rows[1]["equal_to_world_1"] and rows[2]["equal_to_world_1"]
    assert rows[1]["bytes_per_rank"] == [0]
    # Each rank's shard visits the other rank once: at least its features, float32.
    assert all(sent >= 125 * 8 * 4 for sent in rows[2]["bytes_per_rank"])
    assert all(mib > 0 for mib in rows[2]["peak_rss_mib"])


def test_shards_drawn_block_by_block_are_slices_of_the_whole_set():
    n, dim = 3 * distributed_scale.BLOCK_ROWS + 17, 5
    whole = distributed_scale.shard_features(n, dim, 0, n, seed=3)
    for start, stop in [(0, 1), (1000, 1030), (1023, 2049), (n - 5, n), (7, 7)]:
        assert torch.equal(distributed_scale.shard_features(n, dim, start, stop, seed=3), whole[start:stop])
    assert not torch.equal(whole, distributed_scale.shard_features(n, dim, 0, n, seed=4))


def test_a_world_out_of_memory_is_reported_as_not_fitting(tmp_path):
    # 8 MiB of headroom cannot hold 2 x 4000 x 512 float32 features (16 MiB): world 1 fails to allocate.
    args = {"real": 4000, "fake": 4000, "dim": 512, "k": 3, "worlds": [1], "memory_cap_mib": 8, "timeout_s": 30}
    rows = distributed_scale.run(args, str(tmp_path))
    assert rows["reference"]["seconds"] > 0
    assert rows[1]["fits"] is False and rows[1]["seconds"] is None
    assert "memory" in rows[1]["errors"][0].lower() or "alloc" in rows[1]["errors"][0].lower()
