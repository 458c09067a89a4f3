"""Sector specialisation: location quotients, indices and the ``specialisation`` command.

Hand-worked tables first (every quotient and index written out as arithmetic), then UK Business
Counts 2022 by SIC 2007 section for the 38 LEPs: three quotients recomputed here from cells read
with openpyxl alone (not through ``read_nomis``), and every area total checked against the
independent all-industry total of the size-band file.
"""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodistrict.cli import main
from geodistrict.errors import SchemaError
from geodistrict.io.nomis import read_nomis
from geodistrict.metrics.specialisation import (
    LQ_COLUMNS,
    ellison_glaeser,
    is_specialism,
    location_quotients,
    nomis_sector_counts,
    sector_code,
    specialisation_indices,
    specialisms,
)

SIZE_INDUSTRY = "uk/tables/nomis_UBC_enterprises_by_size_industry_2023-04.xlsx"
SIZEBAND = "uk/tables/nomis_UBC_enterprises_by_sizeband_2023-04.xlsx"
CONTRACT = [
    "area",
    "sector",
    "count",
    "area_total",
    "reference_count",
    "reference_total",
    "lq",
]
GCGP = "Greater Cambridge and Greater Peterborough"
CORNWALL = "Cornwall and Isles of Scilly"
J_LABEL = "10 : Information & communication (J)"
K_LABEL = "11 : Financial & insurance (K)"
I_LABEL = "9 : Accommodation & food services (I)"


# --------------------------------------------------------------------------------------------
# hand-worked tables

# Area X: A 10, B 30, C 60 (total 100); area Y: A 90, B 60, C 150 (total 300).
# Sum of the areas (the default reference): A 100, B 90, C 210; total 400.
HAND = pd.DataFrame(
    {
        "area": ["X", "X", "X", "Y", "Y", "Y"],
        "sector": ["A", "B", "C", "A", "B", "C"],
        "count": [10, 30, 60, 90, 60, 150],
    }
)


def test_contract_constant_is_the_documented_order():
    assert list(LQ_COLUMNS) == CONTRACT


def test_hand_worked_lq_against_the_sum_of_areas():
    lq = location_quotients(HAND)
    assert list(lq.columns[:7]) == CONTRACT
    expected = {
        ("X", "A"): (10 / 100) / (100 / 400),  # 0.1 / 0.25 = 0.4
        ("X", "B"): (30 / 100) / (90 / 400),  # 0.3 / 0.225 = 1.3333
        ("X", "C"): (60 / 100) / (210 / 400),  # 0.6 / 0.525 = 1.1429
        ("Y", "A"): (90 / 300) / (100 / 400),  # 0.3 / 0.25 = 1.2
        ("Y", "B"): (60 / 300) / (90 / 400),  # 0.2 / 0.225 = 0.8889
        ("Y", "C"): (150 / 300) / (210 / 400),  # 0.5 / 0.525 = 0.9524
    }
    got = lq.set_index(["area", "sector"])
    for key, value in expected.items():
        assert got.loc[key, "lq"] == pytest.approx(value, abs=1e-12), key
    assert got.loc[("X", "A"), "lq"] == pytest.approx(0.4, abs=1e-12)
    assert got.loc[("Y", "A"), "lq"] == pytest.approx(1.2, abs=1e-12)
    assert lq["area_total"].tolist() == [100, 100, 100, 300, 300, 300]
    assert lq["reference_count"].tolist() == [100, 90, 210, 100, 90, 210]
    assert (lq["reference_total"] == 400).all()
    assert lq["area_total_complete"].all() and lq["reference_complete"].all()
    assert (lq["reference"] == "sum of areas").all()


def test_hand_worked_lq_against_a_given_reference():
    # England-like reference: A 50, B 25, C 25 (total 100) -> shares 0.5, 0.25, 0.25
    england = pd.Series({"A": 50, "B": 25, "C": 25}, name="country:England")
    lq = location_quotients(HAND, reference=england)
    expected = [
        0.1 / 0.5,  # X A = 0.2
        0.3 / 0.25,  # X B = 1.2
        0.6 / 0.25,  # X C = 2.4
        0.3 / 0.5,  # Y A = 0.6
        0.2 / 0.25,  # Y B = 0.8
        0.5 / 0.25,  # Y C = 2.0
    ]
    np.testing.assert_allclose(lq["lq"], expected, rtol=0, atol=1e-12)
    assert (lq["reference_total"] == 100).all()
    assert (lq["reference"] == "country:England").all()


