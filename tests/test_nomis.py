"""Nomis downloads: hand-made stacked tables, then the real UBC and APS files.

The fixtures in ``tests/data/nomis`` are small hand-written tables in Nomis's CSV layout (values
invented, layout copied from real downloads); every tidy row they must give is written out below.
The real-file tests check values against the workbook read cell by cell with openpyxl, against
numbers printed in the file, and against an independent total (the size-band file's all-industry
count versus the sum over industries in the size-by-industry file).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodistrict.errors import InputFileError, SchemaError
from geodistrict.io.nomis import NomisTable, read_nomis

DATA = Path(__file__).parent / "data" / "nomis"
UBC = DATA / "ubc_two_blocks.csv"
APS = DATA / "aps_two_row_header.csv"
SIZEBAND = "uk/tables/nomis_UBC_enterprises_by_sizeband_2023-04.xlsx"
SIZE_INDUSTRY = "uk/tables/nomis_UBC_enterprises_by_size_industry_2023-04.xlsx"
APS_REAL = "uk/tables/nomis_APS_employment_by_industry_2023-04.xlsx"
NAN = math.nan
BANDS = ["Micro (0 to 9)", "Small (10 to 49)", "Medium-sized (50 to 249)", "Large (250+)"]

UDG = "User Defined Geography"
MICRO = "Micro (0 to 9)"
B1 = ("2021", "Total", "Total", 2021)
B2 = ("Jan 2022-Dec 2022", "Total", "Total", 2022)
# (geography_type, area, block, date, industry, legal_status, year, variable, value, flag, row)
UBC_ROWS = [
    ("country", "England", 1, *B1, "Total", 2405965.0, None, 9),
    ("country", "England", 1, *B1, MICRO, 2148835.0, None, 9),
    ("lep", "Solent", 1, *B1, "Total", 43500.0, None, 10),
    ("lep", "Solent", 1, *B1, MICRO, 38895.0, None, 10),
    ("ladu", "Bristol, City of", 1, *B1, "Total", NAN, "*", 11),
    ("ladu", "Bristol, City of", 1, *B1, MICRO, 16530.0, None, 11),
    (UDG, "Dorset-LSIP", 1, *B1, "Total", 33000.0, None, 12),
    (UDG, "Dorset-LSIP", 1, *B1, MICRO, 29590.0, None, 12),
    (UDG, "Dorset-LSIP", 1, *B1, "Total", 33000.0, None, 13),
    (UDG, "Dorset-LSIP", 1, *B1, MICRO, 29590.0, None, 13),
    ("country", "England", 2, *B2, "Total", 2408040.0, None, 26),
    ("country", "England", 2, *B2, MICRO, 2150390.0, None, 26),
    ("lep", "Solent", 2, *B2, "Total", 42970.0, None, 27),
    ("lep", "Solent", 2, *B2, MICRO, 38360.0, None, 27),
    ("ladu", "Bristol, City of", 2, *B2, "Total", 18450.0, None, 28),
    ("ladu", "Bristol, City of", 2, *B2, MICRO, NAN, "!", 28),
]
UBC_COLUMNS = [
    "geography_type",
    "area",
    "block",
    "date",
    "industry",
    "legal_status",
    "year",
    "variable",
    "value",
    "flag",
    "row",
]
AGR = "T13a:1 (A Agriculture : All people )"
MAN = "T13a:7 (C Manufacturing : All people )"
D22 = ("Jan 2022-Dec 2022", "95% confidence interval (+/-)", 2022)
# (geography_type, area, block, date, confidence, year, variable, value, flag, conf, row)
APS_ROWS = [
    ("lep", "Solent", 1, *D22, AGR, 4100.0, None, 1500.0, 9),
    ("lep", "Solent", 1, *D22, MAN, 61200.0, None, 6900.0, 9),
    ("ladu", "Adur", 1, *D22, AGR, NAN, "!", NAN, 10),
    ("ladu", "Adur", 1, *D22, MAN, NAN, "~", NAN, 10),  # "~": less than 500, not 0
    ("ladu", "Arun", 1, *D22, AGR, 1200.0, "*", NAN, 11),  # "*" in conf: unreliable
    ("ladu", "Arun", 1, *D22, MAN, 6300.0, "#", 1800.0, 11),  # marker in the Flags column
]
APS_COLUMNS = [
    "geography_type",
    "area",
    "block",
    "date",
    "confidence",
    "year",
    "variable",
    "value",
    "flag",
    "conf",
    "row",
]


def _csv_cells(path: Path) -> list[list[object]]:
    """The CSV's cells with numbers as numbers, as Excel would store them."""
    import csv

    out = []
    for r in csv.reader(path.read_text(encoding="utf-8").splitlines()):
        cells: list[object] = []
        for v in r:
            try:
                cells.append(int(v))
            except ValueError:
                cells.append(v or None)
        out.append(cells)
    return out


