"""fastgan.distributed.comm.ring on 3 gloo processes: every packet visits every process once,
accumulators come home, and only they make the last hop (the features stay where they are)."""
import json
import multiprocessing
import os
from datetime import timedelta

import pytest
import torch

ROWS = [5, 0, 9]  # uneven shards, one empty
DIM = 4


def _shard(rank):
    return torch.arange(ROWS[rank] * DIM, dtype=torch.float32).reshape(ROWS[rank], DIM) + 1000 * rank


def _ring_in_a_group(rank, size, init_file, out_dir, visit_of, **ring_options):
    """Join a gloo group, run comm.ring over this rank's shard with visit_of(rank, seen), save what it saw."""
    import torch.distributed as dist

    from fastgan.distributed import comm

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=size,
                            timeout=timedelta(seconds=30))
    features = _shard(rank)
    seen = []
    comm.traffic(reset=True)
    out = comm.ring([features, torch.zeros(ROWS[rank], dtype=torch.int64)], visit_of(rank, seen), **ring_options)
    result = {"seen": seen, "acc": out[1].tolist(), "features_kept": out[0] is features,
              "bytes": comm.traffic()["bytes"]}
    with open(os.path.join(out_dir, f"{rank}.json"), "w") as f:
        json.dump(result, f)
    dist.barrier()
    dist.destroy_process_group()


def _launch(target, tmp_path, *args):
    """Run target(rank, size, init file, out dir, *args) on len(ROWS) processes; each rank's saved result."""
    size = len(ROWS)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=target, args=(r, size, str(tmp_path / "init"), str(tmp_path), *args))
             for r in range(size)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert not p.is_alive(), "a process hung"
        assert p.exitcode == 0
    return [json.loads((tmp_path / f"{rank}.json").read_text()) for rank in range(size)]


def _whole_visit(rank, seen):
    def visit(owner, packet):
        shard, acc = packet
        assert torch.equal(shard, _shard(owner))  # the owner's features, untouched
        seen.append(owner)
        return [shard, acc + (rank + 1)]
    return visit


def _worker(rank, size, init_file, out_dir, returning):
    _ring_in_a_group(rank, size, init_file, out_dir, _whole_visit, returning=returning)


def _expected_bytes(rank, size, returning):
    sent = 0
    for step in range(size - 1):  # the packets passed on: row counts, features, accumulator
        owner = (rank - step) % size
        sent += 8 * 2 + ROWS[owner] * DIM * 4 + ROWS[owner] * 8
    if returning:  # the last hop: this process's packet's accumulator alone
        sent += 8 * 1 + ROWS[(rank + 1) % size] * 8
    return sent


@pytest.mark.parametrize("returning", [(1,), ()])
def test_every_packet_visits_every_process_and_only_accumulators_come_home(returning, tmp_path):
    size = len(ROWS)
    for rank, got in enumerate(_launch(_worker, tmp_path, returning)):
        assert got["seen"] == [(rank - s) % size for s in range(size)]
        # Every process added rank + 1 to every packet it saw: 1 + 2 + 3 = 6 when the sums come
        # home; without `returning` the packet comes back as given.
        assert got["acc"] == ([6] * ROWS[rank] if returning else [0] * ROWS[rank])
        assert got["features_kept"]
        assert got["bytes"] == _expected_bytes(rank, size, returning)


PIECE_ROWS = 2


def _piece_visit(rank, seen):
    def visit(owner, packet):
        shard, acc = packet
        whole = _shard(owner)
        start = int((shard[0, 0] - whole[0, 0]).item()) // DIM if shard.shape[0] else 0
        if owner == rank and not seen:
            assert torch.equal(shard, whole)  # one's own packet is visited whole, first
        else:
            assert shard.shape[0] <= PIECE_ROWS
            assert torch.equal(shard, whole[start:start + shard.shape[0]])
        seen.append([owner, start, shard.shape[0]])
        return [shard, acc + (rank + 1) * (1 + torch.arange(shard.shape[0]) + start)]
    return visit


def _piece_worker(rank, size, init_file, out_dir):
    _ring_in_a_group(rank, size, init_file, out_dir, _piece_visit, returning=(1,), piece_rows=PIECE_ROWS)


def _piece(rows, j):
    return max(0, min(PIECE_ROWS, rows - j * PIECE_ROWS))


def test_pieces_visit_every_row_once_and_accumulate_like_whole_packets(tmp_path):
    size = len(ROWS)
    pieces = -(-max(ROWS) // PIECE_ROWS)
    for rank, got in enumerate(_launch(_piece_worker, tmp_path)):
        # Own packet whole, then piece j of every other process's packet, piece ring after piece ring.
        expected_seen = [[rank, 0, ROWS[rank]]]
        for j in range(pieces):
            for step in range(1, size):
                owner = (rank - step) % size
                expected_seen.append([owner, j * PIECE_ROWS if _piece(ROWS[owner], j) else 0,
                                      _piece(ROWS[owner], j)])
        assert got["seen"] == expected_seen
        # Row i of every packet gathered (r + 1) * (i + 1) from every process r, in its own row.
        assert got["acc"] == [6 * (i + 1) for i in range(ROWS[rank])]
        assert got["features_kept"]
        sent = 0
        for j in range(pieces):
            for step in range(size - 1):
                rows = _piece(ROWS[(rank - step) % size], j)
                sent += 8 * 2 + rows * DIM * 4 + rows * 8
            sent += 8 + _piece(ROWS[(rank + 1) % size], j) * 8
        assert got["bytes"] == sent + 8 * size  # plus the all-reduce of the row counts
