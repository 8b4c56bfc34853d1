"""Levels: a tape run one depth at a time, all ops of a kind at one depth as one numpy call.

The interpreter (:mod:`.interpreter`) makes one numpy call per instruction, each on the
whole batch. That pays when the batch is large and the tape short: an MLP on 1,000
points. A GPT on one name is the other way round: its tape for a block of 16 positions
(their losses and logits) has 12,500 instructions and the batch is one name, so 12,500
calls each on one number, and Python's cost per call is all the cost.

Yet most of those instructions do not wait for one another. The query of position 3
and the query of position 7 are the same formula on other slots, and so are the 16
entries of each. Give every instruction a *level*, higher than the levels of the
instructions whose results it reads and lower than those of the instructions that read
its own (as late as that allows: see :func:`_latest_levels` for why). An instruction
reads only lower levels, so all of one level can run at once, and those with the same
primitive run as one call on rows gathered from the matrix ``V`` of every slot's values
(one row per slot, one column per sample)::

    V[rows of level 9's exps] = exp(V[rows of their inputs])

A ``dot`` of n terms is a row of n weight slots and n input slots; the dots of a level
are padded with a row of zeros to the longest one (within a factor of two: lengths go
in buckets) and run as one product summed along the terms. The dots of a layer, which
pair every row of its weight matrix with every position's vector, run as one matrix
product instead (:class:`_ProductStep`). The 12,500 instructions of that GPT tape
become 90 steps.

Backward, the levels run in reverse. A step writes the contributions ``local · g`` of
its operands into its own rows of an *edge buffer* (one row per operand of each
instruction): a plain slice assignment, with no two steps adding into the same place.
A slot's gradient is the sum of the contributions of the edges that point at it, and
it is taken (a segment sum, ``np.add.reduceat``) just before the step that made the
slot runs backward, when every consumer of the slot, all of a higher level, has
written its share. The local derivatives are the table's own formulas
(``prim.local``), evaluated on the gathered rows; for ``dot`` and ``sum`` the formula
of one term, applied to every term at once (the derivative for wᵢ is xᵢ whatever n is).

Which schedule is faster depends on the shapes: levels for big graphs on few samples,
the interpreter's matrix products for layers on many samples (``compile(...,
by_level=True)`` picks this one). Measured on microgpt's GPT and a name of 10 tokens
(6,000 instructions), forward and backward, in turns in one process: 1.35-1.49 ms level
by level in 92 steps, 17.6-24.0 ms one instruction (or fused block) at a time; the
schedule before the matrix products and the late levels, in the same runs: 3.15-3.76 ms
in 163 steps. Results agree to rounding: sums are added in another order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..array_ops import domain_error
from ..primitives import DOT, NUMPY_OPS, Primitive
from .fusion import product, product_grads
from .tape import Instruction, Tape

__all__ = ["LevelProgram"]

Array = np.ndarray


class _Incoming:
    """Which edges point at a range of rows, ready for a segment sum.

    ``gather(C)`` is, for each row in the range, the sum of the rows of the edge
    buffer C whose edges point at it (0 for a row no edge points at).
    """

    def __init__(self, edges: Array, targets: Array, first: int, count: int) -> None:
        offsets = np.searchsorted(targets, np.arange(first, first + count + 1))
        self.edges = edges[offsets[0] : offsets[-1]]
        sizes = np.diff(offsets)
        self.count = count
        self.single = bool((sizes == 1).all())  # one edge each: a gather, no sum
        self.has = np.flatnonzero(sizes > 0)  # the rows some edge points at
        self.starts = (offsets[:-1] - offsets[0])[self.has]
        self.rows = _rows(self.edges) if self.single else self.edges

    def gather(self, C: Array) -> Array:
        if self.single:
            return C[self.rows]
        sums = np.add.reduceat(C[self.edges], self.starts, axis=0) if len(self.has) else None
        if len(self.has) == self.count:
            return sums  # type: ignore[return-value]
        g = np.zeros((self.count, C.shape[1]))
        if sums is not None:
            g[self.has] = sums
        return g


def _rows(rows: Array) -> Array | slice:
    """``rows`` as a slice when they are consecutive (``V[a:b]`` is a view; ``V[rows]``
    copies): speed trick, about half the operands of a GPT's steps; its step 1.7 -> 1.5 ms."""
    if rows.ndim == 1 and len(rows) > 1 and rows[-1] - rows[0] == len(rows) - 1:
        if (np.diff(rows) == 1).all():
            return slice(int(rows[0]), int(rows[-1]) + 1)
    return rows


