"""District card, compare and diff: values worked out by hand or read from the registry rows.

Hand-drawn geometry lives in EPSG:27700 around a 1 km square in central London
(X0..X0+1000, Y0..Y0+1000); buffer areas follow from geometry, not from the code:
a square of side s buffered by d covers s² + 4·s·d + π·d².
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import UNIS

from geodistrict import PointLayer, prepare_boundaries, read_points
from geodistrict.cli import main
from geodistrict.districts import (
    KNOWLEDGE_INTENSIVE_DIVISIONS,
    Card,
    compare_cards,
    compare_chart,
    diff_districts,
    district_card,
    is_knowledge_intensive,
    knowledge_intensive_share,
)
from geodistrict.districts.registry import load_registry
from geodistrict.errors import ParameterError
from geodistrict.layers import LayerInfo

DATA = Path(__file__).parent / "data"
X0, Y0 = 530_000.0, 180_000.0


def _one(geom, id_: str, crs: object = 27700):
    gdf = gpd.GeoDataFrame({"id": [id_], "name": [id_.upper()]}, geometry=[geom], crs=crs)
    return prepare_boundaries(gdf)


def _points(xy, *, name: str = "pts", crs: object = 27700, **columns) -> PointLayer:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    attrs = pd.DataFrame({"row": range(len(xy)), **columns})
    from pyproj import CRS

    return PointLayer(x=xy[:, 0], y=xy[:, 1], crs=CRS.from_user_input(crs), attributes=attrs,
                      info=LayerInfo(name=name, source="hand-made"))  # fmt: skip


def _square_buffer_km2(side_km: float, d_km: float) -> float:
    return side_km**2 + 4 * side_km * d_km + math.pi * d_km**2


def _no_nan(card: Card) -> None:
    for ind in card.indicators:
        assert ind.value is None or math.isfinite(ind.value), ind.name


# ---------------------------------------------------------------------------------------------
# (a) registry figures: 22@Barcelona


def test_barcelona_densities_from_the_registry_rows():
    reg = load_registry()
    rows = reg[reg["slug"] == "22at-barcelona"]
    firms = rows[(rows["indicator"] == "firms") & (rows["year"] == 2015)].iloc[0]
    jobs = rows[(rows["indicator"] == "jobs") & (rows["year"] == 2015)].iloc[0]
    area = rows[rows["indicator"] == "area"].iloc[0]
    assert area["unit"] == "ha"
    km2 = area["value"] / 100

    card = district_card("22at-barcelona")
    f = card.indicator("published_firms_per_km2")
    j = card.indicator("published_jobs_per_km2")
    assert f.value == pytest.approx(firms["value"] / km2)
    assert j.value == pytest.approx(jobs["value"] / km2)
    # the brief's hand figures: 8,823 / 1.9826 = 4,450.2 and 93,000 / 1.9826 = 46,908
    assert f.value == pytest.approx(4450.2, abs=0.05)
    assert j.value == pytest.approx(46_908, abs=1)
    cite = f"{firms['publisher']}, {firms['title']} ({int(firms['source_year'])})"
    assert f.source == cite and f.year == 2015 and f.kind == "derived"
    assert j.source == f"{jobs['publisher']}, {jobs['title']} ({int(jobs['source_year'])})"
    assert j.year == 2015
    assert "published area" in f.note  # which area was used is stated
    # every published figure is on the card with its value, year and citation
    got = {(i.value, i.year, i.source) for i in card.indicators if i.kind != "derived"}
    for r in rows.itertuples():
        cite = f"{r.publisher}, {r.title} ({int(r.source_year)})"
        assert (float(r.value), int(r.year), cite) in got, r.indicator
    # flows are reported, never divided by area
    flows = [i for i in card.indicators if i.kind == "flow"]
    assert {i.value for i in flows} == set(rows.loc[rows["kind"] == "flow", "value"].astype(float))
    for i in flows:
        assert not any(n.startswith(i.name + "_") for n in card.names)
    # the JSON contract
    doc = json.loads(json.dumps(card.to_dict()))
    assert doc["area_ha"] == pytest.approx(card.area_ha) and "area_km2" in doc
    entry = doc["indicators"]["published_firms_per_km2"]
    assert {"value", "unit", "source", "year"} <= set(entry)
    assert entry["year"] == 2015 and entry["source"] == f.source


# ---------------------------------------------------------------------------------------------
# (b) hand square with hand-placed points


SQUARE = shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)
INSIDE = [(100, 100), (500, 500), (900, 900), (200, 800), (800, 200)]
ON_EDGE = [(0, 500)]  # on the west edge: outside the district's interior, inside the buffers
RING_800 = [(500, 1400), (-300, 500), (1700, 500)]  # 400, 300, 700 m from the square
RING_1600 = [(500, -1200), (2500, 500)]  # 1200 and 1500 m
REGION = [(500, 4000), (6000, 500), (-5000, 500), (500, -9000)]  # 3 to 9 km
BEYOND = [(20_000, 0)]  # 19 km east: outside the 10 km region


def _hand_points(name: str = "pts", **columns) -> PointLayer:
    offsets = INSIDE + ON_EDGE + RING_800 + RING_1600 + REGION + BEYOND
    return _points([(X0 + dx, Y0 + dy) for dx, dy in offsets], name=name, **columns)


def test_hand_square_counts_and_densities():
    card = district_card(_one(SQUARE, "sq"), layers=[_hand_points()], registry=False)
    assert card.crs_measured == "EPSG:27700"
    assert card.area_ha == pytest.approx(100.0) and card.area_km2 == pytest.approx(1.0)
    v = {i.name: i.value for i in card.indicators}
    n_in, n800 = len(INSIDE), len(INSIDE) + len(ON_EDGE) + len(RING_800)
    n1600, n_reg = n800 + len(RING_1600), n800 + len(RING_1600) + len(REGION)
    assert (v["pts_count"], v["pts_count_800m"], v["pts_count_1600m"]) == (5, 9, 11)
    assert (n_in, n800, n1600, n_reg) == (5, 9, 11, 15)
    assert v["pts_region_count"] == n_reg
    a800, a1600, areg = (_square_buffer_km2(1, d) for d in (0.8, 1.6, 10.0))
    assert v["pts_per_km2"] == pytest.approx(5.0)
    assert v["pts_per_km2_800m"] == pytest.approx(9 / a800, rel=1e-3)
    assert v["pts_per_km2_1600m"] == pytest.approx(11 / a1600, rel=1e-3)
    assert v["pts_region_per_km2"] == pytest.approx(15 / areg, rel=1e-3)
    assert v["pts_density_ratio"] == pytest.approx(5.0 / (15 / areg), rel=1e-3)
    assert all(i.source == "computed" and i.year is None for i in card.indicators)
    assert card.warnings == ()
    frame = card.to_frame()
    assert list(frame["indicator"][:2]) == ["area_ha", "area_km2"]
    assert len(frame) == len(card.indicators) + 2


def test_custom_buffers_and_region_polygon():
    region = _one(shapely.box(X0 - 2000, Y0 - 2000, X0 + 3000, Y0 + 3000), "reg")  # 25 km²
    card = district_card(_one(SQUARE, "sq"), layers=[_hand_points()], buffers_m=(500,),
                         region=region, registry=False)  # fmt: skip
    v = {i.name: i.value for i in card.indicators}
    # within 500 m: inside + edge + the points 400 and 300 m away
    assert v["pts_count_500m"] == 5 + 1 + 2
    assert "pts_count_800m" not in v
    # region [-2, 3] km: every inside/edge/800 m point, (500,-1200) and (2500,500)
    assert v["pts_region_count"] == 11
    assert v["pts_region_per_km2"] == pytest.approx(11 / 25)


def test_zone_values_jobs_per_firm_and_floor_area_ratio():
    # Z1 (2 km²) holds 2,000 jobs and 400,000 m² of floorspace, half of it under the square;
    # Z2 only touches the square's east edge
    zones = prepare_boundaries(gpd.GeoDataFrame(
        {"id": ["Z1", "Z2"]},
        geometry=[shapely.box(X0 - 1000, Y0, X0 + 1000, Y0 + 1000),
                  shapely.box(X0 + 1000, Y0, X0 + 3000, Y0 + 1000)],
        crs=27700))  # fmt: skip
    jobs = pd.Series({"Z1": 2000.0, "Z2": 500.0})
    floor = pd.Series({"Z1": 400_000.0, "Z2": 0.0})
    firms = _points([(X0 + dx, Y0 + dy) for dx, dy in INSIDE], name="firms")
    layers = {"firms": firms, "jobs": (zones, jobs), "floorspace": (zones, floor)}
    card = district_card(_one(SQUARE, "sq"), layers=layers, registry=False)
    v = {i.name: i.value for i in card.indicators}
    assert v["jobs"] == pytest.approx(1000.0) and v["jobs_per_km2"] == pytest.approx(1000.0)
    assert v["floorspace"] == pytest.approx(200_000.0)
    assert v["floor_area_ratio"] == pytest.approx(200_000 / 1_000_000)
    assert v["jobs_per_firm"] == pytest.approx(1000 / 5)


def test_registry_figures_follow_the_boundary_id_and_area_gap_is_warned():
    # a hand-drawn 1 km² polygon labelled with Barcelona's slug: the registry's figures join
    # it, divided by the published 198.26 ha, and the 50 % area gap is a warning
    sq = gpd.GeoDataFrame({"id": ["22at-barcelona"], "name": ["22@"]},
                          geometry=[shapely.box(430_000, 4_581_000, 431_000, 4_582_000)],
                          crs=25831)  # fmt: skip
    card = district_card(prepare_boundaries(sq))
    assert card.area_km2 == pytest.approx(1.0)
    assert card.indicator("published_firms_per_km2").value == pytest.approx(8823 / 1.9826)
    assert len(card.warnings) == 1 and "198.3 ha" in card.warnings[0]


def test_registry_only_slug_has_published_figures_but_cannot_count_layers():
    from geodistrict.districts.registry import district_slugs

    shipped = set(district_slugs())
    reg = load_registry()
    only = [s for s in dict.fromkeys(reg["slug"]) if s not in shipped]
    if not only:
        pytest.skip("every registry district has a shipped polygon")
    card = district_card(only[0])
    assert card.crs_measured is None and card.warnings
    assert all(i.source != "computed" for i in card.indicators)
    _no_nan(card)
    with pytest.raises(ParameterError, match="no shipped polygon"):
        district_card(only[0], layers=[_hand_points()])


# ---------------------------------------------------------------------------------------------
# (c) a polygon in the sea


def test_polygon_in_the_north_sea_gives_zeros_and_a_warning(onspd):
    sea = _one(shapely.box(2.4, 54.4, 2.6, 54.6), "sea", crs=4326)  # 200 km off Yorkshire
    card = district_card(sea, layers={"postcodes": onspd})
    _no_nan(card)
    v = {i.name: i for i in card.indicators}
    for name in ("postcodes_count", "postcodes_count_800m", "postcodes_count_1600m",
                 "postcodes_region_count"):  # fmt: skip
        assert v[name].value == 0
    for name in ("postcodes_per_km2", "postcodes_per_km2_800m", "postcodes_region_per_km2"):
        assert v[name].value == 0.0
    ratio = v["postcodes_density_ratio"]
    assert ratio.value is None and "undefined" in ratio.note
    assert len(card.warnings) == 1 and card.warnings[0].startswith("SEA: no postcodes in")
    json.dumps(card.to_dict(), allow_nan=False)  # valid JSON: no NaN anywhere


def test_a_layer_with_nothing_near_is_warned_naming_the_district_and_the_case():
    site = _one(shapely.box(X0, Y0, X0 + 1000, Y0 + 1000), "site")  # named "SITE"
    # (1) beyond the layer's extent: the region is the square buffered by 10 km, whose east
    # side is flat at X0 + 11 km between Y0 and Y0 + 1 km, where the points' box begins at
    # X0 + 51 km: 40 km apart
    far = _points([(X0 + 51_000, Y0 + 500), (X0 + 60_000, Y0 + 900)], name="far")
    (w,) = district_card(site, layers=[far], registry=False).warnings
    assert w.startswith("SITE: no far in the district, within 1600 m of it or in the district")
    assert "beyond the layer's extent (40.0 km from the box around its 2 points)" in w
    # (2) inside the points' box but more than 10 km from either point (28 km away)
    around = _points([(X0 - 20_000, Y0 - 20_000), (X0 + 21_000, Y0 + 21_000)], name="around")
    (w,) = district_card(site, layers=[around], registry=False).warnings
    assert w.startswith("SITE: no around in") and "within the layer's extent" in w
    # (3) a layer with no points at all
    (w,) = district_card(site, layers=[_points([], name="none")], registry=False).warnings
    assert w.startswith("SITE: no none in") and "the layer has no points" in w
    # (1b) the distance is not given beyond 1,000 km, where a local CRS distorts it
    very_far = _points([(X0 + 1_012_000, Y0 + 500)], name="very_far")
    (w,) = district_card(site, layers=[very_far], registry=False).warnings
    assert "beyond the layer's extent (over 1,000 km from the box around its 1 point)" in w
    # (2b) a window of a layer (the app counts in the box around a district's region) is
    # judged by the whole layer's extent: the window's one point, 2 km east of the region,
    # does not make the district "beyond the layer"; an empty window is not "no points"
    layer = _points([(X0 - 20_000, Y0 - 20_000), (X0 + 13_000, Y0 + 500)], name="win")
    one = layer.window(X0 - 12_000, Y0 - 12_000, X0 + 14_000, Y0 + 14_000)
    assert len(one) == 1 and one.bounds == (X0 - 20_000, Y0 - 20_000, X0 + 13_000, Y0 + 500)
    none = layer.window(X0 - 12_000, Y0 - 12_000, X0 + 12_000, Y0 + 12_000)
    for win in (one, none):
        (w,) = district_card(site, layers=[win], registry=False).warnings
        assert "within the layer's extent" in w, w
    # reprojected, a window's extent is the box around its reprojected outline: there and
    # back it holds the original box, grown by the turn of the meridians against the grid
    # (about 1.4° near London: under tan 2° × the 33 km side)
    back = np.array(one.to_crs(4326).to_crs(27700).bounds)
    grow = (back - np.array(one.bounds)) * [-1, -1, 1, 1]
    assert (grow >= 0).all() and (grow < math.tan(math.radians(2)) * 33_000).all(), grow
    # a point in the region: no warning
    near = _points([(X0 + 5_000, Y0 + 500)], name="near")
    assert district_card(site, layers=[near], registry=False).warnings == ()


# ---------------------------------------------------------------------------------------------
# (d) Cambridge from real layers


def _cambridge():
    from geodistrict.districts.registry import district_boundaries, district_slugs
    from geodistrict.io.datasets import shipped_districts_path

    if "cambridge" in district_slugs():
        return district_boundaries(["cambridge"])
    gdf = gpd.read_file(shipped_districts_path())
    gdf = gdf[gdf["name"].str.contains("Cambridge")].head(1)
    return prepare_boundaries(gdf, id="id", name="name")


@pytest.mark.shared_data
def test_cambridge_card_from_layers(shared_file, onspd):
    b = _cambridge()
    unis = read_points(shared_file(UNIS), name="universities")
    firms = read_points(DATA / "companies_house_sample.csv", name="firms")
    layers = {"postcodes": onspd, "universities": unis, "firms": firms}
    card = district_card(b, layers=layers)
    _no_nan(card)
    computed = [i for i in card.indicators if i.name.split("_")[0] in layers]
    assert len(computed) > 20
    assert all(i.source == "computed" and i.year is None for i in computed)
    # independent counts: points tested against the polygon directly, in EPSG:27700
    assert b.metric_crs.to_epsg() == 27700
    poly = b.metric[0]
    assert card.indicator("postcodes_count").value == int(
        shapely.contains_xy(poly, onspd.x, onspd.y).sum()
    )
    assert card.indicator("postcodes_count").value > 1000  # a city centre
    ue = pd.to_numeric(unis.attributes["EASTING"], errors="coerce")
    un = pd.to_numeric(unis.attributes["NORTHING"], errors="coerce")
    assert card.indicator("universities_count").value == int(
        shapely.contains_xy(poly, ue.to_numpy(), un.to_numpy()).sum()
    )
    inside = shapely.contains_xy(poly, firms.x, firms.y)
    assert card.indicator("firms_count").value == int(inside.sum()) > 0
    div = pd.to_numeric(firms.attributes.loc[inside, "sic_division"], errors="coerce").dropna()
    ki = {21, 26, *range(58, 67), *range(69, 76), 85}
    assert card.indicator("firms_knowledge_intensive_share").value == pytest.approx(
        div.isin(ki).mean()
    )
    shares = [i.value for i in card.indicators if i.name.startswith("firms_share__")]
    assert sum(shares) == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# (e) compare three very different districts


def _three():
    a = _one(shapely.box(X0, Y0, X0 + 500, Y0 + 500), "a")  # 0.25 km²
    b = _one(shapely.box(X0 + 10_000, Y0, X0 + 12_000, Y0 + 2000), "b")  # 4 km²
    c = _one(shapely.box(X0 + 20_000, Y0, X0 + 25_000, Y0 + 5000), "c")  # 25 km²
    xy = ([(X0 + 250, Y0 + 250)] * 10 + [(X0 + 11_000, Y0 + 1000)] * 20
          + [(X0 + 22_500, Y0 + 2500)] * 25)  # fmt: skip
    return (a, b, c), _points(xy)


def test_compare_densities_ranks_baseline_and_chart(tmp_path):
    polys, pts = _three()
    cards = [district_card(p, layers=[pts], registry=False) for p in polys]
    t = compare_cards(cards, baseline="b")
    assert list(t["id"]) == ["a", "b", "c"]
    assert t["area_km2"].tolist() == pytest.approx([0.25, 4.0, 25.0])
    assert t["area_ha"].tolist() == pytest.approx([25.0, 400.0, 2500.0])
    # 10 / 0.25, 20 / 4, 25 / 25
    assert t["pts_per_km2"].tolist() == pytest.approx([40.0, 5.0, 1.0])
    assert t["pts_per_ha"].tolist() == pytest.approx([0.4, 0.05, 0.01])
    assert t["pts_per_km2_rank"].tolist() == [1, 2, 3]
    assert t["pts_per_km2_vs_baseline"].tolist() == pytest.approx([8.0, 1.0, 0.2])
    assert t["area_km2_vs_baseline"].tolist() == pytest.approx([1 / 16, 1.0, 6.25])
    assert t.attrs["sources"]["pts_per_km2"] == ["computed"]
    png = compare_chart(t, tmp_path / "c.png")
    assert png.stat().st_size > 5_000
    svg = compare_chart(t, tmp_path / "c.svg", indicators=["pts_per_km2"])
    assert svg.read_text().lstrip().startswith("<?xml")


def test_compare_mixes_registry_and_computed_cards():
    polys, pts = _three()
    cards = [district_card(polys[0], layers=[pts], registry=False),
             district_card("22at-barcelona")]  # fmt: skip
    t = compare_cards(cards)
    assert np.isnan(t.loc[0, "published_firms_per_km2"])
    assert t.loc[1, "published_firms_per_km2"] == pytest.approx(8823 / 1.9826, rel=1e-6)
    assert "published_firms_arrived_per_km2" not in t  # a flow is never divided
    assert t.loc[1, "published_firms_per_km2_rank"] == 1


# ---------------------------------------------------------------------------------------------
# (f) diff


def test_diff_of_a_district_with_itself_is_zero():
    d = diff_districts(_one(SQUARE, "p"), _one(SQUARE, "q"),
                       layers=[_hand_points(sic_section=list("J" * 16))])  # fmt: skip
    assert (d.area_added_ha, d.area_removed_ha) == (0.0, 0.0)
    assert d.area_common_ha == pytest.approx(100.0) and d.area_change_ha == 0.0
    r = d.layers.loc["pts"]
    assert (r["added_count"], r["removed_count"], r["common_count"]) == (0, 0, 5)
    assert r["density_change_pct"] == 0.0
    assert (d.sectors["change"] == 0).all() and d.gaining_sectors().empty
    f = d.to_frame()
    assert (f["change"].fillna(0) == 0).all()


def test_diff_of_separate_places_names_both_in_its_warnings():
    east = _one(shapely.box(X0 + 5000, Y0, X0 + 6000, Y0 + 1000), "east")  # 4 km apart
    d = diff_districts(_one(SQUARE, "west"), east, layers=[_points([], name="none")])
    assert (d.area_added_ha, d.area_removed_ha, d.area_common_ha) == pytest.approx((100, 100, 0))
    assert d.warnings[:2] == (
        "the proposed WEST and the baseline EAST share no area: the diff compares two separate "
        "places, all of one added and all of the other removed (if they should overlap, check "
        "where each polygon lies).",
        "none: no points in WEST or in EAST.",
    )


def test_diff_circles_area_points_and_sectors():
    r = 1000.0
    centre = shapely.Point(X0, Y0)
    proposed = _one(centre.buffer(r * math.sqrt(2), quad_segs=256), "proposed")
    baseline = _one(centre.buffer(r, quad_segs=256), "baseline")
    # uniform points on a 50 m grid offset by 25 m; the 1024-gons stray at most
    # r·(1 − cos(π/1024)) < 0.01 m from the circles, and no point lies within 0.1 m of them
    g = np.arange(-1600 + 25, 1600, 50.0)
    gx, gy = np.meshgrid(g, g)
    dist = np.hypot(gx, gy).ravel()
    assert np.min(np.abs(dist - r)) > 0.1 and np.min(np.abs(dist - r * math.sqrt(2))) > 0.1
    ring = (dist > r) & (dist < r * math.sqrt(2))
    sections = np.where(ring, "J", "G")
    uniform = _points(np.c_[gx.ravel() + X0, gy.ravel() + Y0], name="uniform",
                      sic_section=sections)  # fmt: skip
    central = _points([(X0 + dx, Y0 + dy) for dx in (-300, 0, 300) for dy in (-300, 0, 300)],
                      name="central")  # fmt: skip
    d = diff_districts(proposed, baseline, layers=[uniform, central])
    # π (r√2)² − π r² = π r²
    assert d.area_added_ha == pytest.approx(math.pi * r**2 / 1e4, rel=1e-3)
    assert d.area_removed_ha == 0.0
    u = d.layers.loc["uniform"]
    assert u["added_count"] == int(ring.sum()) and u["removed_count"] == 0
    assert u["baseline_count"] == int((dist < r).sum())
    assert abs(u["density_change_pct"]) < 2  # uniform: about the same density
    c = d.layers.loc["central"]
    assert (c["baseline_count"], c["proposed_count"], c["added_count"]) == (9, 9, 0)
    assert c["density_change_pct"] == pytest.approx(-50.0, abs=1e-6)  # same points, twice the area
    gain = d.gaining_sectors()
    assert gain["sector"].tolist() == ["J"] and gain["change"].tolist() == [int(ring.sum())]
    json.dumps(d.to_dict(), allow_nan=False)


# hot cells: the proposal X0..X0+2000, the baseline one km east; their boxes grown by 2 km
# make a 7 km x 6 km study area, 28 x 24 cells of 250 m
HOT_P = shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)
HOT_B = shapely.box(X0 + 1000, Y0, X0 + 3000, Y0 + 2000)
HOT_BOX = (X0 - 2000, Y0 - 2000, X0 + 5000, Y0 + 4000)


def _block_points() -> tuple[PointLayer, np.ndarray]:
    """Poisson(8) points per cell, 60 in each cell of a block of 6 x 6 (cols 8-13, rows 9-14)."""
    cols, rows = np.meshgrid(np.arange(28), np.arange(24))
    block = (cols >= 8) & (cols <= 13) & (rows >= 9) & (rows <= 14)
    n = np.where(block, 60, np.random.default_rng(7).poisson(8, cols.shape)).ravel()
    cx = np.repeat(cols.ravel(), n) * 250 + HOT_BOX[0] + 125
    cy = np.repeat(rows.ravel(), n) * 250 + HOT_BOX[1] + 125
    jitter = np.concatenate([np.arange(k) for k in n]) % 100  # inside the cell, off its edges
    return _points(np.c_[cx + jitter, cy - jitter], name="postcodes"), n


@pytest.mark.filterwarnings(
    "ignore:The alternative hypothesis for conditional randomization:DeprecationWarning"
)
def test_diff_hot_cells_of_a_block_of_dense_cells():
    layer, n = _block_points()
    d = diff_districts(_one(HOT_P, "p"), _one(HOT_B, "b"), layers=[layer], hot_margin_m=2000)
    h = d.hot_cells
    assert h is not None and h["n_cells"] == 28 * 24 and h["cell_m"] == 250.0
    # independently: esda's Gi* permutation test on the same lattice (libpysal's queen
    # lattice, cell i = row * 28 + col), two-sided p, Benjamini-Hochberg at 5 % by hand
    esda = pytest.importorskip("esda")
    from libpysal.weights import lat2W

    g = esda.G_Local(n.astype(float), lat2W(24, 28, rook=False), transform="B", star=True,
                     permutations=9999, seed=1, n_jobs=1)  # fmt: skip
    p = np.minimum(1.0, 2 * g.p_sim)  # esda's folded one-sided p, doubled: two-sided
    order = np.sort(p)
    k = np.nonzero(order <= 0.05 * np.arange(1, len(p) + 1) / len(p))[0]
    thr = order[k.max()] if len(k) else -1.0
    rows, cols = np.divmod(np.flatnonzero((p <= thr) & (g.Zs > 0)), 28)
    # by hand: the hot cells are the dense block's (all but a corner or three, whose three
    # dense neighbours a random draw of 8 cells reaches about once in a hundred)
    assert ((cols >= 8) & (cols <= 13) & (rows >= 9) & (rows <= 14)).all()
    assert 32 <= len(rows) <= 36
    mine = d.hot_grid[(d.hot_grid["hot_cold"] == "hot").to_numpy()]
    assert set(zip(mine["row"], mine["col"], strict=True)) == set(zip(rows, cols, strict=True))
    # a cell's centre is at x = X0 - 2000 + 250 col + 125: cols <= 11 lie in the proposal
    # only (added), cols 12-13 in both (common); none in the baseline only
    added, common = int((cols <= 11).sum()), int((cols >= 12).sum())
    assert h["in_study_area"] == len(rows)
    assert (h["proposed"], h["baseline"], h["added"], h["removed"], h["common"]) == (
        added + common, common, added, 0, common)  # fmt: skip
    f = d.to_frame().set_index("measure").loc["hot_cells_count"]
    assert (f["baseline"], f["proposed"], f["added"], f["removed"]) == (
        common, added + common, added, 0)  # fmt: skip
    doc = json.loads(json.dumps(d.to_dict(), allow_nan=False))
    assert doc["hot_cells"]["proposed"] == added + common


def test_diff_hot_cells_of_uniform_points_are_none():
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = HOT_BOX
    xy = np.c_[rng.uniform(x0, x1, 6720), rng.uniform(y0, y1, 6720)]
    d = diff_districts(_one(HOT_P, "p"), _one(HOT_B, "b"), layers=[_points(xy, name="postcodes")],
                       hot_margin_m=2000)  # fmt: skip
    assert d.hot_cells is not None and d.hot_cells["n_cells"] == 672
    assert d.hot_cells["in_study_area"] <= 1  # FDR 5 %: under the null, none in 95 % of runs
    # another layer name: no hot cells, and the diff's keys are those of before
    d = diff_districts(_one(HOT_P, "p"), _one(HOT_B, "b"), layers=[_points(xy, name="firms")])
    assert d.hot_cells is None and "hot_cells" not in d.to_dict()
    assert "hot_cells_count" not in set(d.to_frame()["measure"])


# ---------------------------------------------------------------------------------------------
# (g) knowledge-intensive sectors


def test_knowledge_intensive_definition_and_share():
    expected = {21, 26, *range(58, 64), 64, 65, 66, *range(69, 76), 85}
    assert set(KNOWLEDGE_INTENSIVE_DIVISIONS) == expected
    divs = ["62", "62", "21", "47", "56", None, "85", "70", "01", "99", "34", 26, "64190"]
    flags = is_knowledge_intensive(divs)
    assert flags.tolist()[:5] == [True, True, True, False, False]
    # None and 34 (not a SIC 2007 division) are unknown
    assert flags.isna().tolist() == [False] * 5 + [True] + [False] * 4 + [True, False, False]
    # known: 11; knowledge-intensive: 62, 62, 21, 85, 70, 26 and 64 (from 64190)
    assert knowledge_intensive_share(divs) == pytest.approx(7 / 11)
    assert knowledge_intensive_share([None, "", "00"]) is None


def test_card_sector_mix_lq_and_knowledge_intensive_share():
    # district: J, J, J, M and one without a code; region outside the district: G, G, G, J
    inside = [(X0 + 100 * k, Y0 + 500) for k in range(1, 6)]
    outside = [(X0 + 3000, Y0 + 100 * k) for k in range(1, 5)]
    firms = _points(inside + outside, name="firms",
                    sic_division=["62", "62", "63", "70", None, "47", "47", "47", "62"],
                    sic_section=["J", "J", "J", "M", None, "G", "G", "G", "J"])  # fmt: skip
    card = district_card(_one(SQUARE, "sq"), layers=[firms], registry=False)
    v = {i.name: i.value for i in card.indicators}
    assert v["firms_count"] == 5 and v["firms_region_count"] == 9
    # shares of the 4 firms with a section; region: J 4, M 1, G 3 of 8
    assert (v["firms_share__J"], v["firms_share__M"], v["firms_share__G"]) == (0.75, 0.25, 0.0)
    assert v["firms_lq__J"] == pytest.approx((3 / 4) / (4 / 8))
    assert v["firms_lq__M"] == pytest.approx((1 / 4) / (1 / 8))
    assert v["firms_lq__G"] == 0.0
    assert v["firms_knowledge_intensive_count"] == 4
    assert v["firms_knowledge_intensive_share"] == 1.0
    assert v["firms_region_knowledge_intensive_share"] == pytest.approx(5 / 8)
    assert v["firms_knowledge_intensive_lq"] == pytest.approx(1.6)


# ---------------------------------------------------------------------------------------------
# (h) command line


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (a, b, c), _ = _three()
    out = {}
    for p in (a, b, c):
        out[p.ids[0]] = tmp_path / f"{p.ids[0]}.geojson"
        p.data.to_file(out[p.ids[0]], driver="GeoJSON", engine="pyogrio")
    pts = tmp_path / "pts.csv"
    rows = ([(X0 + 250, Y0 + 250)] * 10 + [(X0 + 11_000, Y0 + 1000)] * 20
            + [(X0 + 22_500, Y0 + 2500)] * 25)  # fmt: skip
    pts.write_text("site,easting,northing\n" + "".join(
        f"s{k},{x:.0f},{y:.0f}\n" for k, (x, y) in enumerate(rows)))  # fmt: skip
    out["pts"] = pts
    return out


def test_cli_card_json_and_csv(tmp_path, files):
    out = tmp_path / "card.json"
    assert main(["card", str(files["a"]), "--points", f"pts={files['pts']}",
                 "--out", str(out)]) == 0  # fmt: skip
    doc = json.loads(out.read_text())
    assert doc["area_ha"] == pytest.approx(25.0) and doc["area_km2"] == pytest.approx(0.25)
    ind = doc["indicators"]["pts_per_km2"]
    assert ind["value"] == pytest.approx(40.0)
    assert ind["source"] == "computed" and ind["year"] is None and ind["unit"] == "pts/km2"
    for entry in doc["indicators"].values():
        assert {"value", "unit", "source", "year"} <= set(entry)
    csv = tmp_path / "card.csv"
    assert main(["card", "22at-barcelona", "--out", str(csv)]) == 0
    t = pd.read_csv(csv)
    assert {"indicator", "value", "unit", "source", "year"} <= set(t.columns)
    row = t.set_index("indicator").loc["published_firms_per_km2"]
    assert row["value"] == pytest.approx(4450.2, abs=0.05) and row["year"] == 2015


def test_cli_compare_and_diff(tmp_path, files):
    out, chart = tmp_path / "cmp.csv", tmp_path / "cmp.png"
    argv = ["compare", str(files["a"]), str(files["b"]), str(files["c"]), "--points",
            f"pts={files['pts']}", "--baseline", str(files["b"]), "--out", str(out),
            "--chart", str(chart)]  # fmt: skip
    assert main(argv) == 0
    t = pd.read_csv(out)
    assert {"id", "name", "area_km2", "area_ha", "pts_per_km2", "pts_per_ha",
            "pts_per_km2_rank", "pts_per_km2_vs_baseline"} <= set(t.columns)  # fmt: skip
    assert t["pts_per_km2"].tolist() == pytest.approx([40.0, 5.0, 1.0])
    assert t["pts_per_km2_rank"].tolist() == [1, 2, 3]
    assert chart.stat().st_size > 5_000
    md = tmp_path / "cmp.md"
    assert main(argv[:-4] + ["--out", str(md)]) == 0
    assert md.read_text().startswith("| id | name |") and "Sources:" in md.read_text()

    out = tmp_path / "diff.json"
    assert main(["diff", str(files["b"]), str(files["a"]), "--points", f"pts={files['pts']}",
                 "--out", str(out)]) == 0  # fmt: skip
    doc = json.loads(out.read_text())
    # b (4 km²) and a (0.25 km²) are 9.5 km apart: everything added, everything removed
    assert doc["area_added_ha"] == pytest.approx(400.0)
    assert doc["area_removed_ha"] == pytest.approx(25.0)
    assert doc["layers"]["pts"]["added_count"] == 20 and doc["layers"]["pts"]["removed_count"] == 10
    csv = tmp_path / "diff.csv"
    assert main(["diff", str(files["a"]), str(files["a"]), "--out", str(csv)]) == 0
    f = pd.read_csv(csv)
    assert list(f.columns[:4]) == ["measure", "unit", "baseline", "proposed"]
    assert f.loc[f["measure"] == "area_ha", "change"].item() == 0


@pytest.mark.parametrize("command", ["card", "compare", "diff"])
def test_cli_unknown_slug_exits_2_with_one_line(tmp_path, capsys, command):
    argv = {
        "card": ["card", "atlantis-quarter", "--out", str(tmp_path / "x.json")],
        "compare": ["compare", "22at-barcelona", "atlantis-quarter", "--out",
                    str(tmp_path / "x.csv")],
        "diff": ["diff", "atlantis-quarter", "22at-barcelona", "--out", str(tmp_path / "x.json")],
    }[command]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("geodistrict: error: atlantis-quarter") and "slug" in err[0]


def test_cli_diff_adds_hot_cells_with_a_postcodes_layer(tmp_path):
    layer, _ = _block_points()
    paths = {}
    for key, geom in (("p", HOT_P), ("b", HOT_B)):
        paths[key] = tmp_path / f"{key}.geojson"
        _one(geom, key).data.to_file(paths[key], driver="GeoJSON", engine="pyogrio")
    pts = tmp_path / "pts.csv"
    xy = zip(layer.x, layer.y, strict=True)
    pts.write_text("site,easting,northing\n" + "".join(
        f"s{k},{x:.0f},{y:.0f}\n" for k, (x, y) in enumerate(xy)))  # fmt: skip
    out = tmp_path / "diff.json"
    argv = ["diff", str(paths["p"]), str(paths["b"]), "--hot-margin", "2000"]
    assert main([*argv, "--points", f"postcodes={pts}", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    h = doc["hot_cells"]
    assert (h["proposed"], h["baseline"], h["added"], h["removed"]) == (33, 11, 22, 0)  # above
    assert h["cell_m"] == 250.0 and h["n_cells"] == 672 and "250 m" in h["method"]
    assert doc["layers"]["postcodes"]["proposed_count"] > 0  # the keys of before are kept
    csv = tmp_path / "diff.csv"
    assert main([*argv, "--points", f"postcodes={pts}", "--out", str(csv)]) == 0
    row = pd.read_csv(csv).set_index("measure").loc["hot_cells_count"]
    assert (row["proposed"], row["added"]) == (33, 22)
    # another name: no hot cells
    assert main([*argv, "--points", f"pts={pts}", "--out", str(out)]) == 0
    assert "hot_cells" not in json.loads(out.read_text())
