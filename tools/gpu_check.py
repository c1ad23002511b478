#!/usr/bin/env python3
"""`make gpu-check`: build, test and benchmark fastgan's CUDA kernels in one command.

On a machine with a CUDA GPU and a CUDA build of torch already installed:

1. detect the GPU (before anything else): exit 3 with a clear message when
   torch.cuda.is_available() is False or torch is a CPU build (torch.version.cuda None);
2. build the extension against that torch:
   FASTGAN_CUDA=1 python -m pip install --no-build-isolation --no-deps -e .
   (--no-deps: a different torch is never installed; the torch version is checked
   again after the build);
3. check that the build loads and has CUDA kernels (fastgan._ext.build_info());
4. run the CUDA rows of the test suite: python -m pytest -m "cuda and not slow";
5. run the GPU benchmark set (tools/gpu_bench.py) in the time left.

Every step is a subprocess with a timeout; its rc, seconds and the tail of its output
go into <out>/summary.json (rewritten after every step), its whole output into
<out>/gpu-check.log. The whole run aims at --budget-seconds (default 480).

Exit status: 0 all steps passed; 1 a step failed; 2 usage error or an existing
summary (pass --force); 3 no usable CUDA GPU.
"""
import argparse
import collections
import datetime
import json
import math
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH_SCRIPT = REPO / "tools" / "gpu_bench.py"

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_GPU = 0, 1, 2, 3
DEFAULT_BUDGET_S = 480.0
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
BUILD_TIMEOUT_S = 300.0
PROBE_TIMEOUT_S = 120.0
TESTS_TIMEOUT_S = 240.0
MIN_STEP_TIMEOUT_S = 30.0
MIN_BENCH_BUDGET_S = 60.0  # the bench always gets this much, so the small cases run
BENCH_GRACE_S = 60.0  # the last case may overrun its estimate (worst case in all: ~600 s)
TAIL_LINES = 60
TAIL_CHARS = 6000
CUDA_SKIP_REASON = "needs a CUDA device"  # tests/conftest.py's skip reason for CUDA rows

# Run in a subprocess after the build: what the compiled library says about itself.
PROBE_CODE = """
import json, torch
from fastgan import _ext
info = {
    "torch": torch.__version__,
    "torch_cuda": torch.version.cuda,
    "available": _ext.available(),
    "compiled_with_cuda": _ext.compiled_with_cuda(),
    "has_cuda": _ext.has_cuda(),
    "build_info": _ext.build_info(),
    "load_error": _ext.load_error(),
}
print("FASTGAN_PROBE " + json.dumps(info))
"""


class OutputExists(Exception):
    """The output directory already holds a summary and --force was not given."""


# --- arguments -------------------------------------------------------------------------


def parse_sizes(text):
    try:
        sizes = [int(part) for part in str(text).split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--sizes takes comma-separated integers, got {text!r}") from None
    if not sizes or any(n < 8 for n in sizes):
        raise argparse.ArgumentTypeError(f"--sizes must be integers >= 8 (PRDC needs more samples than k=5), got {text!r}")
    return sizes


def positive_seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="gpu_check.py",
        description="Build fastgan against the installed CUDA torch, run the CUDA tests and the GPU benchmarks.",
        epilog="Exit status: 0 passed, 1 a step failed, 2 usage / existing summary, 3 no CUDA GPU.",
    )
    parser.add_argument("--out", type=Path, default=Path("gpu-check"),
                        help="output directory for summary.json and gpu-check.log (default gpu-check/)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing summary in --out")
    parser.add_argument("--budget-seconds", type=positive_seconds, default=DEFAULT_BUDGET_S,
                        help=f"time for the whole run; benchmark cases that would exceed it are skipped (default {DEFAULT_BUDGET_S:.0f})")
    parser.add_argument("--skip-build", action="store_true", help="use the extension as it is built")
    parser.add_argument("--skip-tests", action="store_true", help="do not run the CUDA rows of the test suite")
    parser.add_argument("--skip-bench", action="store_true", help="do not run the GPU benchmarks")
    parser.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES),
                        help="PRDC sample counts, comma-separated (default 10000,100000,1000000; 1M only when time is left)")
    return parser.parse_args(argv)


