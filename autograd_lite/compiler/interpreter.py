"""The interpreter: a tape run forward and backward on a whole batch with numpy.

Each per-sample slot holds an array of n numbers, one per sample, and each
instruction is one numpy call on whole arrays: one Python step per op for the
batch, not per sample. Shared slots (a parameter, the ``w * w`` of an L2 penalty)
stay single floats, computed once per run. The backward pass walks the tape in
reverse with the table's own local derivative formulas, evaluated on arrays
(:class:`~autograd_lite.array_ops.NumpyOps`), and sums each shared slot's gradient
over the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..array_ops import batched
from ..primitives import FLOAT_OPS, NUMPY_OPS, Primitive
from .fusion import Dense, Map, Matrices, find_blocks
from .tape import Tape

__all__ = ["ManyOp", "Op", "Program"]

Array = np.ndarray


class Op(NamedTuple):
    """One instruction made ready to run: ``slot[output] = forward(slot[a], slot[b])``.

    Attributes:
        forward: the primitive's forward, on arrays (or floats, for shared slots).
        local: the primitive's local derivative formula.
        a, b: the operand slots; ``b`` is None for an op of one operand.
        output: the result's slot.
        a_shared, b_shared: whether the operand is a shared slot, whose gradient is
            summed over the batch.
    """

    forward: Callable[..., Any]
    local: Callable[..., Any]
    a: int
    b: int | None
    output: int
    a_shared: bool
    b_shared: bool


class ManyOp:
    """An instruction of more than two operands (``dot``, ``sum``), made ready to run.

    It runs as a fused block does, through its own ``forward`` and ``backward``, so the
    interpreter's loops over one- and two-operand ops are the same as without it.

    Args:
        prim: the primitive.
        inputs: the operand slots.
        output: the result's slot.
        shared: whether each operand's gradient is summed over the batch (False
            throughout for an instruction on shared slots, whose values are floats).
        batch: whether it runs on per-sample arrays (numpy) or on shared floats.
    """

    def __init__(
        self, prim: Primitive, inputs: tuple[int, ...], output: int, shared: list[bool], batch: bool
    ) -> None:
        self.run = batched(prim) if batch else prim.forward
        self.local = prim.local
        self.ops = NUMPY_OPS if batch else FLOAT_OPS
        self.inputs = inputs
        self.output = output
        self.shared = shared

    def forward(self, vals: list[Any]) -> None:
        vals[self.output] = self.run(*[vals[i] for i in self.inputs])

    def backward(self, vals: list[Any], grads: list[Any], dU: Array, blocks: Matrices) -> None:
        g = grads[self.output]
        if g is None:
            return
        operands = [vals[i] for i in self.inputs]
        locals_ = self.local(self.ops, *operands, vals[self.output])
        for i, local, shared in zip(self.inputs, locals_, self.shared, strict=True):
            _accumulate(grads, i, local, g, shared)


class Program:
    """A tape made ready to run: functions pre-bound, fused blocks in place.

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

        def op(prim: Any, ins: tuple[int, ...], out: int, batch: bool) -> Op | ManyOp:
            if len(ins) > 2:
                return ManyOp(prim, ins, out, [batch and i < nu for i in ins], batch)
            forward = batched(prim) if batch else prim.forward
            a, b = ins[0], ins[1] if len(ins) > 1 else None
            return Op(forward, prim.local, a, b, out, a < nu, b is not None and b < nu)

        self.uniform = [op(prim, ins, out, False) for prim, ins, out in tape.uniform_code]
        blocks, replaced = (
            find_blocks(tape, self.one, self.shared_slot, self.template) if fuse else ({}, set())
        )
        self.blocks = list(blocks.values())
        self.code: list[Op | ManyOp | Dense | Map] = []
        for prim, ins, out in tape.batched_code:
            if out in blocks:
                self.code.append(blocks[out])
            elif out not in replaced:
                self.code.append(op(prim, ins, out, True))

    def forward(self, X: Array, linked: list[float] | Array | None = None) -> list[Any]:
        """Every slot's value for the batch X (shape (n, n_inputs), float64).

        ``linked`` gives the numbers of the linked leaves; by default their ``.data``.
        """
        tape = self.tape
        vals = list(self.template)
        if linked is None:
            linked = [p._data for p in tape.linked]
        vals[: len(tape.linked)] = linked.tolist() if isinstance(linked, np.ndarray) else linked
        for shared in self.uniform:
            if shared.__class__ is Op:
                f, _, a, b, k, _, _ = shared  # type: ignore[misc]
                vals[k] = f(vals[a]) if b is None else f(vals[a], vals[b])
            else:
                shared.forward(vals)  # type: ignore[union-attr]
        nu = tape.uniform
        if self.blocks:
            vals[self.shared_slot] = np.array([*vals[:nu], 1.0])
        vals[nu : nu + tape.n_inputs] = list(np.ascontiguousarray(X.T))
        with np.errstate(all="ignore"):
            for step in self.code:
                if step.__class__ is Op:
                    f, _, a, b, k, _, _ = step  # type: ignore[misc]
                    vals[k] = f(vals[a]) if b is None else f(vals[a], vals[b])
                else:
                    step.forward(vals)  # type: ignore[union-attr]
        return vals

    @property
    def replay_steps(self) -> int:
        """How many numpy steps one forward replay runs, after fusion."""
        return len(self.uniform) + len(self.code)

    def output_columns(self, vals: list[Any]) -> list[Array]:
        """Each output of fn, one array of n numbers."""
        return [vals[k] for k in self.tape.outputs]

    def gradients(self, vals: list[Any], seeds: list[Array] | Array) -> tuple[Array, Array]:
        """``(dlinked, dX)``: d Σ seeds·outputs / d each linked leaf (summed over the
        batch) and / d each input (shape (n, n_inputs)), from one seed array per output."""
        tape = self.tape
        by_slot: dict[int, Array] = {}
        for k, g in zip(tape.outputs, seeds, strict=True):
            by_slot[k] = g if k not in by_slot else by_slot[k] + g
        grads = self.backward(vals, by_slot)
        n, nu = len(tape.linked), tape.uniform
        dlinked = np.array([0.0 if g is None else g for g in grads[:n]], dtype=np.float64)
        zero = np.zeros(len(seeds[0]))
        inputs = grads[nu : nu + tape.n_inputs]
        dX = np.stack([zero if g is None else g for g in inputs], axis=1)
        return dlinked, dX

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
        with np.errstate(all="ignore"):
            _backward_through(self.code, vals, grads, NUMPY_OPS, dU, {}, per_sample=True)
        if self.blocks:
            for i, d in enumerate(dU[:nu].tolist()):
                if d:
                    grads[i] = d if grads[i] is None else grads[i] + d
        _backward_through(self.uniform, vals, grads, FLOAT_OPS, dU, {}, per_sample=False)
        return grads


