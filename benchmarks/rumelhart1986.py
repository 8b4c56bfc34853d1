"""The experiments of Rumelhart, Hinton & Williams (1986), run again with autograd_lite.

Two texts introduced backpropagation to most of its readers:

* "Learning representations by back-propagating errors", Nature 323, 533-536 (1986): a
  6-2-1 network learned to detect mirror symmetry in 6-bit inputs after 1,425 sweeps
  through all 64 patterns, with ε = 0.1, α = 0.9 and initial weights uniform in
  [−0.3, 0.3].
* "Learning internal representations by error propagation", chapter 8 of Parallel
  Distributed Processing, vol. 1 (1986): XOR, solved by one hidden unit with direct
  input-to-output connections after 558 sweeps at ε = 0.5, α = 0.9; and the 8-3-8
  encoder and parity (4 inputs, 4 hidden units), learned with the same procedure.

Their procedure, followed here exactly:

* logistic (sigmoid) units everywhere, biases trained like weights;
* the error of a sweep is E = ½ Σ_patterns Σ_outputs (o − t)² (``losses.sse``);
* the weights change once per sweep, with the gradient summed over all patterns, by
  Δw(t) = −ε ∂E/∂w + α Δw(t−1) (``optim.SGD(lr=ε, momentum=α)``);
* every weight and bias starts uniform in [−0.3, 0.3], a new draw for each seed.

"Sweeps" counts weight updates made before the outputs of a sweep meet the criterion.
Two criteria are reported: every output within 0.5 of its target (the output is on the
right side of ½: the task is *solved*), and the stricter one of the PDP chapter, every
output within 0.1 of its target (≤ 0.1 for a 0, ≥ 0.9 for a 1). A seed that misses a
criterion within ``--max-sweeps`` counts as not solved; medians are over the solved seeds.

For the 2-2-1 XOR, the encoder and parity no sweep count from the chapter is quoted here
(their "paper" column says so), and their settings are ours: α = 0.9 throughout; ε = 0.5,
the chapter's XOR setting, for XOR and parity; ε = 0.1 for the encoder, where ε = 0.5 with
the gradient summed over all 8 patterns drives most runs into saturated units that stall.
A failed run ends on a plateau or in a local minimum; the script lists the error E at
which the failed runs stopped. For mirror symmetry E = 4 is the net that calls every
pattern asymmetric; for XOR 2-2-1, E = 0.25 is two patterns right and two at ½; for
parity, E = 2 is every output at ½ (the flat start) and E = 0.4 a local minimum in which
the net cannot tell the four patterns with three bits on from 1111 and answers 0.8 to
all five.

Speed: the patterns of a task can go through ``ag.compile`` as one numpy batch (the error
of one pattern is traced once and replayed on all of them), which gives the scalar engine's
gradients to within rounding (checked for each task before it runs, and printed). That is
4 to 7 times faster for the tasks with 8 to 64 patterns; for XOR's 4 patterns building the
small scalar graphs is cheaper than numpy's per-call overhead. So ``--engine auto`` (the
default) compiles the tasks with at least ``COMPILE_FROM`` patterns and runs XOR on the
scalar engine; ``--engine compiled`` or ``--engine scalar`` forces one for every task.

    python benchmarks/rumelhart1986.py [--seeds 20] [--max-sweeps 10000]
                                       [--tasks symmetry,xor-direct,xor-2-2-1,encoder,parity]
                                       [--engine auto|compiled|scalar]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Value, losses, nn, optim

INIT_RANGE = 0.3  # initial weights uniform in [−0.3, 0.3]
CRITERIA = (0.5, 0.1)  # every output within this distance of its target
COMPILE_FROM = 8  # --engine auto compiles tasks with at least this many patterns


# --- the networks ------------------------------------------------------------------


class DirectXOR:
    """The PDP chapter's XOR network: one hidden unit, and direct connections.

    Both inputs feed the hidden unit h and, directly, the output unit o:

        h = σ(w₁x₁ + w₂x₂ + b_h)
        o = σ(v₁x₁ + v₂x₂ + u·h + b_o)

    Seven parameters in all. In the chapter's solution the direct connections make the
    output an OR of the inputs and the hidden unit learns AND, vetoing the output when
    both inputs are on; other starts find other divisions of the work.
    """

    def __init__(self) -> None:
        self.w = [Value(0.0, label="w1"), Value(0.0, label="w2")]
        self.b_h = Value(0.0, label="b_h")
        self.v = [Value(0.0, label="v1"), Value(0.0, label="v2")]
        self.u = Value(0.0, label="u")
        self.b_o = Value(0.0, label="b_o")

    def __call__(self, x: Sequence[Value | float]) -> Value:
        h = (self.w[0] * x[0] + self.w[1] * x[1] + self.b_h).sigmoid()
        return (self.v[0] * x[0] + self.v[1] * x[1] + self.u * h + self.b_o).sigmoid()

    def parameters(self) -> list[Value]:
        return [*self.w, self.b_h, *self.v, self.u, self.b_o]


def logistic_mlp(nin: int, nouts: list[int]) -> Callable[[], nn.MLP]:
    """A factory of MLPs with logistic units in every layer, as in the papers."""
    return lambda: nn.MLP(nin, nouts, activation="sigmoid", output_activation="sigmoid")


def outputs_of(net: Any, x: Sequence[Value | float]) -> list[Value]:
    """The network's outputs as a list (an MLP returns a bare Value for one output)."""
    out = net(x)
    return out if isinstance(out, list) else [out]


