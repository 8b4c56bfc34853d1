"""One call to PyTorch and one call back: ``to_torch()`` and ``from_torch(module)`` of MLP and GPT.

A learner who outgrows the scalar engine keeps the network: ``to_torch`` builds a
``torch.nn.Module`` that computes the same function in float64 (its Linear layers hold
the MLP's weights, laid out as ``state_dict`` already lays them out), and
``from_torch`` reads one back. PyTorch stays optional: it is imported here only, when
one of these is called.
"""

from __future__ import annotations

import math
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
        _check_computes_as_its_base(module, _mlp_module_class(), "module", torch)
        return [m for pair in zip(module.layers, module.activations, strict=True) for m in pair]
    if isinstance(module, torch.nn.Sequential):
        _check_computes_as_its_base(module, torch.nn.Sequential, "module", torch)
        return list(module)
    raise TypeError(
        f"from_torch: module must be a torch.nn.Sequential of Linear layers and activations "
        f"(or a module made by to_torch), got {type(module).__name__}"
    )


def _check_computes_as_its_base(layer: Any, base: type, where: str, torch: Any) -> None:
    """Refuse a module whose computation is not its torch class's: a subclass that
    overrides ``forward`` (or ``__call__``), or one with forward hooks registered.

    Matching by class alone would copy a ``Linear`` subclass whose forward adds 100 as
    if it were a plain Linear: the copy would compute something else, silently.
    """
    kind = type(layer).__name__
    for method in ("forward", "__call__"):
        if getattr(type(layer), method) is not getattr(base, method):
            raise ValueError(
                f"from_torch: {where} ({kind}) overrides {method} of torch's {base.__name__}, "
                "so what it computes is unknown to from_torch"
            )
    if getattr(layer, "_forward_hooks", None) or getattr(layer, "_forward_pre_hooks", None):
        raise ValueError(
            f"from_torch: {where} ({kind}) has forward hooks, which can change what it "
            "computes; remove them first"
        )


def _check_linear(layer: Any, where: str, torch: Any) -> None:
    """Refuse a Linear whose weights cannot be read as real float64 numbers."""
    kind = type(layer).__name__
    _check_computes_as_its_base(layer, torch.nn.Linear, where, torch)
    shapes = {"weight": (layer.out_features, layer.in_features), "bias": (layer.out_features,)}
    for name, shape in shapes.items():
        tensor = getattr(layer, name)
        if tensor is None:
            continue
        if tensor.is_meta:
            raise ValueError(
                f"from_torch: {where} ({kind}) is on the meta device: its {name} has a shape "
                "but no numbers; materialise it first (e.g. module.to_empty(device='cpu') "
                "and initialise it)"
            )
        if tensor.is_complex() or not tensor.is_floating_point():
            raise ValueError(
                f"from_torch: {where} ({kind}) has a {name} of dtype {tensor.dtype}; an MLP "
                "holds real floating-point numbers"
            )
        if tuple(tensor.shape) != shape:
            raise ValueError(
                f"from_torch: {where} ({kind}) has a {name} of shape {tuple(tensor.shape)}, "
                f"not {shape} as its in_features and out_features say"
            )


