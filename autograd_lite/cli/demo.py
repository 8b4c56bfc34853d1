"""``autograd-lite demo``: micrograd's classic demo, trained end to end on Values.

An ``MLP(2, [16, 16, 1])`` learns to separate two moons with the max-margin (hinge)
loss plus a small L2 penalty, by full-batch SGD whose learning rate decays from 1.0
to 0.1. It prints the final accuracy and writes the model file, the decision
boundary and the loss curve into an output folder.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from .. import compiler, nn
from ..support.files import write_atomically
from ..training import data, optim, train
from .output import output_folder
from .shell import CommandError, whole_number

OUTPUTS = ("model.json", "decision_boundary.png", "loss_curve.png")
HIDDEN = [16, 16, 1]
L2 = 1e-4
LR_START, LR_END = 1.0, 0.1


_positive_int = whole_number(1)
_seed = whole_number(0)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the demo's options to ``parser``."""
    parser.add_argument(
        "--dataset",
        choices=sorted(data.DATASETS),
        default="moons",
        help="the toy data set to learn (default: moons)",
    )
    parser.add_argument(
        "--samples", type=_positive_int, default=100, help="number of points (default: 100)"
    )
    parser.add_argument(
        "--epochs", type=_positive_int, default=100, help="training epochs (default: 100)"
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=0,
        help="seed of the data and the initial weights (default: 0)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("autograd_lite_output"),
        help="folder for the model file and the images (default: autograd_lite_output)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--scalar",
        action="store_true",
        help="train on the scalar graph of Values, one sample at a time, instead of the "
        "compiled numpy tape (same result, about 50x slower)",
    )


def run(args: argparse.Namespace) -> int:
    """Train, report and write the files; returns the exit status (0).

    The output folder is made and checked before training, and removed again if the
    run fails or is interrupted before it wrote anything (see :mod:`.output`).

    Raises:
        CommandError: if the output folder cannot be made or written, or training fails.
    """
    with output_folder(args.out, OUTPUTS) as out:
        return _run(args, out)


def _run(args: argparse.Namespace, out: Path) -> int:
    X, y = data.DATASETS[args.dataset](n=args.samples, seed=args.seed)
    model = nn.MLP(2, HIDDEN, activation="relu", seed=args.seed)
    optimizer = optim.SGD(model.parameters(), lr=LR_START)
    epochs = args.epochs
    print(
        f"{args.dataset}: {len(y)} points; {model}; hinge loss + {L2:g}·Σw²; "
        f"SGD, lr {LR_START:g} → {LR_END:g} over {epochs} epochs"
    )
    started = time.perf_counter()
    try:
        history = train.fit(
            model,
            X,
            y,
            loss="hinge",
            optimizer=optimizer,
            epochs=epochs,
            lr_schedule=lambda epoch: LR_START - (LR_START - LR_END) * epoch / epochs,
            l2=L2,
            progress=not args.no_progress,
            seed=args.seed,
            compiled=not args.scalar,
        )
    except ValueError as e:  # e.g. a diverging step, stopped by the optimizer
        raise CommandError(f"training failed: {e}") from None
    seconds = time.perf_counter() - started
    score = train.accuracy(model, X, y)
    print(f"final training accuracy: {score:.1%} (trained in {seconds:.1f} s)")

    try:
        print(f"wrote {model.save(out / 'model.json')}")
        for path in _draw(model, X, y, history, out):
            print(f"wrote {path}")
    except OSError as e:
        raise CommandError(f"cannot write to {out}: {e.strerror or e}") from None
    return 0


def _draw(model: nn.MLP, X: object, y: object, history: train.History, out: Path) -> Iterator[Path]:
    """Save the decision boundary and the loss curve as PNG files, naming each when done."""
    from .. import viz

    plots = (
        (
            "decision_boundary.png",
            # the grid is scored in one numpy pass: the MLP traces like the training step
            lambda: viz.plot_decision_boundary(
                model, X, y, predict=compiler.compile(model, model.nin)
            ),
        ),
        ("loss_curve.png", lambda: viz.plot_history(history)),
    )
    for name, draw in plots:
        figure = draw()
        save_png = partial(figure.savefig, format="png", dpi=100)
        write_atomically(out / name, save_png, binary=True)
        yield out / name
