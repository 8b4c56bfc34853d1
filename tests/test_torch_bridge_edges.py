"""``MLP.from_torch`` takes exactly what an MLP can compute, and refuses the rest by name:
a module is matched by isinstance of torch's classes, not by its class's name; a subclass
that overrides forward, or has hooks, computes something unknown; complex, integer and
meta weights have no counterpart; Linear sizes must chain."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from autograd_lite import nn  # noqa: E402


def _check_same_function(module, model, nin):
    X = torch.randn(5, nin, dtype=torch.float64)
    expected = module(X).detach().flatten().tolist()
    got = []
    for row in X.tolist():
        out = model(row)
        got += [v.data for v in out] if isinstance(out, list) else [out.data]
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


class Tanh(torch.nn.Module):
    """Named Tanh, computes 2x: not torch's Tanh."""

    def forward(self, x):
        return 2 * x


class ShiftedLinear(torch.nn.Linear):
    def forward(self, x):
        return super().forward(x) + 100.0


class ShiftedSequential(torch.nn.Sequential):
    def forward(self, x):
        return super().forward(x) + 100.0


class DoubledTanh(torch.nn.Tanh):
    def forward(self, x):
        return 2 * torch.tanh(x)


class PlainTanh(torch.nn.Tanh):
    """A subclass that computes what Tanh computes: accepted."""

    extra = "only a docstring and an attribute"


def test_a_module_merely_named_like_an_activation_is_refused():
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), Tanh(), torch.nn.Linear(3, 1))
    with pytest.raises(ValueError, match=r"from_torch: module\[1\] \(Tanh\) has no counterpart"):
        nn.MLP.from_torch(module)


@pytest.mark.parametrize(
    "module, where, kind, base",
    [
        (lambda: torch.nn.Sequential(ShiftedLinear(2, 1)), r"module\[0\]", "ShiftedLinear",
         "Linear"),
        (lambda: ShiftedSequential(torch.nn.Linear(2, 1)), "module", "ShiftedSequential",
         "Sequential"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), DoubledTanh(), torch.nn.Linear(3, 1)),
         r"module\[1\]", "DoubledTanh", "Tanh"),
    ],
    ids=["Linear", "Sequential", "activation"],
)  # fmt: skip
def test_a_subclass_that_overrides_forward_is_refused(module, where, kind, base):
    with pytest.raises(
        ValueError, match=rf"from_torch: {where} \({kind}\) overrides forward of torch's {base}"
    ):
        nn.MLP.from_torch(module())


def test_a_subclass_that_computes_as_its_base_is_taken():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), PlainTanh(), torch.nn.Linear(3, 1))
    module = module.double()
    model = nn.MLP.from_torch(module)
    assert model.activation == "tanh"
    _check_same_function(module, model, 2)


def test_a_module_with_a_forward_hook_is_refused():
    linear = torch.nn.Linear(2, 1)
    linear.register_forward_hook(lambda mod, inputs, output: output + 100)
    with pytest.raises(ValueError, match=r"from_torch: module\[0\] \(Linear\) has forward hooks"):
        nn.MLP.from_torch(torch.nn.Sequential(linear))


@pytest.mark.parametrize("dtype", [torch.complex128, torch.complex64])
def test_complex_weights_are_refused(dtype):
    module = torch.nn.Sequential(torch.nn.Linear(2, 1, dtype=dtype))
    with pytest.raises(
        ValueError, match=rf"from_torch: module\[0\] \(Linear\) has a weight of dtype {dtype}"
    ):
        nn.MLP.from_torch(module)


def test_integer_weights_are_refused():
    linear = torch.nn.Linear(2, 1, bias=False)
    linear.weight = torch.nn.Parameter(torch.ones(1, 2, dtype=torch.int64), requires_grad=False)
    with pytest.raises(ValueError, match=r"has a weight of dtype torch.int64"):
        nn.MLP.from_torch(torch.nn.Sequential(linear))


def test_a_linear_on_the_meta_device_is_refused():
    module = torch.nn.Sequential(torch.nn.Linear(2, 1, device="meta"))
    with pytest.raises(
        ValueError, match=r"from_torch: module\[0\] \(Linear\) is on the meta device"
    ):
        nn.MLP.from_torch(module)


def test_layer_sizes_that_do_not_chain_are_refused_by_from_torch():
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    with pytest.raises(
        ValueError,
        match=r"from_torch: module\[2\] \(Linear\) takes 4 inputs but the Linear before it "
        r"gives 3",
    ):
        nn.MLP.from_torch(module)


def test_a_weight_of_another_shape_than_its_sizes_is_refused():
    linear = torch.nn.Linear(2, 3)
    linear.weight = torch.nn.Parameter(torch.ones(3, 5))
    with pytest.raises(ValueError, match=r"has a weight of shape \(3, 5\), not \(3, 2\)"):
        nn.MLP.from_torch(torch.nn.Sequential(linear))


def test_float32_and_to_torch_modules_are_still_taken():
    torch.manual_seed(1)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 2))
    model = nn.MLP.from_torch(module)
    _check_same_function(module.double(), model, 3)
    back = nn.MLP.from_torch(model.to_torch())
    assert back.state_dict() == model.state_dict()
