"""Forward mode: tangents that flow from the inputs to the outputs.

Reverse mode (``backward``) answers "how does the output move when each input moves?"
for all inputs at once, by sending one number, the adjoint, back from the output. Forward
mode asks the transposed question, "how does every node move when the inputs move in
one chosen direction?", and sends one number per node the other way: the *tangent*,
written with a dot. A node ``n`` made from parents ``p`` gets

    ṅ = Σ ∂n/∂p · ṗ

where ∂n/∂p are the very local derivatives that the op recorded for the reverse pass
(one row of the table in ``autograd_lite/primitives.py``). Reverse mode sums the same
products over a node's *children*; forward mode sums them over its *parents*.

A worked example: ``f(x, y) = x * y + sin(x)`` at ``x = 2, y = 3``, moving x alone
(``ẋ = 1, ẏ = 0``)::

    n1 = x * y      = 6           ṅ1 = ∂n1/∂x · ẋ + ∂n1/∂y · ẏ = 3 · 1 + 2 · 0   = 3
    n2 = sin(x)     = 0.909...    ṅ2 = ∂n2/∂x · ẋ              = cos(2) · 1      = -0.416...
    f  = n1 + n2    = 6.909...    ḟ  = 1 · ṅ1 + 1 · ṅ2                           = 2.583...

so ∂f/∂x = y + cos(x) = 2.583..., in one pass from the inputs to the output. Moving
y instead would need a second pass: forward mode costs one pass per input, reverse mode
one pass per output, which is why training (one loss, many weights) runs in reverse.

This module carries tangents two ways, both driven by the same table:

* :class:`Dual`, a dual number ``value + tangent·ε`` (with ε² = 0): each operation
  computes its value and its tangent at once, and no graph is kept;
* :func:`jvp` and :func:`explain_forward`, which record the graph of ``fn`` with Values
  and then sweep it once from the inputs to the outputs (:func:`push_forward`).

A tangent of exactly 0 adds nothing (as a plain number adds nothing), even where a local
derivative is infinite: ``Dual(0.0).sqrt()`` has tangent 0, not 0 · inf = nan.
"""

from __future__ import annotations

import numbers
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from . import primitives as P
from .arguments import Number, call, input_leaves, point_of, same_length
from .engine import PlainNumber, Value, topological_order
from .explain import html_table, number_text
from .primitives import FLOAT_OPS, Primitive, WithNumber
from .support.checks import real_number, real_numbers

DualOperand: TypeAlias = "Dual | int | float"


# --- dual numbers ------------------------------------------------------------------


def apply_primitive(prim: Primitive, *operands: Dual) -> Dual:
    """One primitive on dual numbers: the value by its forward, the tangent by its row."""
    values = [d.value for d in operands]
    out = prim.forward(*values)
    locals_ = prim.local(FLOAT_OPS, *values, out)
    tangent = 0.0
    for local, d in zip(locals_, operands, strict=True):
        if d.tangent != 0.0:
            tangent += local * d.tangent
    return Dual(out, tangent)


def _with_number(op: WithNumber, d: Dual, number: float) -> Dual:
    """``d op number`` (or ``number op d``): the number has no tangent of its own."""
    out = op.binary.forward(*op.operands(d.value, number))
    if d.tangent == 0.0:
        return Dual(out)
    (local,) = op.local(FLOAT_OPS, d.value, number, out)
    return Dual(out, local * d.tangent)


def _number(x: object) -> float | None:
    """``x`` as a float if it is a plain real number (not a Dual), else None."""
    return float(x) if isinstance(x, numbers.Real) else None


def _binary(prim: Primitive, a: Dual, other: object) -> Dual:
    """``a prim other`` for a Dual or a number ``other`` (NotImplemented otherwise)."""
    if isinstance(other, Dual):
        return apply_primitive(prim, a, other)
    number = _number(other)
    if number is None:
        return NotImplemented
    return _with_number(P.NUMBER_SECOND[prim], a, number)


def _reflected(prim: Primitive, other: object, a: Dual) -> Dual:
    """``other prim a`` for a number ``other`` (``2 - d``)."""
    number = _number(other)
    if number is None:
        return NotImplemented
    return _with_number(P.NUMBER_FIRST[prim], a, number)


