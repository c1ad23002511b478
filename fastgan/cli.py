"""The `fastgan` command line.

    fastgan info      what fastgan was built with and what it can use here
    fastgan demo      the showcase: trains a model on digits, prints its metrics beside real-vs-real
    fastgan prdc      precision, recall, density and coverage of two feature files
    fastgan eval      FID, KID, IS and PRDC between two image folders (or feature/stat files)
    fastgan fid       FID of two folders or .npz statistics, with pytorch-fid's options
    fastgan stats     the Inception statistics (mu, sigma) of an image folder, as .npz
    fastgan train     train a model family on ring8, grid25, digits or an image folder
    fastgan sample    a PNG grid (or scatter plot) of samples from a checkpoint
    fastgan plot      the metric curves of one or more training runs in one figure
    fastgan timeline  a run's samples over training in one picture

Errors print one readable line (and what to do) on stderr and exit with a
non-zero status, never a traceback.
"""
import argparse
import platform
import sys

from .demo import DEMO_HELP

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
        help=DEMO_HELP,
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--steps", type=int, default=None, help="training iterations (default: the demo model's recipe)")
    demo.add_argument("--out", default="demo-output", help="output folder (default demo-output)")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(run=_run_demo)

    train = commands.add_parser(
        "train",
        add_help=False,
        help="train a model family on data; writes config, checkpoints, samples, metrics",
        description="fastgan train MODEL --data DATA [options]: see `fastgan train --help`",
    )
    train.add_argument("-h", "--help", action="store_true", help="list the families and the common options")
    train.add_argument("model", nargs="?", help="model family (see fastgan.models.available())")
    train.add_argument("options", nargs=argparse.REMAINDER, help="the family's options (fastgan train MODEL --help)")
    train.set_defaults(run=_run_train)

    sample = commands.add_parser("sample", help="write a PNG of samples from a checkpoint")
    sample.add_argument("checkpoint", help="a .pt file written by fastgan train")
    sample.add_argument("-n", type=int, default=64, help="number of samples (default 64)")
    sample.add_argument("--out", default="samples.png", help="output PNG (default samples.png)")
    sample.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")
    sample.add_argument("--label", type=int, default=None, help="conditional models: only this label")
    sample.add_argument("--no-ema", action="store_true", help="use the raw generator, not its EMA")
    sample.add_argument("--truncation", type=float, default=None, metavar="PSI",
                        help="truncation trick, for families whose sampling declares it (biggan)")
    sample.add_argument("--picture", default=None, metavar="NAME",
                        help="a family's own picture instead of a grid (e.g. stylegan: style-mixing)")
    sample.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    sample.set_defaults(run=_run_sample)

    translate = commands.add_parser("translate", help="translate images with an image-to-image checkpoint",
                                    description="Write OUT/<name>.png for every image under INPUT (or OUT.png for "
                                    "one file), translated by the checkpoint's family.")
    translate.add_argument("checkpoint", help="a .pt file of an image-to-image family (e.g. pix2pix, cyclegan)")
    translate.add_argument("input", help="an image file or a folder of images")
    translate.add_argument("out", help="output folder (or a .png path for one input image)")
    translate.add_argument("--reverse", action="store_true", help="the other direction (two-way families: B -> A)")
    translate.add_argument("--seed", type=int, default=0, help="noise seed of stochastic translators (default 0)")
    translate.add_argument("--no-ema", action="store_true", help="use the raw weights, not their EMA")
    translate.add_argument("--force", action="store_true", help="overwrite existing output files")
    translate.set_defaults(run=_run_translate)

    plot = commands.add_parser(
        "plot", help="the metric curves of training runs in one figure (seeds side by side)",
        description="One panel per metric, a line per run, the real-vs-held-out reference dashed. "
        "Example: fastgan plot runs/dcgan-digits-s0 runs/dcgan-digits-s1 --out dcgan.png")
    plot.add_argument("runs", nargs="+", metavar="RUN_DIR", help="folders written by fastgan train (--out)")
    plot.add_argument("--out", required=True, metavar="FILE", help="output figure (.png, .pdf, .svg)")
    plot.add_argument("--metrics", default=None, help="comma-separated metric names (default: every curve metric)")
    plot.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    plot.set_defaults(run=_run_plot)

    tl = commands.add_parser(
        "timeline", help="a run's samples over training in one picture (the same latents, row by row)",
        description="The first row of the sample grid at each evaluation (or --steps), top to bottom, labelled "
        "with the step and any logged values. Example: fastgan timeline runs/progan-shapes-s0 "
        "--label resolution,alpha --out growth.png")
    tl.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by fastgan train (--out)")
    tl.add_argument("--out", required=True, metavar="FILE", help="output PNG")
    tl.add_argument("--steps", default=None, help="comma-separated evaluation steps (default: all, at most --max-rows)")
    tl.add_argument("--label", default="", help="comma-separated logged values to print beside each step")
    tl.add_argument("--max-rows", type=int, default=12, help="rows when --steps is not given (default 12)")
    tl.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    tl.set_defaults(run=_run_timeline)

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
    add_eval_commands(commands)
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
    except (ValueError, TypeError, FileNotFoundError, FileExistsError, RuntimeError) as exc:
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

    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}")
    run_demo(seed=args.seed, steps=args.steps, out_dir=args.out, progress=not args.quiet)
    return EXIT_OK


