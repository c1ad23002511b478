"""WGAN-GP critic steps: fastgan's fused gradient penalty beside the textbook formulation.

The anchor is the textbook penalty (interpolate, torch.autograd.grad(..., inputs=x_hat,
create_graph=True), torch's norm). Groups:

- "critic step": one WGAN-GP critic step (DCGAN-sized critic for 32x32 images, batch
  64: forward on real and fake, penalty, backward, Adam step) with the textbook
  penalty, the fused one, an inner gradient that also builds weight gradients (what
  `out.backward(create_graph=True)` does), lazy regularisation every k steps (time per
  step, averaged over a period of k steps), and no penalty at all (the floor).
- "penalty arithmetic": the penalty's elementwise chain alone on a [64, 3*32*32]
  gradient (forward + backward), where the fusion is all there is.

The cases of a group run interleaved (each round runs every case once) and are put
into the ratio table together: a sequential benchmark on a shared machine measured
the load's drift more than the cases (3x swings between identical runs).
extra_info also holds the paired speed-ups (textbook / case within one round).

`python benchmarks/test_bench_gradient_penalty.py [cpu|cuda]` prints a torch.profiler
breakdown of a critic step instead (where the time goes); adding `interleaved` times
the cases alternately, round by round, which resists a shared machine's drifting load.
"""
import statistics
import sys
import time

import pytest
import torch
from torch import nn

from _harness import RESULTS, peak_memory_mb

import fastgan
from fastgan.losses import LazyRegularizer
from fastgan.ops import gradient_penalty, penalty_from_gradients
from fastgan.ops.gradient_penalty import _reference, _reference_from_gradients

BATCH, CHANNELS, SIZE = 64, 3, 32
DEVICES = ["cpu"] + (["cuda"] if fastgan.has_cuda() else [])


def dcgan_critic():
    """DCGAN's discriminator for 32x32 images without batch norm (WGAN-GP forbids it)."""
    return nn.Sequential(
        nn.Conv2d(CHANNELS, 64, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(128, 256, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(256, 1, 4, 1, 0),
        nn.Flatten(),
    )


def textbook_with_weight_grads(critic, real, fake):
    """The textbook penalty, but the inner gradient also builds every weight gradient."""
    alpha = torch.rand(real.shape[0], 1, 1, 1, dtype=real.dtype, device=real.device)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out = critic(x_hat)
    params = [p for p in critic.parameters() if p.requires_grad]
    grads = torch.autograd.grad(out, [x_hat] + params, torch.ones_like(out), create_graph=True)[0]
    return 10.0 * (grads.flatten(1).norm(dim=1) - 1).square().mean()


PENALTIES = {
    "textbook autograd.grad(inputs=x_hat)": lambda critic, real, fake: _reference(critic, real, fake),
    "fastgan fused": gradient_penalty,
    "inner grad incl. weight grads": textbook_with_weight_grads,
    "no penalty (floor)": None,
}


class CriticStep:
    """One WGAN-GP critic update with a given penalty function (or none)."""

    def __init__(self, device, penalty):
        torch.manual_seed(0)
        self.critic = dcgan_critic().to(device)
        self.opt = torch.optim.Adam(self.critic.parameters(), lr=1e-4, betas=(0.0, 0.9))
        gen = torch.Generator().manual_seed(1)
        self.real = torch.randn(BATCH, CHANNELS, SIZE, SIZE, generator=gen).to(device)
        self.fake = torch.randn(BATCH, CHANNELS, SIZE, SIZE, generator=gen).to(device)
        self.penalty = penalty
        self.device = device

    def __call__(self):
        self.opt.zero_grad(set_to_none=True)
        loss = self.critic(self.fake).mean() - self.critic(self.real).mean()
        if self.penalty is not None:
            loss = loss + self.penalty(self.critic, self.real, self.fake)
        loss.backward()
        self.opt.step()
        if self.device == "cuda":
            torch.cuda.synchronize()


ANCHOR = "textbook autograd.grad(inputs=x_hat)"
LAZY = (4, 8)


def critic_step_cases(device):
    """name -> (callable, critic steps per call): every penalty, and lazy periods."""
    cases = {name: (CriticStep(device, penalty), 1) for name, penalty in PENALTIES.items()}
    for k in LAZY:
        step = CriticStep(device, LazyRegularizer(gradient_penalty, every=k))
        cases[f"fastgan fused, lazy every {k}"] = (lambda step=step, k=k: [step() for _ in range(k)], k)
    return cases


def interleaved_times(cases, rounds):
    """Seconds per step of each case over `rounds` rounds, the cases alternating within a round.

    On a shared machine the load drifts over the minutes a sequential benchmark
    takes; alternating the cases exposes them all to the same drift, and the ratio
    within a round (paired) cancels most of it.
    """
    times = {name: [] for name in cases}
    for r in range(rounds):
        order = list(cases) if r % 2 == 0 else list(cases)[::-1]
        for name in order:
            fn, steps = cases[name]
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) / steps)
    return times


def paired_speedups(times, anchor):
    """name -> (lower quartile, median, upper quartile) of anchor time / case time within a round."""
    out = {}
    for name, values in times.items():
        ratios = sorted(a / v for a, v in zip(times[anchor], values))
        out[name] = tuple(ratios[round(q * (len(ratios) - 1))] for q in (0.25, 0.5, 0.75))
    return out


