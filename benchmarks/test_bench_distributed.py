"""PRDC across processes (gloo): time per process for 1, 2 and 3 processes on fixed total data.

Each process holds 1/world of the real and generated features and runs
fastgan.distributed.prdc; the recorded time is the slowest process's, measured inside the
processes after a barrier (process start-up is excluded). Communication per process, by
construction: three rings (real radii, generated radii, ball counts), each sending the
other (world - 1) shards once: about 3 (world - 1) / world of one set's bytes.
On this 2-core machine 3 processes oversubscribe the cores.
"""
import json
import multiprocessing
import os
import time
from datetime import timedelta

import pytest
import torch

from _harness import record

N, D, K = 8000, 512, 5


def _worker(rank, size, init_file, out_dir):
    import torch.distributed as dist

    import fastgan.distributed as fd

    torch.set_num_threads(max(1, 2 // size))
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=size,
                            timeout=timedelta(seconds=300))
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(N, D, generator=gen)
    fake = 1.05 * torch.randn(N, D, generator=gen)
    real, fake = fd.shard_rows(real), fd.shard_rows(fake)
    dist.barrier()
    start = time.perf_counter()
    result = fd.prdc(real, fake, nearest_k=K)
    seconds = time.perf_counter() - start
    with open(os.path.join(out_dir, f"{rank}.json"), "w") as f:
        json.dump({"seconds": seconds, **result}, f)
    dist.destroy_process_group()


@pytest.mark.parametrize("world", [1, 2, 3])
def test_prdc_per_process(benchmark, world, tmp_path):
    def launch():
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=_worker, args=(r, world, str(tmp_path / f"init{time.time_ns()}"), str(tmp_path)))
                 for r in range(world)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        return [json.loads((tmp_path / f"{r}.json").read_text()) for r in range(world)]

    results = benchmark.pedantic(launch, rounds=1, iterations=1)
    slowest = max(r["seconds"] for r in results)
    group = f"distributed PRDC N=M={N} D={D} k={K} (gloo, 2 cores)"
    benchmark.group = group
    benchmark.extra_info.update(slowest_process_s=slowest, precision=results[0]["precision"],
                                sent_bytes_per_process=int(3 * (world - 1) / world * N * D * 4))
    record(benchmark, group, f"{world} process(es), slowest {slowest:.2f} s", None, anchor=world == 1)