def _run_train(args):
    from .training.command import run_train

    return run_train(args.model, args.options, show_help=args.help)


def _run_sample(args):
    import torch

    from .training import load_model
    from .training.pictures import refuse_overwrite, save_samples

    if args.n < 1:
        raise ValueError(f"-n must be >= 1, got {args.n}")
    model, config = load_model(args.checkpoint, use_ema=not args.no_ema)
    labels = None
    if args.label is not None:
        if not model.num_classes:
            raise ValueError(f"--label needs a conditional model; {model.name} is not")
        if not 0 <= args.label < model.num_classes:
            raise ValueError(f"--label must lie in [0, {model.num_classes - 1}], got {args.label}")
        labels = torch.full((args.n,), args.label)
    gen = torch.Generator().manual_seed(args.seed)
    options = {"truncation": args.truncation} if args.truncation is not None else {}
    if args.picture is not None:
        return _write_picture(model, args, gen, options)
    with torch.no_grad():
        samples = model.sample(args.n, generator=gen, labels=labels, **options)
    refuse_overwrite(args.out, args.force)
    save_samples(samples, args.out, num_classes=model.num_classes if args.label is None else 0)
    print(f"wrote {args.out} ({args.n} samples of {config['model']['name']})")
    return EXIT_OK


def _run_plot(args):
    from .training.plotting import plot_folders

    keys = [k.strip() for k in args.metrics.split(",") if k.strip()] if args.metrics else None
    runs = plot_folders(args.runs, args.out, keys=keys, force=args.force)
    print(f"wrote {args.out} ({len(runs)} run{'s' if len(runs) > 1 else ''}: {', '.join(r.label for r in runs)})")
    return EXIT_OK


def _run_timeline(args):
    from .training.timeline import save_timeline

    steps = [int(s) for s in args.steps.split(",") if s.strip()] if args.steps else None
    if args.max_rows < 2:
        raise ValueError(f"--max-rows must be >= 2, got {args.max_rows}")
    keys = tuple(k.strip() for k in args.label.split(",") if k.strip())
    shown = save_timeline(args.run_dir, args.out, steps=steps, label_keys=keys, max_rows=args.max_rows, force=args.force)
    print(f"wrote {args.out} (steps {', '.join(map(str, shown))})")
    return EXIT_OK


def _run_translate(args):
    from .training.translate import run_translate

    written = run_translate(args.checkpoint, args.input, args.out, reverse=args.reverse, seed=args.seed,
                            use_ema=not args.no_ema, force=args.force)
    print(f"wrote {len(written)} image(s) to {args.out}")
    return EXIT_OK


def _write_picture(model, args, gen, options):
    """`fastgan sample --picture NAME`: the family's declared picture (Family.pictures)."""
    import torch

    from .training.pictures import refuse_overwrite, save_image_grid

    pictures = model.family.pictures
    if args.picture not in pictures:
        raise ValueError(f"--picture: {model.name} draws {', '.join(sorted(pictures)) or 'no pictures'}, "
                         f"not {args.picture!r}")
    with torch.no_grad():
        images, nrow = pictures[args.picture](model.networks, gen, **options)
    refuse_overwrite(args.out, args.force)
    save_image_grid(images, args.out, nrow=nrow)
    print(f"wrote {args.out} ({args.picture} picture of {model.name})")
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