def test_column_names_and_extra_columns_are_carried():
    renamed = HAND.rename(columns={"area": "lep", "sector": "sic", "count": "n"})
    renamed["label"] = ["a", "b", "c"] * 2
    lq = location_quotients(renamed, area="lep", sector="sic", count="n")
    assert list(lq.columns[:7]) == CONTRACT
    assert lq["label"].tolist() == ["a", "b", "c"] * 2
    assert lq["lq"].iloc[0] == pytest.approx(0.4, abs=1e-12)


def test_suppressed_cell_stays_missing():
    # X: A 10, B suppressed, C 30 -> area_total 40 (incomplete)
    # Y: A 5, B 5, C 10 -> area_total 20
    # reference (sum of areas, suppressed skipped): A 15, B 5, C 40; total 60
    counts = pd.DataFrame(
        {
            "area": ["X", "X", "X", "Y", "Y", "Y"],
            "sector": ["A", "B", "C", "A", "B", "C"],
            "count": [10, np.nan, 30, 5, 5, 10],
        }
    )
    lq = location_quotients(counts).set_index(["area", "sector"])
    assert math.isnan(lq.loc[("X", "B"), "count"]) and math.isnan(lq.loc[("X", "B"), "lq"])
    assert lq.loc[("X", "A"), "area_total"] == 40
    assert not lq.loc["X", "area_total_complete"].any()
    assert lq.loc["Y", "area_total_complete"].all()
    assert not lq["reference_complete"].any()
    assert lq.loc[("X", "A"), "lq"] == pytest.approx((10 / 40) / (15 / 60), abs=1e-12)  # 1.0
    assert lq.loc[("X", "C"), "lq"] == pytest.approx((30 / 40) / (40 / 60), abs=1e-12)  # 1.125
    assert lq.loc[("Y", "B"), "lq"] == pytest.approx((5 / 20) / (5 / 60), abs=1e-12)  # 3.0
    assert lq.loc[("Y", "C"), "lq"] == pytest.approx((10 / 20) / (40 / 60), abs=1e-12)  # 0.75
    # every other row carries its numerator and denominator
    rest = lq.drop(index=("X", "B"))
    assert rest[CONTRACT[2:]].notna().all().all()


def test_rows_come_out_area_major_in_order_of_first_appearance():
    shuffled = HAND.iloc[[5, 0, 3, 1, 4, 2]]  # Y/C, X/A, Y/A, X/B, Y/B, X/C
    lq = location_quotients(shuffled)
    assert lq[["area", "sector"]].values.tolist() == [
        ["Y", "C"],
        ["Y", "A"],
        ["Y", "B"],
        ["X", "C"],
        ["X", "A"],
        ["X", "B"],
    ]
    assert lq.set_index(["area", "sector"]).loc[("X", "A"), "lq"] == pytest.approx(0.4, abs=1e-12)


def test_absent_row_counts_as_suppressed():
    counts = HAND.drop(index=4)  # Y/B absent
    lq = location_quotients(counts).set_index(["area", "sector"])
    assert len(lq) == 6
    assert math.isnan(lq.loc[("Y", "B"), "count"]) and math.isnan(lq.loc[("Y", "B"), "lq"])
    assert lq.loc[("Y", "A"), "area_total"] == 90 + 150
    assert not lq.loc[("Y", "A"), "area_total_complete"]