# What the rows of an operand hold. SAMPLES: some differ from sample to sample, so the
# operand is gathered whole. WEIGHTS and CONSTANTS: leaves the same for every sample,
# gathered as one column and broadcast (speed trick: with 32 names a step, a GPT's
# step went from 31 to 19 ms); a weight's contributions are summed over the batch at
# once, into a buffer of one number per edge (Cw), and a constant's are not computed.
SAMPLES, WEIGHTS, CONSTANTS = 0, 1, 2


class _Step:
    """All instructions of one level and one primitive, as one call forward and back.

    Attributes:
        first, count: the rows of V its results fill, ``first .. first+count-1``.
        operands: the rows of V of each operand, one array of shape (count,) per
            operand for one- and two-operand ops; for ``dot`` the weights and the
            inputs as (count, terms) arrays (then the biases, (count,)); for ``sum``
            the terms as one (count, terms) array.
        kinds: per operand, what its rows hold (see ``SAMPLES``, ``WEIGHTS``,
            ``CONSTANTS``).
        plan: where each operand's contributions go in the edge buffer C or the
            weights' buffer Cw (see :meth:`place`).
        incoming: the edges that point at its results.

    ``shared`` (an argument) says which of its instructions read shared slots alone
    (their domain errors name no row).
    """

    def __init__(
        self,
        prim: Primitive,
        operands: list[Array],
        first: int,
        count: int,
        shared: Array,
        kinds: list[int],
    ) -> None:
        self.prim = prim
        self.operands = operands
        self.kinds = kinds
        self.first = first
        self.count = count
        self.variadic = prim.arity is None
        self.plan: list[tuple[int, int, int, tuple[int, ...], bool]] = []  # see place
        self.incoming: _Incoming | None = None
        self.forward_array = _checked(prim, shared)
        # what forward reads of V for each operand: all columns, or the first (a leaf's)
        self.reads = [
            (_rows(rows), kind == SAMPLES) for rows, kind in zip(operands, kinds, strict=True)
        ]

    def place(self, at: int, at_weights: int) -> tuple[int, int]:
        """Give the step's edges their rows, from ``at`` in the edge buffer and from
        ``at_weights`` in the weights' buffer; return where the next step's begin.

        Each operand's rows there are kept as ``(kind, first, end, shape, terms)``: its
        kind, its rows of its buffer, the shape of its contributions less the samples'
        axis, and whether it has terms (a ``dot``'s or a ``sum``'s (count, terms) rows).
        """
        self.plan = []
        for rows, kind in zip(self.operands, self.kinds, strict=True):
            start = at if kind != WEIGHTS else at_weights
            self.plan.append((kind, start, start + rows.size, rows.shape, rows.ndim == 2))
            if kind == SAMPLES:
                at += rows.size
            elif kind == WEIGHTS:
                at_weights += rows.size
        return at, at_weights

    def targets(self, kind: int) -> list[Array]:
        """The rows the edges of its operands of one kind point at."""
        pairs = zip(self.operands, self.kinds, strict=True)
        return [rows.ravel() for rows, k in pairs if k == kind]

    def forward(self, V: Array) -> list[Array]:
        """Fill the step's rows of V; return the gathered operands, which backward reuses."""
        args = [V[rows] if every else V[rows, :1] for rows, every in self.reads]
        if not self.variadic:
            V[self.first : self.first + self.count] = self.forward_array(*args)
            return args
        # the one-term formula on every term, summed along the terms (axis 1)
        terms = 2 if self.prim is DOT else 1
        out = self.forward_array(*args[:terms]).sum(axis=1, initial=-0.0)  # (as the engine)
        if len(args) > terms:  # the biases of dot
            out = out + args[terms]
        V[self.first : self.first + self.count] = out
        return args

    def backward(self, V: Array, args: list[Array], C: Array, Cw: Array) -> None:
        """Write ``local · g`` of each operand into the step's rows of the edge buffer C;
        for weights, its sum over the batch into the weights' buffer Cw (a vector)."""
        assert self.incoming is not None
        g = self.incoming.gather(C)
        samples = g.shape[1]
        out = V[self.first : self.first + self.count]
        locals_ = self.prim.local(NUMPY_OPS, *args, out)
        for (kind, first, end, shape, terms), local in zip(self.plan, locals_, strict=True):
            upstream = g[:, None, :] if terms else g  # (count, terms, samples)
            if kind == SAMPLES:
                # (not reshape(..., -1): a dot of a bias alone has no terms, size 0)
                np.multiply(local, upstream, out=C[first:end].reshape(*shape, samples))
            elif kind == WEIGHTS:
                into = Cw[first:end].reshape(shape)
                term = local * upstream
                if term.shape[:-1] != shape:  # (a local of 1.0 for every term)
                    term = np.broadcast_to(term, (*shape, samples))
                if samples == 1:
                    into[...] = term[..., 0]
                else:
                    np.sum(term, axis=-1, out=into)


