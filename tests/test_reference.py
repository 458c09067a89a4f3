"""National references (issue 16): a drawn district is measured against England, not itself.

The expected England totals are computed here straight from the raw inputs — the ONS
Postcode Directory table (``load_postcodes``: codes starting with ``E``) and the LAD file read
with geopandas in EPSG:27700 — not through :mod:`geodistrict.metrics.reference`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import LAD24

pytestmark = pytest.mark.shared_data

#: A 1 km square in central Manchester (British National Grid).
MANCHESTER = shapely.box(383500, 397500, 384500, 398500)


def _square(gdf_crs: int = 27700):
    from geodistrict import prepare_boundaries

    g = gpd.GeoDataFrame({"id": ["mcr"], "name": ["Manchester square"]},
                         geometry=[MANCHESTER], crs=27700)  # fmt: skip
    return prepare_boundaries(g.to_crs(gdf_crs), id="id", name="name")


@pytest.fixture(scope="module")
def lads(shared_file):
    from geodistrict import read_boundaries

    return read_boundaries(shared_file(LAD24))


@pytest.fixture(scope="module")
def england(shared_file):
    """England's postcodes (with a grid reference) and area, from the raw files."""
    from geodistrict.io.onspd import load_postcodes

    pc = load_postcodes()
    ok = pc["x"].notna() & pc["y"].notna()
    n = int((pc.loc[ok, "laua"].astype(str).str[0] == "E").sum())
    lad = gpd.read_file(shared_file(LAD24)).to_crs(27700)
    area_km2 = float(lad.loc[lad["LAD24CD"].str[0] == "E"].area.sum()) / 1e6
    return n, area_km2


def test_country_of_a_square_in_manchester_and_abroad(onspd, lads):
    from geodistrict.crs import WGS84, transform_geoms
    from geodistrict.metrics.reference import country_of_place

    assert country_of_place(MANCHESTER, 27700, postcodes=onspd) == "E"
    assert country_of_place(MANCHESTER, 27700, lads=lads) == "E"
    barcelona = transform_geoms(shapely.box(2.19, 41.39, 2.2, 41.40), WGS84, 4326)
    assert country_of_place(barcelona, 4326, postcodes=onspd, lads=lads) is None


def test_national_reference_is_england_from_onspd(onspd, lads, england, universities):
    from geodistrict.metrics.reference import national_reference

    n, area = england
    ref = national_reference("E", postcodes=onspd, lads=lads, universities=universities)
    assert ref.name == "England"
    assert ref.counts["postcodes"] == n
    assert ref.area_km2 == pytest.approx(area, rel=1e-9)
    assert 125_000 < area < 135_000  # England is about 130,000 km²
    assert 100 < ref.counts["universities"] < len(universities)  # not Scotland's or Wales'
    assert "England" in ref.describe() and "LAD polygons" in ref.describe()


def test_report_of_a_drawn_square_divides_by_england(onspd, universities, lads, england,
                                                      tmp_path):  # fmt: skip
    from geodistrict.reports import ReportOptions, build_context, build_reports

    n, area = england
    b = _square(27700)
    ctx = build_context(b, options=ReportOptions(noun="district"), postcodes=onspd,
                        universities=universities, reference_zones=lads,
                        benchmarks=False)  # fmt: skip
    run = build_reports(ctx, tmp_path, pdf=False)
    html = next(iter(run.html.values())).read_text()
    from geodistrict.reports._place import place_report

    rep = place_report(ctx, 0)
    card = {r["key"]: r for r in rep.card}
    # the square's own postcodes, counted independently
    from geodistrict.io.onspd import load_postcodes

    pc = load_postcodes()
    inside = shapely.contains_xy(MANCHESTER, pc["x"].to_numpy(), pc["y"].to_numpy())
    k = int(inside.sum())
    assert card["postcodes"]["value"] == k
    assert card["area"]["value"] == pytest.approx(1.0, rel=1e-3)
    expected = (k / 1.0) / (n / area)
    assert card["postcodes"]["ratio"] == pytest.approx(expected, rel=2e-3)
    assert card["area"]["ratio"] == pytest.approx(1.0 / area, rel=2e-3)
    assert card["postcodes"]["ratio"] > 10  # a city centre, far denser than England
    assert rep.reference["name"] == "England"
    assert "100.0% of England" not in html and "Reference: England" in html
    assert not np.isclose(card["postcodes"]["ratio"], 1.0)


