"""``warm-start-tuning``: the command line.

Each subcommand is one module in this package exposing ``NAME``, ``HELP``,
``configure(parser)`` and ``run(args) -> int``; adding one is adding its module name to
SUBCOMMANDS. Modules are imported to build the parser, so they keep heavy imports
(boto3, moto, aws_cdk) inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

SUBCOMMANDS: tuple[str, ...] = (
    "check",
    "run_local",
    "demo",
)

PROG = "warm-start-tuning"


def package_version() -> str:
    """The installed distribution's version (the source tree's pyproject when not installed)."""
    from importlib import metadata

    try:
        return metadata.version("cdk-warm-start-tuning")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="SageMaker warm-start hyperparameter tuning: check rules, run pipelines locally.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"{__package__}.{name}")
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.configure(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2 = usage error, as argparse does)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help (0) and on usage errors (2)
        return exit_.code if isinstance(exit_.code, int) else 2
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
