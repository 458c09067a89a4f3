"""Companies House BasicCompanyData reader.

The fixture ``tests/data/companies_house_sample.csv`` and the facts it holds
(``companies_house_sample_expected.json``) are written by
``tests/data/make_companies_house_sample.py`` from its own choices and the ONS Postcode Directory,
independently of geodistrict.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodistrict.errors import EmptyLayerError, SchemaError
from geodistrict.io.companies_house import (
    LIVE_STATUSES,
    detect_companies_house,
    parse_sic,
    read_companies_house,
    sic_section,
)

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "companies_house_sample.csv"
EXPECTED = json.loads((DATA / "companies_house_sample_expected.json").read_text())


@pytest.fixture(scope="module")
def firms():
    return read_companies_house(SAMPLE)


@pytest.fixture(scope="module")
def all_firms():
    return read_companies_house(SAMPLE, include_inactive=True)


def _write(path: Path, header: str, rows: list[list[str]]) -> Path:
    lines = [header] + [",".join(f'"{v}"' for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- the fixture ---------------------------------------------------------------------------------


def test_fixture_has_the_real_header_and_300_rows():
    header = SAMPLE.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:2] == ["CompanyName", " CompanyNumber"]
    assert " RegAddress.AddressLine2" in header
    assert len(header) == 55
    assert EXPECTED["total_rows"] == 300


def test_every_row_is_accounted_for(firms):
    assert firms.n_input == EXPECTED["total_rows"] == 300
    assert len(firms) + len(firms.rejected) == 300
    rows = np.concatenate([firms.attributes["row"].to_numpy(), firms.rejected["row"].to_numpy()])
    assert sorted(rows.tolist()) == list(range(300))


def test_provenance(firms):
    info = firms.info
    assert info.kind == "companies_house"
    assert info.licence == "Open Government Licence v3.0"
    assert info.attribution == (
        "Contains Companies House data licensed under the Open Government Licence v3.0"
    )
    assert info.id_field == "CompanyNumber"
    assert firms.name == "firms"
    assert firms.crs.to_epsg() == 27700
    assert any("12 companies that are not live excluded" in n for n in info.notes)


def test_non_live_companies_are_excluded_with_reasons(firms):
    expected = {r["company_number"]: r["status"] for r in EXPECTED["non_live"]["rows"]}
    assert len(expected) == EXPECTED["non_live"]["count"] == 12
    excluded = firms.rejected[firms.rejected["reason"].str.startswith("excluded:")]
    assert len(excluded) == 12
    got = dict(zip(excluded["id"], excluded["reason"], strict=True))
    assert set(got) == set(expected)
    for number, status in expected.items():
        assert got[number] == (
            f"excluded: CompanyStatus={status} (pass include_inactive=True to keep)"
        )
    assert not firms.attributes["CompanyNumber"].isin(list(expected)).any()
    assert firms.attributes["live"].all()
    assert set(firms.attributes["company_status"]) <= LIVE_STATUSES


def test_strike_off_counts_as_live(firms):
    n = EXPECTED["status_counts"]["Active - Proposal to Strike off"]
    assert n == 5
    got = (firms.attributes["company_status"] == "Active - Proposal to Strike off").sum()
    assert got == n


def test_bad_postcodes_are_rejected_naming_the_postcode(firms):
    bad = EXPECTED["bad_postcodes"]
    assert bad["count"] == 8
    assert bad["by_kind"] == {"missing": 2, "no_grid": 2, "unknown": 4}
    rej = firms.rejected.set_index("id")["reason"]
    not_excluded = firms.rejected[~firms.rejected["reason"].str.startswith("excluded:")]
    assert len(not_excluded) == 8
    for r in bad["rows"]:
        reason = rej[r["company_number"]]
        if r["kind"] == "missing":
            assert "no postcode given" in reason
        else:
            assert f"postcode {r['postcode'].strip()} " in reason
            keyword = "no grid reference" if r["kind"] == "no_grid" else "not in the ONS Postcode"
            assert keyword in reason
    assert set(not_excluded["id"]) == {r["company_number"] for r in bad["rows"]}


def test_per_section_counts_match_the_generator(firms):
    live = EXPECTED["live_placed"]
    assert len(firms) == live["count"] == 280
    got = Counter(s if s is not None else "missing" for s in firms.attributes["sic_section"])
    assert dict(got) == live["by_section"]
    assert int(firms.attributes["dormant"].sum()) == live["dormant"]
    none_supplied = firms.attributes["SICCode.SicText_1"] == "None Supplied"
    assert int(none_supplied.sum()) == live["none_supplied"]
    assert firms.attributes.loc[none_supplied, "sic_code"].isna().all()


def test_firms_sit_on_their_postcode_centroids(firms):
    coords = EXPECTED["live_placed"]["coordinates_27700"]
    numbers = firms.attributes["CompanyNumber"].tolist()
    assert set(numbers) == set(coords)
    want = np.array([coords[n] for n in numbers])
    np.testing.assert_array_equal(firms.x, want[:, 0])
    np.testing.assert_array_equal(firms.y, want[:, 1])
    assert (firms.attributes["located_by"] == "postcode").all()


def test_rows_trace_back_to_the_file(firms):
    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    numbers = raw[" CompanyNumber"].to_numpy()
    a = firms.attributes
    assert (numbers[a["row"].to_numpy()] == a["CompanyNumber"].to_numpy()).all()
    r = firms.rejected
    assert (numbers[r["row"].to_numpy()] == r["id"].to_numpy()).all()


def test_include_inactive_keeps_non_live(all_firms):
    assert all_firms.n_input == 300
    assert len(all_firms) == 280 + 12
    assert len(all_firms.rejected) == 8
    assert not all_firms.rejected["reason"].str.startswith("excluded:").any()
    non_live = {r["company_number"]: r["status"] for r in EXPECTED["non_live"]["rows"]}
    kept = all_firms.attributes.set_index("CompanyNumber")
    assert not kept.loc[list(non_live), "live"].any()
    assert kept.loc[list(non_live), "company_status"].to_dict() == non_live
    assert int(all_firms.attributes["live"].sum()) == 280


def test_header_without_leading_spaces_reads_the_same(tmp_path, firms):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    header = ",".join(h.strip() for h in lines[0].rstrip("\n").split(",")) + "\n"
    assert " CompanyNumber" not in header
    p = tmp_path / "stripped.csv"
    p.write_text(header + "".join(lines[1:]), encoding="utf-8")
    other = read_companies_house(p)
    assert other.n_input == 300
    assert other.attributes["CompanyNumber"].tolist() == firms.attributes["CompanyNumber"].tolist()
    pd.testing.assert_frame_equal(other.rejected, firms.rejected)


def test_leading_space_header_is_stripped_in_the_layer(firms):
    cols = list(firms.attributes.columns)
    assert "CompanyNumber" in cols and "RegAddress.AddressLine2" in cols
    assert not any(str(c).startswith(" ") for c in cols)
    assert firms.rejected["id"].notna().all()


# --- SIC parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("division", "section"),
    [
        ("01", "A"), ("03", "A"), ("04", None), ("05", "B"), ("09", "B"), ("10", "C"),
        ("33", "C"), ("34", None), ("35", "D"), ("36", "E"), ("39", "E"), ("40", None),
        ("41", "F"), ("43", "F"), ("44", None), ("45", "G"), ("47", "G"), ("49", "H"),
        ("53", "H"), ("55", "I"), ("56", "I"), ("58", "J"), ("62", "J"), ("63", "J"),
        ("64", "K"), ("66", "K"), ("67", None), ("68", "L"), ("69", "M"), ("72", "M"),
        ("75", "M"), ("76", None), ("77", "N"), ("82", "N"), ("84", "O"), ("85", "P"),
        ("86", "Q"), ("88", "Q"), ("90", "R"), ("93", "R"), ("94", "S"), ("96", "S"),
        ("97", "T"), ("98", "T"), ("99", "U"), ("00", None),
    ],
)  # fmt: skip
def test_sic_section_boundaries(division, section):
    assert sic_section(division) == section


@pytest.mark.parametrize("bad", ["6", "620", "6a", "", "62012"])
def test_sic_section_rejects_non_divisions(bad):
    with pytest.raises(ValueError, match="two digits"):
        sic_section(bad)


def test_parse_sic_hand_worked():
    texts = [
        "62012 - Business and domestic software development",
        "None Supplied",
        "99999 - Dormant Company",
        "74990 - Non-trading company",
        None,
        "",
        "  33190 - Repair of other equipment",
        "01110 - Growing of cereals (except rice), leguminous crops and oil seeds",
        "35110 - Production of electricity",
        "39000 - Remediation activities and other waste management services",
        "43999 - Other specialised construction activities n.e.c.",
        "99000 - Activities of extraterritorial organizations and bodies",
        "7499 - Non-trading company",
    ]
    got = parse_sic(texts)
    assert got["sic_code"].tolist() == [
        "62012", None, "99999", "74990", None, None, "33190", "01110", "35110", "39000",
        "43999", "99000", None,
    ]  # fmt: skip
    assert got["sic_division"].tolist() == [
        "62", None, None, "74", None, None, "33", "01", "35", "39", "43", "99", None,
    ]  # fmt: skip
    assert got["sic_section"].tolist() == [
        "J", None, None, "M", None, None, "C", "A", "D", "E", "F", "U", None,
    ]  # fmt: skip
    assert got["dormant"].tolist() == [False, False, True] + [False] * 10


def test_parse_sic_keeps_a_series_index():
    s = pd.Series(["72110 - Research and experimental development on biotechnology"], index=[7])
    got = parse_sic(s)
    assert got.index.tolist() == [7]
    assert got.loc[7, "sic_section"] == "M"


HEADER = (
    "CompanyName, CompanyNumber,RegAddress.PostCode,CompanyStatus,IncorporationDate,"
    "SICCode.SicText_1,SICCode.SicText_2,SICCode.SicText_3,SICCode.SicText_4"
)


def test_small_file_hand_worked(tmp_path):
    p = _write(
        tmp_path / "BasicCompanyData-2026-01-01-part1_7.csv",
        HEADER,
        [
            ["A LTD", "01234567", "CB2 1TN", "Active", "29/06/2011",
             "62012 - Business and domestic software development",
             "72190 - Other research and experimental development on natural sciences and "
             "engineering", "", "70229 - Management consultancy activities other than "
             "financial management"],
            ["B LTD", "SC123456", "EH1 1YZ", "ACTIVE", "31/12/1999", "None Supplied",
             "62020 - Information technology consultancy activities", "", ""],
            ["C LTD", "07654321", "cb3 0fa", "Active - Proposal to Strike off", "not a date",
             "99999 - Dormant Company", "", "", ""],
            ["D LTD", "07654322", "CB30FA", "Voluntary Arrangement", "01/01/2020",
             "41100 - Development of building projects", "", "", ""],
            ["E LTD", "07654323", "CB2 1TN", "", "", "", "", "", ""],
        ],
    )  # fmt: skip
    layer = read_companies_house(p, name="cam")
    assert layer.name == "cam"
    assert layer.info.vintage == "Companies House BasicCompanyData 2026-01-01"
    a = layer.attributes.set_index("CompanyNumber")
    assert a.index.tolist() == ["01234567", "SC123456", "07654321"]
    assert a["sic_codes"].tolist() == ["62012;72190;70229", "62020", "99999"]
    assert a["sic_code"].tolist() == ["62012", None, "99999"]
    assert a["sic_section"].tolist() == ["J", None, None]
    assert a["dormant"].tolist() == [False, False, True]
    assert a["incorporation_date"].iloc[0] == pd.Timestamp(2011, 6, 29)
    assert a["incorporation_date"].iloc[1] == pd.Timestamp(1999, 12, 31)
    assert pd.isna(a["incorporation_date"].iloc[2])
    assert any("IncorporationDate values are not DD/MM/YYYY" in n for n in layer.info.notes)
    # CB2 1TN, EH1 1YZ and CB3 0FA in the ONS Postcode Directory (Nov 2025)
    np.testing.assert_array_equal(layer.x, [544705.0, 325597.0, 542934.0])
    np.testing.assert_array_equal(layer.y, [258430.0, 673676.0, 258794.0])
    assert layer.rejected.to_dict("list") == {
        "row": [3, 4],
        "id": ["07654322", "07654323"],
        "reason": [
            "excluded: CompanyStatus=Voluntary Arrangement (pass include_inactive=True to keep)",
            "excluded: CompanyStatus is empty (pass include_inactive=True to keep)",
        ],
    }


# --- detection and errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["CompanyName", " CompanyNumber", "RegAddress.PostCode"], True),
        (["CompanyName", "CompanyNumber", " RegAddress.PostCode "], True),
        (["CompanyNumber", "postcode"], False),
        (["UKPRN", "LONGITUDE", "LATITUDE"], False),
        ([], False),
    ],
)
def test_detect_companies_house(columns, expected):
    assert detect_companies_house(columns) is expected


def test_detects_the_fixture_header():
    header = SAMPLE.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert detect_companies_house(header)


def test_missing_columns_are_named_at_once(tmp_path):
    p = _write(tmp_path / "firms.csv", "CompanyName,Postcode", [["A LTD", "CB2 1TN"]])
    with pytest.raises(SchemaError) as err:
        read_companies_house(p)
    msg = str(err.value)
    assert str(p) in msg
    for col in ("'CompanyNumber'", "'RegAddress.PostCode'", "'CompanyStatus'"):
        assert col in msg


def test_missing_status_column_suggests_include_inactive(tmp_path):
    p = _write(
        tmp_path / "firms.csv", "CompanyNumber,RegAddress.PostCode", [["01234567", "CB2 1TN"]]
    )
    with pytest.raises(SchemaError, match="include_inactive=True"):
        read_companies_house(p)
    layer = read_companies_house(p, include_inactive=True)
    assert len(layer) == 1
    assert layer.attributes["sic_code"].isna().all()


def test_duplicate_columns_after_stripping(tmp_path):
    p = _write(
        tmp_path / "firms.csv",
        "CompanyNumber, CompanyNumber,RegAddress.PostCode,CompanyStatus",
        [["01234567", "01234567", "CB2 1TN", "Active"]],
    )
    with pytest.raises(SchemaError, match="same name once spaces are stripped"):
        read_companies_house(p)


def test_header_only_file(tmp_path):
    p = tmp_path / "firms.csv"
    p.write_text(HEADER + "\n", encoding="utf-8")
    with pytest.raises(EmptyLayerError, match="no rows"):
        read_companies_house(p)


def test_all_excluded_gives_an_empty_layer_that_still_counts(tmp_path):
    p = _write(
        tmp_path / "firms.csv",
        "CompanyNumber,RegAddress.PostCode,CompanyStatus",
        [["01234567", "CB2 1TN", "Dissolved"], ["01234568", "", "Liquidation"]],
    )
    layer = read_companies_house(p)
    assert len(layer) == 0 and layer.n_input == 2
    assert layer.rejected["row"].tolist() == [0, 1]
    with pytest.raises(EmptyLayerError):
        layer.require_points()
