"""autograd_lite: a scalar reverse-mode automatic differentiation engine for learning backprop.

    >>> import autograd_lite as ag
    >>> x = ag.Value(2.0, label="x")
    >>> y = (x * x + 1).tanh()
    >>> y.backward()

The submodules ``nn``, ``optim``, ``losses``, ``data``, ``train`` and ``viz`` are
imported on first use, so ``import autograd_lite`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

from .engine import Value, no_grad
from .explain import explain
from .forward import Dual, explain_forward, jvp
from .functional import grad, gradcheck, hessian
from .jacobians import hvp, jacobian, vjp
from .sums import dot
from .sums import sum as sum  # noqa: A004 - ag.sum, as numpy's and torch's

__version__ = "0.1.0"

_SUBMODULES = ("nn", "optim", "losses", "data", "train", "viz")

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
    "dot",  # ag.sum is left out, so that `from autograd_lite import *` keeps Python's sum
    "compile",
    "draw_dot",
    "studio",
    *_SUBMODULES,
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name == "compile":  # lives with numpy, which is imported only when needed
        return importlib.import_module(".compiler", __name__).compile
    if name == "draw_dot":  # viz.draw_dot, by the name the micrograd lecture uses
        return importlib.import_module(".viz.graph", __name__).draw_dot
    if name == "studio":  # the studio and its widget load only when one is made
        return importlib.import_module(".backprop_studio", __name__).studio
    raise AttributeError(f"module 'autograd_lite' has no attribute {name!r}")