class _ProductStep(_Step):
    """A level's dots that make one matrix product: a layer applied at every position.

    Position t's query is ``[dot(Wq[i], xₜ) for i in range(n_embd)]``, and so is every
    other position's, with the same rows of Wq: the dots of such a step pair each of I
    shared rows (the weights, one column for every sample) with each of T per-sample
    rows, once each. Gathered term by term they would read I·T·n numbers twice; as a
    product ``Z = U @ X`` (U the I rows, X the T rows as columns) they read I·n and
    T·n, and the backward pass is two products (:func:`.fusion.product_grads`). The
    instructions are ordered so that the I·T results fill their rows of V as Z's
    entries lie, row by row: output ``(i, t)`` at row ``first + i·T + t``.

    Its operands: U's rows of V, shape (I, n); X's, shape (T, n) (in the order the
    dots have them: weights first, as ``nn`` writes them); then the biases, (count,).
    Its edges are those of U's and X's entries, each summed over the dots that read
    it, and one per bias.
    """

    def __init__(self, operands: list[Array], kinds: list[int], first: int, shared_at: int,
                 shared: Array) -> None:  # fmt: skip
        super().__init__(DOT, operands, first, len(shared), shared, kinds)
        self.shared_at = shared_at  # which operand is U (the other of the first two is X)
        self.I, self.T = len(operands[shared_at]), len(operands[1 - shared_at])
        self.n = operands[0].shape[1]

    def forward(self, V: Array) -> list[Array]:
        """Fill the step's rows of V; return (U, X, biases) for the backward pass."""
        rows_u, rows_x = self.operands[self.shared_at], self.operands[1 - self.shared_at]
        U = V[rows_u, 0]  # (I, n)
        samples = V.shape[1]
        # X: (n, T·samples), position-major columns, so that Z's rows split into (T, samples);
        # for one sample, a view of the gathered rows (the general case copies them again)
        X = V[rows_x, 0].T if samples == 1 else V[rows_x].transpose(1, 0, 2).reshape(self.n, -1)
        Z = product(U, X)
        zero = Z == 0.0
        if zero.any():
            _signed_zeros(U, X, Z, zero)
        out = Z.reshape(self.count, samples)
        args = [U, X]
        if len(self.operands) == 3:  # the biases
            rows, kind = self.operands[2], self.kinds[2]
            bias = V[rows] if kind == SAMPLES else V[rows, :1]
            out = out + bias
            args.append(bias)
        V[self.first : self.first + self.count] = out
        return args

    def backward(self, V: Array, args: list[Array], C: Array, Cw: Array) -> None:
        """The contributions to U's and X's entries (summed over the dots) and the biases'."""
        assert self.incoming is not None
        g = self.incoming.gather(C)  # (count, samples)
        samples = g.shape[1]
        U, X = args[0], args[1]
        dU, dX = product_grads(U, X, g.reshape(self.I, -1))
        # each operand's contributions: U's summed over the samples (it is shared), X's
        # per sample, and the biases' (a local derivative of 1) both ways
        per_sample = dX.reshape(self.n, self.T, samples).transpose(1, 0, 2)
        by_operand = [(dU, dU), (per_sample, per_sample)]
        if self.shared_at == 1:
            by_operand.reverse()
        if len(args) == 3:
            by_operand.append((g, g.sum(axis=1)))
        for (kind, first, end, _, _), (each, summed) in zip(self.plan, by_operand, strict=True):
            if kind == SAMPLES:
                C[first:end].reshape(each.shape)[...] = each
            elif kind == WEIGHTS:
                Cw[first:end] = summed.reshape(end - first)


