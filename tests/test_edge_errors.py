"""Hostile input at the edges: each is a clear error naming the function, the argument
and the value, or the right result; never an error from deep inside."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import Value, compiler, nn, viz
from autograd_lite.forward import Dual
from autograd_lite.training import train


@pytest.fixture
def two_outputs():
    w = Value(0.5)
    return compiler.compile(lambda x: [x[0] * w, x[1] * w], 2)


@pytest.mark.parametrize(
    "output, error, message",
    [
        (1.0, TypeError, "value_and_grad: output must be an int, got float 1.0"),
        ("0", TypeError, "value_and_grad: output must be an int, got str '0'"),
        (True, TypeError, "value_and_grad: output must be an int, got bool True"),
        (-1, ValueError, "value_and_grad: output must be at least 0, got -1"),
        (2, ValueError, "value_and_grad: output must be at most 1, got 2"),
    ],
)
def test_value_and_grad_output_must_be_the_index_of_an_output(two_outputs, output, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        two_outputs.value_and_grad(np.ones((3, 2)), output=output)
    loss, _ = two_outputs.value_and_grad(np.ones((3, 2)), output=np.int64(1))
    assert loss == 0.5


@pytest.mark.parametrize("grad, held", [(["a", "b"], "strings"), ([1j, 2.0], "complex numbers")])
def test_compiled_backward_refuses_a_grad_that_is_not_real_numbers(grad, held):
    f = compiler.compile(lambda x: x[0] * x[1], 2)
    with pytest.raises(
        TypeError,
        match=rf"backward: grad must be an array of real numbers of shape \(2,\); "
        rf"it holds {held}",
    ):
        f.backward([[1.0, 2.0], [3.0, 4.0]], grad=grad)


def test_the_one_input_hint_reshapes_to_a_column():
    f = compiler.compile(lambda x: x[0] * 2, 1)
    with pytest.raises(ValueError, match=r"for samples of one input use X\.reshape\(-1, 1\)"):
        f(np.arange(5.0))
    assert f(np.arange(5.0).reshape(-1, 1)).tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    g = compiler.compile(lambda x: x[0] * x[1], 2)
    with pytest.raises(ValueError, match=r"for one sample use X\.reshape\(1, -1\)"):
        g(np.arange(2.0))
    with pytest.raises(ValueError, match=r"got shape \(5,\)$"):
        g(np.arange(5.0))  # neither reshape is meant: no hint


def test_fit_names_the_label_that_is_not_a_class_id():
    model = nn.MLP(2, [2], seed=0)
    with pytest.raises(
        ValueError,
        match=r"fit: y must hold class ids 0, 1, \.\.\., got y\[1\] = 0\.5 "
        r"\(not a whole number\); numbers to fit",
    ):
        train.fit(model, [[1.0, 2.0], [3.0, 4.0]], [1, 0.5], epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"got y\[0\] = -1 \(a negative number\)"):
        train.fit(model, [[1.0, 2.0], [3.0, 4.0]], [-1, 0], epochs=1, progress=False)


def test_fit_hints_at_a_column_for_one_dimensional_x():
    with pytest.raises(ValueError, match=r"got \(2,\) \(for samples of one feature use "
                       r"X\.reshape\(-1, 1\)\)"):  # fmt: skip
        train.fit(nn.MLP(1, [2], seed=0), [1.0, 2.0], [1, 0], epochs=1, progress=False)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_of_a_function_that_returns_none_blames_jacobian(mode):
    with pytest.raises(
        TypeError, match="^jacobian: fn must return a Value or a list of Values, got NoneType$"
    ):
        ag.jacobian(lambda v: None, [1.0, 2.0], mode=mode)


def test_jacobian_of_a_bad_point_blames_jacobian():
    with pytest.raises(TypeError, match="^jacobian: "):
        ag.jacobian(lambda v: v[0], ["a"])


def test_dual_converts_as_value_does():
    for number in (2.5, -2.7, 3.5, 1e300, -0.4):
        d, v = Dual(number, 1.0), Value(number)
        assert round(d) == round(v) and isinstance(round(d), int)
        assert round(d, 1) == round(v, 1)
        assert int(d) == int(v) and math.trunc(d) == math.trunc(v)
        assert math.floor(d) == math.floor(v) and math.ceil(d) == math.ceil(v)
        assert f"{d:.3f}" == f"{v:.3f}" and f"{d:e}" == format(number, "e")
    assert f"{Dual(1.0, 2.0)}" == repr(Dual(1.0, 2.0))
    with pytest.raises(ValueError):  # as int(float('nan'))
        int(Dual(math.nan))


def test_gpt_sample_at_a_tiny_temperature_takes_the_likeliest_token():
    model = nn.GPT(27, seed=0)
    for t in (1e-30, 5e-324):
        tokens = model.sample(26, temperature=t, seed=1)
        assert tokens == model.sample(26, temperature=1e-6, seed=2)  # no randomness left
    # the first token is the argmax of the boundary's logits
    first = [logit.data for logit in model([26])[0]]
    greedy = model.sample(26, temperature=1e-30, seed=3)
    assert (greedy[0] if greedy else 26) == first.index(max(first))


def test_gpt_sample_keeps_microgpts_distribution_at_ordinary_temperatures():
    model = nn.GPT(27, seed=0)
    logits = [logit.data for logit in model([26])[0]]
    probs = np.exp(np.array(logits) / 0.5)
    probs /= probs.sum()
    draws = [(model.sample(26, temperature=0.5, seed=s) or [26])[0] for s in range(400)]
    counts = np.bincount(draws, minlength=27) / 400
    assert np.abs(counts - probs).max() < 0.08


def _refused_at_once(code: str) -> str:
    """Run ``code`` in a child limited to 2 GB of memory and a minute (so that, were the
    model built, it would fail there and not take the machine); its last error line."""
    resource = pytest.importorskip("resource")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        preexec_fn=limit,
    )  # fmt: skip
    assert result.returncode == 1
    return result.stderr.strip().splitlines()[-1]


def test_a_gpt_too_large_to_build_is_refused_at_once():
    started = time.perf_counter()
    assert _refused_at_once("from autograd_lite import nn; nn.GPT(27, block_size=10**12)") == (
        "ValueError: GPT: vocab_size=27, block_size=1000000000000, n_embd=16, n_layer=1 would "
        "make 16,000,000,003,936 parameters; a model of scalar Values has at most 2,000,000 "
        "(each takes about 350 bytes)"
    )
    assert "block_size=an int of about 401 digits" in _refused_at_once(
        "from autograd_lite import nn; nn.GPT(27, block_size=10**400)"
    )
    assert _refused_at_once("from autograd_lite import nn; nn.MLP(2, [10**6, 10])").startswith(
        "ValueError: MLP: nin=2, nouts=[1000000, 10] would make 13,000,010 parameters"
    )
    assert time.perf_counter() - started < 30  # nothing was built


def test_set_leaf_refuses_an_int_too_large_for_a_float_and_a_non_number():
    s = ag.studio(Value(1.0, label="x") * 2)
    with pytest.raises(
        ValueError,
        match="^set_leaf: value must be a finite number, got an int of about 401 digits$",
    ):
        s.set_leaf("n0", 10**400)
    with pytest.raises(TypeError, match="^set_leaf: value must be a number, got str 'a'$"):
        s.set_leaf("n0", "a")
    s.set_leaf("n0", np.float64(3.0))
    assert s.recording.nodes[0]["data"] == 3.0


@pytest.mark.parametrize("typed", ["&lt;b&gt;", "&amp;", "a & b", "&#65;"])
def test_draw_dot_draws_a_label_as_typed(typed):
    drawing = viz.draw_dot(Value(1.0, label=typed) * 2)
    try:
        svg = drawing.to_svg()
    except viz.RenderError:
        pytest.skip("no Graphviz renderer here")
    from xml.etree import ElementTree

    texts = [e.text for e in ElementTree.fromstring(svg).iter() if e.tag.endswith("text")]
    assert typed in texts


@pytest.mark.parametrize(
    "label, error, message",
    [
        ("a\x00", ValueError, r"studio: the label 'a\\x00' holds a NUL character"),
        ("a\udc80", ValueError, r"studio: the label 'a\\udc80' is not valid Unicode text"),
        (b"ab", TypeError, r"studio: the label b'ab' is bytes, not text"),
    ],
)
def test_studio_refuses_a_label_it_cannot_show(label, error, message):
    with pytest.raises(error, match=message):
        ag.studio(Value(1.0, label=label) * 2)


def test_draw_dot_refuses_a_bytes_label():
    with pytest.raises(TypeError, match=r"draw_dot: the label b'ab' is bytes, not text"):
        viz.draw_dot(Value(1.0, label=b"ab") * 2)  # type: ignore[arg-type]


def _nested(depth: int) -> object:
    value: object = 1.0
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("depth", [3, 600, 950])
def test_a_model_file_with_a_weight_nested_deep_is_refused_by_name(tmp_path, depth):
    path = tmp_path / "model.json"
    nn.MLP(2, [1], seed=0).save(path)
    payload = json.loads(path.read_text())
    payload["state_dict"]["layers.0.weight"] = [[_nested(depth), 2.0]]  # 3 numbers still
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match=rf"^{path}: layers\.0\.weight: "):
        nn.MLP.load(path)
    with pytest.raises(ValueError, match=r"^layers\.0\.weight: wrong shape: expected shape 1×2, "
                       r"got lists nested more than 2 deep$"):  # fmt: skip
        nn.MLP(2, [1], seed=0).load_state_dict(payload["state_dict"])