class Dual(PlainNumber):
    """A dual number ``value + tangent·ε`` with ε² = 0: a value and its rate of change.

    Plug ``Dual(x, 1.0)`` into a function and the result carries ``f(x)`` and ``f'(x)``:
    the algebra of ε is the chain rule, ``f(a + ȧε) = f(a) + f'(a)·ȧ·ε``. Each operation
    takes its forward and its local derivatives from the same table rows as
    :class:`~autograd_lite.Value`, so a Dual and a backward pass always agree.

    Args:
        value: a real number (int, float, bool or numpy real scalar).
        tangent: the derivative of ``value`` along the chosen direction; 0.0 makes the
            Dual act as a plain number.

    Example:
        >>> x = Dual(2.0, 1.0)              # x = 2, moving at rate 1
        >>> y = x * x + x.sin()             # y = x² + sin x
        >>> y.value, y.tangent              # 4 + sin 2, and y' = 2x + cos 2
        (4.909297426825682, 3.5838531634528574)
        >>> (1 / Dual(4.0, 1.0)).tangent    # numbers on either side: -1/x²
        -0.0625
    """

    __slots__ = ("value", "tangent")
    __array_ufunc__ = None  # numpy scalars defer to our reflected operators, as for Value

    value: float
    tangent: float

    def __init__(self, value: Number, tangent: Number = 0.0) -> None:
        self.value = real_number(value, "Dual", "value")
        self.tangent = real_number(tangent, "Dual", "tangent")

    # --- arithmetic -------------------------------------------------------

    def __add__(self, other: DualOperand) -> Dual:
        return _binary(P.ADD, self, other)

    def __radd__(self, other: DualOperand) -> Dual:
        return _reflected(P.ADD, other, self)

    def __sub__(self, other: DualOperand) -> Dual:
        return _binary(P.SUB, self, other)

    def __rsub__(self, other: DualOperand) -> Dual:
        return _reflected(P.SUB, other, self)

    def __mul__(self, other: DualOperand) -> Dual:
        return _binary(P.MUL, self, other)

    def __rmul__(self, other: DualOperand) -> Dual:
        return _reflected(P.MUL, other, self)

    def __truediv__(self, other: DualOperand) -> Dual:
        return _binary(P.DIV, self, other)

    def __rtruediv__(self, other: DualOperand) -> Dual:
        return _reflected(P.DIV, other, self)

    def __pow__(self, other: DualOperand, modulo: None = None) -> Dual:
        if modulo is not None:
            return NotImplemented
        if isinstance(other, Dual):
            return apply_primitive(P.POW, self, other)
        n = _number(other)
        if n is None:
            return NotImplemented
        return apply_primitive(P.pow_by_constant(n), self)  # takes negative bases, as Value's does

    def __rpow__(self, other: DualOperand) -> Dual:
        return _reflected(P.POW, other, self)

    def __neg__(self) -> Dual:
        return apply_primitive(P.NEG, self)

    def __pos__(self) -> Dual:
        return self

    def __abs__(self) -> Dual:
        return apply_primitive(P.ABS, self)

    # --- elementary functions ----------------------------------------------

    def exp(self) -> Dual:
        """e ** self."""
        return apply_primitive(P.EXP, self)

    def log(self) -> Dual:
        """Natural logarithm; the value must be positive."""
        return apply_primitive(P.LOG, self)

    def tanh(self) -> Dual:
        """Hyperbolic tangent."""
        return apply_primitive(P.TANH, self)

    def sigmoid(self) -> Dual:
        """1 / (1 + e ** -self)."""
        return apply_primitive(P.SIGMOID, self)

    def softplus(self) -> Dual:
        """log(1 + e ** self), without overflow; its derivative is sigmoid(self)."""
        return apply_primitive(P.SOFTPLUS, self)

    def relu(self) -> Dual:
        """max(self, 0); its derivative at 0 is 0."""
        return apply_primitive(P.RELU, self)

    def leaky_relu(self, slope: float = 0.01) -> Dual:
        """self for self > 0, else slope * self; its derivative at 0 is ``slope``."""
        return apply_primitive(P.leaky_relu(real_number(slope, "Dual.leaky_relu", "slope")), self)

    def sin(self) -> Dual:
        """Sine (radians)."""
        return apply_primitive(P.SIN, self)

    def cos(self) -> Dual:
        """Cosine (radians)."""
        return apply_primitive(P.COS, self)

    def sqrt(self) -> Dual:
        """Square root; the value must be non-negative, and sqrt'(0) is inf."""
        return apply_primitive(P.SQRT, self)

    def abs(self) -> Dual:
        """Absolute value; its derivative at 0 is 0."""
        return apply_primitive(P.ABS, self)

    # --- comparisons (on the value) and conversions ------------------------------

    def _compared(self, other: object) -> float | None:
        return other.value if isinstance(other, Dual) else _number(other)

    def __lt__(self, other: DualOperand) -> bool:
        o = self._compared(other)
        return NotImplemented if o is None else self.value < o

    def __le__(self, other: DualOperand) -> bool:
        o = self._compared(other)
        return NotImplemented if o is None else self.value <= o

    def __gt__(self, other: DualOperand) -> bool:
        o = self._compared(other)
        return NotImplemented if o is None else self.value > o

    def __ge__(self, other: DualOperand) -> bool:
        o = self._compared(other)
        return NotImplemented if o is None else self.value >= o

    # == and hash stay object identity, as for Value.

    def __float__(self) -> float:
        return self.value

    def item(self) -> float:
        """The value, as a float."""
        return self.value

    def python_number(self) -> float:
        """The value, for ``format``, ``round``, ``int`` ... (the tangent is dropped)."""
        return self.value

    def __repr__(self) -> str:
        return f"Dual(value={self.value!r}, tangent={self.tangent!r})"


