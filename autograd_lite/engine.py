"""``Value``: one scalar node of a computation graph, and backpropagation over it.

A node records its parents, the primitive that made it and that primitive's local
derivatives (one float per parent, computed in the forward pass from the table in
:mod:`autograd_lite.primitives`). It holds no closure and no reference back to itself,
so a graph that is dropped is freed by reference counting alone. Most nodes have one or
two parents; a ``dot`` or ``sum`` node (a neuron's ``w·x + b``) may have many.

Read this file top to bottom:

1. :func:`reference_gradients`: backpropagation in its plainest form, a dozen lines.
2. :class:`Value`: the node, its operators and functions.
3. The node makers, which run a primitive and fill a node's slots.
4. The fast reverse pass that ``backward()`` runs: the same algorithm, tuned.
5. Grad mode (``no_grad``), which is per thread.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from types import TracebackType
from typing import Any, ClassVar, TypeAlias

from . import primitives as P
from .primitives import ADD, DIV, FLOAT_OPS, MUL, SUB, Primitive, WithNumber
from .support.checks import real_number

Number: TypeAlias = int | float
Operand: TypeAlias = "Value | int | float"

# The seed of the last backward pass from each output, for explain().
last_seed: weakref.WeakKeyDictionary[Value, float] = weakref.WeakKeyDictionary()


# --- 1. backpropagation, plainly ---------------------------------------------------


def reference_gradients(root: Value, seed: float = 1.0) -> dict[Value, float]:
    """d root / d node × seed for every node root depends on: the reverse pass, plainly.

    This is the whole algorithm. Order the graph so that every node comes after the
    nodes it was computed from; then walk that order backwards, from the output to
    the leaves, and at each node hand its gradient to its parents, each times the
    local derivative the op recorded (the chain rule). A node used twice receives
    two contributions, so they are added (``+=``), and a node hands on its gradient
    only once every node that uses it has handed it theirs, which the order ensures.

    ``Value.backward`` runs the same steps faster (see :func:`_walk`); the tests hold
    the two to the same numbers.

    Example:
        >>> x = Value(3.0); y = x * x + x       # dy/dx = 2x + 1
        >>> reference_gradients(y)[x]
        7.0
    """
    # topological order: each node after its parents (an explicit stack: any depth)
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents)
    # the chain rule, from the output back to the leaves
    grads = dict.fromkeys(order, 0.0)
    grads[root] = seed
    for node in reversed(order):
        for parent, local in zip(node.parents, node.local_grads, strict=True):
            grads[parent] += local * grads[node]
    return grads


# --- 2. the node ---------------------------------------------------------------------


class PlainNumber:
    """Where Python wants a plain number, act as one: ``format``, ``round``, ``int``,
    ``math.trunc``, ``math.floor`` and ``math.ceil`` of :meth:`python_number`. None of
    these is differentiable: they return ints and floats, which have no graph.

    ``Value`` (its ``.data``) and forward mode's ``Dual`` (its ``.value``) both are one.
    """

    __slots__ = ()

    def python_number(self) -> float:
        """The number that stands for this object where Python wants one."""
        raise NotImplementedError

    def __format__(self, spec: str) -> str:
        """``f"{v:.4f}"`` formats the number; a bare ``f"{v}"`` is ``str(v)``.

        Example:
            >>> f"{Value(2 / 3):.3f}"
            '0.667'
        """
        return format(self.python_number(), spec) if spec else str(self)

    def __round__(self, ndigits: int | None = None) -> float:
        """``round(v)`` is an int and ``round(v, n)`` a float, of the number."""
        n = self.python_number()
        return round(n) if ndigits is None else round(n, ndigits)

    def __int__(self) -> int:
        """``int(v)``: the number truncated toward zero, as ``int(2.7)`` is 2."""
        return int(self.python_number())

    def __trunc__(self) -> int:
        return self.python_number().__trunc__()

    def __floor__(self) -> int:
        return self.python_number().__floor__()

    def __ceil__(self) -> int:
        return self.python_number().__ceil__()


class Value(PlainNumber):
    """A scalar that remembers how it was computed, so that gradients can flow back.

    Args:
        x: a real number (int, float, bool or numpy real scalar); stored as float.
        label: free text shown in ``repr`` and in graph drawings.

    Example:
        >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
        >>> c = a * b + a.exp(); c.backward()
        >>> a.grad, b.grad      # dc/da = b + e^a, dc/db = a
        (4.38905609893065, 2.0)
    """

    # The slots the reverse pass reads come first, next to each other in memory.
    __slots__ = (
        "_parent1",
        "_parent2",
        "_local1",
        "_local2",
        "_buffer",
        "grad",
        "_data",
        "_prim",
        "label",
        "__weakref__",
    )
    __array_ufunc__ = None  # numpy scalars defer to our reflected operators

    _data: float
    grad: float
    label: str
    _prim: Primitive | WithNumber | None  # what made this node; None for a leaf
    _parent1: Value | None  # the first parent; None for a leaf
    _parent2: Value | None  # the second parent; None for a leaf or an op of one Value;
    #   MANY_PARENTS for a node of more than two (see many_node)
    _local1: float  # d self / d _parent1, recorded in the forward pass
    _local2: Any  # d self / d _parent2; for MANY_PARENTS, (all parents, all locals); for
    #   an op with a plain number (a WithNumber: ``v * 2``), which has no _parent2, the 2
    _buffer: float  # the gradient of the reverse pass that last reached this node
    op_result_class: ClassVar[type[Value]]  # the class of the nodes ops make from it

    def __init__(self, x: Number, label: str = "") -> None:
        self._data = as_float(x)
        self.grad = 0.0
        self.label = label
        self._buffer = 0.0
        self._parent1 = self._parent2 = self._prim = None

    # --- attributes -------------------------------------------------------

    @property
    def data(self) -> float:
        """The number this node holds; writable (optimizers update it)."""
        return self._data

    @data.setter
    def data(self, x: Number) -> None:
        self._data = as_float(x, "Value.data")

    @property
    def op(self) -> str:
        """``""`` for a leaf, else the name of the op that made this node."""
        prim = self._prim
        return prim.name if prim is not None else ""

    @property
    def parents(self) -> tuple[Value, ...]:
        """The nodes this one was computed from (empty for a leaf)."""
        a = self._parent1
        if a is None:
            return ()
        b = self._parent2
        if b is MANY_PARENTS:
            return self._local2[0]  # type: ignore[no-any-return]
        return (a,) if b is None else (a, b)

    @property
    def primitive(self) -> Primitive | WithNumber | None:
        """The primitive that made this node (None for a leaf)."""
        return self._prim

    @property
    def number(self) -> float | None:
        """The plain number the op took besides its parents (the 2 of ``v * 2``), or None."""
        return self._local2 if isinstance(self._prim, WithNumber) else None  # type: ignore[no-any-return]

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d self / d parent for each parent, as recorded in the forward pass."""
        if self._parent1 is None:
            return ()
        b = self._parent2
        if b is MANY_PARENTS:
            return self._local2[1]  # type: ignore[no-any-return]
        return (self._local1,) if b is None else (self._local1, self._local2)

    # --- arithmetic -------------------------------------------------------
    # Each operator takes the short way when the other operand is exactly a Value.

    def __add__(self, other: Operand) -> Value:
        if other.__class__ is Value:
            return binary_node(ADD, self, other)
        return _operate(ADD, self, other)

    def __radd__(self, other: Operand) -> Value:
        return _reflected(ADD, other, self)

    def __sub__(self, other: Operand) -> Value:
        if other.__class__ is Value:
            return binary_node(SUB, self, other)
        return _operate(SUB, self, other)

    def __rsub__(self, other: Operand) -> Value:
        return _reflected(SUB, other, self)

    def __mul__(self, other: Operand) -> Value:
        if other.__class__ is Value:
            return binary_node(MUL, self, other)
        return _operate(MUL, self, other)

    def __rmul__(self, other: Operand) -> Value:
        return _reflected(MUL, other, self)

    def __truediv__(self, other: Operand) -> Value:
        if other.__class__ is Value:
            return binary_node(DIV, self, other)
        return _operate(DIV, self, other)

    def __rtruediv__(self, other: Operand) -> Value:
        return _reflected(DIV, other, self)

    def __pow__(self, other: Operand, modulo: None = None) -> Value:
        if modulo is not None:
            return NotImplemented
        if isinstance(other, Value):
            return binary_node(P.POW, self, other, type(other).op_result_class)
        try:
            n = as_float(other, "**")
        except TypeError:
            return NotImplemented
        return _unary(P.pow_by_constant(n), self)

    def __rpow__(self, other: Operand) -> Value:
        return _reflected(P.POW, other, self)

    def __neg__(self) -> Value:
        return _unary(P.NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _unary(P.ABS, self)

    # --- elementary functions ----------------------------------------------

    def exp(self) -> Value:
        """e ** self."""
        return _unary(P.EXP, self)

    def log(self) -> Value:
        """Natural logarithm; the argument must be positive."""
        return _unary(P.LOG, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent (saturates to ±1 without overflow)."""
        return _unary(P.TANH, self)

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -self), computed without overflow."""
        return _unary(P.SIGMOID, self)

    def softplus(self) -> Value:
        """log(1 + e ** self), computed without overflow; its derivative is sigmoid(self)."""
        return _unary(P.SOFTPLUS, self)

    def relu(self) -> Value:
        """max(self, 0); its derivative at 0 is 0."""
        return _unary(P.RELU, self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """self for self > 0, else slope * self; its derivative at 0 is ``slope``."""
        return _unary(P.leaky_relu(as_float(slope, "leaky_relu: slope")), self)

    def sin(self) -> Value:
        """Sine (radians)."""
        return _unary(P.SIN, self)

    def cos(self) -> Value:
        """Cosine (radians)."""
        return _unary(P.COS, self)

    def sqrt(self) -> Value:
        """Square root; the argument must be non-negative, and sqrt'(0) is inf."""
        return _unary(P.SQRT, self)

    def abs(self) -> Value:
        """Absolute value; its derivative at 0 is 0."""
        return _unary(P.ABS, self)

    # --- comparisons and conversions -------------------------------------------

    def __lt__(self, other: Operand) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self._data < o

    def __le__(self, other: Operand) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self._data <= o

    def __gt__(self, other: Operand) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self._data > o

    def __ge__(self, other: Operand) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self._data >= o

    # == and hash stay object identity: nodes live in sets and dicts.

    def __float__(self) -> float:
        return self._data

    def item(self) -> float:
        """The number this node holds, as a float."""
        return self._data

    def python_number(self) -> float:
        """``.data`` (read through the property, which a traced value refuses)."""
        return self.data

    def __repr__(self) -> str:
        label = f"{self.label}, " if self.label else ""
        return f"Value({label}data={self._data!r}, grad={self.grad!r})"

    # --- the graph ----------------------------------------------------------

    def backward(self, grad: Number = 1.0) -> None:
        """Add d self / d node × ``grad`` into ``.grad`` of every node self depends on.

        The pass keeps its own gradient buffer and adds it into ``.grad`` at the end,
        so gradients accumulate across calls and a second pass from an overlapping
        graph is exact. Passes in different threads over shared nodes take turns.
        """
        seed = as_float(grad, "backward: grad")
        with _one_pass_at_a_time:
            _propagate(*_walk(self), seed, into_grad=True)
        last_seed[self] = seed

    def detach(self) -> Value:
        """A new leaf holding the same number, cut off from this graph."""
        return new_leaf(self._data)

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0.0 on every node of this node's graph."""
        for node in topological_order(self):
            node.grad = 0.0

    # --- micrograd-compatible names and Python number protocols ---
    # The micrograd lecture reads a node's parents as ``v._prev`` and its op as ``v._op``,
    # and runs one node's step of the chain rule by hand as ``v._backward()``. These are
    # those names, written on the public properties, so the lecture's cells run as typed.

    @property
    def _prev(self) -> set[Value]:
        """The set of this node's parents (micrograd's name; ``.parents`` keeps their order)."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """The op that made this node, ``""`` for a leaf (micrograd's name for ``.op``)."""
        return self.op

    def _backward(self) -> None:
        """One node's step of the chain rule: add ``local × self.grad`` into each parent's grad.

        This is what the micrograd lecture calls by hand, node by node from the output
        (after setting ``out.grad = 1.0``); ``backward()`` does the whole walk at once.
        A parent used twice (``a + a``) gets both contributions; a leaf has nothing to do.

        Example:
            >>> x = Value(3.0); y = x * x
            >>> y.grad = 1.0; y._backward(); x.grad
            6.0
        """
        g = self.grad
        for parent, local in zip(self.parents, self.local_grads, strict=True):
            parent.grad += local * g

    @property
    def _children(self) -> Any:
        raise AttributeError(
            "'Value' object has no attribute '_children' (micrograd's constructor argument): "
            "a node's parents are v.parents, a tuple in the op's order, or v._prev, a set"
        )


# --- 3. the node makers --------------------------------------------------------------


def as_float(x: object, what: str = "Value") -> float:
    """``x`` as a float by the package's one rule (:func:`~.support.checks.real_number`).

    ``what`` names the function and argument in the error, e.g. ``"backward: grad"``.
    An int beyond the range of a float (10**400) is a ValueError, not an OverflowError.
    """
    if x.__class__ is float:
        return x  # type: ignore[return-value]
    return real_number(x, what)


def plain_number(x: object, op: str) -> float | None:
    """``x`` as a float if it is a real number (not a Value), else None."""
    kind = x.__class__
    if kind is float:
        return x  # type: ignore[return-value]
    try:
        return float(x) if kind is int else as_float(x, op)  # type: ignore[arg-type]
    except OverflowError:  # an int beyond the range of a float
        return as_float(x, op)  # raises the ValueError that names the op
    except TypeError:  # not a number (a Value, a string): the operator says NotImplemented
        return None


# object.__new__ makes a node without running __init__: each maker fills every slot.
_new = object.__new__


def new_leaf(data: float, label: str = "") -> Value:
    node = _new(Value)
    node._data = data
    node.grad = 0.0
    node.label = label
    node._buffer = 0.0
    node._parent1 = node._parent2 = node._prim = None
    return node


# The three node makers below fill their slots inline, each in full, rather than
# through a shared helper: a call more per op would cost every forward pass.
#
# A node made from a Tracer is a Tracer (see autograd_lite/compiler/tracer.py): that is
# how the compiler knows what a traced function computed, with no switch anywhere. An op
# of one Value asks its class (``op_result_class``: Value for Value and its subclasses,
# Tracer for a Tracer), since nn calls activations unbound (``Value.relu(v)``); an
# operator is told, since a Tracer on either side reaches its own operator methods first
# (Python gives a subclass's reflected operator priority), and they pass ``kind``.
# Measured: asking the class in binary_node too cost 12% of its time.


def _unary(prim: Primitive, a: Value) -> Value:
    x = a._data
    kind = type(a)
    node = _new(Value if kind is Value else kind.op_result_class)
    node.grad = 0.0
    node.label = ""
    node._buffer = 0.0
    node._parent2 = None
    if not _grad_modes or is_recording():
        node._data, node._local1 = prim.run(x)
        node._parent1 = a
        node._prim = prim
    else:
        node._data = prim.forward(x)
        node._parent1 = node._prim = None
    return node


def binary_node(prim: Primitive, a: Value, b: Value, kind: type[Value] = Value) -> Value:
    x = a._data
    y = b._data
    node = _new(kind)
    node.grad = 0.0
    node.label = ""
    node._buffer = 0.0
    if not _grad_modes or is_recording():
        node._data, node._local1, node._local2 = prim.run(x, y)
        node._parent1 = a
        node._parent2 = b
        node._prim = prim
    else:
        node._data = prim.forward(x, y)
        node._parent1 = node._parent2 = node._prim = None
    return node


def number_node(op: WithNumber, a: Value, number: float, kind: type[Value] = Value) -> Value:
    """The node for ``a op number``, or ``number op a`` when ``op.number_first``.

    The number is kept in the node rather than in a leaf of its own.
    """
    out, local = op.run(a._data, number)  # the binary formulas, with the number in its place
    node = _new(kind)
    node._data = out
    node.grad = 0.0
    node.label = ""
    node._buffer = 0.0
    node._parent2 = None
    if not _grad_modes or is_recording():
        node._parent1 = a
        node._local2 = number
        node._local1 = local
        node._prim = op
    else:
        node._parent1 = node._prim = None
    return node


# A node of more than two parents (a dot or a sum) keeps the first in _parent1 with its
# local in _local1, as every node does, and this marker in _parent2; all of its parents
# and locals are in _local2, as two tuples. The reverse pass treats _parent1 as usual
# and takes a branch for the rest when it meets the marker: a node of one or two parents
# pays at most one `is` test for it (see _walk and _propagate; on benchmarks/ops.py's
# graph of binary and unary ops the difference is within the noise).
MANY_PARENTS = _new(Value)
MANY_PARENTS._data = MANY_PARENTS.grad = 0.0
MANY_PARENTS.label = "(the marker of a node with many parents; never in a graph)"
MANY_PARENTS._buffer = None  # type: ignore[assignment]  # never a pass's zero: see _walk
MANY_PARENTS._parent1 = MANY_PARENTS._parent2 = MANY_PARENTS._prim = None


def many_node(prim: Primitive, parents: tuple[Value, ...]) -> Value:
    """The node of a primitive of any number of inputs (``dot``, ``sum``), one or more.

    One or two parents fill the slots as a unary or binary node does; more take the
    layout of MANY_PARENTS above.
    """
    data = [p._data for p in parents]
    out = prim.forward(*data)
    kind = Value
    kinds: set[type[Value]] = set(map(type, parents))
    for other in kinds:  # a Tracer among the parents makes a Tracer
        if other is not Value and other.op_result_class is not Value:
            kind = other.op_result_class
    node = _new(kind)
    node._data = out
    node.grad = 0.0
    node.label = ""
    node._buffer = 0.0
    if not _grad_modes or is_recording():
        locals_ = prim.local(FLOAT_OPS, *data, out)
        node._parent1 = parents[0]
        node._local1 = locals_[0]
        if len(parents) > 2:
            node._parent2 = MANY_PARENTS
            node._local2 = (parents, locals_)
        elif len(parents) == 2:
            node._parent2 = parents[1]
            node._local2 = locals_[1]
        else:
            node._parent2 = None
        node._prim = prim
    else:
        node._parent1 = node._parent2 = node._prim = None
    return node


def _operate(prim: Primitive, a: Value, other: object) -> Value:
    """``a prim other`` for an ``other`` that is not exactly a Value (NotImplemented if
    it is not a number either)."""
    if isinstance(other, Value):  # a subclass: a Tracer on the right makes a Tracer
        return binary_node(prim, a, other, type(other).op_result_class)
    number = plain_number(other, prim.name)
    if number is None:
        return NotImplemented
    return number_node(P.NUMBER_SECOND[prim], a, number)


def _reflected(prim: Primitive, other: object, a: Value) -> Value:
    """``other prim a``, for the reflected operators (``2 - v``)."""
    if isinstance(other, Value):
        return binary_node(prim, other, a, type(other).op_result_class)
    number = plain_number(other, prim.name)
    if number is None:
        return NotImplemented
    return number_node(P.NUMBER_FIRST[prim], a, number)


def make_node(
    prim: Primitive | WithNumber, parents: Sequence[Value], number: float | None = None
) -> Value:
    """The node ``prim`` makes from ``parents`` (and the number of a WithNumber op).

    What the operators and methods of Value do, for a primitive given as data: used to
    make a recorded graph again (unpickling, the studio's replay with new leaf values).
    Outside ``no_grad`` it records its parents, as every op does.
    """
    made: type[Value] = Value  # a Tracer among the parents makes a Tracer
    for parent in parents:
        if type(parent).op_result_class is not Value:
            made = type(parent).op_result_class
    if isinstance(prim, WithNumber):
        return number_node(prim, parents[0], number, made)  # type: ignore[arg-type]
    if prim.arity is None or len(parents) > 2:  # dot, sum; a learner's op of three or more
        return many_node(prim, tuple(parents))
    if len(parents) == 1:
        return _unary(prim, parents[0])
    if len(parents) == 2:
        return binary_node(prim, parents[0], parents[1], made)
    raise ValueError(f"make_node: {prim!r} takes one or two parents, got {len(parents)}")


def _compared(other: object) -> float | int | None:
    """The number to compare a Value with: other's data, or other itself if it is a number.

    An int stays an int: Python compares a float with any int exactly (2.0 < 10**400).
    """
    if isinstance(other, Value):
        return other._data
    if isinstance(other, int):
        return other
    return plain_number(other, "comparison")


Value.op_result_class = Value  # see _kind


# --- 3b. the operators, generated from the table's formulas -----------------------------
# Speed trick: the operators and functions above are written plainly (an operator calls
# a node maker, which calls the row's ``run``); here each is replaced by a function
# generated from its row's text (primitives.row), with the domain check, the forward and
# the local derivatives inline, so that an op is one Python call. Same numbers, same
# errors (tests/test_generated.py holds each to the plain makers). Measured: forward
# 1.1-1.2 -> 0.85-0.9 µs an op (benchmarks/ops.py --against the first version: 0.77-0.79x).

_GENERATED_BINARY = (
    ("__add__", ADD, False), ("__radd__", ADD, True),
    ("__sub__", SUB, False), ("__rsub__", SUB, True),
    ("__mul__", MUL, False), ("__rmul__", MUL, True),
    ("__truediv__", DIV, False), ("__rtruediv__", DIV, True),
)  # fmt: skip
_GENERATED_UNARY = (
    ("__neg__", P.NEG), ("__abs__", P.ABS), ("abs", P.ABS), ("exp", P.EXP), ("log", P.LOG),
    ("tanh", P.TANH), ("sigmoid", P.SIGMOID), ("softplus", P.SOFTPLUS), ("relu", P.RELU),
    ("sin", P.SIN), ("cos", P.COS), ("sqrt", P.SQRT),
)  # fmt: skip


def _int_operand(n: int, op: str) -> float:
    """An int operand as a float, or the ValueError naming ``op`` beyond a float's range."""
    try:
        return float(n)
    except OverflowError:
        return as_float(n, op)


def _node_source(formulas: P.Formulas, parents: str, locals_: str, prim: str, kind: str) -> str:
    """The body that computes a node from its inputs (already named as the row names them)."""
    f = formulas
    fill = "".join(f"        node.{slot} = {value}\n" for slot, value in zip(
        ("_local1", "_local2"), locals_.split("|"), strict=False))  # fmt: skip
    nones = "node._parent1 = node._parent2 = node._prim = None" if "_parent2" in parents else (
        "node._parent1 = node._prim = None")  # fmt: skip
    return (
        P.domain_check_source(f, "    ")
        + f"    out = {f.forward}\n"
        + f"    node = _new({kind})\n"
        + '    node._data = out\n    node.grad = 0.0\n    node.label = ""\n'
        + "    node._buffer = 0.0\n"
        + ("" if "_parent2" in parents else "    node._parent2 = None\n")
        + "    if not _grad_modes or is_recording():\n"
        + "".join(f"        node.{line}\n" for line in parents.split("|"))
        + fill
        + f"        node._prim = {prim}\n"
        + f"    else:\n        {nones}\n"
        + "    return node\n"
    )


def _indented(source: str) -> str:
    return "".join(f"    {line}\n" if line else "\n" for line in source.splitlines())


def _operand_source(name: str) -> str:
    """``name = other`` as a float, for ``other`` a float or an int (``x / len(x)``, ``sum``'s
    0), inline rather than a call (microgpt's script: about 1% a step, within the noise)."""
    return (
        f"    if kind is float:\n        {name} = other\n    else:\n        try:\n"
        f"            {name} = float(other)\n        except OverflowError:\n"
        f"            {name} = _int_operand(other, NAME)\n"
    )


def _binary_operator_source(method: str, prim: Primitive, reflected: bool) -> str:
    """``method`` of Value for a binary row: Value with Value, and with a plain number."""
    f = prim.formulas
    assert f is not None
    a, b = f.inputs
    la, lb = f.local
    number = _operand_source(a)
    lines = ["def generated(self, other):\n", "    kind = other.__class__\n"]
    if not reflected:
        lines += [
            "    if kind is Value:\n",
            _indented(f"    {a} = self._data\n    {b} = other._data\n"
                      + _node_source(f, "_parent1 = self|_parent2 = other", f"{la}|{lb}",
                                     "PRIM", "Value")),
            "    if kind is float or kind is int:\n",
            _indented(f"    {a} = self._data\n" + _operand_source(b)
                      + _node_source(f, "_parent1 = self|_local2 = " + b, la,
                                     "WITH_NUMBER", "Value")),
            "    return _operate(PRIM, self, other)\n",
        ]  # fmt: skip
    else:
        lines += [
            "    if kind is float or kind is int:\n",
            _indented(number + f"    {b} = self._data\n"
                      + _node_source(f, "_parent1 = self|_local2 = " + a, lb,
                                     "WITH_NUMBER", "Value")),
            "    return _reflected(PRIM, other, self)\n",
        ]  # fmt: skip
    return "".join(lines)


def _unary_function_source(method: str, prim: Primitive) -> str:
    """``method`` of Value for a unary row (a Tracer makes a Tracer, as in _unary)."""
    f = prim.formulas
    assert f is not None
    (x,) = f.inputs
    return (
        f"def generated(self):\n    {x} = self._data\n    kind = self.__class__\n"
        + _node_source(f, "_parent1 = self", f.local[0], "PRIM",
                       "Value if kind is Value else kind.op_result_class")
    )  # fmt: skip


def _generate(method: str, source: str, prim: Primitive, with_number: Any = None) -> Any:
    assert prim.formulas is not None
    namespace = {
        **prim.formulas.names, "ops": FLOAT_OPS, "error": prim.error, "PRIM": prim,
        "WITH_NUMBER": with_number, "NAME": prim.name, "Value": Value, "_new": _new,
        "_grad_modes": _grad_modes, "is_recording": is_recording, "_operate": _operate,
        "_reflected": _reflected, "_int_operand": _int_operand,
        "__name__": P.__name__,  # code of the table's: its domain errors are a primitive's
    }  # fmt: skip
    exec(compile(source, f"<Value.{method}, generated from the row {prim.name!r}>", "exec"),  # noqa: S102
         namespace)  # fmt: skip
    generated = namespace["generated"]  # (a name no formula uses: `exp` is one of theirs)
    plain = Value.__dict__[method]
    generated.__name__ = method
    generated.__doc__ = plain.__doc__
    generated.__qualname__ = f"Value.{method}"
    generated.__module__ = __name__  # found again here by pickle (nn keeps Value.tanh)
    generated.__annotations__ = plain.__annotations__
    generated.plain = plain  # the readable version it replaces, for the tests
    return generated


def _install_generated_methods() -> None:
    for method, prim, reflected in _GENERATED_BINARY:
        table = P.NUMBER_FIRST if reflected else P.NUMBER_SECOND
        source = _binary_operator_source(method, prim, reflected)
        setattr(Value, method, _generate(method, source, prim, table[prim]))
    for method, prim in _GENERATED_UNARY:
        setattr(Value, method, _generate(method, _unary_function_source(method, prim), prim))


# --- 4. the fast reverse pass ---------------------------------------------------------
# Speed trick: the same algorithm as reference_gradients, with the visited set, the dict
# of gradients and the zip over parents replaced by slots on the nodes themselves;
# measured 2.5x faster (0.12 s against 0.31 s) on benchmarks/ops.py's 100,000-op graph.


def topological_order(root: Value, *more: Value) -> list[Value]:
    """Every node ``root`` depends on, each after all of its parents (root last).

    The leaves come first, then the other nodes in the order of :func:`_walk`. With
    ``more`` roots, every node any of them depends on, each once (one pass over the
    nodes they share, however many roots share them).
    """
    with _one_pass_at_a_time:
        internal, leaves = _walk(root)
        for other in more:  # the same pass: nodes reached from earlier roots are skipped
            more_internal, more_leaves = _walk(other, root._buffer)
            internal += more_internal
            leaves += more_leaves
    return leaves + internal


# The walk marks nodes and the chain rule fills buffers on the nodes themselves, so two
# passes over shared nodes at once would mix their numbers: passes take turns. A lock
# costs one acquire per pass, and the GIL runs one pass at a time anyway.
_one_pass_at_a_time = threading.Lock()


class _PassZero(float):
    """0.0 as an object of one reverse pass alone (a subclass, so never a shared float).

    Adding to it gives a plain float.
    """

    __slots__ = ()


def _walk(root: Value, zero: Any = None) -> tuple[list[Value], list[Value]]:
    """The nodes ``root`` depends on: the ops, each after its parents, and the leaves.

    Iterative depth-first search with an explicit stack, so any depth works. Each node
    it reaches gets this pass's own zero as its gradient buffer, and that zero (a
    float object no other pass holds) is also how the search knows a node is reached:
    a mark with no hashing and no reset. The pass's first addition into a buffer
    replaces the zero with a new float, which is why the search must be over before
    the chain rule runs. Hold ``_one_pass_at_a_time`` while calling it.

    ``zero``: the mark of a pass already under way, to go on from another root and
    skip what it reached (nothing, if it reached this root).
    """
    if zero is None:
        zero = _PassZero()  # a new object each pass: `_buffer is zero` only for nodes reached now
    elif root._buffer is zero:
        return [], []
    root._buffer = zero
    if root._parent1 is None:
        return [], [root]
    internal: list[Value] = []
    leaves: list[Value] = []
    emit = internal.append
    leaf = leaves.append
    stack = [root]
    push = stack.append
    pop = stack.pop
    resume: dict[Value, int] = {}  # for a node of many parents: the next parent to look at
    while stack:
        node = stack[-1]  # an op: leaves never go on the stack
        a: Value = node._parent1  # type: ignore[assignment]  # an op has a first parent
        if a._buffer is not zero:
            a._buffer = zero
            if a._parent1 is not None:
                push(a)
                continue
            leaf(a)
        b = node._parent2
        if b is not None and b._buffer is not zero:
            if b is MANY_PARENTS:  # never this pass's zero: a node of many always comes here
                b = _next_unreached(node, zero, leaf, resume)
                if b is not None:
                    push(b)
                    continue
                emit(pop())
                continue
            b._buffer = zero
            if b._parent1 is not None:
                push(b)
                continue
            leaf(b)
        emit(pop())
    return internal, leaves


def _next_unreached(
    node: Value, zero: _PassZero, leaf: Any, resume: dict[Value, int]
) -> Value | None:
    """The next parent of a node of many parents that this pass has not reached and that
    is an op, marking the leaves it passes on the way; None once there is none.

    ``resume`` keeps where to look next time the walk comes back to the node, so each
    parent is looked at once however many parents the node has.
    """
    parents = node._local2[0]
    for i in range(resume.get(node, 1), len(parents)):  # parents[0] is _parent1: done
        p = parents[i]
        if p._buffer is not zero:
            p._buffer = zero
            if p._parent1 is not None:
                resume[node] = i + 1
                return p  # type: ignore[no-any-return]
            leaf(p)
    return None


def _propagate(internal: list[Value], leaves: list[Value], seed: float, into_grad: bool) -> None:
    """Replay the chain rule from the output (the last op, or the lone leaf) to the leaves.

    Each node's buffer is final when the loop reaches it, since all of the nodes that
    use it come later in ``internal``; with ``into_grad`` it is then added to ``.grad``.
    Hold ``_one_pass_at_a_time`` while calling it.
    """
    (internal or leaves)[-1]._buffer = seed
    for node in reversed(internal):
        g = node._buffer
        if into_grad:
            node.grad += g
        node._parent1._buffer += node._local1 * g  # type: ignore[union-attr]
        b = node._parent2
        if b is not None:
            if b is MANY_PARENTS:
                _many_parents(node, g)
            else:
                b._buffer += node._local2 * g
    if into_grad:
        for node in leaves:
            node.grad += node._buffer


def _many_parents(node: Value, g: float) -> None:
    """The chain rule into the parents of a node of many after its first (see _propagate)."""
    parents_and_locals = zip(*node._local2, strict=True)
    next(parents_and_locals)  # the first parent had its share with the others
    for p, local in parents_and_locals:
        p._buffer += local * g


def gradients(root: Value, seed: float = 1.0) -> dict[Value, float]:
    """d root / d node × seed for every node root depends on, as a new dict.

    The leaves come first, then the ops in topological order. Touches no ``.grad``.
    """
    with _one_pass_at_a_time:
        internal, leaves = _walk(root)
        _propagate(internal, leaves, seed, into_grad=False)
        return {node: node._buffer for node in leaves + internal}


# --- 5. grad mode, per thread ---------------------------------------------------------
# Each thread records parents unless it is inside no_grad(). The modes of the threads
# that changed theirs live in one dict, thread id -> (recording, the entry it replaced),
# so an op's check costs one test of an empty dict while no thread has changed its mode.

_grad_modes: dict[int, tuple[bool, Any]] = {}
_thread_id = threading.get_ident

# Thread ids are reused once a thread ends, so a thread's entry must not outlive it:
# an object in thread-local storage is freed when its thread ends, and takes the entry.
_this_thread = threading.local()


class _ThreadMark:
    __slots__ = ("__weakref__",)


def _forget_when_this_thread_ends(me: int) -> None:
    if getattr(_this_thread, "mark", None) is None:
        mark = _ThreadMark()
        weakref.finalize(mark, _grad_modes.pop, me, None)
        _this_thread.mark = mark


def is_recording() -> bool:
    """Whether ops in the calling thread record their parents."""
    if not _grad_modes:
        return True
    entry = _grad_modes.get(_thread_id())
    return entry is None or entry[0]


class recording:  # noqa: N801 - a context manager, named as the function it replaces
    """Context manager: switch recording of parents on or off in this thread.

    The object can be entered again, and from several threads: the mode to restore
    is kept per thread, not on the object. Entering changes the mode in its last
    statement, so an interrupt (Ctrl-C) while entering leaves the mode as it was. (An
    interrupt that lands just as the block is left, before the mode is restored, can
    leave it; that is a limit of Python's ``with``, and PyTorch's grad mode shares it.)
    A thread's mode goes with the thread: one that ends inside the block, or leaves it
    in another thread (a generator), leaves nothing behind for a later thread.

    Example:
        >>> x = Value(2.0)
        >>> with recording(False):
        ...     y = x * x
        >>> y.parents, is_recording()
        ((), True)
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = bool(enabled)

    def __enter__(self) -> None:
        me = _thread_id()
        _forget_when_this_thread_ends(me)
        _grad_modes[me] = (self.enabled, _grad_modes.get(me))

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        me = _thread_id()
        entry = _grad_modes.get(me)
        if entry is None:  # entered in another thread (a generator resumed elsewhere)
            return
        if entry[1] is None:
            _grad_modes.pop(me, None)
        else:
            _grad_modes[me] = entry[1]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.enabled})"


class no_grad(recording):  # noqa: N801 - the name PyTorch users know
    """Context manager: ops inside record no parents (inference, parameter updates).

    Per thread, as PyTorch's grad mode; the object can be entered again.

    Example:
        >>> w = Value(1.0)
        >>> with no_grad():
        ...     w.data -= 0.1 * 2.0           # an update, not part of any graph
        ...     y = w * 3
        >>> y.parents
        ()
    """

    def __init__(self) -> None:
        super().__init__(False)

    def __repr__(self) -> str:
        return "no_grad()"


def as_values(xs: Sequence[Any]) -> list[Value]:
    """Each item as a Value (numbers become leaves)."""
    return [x if isinstance(x, Value) else Value(x) for x in xs]


_install_generated_methods()  # (section 3b; here, once grad mode's names exist)
