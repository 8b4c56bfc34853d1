"""Forward and backward time per node, and memory per node, on a random graph of mixed ops.

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


def count_nodes(root: Any, parents: Callable[[Any], Any]) -> int:
    seen = {id(root)}
    stack = [root]
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
    name: str,
    value_cls: Any,
    plan: list[tuple[str, int, int]],
    repeat: int,
    parents: Callable[[Any], Any],
    big_stack: bool,
) -> dict[str, float]:
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
        n_graph = count_nodes(root, parents)
        del nodes, root
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    nodes = build(value_cls, plan)
    size = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    extra = {"add": 2, "scale": 1}  # (a + b) * 0.5 makes 3 Values, a * 0.5 makes 2
    n_built = len(nodes) + sum(extra.get(op, 0) for op, _, _ in plan)
    del nodes
    return {
        "fwd_us": best_fwd / len(plan) * 1e6,
        "bwd_us": best_bwd / n_graph * 1e6,
        "bytes": size / n_built,
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
        f"{args.repeat}; garbage collector on, as users have it"
    )
    ours = measure("autograd_lite", Value, plan, args.repeat, lambda v: v.parents, False)
    results = {"autograd_lite": ours}
    try:
        from micrograd.engine import Value as MicroValue
    except ImportError:
        print("micrograd not installed (pip install micrograd==0.1.0): no ratios")
    else:
        results["micrograd 0.1.0"] = measure(
            "micrograd", MicroValue, plan, args.repeat, lambda v: v._prev, True
        )
    print(f"{'engine':<16}{'forward µs/op':>15}{'backward µs/node':>18}{'bytes/node':>12}")
    for name, r in results.items():
        print(f"{name:<16}{r['fwd_us']:>15.3f}{r['bwd_us']:>18.3f}{r['bytes']:>12.0f}")
    if len(results) == 2:
        mg = results["micrograd 0.1.0"]
        print(
            f"autograd_lite is {mg['fwd_us'] / ours['fwd_us']:.1f}x faster forward, "
            f"{mg['bwd_us'] / ours['bwd_us']:.1f}x faster backward, and uses "
            f"{mg['bytes'] / ours['bytes']:.1f}x less memory per node than micrograd"
        )
    if args.chain:
        gc.collect()  # micrograd's nodes sit in reference cycles: clear them away first
        print(
            f"chain of {args.chain:,} ops (mul, tanh), forward + backward: "
            f"{chain(args.chain):.2f} s"
        )


if __name__ == "__main__":
    main()
