"""Time one training step of microgpt's GPT on autograd_lite's Values, next to the same
step on a microgpt-style scalar engine, in one run.

The model is microgpt's (vocabulary 27, n_embd 16, 4 heads, 1 layer, block 16, 4,192
weights) and so is the step: one name, its mean cross-entropy, backward, an Adam update
(lr 0.01 decaying linearly over 1,000 steps, betas (0.85, 0.99), eps 1e-8). Both rows
start from the same weights, drawn from ``random.Random(42)`` after shuffling the names
as microgpt does, and train on the same names in the same order; the script checks
that the weights drawn for the peer equal ``nn.GPT``'s and that the two rows' losses
agree.

    python benchmarks/gpt.py [--steps 21]
    python benchmarks/gpt.py --verbatim [--rounds 4] [--steps 21] [--against /tmp/v1]

``--verbatim`` runs microgpt's script alone, as microgpt runs it (one model in the
process), on its own engine and on our ``Value`` in alternating fresh processes, round by
round, and prints the ratio (target: at least 2.5x); ``--against DIR`` adds the ``Value``
of another checkout (the first version: ``git worktree add /tmp/v1 c1abe23``).

Rows:

* ``autograd_lite``: the step of ``autograd-lite gpt``: ``gpt_training.scalar_step``
  (``nn.GPT.loss`` on ``Value``, ``loss.backward()``, with Python's cycle collector
  paused meanwhile: autograd_lite's graphs hold no reference cycle, so reference
  counting frees them), then ``optim.Adam``.
* ``collector on``: the same, with the cycle collector running during the step as it
  does in the peer's. (The peer could not pause it: its reverse pass leaves each graph
  in a reference cycle, which only the collector frees.)
* ``microgpt on our Value``: the peer's model function and training step run verbatim,
  with its ``PeerValue`` swapped for autograd_lite's ``Value`` (micrograd-style code on
  our engine; its hot paths are ops with a plain number on one side: ``v - max_val``,
  ``x / len(x)``, ``sum()`` starting from 0, ``** -0.5``). Target: at least 2.5x faster
  than the same script on the peer's engine.
* ``compiled``: the step of ``autograd-lite gpt``, ``gpt_training.CompiledStep``: the
  graph of a whole block traced once, at the first step (within the timed steps), and
  replayed level by level. (It is timed against PyTorch in ``benchmarks/gpt_vs_torch.py``.)
* ``microgpt engine``: THE PEER. A reconstruction, written for this benchmark, of the
  scalar engine and the model function of microgpt (Andrej Karpathy, February 2026,
  https://gist.github.com/karpathy/8627fe009c40f57531cb18360106ce95): a node holds its
  children and their local derivatives in tuples; a number mixed into an op becomes a
  leaf; subtraction, negation and division are built from addition, multiplication and
  powers; ``sum`` starts from 0; the reverse pass sorts the graph by recursion with a
  visited set. It follows microgpt's algorithm step for step (the same nodes for the
  same model) but is not its code, which carries no licence to copy.

The rows take turns in blocks of consecutive steps (see ``timed``), timed in CPU
seconds of this process so that other programs on the machine count less; the first
step of each row is a warm-up. Speed target: the autograd_lite step at least 2x faster
than the peer's.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autograd_lite import Value

try:  # (absent from the first version, whose Value --verbatim --against times)
    from autograd_lite import data, optim
    from autograd_lite.nn import GPT
    from autograd_lite.training import gpt as gpt_training
except ImportError:
    if "--verbatim-process" not in sys.argv:
        raise

SEED = 42  # microgpt's random.seed(42)
TOTAL_STEPS = 1000  # the learning rate decays to 0 over microgpt's 1,000 steps
LR, BETAS, EPS = 0.01, (0.85, 0.99), 1e-8
N_EMBD, N_HEAD, N_LAYER, BLOCK_SIZE, STD = 16, 4, 1, 16, 0.08
TARGET = 2.0
VERBATIM_TARGET = 2.5  # microgpt's script on our Value against on its own engine
BLOCK = 10  # steps each row runs back to back before the other row's turn

Step = Callable[[int], float]


# --- the peer: a microgpt-style engine and model ------------------------------------


class PeerValue:
    """A scalar node the way microgpt's engine keeps one (see the module docstring)."""

    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data: float, children: tuple = (), local_grads: tuple = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other: Any) -> PeerValue:
        other = other if isinstance(other, PeerValue) else PeerValue(other)
        return PeerValue(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other: Any) -> PeerValue:
        other = other if isinstance(other, PeerValue) else PeerValue(other)
        return PeerValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, n: float) -> PeerValue:
        return PeerValue(self.data**n, (self,), (n * self.data ** (n - 1),))

    def log(self) -> PeerValue:
        return PeerValue(math.log(self.data), (self,), (1 / self.data,))

    def exp(self) -> PeerValue:
        return PeerValue(math.exp(self.data), (self,), (math.exp(self.data),))

    def relu(self) -> PeerValue:
        return PeerValue(max(0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self) -> PeerValue:
        return self * -1

    def __radd__(self, other: Any) -> PeerValue:
        return self + other

    def __sub__(self, other: Any) -> PeerValue:
        return self + (-other)

    def __rmul__(self, other: Any) -> PeerValue:
        return self * other

    def __truediv__(self, other: Any) -> PeerValue:
        return self * other**-1

    def backward(self) -> None:
        order: list[PeerValue] = []
        seen: set[PeerValue] = set()

        def visit(node: PeerValue) -> None:
            if node not in seen:
                seen.add(node)
                for child in node._children:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1
        for node in reversed(order):
            for child, local in zip(node._children, node._local_grads, strict=True):
                child.grad += local * node.grad


class PeerGPT:
    """microgpt's model function over PeerValues, with its weights in a state dict."""

    def __init__(self, vocab_size: int, rng: random.Random, value_cls: Any = None) -> None:
        value = value_cls or PeerValue  # autograd_lite's Value: the script run verbatim on it

        def matrix(nout: int, nin: int) -> list[list[PeerValue]]:
            return [[value(rng.gauss(0, STD)) for _ in range(nin)] for _ in range(nout)]

        self.vocab_size = vocab_size
        self.state = {
            "wte": matrix(vocab_size, N_EMBD),
            "wpe": matrix(BLOCK_SIZE, N_EMBD),
            "lm_head": matrix(vocab_size, N_EMBD),
        }
        for i in range(N_LAYER):
            for name, shape in (
                ("attn_wq", (N_EMBD, N_EMBD)),
                ("attn_wk", (N_EMBD, N_EMBD)),
                ("attn_wv", (N_EMBD, N_EMBD)),
                ("attn_wo", (N_EMBD, N_EMBD)),
                ("mlp_fc1", (4 * N_EMBD, N_EMBD)),
                ("mlp_fc2", (N_EMBD, 4 * N_EMBD)),
            ):
                self.state[f"layer{i}.{name}"] = matrix(*shape)
        self.params = [p for mat in self.state.values() for row in mat for p in row]

    @staticmethod
    def linear(x: list[PeerValue], w: list[list[PeerValue]]) -> list[PeerValue]:
        return [sum(wi * xi for wi, xi in zip(row, x, strict=True)) for row in w]

    @staticmethod
    def softmax(logits: list[PeerValue]) -> list[PeerValue]:
        shift = max(v.data for v in logits)
        exps = [(v - shift).exp() for v in logits]
        total = sum(exps)
        return [e / total for e in exps]

    @staticmethod
    def rmsnorm(x: list[PeerValue]) -> list[PeerValue]:
        scale = (sum(xi * xi for xi in x) / len(x) + 1e-5) ** -0.5
        return [xi * scale for xi in x]

    def forward(self, token: int, pos: int, keys: list, values: list) -> list[PeerValue]:
        head_dim = N_EMBD // N_HEAD
        s = self.state
        x = self.rmsnorm([t + p for t, p in zip(s["wte"][token], s["wpe"][pos], strict=True)])
        for i in range(N_LAYER):
            residual = x
            x = self.rmsnorm(x)
            q = self.linear(x, s[f"layer{i}.attn_wq"])
            keys[i].append(self.linear(x, s[f"layer{i}.attn_wk"]))
            values[i].append(self.linear(x, s[f"layer{i}.attn_wv"]))
            heads: list[PeerValue] = []
            for h in range(N_HEAD):
                lo, hi = h * head_dim, (h + 1) * head_dim
                scores = [sum(q[j] * k[j] for j in range(lo, hi)) / head_dim**0.5 for k in keys[i]]
                weights = self.softmax(scores)
                heads.extend(
                    sum(w * v[j] for w, v in zip(weights, values[i], strict=True))
                    for j in range(lo, hi)
                )
            out = self.linear(heads, s[f"layer{i}.attn_wo"])
            x = [a + b for a, b in zip(out, residual, strict=True)]
            residual = x
            hidden = [h.relu() for h in self.linear(self.rmsnorm(x), s[f"layer{i}.mlp_fc1"])]
            out = self.linear(hidden, s[f"layer{i}.mlp_fc2"])
            x = [a + b for a, b in zip(out, residual, strict=True)]
        return self.linear(x, s["lm_head"])

    def loss(self, tokens: list[int]) -> PeerValue:
        n = min(BLOCK_SIZE, len(tokens) - 1)
        keys: list = [[] for _ in range(N_LAYER)]
        values: list = [[] for _ in range(N_LAYER)]
        losses = []
        for pos in range(n):
            probs = self.softmax(self.forward(tokens[pos], pos, keys, values))
            losses.append(-probs[tokens[pos + 1]].log())
        return (1 / n) * sum(losses)


def peer_step(peer: PeerGPT, names: list[list[int]], total_steps: int = TOTAL_STEPS) -> Step:
    """microgpt's training step: loss, backward, Adam by hand, gradients zeroed (the
    learning rate decaying linearly to 0 over ``total_steps``)."""
    m = [0.0] * len(peer.params)
    v = [0.0] * len(peer.params)
    beta1, beta2 = BETAS

    def step(k: int) -> float:
        loss = peer.loss(names[k % len(names)])
        loss.backward()
        lr = LR * (1 - k / total_steps)
        for i, p in enumerate(peer.params):
            m[i] = beta1 * m[i] + (1 - beta1) * p.grad
            v[i] = beta2 * v[i] + (1 - beta2) * p.grad**2
            m_hat = m[i] / (1 - beta1 ** (k + 1))
            v_hat = v[i] / (1 - beta2 ** (k + 1))
            p.data -= lr * m_hat / (v_hat**0.5 + EPS)
            p.grad = 0
        return loss.data

    return step


# --- autograd_lite ------------------------------------------------------------------


def our_step(model: GPT, names: list[list[int]], how: str = "scalar") -> Step:
    """The same step on nn.GPT and optim.Adam: as ``autograd-lite gpt --scalar`` runs it
    (``gpt_training.scalar_step``, the cycle collector paused while the graph lives), with
    the collector running as it does for the peer (``"collector on"``), or as
    ``autograd-lite gpt`` runs it by default (``"compiled"``: the tape of a whole block,
    traced at the first step, which these steps pay for)."""
    adam = optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)

    def graph_step(model: GPT, optimizer: optim.Optimizer, batch: list[list[int]]) -> float:
        optimizer.zero_grad()
        loss = model.loss(batch[0])
        loss.backward()
        optimizer.step()
        return loss.data

    training_step = {
        "scalar": gpt_training.scalar_step,
        "collector on": graph_step,
        "compiled": gpt_training.CompiledStep(),
    }[how]

    def step(k: int) -> float:
        adam.lr = LR * (1 - k / TOTAL_STEPS)
        return training_step(model, adam, [names[k % len(names)]])

    return step


