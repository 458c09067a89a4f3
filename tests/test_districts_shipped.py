"""The shipped district polygons (geodistrict/data/districts.geojson) and ``geodistrict districts``.

Every check compares against something independent of the generator: the published areas of
the benchmark registry, the definition of a one-mile circle, the City of Melbourne's CLUE small
areas, the Barcelona barris and Medellín comunas, and areas computed here with pyproj.
"""

import importlib.util
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geodistrict.cli import main
from geodistrict.districts.registry import district_boundaries, load_districts, load_registry
from geodistrict.io.datasets import shipped_districts_path

MILE_M = 1609.344
PROPERTIES = {
    "id",
    "name",
    "city",
    "country",
    "published_area_ha",
    "source",
    "method",
    "accuracy",
    "date",
    "licence",
    "attribution",
    "vintage",
}
#: The metric CRS each district should be measured in: BNG in Great Britain, else its UTM zone.
LOCAL_EPSG = {
    "22at-barcelona": 32631,
    "medellin-innovation-district": 32618,
    "melbourne-city-north": 32755,
    "manchester-oxford-road": 27700,
    "cambridge": 27700,
    "newcastle-helix": 27700,
    "london-knowledge-quarter": 27700,
}
CIRCLES = {  # slug: documented centre (lon, lat)
    "london-knowledge-quarter": (-0.1233, 51.5322),  # King's Cross station
    "cambridge": (0.1166, 52.2053),  # Old Schools, University of Cambridge
}
CLUE = "melbourne/clue_small_areas/small-areas-for-census-of-land-use-and-employment-clue.shp"
BARRIS = "barcelona/barris_barris.geojson"
COMUNAS = "medellin/medellin_comunas_corregimientos_EPSG4326_fixed.geojson"
STATIONS = "medellin/wgs84_Estaciones_Sistema_Metro.geojson"


def _doc() -> dict:
    return json.loads(shipped_districts_path().read_text(encoding="utf-8"))


def _local_area_ha(slug: str) -> float:
    """Area of a shipped polygon reprojected here with geopandas, independent of geodistrict."""
    d = load_districts().set_index("id")
    return float(d.loc[[slug]].to_crs(LOCAL_EPSG[slug]).area.iloc[0]) / 1e4


# ---------------------------------------------------------------------------------------------
# the file


def test_the_seven_districts_are_shipped_with_their_slugs():
    assert sorted(load_districts()["id"]) == sorted(LOCAL_EPSG)


