"""microgpt's whole recipe, end to end: compiled, on the scalar graph and on microgpt's
engine; then a batch of 32 names per step against one, in held-out loss per second.

The recipe is ``autograd-lite gpt``'s, which is microgpt's: the 32,033 names shuffled by
``random.Random(42)``, microgpt's GPT (4,192 weights) drawn from the same generator,
``--steps`` steps (default 1,000) of one name each, Adam (lr 0.01 decaying linearly to 0
over the run, betas (0.85, 0.99), eps 1e-8). Every row starts from the same initial
weights and trains on the same names in the same order.

    python benchmarks/gpt_recipe.py [--steps 1000] [--peer-steps 20] [--batch 32]
                                    [--seconds S] [--skip-scalar] [--eval-names 200]

Rows:

1. ``compiled``: ``gpt_training.train(..., step=gpt_training.CompiledStep())``, as the
   command runs it, timed end to end in wall seconds (``time.perf_counter`` around
   ``train``): the tracing of the whole block's tape at the first step and the cutting
   of each length bucket's tape from it, every step, the Adam updates. The part spent
   tracing is estimated without touching the package: each step is timed, and the steps
   after which ``CompiledStep.tapes`` holds one more tape are the tracing steps; tracing
   ≈ their time less as many ordinary steps (the median of the other steps). Reported:
   the mean loss of the last min(100, steps) steps.
2. ``scalar graph``: the same with ``gpt_training.scalar_step`` (the command's
   ``--scalar``: the graph of Values built and walked for every name, the cycle
   collector paused), from the same weights. Reported: its time, its mean of the last
   100 losses and how far that is from the compiled row's (target: within 0.05), and
   the largest difference between the two rows' losses at any step. ``--skip-scalar``
   leaves it out.
3. ``microgpt engine``: THE PEER of ``benchmarks/gpt.py`` (``PeerGPT``, ``peer_step``: a
   reconstruction of microgpt's engine and model; see that script). It is slow, so only
   its first ``--peer-steps`` steps (default 20) of the same run are taken, each timed
   (wall and CPU), after an untimed ``gc.collect()``; Python's cycle collector runs in
   its steps, as in its own loop (its graphs are freed only by it). Its estimate for
   the whole run is its mean wall seconds per step times ``--steps`` (the timed names
   are the run's first; their mean length is printed next to the run's). Targets: the
   compiled run at least 10x faster than that estimate; and, per step, the scalar graph
   at least 2x faster than the peer, in CPU seconds of this process over the same steps
   (the same names) of rows 2 and 3 (wall seconds printed too). The peer's losses must
   equal row 2's (or row 1's) to 1e-9.
4. ``batch 32 against batch 1``: the last 1,000 names of the shuffled list are held out,
   and the model trains on the others, compiled, from the same initial weights, with
   ``--batch`` names per step (default 32: the next names in order; ``CompiledStep`` runs
   them together through the tape of the longest's bucket, each weighting its positions
   past its end by 0) and, separately, with
   one name per step, each for the same budget of training seconds (``--seconds``; by
   default the wall time of row 1). The learning rate decays linearly *in training
   time*, ``lr = 0.01·(1 − t/budget)`` at a step that starts t seconds into the budget,
   and training stops when the budget is spent. Decaying by time, rather than over a
   number of steps estimated from a warm-up, makes both runs spend exactly the budget
   and end with the learning rate near 0 whatever the load on this shared machine does
   to their speed; the price is that the schedule, and so the losses, vary a little
   from run to run. The tapes are those of row 1, plus, before part 4 and untimed, one
   step at lr 0 on one name of every length (the weights then reset), so
   that the budget goes to training only, alike for both runs (tracing is row 1's
   concern). At ten checkpoints of training time (and at 0) the clock stops and the
   model is evaluated: the mean, over the first ``--eval-names`` held-out names (default
   200), of each name's mean cross-entropy per character, by the scalar engine's
   ``model.loss`` under ``autograd_lite.no_grad()``: a forward pass only, independent of
   the compiled tapes that trained the model (some 10 ms a name here). Reported: a
   table of training seconds, steps and held-out loss for both runs, the loss each
   reached at the end, names per second, and the training seconds each needed to reach
   a few loss levels (the first checkpoint at or below the level: the resolution is a
   tenth of the budget).

Wall seconds count everything the machine did meanwhile. These machines are shared
(2 cores) and noisy: compare rows within one run, not across runs. The script stops with
an AssertionError if the peer's losses differ from the other rows'.
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import autograd_lite as ag
import gpt as step_bench
from autograd_lite import optim
from autograd_lite.nn import GPT
from autograd_lite.training import gpt as gpt_training

LR, BETAS, EPS = gpt_training.LR, gpt_training.BETAS, gpt_training.EPS
LAST = gpt_training.LAST  # the learning curve's end: the mean loss of the last 100 steps
HELD_OUT = 1000  # part 4 trains on all names but the last 1,000 of the shuffled list
CHECKPOINTS = 10  # part 4 evaluates at each tenth of its budget (and at 0)
LEVELS = (2.6, 2.5, 2.45, 2.4, 2.35, 2.3)  # held-out losses whose time to reach is reported
TARGET_SECONDS = 20.0  # the compiled recipe, end to end
TARGET_VS_PEER = 10.0  # the compiled recipe against the peer's estimate
TARGET_SAME_CURVE = 0.05  # |compiled − scalar| of the mean loss of the last 100 steps
TARGET_SCALAR_VS_PEER = 2.0  # the scalar graph's step against the peer's, CPU time


@dataclass
class Times:
    """The wall and CPU seconds of each step, and whether it traced a new tape."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    traced: list[bool] = field(default_factory=list)

    def call(self, fn: Callable[..., float], *args: Any) -> float:
        """``fn(*args)``, its wall and CPU seconds recorded."""
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn(*args)
        self.cpu.append(time.process_time() - cpu)
        self.wall.append(time.perf_counter() - wall)
        return result

    def tracing(self) -> tuple[int, float, float]:
        """The steps that made a new tape: how many, their seconds in all, and the
        median seconds of the other steps (0 if none)."""
        traced = [s for s, new in zip(self.wall, self.traced, strict=True) if new]
        ordinary = [s for s, new in zip(self.wall, self.traced, strict=True) if not new]
        return len(traced), sum(traced), statistics.median(ordinary) if ordinary else 0.0