# --- eval, fid, stats: image folders through the FID Inception ------------------------------

_WEIGHTS_HELP = ("Inception weights file (default: pytorch-fid's pt_inception-2015-12-05-6726825d.pth, "
                 "downloaded once into the torch hub cache, or found in $FASTGAN_WEIGHTS_DIR)")
_DEVICE_HELP = "cpu or cuda[:N] (default: cuda when available)"


def _add_inception_options(parser):
    """--batch-size, --device and --weights: how `eval` and `stats` run the FID Inception."""
    parser.add_argument("--batch-size", type=int, default=50, help="images per network pass (default 50)")
    parser.add_argument("--device", default=None, help=_DEVICE_HELP)
    parser.add_argument("--weights", metavar="FILE", default=None, help=_WEIGHTS_HELP)


def add_eval_commands(commands):
    """The `eval`, `fid` and `stats` subcommands (one block, so other commands merge cleanly)."""
    from .evaluation.cli_options import add_metric_arguments

    ev = commands.add_parser(
        "eval",
        help="FID, KID, IS and PRDC between two image folders (or .npy features / .npz statistics)",
        description="Compare a generated set FAKE with a real set REAL. Each may be a folder of images "
        "(png, jpg, webp, bmp, or uint8 .npy/.npz image arrays), a .npy of features [N, D], or a .npz with "
        "mu and sigma (FID only). Features come from the FID Inception-v3, once per set, and the real set's "
        "features are cached (~/.cache/fastgan, or $FASTGAN_CACHE_DIR) so the next run on the same folder "
        "skips them. Keys follow torch-fidelity. Example: fastgan eval data/real samples/ --metrics fid,kid "
        "--json scores.json",
    )
    ev.add_argument("real", help="real images: folder, .npy features or .npz statistics")
    ev.add_argument("fake", help="generated images: folder or .npy features (IS is computed on this set)")
    ev.add_argument("--metrics", default="fid,kid,is,prdc",
                    help="comma-separated names of the metric registry (default fid,kid,is,prdc): "
                         "fid, kid, is, prdc, sfid, fd_dinov2, cmmd, vendi, fid_inf, authpct, lpips, ppl")
    ev.add_argument("--json", metavar="OUT", help="also write the results to this JSON file")
    _add_inception_options(ev)
    ev.add_argument("--skip-bad", action="store_true", help="skip unreadable image files (default: stop with an error)")
    ev.add_argument("--no-cache", action="store_true", help="do not read or write the feature cache")
    ev.add_argument("--cache-dir", default=None, help="feature cache folder (default $FASTGAN_CACHE_DIR or ~/.cache/fastgan)")
    ev.add_argument("--num-workers", type=int, default=0, help="image-reading worker processes (default 0)")
    ev.add_argument("--quiet", action="store_true", help="no progress bars")
    add_metric_arguments(ev)
    ev.set_defaults(run=_run_eval)

    fid = commands.add_parser(
        "fid",
        help="FID of two image folders or .npz statistics (pytorch-fid's command line)",
        description="The Frechet Inception Distance between PATH1 and PATH2, each a folder of images or a .npz "
        "of statistics, with the options and numbers of `python -m pytorch_fid`. With --save-stats, "
        "PATH1 is a folder and its statistics are written to PATH2 (.npz). "
        "Example: fastgan fid data/real samples/ --batch-size 100",
    )
    fid.add_argument("path", nargs=2, help="two folders / .npz files (with --save-stats: folder and output .npz)")
    fid.add_argument("--batch-size", type=int, default=50, help="batch size (default 50)")
    fid.add_argument("--num-workers", type=int, default=None, help="data-loading processes (default min(8, cores))")
    fid.add_argument("--device", default=None, help=_DEVICE_HELP)
    fid.add_argument("--dims", type=int, default=2048, choices=(64, 192, 768, 2048),
                     help="Inception features to use (default 2048, pool3)")
    fid.add_argument("--save-stats", action="store_true", help="write the statistics of PATH1 to PATH2 instead")
    fid.add_argument("--weights", metavar="FILE", default=None, help=_WEIGHTS_HELP)
    fid.set_defaults(run=_run_fid)

    stats = commands.add_parser(
        "stats",
        help="Inception statistics (mu, sigma) of an image folder, as an .npz pytorch-fid reads",
        description="Extract the FID Inception pool3 features of every image under DIR and write their mean "
        "and covariance (float64, N-1) to OUT.npz, with the sample count, so `fastgan fid`, `fastgan eval` "
        "and pytorch-fid can use them. Example: fastgan stats data/real real_stats.npz",
    )
    stats.add_argument("dir", help="image folder")
    stats.add_argument("out", help="output .npz")
    _add_inception_options(stats)
    stats.add_argument("--features", metavar="OUT.npy", default=None, help="also save the raw features [N, 2048]")
    stats.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    stats.add_argument("--quiet", action="store_true", help="no progress bar")
    stats.set_defaults(run=_run_stats)


