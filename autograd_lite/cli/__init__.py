"""The ``autograd-lite`` command: a thin shell over the library.

Each subcommand lives in its own module, which provides ``add_arguments(parser)``
and ``run(args) -> int`` and reports bad input by raising
:class:`~autograd_lite.cli.shell.CommandError`; this file only wires them together.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from .. import __version__
from .shell import BROKEN_PIPE, INTERRUPTED, USAGE_ERROR, CommandError, Parser, one_line

# subcommand name -> (module that implements it, one-line help)
SUBCOMMANDS = {
    "demo": ("autograd_lite.cli.demo", "train an MLP on two moons and write the model and plots"),
    "graph": ("autograd_lite.cli.graph", "differentiate an expression and draw its graph"),
    "gpt": ("autograd_lite.cli.gpt", "train microgpt's GPT on the names and sample new ones"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per subcommand."""
    parser = Parser(
        prog="autograd-lite",
        description="A scalar autodiff engine for learning backpropagation.",
    )
    parser.add_argument("--version", action="version", version=f"autograd-lite {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run, parser=sub, dash_hint=getattr(module, "DASH_HINT", ""))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Ctrl-C ends any command with one line on stderr and status 130; the commands
    leave no half-written file (see :mod:`autograd_lite.support.files`) and no empty
    folder they made (see :mod:`.output`).
    """
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("autograd-lite: interrupted", file=sys.stderr)
        return INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    args, unknown = build_parser().parse_known_args(argv)
    if unknown:  # reported by the subcommand's parser, so the message names it
        message = f"unrecognized arguments: {' '.join(unknown)}"
        if args.dash_hint and any(_looks_like_a_short_option(item) for item in unknown):
            message += f"; {args.dash_hint}"
        args.parser.error(message)
    try:
        return int(args.run(args))
    except CommandError as e:
        print(f"{args.parser.prog}: error: {one_line(str(e))}", file=sys.stderr)
        return USAGE_ERROR
    except BrokenPipeError:  # the reader left early (``autograd-lite gpt | head``)
        # Python would report the pipe again when it flushes stdout at exit: point
        # stdout at nothing instead (as the Python docs advise for SIGPIPE).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return BROKEN_PIPE


def _looks_like_a_short_option(item: str) -> bool:
    """``-x``, ``-x*2``: text argparse took for an option but that was likely meant as
    an expression or a value (``--name`` is more likely a mistyped option)."""
    return item.startswith("-") and not item.startswith("--")


if __name__ == "__main__":
    sys.exit(main())