def _as_xlsx(src: Path, dst: Path, *, sheet: str = "Data") -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in _csv_cells(src):
        ws.append(r)
    wb.save(dst)
    return dst


@pytest.fixture(params=["csv", "csv-str-path", "xlsx"])
def ubc_path(request, tmp_path) -> Path | str:
    if request.param == "csv":
        return UBC
    if request.param == "csv-str-path":
        return str(UBC)
    return _as_xlsx(UBC, tmp_path / "ubc.xlsx")


def _records(df: pd.DataFrame, columns: list[str]) -> list[tuple]:
    assert list(df.columns) == columns
    return [tuple(r) for r in df.itertuples(index=False)]


def _same(got: list[tuple], expected: list[tuple]) -> None:
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert len(g) == len(e)
        for a, b in zip(g, e, strict=True):
            if isinstance(b, float) and math.isnan(b):
                assert isinstance(a, float) and math.isnan(a), (g, e)
            else:
                assert a == b, (g, e)


# ---------------------------------------------------------------------------------------------
# hand-made fixtures


def test_stacked_blocks_give_every_tidy_row(ubc_path):
    t = read_nomis(ubc_path)
    assert isinstance(t, NomisTable)
    _same(_records(t.data, UBC_COLUMNS), UBC_ROWS)
    assert t.title == "UK Business Counts - enterprises by industry and employment size band"
    assert t.footnotes == (
        "* Estimate unreliable.",
        "! Not available: sample size zero or disclosive.",
    )
    assert t.n_suppressed == 2
    assert t.dimensions == ("date", "industry", "legal_status")
    assert t.data["value"].dtype == np.float64
    assert t.data["year"].dtype == np.int64


def test_aps_two_row_header_gives_every_tidy_row():
    t = read_nomis(APS)
    _same(_records(t.data, APS_COLUMNS), APS_ROWS)
    assert t.n_suppressed == 2
    assert t.title == "annual population survey"
    assert t.footnotes[2] == "~ Estimate is less than 500."


def test_select_filters_on_every_kind_of_column():
    t = read_nomis(UBC)
    s = t.select(geography_type="ladu", year=2022)
    assert s["variable"].tolist() == ["Total", MICRO]
    assert s["value"].tolist()[0] == 18450.0
    assert len(t.select(variable="Total", date="2021", geography_type=["lep", "country"])) == 2
    assert len(t.select(area="Solent")) == 4
    assert len(t.select(block=2)) == 6
    assert t.select(year="2021").equals(t.select(year=2021))
    with pytest.raises(SchemaError, match="no column 'sector'.*industry"):
        t.select(sector="Total")


def test_wide_drops_repeated_rows_and_keeps_suppressed_as_nan():
    t = read_nomis(UBC)
    w = t.wide(geography_type=UDG, year=2021)
    assert w.to_dict() == {"Dorset-LSIP": 33000.0}
    w = t.wide(geography_type="ladu", year=2021)
    assert w.index.tolist() == ["Bristol, City of"] and math.isnan(w.iloc[0])
    w = t.wide(geography_type="lep", year=2022, variable=MICRO)
    assert w.to_dict() == {"Solent": 38360.0}
    assert w.index.name == "area" and w.name == MICRO


def test_wide_raises_on_ambiguous_or_empty_selection():
    t = read_nomis(UBC)
    with pytest.raises(SchemaError, match=r"ambiguous: year takes 2 values \(2021, 2022\)"):
        t.wide(geography_type="lep")
    with pytest.raises(SchemaError, match="geography_type is one of 'country', 'lep', 'ladu'"):
        t.wide(geography_type="lad", year=2022)
    with pytest.raises(SchemaError, match="variable is one of 'Total', 'Micro"):
        t.wide(geography_type="lep", year=2022, variable="Small (10 to 49)")


def test_wide_raises_when_a_repeated_area_has_different_values(tmp_path):
    text = UBC.read_text().replace(
        '"User Defined Geography:Dorset-LSIP","33000","29590"\n""',
        '"User Defined Geography:Dorset-LSIP","33005","29590"\n""',
    )
    p = tmp_path / "clash.csv"
    p.write_text(text)
    t = read_nomis(p)
    assert len(t.data) == 16  # both rows are kept in the tidy table
    with pytest.raises(SchemaError, match=r"'Dorset-LSIP': 33000 \(row 12\), 33005 \(row 13\)"):
        t.wide(geography_type=UDG, year=2021)
    assert t.wide(geography_type=UDG, year=2021, variable=MICRO).tolist() == [29590.0]


