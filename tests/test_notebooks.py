"""The teaching notebooks run top to bottom, and are committed with small, clean outputs.

Each notebook in ``notebooks/`` is executed afresh with nbclient in a kernel named
``python3`` (the virtual environment's own ipykernel), with ``notebooks/`` as its working
directory, exactly as a reader would run it. Any cell that raises fails the test, naming
the cell. The stored outputs are not touched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = {
    "01_expressions_and_graphs.ipynb",
    "02_training.ipynb",
    "03_backprop_by_hand.ipynb",
    "04_rumelhart_1986.ipynb",
    "05_higher_order.ipynb",
    "06_forward_and_reverse.ipynb",
    "07_gpt_from_scalars.ipynb",
    "08_your_own_op.ipynb",
}
CELL_TIMEOUT = 240  # seconds for one cell; each notebook takes well under a minute in all
MAX_BYTES = 300_000  # committed with outputs, but small


def test_the_notebooks_are_there():
    assert EXPECTED <= {path.name for path in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_committed_with_clean_outputs(path: Path) -> None:
    assert path.stat().st_size < MAX_BYTES, f"{path.name} is {path.stat().st_size:,} bytes"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert any(cell["outputs"] for cell in code), f"{path.name} has no stored outputs"
    for i, cell in enumerate(code):
        kinds = {output["output_type"] for output in cell["outputs"]}
        assert "error" not in kinds, f"{path.name}: code cell {i} stored an error"
        assert cell["execution_count"] is not None, f"{path.name}: code cell {i} never ran"
