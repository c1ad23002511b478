"""PRDC across processes: time, bytes sent and peak memory per rank vs world size, on fixed total data.

    python tools/distributed_scale.py --real 20000 --fake 20000 --dim 512 --worlds 1 2 3 --out scale.json
    python tools/distributed_scale.py --real 40000 --fake 40000 --dim 2048 --worlds 1 2 --memory-cap-mib 560

Each world size runs in fresh gloo processes (spawned, one thread each) on the same seeded
features. Every rank generates only its own shard (the features are drawn in seeded blocks of
rows), so no process ever holds the whole set unless it is the only one. Reported per world
size: the slowest rank's seconds for fastgan.distributed.prdc, the bytes each rank sent
(fastgan.distributed.comm.traffic), each rank's peak resident memory, and whether every rank's
result equals the reference (world 1, exact counts).

`--memory-cap-mib M` stands in for a machine too small for the data: once a process has joined
its group and warmed up, its address space is capped (RLIMIT_AS) at what it uses then plus M
MiB. The reference then runs once more without a cap, and a world size whose processes run out
of memory is reported as not fitting, with the error each rank saw.

On a machine with fewer cores than processes the ranks share cores, so time per rank then
measures the machine, not the method; the bytes do not depend on it.
"""
import argparse
import json
import multiprocessing
import os
import resource
import socket
import sys
import time
from pathlib import Path

BLOCK_ROWS = 1024


def shard_features(n, dim, start, stop, seed, scale=1.0, shift=0.0):
    """Rows [start, stop) of a seeded [n, dim] float32 Gaussian set, drawn block by block.

    Block b (rows b * BLOCK_ROWS onwards) comes from its own generator, so a shard costs its own
    rows plus one block, whichever process draws it.
    """
    import torch

    if not 0 <= start <= stop <= n:
        raise ValueError(f"rows [{start}, {stop}) lie outside [0, {n})")
    out = torch.empty(stop - start, dim)
    for block in range(start // BLOCK_ROWS, -(-stop // BLOCK_ROWS)):
        lo, hi = block * BLOCK_ROWS, min(n, (block + 1) * BLOCK_ROWS)
        gen = torch.Generator().manual_seed(seed * 1_000_003 + block)
        rows = torch.randn(hi - lo, dim, generator=gen) * scale + shift
        a, b = max(lo, start), min(hi, stop)
        out[a - start:b - start] = rows[a - lo:b - lo]
    return out


def _shards(args, rank, size):
    def bounds(n):
        return n * rank // size, n * (rank + 1) // size

    real = shard_features(args["real"], args["dim"], *bounds(args["real"]), seed=1)
    fake = shard_features(args["fake"], args["dim"], *bounds(args["fake"]), seed=2, scale=1.1, shift=0.05)
    return real, fake


def _cap_address_space(extra_mib):
    """Cap this process's address space at its current size plus extra_mib MiB; returns the cap in MiB."""
    with open("/proc/self/status") as f:
        size_kib = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    cap = size_kib * 1024 + int(extra_mib) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap, resource.getrlimit(resource.RLIMIT_AS)[1]))
    return cap / 2**20


