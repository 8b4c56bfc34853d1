"""Every ``>>>`` example in the package runs, and prints what it says it prints."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import autograd_lite
from autograd_lite import Value

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(autograd_lite.__path__, prefix="autograd_lite.")
    if not info.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_in_the_docstrings_run(name: str) -> None:
    module = importlib.import_module(name)
    globs = {"np": np, "Value": Value, "ag": autograd_lite}
    results = doctest.testmod(
        module,
        extraglobs=globs,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        report=False,
    )
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples in {name} fail"


def test_there_are_examples_to_run() -> None:
    attempted = 0
    for name in MODULES:
        finder = doctest.DocTestFinder()
        attempted += sum(len(t.examples) for t in finder.find(importlib.import_module(name)))
    assert attempted >= 25  # the finder sees the package (29 examples on 2026-12-02)
