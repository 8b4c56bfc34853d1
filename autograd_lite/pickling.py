"""Pickling a Value: a graph of any depth, shared nodes kept shared.

A node pickles as the instruction to make it again: its primitive (by name, see
:func:`autograd_lite.primitives.lookup`), its parents, its number, then data, grad and
label. Unpickling runs the same node maker on the restored parents, so the local
derivatives are the table's own. Pickle would recurse once per level of the graph to
reach the parents first, so the node being pickled lists its computed ancestors first,
in topological order: each is then pickled after its own parents, which pickle has by
then, and no recursion goes deeper than one level.

Example:
    >>> import pickle
    >>> x = Value(2.0); y = (x * x).tanh() + x
    >>> z = pickle.loads(pickle.dumps(y))
    >>> z.op, z.data == y.data, len(z.parents)
    ('+', True, 2)
"""

from __future__ import annotations

import copyreg
from typing import Any

from .engine import Value, is_recording, make_node, new_leaf, recording, topological_order
from .primitives import Primitive, WithNumber

__all__ = ["reduce_value"]

# The ancestors listed by the node being pickled, by id: they pickle without a list.
# Only how deep pickle recurses depends on this dict, never what it writes (so two
# threads pickling at once cost each other time at worst, never correctness).
_listed: dict[int, Value] = {}


class _EndOfGraph:
    """Pickled last in a listing node's arguments: the listing is over (unpickles to ())."""

    def __reduce__(self) -> tuple[Any, ...]:
        _listed.clear()
        return (tuple, ())


def reduce_value(node: Value) -> tuple[Any, ...]:
    """How pickle (and copy) store ``node``: registered with copyreg below."""
    try:
        record = _record(node)
    except TypeError:
        _listed.clear()  # the pickle is abandoned: hold none of its nodes
        raise
    if _listed.pop(id(node), None) is node:
        return (_unpickle, record)
    ancestors = _computed_ancestors(node)
    if not ancestors:  # only leaves above: nothing to recurse into
        return (_unpickle, record)
    _listed.clear()  # left over from a listing whose nodes were pickled before it
    _listed.update((id(a), a) for a in ancestors)
    # The ancestors come first among the arguments, as pickle writes them in order.
    return (_unpickle_after, (ancestors, _EndOfGraph(), *record))


def _record(node: Value) -> tuple[Any, ...]:
    """(primitive, parents, number, data, grad, label): what makes ``node`` again."""
    prim, parents, number = node.primitive, node.parents, node.number
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
        data = node.data
        if again is None or (again != data and not (again != again and data != data)):
            raise TypeError(
                f"cannot pickle {node!r}: its parents' data changed after it was computed "
                f"(an optimizer step?), so its local derivatives cannot be made again; "
                f"pickle it before the change, or compute it again"
            )
    return (prim, parents, number, node.data, node.grad, node.label)


def _computed_ancestors(root: Value) -> list[Value]:
    """The ancestors made by an op, each after its own parents (iterative, any depth)."""
    return [node for node in topological_order(root) if node.parents][:-1]  # root last


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
        node = new_leaf(data, label)
    else:
        if not is_recording():  # unpickled under no_grad: the graph is restored all the same
            with recording(True):
                return _unpickle(prim, parents, number, data, grad, label)
        node = make_node(prim, parents, number)
        node.data = data  # the same number, unless another machine's libm rounds otherwise
        node.label = label
    node.grad = grad
    return node


def _unpickle_after(ancestors: list[Value], _end: Any, *record: Any) -> Value:
    """The node a listing pickle describes (its ancestors are made by then).

    ``copy.copy`` calls this with the original ancestors and never pickles the end
    marker, so the listing is let go here too.
    """
    for node in ancestors:
        _listed.pop(id(node), None)
    return _unpickle(*record)


# pickle, copy.copy and copy.deepcopy all look a class up in copyreg's table first: a
# Value is stored and copied as the instruction to make it again, and the engine need
# not know how.
copyreg.pickle(Value, reduce_value)