# --- forward mode over a recorded graph ----------------------------------------------


def graph_order(outputs: Sequence[Value]) -> list[Value]:
    """Every node the outputs depend on, each after all of its parents, outputs included.

    The library's one topological order (:func:`autograd_lite.engine.topological_order`,
    the walk ``backward()`` runs), from all of the outputs at once: forward mode visits
    the same nodes as the reverse pass, in the other direction.
    """
    return topological_order(*outputs) if outputs else []


def push_forward(outputs: Sequence[Value], seeds: Mapping[Value, float]) -> dict[Value, float]:
    """Sweep tangents through a recorded graph, from the leaves to ``outputs``.

    Each node's tangent is ``Σ local × tangent of parent`` over its parents, with the
    local derivatives the node recorded when it was made (``node.local_grads``, which
    already hold any number folded into the op).

    Args:
        outputs: the Values whose graph is swept.
        seeds: the tangent of each leaf that moves; every other leaf has tangent 0.

    Returns:
        The tangent of every node of the graph, in order from the leaves to the outputs.

    Example:
        >>> x, y = Value(2.0), Value(3.0)
        >>> f = x * y + x.sin()
        >>> push_forward([f], {x: 1.0})[f]    # ∂f/∂x = y + cos x
        2.5838531634528574
    """
    tangents: dict[Value, float] = {}
    for node in graph_order(outputs):
        seed = seeds.get(node)
        if seed is not None:
            tangents[node] = seed
            continue
        tangent = 0.0
        for parent, local in zip(node.parents, node.local_grads, strict=True):
            parent_tangent = tangents[parent]
            if parent_tangent != 0.0:
                tangent += local * parent_tangent
        tangents[node] = tangent
    return tangents


