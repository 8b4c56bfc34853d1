"""Forward and backward time per op, and memory per node, on a random graph of mixed ops.

Builds the same random graph (100,000 ops by default) with autograd_lite and, when it is
installed, micrograd 0.1.0 (``pip install micrograd==0.1.0``), in the same run, and
prints the ratios. Also times a 1,000,000-op chain, forward plus backward.

    python benchmarks/ops.py [--nodes 100000] [--chain 1000000] [--repeat 5]
    python benchmarks/ops.py --against /tmp/v1 [--rounds 8]

``--against DIR`` times another checkout's Value (the first version:
``git worktree add /tmp/v1 c1abe23``) and this one's in alternating processes, round by
round, and prints the ratios (target: at most 1.0 forward and backward).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from autograd_lite import Value

N_LEAVES = 100
WINDOW = 50  # parents are drawn from the most recent nodes, so the graph is deep


def make_plan(n_ops: int, seed: int = 0) -> list[tuple[str, int, int]]:
    """The random graph as (op, parent index, parent index), shared by both engines."""
    rng = random.Random(seed)
    plan = []
    for i in range(n_ops):
        top = N_LEAVES + i
        a = rng.randrange(max(0, top - WINDOW), top)
        b = rng.randrange(max(0, top - WINDOW), top)
        plan.append((rng.choice(("add", "mul", "sub", "relu", "scale")), a, b))
    return plan


def build(value_cls: Any, plan: list[tuple[str, int, int]]) -> list[Any]:
    rng = random.Random(1)
    nodes = [value_cls(rng.uniform(-1.0, 1.0)) for _ in range(N_LEAVES)]
    append = nodes.append
    for op, i, j in plan:
        a, b = nodes[i], nodes[j]
        if op == "add":
            append((a + b) * 0.5)
        elif op == "mul":
            append(a * b)
        elif op == "sub":
            append(a - b)
        elif op == "relu":
            append(a.relu())
        else:
            append(a * 0.5)
    return nodes


def count_nodes(roots: list[Any], parents: Callable[[Any], Any]) -> int:
    """How many distinct nodes the graphs of ``roots`` hold together."""
    seen = {id(root) for root in roots}
    stack = list(roots)
    while stack:
        for p in parents(stack.pop()):
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def in_big_stack(fn: Callable[[], Any]) -> Any:
    """Run fn in a thread with a large stack, for micrograd's recursive backward."""
    result: list[Any] = []
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000_000)
    threading.stack_size(1 << 29)
    t = threading.Thread(target=lambda: result.append(fn()))
    t.start()
    t.join()
    threading.stack_size(0)
    sys.setrecursionlimit(old_limit)
    return result[0] if result else None


class Engine:
    """One engine under test: its Value class and how to run its backward pass."""

    def __init__(self, name: str, value_cls: Any, parents: Callable[[Any], Any], big_stack: bool):
        self.name = name
        self.value_cls = value_cls
        self.parents = parents
        self.big_stack = big_stack  # micrograd's backward recurses once per node
        self.best_fwd = self.best_bwd = float("inf")
        self.graph_nodes = 0

    def time_once(self, plan: list[tuple[str, int, int]]) -> None:
        """Build the plan's graph and run backward once, keeping the best times."""
        gc.collect()
        t0 = time.perf_counter()
        nodes = build(self.value_cls, plan)
        t1 = time.perf_counter()
        root = nodes[-1]
        if self.big_stack:
            in_big_stack(root.backward)
        else:
            root.backward()
        t2 = time.perf_counter()
        self.best_fwd = min(self.best_fwd, t1 - t0)
        self.best_bwd = min(self.best_bwd, t2 - t1)
        self.graph_nodes = count_nodes([root], self.parents)

    def memory(self, plan: list[tuple[str, int, int]]) -> tuple[float, float]:
        """Bytes per node built and per op of the plan, as tracemalloc sees them."""
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        nodes = build(self.value_cls, plan)
        size = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        return size / count_nodes(nodes, self.parents), size / len(plan)


