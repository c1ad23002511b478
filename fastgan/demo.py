"""`fastgan demo`: the showcase. Trains a DCGAN on scikit-learn's digits on the CPU, then
prints FID, KID, precision, recall, density and coverage against held-out digits (in the
feature space of a small digits classifier), each beside the real-vs-held-out value for
scale, and writes the sample grid and a plot of the metrics over training.
"""
import os

DEMO_HELP = "train a DCGAN on digits (a few CPU minutes), print its metrics, write samples and curves"


def run_demo(seed=0, steps=None, out_dir="demo-output", progress=True, out=print):
    """Train DCGAN on 16x16 digits for `steps` steps and report.

    Args:
        seed: seeds the model's initialisation and training.
        steps: generator steps (default: the DCGAN recipe's, a few CPU minutes).
        out_dir: folder for samples.png, metrics.png, metrics.jsonl, checkpoints.
        progress: show the progress bar.
        out: where lines go.

    Returns:
        The run's result dict (as in metrics.json).
    """
    from .models import build
    from .training import train
    from .training.report import print_metrics
    from .training.pictures import save_image_grid

    steps = int(steps if steps is not None else build("dcgan", shape=(1, 16, 16)).recipe.steps)
    out(f"fastgan demo: DCGAN on 16x16 digits (scikit-learn), {steps} steps, seed {seed}, CPU")
    out("(the first run also trains the small digits classifier that defines the feature space, ~20 s)")
    if os.path.exists(os.path.join(out_dir, "metrics.jsonl")):
        out(f"replacing the previous demo run in {out_dir}/")
        os.remove(os.path.join(out_dir, "metrics.jsonl"))  # a fresh log per demo run
    trainer, result = train("dcgan", "digits", seed=seed, steps=steps, out_dir=out_dir,
                            eval_every=max(1, steps // 6), progress=progress)
    real_grid = os.path.join(out_dir, "real.png")
    save_image_grid(trainer.data.heldout_x[:64], real_grid)  # to compare the samples with, side by side
    out("")
    print_metrics(result, out=out)
    out("")
    out(f"samples:  {os.path.join(out_dir, 'samples.png')}  (held-out digits for comparison: {real_grid})")
    out(f"curves:   {os.path.join(out_dir, 'metrics.png')}")
    out(f"model:    {os.path.join(out_dir, 'best.pt')}  (fastgan sample {os.path.join(out_dir, 'best.pt')} -n 64)")
    return result
