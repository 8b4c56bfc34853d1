"""The GPT's compiled step (CompiledStep: one traced tape of a whole block, replayed level by
level) against the scalar graph, PyTorch and itself."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import data, optim
from autograd_lite.nn.transformer import GPT
from autograd_lite.training import gpt as gpt_training
from autograd_lite.training.gpt import CompiledStep


def gradients(model):
    return np.array([p.grad for p in model.parameters()])

SIZES = [
    dict(),  # microgpt's
    dict(n_embd=12, n_head=3, n_layer=2),
    dict(n_embd=8, n_head=2, n_layer=3, block_size=5),  # names longer than the block are cut
    dict(n_embd=6, n_head=3, block_size=12),
]


def names_and_tokenizer():
    names = data.load_names()
    random.Random(7).shuffle(names)
    return names, data.CharTokenizer(names)


def adam(model):
    return optim.Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)


@pytest.mark.parametrize("size", SIZES)
def test_steps_give_the_scalar_graphs_losses_weights_and_gradients(size):
    names, tokenizer = names_and_tokenizer()
    scalar_model = GPT(tokenizer.vocab_size, seed=1, **size)
    compiled_model = GPT(tokenizer.vocab_size, seed=1, **size)
    scalar_opt, compiled_opt = adam(scalar_model), adam(compiled_model)
    step = CompiledStep()
    for k in range(5):  # batches of 1 and of 3 names of several lengths
        batch = [tokenizer.frame(n) for n in names[4 * k : 4 * k + (1 if k % 2 else 3)]]
        expected = gpt_training.scalar_step(scalar_model, scalar_opt, batch)
        assert step(compiled_model, compiled_opt, batch) == pytest.approx(expected, abs=1e-12)
    step.write_back()
    for p, q in zip(scalar_model.parameters(), compiled_model.parameters(), strict=True):
        assert q.data == pytest.approx(p.data, abs=1e-12)
        assert q.grad == pytest.approx(p.grad, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    tokens=st.lists(st.integers(0, 4), min_size=2, max_size=9),
    heads=st.sampled_from([1, 2, 4]),
    layers=st.integers(1, 2),
)
def test_any_sequence_gives_the_scalar_gradient(tokens, heads, layers):
    # repeated tokens (one embedding row read twice), any length up to past the block
    model = GPT(5, block_size=6, n_embd=4, n_head=heads, n_layer=layers, seed=3)
    loss = model.loss(tokens)
    loss.backward()
    expected = [p.grad for p in model.parameters()]
    step = CompiledStep()
    got = step(model, optim.SGD(model.parameters(), lr=0.0), [tokens])
    assert got == pytest.approx(loss.data, abs=1e-12)
    step.write_back()
    np.testing.assert_allclose(gradients(model), expected, rtol=0, atol=1e-12)


def test_the_weights_stay_in_the_vector_until_write_back():
    model = GPT(5, block_size=4, n_embd=4, n_head=2, seed=0)
    before = model.state_dict()
    step = CompiledStep()
    step(model, optim.SGD(model.parameters(), lr=0.1), [[4, 1, 2, 4]])
    assert model.state_dict() == before  # not yet written
    step.write_back()
    after = model.state_dict()
    assert after != before
    step.write_back()  # (once: a second write_back changes nothing)
    assert model.state_dict() == after


def test_another_model_gets_the_last_models_weights_written_back_first():
    first, second = (GPT(5, block_size=4, n_embd=4, n_head=2, seed=s) for s in (0, 1))
    before = first.state_dict()
    step = CompiledStep()
    step(first, optim.SGD(first.parameters(), lr=0.1), [[4, 1, 2, 4]])
    step(second, optim.SGD(second.parameters(), lr=0.1), [[4, 1, 2, 4]])
    assert first.state_dict() != before


def test_train_writes_the_weights_back_at_its_end_and_on_an_error():
    model = GPT(5, block_size=4, n_embd=4, n_head=2, seed=0)
    twin = GPT(5, block_size=4, n_embd=4, n_head=2, seed=0)
    docs = [[4, 1, 2, 4], [4, 3, 4]]
    gpt_training.train(model, docs, optim.SGD(model.parameters(), lr=0.1), 3, step=CompiledStep())
    gpt_training.train(twin, docs, optim.SGD(twin.parameters(), lr=0.1), 3)
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        assert p.data == pytest.approx(q.data, abs=1e-14)

    class Failing(CompiledStep):
        calls = 0

        def __call__(self, model, optimizer, batch):
            self.calls += 1
            if self.calls == 3:
                raise ValueError("a step that fails")
            return super().__call__(model, optimizer, batch)

    trained = model.state_dict()
    with pytest.raises(ValueError, match="a step that fails"):
        gpt_training.train(model, docs, optim.SGD(model.parameters(), lr=0.1), 5, step=Failing())
    assert model.state_dict() != trained  # the two steps made before the error are kept


def test_a_gradient_of_nan_is_refused_and_nothing_moves():
    model = GPT(5, block_size=4, n_embd=4, n_head=2, seed=0)
    model.lm_head.weight[0][0]._data = float("inf")  # the logits of token 0: inf
    before = [p.data for p in model.parameters()]
    step = CompiledStep()
    with pytest.raises(ValueError, match=r"SGD.step: the gradient of parameter \d+ is nan"):
        step(model, optim.SGD(model.parameters(), lr=0.1), [[4, 1, 4]])
    step.write_back()
    np.testing.assert_array_equal([p.data for p in model.parameters()], before)


def test_samples_are_the_scalar_models_draws():
    model = GPT(27, seed=5)
    mine, theirs = random.Random(11), random.Random(11)
    step = CompiledStep()
    for _ in range(10):
        assert step.sample(model, 26, 0.7, mine) == model.sample(26, 0.7, seed=theirs)
    with pytest.raises(ValueError, match="CompiledStep.sample: temperature must be a finite"):
        step.sample(model, 26, 0.0, mine)
    with pytest.raises(ValueError, match=r"token 27 is not in \[0, 27\)"):
        step.sample(model, 27, 0.5, mine)
    assert step.sample(model, 26, 0.7, seed=3) == model.sample(26, 0.7, seed=3)  # an int
    with pytest.raises(TypeError, match="seed must be an int, a random.Random or None"):
        step.sample(model, 26, 0.7, seed="3")


def test_samples_after_training_read_the_trained_weights():
    names, tokenizer = names_and_tokenizer()
    model, twin = (GPT(tokenizer.vocab_size, n_embd=8, n_head=2, seed=6) for _ in range(2))
    docs = [tokenizer.frame(n) for n in names[:20]]
    step = CompiledStep()
    gpt_training.train(model, docs, adam(model), 20, step=step)
    gpt_training.train(twin, docs, adam(twin), 20)
    mine, theirs = random.Random(2), random.Random(2)
    for _ in range(5):
        expected = twin.sample(tokenizer.boundary, 0.5, seed=theirs)
        assert step.sample(model, tokenizer.boundary, 0.5, mine) == expected


def test_the_tape_gives_the_models_logits_and_losses():
    model = GPT(7, block_size=6, n_embd=8, n_head=2, n_layer=2, seed=4)
    tokens = [6, 0, 5, 5, 2, 1, 6]
    step = CompiledStep()
    step(model, optim.SGD(model.parameters(), lr=0.0), [tokens])
    whole = step.tapes[7]  # the whole block: 6 losses, then 6 · 7 logits
    rows = np.zeros((1, 7 * 7))
    rows[0, np.arange(7) * 7 + tokens] = 1.0
    outputs = whole(rows)[0]
    logits, losses = model.logits_and_losses(tokens)
    np.testing.assert_allclose(outputs[:6], [v.data for v in losses], rtol=0, atol=1e-13)
    expected = [v.data for row in logits for v in row]
    np.testing.assert_allclose(outputs[6:], expected, rtol=0, atol=1e-13)


def test_the_gradient_is_torch_autograds():
    torch = pytest.importorskip("torch")
    model = GPT(6, block_size=5, n_embd=8, n_head=2, n_layer=2, seed=9)
    tokens = [5, 0, 3, 3, 1, 5]
    module = model.to_torch()
    logits = module(torch.tensor(tokens[:-1]))
    torch.nn.functional.cross_entropy(logits, torch.tensor(tokens[1:])).backward()
    names = {"wte": "wte.weight", "wpe": "wpe.weight", "lm_head": "lm_head.weight"}
    for i in range(2):
        for part in ("attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1", "mlp_fc2"):
            names[f"layer{i}.{part}"] = f"layers.{i}.{part}.weight"
    torch_grads = dict(module.named_parameters())
    expected = np.concatenate([torch_grads[names[k]].grad.numpy().ravel() for k in model.tensors()])
    step = CompiledStep()
    step(model, optim.SGD(model.parameters(), lr=0.0), [tokens])
    step.write_back()
    np.testing.assert_allclose(gradients(model), expected, rtol=0, atol=1e-12)


def test_after_write_back_the_next_step_reads_the_values_again():
    model = GPT(5, block_size=4, n_embd=4, n_head=2, seed=0)
    twin = GPT(5, block_size=4, n_embd=4, n_head=2, seed=1)
    step, sgd = CompiledStep(), optim.SGD(model.parameters(), lr=0.1)
    step(model, sgd, [[4, 1, 2, 4]])
    step.write_back()
    model.load_state_dict(twin.state_dict())  # changed from outside, between two runs
    got = step(model, sgd, [[4, 3, 4]])
    assert got == pytest.approx(twin.loss([4, 3, 4]).data, abs=1e-14)
