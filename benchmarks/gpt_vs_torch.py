"""``autograd-lite gpt`` against the same recipe in PyTorch, end to end, side by side.

Each row runs two processes in turns, ``--rounds`` times each: the command
(``python -m autograd_lite gpt``) and ``benchmarks/gpt_torch.py`` (microgpt's recipe as
a PyTorch user writes it: tensors, a causal mask, the whole name at once,
``torch.optim.Adam``, float64, eager, one thread), with the same names, initial weights
and draws. A run's time is wall time from the process's start to its last sample line
(its import, start-up, training and sampling; the command's files, written after the
samples, are timed apart as "to exit"). The median of the rounds is compared.

Part 1, microgpt's recipe (the defaults, 1,000 steps), and its targets:
  * the command in no more wall time than PyTorch;
  * the same learning curve: the means of the last 100 losses within 0.005;
  * the same samples as today (microgpt's: kamon, ann, karai, ...), and as PyTorch's.
Part 2, 300 steps at n_embd 16/32/64 × n_layer 1/2, side by side; targets: at n_embd
64, and at n_embd 32 with 2 layers, at most 2× PyTorch's time. Then, in this process,
how the parts of the command's step grow with the model: tracing (the first step's
extra: tracing the graph of a whole block, making its level program, and reading the
weights), forward and backward (replaying the tape), and the update.

    python benchmarks/gpt_vs_torch.py [--rounds 3] [--steps 1000] [--size-steps 300]
                                      [--skip-sizes]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TORCH_SCRIPT = HERE / "gpt_torch.py"
# microgpt's 20 samples after its 1,000 steps (the scalar graph's and the tapes' too)
TODAYS_SAMPLES = (
    "kamon ann karai jaire vialan karia yeran anna areli kaina konna keylen liole alerin "
    "earan lenne kana lara alela anton"
).split()
TARGET_SAME_CURVE = 0.005
TARGET_SIZES = 2.0  # at most this many times PyTorch's time, at the two sizes named
TARGETED = {(64, 1), (32, 2)}
SIZES = [(n_embd, n_layer) for n_layer in (1, 2) for n_embd in (16, 32, 64)]


@dataclass
class Run:
    """One process: seconds to its last sample line and to its exit, what it printed."""

    to_last_sample: float
    to_exit: float
    training: float  # the seconds of the training loop, as the process prints them
    mean_loss: float
    samples: list[str]


def run(argv: list[str]) -> Run:
    """Start ``argv`` and time it until its last sample line and until it exits."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines, last_sample = [], None
    for line in process.stdout:
        lines.append(line)
        if line.startswith("sample"):
            last_sample = time.perf_counter()
    _, errors = process.communicate()
    ended = time.perf_counter()
    if process.returncode != 0 or last_sample is None:
        raise RuntimeError(f"{' '.join(argv)} failed ({process.returncode}): {errors.strip()}")
    text = "".join(lines)
    mean = re.search(r"mean of the last \d+ steps (\d+\.\d+)", text)
    assert mean is not None, text
    samples = re.findall(r"^sample +\d+: (.*)$", text, flags=re.M)
    training = re.search(r"trained in (\d+\.\d+) s", text)
    assert training is not None, text
    return Run(
        last_sample - started,
        ended - started,
        float(training.group(1)),
        float(mean.group(1)),
        samples,
    )


def command(out: Path, steps: int, n_embd: int, n_layer: int) -> list[str]:
    size = ["--n-embd", str(n_embd), "--n-layer", str(n_layer), "--steps", str(steps)]
    return [sys.executable, "-m", "autograd_lite", "gpt", "--no-progress", "--out", str(out), *size]


def torch_recipe(steps: int, n_embd: int, n_layer: int) -> list[str]:
    size = ["--n-embd", str(n_embd), "--n-layer", str(n_layer), "--steps", str(steps)]
    return [sys.executable, str(TORCH_SCRIPT), *size]


@dataclass
class Pair:
    ours: list[Run]
    torch: list[Run]

    def median(self, who: str, what: str = "to_last_sample") -> float:
        return statistics.median(getattr(r, what) for r in getattr(self, who))