def measure(engines: list[Engine], plan: list[tuple[str, int, int]], repeat: int) -> None:
    """Time every engine ``repeat`` times, taking turns, so that a slow spell of a shared
    machine falls on all of them; print the best times per op of the plan.

    Times are per op of the plan, the same program for every engine: an engine that
    needs fewer nodes for it (autograd_lite keeps a number mixed into an op inside the
    op's node) is not charged per node it did not make.
    """
    for _ in range(repeat):
        for engine in engines:
            engine.time_once(plan)
    print(
        f"{'engine':<16}{'forward µs/op':>15}{'backward µs/op':>16}{'nodes':>9}"
        f"{'bytes/node':>12}{'bytes/op':>10}"
    )
    bytes_per_op = {}
    for e in engines:
        per_node, bytes_per_op[e.name] = e.memory(plan)
        print(
            f"{e.name:<16}{e.best_fwd / len(plan) * 1e6:>15.3f}"
            f"{e.best_bwd / len(plan) * 1e6:>16.3f}{e.graph_nodes:>9,}"
            f"{per_node:>12.0f}{bytes_per_op[e.name]:>10.0f}"
        )
    if len(engines) == 2:
        ours, mg = engines
        print(
            f"autograd_lite is {mg.best_fwd / ours.best_fwd:.1f}x faster forward, "
            f"{mg.best_bwd / ours.best_bwd:.1f}x faster backward, and uses "
            f"{bytes_per_op[mg.name] / bytes_per_op[ours.name]:.1f}x less memory than micrograd"
        )


def chain(n: int) -> float:
    """Seconds for forward plus backward through n ops, each depending on the last."""
    t0 = time.perf_counter()
    x = Value(0.5)
    c = Value(0.999999)  # one shared constant, so the graph is exactly n ops long
    y = x
    for _ in range(n // 2):
        y = (y * c).tanh()
    y.backward()
    elapsed = time.perf_counter() - t0
    assert x.grad != 0.0
    return elapsed


def one_process(nodes: int, repeat: int) -> None:
    """Print this process's best forward and backward µs per op, and bytes per node, as JSON
    (the child's half of ``--against``)."""
    plan = make_plan(nodes)
    engine = Engine("this", Value, lambda v: v.parents, big_stack=False)
    for _ in range(repeat):
        engine.time_once(plan)
    per_node, _ = engine.memory(plan)
    print(json.dumps([engine.best_fwd / nodes * 1e6, engine.best_bwd / nodes * 1e6, per_node]))


def against(other: str, nodes: int, repeat: int, rounds: int) -> None:
    """This checkout's Value and ``other``'s, in alternating processes, ``rounds`` times."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    checkouts = {"this checkout": here, other: os.path.abspath(other)}
    results: dict[str, list[list[float]]] = {name: [] for name in checkouts}
    for _ in range(rounds):
        for name, root in checkouts.items():
            env = {**os.environ, "PYTHONPATH": root}
            command = [sys.executable, __file__, "--one-process", "--nodes", str(nodes)]
            command += ["--repeat", str(repeat)]
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            results[name].append(json.loads(out.stdout))
    print(f"{nodes:,} mixed ops, {rounds} rounds of alternating processes, best of {repeat} each")
    print(f"{'checkout':<20}{'forward µs/op':>24}{'backward µs/op':>24}{'bytes/node':>12}")
    for name, rows in results.items():
        cells = []
        for k in range(2):
            column = [r[k] for r in rows]
            cells.append(f"{statistics.median(column):.3f} ({min(column):.3f}-{max(column):.3f})")
        print(f"{name:<20}{cells[0]:>24}{cells[1]:>24}{rows[0][2]:>12.0f}")
    ours, theirs = results.values()
    for k, what in enumerate(("forward", "backward")):
        ratios = [a[k] / b[k] for a, b in zip(ours, theirs, strict=True)]
        print(
            f"{what}: this checkout's time / {other}'s, round by round: median "
            f"{statistics.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f}); "
            f"{'meets' if statistics.median(ratios) <= 1.0 else 'MISSES'} the target of 1.0"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--chain", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--against", metavar="DIR", help="another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=8, help="rounds of --against")
    parser.add_argument("--one-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_process:
        one_process(args.nodes, args.repeat)
        return
    if args.against:
        against(args.against, args.nodes, args.repeat, args.rounds)
        return
    plan = make_plan(args.nodes)

    print(
        f"random graph of {args.nodes:,} mixed ops (+ * - relu, constants), best of "
        f"{args.repeat}; garbage collector on, as users have it; times per op of the graph"
    )
    engines = [Engine("autograd_lite", Value, lambda v: v.parents, big_stack=False)]
    try:
        from micrograd.engine import Value as MicroValue
    except ImportError:
        print("micrograd not installed (pip install micrograd==0.1.0): no ratios")
    else:
        engines.append(Engine("micrograd 0.1.0", MicroValue, lambda v: v._prev, big_stack=True))
    measure(engines, plan, args.repeat)
    if args.chain:
        gc.collect()  # micrograd's nodes sit in reference cycles: clear them away first
        print(
            f"chain of {args.chain:,} ops (mul, tanh), forward + backward: "
            f"{chain(args.chain):.2f} s"
        )


if __name__ == "__main__":
    main()
