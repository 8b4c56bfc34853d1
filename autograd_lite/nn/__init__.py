"""Neural networks built from Values: neurons, layers, MLPs and a GPT.

Start with :mod:`.layers` (``Neuron``, ``Layer``, ``MLP``: micrograd's networks), then
:mod:`.transformer` (microgpt's GPT, every number a Value). The rest serves them:

* :mod:`.module` — ``Module``, the base class: parameters, ``zero_grad``, state dicts,
  ``save`` and ``load``;
* :mod:`.tensors` — nested lists of Values, walked and named;
* :mod:`.checkpoint` — the JSON model file (never pickle);
* :mod:`.torch_bridge` — ``MLP.to_torch()`` and ``MLP.from_torch(module)``.

    >>> from autograd_lite import nn
    >>> model = nn.MLP(2, [4, 1], seed=0)
    >>> len(model.parameters())
    17
"""

from __future__ import annotations

from .layers import ACTIVATIONS, MLP, Layer, Neuron, init_bound
from .module import Module, is_parameter
from .transformer import GPT

__all__ = ["ACTIVATIONS", "GPT", "MLP", "Layer", "Module", "Neuron", "init_bound", "is_parameter"]
