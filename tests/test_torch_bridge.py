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
