"""Shared helpers for the test suite."""

from __future__ import annotations

import os

import matplotlib
from hypothesis import settings

matplotlib.use("Agg")  # headless: no test may open a window

# Property tests: a modest default so the suite fits CI's budget; raise it locally with
# HYPOTHESIS_PROFILE=thorough.
settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def central_difference(f, x: float, h: float = 1e-6) -> float:
    """(f(x + h) - f(x - h)) / 2h: the independent check on every derivative."""
    return (f(x + h) - f(x - h)) / (2 * h)


def difference_tolerance(value: float, h: float = 1e-6) -> float:
    """The absolute error a central difference of a function of size ``value`` can carry.

    Rounding f(x ± h) to doubles errs by about eps·|f| each, which the division by 2h
    turns into eps·|f|/h: for |f| = 4e6 (a cube in a random graph) that is 1e-3.
    """
    return 1e-5 + 1e-9 * abs(value) / (h / 1e-6)
