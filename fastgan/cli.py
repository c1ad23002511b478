"""The `fastgan` command line.

    fastgan info      what fastgan was built with and what it can use here
    fastgan demo      the showcase: trains a DCGAN on digits, prints its metrics beside real-vs-real
    fastgan prdc      precision, recall, density and coverage of two feature files
    fastgan train     train a GAN family on ring8, grid25, digits or an image folder
    fastgan sample    a PNG grid (or scatter plot) of samples from a checkpoint

Errors print one readable line (and what to do) on stderr and exit with a
non-zero status, never a traceback.
"""
import argparse
import platform
import sys

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_ERROR = 1


def build_parser():
    """The argparse parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="fastgan",
        description="Fast, exact GAN evaluation metrics and GAN training for PyTorch.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    info = commands.add_parser("info", help="print versions, compiled kernels, devices and threads")
    info.set_defaults(run=_run_info)
    demo = commands.add_parser(
        "demo",
        help="train a DCGAN on digits (a few CPU minutes), print its metrics, write samples and curves",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--steps", type=int, default=1500, help="generator steps (default 1500)")
    demo.add_argument("--out", default="demo-output", help="output folder (default demo-output)")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(run=_run_demo)

    train = commands.add_parser(
        "train",
        help="train a model family on data; writes config, checkpoints, samples, metrics",
        description="Train MODEL (gan, dcgan, cgan, wgan, wgan-gp, lsgan) on DATA (ring8, grid25, digits "
        "or a folder of images). OUT gets config.json, last.pt, best.pt (lowest FID), samples/*.png, "
        "samples.png, metrics.jsonl, metrics.json and metrics.png. "
        "Example: fastgan train wgan-gp --data ring8 --steps 2000 --out runs/ring8-wgan-gp",
    )
    train.add_argument("model", help="model family (see fastgan.models.available())")
    train.add_argument("--data", required=True, help="ring8, grid25, digits, or a folder of images")
    train.add_argument("--steps", type=int, default=None, help="generator steps (default: the model's recipe)")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--out", default=None, help="output folder (default runs/MODEL-DATA-sSEED)")
    train.add_argument("--size", type=int, default=16, help="image side for digits/folders (default 16)")
    train.add_argument("--channels", type=int, default=None, help="image folders: 1 or 3 (default 3)")
    train.add_argument("--device", default="cpu", help="cpu or cuda[:N] (default cpu)")
    train.add_argument("--batch-size", type=int, default=None, help="override the recipe's batch size")
    train.add_argument("--lr", type=float, default=None, help="override both learning rates")
    train.add_argument("--eval-every", type=int, default=None, help="steps between metrics (default steps/10)")
    train.add_argument("--resume", default=None, help="continue from this checkpoint (last.pt)")
    train.add_argument("--threads", type=int, default=None,
                       help="CPU threads (default: torch's; 1 is often fastest for the small 2-D models)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=_run_train)

    sample = commands.add_parser("sample", help="write a PNG of samples from a checkpoint")
    sample.add_argument("checkpoint", help="a .pt file written by fastgan train")
    sample.add_argument("-n", type=int, default=64, help="number of samples (default 64)")
    sample.add_argument("--out", default="samples.png", help="output PNG (default samples.png)")
    sample.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")
    sample.add_argument("--label", type=int, default=None, help="conditional models: only this label")
    sample.add_argument("--no-ema", action="store_true", help="use the raw generator, not its EMA")
    sample.set_defaults(run=_run_sample)

    prdc = commands.add_parser(
        "prdc",
        help="precision/recall/density/coverage of two feature files (.npy/.npz)",
        description="Improved precision/recall and density/coverage between REAL and FAKE feature sets, "
        "with the numbers of the prdc package. Files are [N, D] arrays in .npy (memory-mapped, so larger "
        "than memory works) or .npz. Example: fastgan prdc real.npy fake.npy -k 5 --json prdc.json",
    )
    prdc.add_argument("real", help="real features, .npy or .npz")
    prdc.add_argument("fake", help="generated features, .npy or .npz")
    prdc.add_argument("-k", "--nearest-k", type=int, default=5, help="k of the k-NN radii (default 5)")
    prdc.add_argument("--device", default=None, help="cpu or cuda[:N] (default: cpu)")
    prdc.add_argument("--inclusive", action="store_true", help="count distance == radius as inside")
    prdc.add_argument("--json", metavar="OUT", help="also write the results to this JSON file")
    prdc.add_argument("--quiet", action="store_true", help="no progress bar")
    prdc.set_defaults(run=_run_prdc)
    return parser


def main(argv=None):
    """Entry point of the `fastgan` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args) or EXIT_OK
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as exc:
        print(f"fastgan {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"fastgan {args.command}: interrupted", file=sys.stderr)
        return 130


def info_lines():
    """The lines `fastgan info` prints, as (label, value) pairs."""
    import torch

    import fastgan
    from fastgan import _ext

    build = _ext.build_info()
    devices = ["cpu"] + [f"cuda:{i} ({torch.cuda.get_device_name(i)})" for i in range(torch.cuda.device_count())]
    return [
        ("fastgan", fastgan.__version__),
        ("python", platform.python_version()),
        ("torch", torch.__version__),
        ("torch CUDA", torch.version.cuda or "none (CPU build)"),
        ("compiler", build.get("compiler", "n/a")),
        ("OpenMP", build.get("openmp", "n/a")),
        ("CPU kernels", "compiled" if _ext.available() else f"missing: {_ext.load_error()}"),
        (
            "CUDA kernels",
            f"compiled (nvcc {build.get('cuda', '?')})" if _ext.compiled_with_cuda() else "not compiled",
        ),
        ("devices", ", ".join(devices)),
        ("threads", str(torch.get_num_threads())),
    ]


def _run_info(args):
    lines = info_lines()
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        print(f"{label:<{width}}  {value}")
    return EXIT_OK


def _run_demo(args):
    from .demo import run_demo

    run_demo(seed=args.seed, steps=args.steps, out_dir=args.out, progress=not args.quiet)
    return EXIT_OK


def _run_train(args):
    import os

    from .data import load_data
    from .models import available, build
    from .training import Trainer

    if args.model not in available():
        raise ValueError(f"unknown model {args.model!r}; choose one of {available()}")
    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}")
    import torch

    if args.threads is not None:
        if args.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    data_kw = {"size": args.size}
    if args.channels is not None:
        data_kw["channels"] = args.channels
    source = load_data(args.data, **data_kw)
    overrides = {}
    if args.batch_size is not None:
        overrides["batch_size"] = args.batch_size
    if args.lr is not None:
        overrides["g_optimizer"] = {"lr": args.lr}
        overrides["d_optimizer"] = {"lr": args.lr}
    torch.manual_seed(args.seed)
    model = build(args.model, shape=source.shape,
                  num_classes=source.num_classes if args.model == "cgan" else 0, **overrides)
    data_label = os.path.basename(os.path.normpath(args.data))
    out = args.out or os.path.join("runs", f"{args.model}-{data_label}-s{args.seed}")
    if os.path.exists(os.path.join(out, "metrics.jsonl")) and not args.resume:
        raise ValueError(f"{out} already holds a run; pick another --out or --resume {os.path.join(out, 'last.pt')}")
    trainer = Trainer(model, source, out_dir=out, steps=args.steps, seed=args.seed, device=args.device,
                      eval_every=args.eval_every, progress=not args.quiet)
    if args.resume:
        trainer.resume(args.resume)
    result = trainer.fit()
    print_metrics(result)
    print(f"wrote {out}/ (config.json, last.pt, best.pt, samples.png, metrics.jsonl, metrics.json, metrics.png)")
    return EXIT_OK


