"""Time one full-batch training step of the demo, autograd_lite next to micrograd 0.1.0.

The step is the demo's: 100 two-moons points, ``MLP(2, [16, 16, 1])``, hinge loss plus
1e-4 · Σ w², zero_grad, backward, SGD update (lr 1.0 − 0.9·k/100 at step k). micrograd's
step is written as in its demo notebook. Both start from the same initial weights, so
their loss curves must agree; the script checks that and prints the speed ratio.

    python benchmarks/train.py [--steps 10]

Each row of ``ROWS`` is one way of taking the step; a new one (e.g. a compiled engine)
is one more entry. micrograd's rows are skipped if it is not installed
(``pip install micrograd==0.1.0``).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from autograd_lite import data, nn, optim, train
from autograd_lite.training import steps
from autograd_lite.training.objectives import objective
from autograd_lite.training.steps import CompiledStep
from demo_step import HIDDEN, L2, Step, installed, lr_at, micrograd_step

TARGET_RATIO = 30.0

# A factory gets (X rows, labels 0/1, initial state dict) and returns step(k) -> loss.
Factory = Callable[[list[list[float]], list[int], dict[str, Any]], Step]


def autograd_lite_step(rows: list[list[float]], labels: list[int], state: dict[str, Any]) -> Step:
    """The step on the scalar graph of Values, as ``train.fit(compiled=False)`` takes it."""
    return _fit_step(rows, labels, state, steps.scalar_step)


def compiled_step(rows: list[list[float]], labels: list[int], state: dict[str, Any]) -> Step:
    """The step through compiled numpy tapes, as ``train.fit`` takes it by default."""
    return _fit_step(rows, labels, state, CompiledStep())


def _fit_step(
    rows: list[list[float]], labels: list[int], state: dict[str, Any], take: Callable[..., Any]
) -> Step:
    model = nn.MLP(2, HIDDEN)
    model.load_state_dict(state)
    optimizer = optim.SGD(model.parameters(), lr=lr_at(0))
    goal = objective("hinge")

    def step(k: int) -> float:
        optimizer.lr = lr_at(k)
        loss, _ = take(model, goal, optimizer, rows, labels, L2)
        return float(loss)

    return step


@dataclass
class Row:
    name: str
    factory: Factory
    pause_collector: bool  # run the steps with Python's cyclic garbage collector off
    needs: str | None = None  # a package that must be importable
    baseline: bool = False  # the row the speed-ups are taken against


ROWS = [
    Row("autograd_lite compiled (fit's default)", compiled_step, pause_collector=True),
    Row("autograd_lite scalar graph", autograd_lite_step, pause_collector=True),
    Row("autograd_lite, collector on", autograd_lite_step, pause_collector=False),
    Row("micrograd 0.1.0", micrograd_step, pause_collector=False, needs="micrograd", baseline=True),
    Row("micrograd 0.1.0, collector off", micrograd_step, pause_collector=True, needs="micrograd"),
]


def run_row(
    row: Row, rows: list[list[float]], labels: list[int], state: dict[str, Any], steps: int
) -> tuple[list[float], list[float]]:
    """Take ``steps`` steps in a row from the initial weights, as a training loop does.

    Returns:
        (seconds of each step, loss of each step).
    """
    step = row.factory(rows, labels, state)
    times, losses = [], []
    gc.collect()
    with train.collector_paused() if row.pause_collector else nullcontext():
        for k in range(steps):
            started = time.perf_counter()
            losses.append(step(k))
            times.append(time.perf_counter() - started)
    del step
    gc.collect()  # micrograd's graphs are cycles: free what piled up with the collector off
    return times, losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="training steps per row")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and weights")
    args = parser.parse_args()

    X, y = data.make_moons(100, seed=args.seed)
    rows, labels = X.tolist(), y.tolist()
    state = nn.MLP(2, HIDDEN, seed=args.seed).state_dict()
    print(
        f"one full-batch training step: {len(rows)} two-moons points, MLP(2, {HIDDEN}), "
        f"hinge + {L2:g}·Σw², backward, SGD; median of {args.steps} steps\n"
    )
    results: dict[str, tuple[float, list[float]]] = {}
    skipped = []
    for row in ROWS:
        if row.needs and installed(row.needs) is None:
            skipped.append(f"{row.name:40s} skipped: {row.needs} is not installed")
            continue
        times, losses = run_row(row, rows, labels, state, args.steps)
        results[row.name] = (statistics.median(times), losses)

    baseline = next((r.name for r in ROWS if r.baseline and r.name in results), None)
    print(f"{'step':40s} {'time per step':>14s}   {'speed-up' if baseline else ''}")
    for name, (seconds, _) in results.items():
        speed_up = f"{results[baseline][0] / seconds:8.1f}×" if baseline else ""
        print(f"{name:40s} {seconds * 1e3:11.1f} ms   {speed_up}")
    for line in skipped:
        print(line)

    ours = results[ROWS[0].name]
    if baseline:
        ratio = results[baseline][0] / ours[0]
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(
            f"\n{ROWS[0].name} vs {baseline}: {ratio:.1f}× (target ≥ {TARGET_RATIO:g}×: {verdict})"
        )
        difference = max(
            abs(a - b) / max(abs(b), 1e-300)
            for a, b in zip(ours[1], results[baseline][1], strict=True)
        )
        print(f"loss curves, autograd_lite vs micrograd: max relative difference {difference:.1e}")
        print("  step  autograd_lite        micrograd")
        for k, (a, b) in enumerate(zip(ours[1], results[baseline][1], strict=True)):
            print(f"  {k:4d}  {a:.15f}  {b:.15f}")


if __name__ == "__main__":
    main()
