"""nn: Neuron, Layer, MLP; initialisation, seeds, state dicts and model files."""

from __future__ import annotations

import json
import math
import random
import statistics

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite import Value, nn


def graph_nodes(root: Value) -> set[Value]:
    seen = {root}
    stack = [root]
    while stack:
        for p in stack.pop().parents:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def outputs(model: nn.MLP, points: list[list[float]]) -> list[float]:
    return [model(x).data for x in points]  # type: ignore[union-attr]


POINTS = [[0.3, -1.2], [2.0, 0.5], [-0.7, -0.1], [0.0, 0.0]]

# --- shapes and calls -------------------------------------------------------------


def test_parameter_counts():
    assert len(nn.MLP(2, [16, 16, 1]).parameters()) == 337
    assert len(nn.Layer(2, 16).parameters()) == 48
    assert len(nn.Neuron(3).parameters()) == 4
    assert nn.MLP.parameter_count(2, [16, 16, 1]) == 337


def test_parameters_are_the_named_ones_and_distinct():
    model = nn.MLP(2, [3, 1], seed=0)
    named = model.named_parameters()
    assert [p for _, p in named] == model.parameters()
    assert len({id(p) for p in model.parameters()}) == 13
    names = [n for n, _ in named]
    assert names[0] == "layers.0.weight[0][0]"
    assert names[1] == "layers.0.weight[0][1]"
    assert "layers.0.bias[2]" in names
    assert names[-1] == "layers.1.bias[0]"


def test_mlp_returns_a_value_for_one_output_and_a_list_otherwise():
    assert isinstance(nn.MLP(2, [4, 1], seed=0)([1.0, 2.0]), Value)
    out = nn.MLP(2, [4, 3], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3 and all(isinstance(v, Value) for v in out)


def test_layer_always_returns_a_list():
    out = nn.Layer(3, 1, seed=0)([1.0, 2.0, 3.0])
    assert isinstance(out, list) and len(out) == 1
    assert len(nn.Layer(3, 5, seed=0)([1.0, 2.0, 3.0])) == 5


def test_width_one_hidden_layer_works():
    model = nn.MLP(2, [16, 1, 1], seed=0)
    y = model([0.5, -0.5])
    assert isinstance(y, Value)
    y.backward()
    assert len(model.parameters()) == 48 + 17 + 2


def test_inputs_may_be_numbers_values_tuples_or_numpy_rows():
    model = nn.MLP(2, [5, 1], activation="tanh", seed=1)
    expected = model([0.25, -2.0]).data
    assert model((0.25, -2.0)).data == expected
    assert model(np.array([0.25, -2.0])).data == expected
    xs = [Value(0.25), Value(-2.0)]
    y = model(xs)
    assert y.data == expected
    y.backward()
    assert xs[0].grad != 0.0 and xs[1].grad != 0.0  # gradients reach the inputs


def test_wrong_inputs_are_clear_errors():
    model = nn.MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match="takes 2 inputs, got 3"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="sequence"):
        model(1.0)
    with pytest.raises(TypeError, match="sequence"):
        model("ab")
    with pytest.raises(TypeError, match="str"):
        model([1.0, "x"])
    with pytest.raises(ValueError, match="takes 3 inputs"):
        nn.Neuron(3)([1.0])
    with pytest.raises(ValueError, match="takes 2 inputs"):
        nn.Layer(2, 2)([1.0])


