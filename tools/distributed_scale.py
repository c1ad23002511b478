"""PRDC across processes: time per rank and bytes sent per rank vs world size, on fixed total data.

    python tools/distributed_scale.py --real 20000 --fake 20000 --dim 512 --worlds 1 2 3 --out scale.json

Each world size runs in fresh gloo processes (spawned, one thread each) on the same seeded
features; every rank holds only its shard. Reported per world size: the slowest rank's seconds
for fastgan.distributed.prdc, the bytes each rank sent (fastgan.distributed.comm.traffic), and
whether every rank's result equals the world-1 result (exact counts). On a machine with fewer
cores than processes the ranks share cores, so time per rank then measures the machine, not
the method; the bytes do not depend on it.
"""
import argparse
import json
import multiprocessing
import os
import socket
import sys
import time
from pathlib import Path


def _features(n_real, n_fake, dim, seed=0):
    import torch

    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n_real, dim, generator=gen), 1.1 * torch.randn(n_fake, dim, generator=gen) + 0.05


def _worker(rank, size, port, args, out_dir):
    import torch

    import fastgan.distributed as fd

    torch.set_num_threads(1)
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(size), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    real, fake = _features(args["real"], args["fake"], args["dim"])
    real, fake = (t[t.shape[0] * rank // size:t.shape[0] * (rank + 1) // size].clone() for t in (real, fake))
    with fd.process_group_from_env(timeout_s=3600):
        fd.comm.traffic(reset=True)
        start = time.perf_counter()
        result = fd.prdc(real, fake, nearest_k=args["k"])
        seconds = time.perf_counter() - start
        sent = fd.comm.traffic()
    Path(out_dir, f"{size}-{rank}.json").write_text(json.dumps({"seconds": seconds, "result": result, **sent}))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, out_dir):
    """{world size: {"seconds", "bytes_per_rank", "messages_per_rank", "equal_to_world_1"}}."""
    rows, reference = {}, None
    ctx = multiprocessing.get_context("spawn")
    for size in args["worlds"]:
        port = _free_port()
        procs = [ctx.Process(target=_worker, args=(r, size, port, args, out_dir)) for r in range(size)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
            if p.exitcode != 0:
                raise RuntimeError(f"world {size}: a process exited with {p.exitcode}")
        ranks = [json.loads(Path(out_dir, f"{size}-{r}.json").read_text()) for r in range(size)]
        reference = reference or ranks[0]["result"]
        rows[size] = {"seconds": max(r["seconds"] for r in ranks),
                      "bytes_per_rank": [r["bytes"] for r in ranks],
                      "messages_per_rank": [r["messages"] for r in ranks],
                      "equal_to_world_1": all(r["result"] == reference for r in ranks)}
        print(f"world {size}: {rows[size]['seconds']:.2f} s (slowest rank), "
              f"{max(rows[size]['bytes_per_rank']) / 2**20:.1f} MiB sent per rank, "
              f"equal to world 1: {rows[size]['equal_to_world_1']}", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", type=int, default=20000)
    parser.add_argument("--fake", type=int, default=20000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--worlds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--out", default=None, help="write the table as JSON here")
    a = parser.parse_args(argv)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        rows = run({"real": a.real, "fake": a.fake, "dim": a.dim, "k": a.k, "worlds": a.worlds}, tmp)
    summary = {"real": a.real, "fake": a.fake, "dim": a.dim, "k": a.k, "cpus": os.cpu_count(), "worlds": rows}
    if a.out:
        Path(a.out).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