def microgpt_start(seed: int = SEED) -> tuple[list[str], data.CharTokenizer, GPT, PeerGPT]:
    """microgpt's start, as ``autograd-lite gpt`` makes it: the names shuffled by
    ``random.Random(seed)``, then the weights drawn from the same generator, for
    ``nn.GPT`` and again, from the same state, for the peer (checked equal).

    Returns:
        The shuffled names, their tokenizer, the GPT and the PeerGPT.
    """
    names = data.load_names()
    tokenizer = data.CharTokenizer(names)
    rng = random.Random(seed)
    rng.shuffle(names)
    state = rng.getstate()
    model = GPT(tokenizer.vocab_size, BLOCK_SIZE, N_EMBD, N_HEAD, N_LAYER, seed=rng)
    rng.setstate(state)
    peer = PeerGPT(tokenizer.vocab_size, rng)
    same = [p.data for p in peer.params] == [p.data for p in model.parameters()]
    assert same, "the peer's initial weights differ from nn.GPT's"
    return names, tokenizer, model, peer


def timed(
    rows: dict[str, Step], steps: int, block: int = BLOCK
) -> dict[str, tuple[list[float], float]]:
    """Each row's losses over ``steps`` steps and its mean CPU seconds per step.

    Step 0 of each row is a warm-up, not timed. The rest run in blocks of ``block``
    steps back to back, the rows taking turns block by block, so that a change in the
    machine's load falls on both alike while each row still pays for collecting its
    own garbage, as in its own training loop. (microgpt's reverse pass leaves each
    graph in a reference cycle, through its recursive sort, that only Python's cycle
    collector frees; timed step by step in turns, the peer's garbage would be collected
    during the other row's steps.) The heap is collected, untimed, before each block.
    """
    losses: dict[str, list[float]] = {name: [step(0)] for name, step in rows.items()}
    seconds = dict.fromkeys(rows, 0.0)
    for start in range(1, steps, block):
        for name, step in rows.items():
            gc.collect()
            started = time.process_time()
            for k in range(start, min(start + block, steps)):
                losses[name].append(step(k))
            seconds[name] += time.process_time() - started
    return {name: (losses[name], seconds[name] / (steps - 1)) for name in rows}


