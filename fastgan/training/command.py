"""`fastgan train MODEL ...`: the options come from the family's declaration.

The common options (data, steps, seed, output, device, ...) are the same for every
family; after them `fastgan train MODEL --help` lists the family's recipe fields (with
their help text and defaults) and its architecture options. Values are JSON where they
parse as JSON (numbers, true/false, null, {"lr": 1e-4}) and strings otherwise; dict
fields such as optimisers are merged into the recipe's, so `--g-optimizer '{"lr": 1e-4}'`
keeps the betas. Unknown options are refused with the list of valid ones.
"""
import argparse
import json
import os

COMMON = "common options"


def run_train(model, options, show_help=False, out=print):
    """Run `fastgan train MODEL OPTIONS...`; returns the exit status.

    Args:
        model: the family name (None: print the list of families).
        options: the remaining command-line words.
        show_help: `fastgan train --help` without a family.
        out: where lines go.
    """
    from ..models import available, family

    if model is None or show_help or model in ("-h", "--help"):
        out(_overview(available(), family))
        return 0
    fam = family(model)
    parser = family_parser(fam)
    if any(word in ("-h", "--help") for word in options):
        out(parser.format_help())
        return 0
    args, unknown = parser.parse_known_args(options)
    if unknown:
        valid = sorted(a for action in parser._actions for a in action.option_strings if a.startswith("--"))
        raise ValueError(f"{model}: unknown option(s) {' '.join(unknown)}; valid options: {', '.join(valid)}")
    return _train(fam, args, out)


def family_parser(fam):
    """The argparse parser of `fastgan train NAME`: common options, recipe fields, architecture options."""
    from ..models import arch_options

    parser = argparse.ArgumentParser(
        prog=f"fastgan train {fam.name}", add_help=False, allow_abbrev=False,
        description=f"{fam.name}: {fam.summary}. Consumes {fam.data} data; models {' or '.join(fam.samples)}. "
                    "OUT gets config.json, last.pt, best.pt (lowest FID), samples/*.png, samples.png, "
                    "metrics.jsonl, metrics.json and metrics.png.")
    common = parser.add_argument_group(COMMON)
    common.add_argument("--data", required=True, help="ring8, grid25, digits, shapes, or a folder of images")
    common.add_argument("--steps", type=int, default=None, help="iterations (default: the recipe's steps)")
    common.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    common.add_argument("--out", default=None, help="output folder (default runs/MODEL-DATA-sSEED)")
    common.add_argument("--size", type=int, default=None,
                        help="image side (default 16 for digits and folders, 32 for shapes)")
    common.add_argument("--channels", type=int, default=None, help="image folders: 1 or 3 (default 3)")
    common.add_argument("--device", default="cpu", help="cpu or cuda[:N] (default cpu)")
    common.add_argument("--lr", type=float, default=None, help="set the learning rate of every optimiser")
    common.add_argument("--eval-every", type=int, default=None, help="iterations between metrics (default steps/10)")
    common.add_argument("--eval-samples", type=int, default=None, help="generated samples per evaluation")
    common.add_argument("--resume", default=None, help="continue from this checkpoint (last.pt)")
    common.add_argument("--threads", type=int, default=None,
                        help="CPU threads (default: torch's; 1 is often fastest for the small models)")
    common.add_argument("--quiet", action="store_true", help="no progress bar")
    common.add_argument("--tensorboard", dest="tensorboard", action="store_const", const=True, default="auto",
                        help="require TensorBoard event files in OUT (default: written when tensorboard is installed)")
    common.add_argument("--no-tensorboard", dest="tensorboard", action="store_const", const=False,
                        help="write no TensorBoard event files")
    recipe = parser.add_argument_group(f"recipe fields of {fam.name} (JSON values; dicts are merged)")
    taken = {a for action in parser._actions for a in action.option_strings}
    defaults = _recipe_defaults(fam)
    for name, (_, text) in fam.recipe.field_help().items():
        if _flag(name) in taken:  # "steps": the common --steps sets the run's length
            continue
        values = {kind: json.dumps(recipe[name]) for kind, recipe in defaults.items()}
        shown = next(iter(values.values())) if len(set(values.values())) == 1 else \
            "; ".join(f"{kind}: {value}" for kind, value in values.items())
        recipe.add_argument(_flag(name), dest=f"recipe.{name}", type=_value, default=argparse.SUPPRESS,
                            metavar="VALUE", help=f"{text} (default {shown})")
    arch = parser.add_argument_group(f"architecture options of {fam.name}")
    for name, default in arch_options(fam).items():
        text = fam.options.get(name, "architecture keyword")
        arch.add_argument(_flag(name), dest=f"arch.{name}", type=_value, default=argparse.SUPPRESS, metavar="VALUE",
                          help=f"{text} (default {json.dumps(default)}{'; null: per data' if default is None else ''})")
    parser.add_argument("-h", "--help", action="help", help="this list")
    return parser


