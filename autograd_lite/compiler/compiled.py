"""The public face of the compiler: ``compile(fn, n_inputs)`` and the function it makes."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..engine import Value
from ..support.checks import whole_number
from ..support.collector import collector_paused
from .interpreter import Program
from .levels import LevelProgram
from .tape import Tape, build_tape

__all__ = ["CompiledFunction", "compile"]

Array = np.ndarray

_REDUCTIONS = ("mean", "sum")


class CompiledFunction:
    """``fn`` compiled into a tape, run on a whole batch at once.

    Made by :func:`compile`. The first call traces ``fn`` (unless ``example`` was
    given), on the batch's first and last rows; later calls only replay the tape.

    Tracing changes nothing outside the traced call, so threads may trace and run
    compiled functions at once (two threads' first calls may both trace; either tape
    is right).

    Attributes:
        fn: the traced function.
        n_inputs: the number of inputs, the columns of X.
        fuse: whether sums of products run as matrix products.
        by_level: whether the tape runs level by level (:mod:`.levels`) instead.
    """

    def __init__(
        self,
        fn: Callable[[list[Value]], Any],
        n_inputs: int,
        fuse: bool = True,
        by_level: bool = False,
    ) -> None:
        self.fn = fn
        self.n_inputs = n_inputs
        self.fuse = fuse
        self.by_level = by_level
        self._program: Program | LevelProgram | None = None

    # --- tracing ---

    def trace(self, X: Any) -> Tape:
        """Trace ``fn`` on the first and last rows of ``X`` (once; later calls keep it).

        Args:
            X: samples, shape (n, n_inputs) (or one sample, shape (n_inputs,)).

        Returns:
            The :class:`Tape`.
        """
        if self._program is None:
            A = self._check(X, allow_one=True)
            last = len(A) - 1
            # Speed trick: no cycle collections while the graphs are built and paired
            # (a GPT's tape for 10 tokens: 210 -> 160 ms); they hold no cycles.
            with collector_paused():
                tape = build_tape(self.fn, A[0].tolist(), A[last].tolist(), rows=(0, last))
                self._program = self._program_of(tape)
        return self._program.tape

    def _program_of(self, tape: Tape) -> Program | LevelProgram:
        return LevelProgram(tape) if self.by_level else Program(tape, self.fuse)

    def restricted(self, outputs: Sequence[int]) -> CompiledFunction:
        """The function of some of fn's outputs alone, cut from this tape, not traced again.

        It runs only the instructions those outputs depend on. A GPT's loss at each
        position is one output of the tape of the longest name; since the attention is
        causal, the tape of a shorter name is the part that its positions' losses
        need, so one trace serves every length.

        Args:
            outputs: the indices of the outputs to keep, in the order to return them.

        Raises:
            RuntimeError: if fn is not traced yet.
            ValueError: if ``outputs`` is empty or names an output fn does not have.
            TypeError: if an index is not an int.
        """
        who = "CompiledFunction.restricted"
        if self._program is None:
            raise RuntimeError(f"{who}: fn has not been traced yet: call the compiled "
                               "function on data first")  # fmt: skip
        tape = self._program.tape
        count = len(tape.outputs)
        keep = list(outputs)
        if not keep:
            raise ValueError(f"{who}: outputs is empty; keep at least one output")
        for k in keep:
            whole_number(k, who, "outputs", at_least=0, at_most=count - 1)
        fn = self.fn

        def part(x: list[Value]) -> list[Value]:
            every = fn(x)
            outs = every if isinstance(every, list | tuple) else [every]
            return [outs[k] for k in keep]

        part.__name__ = f"{getattr(fn, '__name__', 'fn')}_outputs_{'_'.join(map(str, keep))}"
        cut = CompiledFunction(part, self.n_inputs, self.fuse, self.by_level)
        cut._program = self._program_of(tape.restricted(keep))
        return cut

    @property
    def tape(self) -> Tape:
        """The tape (fn must have been traced, by a call or by ``trace``)."""
        return self._ready().tape

    @property
    def replay_steps(self) -> int:
        """How many numpy steps one forward replay runs, after fusion (fn must be traced)."""
        return self._ready().replay_steps

    @property
    def parameters(self) -> list[Value]:
        """The linked leaves: the Values the tape reads at each run and gives gradients."""
        return list(self.tape.linked)

    def _ready(self) -> Program | LevelProgram:
        if self._program is None:
            raise RuntimeError("fn has not been traced yet: call the compiled function on data")
        return self._program

    def _check(self, X: Any, allow_one: bool = False) -> Array:
        A = real_array(X, f"an array of real numbers of shape (n, {self.n_inputs})")
        if allow_one and A.ndim == 1 and len(A) == self.n_inputs:
            A = A[None, :]
        if A.ndim != 2 or A.shape[1] != self.n_inputs:
            hint = ""
            if A.ndim == 1 and self.n_inputs == 1:
                hint = " (for samples of one input use X.reshape(-1, 1))"
            elif A.ndim == 1 and len(A) == self.n_inputs:
                hint = " (for one sample use X.reshape(1, -1))"
            raise ValueError(
                f"X must have shape (n, {self.n_inputs}): one row per sample, one column per "
                f"input; got shape {A.shape}{hint}"
            )
        if len(A) == 0:
            raise ValueError("X has no rows (an empty batch)")
        return A

    def _start(self, X: Any) -> tuple[Program | LevelProgram, Array]:
        A = self._check(X)
        self.trace(A)
        return self._ready(), A

    def _outputs(self, program: Program | LevelProgram, vals: Any) -> Array:
        columns = program.output_columns(vals)
        if program.tape.single:
            return np.array(columns[0], dtype=np.float64)
        if isinstance(columns, np.ndarray):  # (the level schedule's: one array already)
            return np.ascontiguousarray(columns.T)
        return np.stack(columns, axis=1)

    # --- running ---

    def __call__(self, X: Any) -> Array:
        """fn on every row of X.

        Args:
            X: shape (n, n_inputs).

        Returns:
            Shape (n,) if fn returns a Value, (n, k) if it returns a list of k Values.
        """
        program, A = self._start(X)
        return self._outputs(program, program.forward(A))

    def backward(self, X: Any, grad: Any) -> tuple[Array, Array]:
        """Run fn on X and the reverse pass from its outputs, for every sample at once.

        Like ``Value.backward(grad)`` on each sample's outputs: adds
        ``Σ_i grad[i] · d outputs[i] / d p`` into ``p.grad`` for every linked leaf p.

        Args:
            X: shape (n, n_inputs).
            grad: the seed of each output of each sample, shaped like the outputs
                ((n,) or (n, k)).

        Returns:
            ``(outputs, input_grads)``: fn's outputs, and d Σ grad·outputs / d X,
            shape (n, n_inputs).
        """
        program, A = self._start(X)
        n = len(A)
        tape = program.tape
        shape = (n,) if tape.single else (n, len(tape.outputs))
        G = real_array(grad, f"an array of real numbers of shape {shape}", "backward", "grad")
        if G.shape != shape:
            raise ValueError(f"grad must be shaped like the outputs, {shape}; got {G.shape}")
        columns = [G] if tape.single else list(np.ascontiguousarray(G.T))
        return self._run_backward(program, A, columns)

    def value_and_grad(
        self, X: Any, reduction: str = "mean", output: int | None = None
    ) -> tuple[float, Array]:
        """The batch's loss and its gradient: the per-sample outputs reduced to one number.

        Adds d loss / d p into ``p.grad`` for every linked leaf p (gradients accumulate,
        as with ``backward``; zero them first, e.g. with the optimizer's ``zero_grad``).

        Args:
            X: shape (n, n_inputs); with targets as extra inputs, fn can be a loss.
            reduction: ``"mean"`` or ``"sum"`` of the output over the batch.
            output: which output is the loss, when fn returns a list of several.

        Returns:
            ``(loss, outputs)``: the reduced loss, and all outputs of every sample.
        """
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        program, A = self._start(X)
        n, outs = len(A), len(program.tape.outputs)
        if output is None:
            if outs > 1:
                raise ValueError(
                    f"fn has {outs} outputs; say which one is the loss with output=..."
                )
            output = 0
        output = whole_number(output, "value_and_grad", "output", at_least=0, at_most=outs - 1)
        weight = 1.0 / n if reduction == "mean" else 1.0
        columns = [np.zeros(n) for _ in range(outs)]
        columns[output] = np.full(n, weight)
        outputs, _ = self._run_backward(program, A, columns)
        column = outputs if program.tape.single else outputs[:, output]
        total = float(np.sum(column))
        return (total / n if reduction == "mean" else total), outputs

    def _run_backward(
        self, program: Program | LevelProgram, A: Array, columns: list[Array]
    ) -> tuple[Array, Array]:
        outputs, dlinked, dX = self.pullback(A, columns)
        for p, g in zip(program.tape.linked, dlinked.tolist(), strict=True):
            p.grad += g
        return outputs, dX

    def pullback(
        self, X: Array, columns: list[Array] | Array, linked: list[float] | Array | None = None
    ) -> tuple[Array, Array, Array]:
        """Run the traced tape forward and backward, touching no Value.

        Args:
            X: a checked batch, shape (n, n_inputs), float64.
            columns: the seed of each output, one array of n numbers per output (or
                the rows of one (outputs, n) array).
            linked: the numbers of the linked leaves (``parameters``) to run with;
                by default their ``.data``.

        Returns:
            ``(outputs, dlinked, dX)``: fn's outputs; d Σ seeds·outputs / d each
            linked leaf, a vector in the order of ``parameters``; and d Σ
            seeds·outputs / d X, shape (n, n_inputs).
        """
        program = self._ready()
        vals: Any = program.forward(X, linked)  # (each program keeps its values its own way)
        dlinked, dX = program.gradients(vals, columns)
        return self._outputs(program, vals), dlinked, dX

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", type(self.fn).__name__)
        state = repr(self._program.tape) if self._program else "not traced yet"
        return f"CompiledFunction({name}, n_inputs={self.n_inputs}: {state})"


def real_array(X: Any, kind: str, who: str = "compiled function", argument: str = "X") -> Array:
    """``X`` as a float64 array, if it holds real numbers only (no complex, no strings).

    Args:
        X: the array (or nested lists).
        kind: what it must be, for the message: ``"an array of real numbers of shape
            (n, 2)"``.
        who, argument: the function and the argument, named in the message.

    Raises:
        TypeError: naming the argument and what it holds instead of real numbers.
        ValueError: for an integer beyond the range of a float.
    """
    try:
        raw = np.asarray(X)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: {argument} must be {kind}, got {type(X).__name__}") from None
    if raw.dtype.kind == "O":  # Python objects: big ints, or things that are not numbers
        bad = next((v for v in raw.flat if not isinstance(v, numbers.Real)), None)
        if bad is not None:
            raise TypeError(f"{who}: {argument} must be {kind}; it holds a {type(bad).__name__}")
        try:
            return raw.astype(np.float64)
        except OverflowError:
            raise ValueError(
                f"{who}: {argument} holds an integer beyond the range of a float"
            ) from None
    if raw.dtype.kind not in "biuf":  # bool, int, unsigned, float
        held = {"U": "strings", "S": "bytes", "c": "complex numbers"}.get(raw.dtype.kind)
        raise TypeError(f"{who}: {argument} must be {kind}; it holds {held or raw.dtype}")
    return raw.astype(np.float64, copy=False)


def compile(
    fn: Callable[[list[Value]], Any],
    n_inputs: int,
    example: Any = None,
    fuse: bool = True,
    by_level: bool = False,
) -> CompiledFunction:
    """Compile ``fn`` into a tape that runs on a whole batch of samples at once.

    Args:
        fn: maps a list of ``n_inputs`` Values to a Value or a list of Values, e.g. a
            model (``nn.MLP`` is such a function) or a per-sample loss.
        n_inputs: how many inputs fn takes (the columns of X).
        example: samples to trace with now, shape (m, n_inputs); by default fn is
            traced at the first call, on that batch's first and last rows.
        fuse: run sums of products (neurons, layers) as matrix products; False keeps
            one numpy call per op of the graph (results equal to the scalar engine's
            to the last bits more often, and easier to follow).
        by_level: run the tape one level of the graph at a time, all ops of a kind at
            one depth as one numpy call (:mod:`.levels`): much faster for big graphs
            on few samples, such as a GPT on one name; slower for layers on many
            samples, which fusion runs as matrix products. ``fuse`` then plays no
            part.

    Returns:
        A :class:`CompiledFunction`.

    Raises:
        TracingError: see the module notes.
    """
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
        raise ValueError(f"n_inputs must be a positive int, got {n_inputs!r}")
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    compiled = CompiledFunction(fn, n_inputs, fuse, by_level)
    if example is not None:
        compiled.trace(example)
    return compiled
