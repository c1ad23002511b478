"""Evidence runs of sagan, biggan and cogan on digits, one command each (run by tests/training/test_learning_gans.py).

    python tools/gan_evidence.py sagan  --out runs/evidence-sagan   # FID, attention maps picture
    python tools/gan_evidence.py biggan --out runs/evidence-biggan  # FID, label accuracy, truncation table
    python tools/gan_evidence.py cogan  --out runs/evidence-cogan   # pair label agreement, pairs picture
    python tools/gan_evidence.py cogan --model-config '{"shared_upsampling": true}'   # a variant

Each trains the family's default recipe for its default steps (or --steps) with one thread,
exactly as `fastgan train NAME --data DATA --threads 1` does (seeded the same way), writes the
run's usual files to OUT, then the family's own evidence, and prints a JSON summary (also
OUT/evidence.json). The rows reported are the best-FID checkpoint's (best.pt).
"""
import argparse
import json
import os
import sys
import time

DATA = {"sagan": "digits", "biggan": "digits", "cogan": "digits-inverted"}
TRUNCATIONS = (None, 2.0, 1.0, 0.5, 0.25)


def _train(name, out, seed, steps, config=None):
    import torch

    from fastgan.training import train

    torch.set_num_threads(1)
    if os.path.exists(os.path.join(out, "metrics.jsonl")):
        raise SystemExit(f"{out} already holds a run; pick another --out")
    trainer, result = train(name, DATA[name], seed=seed, steps=steps, out_dir=out, progress=False,
                            model_config=config)
    return trainer, result


def _best_networks(trainer, out):
    """The model of best.pt with its sampling networks (the EMA copies where there are), in eval mode."""
    from fastgan.training import load_model

    model, _ = load_model(os.path.join(out, "best.pt"))
    return model.eval()


def sagan(out, seed=0, steps=None, config=None):
    """Train sagan on digits; write OUT/attention.png from best.pt; returns the summary."""
    from fastgan.models.sagan import save_attention_picture

    trainer, result = _train("sagan", out, seed, steps, config)
    model = _best_networks(trainer, out)
    save_attention_picture(model.generator, os.path.join(out, "attention.png"), n=6, seed=seed)
    return {"best": result["best"], "final": result["final"], "real": result["real_vs_heldout"],
            "attention_picture": os.path.join(out, "attention.png")}


def biggan(out, seed=0, steps=None, config=None):
    """Train biggan on digits; the truncation table (psi -> FID, precision, recall, label accuracy) of best.pt."""
    import torch

    from fastgan.models.biggan import sample_truncated
    from fastgan.training.pictures import save_image_grid

    trainer, result = _train("biggan", out, seed, steps, config)
    model = _best_networks(trainer, out)
    evaluator = trainer.evaluator
    n = evaluator.num_samples
    labels = torch.arange(n) % model.num_classes
    table = []
    with torch.no_grad():
        for psi in TRUNCATIONS:
            x = sample_truncated(model, n, psi, generator=torch.Generator().manual_seed(1234), labels=labels)
            scores = evaluator.score(x.float().cpu(), labels)
            table.append({"psi": psi, **{k: scores[k] for k in ("fid", "precision", "recall", "coverage",
                                                                "label_accuracy")}})
            if psi in (None, 0.5):
                save_image_grid(x[:100], os.path.join(out, f"samples_psi_{psi}.png"), nrow=10)
    best_step = result["best"]["step"] if result["best"] else None
    best = next((r for r in trainer.history if r["step"] == best_step), result["final"])
    return {"best": best, "final": result["final"], "real": result["real_vs_heldout"], "truncation": table}


def cogan(out, seed=0, steps=None, config=None):
    """Train cogan on digits-inverted; pair label agreement of best.pt and a picture of pairs."""
    import torch

    from fastgan.models.cogan import pair_metrics, sample_pairs
    from fastgan.training.pictures import save_image_grid

    trainer, result = _train("cogan", out, seed, steps, config)
    model = _best_networks(trainer, out)
    with torch.no_grad():
        metrics = {**pair_metrics(model.networks, trainer.data), **_inverse_pair_checks(model.networks, trainer.data)}
        a, b = sample_pairs(model.networks, 32, torch.Generator().manual_seed(seed))
    # Rows of 8 A images, each above the 8 B images of the same latents.
    grid = torch.cat([torch.cat([a[i * 8:(i + 1) * 8], b[i * 8:(i + 1) * 8]]) for i in range(4)])
    save_image_grid(grid, os.path.join(out, "pairs.png"), nrow=8)
    return {"best_checkpoint": metrics, "best": result["best"], "final": result["final"],
            "pairs_picture": os.path.join(out, "pairs.png")}


def _inverse_pair_checks(networks, data, n=1000, seed=99):
    """Checks that need B = -A (digits-inverted), on pair_metrics' pairs (same n and seed).

    "pixel_agreement": the paper's measure, the fraction of pixels on the same side of 0 in a
    and -b. "inverse_label_agreement": how often domain A's classifier on a and domain B's on
    -a (the exact inverse) give one label: the ceiling of pair_label_agreement set by the two
    classifiers alone (they disagree on ambiguous digits), whatever the generators do.
    """
    import torch

    from fastgan.data.domain_classifier import domain_classifier, predict
    from fastgan.models.cogan import sample_pairs

    a, b = sample_pairs(networks, n, torch.Generator().manual_seed(seed))
    classify_a, classify_b = domain_classifier(data, "a"), domain_classifier(data, "b")
    return {"pixel_agreement": float(((a > 0) == (-b > 0)).float().mean()),
            "inverse_label_agreement": float((predict(classify_a, a) == predict(classify_b, -a)).float().mean())}


RUNS = {"sagan": sagan, "biggan": biggan, "cogan": cogan}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("family", choices=sorted(RUNS))
    parser.add_argument("--out", default=None, help="output folder (default runs/evidence-FAMILY-sSEED)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=None, help="iterations (default: the recipe's)")
    parser.add_argument("--model-config", type=json.loads, default=None,
                        help="JSON object of recipe fields and architecture options (default: the recipe's)")
    args = parser.parse_args(argv)
    out = args.out or os.path.join("runs", f"evidence-{args.family}-s{args.seed}")
    start = time.perf_counter()
    summary = RUNS[args.family](out, seed=args.seed, steps=args.steps, config=args.model_config)
    summary["wall_s"] = round(time.perf_counter() - start)  # training, evaluations and the evidence
    with open(os.path.join(out, "evidence.json"), "w") as f:
        json.dump(summary, f, indent=2)
    json.dump(summary, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