def _inception(weights, device):
    """The extractor for eval/stats: the published network, or FIDInceptionV3 with a given file."""
    if weights is None:
        return "inception"
    import torch

    from .networks import FIDInceptionV3

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    return FIDInceptionV3(weights=weights).to(device)


def _run_eval(args):
    from .distributed import process_group_from_env

    with process_group_from_env() as (rank, _):  # under torchrun: every process reads its shard of each input
        scores = _evaluate_from_args(args)
    if rank != 0:  # every process holds the same numbers; one prints and writes them
        return EXIT_OK
    width = max(len(k) for k in scores)
    for key, value in scores.items():
        print(f"{key:<{width}}  {value:.6f}" if isinstance(value, float) else f"{key:<{width}}  {value}")
    if args.json:
        write_json(args.json, scores)
    return EXIT_OK


def _evaluate_from_args(args):
    """fastgan.evaluate with the `fastgan eval` options."""
    from .evaluation import evaluate
    from .evaluation.cli_options import metric_options_from_args

    return evaluate(
        args.real, args.fake, metrics=args.metrics, feature_extractor=_inception(args.weights, args.device),
        batch_size=args.batch_size, device=args.device, cache=not args.no_cache, cache_dir=args.cache_dir,
        verbose=not args.quiet, on_error="skip" if args.skip_bad else "raise", num_workers=args.num_workers,
        **metric_options_from_args(args),
    )


def _run_fid(args):
    from .compat import pytorch_fid

    model = None
    if args.weights is not None:
        model = pytorch_fid.InceptionV3([pytorch_fid.InceptionV3.BLOCK_INDEX_BY_DIM[args.dims]], weights=args.weights)
    workers = args.num_workers if args.num_workers is not None else 0
    if args.save_stats:
        pytorch_fid.save_fid_stats(args.path, args.batch_size, args.device, args.dims, workers, model=model)
        print(f"wrote {args.path[1]}")
        return EXIT_OK
    value = pytorch_fid.calculate_fid_given_paths(args.path, args.batch_size, args.device, args.dims, workers,
                                                  model=model)
    print(f"FID:  {value}")
    return EXIT_OK


def _run_stats(args):
    import os

    import numpy as np

    from .evaluation import Extractor, load_features
    from .metrics.stats import FeatureStats

    out = args.out if args.out.endswith(".npz") else args.out + ".npz"
    if os.path.exists(out) and not args.force:
        raise ValueError(f"{out} exists; pass --force to overwrite it")
    if not os.path.isdir(args.dir):
        raise FileNotFoundError(f"{args.dir} is not a folder of images")
    extractor = Extractor(_inception(args.weights, args.device), device=args.device)
    features = load_features(args.dir, "images", extractor, batch_size=args.batch_size, verbose=not args.quiet).features
    if features.shape[0] < 2:
        raise ValueError(f"{args.dir} holds {features.shape[0]} image(s); statistics need at least 2")
    FeatureStats().update(features).save(out)
    print(f"wrote {out} ({features.shape[0]} images, {features.shape[1]} features)")
    if args.features:
        np.save(args.features, features.numpy())
        print(f"wrote {args.features}")
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
