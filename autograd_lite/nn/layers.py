"""Neural networks built from Values: ``Neuron``, ``Layer`` and ``MLP``.

Every weight is one :class:`~autograd_lite.Value`, so a forward pass is an ordinary
graph of scalar ops and ``loss.backward()`` fills in each weight's ``.grad``.

Weights are laid out like PyTorch's: a layer's ``weight`` is ``out × in`` (row ``i``
holds neuron ``i``'s weights) and its ``bias`` has ``out`` entries, so an MLP's
``state_dict()`` loads as is into a ``torch.nn.Module`` that keeps its
``torch.nn.Linear`` layers in a ``ModuleList`` named ``layers``.

Initialisation (the default, chosen so that both relu and tanh networks train well):

* ``relu`` and ``leaky_relu``: He/Kaiming uniform, ``w ~ U(-√(6/nin), √(6/nin))``. A
  relu zeroes about half of its inputs, so the weights are √2 larger than Glorot's to
  keep the signal's variance the same from layer to layer.
* ``tanh``, ``sigmoid`` and ``linear``: Xavier/Glorot uniform,
  ``w ~ U(-√(6/(nin+nout)), √(6/(nin+nout)))``, which keeps both the forward signal and
  the backward gradient at about the same scale.
* biases start at 0.

Without a ``seed`` the initial weights are drawn from Python's ``random`` module, as in
micrograd, so ``random.seed(1337)`` before building a model makes a run repeatable. With
a ``seed`` they come from a private ``random.Random(seed)``, and the global ``random``
state is neither read nor changed.

Each parameter is labelled with its name (``layers.0.weight[3][1]``), which its ``repr``,
:func:`autograd_lite.explain` and :func:`autograd_lite.viz.draw_dot` show.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from ..engine import Value
from ..primitives import FUNCTIONS
from ..sums import dot
from ..support.checks import describe, one_of, positive_int
from .module import M, Module, Seed, check_parameter_count, generator
from .tensors import Tensor

# How each activation is applied to a pre-activation Value; None means identity. Any
# elementary function of the table can be one (leaky_relu with its default slope 0.01).
_APPLY: dict[str, Callable[[Value], Value] | None] = {
    **{name: getattr(Value, name) for name in FUNCTIONS},
    "linear": None,
}
ACTIVATIONS = tuple(_APPLY)


def init_bound(activation: str, nin: int, nout: int) -> float:
    """Half-width of the uniform range the initial weights are drawn from.

    Args:
        activation: the activation that follows the weighted sum.
        nin, nout: the fan-in and fan-out of the layer.

    Returns:
        ``√(6/nin)`` (He) for relu-like activations, else ``√(6/(nin+nout))`` (Glorot).
    """
    if activation in ("relu", "leaky_relu"):
        return math.sqrt(6.0 / nin)
    return math.sqrt(6.0 / (nin + nout))


def _as_inputs(x: object, nin: int, who: str) -> list[Value]:
    """The inputs as a list of Values (numbers become leaves once, not once per neuron)."""
    if isinstance(x, Value) or isinstance(x, str | bytes) or not hasattr(x, "__len__"):
        kind = type(x).__name__
        raise TypeError(f"{who} takes a sequence of {nin} numbers or Values, got {kind}")
    if hasattr(x, "tolist"):  # a numpy row: plain floats are much faster to wrap
        x = x.tolist()
    xs = list(x)  # type: ignore[call-overload]
    if len(xs) != nin:
        raise ValueError(f"{who} takes {nin} inputs, got {len(xs)}")
    return [v if isinstance(v, Value) else Value(v) for v in xs]


# --- the tensors of a module, flattened and checked ---------------------------


class Neuron(Module):
    """One unit: the weighted sum ``w·x + b`` followed by an activation.

    Args:
        nin: number of inputs.
        activation: one of ``"relu" "tanh" "sigmoid" "leaky_relu" "linear"``.
        seed: an int for reproducible initial weights, a ``random.Random`` to draw
            them from, or None for fresh randomness.
        nout: the fan-out used by Glorot initialisation (the size of the layer the
            neuron belongs to; 1 for a lone neuron).

    Calling it on ``nin`` numbers or Values returns a Value.
    """

    def __init__(
        self, nin: int, activation: str = "relu", seed: Seed = None, *, nout: int = 1
    ) -> None:
        self.nin = positive_int(nin, "Neuron", "nin")
        self.activation = one_of(activation, "Neuron", "activation", ACTIVATIONS)
        rng = generator(seed)
        bound = init_bound(self.activation, self.nin, positive_int(nout, "Neuron", "nout"))
        self.w = [Value(rng.uniform(-bound, bound)) for _ in range(self.nin)]
        self.b = Value(0.0)
        self._apply = _APPLY[self.activation]
        self._name_parameters()

    def forward(self, x: Sequence[Value]) -> Value:
        """``activation(w·x + b)`` for inputs already checked and wrapped as Values.

        ``w·x + b`` is one ``dot`` node with the parents w1..wn, x1..xn, b (see
        :func:`autograd_lite.dot`): the same number as ``sum(wi * xi ...) + b`` written
        with ``*`` and ``+``, in two nodes per neuron instead of 2n + 1.
        """
        act = dot(self.w, x, self.b)
        apply = self._apply
        return act if apply is None else apply(act)

    def __call__(self, x: Sequence[Value | float]) -> Value:
        return self.forward(_as_inputs(x, self.nin, "Neuron"))

    def tensors(self) -> dict[str, Tensor]:
        return {"weight": self.w, "bias": self.b}

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation}

    @staticmethod
    def parameter_count(nin: int, activation: str = "relu") -> int:
        """How many parameters ``Neuron(nin, ...)`` has: ``nin + 1``."""
        return positive_int(nin, "Neuron", "nin") + 1

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons that all read the same inputs (a fully connected layer).

    Args:
        nin: number of inputs.
        nout: number of neurons, which is the number of outputs.
        activation: the activation of every neuron.
        seed: an int, a ``random.Random``, or None (see :class:`Neuron`).

    Calling it returns a list of ``nout`` Values, always (also when ``nout`` is 1).
    """

    def __init__(self, nin: int, nout: int, activation: str = "relu", seed: Seed = None) -> None:
        self.nin = positive_int(nin, "Layer", "nin")
        self.nout = positive_int(nout, "Layer", "nout")
        self.activation = one_of(activation, "Layer", "activation", ACTIVATIONS)
        rng = generator(seed)
        self.neurons = [Neuron(nin, activation, rng, nout=nout) for _ in range(nout)]
        self._name_parameters()

    def forward(self, x: Sequence[Value]) -> list[Value]:
        """The neurons' outputs for inputs already checked and wrapped as Values."""
        return [n.forward(x) for n in self.neurons]

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        return self.forward(_as_inputs(x, self.nin, "Layer"))

    def tensors(self) -> dict[str, Tensor]:
        return {"weight": [n.w for n in self.neurons], "bias": [n.b for n in self.neurons]}

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}

    @staticmethod
    def parameter_count(nin: int, nout: int, activation: str = "relu") -> int:
        """How many parameters ``Layer(nin, nout, ...)`` has: ``(nin + 1) · nout``."""
        return (positive_int(nin, "Layer", "nin") + 1) * positive_int(nout, "Layer", "nout")

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: layers applied one after another.

    Args:
        nin: number of inputs.
        nouts: the size of each layer, e.g. ``[16, 16, 1]``.
        activation: the activation of the hidden layers.
        output_activation: the activation of the last layer (``"linear"`` gives raw
            scores, as the hinge loss and the cross-entropy losses want).
        seed: an int for reproducible initial weights, a ``random.Random``, or None.

    Calling it on ``nin`` numbers or Values returns a Value when the last layer has
    one neuron, else a list of Values.

    Example:
        >>> model = MLP(2, [16, 16, 1], seed=0)
        >>> len(model.parameters())
        337
        >>> score = model([0.5, -1.0])   # a Value
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        seed: Seed = None,
    ) -> None:
        self.nin = positive_int(nin, "MLP", "nin")
        if isinstance(nouts, str | bytes) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(
                f"MLP: nouts must be a non-empty list of layer sizes, got {describe(nouts)}"
            )
        self.nouts = [positive_int(n, "MLP", f"nouts[{i}]") for i, n in enumerate(nouts)]
        self.activation = one_of(activation, "MLP", "activation", ACTIVATIONS)
        self.output_activation = one_of(output_activation, "MLP", "output_activation", ACTIVATIONS)
        sizes = [self.nin, *self.nouts]
        check_parameter_count(
            MLP.parameter_count(nin, nouts), "MLP", f"nin={nin}, nouts={describe(nouts)}"
        )
        rng = generator(seed)
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation, rng)
            for i in range(len(self.nouts))
        ]
        self._name_parameters()

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        h = _as_inputs(x, self.nin, "MLP")
        for layer in self.layers:
            h = layer.forward(h)
        return h[0] if len(h) == 1 else h

    def tensors(self) -> dict[str, Tensor]:
        return {
            f"layers.{i}.{key}": t
            for i, layer in enumerate(self.layers)
            for key, t in layer.tensors().items()
        }

    def config(self) -> dict[str, Any]:
        return {
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
        }

    def to_torch(self) -> Any:
        """An equivalent ``torch.nn.Module`` in float64 (needs PyTorch; see torch_bridge)."""
        from .torch_bridge import to_torch

        return to_torch(self)

    @classmethod
    def from_torch(cls: type[M], module: Any) -> M:
        """The MLP computing what a ``torch.nn.Sequential`` of Linear layers computes."""
        from .torch_bridge import from_torch

        return from_torch(cls, module)  # type: ignore[arg-type,return-value]

    @staticmethod
    def parameter_count(
        nin: int, nouts: Sequence[int], activation: str = "relu", output_activation: str = "linear"
    ) -> int:
        """How many parameters ``MLP(nin, nouts, ...)`` has, without building it."""
        if not isinstance(nouts, list | tuple) or not nouts:
            raise ValueError(
                f"MLP: nouts must be a non-empty list of layer sizes, got {describe(nouts)}"
            )
        sizes = [
            positive_int(n, "MLP", "nin" if i == 0 else f"nouts[{i - 1}]")
            for i, n in enumerate([nin, *nouts])
        ]
        return sum(Layer.parameter_count(a, b) for a, b in zip(sizes, sizes[1:], strict=False))

    def __repr__(self) -> str:
        return (
            f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r})"
        )
