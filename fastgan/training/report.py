"""Printing a run's result: its final metrics beside the real-vs-held-out values."""

REPORT_KEYS = ("fid", "kid", "precision", "recall", "density", "coverage", "modes_covered", "high_quality",
               "label_accuracy", "heldout_nelbo", "recon_l2", "train_nn_l2")


def print_metrics(result, out=print):
    """Print `result` (Trainer.fit's dict) as a table: metric, model, real vs held-out."""
    final, base = result["final"], result["real_vs_heldout"]
    out(f"{result['model']} on {result['data']}: {result['steps']} steps in {result['seconds']} s")
    out(f"{'metric':<15}{'model':>10}{'real vs held-out':>18}")
    for key in REPORT_KEYS:
        if key in final:
            ref = base.get(key)
            out(f"{key:<15}{final[key]:>10.4g}{(f'{ref:.4g}' if ref is not None else '-'):>18}")
    if result.get("best"):
        out(f"best FID {result['best']['fid']:.4g} at step {result['best']['step']} (best.pt)")
