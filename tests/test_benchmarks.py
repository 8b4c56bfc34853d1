"""The benchmark scripts still run (at toy sizes; speed is never asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

# script -> (arguments that make it quick, a word its report must contain)
SMALL_RUNS = {
    "ops.py": (["--nodes", "300", "--chain", "2000", "--repeat", "1"], "autograd_lite"),
    "train.py": (["--steps", "1"], "autograd_lite"),
    "compiled.py": (["--steps", "2", "--micrograd-steps", "1", "--rounds", "1"], "fit"),
    "rumelhart1986.py": (["--seeds", "2", "--max-sweeps", "200"], "mirror symmetry"),
    "gpt.py": (["--steps", "2"], "microgpt engine"),
    "gpt_recipe.py": (
        ["--steps", "3", "--peer-steps", "1", "--seconds", "1", "--eval-names", "5"],
        "held-out loss",
    ),
}


# the modes that time checkouts in alternating processes (here: this one against itself)
ALTERNATING_RUNS = {
    "ops.py --against": (
        "ops.py",
        ["--against", str(BENCHMARKS.parent), "--nodes", "300", "--rounds", "1", "--repeat", "1"],
        "target of 1.0",
    ),
    "gpt.py --verbatim": (
        "gpt.py",
        ["--verbatim", "--rounds", "1", "--steps", "2", "--against", str(BENCHMARKS.parent)],
        "faster than on its own engine",
    ),
}


def run_benchmark(script: str, arguments: list[str], word: str) -> None:
    """Run ``script`` with ``arguments``; it must succeed and report ``word``."""
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *arguments],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert word in result.stdout


@pytest.mark.parametrize("run", sorted(ALTERNATING_RUNS))
def test_alternating_runs(run):
    run_benchmark(*ALTERNATING_RUNS[run])


@pytest.mark.parametrize("script", sorted(SMALL_RUNS))
def test_benchmark_runs(script):
    run_benchmark(script, *SMALL_RUNS[script])


# these run PyTorch's side of a comparison: they skip without it
TORCH_RUNS = {
    "gpt_torch.py": (["--steps", "2", "--samples", "2"], "sample  2:"),
    "gpt_vs_torch.py": (
        ["--rounds", "1", "--steps", "2", "--size-steps", "2", "--skip-sizes"],
        "no more wall time than PyTorch",
    ),
}


@pytest.mark.parametrize("script", sorted(TORCH_RUNS))
def test_torch_benchmark_runs(script):
    pytest.importorskip("torch")
    run_benchmark(script, *TORCH_RUNS[script])