@pytest.mark.parametrize(
    "activation, f",
    [
        ("relu", lambda z: max(z, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
        ("leaky_relu", lambda z: z if z > 0 else 0.01 * z),
        ("linear", lambda z: z),
    ],
)
def test_neuron_computes_activation_of_w_dot_x_plus_b(activation, f):
    n = nn.Neuron(3, activation, seed=0)
    for w, v in zip(n.w, [0.5, -1.0, 2.0], strict=True):
        w.data = v
    n.b.data = 0.25
    for x in ([1.0, 1.0, 1.0], [-3.0, 1.0, -1.0]):  # z = 1.75 and -3.75
        z = 0.5 * x[0] - 1.0 * x[1] + 2.0 * x[2] + 0.25
        assert n(x).data == pytest.approx(f(z), rel=1e-15)


def test_mlp_forward_matches_a_hand_computation():
    model = nn.MLP(2, [2, 1], activation="tanh", output_activation="sigmoid", seed=0)
    state = {
        "layers.0.weight": [[1.0, -2.0], [0.5, 0.25]],
        "layers.0.bias": [0.1, -0.3],
        "layers.1.weight": [[1.5, -0.5]],
        "layers.1.bias": [0.2],
    }
    model.load_state_dict(state)
    x = [0.4, 0.7]
    h = [math.tanh(0.4 - 1.4 + 0.1), math.tanh(0.2 + 0.175 - 0.3)]
    expected = 1 / (1 + math.exp(-(1.5 * h[0] - 0.5 * h[1] + 0.2)))
    assert model(x).data == pytest.approx(expected, rel=1e-14)


def test_neuron_builds_one_dot_node_then_its_activation():
    nin = 16
    n = nn.Neuron(nin, "relu", seed=0)
    xs = [Value(float(i)) for i in range(nin)]
    out = n(xs)
    # leaves: nin weights, the bias, nin inputs; ops: one dot (w·x + b) and the relu
    assert len(graph_nodes(out)) == (2 * nin + 1) + 2
    (pre,) = out.parents
    assert pre.op == "dot" and pre.parents == (*n.w, *xs, n.b)
    assert pre.local_grads == (*[x.data for x in xs], *[w.data for w in n.w], 1.0)
    # the same number as the chain of * and + a learner writes, in the same order
    assert pre.data == sum((w.data * x.data for w, x in zip(n.w, xs, strict=True)), n.b.data)
    linear = nn.Neuron(nin, "linear", seed=0)(xs)
    assert linear.op == "dot" and len(graph_nodes(linear)) == (2 * nin + 1) + 1


def test_mlp_wraps_number_inputs_once_not_once_per_neuron():
    model = nn.MLP(2, [8, 1], activation="linear", seed=0)
    out = model([1.0, 2.0])
    leaves = [v for v in graph_nodes(out) if not v.parents]
    assert len(leaves) == len(model.parameters()) + 2


# --- initialisation and seeds ------------------------------------------------------


def test_same_seed_same_weights_other_seed_other_weights():
    a = nn.MLP(2, [8, 8, 1], seed=7).state_dict()
    assert nn.MLP(2, [8, 8, 1], seed=7).state_dict() == a
    assert nn.MLP(2, [8, 8, 1], seed=8).state_dict() != a
    assert nn.MLP(2, [8, 1]).state_dict() != nn.MLP(2, [8, 1]).state_dict()  # None: fresh


def test_seeding_leaves_the_global_random_states_alone():
    # (without a seed the weights come from the global random module, as in micrograd:
    # tests/test_micrograd_lecture.py)
    random.seed(123)
    np.random.seed(123)
    before = random.getstate(), np.random.get_state()[1].copy()
    nn.MLP(2, [16, 16, 1], seed=0)
    nn.MLP(2, [4, 1], seed=random.Random(5))
    nn.Layer(3, 3, seed=1)
    nn.Neuron(3, seed=2)
    assert random.getstate() == before[0]
    assert (np.random.get_state()[1] == before[1]).all()


def test_relu_layers_use_he_and_tanh_layers_glorot_uniform_init():
    relu = nn.Layer(50, 40, "relu", seed=0)
    tanh = nn.Layer(50, 40, "tanh", seed=0)
    he, glorot = math.sqrt(6 / 50), math.sqrt(6 / 90)
    for layer, bound in ((relu, he), (tanh, glorot)):
        ws = [w.data for n in layer.neurons for w in n.w]
        assert max(abs(w) for w in ws) <= bound
        assert max(abs(w) for w in ws) > 0.95 * bound  # the range is used
        # uniform on [-a, a] has variance a²/3
        assert statistics.pvariance(ws) == pytest.approx(bound**2 / 3, rel=0.1)
        assert all(n.b.data == 0.0 for n in layer.neurons)
    assert nn.init_bound("leaky_relu", 8, 1) == math.sqrt(6 / 8)
    assert nn.init_bound("sigmoid", 8, 4) == math.sqrt(6 / 12)


def test_relu_network_keeps_its_signal_alive_through_depth():
    # With He init the activations neither die out nor blow up across layers.
    model = nn.MLP(20, [64, 64, 64, 64, 1], seed=0)
    rng = np.random.default_rng(0)
    scales = []
    with ag.no_grad():
        for _ in range(20):
            h = [Value(float(v)) for v in rng.normal(size=20)]
            for layer in model.layers[:-1]:
                h = layer(h)
            scales.append(statistics.fmean(v.data**2 for v in h))
    assert 0.2 < statistics.fmean(scales) < 5.0


def test_bad_constructor_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="activation must be one of"):
        nn.MLP(2, [4, 1], activation="softmax")
    with pytest.raises(ValueError, match="output_activation"):
        nn.MLP(2, [4, 1], output_activation="gelu")
    with pytest.raises(ValueError, match="nin must be at least 1"):
        nn.Neuron(0)
    with pytest.raises(TypeError, match="nin must be an int"):
        nn.Layer("2", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nouts"):
        nn.MLP(2, [])
    with pytest.raises(ValueError, match=r"nouts\[1\] must be at least 1"):
        nn.MLP(2, [4, 0])
    with pytest.raises(TypeError, match="seed"):
        nn.MLP(2, [4, 1], seed=1.5)  # type: ignore[arg-type]


def test_zero_grad_resets_every_parameter():
    model = nn.MLP(2, [4, 1], seed=0)
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_reprs_name_the_architecture():
    assert repr(nn.MLP(2, [16, 1], seed=0)) == (
        "MLP(2, [16, 1], activation='relu', output_activation='linear')"
    )
    assert repr(nn.Layer(2, 3, "tanh")) == "Layer(2, 3, activation='tanh')"
    assert repr(nn.Neuron(2)) == "Neuron(2, activation='relu')"


# --- state dicts --------------------------------------------------------------------


def test_state_dict_keys_shapes_and_types():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    state = model.state_dict()
    assert list(state) == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
        "layers.2.weight",
        "layers.2.bias",
    ]
    assert np.shape(state["layers.0.weight"]) == (16, 2)
    assert np.shape(state["layers.1.weight"]) == (16, 16)
    assert np.shape(state["layers.2.weight"]) == (1, 16)
    assert np.shape(state["layers.2.bias"]) == (1,)
    assert all(type(x) is float for row in state["layers.1.weight"] for x in row)
    # row i holds neuron i's weights, as torch.nn.Linear
    assert state["layers.1.weight"][3] == [w.data for w in model.layers[1].neurons[3].w]
    # a copy: changing it does not touch the model
    state["layers.0.bias"][0] = 99.0
    assert model.layers[0].neurons[0].b.data == 0.0


def test_neuron_and_layer_state_dicts():
    assert list(nn.Neuron(3, seed=0).state_dict()) == ["weight", "bias"]
    assert np.shape(nn.Layer(3, 2, seed=0).state_dict()["weight"]) == (2, 3)


def test_load_state_dict_round_trip_gives_identical_outputs():
    a = nn.MLP(2, [6, 6, 1], activation="tanh", seed=1)
    b = nn.MLP(2, [6, 6, 1], activation="tanh", seed=2)
    assert outputs(a, POINTS) != outputs(b, POINTS)
    b.load_state_dict(a.state_dict())
    assert outputs(a, POINTS) == outputs(b, POINTS)
    assert b.state_dict() == a.state_dict()


def test_load_state_dict_keeps_the_same_value_objects():
    model = nn.MLP(2, [3, 1], seed=0)
    params = model.parameters()
    model.load_state_dict(nn.MLP(2, [3, 1], seed=1).state_dict())
    assert all(p is q for p, q in zip(params, model.parameters(), strict=True))


def test_load_state_dict_accepts_numpy_arrays():
    a = nn.MLP(2, [4, 1], seed=1)
    b = nn.MLP(2, [4, 1], seed=2)
    b.load_state_dict({k: np.array(v) for k, v in a.state_dict().items()})
    assert b.state_dict() == a.state_dict()


def _bad_states():
    good = nn.MLP(2, [3, 1], seed=5).state_dict()

    def changed(**edits):
        state = json.loads(json.dumps(good))
        for key, value in edits.items():
            key = key.replace("__", ".")
            if value is KeyError:
                del state[key]
            else:
                state[key] = value
        return state

    return [
        (changed(layers__1__bias=KeyError), "missing key 'layers.1.bias'"),
        ({**good, "layers.2.weight": [[1.0]]}, "unexpected key 'layers.2.weight'"),
        (changed(layers__0__weight=[[1.0, 2.0]] * 2), r"layers.0.weight: wrong shape: .*3×2.*2×2"),
        (changed(layers__0__weight=[[1.0, 2.0, 3.0]] * 3), r"layers.0.weight: wrong shape"),
        (changed(layers__0__weight=[[1.0, 2.0], [1.0], [1.0, 2.0]]), "layers.0.weight: .*ragged"),
        (changed(layers__0__bias=1.0), r"layers.0.bias: wrong shape: .*shape 3.*a number"),
        (changed(layers__1__bias=["0.5"]), "layers.1.bias: expected numbers, found str"),
        (changed(layers__1__bias=[None]), "layers.1.bias: expected numbers, found NoneType"),
        (changed(layers__1__bias=[True]), "layers.1.bias: expected numbers, found bool"),
        (changed(layers__1__bias=[float("nan")]), "layers.1.bias: expected finite numbers"),
        (changed(layers__1__weight=[[0.0, float("inf"), 0.0]]), "layers.1.weight: .*finite"),
    ]


@pytest.mark.parametrize("state, message", _bad_states())
def test_load_state_dict_rejects_bad_dicts_and_changes_nothing(state, message):
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_load_state_dict_needs_a_mapping():
    with pytest.raises(TypeError, match="needs a dict"):
        nn.MLP(2, [3, 1]).load_state_dict([1, 2, 3])  # type: ignore[arg-type]


def test_a_bad_later_key_leaves_earlier_keys_unloaded():
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    state = nn.MLP(2, [3, 1], seed=1).state_dict()
    state["layers.1.bias"] = ["bad"]
    with pytest.raises(ValueError, match="layers.1.bias"):
        model.load_state_dict(state)
    assert model.state_dict()["layers.0.weight"] == before["layers.0.weight"]


def test_submodules_are_reachable_from_the_package():
    assert ag.nn.MLP is nn.MLP


# --- PyTorch ------------------------------------------------------------------------


def _torch_mlp(torch, sizes, activation, output_activation):
    acts = {
        "relu": torch.relu,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, 0.01),
        "linear": lambda t: t,
    }

    class TorchMLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList(
                torch.nn.Linear(a, b, dtype=torch.float64)
                for a, b in zip(sizes, sizes[1:], strict=False)
            )

        def forward(self, x):
            for i, layer in enumerate(self.layers):
                last = i == len(self.layers) - 1
                x = acts[output_activation if last else activation](layer(x))
            return x

    return TorchMLP()