def initialise(net: Any, seed: int) -> None:
    """Every weight and bias uniform in [−INIT_RANGE, INIT_RANGE], drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    for p in net.parameters():
        p.data = rng.uniform(-INIT_RANGE, INIT_RANGE)


# --- the tasks -----------------------------------------------------------------------


def bits(n: int) -> np.ndarray:
    """All 2ⁿ binary patterns of n bits, one per row."""
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def mirror_symmetry() -> tuple[np.ndarray, np.ndarray]:
    """6-bit inputs; the target is 1 when the pattern reads the same backwards."""
    X = bits(6)
    return X, (X == X[:, ::-1]).all(axis=1, keepdims=True).astype(float)


def xor() -> tuple[np.ndarray, np.ndarray]:
    X = bits(2)
    return X, (X.sum(axis=1, keepdims=True) % 2)


def encoder(n: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """n one-hot patterns to be copied through a narrow hidden layer."""
    X = np.eye(n)
    return X, X.copy()


def parity(n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """n-bit inputs; the target is 1 when an odd number of bits are on."""
    X = bits(n)
    return X, (X.sum(axis=1, keepdims=True) % 2)


@dataclass(frozen=True)
class Task:
    """One experiment: the patterns, the network, the learning rule's settings."""

    name: str
    network: str  # how the table names the architecture
    patterns: Callable[[], tuple[np.ndarray, np.ndarray]]
    build: Callable[[], Any]
    lr: float  # ε
    momentum: float  # α
    paper: str  # the paper's figure, as text
    source: str  # where it is from


TASKS = {
    "symmetry": Task(
        "mirror symmetry", "6-2-1", mirror_symmetry, logistic_mlp(6, [2, 1]),
        lr=0.1, momentum=0.9, paper="1,425", source="Nature 1986, fig. 1",
    ),
    "xor-direct": Task(
        "XOR", "2-1-1 + direct", xor, DirectXOR,
        lr=0.5, momentum=0.9, paper="558", source="PDP ch. 8",
    ),
    "xor-2-2-1": Task(
        "XOR", "2-2-1", xor, logistic_mlp(2, [2, 1]),
        lr=0.5, momentum=0.9, paper="not quoted", source="PDP ch. 8",
    ),
    "encoder": Task(
        "encoder", "8-3-8", encoder, logistic_mlp(8, [3, 8]),
        lr=0.1, momentum=0.9, paper="not quoted", source="PDP ch. 8",
    ),
    "parity": Task(
        "parity (4 bits)", "4-4-1", parity, logistic_mlp(4, [4, 1]),
        lr=0.5, momentum=0.9, paper="not quoted", source="PDP ch. 8",
    ),
}  # fmt: skip


# --- one sweep: E over all patterns, and its gradient --------------------------------


Sweep = Callable[[], np.ndarray]  # adds ∂E/∂w into every .grad; returns the outputs (n, k)


def scalar_sweep(net: Any, X: np.ndarray, T: np.ndarray) -> Sweep:
    """A sweep with the scalar engine: one graph for all patterns, then backward."""
    rows, targets = X.tolist(), T.ravel().tolist()

    def sweep() -> np.ndarray:
        outputs = [outputs_of(net, x) for x in rows]
        error = losses.sse([o for out in outputs for o in out], targets)
        error.backward()
        return np.array([[o.data for o in out] for out in outputs])

    return sweep


