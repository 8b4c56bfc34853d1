"""Fusion: sums of products in a tape, run as matrix products.

A neuron is ``b + w1*x1 + ... + wk*xk``: written with ``*`` and ``+`` it is 2k
instructions, each one numpy call on n numbers; as one ``dot`` (as ``nn`` builds it)
it is one instruction that makes the same 2k calls. A layer is J such sums over the
same inputs, which is one matrix product ``Z = W @ X + b``. This pass finds those
sums in the tape, in either form, and runs each group of them that reads the same
inputs as one product (:class:`Dense`), forward and backward, and an activation
applied to every output of a group as one call (:class:`Map`). An MLP's tape of
hundreds of instructions becomes a handful. The sums are then added in another order,
so results may differ from the scalar engine's in the last bits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..array_ops import batched
from ..primitives import DOT, NUMPY_OPS, Primitive
from .tape import Instruction, Tape, same_primitive

__all__ = ["Dense", "Map", "find_blocks", "product", "product_grads"]

Array = np.ndarray


def product(C: Array, X: Array) -> Array:
    """``Z = C @ X``: J dots at once, ``Z[j] = Σ_k C[j, k] · X[k]`` (one column per sample)."""
    return C @ X


def product_grads(C: Array, X: Array, G: Array) -> tuple[Array, Array]:
    """``(dC, dX)`` of ``Z = C @ X`` from ``G = d loss / d Z``.

    A dot's local derivatives (:mod:`autograd_lite.primitives`: d/dcₖ is xₖ, d/dxₖ is
    cₖ) times each dot's upstream gradient, summed over the dots that share an entry:
    ``dC = G @ Xᵀ`` (summed over the samples too: C is the same for every sample) and
    ``dX = Cᵀ @ G``.
    """
    return G @ X.T, C.T @ G


class _Linear:
    """One sum found in the tape: out = Σ sign·coefficient·input + Σ sign·shared."""

    __slots__ = ("out", "terms", "bias", "absorbed", "size")

    def __init__(self, out: int) -> None:
        self.out = out
        self.terms: list[tuple[int, int, float]] = []  # (coefficient slot, input slot, sign)
        self.bias: list[tuple[int, float]] = []  # (shared slot, sign)
        self.absorbed: list[int] = []  # the instructions' output slots it replaces
        self.size = 0  # how many numpy calls those instructions make


def _dot_sum(out: int, ins: tuple[int, ...], nu: int, one: int) -> _Linear | None:
    """A ``dot`` instruction as a sum: each term a shared weight times a per-sample input.

    None if a term has two per-sample factors (or two shared ones), which a matrix
    product of weights and inputs cannot hold.
    """
    n = len(ins) // 2
    linear = _Linear(out)
    for w, x in zip(ins[:n], ins[n : 2 * n], strict=True):
        if w < nu <= x:
            linear.terms.append((w, x, 1.0))
        elif x < nu <= w:
            linear.terms.append((x, w, 1.0))
        else:
            return None
    if len(ins) % 2:  # the bias
        b = ins[-1]
        if b < nu:
            linear.bias.append((b, 1.0))
        else:
            linear.terms.append((one, b, 1.0))
    if not linear.terms:
        return None
    linear.absorbed.append(out)
    linear.size = 2 * n - 1 + len(ins) % 2  # as many as its products and additions
    return linear


def _linear_sums(tape: Tape, one: int) -> list[_Linear]:
    """Every ``dot`` of weights and per-sample inputs, and every maximal tree of + and -
    over per-sample slots, as a :class:`_Linear`.

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
    for prim, ins, out in tape.batched_code:
        if prim is DOT:
            dot = _dot_sum(out, ins, nu, one)
            if dot is not None:
                sums.append(dot)
            continue
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
        linear.size = len(linear.absorbed)
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


class Dense:
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
        Z = product(C, X)
        if self.simple_bias:
            Z += U[self.bias[:, 0]][:, None]
        elif self.bias.shape[1]:
            Z += (U[self.bias] * self.bias_signs).sum(axis=1)[:, None]
        vals[self.saved] = (C, X)
        vals[self.array] = Z
        for k, row in zip(self.outputs, Z, strict=True):
            vals[k] = row

    def backward(self, vals: list[Any], grads: list[Any], dU: Array, blocks: Matrices) -> None:
        C, X = vals[self.saved]
        G = _gather(grads, self.outputs, X.shape[1], blocks)
        if G is None:
            return
        dC, dX = product_grads(C, X, G)
        _scatter(grads, self.inputs, dX, blocks)
        if self.signs is not None:
            dC *= self.signs
        dU += np.bincount(self.coef.ravel(), weights=dC.ravel(), minlength=len(dU))
        if self.bias.shape[1]:
            dB = G.sum(axis=1)[:, None] * self.bias_signs
            dU += np.bincount(self.bias.ravel(), weights=dB.ravel(), minlength=len(dU))


