"""Random expression DAGs for property tests, replayable with Values or torch tensors.

A program is a list of steps ``(op, i, j)``: apply ``op`` to earlier nodes ``i`` (and
``j``). Every op is built so that its domain holds for any real input (a log is taken of
``x*x + 1``, an exponent is bounded by a tanh), so random programs never raise.
"""

from __future__ import annotations

from hypothesis import strategies as st

import autograd_lite as ag

# name -> (number of operands, on Values, on torch tensors)
OPS = {
    "add": (2, lambda a, b: a + b, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
    "rdiv": (1, lambda a: 2 / (a * a + 0.5), lambda a: 2 / (a * a + 0.5)),
    "pow_value": (
        2,
        lambda a, b: (a.sigmoid() + 0.5) ** b.tanh(),
        lambda a, b: (a.sigmoid() + 0.5) ** b.tanh(),
    ),
    "rpow": (1, lambda a: 1.5 ** a.tanh(), lambda a: 1.5 ** a.tanh()),
    "square": (1, lambda a: a**2, lambda a: a**2),
    "cube": (1, lambda a: a**3 * 0.1, lambda a: a**3 * 0.1),
    "neg": (1, lambda a: -a, lambda a: -a),
    "exp": (1, lambda a: a.tanh().exp(), lambda a: a.tanh().exp()),
    "log": (1, lambda a: (a * a + 1).log(), lambda a: (a * a + 1).log()),
    "tanh": (1, lambda a: a.tanh(), lambda a: a.tanh()),
    "sigmoid": (1, lambda a: a.sigmoid(), lambda a: a.sigmoid()),
    "sin": (1, lambda a: a.sin(), lambda a: a.sin()),
    "cos": (1, lambda a: a.cos(), lambda a: a.cos()),
    "sqrt": (1, lambda a: (a * a + 0.25).sqrt(), lambda a: (a * a + 0.25).sqrt()),
    "relu": (1, lambda a: a.relu(), lambda a: a.relu()),
    "leaky_relu": (
        1,
        lambda a: a.leaky_relu(0.1),
        lambda a: __import__("torch").nn.functional.leaky_relu(a, 0.1),
    ),
    "abs": (1, lambda a: a.abs(), lambda a: a.abs()),
    "softplus": (
        1,
        lambda a: a.softplus(),
        lambda a: __import__("torch").logaddexp(a, __import__("torch").zeros_like(a)),
    ),
    # x ** 0 and integer powers of a base that is exactly 0 (where relu cuts)
    "pow0": (1, lambda a: a**0, lambda a: a**0),
    "relu_cube": (1, lambda a: a.relu() ** 3, lambda a: a.relu() ** 3),
    "relu_pow0": (1, lambda a: a.relu() ** 0 + a, lambda a: a.relu() ** 0 + a),
    # nodes of many parents, a parent used more than once among them
    "dot": (
        2,
        lambda a, b: ag.dot([a, b, a], [b, b, a.tanh()], a),
        lambda a, b: a + a * b + b * b + a * a.tanh(),
    ),
    "sum": (2, lambda a, b: ag.sum([a, b, a, b * 0.5]), lambda a, b: a + b + a + b * 0.5),
}
# finite differences are unreliable right at a kink
KINKED = {"relu", "leaky_relu", "abs", "relu_cube", "relu_pow0"}


@st.composite
def programs(draw, max_leaves: int = 4, max_steps: int = 25):
    """(leaf values, steps): a random DAG whose nodes may be used many times."""
    n_leaves = draw(st.integers(1, max_leaves))
    leaves = draw(
        st.lists(
            st.floats(-2.0, 2.0, allow_nan=False).filter(lambda x: abs(x) > 1e-3),
            min_size=n_leaves,
            max_size=n_leaves,
        )
    )
    steps = []
    for k in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(sorted(OPS)))
        available = n_leaves + k
        i = draw(st.integers(0, available - 1))
        j = draw(st.integers(0, available - 1))
        steps.append((op, i, j))
    return leaves, steps


def replay(nodes: list, steps, which: int = 1):
    """Run ``steps`` on ``nodes`` (leaves first); returns all nodes, output last.

    ``which`` picks the implementation: 1 for Values, 2 for torch tensors.
    """
    nodes = list(nodes)
    for op, i, j in steps:
        entry = OPS[op]
        fn = entry[which]
        nodes.append(fn(nodes[i], nodes[j]) if entry[0] == 2 else fn(nodes[i]))
    return nodes


def output_of(nodes: list, n_leaves: int):
    """Sum of the nodes no step used, so every branch of the program matters."""
    return nodes[-1] + sum(nodes[n_leaves:-1]) * 0.5 if len(nodes) > n_leaves + 1 else nodes[-1]
