"""transformer: microgpt's blocks on Values, checked against independent truth.

Every gradient is compared with central differences, and where PyTorch is installed
the whole GPT is rebuilt in torch (float64, full-sequence attention with a causal
mask) from our state_dict, and its logits and every parameter's gradient compared.
"""

from __future__ import annotations

import doctest
import json
import math
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import data, losses, nn
from autograd_lite.engine import topological_order
from autograd_lite.nn import transformer
from autograd_lite.nn.transformer import (
    GPT,
    Block,
    CausalSelfAttention,
    Embedding,
    KVCache,
    Linear,
    MLPBlock,
    rms_norm,
)
from autograd_lite.softmax import cross_entropy, log_sum_exp, softmax

EMMA = [26, 4, 12, 12, 0, 26]  # the boundary, e m m a, the boundary


def values(xs):
    return [ag.Value(x) for x in xs]


def floats(vs):
    return [v.data for v in vs]


def numeric_gradients(params, loss_of, h=1e-6):
    """d loss / d p for each parameter by central differences on its .data."""
    grads = []
    for p in params:
        x = p.data
        p.data = x + h
        up = loss_of().data
        p.data = x - h
        down = loss_of().data
        p.data = x
        grads.append((up - down) / (2 * h))
    return grads


def assert_gradients_match(params, loss_of, rel=1e-6, abs_=1e-8):
    for p in params:
        p.grad = 0.0
    loss_of().backward()
    engine = [p.grad for p in params]
    numeric = numeric_gradients(params, loss_of)
    assert engine == pytest.approx(numeric, rel=rel, abs=abs_)
    assert any(abs(g) > 1e-3 for g in engine)  # the check is not vacuous


# --- the shape of the model ----------------------------------------------------------


def test_microgpt_default_has_4192_parameters_under_microgpts_names():
    model = GPT(27, seed=0)
    assert len(model.parameters()) == 4192 == GPT.parameter_count(27)
    shapes = {key: np.shape(t) for key, t in model.state_dict().items()}
    assert shapes == {
        "wte": (27, 16),
        "wpe": (16, 16),
        "lm_head": (27, 16),
        "layer0.attn_wq": (16, 16),
        "layer0.attn_wk": (16, 16),
        "layer0.attn_wv": (16, 16),
        "layer0.attn_wo": (16, 16),
        "layer0.mlp_fc1": (64, 16),
        "layer0.mlp_fc2": (16, 64),
    }


@pytest.mark.parametrize(
    "config",
    [
        dict(vocab_size=5, block_size=3, n_embd=4, n_head=2, n_layer=2),
        dict(vocab_size=30, block_size=8, n_embd=6, n_head=3, n_layer=3),
        dict(vocab_size=2, block_size=1, n_embd=1, n_head=1, n_layer=1),
    ],
)
def test_parameter_count_without_building_matches_the_model(config):
    assert len(GPT(**config, seed=1).parameters()) == GPT.parameter_count(**config)


def test_initial_weights_are_gaussian_draws_in_microgpts_order():
    # microgpt draws wte, wpe, lm_head, then wq wk wv wo fc1 fc2 of each layer, row by
    # row, from one generator: the same generator state gives the same model.
    model = GPT(27, seed=random.Random(7))
    rng = random.Random(7)
    assert floats(model.parameters()) == [rng.gauss(0, 0.08) for _ in range(4192)]
    weights = np.array(floats(model.parameters()))
    assert abs(weights.mean()) < 0.005 and weights.std() == pytest.approx(0.08, rel=0.05)


def test_a_seed_gives_the_same_weights_and_none_gives_fresh_ones():
    assert GPT(27, seed=3).state_dict() == GPT(27, seed=3).state_dict()
    assert GPT(27).state_dict() != GPT(27).state_dict()
    state = random.getstate()
    GPT(27, seed=5)
    assert random.getstate() == state  # the global generator is never used


# --- functions of a vector -------------------------------------------------------------


@given(st.lists(st.floats(-50, 50), min_size=1, max_size=8))
def test_rms_norm_gives_a_root_mean_square_of_one(xs):
    out = floats(rms_norm(values(xs)))
    ms = sum(x * x for x in xs) / len(xs)
    assert out == pytest.approx([x / math.sqrt(ms + 1e-5) for x in xs], rel=1e-12, abs=1e-12)


def test_rms_norm_gradient_matches_central_differences():
    ag.gradcheck(lambda v: rms_norm(v)[1] * 3 + rms_norm(v)[2], [0.3, -1.2, 2.0, 0.7])


