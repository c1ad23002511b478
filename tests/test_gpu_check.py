"""tools/gpu_check.py and tools/gpu_bench.py, the parts that need no GPU.

The scripts are loaded by path (tools/ is not a package). The benchmark cases run
on the CPU at tiny sizes so that their code paths are exercised here; on a GPU
machine `make gpu-check` runs them on CUDA at full size.
"""
import importlib.util
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gpu_check = _load("gpu_check")
gpu_bench = _load("gpu_bench")

FAKE_GPU = {
    "ok": True, "error": None, "torch": torch.__version__, "torch_cuda": "12.8", "gpu_name": "Fake GPU",
    "capability": "9.0", "gpu_total_memory_bytes": 141 * 2**30, "driver": "570.00",
}


# --- the loud failure without a GPU ------------------------------------------------------


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: the no-GPU failure cannot happen here")
def test_without_a_gpu_the_script_fails_loudly_and_does_nothing_else(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "gpu_check.py"), "--out", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == gpu_check.EXIT_NO_GPU != 0
    assert "gpu-check FAILED: no usable CUDA GPU" in proc.stderr
    assert "never installs torch" in proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] is False and summary["finished"] is True
    assert summary["gpu"]["ok"] is False and summary["gpu"]["torch"] == torch.__version__
    assert list(summary["steps"]) == ["detect"]  # no build, tests or benchmarks ran
    assert "no usable CUDA GPU" in (out / "gpu-check.log").read_text()


