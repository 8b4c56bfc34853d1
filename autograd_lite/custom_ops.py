"""Your own op: ``ag.primitive`` adds a row to the table from outside the library.

An op is what the built-in rows of :mod:`autograd_lite.primitives` are: a forward on
floats and one local derivative per input, written so that the same formula runs on
floats (the fast backward pass), on Values (higher order) and on numpy arrays (the
compiler). A learner writes the two functions; everything that reads the table (the
backward pass, ``grad(create_graph=True)``, forward mode, ``explain``, the pictures,
the Studio, ``ag.compile``, pickling) takes the new op as it takes ``tanh``.

Example:
    >>> import autograd_lite as ag
    >>> softsign = ag.primitive(
    ...     "softsign",
    ...     lambda x: x / (1 + abs(x)),                      # forward, on floats
    ...     lambda ops, x, out: (1 / (1 + abs(x)) ** 2,),    # d out / d x
    ...     array=lambda np, x: x / (1 + np.abs(x)),         # forward, on arrays
    ... )
    >>> x = ag.Value(1.0)
    >>> y = softsign(x); y.backward()
    >>> y.op, y.data, x.grad
    ('softsign', 0.5, 0.25)

The local derivatives receive ``ops``, the namespace of the few functions a formula may
call besides operators (``ops.exp``, ``ops.log``, ``ops.tanh``, ``ops.sqrt``, ``ops.sin``,
``ops.cos``, ``ops.sigmoid``, ``ops.div``, ``ops.pow``, ``ops.step``, ``ops.sign``): with
floats they are ``math``'s, with Values the Value methods, with arrays numpy's. A formula
that calls ``math.exp`` itself works on floats only: its second derivative would treat
the first as a constant.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import primitives as P
from .engine import Value, as_float, make_node
from .forward import Dual, apply_primitive
from .primitives import FLOAT_OPS, Primitive

__all__ = ["Op", "primitive"]

Domain = tuple[Callable[..., Any], "Callable[..., Exception] | str"]


class LearnerPrimitive(Primitive):
    """The row of an op made by :func:`primitive`.

    Two such ops may share a name, so the compiler tells them apart by identity, and
    pickle finds one again by the module-level name its op is assigned to.
    """

    __slots__ = ("module", "op")

    module: str  # the module that made it: where pickle looks for the op
    op: Op  # the callable that makes its nodes

    @property
    def identity(self) -> int:  # type: ignore[override]
        return id(self)

    def __reduce__(self) -> tuple[Any, ...]:
        name = _module_name_of(self)
        return (_find_primitive, (self.module, name))


def _module_name_of(prim: LearnerPrimitive) -> str:
    """The name in ``prim.module`` that holds its op, or TypeError saying how to give one."""
    module = sys.modules.get(prim.module)
    for name, value in vars(module).items() if module is not None else ():
        if isinstance(value, Op) and value.primitive is prim:
            return name
    raise TypeError(
        f"cannot pickle the op {prim.name!r} made by ag.primitive: pickle finds it again by "
        f"the name it is assigned to in the module that defines it ({prim.module}), and no "
        f"name there holds it; write `{_identifier(prim.name)} = ag.primitive(...)` at the "
        "top level of that module"
    )


def _identifier(name: str) -> str:
    return name if name.isidentifier() else "my_op"


def _find_primitive(module: str, name: str) -> LearnerPrimitive:
    """Unpickling: the row of the op ``module.name``."""
    op = getattr(importlib.import_module(module), name, None)
    if not isinstance(op, Op):
        raise TypeError(f"unpickling: {module}.{name} is no longer an op made by ag.primitive")
    return op.primitive


class Op:
    """A learner's op: call it on Values, numbers or Duals. Made by :func:`primitive`.

    Attributes:
        primitive: its row, as the table's rows are (``.name``, ``.forward``, ``.local``,
            ``.array``, ``.arity``).
        name: what ``Value.op`` shows.
    """

    __slots__ = ("primitive", "name", "arity")

    def __init__(self, prim: LearnerPrimitive) -> None:
        self.primitive = prim
        self.name = prim.name
        self.arity: int = prim.arity  # type: ignore[assignment]

    def __call__(self, *inputs: Value | Dual | float) -> Any:
        """The node of this op on ``inputs`` (a Dual on Duals).

        A number among the inputs becomes a constant leaf, ``Value(x)``, as in ``ag.dot``.

        Raises:
            TypeError: naming the op, for the wrong number of inputs or an input that is
                not a Value, a Dual or a real number.
        """
        if len(inputs) != self.arity:
            raise TypeError(
                f"{self.name}: takes {_inputs(self.arity)}, got {len(inputs)}"
                f" ({', '.join(type(x).__name__ for x in inputs) or 'none'})"
            )
        if any(isinstance(x, Dual) for x in inputs):
            if any(isinstance(x, Value) for x in inputs):
                raise TypeError(f"{self.name}: cannot mix Values and Duals")
            duals = [
                x if isinstance(x, Dual) else Dual(self._number(x, i)) for i, x in enumerate(inputs)
            ]
            return apply_primitive(self.primitive, *duals)
        parents = [
            x if isinstance(x, Value) else Value(self._number(x, i)) for i, x in enumerate(inputs)
        ]
        return make_node(self.primitive, parents)

    def _number(self, x: object, i: int) -> float:
        try:
            return as_float(x, f"{self.name}: input {i}")
        except TypeError:
            raise TypeError(
                f"{self.name}: input {i} must be a Value, a Dual or a real number, "
                f"got {type(x).__name__}"
            ) from None

    def __repr__(self) -> str:
        return f"<op {self.name!r} of {_inputs(self.arity)}, made by ag.primitive>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_find_op, (self.primitive.module, _module_name_of(self.primitive)))


def _find_op(module: str, name: str) -> Op:
    """Unpickling: the op ``module.name``."""
    return _find_primitive(module, name).op


def _inputs(n: int) -> str:
    return "1 input" if n == 1 else f"{n} inputs"


def primitive(
    name: str,
    forward: Callable[..., float],
    local: Callable[..., Any],
    *,
    array: Callable[..., Any] | None = None,
    domain: Domain | None = None,
) -> Op:
    """A new primitive op, with its derivative, that every part of the library takes.

    Args:
        name: what ``Value.op`` shows (and drawings, ``explain``, the Studio); not the
            name of a built-in op.
        forward: ``forward(*xs)``, the op on floats: one argument per input.
        local: ``local(ops, *xs, out)``, the local derivatives ∂out/∂x for each input, as
            a tuple (a single one may be returned bare), written with operators and the
            functions of ``ops`` so that the same formula runs on floats, on Values and
            on numpy arrays. ``out`` is the forward's result.
        array: ``array(np, *xs)``, the forward on numpy arrays (one number per sample),
            for ``ag.compile``; without it, compiling a function that uses the op is an
            error naming it.
        domain: ``(outside, error)``, where the op has no result and what to raise
            there, as the built-in rows have it: ``outside(*xs)`` true there (written
            with operators, so that it also runs on arrays: ``lambda x: x < 0``), and
            ``error(*xs)`` the exception, or a message for a ValueError.

    Returns:
        An :class:`Op`: ``op(*inputs)`` is a Value whose ``.op`` is ``name`` (a Dual on
        Duals).

    Raises:
        TypeError: naming the op, if ``forward``, ``local``, ``array`` or the parts of
            ``domain`` are not callable, or ``local`` and ``forward`` do not take the
            same inputs.
        ValueError: if ``name`` is empty or a built-in op's.

    Example:
        >>> import math
        >>> hypot = primitive(
        ...     "hypot", math.hypot, lambda ops, a, b, out: (a / out, b / out),
        ...     array=lambda np, a, b: np.hypot(a, b))
        >>> a, b = Value(3.0), Value(4.0)
        >>> c = hypot(a, b); c.backward()
        >>> c.data, a.grad, b.grad
        (5.0, 0.6, 0.8)
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"ag.primitive: name must be a non-empty string, got {name!r}")
    who = f"ag.primitive({name!r})"
    if name in _BUILT_IN:
        raise ValueError(f"{who}: {name!r} is a built-in op's name; give your op a name of its own")
    for argument, function in (("forward", forward), ("local", local), ("array", array)):
        if function is not None and not callable(function):
            raise TypeError(f"{who}: {argument} must be callable, got {type(function).__name__}")
    arity = _arity(local, who)
    _check_forward_takes(forward, arity, who)
    outside, error = _domain(domain, name, who)
    prim = LearnerPrimitive(
        name,
        _checked_forward(forward, name),
        None if array is None else _checked_array(array, name),
        _checked_local(local, name, arity),
        outside,
        error,
        arity=arity,
    )
    # the module whose code calls ag.primitive: where the op is assigned to a name
    prim.module = sys._getframe(1).f_globals.get("__name__", "__main__")
    op = Op(prim)
    prim.op = op
    return op