@given(st.lists(st.floats(-1000, 1000), min_size=1, max_size=8))
def test_softmax_and_log_sum_exp_are_stable_and_exact(xs):
    m = max(xs)
    total = sum(math.exp(x - m) for x in xs)
    probs = floats(softmax(values(xs)))
    assert probs == pytest.approx([math.exp(x - m) / total for x in xs], rel=1e-12, abs=1e-300)
    assert sum(probs) == pytest.approx(1.0, rel=1e-12)
    assert log_sum_exp(values(xs)).data == pytest.approx(m + math.log(total), rel=1e-12)


def test_the_shift_reads_no_data_but_its_gradient_is_still_softmax_minus_onehot():
    # the max is a node, max(a, b) = b + relu(a - b): gradient flows through it, yet
    # the sum of what flows is zero up to rounding, for ties too
    for xs in ([2.0, -1.0, 0.5, 2.0], [1000.0, 999.0, -1000.0], [0.0, 0.0, 0.0]):
        logits = values(xs)
        loss = cross_entropy(logits, 1)
        loss.backward()
        m = max(xs)
        total = sum(math.exp(x - m) for x in xs)
        expected = [math.exp(x - m) / total - (i == 1) for i, x in enumerate(xs)]
        assert [v.grad for v in logits] == pytest.approx(expected, abs=1e-15)
        assert loss.data == pytest.approx(m + math.log(total) - xs[1], rel=1e-15)


def test_cross_entropy_agrees_with_losses_cross_entropy():
    xs = [0.3, -2.0, 1.7, 0.0, 5.5]
    ours, theirs = values(xs), values(xs)
    a, b = cross_entropy(ours, 3), losses.cross_entropy(theirs, 3)
    a.backward()
    b.backward()
    assert a.data == pytest.approx(b.data, rel=1e-15)
    assert floats_grad(ours) == pytest.approx(floats_grad(theirs), abs=1e-15)


def floats_grad(vs):
    return [v.grad for v in vs]


@pytest.mark.parametrize("fn", [lambda v: softmax(v)[0] - 2 * softmax(v)[2], log_sum_exp])
def test_softmax_and_log_sum_exp_gradients_match_central_differences(fn):
    ag.gradcheck(fn, [0.5, -1.5, 2.0, 0.1])


def test_softmax_and_cross_entropy_trace_and_replay_per_row():
    # Reading .data for the shift would be refused while tracing (or frozen at the
    # traced row, overflowing on the others); the relu max is recomputed per row.
    X = np.array([[1000.0, 999.0, -3.0], [-5.0, 3.0, 2.0], [0.0, -800.0, 1.0]])
    compiled = ag.compile(lambda v: cross_entropy(v, 1), 3)
    expected = [cross_entropy(values(row), 1).data for row in X.tolist()]
    np.testing.assert_allclose(compiled(X), expected, rtol=1e-12)
    compiled_probs = ag.compile(softmax, 3)
    expected_probs = [floats(softmax(values(row))) for row in X.tolist()]
    np.testing.assert_allclose(np.array(compiled_probs(X)), expected_probs, rtol=1e-12)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: cross_entropy(values([1.0, 2.0]), 2), ValueError, "target 2 is not an index"),
        (lambda: cross_entropy(values([1.0, 2.0]), 1.0), TypeError, "target must be an int"),
    ],
)
def test_cross_entropy_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- blocks with weights: gradients against central differences ---------------------


def test_linear_is_w_times_x_without_bias_and_its_gradients_are_right():
    layer = Linear(3, 2, seed=0)
    x = values([0.5, -1.0, 2.0])
    out = layer(x)
    w = layer.state_dict()["weight"]
    assert floats(out) == pytest.approx(
        [sum(wi * xi for wi, xi in zip(row, [0.5, -1.0, 2.0], strict=True)) for row in w]
    )
    assert len(layer.parameters()) == 6 == Linear.parameter_count(3, 2)
    assert_gradients_match(layer.parameters() + x, lambda: _weighted(layer(x)))


def _weighted(vs):
    return sum((v * (i + 1) for i, v in enumerate(vs)), ag.Value(0.0))


def test_embedding_returns_its_row_itself():
    table = Embedding(4, 3, seed=0)
    row = table(2)
    assert all(a is b for a, b in zip(row, table.weight[2], strict=True))
    _weighted(row).backward()
    assert floats_grad(table.weight[2]) == [1.0, 2.0, 3.0]
    assert floats_grad(table.weight[1]) == [0.0, 0.0, 0.0]