def compiled_sweep(net: Any, X: np.ndarray, T: np.ndarray) -> Sweep:
    """The same sweep with ``ag.compile``: the error of one pattern, traced once.

    The traced function takes a pattern's inputs followed by its targets and returns
    the pattern's error ½ Σ (o − t)² and, after it, the outputs. ``value_and_grad``
    runs it on all patterns at once and adds the gradient of the *sum* of the errors
    into the weights' ``.grad``: the paper's E and ∂E/∂w.
    """
    n_in = X.shape[1]

    def pattern_error(v: list[Value]) -> list[Value]:
        outputs = outputs_of(net, v[:n_in])
        return [losses.sse(outputs, v[n_in:]), *outputs]

    compiled = ag.compile(pattern_error, n_inputs=X.shape[1] + T.shape[1])
    batch = np.hstack([X, T])

    def sweep() -> np.ndarray:
        _, columns = compiled.value_and_grad(batch, reduction="sum", output=0)
        return columns[:, 1:]

    return sweep


def engine_for(task: Task, choice: str) -> str:
    """The engine a task runs on: ``choice``, or for "auto" by its number of patterns."""
    if choice != "auto":
        return choice
    X, _ = task.patterns()
    return "compiled" if len(X) >= COMPILE_FROM else "scalar"


def gradient(net: Any, sweep: Sweep) -> np.ndarray:
    for p in net.parameters():
        p.grad = 0.0
    sweep()
    return np.array([p.grad for p in net.parameters()])


def compare_engines(task: Task) -> float:
    """Max |compiled − scalar| over ∂E/∂w at a random starting point of ``task``."""
    X, T = task.patterns()
    net = task.build()
    initialise(net, seed=12345)
    return float(
        np.abs(
            gradient(net, compiled_sweep(net, X, T)) - gradient(net, scalar_sweep(net, X, T))
        ).max()
    )


# --- training from one seed ------------------------------------------------------------


@dataclass
class Run:
    """What happened from one seed: the sweep at which each criterion was first met."""

    seed: int
    learned_at: dict[float, int | None] = field(default_factory=dict)
    error: float = float("nan")  # E at the last sweep
    net: Any = None


def train(task: Task, seed: int, max_sweeps: int, engine: str = "compiled") -> Run:
    """Train ``task``'s network from ``seed`` until every output is within 0.1 of its target.

    Each sweep: zero the gradients, compute E and ∂E/∂w over all patterns, check the
    outputs against the criteria, then take one step of Δw = −ε ∂E/∂w + α Δw(t−1).
    """
    X, T = task.patterns()
    net = task.build()
    initialise(net, seed)
    sweep = (compiled_sweep if engine == "compiled" else scalar_sweep)(net, X, T)
    optimizer = optim.SGD(net.parameters(), lr=task.lr, momentum=task.momentum)
    run = Run(seed, dict.fromkeys(CRITERIA), net=net)
    for t in range(max_sweeps + 1):
        optimizer.zero_grad()
        outputs = sweep()
        miss = float(np.abs(outputs - T).max())  # the worst output's distance from its target
        run.error = 0.5 * float(np.sum((outputs - T) ** 2))
        for c in CRITERIA:
            if run.learned_at[c] is None and miss < c:
                run.learned_at[c] = t
        if run.learned_at[min(CRITERIA)] is not None or t == max_sweeps:
            break
        optimizer.step()
    return run


# --- what the symmetry network learned ----------------------------------------------------


def shows_1_2_4(weights: Sequence[float], tolerance: float = 0.15) -> bool:
    """Whether one hidden unit's 6 input weights have the paper's pattern.

    Equal and opposite about the centre (w[i] = −w[5−i]), and the three magnitudes on
    one side in the ratio 1:2:4 (in any order), each within ``tolerance`` (relative).
    """
    w = np.asarray(weights, dtype=float)
    left, right = w[:3], w[::-1][:3]
    scale = np.abs(w).max()
    if scale == 0 or np.abs(left + right).max() > tolerance * scale:
        return False
    magnitudes = np.sort(np.abs(left - right) / 2)
    ratios = magnitudes / magnitudes[0]
    return bool(np.all(np.abs(ratios - [1.0, 2.0, 4.0]) <= tolerance * np.array([1, 2, 4])))


def symmetry_solutions(runs: list[Run]) -> int:
    """How many solved symmetry nets have the 1:2:4 pattern on both hidden units."""
    count = 0
    for run in runs:
        if run.learned_at[0.5] is None:
            continue
        hidden = run.net.state_dict()["layers.0.weight"]
        count += all(shows_1_2_4(row) for row in hidden)
    return count