def side_by_side(out: Path, rounds: int, steps: int, n_embd: int, n_layer: int) -> Pair:
    """``rounds`` runs of each, in turns (which goes first alternates)."""
    pair = Pair([], [])
    for k in range(rounds):
        order = [("ours", command(out, steps, n_embd, n_layer))]
        order.append(("torch", torch_recipe(steps, n_embd, n_layer)))
        for who, argv in order if k % 2 == 0 else order[::-1]:
            getattr(pair, who).append(run(argv))
    return pair


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def part_1(out: Path, rounds: int, steps: int) -> None:
    pair = side_by_side(out, rounds, steps, 16, 1)
    print(f"1. microgpt's recipe, {steps:,} steps, end to end, {rounds} runs of each in turns")
    print("   | | autograd-lite gpt | PyTorch eager |")
    print("   |---|---|---|")
    rows = [("to_last_sample", "to the last sample"), ("to_exit", "to exit")]
    for what, label in [*rows, ("training", "of which the training loop")]:
        cells = [
            ", ".join(f"{getattr(r, what):.2f}" for r in runs) for runs in (pair.ours, pair.torch)
        ]
        print(f"   | {label}, each run (s) | {cells[0]} | {cells[1]} |")
        print(
            f"   | {label}, median (s) | {pair.median('ours', what):.2f} | "
            f"{pair.median('torch', what):.2f} |"
        )
    means = [pair.ours[0].mean_loss, pair.torch[0].mean_loss]
    print(f"   | mean of the last {min(steps, 100)} losses | {means[0]:.6f} | {means[1]:.6f} |")
    firsts = [" ".join(runs[0].samples[:6]) + " ..." for runs in (pair.ours, pair.torch)]
    print(f"   | samples | {firsts[0]} | {firsts[1]} |")
    ours, theirs = pair.median("ours"), pair.median("torch")
    print("   targets:")
    print(
        f"   * no more wall time than PyTorch (medians, to the last sample): {ours:.2f} s "
        f"against {theirs:.2f} s, {ours / theirs:.2f}x  {verdict(ours <= theirs)}"
    )
    gap = abs(means[0] - means[1])
    print(
        f"   * the same learning curve, |difference of the means| at most {TARGET_SAME_CURVE}: "
        f"{gap:.1e}  {verdict(gap <= TARGET_SAME_CURVE)}"
    )
    same = all(r.samples == TODAYS_SAMPLES for r in pair.ours)
    as_torch = all(r.samples == pair.torch[0].samples for r in pair.ours + pair.torch)
    print(
        f"   * the same samples as today: {verdict(same)}; the same as PyTorch's: "
        f"{'yes' if as_torch else 'no'}"
    )


def parts(n_embd: int, n_layer: int, steps: int) -> tuple[float, float, float]:
    """The command's step at one size, in this process: its first step's extra (tracing,
    the level program, reading the weights; the cut tape of a shorter bucket is made
    within the later steps) and per step its forward and backward, and its update (ms)."""
    from autograd_lite import data, optim
    from autograd_lite.nn.transformer import GPT
    from autograd_lite.training import gpt as gpt_training

    names = data.load_names()
    tokenizer = data.CharTokenizer(names)
    rng = random.Random(gpt_training.DEFAULT_SEED)
    rng.shuffle(names)
    model = GPT(tokenizer.vocab_size, n_embd=n_embd, n_layer=n_layer, seed=rng)
    optimizer = optim.Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
    update_seconds: list[float] = []
    update = optimizer.update

    def timed_update(w: np.ndarray, g: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        new = update(w, g)
        update_seconds.append(time.perf_counter() - started)
        return new

    optimizer.update = timed_update  # type: ignore[method-assign]
    step = gpt_training.CompiledStep()
    docs = [tokenizer.frame(name) for name in names]
    started = time.perf_counter()
    step(model, optimizer, [docs[0]])
    first = time.perf_counter() - started
    times = []
    for k in range(1, steps):
        started = time.perf_counter()
        step(model, optimizer, [docs[k]])
        times.append(time.perf_counter() - started)
    step.write_back()
    update_ms = 1000 * statistics.median(update_seconds[1:])
    step_ms = 1000 * statistics.median(times)
    return 1000 * first - step_ms, step_ms - update_ms, update_ms


def part_2(out: Path, rounds: int, steps: int) -> None:
    print(f"2. {steps} steps end to end (to the last sample), medians of {rounds} runs in turns")
    print(
        "   | n_embd | n_layer | weights | autograd-lite gpt (s) | PyTorch eager (s) | ratio "
        "| target |"
    )
    print("   |---|---|---|---|---|---|---|")
    from autograd_lite.nn.transformer import GPT

    for n_embd, n_layer in SIZES:
        pair = side_by_side(out, rounds, steps, n_embd, n_layer)
        ours, theirs = pair.median("ours"), pair.median("torch")
        target = (
            f"≤ {TARGET_SIZES:g}x: {verdict(ours <= TARGET_SIZES * theirs)}"
            if (n_embd, n_layer) in TARGETED
            else ""
        )
        weights = GPT.parameter_count(27, 16, n_embd, 4, n_layer)
        print(
            f"   | {n_embd} | {n_layer} | {weights:,} | {ours:.2f} | {theirs:.2f} | "
            f"{ours / theirs:.2f}x | {target} |"
        )
    print(f"   the command's step, in this process (medians of {steps} steps of one name, ms):")
    print(
        "   | n_embd | n_layer | tracing (the first step's extra) | forward + backward | "
        "update (Adam) |"
    )
    print("   |---|---|---|---|---|")
    for n_embd, n_layer in SIZES:
        setup, replay, update = parts(n_embd, n_layer, max(steps, 2))
        print(f"   | {n_embd} | {n_layer} | {setup:.0f} | {replay:.3f} | {update:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs of each, in turns (default: 3)")
    parser.add_argument("--steps", type=int, default=1000, help="part 1's steps (default: 1000)")
    parser.add_argument("--size-steps", type=int, default=300, help="part 2's steps (default: 300)")
    parser.add_argument("--skip-sizes", action="store_true", help="part 1 only")
    args = parser.parse_args()
    for name in ("rounds", "steps", "size_steps"):
        if getattr(args, name) < 1:
            parser.error(
                f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}"
            )
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        part_1(out, args.rounds, args.steps)
        if not args.skip_sizes:
            part_2(out, args.rounds, args.size_steps)


if __name__ == "__main__":
    main()