_BUILT_IN = {*P.UNARY, *P.BINARY, *P.VARIADIC, *P.PARAMETRISED}


def _arity(local: Callable[..., Any], who: str) -> int:
    """How many inputs ``local(ops, *xs, out)`` names."""
    try:
        parameters = list(inspect.signature(local).parameters.values())
    except (TypeError, ValueError):
        raise TypeError(
            f"{who}: local's signature cannot be read; write it as a def or a lambda "
            "local(ops, x, out)"
        ) from None
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in parameters) or len(positional) < 3:
        raise TypeError(
            f"{who}: local must take ops, then one argument per input, then out: "
            "local(ops, x, out) for one input, local(ops, a, b, out) for two; "
            f"got local{inspect.signature(local)}"
        )
    return len(positional) - 2


def _check_forward_takes(forward: Callable[..., Any], arity: int, who: str) -> None:
    try:
        signature = inspect.signature(forward)
    except (TypeError, ValueError):  # some built-in functions have none to read
        return
    try:
        signature.bind(*[0.0] * arity)
    except TypeError:
        raise TypeError(
            f"{who}: local takes {_inputs(arity)} (local(ops, *xs, out)) but forward "
            f"cannot be called with {arity}: forward{signature}"
        ) from None


def _domain(
    domain: Domain | None, name: str, who: str
) -> tuple[Callable[..., Any] | None, Callable[..., Exception] | None]:
    if domain is None:
        return None, None
    if not isinstance(domain, tuple | list) or len(domain) != 2:
        raise TypeError(f"{who}: domain must be a pair (outside, error), got {domain!r}")
    outside, error = domain
    if not callable(outside):
        raise TypeError(f"{who}: domain's outside must be callable, got {type(outside).__name__}")
    if isinstance(error, str):
        message = error

        def error(*xs: float) -> Exception:
            at = ", ".join(repr(float(x)) for x in xs)
            return ValueError(f"{name}: {message}, got {at}")

    elif not callable(error):
        raise TypeError(
            f"{who}: domain's error must be callable or a message, got {type(error).__name__}"
        )
    return outside, error


