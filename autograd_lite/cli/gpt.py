"""``autograd-lite gpt``: microgpt's GPT trained on the names, every number a Value.

    $ autograd-lite gpt                  # microgpt's recipe: 1,000 steps of one name
    $ autograd-lite gpt --n-embd 64 --n-layer 2 --input lines.txt --steps 3000
    $ autograd-lite gpt --sample-only --samples 50       # from the model trained before

The recipe is microgpt's: the 32,033 names shuffled by ``random.Random(seed)`` (seed 42
by default, as microgpt's ``random.seed(42)``), ``nn.GPT(27)`` with its weights drawn
from the same generator, one name per step, the mean cross-entropy of its next
characters, Adam (lr 0.01 decaying linearly to 0, betas (0.85, 0.99), eps 1e-8); then
20 names sampled at temperature 0.5, from the same generator again. With the defaults
the run is microgpt's run, number for number (up to rounding).

It prints the final loss and the sampled names, and writes the model file
(``model.json``, loadable with ``nn.GPT.load``) and the loss curve (``loss_curve.png``)
into ``--out``. Any bad input is one line on stderr and exit status 2, before any work.

Like makemore's: the model's size (``--n-embd``, ``--n-head``, ``--n-layer``,
``--block-size``), ``--input FILE`` (one document per line, any characters; the
tokenizer is built from the file), ``--samples N``, and ``--sample-only`` (load
``model.json`` from ``--out`` and sample, without training; give the same ``--input``
as the training run, whose characters are the vocabulary).

By default the graph of Values of a whole block is traced once and replayed with numpy
(:class:`~autograd_lite.training.gpt.CompiledStep`: each family of nodes, such as the
queries of every position, one numpy call; same numbers as the graph to rounding), and
the samples are drawn from the same tape's logits; ``--scalar`` builds and walks the
graph of Values at every step, and samples on Values.

The training itself is the library's (:mod:`autograd_lite.training.gpt`): the command
reads its arguments, runs the recipe, prints and writes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..nn.transformer import GPT
from ..support.files import read_bounded, write_atomically
from ..training import data, optim
from ..training.gpt import (
    BETAS,
    DEFAULT_SEED,
    EPS,
    LAST,
    LR,
    STEPS,
    TEMPERATURE,
    CompiledStep,
    linear_decay,
    loss_figure,
    scalar_step,
    train,
)
from .output import output_folder
from .shell import CommandError, whole_number

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SAMPLES = 20
MAX_INPUT_BYTES = 100 * 2**20  # the largest --input file read
OUTPUTS = ("model.json", "loss_curve.png")
# The compiled step holds every name's values at once: about 1.3 MB a name (peak memory
# 107 MB at batch 32, 229 MB at 128), so 1,024 names take about 1.5 GB.
MAX_BATCH = 1024


def _temperature(text: str) -> float:
    try:
        t = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < t < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return t


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments on ``parser``."""
    parser.add_argument(
        "--steps",
        type=whole_number(1),
        default=STEPS,
        help=f"training steps (default: {STEPS})",
    )
    parser.add_argument(
        "--batch",
        type=whole_number(1, at_most=MAX_BATCH),
        default=1,
        help=f"names per step, at most {MAX_BATCH:,}; their losses are averaged (default: 1)",
    )
    parser.add_argument(
        "--seed",
        type=whole_number(0),
        default=DEFAULT_SEED,
        help=f"seed of the shuffle, the initial weights and the samples (default: {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--temperature",
        type=_temperature,
        default=TEMPERATURE,
        help=f"sampling temperature; lower is more conservative (default: {TEMPERATURE})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("autograd_lite_output") / "gpt",
        help="folder for model.json and loss_curve.png (default: autograd_lite_output/gpt)",
    )
    at_least_1 = whole_number(1)
    parser.add_argument("--n-embd", type=at_least_1, default=16, help="width (default: 16)")
    parser.add_argument(
        "--n-head",
        type=at_least_1,
        default=4,
        help="attention heads; must divide --n-embd (default: 4)",
    )
    parser.add_argument("--n-layer", type=at_least_1, default=1, help="blocks (default: 1)")
    parser.add_argument(
        "--block-size",
        type=at_least_1,
        default=16,
        help="the longest context; longer documents are cut (default: 16)",
    )
    parser.add_argument(
        "--input",
        type=Path,
        default=None,
        help="a UTF-8 text file of one document per line, any characters (default: the names)",
    )
    parser.add_argument(
        "--samples",
        type=whole_number(0),
        default=SAMPLES,
        help=f"how many documents to sample (default: {SAMPLES})",
    )
    parser.add_argument(
        "--sample-only",
        action="store_true",
        help="load model.json from --out and sample, without training (the size flags "
        "are the file's)",
    )
    parser.add_argument(
        "--scalar",
        action="store_true",
        help="build and walk each step's graph of Values instead of replaying its traced "
        "tape (same gradients to about 1e-12, slower)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    """Train, sample, report and write the files; returns the exit status (0).

    The output folder is made and checked before training, and removed again if the
    run fails or is interrupted before it wrote anything (see :mod:`.output`).

    Raises:
        CommandError: for a bad size or input, a missing model (``--sample-only``), an
            output folder it cannot make or write, or a failed training.
    """
    if args.n_embd % args.n_head:
        raise CommandError(f"--n-head ({args.n_head}) must divide --n-embd ({args.n_embd})")
    docs, what = _documents(args.input)
    tokenizer = data.CharTokenizer(docs)
    if args.sample_only:
        model = _trained_model(args.out / "model.json", tokenizer, what)
        compiled = None if args.scalar else CompiledStep()
        _print_samples(model, tokenizer, args, random.Random(args.seed), compiled)
        return 0
    with output_folder(args.out, OUTPUTS):
        return _train(args, docs, what, tokenizer)


def _train(
    args: argparse.Namespace, docs: list[str], what: str, tokenizer: data.CharTokenizer
) -> int:
    """Train on ``docs``, print the loss and samples, and write the outputs into --out."""
    out: Path = args.out
    rng = random.Random(args.seed)  # one generator for all, in microgpt's order
    rng.shuffle(docs)
    model = GPT(
        tokenizer.vocab_size, args.block_size, args.n_embd, args.n_head, args.n_layer, seed=rng
    )
    optimizer = optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    per_step = "1 document" if args.batch == 1 else f"{args.batch} documents"
    if args.input is None:
        per_step = per_step.replace("document", "name")
    compiled = None if args.scalar else CompiledStep()
    engine = "on the scalar graph" if args.scalar else "compiled (one traced tape)"
    print(
        f"{len(docs):,} {what}, {tokenizer.vocab_size} tokens "
        f"({_characters(tokenizer)} and the boundary); {model}: "
        f"{len(model.parameters()):,} parameters"
    )
    print(
        f"{args.steps:,} steps of {per_step} {engine}; Adam, lr {LR:g} decaying "
        f"linearly to 0, betas {BETAS}, eps {EPS:g}"
    )
    started = time.perf_counter()
    try:
        losses = train(
            model,
            [tokenizer.frame(doc) for doc in docs],
            optimizer,
            args.steps,
            batch=args.batch,
            schedule=linear_decay(LR, args.steps),
            step=scalar_step if compiled is None else compiled,
            progress=not args.no_progress,
        )
    except ValueError as e:  # a step that would make a weight nan or inf
        raise CommandError(f"training failed: {e}") from None
    seconds = time.perf_counter() - started
    last = losses[-LAST:]
    print(
        f"final loss {losses[-1]:.4f}; mean of the last {len(last)} steps "
        f"{statistics.fmean(last):.6f} (trained in {seconds:.2f} s)"
    )
    _print_samples(model, tokenizer, args, rng, compiled)

    try:
        print(f"wrote {model.save(out / 'model.json')}")
        figure = loss_figure(losses)
        write_atomically(out / "loss_curve.png", partial(_save_png, figure), binary=True)
        print(f"wrote {out / 'loss_curve.png'}")
    except OSError as e:
        raise CommandError(f"cannot write to {out}: {e.strerror or e}") from None
    return 0


def _documents(path: Path | None) -> tuple[list[str], str]:
    """The training documents and what to call them: the names, or the lines of ``path``
    (empty lines skipped; the line ends are not part of a document)."""
    if path is None:
        return data.load_names(), "names"
    try:
        raw = read_bounded(path, MAX_INPUT_BYTES)
    except FileNotFoundError:
        raise CommandError(f"--input: no such file {path}") from None
    except (OSError, ValueError) as e:
        raise CommandError(
            f"--input: cannot read {path}: {getattr(e, 'strerror', None) or e}"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CommandError(f"--input: {path} is not UTF-8 text (byte {e.start})") from None
    docs = [line for line in text.splitlines() if line]
    if not docs:
        raise CommandError(f"--input: {path} has no documents (no line with a character)")
    return docs, f"documents of {path.name}"


def _characters(tokenizer: data.CharTokenizer) -> str:
    chars = "".join(tokenizer.itos)
    if chars == "abcdefghijklmnopqrstuvwxyz":
        return "a-z"
    return f"{len(chars)} characters" if len(chars) > 30 else repr(chars)


def _trained_model(path: Path, tokenizer: data.CharTokenizer, what: str) -> GPT:
    """The GPT saved at ``path``, if its vocabulary is the tokenizer's."""
    try:
        model = GPT.load(path)
    except FileNotFoundError:
        raise CommandError(
            f"--sample-only: no model at {path}; train one first with the same --out"
        ) from None
    except (OSError, ValueError) as e:
        raise CommandError(f"--sample-only: {e}") from None
    if not isinstance(model, GPT):
        raise CommandError(f"--sample-only: {path} holds a {type(model).__name__}, not a GPT")
    if model.vocab_size != tokenizer.vocab_size:
        raise CommandError(
            f"--sample-only: the model at {path} has {model.vocab_size} tokens, but the "
            f"{what} make {tokenizer.vocab_size}; give the --input it was trained on"
        )
    return model


def _print_samples(
    model: GPT,
    tokenizer: data.CharTokenizer,
    args: argparse.Namespace,
    rng: random.Random,
    compiled: CompiledStep | None,
) -> None:
    """Draw and print ``--samples`` documents: from the compiled step's tape, or on Values."""
    if not args.samples:
        return
    noun = "documents" if args.input is not None else "names"
    print(f"{args.samples} {noun} sampled at temperature {args.temperature:g}:")
    for i in range(1, args.samples + 1):
        if compiled is None:
            drawn = model.sample(tokenizer.boundary, args.temperature, seed=rng)
        else:
            drawn = compiled.sample(model, tokenizer.boundary, args.temperature, rng)
        print(f"sample {i:2d}: {tokenizer.decode(drawn)}")


def _save_png(figure: Figure, file: IO[Any]) -> None:
    figure.savefig(file, format="png", dpi=100)
