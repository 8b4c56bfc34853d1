"""Toy two-dimensional data sets for classification, and names for a language model.

Each ``make_*`` function returns ``(X, y)``: ``X`` a float array of shape (n, 2), ``y``
an int array of shape (n,) holding class ids 0, 1, ... The points are shuffled. A
``seed`` makes a data set reproducible; each call draws from its own
``numpy.random.default_rng(seed)``, so numpy's global random state is never used.

Each also takes scikit-learn's names for the same things, so the calls of scikit-learn
demos run as written: ``n_samples`` for ``n`` and ``random_state`` for ``seed`` (where,
as in scikit-learn, ``random_state=None`` means fresh randomness).

``load_names()`` and ``CharTokenizer`` (at the end) are the text side: the names a
character-level GPT learns from, and the characters as token ids.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Any

import numpy as np

from ..support.checks import finite_number, non_negative_number, positive_int, whole_number

Dataset = tuple[np.ndarray, np.ndarray]


# A toy data set in the plane with more classes than this is a mistake (and the
# generators loop over the classes, so 10**6 of them would run for minutes).
MAX_GROUPS = 1000


def _rng(seed: object, function: str) -> np.random.Generator:
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{function}: seed must be an int or None, got {type(seed).__name__}")
    return np.random.default_rng(whole_number(seed, function, "seed", at_least=0))


class _Unset:
    """The default of ``random_state``: not given (None means fresh randomness)."""

    def __repr__(self) -> str:
        return "<not given>"


_UNSET: Any = _Unset()


def _sklearn_names(
    who: str, n: int, n_samples: int | None, seed: int | None, random_state: Any
) -> tuple[int, int | None]:
    """``n`` and ``seed``, taken from scikit-learn's ``n_samples`` and ``random_state``
    when those are given (both of a pair: TypeError naming them)."""
    if n_samples is not None:
        if n != 100:
            raise TypeError(f"{who}: got both n={n!r} and n_samples={n_samples!r}; give one")
        n = n_samples
    if random_state is not _UNSET:
        if seed != 0:
            raise TypeError(
                f"{who}: got both seed={seed!r} and random_state={random_state!r}; give one"
            )
        seed = random_state
    return n, seed


def _split(n: int, parts: int) -> list[int]:
    """n as ``parts`` sizes that differ by at most one (the first ones larger)."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def _finish(rng: np.random.Generator, X: np.ndarray, y: np.ndarray, noise: float) -> Dataset:
    """Add Gaussian noise and shuffle the points."""
    X = X + rng.normal(scale=noise, size=X.shape) if noise > 0 else X
    order = rng.permutation(len(y))
    return X[order].astype(np.float64), y[order].astype(np.int64)


def make_moons(
    n: int = 100,
    noise: float = 0.1,
    seed: int | None = 0,
    *,
    n_samples: int | None = None,
    random_state: int | None = _UNSET,
) -> Dataset:
    """Two interleaving half circles (as scikit-learn's ``make_moons``).

    Args:
        n: number of points (class 0 gets the extra one when n is odd).
        noise: standard deviation of the Gaussian noise added to each coordinate.
        seed: an int for a reproducible data set, or None for fresh randomness.
        n_samples, random_state: scikit-learn's names for ``n`` and ``seed``.

    Returns:
        ``(X, y)``: X of shape (n, 2), y of shape (n,) with classes 0 (upper moon)
        and 1 (lower moon).
    """
    n, seed = _sklearn_names("make_moons", n, n_samples, seed, random_state)
    n, rng = positive_int(n, "make_moons", "n"), _rng(seed, "make_moons")
    noise = non_negative_number(noise, "make_moons", "noise")
    n0, n1 = _split(n, 2)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X = np.concatenate(
        [np.stack([np.cos(t0), np.sin(t0)], 1), np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)]
    )
    y = np.repeat([0, 1], [n0, n1])
    return _finish(rng, X, y, noise)


