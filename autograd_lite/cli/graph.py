"""``autograd-lite graph``: differentiate an expression and draw its graph.

    $ autograd-lite graph "tanh(x*w + b)" x=2 w=-3 b=6.88 -o graph.svg

parses the expression safely (see :mod:`autograd_lite.expression`), runs backward,
prints the output and each input's gradient, and writes the computation graph with
every node's data and grad. Any bad input is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import keyword
import math
from pathlib import Path

from ..engine import Value
from .shell import CommandError

# The largest drawing attempted, as viz.graph.layout_size estimates Graphviz's work:
# about a second on a quiet 2-core machine, three when it is busy. Beyond it the time
# grows with the square of the size, and a 1,000-character expression can keep
# Graphviz busy for minutes.
MAX_LAYOUT_SIZE = 5000

# How to pass an expression or value that argparse would take for an option.
DASH_HINT = (
    "an expression or value that starts with '-' goes after '--', with the options "
    "before it: autograd-lite graph -o graph.svg -- -x x=1"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments on ``parser``."""
    parser.add_argument(
        "expression",
        help='e.g. "tanh(x*w + b)"; quote it for the shell (and put -- before one that '
        "starts with a minus sign)",
    )
    parser.add_argument(
        "values",
        nargs="*",
        metavar="NAME=VALUE",
        help="the value of each name in the expression, e.g. x=2 w=-3",
    )
    parser.add_argument(
        "-o",
        "--output",
        default="graph.svg",
        help="the image to write, .svg or .png (default: graph.svg)",
    )
    parser.add_argument(
        "--rankdir",
        choices=("LR", "TB"),
        default="LR",
        help="lay the graph out left to right (LR, default) or top to bottom (TB)",
    )


def parse_assignments(items: list[str]) -> dict[str, float]:
    """``["x=2", "w=-3"]`` as ``{"x": 2.0, "w": -3.0}``.

    Raises:
        CommandError: naming the item that is not ``NAME=NUMBER`` or repeats a name.
    """
    values: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            hint = " (options such as -o go before --)" if item.startswith("-") else ""
            raise CommandError(f"bad value {item!r}: expected NAME=NUMBER, e.g. x=2{hint}")
        if not name.isidentifier() or keyword.iskeyword(name):
            raise CommandError(f"bad value {item!r}: {name!r} is not a valid name")
        if name in values:
            raise CommandError(f"bad value {item!r}: {name} is given twice")
        try:
            values[name] = float(text)
        except ValueError:
            raise CommandError(f"bad value {item!r}: {text!r} is not a number") from None
    return values


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status (0, or 2 for bad input)."""
    from .. import viz
    from ..viz.export import FORMATS
    from .expression import parse_expression

    try:
        output = Path(args.output)
        if output.suffix.lower() not in FORMATS:
            raise CommandError(
                f"cannot write {args.output!r}: the file name must end in .svg or .png"
            )
        inputs = parse_assignments(args.values)
        leaves = {name: Value(x, label=name) for name, x in inputs.items()}
        out = parse_expression(args.expression, leaves)
        _check_drawable(out)
        if not out.label:
            out.label = "out"
        out.backward()
    except (ValueError, ArithmeticError) as e:  # domain errors included
        raise CommandError(str(e)) from None

    print(f"out = {' '.join(args.expression.split())} = {_num(out.data)}")
    for name, leaf in leaves.items():
        print(f"dout/d{name} = {_num(leaf.grad)}")
    try:
        written = viz.render(out, output, rankdir=args.rankdir, max_nodes=2000)
    except (viz.RenderError, ValueError, OSError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise CommandError(f"cannot write {args.output}: {reason}") from None
    print(f"wrote {written}")
    return 0


def _check_drawable(out: Value) -> None:
    """Refuse, before any work, a graph that Graphviz would take too long to draw."""
    from ..viz.graph import layout_size

    size = layout_size(out)
    if size > MAX_LAYOUT_SIZE:
        raise CommandError(
            f"the graph is too tangled to draw in a few seconds (layout size {size:,}, the "
            f"limit is {MAX_LAYOUT_SIZE:,}): a name used at many depths draws edges across "
            "the whole picture; use fewer terms or repeat names less"
        )


def _num(x: float) -> str:
    return repr(x) if math.isnan(x) or math.isinf(x) else f"{x:.10g}"
