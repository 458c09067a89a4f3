"""Issue #3 acceptance: UK Business Counts 2022 per LAD carried onto the 38 LEPs of 2021.

Nomis publishes the LEP rows in the same file: they are the independent check (within 0.5 %).
"""

import json

import pandas as pd
import pytest
from conftest import LAD24, LEP21

from geodistrict import read_boundaries
from geodistrict.cli import main
from geodistrict.io.nomis import read_nomis
from geodistrict.zones.interpolate import interpolate
from geodistrict.zones.match import LEP_ALIASES, aggregate_by_lookup, match_zones
from geodistrict.zones.tables import zone_values

pytestmark = pytest.mark.shared_data
UBC = "uk/tables/nomis_UBC_enterprises_by_sizeband_2023-04.xlsx"
LOOKUP = "uk/boundaries/LAD25_to_LEP21_lookup.csv"


@pytest.fixture(scope="module")
def setup(shared_file):
    lads = read_boundaries(shared_file(LAD24))
    leps = read_boundaries(shared_file(LEP21))
    t = read_nomis(shared_file(UBC))
    published = t.wide(geography_type="lep", year=2022)
    nomis_lep = match_zones(published.rename("nomis"), leps, aliases=LEP_ALIASES)
    assert nomis_lep.unmatched_labels == [] and nomis_lep.unmatched_zones == []
    zv = zone_values(shared_file(UBC), lads, date=2022)
    return lads, leps, zv, nomis_lep.values["nomis"]


def test_lad_rows_reach_lad2024_through_successors(setup):
    _, _, zv, _ = setup
    rep = zv.report()
    assert rep["matched_by"] == {"name": 292, "successor": 17}
    assert rep["unmatched_zones"] == []
    assert sorted(rep["merged_into_successors"]) == [
        "E06000063",
        "E06000064",
        "E06000065",
        "E06000066",
    ]
    assert len(rep["merged_into_successors"]["E06000065"]) == 7  # North Yorkshire
    # Scotland 32 + Wales 22 + Northern Ireland 11 council areas: outside the target geography
    assert len(rep["unmatched_labels"]) == 65
    assert {"Glasgow City", "Cardiff", "Belfast", "Na h-Eileanan Siar"} <= set(
        rep["unmatched_labels"]
    )


def test_nested_interpolation_matches_nomis_lep_rows(setup):
    lads, leps, zv, nomis = setup
    r = interpolate(lads, zv.values, leps, tolerance=0.05)
    got = r.table.set_index("id")["value"]
    rel = (got / nomis - 1).abs()
    assert len(rel) == 38 and rel.notna().all()
    assert rel.max() < 0.005, rel.sort_values().tail()
    rep = r.report["value"]
    assert rep["conserved"] and rep["inside"] + rep["outside"] == pytest.approx(
        zv.values.sum(), rel=1e-9
    )
    # the seven dual-LEP LADs are counted in both LEPs, as Nomis does
    assert rep["double_counted_in_overlaps"] > 0


def test_pure_area_shares_miss_because_of_the_traps(setup):
    """Without the nesting tolerance the coastlines and slivers cost more than 0.5 % somewhere."""
    lads, leps, zv, nomis = setup
    got = interpolate(lads, zv.values, leps).table.set_index("id")["value"]
    assert ((got / nomis - 1).abs() > 0.005).any()


def test_lookup_path_matches_nomis_lep_rows(setup, shared_file):
    _, _, zv, nomis = setup
    lookup = pd.read_csv(shared_file(LOOKUP))
    agg = aggregate_by_lookup(zv.values, lookup, source="LAD25CD", targets=["LEP21CD1", "LEP21CD2"])
    rel = (agg["value"] / nomis - 1).abs()
    assert len(rel.dropna()) == 38 and rel.max() < 0.005
    dual = lookup["LEP21CD2"].notna().sum()
    assert dual == 7


def test_cli_interpolate_contract(shared_file, tmp_path, setup):
    _, _, _, nomis = setup
    out, rep = tmp_path / "ubc.csv", tmp_path / "ubc.json"
    code = main(
        [
            "interpolate",
            "--zones",
            str(shared_file(LAD24)),
            "--table",
            str(shared_file(UBC)),
            "--date",
            "2022",
            "--to",
            str(shared_file(LEP21)),
            "--nested",
            "--out",
            str(out),
            "--report",
            str(rep),
        ]
    )
    assert code == 0
    t = pd.read_csv(out)
    assert list(t.columns[:3]) == ["id", "name", "value"]
    assert ((t.set_index("id")["value"] / nomis - 1).abs() < 0.005).all()
    r = json.loads(rep.read_text())
    assert r["table"]["selection"]["year"] == 2022
    assert r["interpolation"]["value"]["conserved"] is True
    assert len(r["table"]["unmatched_labels"]) == 65
