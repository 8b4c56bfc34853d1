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
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable

from .checks import describe, non_negative_number, value_list
from .engine import Value


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

    @abstractmethod
    def step(self) -> None:
        """Update every parameter's ``.data`` from its ``.grad`` (each optimizer's rule)."""

    def _gradients(self) -> list[float]:
        """The gradients, or ValueError naming the first parameter whose gradient is nan/inf."""
        grads = [p.grad for p in self.params]
        for i, g in enumerate(grads):
            if not math.isfinite(g):
                raise ValueError(
                    f"{type(self).__name__}.step: the gradient of parameter {i} is {g!r}; "
                    "no parameter was changed"
                )
        return grads

    def _commit(self, new_data: list[float]) -> None:
        """Write the new weights, or ValueError naming the first that would not be finite."""
        for i, x in enumerate(new_data):
            if not math.isfinite(x):
                raise ValueError(
                    f"{type(self).__name__}.step: parameter {i} would become {x!r} "
                    f"(data {self.params[i].data!r}, gradient {self.params[i].grad!r}); "
                    "no parameter was changed"
                )
        for p, x in zip(self.params, new_data, strict=True):
            p.data = x


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
        self.velocity = [0.0] * len(self.params)  # Δw(t−1) for each parameter

    def step(self) -> None:
        """Move each weight by ``−lr·g + momentum·Δw(t−1)``."""
        grads = self._gradients()
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        steps = [
            -lr * (g + decay * p.data) + momentum * previous
            for p, g, previous in zip(self.params, grads, self.velocity, strict=True)
        ]
        self._commit([p.data + d for p, d in zip(self.params, steps, strict=True)])
        self.velocity = steps

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
        self.t = 0  # steps taken
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """One Adam update of every weight."""
        grads = self._gradients()
        beta1, beta2 = self.betas
        lr, eps, decay = self.lr, self.eps, self.weight_decay
        t = self.t + 1
        step_size = lr / (1 - beta1**t)
        root_correction = math.sqrt(1 - beta2**t)
        ms, vs, new_data = [], [], []
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            w = p.data
            g = g + decay * w
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            denominator = math.sqrt(v) / root_correction + eps
            # 0/0 only when eps is 0 and every gradient so far was 0: no step
            new_data.append(w if denominator == 0 else w - step_size * (m / denominator))
            ms.append(m)
            vs.append(v)
        self._commit(new_data)
        self.t, self.m, self.v = t, ms, vs

    def __repr__(self) -> str:
        return (
            f"Adam({len(self.params)} params, lr={self.lr!r}, betas={self.betas!r}, "
            f"eps={self.eps!r}, weight_decay={self.weight_decay!r})"
        )
