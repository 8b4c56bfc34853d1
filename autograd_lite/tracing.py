"""Trace once, run a whole batch: a scalar graph compiled into a tape replayed with numpy.

A scalar engine pays for one Python object per op per sample. Yet a model computes
the same graph for every sample; only the numbers at the inputs change. So, as
JAX's ``jit`` does, we record the graph once and replay it on a whole batch:

1. **Trace.** ``fn`` is called with stand-ins for its inputs (:class:`Tracer`s).
   The engine runs as usual and records the graph: which primitive made each node,
   from which nodes.
2. **Flatten.** The graph becomes a :class:`Tape`: a flat list of instructions
   ``slot[k] = prim(slot[i], slot[j])`` in topological order, over numbered slots
   holding the inputs, the parameters, the constants and every result.
3. **Replay.** For a batch ``X`` of shape ``(n, n_inputs)`` each input slot holds a
   column of ``X``, an array of n numbers, one per sample, and each instruction is
   one numpy call on whole arrays: one Python step per op for the batch, not per
   sample. Slots that do not depend on the inputs (a parameter, the ``w * w`` of an
   L2 penalty) stay single floats, computed once per run. The backward pass walks
   the tape in reverse with the table's own local derivative formulas, evaluated on
   arrays (:class:`~autograd_lite.array_ops.NumpyOps`), and sums each parameter's
   gradient over the batch.
4. **Fuse.** A neuron, ``b + w1*x1 + ... + wk*xk``, is 2k instructions; a layer is
   J neurons over the same inputs, which is one matrix product ``Z = W @ X + b``.
   Such sums are found in the tape and each group is run as one product, and an
   activation applied to every output of a group as one call. An MLP's tape of
   hundreds of instructions becomes a handful. (The sums are then added in another
   order, so results may differ from the scalar engine's in the last bits.)

Parameters and constants. ``fn`` is traced twice. A leaf that is the *same object*
both times lives outside ``fn`` (a weight of a model that ``fn`` calls) and stays
*linked*: its current ``.data`` is read at every run, so the compiled function sees
the optimizer's updates, and its gradient is added into its ``.grad``. A leaf made
anew by each call (a number mixed into an op, a ``Value(0.5)`` made inside ``fn``)
is a constant, baked into the tape.

What cannot be traced. The tape records one path through ``fn``: Python control
flow that depends on the numbers (``if v.data > 0``, ``max(v.data ...)``, ``float(v)``,
``v < 0``) would be frozen at the traced sample. So while ``fn`` is traced, every
node made by an op is a :class:`Tracer`, and one that depends on the inputs refuses
to show its number: reading it raises :class:`TracingError`. Branches inside a
primitive are fine: ``relu``, ``abs``, ``leaky_relu`` and ``sigmoid`` choose per
sample. As a second check, the second trace uses another sample (the batch's last
row), and the two graphs must match op for op and constant for constant, which
catches random numbers and numbers made from the inputs by other routes. Also
refused: ops under ``ag.no_grad()`` inside ``fn`` (they record no graph), and
Values computed before the call that are not leaves (compute them inside ``fn``).
Beyond these checks the tape cannot know:

* numbers ``fn`` computes from a *parameter's* ``.data`` are frozen at trace time;
* ``ag.grad`` inside ``fn`` bakes in derivatives at kinks (relu, abs) of the
  traced samples (caught only when the two traced samples differ there).

Example:
    >>> w = Value(0.5)
    >>> f = compile(lambda x: (x[0] * w + x[1]).tanh(), n_inputs=2)
    >>> X = np.array([[1.0, 2.0], [3.0, -4.0]])
    >>> f(X)                                        # one output per row
    array([ 0.9866143, -0.9866143])
    >>> loss, outputs = f.value_and_grad(X)         # mean over rows; adds into w.grad
    >>> print(f.tape.listing())
    per sample:
      v3 = x0 * p0
      v4 = v3 + x1
      v5 = tanh(v4)
    return v5
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import engine
from .array_ops import NUMPY_OPS, RowError, batched, row_error
from .engine import Value, is_recording, recording
from .primitives import FLOAT_OPS, Primitive

__all__ = ["CompiledFunction", "CompiledStep", "Tape", "TracingError", "Tracer", "compile"]

Array = np.ndarray


class TracingError(Exception):
    """``fn`` does something a compiled function cannot replay faithfully."""


_READ_HINT = (
    "A compiled function traces fn once, with stand-ins for the inputs, and replays the "
    "recorded ops on every sample, so a number read from a traced value would be the same "
    "for all of them. Let a primitive make the choice per sample (relu, abs, leaky_relu, "
    "sigmoid, ...) or run fn uncompiled."
)


class _Trace:
    """What the trace in progress needs to know (one trace at a time)."""

    inputs: frozenset[int] = frozenset()  # ids of the stand-ins for the inputs
    unrecorded = 0  # nodes made under no_grad during the trace


def _depends_on_inputs(node: Value) -> bool:
    """Whether ``node`` was computed from a stand-in of the trace in progress."""
    inputs = _Trace.inputs
    seen: set[int] = set()
    stack = [node]
    while stack:
        v = stack.pop()
        if id(v) in inputs:
            return True
        for parent in (v._a, v._b):
            if parent is not None and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return False


def _refuse(node: Value, what: str) -> None:
    if _depends_on_inputs(node):
        raise TracingError(
            f"fn {what} of {node!r}, a value that depends on the inputs. {_READ_HINT}"
        )


def _refuse_during_trace(what: str) -> None:
    if _Trace.inputs:
        raise TracingError(f"fn {what}")


class Tracer(Value):
    """A node made while ``fn`` is traced: the stand-ins for the inputs and every op.

    It is an ordinary Value underneath (it holds the traced sample's number, so the
    engine computes and checks as usual), but a node that depends on the inputs
    refuses to *show* that number (``.data``, ``float``, ``item``, ``< <= > >=``):
    a graph that looked at it could differ from sample to sample. Nodes that depend
    on parameters and constants alone show their numbers as usual. Once the trace is
    over, a Tracer that outlives it behaves as a Value.
    """

    __slots__ = ()

    @property  # type: ignore[override]
    def data(self) -> float:
        _refuse(self, "reads .data")
        return self._data

    @data.setter
    def data(self, x: float) -> None:
        _refuse_during_trace("sets .data of a value made while it is traced")
        Value.data.fset(self, x)  # type: ignore[attr-defined]

    def __float__(self) -> float:
        _refuse(self, "calls float()")
        return self._data

    def item(self) -> float:
        _refuse(self, "calls .item()")
        return self._data

    def __lt__(self, other: Any) -> bool:
        _refuse(self, "compares the number (<)")
        return Value.__lt__(self, other)

    def __le__(self, other: Any) -> bool:
        _refuse(self, "compares the number (<=)")
        return Value.__le__(self, other)

    def __gt__(self, other: Any) -> bool:
        _refuse(self, "compares the number (>)")
        return Value.__gt__(self, other)

    def __ge__(self, other: Any) -> bool:
        _refuse(self, "compares the number (>=)")
        return Value.__ge__(self, other)

    @property
    def local_grads(self) -> tuple[float, ...]:
        _refuse(self, "reads the local derivatives")
        return Value.local_grads.fget(self)  # type: ignore[attr-defined,no-any-return]

    def detach(self) -> Value:
        _refuse(self, "detaches (which would freeze the number)")
        return Value.detach(self)

    def backward(self, grad: float = 1.0) -> None:
        _refuse_during_trace(
            "calls backward() while being traced, which the tape would not replay; "
            "return the loss from fn and use the compiled function's value_and_grad or "
            "backward instead"
        )
        Value.backward(self, grad)

    def zero_grad(self) -> None:
        _refuse_during_trace("calls zero_grad() while being traced")
        Value.zero_grad(self)

    def __repr__(self) -> str:
        what = f"op={self.op!r}" if self.op else self.label or "leaf"
        return f"Tracer({what})"


def _new_node(cls: type) -> Any:
    """The engine's node factory while a trace runs: every new node is a Tracer."""
    if not is_recording():
        _Trace.unrecorded += 1
    return object.__new__(Tracer)