def _signed_zeros(U: Array, X: Array, Z: Array, zero: Array) -> None:
    """Give the zeros of ``Z = U @ X`` the engine's sign.

    The engine's sums start from -0.0 (see :mod:`autograd_lite.sums`), so a dot whose
    products are all -0.0 is -0.0, where a matrix product, which starts from 0.0, gives
    0.0 (a sign that a later product, or atan2, would carry). Only a zero can be wrong
    this way, so only the zeros are summed again, term by term from -0.0.
    """
    i, c = np.nonzero(zero)
    Z[i, c] = np.sum(U[i] * X[:, c].T, axis=1, initial=-0.0)


def _checked(prim: Primitive, shared: Array) -> Callable[..., Any]:
    """The primitive's array forward, raising the float forward's error where it has none.

    The operands are (count, samples) arrays; the error names the sample (its column).
    An instruction on shared slots alone (``shared[i]``, e.g. the log of a parameter)
    fails for every sample alike: its error is the float forward's own, naming no
    row, as the interpreter raises it.
    """
    array, outside = prim.array, prim.outside

    def forward(*args: Array) -> Any:
        if outside is not None:
            bad = outside(*args)
            if np.any(bad):
                bad, *full = np.broadcast_arrays(bad, *args)  # (broadcast operands: 1 column)
                i = int(np.argmax(bad.reshape(len(bad), -1).any(axis=1)))
                if shared[i]:
                    raise prim.error(*(float(a[i, 0]) for a in full))  # type: ignore[misc]
                domain_error(prim, bad[i], tuple(a[i] for a in full))
        return array(np, *args)

    return forward


def _key(instruction: Instruction, level: int) -> tuple[Any, ...]:
    """What instructions must share to run as one step."""
    prim, inputs, _ = instruction
    params = tuple(sorted(prim.params.items()))
    if prim.arity is not None:  # (a learner's ops by identity: two may share a name)
        return (level, prim.name, params, prim.identity)
    n = len(inputs) // 2 if prim is DOT else len(inputs)
    bias = prim is DOT and len(inputs) % 2 == 1
    return (level, prim.name, params, bias, n.bit_length())  # lengths within a factor of 2


