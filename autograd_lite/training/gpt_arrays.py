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

Backward, each family's derivative is the chain rule through its entries' scalar
rules (those of ``mul``, ``pow``, ``exp``, ``log``, ``relu`` and ``dot`` in
:mod:`autograd_lite.primitives`), summed over the entries that share a weight, which is
what a matrix product does. They are written here a second time, at the level of
matrices, and checked against the scalar graph (and torch.autograd) in the tests. The
max shift of each softmax gets no gradient: any shift gives the same softmax, and the
scalar graph's gradient through it is 0 but for rounding (about 1e-16).

The weights live in one vector during a training run (``W``, in ``optimizer.params``
order, which must be ``model.parameters()``'s), each matrix a view into it, and the
optimizer's rule updates the vector in one call (``Optimizer.update``). The model's
Values are written only by :meth:`ArrayStep.write_back`, which ``train`` calls at its
end (and on an error); the next call reads them again. Speed trick, measured: writing
the 4,192 weights back into Values costs 0.3-0.4 ms, as much again as a whole step of
microgpt's model here (0.3-0.4 ms), so it is done once per run instead of once per step.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..nn.transformer import GPT, RMS_EPS, checked_temperature, draw_sequence
from .gpt import check_batch, checked_tokens
from .optim import Optimizer

__all__ = ["ArrayStep", "Matrices", "backward", "forward", "sample"]

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
    """One block's weight matrices, as views into a vector (out × in)."""

    def __init__(self, views: dict[str, Array], i: int) -> None:
        prefix = f"layer{i}."
        self.wq, self.wk, self.wv, self.wo = (views[prefix + f"attn_w{n}"] for n in "qkvo")
        self.fc1, self.fc2 = views[prefix + "mlp_fc1"], views[prefix + "mlp_fc2"]


class Matrices:
    """A GPT's weight matrices as views into one vector (each out × in, in
    ``model.parameters()`` order): the weights, or their gradients.

    Args:
        model: gives the shapes (its ``tensors()``), not the numbers.
        vector: as long as ``model.parameters()``; the views share its memory.
    """

    def __init__(self, model: GPT, vector: Array) -> None:
        views: dict[str, Array] = {}
        at = 0
        for key, rows in model.tensors().items():
            shape = (len(rows), len(rows[0]))
            views[key] = vector[at : at + shape[0] * shape[1]].reshape(shape)
            at += shape[0] * shape[1]
        self.wte, self.wpe, self.lm_head = views["wte"], views["wpe"], views["lm_head"]
        self.layers = [_Layer(views, i) for i in range(model.n_layer)]
        self.heads = model.n_head


def forward(w: Matrices, idx: Array) -> tuple[Array, list[Any]]:
    """The logits at each position of the token ids ``idx`` (T × vocab), and what
    :func:`backward` needs."""
    T = len(idx)
    heads = w.heads
    head_dim = w.wte.shape[1] // heads
    scale = np.sqrt(head_dim)
    later = np.triu(np.ones((T, T), dtype=bool), 1)  # the positions each row must not see
    embedded = w.wte[idx] + w.wpe[:T]
    x, s0 = _rms_norm(embedded)
    saved: list[Any] = [(embedded, s0)]
    for layer in w.layers:
        h, s1 = _rms_norm(x)
        q, k, v = (
            (h @ m.T).reshape(T, heads, head_dim).transpose(1, 0, 2)
            for m in (layer.wq, layer.wk, layer.wv)
        )
        scores = (q @ k.transpose(0, 2, 1)) / scale
        scores[:, later] = -np.inf
        att = _softmax(scores)
        mixed = (att @ v).transpose(1, 0, 2).reshape(T, -1)
        x_mid = mixed @ layer.wo.T + x
        h2, s2 = _rms_norm(x_mid)
        pre = h2 @ layer.fc1.T
        act = np.maximum(pre, 0.0)
        saved.append((x, h, s1, q, k, v, att, mixed, x_mid, h2, s2, pre, act))
        x = act @ layer.fc2.T + x_mid
    saved.append(x)
    return x @ w.lm_head.T, saved


def backward(w: Matrices, g: Matrices, idx: Array, saved: list[Any], dlogits: Array) -> None:
    """Add d loss / d each weight into ``g``, from ``dlogits`` = d loss / d the logits."""
    T = len(idx)
    heads = w.heads
    head_dim = w.wte.shape[1] // heads
    scale = np.sqrt(head_dim)
    x = saved[-1]
    g.lm_head += dlogits.T @ x
    dx = dlogits @ w.lm_head
    for layer, grads, (x_in, h, s1, q, k, v, att, mixed, x_mid, h2, s2, pre, act) in zip(
        reversed(w.layers), reversed(g.layers), reversed(saved[1:-1]), strict=True
    ):
        grads.fc2 += dx.T @ act
        dpre = (dx @ layer.fc2) * (pre > 0.0)  # relu's local derivative: 1 where positive
        grads.fc1 += dpre.T @ h2
        dx_mid = dx + _rms_norm_back(x_mid, s2, dpre @ layer.fc1)
        grads.wo += dx_mid.T @ mixed
        dmixed = (dx_mid @ layer.wo).reshape(T, heads, head_dim).transpose(1, 0, 2)
        datt = dmixed @ v.transpose(0, 2, 1)
        dv = att.transpose(0, 2, 1) @ dmixed
        # softmax: d xᵢ = pᵢ·(d pᵢ − Σⱼ pⱼ·d pⱼ); then the scores' 1/scale
        dscores = att * (datt - (datt * att).sum(axis=-1, keepdims=True)) / scale
        dh = np.zeros_like(h)
        for m, dm, d in (
            (layer.wq, grads.wq, dscores @ k),
            (layer.wk, grads.wk, dscores.transpose(0, 2, 1) @ q),
            (layer.wv, grads.wv, dv),
        ):
            d = d.transpose(1, 0, 2).reshape(T, -1)
            dm += d.T @ h
            dh += d @ m
        dx = dx_mid + _rms_norm_back(x_in, s1, dh)
    embedded, s0 = saved[0]
    dembedded = _rms_norm_back(embedded, s0, dx)
    np.add.at(g.wte, idx, dembedded)  # (a token seen twice gets both rows)
    g.wpe[:T] += dembedded


def losses_and_gradient(w: Matrices, g: Matrices, tokens: Array, weight: float) -> float:
    """One name's mean cross-entropy; ``weight`` × its gradient added into ``g``."""
    T = len(tokens) - 1
    idx, targets = tokens[:T], tokens[1:]
    logits, saved = forward(w, idx)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    sums = exps.sum(axis=1)
    rows = np.arange(T)
    losses = np.log(sums) - shifted[rows, targets]  # log Σ exp − the target's logit
    dlogits = exps / sums[:, None]  # softmax − onehot(target): cross-entropy's gradient
    dlogits[rows, targets] -= 1.0
    dlogits *= weight / T
    backward(w, g, idx, saved, dlogits)
    return float(losses.sum() * (1.0 / T)) if T > 1 else float(losses[0])


class ArrayStep:
    """A GPT training step (the protocol of ``scalar_step``) as matrix operations.

    Same arguments, result and updated weights as ``scalar_step`` (to about 1e-12),
    except that the weights stay in the step's vector until :meth:`write_back`:
    call it (``train`` does) before reading or changing the model. A batch of several names runs
    name by name, each through its own length; the loss is the mean of their means.

    Raises (when called):
        TypeError, ValueError: for a batch ``scalar_step`` refuses, with its message;
            for an optimizer that does not hold exactly the model's parameters.
    """

    def __init__(self) -> None:
        self._model: GPT | None = None
        self._optimizer: Optimizer | None = None
        self._params: list[Any] = []
        self.W = np.zeros(0)
        self.G = np.zeros(0)
        self._written = True

    def __call__(self, model: GPT, optimizer: Optimizer, batch: Sequence[Sequence[int]]) -> float:
        check_batch(batch, "ArrayStep")
        docs = [checked_tokens(t, model.vocab_size, model.block_size + 1) for t in batch]
        if model is not self._model or optimizer is not self._optimizer:
            self._start(model, optimizer)
        self.G = np.zeros_like(self.W)
        grads = Matrices(model, self.G)
        total = 0.0
        with np.errstate(all="ignore"):  # a nan or inf is found by the optimizer's update
            for tokens in docs:
                weight = 1.0 / len(docs)
                total += losses_and_gradient(self._weights, grads, np.array(tokens), weight)
        self.W[:] = optimizer.update(self.W, self.G)  # (in place: the views stay valid)
        self._written = False
        return total / len(docs)

    def write_back(self) -> None:
        """Write the weights and the last step's gradients into the model's Values, and
        let go of them: the next call reads the Values again (they may have changed)."""
        if not self._written:
            for p, w, g in zip(self._params, self.W.tolist(), self.G.tolist(), strict=True):
                p._data = w  # a finite float: the optimizer's update checked it
                p.grad = g
            self._written = True
        self._model = self._optimizer = None

    def _start(self, model: GPT, optimizer: Optimizer) -> None:
        """Hand back the weights of the last model; read those of a new model or optimizer."""
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
        self._weights = Matrices(model, self.W)


def sample(model: GPT, boundary: int, temperature: float, rng: random.Random) -> list[int]:
    """:meth:`GPT.sample`'s draws, with the logits computed by :func:`forward`.

    The same tokens as ``model.sample(boundary, temperature, seed=rng)`` (the
    probabilities agree to rounding, and ``rng`` draws the same numbers), from about
    ten numpy calls per position instead of a graph of Values: what keeps sampling
    from a model of n_embd 64 quick.
    """
    temperature = checked_temperature(temperature, "sample")
    params = model.parameters()
    w = Matrices(model, np.fromiter((p._data for p in params), np.float64, len(params)))
    read = [boundary]

    def next_logits(token: int) -> list[float]:
        if token != boundary:
            read.append(token)
        logits, _ = forward(w, np.array(read))
        return logits[-1].tolist()  # type: ignore[no-any-return]

    return draw_sequence(next_logits, boundary, model.block_size, temperature, rng)