# --- output ----------------------------------------------------------------------------


def jsonable(value):
    """value with paths, tuples and non-finite floats made JSON-safe (NaN/inf become strings)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def write_json(path, data):
    """Write data as indented JSON, atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(jsonable(data), indent=2, allow_nan=False) + "\n")
    tmp.replace(path)


def prepare_out_dir(out, force=False):
    """Create `out`; refuse (OutputExists) when it holds a summary, unless force (then remove it)."""
    out = Path(out)
    summary = out / "summary.json"
    if summary.exists() and not force:
        raise OutputExists(f"gpu-check: {summary} exists; pass --force to overwrite it, or --out another directory")
    out.mkdir(parents=True, exist_ok=True)
    if summary.exists():
        summary.unlink()
    return out


class Log:
    """gpu-check.log, written from the step threads and the main thread; echoes to stdout."""

    def __init__(self, path, echo=True):
        self.file = open(path, "w", encoding="utf-8")
        self.echo = echo
        self.lock = threading.Lock()

    def write(self, text):
        with self.lock:
            self.file.write(text)
            self.file.flush()
            if self.echo:
                sys.stdout.write(text)
                sys.stdout.flush()

    def line(self, text):
        self.write(text.rstrip("\n") + "\n")

    def close(self):
        self.file.close()


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _tail(lines):
    text = "\n".join(lines)
    return text[-TAIL_CHARS:]


# --- GPU detection ---------------------------------------------------------------------


def detect_gpu():
    """What this Python's torch sees: a dict with "ok", and "error" (a message) when not ok.

    Imports torch only (never fastgan), so it runs before anything is built.
    """
    info = {"ok": False, "error": None, "python": sys.version.split()[0], "executable": sys.executable,
            "platform": platform.platform()}
    try:
        import torch
    except Exception as exc:  # noqa: BLE001 - any import failure is the answer
        info["error"] = f"torch is not importable by {sys.executable}: {exc}"
        return info
    info.update(torch=torch.__version__, torch_cuda=torch.version.cuda, cudnn=None)
    available = torch.cuda.is_available()
    info["cuda_available"] = available
    if torch.version.cuda is None:
        info["error"] = (
            f"torch {torch.__version__} at {sys.executable} is a CPU-only build (torch.version.cuda is None), "
            f"so torch.cuda.is_available() is {available}. Run this on a machine with a CUDA GPU whose Python "
            "has a CUDA build of torch (gpu-check never installs torch; with make, choose the interpreter "
            "by GPU_CHECK_PYTHON=/path/to/python)."
        )
        return info
    if not available:
        info["error"] = (
            f"torch {torch.__version__} (CUDA {torch.version.cuda}) finds no usable GPU: torch.cuda.is_available() "
            "is False. Check nvidia-smi, the driver and CUDA_VISIBLE_DEVICES."
        )
        return info
    try:
        props = torch.cuda.get_device_properties(0)
        torch.ones(1, device="cuda").add_(1).item()  # the device actually runs a kernel
        info.update(
            device_count=torch.cuda.device_count(),
            gpu_name=props.name,
            capability=f"{props.major}.{props.minor}",
            gpu_total_memory_bytes=props.total_memory,
            cudnn=torch.backends.cudnn.version(),
            cuda_driver_api=getattr(torch._C, "_cuda_getDriverVersion", lambda: None)(),
        )
    except Exception as exc:  # noqa: BLE001 - a driver too old for this torch, a busy device...
        info["error"] = f"torch {torch.__version__} sees a GPU but cannot run on it: {type(exc).__name__}: {exc}"
        return info
    info["driver"] = nvidia_smi_driver()
    info["ok"] = True
    return info