class TimedStep:
    """A training step (``gpt_training.StepFunction``) that times itself into ``times``."""

    def __init__(self, step: gpt_training.StepFunction) -> None:
        self.step = step
        self.times = Times()

    def _tapes(self) -> int:
        compiled = self.step
        return len(compiled.tapes) if isinstance(compiled, gpt_training.CompiledStep) else 0

    def __call__(
        self, model: GPT, optimizer: optim.Optimizer, batch: Sequence[Sequence[int]]
    ) -> float:
        tapes = self._tapes()
        loss = self.times.call(self.step, model, optimizer, batch)
        self.times.traced.append(self._tapes() > tapes)
        return loss

    def write_back(self) -> None:
        """The wrapped step's, if it keeps the weights (``train`` calls it at its end)."""
        write_back = getattr(self.step, "write_back", None)
        if write_back is not None:
            write_back()


@dataclass
class Row:
    """A run of the recipe: its losses, its wall seconds end to end, its steps' times."""

    losses: list[float]
    seconds: float
    times: Times

    @property
    def last_mean(self) -> float:
        return statistics.fmean(self.losses[-LAST:])


def run_recipe(model: GPT, docs: list[list[int]], steps: int, step: TimedStep) -> Row:
    """The command's training run (``gpt_training.train``), timed end to end."""
    optimizer = optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    schedule = gpt_training.linear_decay(LR, steps)
    gc.collect()
    started = time.perf_counter()
    losses = gpt_training.train(model, docs, optimizer, steps, schedule=schedule, step=step)
    return Row(losses, time.perf_counter() - started, step.times)


def run_peer(peer: step_bench.PeerGPT, docs: list[list[int]], steps: int, total: int) -> Row:
    """The first ``steps`` steps of the peer's run of ``total`` steps, each timed."""
    step = step_bench.peer_step(peer, docs, total)
    times = Times()
    gc.collect()
    started = time.perf_counter()
    losses = [times.call(step, k) for k in range(steps)]
    return Row(losses, time.perf_counter() - started, times)