def jvp(
    fn: Callable[[list[Value]], Value | Sequence[Value]],
    xs: Sequence[Number],
    tangents: Sequence[Number],
) -> tuple[float, float] | tuple[list[float], list[float]]:
    """Forward mode: the output of ``fn`` at ``xs``, and how fast it moves along ``tangents``.

    ``fn`` is run once on Values to record its graph, then the tangents are swept
    through that graph from the inputs to the outputs (:func:`push_forward`). The
    result is the Jacobian times the vector ``tangents``; with a one-hot vector it is
    one column of the Jacobian.

    Args:
        fn: maps a list of Values to a Value or a list of Values.
        xs: the point, one number per input.
        tangents: the direction, one number per input.

    Returns:
        ``(out, out_tangent)``: floats when ``fn`` returns a Value, lists of floats when
        it returns a list.

    Raises:
        TypeError: if ``fn`` is not callable or returns no Values, or an entry of
            ``xs`` or ``tangents`` is not a number.
        ValueError: if ``xs`` is empty or ``tangents`` has another length.

    Example:
        >>> jvp(lambda v: v[0] * v[1] + v[0].sin(), [2.0, 3.0], [1.0, 0.0])
        (6.909297426825682, 2.5838531634528574)
        >>> jvp(lambda v: [v[0] * v[1], v[0] + v[1]], [2.0, 3.0], [0.0, 1.0])
        ([6.0, 5.0], [2.0, 1.0])
    """
    point = point_of(xs, "jvp")
    direction = real_numbers(tangents, "jvp", "tangents")
    same_length(direction, point, "jvp", "tangents")
    inputs = input_leaves(point)
    outputs, many = call(fn, inputs, "jvp")
    swept = push_forward(outputs, dict(zip(inputs, direction, strict=True)))
    if many:
        return [out.data for out in outputs], [swept[out] for out in outputs]
    return outputs[0].data, swept[outputs[0]]


# --- the forward table, for teaching ------------------------------------------------


def _dotted(name: str) -> str:
    """The tangent's name: a dot over the first letter (x → ẋ, n3 → ṅ3)."""
    return unicodedata.normalize("NFC", name[0] + "\u0307") + name[1:]


def _width(text: str) -> int:
    """Columns ``text`` takes on screen (a combining dot takes none)."""
    return sum(1 for c in text if not unicodedata.combining(c))


@dataclass(frozen=True)
class ForwardStep:
    """One node of the forward sweep: its tangent, ṅ = Σ ∂n/∂p · ṗ over its parents.

    Attributes:
        node: the node.
        name: its name in the table (its label, or x1.. for inputs, n1.. for the rest).
        op: the op that made it ("" for a leaf).
        value: its value.
        terms: for each parent, ``(parent's name, ∂node/∂parent, parent's tangent)``.
        tangent: its tangent.
    """

    node: Value
    name: str
    op: str
    value: float
    terms: tuple[tuple[str, float, float], ...]
    tangent: float


