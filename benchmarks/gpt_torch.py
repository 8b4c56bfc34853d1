"""microgpt's recipe written the way a PyTorch user writes it: the peer that
``autograd-lite gpt`` is timed against (``benchmarks/gpt_vs_torch.py`` runs both).

Tensors, the whole name at once through a causal mask, ``torch.optim.Adam``, float64,
eager mode, one thread. The recipe is microgpt's and the command's: the names shuffled
by ``random.Random(seed)``, the initial weights drawn from the same generator in
microgpt's order (wte, wpe, lm_head, then each layer's q, k, v, o, fc1, fc2; N(0, 0.08²)),
one name a step, lr 0.01 decaying linearly to 0, betas (0.85, 0.99), eps 1e-8, then
samples at temperature 0.5 drawn with ``random.choices`` from the same generator. So the
model, the names and the draws are the command's, and the losses agree to rounding.

It imports nothing from autograd_lite (its start-up time is PyTorch's own) and prints
what the command prints that the comparison reads: the mean of the last 100 losses
(``mean of the last 100 steps 2.276123``) and one ``sample  k: name`` line per sample.

    python benchmarks/gpt_torch.py [--steps 1000] [--n-embd 16] [--n-layer 1] ...
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

NAMES = (
    Path(__file__).resolve().parent.parent / "autograd_lite" / "training" / "corpora" / "names.txt"
)
INIT_STD = 0.08
RMS_EPS = 1e-5


def rms_norm(x: torch.Tensor) -> torch.Tensor:
    return x * (x.pow(2).mean(dim=-1, keepdim=True) + RMS_EPS).rsqrt()


class Block(nn.Module):
    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.n_head = n_head
        self.wq = nn.Linear(n_embd, n_embd, bias=False)
        self.wk = nn.Linear(n_embd, n_embd, bias=False)
        self.wv = nn.Linear(n_embd, n_embd, bias=False)
        self.wo = nn.Linear(n_embd, n_embd, bias=False)
        self.fc1 = nn.Linear(n_embd, 4 * n_embd, bias=False)
        self.fc2 = nn.Linear(4 * n_embd, n_embd, bias=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        T, C = x.shape
        h = rms_norm(x)
        q, k, v = (
            w(h).view(T, self.n_head, -1).transpose(0, 1) for w in (self.wq, self.wk, self.wv)
        )
        scores = (q @ k.transpose(1, 2)) / math.sqrt(C // self.n_head)
        attention = scores.masked_fill(mask[:T, :T], float("-inf")).softmax(dim=-1)
        x = x + self.wo((attention @ v).transpose(0, 1).reshape(T, C))
        return x + self.fc2(F.relu(self.fc1(rms_norm(x))))


class GPT(nn.Module):
    def __init__(self, vocab: int, block_size: int, n_embd: int, n_head: int, n_layer: int) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
        self.layers = nn.ModuleList(Block(n_embd, n_head) for _ in range(n_layer))
        mask = torch.ones(block_size, block_size, dtype=torch.bool).triu(1)
        self.register_buffer("mask", mask)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = rms_norm(self.wte(idx) + self.wpe(torch.arange(len(idx))))
        for layer in self.layers:
            x = layer(x, self.mask)
        return self.lm_head(x)

    def draw_weights(self, rng: random.Random) -> None:
        """microgpt's initial weights: N(0, 0.08²) from ``rng``, in microgpt's order."""
        order = [self.wte.weight, self.wpe.weight, self.lm_head.weight]
        for layer in self.layers:
            order += [getattr(layer, n).weight for n in ("wq", "wk", "wv", "wo", "fc1", "fc2")]
        with torch.no_grad():
            for w in order:
                rows, cols = w.shape
                drawn = [[rng.gauss(0.0, INIT_STD) for _ in range(cols)] for _ in range(rows)]
                w.copy_(torch.tensor(drawn))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--n-embd", type=int, default=16)
    parser.add_argument("--n-head", type=int, default=4)
    parser.add_argument("--n-layer", type=int, default=1)
    parser.add_argument("--block-size", type=int, default=16)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if min(args.steps, args.n_embd, args.n_head, args.n_layer, args.block_size) < 1:
        parser.error("--steps and the model's sizes must be at least 1")
    if args.n_embd % args.n_head:
        parser.error(f"--n-head ({args.n_head}) must divide --n-embd ({args.n_embd})")
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)

    names = NAMES.read_text("utf-8").split()
    chars = sorted(set("".join(names)))
    boundary = len(chars)
    stoi = {c: i for i, c in enumerate(chars)}
    rng = random.Random(args.seed)
    rng.shuffle(names)
    model = GPT(len(chars) + 1, args.block_size, args.n_embd, args.n_head, args.n_layer)
    model.draw_weights(rng)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)

    started = time.perf_counter()
    losses = []
    for k in range(args.steps):
        tokens = [boundary, *(stoi[c] for c in names[k % len(names)]), boundary]
        tokens = torch.tensor(tokens[: args.block_size + 1])
        loss = F.cross_entropy(model(tokens[:-1]), tokens[1:])
        optimizer.zero_grad()
        loss.backward()
        for group in optimizer.param_groups:
            group["lr"] = 0.01 * (1 - k / args.steps)
        optimizer.step()
        losses.append(loss.item())
    seconds = time.perf_counter() - started
    last = losses[-100:]
    print(
        f"mean of the last {len(last)} steps {statistics.fmean(last):.6f} "
        f"(trained in {seconds:.2f} s)"
    )

    with torch.no_grad():
        for i in range(1, args.samples + 1):
            idx = [boundary]
            for _ in range(args.block_size):
                logits = model(torch.tensor(idx))[-1]
                probs = (logits / 0.5).softmax(dim=-1).tolist()
                token = rng.choices(range(len(probs)), weights=probs)[0]
                if token == boundary:
                    break
                idx.append(token)
            print(f"sample {i:2d}: {''.join(chars[t] for t in idx[1:])}", flush=True)


if __name__ == "__main__":
    main()
