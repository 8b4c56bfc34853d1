"""``autograd-lite gpt``: microgpt's GPT trained on the names, every number a Value.

    $ autograd-lite gpt                  # microgpt's recipe: 1,000 steps of one name

The recipe is microgpt's: the 32,033 names shuffled by ``random.Random(seed)`` (seed 42
by default, as microgpt's ``random.seed(42)``), ``nn.GPT(27)`` with its weights drawn
from the same generator, one name per step, the mean cross-entropy of its next
characters, Adam (lr 0.01 decaying linearly to 0, betas (0.85, 0.99), eps 1e-8); then
20 names sampled at temperature 0.5, from the same generator again. With the defaults
the run is microgpt's run, number for number (up to rounding).

It prints the final loss and the sampled names, and writes the model file
(``model.json``, loadable with ``nn.GPT.load``) and the loss curve (``loss_curve.png``)
into ``--out``. Any bad input is one line on stderr and exit status 2.

The training itself is the library's (:mod:`autograd_lite.training.gpt`): the command
reads its arguments, runs the recipe, prints and writes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..nn.transformer import GPT
from ..support.files import write_atomically
from ..training import data, optim
from ..training.gpt import (
    BETAS,
    DEFAULT_SEED,
    EPS,
    LAST,
    LR,
    STEPS,
    TEMPERATURE,
    CompiledStep,
    linear_decay,
    loss_figure,
    scalar_step,
    train,
)
from .output import output_folder
from .shell import CommandError, whole_number

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SAMPLES = 20
OUTPUTS = ("model.json", "loss_curve.png")
# The compiled step holds every name's values at once: about 1.3 MB a name (peak memory
# 107 MB at batch 32, 229 MB at 128), so 1,024 names take about 1.5 GB.
MAX_BATCH = 1024


def _temperature(text: str) -> float:
    try:
        t = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < t < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return t


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments on ``parser``."""
    parser.add_argument(
        "--steps",
        type=whole_number(1),
        default=STEPS,
        help=f"training steps (default: {STEPS})",
    )
    parser.add_argument(
        "--batch",
        type=whole_number(1, at_most=MAX_BATCH),
        default=1,
        help=f"names per step, at most {MAX_BATCH:,}; their losses are averaged (default: 1)",
    )
    parser.add_argument(
        "--seed",
        type=whole_number(0),
        default=DEFAULT_SEED,
        help=f"seed of the shuffle, the initial weights and the samples (default: {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--temperature",
        type=_temperature,
        default=TEMPERATURE,
        help=f"sampling temperature; lower is more conservative (default: {TEMPERATURE})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("autograd_lite_output") / "gpt",
        help="folder for model.json and loss_curve.png (default: autograd_lite_output/gpt)",
    )
    parser.add_argument(
        "--scalar",
        action="store_true",
        help="build each step's graph of Values instead of replaying compiled tapes "
        "(same gradients to about 1e-12, slower)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    """Train, sample, report and write the files; returns the exit status (0).

    The output folder is made and checked before training, and removed again if the
    run fails or is interrupted before it wrote anything (see :mod:`.output`).

    Raises:
        CommandError: for an output folder it cannot make or write, or a failed training.
    """
    with output_folder(args.out, OUTPUTS):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    out: Path = args.out
    names = data.load_names()
    tokenizer = data.CharTokenizer(names)
    rng = random.Random(args.seed)  # one generator for all, in microgpt's order
    rng.shuffle(names)
    model = GPT(tokenizer.vocab_size, seed=rng)
    optimizer = optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    per_step = "1 name" if args.batch == 1 else f"{args.batch} names"
    engine = "on the scalar graph" if args.scalar else "compiled (one tape per name length)"
    print(
        f"{len(names):,} names, {tokenizer.vocab_size} tokens (a-z and the boundary); "
        f"{model}: {len(model.parameters()):,} parameters"
    )
    print(
        f"{args.steps:,} steps of {per_step} {engine}; Adam, lr {LR:g} decaying "
        f"linearly to 0, betas {BETAS}, eps {EPS:g}"
    )
    started = time.perf_counter()
    try:
        losses = train(
            model,
            [tokenizer.frame(name) for name in names],
            optimizer,
            args.steps,
            batch=args.batch,
            schedule=linear_decay(LR, args.steps),
            step=scalar_step if args.scalar else CompiledStep(),
            progress=not args.no_progress,
        )
    except ValueError as e:  # a step that would make a weight nan or inf
        raise CommandError(f"training failed: {e}") from None
    seconds = time.perf_counter() - started
    last = losses[-LAST:]
    print(
        f"final loss {losses[-1]:.4f}; mean of the last {len(last)} steps "
        f"{statistics.fmean(last):.4f} (trained in {seconds:.1f} s)"
    )

    print(f"{SAMPLES} names sampled at temperature {args.temperature:g}:")
    for i in range(1, SAMPLES + 1):
        name = tokenizer.decode(model.sample(tokenizer.boundary, args.temperature, seed=rng))
        print(f"sample {i:2d}: {name}")

    try:
        print(f"wrote {model.save(out / 'model.json')}")
        figure = loss_figure(losses)
        write_atomically(out / "loss_curve.png", partial(_save_png, figure), binary=True)
        print(f"wrote {out / 'loss_curve.png'}")
    except OSError as e:
        raise CommandError(f"cannot write to {out}: {e.strerror or e}") from None
    return 0


def _save_png(figure: Figure, file: IO[Any]) -> None:
    figure.savefig(file, format="png", dpi=100)