def _attention_loss(attn, xs):
    cache = KVCache()
    outs = [attn(x, cache) for x in xs]
    return sum((_weighted(o) * (t + 1) for t, o in enumerate(outs)), ag.Value(0.0))


def test_attention_gradients_match_central_differences():
    attn = CausalSelfAttention(4, 2, seed=1)
    xs = [
        values(row) for row in ([0.5, -1.0, 0.3, 2.0], [1.5, 0.2, -0.7, 0.1], [0.0, 1.0, 1.0, -2.0])
    ]
    inputs = [v for x in xs for v in x]
    assert_gradients_match(attn.parameters() + inputs, lambda: _attention_loss(attn, xs))


def test_mlp_block_and_block_gradients_match_central_differences():
    x = values([0.5, -1.0, 0.3, 2.0])
    mlp = MLPBlock(4, seed=2)
    assert len(mlp.parameters()) == 128 == MLPBlock.parameter_count(4)
    assert_gradients_match(mlp.parameters() + x, lambda: _weighted(mlp(x)))
    block = Block(4, 2, seed=3)
    xs = [x, values([1.0, 0.0, -0.5, 0.25])]

    def loss():
        cache = KVCache()
        return _weighted(block(xs[0], cache)) + _weighted(block(xs[1], cache))

    assert_gradients_match(block.parameters() + x, loss)


def test_a_small_gpts_gradients_match_central_differences_for_every_parameter():
    model = GPT(5, block_size=4, n_embd=4, n_head=2, n_layer=2, seed=4)
    assert len(model.parameters()) == 440
    assert_gradients_match(model.parameters(), lambda: model.loss([4, 1, 2, 0, 4]))


# --- attention: the cache against full-sequence attention ---------------------------


def _reference_attention(weights, xs, n_head):
    """Full-sequence causal attention on plain floats: all queries against all keys,
    the future masked out, written independently of the module."""

    def matvec(w, x):
        return [sum(a * b for a, b in zip(row, x, strict=True)) for row in w]

    wq, wk, wv, wo = (weights[f"{name}.weight"] for name in ("wq", "wk", "wv", "wo"))
    Q, K, V = ([matvec(w, x) for x in xs] for w in (wq, wk, wv))
    n, d = len(xs), len(xs[0])
    hd = d // n_head
    outs = []
    for t in range(n):
        joined = []
        for h in range(n_head):
            cols = range(h * hd, (h + 1) * hd)
            scores = [
                sum(Q[t][j] * K[s][j] for j in cols) / math.sqrt(hd) if s <= t else -math.inf
                for s in range(n)
            ]
            top = max(scores)
            e = [math.exp(sc - top) for sc in scores]
            p = [x / sum(e) for x in e]
            joined += [sum(p[s] * V[s][j] for s in range(n)) for j in cols]
        outs.append(matvec(wo, joined))
    return outs


def test_kv_cache_decoding_equals_full_sequence_attention():
    attn = CausalSelfAttention(6, 3, seed=5)
    rows = [[math.sin(3 * t + j) for j in range(6)] for t in range(5)]
    cache = KVCache()
    decoded = [floats(attn(values(row), cache)) for row in rows]
    reference = _reference_attention(attn.state_dict(), rows, 3)
    assert np.allclose(decoded, reference, rtol=1e-12, atol=1e-14)
    assert len(cache) == 5
    # position t attends to t + 1 positions; each head's weights sum to 1
    assert [len(heads[0]) for heads in cache.weights] == [1, 2, 3, 4, 5]
    assert all(sum(floats(w)) == pytest.approx(1.0) for heads in cache.weights for w in heads)


def test_gpt_logits_at_each_position_equal_a_fresh_run_on_the_prefix():
    model = GPT(27, seed=6)
    full = [floats(logits) for logits in model(EMMA)]
    for t in range(1, len(EMMA) + 1):
        assert floats(model(EMMA[:t])[-1]) == full[t - 1]
    # a later token cannot change an earlier position's logits: the mask is causal
    other = [floats(logits) for logits in model([*EMMA[:3], 7, 9])]
    assert other[:3] == full[:3] and other[3] != full[3]


