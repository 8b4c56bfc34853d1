"""Jacobians both ways, and Hessian-vector products, from the two sweeps of one graph.

For ``fn`` from n inputs to m outputs, the Jacobian J is the m × n matrix of
∂out_i/∂x_j. The engine gives two ways to read it:

* forward mode, :func:`~autograd_lite.jvp`: one sweep from the inputs gives J·t for a
  direction t; with t = e_j (1 at input j, 0 elsewhere) that is column j. n sweeps.
* reverse mode, :func:`vjp`: one sweep from the outputs gives c·J for a cotangent c
  (one weight per output); with c = e_i that is row i. m sweeps.

Take ``fn(x, y) = [x * y, x + y]`` at (2, 3)::

    J = | ∂(xy)/∂x   ∂(xy)/∂y  |  =  | 3  2 |
        | ∂(x+y)/∂x  ∂(x+y)/∂y |     | 1  1 |

    forward, t = (1, 0):  J·t = (3, 1), the first column
    reverse, c = (1, 0):  c·J = (3, 2), the first row

So a wide Jacobian (a loss of many weights: m = 1, n large) is cheapest in reverse, one
sweep for all n; a tall one (n = 1, m large) in forward. Both sweeps use the same local
derivatives, so they agree to rounding.

Second derivatives come from composing the two. The reverse sweep with
``grad(..., create_graph=True)`` builds the gradient as a graph of Values; sweeping a
tangent v forward through *that* graph gives d(∇f)·v = H·v, the Hessian times v, in
one more pass and without ever forming H (:func:`hvp`, "forward over reverse").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeAlias

from .arguments import Number, call, input_leaves, point_of, same_length
from .engine import Value
from .forward import push_forward
from .functional import grad
from .support.checks import real_number, real_numbers

Fn: TypeAlias = Callable[[list[Value]], "Value | Sequence[Value]"]
Pullback: TypeAlias = Callable[["Number | Sequence[Number]"], list[float]]


def vjp(fn: Fn, xs: Sequence[Number]) -> tuple[float | list[float], Pullback]:
    """Reverse mode: the output of ``fn`` at ``xs``, and its pullback.

    ``fn`` is run once on Values to record its graph. ``pullback(c)`` then sends the
    cotangent ``c`` (one weight per output) back through that graph in one reverse
    pass: it sums ``c_i × out_i`` into a single node and takes its gradient, which is
    ``Σ_i c_i ∂out_i/∂x_j`` for each input, the vector c times the Jacobian.

    Args:
        fn: maps a list of Values to a Value or a list of Values.
        xs: the point, one number per input.

    Returns:
        ``(out, pullback)``: ``out`` a float, or a list of floats when ``fn`` returns a
        list; ``pullback(cotangent)`` a list of floats, one per input. The cotangent is
        a number for a scalar ``fn``, else a list as long as ``fn``'s output list. The
        pullback touches no ``.grad`` and may be called any number of times.

    Raises:
        TypeError, ValueError: for bad ``fn`` or ``xs`` (at once), or a bad cotangent
            (when the pullback is called).

    Example:
        >>> out, pullback = vjp(lambda v: [v[0] * v[1], v[0] + v[1]], [2.0, 3.0])
        >>> out
        [6.0, 5.0]
        >>> pullback([1.0, 0.0]), pullback([0.0, 1.0]), pullback([1.0, 10.0])
        ([3.0, 2.0], [1.0, 1.0], [13.0, 12.0])
    """
    return _vjp(fn, xs, "vjp")


def _vjp(fn: Fn, xs: Sequence[Number], who: str) -> tuple[float | list[float], Pullback]:
    """:func:`vjp`, its errors about ``fn`` and ``xs`` naming ``who`` (the function called)."""
    inputs = input_leaves(point_of(xs, who))
    outputs, many = call(fn, inputs, who)

    def pullback(cotangent: Number | Sequence[Number]) -> list[float]:
        weights = _cotangent(cotangent, len(outputs), many)
        total: Value | None = None
        for weight, out in zip(weights, outputs, strict=True):
            if weight == 0.0:
                continue  # adds nothing (and keeps 0 × inf out of the sum)
            term = out if weight == 1.0 else out * weight
            total = term if total is None else total + term
        if total is None:
            return [0.0] * len(inputs)
        if total not in outputs and not total.parents:
            raise RuntimeError(
                "vjp: the pullback builds Σ cotangent × output as new nodes, so it cannot "
                "run inside no_grad(); call it outside"
            )
        return grad(total, inputs)

    out = [o.data for o in outputs] if many else outputs[0].data
    return out, pullback


def _cotangent(cotangent: object, n_outputs: int, many: bool) -> list[float]:
    if not many:
        if isinstance(cotangent, list | tuple):
            raise TypeError(
                "vjp pullback: cotangent must be a number, as fn returns a Value, "
                f"got {type(cotangent).__name__}"
            )
        return [real_number(cotangent, "vjp pullback", "cotangent")]
    if not isinstance(cotangent, list | tuple):
        raise TypeError(
            f"vjp pullback: cotangent must be a list of {n_outputs} numbers, one per output "
            f"of fn, got {type(cotangent).__name__}"
        )
    weights = real_numbers(cotangent, "vjp pullback", "cotangent")
    if len(weights) != n_outputs:
        raise ValueError(
            f"vjp pullback: cotangent has {len(weights)} numbers but fn returns "
            f"{n_outputs} outputs; give one per output"
        )
    return weights


def _one_hot(i: int, n: int) -> list[float]:
    return [1.0 if j == i else 0.0 for j in range(n)]


def jacobian(
    fn: Fn, xs: Sequence[Number], mode: str = "reverse"
) -> list[float] | list[list[float]]:
    """The Jacobian of ``fn`` at ``xs``: ∂out_i/∂x_j for every output and input.

    Args:
        fn: maps a list of Values to a Value or a list of Values.
        xs: the point, one number per input.
        mode: ``"reverse"`` builds it row by row, one :func:`vjp` pullback per output
            (``fn`` is run once); ``"forward"`` column by column, one
            :func:`~autograd_lite.jvp` per input (``fn`` is run once per input). Both
            give the same numbers.

    Returns:
        For a scalar ``fn``, its gradient: a list of floats, one per input. Otherwise a
        list of rows, one per output, each with one column per input.

    Raises:
        ValueError: for a mode other than the two.
        TypeError, ValueError: naming ``jacobian``, for a bad ``fn`` (one that returns
            no Values) or ``xs``.

    Example:
        >>> f = lambda v: [v[0] * v[1], v[0] + v[1], v[0].exp()]
        >>> jacobian(f, [2.0, 3.0])
        [[3.0, 2.0], [1.0, 1.0], [7.38905609893065, 0.0]]
        >>> jacobian(f, [2.0, 3.0], mode="forward") == jacobian(f, [2.0, 3.0])
        True
    """
    if mode not in ("forward", "reverse"):
        raise ValueError(f"jacobian: mode must be 'forward' or 'reverse', got {mode!r}")
    if mode == "reverse":
        out, pullback = _vjp(fn, xs, "jacobian")
        if not isinstance(out, list):
            return pullback(1.0)
        return [pullback(_one_hot(i, len(out))) for i in range(len(out))]
    point = point_of(xs, "jacobian")
    columns = [_jvp_column(fn, point, j, "jacobian") for j in range(len(point))]
    if not isinstance(columns[0], list):
        return [float(c) for c in columns]  # type: ignore[arg-type]
    return [list(row) for row in zip(*columns, strict=True)]  # type: ignore[call-overload]


def _jvp_column(fn: Fn, point: list[float], j: int, who: str) -> float | list[float]:
    """Column ``j`` of the Jacobian: :func:`~autograd_lite.jvp` along e_j, its errors
    about ``fn`` naming ``who``."""
    inputs = input_leaves(point)
    outputs, many = call(fn, inputs, who)
    swept = push_forward(outputs, dict(zip(inputs, _one_hot(j, len(point)), strict=True)))
    return [swept[out] for out in outputs] if many else swept[outputs[0]]


def hvp(
    fn: Callable[[list[Value]], Value], xs: Sequence[Number], v: Sequence[Number]
) -> list[float]:
    """The Hessian of a scalar ``fn`` at ``xs`` times the vector ``v``, forward over reverse.

    The reverse sweep, ``grad(fn(x), x, create_graph=True)``, records the gradient ∇f
    as a graph of Values on top of fn's own. A forward sweep of the tangent ``v``
    through that graph (:func:`~autograd_lite.forward.push_forward`) gives the
    directional derivative of ∇f along v, which is H·v. It costs about as much as two
    gradients, whatever the number of inputs, and never forms H.

    For ``f(x, y) = x²y`` the gradient graph is ``(2xy, x²)``; moving along v = (1, 0)
    it changes at ``(2y, 2x)``, the first column of ``H = [[2y, 2x], [2x, 0]]``.

    Args:
        fn: maps a list of Values to one Value (it may itself take gradients with
            ``grad(..., create_graph=True)``).
        xs: the point, one number per input.
        v: the vector, one number per input.

    Returns:
        H·v, a list of floats, one per input.

    Example:
        >>> hvp(lambda p: p[0] ** 2 * p[1], [3.0, 5.0], [1.0, 0.0])   # (2y, 2x)
        [10.0, 6.0]
    """
    point = point_of(xs, "hvp")
    direction = real_numbers(v, "hvp", "v")
    same_length(direction, point, "hvp", "v")
    inputs = input_leaves(point)
    outputs, many = call(fn, inputs, "hvp")
    if many:
        raise TypeError("hvp: fn must return one Value (a scalar function), got a list")
    gradient = grad(outputs[0], inputs, create_graph=True)
    tangents = push_forward(gradient, dict(zip(inputs, direction, strict=True)))
    return [tangents[g] for g in gradient]
