"""A GPT on Values: the building blocks of microgpt, each a small :class:`~autograd_lite.nn.Module`.

microgpt (Andrej Karpathy, February 2026) is a GPT written in about 200 lines of pure
Python on a micrograd-style scalar engine. This module builds the same model from the
same pieces, so that every number in it is one :class:`~autograd_lite.Value`:

* :class:`Embedding`: a table with one learned vector per token (or per position);
* :class:`Linear`: ``W·x`` without a bias;
* :func:`rms_norm`: scale a vector to a root mean square of 1 (no learned gain);
* :func:`~autograd_lite.softmax.softmax` and
  :func:`~autograd_lite.softmax.cross_entropy` (from :mod:`autograd_lite.softmax`);
* :class:`CausalSelfAttention`: multi-head attention of one position over itself and
  the positions before it, whose keys and values wait in a :class:`KVCache`;
* :class:`MLPBlock`: ``W₂·relu(W₁·x)``, four times wider inside;
* :class:`Block`: attention then MLP, each after an RMSNorm and added back to its input
  (the residual stream);
* :class:`GPT`: token and position embeddings, an RMSNorm, the blocks, and ``lm_head``
  that turns the last vector into one logit per token.

The model reads one token at a time (:meth:`GPT.step`), like microgpt: a position sees
the keys and values of the earlier positions in the cache, which is what makes the
attention causal. Initial weights are drawn from N(0, 0.08²) in microgpt's order (wte,
wpe, lm_head, then each layer's q, k, v, o, fc1, fc2), so a ``random.Random`` in the same
state as microgpt's gives the same weights.

The softmax, log-sum-exp and cross-entropy are :mod:`autograd_lite.softmax`'s.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Sequence
from operator import add
from typing import Any

from ..engine import Value, no_grad
from ..softmax import cross_entropy, softmax
from ..sums import dot
from ..sums import sum as total
from ..support.checks import describe, positive_int
from .module import Module, Seed, check_parameter_count, generator
from .tensors import Tensor

INIT_STD = 0.08  # the standard deviation of every initial weight, as in microgpt
RMS_EPS = 1e-5  # added to the mean square before the inverse square root


def _dot(w: Sequence[Value], x: Sequence[Value]) -> Value:
    """Σ wᵢ·xᵢ as one ``dot`` node with the parents w₁..wₙ, x₁..xₙ.

    The number is microgpt's ``sum(wi * xi for ...)`` to the last bit, added in the same
    order (see :mod:`autograd_lite.sums`), from one node instead of 2n − 1: the graph
    of a training step on a name of 6 letters is 8,000 nodes instead of 57,000, and
    about ten times faster to build and walk than microgpt's.
    """
    return dot(w, x)


def _gaussian_matrix(rows: int, cols: int, rng: random.Random) -> list[list[Value]]:
    """``rows × cols`` new leaves drawn from N(0, INIT_STD²), row by row."""
    return [[Value(rng.gauss(0.0, INIT_STD)) for _ in range(cols)] for _ in range(rows)]


# --- checks of the tokens the model reads -------------------------------------------


def token_id(token: Any, vocab_size: int) -> int:
    """``token`` as an int, if it is an id of the vocabulary.

    Raises:
        TypeError: if it is not an int (a bool is not a token either).
        ValueError: if it is not in ``[0, vocab_size)``.
    """
    if isinstance(token, bool) or not isinstance(token, numbers.Integral):
        raise TypeError(f"GPT: a token must be an int, got {type(token).__name__}")
    if not 0 <= int(token) < vocab_size:
        raise ValueError(f"GPT: token {token} is not in [0, {vocab_size})")
    return int(token)


def check_sequence(tokens: Any, who: str) -> None:
    """Refuse what cannot be a sequence to learn from: not a list, or fewer than 2 tokens.

    Args:
        tokens: what ``who`` was given.
        who: the function named in errors, e.g. ``"GPT.loss"``.
    """
    if isinstance(tokens, str | bytes) or not isinstance(tokens, Sequence):
        raise TypeError(f"{who} needs a list of token ids, got {type(tokens).__name__}")
    if len(tokens) < 2:
        raise ValueError(f"{who} needs at least 2 tokens, got {len(tokens)}")


# --- functions of a vector --------------------------------------------------------


def rms_norm(x: Sequence[Value], eps: float = RMS_EPS) -> list[Value]:
    """``x / √(mean(x²) + eps)``: the vector scaled to a root mean square of about 1.

    Args:
        x: a vector of Values.
        eps: keeps the scale finite for a vector of zeros.

    Returns:
        A new list of Values, as long as ``x``.
    """
    mean_square = _dot(x, x) * (1.0 / len(x))
    scale = (mean_square + eps) ** -0.5
    return [xi * scale for xi in x]


# --- sampling ------------------------------------------------------------------------


def checked_temperature(temperature: object, who: str) -> float:
    """``temperature`` as a float, or an error naming ``who``: a finite number above 0."""
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        raise TypeError(f"{who}: temperature must be a number, got {temperature!r}")
    t = float(temperature)
    if not (math.isfinite(t) and t > 0):
        raise ValueError(f"{who}: temperature must be a finite number > 0, got {temperature!r}")
    return t


def draw_sequence(
    next_logits: Callable[[int], Sequence[float]],
    boundary: int,
    most: int,
    temperature: float,
    rng: random.Random,
) -> list[int]:
    """Tokens drawn one at a time from the boundary token until it is drawn again.

    ``next_logits(token)`` reads ``token`` (the boundary first, then each token drawn)
    and returns the logits of the next one; each is drawn from
    ``softmax(logits / temperature)`` with ``rng.choices``, as microgpt does, at most
    ``most`` of them. ``GPT.sample`` and ``CompiledStep.sample`` both draw here.

    Returns:
        The tokens drawn, without the boundary tokens.
    """
    drawn: list[int] = []
    token = boundary
    for _ in range(most):
        logits = next_logits(token)
        top = max(logits)
        # softmax(logits / temperature) up to its total, which choices divides by;
        # shifted by the exact largest logit, that one weighs 1 at any temperature
        # (1e-30 too): the weights never overflow nor all round to 0
        weights = [math.exp((logit - top) / temperature) for logit in logits]
        token = rng.choices(range(len(logits)), weights=weights)[0]
        if token == boundary:
            break
        drawn.append(token)
    return drawn


# --- modules with weights -----------------------------------------------------------


class Embedding(Module):
    """A table of learned vectors, one row per token (or position); a lookup returns a row.

    Args:
        num: the number of rows (the vocabulary size, or the number of positions).
        dim: the length of each vector.
        seed: an int, a ``random.Random`` to draw the initial weights from, or None.
    """

    def __init__(self, num: int, dim: int, seed: Seed = None) -> None:
        self.num = positive_int(num, "Embedding", "num")
        self.dim = positive_int(dim, "Embedding", "dim")
        self.weight = _gaussian_matrix(self.num, self.dim, generator(seed))

    def __call__(self, index: int | Sequence[Value]) -> list[Value]:
        """Row ``index`` of the table: its Values themselves, so gradients reach them.

        ``index`` may also be a one-hot vector of Values (a compiled step traces the
        token as an input): the lookup is then ``Σ onehot[v]·row[v]``, a product with
        the table, which is the same row, and which the compiler runs as one matrix
        product.
        """
        if isinstance(index, list | tuple):
            if len(index) != self.num:
                raise ValueError(f"Embedding: a one-hot index of {len(index)} for {self.num} rows")
            return [_dot(index, column) for column in zip(*self.weight, strict=True)]
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"Embedding: index must be an int, got {type(index).__name__}")
        if not 0 <= int(index) < self.num:
            raise ValueError(f"Embedding: index {index} is not in [0, {self.num})")
        return list(self.weight[int(index)])

    def tensors(self) -> dict[str, Tensor]:
        return {"weight": self.weight}

    def config(self) -> dict[str, Any]:
        return {"num": self.num, "dim": self.dim}

    @staticmethod
    def parameter_count(num: int, dim: int) -> int:
        """``num · dim``."""
        return positive_int(num, "Embedding", "num") * positive_int(dim, "Embedding", "dim")

    def __repr__(self) -> str:
        return f"Embedding({self.num}, {self.dim})"


class Linear(Module):
    """``W·x`` without a bias: ``nout`` dot products of a ``nout × nin`` weight with ``x``.

    Args:
        nin: the length of the input vector.
        nout: the length of the output vector.
        seed: an int, a ``random.Random``, or None.
    """

    def __init__(self, nin: int, nout: int, seed: Seed = None) -> None:
        self.nin = positive_int(nin, "Linear", "nin")
        self.nout = positive_int(nout, "Linear", "nout")
        self.weight = _gaussian_matrix(self.nout, self.nin, generator(seed))

    def __call__(self, x: Sequence[Value]) -> list[Value]:
        if len(x) != self.nin:
            raise ValueError(f"Linear takes {self.nin} inputs, got {len(x)}")
        return [_dot(row, x) for row in self.weight]

    def tensors(self) -> dict[str, Tensor]:
        return {"weight": self.weight}

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout}

    @staticmethod
    def parameter_count(nin: int, nout: int) -> int:
        """``nin · nout``."""
        return positive_int(nin, "Linear", "nin") * positive_int(nout, "Linear", "nout")

    def __repr__(self) -> str:
        return f"Linear({self.nin}, {self.nout}, bias=False)"


class KVCache:
    """What one attention layer keeps of the positions it has read.

    Attributes:
        keys: one key vector per position so far.
        values: one value vector per position so far.
        weights: per position, per head, the attention weights (Values) it gave to
            itself and to every earlier position: for drawing, not for computing.
    """

    def __init__(self) -> None:
        self.keys: list[list[Value]] = []
        self.values: list[list[Value]] = []
        self.weights: list[list[list[Value]]] = []

    def __len__(self) -> int:
        return len(self.keys)


class CausalSelfAttention(Module):
    """Multi-head self-attention of one position over itself and the positions before it.

    The position's vector makes a query, a key and a value (three :class:`Linear`).
    The key and value join the cache; each head then compares its slice of the query
    with the same slice of every cached key (dot products scaled by 1/√head_dim),
    turns the scores into weights with a softmax, and averages the cached values with
    them. The heads' outputs, side by side, go through the output projection ``wo``.

    Args:
        n_embd: the length of the vectors.
        n_head: the number of heads; must divide ``n_embd``.
        seed: an int, a ``random.Random``, or None.
    """

    def __init__(self, n_embd: int, n_head: int, seed: Seed = None) -> None:
        self.n_embd = positive_int(n_embd, "CausalSelfAttention", "n_embd")
        self.n_head = positive_int(n_head, "CausalSelfAttention", "n_head")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_head ({n_head}) must divide n_embd ({n_embd})")
        self.head_dim = self.n_embd // self.n_head
        rng = generator(seed)
        self.wq = Linear(n_embd, n_embd, rng)
        self.wk = Linear(n_embd, n_embd, rng)
        self.wv = Linear(n_embd, n_embd, rng)
        self.wo = Linear(n_embd, n_embd, rng)

    def __call__(self, x: Sequence[Value], cache: KVCache) -> list[Value]:
        """The attention output for the position whose vector is ``x``, the next in ``cache``."""
        q = self.wq(x)
        cache.keys.append(self.wk(x))
        cache.values.append(self.wv(x))
        scale = math.sqrt(self.head_dim)
        heads_out: list[Value] = []
        head_weights = []
        for h in range(self.n_head):
            part = slice(h * self.head_dim, (h + 1) * self.head_dim)
            q_h = q[part]
            scores = [_dot(q_h, k[part]) / scale for k in cache.keys]
            weights = softmax(scores)
            head_weights.append(weights)
            for j in range(part.start, part.stop):
                heads_out.append(_dot(weights, [v[j] for v in cache.values]))
        cache.weights.append(head_weights)
        return self.wo(heads_out)

    def tensors(self) -> dict[str, Tensor]:
        return {f"{name}.weight": getattr(self, name).weight for name in ("wq", "wk", "wv", "wo")}

    def config(self) -> dict[str, Any]:
        return {"n_embd": self.n_embd, "n_head": self.n_head}

    @staticmethod
    def parameter_count(n_embd: int, n_head: int) -> int:
        """``4 · n_embd²``."""
        return 4 * positive_int(n_embd, "CausalSelfAttention", "n_embd") ** 2

    def __repr__(self) -> str:
        return f"CausalSelfAttention(n_embd={self.n_embd}, n_head={self.n_head})"


class MLPBlock(Module):
    """``fc2(relu(fc1(x)))``: a ``4·n_embd``-wide hidden layer, no biases.

    Args:
        n_embd: the length of the input and output vectors.
        seed: an int, a ``random.Random``, or None.
    """

    def __init__(self, n_embd: int, seed: Seed = None) -> None:
        self.n_embd = positive_int(n_embd, "MLPBlock", "n_embd")
        rng = generator(seed)
        self.fc1 = Linear(n_embd, 4 * n_embd, rng)
        self.fc2 = Linear(4 * n_embd, n_embd, rng)

    def __call__(self, x: Sequence[Value]) -> list[Value]:
        return self.fc2([h.relu() for h in self.fc1(x)])

    def tensors(self) -> dict[str, Tensor]:
        return {"fc1.weight": self.fc1.weight, "fc2.weight": self.fc2.weight}

    def config(self) -> dict[str, Any]:
        return {"n_embd": self.n_embd}

    @staticmethod
    def parameter_count(n_embd: int) -> int:
        """``8 · n_embd²``."""
        return 8 * positive_int(n_embd, "MLPBlock", "n_embd") ** 2

    def __repr__(self) -> str:
        return f"MLPBlock(n_embd={self.n_embd})"


class Block(Module):
    """One transformer layer: ``x + attn(norm(x))``, then ``x + mlp(norm(x))``.

    Args:
        n_embd: the length of the vectors.
        n_head: the number of attention heads.
        seed: an int, a ``random.Random``, or None.
    """

    def __init__(self, n_embd: int, n_head: int, seed: Seed = None) -> None:
        rng = generator(seed)
        self.attn = CausalSelfAttention(n_embd, n_head, rng)
        self.mlp = MLPBlock(n_embd, rng)

    def __call__(self, x: Sequence[Value], cache: KVCache) -> list[Value]:
        x = list(map(add, self.attn(rms_norm(x), cache), x))
        return list(map(add, self.mlp(rms_norm(x)), x))

    def tensors(self) -> dict[str, Tensor]:
        return {
            **{f"attn.{key}": t for key, t in self.attn.tensors().items()},
            **{f"mlp.{key}": t for key, t in self.mlp.tensors().items()},
        }

    def config(self) -> dict[str, Any]:
        return self.attn.config()

    @staticmethod
    def parameter_count(n_embd: int, n_head: int) -> int:
        """``12 · n_embd²``."""
        return 12 * positive_int(n_embd, "Block", "n_embd") ** 2

    def __repr__(self) -> str:
        return f"Block(n_embd={self.attn.n_embd}, n_head={self.attn.n_head})"


class GPT(Module):
    """A character-level GPT: a token sequence in, next-token logits out.

    The architecture is microgpt's (GPT-2's with RMSNorm instead of LayerNorm, ReLU
    instead of GeLU, and no biases): the token's and the position's embeddings added
    and normalised, ``n_layer`` :class:`Block` s, and ``lm_head``, a :class:`Linear`
    from the last vector to one logit per token.

    Args:
        vocab_size: the number of token ids (27 for the names: a-z and the boundary).
        block_size: the longest sequence it reads (the number of positions).
        n_embd: the length of every vector in the residual stream.
        n_head: the number of attention heads; must divide ``n_embd``.
        n_layer: the number of blocks.
        seed: an int for reproducible initial weights, a ``random.Random`` to draw them
            from, or None for fresh randomness.

    The ``state_dict`` keys are microgpt's: ``wte``, ``wpe``, ``lm_head``, and for each
    layer ``layer{i}.attn_wq`` ... ``attn_wo``, ``layer{i}.mlp_fc1``, ``mlp_fc2``; every
    matrix is ``out × in``.

    Example:
        >>> model = GPT(27, seed=0)
        >>> len(model.parameters())
        4192
        >>> logits = model([26, 4, 12])   # the boundary, then 'e' and 'm'
        >>> len(logits), len(logits[0])    # at each of 3 positions, 27 logits
        (3, 27)
    """

    def __init__(
        self,
        vocab_size: int,
        block_size: int = 16,
        n_embd: int = 16,
        n_head: int = 4,
        n_layer: int = 1,
        seed: Seed = None,
    ) -> None:
        self.vocab_size = positive_int(vocab_size, "GPT", "vocab_size")
        self.block_size = positive_int(block_size, "GPT", "block_size")
        self.n_embd = positive_int(n_embd, "GPT", "n_embd")
        self.n_head = positive_int(n_head, "GPT", "n_head")
        self.n_layer = positive_int(n_layer, "GPT", "n_layer")
        if self.n_embd % self.n_head:
            raise ValueError(f"GPT: n_head ({n_head}) must divide n_embd ({n_embd})")
        check_parameter_count(
            GPT.parameter_count(vocab_size, block_size, n_embd, n_head, n_layer),
            "GPT",
            f"vocab_size={describe(vocab_size)}, block_size={describe(block_size)}, "
            f"n_embd={describe(n_embd)}, n_layer={describe(n_layer)}",
        )
        rng = generator(seed)
        self.wte = Embedding(self.vocab_size, self.n_embd, rng)
        self.wpe = Embedding(self.block_size, self.n_embd, rng)
        self.lm_head = Linear(self.n_embd, self.vocab_size, rng)
        self.layers = [Block(self.n_embd, self.n_head, rng) for _ in range(self.n_layer)]
        self._name_parameters()  # wte[26][0], layer0.attn_wq[3][5], ...: drawings and tables

    def new_cache(self) -> list[KVCache]:
        """An empty key/value cache, one :class:`KVCache` per layer: a new sequence."""
        return [KVCache() for _ in self.layers]

    def step(self, token: int | Sequence[Value], cache: list[KVCache]) -> list[Value]:
        """Read one more token of a sequence; return the logits of the token after it.

        Args:
            token: the token id at the next position, which is ``len(cache[0])``.
            cache: from :meth:`new_cache`, holding the sequence read so far; this
                position's keys and values are added to it.

        Returns:
            ``vocab_size`` Values.

        Raises:
            ValueError: if the token is not an id of the vocabulary, or the sequence
                would be longer than ``block_size``.
        """
        pos = len(cache[0])
        if pos >= self.block_size:
            raise ValueError(f"GPT: the sequence is longer than block_size {self.block_size}")
        if not isinstance(token, list | tuple):  # (a one-hot token: see Embedding)
            token_id(token, self.vocab_size)
        x = rms_norm(list(map(add, self.wte(token), self.wpe(pos))))
        for layer, layer_cache in zip(self.layers, cache, strict=True):
            x = layer(x, layer_cache)
        return self.lm_head(x)

    def __call__(self, tokens: Sequence[int]) -> list[list[Value]]:
        """The next-token logits at every position of ``tokens`` (at most ``block_size``)."""
        if isinstance(tokens, str | bytes) or not isinstance(tokens, Sequence):
            raise TypeError(f"GPT needs a list of token ids, got {type(tokens).__name__}")
        cache = self.new_cache()
        return [self.step(token, cache) for token in tokens]

    def loss(self, tokens: Sequence[int] | Sequence[Sequence[Value]]) -> Value:
        """The mean cross-entropy of predicting each token of ``tokens`` from those before it.

        As in microgpt, a sequence longer than ``block_size + 1`` is cut to that length.

        Args:
            tokens: at least two token ids, e.g. ``tokenizer.frame("emma")``; or their
                one-hot vectors as Values (how a compiled step traces them).

        Returns:
            A Value, ``(1/n) Σₜ cross_entropy(logitsₜ, tokens[t+1])``.
        """
        losses = self.losses(tokens, "GPT.loss")
        return losses[0] if len(losses) == 1 else total(losses) * (1.0 / len(losses))

    def losses(
        self, tokens: Sequence[int] | Sequence[Sequence[Value]], who: str = "GPT.losses"
    ) -> list[Value]:
        """The cross-entropy of each prediction: ``cross_entropy(logitsₜ, tokens[t+1])``.

        Position t sees only ``tokens[: t+1]`` (the attention is causal), so the first
        losses of a sequence do not change whatever tokens come after: a compiled step
        runs names of several lengths through the tape of the longest, weighting each
        name's losses beyond its end by 0.

        Args:
            tokens: at least two token ids, or their one-hot vectors as Values; cut to
                ``block_size + 1``.
            who: the function named in errors.

        Returns:
            ``min(block_size, len(tokens) - 1)`` Values.
        """
        return self.logits_and_losses(tokens, who)[1]

    def logits_and_losses(
        self, tokens: Sequence[int] | Sequence[Sequence[Value]], who: str = "GPT.losses"
    ) -> tuple[list[list[Value]], list[Value]]:
        """Each position's logits, and the cross-entropy of the token after it (see
        :meth:`losses`): what a compiled step traces, to train on the losses and to
        sample from the logits with one tape.

        Returns:
            ``min(block_size, len(tokens) - 1)`` lists of ``vocab_size`` logits, and as
            many losses.
        """
        check_sequence(tokens, who)
        n = min(self.block_size, len(tokens) - 1)
        cache = self.new_cache()
        logits: list[list[Value]] = []
        losses: list[Value] = []
        for t in range(n):
            logits.append(self.step(tokens[t], cache))
            losses.append(cross_entropy(logits[t], tokens[t + 1]))
        return logits, losses

    def sample(self, boundary: int, temperature: float = 0.5, seed: Seed = None) -> list[int]:
        """Generate one sequence: start at the boundary token, draw until it comes again.

        At each position the next token is drawn from ``softmax(logits / temperature)``
        with ``random.Random.choices``, as microgpt does; at most ``block_size`` tokens.

        Args:
            boundary: the token that starts the sequence and, drawn, ends it.
            temperature: > 0; below 1 sharpens the distribution, above 1 flattens it.
            seed: an int, a ``random.Random`` to draw from (its state advances), or None.

        Returns:
            The token ids drawn, without the boundary tokens.
        """
        temperature = checked_temperature(temperature, "GPT.sample")
        rng = generator(seed)
        with no_grad():
            cache = self.new_cache()
            return draw_sequence(
                lambda token: [logit.data for logit in self.step(token, cache)],
                boundary, self.block_size, temperature, rng,
            )  # fmt: skip

    def to_torch(self) -> Any:
        """An equivalent ``torch.nn.Module`` in float64 (needs PyTorch).

        It reads a whole sequence at once, its attention made causal by a mask, the
        way a PyTorch user writes the model: ``module(torch.tensor(tokens))`` gives the
        logits of every position, those of ``model(tokens)`` to about 1e-12.
        """
        from .torch_bridge import gpt_to_torch

        return gpt_to_torch(self, RMS_EPS)

    @classmethod
    def from_torch(cls, module: Any) -> GPT:
        """The GPT computing what ``module`` (made by :meth:`to_torch`, trained or not)
        computes; a module a GPT cannot represent is refused, naming the reason."""
        from .torch_bridge import gpt_from_torch

        return gpt_from_torch(cls, module, RMS_EPS)  # type: ignore[no-any-return]

    def tensors(self) -> dict[str, Tensor]:
        tensors: dict[str, Tensor] = {
            "wte": self.wte.weight,
            "wpe": self.wpe.weight,
            "lm_head": self.lm_head.weight,
        }
        for i, layer in enumerate(self.layers):
            attn, mlp = layer.attn, layer.mlp
            for name, linear in (
                ("attn_wq", attn.wq),
                ("attn_wk", attn.wk),
                ("attn_wv", attn.wv),
                ("attn_wo", attn.wo),
                ("mlp_fc1", mlp.fc1),
                ("mlp_fc2", mlp.fc2),
            ):
                tensors[f"layer{i}.{name}"] = linear.weight
        return tensors

    def config(self) -> dict[str, Any]:
        return {
            "vocab_size": self.vocab_size,
            "block_size": self.block_size,
            "n_embd": self.n_embd,
            "n_head": self.n_head,
            "n_layer": self.n_layer,
        }

    @staticmethod
    def parameter_count(
        vocab_size: int, block_size: int = 16, n_embd: int = 16, n_head: int = 4, n_layer: int = 1
    ) -> int:
        """``(2·vocab_size + block_size)·n_embd + n_layer·12·n_embd²``, without building it."""
        vocab = positive_int(vocab_size, "GPT", "vocab_size")
        width = positive_int(n_embd, "GPT", "n_embd")
        per_layer = Block.parameter_count(width, n_head)
        block = positive_int(block_size, "GPT", "block_size")
        layers = positive_int(n_layer, "GPT", "n_layer")
        return (2 * vocab + block) * width + layers * per_layer

    def __repr__(self) -> str:
        return (
            f"GPT(vocab_size={self.vocab_size}, block_size={self.block_size}, "
            f"n_embd={self.n_embd}, n_head={self.n_head}, n_layer={self.n_layer})"
        )
