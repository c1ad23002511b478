"""The improved-techniques ablation on digits with the DCGAN recipe, in one command.

    python tools/ablation.py --out runs/ablation            # all 18 runs, then the table
    python tools/ablation.py --out runs/ablation --part 0/2 # half of them (run 0/2 and 1/2 side by side)
    python tools/ablation.py --out runs/ablation --table    # only print the table of finished runs

Each run: `dcgan` on 16 px digits, the DCGAN recipe with one technique switched on (or none),
STEPS iterations, one thread, metrics at the last step only (1000 samples in the digits-classifier
space against the held-out digits). Finished runs are kept in OUT/results.jsonl and skipped
when the command is run again; the table prints FID, recall and coverage as mean +/- std
(sample std over the seeds).
"""
import argparse
import json
import os
import statistics
import sys
import time

STEPS = 1000
SEEDS = (0, 1, 2)
# name -> (model_config overrides, what the row means)
CONFIGS = {
    "baseline": ({}, "the DCGAN recipe"),
    "feature matching": ({"feature_matching": 1.0}, "G loss + 1.0 x feature matching on D's last hidden layer"),
    "minibatch discrimination": ({"minibatch_discrimination": 32}, "32 kernels of 5 rows before D's output"),
    "historical averaging": ({"historical_averaging": 0.01}, "0.01 x squared distance to the mean of past "
                                                             "parameters, both players"),
    "one-sided label smoothing": ({"label_smoothing": 0.1}, "D's real target 0.9"),
    "virtual batch norm": ({"virtual_batch_norm": True}, "G's batch norm over a fixed reference batch of 64 latents"),
}


def run(name, seed, steps, out):
    """Train one configuration for one seed; returns its result row."""
    import torch

    from fastgan.training import train

    torch.set_num_threads(1)
    overrides, _ = CONFIGS[name]
    trainer, result = train("dcgan", "digits", seed=seed, steps=steps, model_config=overrides,
                            eval_every=0, progress=False)
    final = result["final"]
    return {"name": name, "seed": seed, "steps": steps, "seconds": result["seconds"],
            **{k: final[k] for k in ("fid", "precision", "recall", "density", "coverage") if k in final}}


def finished(path):
    """{(name, seed, steps): row} of the runs already in `path`."""
    rows = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                rows[(row["name"], row["seed"], row["steps"])] = row
    return rows


def table(rows, steps):
    """The markdown table of `rows` (mean +/- std over seeds per configuration)."""
    lines = [f"| technique (dcgan, digits, {steps} steps) | seeds | FID | recall | coverage | s/run |",
             "|---|---|---|---|---|---|"]
    for name in CONFIGS:
        done = [r for (n, _, s), r in sorted(rows.items()) if n == name and s == steps]
        if not done:
            continue

        def stat(key, digits):
            values = [r[key] for r in done]
            std = statistics.stdev(values) if len(values) > 1 else 0.0
            return f"{statistics.mean(values):.{digits}f} +/- {std:.{digits}f}"

        seconds = statistics.mean(r["seconds"] for r in done)
        lines.append(f"| {name} | {','.join(str(r['seed']) for r in done)} | {stat('fid', 2)} | "
                     f"{stat('recall', 3)} | {stat('coverage', 3)} | {seconds:.0f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="runs/ablation", help="folder of results.jsonl")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"iterations per run (default {STEPS})")
    parser.add_argument("--part", default="0/1", help="I/N: run every N-th job starting at I (parallel halves)")
    parser.add_argument("--table", action="store_true", help="only print the table of finished runs")
    parser.add_argument("--only", default=None, choices=sorted(CONFIGS), help="run this configuration only")
    args = parser.parse_args(argv)
    index, parts = (int(v) for v in args.part.split("/"))
    if not 0 <= index < parts:
        raise SystemExit(f"--part must be I/N with 0 <= I < N, got {args.part}")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "results.jsonl")
    if not args.table:
        jobs = [(name, seed) for seed in SEEDS for name in CONFIGS if args.only in (None, name)][index::parts]
        for name, seed in jobs:
            if (name, seed, args.steps) in finished(path):
                continue
            start = time.time()
            row = run(name, seed, args.steps, args.out)
            with open(path, "a") as f:
                f.write(json.dumps(row) + "\n")
            print(f"{name} seed {seed}: FID {row['fid']:.2f} ({time.time() - start:.0f} s)", file=sys.stderr)
    print(table(finished(path), args.steps))


if __name__ == "__main__":
    main()
