"""The fast sheet reader (:mod:`geodistrict.io.xlsx`) gives exactly openpyxl's values.

Each workbook is read twice: through calamine (the fast path) and through openpyxl's
``values_only`` rows (the reference, what geodistrict read before), and the rows must be equal
value for value and type for type.
"""

from __future__ import annotations

import datetime as dt
import warnings

import openpyxl
import pytest

from geodistrict.io import xlsx

pytest.importorskip("python_calamine")

NOMIS = [
    "uk/tables/nomis_UBC_enterprises_by_size_industry_2023-04.xlsx",
    "uk/tables/nomis_UBC_enterprises_by_sizeband_2023-04.xlsx",
    "uk/tables/nomis_APS_employment_by_industry_2023-04.xlsx",
]


def _reference(path, sheet=0):
    """openpyxl's rows, trailing empty cells dropped (the reader's documented form)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Workbook contains no default style")
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[sheet] if isinstance(sheet, int) else wb[sheet]
        ws.reset_dimensions()
        rows = []
        for r in ws.iter_rows(values_only=True):
            r = [None if v == "" else v for v in r]
            while r and r[-1] is None:
                r.pop()
            rows.append(r)
        return rows, ws.title
    finally:
        wb.close()


def _typed(rows):
    return [[(type(v).__name__, v) for v in r] for r in rows]


@pytest.mark.parametrize("rel", NOMIS)
def test_nomis_workbooks_read_as_openpyxl_reads_them(shared_file, rel):
    path = shared_file(rel)
    got, title = xlsx.read_sheet_rows(path, 0)
    want, want_title = _reference(path)
    assert title == want_title
    assert len(got) == len(want) > 1000
    assert _typed(got) == _typed(want)


def test_values_of_every_kind(tmp_path):
    path = tmp_path / "kinds.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Cover"
    ws.append(["notes only"])
    data = wb.create_sheet("Data")
    data.append([None, None, None])  # a blank first row
    data.append(["Area", "count", "share", "when", "ok", "  padded "])
    data.append(["E06000001", 2805, 0.125, dt.datetime(2023, 4, 24), True, None])
    data.append(["E06000002", -7, 1e20, dt.datetime(2021, 1, 1, 12, 30), False, "x"])
    data.append([])
    data.append([None, None, 3])  # values after empty leading cells
    wb.save(path)

    assert xlsx.sheet_names(path) == ["Cover", "Data"]
    for sheet in ("Data", 1):
        got, title = xlsx.read_sheet_rows(path, sheet)
        want, _ = _reference(path, sheet)
        assert title == "Data"
        assert _typed(got) == _typed(want)
    got, _ = xlsx.read_sheet_rows(path, "Data")
    assert got[0] == [] and got[2][:3] == ["E06000001", 2805, 0.125]
    assert isinstance(got[2][1], int) and isinstance(got[3][2], float)
    assert got[3][3] == dt.datetime(2021, 1, 1, 12, 30)


def test_missing_sheet_names_the_sheets(tmp_path):
    path = tmp_path / "one.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Data"
    wb.save(path)
    with pytest.raises(xlsx.SheetNotFound, match=r"no sheet 'Table'; the sheets are 'Data'"):
        xlsx.read_sheet_rows(path, "Table")
    with pytest.raises(xlsx.SheetNotFound, match=r"no sheet number 3; the workbook has 1"):
        xlsx.read_sheet_rows(path, 3)


def test_openpyxl_reads_what_calamine_cannot_open(tmp_path, monkeypatch):
    """Without calamine (or on a file it refuses) the same rows come from openpyxl."""
    path = tmp_path / "k.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Area", 1, 2.5])
    wb.save(path)
    fast = xlsx.read_sheet_rows(path, 0)
    monkeypatch.setattr(xlsx, "_calamine", lambda p: None)
    assert xlsx.read_sheet_rows(path, 0) == fast == ([["Area", 1, 2.5]], "Sheet")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(Exception):  # noqa: B017 - openpyxl's own error; callers name the file
        xlsx.read_sheet_rows(bad, 0)