def _worker(rank, size, port, args, out_dir, cap_mib):
    import torch

    import fastgan.distributed as fd
    from fastgan.ops.knn import knn

    torch.set_num_threads(1)
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(size), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    record = {}
    with fd.process_group_from_env(timeout_s=args.get("timeout_s", 3600)):
        knn(torch.randn(64, 8), None, 3)  # load the extension and its thread pools before any cap
        if cap_mib:
            record["address_space_cap_mib"] = _cap_address_space(cap_mib)
        try:
            real, fake = _shards(args, rank, size)
            fd.comm.traffic(reset=True)
            start = time.perf_counter()
            record["result"] = fd.prdc(real, fake, nearest_k=args["k"])
            record["seconds"] = time.perf_counter() - start
        except (MemoryError, RuntimeError) as exc:  # out of memory here, or a peer that ran out
            record["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        record.update(fd.comm.traffic())
        record["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        Path(out_dir, f"{size}-{rank}.json").write_text(json.dumps(record))
        if "error" in record:
            os._exit(0)  # skip the closing barrier: a peer may be gone


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_world(size, args, out_dir, cap_mib):
    ctx = multiprocessing.get_context("spawn")
    port = _free_port()
    procs = [ctx.Process(target=_worker, args=(r, size, port, args, out_dir, cap_mib)) for r in range(size)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    ranks = []
    for r, p in enumerate(procs):
        path = Path(out_dir, f"{size}-{r}.json")
        if not path.exists():
            raise RuntimeError(f"world {size}: rank {r} exited with {p.exitcode} and wrote nothing")
        ranks.append(json.loads(path.read_text()))
        path.unlink()
    return ranks


def run(args, out_dir):
    """{world size: {"seconds", "bytes_per_rank", "messages_per_rank", "peak_rss_mib", "fits",
    "equal_to_world_1"}} (plus "errors" where a rank failed) and, with a memory cap, the
    uncapped reference under "reference"."""
    rows, reference = {}, None
    cap = args.get("memory_cap_mib")
    if cap:
        ref = _run_world(1, args, out_dir, None)[0]
        reference = ref["result"]
        rows["reference"] = {"seconds": ref["seconds"], "peak_rss_mib": [ref["peak_rss_mib"]]}
        print(f"reference (world 1, no cap): {ref['seconds']:.2f} s, peak RSS {ref['peak_rss_mib']:.0f} MiB",
              flush=True)
    for size in args["worlds"]:
        ranks = _run_world(size, args, out_dir, cap)
        fits = all("result" in r for r in ranks)
        if fits and reference is None:
            reference = ranks[0]["result"]
        row = {"fits": fits,
               "seconds": max(r["seconds"] for r in ranks) if fits else None,
               "bytes_per_rank": [r["bytes"] for r in ranks],
               "messages_per_rank": [r["messages"] for r in ranks],
               "peak_rss_mib": [round(r["peak_rss_mib"], 1) for r in ranks],
               "equal_to_world_1": fits and all(r["result"] == reference for r in ranks)}
        if cap:
            row["address_space_cap_mib"] = [round(r["address_space_cap_mib"], 1) for r in ranks]
        if not fits:
            row["errors"] = [r.get("error") for r in ranks]
        rows[size] = row
        if fits:
            print(f"world {size}: {row['seconds']:.2f} s (slowest rank), "
                  f"{max(row['bytes_per_rank']) / 2**20:.1f} MiB sent per rank, peak RSS "
                  f"{max(row['peak_rss_mib']):.0f} MiB, equal to world 1: {row['equal_to_world_1']}", flush=True)
        else:
            print(f"world {size}: does not fit: {row['errors']}", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", type=int, default=20000)
    parser.add_argument("--fake", type=int, default=20000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--worlds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--memory-cap-mib", type=int, default=None,
                        help="cap each process's address space at its post-start size plus this many MiB")
    parser.add_argument("--timeout-s", type=int, default=600, help="collective timeout (a rank out of memory "
                        "ends its peers after this)")
    parser.add_argument("--out", default=None, help="write the table as JSON here")
    a = parser.parse_args(argv)
    if a.memory_cap_mib is not None and a.memory_cap_mib < 1:
        parser.error("--memory-cap-mib must be >= 1")
    import tempfile

    settings = {"real": a.real, "fake": a.fake, "dim": a.dim, "k": a.k, "worlds": a.worlds,
                "memory_cap_mib": a.memory_cap_mib, "timeout_s": a.timeout_s}
    with tempfile.TemporaryDirectory() as tmp:
        rows = run(settings, tmp)
    summary = {**settings, "cpus": os.cpu_count(), "worlds": rows}
    if a.out:
        Path(a.out).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