def verbatim_process(engine: str, steps: int) -> None:
    """One process of ``--verbatim``: microgpt's script on one engine; prints JSON
    ``[mean CPU seconds per step after the first, losses]``."""
    # as microgpt: the names shuffled, the characters sorted, the boundary token last
    corpus = Path(__file__).resolve().parents[1] / "autograd_lite/training/corpora/names.txt"
    names = [line.strip() for line in corpus.read_text().splitlines() if line.strip()]
    rng = random.Random(SEED)
    rng.shuffle(names)
    chars = sorted(set("".join(names)))
    boundary = len(chars)
    framed = [(boundary, *(chars.index(c) for c in name), boundary) for name in names]
    model = PeerGPT(len(chars) + 1, rng, Value if engine == "ours" else PeerValue)
    step = peer_step(model, framed)
    losses = [step(0)]
    gc.collect()
    started = time.process_time()
    losses += [step(k) for k in range(1, steps)]
    print(json.dumps([(time.process_time() - started) / (steps - 1), losses]))


def run_verbatim(steps: int, rounds: int, against: str | None) -> None:
    """microgpt's script on its own engine, on our Value (and on another checkout's), in
    alternating fresh processes."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rows = {"microgpt engine": ("peer", here), "our Value": ("ours", here)}
    if against:
        rows[f"Value of {against}"] = ("ours", os.path.abspath(against))
    seconds: dict[str, list[float]] = {name: [] for name in rows}
    losses: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, (engine, root) in rows.items():
            command = [sys.executable, __file__, "--verbatim-process", engine]
            command += ["--steps", str(steps)]
            env = {**os.environ, "PYTHONPATH": root}
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            mean, losses[name] = json.loads(done.stdout)
            seconds[name].append(mean)
    print(
        f"microgpt's script run verbatim, {steps} steps a process (the first untimed), "
        f"{rounds} rounds of alternating processes; CPU ms per step, median (range)"
    )
    for name, values in seconds.items():
        print(
            f"{name:28s} {1000 * statistics.median(values):7.1f} "
            f"({1000 * min(values):.1f}-{1000 * max(values):.1f})"
        )
    peer = seconds["microgpt engine"]
    for name in list(rows)[1:]:
        ratios = [p / o for p, o in zip(peer, seconds[name], strict=True)]
        verdict = "meets" if statistics.median(ratios) >= VERBATIM_TARGET else "MISSES"
        print(
            f"on {name}: {statistics.median(ratios):.2f}x faster than on its own engine "
            f"(rounds {min(ratios):.2f}-{max(ratios):.2f}; {verdict} the {VERBATIM_TARGET:g}x "
            f"target)"
        )
    ours = losses["our Value"]
    gap = max(abs(a - b) for row in losses.values() for a, b in zip(row, ours, strict=True))
    print(f"largest difference between the engines' losses: {gap:.1e}")
    assert gap < 1e-9, "the engines trained different models"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--steps", type=int, default=21, help="steps per row; the first is a warm-up (default: 21)"
    )
    parser.add_argument("--verbatim", action="store_true", help="microgpt's script alone")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of --verbatim")
    parser.add_argument("--against", metavar="DIR", help="another checkout, for --verbatim")
    parser.add_argument("--verbatim-process", choices=("ours", "peer"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps < 2:
        parser.error("--steps must be at least 2 (the first is a warm-up)")
    if args.verbatim_process:
        verbatim_process(args.verbatim_process, args.steps)
        return
    if args.verbatim:
        run_verbatim(args.steps, args.rounds, args.against)
        return

    names, tokenizer, model, peer = microgpt_start()
    same = [p.data for p in peer.params] == [p.data for p in model.parameters()]
    # Tuples, as microgpt keeps its documents as strings: 32,000 lists of token ids would
    # be 32,000 more objects for every full pass of the cycle collector, in every row.
    framed = [tuple(tokenizer.frame(name)) for name in names]

    print(
        f"microgpt's GPT: {len(model.parameters()):,} weights, one name per step, "
        f"{args.steps} steps per row (the first untimed); same initial weights: {same}"
    )
    twins = [GPT(tokenizer.vocab_size, BLOCK_SIZE, N_EMBD, N_HEAD, N_LAYER, seed=0) for _ in "ab"]
    for twin in twins:
        twin.load_state_dict(model.state_dict())
    verbatim = PeerGPT(tokenizer.vocab_size, random.Random(0), Value)
    for ours_p, peer_p in zip(verbatim.params, peer.params, strict=True):
        ours_p.data = peer_p.data
    rows = {
        "autograd_lite": our_step(model, framed),
        "  collector on": our_step(twins[0], framed, "collector on"),
        "microgpt engine": peer_step(peer, framed),
        "compiled": our_step(twins[1], framed, "compiled"),
        "microgpt on our Value": peer_step(verbatim, framed),
    }
    results = timed(rows, args.steps)
    for name, (losses, mean_seconds) in results.items():
        print(
            f"{name:22s} {1000 * mean_seconds:8.1f} ms/step (mean CPU time)   "
            f"loss {losses[0]:.4f} -> {losses[-1]:.4f}"
        )
    ours, on, peers, compiled, script = (results[name] for name in rows)
    gap = max(
        abs(a - b) for row in (ours, on, script) for a, b in zip(row[0], peers[0], strict=True)
    )
    compiled_gap = max(abs(a - b) for a, b in zip(compiled[0], ours[0], strict=True))
    print(f"largest difference between the compiled and scalar losses: {compiled_gap:.1e}")
    print(
        f"compiled: {peers[1] / compiled[1]:.1f}x the peer's speed, {ours[1] / compiled[1]:.1f}x "
        f"the scalar graph's, in steps that include tracing the whole block and cutting each "
        f"bucket's tape at its first use (the whole recipe, where they are spread over 1,000 "
        f"steps: benchmarks/gpt_recipe.py)"
    )
    print(f"largest difference between the rows' losses: {gap:.1e}")
    ratio = peers[1] / ours[1]
    verdict = "meets" if ratio >= TARGET else "MISSES"
    print(
        f"autograd_lite is {ratio:.2f}x faster per step ({verdict} the {TARGET:g}x target); "
        f"{peers[1] / on[1]:.2f}x with the cycle collector running in its steps too"
    )
    ratio = peers[1] / script[1]
    verdict = "meets" if ratio >= VERBATIM_TARGET else "MISSES"
    print(
        f"microgpt's script on our Value is {ratio:.2f}x faster per step than on its own "
        f"engine ({verdict} the {VERBATIM_TARGET:g}x target)"
    )
    assert gap < 1e-9, "the rows trained different models"


if __name__ == "__main__":
    main()