def test_attention_traces_and_replays_on_numpy_rows():
    attn = CausalSelfAttention(4, 2, seed=7)

    def two_positions(v):
        cache = KVCache()
        attn(rms_norm(v[:4]), cache)
        return attn(rms_norm(v[4:]), cache)

    X = np.array(
        [[0.5, -1.0, 0.3, 2.0, 1.5, 0.2, -0.7, 0.1], [3.0, 1.0, -2.0, 0.0, 0.4, 0.4, 0.1, 9.0]]
    )
    compiled = ag.compile(two_positions, 8)
    expected = [floats(two_positions(values(row))) for row in X.tolist()]
    np.testing.assert_allclose(np.array(compiled(X)), expected, rtol=1e-10)


# --- the GPT against PyTorch ------------------------------------------------------------


def _torch_gpt(torch, model, tokens):
    """The same GPT in torch, float64, reading the whole sequence at once."""
    F = torch.nn.functional
    P = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in model.state_dict().items()
    }
    n = min(model.block_size, len(tokens) - 1)
    idx = torch.tensor(tokens[:n])
    hd = model.n_embd // model.n_head

    def rms(x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5)

    x = rms(P["wte"][idx] + P["wpe"][:n])
    for i in range(model.n_layer):
        h = rms(x)
        q, k, v = (
            (h @ P[f"layer{i}.attn_w{c}"].T).view(n, model.n_head, hd).transpose(0, 1)
            for c in "qkv"
        )
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + att.transpose(0, 1).reshape(n, model.n_embd) @ P[f"layer{i}.attn_wo"].T
        h = rms(x)
        x = x + F.relu(h @ P[f"layer{i}.mlp_fc1"].T) @ P[f"layer{i}.mlp_fc2"].T
    logits = x @ P["lm_head"].T
    loss = F.cross_entropy(logits, torch.tensor(tokens[1 : n + 1]))
    return logits, loss, P


@pytest.mark.parametrize(
    "config, tokens",
    [
        (dict(vocab_size=27), EMMA),
        (dict(vocab_size=27), [26, *range(20)]),  # longer than block_size: cut to 16
        (dict(vocab_size=7, block_size=6, n_embd=8, n_head=2, n_layer=2), [6, 1, 2, 3, 6]),
    ],
)
def test_gpt_logits_and_every_gradient_match_torch(config, tokens):
    torch = pytest.importorskip("torch")
    model = GPT(**config, seed=8)
    logits, loss, P = _torch_gpt(torch, model, tokens)
    loss.backward()
    n = len(logits)
    ours = model(tokens[:n])
    np.testing.assert_allclose(
        [floats(row) for row in ours], logits.detach().numpy(), rtol=0, atol=1e-10
    )
    our_loss = model.loss(tokens)
    our_loss.backward()
    assert our_loss.data == pytest.approx(loss.item(), abs=1e-12)
    tensors = model.tensors()
    for key, grad in P.items():
        ours_grad = np.array(_grads(tensors[key]))
        np.testing.assert_allclose(ours_grad, grad.grad.numpy(), rtol=0, atol=1e-10, err_msg=key)


def _grads(t):
    return t.grad if isinstance(t, ag.Value) else [_grads(item) for item in t]


# --- saving, sampling, errors ------------------------------------------------------------


def test_gpt_saves_to_json_and_loads_back_through_its_class_and_module(tmp_path):
    model = GPT(11, block_size=5, n_embd=6, n_head=3, n_layer=2, seed=9)
    path = model.save(tmp_path / "gpt.json")
    payload = json.loads(path.read_text())
    assert payload["class"] == "GPT"
    assert payload["config"] == dict(vocab_size=11, block_size=5, n_embd=6, n_head=3, n_layer=2)
    for loaded in (GPT.load(path), nn.GPT.load(path), nn.Module.load(path)):
        assert isinstance(loaded, GPT)
        assert loaded.state_dict() == model.state_dict()
        assert floats(loaded([10, 1, 2])[-1]) == floats(model([10, 1, 2])[-1])
    with pytest.raises(ValueError, match="holds a 'GPT', not a MLP"):
        nn.MLP.load(path)


def test_a_gpt_file_with_a_wrong_config_is_refused(tmp_path):
    path = GPT(5, block_size=2, n_embd=2, n_head=1, seed=0).save(tmp_path / "gpt.json")
    payload = json.loads(path.read_text())
    payload["config"]["n_embd"] = 4
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match="parameters but the file holds"):
        GPT.load(path)