# --- the table ------------------------------------------------------------------------------


def summary(runs: list[Run], criterion: float) -> str:
    """``median (solved/seeds)`` of the sweeps needed to meet ``criterion``."""
    sweeps = [r.learned_at[criterion] for r in runs if r.learned_at[criterion] is not None]
    median = f"{statistics.median(sweeps):,.0f}" if sweeps else "—"
    return f"{median} ({len(sweeps)}/{len(runs)})"


def failures(runs: list[Run]) -> str:
    """Where the runs that never met the 0.5 criterion stopped: E, with how many stopped there."""
    errors = sorted(round(r.error, 2) for r in runs if r.learned_at[0.5] is None)
    counts = {e: errors.count(e) for e in errors}
    return ", ".join(f"{e:.2f} (×{k})" if k > 1 else f"{e:.2f}" for e, k in counts.items())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20, help="random starts per task")
    parser.add_argument("--max-sweeps", type=int, default=10_000, help="give up after this many")
    parser.add_argument(
        "--tasks", default=",".join(TASKS), help=f"comma-separated, from {', '.join(TASKS)}"
    )
    parser.add_argument("--engine", choices=("auto", "compiled", "scalar"), default="auto")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.tasks.split(",") if name.strip()]
    unknown = [name for name in names if name not in TASKS]
    if unknown or not names or args.seeds < 1 or args.max_sweeps < 1:
        parser.error(
            f"unknown task {unknown[0]!r}; choose from {', '.join(TASKS)}"
            if unknown
            else "need at least one task, one seed and one sweep"
        )

    engines = {name: engine_for(TASKS[name], args.engine) for name in names}
    print(
        f"autograd_lite {ag.__version__}: logistic units, "
        f"E = ½Σ(o−t)², one update per sweep, Δw = −ε∂E/∂w + αΔw(t−1), "
        f"initial weights U(−{INIT_RANGE}, {INIT_RANGE})"
    )
    print(
        f"{args.seeds} seed{'s' if args.seeds > 1 else ''} per task, at most "
        f"{args.max_sweeps:,} sweeps; sweeps are the "
        "median over the seeds that met the criterion (solved/seeds)\n"
    )
    compiled = [name for name in names if engines[name] == "compiled"]
    for name in compiled:
        difference = compare_engines(TASKS[name])
        print(f"  compiled vs scalar engine, {name}: max |∂E/∂w difference| {difference:.1e}")
        if difference > 1e-10:
            sys.exit(f"the compiled gradients of {name} differ; rerun with --engine scalar")
    if compiled:
        print()

    header = (
        f"{'task':16s} {'network':15s} {'ε':>4s} {'α':>4s} {'paper':>10s} "
        f"{'|o−t|<0.5':>15s} {'|o−t|<0.1':>15s} {'time':>7s}  engine"
    )
    print(header)
    print("-" * len(header))
    total = time.perf_counter()
    symmetry_runs: list[Run] = []
    stuck: list[str] = []
    for name in names:
        task = TASKS[name]
        started = time.perf_counter()
        runs = [train(task, seed, args.max_sweeps, engines[name]) for seed in range(args.seeds)]
        seconds = time.perf_counter() - started
        if name == "symmetry":
            symmetry_runs = runs
        if failures(runs):
            stuck.append(f"  {task.name} {task.network}: E = {failures(runs)}")
        print(
            f"{task.name:16s} {task.network:15s} {task.lr:4g} {task.momentum:4g} "
            f"{task.paper:>10s} {summary(runs, 0.5):>15s} {summary(runs, 0.1):>15s} "
            f"{seconds:6.1f}s  {engines[name]}"
        )
    print(f"\ntotal wall time {time.perf_counter() - total:.1f} s")
    if stuck:
        print(f"unsolved after {args.max_sweeps:,} sweeps, the error E where each run stopped:")
        print("\n".join(stuck))
    if symmetry_runs:
        solved = sum(r.learned_at[0.5] is not None for r in symmetry_runs)
        print(
            f"mirror symmetry: {symmetry_solutions(symmetry_runs)} of {solved} solved nets have "
            "both hidden units' weights equal and opposite about the centre, in the ratio "
            "1:2:4 (within 15%)"
        )
    print("sources: " + "; ".join(f"{n}: {TASKS[n].source}" for n in names))


if __name__ == "__main__":
    main()