def test_suppressed_nomis_cell_through_read_nomis_and_the_cli(tmp_path, capsys):
    # two industry blocks of one year; Bristol's J cell is suppressed ("*")
    path = tmp_path / "ubc_industry.csv"
    blocks = []
    for label, england, solent, bristol in [
        ("3 : Manufacturing (C)", "100", "10", "20"),
        ("10 : Information & communication (J)", "50", "5", "*"),
    ]:
        blocks.append(
            "UK Business Counts - enterprises by industry and employment size band\n"
            "ONS Crown Copyright Reserved [from Nomis on 24 April 2023]\n\n"
            f'date,2022\nindustry,"{label}"\nlegal status,Total\n\n'
            f'Area,Total\ncountry:England,{england}\nlep:Solent,{solent}\n"ladu:Bristol, City of",'
            f"{bristol}\n\n* Estimate unreliable.\n\n"
        )
    path.write_text("".join(blocks))
    counts, england = nomis_sector_counts(read_nomis(path), geography_type="lad")
    assert counts[["area", "sector", "count", "flag"]].fillna({"count": -1}).values.tolist() == [
        ["Bristol, City of", "C", 20.0, None],
        ["Bristol, City of", "J", -1, "*"],
    ]
    lq = location_quotients(counts, reference=england)
    # Bristol: C 20 of a total of 20 (J missing); England C 100 of 150 -> (20/20)/(100/150)
    assert lq["lq"].iloc[0] == pytest.approx(1.0 / (100 / 150), abs=1e-12)
    # the default reference is the country row the counts came with (as the CLI's), not the
    # sum over the areas (Bristol alone: that would make every LQ 1)
    default = location_quotients(counts)
    assert default["reference"].iloc[0] == "country:England"
    assert default["lq"].iloc[0] == pytest.approx(1.0 / (100 / 150), abs=1e-12)
    assert math.isnan(lq["lq"].iloc[1]) and math.isnan(lq["count"].iloc[1])
    assert not lq["area_total_complete"].any()

    out = tmp_path / "lq.csv"
    report = tmp_path / "lq.json"
    argv = ["specialisation", "--table", str(path), "--geography", "lad", "--out", str(out)]
    assert main([*argv, "--report", str(report)]) == 0
    capsys.readouterr()
    table = pd.read_csv(out)
    assert table["count"].isna().sum() == 1 and table["lq"].isna().sum() == 1
    rep = pd.read_json(report, typ="series")
    assert rep["suppressed"]["cells"] == 1 and rep["suppressed"]["kept_missing"]
    assert rep["suppressed"]["areas_with_incomplete_totals"] == ["Bristol, City of"]


def test_indices_by_hand():
    lq = location_quotients(HAND)
    ind = specialisation_indices(lq).set_index("area")
    # X shares 0.1, 0.3, 0.6; reference shares 0.25, 0.225, 0.525
    krugman_x = abs(0.1 - 0.25) + abs(0.3 - 0.225) + abs(0.6 - 0.525)  # 0.15+0.075+0.075 = 0.3
    hhi_x = 0.1**2 + 0.3**2 + 0.6**2  # 0.01 + 0.09 + 0.36 = 0.46
    shannon_x = -(0.1 * math.log(0.1) + 0.3 * math.log(0.3) + 0.6 * math.log(0.6))  # 0.8979
    # Y shares 0.3, 0.2, 0.5
    krugman_y = abs(0.3 - 0.25) + abs(0.2 - 0.225) + abs(0.5 - 0.525)  # 0.05+0.025+0.025 = 0.1
    hhi_y = 0.3**2 + 0.2**2 + 0.5**2  # 0.09 + 0.04 + 0.25 = 0.38
    shannon_y = -(0.3 * math.log(0.3) + 0.2 * math.log(0.2) + 0.5 * math.log(0.5))  # 1.0297
    assert ind.loc["X", "krugman"] == pytest.approx(krugman_x, abs=1e-12)
    assert ind.loc["X", "hhi"] == pytest.approx(hhi_x, abs=1e-12)
    assert ind.loc["X", "shannon"] == pytest.approx(shannon_x, abs=1e-12)
    assert ind.loc["Y", "krugman"] == pytest.approx(krugman_y, abs=1e-12)
    assert ind.loc["Y", "hhi"] == pytest.approx(hhi_y, abs=1e-12)
    assert ind.loc["Y", "shannon"] == pytest.approx(shannon_y, abs=1e-12)
    assert ind["n_sectors"].tolist() == [3, 3] and ind["n_missing"].tolist() == [0, 0]