def nvidia_smi_driver():
    """The NVIDIA driver version from nvidia-smi, or None."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    return lines[0] if out.returncode == 0 and lines else None


# --- steps -----------------------------------------------------------------------------


def run_step(name, cmd, timeout, log, env=None, cwd=REPO):
    """Run cmd with a timeout (its whole process group is killed past it), output into the log.

    Returns {name, cmd, ok, rc, timed_out, seconds, timeout_s, tail, error}.
    """
    result = {"name": name, "cmd": shlex.join(str(c) for c in cmd), "ok": False, "rc": None, "timed_out": False,
              "seconds": 0.0, "timeout_s": round(timeout, 1), "tail": "", "error": None}
    log.line(f"\n=== {name}: {result['cmd']}  (timeout {timeout:.0f} s, {_now()})")
    start = time.monotonic()
    try:
        proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace", start_new_session=True)
    except OSError as exc:
        result["error"] = f"could not start: {exc}"
        log.line(f"--- {name}: {result['error']}")
        return result
    tail = collections.deque(maxlen=TAIL_LINES)

    def pump():
        for line in proc.stdout:
            log.write(line)
            tail.append(line.rstrip("\n"))

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        result["timed_out"] = True
        _kill_group(proc)
    reader.join(timeout=10)
    result.update(rc=proc.returncode, seconds=round(time.monotonic() - start, 2), tail=_tail(tail))
    result["ok"] = proc.returncode == 0 and not result["timed_out"]
    if result["timed_out"]:
        result["error"] = f"timed out after {timeout:.0f} s"
    state = "ok" if result["ok"] else f"FAILED (rc {proc.returncode}{', timed out' if result['timed_out'] else ''})"
    log.line(f"--- {name}: {state} in {result['seconds']:.1f} s")
    return result


def _kill_group(proc):
    """SIGTERM, then SIGKILL, to the process group this script started for the step."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def build_env(gpu):
    """The environment of the build: CUDA kernels forced on, for this GPU's architecture."""
    env = dict(os.environ)
    env["FASTGAN_CUDA"] = "1"
    if gpu.get("capability") and not env.get("TORCH_CUDA_ARCH_LIST"):
        env["TORCH_CUDA_ARCH_LIST"] = gpu["capability"]  # one architecture: half the compile time
    env.setdefault("MAX_JOBS", str(os.cpu_count() or 1))
    return env


def step_commands(out, args, bench_budget_s=None):
    """name -> argv of each subprocess step (a function, so tests can swap them)."""
    python = sys.executable
    return {
        "build": [python, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "-e", "."],
        "probe": [python, "-c", PROBE_CODE],
        "tests": [python, "-m", "pytest", "-m", "cuda and not slow", "-q", "-rfEs", "-p", "no:cacheprovider",
                  f"--junitxml={Path(out).resolve() / 'pytest-cuda.xml'}"],
        "bench": [python, str(BENCH_SCRIPT), "--device", "cuda", "--budget-seconds", f"{bench_budget_s or 0:.0f}",
                  "--sizes", ",".join(str(n) for n in args.sizes), "--json", str(Path(out).resolve() / "bench.json")],
    }


def parse_probe(tail):
    """The probe's JSON line from its output, or None."""
    for line in reversed(tail.splitlines()):
        if line.startswith("FASTGAN_PROBE "):
            try:
                return json.loads(line[len("FASTGAN_PROBE "):])
            except ValueError:
                return None
    return None