# --- part 4: held-out loss per training second --------------------------------------


@dataclass
class Checkpoint:
    seconds: float  # training seconds so far (evaluations excluded)
    steps: int
    loss: float  # mean held-out loss per name


@dataclass
class Curve:
    batch: int
    points: list[Checkpoint]

    @property
    def end(self) -> Checkpoint:
        return self.points[-1]

    def time_to(self, level: float) -> float | None:
        """Training seconds at the first checkpoint at or below ``level``, or None."""
        return next((p.seconds for p in self.points if p.loss <= level), None)


def held_out_loss(model: GPT, docs: Sequence[Sequence[int]]) -> float:
    """The mean over ``docs`` of each one's mean cross-entropy, forward only."""
    with ag.no_grad():
        return statistics.fmean(model.loss(tokens).data for tokens in docs)


def train_for(
    model: GPT,
    step: gpt_training.CompiledStep,
    docs: list[list[int]],
    batch: int,
    budget: float,
    held_out: list[list[int]],
) -> Curve:
    """Train for ``budget`` training seconds, lr decaying linearly in training time,
    evaluating at each tenth of the budget with the clock stopped."""
    optimizer = optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    curve = Curve(batch, [Checkpoint(0.0, 0, held_out_loss(model, held_out))])
    trained, k = 0.0, 0
    gc.collect()
    while trained < budget:
        started = time.perf_counter()
        optimizer.lr = LR * max(0.0, 1.0 - trained / budget)
        step(model, optimizer, [docs[(k * batch + i) % len(docs)] for i in range(batch)])
        trained += time.perf_counter() - started
        k += 1
        if trained >= min(budget, budget * len(curve.points) / CHECKPOINTS):
            step.write_back()  # (the step keeps the weights until then)
            curve.points.append(Checkpoint(trained, k, held_out_loss(model, held_out)))
    return curve


# --- the report ----------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def seconds_type(text: str) -> float:
    """An argparse type: a finite number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return value


def whole_number(at_least: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``at_least``."""

    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if n < at_least:
            raise argparse.ArgumentTypeError(f"must be at least {at_least}, got {n}")
        return n

    return parse


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    at_least_1 = whole_number(1)
    parser.add_argument(
        "--steps", type=at_least_1, default=1000, help="steps of the recipe (default: 1000)"
    )
    parser.add_argument(
        "--peer-steps",
        type=at_least_1,
        default=20,
        help="steps of the peer timed, the run's first (default: 20)",
    )
    parser.add_argument(
        "--batch",
        type=whole_number(2),
        default=32,
        help="names per step in part 4, against 1 (default: 32)",
    )
    parser.add_argument(
        "--seconds",
        type=seconds_type,
        default=None,
        help="training seconds of each part-4 run (default: row 1's time)",
    )
    parser.add_argument("--skip-scalar", action="store_true", help="leave out the scalar row")
    parser.add_argument(
        "--eval-names",
        type=at_least_1,
        default=200,
        help=f"held-out names evaluated at each part-4 checkpoint, at most {HELD_OUT:,} "
        "(default: 200)",
    )
    args = parser.parse_args()
    if args.peer_steps > args.steps:
        parser.error(f"--peer-steps ({args.peer_steps}) must not exceed --steps ({args.steps})")
    if args.eval_names > HELD_OUT:
        parser.error(f"--eval-names must be at most {HELD_OUT:,} (the held-out names)")
    return args