# Each activation module class and its name in an MLP, matched by isinstance (a class
# merely named "Tanh" is not torch's Tanh).
def _activation_classes(torch: Any) -> dict[type, str]:
    return {getattr(torch.nn, v): k for k, v in _TORCH_ACTIVATIONS.items()}


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

    Only what an MLP can compute exactly is taken: the modules are matched by
    ``isinstance`` of torch's classes, a subclass that overrides ``forward`` (or has
    forward hooks) is refused, and so are weights that are complex, not floating point,
    or on the meta device, and Linear layers whose sizes do not chain.

    Raises:
        TypeError: if ``module`` is not such a Sequential.
        ValueError: naming ``from_torch``, the layer (``module[k]``) and why it has no
            counterpart in an MLP.
    """
    torch = _torch()
    layers = _layers_of(module, torch)
    by_class = _activation_classes(torch)
    linears: list[Any] = []
    activations: list[str] = []
    for k, layer in enumerate(layers):
        kind = type(layer).__name__
        base = next((c for c in by_class if isinstance(layer, c)), None)
        if isinstance(layer, torch.nn.Linear):
            _check_linear(layer, f"module[{k}]", torch)
            if linears and layer.in_features != linears[-1].out_features:
                raise ValueError(
                    f"from_torch: module[{k}] ({kind}) takes {layer.in_features} inputs but "
                    f"the Linear before it gives {linears[-1].out_features}: the sizes do not "
                    "chain"
                )
            if linears and len(activations) < len(linears):
                activations.append("linear")  # two Linears in a row
            linears.append(layer)
        elif base is not None and linears and len(activations) < len(linears):
            _check_computes_as_its_base(layer, base, f"module[{k}]", torch)
            if base is torch.nn.LeakyReLU and layer.negative_slope != 0.01:
                raise ValueError(
                    f"from_torch: module[{k}] is a LeakyReLU of slope {layer.negative_slope}; "
                    "an MLP's leaky_relu has slope 0.01"
                )
            activations.append(by_class[base])
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


# --- the GPT ----------------------------------------------------------------------

_gpt_class: Any = None
_GPT_LINEARS = ("attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1", "mlp_fc2")


def _gpt_module_class() -> Any:
    """``TorchGPT``, made once, when PyTorch is first needed."""
    global _gpt_class
    if _gpt_class is None:
        torch = _torch()
        nn, F = torch.nn, torch.nn.functional

        def rms_norm(x: Any, eps: float) -> Any:
            return x * (x.pow(2).mean(dim=-1, keepdim=True) + eps) ** -0.5

        class TorchBlock(nn.Module):  # type: ignore[misc,name-defined]
            """One layer: attention then MLP, each after an RMSNorm, added back."""

            def __init__(self, n_embd: int, n_head: int, eps: float) -> None:
                super().__init__()
                self.n_head, self.eps = n_head, eps
                for name in _GPT_LINEARS:
                    nin = 4 * n_embd if name == "mlp_fc2" else n_embd
                    nout = 4 * n_embd if name == "mlp_fc1" else n_embd
                    setattr(self, name, nn.Linear(nin, nout, bias=False, dtype=torch.float64))

            def forward(self, x: Any) -> Any:
                *batch, T, C = x.shape
                h = rms_norm(x, self.eps)
                q, k, v = (
                    layer(h).view(*batch, T, self.n_head, -1).transpose(-3, -2)
                    for layer in (self.attn_wq, self.attn_wk, self.attn_wv)
                )
                scores = q @ k.transpose(-1, -2) / math.sqrt(C // self.n_head)
                later = torch.ones(T, T, dtype=torch.bool).triu(1)
                weights = scores.masked_fill(later, float("-inf")).softmax(dim=-1)
                x = x + self.attn_wo((weights @ v).transpose(-3, -2).reshape(*batch, T, C))
                return x + self.mlp_fc2(F.relu(self.mlp_fc1(rms_norm(x, self.eps))))

        class TorchGPT(nn.Module):  # type: ignore[misc,name-defined]
            """``nn.GPT`` in PyTorch: token ids (T,) or (B, T) in, logits (..., T, vocab) out.

            The whole sequence at once, its attention made causal by a mask; the weight
            matrices are the GPT's (out × in): ``wte.weight``, ``wpe.weight``,
            ``lm_head.weight`` and ``layers.{i}.attn_wq.weight`` ... ``mlp_fc2.weight``.
            """

            def __init__(
                self,
                vocab_size: int,
                block_size: int,
                n_embd: int,
                n_head: int,
                n_layer: int,
                eps: float,
            ) -> None:
                super().__init__()
                self.n_head, self.eps = n_head, eps
                self.wte = nn.Embedding(vocab_size, n_embd, dtype=torch.float64)
                self.wpe = nn.Embedding(block_size, n_embd, dtype=torch.float64)
                self.lm_head = nn.Linear(n_embd, vocab_size, bias=False, dtype=torch.float64)
                self.layers = nn.ModuleList(TorchBlock(n_embd, n_head, eps) for _ in range(n_layer))

            def forward(self, idx: Any) -> Any:
                positions = torch.arange(idx.shape[-1])
                x = rms_norm(self.wte(idx) + self.wpe(positions), self.eps)
                for layer in self.layers:
                    x = layer(x)
                return self.lm_head(x)

        _gpt_class = TorchGPT
    return _gpt_class


def gpt_to_torch(model: Any, eps: float) -> Any:
    """An equivalent ``torch.nn.Module`` (float64) of an ``nn.GPT`` whose RMSNorms add
    ``eps``: token ids in, each position's next-token logits out (see ``TorchGPT``)."""
    torch = _torch()
    module = _gpt_module_class()(
        model.vocab_size, model.block_size, model.n_embd, model.n_head, model.n_layer, eps
    )
    tensors = model.state_dict()
    state = {
        "wte.weight": tensors["wte"],
        "wpe.weight": tensors["wpe"],
        "lm_head.weight": tensors["lm_head"],
    }
    for i in range(model.n_layer):
        for name in _GPT_LINEARS:
            state[f"layers.{i}.{name}.weight"] = tensors[f"layer{i}.{name}"]
    module.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in state.items()})
    return module


