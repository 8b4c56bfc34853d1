"""``Value``: one scalar node of a computation graph, and the reverse pass over it.

A node records its parents, the primitive that made it and that primitive's local
derivatives (one float per parent). It holds no closure and no reference back to
itself, so a graph that is dropped is freed by reference counting alone.
"""

from __future__ import annotations

import numbers
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeAlias

from . import primitives as P
from .primitives import ADD, DIV, FLOAT_OPS, MUL, SUB, Primitive, WithNumber

Number: TypeAlias = int | float
Operand: TypeAlias = "Value | int | float"

_recording = True  # switched off by no_grad()

# A number mixed into an op (``v * 2``) is kept in the node rather than made a leaf of
# its own. Tracing switches this off, so that the numbers become constants of its tape.
fold_numbers = True

# The seed of the last backward pass from each output, for explain().
last_seed: weakref.WeakKeyDictionary[Value, float] = weakref.WeakKeyDictionary()


def _as_float(x: object) -> float:
    """Convert a real number to float, or raise TypeError naming its type."""
    kind = type(x)
    if kind is float:
        return x  # type: ignore[return-value]
    if kind is int or kind is bool:
        return float(x)  # type: ignore[arg-type]
    if isinstance(x, numbers.Real):
        return float(x)
    if kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_"):  # not numbers.Real
        return float(bool(x))
    raise TypeError(
        f"Value needs a real number (int, float, bool or a numpy real scalar), got {kind.__name__}"
    )


def _number(x: object) -> float | None:
    """``x`` as a float if it is a real number (not a Value), else None."""
    kind = x.__class__
    if kind is float:
        return x  # type: ignore[return-value]
    if kind is int:
        return float(x)  # type: ignore[arg-type]
    try:
        return _as_float(x)  # a Value is no real number: TypeError
    except TypeError:
        return None


def _leaf(data: float, label: str = "") -> Value:
    node = _new(Value)
    node._data = data
    node.grad = 0.0
    node.label = label
    node._g = 0.0
    node._a = node._b = node._prim = None
    return node


# A node made by a primitive keeps at most two parents, each with its local
# derivative, in plain slots (_a, _la) and (_b, _lb) rather than in tuples: one
# allocation per node instead of three, which keeps the garbage collector quiet.
# The three node makers below fill their slots inline, each in full, rather than
# through a shared helper: a call more per op would cost every forward pass.


def _unary(prim: Primitive, a: Value) -> Value:
    x = a._data
    out = prim.forward(x)
    node = _new(Value)
    node._data = out
    node.grad = 0.0
    node.label = ""
    node._g = 0.0
    node._b = None
    if _recording:
        node._a = a
        (node._la,) = prim.local(FLOAT_OPS, x, out)
        node._prim = prim
    else:
        node._a = node._prim = None
    return node


def _binary(prim: Primitive, a: Value, b: Value) -> Value:
    x = a._data
    y = b._data
    out = prim.forward(x, y)
    node = _new(Value)
    node._data = out
    node.grad = 0.0
    node.label = ""
    node._g = 0.0
    if _recording:
        node._a = a
        node._b = b
        node._la, node._lb = prim.local(FLOAT_OPS, x, y, out)
        node._prim = prim
    else:
        node._a = node._b = node._prim = None
    return node


def _with_number(op: WithNumber, a: Value, number: float) -> Value:
    """The node for ``a op number``, or ``number op a`` when ``op.number_first``.

    The number is kept in the node (in ``_lb``, as such a node has no ``_b``) rather
    than in a leaf of its own.
    """
    prim = op.binary
    x = a._data
    first = op.number_first
    out = prim.forward(number, x) if first else prim.forward(x, number)
    node = _new(Value)
    node._data = out
    node.grad = 0.0
    node.label = ""
    node._g = 0.0
    node._b = None
    if _recording:
        node._a = a
        node._lb = number
        if first:
            node._la = prim.local(FLOAT_OPS, number, x, out)[1]
        else:
            node._la = prim.local(FLOAT_OPS, x, number, out)[0]
        node._prim = op
    else:
        node._a = node._prim = None
    return node