@contextmanager
def _tracing(inputs: list[Tracer]) -> Iterator[None]:
    """Run a trace: nodes made by ops are Tracers, and parents are recorded.

    The engine makes every node through its module-level factory ``_new``, however an
    op is called (``v.relu()``, ``Value.relu(v)``, ``sum(...)``), so replacing that
    factory for the duration of the call catches them all. Numbers mixed into ops
    become constant leaves, as the tape keeps them in slots of their own.
    """
    if _Trace.inputs:
        raise TracingError("fn compiles another function while it is traced; compile it outside")
    saved = engine._new
    _Trace.inputs = frozenset(id(x) for x in inputs)
    _Trace.unrecorded = 0
    engine._new = _new_node
    engine.fold_numbers = False
    try:
        with recording(True):
            yield
    finally:
        engine._new = saved
        engine.fold_numbers = True
        _Trace.inputs = frozenset()


# --- tracing: from fn to a pair of graphs ------------------------------------------


def _call(fn: Callable[[list[Value]], Any], row: Sequence[float], index: int) -> Any:
    """Call fn on stand-ins holding ``row``; returns (inputs, outputs, single)."""
    inputs = [Tracer(float(x), label=f"x{i}") for i, x in enumerate(row)]
    try:
        with _tracing(inputs):
            result = fn(list(inputs))
            unrecorded = _Trace.unrecorded
    except (ValueError, ZeroDivisionError) as e:
        if _raised_by_a_primitive(e):  # a domain error on the traced sample
            raise row_error(e, index, ", while tracing fn") from e
        raise
    if unrecorded:
        raise TracingError(
            f"fn ran {unrecorded} op(s) under ag.no_grad(), which records no graph, so the "
            "tape cannot replay them; take them out of fn or out of no_grad"
        )
    single = isinstance(result, Value)
    outputs = [result] if single else result
    if not isinstance(outputs, list | tuple):
        raise TypeError(f"fn must return a Value or a list of Values, got {type(result).__name__}")
    if not outputs:
        raise ValueError("fn returned an empty list; it must return at least one Value")
    for k, out in enumerate(outputs):
        if not isinstance(out, Value):
            raise TypeError(f"fn's output {k} must be a Value, got {type(out).__name__}")
    return inputs, list(outputs), single


def _raised_by_a_primitive(error: Exception) -> bool:
    """Whether a primitive's own forward raised ``error`` (a domain error)."""
    tb = error.__traceback__
    if tb is None or type(error) not in (ValueError, ZeroDivisionError):
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_globals.get("__name__") == Primitive.__module__