def _latest_levels(code: list[Instruction], size: int) -> list[int]:
    """Each instruction's level: as late as its results allow, the last level the outputs'.

    Any level after its inputs' and before its users' would do. The earliest (one more
    than the highest level among its inputs) splits a GPT's positions: position t's
    softmax takes the largest of t + 1 scores in log₂(t + 1) rounds
    (:func:`autograd_lite.softmax.maximum`), so everything after the attention of
    position 15 would come four levels after position 0's, and each layer's product
    would be five steps. Taken as late as possible, everything after the attention
    lines up, since it is the same for every position; only the queries, each read by
    its own position's scores, come apart.
    """
    made = bytearray(size)  # which slots an instruction fills (the leaves' levels matter not)
    for _, _, out in code:
        made[out] = 1
    # (a dot of a layer reads hundreds of weights and no result; listing the results it
    # reads once, for both passes, halved the time of this function on a GPT's tape)
    reads = [[i for i in inputs if made[i]] for _, inputs, _ in code]
    earliest = [0] * size
    for (_, _, out), ops in zip(code, reads, strict=True):
        earliest[out] = 1 + max(map(earliest.__getitem__, ops), default=0)
    last = max((earliest[out] for _, _, out in code), default=0)
    level = [last] * size  # (an output, read by no instruction, stays at the last level)
    for (_, _, out), ops in zip(reversed(code), reversed(reads), strict=True):
        before = level[out] - 1
        for i in ops:
            if before < level[i]:
                level[i] = before
    return level


def _distinct_rows(rows: Array) -> tuple[Array, list[int]]:
    """The distinct rows of a 2-D array, in the order met, and which of them each row is.

    (``np.unique(rows, axis=0)`` does the same by sorting; with a dict of the rows' bytes
    instead, finding the products of the n_embd 64 GPT's tape took 0.11 s, not 0.22 s.)
    """
    which: dict[bytes, int] = {}
    index = [which.setdefault(row, len(which)) for row in map(bytes, rows)]
    firsts: dict[int, int] = {}
    for k, j in enumerate(index):
        firsts.setdefault(j, k)
    return rows[list(firsts.values())], index


class _Product(NamedTuple):
    """Dots that make one matrix product: the operands of :class:`_ProductStep` and which
    of the first two is the shared one."""

    operands: list[Array]
    shared_at: int


class _Run(NamedTuple):
    """One forward run: V, and each step's gathered operands.

    Speed trick: the backward pass reuses the operands gathered forward instead of
    gathering them again, and writes its products straight into the edge buffer
    (``out=``): backward on a 10-token name went from 1.96 to 1.15 ms. They are kept
    here rather than on the steps so that threads can run one program at once.
    """

    V: Array
    operands: list[list[Array]]


