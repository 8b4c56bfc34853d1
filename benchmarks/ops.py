"""Forward and backward time per op, and memory per node, on a random graph of mixed ops.

Builds the same random graph (100,000 ops by default) with autograd_lite and, when it is
installed, micrograd 0.1.0 (``pip install micrograd==0.1.0``), in the same run, and
prints the ratios. Also times a 1,000,000-op chain, forward plus backward.

    python benchmarks/ops.py [--nodes 100000] [--chain 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import random
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


def measure(
    value_cls: Any,
    plan: list[tuple[str, int, int]],
    repeat: int,
    parents: Callable[[Any], Any],
    big_stack: bool,
) -> dict[str, float]:
    """Best-of-``repeat`` times for the plan, per op of the plan, and memory per node.

    Times are per op of the plan, the same program for every engine: an engine that
    needs fewer nodes for it (autograd_lite keeps a number mixed into an op inside the
    op's node) is not charged per node it did not make.
    """
    best_fwd = best_bwd = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        nodes = build(value_cls, plan)
        t1 = time.perf_counter()
        root = nodes[-1]
        if big_stack:
            in_big_stack(root.backward)
        else:
            root.backward()
        t2 = time.perf_counter()
        best_fwd, best_bwd = min(best_fwd, t1 - t0), min(best_bwd, t2 - t1)
        n_graph = count_nodes([root], parents)
        del nodes, root
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    nodes = build(value_cls, plan)
    size = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    n_built = count_nodes(nodes, parents)
    del nodes
    return {
        "fwd_us": best_fwd / len(plan) * 1e6,
        "bwd_us": best_bwd / len(plan) * 1e6,
        "bytes": size / n_built,
        "bytes_op": size / len(plan),
        "graph": n_graph,
    }


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--chain", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    plan = make_plan(args.nodes)

    print(
        f"random graph of {args.nodes:,} mixed ops (+ * - relu, constants), best of "
        f"{args.repeat}; garbage collector on, as users have it; times per op of the graph"
    )
    ours = measure(Value, plan, args.repeat, lambda v: v.parents, False)
    results = {"autograd_lite": ours}
    try:
        from micrograd.engine import Value as MicroValue
    except ImportError:
        print("micrograd not installed (pip install micrograd==0.1.0): no ratios")
    else:
        results["micrograd 0.1.0"] = measure(MicroValue, plan, args.repeat, lambda v: v._prev, True)
    print(
        f"{'engine':<16}{'forward µs/op':>15}{'backward µs/op':>16}{'nodes':>9}"
        f"{'bytes/node':>12}{'bytes/op':>10}"
    )
    for name, r in results.items():
        print(
            f"{name:<16}{r['fwd_us']:>15.3f}{r['bwd_us']:>16.3f}{r['graph']:>9,}"
            f"{r['bytes']:>12.0f}{r['bytes_op']:>10.0f}"
        )
    if len(results) == 2:
        mg = results["micrograd 0.1.0"]
        print(
            f"autograd_lite is {mg['fwd_us'] / ours['fwd_us']:.1f}x faster forward, "
            f"{mg['bwd_us'] / ours['bwd_us']:.1f}x faster backward, and uses "
            f"{mg['bytes_op'] / ours['bytes_op']:.1f}x less memory than micrograd"
        )
    if args.chain:
        gc.collect()  # micrograd's nodes sit in reference cycles: clear them away first
        print(
            f"chain of {args.chain:,} ops (mul, tanh), forward + backward: "
            f"{chain(args.chain):.2f} s"
        )


if __name__ == "__main__":
    main()