def test_detect_gpu_names_a_cpu_build_of_torch(monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    info = gpu_check.detect_gpu()
    assert info["ok"] is False
    assert "CPU-only build" in info["error"] and "torch.version.cuda is None" in info["error"]


def test_detect_gpu_says_when_a_cuda_torch_finds_no_device(monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", "12.8")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    info = gpu_check.detect_gpu()
    assert info["ok"] is False
    assert "torch.cuda.is_available() is False" in info["error"] and "CUDA 12.8" in info["error"]


def test_main_without_a_gpu_exits_nonzero_before_any_step(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gpu_check, "detect_gpu", lambda: {"ok": False, "error": "no GPU here"})
    monkeypatch.setattr(gpu_check, "run_step", lambda *a, **k: pytest.fail("a step ran without a GPU"))
    assert gpu_check.main(["--out", str(tmp_path / "o")]) == gpu_check.EXIT_NO_GPU
    assert "no GPU here" in capsys.readouterr().err


# --- arguments -----------------------------------------------------------------------------


def test_default_arguments():
    args = gpu_check.parse_args([])
    assert args.out == Path("gpu-check")
    assert args.budget_seconds == 480.0
    assert args.sizes == [10_000, 100_000, 1_000_000]
    assert not (args.force or args.skip_build or args.skip_tests or args.skip_bench)


def test_arguments_are_parsed():
    args = gpu_check.parse_args(["--out", "x", "--force", "--budget-seconds", "90", "--skip-build",
                                 "--skip-tests", "--skip-bench", "--sizes", "1000,20000"])
    assert (args.out, args.force, args.budget_seconds, args.sizes) == (Path("x"), True, 90.0, [1000, 20000])
    assert args.skip_build and args.skip_tests and args.skip_bench


@pytest.mark.parametrize("argv", [["--sizes", "abc"], ["--sizes", "5"], ["--sizes", ""], ["--budget-seconds", "0"],
                                  ["--budget-seconds", "-3"], ["--budget-seconds", "inf"], ["--no-such-flag"]])
def test_bad_arguments_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        gpu_check.parse_args(argv)
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


def test_bench_arguments_are_parsed():
    args = gpu_bench.parse_args(["--device", "cpu", "--sizes", "64", "--gp-configs", "4x8,2x16"])
    assert args.sizes == [64] and args.gp_configs == [(4, 8), (2, 16)]
    with pytest.raises(SystemExit):
        gpu_bench.parse_args(["--gp-configs", "4by8"])


# --- the JSON writer and the overwrite refusal --------------------------------------------


def test_write_json_makes_values_json_safe(tmp_path):
    path = tmp_path / "deep" / "summary.json"
    gpu_check.write_json(path, {"nan": math.nan, "inf": -math.inf, "path": Path("/a"), "t": (1, 2.5), "n": None})
    assert json.loads(path.read_text()) == {"nan": "nan", "inf": "-inf", "path": "/a", "t": [1, 2.5], "n": None}
    assert not list(path.parent.glob("*.tmp"))  # written atomically, nothing left over


def test_an_existing_summary_is_not_overwritten(tmp_path):
    (tmp_path / "summary.json").write_text('{"old": true}')
    with pytest.raises(gpu_check.OutputExists, match="--force"):
        gpu_check.prepare_out_dir(tmp_path)
    assert json.loads((tmp_path / "summary.json").read_text()) == {"old": True}
    gpu_check.prepare_out_dir(tmp_path, force=True)
    assert not (tmp_path / "summary.json").exists()


def test_main_refuses_an_existing_summary(tmp_path, monkeypatch, capsys):
    (tmp_path / "summary.json").write_text("{}")
    monkeypatch.setattr(gpu_check, "detect_gpu", lambda: dict(FAKE_GPU))
    assert gpu_check.main(["--out", str(tmp_path)]) == gpu_check.EXIT_USAGE
    assert "--force" in capsys.readouterr().err
    assert (tmp_path / "summary.json").read_text() == "{}"


# --- steps, with a fake GPU and stand-in commands -----------------------------------------


def _commands(**overrides):
    ok = [sys.executable, "-c", "print('fine')"]
    probe = [sys.executable, "-c", "import json; print('FASTGAN_PROBE ' + json.dumps("
             + repr({"torch": torch.__version__, "has_cuda": True, "build_info": {"cuda": "12.8"}, "load_error": None})
             + "))"]
    commands = {"build": ok, "probe": probe, "tests": ok, "bench": ok, **overrides}
    return lambda out, args, budget=None: commands


def test_run_step_records_rc_seconds_and_tail(tmp_path):
    log = gpu_check.Log(tmp_path / "log", echo=False)
    good = gpu_check.run_step("good", [sys.executable, "-c", "print('hello'); print('world')"], 60, log)
    bad = gpu_check.run_step("bad", [sys.executable, "-c", "import sys; print('oops'); sys.exit(4)"], 60, log)
    missing = gpu_check.run_step("missing", ["/no/such/program"], 60, log)
    log.close()
    assert good["ok"] and good["rc"] == 0 and good["tail"].endswith("hello\nworld") and good["seconds"] >= 0
    assert not bad["ok"] and bad["rc"] == 4 and "oops" in bad["tail"]
    assert not missing["ok"] and "could not start" in missing["error"]
    text = (tmp_path / "log").read_text()
    assert "=== good:" in text and "world" in text and "--- bad: FAILED (rc 4)" in text


def test_run_step_kills_a_step_past_its_timeout(tmp_path):
    log = gpu_check.Log(tmp_path / "log", echo=False)
    result = gpu_check.run_step("slow", [sys.executable, "-c", "import time; print('start', flush=True); time.sleep(60)"],
                                1, log)
    log.close()
    assert result["timed_out"] and not result["ok"] and result["seconds"] < 30
    assert "start" in result["tail"] and "timed out" in result["error"]


def test_a_run_with_every_step_passing(tmp_path, monkeypatch):
    monkeypatch.setattr(gpu_check, "detect_gpu", lambda: dict(FAKE_GPU))
    monkeypatch.setattr(gpu_check, "step_commands", _commands())
    monkeypatch.setattr(gpu_check, "junit_counts", lambda path: {"tests": 3, "passed": 3, "skip_reasons": {}})
    out = tmp_path / "o"
    assert gpu_check.main(["--out", str(out), "--skip-bench"]) == gpu_check.EXIT_OK
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] is True and summary["failures"] == []
    assert summary["fastgan"]["build_info"] == {"cuda": "12.8"}
    assert summary["steps"]["build"]["rc"] == 0 and summary["steps"]["tests"]["ok"] is True
    assert summary["steps"]["bench"]["skipped_reason"] == "--skip-bench"
    assert summary["steps"]["build_env"]["FASTGAN_CUDA"] == "1"


def test_a_failed_build_fails_the_run_and_skips_the_rest(tmp_path, monkeypatch):
    monkeypatch.setattr(gpu_check, "detect_gpu", lambda: dict(FAKE_GPU))
    monkeypatch.setattr(gpu_check, "step_commands", _commands(build=[sys.executable, "-c", "raise SystemExit(7)"]))
    out = tmp_path / "o"
    assert gpu_check.main(["--out", str(out)]) == gpu_check.EXIT_FAILED
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] is False and summary["steps"]["build"]["rc"] == 7
    assert "build" in summary["failures"][0]
    assert summary["steps"]["tests"]["skipped_reason"] and summary["steps"]["bench"]["skipped_reason"]