def test_report_abroad_is_not_covered(onspd, lads, tmp_path):
    from geodistrict import prepare_boundaries
    from geodistrict.reports import ReportOptions, build_context
    from geodistrict.reports._place import place_report

    g = gpd.GeoDataFrame({"id": ["bcn"], "name": ["Poblenou"]},
                         geometry=[shapely.box(2.19, 41.39, 2.2, 41.40)], crs=4326)  # fmt: skip
    ctx = build_context(prepare_boundaries(g, id="id", name="name"),
                        options=ReportOptions(noun="district"), postcodes=onspd,
                        reference_zones=lads, benchmarks=False)  # fmt: skip
    rep = place_report(ctx, 0)
    assert rep.reference["name"] is None
    assert all(r["ratio"] is None for r in rep.card)
    assert "not covered" in rep.card[0]["note"]


def test_cli_report_of_a_drawn_square_defaults_to_england(onspd, england, tmp_path):
    """Without --zones or --reference-zones the bundled LADs give England's area (issue 16)."""
    import json

    from geodistrict.cli import main
    from geodistrict.io.onspd import load_postcodes

    n, area = england  # from the data folder's LAD file, the same polygons as the bundled one
    path = tmp_path / "square.geojson"
    gpd.GeoDataFrame({"id": ["mcr"], "name": ["Manchester square"]}, geometry=[MANCHESTER],
                     crs=27700).to_file(path)  # fmt: skip
    out = tmp_path / "out"
    assert main(["report", "--all", "--boundaries", str(path), "--out", str(out), "--no-pdf",
                 "--no-benchmarks"]) == 0  # fmt: skip
    (doc,) = [json.loads(p.read_text()) for p in out.glob("*.json") if p.name != "reports.json"]
    card = {r["key"]: r for r in doc["card"]}
    pc = load_postcodes()
    k = int(shapely.contains_xy(MANCHESTER, pc["x"].to_numpy(), pc["y"].to_numpy()).sum())
    assert card["postcodes"]["value"] == k
    assert card["postcodes"]["ratio"] == pytest.approx((k / 1.0) / (n / area), rel=2e-3)
    html = "".join(p.read_text() for p in out.glob("*.html") if p.name != "index.html")
    assert "Reference: England" in html and "LAD_May_2024_EN_BUC_with_LEP21" in html
    assert "no ratios are shown" not in html
    # the app's map of the proposal in context, as the app's report on request carries it
    assert "The proposal in context" in html and "Proposed district" in html


def test_countries_of_groups_count_each_code_once_per_row():
    """Majority letter per group, worked out row by row in plain Python."""
    from geodistrict.metrics.reference import countries_of_groups, country_of_codes

    rng = np.random.default_rng(7)
    pool = np.array(["E08000003", "W06000015", "S12000036", "N09000003", "L99999999", None],
                    dtype=object)  # fmt: skip
    codes = pd.Series(pool[rng.integers(0, len(pool), 5000)]).astype("category")
    groups = [rng.choice(5000, size=k, replace=False) for k in (0, 1, 3, 40, 700, 5000)]
    groups.append(np.flatnonzero(codes.isna() | (codes == "L99999999")))  # no country at all

    def by_hand(g):
        tally = {}
        for c in codes.to_numpy()[g]:
            if isinstance(c, str) and c[0] in "ENSW":
                tally[c[0]] = tally.get(c[0], 0) + 1
        if not tally:
            return None
        best = max(tally.values())
        return min(k for k, v in tally.items() if v == best)  # ties: alphabetical

    assert countries_of_groups(codes, groups) == [by_hand(g) for g in groups]
    assert countries_of_groups(codes, groups)[-1] is None
    # a tie goes to the first letter alphabetically; missing codes are not Northern Ireland
    assert country_of_codes(["W06000015", "E08000003"]) == "E"
    assert country_of_codes([None, None, "S12000036"]) == "S"