def _same_number(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


def _same_primitive(p: Primitive, q: Primitive) -> bool:
    return p is q or (p.name == q.name and p.params == q.params)


class _Mismatch(Exception):
    """The two traces differ (a message for TracingError)."""


def _walk_pair(first: list[Value], second: list[Value]) -> list[tuple[Value, Value]]:
    """The two traced graphs side by side, node by node, in topological order.

    Raises _Mismatch where they differ in shape (not in linked or constant numbers).
    """
    order: list[tuple[Value, Value]] = []
    partner: dict[int, Value] = {}  # id(node of the first graph) -> node of the second
    seen_second: dict[int, Value] = {}
    expanded: set[int] = set()
    stack = [pair for pair in zip(reversed(first), reversed(second), strict=True)]
    while stack:
        a, b = stack[-1]
        key = id(a)
        if key in partner:
            if partner[key] is not b:
                raise _Mismatch("a node used twice in one graph is two nodes in the other")
            stack.pop()
            continue
        if a._a is not None and a is not b and key not in expanded:
            if b._a is None or not _same_primitive(a._prim, b._prim):  # type: ignore[arg-type]
                raise _Mismatch(f"an op {a.op!r} is {b.op or 'a leaf'!r} in the other graph")
            expanded.add(key)
            pa, pb = a.parents, b.parents
            stack.extend((x, y) for x, y in zip(reversed(pa), reversed(pb), strict=True))
            continue
        if a._a is None and a is not b and b._a is not None:
            raise _Mismatch(f"a leaf is an op {b.op!r} in the other graph")
        if id(b) in seen_second and seen_second[id(b)] is not a:
            raise _Mismatch("a node used twice in one graph is two nodes in the other")
        partner[key] = b
        seen_second[id(b)] = a
        order.append((a, b))
        stack.pop()
    return order


# --- the tape -----------------------------------------------------------------------


class Tape:
    """A traced function as a flat program over numbered slots.

    Slots ``0 .. uniform-1`` hold one float each, shared by every sample: first the
    linked leaves (read from ``.data`` at each run), then the constants, then the
    results of ops on those alone. The remaining slots hold one number per sample:
    first the inputs (the columns of X), then the results of ops that depend on them.

    Attributes:
        n_inputs: the number of inputs (columns of X).
        linked: the linked leaves, in slot order.
        constants: the baked numbers, in slot order after the linked leaves.
        uniform_code: ``(prim, inputs, output)`` instructions on the shared slots.
        batched_code: ``(prim, inputs, output)`` instructions on per-sample slots.
        outputs: the slot of each output of fn.
        single: whether fn returned one Value (rather than a list).
    """

    def __init__(
        self,
        n_inputs: int,
        linked: list[Value],
        constants: list[float],
        uniform_code: list[tuple[Primitive, tuple[int, ...], int]],
        batched_code: list[tuple[Primitive, tuple[int, ...], int]],
        outputs: list[int],
        single: bool,
    ) -> None:
        self.n_inputs = n_inputs
        self.linked = linked
        self.constants = constants
        self.uniform_code = uniform_code
        self.batched_code = batched_code
        self.outputs = outputs
        self.single = single
        self.uniform = len(linked) + len(constants) + len(uniform_code)
        self.size = self.uniform + n_inputs + len(batched_code)

    def name(self, slot: int) -> str:
        """How the listing names a slot.

        ``x0`` an input, ``p3`` a linked leaf, a constant by its number, ``u5`` a shared
        result, ``v7`` a per-sample result.
        """
        if slot >= self.uniform:
            k = slot - self.uniform
            return f"x{k}" if k < self.n_inputs else f"v{slot}"
        if slot < len(self.linked):
            return f"p{slot}"
        k = slot - len(self.linked)
        return f"{self.constants[k]!r}" if k < len(self.constants) else f"u{slot}"

    def listing(self) -> str:
        """The program as text, one instruction per line (for reading and teaching)."""
        lines = []
        for title, code in (
            ("shared (once per run)", self.uniform_code),
            ("per sample", self.batched_code),
        ):
            if code:
                lines.append(f"{title}:")
            for prim, ins, out in code:
                args = [self.name(i) for i in ins]
                if len(args) == 2 and prim.name in ("+", "-", "*", "/", "**"):
                    expression = f"{args[0]} {prim.name} {args[1]}"
                elif prim.name == "**":
                    expression = f"{args[0]} ** {prim.params['exponent']!r}"
                elif prim.name == "neg":
                    expression = f"-{args[0]}"
                else:
                    extra = "".join(f", {k}={v!r}" for k, v in prim.params.items())
                    expression = f"{prim.name}({args[0]}{extra})"
                lines.append(f"  {self.name(out)} = {expression}")
        lines.append("return " + ", ".join(self.name(k) for k in self.outputs))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Tape({self.n_inputs} inputs, {len(self.outputs)} outputs, {len(self.linked)} "
            f"linked, {len(self.constants)} constants, {len(self.uniform_code)} shared ops, "
            f"{len(self.batched_code)} per-sample ops)"
        )


def trace(
    fn: Callable[[list[Value]], Any],
    first: Sequence[float],
    second: Sequence[float],
    rows: tuple[int, int] = (0, 1),
) -> Tape:
    """Trace ``fn`` on two samples and flatten the graph into a :class:`Tape`.

    Args:
        fn: maps a list of input Values to a Value or a list of Values.
        first, second: the two samples to trace with (may be the same numbers).
        rows: their row numbers, for error messages.

    Returns:
        The tape.

    Raises:
        TracingError: if fn reads a traced number, builds different graphs for the two
            samples, runs ops under ``no_grad``, uses a Value computed before the call,
            or has an output that does not depend on the inputs.
        TypeError: if fn does not return Values.
    """
    inputs1, outputs1, single = _call(fn, first, rows[0])
    inputs2, outputs2, single2 = _call(fn, second, rows[1])
    if single != single2 or len(outputs1) != len(outputs2):
        raise TracingError(
            f"fn returned {len(outputs1)} and then {len(outputs2)} outputs on two samples"
        )
    try:
        order = _walk_pair(outputs1, outputs2)
    except _Mismatch as e:
        raise TracingError(
            f"fn built different graphs for two samples (rows {rows[0]} and {rows[1]}): {e}. "
            "The graph must not depend on the input numbers (nor on random numbers or "
            "other state that changes between calls). " + _READ_HINT
        ) from None
    return _flatten(order, inputs1, inputs2, outputs1, single, rows)


def _flatten(
    order: list[tuple[Value, Value]],
    inputs1: list[Tracer],
    inputs2: list[Tracer],
    outputs: list[Value],
    single: bool,
    rows: tuple[int, int],
) -> Tape:
    """Give every node of the traced graph a slot and every op an instruction."""
    input_of = {id(x): k for k, x in enumerate(inputs1)}
    input_of2 = {id(x): k for k, x in enumerate(inputs2)}
    # What each node is: ("input", k), ("linked", Value), ("constant", number), ("op", None)
    kind: dict[int, tuple[str, Any]] = {}
    batched: set[int] = set()
    for a, b in order:
        key = id(a)
        if key in input_of or id(b) in input_of2:
            k = input_of.get(key, -1)
            if k < 0 or b is not inputs2[k]:
                raise TracingError("fn used its inputs differently on two samples")
            kind[key] = ("input", k)
            batched.add(key)
        elif a is b:
            if a._a is not None:
                raise TracingError(
                    f"fn uses {a!r}, a Value computed before the call (by {a.op!r}). A "
                    "compiled function links leaves such as parameters, not results: "
                    "compute it inside fn (or detach() it, to use it as a leaf)"
                )
            kind[key] = ("linked", a)
        elif a._a is None:
            if not _same_number(a._data, b._data):
                raise TracingError(
                    f"fn made a constant that is {a._data!r} on one sample (row {rows[0]}) "
                    f"and {b._data!r} on another (row {rows[1]}); a number computed from the "
                    "inputs' data, or a random number, cannot be baked into the tape. " + _READ_HINT
                )
            kind[key] = ("constant", a._data)
        else:
            parents = a.parents
            if any(id(p) in batched for p in parents):
                batched.add(key)
                kind[key] = ("op", None)
            elif all(kind[id(p)][0] == "constant" for p in parents):
                kind[key] = ("constant", a._data)  # folded: its value is known now
            else:
                kind[key] = ("op", None)

    for k, out in enumerate(outputs):
        if id(out) not in batched:
            raise TracingError(
                f"fn's output {k} does not depend on the inputs; a compiled function "
                "returns one number per sample, so each output must depend on them"
            )

    # Slots: shared ones first (linked, constants, shared ops), then per-sample ones.
    ops = [a for a, _ in order if kind[id(a)][0] == "op"]
    uniform_ops = [a for a in ops if id(a) not in batched]
    batched_ops = [a for a in ops if id(a) in batched]
    used: set[int] = {id(p) for a in ops for p in a.parents}
    linked: list[Value] = []
    constants: list[float] = []
    slot: dict[int, int] = {}
    leaves = [a for a, _ in order if id(a) in used and kind[id(a)][0] in ("linked", "constant")]
    for a in leaves:
        if kind[id(a)][0] == "linked":
            slot[id(a)] = len(linked)
            linked.append(a)
    for a in leaves:
        if kind[id(a)][0] == "constant":
            slot[id(a)] = len(linked) + len(constants)
            constants.append(kind[id(a)][1])
    nu = len(linked) + len(constants) + len(uniform_ops)
    for i, a in enumerate(uniform_ops):
        slot[id(a)] = len(linked) + len(constants) + i
    for x in inputs1:
        slot[id(x)] = nu + input_of[id(x)]
    for i, a in enumerate(batched_ops):
        slot[id(a)] = nu + len(inputs1) + i

    def code(nodes: list[Value]) -> list[tuple[Primitive, tuple[int, ...], int]]:
        return [(a._prim, tuple(slot[id(p)] for p in a.parents), slot[id(a)]) for a in nodes]  # type: ignore[misc]

    return Tape(
        len(inputs1),
        linked,
        constants,
        code(uniform_ops),
        code(batched_ops),
        [slot[id(out)] for out in outputs],
        single,
    )


# --- fusing sums of products into matrix products -----------------------------------
# A neuron is b + w1*x1 + ... + wk*xk: 2k instructions, each one numpy call on n
# numbers. A layer is J such sums over the same inputs, which is one matrix product
# Z = W @ X + b. The pass below finds those sums in the tape and runs each group of
# them that reads the same inputs as one product, forward and backward.


class _Linear:
    """One sum found in the tape: out = Σ sign·coefficient·input + Σ sign·shared."""

    __slots__ = ("out", "terms", "bias", "absorbed")

    def __init__(self, out: int) -> None:
        self.out = out
        self.terms: list[tuple[int, int, float]] = []  # (coefficient slot, input slot, sign)
        self.bias: list[tuple[int, float]] = []  # (shared slot, sign)
        self.absorbed: list[int] = []  # the instructions' output slots it replaces


def _linear_sums(tape: Tape, one: int) -> list[_Linear]:
    """Every maximal tree of + and - over per-sample slots, as a :class:`_Linear`.

    An inner node of a tree is used once, by the tree. A leaf of the tree is a
    product ``shared * per-sample`` used once (a term with that coefficient), a shared
    slot (a bias), or any other per-sample slot (a term with coefficient 1, the slot
    ``one``).
    """
    nu = tape.uniform
    producer = {out: (prim, ins) for prim, ins, out in tape.batched_code}
    uses: dict[int, int] = {}
    consumer: dict[int, int] = {}
    for _, ins, out in tape.batched_code:
        for i in ins:
            uses[i] = uses.get(i, 0) + 1
            consumer[i] = out
    for k in tape.outputs:
        uses[k] = uses.get(k, 0) + 2  # an output is never absorbed

    def is_sum(slot: int) -> bool:
        p = producer.get(slot)
        return p is not None and p[0].name in ("+", "-") and not p[0].params

    def inner(slot: int) -> bool:
        return is_sum(slot) and uses[slot] == 1 and is_sum(consumer[slot])

    sums = []
    for *_, out in tape.batched_code:
        if not is_sum(out) or inner(out):
            continue
        linear = _Linear(out)
        stack = [(out, 1.0)]
        while stack:  # leaves come off left to right, so terms keep the tape's order
            slot, sign = stack.pop()
            if slot != out and not inner(slot):
                if slot < nu:
                    linear.bias.append((slot, sign))
                else:
                    coefficient, x = _coefficient(slot, producer, uses, nu, one)
                    linear.terms.append((coefficient, x, sign))
                    if coefficient != one:
                        linear.absorbed.append(slot)  # the product w * x
                continue
            linear.absorbed.append(slot)
            kind, (a, b) = producer[slot]
            stack.append((b, sign if kind.name == "+" else -sign))
            stack.append((a, sign))
        sums.append(linear)
    return sums


def _coefficient(
    slot: int, producer: dict[int, Any], uses: dict[int, int], nu: int, one: int
) -> tuple[int, int]:
    """(coefficient slot, input slot) of a term: ``w * x`` with w shared, else (one, slot)."""
    p = producer.get(slot)
    if p is not None and p[0].name == "*" and uses[slot] == 1:
        a, b = p[1]
        if a < nu <= b:
            return a, b
        if b < nu <= a:
            return b, a
    return one, slot


class _Dense:
    """A group of sums over the same inputs, run as ``Z = C @ X + bias``.

    ``C[j, k]`` is the coefficient of input k in sum j, gathered at each run from the
    vector of shared values (so it follows the parameters); ``X`` stacks the inputs,
    or is the array of the block that made them, when one did.
    """

    def __init__(self, sums: list[_Linear], shared: int, one: int, slots: list[Any]) -> None:
        self.inputs = [x for _, x, _ in sums[0].terms]
        self.outputs = [s.out for s in sums]
        self.shared = shared  # the slot of the shared-values vector
        self.array = _scratch(slots)  # Z, whose rows are the outputs
        self.saved = _scratch(slots)  # (C, X) for the backward pass
        self.source: int | None = None  # the array slot of a block whose rows are X
        self.coef = np.array([[c for c, _, _ in s.terms] for s in sums], dtype=np.intp)
        signs = np.array([[sign for _, _, sign in s.terms] for s in sums])
        self.signs = None if (signs == 1).all() else signs
        # The common case, one bias added to each sum (a neuron's b), takes a short cut.
        self.simple_bias = all(len(s.bias) == 1 and s.bias[0][1] == 1.0 for s in sums)
        width = max(len(s.bias) for s in sums)
        self.bias = np.array(  # padded with U[one] (1.0) times sign 0
            [[b for b, _ in s.bias] + [one] * (width - len(s.bias)) for s in sums],
            dtype=np.intp,
        )
        self.bias_signs = np.array(
            [[sign for _, sign in s.bias] + [0.0] * (width - len(s.bias)) for s in sums]
        )

    def forward(self, vals: list[Any]) -> None:
        U = vals[self.shared]
        C = U[self.coef] if self.signs is None else U[self.coef] * self.signs
        if self.source is None:
            X = np.stack([vals[k] for k in self.inputs])
        else:
            X = vals[self.source]
        Z = C @ X
        if self.simple_bias:
            Z += U[self.bias[:, 0]][:, None]
        elif self.bias.shape[1]:
            Z += (U[self.bias] * self.bias_signs).sum(axis=1)[:, None]
        vals[self.saved] = (C, X)
        vals[self.array] = Z
        for k, row in zip(self.outputs, Z, strict=True):
            vals[k] = row

    def backward(self, vals: list[Any], grads: list[Any], dU: Array) -> None:
        C, X = vals[self.saved]
        G = _gather(grads, self.outputs, X.shape[1])
        if G is None:
            return
        _scatter(grads, self.inputs, C.T @ G)
        dC = G @ X.T
        if self.signs is not None:
            dC *= self.signs
        dU += np.bincount(self.coef.ravel(), weights=dC.ravel(), minlength=len(dU))
        if self.bias.shape[1]:
            dB = G.sum(axis=1)[:, None] * self.bias_signs
            dU += np.bincount(self.bias.ravel(), weights=dB.ravel(), minlength=len(dU))


class _Map:
    """One unary primitive applied to every output of a block, as one numpy call.

    In a layer it is the activation: ``relu`` of all of Z at once.
    """

    def __init__(self, prim: Primitive, source: _Dense, outputs: list[int], slots: list[Any]):
        self.forward_array = batched(prim)
        self.local = prim.local
        self.source = source
        self.outputs = outputs
        self.array = _scratch(slots)

    def forward(self, vals: list[Any]) -> None:
        A = self.forward_array(vals[self.source.array])
        vals[self.array] = A
        for k, row in zip(self.outputs, A, strict=True):
            vals[k] = row

    def backward(self, vals: list[Any], grads: list[Any], dU: Array) -> None:
        Z, A = vals[self.source.array], vals[self.array]
        G = _gather(grads, self.outputs, Z.shape[1])
        if G is not None:
            (local,) = self.local(NUMPY_OPS, Z, A)
            _scatter(grads, self.source.outputs, local * G)


def _scratch(slots: list[Any]) -> int:
    """A new slot at the end of the slot list, for a block's own arrays."""
    slots.append(None)
    return len(slots) - 1


def _gather(grads: list[Any], slots: list[int], n: int) -> Array | None:
    """The gradients of ``slots`` stacked into one array (None if none has one)."""
    gs = [grads[k] for k in slots]
    if all(g is None for g in gs):
        return None
    zero = np.zeros(n)
    return np.stack([zero if g is None else g for g in gs])


def _scatter(grads: list[Any], slots: list[int], rows: Array) -> None:
    """Add row i of ``rows`` to the gradient of ``slots[i]``."""
    for k, row in zip(slots, rows, strict=True):
        old = grads[k]
        grads[k] = row if old is None else old + row


def _worth_fusing(sums: list[_Linear]) -> bool:
    """A matrix product costs a few numpy calls: fuse when it replaces clearly more."""
    replaced = sum(len(s.absorbed) for s in sums)
    return replaced >= 6 and replaced >= 3 * len(sums)


def _blocks(tape: Tape, one: int, shared: int, slots: list[Any]) -> tuple[dict[int, Any], set[int]]:
    """The fused blocks of a tape, and the instructions they replace.

    Returns:
        (block by the output slot of the instruction it stands in place of, the output
        slots of every instruction a block replaces).
    """
    groups: dict[tuple[int, ...], list[_Linear]] = {}
    for linear in _linear_sums(tape, one):
        groups.setdefault(tuple(x for _, x, _ in linear.terms), []).append(linear)
    at: dict[int, Any] = {}
    replaced: set[int] = set()
    made: dict[tuple[int, ...], int] = {}  # the rows of a block -> its array slot
    for sums in groups.values():
        if _worth_fusing(sums):
            dense = _Dense(sums, shared, one, slots)
            at[sums[0].out] = dense  # the group's first sum comes first in the tape
            replaced.update(k for linear in sums for k in linear.absorbed)
            made[tuple(dense.outputs)] = dense.array
    # An activation applied to each output of a block, and to nothing else, is a map.
    users: dict[int, list[tuple[Primitive, tuple[int, ...], int]]] = {}
    for instruction in tape.batched_code:
        for i in set(instruction[1]):
            users.setdefault(i, []).append(instruction)
    for dense in [block for block in at.values() if isinstance(block, _Dense)]:
        found = [users.get(k, []) for k in dense.outputs]
        if any(len(u) != 1 or len(u[0][1]) != 1 for u in found):
            continue
        prim = found[0][0][0]
        if any(not _same_primitive(u[0][0], prim) for u in found):
            continue
        outs = [u[0][2] for u in found]
        mapped = _Map(prim, dense, outs, slots)
        at[min(outs)] = mapped  # slots follow the tape's order: the first comes first
        replaced.update(outs)
        made[tuple(outs)] = mapped.array
    for block in at.values():
        if isinstance(block, _Dense):
            block.source = made.get(tuple(block.inputs))
    return at, replaced


# --- running a tape ---------------------------------------------------------------

# An instruction is a tuple (forward, backward, a, b, out, a_shared, b_shared):
#   b >= 0: vals[out] = forward(vals[a], vals[b]); backward is the primitive's local;
#   b == -1: vals[out] = forward(vals[a]);
#   b == -2: a fused block: forward(vals) and backward(vals, grads, dU).
_FUSED = -2


class _Program:
    """A tape made ready to run: functions pre-bound, one tuple per instruction.

    Args:
        tape: the traced program.
        fuse: run groups of sums of products as matrix products.
    """

    def __init__(self, tape: Tape, fuse: bool = True) -> None:
        self.tape = tape
        nu = tape.uniform
        self.one = nu  # in the shared-values vector U, after the shared slots: 1.0
        self.shared_slot = tape.size  # vals[shared_slot] is U, built at each run
        start = len(tape.linked)
        self.template: list[Any] = [None] * (tape.size + 1)
        self.template[start : start + len(tape.constants)] = tape.constants
        self.uniform = [
            (prim.forward, prim.local, ins[0], ins[1] if len(ins) > 1 else -1, out)
            for prim, ins, out in tape.uniform_code
        ]
        blocks, replaced = (
            _blocks(tape, self.one, self.shared_slot, self.template) if fuse else ({}, set())
        )
        self.blocks = list(blocks.values())
        self.code: list[tuple[Any, ...]] = []
        for prim, ins, out in tape.batched_code:
            if out in blocks:
                block = blocks[out]
                self.code.append((block.forward, block.backward, 0, _FUSED, out, False, False))
            elif out not in replaced:
                a, b = ins[0], ins[1] if len(ins) > 1 else -1
                self.code.append((batched(prim), prim.local, a, b, out, a < nu, 0 <= b < nu))

    def forward(self, X: Array) -> list[Any]:
        """Every slot's value for the batch X (shape (n, n_inputs), float64)."""
        tape = self.tape
        vals = list(self.template)
        vals[: len(tape.linked)] = [p._data for p in tape.linked]
        for f, _, a, b, k in self.uniform:
            vals[k] = f(vals[a]) if b < 0 else f(vals[a], vals[b])
        nu = tape.uniform
        if self.blocks:
            vals[self.shared_slot] = np.array([*vals[:nu], 1.0])
        vals[nu : nu + tape.n_inputs] = list(np.ascontiguousarray(X.T))
        with np.errstate(all="ignore"):
            for f, _, a, b, k, _, _ in self.code:
                if b >= 0:
                    vals[k] = f(vals[a], vals[b])
                elif b == -1:
                    vals[k] = f(vals[a])
                else:
                    f(vals)
        return vals

    def backward(self, vals: list[Any], seeds: dict[int, Array]) -> list[Any]:
        """Every slot's gradient, from ``seeds`` (slot -> d objective / d slot per sample).

        Per-sample slots get arrays; shared slots get the sum over the batch.
        """
        tape = self.tape
        nu = tape.uniform
        grads: list[Any] = [None] * tape.size
        for k, g in seeds.items():
            grads[k] = g
        dU = np.zeros(nu + 1)
        ops = NUMPY_OPS
        with np.errstate(all="ignore"):
            for _, local, a, b, k, a_shared, b_shared in reversed(self.code):
                if b == _FUSED:
                    local(vals, grads, dU)
                    continue
                g = grads[k]
                if g is None:
                    continue
                if b < 0:
                    (la,) = local(ops, vals[a], vals[k])
                    _accumulate(grads, a, la, g, a_shared)
                else:
                    la, lb = local(ops, vals[a], vals[b], vals[k])
                    _accumulate(grads, a, la, g, a_shared)
                    _accumulate(grads, b, lb, g, b_shared)
        if self.blocks:
            for i, d in enumerate(dU[:nu].tolist()):
                if d:
                    grads[i] = d if grads[i] is None else grads[i] + d
        for _, local, a, b, k in reversed(self.uniform):
            g = grads[k]
            if g is None:
                continue
            if b < 0:
                (la,) = local(FLOAT_OPS, vals[a], vals[k])
                grads[a] = la * g if grads[a] is None else grads[a] + la * g
            else:
                la, lb = local(FLOAT_OPS, vals[a], vals[b], vals[k])
                grads[a] = la * g if grads[a] is None else grads[a] + la * g
                grads[b] = lb * g if grads[b] is None else grads[b] + lb * g
        return grads


def _accumulate(grads: list[Any], slot: int, local: Any, g: Array, shared: bool) -> None:
    """grads[slot] += local * g, summed over the batch if the slot is shared."""
    if isinstance(local, np.ndarray) and local.ndim:  # one local derivative per sample
        term = np.dot(local, g) if shared else local * g
    else:  # one for all samples, such as the 1.0 of +
        total = g.sum() if shared else g
        term = total if local == 1.0 else -total if local == -1.0 else local * total
    old = grads[slot]
    grads[slot] = term if old is None else old + term


# --- the public face -------------------------------------------------------------


_REDUCTIONS = ("mean", "sum")


class CompiledFunction:
    """``fn`` compiled into a tape, run on a whole batch at once.

    Made by :func:`compile`. The first call traces ``fn`` (unless ``example`` was
    given), on the batch's first and last rows; later calls only replay the tape.

    Not thread-safe: one thread at a time may trace (tracing swaps the engine's node
    factory for the duration of the call).

    Attributes:
        fn: the traced function.
        n_inputs: the number of inputs, the columns of X.
        fuse: whether sums of products run as matrix products.
    """

    def __init__(self, fn: Callable[[list[Value]], Any], n_inputs: int, fuse: bool = True) -> None:
        self.fn = fn
        self.n_inputs = n_inputs
        self.fuse = fuse
        self._program: _Program | None = None

    # --- tracing ---

    def trace(self, X: Any) -> Tape:
        """Trace ``fn`` on the first and last rows of ``X`` (once; later calls keep it).

        Args:
            X: samples, shape (n, n_inputs) (or one sample, shape (n_inputs,)).

        Returns:
            The :class:`Tape`.
        """
        if self._program is None:
            A = self._check(X, allow_one=True)
            last = len(A) - 1
            tape = trace(self.fn, A[0].tolist(), A[last].tolist(), rows=(0, last))
            self._program = _Program(tape, self.fuse)
        return self._program.tape

    @property
    def tape(self) -> Tape:
        """The tape (fn must have been traced, by a call or by ``trace``)."""
        return self._ready().tape

    @property
    def parameters(self) -> list[Value]:
        """The linked leaves: the Values the tape reads at each run and gives gradients."""
        return list(self.tape.linked)

    def _ready(self) -> _Program:
        if self._program is None:
            raise RuntimeError("fn has not been traced yet: call the compiled function on data")
        return self._program

    def _check(self, X: Any, allow_one: bool = False) -> Array:
        try:
            A = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"X must be an array of numbers of shape (n, {self.n_inputs}), "
                f"got {type(X).__name__}"
            ) from None
        if allow_one and A.ndim == 1 and len(A) == self.n_inputs:
            A = A[None, :]
        if A.ndim != 2 or A.shape[1] != self.n_inputs:
            hint = " (for one sample use X.reshape(1, -1))" if A.ndim == 1 else ""
            raise ValueError(
                f"X must have shape (n, {self.n_inputs}): one row per sample, one column per "
                f"input; got shape {A.shape}{hint}"
            )
        if len(A) == 0:
            raise ValueError("X has no rows (an empty batch)")
        return A

    def _start(self, X: Any) -> tuple[_Program, Array]:
        A = self._check(X)
        self.trace(A)
        return self._ready(), A

    def _outputs(self, program: _Program, vals: list[Any]) -> Array:
        columns = [vals[k] for k in program.tape.outputs]
        if program.tape.single:
            return np.array(columns[0], dtype=np.float64)
        return np.stack(columns, axis=1)

    # --- running ---

    def __call__(self, X: Any) -> Array:
        """fn on every row of X.

        Args:
            X: shape (n, n_inputs).

        Returns:
            Shape (n,) if fn returns a Value, (n, k) if it returns a list of k Values.
        """
        program, A = self._start(X)
        return self._outputs(program, program.forward(A))

    def backward(self, X: Any, grad: Any) -> tuple[Array, Array]:
        """Run fn on X and the reverse pass from its outputs, for every sample at once.

        Like ``Value.backward(grad)`` on each sample's outputs: adds
        ``Σ_i grad[i] · d outputs[i] / d p`` into ``p.grad`` for every linked leaf p.

        Args:
            X: shape (n, n_inputs).
            grad: the seed of each output of each sample, shaped like the outputs
                ((n,) or (n, k)).

        Returns:
            ``(outputs, input_grads)``: fn's outputs, and d Σ grad·outputs / d X,
            shape (n, n_inputs).
        """
        program, A = self._start(X)
        n = len(A)
        tape = program.tape
        shape = (n,) if tape.single else (n, len(tape.outputs))
        G = np.asarray(grad, dtype=np.float64)
        if G.shape != shape:
            raise ValueError(f"grad must be shaped like the outputs, {shape}; got {G.shape}")
        columns = [G] if tape.single else list(np.ascontiguousarray(G.T))
        return self._run_backward(program, A, columns)

    def value_and_grad(
        self, X: Any, reduction: str = "mean", output: int | None = None
    ) -> tuple[float, Array]:
        """The batch's loss and its gradient: the per-sample outputs reduced to one number.

        Adds d loss / d p into ``p.grad`` for every linked leaf p (gradients accumulate,
        as with ``backward``; zero them first, e.g. with the optimizer's ``zero_grad``).

        Args:
            X: shape (n, n_inputs); with targets as extra inputs, fn can be a loss.
            reduction: ``"mean"`` or ``"sum"`` of the output over the batch.
            output: which output is the loss, when fn returns a list of several.

        Returns:
            ``(loss, outputs)``: the reduced loss, and all outputs of every sample.
        """
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        program, A = self._start(X)
        n, outs = len(A), len(program.tape.outputs)
        if output is None:
            if outs > 1:
                raise ValueError(
                    f"fn has {outs} outputs; say which one is the loss with output=..."
                )
            output = 0
        if not 0 <= output < outs:
            raise ValueError(f"output must be in [0, {outs}), got {output}")
        weight = 1.0 / n if reduction == "mean" else 1.0
        columns = [np.zeros(n) for _ in range(outs)]
        columns[output] = np.full(n, weight)
        outputs, _ = self._run_backward(program, A, columns)
        column = outputs if program.tape.single else outputs[:, output]
        total = float(np.sum(column))
        return (total / n if reduction == "mean" else total), outputs

    def _run_backward(
        self, program: _Program, A: Array, columns: list[Array]
    ) -> tuple[Array, Array]:
        tape = program.tape
        vals = program.forward(A)
        seeds: dict[int, Array] = {}
        for k, g in zip(tape.outputs, columns, strict=True):
            seeds[k] = g if k not in seeds else seeds[k] + g
        grads = program.backward(vals, seeds)
        for p, g in zip(tape.linked, grads, strict=False):
            if g is not None:
                p.grad += float(g)
        nu = tape.uniform
        zero = np.zeros(len(A))
        dX = np.stack([zero if g is None else g for g in grads[nu : nu + tape.n_inputs]], axis=1)
        return self._outputs(program, vals), dX

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", type(self.fn).__name__)
        state = repr(self._program.tape) if self._program else "not traced yet"
        return f"CompiledFunction({name}, n_inputs={self.n_inputs}: {state})"


