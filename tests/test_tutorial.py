"""docs/tutorial.ipynb runs, top to bottom, at tiny sizes (SME_TUTORIAL_SMALL=1), so that
it cannot rot: a sweep, the Parquet store, plots, evaluate, SALib and EMA Workbench."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ema_workbench")  # the [ema] extra, which `make test` installs

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"


def test_the_tutorial_runs_and_draws(tmp_path, monkeypatch):
    monkeypatch.setenv("SME_TUTORIAL_SMALL", "1")
    monkeypatch.setenv("SME_TUTORIAL_OUT", str(tmp_path / "tutorial"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the notebook without outputs"
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT / "docs")}})
    client.execute()  # raises CellExecutionError naming the cell that failed
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3  # revenue and firms, output lost, the PRIM box
    text = "".join(o.get("text", "") for o in outputs)
    assert "==" in text and "coverage" in text and "mutual_aid_share" in text
    assert (tmp_path / "tutorial" / "sweep" / "points.csv").is_file()