def report_rows(steps: int, compiled: Row, scalar: Row | None, peer: Row) -> None:
    last = min(LAST, steps)
    n_traced, traced, median = compiled.times.tracing()
    print(
        f"1. compiled:        {compiled.seconds:7.2f} s end to end (wall), tracing and cutting "
        f"{n_traced} tapes included: about {traced - n_traced * median:.2f} s of it (the "
        f"{n_traced} steps that made one took {traced:.2f} s; less {n_traced} ordinary steps "
        f"at their median, {1000 * median:.1f} ms); mean loss of the last {last} steps "
        f"{compiled.last_mean:.6f}"
    )
    if scalar is None:
        print("2. scalar graph:    skipped (--skip-scalar)")
    else:
        largest = max(abs(a - b) for a, b in zip(compiled.losses, scalar.losses, strict=True))
        print(
            f"2. scalar graph:    {scalar.seconds:7.2f} s end to end (wall), "
            f"{1000 * statistics.fmean(scalar.times.cpu):.1f} ms CPU per step; mean loss of "
            f"the last {last} steps {scalar.last_mean:.6f}: |difference| "
            f"{abs(compiled.last_mean - scalar.last_mean):.1e}, the largest difference at "
            f"a step {largest:.1e}"
        )
    wall = statistics.fmean(peer.times.wall)
    print(
        f"3. microgpt engine: {len(peer.losses)} step(s) timed: {1000 * wall:.0f} ms per step "
        f"(wall; {1000 * statistics.fmean(peer.times.cpu):.0f} ms CPU) -> {steps:,} steps "
        f"in about {wall * steps:.0f} s"
    )


def report_targets(steps: int, compiled: Row, scalar: Row | None, peer: Row) -> None:
    estimate = statistics.fmean(peer.times.wall) * steps
    ratio = estimate / compiled.seconds
    print("targets:")
    print(
        f"  compiled, {steps:,} steps end to end, at most {TARGET_SECONDS:g} s: "
        f"{compiled.seconds:.2f} s  {verdict(compiled.seconds <= TARGET_SECONDS)}"
    )
    print(
        f"  compiled at least {TARGET_VS_PEER:g}x faster than microgpt's engine (its "
        f"estimate / compiled, wall): {ratio:.1f}x  {verdict(ratio >= TARGET_VS_PEER)}"
    )
    if scalar is None:
        print("  the same learning curve as the scalar graph: not checked (--skip-scalar)")
        print("  the scalar graph per step against the peer's: not measured (--skip-scalar)")
        return
    gap = abs(compiled.last_mean - scalar.last_mean)
    print(
        f"  the same learning curve, |mean of the last {min(LAST, steps)} losses compiled − "
        f"scalar| at most {TARGET_SAME_CURVE:g}: {gap:.1e}  {verdict(gap <= TARGET_SAME_CURVE)}"
    )
    n = len(peer.losses)
    cpu = sum(peer.times.cpu) / sum(scalar.times.cpu[:n])
    wall = sum(peer.times.wall) / sum(scalar.times.wall[:n])
    print(
        f"  the scalar graph at least {TARGET_SCALAR_VS_PEER:g}x faster per step than the "
        f"peer (CPU seconds over the same {n} steps): {cpu:.1f}x (wall: {wall:.1f}x)  "
        f"{verdict(cpu >= TARGET_SCALAR_VS_PEER)}"
    )


def report_curves(one: Curve, many: Curve, eval_names: int) -> None:
    width = 27  # a run's three columns
    print(f"  {'':10}  {f'batch {one.batch}':^{width}}  {f'batch {many.batch}':^{width}}")
    columns = f"{'train s':>8} {'steps':>7} {'held-out':>10}"
    print(f"  {'checkpoint':>10}  {columns}  {columns}")
    for i in range(max(len(one.points), len(many.points))):
        cells = [
            f"{c.points[i].seconds:8.2f} {c.points[i].steps:7,d} {c.points[i].loss:10.4f}"
            if i < len(c.points)
            else " " * width
            for c in (one, many)
        ]
        print(f"  {i:10d}  {cells[0]}  {cells[1]}")
    for c in (one, many):
        names = c.batch * c.end.steps
        print(
            f"  batch {c.batch:>2}: held-out loss {c.end.loss:.4f} at the end; {names:,} names "
            f"in {c.end.seconds:.2f} training s, {names / c.end.seconds:,.0f} names/s"
        )
    print("  loss reached per second: training seconds to reach a held-out loss (the first")
    print("  checkpoint at or below it):")
    for level in LEVELS:
        a, b = one.time_to(level), many.time_to(level)
        cells = [
            f"batch {c.batch} " + ("not reached" if t is None else f"{t:.2f} s")
            for c, t in ((one, a), (many, b))
        ]
        note = ""
        if a is not None and b is not None and a > 0 and b > 0:
            note = f"  (batch {many.batch}: {a / b:.2f}x as fast)"
        print(f"    {level:.2f}: {cells[0]:>20}, {cells[1]:>20}{note}")
    gap = many.end.loss - one.end.loss
    print(
        f"  in the same training time batch {many.batch} ends {abs(gap):.4f} "
        f"{'lower' if gap < 0 else 'higher'} than batch 1 (held-out loss per name, "
        f"{eval_names} names)"
    )