def test_a_build_without_cuda_kernels_fails(tmp_path, monkeypatch):
    probe = [sys.executable, "-c", "print('FASTGAN_PROBE ' + '" + json.dumps(
        {"torch": torch.__version__, "has_cuda": False, "load_error": None}) + "')"]
    monkeypatch.setattr(gpu_check, "detect_gpu", lambda: dict(FAKE_GPU))
    monkeypatch.setattr(gpu_check, "step_commands", _commands(probe=probe))
    out = tmp_path / "o"
    assert gpu_check.main(["--out", str(out), "--skip-build"]) == gpu_check.EXIT_FAILED
    summary = json.loads((out / "summary.json").read_text())
    assert any("no usable CUDA kernels" in f and "--skip-build" in f for f in summary["failures"])
    assert summary["steps"]["tests"]["skipped_reason"]


def test_a_changed_torch_fails(tmp_path, monkeypatch):
    gpu = dict(FAKE_GPU, torch="0.0.0-before")
    monkeypatch.setattr(gpu_check, "detect_gpu", lambda: gpu)
    monkeypatch.setattr(gpu_check, "step_commands", _commands())
    out = tmp_path / "o"
    assert gpu_check.main(["--out", str(out), "--skip-tests", "--skip-bench"]) == gpu_check.EXIT_FAILED
    assert any("torch changed" in f for f in json.loads((out / "summary.json").read_text())["failures"])


def test_skipped_cuda_tests_fail_the_tests_step(tmp_path, monkeypatch):
    counts = {"tests": 2, "passed": 1, "skip_reasons": {"needs a CUDA device and fastgan's CUDA kernels": 1}}
    monkeypatch.setattr(gpu_check, "detect_gpu", lambda: dict(FAKE_GPU))
    monkeypatch.setattr(gpu_check, "step_commands", _commands())
    monkeypatch.setattr(gpu_check, "junit_counts", lambda path: counts)
    out = tmp_path / "o"
    assert gpu_check.main(["--out", str(out), "--skip-bench"]) == gpu_check.EXIT_FAILED
    assert any("skipped" in f for f in json.loads((out / "summary.json").read_text())["failures"])


def test_junit_counts(tmp_path):
    path = tmp_path / "j.xml"
    path.write_text(
        '<testsuites><testsuite tests="4">'
        '<testcase classname="a" name="t1"/>'
        '<testcase classname="a" name="t2"><failure message="boom"/></testcase>'
        '<testcase classname="a" name="t3"><skipped message="needs a CUDA device"/></testcase>'
        '<testcase classname="a" name="t4"><error message="e"/></testcase>'
        "</testsuite></testsuites>"
    )
    counts = gpu_check.junit_counts(path)
    assert (counts["tests"], counts["passed"], counts["failures"], counts["errors"], counts["skipped"]) == (4, 1, 1, 1, 1)
    assert counts["failed_tests"] == ["a::t2", "a::t4"]
    assert counts["skip_reasons"] == {"needs a CUDA device": 1}
    assert gpu_check.junit_counts(tmp_path / "missing.xml") is None


def test_the_bench_step_merges_its_json(tmp_path, monkeypatch):
    report = {"cases": [{"name": "c1", "ok": True}, {"name": "c2", "ok": False}], "failures": ["c2"], "finished": True}
    writer = [sys.executable, "-c", f"import json, sys; open({str(tmp_path / 'o' / 'bench.json')!r}, 'w').write("
              f"{json.dumps(report)!r}); sys.exit(1)"]
    monkeypatch.setattr(gpu_check, "detect_gpu", lambda: dict(FAKE_GPU))
    monkeypatch.setattr(gpu_check, "step_commands", _commands(bench=writer))
    out = tmp_path / "o"
    assert gpu_check.main(["--out", str(out), "--skip-build", "--skip-tests"]) == gpu_check.EXIT_FAILED
    summary = json.loads((out / "summary.json").read_text())
    assert [c["name"] for c in summary["bench"]] == ["c1", "c2"]
    assert "benchmark case failed: c2" in summary["failures"]


