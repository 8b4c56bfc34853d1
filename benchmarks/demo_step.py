"""What the training benchmarks share: the demo's recipe and micrograd's step for it.

``train.py`` and ``compiled.py`` both time one training step of the demo: 100 two-moons
points (or more), ``MLP(2, [16, 16, 1])``, hinge loss plus 1e-4 · Σ w², SGD with the
demo's decaying learning rate, against micrograd 0.1.0 written as in its notebook.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata
from typing import Any

HIDDEN = [16, 16, 1]
L2 = 1e-4

Step = Callable[[int], float]  # step(k) -> the loss of step k (before its update)


def lr_at(k: int) -> float:
    """The demo's learning-rate schedule (as micrograd's notebook, over 100 steps)."""
    return 1.0 - 0.9 * k / 100


def installed(package: str) -> str | None:
    """The installed version of ``package``, or None."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def micrograd_step(rows: list[list[float]], labels: list[int], state: dict[str, Any]) -> Step:
    """The step as micrograd's demo notebook writes it."""
    from micrograd.engine import Value  # type: ignore[import-untyped]
    from micrograd.nn import MLP  # type: ignore[import-untyped]

    model = MLP(2, HIDDEN)
    for i, layer in enumerate(model.layers):  # copy the shared initial weights in
        for neuron, weights, bias in zip(
            layer.neurons, state[f"layers.{i}.weight"], state[f"layers.{i}.bias"], strict=True
        ):
            for w, x in zip(neuron.w, weights, strict=True):
                w.data = x
            neuron.b.data = bias
    ys = [2 * c - 1 for c in labels]

    def step(k: int) -> float:
        inputs = [list(map(Value, xrow)) for xrow in rows]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(ys, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = L2 * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        model.zero_grad()
        total_loss.backward()
        for p in model.parameters():
            p.data -= lr_at(k) * p.grad
        return float(total_loss.data)

    return step
