"""Issue #2 acceptance on the real ONS LEP 2021 boundaries, universities and postcodes."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import LEP21, UNIS

from geodistrict import join_points, profile, read_boundaries, read_points
from geodistrict.cli import main

pytestmark = pytest.mark.shared_data


def _names(b, j, ukprn):
    rows = np.flatnonzero(j.layer.attributes["UKPRN"].to_numpy() == ukprn)
    assert len(rows) == 1
    a = j.assignment
    return sorted(b.names[a.polygon[a.point == rows[0]]])


def test_universities_accounting(lep21, universities):
    j = join_points(universities, lep21)
    rep = j.report()
    assert rep["input"] == 166
    assert rep["matched"] == 132
    assert rep["multi"] == 0  # no university falls in two LEPs
    assert rep["unmatched"] == 33
    assert rep["rejected"] == 1
    assert rep["matched"] + rep["multi"] + rep["unmatched"] + rep["rejected"] == 166
    (row,) = rep["rejected_rows"]
    assert row["id"] == "10007138"
    assert "no coordinates" in row["reason"]
    assert "NN2 5PH is not in the ONS Postcode Directory" in row["reason"]


def test_universities_land_in_the_right_lep(lep21, universities):
    j = join_points(universities, lep21)
    assert _names(lep21, j, "10007788") == ["Greater Cambridge and Greater Peterborough"]
    # Anglia Ruskin: head office CM1 1SQ, Chelmsford
    assert _names(lep21, j, "10000291") == ["South East"]


def test_unmatched_universities_are_outside_england(lep21, universities):
    j = join_points(universities, lep21)
    lost = j.layer.attributes.loc[j.status == 0]
    # The learning-providers list has no country column: check with the postcode's own LAD.
    from geodistrict import geocode_postcodes

    g = geocode_postcodes(lost["POSTCODE"])
    assert (g["laua"].str[0] != "E").all(), lost.loc[g["laua"].str[0] == "E", "PROVIDER_NAME"]


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:27700", "EPSG:3857", "EPSG:32630"])
def test_lep_areas_match_ons_shape_area_in_any_crs(shared_file, tmp_path, crs):
    src = gpd.read_file(shared_file(LEP21))
    path = tmp_path / "lep.gpkg"
    src.to_crs(crs).to_file(path, driver="GPKG")
    b = read_boundaries(path)
    assert b.metric_crs.to_epsg() == 27700
    ons = src.set_index("LEP21CD")["Shape__Area"] / 1e6
    ours = dict(zip(b.ids, b.area_km2, strict=True))
    rel = np.array([ours[k] / ons[k] - 1 for k in ons.index])
    assert np.abs(rel).max() < 1e-3


def test_lep_overlaps_reported_and_union_consistent(lep21):
    rep = lep21.report()
    pairs = {frozenset((o["name_a"], o["name_b"])) for o in rep["overlaps"]}
    gbs = "Greater Birmingham and Solihull"
    assert frozenset((gbs, "Stoke-on-Trent and Staffordshire")) in pairs
    assert frozenset((gbs, "Worcestershire")) in pairs
    union = shapely.area(shapely.union_all(lep21.metric)) / 1e6
    assert lep21.area_km2.sum() - rep["overlap_km2"] == pytest.approx(union, rel=1e-9)


def test_same_counts_whatever_the_crs(lep21, universities, shared_file, tmp_path):
    base = profile(lep21, [universities]).table["universities_count"].to_numpy()
    # the same points as British National Grid eastings/northings (transformed by pyproj;
    # the file's own EASTING/NORTHING are rounded independently and differ by metres)
    from pyproj import Transformer

    tr = Transformer.from_crs(4326, 27700, always_xy=True)
    e, n = tr.transform(universities.x, universities.y)
    table = universities.attributes.drop(columns=["LONGITUDE", "LATITUDE", "EASTING", "NORTHING"])
    table = table.assign(easting=e, northing=n).drop(columns=["row", "located_by"])
    csv = tmp_path / "unis_bng.csv"
    table.to_csv(csv, index=False)
    bng = read_points(csv, name="universities")
    assert bng.crs.to_epsg() == 27700 and len(bng) == 165
    assert np.array_equal(profile(lep21, [bng]).table["universities_count"].to_numpy(), base)
    # boundaries stored in Web Mercator
    src = gpd.read_file(shared_file(LEP21)).to_crs(3857)
    path = tmp_path / "lep3857.geojson"
    src.to_file(path, driver="GeoJSON")
    b2 = read_boundaries(path)
    got = profile(b2, [universities]).table
    assert got.crs.to_epsg() == 3857  # outputs keep the input CRS
    assert np.array_equal(got["universities_count"].to_numpy(), base)


def test_onspd_against_lep21(lep21, onspd):
    j = join_points(onspd, lep21, snap_m=1000)
    rep = j.report()
    assert rep["input"] == 2_720_556
    assert rep["rejected"] == 24_159
    assert rep["matched"] + rep["multi"] + rep["unmatched"] + rep["rejected"] == 2_720_556
    assert rep["multi"] > 0
    gbs = lep21.ids[lep21.names == "Greater Birmingham and Solihull"][0]
    assert all(gbs in m["ids"] for m in rep["multi_by_boundaries"])
    country = rep["checks"]["lad_country"]
    assert country["placed_in_other_country_by_lad_country"].get("W", 0) > 0
    # Northern Irish grid references are converted: none lands in England
    assert country["placed_in_other_country_by_lad_country"].get("N", 0) == 0
    coast = rep["checks"]["outside_coastline"]
    assert coast["outside_in_boundary_countries"] > 1000
    assert (
        coast["unmatched_in_boundary_countries"]
        == coast["outside_in_boundary_countries"] - coast["snapped"]
    )
    assert coast["snapped"] == coast["within_1000m"]


def test_onspd_snap_recovers_english_postcodes_independently(lep21, onspd):
    plain = join_points(onspd, lep21)
    coast = plain.report()["checks"]["outside_coastline"]
    # independent count: English postcodes outside every LEP, within 500 m of one (sjoin_nearest)
    lost = (plain.status == 0) & (
        onspd.attributes["laua"].astype("string").str[0] == "E"
    ).to_numpy()
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(plain.layer.x[lost], plain.layer.y[lost]), crs=27700
    )
    polys = gpd.GeoDataFrame(geometry=lep21.metric, crs=27700)
    near = gpd.sjoin_nearest(pts, polys, max_distance=500, how="inner")
    n_near = near.index.nunique()
    assert coast["within_500m"] == n_near
    snapped = join_points(onspd, lep21, snap_m=500).report()
    assert snapped["unmatched"] == plain.report()["unmatched"] - snapped["snapped"]
    assert snapped["checks"]["outside_coastline"]["snapped"] == n_near


def test_cli_profile_lep_contract(shared_file, tmp_path):
    import json

    import pandas as pd

    out, rep = tmp_path / "lep_profile.csv", tmp_path / "lep_profile.json"
    code = main(
        [
            "profile",
            "--boundaries",
            str(shared_file(LEP21)),
            "--points",
            f"universities={shared_file(UNIS)}",
            "--by",
            "universities=GROUPS",
            "--out",
            str(out),
            "--report",
            str(rep),
        ]
    )
    assert code == 0
    t = pd.read_csv(out)
    assert list(t.columns[:5]) == [
        "id",
        "name",
        "area_km2",
        "universities_count",
        "universities_per_km2",
    ]
    assert len(t) == 38
    assert t["universities_count"].sum() == 132
    r = json.loads(rep.read_text())
    assert {k: r["layers"]["universities"][k] for k in ("input", "matched", "rejected")} == {
        "input": 166,
        "matched": 132,
        "rejected": 1,
    }
    assert r["boundaries"]["count"] == 38 and r["boundaries"]["overlap_km2"] > 1000
    assert any("Office for National Statistics" in a for a in r["provenance"]["attribution"])
    # Russell Group: 24 members in the list, of which those in England
    rg = t["universities_count__Russell_Group"].sum()
    assert 0 < rg <= 24