@pytest.mark.parametrize(
    "activation, output_activation",
    [("relu", "linear"), ("tanh", "sigmoid"), ("leaky_relu", "tanh"), ("sigmoid", "relu")],
)
def test_state_dict_loads_into_an_equivalent_torch_module(activation, output_activation):
    torch = pytest.importorskip("torch")
    model = nn.MLP(3, [7, 5, 2], activation, output_activation, seed=4)
    for p in model.parameters():  # non-zero biases too
        p.data += 0.1
    twin = _torch_mlp(torch, [3, 7, 5, 2], activation, output_activation)
    twin.load_state_dict(
        {k: torch.tensor(v, dtype=torch.float64) for k, v in model.state_dict().items()}
    )
    x = np.random.default_rng(0).normal(size=(10, 3))
    expected = twin(torch.tensor(x)).detach().numpy()
    ours = np.array([[v.data for v in model(row)] for row in x])  # type: ignore[union-attr]
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-14)


def test_torch_state_dict_loads_into_our_model():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    twin = _torch_mlp(torch, [2, 16, 16, 1], "relu", "linear")
    model = nn.MLP(2, [16, 16, 1], seed=0)
    model.load_state_dict(twin.state_dict())
    x = np.random.default_rng(1).normal(size=(8, 2))
    expected = twin(torch.tensor(x)).detach().numpy()[:, 0]
    np.testing.assert_allclose([model(row).data for row in x], expected, rtol=1e-12)  # type: ignore[union-attr]


def test_every_function_of_the_table_is_an_activation():
    from autograd_lite import primitives as P

    assert set(nn.ACTIVATIONS) == {*P.FUNCTIONS, "linear"}
    x = [0.3, -0.2]
    for name in ("softplus", "sin", "abs"):
        neuron = nn.Neuron(2, activation=name, seed=0)
        pre = sum((w.data * xi for w, xi in zip(neuron.w, x, strict=True)), neuron.b.data)
        assert neuron(x).data == pytest.approx(getattr(Value(pre), name)().data)
