"""Every primitive on numpy arrays agrees with its float forward, errors included."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from autograd_lite import array_ops as A
from autograd_lite import primitives as P

SPECIAL = [-math.inf, -800.0, -2.5, -1.0, -0.5, -0.0, 0.0, 1e-300, 0.5, 1.0, 2.0, 3.0, 800.0]
SPECIAL += [math.inf, math.nan]
EXPONENTS = [2.0, 3.0, 0.5, 1 / 3, -1.0, -0.5, -2.0, 0.0, 1.0, math.inf, math.nan]


def every_primitive() -> list[P.Primitive]:
    """The whole table, with the parametrised primitives at several parameters."""
    return [
        *P.UNARY.values(),
        *P.BINARY.values(),
        *(P.pow_by_constant(n) for n in EXPONENTS),
        *(P.leaky_relu(s) for s in (0.01, 0.2, 0.0)),
    ]


def arity(prim: P.Primitive) -> int:
    return 2 if prim in P.BINARY.values() else 1


def float_outcome(prim: P.Primitive, args: tuple[float, ...]):
    """("ok", value) or ("error", exception type, message) of the float forward."""
    try:
        return ("ok", prim.forward(*args))
    except (ValueError, ZeroDivisionError) as e:
        return ("error", type(e), str(e))


def same(a: float, b: float) -> bool:
    """Equal, both nan, or within a couple of ulps (numpy's and libm's exp may differ)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=4e-16, abs_tol=0.0)


def test_every_row_of_the_table_has_an_array_forward_and_its_domain_is_one_predicate():
    # One row holds both forwards; where the float forward checks a domain, the
    # array forward checks the very same predicate.
    for prim in every_primitive():
        assert callable(prim.array), prim
        assert (prim.outside is None) == (prim.error is None)
        if prim.formulas is not None:  # a row written as text: its forward is generated
            assert (prim.formulas.outside is None) == (prim.outside is None)
        else:
            assert (prim.outside is None) == (prim.forward is prim.compute)


@pytest.mark.parametrize("prim", every_primitive(), ids=repr)
def test_array_forward_agrees_with_the_float_forward_on_special_values(prim):
    grid = (
        [(x,) for x in SPECIAL] if arity(prim) == 1 else [(x, y) for x in SPECIAL for y in SPECIAL]
    )
    forward = A.batched(prim)
    for args in grid:
        expected = float_outcome(prim, args)
        arrays = [np.array([1.0, 1.0, a]) for a in args]  # the special value in row 2
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("error")
            if expected[0] == "error":
                with pytest.raises(expected[1]) as caught:
                    forward(*arrays)
                assert str(caught.value) == f"{expected[2]} (row 2)"
                assert caught.value.row == 2 and caught.value.message == expected[2]
            else:
                got = forward(*arrays)
                assert got.shape == (3,)
                assert same(float(got[2]), expected[1]), (prim, args, got[2], expected[1])
                assert math.copysign(1, got[2]) == math.copysign(1, expected[1]) or math.isnan(
                    expected[1]
                ), (prim, args, "sign of zero")


def test_a_shared_float_operand_broadcasts_and_its_error_names_row_0():
    div = A.batched(P.DIV)
    assert div(np.array([1.0, 2.0]), 4.0).tolist() == [0.25, 0.5]
    with pytest.raises(ZeroDivisionError, match=r"/: division by zero \(1.0 / 0.0\) \(row 0\)"):
        div(np.array([1.0, 2.0]), 0.0)


def test_errors_name_the_first_offending_row():
    with pytest.raises(ValueError, match=r"log: argument must be positive, got -3.0 \(row 4\)"):
        A.batched(P.LOG)(np.array([1.0, 2.0, 3.0, 4.0, -3.0, 0.0]))
    with pytest.raises(ValueError, match=r"sqrt: .*-1.0 \(row 1\)"):
        A.batched(P.SQRT)(np.array([4.0, -1.0]))


