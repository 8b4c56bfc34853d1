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

:func:`train` is the loop; the work of a step, from the names to the loss, the
gradients and the update, is a function it is given: :class:`CompiledStep` (the
command's default: one traced tape per name length, replayed with numpy) or
:func:`scalar_step` (``--scalar``: the graph of Values, built and walked for every name).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial, reduce
from operator import add
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from . import data, optim
from .cli import whole_number
from .collector import collector_paused
from .compiler import CompiledFunction, compile
from .files import write_atomically
from .steps import WeightVector
from .transformer import GPT, check_sequence, token_id

if TYPE_CHECKING:
    from matplotlib.figure import Figure

USAGE_ERROR = 2
DEFAULT_SEED = 42  # microgpt's random.seed(42)
STEPS = 1000
LR = 0.01  # decays linearly to 0 over the run
BETAS = (0.85, 0.99)
EPS = 1e-8
TEMPERATURE = 0.5
SAMPLES = 20
LAST = 100  # the final loss is also reported as the mean of this many last steps

# A training step: the batch's loss from token lists, its gradients and the update.
StepFunction = Callable[[GPT, optim.Optimizer, Sequence[Sequence[int]]], float]


class CommandError(Exception):
    """A problem with the command's input or output, reported as one line."""


def scalar_step(model: GPT, optimizer: optim.Optimizer, batch: Sequence[Sequence[int]]) -> float:
    """One training step on the graph of Values: zero_grad, the mean loss, backward, update.

    Args:
        model: the GPT being trained.
        optimizer: updates the model's weights from their gradients.
        batch: one or more token lists, each framed by boundary tokens.

    Returns:
        The loss before the update, as a float; every weight's ``.grad`` holds the
        gradient the update used.
    """
    _check_batch(batch, "scalar_step")
    with collector_paused():
        optimizer.zero_grad()
        loss = reduce(add, [model.loss(tokens) for tokens in batch])
        if len(batch) > 1:
            loss = loss * (1.0 / len(batch))
        loss.backward()
        optimizer.step()
        return loss.data


class CompiledStep:
    """The training step of :func:`scalar_step`, through compiled tapes of the loss.

    ``GPT.losses`` (each position's cross-entropy) is traced with each token as an
    input: a one-hot row of ``vocab_size`` numbers, so that the embedding lookup is a
    product with the table and the target of each position is an input too. A sequence
    of another length is another graph, so each length gets its own tape, traced at its
    first use and replayed for every later batch whose longest name has that length.
    Shorter names in the batch run through the same tape, padded with their last token:
    the attention is causal, so the padding changes none of their own positions'
    losses, and those beyond their end are weighted 0 (the seeds of the tape's
    outputs). A batch of 32 names is one run of one tape.

    The tapes run level by level (``compile(..., by_level=True)``,
    :mod:`autograd_lite.compiler.levels`): a tape of thousands of instructions runs as
    about a hundred numpy calls. The weights travel as one vector from the tapes to the
    optimizer's rule (:class:`~autograd_lite.steps.WeightVector`). Same protocol and
    results as :func:`scalar_step`, to rounding.
    """

    def __init__(self) -> None:
        self._tapes: dict[int, CompiledFunction] = {}
        self._model: GPT | None = None
        self._vector: WeightVector | None = None

    @property
    def tapes(self) -> dict[int, CompiledFunction]:
        """The compiled losses of each sequence length traced so far, by length."""
        return dict(self._tapes)

    def __call__(
        self, model: GPT, optimizer: optim.Optimizer, batch: Sequence[Sequence[int]]
    ) -> float:
        if model is not self._model:
            self._model, self._tapes, self._vector = model, {}, None
        if self._vector is None or self._vector.optimizer is not optimizer:
            self._vector = WeightVector(optimizer)
        _check_batch(batch, "CompiledStep")
        vocab = model.vocab_size
        docs = [_checked_tokens(tokens, vocab, model.block_size + 1) for tokens in batch]
        width = max(len(tokens) for tokens in docs)
        rows = np.zeros((len(docs), width * vocab))
        seeds = np.zeros((width - 1, len(docs)))  # the weight of position t of name i
        for i, tokens in enumerate(docs):
            padded = tokens + [tokens[-1]] * (width - len(tokens))
            rows[i, np.arange(width) * vocab + padded] = 1.0
            seeds[: len(tokens) - 1, i] = 1.0 / ((len(tokens) - 1) * len(docs))
        vector = self._vector
        vector.begin()
        losses = vector.run(self._tape(model, width), rows, list(seeds))  # (names, width-1)
        vector.finish()
        return float(np.sum(losses * seeds.T))

    def _tape(self, model: GPT, length: int) -> CompiledFunction:
        if length not in self._tapes:
            vocab = model.vocab_size

            def losses(x: list[Any]) -> Any:
                return model.losses([x[t * vocab : (t + 1) * vocab] for t in range(length)])

            losses.__name__ = f"gpt_losses_of_{length}_tokens"
            self._tapes[length] = compile(losses, length * vocab, by_level=True)
        return self._tapes[length]


def _check_batch(batch: Sequence[Sequence[int]], who: str) -> None:
    if isinstance(batch, str | bytes) or not isinstance(batch, Sequence):
        raise TypeError(f"{who}: batch must be a list of token lists, got {type(batch).__name__}")
    if not batch:
        raise ValueError(f"{who}: batch is empty; it needs at least one token list")


def _checked_tokens(tokens: Sequence[int], vocab: int, most: int) -> list[int]:
    """``tokens`` cut to ``most``, as a list of ints, or the error ``GPT.loss`` would raise."""
    check_sequence(tokens, "GPT.loss")
    return [token_id(token, vocab) for token in tokens[:most]]


def linear_decay(lr: float, steps: int) -> Callable[[int], float]:
    """microgpt's schedule: ``lr · (1 − k/steps)`` at step k (0-based), 0 at the end."""
    return lambda k: lr * (1 - k / steps)


def train(
    model: GPT,
    docs: Sequence[Sequence[int]],
    optimizer: optim.Optimizer,
    steps: int,
    batch: int = 1,
    schedule: Callable[[int], float] | None = None,
    step: StepFunction = scalar_step,
    progress: bool = False,
) -> list[float]:
    """Train on ``docs`` in order, ``batch`` of them per step, wrapping around at the end.

    Args:
        model: the GPT to train.
        docs: token lists (e.g. ``tokenizer.frame(name)`` for each name, shuffled).
        optimizer: updates the model's parameters from their ``.grad``.
        steps: how many updates.
        batch: how many docs each step averages the loss over.
        schedule: the learning rate at step k (0-based); None keeps the optimizer's.
        step: one training step on a batch, from the loss to the update (see
            :func:`scalar_step`); it returns the batch's loss before the update.
        progress: show a tqdm bar on stderr with the latest loss.

    Returns:
        The loss of each step.

    Raises:
        ValueError: if an update would make a weight nan or inf (from the optimizer).
    """
    from tqdm import tqdm  # type: ignore[import-untyped]

    losses: list[float] = []
    bar = tqdm(range(steps), desc="training", disable=not progress, file=sys.stderr)
    for k in bar:
        names = [docs[(k * batch + i) % len(docs)] for i in range(batch)]
        if schedule is not None:
            optimizer.lr = schedule(k)
        loss = step(model, optimizer, names)
        losses.append(loss)
        bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
    return losses


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
        type=whole_number(1, "must be at least 1"),
        default=STEPS,
        help=f"training steps (default: {STEPS})",
    )
    parser.add_argument(
        "--batch",
        type=whole_number(1, "must be at least 1"),
        default=1,
        help="names per step; their losses are averaged (default: 1)",
    )
    parser.add_argument(
        "--seed",
        type=whole_number(0, "must be 0 or more"),
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
    """Train, sample, report and write the files; returns the exit status (0, or 2)."""
    try:
        return _run(args)
    except CommandError as e:
        line = " ".join(str(e).split())  # always exactly one line
        print(f"autograd-lite gpt: error: {line}", file=sys.stderr)
        return USAGE_ERROR


def _run(args: argparse.Namespace) -> int:
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CommandError(f"cannot create the output folder {out}: {e.strerror or e}") from None

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


def loss_figure(losses: Sequence[float], window: int = LAST) -> Figure:
    """The loss of each step (pale) and its running mean over ``window`` steps.

    Args:
        losses: one loss per step.
        window: how many steps the running mean averages (fewer at the start).

    Returns:
        A ``matplotlib.figure.Figure``.
    """
    from matplotlib.figure import Figure

    running, total = [], 0.0
    for k, loss in enumerate(losses):
        total += loss - (losses[k - window] if k >= window else 0.0)
        running.append(total / min(k + 1, window))
    steps = range(1, len(losses) + 1)
    figure = Figure(figsize=(6, 3.6), layout="constrained")
    ax = figure.subplots()
    ax.plot(steps, losses, color="#1f77b4", alpha=0.3, linewidth=0.8, label="loss of the step")
    ax.plot(steps, running, color="#1f77b4", linewidth=2, label=f"mean of the last {window}")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats per character)")
    ax.set_title(f"GPT on the names (last {window}: {running[-1]:.3f})", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend()
    return figure
