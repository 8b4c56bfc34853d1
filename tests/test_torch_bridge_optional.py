"""PyTorch stays optional: nn imports without it, and the bridge says how to get it."""

from __future__ import annotations

import sys

import pytest

from autograd_lite import nn


def test_to_torch_without_torch_is_one_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # as if PyTorch were not installed
    with pytest.raises(ImportError, match="pip install torch"):
        nn.MLP(2, [1], seed=0).to_torch()
    with pytest.raises(ImportError, match="pip install torch"):
        nn.MLP.from_torch(object())


def test_gpt_to_torch_without_torch_is_one_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="pip install torch"):
        nn.GPT(5, block_size=2, n_embd=2, n_head=1, seed=0).to_torch()
    with pytest.raises(ImportError, match="pip install torch"):
        nn.GPT.from_torch(object())
