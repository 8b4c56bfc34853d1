"""The GPT's training step as whole-matrix numpy operations: the scalar graph, regrouped.

:func:`~autograd_lite.training.gpt.scalar_step` builds the graph of Values of a step and
walks it back: one node per number, 8,000 of them for a name of 6 letters. Its nodes
come in families. Position t's query is ``[dot(Wq[i], xₜ) for i in range(n_embd)]``:
one dot per row of Wq, the same for every position, so the queries of all T positions
are the matrix product ``X · Wqᵀ``. Every family of the graph is such a product, or
one number's op applied to every entry of a matrix, or a sum along one of its axes;
this module writes each family once as that matrix operation, forward and backward,
the way PyTorch runs the model. A step then makes about a hundred numpy calls,
whatever the name's length and the model's size, instead of replaying thousands of
nodes.

What the regrouping keeps: every number of the scalar graph is computed here by the
same formula, so the losses and gradients agree with the scalar graph to rounding
(sums are added in another order; the tests check 1e-12). The attention is causal in
the scalar graph because position t only sees the keys cached so far; here the scores
of later positions are masked to −inf before the softmax, so they get weight 0.

Backward, each family's derivative is its scalar rule applied to every entry (the
local derivatives of ``mul``, ``pow``, ``exp``, ``log`` and ``relu`` in
:mod:`autograd_lite.primitives`), summed over the entries that share a weight, which
is what a matrix product does. The max shift of each softmax gets no gradient: any
shift gives the same softmax, and the scalar graph's gradient through it is 0 but for
rounding (about 1e-16).

The weights live in one vector between steps (``W``, in ``optimizer.params`` order,
the order of ``model.parameters()``), with each matrix a view into it, and the
optimizer's rule updates the vector in one call (``Optimizer.update``). The Values of
the model are written only by :meth:`ArrayStep.write_back` (``train`` calls it at the
end, and on an error): until then the model's ``.data`` are the weights of the first
step. Speed trick, measured: writing 4,192 weights into Values every step cost
0.3-0.4 ms of a step of about 1 ms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .optim import Optimizer
from .transformer import GPT, RMS_EPS, check_sequence, token_id

__all__ = ["ArrayStep"]

Array = np.ndarray


def _rms_norm(x: Array) -> tuple[Array, Array]:
    """``x / √(mean(x²) + eps)`` of each row, and each row's scale ``(mean(x²) + eps)^-½``."""
    scale = (np.einsum("ij,ij->i", x, x) * (1.0 / x.shape[1]) + RMS_EPS) ** -0.5
    return x * scale[:, None], scale


def _rms_norm_back(x: Array, scale: Array, dy: Array) -> Array:
    """d loss / d x of ``y = x · s``, ``s = (Σx²/n + eps)^-½``, from ``dy = d loss / d y``:
    ``s·dy`` through the product, and ``−s³·(Σ dy·x)/n · x`` through s."""
    ds = np.einsum("ij,ij->i", dy, x)
    return dy * scale[:, None] - x * ((scale**3) * ds * (1.0 / x.shape[1]))[:, None]


def _softmax(scores: Array) -> Array:
    """``exp(x − m) · (1/Σ exp(x − m))`` along the last axis, m the row's largest (masked
    entries, −inf, get 0)."""
    exps = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return exps * (1.0 / exps.sum(axis=-1, keepdims=True))


class _Layer:
    """One block's weight matrices, as views into the weight vector (out × in)."""

    def __init__(self, views: dict[str, Array], i: int) -> None:
        prefix = f"layer{i}."
        self.wq, self.wk, self.wv, self.wo = (views[prefix + f"attn_w{n}"] for n in "qkvo")
        self.fc1, self.fc2 = views[prefix + "mlp_fc1"], views[prefix + "mlp_fc2"]


