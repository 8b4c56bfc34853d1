"""autograd_lite: a scalar reverse-mode automatic differentiation engine for learning backprop.

    >>> import autograd_lite as ag
    >>> x = ag.Value(2.0, label="x")
    >>> y = (x * x + 1).tanh()
    >>> y.backward()

Where to start reading: ``engine.py`` (backprop in a dozen lines, then ``Value``), then
``primitives.py`` (one row per op: its forward and its local derivatives). The house has
floors; each imports only from the floors below it:

1. ``support/`` — argument checks, safe files, the garbage collector's pause: no Values.
2. The autodiff library, here at the top of the package: ``primitives`` and ``engine``
   (the table and the node), ``sums`` (``dot``, ``sum``), ``explain`` (the chain rule as
   a table), ``functional`` (``grad``, ``hessian``, ``gradcheck``), ``forward`` (dual
   numbers, ``jvp``), ``jacobians`` (``vjp``, ``jacobian``, ``hvp``), ``arguments`` (what
   the function transforms share), ``pickling``, and ``array_ops`` (the table on numpy
   arrays).
3. ``compiler/`` — a scalar graph traced once and replayed on numpy batches
   (``ag.compile``).
4. ``nn/`` — modules built from Values: ``Neuron``, ``Layer``, ``MLP``, ``GPT``; model
   files; the PyTorch bridge.
5. ``training/`` — ``optim``, ``losses``, ``data``, ``train`` (``fit``), and the GPT's
   training.
6. ``viz/`` — pictures: graphs, networks, decision boundaries, loss curves.
7. ``backprop_studio/`` — the notebook widget and page that step through a graph's
   passes and watch training (``ag.studio``).
8. ``cli/`` — the ``autograd-lite`` command, a thin shell over the rest.

The submodules ``nn``, ``optim``, ``losses``, ``data``, ``train`` and ``viz`` are
imported on first use, so ``import autograd_lite`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import pickling  # noqa: F401 - registers Value with copyreg (pickle and copy)
from .custom_ops import primitive
from .engine import Value, no_grad
from .explain import explain
from .forward import Dual, explain_forward, jvp
from .functional import grad, gradcheck, hessian
from .jacobians import hvp, jacobian, vjp
from .sums import dot
from .sums import sum as sum  # noqa: A004 - ag.sum, as numpy's and torch's

__version__ = "0.1.0"

# The public short names of the submodules, and where each lives.
_SUBMODULES = {
    "nn": "nn",
    "optim": "training.optim",
    "losses": "training.losses",
    "data": "training.data",
    "train": "training.train",
    "viz": "viz",
}

__all__ = [
    "Value",
    "grad",
    "no_grad",
    "gradcheck",
    "hessian",
    "explain",
    "Dual",
    "jvp",
    "vjp",
    "jacobian",
    "hvp",
    "explain_forward",
    "primitive",
    "dot",  # ag.sum is left out, so that `from autograd_lite import *` keeps Python's sum
    "compile",
    "draw_dot",
    "studio",
    *_SUBMODULES,
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{_SUBMODULES[name]}", __name__)
    if name == "compile":  # lives with numpy, which is imported only when needed
        return importlib.import_module(".compiler", __name__).compile
    if name == "draw_dot":  # viz.draw_dot, by the name the micrograd lecture uses
        return importlib.import_module(".viz.graph", __name__).draw_dot
    if name == "studio":  # the studio and its widget load only when one is made
        return importlib.import_module(".backprop_studio", __name__).studio
    raise AttributeError(f"module 'autograd_lite' has no attribute {name!r}")


def _value_mimebundle(value: Value, include: Any = None, exclude: Any = None) -> dict[str, str]:
    """In Jupyter a Value displays as its graph (or, when it cannot be drawn, its repr).

    Wired here, at the package's face, so that the engine never imports the pictures.
    """
    from .viz.graph import mimebundle

    return mimebundle(value, include, exclude)


Value._repr_mimebundle_ = _value_mimebundle  # type: ignore[attr-defined]
