"""The `fastgan` command line.

    fastgan info      what fastgan was built with and what it can use here
    fastgan demo      a short tour on generated data, with timings
    fastgan prdc      precision, recall, density and coverage of two feature files

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
    demo = commands.add_parser("demo", help="a short tour on generated features, with timings")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--size", type=int, default=4000, help="samples per set (default 4000)")
    demo.add_argument("--dims", type=int, default=512, help="features per sample (default 512)")
    demo.set_defaults(run=_run_demo)

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

    run_demo(seed=args.seed, size=args.size, dims=args.dims)
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
