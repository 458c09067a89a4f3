"""Reports written by two processes (a forked helper takes every other place).

The same files as one process writes, in the same order in the index and ``reports.json``;
a helper that dies leaves its places as failures with a reason, and the run goes on.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import LAD24

from geodistrict.cli import main
from geodistrict.reports import report_workers

CA = "uk/boundaries/Combined_Authorities_May_2023_EN_BUC.geojson"
UBC = "uk/tables/nomis_UBC_enterprises_by_size_industry_2023-04.xlsx"


def _args(shared_file, out: Path, workers: int) -> list[str]:
    # the 11 combined authorities of 2023: their LQs from their LADs' Nomis rows
    return ["report", "--all", "--no-pdf", "--no-postcodes", "--no-benchmarks",
            "--boundaries", str(shared_file(CA)), "--business-counts", str(shared_file(UBC)),
            "--zones", str(shared_file(LAD24)),
            "--workers", str(workers), "--out", str(out)]  # fmt: skip


def _files(out: Path) -> dict[str, str]:
    """Every file written, with the command line and the timings left out."""
    files = {}
    for p in sorted(out.iterdir()):
        text = p.read_text(encoding="utf-8")
        for w in (1, 2, 3):
            text = text.replace(f" --workers {w}", "")
        if p.name == "reports.json":
            record = json.loads(text)
            record.pop("seconds", None)
            text = json.dumps(record)
        files[p.name] = text
    return files


@pytest.mark.parametrize("workers", [2, 3])
def test_several_processes_write_what_one_writes(shared_file, tmp_path, workers):
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(_args(shared_file, one, 1)) == 0
    assert main(_args(shared_file, two, workers)) == 0
    a, b = _files(one), _files(two)
    assert len(a) == 2 * 11 + 2  # an HTML and a JSON per place, the index and the record
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
    record = json.loads((two / "reports.json").read_text())
    assert record["failures"] == []


def test_a_helper_that_dies_leaves_its_places_as_failures(shared_file, tmp_path, monkeypatch):
    import geodistrict.reports._build as build

    real = build._write_place
    parent = os.getpid()

    def write_place(ctx, i, run, **kw):
        if os.getpid() != parent and i >= 5:  # the helper writes places 1, 3, 5 ...
            os._exit(3)
        return real(ctx, i, run, **kw)

    monkeypatch.setattr(build, "_write_place", write_place)
    out = tmp_path / "out"
    assert main(_args(shared_file, out, 2)) == 1
    record = json.loads((out / "reports.json").read_text())
    failed = [f["id"] for f in record["failures"]]
    places = [p["id"] for p in record["places"]]
    assert len(failed) == 3 and len(places) == 8  # 5, 7 and 9 failed; 0-4, 6, 8, 10 written
    assert all("the process writing this report stopped (exit code 3)" in f["error"]
               for f in record["failures"])  # fmt: skip
    assert set(failed).isdisjoint(places)


def test_report_workers_choices(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert report_workers(None, 38) == 2
    assert report_workers(None, 38, pdf=True) == 1  # Chromium takes the other core
    assert report_workers(None, 7) == 1  # under PARALLEL_FROM: not worth a process
    assert report_workers(None, 38, debug=True) == 1  # errors raised where they happen
    assert report_workers(4, 3) == 3  # never more processes than places
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert (report_workers(None, 38), report_workers(None, 38, pdf=True)) == (4, 3)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert report_workers(None, 38) == 1
    from geodistrict.errors import ParameterError

    with pytest.raises(ParameterError, match="workers=0"):
        report_workers(0, 38)
