"""One call to PyTorch and back: the same function, to 1e-12, in float64."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import nn

torch = pytest.importorskip("torch")

X = np.random.default_rng(0).normal(size=(7, 3))


@pytest.mark.parametrize(
    "activation, output_activation",
    [("relu", "linear"), ("tanh", "tanh"), ("sigmoid", "sigmoid"), ("leaky_relu", "relu")],
)
def test_to_torch_computes_the_same_outputs(activation, output_activation):
    model = nn.MLP(3, [5, 4, 2], activation=activation, output_activation=output_activation, seed=1)
    module = model.to_torch()
    got = module(torch.tensor(X, dtype=torch.float64)).detach().numpy()
    expected = np.array([[v.data for v in model(x)] for x in X.tolist()])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    assert module.layers[1].weight.tolist() == model.state_dict()["layers.1.weight"]
    assert set(module.state_dict()) == set(model.state_dict())  # the same keys: loads as is


def test_from_torch_is_the_way_back_and_reads_trained_weights():
    model = nn.MLP(3, [4, 1], activation="tanh", seed=2)
    module = model.to_torch()
    with torch.no_grad():
        module.layers[0].weight += 0.25  # "trained" in PyTorch
    again = nn.MLP.from_torch(module)
    assert (again.activation, again.output_activation, again.nouts) == ("tanh", "linear", [4, 1])
    got = [again(x).data for x in X.tolist()]
    expected = module(torch.tensor(X, dtype=torch.float64))[:, 0].tolist()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_from_torch_takes_a_plain_sequential_and_names_what_it_cannot_take():
    plain = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    model = nn.MLP.from_torch(plain)
    assert model.nouts == [3, 1] and model.activation == "relu"
    x = torch.tensor([[0.5, -1.0]], dtype=torch.float32)
    assert model([0.5, -1.0]).data == pytest.approx(plain(x).item(), rel=1e-6)
    with pytest.raises(ValueError, match=r"module\[1\] \(Dropout\)"):
        nn.MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout()))
    with pytest.raises(TypeError, match="Sequential"):
        nn.MLP.from_torch(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="slope 0.2"):
        nn.MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.LeakyReLU(0.2)))


def test_to_torch_names_an_activation_it_cannot_carry_over():
    with pytest.raises(ValueError, match="to_torch: the activation 'sin'"):
        nn.MLP(2, [3, 1], activation="sin", seed=0).to_torch()


def test_from_torch_reads_a_linear_without_bias_as_a_bias_of_zero():
    plain = torch.nn.Sequential(torch.nn.Linear(2, 2, bias=False, dtype=torch.float64))
    model = nn.MLP.from_torch(plain)
    x = [0.5, -1.0]
    expected = plain(torch.tensor([x], dtype=torch.float64))[0].tolist()
    assert [v.data for v in model(x)] == pytest.approx(expected, rel=1e-12)


# --- the GPT ----------------------------------------------------------------------


def gpt_logits(model, tokens):
    return np.array([[v.data for v in row] for row in model(tokens)])


@pytest.mark.parametrize("size", [dict(), dict(n_embd=8, n_head=2, n_layer=2, block_size=6)])
def test_gpt_to_torch_gives_the_same_logits_one_sequence_or_a_batch(size):
    model = nn.GPT(9, seed=4, **size)
    module = model.to_torch()
    tokens = [8, 0, 3, 3, 7, 1]
    expected = gpt_logits(model, tokens)
    got = module(torch.tensor(tokens)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    batch = module(torch.tensor([tokens, [8, 2, 2, 2, 2, 2]])).detach().numpy()
    np.testing.assert_allclose(batch[0], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(batch[1], gpt_logits(model, [8, 2, 2, 2, 2, 2]), atol=1e-12)
    assert module.wte.weight.dtype == torch.float64
    assert (
        module.layers[-1].attn_wq.weight.tolist()
        == model.state_dict()[f"layer{model.n_layer - 1}.attn_wq"]
    )


def test_gpt_from_torch_reads_weights_trained_in_torch():
    model = nn.GPT(6, block_size=5, n_embd=8, n_head=2, seed=1)
    module = model.to_torch()
    optimizer = torch.optim.Adam(module.parameters(), lr=0.05)
    tokens = torch.tensor([5, 0, 1, 2, 5])
    for _ in range(3):  # trained in PyTorch
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(module(tokens[:-1]), tokens[1:]).backward()
        optimizer.step()
    again = nn.GPT.from_torch(module)
    assert isinstance(again, nn.GPT) and again.config() == model.config()
    assert again.state_dict() != model.state_dict()
    expected = module(tokens).detach().numpy()
    np.testing.assert_allclose(gpt_logits(again, tokens.tolist()), expected, rtol=0, atol=1e-12)


def test_gpt_from_torch_names_what_a_gpt_cannot_hold():
    def module():
        return nn.GPT(6, block_size=5, n_embd=8, n_head=2, seed=1).to_torch()

    with pytest.raises(TypeError, match="from_torch: Sequential is not a module made by GPT.to_"):
        nn.GPT.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2)))
    with_bias = module()
    with_bias.layers[0].attn_wq = torch.nn.Linear(8, 8, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"from_torch: TorchGPT.layers.0.attn_wq has a bias"):
        nn.GPT.from_torch(with_bias)
    wider = module()
    wider.layers[0].mlp_fc1 = torch.nn.Linear(8, 16, bias=False, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"mlp_fc1.weight has shape \(16, 8\).* is \(32, 8\)"):
        nn.GPT.from_torch(wider)
    other_eps = module()
    other_eps.eps = 1e-6
    with pytest.raises(ValueError, match="its RMSNorm adds eps 1e-06; a GPT's adds 1e-05"):
        nn.GPT.from_torch(other_eps)
    padded = module()
    padded.wte.padding_idx = 0
    with pytest.raises(ValueError, match="TorchGPT.wte has a padding_idx or max_norm"):
        nn.GPT.from_torch(padded)
    three_heads = module()
    three_heads.n_head = three_heads.layers[0].n_head = 3
    with pytest.raises(ValueError, match=r"its n_head \(3\) does not divide n_embd \(8\)"):
        nn.GPT.from_torch(three_heads)
    mixed = module()
    mixed.layers[0].n_head = 4
    with pytest.raises(ValueError, match=r"different head counts \[2, 4\]"):
        nn.GPT.from_torch(mixed)
    broken = module()
    with torch.no_grad():
        broken.lm_head.weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="from_torch: TorchGPT: .*lm_head"):
        nn.GPT.from_torch(broken)