def _checked_forward(forward: Callable[..., Any], name: str) -> Callable[..., float]:
    """The learner's forward, whose result must be a real number, and whose own
    arithmetic errors name the op."""

    def checked(*xs: float) -> float:
        try:
            out = forward(*xs)
        except (ValueError, ZeroDivisionError, OverflowError) as e:
            if type(e) not in (ValueError, ZeroDivisionError, OverflowError):
                raise  # (a subclass may need other arguments)
            raise type(e)(f"{name}: {e} (forward at {_at(xs)})") from e
        if out.__class__ is float:
            return out  # type: ignore[no-any-return]
        try:
            return as_float(out)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name}: forward must return a real number, got {type(out).__name__} "
                f"(at {_at(xs)})"
            ) from None

    return checked


def _checked_array(array: Callable[..., Any], name: str) -> Callable[..., Any]:
    def checked(np: Any, *xs: Any) -> Any:
        return array(np, *xs)

    checked.__name__ = f"{name}_array"
    return checked


def _checked_local(local: Callable[..., Any], name: str, arity: int) -> Callable[..., Any]:
    """The learner's local derivatives, as a tuple of one per input (checked)."""

    def checked(ops: Any, *xs_then_out: Any) -> tuple[Any, ...]:
        derivatives = local(ops, *xs_then_out)
        if not isinstance(derivatives, tuple | list):
            derivatives = (derivatives,)
        if len(derivatives) != arity:
            raise ValueError(
                f"{name}: local returned {len(derivatives)} derivative"
                f"{'' if len(derivatives) == 1 else 's'} for {_inputs(arity)}; it must "
                "return one per input, as a tuple (d out/d x1, d out/d x2, ...)"
            )
        if ops is FLOAT_OPS:
            for i, d in enumerate(derivatives):
                if d.__class__ is not float:
                    try:
                        as_float(d)
                    except (TypeError, ValueError):
                        raise TypeError(
                            f"{name}: local's derivative {i} must be a real number on floats, "
                            f"got {type(d).__name__} (at {_at(xs_then_out[:-1])})"
                        ) from None
            if any(d.__class__ is not float for d in derivatives):
                derivatives = tuple(float(d) for d in derivatives)
        return tuple(derivatives)

    return checked


def _at(xs: Sequence[Any]) -> str:
    return ", ".join(f"{float(x)!r}" if isinstance(x, int | float) else repr(x) for x in xs)