def record_interleaved(benchmark, group, times, peaks, anchor):
    """Put every interleaved case in the ratio table (as _harness.record does for one case)."""
    speedups = paired_speedups(times, anchor)
    for name, values in times.items():
        RESULTS.setdefault(group, {})[name] = {
            "median_s": statistics.median(values),
            "peak_mb": peaks[name],
            "anchor": name == anchor,
        }
    benchmark.extra_info["median_s_per_step"] = {name: statistics.median(v) for name, v in times.items()}
    benchmark.extra_info["paired_speedup_quartiles"] = speedups
    benchmark.extra_info["peak_mb"] = peaks


@pytest.mark.parametrize("device", DEVICES)
def test_critic_step(benchmark, device):
    cases = critic_step_cases(device)
    peaks = {}
    for name, (fn, _) in cases.items():
        fn()  # warm up allocator and kernels
        peaks[name] = peak_memory_mb(fn)[1]
    collected = {name: [] for name in cases}

    def one_round():
        for name, values in interleaved_times(cases, 1).items():
            collected[name] += values

    benchmark.group = f"WGAN-GP critic step {device} {BATCH}x{CHANNELS}x{SIZE}x{SIZE} (cases interleaved, time per step)"
    benchmark.pedantic(one_round, rounds=5, warmup_rounds=0)
    record_interleaved(benchmark, benchmark.group, collected, peaks, ANCHOR)


@pytest.mark.parametrize("device", DEVICES)
def test_penalty_arithmetic(benchmark, device):
    gen = torch.Generator().manual_seed(2)
    grads = torch.randn(BATCH, CHANNELS * SIZE * SIZE, generator=gen).to(device).requires_grad_()

    def run(penalty_fn):
        penalty, _ = penalty_fn(grads)
        (g,) = torch.autograd.grad(penalty, grads)
        if device == "cuda":
            torch.cuda.synchronize()
        return g

    cases = {
        "textbook norm chain": (lambda: run(lambda g: _reference_from_gradients(g, 10.0, 1.0, False)), 1),
        "fastgan fused": (lambda: run(lambda g: penalty_from_gradients(g, 10.0, 1.0)), 1),
    }
    peaks = {name: peak_memory_mb(fn)[1] for name, (fn, _) in cases.items()}
    collected = {name: [] for name in cases}

    def rounds_of_ten():
        for name, values in interleaved_times(cases, 10).items():
            collected[name] += values

    benchmark.group = f"penalty arithmetic (norms + penalty + backward) {device} {BATCH}x{CHANNELS * SIZE * SIZE}"
    benchmark.pedantic(rounds_of_ten, rounds=20, warmup_rounds=1)
    record_interleaved(benchmark, benchmark.group, collected, peaks, "textbook norm chain")


def profile_breakdown(device="cpu", steps=2):
    """Print where one critic step's time goes, per labelled phase and per op."""
    from torch.profiler import ProfilerActivity, profile, record_function

    for name in ("textbook autograd.grad(inputs=x_hat)", "fastgan fused", "inner grad incl. weight grads"):
        step = CriticStep(device, PENALTIES[name])
        penalty = step.penalty

        def labelled():
            step.opt.zero_grad(set_to_none=True)
            with record_function("1 critic forward real+fake"):
                loss = step.critic(step.fake).mean() - step.critic(step.real).mean()
            with record_function("2 penalty forward (interp + critic + inner grad + norms)"):
                loss = loss + penalty(step.critic, step.real, step.fake)
            with record_function("3 outer backward (incl. double backward)"):
                loss.backward()
            with record_function("4 optimiser step"):
                step.opt.step()

        labelled()
        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
        with profile(activities=activities) as prof:
            for _ in range(steps):
                labelled()
        print(f"\n=== {name} ({device}, {steps} steps) ===")
        averages = prof.key_averages()
        print(averages.table(sort_by="cpu_time_total", row_limit=14))
        # The fused ops' own share (the textbook's elementwise chain shares op names
        # with the optimiser and autograd, so the "penalty arithmetic" group measures it).
        for e in sorted(averages, key=lambda e: -e.cpu_time_total):
            if e.key.startswith("fastgan::"):
                print(f"  {e.key:<45} {e.cpu_time_total / steps / 1e3:8.3f} ms per step ({e.count // steps} calls)")


def interleaved_comparison(device="cpu", rounds=12):
    """Print median time per step and paired speed-ups (quartiles) of every critic-step case."""
    cases = critic_step_cases(device)
    for fn, _ in cases.values():
        fn()
    times = interleaved_times(cases, rounds)
    speedups = paired_speedups(times, ANCHOR)
    print(f"interleaved, {rounds} rounds, {torch.get_num_threads()} threads, {device}")
    print("  (speed-up: median and quartiles of textbook/case within the same round)")
    for name, values in sorted(times.items(), key=lambda kv: statistics.median(kv[1])):
        lo, mid, hi = speedups[name]
        print(f"  {name:<40} {statistics.median(values) * 1e3:9.1f} ms/step  {mid:5.2f}x ({lo:.2f}-{hi:.2f})")


if __name__ == "__main__":
    device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
    if len(sys.argv) > 2 and sys.argv[2] == "interleaved":
        interleaved_comparison(device)
    else:
        profile_breakdown(device)
