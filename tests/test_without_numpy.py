"""The scalar path needs no numpy: run in a fresh Python whose numpy cannot be imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCK = """
import sys

class NoNumpy:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numpy", "matplotlib", "tqdm"):
            raise ImportError(f"{name} is blocked in this test")

sys.meta_path.insert(0, NoNumpy())
"""


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK + textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_values_nn_optim_losses_explain_drawings_and_the_studio_page(tmp_path):
    done = run(f"""
        import math, pickle, random
        import autograd_lite as ag
        from autograd_lite import Value, losses, nn, optim, viz

        x, w = Value(2.0, label="x"), Value(-3.0, label="w")
        o = (x * w).tanh()
        o.backward()
        assert math.isclose(x.grad, w.data * (1 - o.data ** 2))
        assert "dout/dx" in str(ag.explain(o))
        random.seed(0)
        model = nn.MLP(2, [3, 1])
        for opt in (optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                    optim.Adam(model.parameters(), lr=0.01)):
            first = None
            for _ in range(15):
                out = model([1.0, -1.0])
                loss = losses.mse([out], [1.0])
                first = loss.data if first is None else first
                opt.zero_grad(); loss.backward(); opt.step()
            assert loss.data < first
        svg = ag.draw_dot(o).to_svg()
        assert "<svg" in svg and "data 2" in svg
        viz.render(o, {str(tmp_path / "g.svg")!r})
        ag.studio(o).save_html({str(tmp_path / "s.html")!r})
        assert pickle.loads(pickle.dumps(o)).data == o.data
        assert "numpy" not in sys.modules
        print("ok")
    """)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
    assert (tmp_path / "g.svg").read_text().count("<g id=") >= 5


def test_what_needs_numpy_says_so():
    done = run("""
        import autograd_lite as ag
        try:
            ag.compile
        except ImportError as e:
            print("blocked" in str(e))
    """)
    assert done.stdout.strip() == "True", done.stderr[-2000:]