def test_indices_bounds_single_sector_and_equal_mix():
    counts = pd.DataFrame(
        {"area": ["P", "P", "Q", "Q"], "sector": ["A", "B"] * 2, "count": [40, 0, 20, 20]}
    )
    ind = specialisation_indices(location_quotients(counts)).set_index("area")
    # P: all in A -> hhi 1, shannon 0 (0 ln 0 = 0), n_sectors 1
    assert ind.loc["P", "hhi"] == 1.0 and ind.loc["P", "shannon"] == 0.0
    assert ind.loc["P", "n_sectors"] == 1
    # Q: half and half -> hhi 1/2, shannon ln 2; reference shares 60/80, 20/80
    assert ind.loc["Q", "hhi"] == pytest.approx(0.5, abs=1e-12)
    assert ind.loc["Q", "shannon"] == pytest.approx(math.log(2), abs=1e-12)
    assert ind.loc["Q", "krugman"] == pytest.approx(abs(0.5 - 0.75) + abs(0.5 - 0.25), abs=1e-12)


def test_specialisms_thresholds():
    lq = location_quotients(HAND)
    # lq >= 1.25 only for X/B (1.3333), with count 30
    assert specialisms(lq).empty  # count 30 < 100
    rows = specialisms(lq, min_count=10)
    assert rows[["area", "sector"]].values.tolist() == [["X", "B"]]
    assert is_specialism(lq, min_lq=1.1, min_count=50).tolist() == [
        False,  # X A 0.4
        False,  # X B 1.33 but count 30
        True,  # X C 1.14, count 60
        True,  # Y A 1.2, count 90
        False,  # Y B 0.89
        False,  # Y C 0.95
    ]
    ind = specialisation_indices(lq, min_lq=1.1, min_count=50).set_index("area")
    assert ind["top_specialisms"].tolist() == ["C", "A"]
    assert ind["n_specialisms"].tolist() == [1, 1]
    # strongest first within an area
    many = specialisms(lq, min_lq=1.0, min_count=0)
    assert many[["area", "sector"]].values.tolist() == [["X", "B"], ["X", "C"], ["Y", "A"]]


def test_ellison_glaeser_by_hand():
    # P: s1 30, s2 10 (40); Q: s1 10, s2 50 (60); total 100 -> x = (0.4, 0.6)
    counts = pd.DataFrame(
        {"area": ["P", "P", "Q", "Q"], "sector": ["s1", "s2"] * 2, "count": [30, 10, 10, 50]}
    )
    one_minus = 1 - (0.4**2 + 0.6**2)  # 0.48
    g1 = (30 / 40 - 0.4) ** 2 + (10 / 40 - 0.6) ** 2  # 0.245
    g2 = (10 / 60 - 0.4) ** 2 + (50 / 60 - 0.6) ** 2  # 0.1089
    zero = ellison_glaeser(counts, plant_herfindahl="zero").set_index("sector")
    assert zero.loc["s1", "g"] == pytest.approx(g1, abs=1e-12)
    assert zero.loc["s1", "eg"] == pytest.approx(g1 / one_minus, abs=1e-12)
    assert zero.loc["s2", "eg"] == pytest.approx(g2 / one_minus, abs=1e-12)
    units = ellison_glaeser(counts).set_index("sector")  # H = 1/40 and 1/60
    h1, h2 = 1 / 40, 1 / 60
    assert units.loc["s1", "eg"] == pytest.approx(
        (g1 - one_minus * h1) / (one_minus * (1 - h1)), abs=1e-12
    )
    assert units.loc["s2", "eg"] == pytest.approx(
        (g2 - one_minus * h2) / (one_minus * (1 - h2)), abs=1e-12
    )
    given = ellison_glaeser(counts, plant_herfindahl=pd.Series({"s1": 0.5, "s2": 0.0}))
    assert given["eg"].iloc[0] == pytest.approx((g1 - one_minus * 0.5) / (one_minus * 0.5))
    with pytest.raises(ValueError, match="'units', 'zero'"):
        ellison_glaeser(counts, plant_herfindahl="plants")


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("1 : Agriculture, forestry & fishing (A)", "A"),
        ("2 : Mining, quarrying & utilities (B,D and E)", "B,D,E"),
        ("8 : Transport & storage (inc postal) (H)", "H"),
        ("18 : Arts, entertainment, recreation & other services (R,S,T and U)", "R,S,T,U"),
        ("6 : Wholesale (Part G)", "G"),
        ("J : Information and communication", "J"),
        ("Digital tech", "Digital tech"),
    ],
)
def test_sector_code(label, code):
    assert sector_code(label) == code