def test_sampling_is_reproducible_bounded_and_follows_the_temperature():
    model = GPT(27, seed=10)
    a = [model.sample(26, seed=random.Random(1)) for _ in range(3)]
    rng = random.Random(1)
    assert [model.sample(26, seed=rng) for _ in range(3)] != a  # one generator advances
    assert model.sample(26, seed=11) == model.sample(26, seed=11)
    samples = [model.sample(26, seed=s) for s in range(30)]
    assert all(len(s) <= 16 and 26 not in s for s in samples)
    assert len({tuple(s) for s in samples}) > 20
    # a cold temperature draws the most likely first letter nearly always
    first = floats(model([26])[0])
    best = max(range(26), key=lambda i: first[i])
    cold = [model.sample(26, temperature=0.01, seed=s)[:1] for s in range(10)]
    assert all(s == [best] for s in cold)
    assert ag.engine.is_recording()  # sampling switched recording off only inside


def test_sampling_draws_like_microgpt_from_softmax_over_temperature():
    model = GPT(4, block_size=1, n_embd=2, n_head=1, seed=12)
    logits = floats(model([3])[0])
    probs = [math.exp(x / 0.5) for x in logits]
    rng = random.Random(13)
    expected = rng.choices(range(4), weights=probs)[0]
    drawn = model.sample(3, temperature=0.5, seed=random.Random(13))
    assert drawn == ([] if expected == 3 else [expected])


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: GPT(27, n_embd=10, n_head=4),
            ValueError,
            r"n_head \(4\) must divide n_embd \(10\)",
        ),
        (lambda: GPT(0), ValueError, "vocab_size must be at least 1"),
        (lambda: GPT(27, block_size=2.5), TypeError, "block_size must be an int"),
        (lambda: GPT(27, seed="x"), TypeError, "seed must be an int"),
        (lambda: GPT(27, seed=0)([26, 27]), ValueError, r"token 27 is not in \[0, 27\)"),
        (lambda: GPT(27, seed=0)([26, 1.0]), TypeError, "a token must be an int, got float"),
        (lambda: GPT(27, seed=0)("emma"), TypeError, "a list of token ids, got str"),
        (lambda: GPT(27, block_size=2, seed=0)([1, 2, 3]), ValueError, "longer than block_size 2"),
        (lambda: GPT(27, seed=0).loss([26]), ValueError, "at least 2 tokens, got 1"),
        (lambda: GPT(27, seed=0).sample(26, temperature=0), ValueError, "temperature must be"),
        (lambda: GPT(27, seed=0).sample(26, temperature="hot"), TypeError, "temperature must"),
        (lambda: Linear(3, 2, seed=0)(values([1.0])), ValueError, "Linear takes 3 inputs, got 1"),
        (lambda: Embedding(3, 2, seed=0)(3), ValueError, r"index 3 is not in \[0, 3\)"),
    ],
)
def test_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_one_training_step_of_one_name_is_a_graph_of_dot_nodes():
    model = GPT(27, seed=0)
    loss = model.loss(data.CharTokenizer(["abcdefghijklmnopqrstuvwxyz"]).frame("emma"))
    ops = Counter(node.op for node in topological_order(loss))
    # 5 positions, each: 3 RMSNorms (x·x), 3·16 + 16 + 64 + 16 + 27 rows of the linear
    # layers, 16 weighted sums of the values; and at position t, 4 heads × (t+1) scores
    assert ops["dot"] == 5 * (3 + 171 + 16) + 4 * (1 + 2 + 3 + 4 + 5)
    # a softmax's max: 1 relu per logit but one, 27 logits and 4 heads × (t+1) scores
    assert ops["relu"] == 5 * 64 + 5 * 26 + 4 * (0 + 1 + 2 + 3 + 4)
    # Σ of the exps: 1 per softmax (4 heads × 5 positions) and per log-sum-exp (5),
    # and the mean of the 5 losses
    assert ops["sum"] == 4 * 5 + 5 + 1
    assert 6_000 < sum(ops.values()) < 7_000  # of which 3,648 leaves: the weights used


def test_transformer_docstring_examples_run():
    results = doctest.testmod(transformer)
    assert results.attempted >= 4 and results.failed == 0


@pytest.mark.parametrize(
    "statement",
    [
        "from autograd_lite.nn.transformer import GPT; from autograd_lite import nn; "
        "assert nn.GPT is GPT",
        "from autograd_lite import nn; from autograd_lite.nn.transformer import GPT; "
        "assert nn.GPT is GPT",
    ],
)
def test_nn_gpt_is_the_transformers_whichever_module_is_imported_first(statement):
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", statement], check=True, timeout=120)