def _backward_through(
    code: list[Any],
    vals: list[Any],
    grads: list[Any],
    ops: Any,
    dU: Array,
    blocks: Matrices,
    per_sample: bool,
) -> None:
    """The reverse pass through ``code``, last step first: each step adds its operands'
    gradients into ``grads``.

    Args:
        ops: the local derivatives' operations, on arrays or on floats.
        blocks: see :data:`.fusion.Matrices`.
        per_sample: whether the code runs on per-sample arrays, so that a shared
            operand's gradient is summed over the batch; code on shared slots alone
            has floats throughout.
    """
    for step in reversed(code):
        if step.__class__ is not Op:
            step.backward(vals, grads, dU, blocks)
            continue
        _, local, a, b, k, a_shared, b_shared = step
        g = grads[k]
        if g is None:
            continue
        if b is None:
            (la,) = local(ops, vals[a], vals[k])
            _accumulate(grads, a, la, g, per_sample and a_shared)
        else:
            la, lb = local(ops, vals[a], vals[b], vals[k])
            _accumulate(grads, a, la, g, per_sample and a_shared)
            _accumulate(grads, b, lb, g, per_sample and b_shared)


def _accumulate(grads: list[Any], slot: int, local: Any, g: Array, shared: bool) -> None:
    """grads[slot] += local * g, summed over the batch if the slot is shared."""
    if isinstance(local, np.ndarray) and local.ndim:  # one local derivative per sample
        term = np.dot(local, g) if shared else local * g
    else:  # one for all samples, such as the 1.0 of +
        total = g.sum() if shared else g
        term = total if local == 1.0 else -total if local == -1.0 else local * total
    old = grads[slot]
    grads[slot] = term if old is None else old + term
