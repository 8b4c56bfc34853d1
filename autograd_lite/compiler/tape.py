"""The tape: a traced function as a flat program over numbered slots.

``fn`` is traced twice, on two samples (:func:`build_tape`). The two graphs are walked
side by side (:func:`pair_graphs`): they must match op for op, or the graph depends on
the numbers and no single tape can replay it. Then every node gets a slot and every op
an :class:`Instruction` (:func:`flatten`).

Which leaves are parameters. A leaf that is the *same object* in both traces lives
outside ``fn`` (a weight of a model that ``fn`` calls) and stays *linked*: its current
``.data`` is read at every run, and its gradient is added into its ``.grad``. A leaf
made anew by each call (a ``Value(0.5)`` made inside ``fn``), and a number folded into
an op (the 2 of ``x * 2``), is a *constant*, baked into the tape; it must be the same
number in both traces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from ..engine import Value
from ..primitives import Primitive, WithNumber
from .tracer import READ_HINT, Tracer, TracingError, trace_call

__all__ = ["Instruction", "Tape", "build_tape"]


class Instruction(NamedTuple):
    """``slot[output] = primitive(slot[inputs[0]], ...)``: one or two inputs, or for ``dot``
    and ``sum`` any number."""

    primitive: Primitive
    inputs: tuple[int, ...]
    output: int


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
        uniform_code: instructions on the shared slots.
        batched_code: instructions on per-sample slots.
        outputs: the slot of each output of fn.
        single: whether fn returned one Value (rather than a list).
    """

    def __init__(
        self,
        n_inputs: int,
        linked: list[Value],
        constants: list[float],
        uniform_code: list[Instruction],
        batched_code: list[Instruction],
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
                if prim.name == "dot":  # w1·x1 + w2·x2 (+ b): weights, inputs, then a bias
                    n = len(args) // 2
                    terms = [f"{w}·{x}" for w, x in zip(args[:n], args[n : 2 * n], strict=True)]
                    expression = " + ".join(terms + args[2 * n :])
                elif prim.name == "sum":
                    expression = "sum(" + ", ".join(args) + ")"
                elif len(args) == 2:
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

    def restricted(self, keep: Sequence[int]) -> Tape:
        """The tape of the outputs ``keep`` (their indices) alone: the instructions they
        need, in the same order, their slots numbered again.

        The linked leaves, the constants and the inputs keep their slots, needed or
        not, so the cut tape runs on the same X and the same parameters (a leaf no
        kept output reads gets a gradient of 0).
        """
        outputs = [self.outputs[k] for k in keep]
        needed = bytearray(self.size)
        for out in outputs:
            needed[out] = 1
        code = []
        for instruction in reversed(self.uniform_code + self.batched_code):
            if needed[instruction.output]:
                code.append(instruction)
                for i in instruction.inputs:
                    needed[i] = 1
        code.reverse()
        uniform_code = [ins for ins in code if ins.output < self.uniform]
        batched_code = [ins for ins in code if ins.output >= self.uniform]
        slot = list(range(self.size))
        shared = len(self.linked) + len(self.constants)
        for k, (_, _, out) in enumerate(uniform_code):
            slot[out] = shared + k
        first_input = shared + len(uniform_code)
        for k in range(self.n_inputs):
            slot[self.uniform + k] = first_input + k
        for k, (_, _, out) in enumerate(batched_code):
            slot[out] = first_input + self.n_inputs + k

        def renumbered(instructions: list[Instruction]) -> list[Instruction]:
            return [
                Instruction(prim, tuple(slot[i] for i in inputs), slot[out])
                for prim, inputs, out in instructions
            ]

        return Tape(
            self.n_inputs,
            self.linked,
            self.constants,
            renumbered(uniform_code),
            renumbered(batched_code),
            [slot[out] for out in outputs],
            self.single and len(outputs) == 1,
        )

    def __repr__(self) -> str:
        return (
            f"Tape({self.n_inputs} inputs, {len(self.outputs)} outputs, {len(self.linked)} "
            f"linked, {len(self.constants)} constants, {len(self.uniform_code)} shared ops, "
            f"{len(self.batched_code)} per-sample ops)"
        )


def build_tape(
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
    inputs1, outputs1, single = trace_call(fn, first, rows[0])
    inputs2, outputs2, single2 = trace_call(fn, second, rows[1])
    if single != single2 or len(outputs1) != len(outputs2):
        raise TracingError(
            f"fn returned {len(outputs1)} and then {len(outputs2)} outputs on two samples"
        )
    try:
        order = pair_graphs(outputs1, outputs2)
    except _Mismatch as e:
        raise TracingError(
            f"fn built different graphs for two samples (rows {rows[0]} and {rows[1]}): {e}. "
            "The graph must not depend on the input numbers (nor on random numbers or "
            "other state that changes between calls). " + READ_HINT
        ) from None
    return flatten(order, inputs1, inputs2, outputs1, single, rows)


# --- two traces side by side ----------------------------------------------------------


class _Mismatch(Exception):
    """The two traces differ (a message for TracingError)."""


def _same_number(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


def same_primitive(p: Any, q: Any) -> bool:
    """Whether two primitives (or WithNumber ops) compute the same thing."""
    return p is q or (
        type(p) is type(q)
        and p.identity is None
        and p.name == q.name
        and p.params == q.params
        and getattr(p, "number_first", None) == getattr(q, "number_first", None)
    )


def pair_graphs(first: list[Value], second: list[Value]) -> list[tuple[Value, Value]]:
    """The two traced graphs side by side, node by node, in topological order.

    Raises:
        _Mismatch: where they differ in shape (not in linked or constant numbers).
    """
    order: list[tuple[Value, Value]] = []
    partner: dict[int, Value] = {}  # id(node of the first graph) -> node of the second
    seen_second: dict[int, Value] = {}
    expanded: set[int] = set()
    stack = list(zip(reversed(first), reversed(second), strict=True))
    while stack:
        a, b = stack[-1]
        key = id(a)
        if key in partner:
            if partner[key] is not b:
                raise _Mismatch("a node used twice in one graph is two nodes in the other")
            stack.pop()
            continue
        pa, pb = a.parents, b.parents
        if pa and a is not b and key not in expanded:
            if len(pa) != len(pb) or not same_primitive(a.primitive, b.primitive):
                raise _Mismatch(f"an op {a.op!r} is {b.op or 'a leaf'!r} in the other graph")
            expanded.add(key)
            stack.extend((x, y) for x, y in zip(reversed(pa), reversed(pb), strict=True))
            continue
        if not pa and a is not b and pb:
            raise _Mismatch(f"a leaf is an op {b.op!r} in the other graph")
        if id(b) in seen_second and seen_second[id(b)] is not a:
            raise _Mismatch("a node used twice in one graph is two nodes in the other")
        partner[key] = b
        seen_second[id(b)] = a
        order.append((a, b))
        stack.pop()
    return order


# --- from a pair of graphs to a tape ----------------------------------------------------


def _differs(a: float, b: float, rows: tuple[int, int]) -> TracingError:
    return TracingError(
        f"fn made a constant that is {a!r} on one sample (row {rows[0]}) and {b!r} on "
        f"another (row {rows[1]}); a number computed from the inputs' data, or a random "
        "number, cannot be baked into the tape. " + READ_HINT
    )


def flatten(
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
    # What each node is: "input", "linked", "constant" (with its number) or "op".
    kind: dict[int, str] = {}
    number: dict[int, float] = {}
    batched: set[int] = set()
    for a, b in order:
        key = id(a)
        parents = a.parents
        if key in input_of or id(b) in input_of2:
            k = input_of.get(key, -1)
            if k < 0 or b is not inputs2[k]:
                raise TracingError("fn used its inputs differently on two samples")
            kind[key] = "input"
            batched.add(key)
        elif a is b:
            if parents:
                raise TracingError(
                    f"fn uses {a!r}, a Value computed before the call (by {a.op!r}). A "
                    "compiled function links leaves such as parameters, not results: "
                    "compute it inside fn (or detach() it, to use it as a leaf)"
                )
            kind[key] = "linked"
        elif not parents:
            if not _same_number(a._data, b._data):
                raise _differs(a._data, b._data, rows)
            kind[key], number[key] = "constant", a._data
        else:
            if isinstance(a.primitive, WithNumber):
                n1, n2 = a.number, b.number
                if not _same_number(n1, n2):  # type: ignore[arg-type]
                    raise _differs(n1, n2, rows)  # type: ignore[arg-type]
            if any(id(p) in batched for p in parents):
                batched.add(key)
                kind[key] = "op"
            elif all(kind[id(p)] == "constant" for p in parents):
                kind[key], number[key] = "constant", a._data  # folded: its value is known now
            else:
                kind[key] = "op"

    for k, out in enumerate(outputs):
        if id(out) not in batched:
            raise TracingError(
                f"fn's output {k} does not depend on the inputs; a compiled function "
                "returns one number per sample, so each output must depend on them"
            )

    # Slots: shared ones first (linked, constants, shared ops), then per-sample ones.
    ops = [a for a, _ in order if kind[id(a)] == "op"]
    uniform_ops = [a for a in ops if id(a) not in batched]
    batched_ops = [a for a in ops if id(a) in batched]
    used = {id(p) for a in ops for p in a.parents}
    linked = [a for a, _ in order if id(a) in used and kind[id(a)] == "linked"]
    slot: dict[int, int] = {id(a): i for i, a in enumerate(linked)}
    constants: list[float] = []
    constant_slot: dict[str, int] = {}  # one slot per distinct number (by repr: -0.0, nan)

    def constant(x: float) -> int:
        key = repr(x)
        if key not in constant_slot:
            constant_slot[key] = len(linked) + len(constants)
            constants.append(x)
        return constant_slot[key]

    for a, _ in order:
        if id(a) in used and kind[id(a)] == "constant":
            slot[id(a)] = constant(number[id(a)])
    for a in ops:
        if isinstance(a.primitive, WithNumber):
            constant(a.number)  # type: ignore[arg-type]
    shared = len(linked) + len(constants)
    for i, a in enumerate(uniform_ops):
        slot[id(a)] = shared + i
    nu = shared + len(uniform_ops)
    for x in inputs1:
        slot[id(x)] = nu + input_of[id(x)]
    for i, a in enumerate(batched_ops):
        slot[id(a)] = nu + len(inputs1) + i

    def instruction(a: Value) -> Instruction:
        prim = a.primitive
        if getattr(prim, "array", True) is None:  # a learner's op made without array=
            raise TypeError(
                f"compile: the op {a.op!r} has no forward on arrays; make it with "
                f"ag.primitive({a.op!r}, forward, local, array=lambda np, *xs: ...) to "
                "compile it"
            )
        if isinstance(prim, WithNumber):  # the number takes its slot among the operands
            x, n = slot[id(a.parents[0])], constant_slot[repr(a.number)]
            return Instruction(prim.binary, prim.operands(x, n), slot[id(a)])
        return Instruction(prim, tuple(slot[id(p)] for p in a.parents), slot[id(a)])  # type: ignore[arg-type]

    return Tape(
        len(inputs1),
        linked,
        constants,
        [instruction(a) for a in uniform_ops],
        [instruction(a) for a in batched_ops],
        [slot[id(out)] for out in outputs],
        single,
    )