@pytest.mark.parametrize(
    ("date", "year"),
    [
        ("2018", 2018),
        ("Jan 2018-Dec 2018", 2018),
        ("Apr 2021-Mar 2022", 2022),
        ("2021/22", 2022),
        ("March 2020", 2020),
    ],
)
def test_year_is_the_end_year_of_the_date(tmp_path, date, year):
    p = tmp_path / "t.csv"
    p.write_text(f'"t"\n\n"date","{date}"\n\n"Area","Total"\n"lep:Solent","5"\n')
    t = read_nomis(p)
    assert t.data["year"].tolist() == [year]
    assert t.data["date"].tolist() == [date]


def test_not_a_nomis_layout_names_the_file_and_the_expected_header(tmp_path):
    p = tmp_path / "plain.csv"
    p.write_text("name,total\nSolent,5\n")
    with pytest.raises(SchemaError, match=r"plain\.csv: not a Nomis table.*'Area'"):
        read_nomis(p)


def test_text_in_a_value_cell_is_an_error_naming_the_row(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text('"t"\n\n"date","2022"\n\n"Area","Total"\n"lep:Solent","5"\n"lep:Dorset","n/a"\n')
    with pytest.raises(SchemaError, match=r"bad\.csv: 1 value cell.*row 7, 'Dorset'.*'n/a'"):
        read_nomis(p)


def test_missing_or_unreadable_files(tmp_path):
    with pytest.raises(InputFileError, match="nope.xlsx: file not found"):
        read_nomis(tmp_path / "nope.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a zip")
    with pytest.raises(InputFileError, match="broken.xlsx: not a readable Excel workbook"):
        read_nomis(broken)
    other = tmp_path / "table.json"
    other.write_text("{}")
    with pytest.raises(InputFileError, match=r"cannot read \.json"):
        read_nomis(other)


def test_sheet_by_name_or_number(tmp_path):
    p = _as_xlsx(UBC, tmp_path / "ubc.xlsx", sheet="Data")
    assert len(read_nomis(p, sheet="Data").data) == 16
    assert len(read_nomis(p, sheet=0).data) == 16
    with pytest.raises(InputFileError, match="no sheet 'Sheet9'; the sheets are 'Data'"):
        read_nomis(p, sheet="Sheet9")


# ---------------------------------------------------------------------------------------------
# the real Nomis downloads


def _sheet_rows(path: Path) -> list[tuple]:
    """Every row of the first sheet, read with openpyxl alone."""
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Workbook contains no default style"
        wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb.worksheets[0]
    ws.reset_dimensions()
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    wb.close()
    return rows


@pytest.fixture(scope="module")
def sizeband(shared_file) -> NomisTable:
    return read_nomis(shared_file(SIZEBAND))


@pytest.fixture(scope="module")
def size_industry(shared_file) -> NomisTable:
    return read_nomis(shared_file(SIZE_INDUSTRY))


@pytest.fixture(scope="module")
def aps(shared_file) -> NomisTable:
    return read_nomis(shared_file(APS_REAL))


@pytest.mark.shared_data
class TestSizeband:
    def test_five_blocks_one_per_year(self, sizeband):
        d = sizeband.data
        assert sorted(d["block"].unique()) == [1, 2, 3, 4, 5]
        assert d.groupby("block")["year"].first().tolist() == [2018, 2019, 2020, 2021, 2022]
        assert set(d["industry"]) == {"Total"} and set(d["legal_status"]) == {"Total"}
        assert sizeband.n_suppressed == 0

    def test_38_leps_in_every_block(self, sizeband):
        leps = sizeband.select(geography_type="lep", variable="Total")
        assert leps.groupby("block").size().tolist() == [38] * 5

    def test_england_2018_as_printed_in_the_file(self, sizeband):
        e = sizeband.select(geography_type="country", year=2018).set_index("variable")["value"]
        assert e["Total"] == 2318060
        assert e["Micro (0 to 9)"] == 2073890

    def test_leeds_city_region_2022_matches_the_cell(self, sizeband, shared_file):
        rows = _sheet_rows(shared_file(SIZEBAND))
        hits = [i for i, r in enumerate(rows) if r and r[0] == "lep:Leeds City Region"]
        last = hits[-1]
        header = max(i for i in range(last) if rows[i] and rows[i][0] == "Area")
        dates = [r[1] for r in rows[:header] if r and r[0] == "date"]
        assert dates[-1] == 2022
        assert rows[header][1] == "Total"
        cell = rows[last][1]
        assert cell == 80580
        got = sizeband.select(geography_type="lep", area="Leeds City Region", year=2022)
        assert got.set_index("variable").loc["Total", "value"] == cell
        assert got["row"].iloc[0] == last + 1

    def test_size_bands_add_up_to_the_total_in_every_block(self, sizeband):
        e = sizeband.select(geography_type="country", area="England")
        table = e.pivot(index="block", columns="variable", values="value")
        assert len(table) == 5
        diff = table["Total"] - table[BANDS].sum(axis=1)
        assert (diff.abs() <= 20).all(), diff.to_dict()

    def test_wide_gives_the_38_leps_of_2022(self, sizeband, shared_file):
        rows = _sheet_rows(shared_file(SIZEBAND))
        lep_cells = {r[0] for r in rows if r and isinstance(r[0], str) and r[0].startswith("lep:")}
        w = sizeband.wide(geography_type="lep", year=2022)
        assert len(w) == 38
        assert {f"lep:{a}" for a in w.index} == lep_cells
        assert w["Leeds City Region"] == 80580
        assert w.notna().all()

    def test_wide_without_a_year_is_ambiguous(self, sizeband):
        with pytest.raises(SchemaError, match="year takes 5 values"):
            sizeband.wide(geography_type="lep")


@pytest.mark.shared_data
class TestSizeIndustry:
    def test_90_blocks_are_5_years_by_18_industries(self, size_industry):
        blocks = size_industry.data.groupby("block")[["year", "industry"]].first()
        assert len(blocks) == 90
        assert blocks["industry"].nunique() == 18
        assert sorted(blocks["year"].unique()) == [2018, 2019, 2020, 2021, 2022]
        assert len(blocks.drop_duplicates()) == 90
        assert "13 : Professional, scientific & technical (M)" in set(blocks["industry"])

    def test_industries_add_up_to_the_all_industry_total(self, size_industry, sizeband):
        parts = size_industry.select(geography_type="country", year=2022, variable="Total")
        assert len(parts) == 18
        total = sizeband.wide(geography_type="country", year=2022)["England"]
        assert total == 2408040  # printed in the size-band file's 2022 block
        assert abs(parts["value"].sum() / total - 1) <= 0.005

    def test_wide_lists_the_industries_when_none_is_chosen(self, size_industry):
        with pytest.raises(SchemaError, match=r"industry takes 18 values.*Manufacturing \(C\)"):
            size_industry.wide(geography_type="lep", year=2022)
        w = size_industry.wide(geography_type="lep", year=2022, industry="3 : Manufacturing (C)")
        assert len(w) == 38


@pytest.mark.shared_data
class TestAPS:
    def test_blocks_carry_the_confidence_dimension(self, aps):
        assert aps.dimensions == ("date", "confidence")
        assert set(aps.data["confidence"]) == {"95% confidence interval (+/-)"}
        assert aps.data.groupby("block")["year"].first().tolist() == list(range(2018, 2023))
        assert "conf" in aps.data.columns
        assert aps.data["variable"].nunique() == 9

    def test_west_dunbartonshire_agriculture_is_suppressed(self, aps, shared_file):
        rows = _sheet_rows(shared_file(APS_REAL))
        cells = [r[1] for r in rows if r and r[0] == "ladu:West Dunbartonshire"]
        assert len(cells) == 5 and cells[-1] == "!"
        first = aps.data["variable"].iloc[0]
        got = aps.select(area="West Dunbartonshire", variable=first)
        assert len(got) == 5
        for cell, (_, row) in zip(cells, got.iterrows(), strict=True):
            if isinstance(cell, str):
                assert math.isnan(row["value"]) and row["flag"] == cell
            else:
                assert row["value"] == cell

    def test_every_suppressed_cell_is_missing_never_zero(self, aps, shared_file):
        rows = _sheet_rows(shared_file(APS_REAL))
        markers: dict[int, list[str]] = {}  # row number -> markers in its "number" columns
        zeros = 0
        sub = None
        for i, r in enumerate(rows):
            if r and r[0] is None and len(r) > 1 and r[1] == "number":
                sub = r
                continue
            if not r or not isinstance(r[0], str) or ":" not in r[0] or sub is None:
                continue
            if r[0].split(":")[0] not in {"country", "lep", "ladu", UDG}:
                continue
            for j, name in enumerate(sub):
                if name == "number":
                    if isinstance(r[j], str):
                        markers.setdefault(i + 1, []).append(r[j])
                    elif r[j] == 0:
                        zeros += 1
        n_markers = sum(len(v) for v in markers.values())
        assert n_markers > 0
        assert aps.n_suppressed == n_markers
        d = aps.data
        assert int((d["value"] == 0).sum()) == zeros
        got = d.loc[d["value"].isna()].groupby("row")["flag"].apply(list).to_dict()
        assert got == markers
        assert set(d.loc[d["value"].isna(), "flag"]) <= {"!", "~", "-", "*"}
        assert (d.loc[d["flag"] == "~", "value"].isna()).all()
