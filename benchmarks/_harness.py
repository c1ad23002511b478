"""Helpers for side-by-side benchmarks: peak memory and fastgan-vs-anchor ratios.

Every benchmark case measures one implementation with the `benchmark` fixture and
records it with `record(benchmark, group, impl, peak_mb)`. At the end of the run
conftest.py prints, per group, each implementation's median time and peak memory
and its speed ratio against the anchor (the library a user would otherwise pick).
"""
import gc
import os
import resource
import threading
import time

import torch

RESULTS = {}  # group -> impl -> {"median_s": float, "peak_mb": float, "anchor": bool}


def _rss_mb():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_memory_mb(fn, *args, **kwargs):
    """Run fn once and return (result, peak memory growth in MiB during the call).

    On CUDA tensors the allocator's peak is used; on the CPU the resident set is
    sampled every millisecond by a watcher thread (the kernel's own high-water
    mark cannot be reset per call without privileges on every machine).
    """
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        cuda_base = torch.cuda.memory_allocated()
    base = _rss_mb()
    peak = [base]
    done = threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mb())
            time.sleep(0.001)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        result = fn(*args, **kwargs)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
    finally:
        peak[0] = max(peak[0], _rss_mb())
        done.set()
        watcher.join()
    growth = peak[0] - base
    if torch.cuda.is_available() and torch.cuda.max_memory_allocated() > cuda_base:
        growth = max(growth, (torch.cuda.max_memory_allocated() - cuda_base) / 2**20)
    return result, growth


def record(benchmark, group, impl, peak_mb=None, anchor=False):
    """Remember this case's median time (after benchmark(...) ran) for the summary table."""
    median = benchmark.stats.stats.median
    benchmark.extra_info["peak_mb"] = peak_mb
    benchmark.extra_info["anchor"] = anchor
    RESULTS.setdefault(group, {})[impl] = {"median_s": median, "peak_mb": peak_mb, "anchor": anchor}


def summary_lines():
    """The ratio table printed at the end of `make bench`."""
    lines = []
    for group, impls in sorted(RESULTS.items()):
        anchors = [v for v in impls.values() if v["anchor"]]
        anchor = anchors[0] if anchors else None
        lines.append(f"[{group}]")
        for impl, v in sorted(impls.items(), key=lambda kv: kv[1]["median_s"]):
            ratio = f"{anchor['median_s'] / v['median_s']:7.2f}x vs anchor" if anchor else ""
            peak = f"{v['peak_mb']:9.1f} MiB" if v["peak_mb"] is not None else "        n/a"
            tag = " (anchor)" if v["anchor"] else ""
            lines.append(f"  {impl:<40} {v['median_s'] * 1e3:10.2f} ms  peak {peak}  {ratio}{tag}")
    return lines


def max_rss_mb():
    """Process-wide peak resident set so far (MiB), for coarse reports."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