class LevelProgram:
    """A tape made ready to run level by level (see the module notes).

    Rows of V: the linked leaves and the constants (at their tape slots), a row of 0.0
    and a row of -0.0 (what padded terms read), the inputs, then each step's results.

    Args:
        tape: the traced program.
    """

    def __init__(self, tape: Tape) -> None:
        self.tape = tape
        n_linked, n_constants = len(tape.linked), len(tape.constants)
        leaves = n_linked + n_constants
        # Padded terms read zeros that change no sum: -0.0 is the one number whose addition
        # changes nothing (as the engine's sums start from it), so a sum's padding is
        # -0.0 and a dot's is -0.0 · 0.0, a product of -0.0.
        self.zero, self.minus_zero = leaves, leaves + 1
        self.inputs_at = leaves + 2  # the rows before are the same for every sample
        self.constants = np.array(tape.constants, dtype=np.float64)
        row = np.full(tape.size, -1, dtype=np.intp)
        row[:leaves] = np.arange(leaves)
        inputs = np.arange(self.inputs_at, self.inputs_at + tape.n_inputs)
        row[tape.uniform : tape.uniform + tape.n_inputs] = inputs

        code = tape.uniform_code + tape.batched_code
        level = _latest_levels(code, tape.size)
        groups: dict[tuple[Any, ...], list[Instruction]] = {}
        for instruction in code:
            groups.setdefault(_key(instruction, level[instruction.output]), []).append(instruction)

        self.steps: list[_Step] = []
        first = self.inputs_at + tape.n_inputs
        for key in sorted(groups, key=lambda k: k[0]):  # by level; stable within one
            code = groups[key]
            parts = self._split_products(code, row) if code[0].primitive is DOT else [(code, None)]
            for part, found in parts:
                outputs = np.array([out for _, _, out in part], dtype=np.intp)
                row[outputs] = np.arange(first, first + len(part))
                if found is None:
                    self.steps.append(self._step(part, row, first))
                else:
                    kinds = [self._kind(rows) for rows in found.operands]
                    shared = np.array([out < tape.uniform for _, _, out in part])
                    self.steps.append(
                        _ProductStep(found.operands, kinds, first, found.shared_at, shared)
                    )
                first += len(part)
        self.rows = first
        self.outputs = row[np.array(tape.outputs, dtype=np.intp)]

        # Edges: the outputs' seeds first, then each step's operands, in step order;
        # those of weights in a buffer of their own, those of constants nowhere.
        at, at_weights = len(self.outputs), 0
        for step in self.steps:
            at, at_weights = step.place(at, at_weights)
        self.n_edges, self.n_weight_edges = at, at_weights
        per_sample = [t for step in self.steps for t in step.targets(SAMPLES)]
        targets = np.concatenate([self.outputs, *per_sample])
        edges = np.argsort(targets, kind="stable")
        ordered = targets[edges]
        for step in self.steps:
            step.incoming = _Incoming(edges, ordered, step.first, step.count)
        self.linked_incoming = _Incoming(edges, ordered, 0, n_linked)
        self.inputs_incoming = _Incoming(edges, ordered, self.inputs_at, tape.n_inputs)
        of_weights = [t for step in self.steps for t in step.targets(WEIGHTS)]
        weight_targets = np.concatenate([np.zeros(0, dtype=np.intp), *of_weights])
        weight_edges = np.argsort(weight_targets, kind="stable")
        self.linked_weights = _Incoming(weight_edges, weight_targets[weight_edges], 0, n_linked)

    def _step(self, code: list[Instruction], row: Array, first: int) -> _Step:
        prim = code[0].primitive
        shared = np.array([out < self.tape.uniform for _, _, out in code])

        def step(operands: list[Array]) -> _Step:
            kinds = [self._kind(rows) for rows in operands]
            return _Step(prim, operands, first, len(code), shared, kinds)

        if prim.arity is not None:
            ins = row[np.array([inputs for _, inputs, _ in code], dtype=np.intp)]
            return step([ins[:, k] for k in range(prim.arity)])
        if prim is DOT:
            halves = [len(inputs) // 2 for _, inputs, _ in code]
            width = max(halves)
            ws = np.full((len(code), width), self.minus_zero, dtype=np.intp)
            xs = np.full((len(code), width), self.zero, dtype=np.intp)
            for j, ((_, inputs, _), n) in enumerate(zip(code, halves, strict=True)):
                ws[j, :n] = row[list(inputs[:n])]
                xs[j, :n] = row[list(inputs[n : 2 * n])]
            operands = [ws, xs]
            if len(code[0].inputs) % 2:
                operands.append(row[np.array([inputs[-1] for _, inputs, _ in code])])
            return step(operands)
        width = max(len(inputs) for _, inputs, _ in code)
        terms = np.full((len(code), width), self.minus_zero, dtype=np.intp)
        for j, (_, inputs, _) in enumerate(code):
            terms[j, : len(inputs)] = row[list(inputs)]
        return step([terms])

    def _split_products(
        self, code: list[Instruction], row: Array
    ) -> list[tuple[list[Instruction], _Product | None]]:
        """A level's dots as matrix products where they make them, and the rest.

        A product (see :class:`_ProductStep`) is I shared rows (weights, the same for
        every sample), each met by the same T per-sample rows in exactly one dot each.
        One level may hold several (the keys and the values of every position) and dots
        that make none (the attention's, whose both sides are per sample): those are
        returned last, with None, for one step of gathered terms.
        """
        length = len(code[0].inputs)
        n = length // 2
        if n == 0 or any(len(inputs) != length for _, inputs, _ in code):
            return [(code, None)]
        ins = row[np.array([inputs for _, inputs, _ in code], dtype=np.intp)]
        sides = (ins[:, :n], ins[:, n : 2 * n])
        uniform = [(side < self.inputs_at).all(axis=1) for side in sides]
        parts: list[tuple[list[Instruction], _Product | None]] = []
        rest: list[int] = list(np.flatnonzero(uniform[0] == uniform[1]))
        for shared_at in (0, 1):
            dots = np.flatnonzero(uniform[shared_at] & ~uniform[1 - shared_at])
            if len(dots) == 0:
                continue
            shared_rows, i = _distinct_rows(sides[shared_at][dots])
            sample_rows, t = _distinct_rows(sides[1 - shared_at][dots])
            meets: dict[int, list[tuple[int, int]]] = {}  # shared row -> (sample row, dot)
            for dot, a, b in zip(dots.tolist(), i, t, strict=True):
                meets.setdefault(a, []).append((b, dot))
            families: dict[tuple[int, ...], list[int]] = {}  # the sample rows -> shared rows
            for a, pairs in meets.items():
                pairs.sort()
                partners = tuple(b for b, _ in pairs)
                if len(set(partners)) < len(partners):  # one pair twice: not a product
                    rest += [dot for _, dot in pairs]
                else:
                    families.setdefault(partners, []).append(a)
            for partners, shared in families.items():
                order = [dot for a in shared for _, dot in meets[a]]  # row by row of Z
                if len(order) < 2:
                    rest += order
                    continue
                operands = [shared_rows[shared], sample_rows[list(partners)]]
                if shared_at == 1:
                    operands.reverse()
                if length % 2:  # the biases, in the dots' new order
                    operands.append(ins[order, -1])
                parts.append(([code[dot] for dot in order], _Product(operands, shared_at)))
        if rest:
            parts.append(([code[dot] for dot in sorted(rest)], None))
        return parts

    def _kind(self, rows: Array) -> int:
        """What an operand's rows hold: samples' numbers, weights, or constants alone."""
        if (rows >= self.inputs_at).any():
            return SAMPLES
        return WEIGHTS if (rows < len(self.tape.linked)).any() else CONSTANTS

    @property
    def replay_steps(self) -> int:
        """How many numpy steps (gathers aside) one forward replay runs."""
        return len(self.steps)

    def forward(self, X: Array, linked: list[float] | Array | None = None) -> _Run:
        """Every row's values for the batch X (shape (n, n_inputs), float64), and what the
        backward pass reuses.

        ``linked`` gives the numbers of the linked leaves; by default their ``.data``.
        """
        tape = self.tape
        V = np.empty((self.rows, len(X)))
        n_linked = len(tape.linked)
        V[:n_linked] = np.array(
            [p._data for p in tape.linked] if linked is None else linked, dtype=np.float64
        )[:, None]
        V[n_linked : self.zero] = self.constants[:, None]
        V[self.zero], V[self.minus_zero] = 0.0, -0.0
        V[self.inputs_at : self.inputs_at + tape.n_inputs] = X.T
        with np.errstate(all="ignore"):
            operands = [step.forward(V) for step in self.steps]
        return _Run(V, operands)

    def output_columns(self, run: _Run) -> Array:
        """Each output of fn, one array of n numbers: the rows of one (outputs, n) array."""
        return run.V[self.outputs]

    def gradients(self, run: _Run, seeds: list[Array] | Array) -> tuple[Array, Array]:
        """``(dlinked, dX)``: d Σ seeds·outputs / d each linked leaf (summed over the
        batch) and / d each input (shape (n, n_inputs)), from one seed array per output."""
        V = run.V
        C = np.empty((self.n_edges, V.shape[1]))
        C[: len(self.outputs)] = np.asarray(seeds, dtype=np.float64).reshape(len(self.outputs), -1)
        Cw = np.empty(self.n_weight_edges)
        with np.errstate(all="ignore"):
            for step, args in zip(reversed(self.steps), reversed(run.operands), strict=True):
                step.backward(V, args, C, Cw)
        dlinked = self.linked_incoming.gather(C).sum(axis=1)
        dlinked += self.linked_weights.gather(Cw[:, None])[:, 0]
        dX = self.inputs_incoming.gather(C).T
        return dlinked, np.ascontiguousarray(dX)