def test_errors_name_the_problem():
    with pytest.raises(SchemaError, match="no column.*'count'"):
        location_quotients(HAND.rename(columns={"count": "n"}))
    with pytest.raises(SchemaError, match="more than once.*'X'/'A'"):
        location_quotients(pd.concat([HAND, HAND.iloc[:1]]))
    with pytest.raises(SchemaError, match="lacks the sectors \\['C'\\]"):
        location_quotients(HAND, reference=pd.Series({"A": 1, "B": 2}))
    with pytest.raises(SchemaError, match="not numbers"):
        location_quotients(HAND.assign(count=["1", "x", "3", "4", "5", "6"]))
    with pytest.raises(SchemaError, match="negative"):
        location_quotients(HAND.assign(count=[1, -1, 3, 4, 5, 6]))


# --------------------------------------------------------------------------------------------
# the real UK Business Counts file


def _raw_cells(path: Path) -> dict[tuple[int, str, str], float]:
    """(year, area cell, industry label) -> Total, read with openpyxl alone."""
    import openpyxl

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Workbook contains no default style")
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = wb.worksheets[0]
    ws.reset_dimensions()
    cells: dict[tuple[int, str, str], float] = {}
    year = industry = None
    total_col = None
    for row in ws.iter_rows(values_only=True):
        first = row[0] if row else None
        if first is None:  # a blank row ends the block's data rows
            total_col = None
        elif first == "date":
            year = int(row[1])
        elif first == "industry":
            industry = row[1]
        elif first == "Area":
            total_col = list(row).index("Total")
        elif isinstance(first, str) and ":" in first and total_col is not None:
            cells[(year, first, industry)] = row[total_col]
    wb.close()
    return cells


@pytest.fixture(scope="module")
def raw(shared_file):
    return _raw_cells(shared_file(SIZE_INDUSTRY))


@pytest.fixture(scope="module")
def lep_lq(shared_file):
    counts, england = nomis_sector_counts(read_nomis(shared_file(SIZE_INDUSTRY)), year=2022)
    return location_quotients(counts, reference=england)


@pytest.mark.shared_data
def test_three_lep_quotients_by_hand(raw, lep_lq):
    labels = sorted({k[2] for k in raw if k[0] == 2022}, key=lambda s: int(s.split(":")[0]))
    assert len(labels) == 18

    def total(cell):
        return sum(raw[(2022, cell, lab)] for lab in labels)

    # cells read from the workbook, 2022, column "Total":
    # England: J 181615, K 54470, I 146105; all 18 sections 2408040
    # Greater Cambridge and Greater Peterborough: J 2910 of 36950
    # London: K 15350 of 536065
    # Cornwall and Isles of Scilly: I 2620 of 25620
    assert raw[(2022, "country:England", J_LABEL)] == 181615
    assert raw[(2022, "country:England", K_LABEL)] == 54470
    assert raw[(2022, "country:England", I_LABEL)] == 146105
    assert total("country:England") == 2408040
    assert raw[(2022, f"lep:{GCGP}", J_LABEL)] == 2910 and total(f"lep:{GCGP}") == 36950
    assert raw[(2022, "lep:London", K_LABEL)] == 15350 and total("lep:London") == 536065
    assert raw[(2022, f"lep:{CORNWALL}", I_LABEL)] == 2620 and total(f"lep:{CORNWALL}") == 25620

    hand = {
        (GCGP, "J"): (2910 / 36950) / (181615 / 2408040),  # 0.07876 / 0.07542 = 1.0442
        ("London", "K"): (15350 / 536065) / (54470 / 2408040),  # 0.02863 / 0.02262 = 1.2659
        (CORNWALL, "I"): (2620 / 25620) / (146105 / 2408040),  # 0.10226 / 0.06067 = 1.6855
    }
    got = lep_lq.set_index(["area", "sector"])
    for key, value in hand.items():
        assert abs(got.loc[key, "lq"] - value) < 1e-12, key
    assert got.loc[(GCGP, "J"), "count"] == 2910
    assert got.loc[(GCGP, "J"), "area_total"] == 36950
    assert got.loc[("London", "K"), "reference_count"] == 54470
    assert got.loc[(CORNWALL, "I"), "reference_total"] == 2408040


