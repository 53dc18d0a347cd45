"""The ``chainrule`` command's parser and dispatch: each command lives in its own module
(train; check and explain; plot and graph; demo) and registers itself here."""

from __future__ import annotations

import argparse
import sys

from chainrule.cli import demo, inspect, pictures, playground, train
from chainrule.distributed import abort_job, launched
from chainrule.errors import ChainruleError


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error said in one line (and exit status 2), like every other."""

    def error(self, message: str):
        """Print ``PROG: error: MESSAGE; see `PROG --help`.`` and exit with status 2; under an MPI
        launcher every rank of the job ends with it (the others would wait for this one)."""
        text = f"{self.prog}: error: {message}; see `{self.prog} --help`.\n"
        if launched():
            sys.stderr.write(text)
            try:
                abort_job(2)
            except ChainruleError:  # no mpi4py: the launcher's other ranks fail the same way
                raise SystemExit(2) from None
        self.exit(2, text)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: ``chainrule [--debug] COMMAND ...``."""
    parser = Parser(
        prog="chainrule", description="Backpropagation you can see, check and run fast."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # --debug is accepted after the command too (without resetting one given before it).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks for errors"
    )
    train.add_parser(commands, common)
    inspect.add_parsers(commands, common)
    pictures.add_parsers(commands, common)
    demo.add_parser(commands, common)
    playground.add_parser(commands, common)
    return parser


def run(argv: list[str] | None = None) -> int:
    """Parse and run one command: exit 0 (1 for a failed check), 2 for bad input with one
    sentence on stderr, 130 when interrupted."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ChainruleError as e:
        if getattr(args, "debug", False):
            raise
        print(f"chainrule: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if getattr(args, "debug", False):
            raise
        print("chainrule: interrupted; nothing half-written was left behind.", file=sys.stderr)
        if launched():  # (the other ranks may be waiting for this one: all end together)
            abort_job(130)
        return 130