def make_circles(
    n: int = 100,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: int | None = 0,
    *,
    n_samples: int | None = None,
    random_state: int | None = _UNSET,
) -> Dataset:
    """A small circle inside a large one (as scikit-learn's ``make_circles``).

    Args:
        n: number of points.
        noise: standard deviation of the Gaussian noise.
        factor: radius of the inner circle relative to the outer one, in (0, 1).
        seed: an int or None.
        n_samples, random_state: scikit-learn's names for ``n`` and ``seed``.

    Returns:
        ``(X, y)``: class 0 on the outer circle (radius 1), class 1 on the inner one.
    """
    n, seed = _sklearn_names("make_circles", n, n_samples, seed, random_state)
    n, rng = positive_int(n, "make_circles", "n"), _rng(seed, "make_circles")
    noise = non_negative_number(noise, "make_circles", "noise")
    factor = finite_number(factor, "make_circles", "factor", above=0, below=1)
    n0, n1 = _split(n, 2)
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    X = np.concatenate(
        [np.stack([np.cos(t0), np.sin(t0)], 1), factor * np.stack([np.cos(t1), np.sin(t1)], 1)]
    )
    y = np.repeat([0, 1], [n0, n1])
    return _finish(rng, X, y, noise)


def make_xor(
    n: int = 100,
    noise: float = 0.25,
    seed: int | None = 0,
    *,
    n_samples: int | None = None,
    random_state: int | None = _UNSET,
) -> Dataset:
    """Four clusters at the corners (±1, ±1): class 1 where the signs differ.

    No straight line separates the classes, the classic test a network without a
    hidden layer fails. With ``n=4, noise=0`` it is the XOR truth table itself (on
    ±1 instead of 0/1).

    Args:
        n: number of points, spread evenly over the four corners.
        noise: standard deviation of the Gaussian noise around each corner.
        seed: an int or None.
        n_samples, random_state: scikit-learn's names for ``n`` and ``seed``.

    Returns:
        ``(X, y)``: y = 1 where x₀ and x₁ have different signs, else 0.
    """
    n, seed = _sklearn_names("make_xor", n, n_samples, seed, random_state)
    n, rng = positive_int(n, "make_xor", "n"), _rng(seed, "make_xor")
    noise = non_negative_number(noise, "make_xor", "noise")
    corners = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    X = corners[np.arange(n) % 4]
    y = np.array([0, 1, 1, 0])[np.arange(n) % 4]
    return _finish(rng, X, y, noise)


def make_spiral(
    n: int = 100,
    noise: float = 0.2,
    classes: int = 2,
    turns: float = 0.75,
    seed: int | None = 0,
    *,
    n_samples: int | None = None,
    random_state: int | None = _UNSET,
) -> Dataset:
    """Interleaved spiral arms, one per class (as in Stanford's CS231n notes).

    Args:
        n: number of points, split evenly between the arms.
        noise: standard deviation of the Gaussian noise on each point's angle
            (radians); nearer the centre the arms blur more.
        classes: number of arms (classes), from 2 to ``MAX_GROUPS`` (1000).
        turns: how far each arm winds, in full turns.
        seed: an int or None.
        n_samples, random_state: scikit-learn's names for ``n`` and ``seed``.

    Returns:
        ``(X, y)`` with points inside the unit disc and classes 0 .. classes − 1.
    """
    n, seed = _sklearn_names("make_spiral", n, n_samples, seed, random_state)
    n, rng = positive_int(n, "make_spiral", "n"), _rng(seed, "make_spiral")
    noise = non_negative_number(noise, "make_spiral", "noise")
    classes = whole_number(classes, "make_spiral", "classes", at_least=2, at_most=MAX_GROUPS)
    turns = non_negative_number(turns, "make_spiral", "turns")
    parts, labels = [], []
    for k, size in enumerate(_split(n, classes)):
        r = np.linspace(0.05, 1.0, size)
        t = 2 * np.pi * (turns * r + k / classes) + rng.normal(scale=noise, size=size)
        parts.append(np.stack([r * np.cos(t), r * np.sin(t)], 1))
        labels.append(np.full(size, k))
    return _finish(rng, np.concatenate(parts), np.concatenate(labels), 0.0)


def make_blobs(
    n: int = 100,
    centers: int = 2,
    std: float = 0.5,
    seed: int | None = 0,
    *,
    n_samples: int | None = None,
    random_state: int | None = _UNSET,
) -> Dataset:
    """Gaussian clusters around ``centers`` points evenly spaced on a circle of radius 2.

    Args:
        n: number of points, split evenly between the clusters.
        centers: number of clusters (classes), from 1 to ``MAX_GROUPS`` (1000).
        std: standard deviation of each cluster.
        seed: an int or None.
        n_samples, random_state: scikit-learn's names for ``n`` and ``seed``.

    Returns:
        ``(X, y)`` with classes 0 .. centers − 1.
    """
    n, seed = _sklearn_names("make_blobs", n, n_samples, seed, random_state)
    n, rng = positive_int(n, "make_blobs", "n"), _rng(seed, "make_blobs")
    std = non_negative_number(std, "make_blobs", "std")
    centers = whole_number(centers, "make_blobs", "centers", at_least=1, at_most=MAX_GROUPS)
    angles = 2 * np.pi * np.arange(centers) / centers
    middles = 2.0 * np.stack([np.cos(angles), np.sin(angles)], 1)
    y = np.repeat(np.arange(centers), _split(n, centers))
    return _finish(rng, middles[y], y, std)