@pytest.mark.shared_data
def test_every_row_carries_its_counts(raw, lep_lq):
    assert len(lep_lq) == 38 * 18
    assert lep_lq["area"].nunique() == 38 and lep_lq["sector"].nunique() == 18
    assert lep_lq[CONTRACT].notna().all().all()  # the file suppresses nothing
    assert lep_lq["area_total_complete"].all() and lep_lq["reference_complete"].all()
    # every count and reference count is the workbook's cell
    for row in lep_lq.itertuples():
        assert row.count == raw[(2022, f"lep:{row.area}", row.sector_label)]
        assert row.reference_count == raw[(2022, "country:England", row.sector_label)]
    recomputed = (lep_lq["count"] / lep_lq["area_total"]) / (
        lep_lq["reference_count"] / lep_lq["reference_total"]
    )
    np.testing.assert_allclose(lep_lq["lq"], recomputed, rtol=0, atol=1e-12)
    sectors = lep_lq.drop_duplicates("sector")
    assert sectors["sector"].tolist()[:5] == ["A", "B,D,E", "C", "F", "G (Motor trades)"]


@pytest.mark.shared_data
def test_area_totals_match_the_size_band_file(lep_lq, shared_file):
    """Independent check: the sum over sections is Nomis's all-industry count (rounding aside)."""
    published = read_nomis(shared_file(SIZEBAND)).wide(geography_type="lep", year=2022)
    totals = lep_lq.drop_duplicates("area").set_index("area")["area_total"]
    assert set(totals.index) == set(published.index)
    diff = (totals - published.reindex(totals.index)).abs()
    assert diff.max() <= 18 * 5  # each of 18 cells rounded to a multiple of 5
    assert totals[GCGP] == published[GCGP] == 36950


@pytest.mark.shared_data
def test_cli_on_the_real_file(shared_file, raw, tmp_path, capsys):
    table = shared_file(SIZE_INDUSTRY)
    out, ind, rep = tmp_path / "lq.csv", tmp_path / "ind.csv", tmp_path / "lq.json"
    argv = ["specialisation", "--table", str(table), "--date", "2022", "--out", str(out)]
    assert main([*argv, "--indices", str(ind), "--report", str(rep)]) == 0
    capsys.readouterr()
    with open(out, newline="") as f:
        header = next(csv.reader(f))
    assert header[:7] == CONTRACT
    lq = pd.read_csv(out)
    assert len(lq) == 38 * 18 and lq["area"].nunique() == 38
    assert {"sector_label", "area_total_complete", "specialism"} <= set(lq.columns)
    london_k = lq[(lq["area"] == "London") & (lq["sector"] == "K")]["lq"].iloc[0]
    assert abs(london_k - (15350 / 536065) / (54470 / 2408040)) < 1e-12
    indices = pd.read_csv(ind)
    assert len(indices) == 38 and {"krugman", "hhi", "shannon"} <= set(indices.columns)
    report = pd.read_json(rep, typ="series")
    assert report["year"] == 2022 and report["geography"] == "lep"
    assert report["reference"] == "country:England"
    assert report["n_areas"] == 38 and report["n_sectors"] == 18
    assert report["suppressed"]["cells"] == 0
    assert report["provenance"]["licence"] == "ONS Crown Copyright / OGL v3.0"
    assert report["provenance"]["source"] == str(table)