class ForwardExplanation:
    """The steps of a forward-mode sweep, one per node, from the inputs to the outputs.

    Print it (or show it in a REPL or notebook) to see a table; iterate over it for
    the :class:`ForwardStep` rows. ``out_tangent`` holds the result, as :func:`jvp`
    gives it.
    """

    def __init__(
        self, inputs: list[Value], outputs: list[Value], many: bool, direction: list[float]
    ) -> None:
        self.inputs = inputs
        self.outputs = outputs
        seeds = dict(zip(inputs, direction, strict=True))
        # an input fn does not use is in no graph, but still has its tangent
        self.tangents = {**seeds, **push_forward(outputs, seeds)}
        order = inputs + [n for n in graph_order(outputs) if n not in seeds]
        self.names: dict[Value, str] = {}
        for i, out in enumerate(outputs, 1):
            self.names[out] = out.label or (f"out{i}" if many else "out")
        unnamed = 0
        for node in order:
            if node in self.names:
                continue
            if node.label:
                self.names[node] = node.label
            else:
                unnamed += 1
                self.names[node] = f"n{unnamed}"
        self.steps = [
            ForwardStep(
                node,
                self.names[node],
                node.op,
                node.data,
                tuple(
                    (self.names[p], local, self.tangents[p])
                    for p, local in zip(node.parents, node.local_grads, strict=True)
                ),
                self.tangents[node],
            )
            for node in order
        ]
        tangents_out = [self.tangents[out] for out in outputs]
        self.out_tangent: float | list[float] = tangents_out if many else tangents_out[0]

    def __iter__(self) -> Iterator[ForwardStep]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> ForwardStep:
        return self.steps[i]

    def _rows(self) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = [
            ("step", "node", "op", "value", "tangent rule", "terms", "tangent")
        ]
        for i, s in enumerate(self.steps, 1):
            if not s.terms:
                kind = "input" if s.node in self.inputs else "constant"
                rule, terms = f"{_dotted(s.name)} = {kind}", ""
            else:
                rule = f"{_dotted(s.name)} = " + " + ".join(
                    f"∂{s.name}/∂{p}·{_dotted(p)}" for p, _, _ in s.terms
                )
                terms = " + ".join(
                    f"{number_text(local)}×{number_text(t)}" for _, local, t in s.terms
                )
            rows.append(
                (str(i), s.name, s.op, number_text(s.value), rule, terms, number_text(s.tangent))
            )
        return rows

    def __str__(self) -> str:
        rows = self._rows()
        widths = [max(_width(r[c]) for r in rows) for c in range(len(rows[0]))]

        def pad(text: str, width: int, right: bool) -> str:
            fill = " " * (width - _width(text))
            return fill + text if right else text + fill

        seeds = ", ".join(
            f"{_dotted(self.names[x])} = {number_text(self.tangents[x])}" for x in self.inputs
        )
        lines = [f"forward with tangents {seeds}"]
        for r in rows:
            cells = [pad(r[0], widths[0], True)]
            cells += [pad(c, w, False) for c, w in zip(r[1:3], widths[1:3], strict=True)]
            cells.append(pad(r[3], widths[3], True))
            cells += [pad(c, w, False) for c, w in zip(r[4:6], widths[4:6], strict=True)]
            cells.append(pad(r[6], widths[6], True))
            lines.append("  ".join(cells).rstrip())
        lines.append(
            "tangents of the outputs: "
            + ", ".join(
                f"{_dotted(self.names[out])} = {number_text(self.tangents[out])}"
                for out in self.outputs
            )
        )
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return html_table(self._rows())


def explain_forward(
    fn: Callable[[list[Value]], Value | Sequence[Value]],
    xs: Sequence[Number],
    tangents: Sequence[Number],
) -> ForwardExplanation:
    """The forward-mode sweep of ``fn`` at ``xs`` along ``tangents``, one row per node.

    The counterpart of :func:`~autograd_lite.explain`: where ``explain`` shows the
    adjoints flowing back from the output, edge by edge, this shows the tangents
    flowing forward from the inputs, node by node, each ``ṅ = Σ ∂n/∂p · ṗ`` with the
    local derivatives ∂n/∂p its op recorded. The inputs are named x1, x2, ... (x when
    there is one), other nodes by their label or n1, n2, ..., the output out.

    Args:
        fn: maps a list of Values to a Value or a list of Values.
        xs: the point, one number per input.
        tangents: the direction, one number per input.

    Returns:
        A :class:`ForwardExplanation`; its ``out_tangent`` equals :func:`jvp`'s.

    Example:
        >>> print(explain_forward(lambda v: v[0] * v[1] + v[0].sin(), [2.0, 3.0], [1.0, 0.0]))
        forward with tangents ẋ1 = 1, ẋ2 = 0
        step  node  op      value  tangent rule                     terms                tangent
           1  x1                2  ẋ1 = input                                                  1
           2  x2                3  ẋ2 = input                                                  0
           3  n1    *           6  ṅ1 = ∂n1/∂x1·ẋ1 + ∂n1/∂x2·ẋ2     3×1 + 2×0                  3
           4  n2    sin  0.909297  ṅ2 = ∂n2/∂x1·ẋ1                  -0.416147×1        -0.416147
           5  out   +      6.9093  ȯut = ∂out/∂n1·ṅ1 + ∂out/∂n2·ṅ2  1×3 + 1×-0.416147    2.58385
        tangents of the outputs: ȯut = 2.58385
    """
    point = point_of(xs, "explain_forward")
    direction = real_numbers(tangents, "explain_forward", "tangents")
    same_length(direction, point, "explain_forward", "tangents")
    inputs = input_leaves(point)
    outputs, many = call(fn, inputs, "explain_forward")
    return ForwardExplanation(inputs, outputs, many, direction)