def compile(
    fn: Callable[[list[Value]], Any], n_inputs: int, example: Any = None, fuse: bool = True
) -> CompiledFunction:
    """Compile ``fn`` into a tape that runs on a whole batch of samples at once.

    Args:
        fn: maps a list of ``n_inputs`` Values to a Value or a list of Values, e.g. a
            model (``nn.MLP`` is such a function) or a per-sample loss.
        n_inputs: how many inputs fn takes (the columns of X).
        example: samples to trace with now, shape (m, n_inputs); by default fn is
            traced at the first call, on that batch's first and last rows.
        fuse: run sums of products (neurons, layers) as matrix products; False keeps
            one numpy call per op of the graph (results equal to the scalar engine's
            to the last bits more often, and easier to follow).

    Returns:
        A :class:`CompiledFunction`.

    Raises:
        TracingError: see the module notes.
    """
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
        raise ValueError(f"n_inputs must be a positive int, got {n_inputs!r}")
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    compiled = CompiledFunction(fn, n_inputs, fuse)
    if example is not None:
        compiled.trace(example)
    return compiled


# --- a training step for train.fit -------------------------------------------------

_SUMMED_LOSSES = ("sse",)  # the named losses of train that add up samples (others average)


class CompiledStep:
    """A drop-in for ``train.train_step`` that runs each batch through compiled tapes.

    ``fit`` takes each gradient step as ``step(model, goal, optimizer, xb, yb, l2)``:
    forward, loss, zero_grad, backward, update. This object takes the same step,
    with the same arguments and result, but the forward and backward passes of the
    batch are tapes replayed with numpy.

    The per-sample loss ``goal.loss([model(x)], [label])`` is traced once per class
    label, with the label a constant: a loss may branch on the label (hinge does),
    not on the model's outputs. Each tape also returns the model's outputs, which
    count the correct predictions. The L2 penalty is added in closed form.

    Args:
        reduction: how ``goal.loss`` combines the samples of a batch, ``"mean"`` or
            ``"sum"``; None knows train's named losses (``sse`` sums, the others
            average) and asks for it with any other loss.

    Raises (when called):
        TracingError: if the loss or the model cannot be traced (e.g. train's ``bce``
            and ``cross_entropy`` read their logits' numbers); run the step uncompiled.
    """

    def __init__(self, reduction: str | None = None) -> None:
        if reduction is not None and reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be 'mean', 'sum' or None, got {reduction!r}")
        self.reduction = reduction
        self._owner: tuple[Any, ...] | None = None
        self._tapes: dict[int, CompiledFunction] = {}
        self._params: list[Value] = []

    def __call__(
        self,
        model: Any,
        goal: Any,
        optimizer: Any,
        xb: Any,
        yb: Any,
        l2: float = 0.0,
    ) -> tuple[float, int]:
        """One gradient step on one batch; returns ``(loss, correct)`` as ``train_step``."""
        X = np.asarray(xb, dtype=np.float64)
        labels = np.asarray(yb)
        if X.ndim != 2 or len(X) != len(labels) or len(X) == 0:
            raise ValueError(f"a batch needs rows of inputs and one label each, got {X.shape}")
        reduction = self._reduction(goal)
        weight = 1.0 / len(X) if reduction == "mean" else 1.0
        owner = (model, goal, X.shape[1])
        if self._owner is None or any(a is not b for a, b in zip(owner, self._owner, strict=True)):
            self._owner, self._tapes = owner, {}
            self._params = model.parameters()  # for the L2 penalty, as train_step's
        optimizer.zero_grad()
        total, correct = 0.0, 0
        for label in np.unique(labels).tolist():
            rows = np.flatnonzero(labels == label)
            compiled = self._tape(model, goal, int(label), X.shape[1])
            outputs = self._run(compiled, X[rows], weight, rows)
            total += weight * float(np.sum(outputs[:, 0]))
            correct += self._correct(outputs[:, 1:], int(label), goal.threshold)
        if l2:
            params = self._params
            w = np.array([p.data for p in params])
            total += l2 * float(np.dot(w, w))
            for p, g in zip(params, (2 * l2 * w).tolist(), strict=True):
                p.grad += g
        optimizer.step()
        return total, correct

    def _reduction(self, goal: Any) -> str:
        if self.reduction is not None:
            return self.reduction
        name = getattr(goal, "name", None)
        if name in _SUMMED_LOSSES:
            return "sum"
        if name in ("hinge", "bce", "mse", "cross_entropy"):
            return "mean"
        raise ValueError(
            f"CompiledStep does not know whether the loss {name!r} averages or sums its "
            "samples; pass reduction='mean' or 'sum'"
        )

    def _tape(self, model: Any, goal: Any, label: int, n_inputs: int) -> CompiledFunction:
        if label not in self._tapes:

            def loss_and_outputs(x: list[Value]) -> list[Value]:
                out = model(x)
                outs = out if isinstance(out, list) else [out]
                return [goal.loss([out], [label]), *outs]

            loss_and_outputs.__name__ = f"loss_for_label_{label}"
            self._tapes[label] = CompiledFunction(loss_and_outputs, n_inputs)
        return self._tapes[label]

    @staticmethod
    def _run(compiled: CompiledFunction, X: Array, weight: float, rows: Array) -> Array:
        try:
            compiled.trace(X)
            seed = np.zeros((len(X), len(compiled.tape.outputs)))
            seed[:, 0] = weight
            outputs, _ = compiled.backward(X, seed)
        except RowError as e:  # name the row in the batch's numbering
            raise row_error(e, int(rows[e.row]), " of the batch") from None
        return outputs

    @staticmethod
    def _correct(scores: Array, label: int, threshold: float) -> int:
        if scores.shape[1] == 1:
            predicted = (scores[:, 0] > threshold).astype(np.int64)
        else:
            predicted = np.argmax(scores, axis=1)  # the first of equal maxima, as train's
        return int(np.sum(predicted == label))
