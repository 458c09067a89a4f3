"""Every notebook in notebooks/ runs top to bottom and asserts its findings.

Notebooks are stored as jupytext percent-format ``.py`` files; each is converted and executed
with nbclient in a fresh kernel, from an empty temporary working directory (the notebooks
load their data by dataset name, so they need no path of the checkout or of the reference
data). A failing ``assert`` inside a notebook fails this test. Figures are drawn inline.
"""

import os
import time
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))


def test_notebooks_name_no_workshop_path():
    for path in NOTEBOOKS:
        text = path.read_text(encoding="utf-8")
        assert "shared/data" not in text and "GEODISTRICT_SHARED_DATA" not in text, path.name
        assert 'matplotlib.use("Agg")' not in text, path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_asserts_its_findings(path, tmp_path, monkeypatch):
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    nb = jupytext.read(path)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.delenv("GEODISTRICT_SHARED_DATA", raising=False)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setenv("GEODISTRICT_NOTEBOOK_OUT", str(tmp_path))
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    assert elapsed < 180, f"{path.name} took {elapsed:.0f} s (budget 180 s)"
    assert os.listdir(workdir) == [], "a notebook wrote into its working directory"
    if "plt.show()" in path.read_text(encoding="utf-8"):
        images = [
            out
            for cell in nb.cells
            for out in cell.get("outputs", [])
            if "image/png" in out.get("data", {})
        ]
        assert images, f"{path.name} drew no inline figure"
