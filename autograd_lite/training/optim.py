"""Optimizers: turn the gradients in ``.grad`` into changes of ``.data``.

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(100):
        loss = ...                # forward
        opt.zero_grad()
        loss.backward()           # fills p.grad
        opt.step()                # updates p.data

A nan or inf gradient does not reach the weights: ``step()`` first works out every
new weight, and if a gradient or a new weight is not finite it raises ``ValueError``
naming the parameter's index (its position in ``params``) and changes nothing, the
optimizer's own state (momentum, Adam's moments and step count) included. A
diverging run stops at the step that went wrong, instead of silently filling the
model with nan.

Each optimizer writes its rule once, on vectors of all the weights and their
gradients (:meth:`Optimizer.update`): ``step()`` gathers them from the Values as plain
Python :class:`~.vectors.Vector` s (no numpy needed: scalar training runs anywhere
Python does), and the compiled training step (:mod:`.steps`) runs the same rule on the
numpy arrays it keeps, without a Python loop over the weights.
"""

from __future__ import annotations

import math
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from ..arguments import value_list
from ..engine import Value
from ..support.checks import describe, non_negative_number
from . import vectors
from .vectors import Vector, first_not_finite


def _namespace(w: Any) -> Any:
    """The functions (``sqrt``, ``where`` ...) for ``w``'s kind of vector: numpy's for an
    array, :mod:`.vectors`' for a Vector."""
    if isinstance(w, Vector):
        return vectors
    import numpy  # the caller holds numpy arrays, so numpy is loaded

    return numpy


class Optimizer(ABC):
    """Base class: holds the parameters and the learning rate.

    Args:
        params: the Values to train, e.g. ``model.parameters()``.
        lr: the learning rate; settable between steps (for schedules).
    """

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = self._check_params(params)
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate; set it between steps to follow a schedule."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = non_negative_number(value, type(self).__name__, "lr")

    def _check_params(self, params: Iterable[Value]) -> list[Value]:
        name = type(self).__name__
        params = value_list(params, name, "params")
        if not params:
            raise ValueError(f"{name}: params is empty (nothing to optimize)")
        seen: set[Value] = set()
        for i, p in enumerate(params):
            if p in seen:
                raise ValueError(f"{name}: params[{i}] appears twice (it would be updated twice)")
            seen.add(p)
        return params

    def zero_grad(self) -> None:
        """Set ``.grad`` of every parameter to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter's ``.data`` from its ``.grad`` (each optimizer's rule)."""
        params = self.params
        np = sys.modules.get("numpy")
        # Speed trick: numpy's vectors where numpy is loaded already, plain Python's
        # elsewhere (Pyodide without numpy): the same bits, and Adam's step on
        # MLP(2, [16, 16, 1]) takes 0.06 ms instead of 0.6 ms.
        if np is not None:
            n = len(params)
            w = np.fromiter((p._data for p in params), np.float64, n)
            g = np.fromiter((p.grad for p in params), np.float64, n)
        else:
            w = Vector(p._data for p in params)
            g = Vector(p.grad for p in params)
        for p, x in zip(params, self.update(w, g).tolist(), strict=True):
            p._data = x  # finite floats, checked by update

    def update(self, w: Any, g: Any) -> Any:
        """The new weights from the weights ``w`` and gradients ``g`` (vectors in params'
        order: both numpy arrays, or both :class:`~.vectors.Vector` s).

        Advances the optimizer's state (momentum, moments) only if every gradient and
        every new weight is finite; otherwise raises ValueError naming the first bad one.
        """
        self._check(first_not_finite(g), "the gradient of parameter {i} is {g!r}", w, g)
        xp = _namespace(w)
        if xp is vectors:
            new, state = self._rule(w, g, xp)
        else:
            with xp.errstate(all="ignore"):  # overflow and 0/0 are found just below
                new, state = self._rule(w, g, xp)
        self._check(
            first_not_finite(new),
            "parameter {i} would become {new!r} (data {w!r}, gradient {g!r})",
            w,
            g,
            new,
        )
        self._state = state
        return new

    @abstractmethod
    def _rule(self, w: Any, g: Any, xp: Any) -> tuple[Any, Any]:
        """This optimizer's update, on vectors: (new weights, new state). ``xp`` holds
        the functions for their kind (numpy, or :mod:`.vectors`)."""

    def _check(self, i: int | None, message: str, w: Any, g: Any, new: Any = None) -> None:
        if i is not None:
            numbers_at = {"w": float(w[i]), "g": float(g[i])}
            if new is not None:
                numbers_at["new"] = float(new[i])
            raise ValueError(
                f"{type(self).__name__}.step: "
                + message.format(i=i, **numbers_at)
                + "; no parameter was changed"
            )