# Every generator by name (the demo's --dataset choices).
DATASETS: dict[str, Callable[..., Dataset]] = {
    "moons": make_moons,
    "circles": make_circles,
    "xor": make_xor,
    "spiral": make_spiral,
    "blobs": make_blobs,
}


# --- names, for the character-level GPT -----------------------------------------


def load_names() -> list[str]:
    """The 32,033 names shipped with the package, lowercase, in file order.

    They are the most common US baby names of 2018 (Social Security Administration),
    as the makemore repository ships them (MIT licence, Andrej Karpathy); the file and
    its provenance are in ``autograd_lite/training/corpora/``. microgpt learns from them.

    Returns:
        A new list of strings (each of ``a``-``z`` only), first ``"emma"``.

    Example:
        >>> names = load_names()
        >>> len(names), names[:3]
        (32033, ['emma', 'olivia', 'ava'])
    """
    text = (resources.files(__package__) / "corpora" / "names.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


class CharTokenizer:
    """Characters as token ids, plus one boundary token that starts and ends each text.

    The characters seen in ``texts``, sorted, get the ids ``0 .. n-1``; the boundary
    token is ``n`` (microgpt's ``BOS``). On the names that is a-z as 0-25 and the
    boundary 26: a vocabulary of 27.

    Args:
        texts: the texts whose characters make the vocabulary, e.g. ``load_names()``.

    Raises:
        TypeError: if ``texts`` is a single string or holds something that is not one.
        ValueError: if the texts hold no character at all.

    Example:
        >>> tok = CharTokenizer(["emma", "ava"])
        >>> tok.itos, tok.boundary, tok.vocab_size
        (['a', 'e', 'm', 'v'], 4, 5)
        >>> tok.frame("ava")
        [4, 0, 3, 0, 4]
        >>> tok.decode([2, 0])
        'ma'
    """

    def __init__(self, texts: Iterable[str]) -> None:
        if isinstance(texts, str | bytes):
            raise TypeError("CharTokenizer needs a list of texts, got a single string")
        chars: set[str] = set()
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                kind = type(text).__name__
                raise TypeError(f"CharTokenizer: texts[{i}] must be a str, got {kind}")
            chars.update(text)
        if not chars:
            raise ValueError("CharTokenizer: the texts hold no characters")
        self.itos: list[str] = sorted(chars)  # id -> character
        self.stoi: dict[str, int] = {ch: i for i, ch in enumerate(self.itos)}  # character -> id
        self.boundary: int = len(self.itos)  # the token before and after every text

    @property
    def vocab_size(self) -> int:
        """How many token ids there are: the characters and the boundary."""
        return len(self.itos) + 1

    def encode(self, text: str) -> list[int]:
        """The id of each character of ``text`` (no boundary tokens).

        Raises:
            ValueError: naming the first character the vocabulary does not hold.
        """
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.encode needs a str, got {type(text).__name__}")
        try:
            return [self.stoi[ch] for ch in text]
        except KeyError as e:
            raise ValueError(
                f"CharTokenizer.encode: {e.args[0]!r} in {text!r} is not in the vocabulary"
            ) from None

    def frame(self, text: str) -> list[int]:
        """``text`` encoded between two boundary tokens: what the model trains on."""
        return [self.boundary, *self.encode(text), self.boundary]

    def decode(self, ids: Sequence[int]) -> str:
        """The characters of the ids; the boundary token has no character.

        Raises:
            ValueError: naming the first id that is not a character's.
        """
        chars: list[str] = []
        for i in ids:
            if (
                isinstance(i, bool)
                or not isinstance(i, numbers.Integral)
                or not 0 <= i < len(self.itos)
            ):
                raise ValueError(
                    f"CharTokenizer.decode: {i!r} is not a character id (0 to {len(self.itos) - 1})"
                )
            chars.append(self.itos[int(i)])
        return "".join(chars)

    def __repr__(self) -> str:
        return f"CharTokenizer({len(self.itos)} characters + boundary {self.boundary})"