def main() -> None:
    args = parse_arguments()
    steps = args.steps
    names, tokenizer, model, peer = step_bench.microgpt_start(gpt_training.DEFAULT_SEED)
    docs = [tokenizer.frame(name) for name in names]
    initial = model.state_dict()
    print(
        f"microgpt's recipe: {len(names):,} names shuffled by seed {gpt_training.DEFAULT_SEED}; "
        f"{model}, {len(model.parameters()):,} weights; {steps:,} steps of one name; Adam, "
        f"lr {LR:g} decaying linearly to 0, betas {BETAS}, eps {EPS:g}; every row from the "
        "same initial weights, on the same names in the same order"
    )

    compiled_step = gpt_training.CompiledStep()
    compiled = run_recipe(model, docs, steps, TimedStep(compiled_step))
    scalar = None
    if not args.skip_scalar:
        twin = GPT(tokenizer.vocab_size, seed=0)
        twin.load_state_dict(initial)
        scalar = run_recipe(twin, docs, steps, TimedStep(gpt_training.scalar_step))
    peer_row = run_peer(peer, docs, args.peer_steps, steps)
    report_rows(steps, compiled, scalar, peer_row)
    reference = scalar or compiled
    n = args.peer_steps
    gap = max(abs(a - b) for a, b in zip(peer_row.losses, reference.losses[:n], strict=True))
    run_length = statistics.fmean(len(docs[k % len(docs)]) for k in range(steps))
    print(
        f"   the peer's losses equal the {'scalar' if scalar else 'compiled'} row's to "
        f"{gap:.1e}; its timed names have {statistics.fmean(map(len, docs[:n])):.2f} tokens "
        f"on average, the run's {run_length:.2f}"
    )
    assert gap < 1e-9, "the peer trained a different model"
    report_targets(steps, compiled, scalar, peer_row)

    # part 4: row 1's model object and CompiledStep, so row 1's tapes; the buckets it did
    # not meet cut now, untimed, by a step at lr 0 (the weights are reset anyway)
    train_docs, held_out = docs[:-HELD_OUT], docs[-HELD_OUT:][: args.eval_names]
    one_of_each = {min(len(d), model.block_size + 1): d for d in train_docs}
    before = len(compiled_step.tapes)
    started = time.perf_counter()
    standing_still = optim.SGD(model.parameters(), lr=0.0)
    for doc in one_of_each.values():  # one name at a time: each in its own bucket
        compiled_step(model, standing_still, [doc])
    compiled_step.write_back()
    setup = time.perf_counter() - started
    budget = args.seconds or compiled.seconds
    print(
        f"4. batch {args.batch} against batch 1, compiled: {len(train_docs):,} names trained "
        f"on in order, the last {HELD_OUT:,} held out; each run {budget:.2f} training s "
        f"(wall, {'--seconds' if args.seconds else 'as row 1'}), lr {LR:g}·(1 − t/budget) at "
        f"t training s; row 1's tapes plus {len(compiled_step.tapes) - before} buckets "
        f"cut beforehand, untimed ({setup:.2f} s); checkpoints untimed: the mean "
        f"held-out loss per name over {len(held_out)} names (scalar forward)"
    )
    curves = []
    for batch in (1, args.batch):
        compiled_step.write_back()  # (before the weights are reset, not after)
        model.load_state_dict(initial)
        curves.append(train_for(model, compiled_step, train_docs, batch, budget, held_out))
    report_curves(curves[0], curves[1], len(held_out))


if __name__ == "__main__":
    main()