class SGD(Optimizer):
    """Stochastic gradient descent with the classic momentum and L2 weight decay.

    Each step moves every weight by

        Δw(t) = −lr(t)·g + momentum·Δw(t−1),   g = ∂E/∂w + weight_decay·w

    which is the momentum of Rumelhart, Hinton & Williams (1986): the previous *step*
    is carried over. While ``lr`` stays constant this equals PyTorch's
    ``torch.optim.SGD`` (which carries over the gradient sum and scales it by the
    current ``lr``); under a schedule the two differ slightly.

    Args:
        params: the Values to train.
        lr: the learning rate, >= 0.
        momentum: the fraction of the previous step carried over, in [0, 1).
        weight_decay: the L2 coefficient added to each gradient, >= 0.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = non_negative_number(momentum, "SGD", "momentum", below=1.0)
        self.weight_decay = non_negative_number(weight_decay, "SGD", "weight_decay")
        self._state: Any = vectors.zeros(len(self.params))  # Δw(t−1) for each parameter

    @property
    def velocity(self) -> list[float]:
        """The last step of each weight, Δw(t−1)."""
        return self._state.tolist()  # type: ignore[no-any-return]

    def _rule(self, w: Any, g: Any, xp: Any) -> tuple[Any, Any]:
        """Move each weight by ``−lr·g + momentum·Δw(t−1)``."""
        previous = xp.asarray(self._state)  # in the kind of vector of w
        steps = -self.lr * (g + self.weight_decay * w) + self.momentum * previous
        return w + steps, steps

    def __repr__(self) -> str:
        return (
            f"SGD({len(self.params)} params, lr={self.lr!r}, momentum={self.momentum!r}, "
            f"weight_decay={self.weight_decay!r})"
        )


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): per-weight step sizes from running gradient moments.

        m ← β₁·m + (1−β₁)·g          v ← β₂·v + (1−β₂)·g²
        w ← w − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + eps)

    computed in the same order as ``torch.optim.Adam``.

    Args:
        params: the Values to train.
        lr: the learning rate, >= 0.
        betas: the decay rates (β₁, β₂) of the two moments, each in [0, 1).
        eps: added to the denominator for stability, >= 0.
        weight_decay: an L2 coefficient added to each gradient, >= 0 (as PyTorch's
            ``Adam``, not ``AdamW``).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {describe(betas)}")
        self.betas = (
            non_negative_number(betas[0], "Adam", "betas[0]", below=1.0),
            non_negative_number(betas[1], "Adam", "betas[1]", below=1.0),
        )
        self.eps = non_negative_number(eps, "Adam", "eps")
        self.weight_decay = non_negative_number(weight_decay, "Adam", "weight_decay")
        n = len(self.params)
        # steps taken, first and second moments
        self._state: Any = (0, vectors.zeros(n), vectors.zeros(n))

    @property
    def t(self) -> int:
        """How many steps were taken."""
        return self._state[0]  # type: ignore[no-any-return]

    @property
    def m(self) -> list[float]:
        """The running mean of each weight's gradient."""
        return self._state[1].tolist()  # type: ignore[no-any-return]

    @property
    def v(self) -> list[float]:
        """The running mean of each weight's squared gradient."""
        return self._state[2].tolist()  # type: ignore[no-any-return]

    def _rule(self, w: Any, g: Any, xp: Any) -> tuple[Any, Any]:
        """One Adam update of every weight."""
        beta1, beta2 = self.betas
        t, m, v = self._state
        m, v = xp.asarray(m), xp.asarray(v)  # in the kind of vector of w
        t += 1
        step_size = self.lr / (1 - beta1**t)
        root_correction = math.sqrt(1 - beta2**t)
        g = g + self.weight_decay * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        denominator = xp.sqrt(v) / root_correction + self.eps
        moved = w - step_size * (m / denominator)
        # 0/0 only when eps is 0 and every gradient so far was 0: no step
        return xp.where(xp.equal(denominator, 0), w, moved), (t, m, v)

    def __repr__(self) -> str:
        return (
            f"Adam({len(self.params)} params, lr={self.lr!r}, betas={self.betas!r}, "
            f"eps={self.eps!r}, weight_decay={self.weight_decay!r})"
        )
