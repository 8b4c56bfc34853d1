"""Trace once, run a whole batch: a scalar graph compiled into a tape replayed with numpy.

A scalar engine pays for one Python object per op per sample. Yet a model computes
the same graph for every sample; only the numbers at the inputs change. So, as
JAX's ``jit`` does, we record the graph once and replay it on a whole batch. One
module per stage:

1. **Trace** (:mod:`.tracer`). ``fn`` is called with stand-ins for its inputs
   (:class:`Tracer`\\ s); every node computed from one is a Tracer too, and the graph
   they form is what ``fn`` computes.
2. **Flatten** (:mod:`.tape`). The graph becomes a :class:`Tape`: a flat list of
   :class:`Instruction`\\ s ``slot[k] = prim(slot[i], slot[j])`` (of many slots, for
   ``dot`` and ``sum``) in topological order, over numbered slots holding the inputs,
   the parameters, the constants and every result. ``fn`` is traced on two samples,
   and the two graphs must match op for op.
3. **Fuse** (:mod:`.fusion`). The sums of products of a layer run as one matrix product.
4. **Replay** (:mod:`.interpreter`). Each instruction is one numpy call on the whole
   batch, forward, and backward with the table's own local derivative formulas.
   Or, with ``compile(..., by_level=True)``, **level by level** (:mod:`.levels`): all
   instructions of one depth and one primitive as one numpy call, and the dots of a
   layer applied at every position as one matrix product, for big graphs on few
   samples (a GPT's block of 16 positions: 12,500 instructions become about 90 steps).

:func:`compile` (:mod:`.compiled`) puts them together.

What cannot be traced. The tape records one path through ``fn``: Python control
flow that depends on the numbers (``if v.data > 0``, ``max(v.data ...)``, ``float(v)``,
``v < 0``) would be frozen at the traced sample, so a Tracer refuses to show its number
(:class:`TracingError`). As a second check, the second trace uses another sample (the
batch's last row), and the two graphs must match op for op and constant for constant,
which catches random numbers and numbers made from the inputs by other routes. Also
refused: ops under ``ag.no_grad()`` inside ``fn`` (they record no graph), and Values
computed before the call that are not leaves (compute them inside ``fn``). Beyond these
checks the tape cannot know:

* numbers ``fn`` computes from a *parameter's* ``.data`` are frozen at trace time;
* ``ag.grad`` inside ``fn`` bakes in derivatives at kinks (relu, abs) of the
  traced samples (caught only when the two traced samples differ there).

Tracing changes nothing outside the thread and the function being traced: there is
no switch to set or restore, so threads may trace at once, and an interrupt
(Ctrl-C) during a trace leaves the engine as it was.

Example:
    >>> w = Value(0.5)
    >>> f = compile(lambda x: (x[0] * w + x[1]).tanh(), n_inputs=2)
    >>> X = np.array([[1.0, 2.0], [3.0, -4.0]])
    >>> f(X)                                        # one output per row
    array([ 0.9866143, -0.9866143])
    >>> loss, outputs = f.value_and_grad(X)         # mean over rows; adds into w.grad
    >>> print(f.tape.listing())
    per sample:
      v3 = x0 * p0
      v4 = v3 + x1
      v5 = tanh(v4)
    return v5
"""

from __future__ import annotations

from .compiled import CompiledFunction, compile
from .tape import Instruction, Tape, build_tape
from .tracer import Tracer, TracingError

__all__ = [
    "CompiledFunction",
    "Instruction",
    "Tape",
    "Tracer",
    "TracingError",
    "build_tape",
    "compile",
]
