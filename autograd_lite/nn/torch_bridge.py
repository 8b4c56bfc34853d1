"""One call to PyTorch and one call back: ``MLP.to_torch()`` and ``MLP.from_torch(module)``.

A learner who outgrows the scalar engine keeps the network: ``to_torch`` builds a
``torch.nn.Module`` that computes the same function in float64 (its Linear layers hold
the MLP's weights, laid out as ``state_dict`` already lays them out), and
``from_torch`` reads one back. PyTorch stays optional: it is imported here only, when
one of these is called.
"""

from __future__ import annotations

from typing import Any

# Our activation names and the torch modules that compute the same function.
_TORCH_ACTIVATIONS = {
    "relu": "ReLU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "leaky_relu": "LeakyReLU",  # with negative_slope 0.01, as ours
    "linear": "Identity",
}


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "to_torch/from_torch need PyTorch, which autograd_lite does not install: "
            "pip install torch"
        ) from None
    return torch


_module_class: Any = None


def _mlp_module_class() -> Any:
    """``TorchMLP``, made once, when PyTorch is first needed."""
    global _module_class
    if _module_class is None:
        torch = _torch()

        class TorchMLP(torch.nn.Module):  # type: ignore[misc,name-defined]
            """Linear layers in a ModuleList named ``layers``, each then its activation.

            Its ``state_dict()`` has the keys of ``nn.MLP.state_dict()``:
            ``layers.{i}.weight`` and ``layers.{i}.bias``.
            """

            def __init__(self, linears: list[Any], activations: list[Any]) -> None:
                super().__init__()
                self.layers = torch.nn.ModuleList(linears)
                self.activations = torch.nn.ModuleList(activations)

            def forward(self, x: Any) -> Any:
                for linear, activation in zip(self.layers, self.activations, strict=True):
                    x = activation(linear(x))
                return x

        _module_class = TorchMLP
    return _module_class


def to_torch(model: Any) -> Any:
    """An equivalent ``torch.nn.Module`` (float64): ``module(X)`` maps (n, nin) to (n, nout).

    Its Linear layers sit in a ModuleList named ``layers``, so its ``state_dict()`` has
    exactly the keys and shapes of ``model.state_dict()``, each followed by the
    activation module that computes ours (ReLU, Tanh, Sigmoid, LeakyReLU(0.01), Identity).

    Args:
        model: an ``nn.MLP``.

    Returns:
        The module, on the CPU, in float64.
    """
    torch = _torch()
    sizes = [model.nin, *model.nouts]
    linears, activations = [], []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False)):
        linears.append(torch.nn.Linear(a, b, dtype=torch.float64))
        name = model.output_activation if i == len(model.nouts) - 1 else model.activation
        if name not in _TORCH_ACTIVATIONS:
            choices = ", ".join(repr(k) for k in _TORCH_ACTIVATIONS)
            raise ValueError(
                f"to_torch: the activation {name!r} has no torch module that computes exactly "
                f"the same; to_torch takes {choices}"
            )
        activations.append(getattr(torch.nn, _TORCH_ACTIVATIONS[name])())
    module = _mlp_module_class()(linears, activations)
    state = {k: torch.tensor(v, dtype=torch.float64) for k, v in model.state_dict().items()}
    module.load_state_dict(state)
    return module


def _layers_of(module: Any, torch: Any) -> list[Any]:
    """The Linear and activation modules of a to_torch module or a Sequential, in order."""
    if isinstance(module, _mlp_module_class()):
        return [m for pair in zip(module.layers, module.activations, strict=True) for m in pair]
    if isinstance(module, torch.nn.Sequential):
        return list(module)
    raise TypeError(
        f"from_torch: module must be a torch.nn.Sequential of Linear layers and activations "
        f"(or a module made by to_torch), got {type(module).__name__}"
    )


def from_torch(cls: Any, module: Any) -> Any:
    """The ``nn.MLP`` that computes what ``module`` computes.

    Args:
        cls: ``nn.MLP`` or a subclass.
        module: a module made by :func:`to_torch`, or a ``torch.nn.Sequential`` of
            ``Linear`` layers, each followed by at most one activation module among ReLU,
            Tanh, Sigmoid, LeakyReLU (slope 0.01) and Identity, all hidden layers with
            the same activation.

    Returns:
        A new model with the module's weights.

    Raises:
        TypeError: if ``module`` is not such a Sequential.
        ValueError: naming the layer that has no counterpart in an MLP.
    """
    torch = _torch()
    layers = _layers_of(module, torch)
    by_torch_name = {v: k for k, v in _TORCH_ACTIVATIONS.items()}
    linears: list[Any] = []
    activations: list[str] = []
    for k, layer in enumerate(layers):
        kind = type(layer).__name__
        if isinstance(layer, torch.nn.Linear):
            if linears and len(activations) < len(linears):
                activations.append("linear")  # two Linears in a row
            linears.append(layer)
        elif kind in by_torch_name and linears and len(activations) < len(linears):
            if kind == "LeakyReLU" and layer.negative_slope != 0.01:
                raise ValueError(
                    f"from_torch: module[{k}] is a LeakyReLU of slope {layer.negative_slope}; "
                    "an MLP's leaky_relu has slope 0.01"
                )
            activations.append(by_torch_name[kind])
        else:
            raise ValueError(f"from_torch: module[{k}] ({kind}) has no counterpart in an MLP")
    if not linears:
        raise ValueError("from_torch: module holds no Linear layer")
    activations += ["linear"] * (len(linears) - len(activations))
    hidden = set(activations[:-1])
    if len(hidden) > 1:
        raise ValueError(
            f"from_torch: the hidden layers use different activations {sorted(hidden)}; an MLP "
            "uses one"
        )
    model = cls(
        linears[0].in_features,
        [layer.out_features for layer in linears],
        activation=hidden.pop() if hidden else "relu",
        output_activation=activations[-1],
        seed=0,
    )
    state = {}
    for i, layer in enumerate(linears):
        state[f"layers.{i}.weight"] = layer.weight.detach().to(torch.float64).tolist()
        bias = layer.bias  # None for Linear(bias=False): a bias of 0 computes the same
        state[f"layers.{i}.bias"] = (
            [0.0] * layer.out_features if bias is None else bias.detach().to(torch.float64).tolist()
        )
    model.load_state_dict(state)
    return model