class Map:
    """One unary primitive applied to every output of a block, as one numpy call.

    In a layer it is the activation: ``relu`` of all of Z at once.
    """

    def __init__(self, prim: Primitive, source: Dense, outputs: list[int], slots: list[Any]):
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

    def backward(self, vals: list[Any], grads: list[Any], dU: Array, blocks: Matrices) -> None:
        Z, A = vals[self.source.array], vals[self.array]
        G = _gather(grads, self.outputs, Z.shape[1], blocks)
        if G is not None:
            (local,) = self.local(NUMPY_OPS, Z, A)
            _scatter(grads, self.source.outputs, local * G, blocks)


def _scratch(slots: list[Any]) -> int:
    """A new slot at the end of the slot list, for a block's own arrays."""
    slots.append(None)
    return len(slots) - 1


# Speed trick: a block hands its gradient matrix to the next block down as it is, instead
# of letting it stack the rows again (n floats each): ``blocks`` keeps, for one backward
# pass, the matrix whose rows are the gradients of a tuple of slots, while they still are.
# Measured on MLP(2, [16, 16, 1]) at 1,000 points, both ways taking turns in one process:
# CompiledStep 10% faster (best of 8 rounds) to 14-17% (median): fewer 16 × 1,000 copies.
Matrices = dict[tuple[int, ...], tuple[Array, list[Array]]]


def _gather(grads: list[Any], slots: list[int], n: int, blocks: Matrices) -> Array | None:
    """The gradients of ``slots`` stacked into one array (None if none has one)."""
    gs = [grads[k] for k in slots]
    kept = blocks.get(tuple(slots))
    if kept is not None and all(g is row for g, row in zip(gs, kept[1], strict=True)):
        return kept[0]  # the rows are still those of one matrix: no copy
    if all(g is None for g in gs):
        return None
    zero = np.zeros(n)
    return np.stack([zero if g is None else g for g in gs])


def _scatter(grads: list[Any], slots: list[int], rows: Array, blocks: Matrices) -> None:
    """Add row i of ``rows`` to the gradient of ``slots[i]``."""
    fresh = all(grads[k] is None for k in slots) and len(set(slots)) == len(slots)
    if fresh:  # (a slot listed twice, x + x, must add its two rows)
        views = list(rows)
        for k, row in zip(slots, views, strict=True):
            grads[k] = row
        blocks[tuple(slots)] = (rows, views)
        return
    for k, row in zip(slots, rows, strict=True):
        old = grads[k]
        grads[k] = row if old is None else old + row


def _worth_fusing(sums: list[_Linear]) -> bool:
    """A matrix product costs a few numpy calls: fuse when it replaces clearly more."""
    replaced = sum(s.size for s in sums)
    return replaced >= 6 and replaced >= 3 * len(sums)


def find_blocks(
    tape: Tape, one: int, shared: int, slots: list[Any]
) -> tuple[dict[int, Dense | Map], set[int]]:
    """The fused blocks of a tape, and the instructions they replace.

    Returns:
        (block by the output slot of the instruction it stands in place of, the output
        slots of every instruction a block replaces).
    """
    groups: dict[tuple[int, ...], list[_Linear]] = {}
    for linear in _linear_sums(tape, one):
        groups.setdefault(tuple(x for _, x, _ in linear.terms), []).append(linear)
    at: dict[int, Dense | Map] = {}
    replaced: set[int] = set()
    made: dict[tuple[int, ...], int] = {}  # the rows of a block -> its array slot
    for sums in groups.values():
        if _worth_fusing(sums):
            dense = Dense(sums, shared, one, slots)
            at[sums[0].out] = dense  # the group's first sum comes first in the tape
            replaced.update(k for linear in sums for k in linear.absorbed)
            made[tuple(dense.outputs)] = dense.array
    # An activation applied to each output of a block, and to nothing else, is a map.
    users: dict[int, list[Instruction]] = {}
    for instruction in tape.batched_code:
        for i in set(instruction.inputs):
            users.setdefault(i, []).append(instruction)
    for dense in [block for block in at.values() if isinstance(block, Dense)]:
        found = [users.get(k, []) for k in dense.outputs]
        if any(len(u) != 1 or len(u[0].inputs) != 1 for u in found):
            continue
        prim = found[0][0].primitive
        if any(not same_primitive(u[0].primitive, prim) for u in found):
            continue
        outs = [u[0].output for u in found]
        mapped = Map(prim, dense, outs, slots)
        at[min(outs)] = mapped  # slots follow the tape's order: the first comes first
        replaced.update(outs)
        made[tuple(outs)] = mapped.array
    for block in at.values():
        if isinstance(block, Dense):
            block.source = made.get(tuple(block.inputs))
    return at, replaced