def test_the_bench_command_gets_the_time_left(tmp_path):
    args = gpu_check.parse_args(["--sizes", "1000,2000"])
    cmd = gpu_check.step_commands(tmp_path, args, 123.4)["bench"]
    assert cmd[cmd.index("--budget-seconds") + 1] == "123" and cmd[cmd.index("--sizes") + 1] == "1000,2000"
    build = gpu_check.step_commands(tmp_path, args)["build"]
    assert build[1:] == ["-m", "pip", "install", "--no-build-isolation", "--no-deps", "-e", "."]
    env = gpu_check.build_env({"capability": "9.0"})
    assert env["FASTGAN_CUDA"] == "1" and env["TORCH_CUDA_ARCH_LIST"]


# --- the Makefile ------------------------------------------------------------------------


def test_make_gpu_check_runs_the_script_and_never_installs():
    text = (REPO / "Makefile").read_text()
    phony = next(line for line in text.splitlines() if line.startswith(".PHONY:"))
    assert "gpu-check" in phony.split()
    rule = next(line for line in text.splitlines() if line.startswith("gpu-check:"))
    assert rule.strip() == "gpu-check:"  # no prerequisites: never `install`
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dry = subprocess.run(["make", "-n", "gpu-check"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "tools/gpu_check.py" in dry.stdout and "pip" not in dry.stdout


# --- the budget ----------------------------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _spec(name, estimate, clock, cost, result=None):
    def run():
        clock.now += cost
        if result == "raise":
            raise RuntimeError("kernel exploded")
        case = gpu_bench.new_case(name, "g", {"n": 1})
        case.update(fastgan_s=cost, ok=True)
        return case

    return gpu_bench.CaseSpec(name, "g", {"n": 1}, estimate, run)


def test_cases_past_the_budget_are_skipped_with_a_reason():
    clock = FakeClock()
    budget = gpu_bench.Budget(100, clock=clock)
    specs = [_spec("a", 30, clock, 40), _spec("b", 50, clock, 10), _spec("too big", 80, clock, 1),
             _spec("raises", 5, clock, 1, "raise"), _spec("from results", lambda results: 10 * len(results) + 20, clock, 1),
             _spec("never fits", math.inf, clock, 1)]
    seen = []
    results = gpu_bench.run_cases(specs, budget, on_result=lambda r: seen.append(len(r)))
    by_name = {r["name"]: r for r in results}
    assert seen == [1, 2, 3, 4, 5, 6]
    assert by_name["a"]["ok"] and by_name["b"]["ok"]
    assert by_name["too big"]["skipped_reason"] == "time budget: needs ~80 s, 50 s left"
    assert by_name["raises"]["ok"] is False and "kernel exploded" in by_name["raises"]["error"]
    assert "traceback" in by_name["raises"]["values"]
    assert by_name["from results"]["skipped_reason"].startswith("time budget: needs ~60 s")
    assert by_name["never fits"]["skipped_reason"]
    assert gpu_bench.failures(results) == ["raises"]
    assert set(gpu_bench.FIELDS) <= set(by_name["too big"])


def test_the_1m_prdc_case_is_estimated_from_the_100k_one():
    estimate = gpu_bench.prdc_estimate(1_000_000)
    assert estimate([]) > 3600  # without a measurement: only a long budget would start it
    measured = gpu_bench.new_case("prdc", "prdc", {"n": 100_000})
    measured.update(fastgan_s=2.0, baseline_s=3.0)
    assert estimate([measured]) == pytest.approx(100 * 1 * 2.0 + 10)
    assert gpu_bench.prdc_estimate(10_000)([measured]) == 45.0  # smaller sizes keep their default


def test_measure_takes_the_median_and_stops_at_max_seconds():
    calls = []
    timing = gpu_bench.measure(lambda: calls.append(1) or len(calls), "cpu", repeats=5, warmup=1)
    assert len(calls) == 6 and len(timing.times) == 5 and timing.result == 6 and timing.peak_bytes is None
    timing = gpu_bench.measure(lambda: sum(range(10_000)), "cpu", repeats=50, warmup=0, max_seconds=0.0)
    assert len(timing.times) == 1


# --- the benchmark cases on the CPU at tiny sizes -------------------------------------------


def _common(case):
    assert set(gpu_bench.FIELDS) <= set(case)
    assert case["error"] is None and case["skipped_reason"] is None
    assert case["fastgan_s"] > 0 and case["baseline_s"] > 0
    assert case["ratio"] == pytest.approx(case["baseline_s"] / case["fastgan_s"])
    json.dumps(case)  # everything in a case is JSON-serialisable
    return case


def test_prdc_case_on_cpu():
    case = _common(gpu_bench.prdc_case("cpu", 60, dim=8, k=3))
    assert case["ok"] is True
    assert case["max_abs_diff_vs_cpu"] == 0.0 and case["tolerance_vs_cpu"] == 0.0
    assert case["max_abs_diff_vs_baseline"] <= 0.05
    assert set(case["values"]["fastgan"]) == set(gpu_bench.PRDC_KEYS)


def test_prdc_baseline_is_skipped_when_it_does_not_fit():
    case = gpu_bench.prdc_case("cpu", 40, dim=4, k=3, memory_limit_bytes=1000, cpu_max_rows=10)
    assert "torch.cdist matrices need" in case["baseline_skipped_reason"]
    assert case["baseline_s"] is None and case["ratio"] is None and case["fastgan_s"] > 0
    assert "n=40 > 10" in case["cpu_skipped_reason"] and case["ok"] is True


def test_torch_prdc_matches_fastgan_on_separated_data():
    gen = torch.Generator().manual_seed(3)
    real, fake = torch.randn(50, 6, generator=gen), torch.randn(40, 6, generator=gen) + 0.3
    import fastgan

    want = fastgan.metrics.prdc(real.double(), fake.double(), nearest_k=4)
    got = gpu_bench.torch_prdc(real.double(), fake.double(), 4)
    assert got == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("method", gpu_bench.FID_METHODS)
def test_trace_sqrt_case_on_cpu(method):
    case = _common(gpu_bench.trace_sqrt_case("cpu", method, dim=16, samples=200))
    assert case["ok"] is True and case["max_rel_diff_vs_cpu"] <= 1e-8
    assert case["max_rel_diff_vs_baseline"] <= 1e-8  # well within eigvals' accuracy at this size
    assert case["values"]["info"]["method"] in gpu_bench.FID_METHODS


def test_gradient_penalty_case_on_cpu():
    case = _common(gpu_bench.gradient_penalty_case("cpu", batch=4, size=8, width=8, repeats=2))
    assert case["ok"] is True
    assert case["max_rel_diff_vs_baseline"] <= gpu_bench.GP_BASELINE_RTOL
    assert case["values"]["penalty"] == pytest.approx(case["values"]["baseline_penalty"], rel=1e-5)


def test_dcgan_critic_sizes():
    assert gpu_bench.dcgan_critic(32, width=4)(torch.zeros(2, 3, 32, 32)).shape == (2, 1)
    with pytest.raises(ValueError, match="power of two"):
        gpu_bench.dcgan_critic(24)


def test_faiss_case_is_skipped_on_cpu():
    case = gpu_bench.knn_faiss_case("cpu", 30, dim=4)
    assert case["skipped_reason"] == "faiss-gpu needs a CUDA device"


def test_bench_main_on_cpu_writes_its_json(tmp_path, capsys):
    path = tmp_path / "bench.json"
    argv = ["--device", "cpu", "--sizes", "40", "--dim", "4", "--fid-dim", "8", "--fid-samples", "100",
            "--gp-configs", "2x8", "--gp-width", "4", "--json", str(path)]
    assert gpu_bench.main(argv) == 0
    report = json.loads(path.read_text())
    assert report["finished"] is True and report["failures"] == []
    names = [case["name"] for case in report["cases"]]
    assert names[0].startswith("prdc N=M=40") and any(n.startswith("trace_sqrt_product") for n in names)
    assert report["environment"]["device"] == "cpu"
    assert "[ok] prdc N=M=40" in capsys.readouterr().out


def test_bench_main_refuses_cuda_without_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_bench.main(["--device", "cuda"]) == 2


def test_gpu_check_imports_neither_torch_nor_fastgan_at_import():
    # The GPU is detected first; the built library is loaded only in the probe subprocess.
    assert "fastgan" not in gpu_check.__dict__ and "torch" not in gpu_check.__dict__