def _recipe_defaults(fam):
    """{"16 px images" / "points": the recipe dict the family builds for that data}."""
    from ..models import DataSpec

    shapes = {"16 px images": (1, 16, 16), "points": (2,)}
    out = {}
    for kind, shape in shapes.items():
        if ("images" if len(shape) == 3 else "points") in fam.samples:
            _, recipe = fam.build(DataSpec(shape, 10 if fam.conditional else 0, 1))
            out[kind] = recipe.to_dict()
    return out


def _flag(name):
    return "--" + name.replace("_", "-")


def _value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def _train(fam, args, out):
    import torch

    from .report import print_metrics
    from .trainer import prepare

    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}")
    if args.threads is not None:
        if args.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    overrides = {key.split(".", 1)[1]: value for key, value in vars(args).items()
                 if key.startswith(("recipe.", "arch."))}
    if args.lr is not None:
        for spec in fam.optimizers.values():
            overrides[spec.recipe_field] = {**overrides.get(spec.recipe_field, {}), "lr": args.lr}
    data_config = {"size": args.size} if args.size is not None else {}
    if args.channels is not None:
        data_config["channels"] = args.channels
    data_label = os.path.basename(os.path.normpath(args.data))
    out_dir = args.out or os.path.join("runs", f"{fam.name}-{data_label}-s{args.seed}")
    if os.path.exists(os.path.join(out_dir, "metrics.jsonl")) and not args.resume:
        raise ValueError(f"{out_dir} already holds a run; pick another --out or --resume "
                         f"{os.path.join(out_dir, 'last.pt')}")
    trainer = prepare(fam.name, args.data, seed=args.seed, model_config=overrides, data_config=data_config,
                      out_dir=out_dir, steps=args.steps, device=args.device, eval_every=args.eval_every,
                      eval_samples=args.eval_samples, progress=not args.quiet, tensorboard=args.tensorboard)
    if args.resume:
        trainer.resume(args.resume)
    result = trainer.fit()
    print_metrics(result, out=out)
    out(f"wrote {out_dir}/ (config.json, last.pt, best.pt, samples.png, metrics.jsonl, metrics.json, metrics.png)")
    out(_tensorboard_line(trainer, out_dir, args.tensorboard))
    return 0


def _tensorboard_line(trainer, out_dir, asked):
    from .tensorboard import INSTALL_HINT, TensorBoardLogger

    if any(isinstance(logger, TensorBoardLogger) for logger in trainer.loggers):
        return f"TensorBoard events in {out_dir}/: tensorboard --logdir {os.path.dirname(out_dir) or '.'}"
    if asked is False:
        return "no TensorBoard events (--no-tensorboard)"
    return f"no TensorBoard events: the tensorboard package is not installed ({INSTALL_HINT})"


def _overview(names, family):
    lines = ["usage: fastgan train MODEL --data DATA [options]", "",
             "Train a model family on ring8, grid25, digits or a folder of images. `fastgan train MODEL --help` "
             "lists MODEL's options (common ones, its recipe fields and architecture options).", "",
             "families:"]
    for name in names:
        fam = family(name)
        lines.append(f"  {name:<9} {fam.summary} [{fam.data}; {', '.join(fam.samples)}]")
    lines += ["", "example: fastgan train wgan-gp --data ring8 --steps 2000 --out runs/ring8-wgan-gp"]
    return "\n".join(lines)