@pytest.mark.shared_data
def test_cli_lad_geography(shared_file, raw, tmp_path, capsys):
    lads = {k[1] for k in raw if k[0] == 2022 and k[1].startswith("ladu:")}
    out = tmp_path / "lad.csv"
    argv = ["specialisation", "--table", str(shared_file(SIZE_INDUSTRY)), "--geography", "lad"]
    assert main([*argv, "--out", str(out)]) == 0
    capsys.readouterr()
    lq = pd.read_csv(out)
    assert lq["area"].nunique() == len(lads) == 374
    assert len(lq) == 374 * 18
    cambridge_j = lq[(lq["area"] == "Cambridge") & (lq["sector"] == "J")].iloc[0]
    assert cambridge_j["count"] == raw[(2022, "ladu:Cambridge", J_LABEL)]


@pytest.mark.shared_data
def test_cli_wrong_date_is_one_line_exit_2(shared_file, tmp_path, capsys):
    table = shared_file(SIZE_INDUSTRY)
    argv = ["specialisation", "--table", str(table), "--date", "2031"]
    assert main([*argv, "--out", str(tmp_path / "lq.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("geodistrict: error:") and str(table) in err[0]
    assert "2031" in err[0] and "2022" in err[0]
    assert not (tmp_path / "lq.csv").exists()


# --------------------------------------------------------------------------------------------
# one pipeline, one rule


def test_one_rule_everywhere():
    import argparse
    import dataclasses

    from geodistrict.app import MIN_COUNT, MIN_LQ
    from geodistrict.cli.specialisation import register
    from geodistrict.metrics.specialisation import SPECIALISM_RULE, SpecialismRule
    from geodistrict.reports import DEFAULT_MIN_COUNT, DEFAULT_MIN_LQ, ReportOptions

    assert SPECIALISM_RULE == SpecialismRule(min_lq=1.25, min_count=100)
    assert (MIN_LQ, MIN_COUNT) == (DEFAULT_MIN_LQ, DEFAULT_MIN_COUNT) == (1.25, 100)
    assert ReportOptions().rule == SPECIALISM_RULE
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["specialisation", "--out", "x.csv"])
    assert (args.min_lq, args.min_count) == (1.25, 100)
    with pytest.raises(dataclasses.FrozenInstanceError):
        SPECIALISM_RULE.min_lq = 2.0  # type: ignore[misc]


def test_specialisation_from_counts_is_the_three_steps():
    from geodistrict.metrics.specialisation import SpecialismRule, specialisation_from_counts

    rule = SpecialismRule(min_lq=1.1, min_count=20)
    res = specialisation_from_counts(HAND, rule=rule)
    lq = location_quotients(HAND)
    assert res.lq.drop(columns="specialism").equals(lq)
    assert res.lq["specialism"].tolist() == is_specialism(lq, min_lq=1.1, min_count=20).tolist()
    expected = specialisation_indices(lq, min_lq=1.1, min_count=20)
    pd.testing.assert_frame_equal(res.indices, expected)
    pd.testing.assert_frame_equal(
        res.specialisms("Y").drop(columns="specialism"),
        specialisms(lq[lq["area"] == "Y"], min_lq=1.1, min_count=20),
    )
    assert res.rule is rule


def test_specialisation_rejects_a_rule_that_is_not_one():
    from geodistrict.errors import ParameterError
    from geodistrict.metrics.specialisation import specialisation_from_counts

    with pytest.raises(ParameterError, match="SpecialismRule"):
        specialisation_from_counts(HAND, rule=(1.25, 100))  # type: ignore[arg-type]


@pytest.mark.shared_data
def test_specialisation_table_matches_the_steps(shared_file, lep_lq):
    from geodistrict.metrics.specialisation import specialisation_table

    res = specialisation_table(read_nomis(shared_file(SIZE_INDUSTRY)), geography="lep", year=2022)
    pd.testing.assert_frame_equal(res.lq.drop(columns="specialism"), lep_lq)
    assert res.provenance["year"] == 2022
    assert res.provenance["licence"] == "Open Government Licence v3.0"
    assert res.provenance["attribution"].endswith("ONS Crown Copyright / OGL v3.0.")