def test_file_is_rfc7946_lonlat_with_documented_properties():
    doc = _doc()
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc  # RFC 7946: no crs member, coordinates are WGS 84 lon/lat
    for f in doc["features"]:
        props, geom = f["properties"], f["geometry"]
        assert set(props) == PROPERTIES, props["id"]
        for key in ("name", "city", "country", "source", "method", "accuracy", "licence"):
            assert isinstance(props[key], str) and props[key].strip(), (props["id"], key)
        assert geom["type"] == "Polygon", props["id"]
        xy = np.array([c for ring in geom["coordinates"] for c in ring], dtype=float)
        assert (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all()
        # seven decimals at most (about 1 cm)
        assert np.allclose(xy, np.round(xy, 7), rtol=0, atol=1e-10), props["id"]
        # right-hand rule: exterior rings counter-clockwise
        assert shapely.LinearRing(geom["coordinates"][0]).is_ccw, props["id"]


def test_every_polygon_is_valid_non_empty_and_in_epsg_4326():
    d = load_districts()
    assert d.crs.to_epsg() == 4326
    assert d["id"].is_unique
    assert d.geometry.is_valid.all()
    assert not d.geometry.is_empty.any()
    assert (d.geometry.geom_type == "Polygon").all()
    for slug in d["id"]:
        assert _local_area_ha(slug) > 1.0, slug


def test_generator_reproduces_the_shipped_file():
    """boundaries/build_districts.py is deterministic and the file is its output."""
    path = Path(__file__).resolve().parents[1] / "boundaries" / "build_districts.py"
    spec = importlib.util.spec_from_file_location("build_districts", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    built = mod.build()
    shipped = load_districts()
    assert list(built["id"]) == list(shipped["id"])
    for (_, a), (_, b) in zip(built.iterrows(), shipped.iterrows(), strict=True):
        assert shapely.equals_exact(a.geometry.normalize(), b.geometry.normalize(), 1e-9), a["id"]
        for key in ("name", "city", "country", "source", "method", "accuracy", "licence"):
            assert a[key] == b[key], (a["id"], key)


# ---------------------------------------------------------------------------------------------
# areas


@pytest.mark.parametrize("slug", sorted(LOCAL_EPSG))
def test_each_district_is_measured_in_its_local_metric_crs(slug):
    b = district_boundaries([slug])
    assert b.metric_crs.to_epsg() == LOCAL_EPSG[slug]
    assert b.area_km2[0] * 100 == pytest.approx(_local_area_ha(slug), rel=1e-9)


def test_areas_are_within_10_percent_of_the_registry_figures():
    reg = load_registry()
    area = reg[reg["indicator"] == "area"]
    assert set(area["unit"]) == {"ha"}
    d = load_districts().set_index("id")
    published = {s: float(v) for s, v in zip(area["slug"], area["value"], strict=True)}
    checked = sorted(set(published) & set(d.index))
    # the registry publishes areas for these three shipped districts
    assert {"22at-barcelona", "medellin-innovation-district", "manchester-oxford-road"} <= set(
        checked
    )
    for slug in checked:
        assert d.loc[slug, "published_area_ha"] == pytest.approx(published[slug]), slug
        measured = district_boundaries([slug]).area_km2[0] * 100
        assert abs(measured / published[slug] - 1) <= 0.10, (slug, measured, published[slug])


def test_published_area_is_null_or_positive():
    for _, row in load_districts().iterrows():
        v = row["published_area_ha"]
        assert v is None or math.isnan(v) or v > 0, row["id"]


@pytest.mark.parametrize("slug", sorted(CIRCLES))
def test_circles_are_one_mile_round_their_documented_centre(slug):
    b = district_boundaries([slug])
    # pi r^2, less the 256-gon's shortfall (0.01 %)
    assert b.area_km2[0] * 1e6 == pytest.approx(math.pi * MILE_M**2, rel=5e-4)
    # every vertex of the inscribed 256-gon lies on the circle (7 decimals ~ 1 cm)
    cx, cy = Transformer.from_crs(4326, 27700, always_xy=True).transform(*CIRCLES[slug])
    xy = shapely.get_coordinates(b.metric[0])
    assert np.hypot(xy[:, 0] - cx, xy[:, 1] - cy) == pytest.approx(MILE_M, abs=0.05)
    assert len(xy) == 257  # 256 segments, closed


# ---------------------------------------------------------------------------------------------
# against the publishers' own layers


@pytest.mark.shared_data
def test_22at_lies_inside_the_poblenou_barris(shared_file):
    barris = gpd.read_file(shared_file(BARRIS)).to_crs(32631)
    pob = barris[barris["BARRI"].isin(["66", "67", "68", "69", "71"])]
    assert len(pob) == 5 and set(pob["DISTRICTE"]) == {"10"}
    union = shapely.union_all(pob.geometry.values)
    poly = district_boundaries(["22at-barcelona"]).metric[0]
    assert shapely.area(shapely.intersection(poly, union)) / shapely.area(poly) >= 0.95
    assert shapely.area(poly) < shapely.area(union)  # the plan area is smaller than the barris


@pytest.mark.shared_data
def test_medellin_straddles_comunas_4_and_10_around_ruta_n(shared_file):
    comunas = gpd.read_file(shared_file(COMUNAS)).to_crs(32618)
    c4 = comunas[comunas["comuna"] == "04"].geometry.iloc[0]
    c10 = comunas[comunas["comuna"] == "10"].geometry.iloc[0]
    poly = district_boundaries(["medellin-innovation-district"]).metric[0]
    area = shapely.area(poly)
    assert shapely.area(shapely.intersection(poly, c4)) > 0.1 * area
    assert shapely.area(shapely.intersection(poly, c10)) > 0.1 * area
    inside = shapely.area(shapely.intersection(poly, shapely.union(c4, c10)))
    assert inside / area >= 0.95
    # the Metroplús stop named after Ruta N lies in the district
    stations = gpd.read_file(shared_file(STATIONS)).to_crs(32618)
    ruta_n = stations[stations["label"].str.contains("Ruta N")]
    assert len(ruta_n) and shapely.contains(poly, ruta_n.geometry.values).all()


@pytest.mark.shared_data
def test_melbourne_city_north_is_clue_carlton_plus_parkville(shared_file):
    clue = gpd.read_file(shared_file(CLUE))
    parts = clue[clue["featurenam"].isin(["Carlton", "Parkville"])].to_crs(32755)
    assert sorted(parts["featurenam"]) == ["Carlton", "Parkville"]
    union = shapely.union_all(parts.geometry.values)
    poly = district_boundaries(["melbourne-city-north"]).metric[0]
    assert shapely.area(poly) == pytest.approx(shapely.area(union), rel=0.01)
    # the same shape, not just the same area
    assert shapely.area(shapely.symmetric_difference(poly, union)) / shapely.area(union) < 0.01


# ---------------------------------------------------------------------------------------------
# the CLI


def test_cli_districts_lists_every_slug_with_its_area(capsys):
    assert main(["districts"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split()
    assert header[:5] == ["slug", "name", "city", "country", "area_ha"]
    for slug in LOCAL_EPSG:
        row = [ln for ln in lines[1:] if ln.split()[0] == slug]
        assert len(row) == 1, slug
        assert f"{_local_area_ha(slug):,.1f}" in row[0], row[0]


def test_cli_districts_out_round_trips(tmp_path, capsys):
    out = tmp_path / "districts.geojson"
    assert main(["districts", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().err
    got = gpd.read_file(out)
    shipped = load_districts()
    assert got.crs.to_epsg() == 4326
    assert list(got.columns[:5]) == ["slug", "name", "city", "country", "area_ha"]
    assert list(got["slug"]) == list(shipped["id"])
    assert list(got["name"]) == list(shipped["name"])
    for (_, g), (_, s) in zip(got.iterrows(), shipped.iterrows(), strict=True):
        assert shapely.equals_exact(g.geometry, s.geometry, 1e-9), g["slug"]
        assert g["area_ha"] == pytest.approx(_local_area_ha(g["slug"]), rel=1e-9)
    assert json.loads(out.read_text())["provenance"]["sources"]


def test_cli_districts_out_refuses_a_non_geojson_path(tmp_path, capsys):
    assert main(["districts", "--out", str(tmp_path / "d.csv")]) == 2
    err = capsys.readouterr().err
    assert "d.csv" in err and ".geojson" in err