def junit_counts(path):
    """Counts, failing tests and skip reasons from pytest's --junitxml file (None if unreadable)."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    failed, skipped = [], collections.Counter()
    for case in root.iter("testcase"):
        counts["tests"] += 1
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        for child in case:
            if child.tag in ("failure", "error"):
                counts["failures" if child.tag == "failure" else "errors"] += 1
                failed.append(name)
            elif child.tag == "skipped":
                counts["skipped"] += 1
                skipped[(child.get("message") or "").strip()[:200]] += 1
    counts["passed"] = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    counts["failed_tests"] = failed[:50]
    counts["skip_reasons"] = dict(skipped.most_common(20))
    return counts


# --- the run ---------------------------------------------------------------------------


class Run:
    """State of one gpu-check: the summary (rewritten after every step), the log, the deadline."""

    def __init__(self, out, args, log, argv=(), clock=time.monotonic):
        self.out, self.args, self.log, self.clock = Path(out), args, log, clock
        self.start = clock()
        self.deadline = self.start + args.budget_seconds
        self.summary = {
            "schema": 1,
            "ok": None,
            "finished": False,
            "reproduce": "make gpu-check   (or: python tools/gpu_check.py --force)",
            "command": [sys.executable, str(Path(__file__).resolve())] + list(argv),
            "started": _now(),
            "finished_at": None,
            "seconds": None,
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "gpu": None,
            "fastgan": None,
            "steps": {},
            "tests": None,
            "bench": [],
            "failures": [],
        }

    def remaining(self):
        return max(0.0, self.deadline - self.clock())

    def timeout(self, cap):
        return max(MIN_STEP_TIMEOUT_S, min(cap, self.remaining()))

    def save(self):
        self.summary["seconds"] = round(self.clock() - self.start, 2)
        write_json(self.out / "summary.json", self.summary)

    def fail(self, message):
        self.summary["failures"].append(message)
        self.log.line(f"!!! {message}")

    def skip(self, name, reason):
        self.summary["steps"][name] = {"name": name, "ok": None, "skipped_reason": reason}
        self.log.line(f"--- {name}: skipped ({reason})")
        self.save()

    def step(self, name, cmd, cap, env=None):
        result = run_step(name, cmd, self.timeout(cap), self.log, env=env)
        self.summary["steps"][name] = result
        if not result["ok"]:
            self.fail(f"step {name} failed: rc {result['rc']}" + (f", {result['error']}" if result["error"] else ""))
        self.save()
        return result

    def finish(self):
        self.summary["ok"] = not self.summary["failures"]
        self.summary["finished"] = True
        self.summary["finished_at"] = _now()
        self.save()
        for line in summary_lines(self.summary):
            self.log.line(line)
        return EXIT_OK if self.summary["ok"] else EXIT_FAILED


def loud_no_gpu(message):
    bar = "!" * 78
    return f"{bar}\ngpu-check FAILED: no usable CUDA GPU.\n{message}\nNothing was built, tested or benchmarked.\n{bar}"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    gpu = detect_gpu()  # before anything else: nothing is built or written without a GPU answer
    try:
        out = prepare_out_dir(args.out, args.force)
    except OutputExists as exc:
        print(str(exc), file=sys.stderr)
        if not gpu["ok"]:
            print(loud_no_gpu(gpu["error"]), file=sys.stderr)
            return EXIT_NO_GPU
        return EXIT_USAGE
    log = Log(out / "gpu-check.log")
    try:
        return _run(out, args, gpu, log, argv)
    finally:
        log.close()


def _run(out, args, gpu, log, argv=()):
    run = Run(out, args, log, argv)
    log.line(f"gpu-check {_now()}: {sys.executable}, budget {args.budget_seconds:.0f} s, out {out}")
    run.summary["gpu"] = gpu
    run.summary["steps"]["detect"] = {"name": "detect", "ok": gpu["ok"], "error": gpu["error"]}
    if not gpu["ok"]:
        run.fail(f"no usable CUDA GPU: {gpu['error']}")
        run.finish()
        print(loud_no_gpu(gpu["error"]), file=sys.stderr)
        return EXIT_NO_GPU
    log.line(f"GPU: {gpu['gpu_name']} (sm {gpu['capability']}, {gpu['gpu_total_memory_bytes'] / 2**30:.0f} GiB), "
             f"driver {gpu['driver']}, torch {gpu['torch']} CUDA {gpu['torch_cuda']}")
    run.save()

    if args.skip_build:
        run.skip("build", "--skip-build")
    else:
        env = build_env(gpu)
        run.summary["steps"]["build_env"] = {k: env.get(k) for k in ("FASTGAN_CUDA", "TORCH_CUDA_ARCH_LIST", "MAX_JOBS")}
        run.step("build", step_commands(out, args)["build"], BUILD_TIMEOUT_S, env=env)

    built = check_build(run, gpu, out, args)
    if args.skip_tests:
        run.skip("tests", "--skip-tests")
    elif not built:
        run.skip("tests", "the extension has no usable CUDA kernels (see the probe step)")
    else:
        run_tests(run, out, args)

    if args.skip_bench:
        run.skip("bench", "--skip-bench")
    elif not built:
        run.skip("bench", "the extension has no usable CUDA kernels (see the probe step)")
    else:
        run_bench(run, out, args)
    return run.finish()


def check_build(run, gpu, out, args):
    """Probe the built library: it must load, have CUDA kernels, and torch must be the same."""
    build = run.summary["steps"].get("build", {})
    if build.get("ok") is False:
        run.skip("probe", "the build failed")
        return False
    result = run.step("probe", step_commands(out, args)["probe"], PROBE_TIMEOUT_S)
    probe = parse_probe(result["tail"])
    run.summary["fastgan"] = probe
    if probe is None:
        if result["ok"]:
            run.fail("the probe printed no FASTGAN_PROBE line")
        run.save()
        return False
    ok = True
    if probe["torch"] != gpu["torch"]:
        run.fail(f"torch changed during the check: {gpu['torch']} before, {probe['torch']} after")
        ok = False
    if not probe["has_cuda"]:
        why = probe.get("load_error") or "the library was built without CUDA kernels"
        hint = "" if not args.skip_build else " (run without --skip-build)"
        run.fail(f"fastgan has no usable CUDA kernels: {why}{hint}")
        ok = False
    run.save()
    return ok


def run_tests(run, out, args):
    junit = Path(out) / "pytest-cuda.xml"
    if junit.exists():
        junit.unlink()
    result = run.step("tests", step_commands(out, args)["tests"], TESTS_TIMEOUT_S)
    counts = junit_counts(junit)
    run.summary["tests"] = counts
    if counts is not None:
        if counts["tests"] == 0 or counts["passed"] == 0:
            run.fail("no CUDA test passed (none selected by -m cuda, or all skipped)")
        cuda_skips = sum(n for reason, n in counts["skip_reasons"].items() if CUDA_SKIP_REASON in reason)
        if cuda_skips:
            run.fail(f"{cuda_skips} CUDA tests skipped for want of CUDA kernels")
    elif result["ok"]:
        run.fail("pytest wrote no readable junit XML")
    run.save()


def run_bench(run, out, args):
    bench_json = Path(out) / "bench.json"
    if bench_json.exists():
        bench_json.unlink()
    budget = max(MIN_BENCH_BUDGET_S, run.remaining() - 10.0)
    run.summary["steps"]["bench_budget_s"] = round(budget, 1)
    cmd = step_commands(out, args, budget)["bench"]
    result = run_step("bench", cmd, budget + BENCH_GRACE_S, run.log)
    run.summary["steps"]["bench"] = result
    try:
        report = json.loads(bench_json.read_text())
    except (OSError, ValueError):
        report = None
    if report is not None:
        run.summary["bench"] = report.get("cases", [])
        run.summary["bench_environment"] = report.get("environment")
        run.summary["bench_finished"] = report.get("finished")
        for name in report.get("failures", []):
            run.fail(f"benchmark case failed: {name}")
    if not result["ok"]:
        run.fail(f"step bench failed: rc {result['rc']}" + (f", {result['error']}" if result["error"] else ""))
    run.save()


def summary_lines(summary):
    """The closing lines of the log: each step, then each benchmark case."""
    lines = ["", "=== gpu-check summary"]
    for name, step in summary["steps"].items():
        if not isinstance(step, dict) or "ok" not in step:
            continue
        if step.get("skipped_reason"):
            state = f"skipped ({step['skipped_reason']})"
        else:
            state = "ok" if step["ok"] else "FAILED"
        seconds = f" {step['seconds']:.1f} s" if step.get("seconds") is not None else ""
        lines.append(f"  {name:<8} {state}{seconds}")
    for case in summary.get("bench", []):
        if case.get("skipped_reason"):
            lines.append(f"  [skip] {case['name']}: {case['skipped_reason']}")
        elif case.get("error"):
            lines.append(f"  [FAIL] {case['name']}: {case['error']}")
        else:
            ratio = "-" if case.get("ratio") is None else f"{case['ratio']:.2f}x"
            lines.append(f"  [{'ok' if case.get('ok') else 'FAIL'}] {case['name']}: ratio {ratio}, "
                         f"fastgan {case.get('fastgan_s')} s, baseline {case.get('baseline_s')} s")
    for message in summary["failures"]:
        lines.append(f"  failure: {message}")
    lines.append(f"gpu-check {'passed' if summary['ok'] else 'FAILED'} in {summary['seconds']} s")
    return lines


if __name__ == "__main__":
    sys.exit(main())
