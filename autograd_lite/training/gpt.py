"""The GPT's training: microgpt's recipe as a library, used by the command, the notebook
and the benchmarks alike.

The recipe is microgpt's: the 32,033 names shuffled by ``random.Random(seed)`` (seed 42
by default, as microgpt's ``random.seed(42)``), ``nn.GPT(27)`` with its weights drawn
from the same generator, one name per step, the mean cross-entropy of its next
characters, Adam (lr 0.01 decaying linearly to 0, betas (0.85, 0.99), eps 1e-8); then
names sampled at temperature 0.5, from the same generator again.

:func:`train` is the loop; the work of a step, from the names to the loss, the
gradients and the update, is a function it is given: :func:`scalar_step` (the graph of
Values, built and walked for every name) or :class:`CompiledStep` (the same graph, traced
once for a whole block and replayed with numpy level by level; the command's default). A
GPT step takes token lists, ``step(model, optimizer, batch) -> loss``; ``fit``'s steps of
the same names in :mod:`.steps` take a classifier's batch, ``step(model, goal, optimizer,
xb, yb, l2) -> (loss, correct)``. Both compiled steps keep the weights in
:class:`.steps.WeightVector`.

    >>> schedule = linear_decay(0.01, 1000)
    >>> schedule(0), schedule(500)
    (0.01, 0.005)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import reduce
from operator import add
from typing import TYPE_CHECKING, Any

import numpy as np

from ..compiler import CompiledFunction, compile
from ..nn.module import Seed, generator
from ..nn.transformer import GPT, check_sequence, checked_temperature, draw_sequence, token_id
from ..support.collector import collector_paused
from . import optim
from .steps import WeightVector

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DEFAULT_SEED = 42  # microgpt's random.seed(42)
STEPS = 1000
LR = 0.01  # decays linearly to 0 over the run
BETAS = (0.85, 0.99)
EPS = 1e-8
TEMPERATURE = 0.5
# The fewest positions a cut tape has. Each bucket's tape costs a program to build (8
# positions: 0.04 s at n_embd 16, 0.25 s at 64), and a name of 4 positions costs little
# more a step in the bucket of 8 than in one of 4 (1.6 -> 1.9 ms at n_embd 16, 3.8 -> 4.3
# ms at 64): the numpy calls of a step do not grow in number with the positions.
SHORTEST_BUCKET = 8
LAST = 100  # the final loss is also reported as the mean of this many last steps

# A training step: the batch's loss from token lists, its gradients and the update.
StepFunction = Callable[[GPT, optim.Optimizer, Sequence[Sequence[int]]], float]


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
    check_batch(batch, "scalar_step")
    with collector_paused():
        optimizer.zero_grad()
        loss = reduce(add, [model.loss(tokens) for tokens in batch])
        if len(batch) > 1:
            loss = loss * (1.0 / len(batch))
        loss.backward()
        optimizer.step()
        return loss.data


class CompiledStep:
    """The training step of :func:`scalar_step`, through the compiled tape of the loss.

    ``GPT.logits_and_losses`` (each position's cross-entropy, then each position's
    logits, for sampling) is traced once, over a whole block (``block_size + 1``
    tokens), with each token as an input: a one-hot row of
    ``vocab_size`` numbers, so that the embedding lookup is a product with the table
    and the target of each position is an input too. The attention is causal: the
    losses of a name's positions read nothing of the tokens after its end, so the tape
    of a shorter name is a part of that one tape (:meth:`CompiledFunction.restricted
    <autograd_lite.compiler.CompiledFunction.restricted>`: the first positions'
    losses, with the instructions they need). One trace serves every length. Lengths
    go in buckets, the positions counted up to a power of two (8, 16, 32, ...
    positions, up to the block), so a few cut tapes serve all the names; a name shorter than its
    bucket is padded with its last token, and the losses beyond its end are weighted 0
    (the seeds of the tape's outputs). A batch of 32 names is one run of one tape.

    The tapes run level by level (``compile(..., by_level=True)``,
    :mod:`autograd_lite.compiler.levels`): each family of the graph's nodes, such as
    the queries of every position, runs as one numpy call, a layer as one matrix
    product. The weights live in one vector from the tapes to the optimizer's rule
    (:class:`~autograd_lite.training.steps.WeightVector`) and stay there from one step
    to the next: the model's Values get them at :meth:`write_back`, which ``train``
    calls at its end (and on an error); the next call reads the Values again. So call
    ``write_back()`` before reading or changing the model's weights between two calls
    of your own. Same protocol and results as :func:`scalar_step`, to rounding.
    """

    def __init__(self) -> None:
        self._whole: CompiledFunction | None = None  # the tape of a whole block
        self._tapes: dict[int, CompiledFunction] = {}
        self._model: GPT | None = None
        self._vector: WeightVector | None = None

    @property
    def tapes(self) -> dict[int, CompiledFunction]:
        """The compiled losses used so far, by the length (in tokens) of their bucket."""
        return dict(self._tapes)

    def __call__(
        self, model: GPT, optimizer: optim.Optimizer, batch: Sequence[Sequence[int]]
    ) -> float:
        check_batch(batch, "CompiledStep")
        vocab = model.vocab_size
        docs = [checked_tokens(tokens, vocab, model.block_size + 1) for tokens in batch]
        self._use(model)
        if self._vector is None or self._vector.optimizer is not optimizer:
            self.write_back()
            self._vector = WeightVector(optimizer)
        width = self._bucket(max(len(tokens) for tokens in docs), model.block_size)
        rows = np.zeros((len(docs), (model.block_size + 1) * vocab))  # (unread beyond width)
        tape = self._tape(model, width, rows)
        # the weight of each output for each name: position t's loss, 1/(its positions ·
        # names) up to its end, then 0; and 0 for the whole tape's logits
        seeds = np.zeros((len(tape.tape.outputs), len(docs)))
        for i, tokens in enumerate(docs):
            padded = tokens + [tokens[-1]] * (width - len(tokens))
            rows[i, np.arange(width) * vocab + padded] = 1.0
            seeds[: len(tokens) - 1, i] = 1.0 / ((len(tokens) - 1) * len(docs))
        vector = self._vector
        vector.begin()
        outputs = vector.run(tape, rows, seeds)  # (names, outputs)
        vector.update()
        return float(np.sum(outputs[:, : width - 1] * seeds[: width - 1].T))

    def write_back(self) -> None:
        """Write the weights and the last step's gradients into the model's Values; the
        next call reads them again (they may have changed)."""
        if self._vector is not None:
            self._vector.write_back()

    def sample(
        self, model: GPT, boundary: int, temperature: float = 0.5, seed: Seed = None
    ) -> list[int]:
        """:meth:`GPT.sample`'s draws, each next token's logits read off the tape.

        The tape traced for training returns the block's losses and then the logits of
        each position (:meth:`GPT.logits_and_losses`). The logits of position t read
        only the tokens up to t (the attention is causal), so one forward run of the
        tape on the tokens drawn so far, the later ones left out (zeros), gives the
        logits of the next token. The same tokens as ``model.sample(boundary,
        temperature, seed)``, whose logits agree to rounding and whose generator draws
        the same numbers, from one run of the tape per token instead of a graph of
        Values.

        Args:
            model: the GPT (its Values' weights; a training run's are written back first).
            boundary: the token that starts and ends a document.
            temperature: divides the logits before the softmax; a finite number > 0.
            seed: an int, a ``random.Random`` to draw from (its state advances), or None.
        """
        temperature = checked_temperature(temperature, "CompiledStep.sample")
        rng = generator(seed)
        vocab = model.vocab_size
        boundary = token_id(boundary, vocab)
        self._use(model)
        self.write_back()
        block = model.block_size
        drawn = [boundary]

        def next_logits(token: int) -> list[float]:
            if token != boundary:
                drawn.append(token)
            t = len(drawn) - 1  # the position whose next token is drawn
            rows = np.zeros((1, (block + 1) * vocab))
            rows[0, np.arange(len(drawn)) * vocab + drawn] = 1.0  # (no token after: zeros)
            outputs = self._tape(model, block + 1, rows)(rows)  # the block's losses, logits
            at = block + t * vocab
            return outputs[0, at : at + vocab].tolist()  # type: ignore[no-any-return]

        return draw_sequence(next_logits, boundary, model.block_size, temperature, rng)

    def _use(self, model: GPT) -> None:
        """Hand back the weights of another model first, and forget its tapes."""
        if model is not self._model:
            self.write_back()
            self._model, self._whole, self._tapes, self._vector = model, None, {}, None

    @staticmethod
    def _bucket(length: int, block_size: int) -> int:
        """The tape length (in tokens) that serves names of ``length`` tokens."""
        positions = SHORTEST_BUCKET
        while positions < length - 1:
            positions *= 2
        return min(positions, block_size) + 1

    def _tape(self, model: GPT, length: int, rows: np.ndarray) -> CompiledFunction:
        if self._whole is None:
            vocab, tokens = model.vocab_size, model.block_size + 1

            def losses_and_logits(x: list[Any]) -> list[Any]:
                one_hots = [x[t * vocab : (t + 1) * vocab] for t in range(tokens)]
                logits, losses = model.logits_and_losses(one_hots)
                return losses + [v for row in logits for v in row]

            losses_and_logits.__name__ = f"gpt_losses_and_logits_of_{tokens}_tokens"
            self._whole = compile(losses_and_logits, tokens * vocab, by_level=True)
            self._whole.trace(rows)
        if length not in self._tapes:
            whole = self._whole
            if length == model.block_size + 1:
                self._tapes[length] = whole  # (its logits' outputs get seeds of 0)
            else:
                self._tapes[length] = whole.restricted(range(length - 1))
        return self._tapes[length]


def check_batch(batch: Sequence[Sequence[int]], who: str) -> None:
    if isinstance(batch, str | bytes) or not isinstance(batch, Sequence):
        raise TypeError(f"{who}: batch must be a list of token lists, got {type(batch).__name__}")
    if not batch:
        raise ValueError(f"{who}: batch is empty; it needs at least one token list")


def checked_tokens(tokens: Sequence[int], vocab: int, most: int) -> list[int]:
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
            :func:`scalar_step`); it returns the batch's loss before the update. A step
            with a ``write_back()`` method (``CompiledStep``) has it called at the end,
            and on an error, to hand the weights back to the model's Values.
        progress: show a tqdm bar on stderr with the latest loss.

    Returns:
        The loss of each step.

    Raises:
        ValueError: if an update would make a weight nan or inf (from the optimizer).
    """
    from tqdm import tqdm  # type: ignore[import-untyped]

    losses: list[float] = []
    bar = tqdm(range(steps), desc="training", disable=not progress, file=sys.stderr)
    try:
        for k in bar:
            names = [docs[(k * batch + i) % len(docs)] for i in range(batch)]
            if schedule is not None:
                optimizer.lr = schedule(k)
            loss = step(model, optimizer, names)
            losses.append(loss)
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
    finally:  # a step that keeps the weights to itself (CompiledStep) hands them back
        write_back = getattr(step, "write_back", None)
        if write_back is not None:
            write_back()
    return losses


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