class ArrayStep:
    """A GPT training step (the protocol of ``scalar_step``) as matrix operations.

    Same arguments, result and updated weights as ``scalar_step`` (to about 1e-12),
    except that the weights stay in the step's vector until :meth:`write_back`:
    call it (``train`` does) before reading the model. A batch of several names runs
    name by name, each through its own length; the loss is the mean of their means.
    """

    def __init__(self) -> None:
        self._model: GPT | None = None
        self._optimizer: Optimizer | None = None
        self.W = np.zeros(0)
        self.G = np.zeros(0)
        self._written = True

    def __call__(self, model: GPT, optimizer: Optimizer, batch: Sequence[Sequence[int]]) -> float:
        if isinstance(batch, str | bytes) or not isinstance(batch, Sequence):
            raise TypeError(
                f"ArrayStep: batch must be a list of token lists, got {type(batch).__name__}"
            )
        if not batch:
            raise ValueError("ArrayStep: batch is empty; it needs at least one token list")
        docs = [_checked_tokens(tokens, model.vocab_size, model.block_size + 1) for tokens in batch]
        if model is not self._model or optimizer is not self._optimizer:
            self._start(model, optimizer)
        self.G = np.zeros_like(self.W)
        self._grads = self._views(self.G)
        total = 0.0
        for tokens in docs:
            total += self._name(np.array(tokens), 1.0 / len(docs))
        self.W[:] = optimizer.update(self.W, self.G)  # (in place: the views stay valid)
        self._written = False
        return total / len(docs)

    def write_back(self) -> None:
        """Write the weights and the last step's gradients into the model's Values."""
        if self._model is None or self._written:
            return
        for p, w, g in zip(self._params, self.W.tolist(), self.G.tolist(), strict=True):
            p._data = w
            p.grad = g
        self._written = True

    def _start(self, model: GPT, optimizer: Optimizer) -> None:
        """Read the weights of a new model or optimizer into the vector."""
        self.write_back()
        params = model.parameters()
        held = optimizer.params
        if len(held) != len(params) or any(a is not b for a, b in zip(held, params, strict=True)):
            raise ValueError(
                "ArrayStep: the optimizer must hold exactly the model's parameters, in "
                "model.parameters() order"
            )
        self._model, self._optimizer, self._params = model, optimizer, params
        self.W = np.fromiter((p._data for p in params), np.float64, len(params))
        self._weights = self._views(self.W)
        self._written = True

    def _views(self, vector: Array) -> dict[str, Any]:
        """Each of the model's matrices as a view into ``vector`` (out × in), by name."""
        assert self._model is not None
        views: dict[str, Any] = {}
        at = 0
        for key, rows in self._model.tensors().items():
            shape = (len(rows), len(rows[0]))
            views[key] = vector[at : at + shape[0] * shape[1]].reshape(shape)
            at += shape[0] * shape[1]
        views["layers"] = [_Layer(views, i) for i in range(self._model.n_layer)]
        return views

    def _name(self, tokens: Array, weight: float) -> float:
        """Forward and backward on one name; its gradients, times ``weight``, added into G.

        Returns the name's mean loss.
        """
        assert self._model is not None
        model, W, G = self._model, self._weights, self._grads
        T = len(tokens) - 1
        idx, targets = tokens[:T], tokens[1:]
        heads, head_dim = model.n_head, model.n_embd // model.n_head
        scale = np.sqrt(head_dim)
        hidden = np.triu(np.ones((T, T), dtype=bool), 1)  # the later positions of each row

        # forward: each family of the scalar graph as one matrix operation
        embedded = W["wte"][idx] + W["wpe"][:T]
        x, s0 = _rms_norm(embedded)
        saved = []
        for layer in W["layers"]:
            h, s1 = _rms_norm(x)
            q, k, v = (
                (h @ w.T).reshape(T, heads, head_dim).transpose(1, 0, 2)
                for w in (layer.wq, layer.wk, layer.wv)
            )
            scores = (q @ k.transpose(0, 2, 1)) / scale
            scores[:, hidden] = -np.inf
            att = _softmax(scores)
            mixed = (att @ v).transpose(1, 0, 2).reshape(T, -1)
            x_mid = mixed @ layer.wo.T + x
            h2, s2 = _rms_norm(x_mid)
            pre = h2 @ layer.fc1.T
            act = np.maximum(pre, 0.0)
            x_out = act @ layer.fc2.T + x_mid
            saved.append((x, h, s1, q, k, v, att, mixed, x_mid, h2, s2, pre, act))
            x = x_out
        logits = x @ W["lm_head"].T
        shifted = logits - logits.max(axis=1, keepdims=True)
        exps = np.exp(shifted)
        sums = exps.sum(axis=1)
        rows = np.arange(T)
        losses = np.log(sums) - shifted[rows, targets]  # log Σ exp − the target's logit

        # backward: d (weight · mean loss), family by family in reverse
        dlogits = exps / sums[:, None]
        dlogits[rows, targets] -= 1.0
        dlogits *= weight / T
        G["lm_head"] += dlogits.T @ x
        dx = dlogits @ W["lm_head"]
        for layer, grads, (x_in, h, s1, q, k, v, att, mixed, x_mid, h2, s2, pre, act) in zip(
            reversed(W["layers"]), reversed(G["layers"]), reversed(saved), strict=True
        ):
            grads.fc2 += dx.T @ act
            dpre = (dx @ layer.fc2) * (pre > 0.0)
            grads.fc1 += dpre.T @ h2
            dx_mid = dx + _rms_norm_back(x_mid, s2, dpre @ layer.fc1)
            grads.wo += dx_mid.T @ mixed
            dmixed = (dx_mid @ layer.wo).reshape(T, heads, head_dim).transpose(1, 0, 2)
            datt = dmixed @ v.transpose(0, 2, 1)
            dv = att.transpose(0, 2, 1) @ dmixed
            dscores = att * (datt - (datt * att).sum(axis=-1, keepdims=True)) / scale
            dq = dscores @ k
            dk = dscores.transpose(0, 2, 1) @ q
            dh = np.zeros_like(h)
            for w, dw, d in (
                (layer.wq, grads.wq, dq),
                (layer.wk, grads.wk, dk),
                (layer.wv, grads.wv, dv),
            ):
                d = d.transpose(1, 0, 2).reshape(T, -1)
                dw += d.T @ h
                dh += d @ w
            dx = dx_mid + _rms_norm_back(x_in, s1, dh)
        dembedded = _rms_norm_back(embedded, s0, dx)
        np.add.at(G["wte"], idx, dembedded)
        G["wpe"][:T] += dembedded
        return float(losses.sum() * (1.0 / T)) if T > 1 else float(losses[0])


def _checked_tokens(tokens: Sequence[int], vocab: int, most: int) -> list[int]:
    """``tokens`` cut to ``most``, as a list of ints, or the error ``GPT.loss`` would raise."""
    check_sequence(tokens, "GPT.loss")
    return [token_id(token, vocab) for token in tokens[:most]]
