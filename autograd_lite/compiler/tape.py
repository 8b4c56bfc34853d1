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

from collections.abc import Callable, Iterator, Sequence
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

    One depth-first walk over both graphs at once, from each output in turn, that visits
    a node's parents in their order and places the node once they are placed.

    Raises:
        _Mismatch: where they differ in shape (not in linked or constant numbers).
    """
    order: list[tuple[Value, Value]] = []
    emit = order.append
    # Speed trick: dicts keyed by the nodes, not by id(node) (a Value hashes by identity);
    # measured 0.35 s -> 0.23 s for pair_graphs on the GPT of n_embd 64.
    partner: dict[Value, Value] = {}  # node of the first graph -> node of the second
    claimed: dict[Value, Value] = {}  # node of the second graph -> node of the first
    partner_of, claimed_by = partner.get, claimed.get

    def place(x: Value, y: Value) -> None:
        """Pair x with y: each node once, from the two places below that place one."""
        seen = claimed_by(y)
        if seen is not None and seen is not x:
            raise _Mismatch(_TWICE)
        partner[x] = y
        claimed[y] = x
        emit((x, y))

    # Speed trick: a stack frame is an op pair with an iterator over its parent pairs, so
    # a parent placed already (most are: weights, activations used again) is looked up
    # and never pushed; measured 0.65 s -> 0.35 s for pair_graphs at n_embd 64.
    roots = list(zip(first, second, strict=True))
    stack: list[tuple[Any, Any, Iterator[tuple[Value, Value]]]] = [(None, None, iter(roots))]
    while stack:
        a, b, pairs = stack[-1]
        for x, y in pairs:
            done = partner_of(x)
            if done is not None:
                if done is not y:
                    raise _Mismatch(_TWICE)
                continue
            if x is not y:
                if x._parent1 is not None:  # an op of this call: its parents first
                    px, py = x.parents, y.parents
                    if len(px) != len(py) or not same_primitive(x._prim, y._prim):
                        what = y.op or "a leaf"
                        raise _Mismatch(f"an op {x.op!r} is {what!r} in the other graph")
                    # Speed trick: an op whose parents are all placed with their partners
                    # is placed at once, tested in C; measured 0.23 s -> 0.17 s at n_embd 64.
                    if tuple(map(partner_of, px)) != py:  # some are not placed yet
                        stack.append((x, y, zip(px, py, strict=True)))
                        break
                elif y._parent1 is not None:
                    raise _Mismatch(f"a leaf is an op {y.op!r} in the other graph")
            # a leaf, or a node made before the call (flatten refuses an op of those)
            place(x, y)
        else:  # every parent of a is placed: now a
            stack.pop()
            if a is not None:
                place(a, b)
    return order


_TWICE = "a node used twice in one graph is two nodes in the other"


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
    """Give every node of the traced graph a slot and every op an instruction.

    Each node of ``order`` is one of: an input; a linked leaf; a constant (a leaf made
    anew by each call, or an op on constants alone, folded to its number); a shared op
    (on linked leaves and constants alone); a per-sample op (on something that depends
    on the inputs).
    """
    input_of: dict[Value, int] = {x: k for k, x in enumerate(inputs1)}
    input_of2: dict[Value, int] = {x: k for k, x in enumerate(inputs2)}
    linked: list[Value] = []
    number: dict[Value, float] = {}  # each constant node (leaf or folded op) -> its number
    uniform_ops: list[Value] = []
    batched_ops: list[Value] = []
    batched: set[Value] = set()  # the inputs and the per-sample ops
    numbers: list[float] = []  # the numbers of the WithNumber ops, in order
    for a, b in order:
        if a in input_of or b in input_of2:
            k = input_of.get(a, -1)
            if k < 0 or b is not inputs2[k]:
                raise TracingError("fn used its inputs differently on two samples")
            batched.add(a)
        elif a is b:
            if a._parent1 is not None:
                raise TracingError(
                    f"fn uses {a!r}, a Value computed before the call (by {a.op!r}). A "
                    "compiled function links leaves such as parameters, not results: "
                    "compute it inside fn (or detach() it, to use it as a leaf)"
                )
            linked.append(a)  # an op uses it (else it is an output, refused below)
        elif a._parent1 is None:
            if not _same_number(a._data, b._data):
                raise _differs(a._data, b._data, rows)
            number[a] = a._data
        else:
            with_number = isinstance(a._prim, WithNumber)
            if with_number:
                n1, n2 = a._local2, b._local2
                if not _same_number(n1, n2):
                    raise _differs(n1, n2, rows)
            parents = a.parents
            if not batched.isdisjoint(parents):  # (a set method: the loop over them in C)
                batched.add(a)
                batched_ops.append(a)
            elif all(map(number.__contains__, parents)):
                number[a] = a._data  # folded: its value is known now
                continue
            else:
                uniform_ops.append(a)
            if with_number:
                numbers.append(a._local2)

    for k, out in enumerate(outputs):
        if out not in batched:
            raise TracingError(
                f"fn's output {k} does not depend on the inputs; a compiled function "
                "returns one number per sample, so each output must depend on them"
            )
    ops = uniform_ops + batched_ops
    for a in ops:
        if getattr(a._prim, "array", True) is None:  # a learner's op made without array=
            raise TypeError(
                f"compile: the op {a.op!r} has no forward on arrays; make it with "
                f"ag.primitive({a.op!r}, forward, local, array=lambda np, *xs: ...) to "
                "compile it"
            )

    # Slots: shared ones first (linked, constants, shared ops), then per-sample ones.
    slot: dict[Value, int] = dict(zip(linked, range(len(linked)), strict=True))
    constants: list[float] = []
    constant_slot: dict[str, int] = {}  # one slot per distinct number (by repr: -0.0, nan)

    def constant(x: float) -> int:
        key = repr(x)
        if key not in constant_slot:
            constant_slot[key] = len(linked) + len(constants)
            constants.append(x)
        return constant_slot[key]

    if number:  # the constants that ops use (not those only folded into others), in order
        used: set[Value] = set()
        for a in ops:
            used.update(a.parents)
        for a, x in number.items():
            if a in used:
                slot[a] = constant(x)
    for x in numbers:
        constant(x)
    shared = len(linked) + len(constants)
    nu = shared + len(uniform_ops)
    first_batched = nu + len(inputs1)
    end = first_batched + len(batched_ops)
    slot.update(zip(uniform_ops, range(shared, nu), strict=True))
    slot.update(zip(inputs1, range(nu, first_batched), strict=True))
    slot.update(zip(batched_ops, range(first_batched, end), strict=True))

    # Speed trick: the tests over a node's parents (isdisjoint, all and map above) and
    # their slots here (map) run in C, not as generator expressions over the parents;
    # measured 0.27 s -> 0.155 s for flatten at n_embd 64.
    slot_of = slot.__getitem__
    code = []
    for a in ops:
        prim = a._prim
        if isinstance(prim, WithNumber):  # the number takes its slot among the operands
            operands = prim.operands(slot_of(a.parents[0]), constant_slot[repr(a._local2)])
            code.append(Instruction(prim.binary, operands, slot_of(a)))
        else:
            code.append(Instruction(prim, tuple(map(slot_of, a.parents)), slot_of(a)))  # type: ignore[arg-type]
    return Tape(
        len(inputs1),
        linked,
        constants,
        code[: len(uniform_ops)],
        code[len(uniform_ops) :],
        [slot_of(out) for out in outputs],
        single,
    )
