"""`fastgan eval` options from the metric registry: one flag per field of each metric's options.

A field ``subsets`` of the metric ``kid`` is ``--kid-subsets``; values are parsed as the field's
default is typed (numbers, strings, true/false), JSON for dict fields and for fields whose
default is None. Flags left out keep the metric's default; fields marked
``metadata={"cli": False}`` (a network to use, say) are for the Python API only.
"""
import argparse
import dataclasses
import json

from .registry import metric, metric_names

# Older spellings kept working: flag -> the registry flag it stands for.
ALIASES = {"-k": "--prdc-k", "--nearest-k": "--prdc-k"}


def add_metric_arguments(parser):
    """Add every registered metric's option flags to an argparse parser, one group per metric."""
    for name in metric_names():
        m = metric(name)
        fields = [f for f in dataclasses.fields(m.options) if f.metadata.get("cli", True)]
        if not fields:
            continue
        group = parser.add_argument_group(f"{name} options", " ".join((m.options.__doc__ or "").split()) or None)
        for f in fields:
            flag = f"--{name}-{f.name}".replace("_", "-")
            flags = [flag] + [alias for alias, target in ALIASES.items() if target == flag]
            group.add_argument(*flags, dest=f"metric__{name}_{f.name}", type=_parser_of(f.default),
                               default=argparse.SUPPRESS, metavar=f.name.upper(),
                               help=f"(default {f.default!r})")


def metric_options_from_args(args):
    """{"<metric>_<field>": value} of the flags given on the command line."""
    return {key[len("metric__"):]: value for key, value in vars(args).items() if key.startswith("metric__")}


def _parser_of(default):
    if isinstance(default, bool):
        return _boolean
    if isinstance(default, (int, float, str)):
        return type(default)
    return _json_value


def _boolean(text):
    lowered = text.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _json_value(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