def _operate(prim: Primitive, a: Value, other: object) -> Value:
    """``a prim other`` for an ``other`` that is not exactly a Value (NotImplemented if
    it is not a number either)."""
    if isinstance(other, Value):
        return _binary(prim, a, other)
    number = _number(other)
    if number is None:
        return NotImplemented
    if fold_numbers:
        return _with_number(P.NUMBER_SECOND[prim], a, number)
    return _binary(prim, a, _leaf(number))


def _reflected(prim: Primitive, other: object, a: Value) -> Value:
    """``other prim a``, for the reflected operators (``2 - v``)."""
    if isinstance(other, Value):
        return _binary(prim, other, a)
    number = _number(other)
    if number is None:
        return NotImplemented
    if fold_numbers:
        return _with_number(P.NUMBER_FIRST[prim], a, number)
    return _binary(prim, _leaf(number), a)


def _compared(other: object) -> float | None:
    """The number to compare a Value with: other's data, or other as a float."""
    return other._data if isinstance(other, Value) else _number(other)


class Value:
    """A scalar that remembers how it was computed, so that gradients can flow back.

    Args:
        x: a real number (int, float, bool or numpy real scalar); stored as float.
        label: free text shown in ``repr`` and in graph drawings.

    Example:
        >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
        >>> c = a * b + a.exp(); c.backward()
        >>> a.grad, b.grad
        (4.389056098930650, 2.0)
    """

    # The slots the reverse pass reads come first, next to each other in memory.
    __slots__ = (
        "_a",
        "_b",
        "_la",
        "_lb",
        "_g",
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
    _prim: Primitive | WithNumber | None
    _a: Value | None  # first parent, None for a leaf
    _b: Value | None  # second parent, None for a leaf or a unary op
    _la: float  # d self / d _a
    _lb: float  # d self / d _b; for a WithNumber op (which has no _b), the number
    _g: float  # the gradient buffer of the last reverse pass that reached this node

    def __init__(self, x: Number, label: str = "") -> None:
        self._data = _as_float(x)
        self.grad = 0.0
        self.label = label
        self._g = 0.0
        self._a = self._b = self._prim = None

    # --- attributes -------------------------------------------------------

    @property
    def data(self) -> float:
        """The number this node holds; writable (optimizers update it)."""
        return self._data

    @data.setter
    def data(self, x: Number) -> None:
        self._data = _as_float(x)

    @property
    def op(self) -> str:
        """``""`` for a leaf, else the name of the op that made this node."""
        prim = self._prim
        return prim.name if prim is not None else ""

    @property
    def parents(self) -> tuple[Value, ...]:
        """The nodes this one was computed from (empty for a leaf)."""
        a = self._a
        if a is None:
            return ()
        b = self._b
        return (a,) if b is None else (a, b)

    @property
    def primitive(self) -> Primitive | WithNumber | None:
        """The primitive that made this node (None for a leaf)."""
        return self._prim

    @property
    def number(self) -> float | None:
        """The plain number the op took besides its parents (the 2 of ``v * 2``), or None."""
        return self._lb if isinstance(self._prim, WithNumber) else None

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d self / d parent for each parent, as recorded in the forward pass."""
        if self._a is None:
            return ()
        return (self._la,) if self._b is None else (self._la, self._lb)

    # --- arithmetic -------------------------------------------------------

    def __add__(self, other: Operand) -> Value:
        if other.__class__ is Value:
            return _binary(ADD, self, other)
        return _operate(ADD, self, other)

    def __radd__(self, other: Operand) -> Value:
        return _reflected(ADD, other, self)

    def __sub__(self, other: Operand) -> Value:
        if other.__class__ is Value:
            return _binary(SUB, self, other)
        return _operate(SUB, self, other)

    def __rsub__(self, other: Operand) -> Value:
        return _reflected(SUB, other, self)

    def __mul__(self, other: Operand) -> Value:
        if other.__class__ is Value:
            return _binary(MUL, self, other)
        return _operate(MUL, self, other)

    def __rmul__(self, other: Operand) -> Value:
        return _reflected(MUL, other, self)

    def __truediv__(self, other: Operand) -> Value:
        if other.__class__ is Value:
            return _binary(DIV, self, other)
        return _operate(DIV, self, other)

    def __rtruediv__(self, other: Operand) -> Value:
        return _reflected(DIV, other, self)

    def __pow__(self, other: Operand, modulo: None = None) -> Value:
        if modulo is not None:
            return NotImplemented
        if isinstance(other, Value):
            return _binary(P.POW, self, other)
        try:
            n = _as_float(other)
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

    def relu(self) -> Value:
        """max(self, 0); its derivative at 0 is 0."""
        return _unary(P.RELU, self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """self for self > 0, else slope * self; its derivative at 0 is ``slope``."""
        return _unary(P.leaky_relu(_as_float(slope)), self)

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

    def __repr__(self) -> str:
        label = f"{self.label}, " if self.label else ""
        return f"Value({label}data={self._data!r}, grad={self.grad!r})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """In Jupyter a Value displays as its graph (or, when it cannot be drawn, its repr)."""
        from .viz.graph import mimebundle

        return mimebundle(self, include, exclude)

    # --- the graph ----------------------------------------------------------

    def backward(self, grad: Number = 1.0) -> None:
        """Add d self / d node × ``grad`` into ``.grad`` of every node self depends on.

        The pass keeps its own gradient buffer and adds it into ``.grad`` at the end,
        so gradients accumulate across calls and a second pass from an overlapping
        graph is exact.
        """
        seed = _as_float(grad)
        _propagate(*_walk(self), seed, into_grad=True)
        last_seed[self] = seed

    def detach(self) -> Value:
        """A new leaf holding the same number, cut off from this graph."""
        return _leaf(self._data)

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

    # Where Python wants a plain number, a Value acts as its .data. None of these is
    # differentiable: they return ints and floats, which have no graph.

    def __format__(self, spec: str) -> str:
        """``f"{v:.4f}"`` formats ``.data``; a bare ``f"{v}"`` is ``str(v)``.

        Example:
            >>> f"{Value(2 / 3):.3f}"
            '0.667'
        """
        return format(self.data, spec) if spec else str(self)

    def __round__(self, ndigits: int | None = None) -> float:
        """``round(v)`` is an int and ``round(v, n)`` a float, of ``.data``."""
        return round(self.data) if ndigits is None else round(self.data, ndigits)

    def __int__(self) -> int:
        """``int(v)``: ``.data`` truncated toward zero, as ``int(2.7)`` is 2."""
        return int(self.data)

    def __trunc__(self) -> int:
        return self.data.__trunc__()

    def __floor__(self) -> int:
        return self.data.__floor__()

    def __ceil__(self) -> int:
        return self.data.__ceil__()

    # --- pickling: a graph of any depth, shared nodes kept shared ---
    # A node pickles as the instruction to make it again: its primitive (by name, see
    # primitives.lookup), its parents, its number, then data, grad and label. Unpickling
    # runs the same node maker on the restored parents. Pickle would recurse once per
    # level of the graph to reach the parents first, so the node being pickled lists
    # its computed ancestors first, in topological order: each is then pickled after
    # its own parents, which pickle has by then, and no recursion goes deeper than one.

    # The ancestors listed by the node being pickled, by id: they pickle without a list.
    # Only how deep pickle recurses depends on this dict, never what it writes (so two
    # threads pickling at once cost each other time at worst, never correctness).
    _pickle_listed: dict[int, Value] = {}

    class _EndOfGraph:
        """Pickled last in a listing node's arguments: the listing is over (unpickles to ())."""

        def __reduce__(self) -> tuple[Any, ...]:
            Value._pickle_listed.clear()
            return (tuple, ())

    def __reduce__(self) -> tuple[Any, ...]:
        listed = Value._pickle_listed
        try:
            record = self._pickle_record()
        except TypeError:
            listed.clear()  # the pickle is abandoned: hold none of its nodes
            raise
        if listed.pop(id(self), None) is self:
            return (Value._unpickle, record)
        ancestors = self._computed_ancestors()
        if not ancestors:  # only leaves above: nothing to recurse into
            return (Value._unpickle, record)
        listed.clear()  # left over from a listing whose nodes were pickled before it
        listed.update((id(node), node) for node in ancestors)
        # The ancestors come first among the arguments, as pickle writes them in order.
        return (Value._unpickle_after, (ancestors, Value._EndOfGraph(), *record))

    def __copy__(self) -> Value:
        """``copy.copy(v)``: a new node made like this one, from the same parents."""
        return Value._unpickle(*self._pickle_record())

    def _pickle_record(self) -> tuple[Any, ...]:
        """(primitive, parents, number, data, grad, label): what makes this node again."""
        prim, parents, number = self.primitive, self.parents, self.number
        if prim is not None and parents:
            inputs = [p.data for p in parents]
            if isinstance(prim, WithNumber):
                inputs = list(prim.operands(inputs[0], number))
                forward = prim.binary.forward
            else:
                forward = prim.forward
            try:
                again = forward(*inputs)
            except (ArithmeticError, ValueError):
                again = None
            data = self.data
            if again is None or (again != data and not (again != again and data != data)):
                raise TypeError(
                    f"cannot pickle {self!r}: its parents' data changed after it was computed "
                    f"(an optimizer step?), so its local derivatives cannot be made again; "
                    f"pickle it before the change, or compute it again"
                )
        return (prim, parents, number, self.data, self.grad, self.label)

    def _computed_ancestors(self) -> list[Value]:
        """The ancestors made by an op, each after its own parents (iterative, any depth)."""
        order: list[Value] = []
        seen = {id(self)}
        stack = [self]
        while stack:
            node = stack[-1]
            for parent in node.parents:
                if parent.parents and id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append(parent)
                    break
            else:  # every parent is a leaf or already in order
                order.append(stack.pop())
        order.pop()  # self
        return order

    @staticmethod
    def _unpickle(
        prim: Primitive | WithNumber | None,
        parents: tuple[Value, ...],
        number: float | None,
        data: float,
        grad: float,
        label: str,
    ) -> Value:
        """The node a pickle describes, made again by its node maker."""
        if prim is None or not parents:
            node = _leaf(data, label)
        else:
            if not is_recording():  # unpickled under no_grad: the graph is restored all the same
                with recording(True):
                    return Value._unpickle(prim, parents, number, data, grad, label)
            if isinstance(prim, WithNumber):
                node = _with_number(prim, parents[0], number)  # type: ignore[arg-type]
            elif len(parents) == 1:
                node = _unary(prim, parents[0])
            elif len(parents) == 2:
                node = _binary(prim, parents[0], parents[1])
            else:
                raise ValueError(f"unpickle: no node maker for {prim!r} of {len(parents)} parents")
            node.data = data  # the same number, unless another machine's libm rounds otherwise
            node.label = label
        node.grad = grad
        return node

    @staticmethod
    def _unpickle_after(_ancestors: list[Value], _end: Any, *record: Any) -> Value:
        """The node a listing pickle describes (its ancestors are made by then)."""
        return Value._unpickle(*record)


# Every node is allocated through this name. ``tracing`` swaps it for the length of a
# trace, so that each node made while tracing is a Tracer; keep allocations going through it.
_new = object.__new__


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each after all of its parents (root last).

    The leaves come first, then the other nodes in the order of :func:`_walk`.
    """
    internal, leaves = _walk(root)
    return leaves + internal


class _PassZero(float):
    """0.0 as an object of one reverse pass alone (a subclass, so never a shared float).

    Adding to it gives a plain float.
    """

    __slots__ = ()


def _walk(root: Value) -> tuple[list[Value], list[Value]]:
    """The nodes ``root`` depends on: the ops, each after its parents, and the leaves.

    Iterative depth-first search with an explicit stack, so any depth works. Each node
    it reaches gets this pass's own zero as its gradient buffer ``_g``, and that zero
    (a float object no other pass holds) is also how the search knows a node is
    reached: a mark with no hashing and no reset. The pass's first addition into a
    buffer replaces the zero with a new float, which is why the search must be over
    before the chain rule runs.
    """
    zero = _PassZero()  # a new object each pass: `_g is zero` only for nodes reached now
    root._g = zero
    if root._a is None:
        return [], [root]
    internal: list[Value] = []
    leaves: list[Value] = []
    emit = internal.append
    leaf = leaves.append
    stack = [root]
    push = stack.append
    pop = stack.pop
    while stack:
        node = stack[-1]  # an op: leaves never go on the stack
        a: Value = node._a  # type: ignore[assignment]  # an op has a first parent
        if a._g is not zero:
            a._g = zero
            if a._a is not None:
                push(a)
                continue
            leaf(a)
        b = node._b
        if b is not None and b._g is not zero:
            b._g = zero
            if b._a is not None:
                push(b)
                continue
            leaf(b)
        emit(pop())
    return internal, leaves


def _propagate(internal: list[Value], leaves: list[Value], seed: float, into_grad: bool) -> None:
    """Replay the chain rule from the output (the last op, or the lone leaf) to the leaves.

    Each node's ``_g`` is final when the walk reaches it, since all of the nodes that
    use it come later in ``internal``; with ``into_grad`` it is then added to ``.grad``.
    """
    (internal or leaves)[-1]._g = seed
    for node in reversed(internal):
        g = node._g
        if into_grad:
            node.grad += g
        node._a._g += node._la * g  # type: ignore[union-attr]
        b = node._b
        if b is not None:
            b._g += node._lb * g
    if into_grad:
        for node in leaves:
            node.grad += node._g


def gradients(root: Value, seed: float = 1.0) -> dict[Value, float]:
    """d root / d node × seed for every node root depends on, as a new dict.

    Touches no ``.grad`` field.
    """
    internal, leaves = _walk(root)
    _propagate(internal, leaves, seed, into_grad=False)
    return {node: node._g for node in leaves + internal}


def gradient_graph(root: Value, seed: Value) -> dict[Value, Value]:
    """Like :func:`gradients`, but each gradient is a Value built as a new graph.

    The local derivatives are the primitives' own formulas evaluated on the graph's
    nodes, so the result can be differentiated again, to any order.
    """
    order = topological_order(root)
    buffer: dict[Value, Value] = {root: seed}
    with recording(True):
        for node in reversed(order):
            g = buffer.get(node)
            prim = node._prim
            if g is None or prim is None:
                continue
            parents = node.parents
            if isinstance(prim, WithNumber):
                # the formula reads the number as the constant leaf it stands for
                locals_ = prim.local(VALUE_OPS, node._a, _leaf(node._lb), node)
            else:
                locals_ = prim.local(VALUE_OPS, *parents, node)
            for parent, local in zip(parents, locals_, strict=True):
                if isinstance(local, float | int):
                    if local == 0:
                        continue  # a locally constant zero derivative adds nothing
                    contribution = g if local == 1 else g * local
                else:
                    contribution = local * g
                previous = buffer.get(parent)
                buffer[parent] = contribution if previous is None else previous + contribution
    return buffer


@contextmanager
def recording(enabled: bool) -> Iterator[None]:
    """Switch recording of parents on or off inside a ``with`` block."""
    global _recording
    previous = _recording
    _recording = enabled
    try:
        yield
    finally:
        _recording = previous


def no_grad() -> Any:
    """Context manager: ops inside record no parents (inference, parameter updates)."""
    return recording(False)


def is_recording() -> bool:
    """Whether ops currently record their parents."""
    return _recording


class ValueOps:
    """The functions a derivative formula may call, on Values (for higher order)."""

    @staticmethod
    def sin(x: Value) -> Value:
        return x.sin()

    @staticmethod
    def cos(x: Value) -> Value:
        return x.cos()

    @staticmethod
    def log(x: Value) -> Value:
        return x.log()

    @staticmethod
    def div(a: Operand, b: Value) -> Value | float:
        if b._data == 0:  # a singular point (sqrt'(0)): the derivative is a constant inf
            return FLOAT_OPS.div(float(a), 0.0)
        return a / b

    @staticmethod
    def pow(a: Value, b: Operand) -> Value | float:
        exponent = float(b)
        if a._data == 0 and exponent <= 0:  # singular at a zero base: constant
            return FLOAT_OPS.pow(0.0, exponent)
        return a**b

    @staticmethod
    def mul_log(out: Value, base: Value) -> Value | float:
        return 0.0 if out._data == 0 else out * base.log()

    @staticmethod
    def step(x: Value, below: float = 0.0) -> float:
        return FLOAT_OPS.step(x._data, below)

    @staticmethod
    def sign(x: Value) -> float:
        return FLOAT_OPS.sign(x._data)


VALUE_OPS = ValueOps


def as_values(xs: Sequence[Any]) -> list[Value]:
    """Each item as a Value (numbers become leaves)."""
    return [x if isinstance(x, Value) else Value(x) for x in xs]