def gpt_from_torch(cls: Any, module: Any, eps: float) -> Any:
    """The ``nn.GPT`` (whose RMSNorms add ``eps``) that computes what ``module``, made by
    ``GPT.to_torch()``, computes.

    Raises:
        TypeError: if ``module`` is not a module made by ``GPT.to_torch()`` (a GPT's
            forward is not read from a module's code: only that module's is known).
        ValueError: naming the part of ``module`` that a GPT cannot hold (a linear map
            with a bias, an embedding with a padding index or a max norm, shapes that do
            not fit together, a head count that does not divide the width).
    """
    torch = _torch()
    who = f"from_torch: {type(module).__name__}"
    if not isinstance(module, _gpt_module_class()):
        raise TypeError(
            f"{who} is not a module made by GPT.to_torch(); from_torch reads only that one, "
            "whose forward is the GPT's"
        )
    if module.eps != eps or any(block.eps != eps for block in module.layers):
        raise ValueError(f"{who}: its RMSNorm adds eps {module.eps}; a GPT's adds {eps}")
    vocab_size, n_embd = module.wte.weight.shape
    block_size = module.wpe.weight.shape[0]
    for name in ("wte", "wpe"):
        embedding = getattr(module, name)
        if not isinstance(embedding, torch.nn.Embedding):
            raise ValueError(f"{who}.{name} is a {type(embedding).__name__}, not an Embedding")
        if embedding.padding_idx is not None or embedding.max_norm is not None:
            raise ValueError(
                f"{who}.{name} has a padding_idx or max_norm; a GPT's embedding has neither"
            )
    shapes = {"mlp_fc1": (4 * n_embd, n_embd), "mlp_fc2": (n_embd, 4 * n_embd)}
    linears = {"lm_head": (module.lm_head, (vocab_size, n_embd))}
    for i, block in enumerate(module.layers):
        for name in _GPT_LINEARS:
            linears[f"layers.{i}.{name}"] = (
                getattr(block, name),
                shapes.get(name, (n_embd, n_embd)),
            )
    for where, (layer, shape) in linears.items():
        if not isinstance(layer, torch.nn.Linear):
            raise ValueError(f"{who}.{where} is a {type(layer).__name__}, not a Linear")
        if layer.bias is not None:
            raise ValueError(f"{who}.{where} has a bias; a GPT's linear maps have none")
        if tuple(layer.weight.shape) != shape:
            raise ValueError(
                f"{who}.{where}.weight has shape {tuple(layer.weight.shape)}; with "
                f"n_embd {n_embd} and {vocab_size} tokens a GPT's is {shape}"
            )
    heads = {module.n_head, *(block.n_head for block in module.layers)}
    if len(heads) > 1:
        raise ValueError(f"{who}: its layers have different head counts {sorted(heads)}")
    n_head = heads.pop()
    if not isinstance(n_head, int) or n_head < 1 or n_embd % n_head:
        raise ValueError(f"{who}: its n_head ({n_head!r}) does not divide n_embd ({n_embd})")
    model = cls(vocab_size, block_size, n_embd, n_head, len(module.layers), seed=0)

    def floats(t: Any) -> Any:
        return t.detach().to(torch.float64).tolist()

    state = {"wte": floats(module.wte.weight), "wpe": floats(module.wpe.weight)}
    state["lm_head"] = floats(module.lm_head.weight)
    for i, block in enumerate(module.layers):
        for name in _GPT_LINEARS:
            state[f"layer{i}.{name}"] = floats(getattr(block, name).weight)
    try:
        model.load_state_dict(state)
    except ValueError as e:  # a weight that is nan or inf
        raise ValueError(f"{who}: {e}") from None
    return model
