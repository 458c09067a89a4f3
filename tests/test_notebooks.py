"""Every notebook in notebooks/ runs top to bottom on the real data and asserts its findings.

Notebooks are stored as jupytext percent-format ``.py`` files; each is converted and executed
with nbclient in a fresh kernel. A failing ``assert`` inside a notebook fails this test.
"""

import os
import time
from pathlib import Path

import pytest
from conftest import SHARED

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_asserts_its_findings(path, shared_data, tmp_path):
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    nb = jupytext.read(path)
    os.environ["GEODISTRICT_SHARED_DATA"] = str(SHARED)
    os.environ["GEODISTRICT_NOTEBOOK_OUT"] = str(tmp_path)
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    assert elapsed < 180, f"{path.name} took {elapsed:.0f} s (budget 180 s)"