def test_row_errors_are_the_scalar_engines_kinds_of_error():
    assert issubclass(A.RowValueError, ValueError)
    assert issubclass(A.RowZeroDivisionError, ZeroDivisionError)
    renumbered = A.row_error(A.RowValueError("log: bad", 2), 7, " of the batch")
    assert str(renumbered) == "log: bad (row 7 of the batch)"
    assert isinstance(renumbered, ValueError) and renumbered.row == 7


def test_saturating_functions_do_not_overflow_or_warn():
    x = np.array([-1000.0, -800.0, 0.0, 800.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("error")
        assert A.batched(P.SIGMOID)(x).tolist() == [P.SIGMOID.forward(v) for v in x]
        assert A.batched(P.TANH)(x).tolist() == [-1.0, -1.0, 0.0, 1.0, 1.0]
        assert A.batched(P.EXP)(x)[-1] == math.inf


def test_relu_keeps_the_float_forwards_zero_sign_and_nan():
    got = A.batched(P.RELU)(np.array([-0.0, math.nan, -math.inf]))
    assert math.copysign(1, got[0]) == 1.0
    assert math.isnan(got[1]) and got[2] == 0.0


# --- NumpyOps: the namespace the derivative formulas run with on arrays ----------------

OPS_GRID = [-3.0, -1.0, -0.0, 0.0, 0.25, 1.0, 2.0, 800.0, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("name", ["sin", "cos", "sign", "step"])
def test_numpy_ops_unary_functions_agree_with_float_ops(name):
    xs = [x for x in OPS_GRID if not (name in ("sin", "cos") and math.isinf(x))]
    with np.errstate(all="ignore"):
        got = getattr(P.NUMPY_OPS, name)(np.array(xs))
    for x, g in zip(xs, got.tolist(), strict=True):
        assert same(g, getattr(P.FloatOps, name)(x)), (name, x)


def test_numpy_ops_step_with_a_value_below():
    got = P.NUMPY_OPS.step(np.array([-1.0, 0.0, 2.0, math.nan]), 0.1).tolist()
    assert got == [P.FloatOps.step(x, 0.1) for x in (-1.0, 0.0, 2.0, math.nan)]


@pytest.mark.parametrize("name", ["div", "pow", "mul_log"])
def test_numpy_ops_binary_functions_agree_with_float_ops(name):
    for a in OPS_GRID:
        for b in OPS_GRID:
            if name == "pow" and a < 0 and math.isfinite(b) and not float(b).is_integer():
                continue  # complex in Python; never asked by a formula (forwards refuse it)
            if name == "mul_log" and (b < 0 or (b == 0 and a != 0)):
                continue  # outside the domain x ** y's forward allows
            if name == "div" and math.isnan(a) and b == 0:
                continue  # FloatOps gives ±inf for nan / 0; formulas divide a constant only
            expected = getattr(P.FloatOps, name)(a, b)
            with np.errstate(all="ignore"):
                got = float(getattr(P.NUMPY_OPS, name)(np.array([a]), np.array([b]))[0])
            assert same(got, expected), (name, a, b, got, expected)


@pytest.mark.parametrize("prim", every_primitive(), ids=repr)
def test_the_tables_local_formulas_run_on_arrays(prim):
    # The one formula per primitive, evaluated with NumpyOps on arrays, gives the float
    # formula's numbers sample by sample.
    rng = np.random.default_rng(0)
    xs = [rng.uniform(0.1, 3.0, 50) for _ in range(arity(prim))]
    xs[0][:25] *= -1 if prim.name not in ("log", "sqrt", "**") else 1
    rows = [[float(x[i]) for x in xs] for i in range(50)]
    out = np.array([prim.forward(*args) for args in rows])  # the same outputs for both
    with np.errstate(all="ignore"):
        locals_ = prim.local(P.NUMPY_OPS, *xs, out)
    for i, args in enumerate(rows):
        expected = prim.local(P.FLOAT_OPS, *args, float(out[i]))
        for got, want in zip(locals_, expected, strict=True):
            value = float(np.broadcast_to(got, (50,))[i])
            assert value == pytest.approx(want, rel=1e-14, nan_ok=True), (prim, args)
