"""fastgan.distributed on 2 and 3 gloo processes: every metric equals the single-process one.

Shards are uneven on purpose. Each process computes from its own rows only; all must
return the same numbers, and those of fastgan.metrics on the whole sets (PRDC counts
exactly, FID/KID/IS to rounding). A process that dies makes the others fail, not hang.
"""
import json
import multiprocessing
import os
from datetime import timedelta

import numpy as np
import pytest
import torch

import fastgan.distributed as fd
from fastgan import metrics

N_REAL, N_FAKE, DIM = 301, 233, 12
SPLITS = {2: ([0, 60, 301], [0, 200, 233]), 3: ([0, 100, 101, 301], [0, 7, 150, 233])}


def _data():
    gen = torch.Generator().manual_seed(5)
    real = torch.randn(N_REAL, DIM, generator=gen)
    fake = 1.2 * torch.randn(N_FAKE, DIM, generator=gen) + 0.3
    real[17] = real[3]  # a duplicate: a neighbour at distance 0 counts
    return real, fake


def _all_metrics(real, fake):
    out = {"fid": fd.fid(real, fake)}
    out["kid"] = list(fd.kid(real, fake, subsets=4, subset_size=90, seed=1))
    out["is"] = list(fd.inception_score(fake, splits=5))
    for k in (3, 5):
        out[f"prdc{k}"] = fd.prdc(real, fake, nearest_k=k)
    # Shards travelling the ring in pieces of 7 rows (several per shard, some empty): the same counts.
    out["prdc3_pieces"] = fd.prdc(real, fake, nearest_k=3, piece_rows=7)
    return out


def _worker(rank, size, init_file, out_dir, die):
    import time

    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=size,
                            timeout=timedelta(seconds=6 if die == "idle" else 20))
    if die == "exit" and rank == 1:
        os._exit(3)  # a process that dies mid-evaluation
    if die == "idle" and rank == 1:  # alive, but never calls the metric (only rank 0 computes)
        while not os.path.exists(os.path.join(out_dir, "0.json")):
            time.sleep(0.2)
        os._exit(0)
    real, fake = _data()
    real_bounds, fake_bounds = SPLITS[size]
    try:
        result = _all_metrics(real[real_bounds[rank]:real_bounds[rank + 1]], fake[fake_bounds[rank]:fake_bounds[rank + 1]])
    except Exception as exc:  # noqa: BLE001 - the test reads what each rank saw
        result = {"error": f"{type(exc).__name__}: {exc}"}
    with open(os.path.join(out_dir, f"{rank}.json"), "w") as f:
        json.dump(result, f)
    if "error" not in result:
        dist.barrier()  # no process tears its gloo threads down while a peer still talks to it
    dist.destroy_process_group()


def _launch(size, tmp_path, die=None):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(r, size, str(tmp_path / "init"), str(tmp_path), die)) for r in range(size)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert not p.is_alive(), "a process hung"
    return [json.loads((tmp_path / f"{r}.json").read_text()) if (tmp_path / f"{r}.json").exists() else None
            for r in range(size)]


@pytest.fixture(scope="module")
def single_process():
    real, fake = _data()
    want = _all_metrics(real, fake)
    # The one-process path is fastgan.metrics' own numbers.
    assert want["fid"] == pytest.approx(metrics.fid_from_features(real, fake), rel=1e-12)
    assert want["kid"] == pytest.approx(list(metrics.kid(real, fake, subsets=4, subset_size=90, seed=1)), rel=1e-10)
    assert want["is"] == pytest.approx(list(metrics.inception_score(fake, splits=5)), rel=1e-12)
    for k in (3, 5):
        assert want[f"prdc{k}"] == metrics.prdc(real, fake, nearest_k=k)
    return want


@pytest.mark.parametrize("size", [2, 3])
def test_every_rank_gets_the_single_process_numbers(size, tmp_path, single_process):
    results = _launch(size, tmp_path)
    for rank, got in enumerate(results):
        assert got is not None and "error" not in got, (rank, got)
        for k in (3, 5):
            assert got[f"prdc{k}"] == single_process[f"prdc{k}"]  # exact counts
        assert got["prdc3_pieces"] == single_process["prdc3"]
        assert got["fid"] == pytest.approx(single_process["fid"], rel=1e-12)
        assert got["kid"] == pytest.approx(single_process["kid"], rel=1e-10)
        assert got["is"] == pytest.approx(single_process["is"], rel=1e-12)
    assert all(r == results[0] for r in results)  # identical on every rank


@pytest.mark.parametrize("die", ["exit", "idle"])
def test_a_dead_or_absent_rank_ends_the_others_with_an_error_naming_it(die, tmp_path):
    results = _launch(2, tmp_path, die=die)
    assert results[1] is None
    assert results[0] is not None
    assert "CollectiveError" in results[0]["error"] and "rank(s) 1 did not reach it" in results[0]["error"]


def test_shard_ranges_cover_every_row_once():
    for n in (0, 1, 7, 100):
        for size in (1, 2, 3, 8):
            ranges = [fd.shard_range(n, r, size) for r in range(size)]
            rows = np.concatenate([np.arange(a, b) for a, b in ranges])
            assert np.array_equal(rows, np.arange(n))
    with pytest.raises(ValueError, match="rank"):
        fd.shard_range(10, 3, 3)


def test_process_group_from_env_is_one_process_without_torchrun(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with fd.process_group_from_env() as (rank, size):
        assert (rank, size) == (0, 1)
        assert not torch.distributed.is_initialized()