def print_metrics(result, out=print):
    """Print a run's final metrics beside the real-vs-held-out values."""
    final, base = result["final"], result["real_vs_heldout"]
    out(f"{result['model']} on {result['data']}: {result['steps']} steps in {result['seconds']} s")
    out(f"{'metric':<15}{'model':>10}{'real vs held-out':>18}")
    for key in ("fid", "kid", "precision", "recall", "density", "coverage", "modes_covered", "high_quality",
                "label_accuracy"):
        if key in final:
            ref = base.get(key)
            out(f"{key:<15}{final[key]:>10.4g}{(f'{ref:.4g}' if ref is not None else '-'):>18}")
    if result.get("best"):
        out(f"best FID {result['best']['fid']:.4g} at step {result['best']['step']} (best.pt)")


def _run_sample(args):
    import torch

    from .training import load_generator
    from .training.pictures import save_image_grid, save_scatter

    if args.n < 1:
        raise ValueError(f"-n must be >= 1, got {args.n}")
    model, config = load_generator(args.checkpoint, use_ema=not args.no_ema)
    labels = None
    if args.label is not None:
        if not model.num_classes:
            raise ValueError("--label needs a conditional model (cgan)")
        if not 0 <= args.label < model.num_classes:
            raise ValueError(f"--label must lie in [0, {model.num_classes - 1}], got {args.label}")
        labels = torch.full((args.n,), args.label)
    gen = torch.Generator().manual_seed(args.seed)
    z, labels = model.sample_latent(args.n, generator=gen, device="cpu", labels=labels)
    with torch.no_grad():
        samples = model.generator(z, labels)
    if len(model.shape) == 1:
        save_scatter(samples, args.out)
    else:
        nrow = model.num_classes if (model.num_classes and args.label is None) else None
        save_image_grid(samples, args.out, nrow=nrow)
    print(f"wrote {args.out} ({args.n} samples of {config['model']['name']})")
    return EXIT_OK


def _run_prdc(args):
    from .metrics.prdc import prdc

    scores = prdc(args.real, args.fake, nearest_k=args.nearest_k, inclusive=args.inclusive,
                  device=args.device, verbose=not args.quiet)
    for key in ("precision", "recall", "density", "coverage"):
        print(f"{key:<10} {scores[key]:.6f}")
    if args.json:
        write_json(args.json, {"nearest_k": args.nearest_k, **scores})
    return EXIT_OK


def write_json(path, payload):
    """Write `payload` as JSON, refusing to overwrite a directory; creates parent folders."""
    import json
    import os

    if os.path.isdir(path):
        raise ValueError(f"--json {path!r} is a directory; give a file name such as {os.path.join(path, 'results.json')}")
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    with open(path, "w") as f:
        json.dump(payload, f, indent=2)
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
