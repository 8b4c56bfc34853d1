"""data: shapes, labels, geometry, seeds and argument checks of the toy data sets;
the shipped names and the character tokenizer."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_lite import data

MAKERS = [data.make_moons, data.make_circles, data.make_xor, data.make_spiral, data.make_blobs]


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("n", [1, 7, 100])
def test_shapes_dtypes_and_balanced_class_ids(make, n):
    X, y = make(n=n, seed=0)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and np.issubdtype(y.dtype, np.integer)
    assert np.isfinite(X).all()
    counts = np.bincount(y)
    assert y.min() == 0
    if n >= 7:
        assert counts.min() >= 1 and counts.max() - counts.min() <= 1


@pytest.mark.parametrize("make", MAKERS)
def test_same_seed_same_data_other_seed_other_data(make):
    X1, y1 = make(n=50, seed=3)
    X2, y2 = make(n=50, seed=3)
    assert (X1 == X2).all() and (y1 == y2).all()
    X3, _ = make(n=50, seed=4)
    assert not np.allclose(X1, X3)
    assert not np.allclose(make(n=50, seed=None)[0], make(n=50, seed=None)[0])


@pytest.mark.parametrize("make", MAKERS)
def test_global_random_states_are_untouched(make):
    np.random.seed(5)
    random.seed(5)
    before = np.random.get_state()[1].copy(), random.getstate()
    make(n=30, seed=1)
    make(n=30, seed=None)
    assert (np.random.get_state()[1] == before[0]).all()
    assert random.getstate() == before[1]


@pytest.mark.parametrize("make", MAKERS)
def test_points_are_shuffled(make):
    _, y = make(n=100, seed=0)
    assert (np.diff(y) != 0).sum() > 10  # not two sorted blocks


def test_moons_without_noise_lie_on_their_arcs():
    X, y = data.make_moons(n=101, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    assert len(upper) == 51 and len(lower) == 50
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert (upper[:, 1] >= -1e-12).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert (lower[:, 1] <= 0.5 + 1e-12).all()


def test_moons_noise_is_the_standard_deviation():
    X0, y0 = data.make_moons(n=2000, noise=0.0, seed=1)
    X1, y1 = data.make_moons(n=2000, noise=0.2, seed=1)
    # same clean points in some order: compare the spread of distances to the arcs
    radius = np.where(y1 == 0, np.hypot(X1[:, 0], X1[:, 1]), np.hypot(X1[:, 0] - 1, X1[:, 1] - 0.5))
    assert 0.1 < np.std(radius - 1) < 0.3
    assert np.allclose(np.hypot(X0[y0 == 0, 0], X0[y0 == 0, 1]), 1.0)


def test_circles_without_noise_have_radius_one_and_factor():
    X, y = data.make_circles(n=60, noise=0.0, factor=0.3, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)


def test_xor_of_four_points_is_the_truth_table():
    X, y = data.make_xor(n=4, noise=0.0, seed=0)
    table = {tuple(x): int(c) for x, c in zip(X.tolist(), y.tolist(), strict=True)}
    assert table == {(-1.0, -1.0): 0, (-1.0, 1.0): 1, (1.0, -1.0): 1, (1.0, 1.0): 0}


def test_xor_labels_follow_the_sign_rule_with_little_noise():
    X, y = data.make_xor(n=200, noise=0.1, seed=0)
    assert ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(int).tolist() == y.tolist()


def test_spiral_classes_and_extent():
    X, y = data.make_spiral(n=90, classes=3, seed=0)
    assert sorted(set(y.tolist())) == [0, 1, 2]
    assert np.bincount(y).tolist() == [30, 30, 30]
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 1.0 + 1e-12


def test_blobs_cluster_around_their_centers():
    X, y = data.make_blobs(n=3000, centers=3, std=0.2, seed=0)
    for k in range(3):
        angle = 2 * np.pi * k / 3
        center = 2 * np.array([np.cos(angle), np.sin(angle)])
        np.testing.assert_allclose(X[y == k].mean(axis=0), center, atol=0.03)
        assert X[y == k].std(axis=0) == pytest.approx([0.2, 0.2], rel=0.1)


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"n": 0}, ValueError, "n must be at least 1, got 0"),
        ({"n": -5}, ValueError, "n must be at least 1"),
        ({"n": 2.5}, TypeError, "n must be an int, got float"),
        ({"n": True}, TypeError, "n must be an int, got bool"),
        ({"seed": "a"}, TypeError, "seed must be an int or None, got str"),
        ({"seed": -1}, ValueError, "seed must be at least 0"),
    ],
)
def test_bad_arguments_are_clear_errors(make, kwargs, error, message):
    with pytest.raises(error, match=message):
        make(**kwargs)


@pytest.mark.parametrize(
    "make, kwargs, message",
    [
        (data.make_moons, {"noise": -0.1}, "noise must be a finite number >= 0"),
        (data.make_moons, {"noise": float("nan")}, "noise"),
        (data.make_circles, {"factor": 1.5}, r"factor must be a finite number in \(0, 1\)"),
        (data.make_circles, {"factor": 0}, r"factor must be a finite number in \(0, 1\)"),
        (data.make_spiral, {"classes": 1}, "classes must be at least 2"),
        (data.make_blobs, {"centers": 0}, "centers must be at least 1"),
        (data.make_blobs, {"std": -1.0}, "std must be"),
    ],
)
def test_bad_shape_arguments_are_clear_errors(make, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make(**kwargs)


def test_numpy_integers_are_accepted():
    X, _ = data.make_moons(n=np.int64(10), seed=np.int64(2))
    assert X.shape == (10, 2)


def test_the_registry_names_every_data_set():
    assert set(data.DATASETS) == {"moons", "circles", "xor", "spiral", "blobs"}


@pytest.mark.parametrize(
    "make, kwargs, message",
    [
        (
            data.make_spiral,
            {"n": 10, "classes": 10**6},
            "make_spiral: classes must be at most 1000",
        ),
        (data.make_blobs, {"n": 10, "centers": 10**9}, "make_blobs: centers must be at most 1000"),
    ],
)
def test_absurd_numbers_of_classes_are_refused_at_once(make, kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}, got {list(kwargs.values())[1]}$"):
        make(**kwargs)
    X, y = make(n=10, **{list(kwargs)[1]: 1000}, seed=0)  # the limit itself still works
    assert X.shape == (10, 2) and y.max() == 9


@pytest.mark.parametrize("make", MAKERS)
def test_errors_name_the_function_and_huge_ints_are_value_errors(make):
    name = make.__name__
    with pytest.raises(ValueError, match=rf"^{name}: n must be at least 1, got 0$"):
        make(n=0)
    scale = "std" if name == "make_blobs" else "noise"
    with pytest.raises(ValueError, match=rf"^{name}: {scale} must be a finite number >= 0, got an"):
        make(**{scale: 10**400})


# --- the names and the character tokenizer ------------------------------------------

NAMES_SHA256 = "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"


def test_load_names_gives_the_32033_makemore_names_in_file_order():
    names = data.load_names()
    assert len(names) == 32_033
    assert names[:3] == ["emma", "olivia", "ava"] and names[-1] == "zzyzx"
    assert len(set(names)) == 29_494
    assert all(name and set(name) <= set("abcdefghijklmnopqrstuvwxyz") for name in names)
    assert max(map(len, names)) == 15  # with two boundary tokens, 16 positions: block_size


def test_the_shipped_file_is_the_one_its_readme_describes():
    import hashlib
    from importlib import resources

    folder = resources.files("autograd_lite").joinpath("training", "corpora")
    raw = folder.joinpath("names.txt").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == NAMES_SHA256
    readme = folder.joinpath("README.md").read_text(encoding="utf-8")
    assert NAMES_SHA256 in readme and "MIT License" in readme and "makemore" in readme


def test_load_names_returns_a_new_list_each_time():
    names = data.load_names()
    names.clear()
    assert len(data.load_names()) == 32_033


def test_the_tokenizer_of_the_names_is_a_to_z_and_the_boundary():
    tok = data.CharTokenizer(data.load_names())
    assert tok.itos == list("abcdefghijklmnopqrstuvwxyz")
    assert tok.stoi == {ch: i for i, ch in enumerate("abcdefghijklmnopqrstuvwxyz")}
    assert tok.boundary == 26 and tok.vocab_size == 27
    assert tok.encode("emma") == [4, 12, 12, 0]
    assert tok.frame("emma") == [26, 4, 12, 12, 0, 26]
    assert tok.decode([4, 12, 12, 0]) == "emma"


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=20))
def test_tokenizer_round_trip(text):
    tok = data.CharTokenizer(["abcdefghijklmnopqrstuvwxyz"])
    ids = tok.encode(text)
    assert len(ids) == len(text) and all(0 <= i < tok.boundary for i in ids)
    assert tok.decode(ids) == text
    assert tok.frame(text)[1:-1] == ids


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda tok: tok.encode("ab!"), ValueError, "'!' in 'ab!' is not in the vocabulary"),
        (lambda tok: tok.encode(["a"]), TypeError, "encode needs a str, got list"),
        (lambda tok: tok.decode([0, 2]), ValueError, "2 is not a character id \\(0 to 1\\)"),
        (lambda tok: tok.decode([-1]), ValueError, "-1 is not a character id"),
        (lambda tok: tok.decode([0.0]), ValueError, "0.0 is not a character id"),
    ],
)
def test_tokenizer_errors_name_the_culprit(call, error, message):
    with pytest.raises(error, match=message):
        call(data.CharTokenizer(["ab"]))


@pytest.mark.parametrize(
    "texts, error, message",
    [
        ("emma", TypeError, "a list of texts, got a single string"),
        (["emma", 3], TypeError, "texts\\[1\\] must be a str, got int"),
        (["", ""], ValueError, "the texts hold no characters"),
    ],
)
def test_tokenizer_needs_texts(texts, error, message):
    with pytest.raises(error, match=message):
        data.CharTokenizer(texts)


def test_data_docstring_examples_run():
    import doctest

    results = doctest.testmod(data)
    assert results.attempted >= 5 and results.failed == 0
