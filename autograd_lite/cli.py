"""The ``autograd-lite`` command: a thin shell over the library.

Each subcommand lives in its own module, which provides ``add_arguments(parser)``
and ``run(args) -> int``; this file only wires them together.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# subcommand name -> (module that implements it, one-line help)
SUBCOMMANDS = {
    "demo": ("autograd_lite.demo", "train an MLP on two moons and write the model and plots"),
    "graph": ("autograd_lite.graph_command", "differentiate an expression and draw its graph"),
    "gpt": ("autograd_lite.gpt_command", "train microgpt's GPT on the names and sample new ones"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per subcommand."""
    parser = argparse.ArgumentParser(
        prog="autograd-lite",
        description="A scalar autodiff engine for learning backpropagation.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
