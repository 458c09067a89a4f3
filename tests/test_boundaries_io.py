import json
import os
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely

from geodistrict import (
    CRSError,
    RepairWarning,
    SchemaError,
    prepare_boundaries,
    profile,
    read_boundaries,
    read_onspd,
    write_table,
)
from geodistrict.crs import choose_metric_crs


def test_bow_tie_is_repaired_with_a_warning_naming_it(tmp_path):
    bow = shapely.Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000), (0, 0)])
    gdf = gpd.GeoDataFrame(
        {"ZONE24CD": ["Z1", "Z2"], "ZONE24NM": ["Bow tie", "Square"]},
        geometry=[bow, shapely.box(2000, 0, 3000, 1000)],
        crs=27700,
    )
    with pytest.warns(RepairWarning, match=r"Z1 \(Bow tie\): Self-intersection"):
        b = prepare_boundaries(gdf)
    assert (b.id_field, b.name_field) == ("ZONE24CD", "ZONE24NM")
    # two triangles of 0.25 km² each
    assert b.area_km2.tolist() == pytest.approx([0.5, 1.0])
    assert b.report()["repaired"][0].startswith("Z1 (Bow tie)")


@pytest.mark.shared_data
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_repairs_shared_among_threads_equal_shapely_one_by_one(shared_file, threads):
    from geodistrict.boundaries import make_valid_all

    # the odileeds LEP 2020 file: 21 features with bow ties and too-short rings, plus squares
    # and a bow tie of our own, so that the big and small ones are dealt out unevenly
    raw = gpd.read_file(shared_file("uk/boundaries/LEP2020_(April_2020)_EN_odileeds.geojson"))
    bow = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    geoms = np.array([*raw.geometry.values, shapely.box(0, 0, 1, 1), bow], dtype=object)
    bad = geoms[~shapely.is_valid(geoms)]
    assert len(bad) == 22
    one_by_one = [shapely.make_valid(g) for g in bad]
    shared = make_valid_all(bad, threads=threads)
    assert all(
        shapely.equals_exact(a, b, tolerance=0) for a, b in zip(shared, one_by_one, strict=True)
    )
    assert shapely.get_type_id(make_valid_all(geoms[-2:], threads=threads)).tolist() == [3, 6]


def test_a_spike_is_cut_off_and_the_polygon_kept_as_repaired():
    # a 1 km square with a 1 km spike out and back along y = 500: make_valid returns the
    # square and the spike as a line, together; the square is kept as it is
    ring = [(0, 0), (1000, 0), (1000, 500), (2000, 500), (1000, 500), (1000, 1000), (0, 1000)]
    spiky = shapely.Polygon(ring)
    assert shapely.make_valid(spiky).geom_type == "GeometryCollection"
    gdf = gpd.GeoDataFrame({"id": ["S"], "name": ["Spike"]}, geometry=[spiky], crs=27700)
    with pytest.warns(RepairWarning, match=r"S \(Spike\)"):
        b = prepare_boundaries(gdf)
    (g,) = b.metric
    assert g.geom_type == "Polygon" and g.is_valid
    assert shapely.equals(g, shapely.box(0, 0, 1000, 1000))


def test_duplicate_ids_and_wrong_types_are_errors():
    dup = gpd.GeoDataFrame(
        {"id": ["a", "a"]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)], crs=27700
    )
    with pytest.raises(SchemaError, match="not unique"):
        prepare_boundaries(dup)
    lines = gpd.GeoDataFrame(
        {"id": ["a"]}, geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=27700
    )
    with pytest.raises(Exception, match="must be polygons"):
        prepare_boundaries(lines)
    nocrs = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(CRSError, match="no CRS"):
        prepare_boundaries(nocrs)


@pytest.mark.parametrize(
    ("bounds", "epsg"),
    [
        ((-0.2, 51.4, 0.1, 51.6), 27700),  # London
        ((2.05, 41.32, 2.23, 41.47), 32631),  # Barcelona
        ((-75.72, 6.16, -75.52, 6.38), 32618),  # Medellín
        ((144.89, -37.85, 144.99, -37.77), 32755),  # Melbourne
        ((-6.5, 54.1, -5.5, 55.3), 29903),  # Northern Ireland: Irish Grid
        ((-8.0, 50.0, 1.7, 60.8), 27700),  # the UK as a whole
    ],
)
def test_metric_crs_choice(bounds, epsg):
    assert choose_metric_crs(bounds, "EPSG:4326").to_epsg() == epsg


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("rel", "idf", "namef", "n", "crs"),
    [
        ("uk/boundaries/LEP2020_(April_2020)_EN_odileeds.geojson", "lep20cd", "lep20nm", 38, 4326),
        ("uk/boundaries/LSIP_Areas_August_2023_EN_BUC.geojson", "LSIP23CD", "LSIP23NM", 38, 27700),
        (
            "uk/boundaries/Combined_Authorities_May_2023_EN_BUC.geojson",
            "CAUTH24CD",
            "CAUTH24NM",
            11,
            4326,
        ),
        ("uk/boundaries/LAD_May_2024_EN_BUC_with_LEP21.geojson", "LAD24CD", "LAD24NM", 296, 4326),
    ],
)
def test_ons_fields_detected(shared_file, rel, idf, namef, n, crs, recwarn):
    b = read_boundaries(shared_file(rel))
    assert (b.id_field, b.name_field, len(b)) == (idf, namef, n)
    assert b.data.crs.to_epsg() == crs
    assert b.metric_crs.to_epsg() == 27700
    assert "Office for National Statistics" in (b.info.attribution or "")


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet", ".geojson", ".csv"])
def test_outputs_keep_geometry_and_provenance(squares, tmp_path, suffix):
    b = prepare_boundaries(squares)
    p = profile(b, [])
    path = write_table(p.table, tmp_path / f"out{suffix}", provenance=p.report["provenance"])
    if suffix == ".csv":
        t = pd.read_csv(path)
        assert list(t.columns) == ["id", "name", "area_km2"]
        prov = json.loads((tmp_path / "out.csv.provenance.json").read_text())
    else:
        t = gpd.read_file(path) if suffix != ".parquet" else gpd.read_parquet(path)
        assert t.geometry.notna().all() and len(t) == 3
        assert t.crs.to_epsg() == 27700
        if suffix == ".parquet":
            prov = json.loads(pq.read_schema(path).metadata[b"geodistrict:provenance"])
        elif suffix == ".gpkg":
            import pyogrio

            meta = pyogrio.read_info(path)["layer_metadata"]
            prov = json.loads(meta["geodistrict_provenance"])
        else:
            prov = json.loads(path.read_text())["provenance"]
    assert prov["crs"]["measured_in"] == "EPSG:27700"
    assert prov["tool"].startswith("geodistrict")


def test_onspd_country_prefix():
    full = read_onspd("onspd")
    eng = read_onspd("onspd:E")
    laua = full.attributes["laua"].astype("string")
    n_e_placed = int(laua.str.startswith("E").fillna(False).sum())
    assert len(eng) == n_e_placed
    assert eng.attributes["laua"].astype("string").str.startswith("E").all()
    with pytest.raises(SchemaError, match="onspd:E"):
        read_onspd("onspd:X")


def test_onspd_northern_ireland_in_bng():
    ni = read_onspd("onspd:N")
    # Belfast City Hall BT1 5GS lies near E 333,900 N 374,200 Irish Grid, i.e. BNG ~ (146k, 529k)
    row = np.flatnonzero(ni.attributes["pcd"].to_numpy() == "BT1 5GS")
    assert len(row) == 1
    x, y = ni.x[row[0]], ni.y[row[0]]
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(x, y)
    assert lon == pytest.approx(-5.93, abs=0.02) and lat == pytest.approx(54.597, abs=0.02)


def test_progress_bar_only_on_a_terminal(squares, tmp_path):
    path = tmp_path / "sq.geojson"
    squares.to_file(path)
    pts = tmp_path / "p.csv"
    pts.write_text("easting,northing\n100,100\n")
    cmd = [sys.executable, "-m", "geodistrict.cli", "profile", "--boundaries", str(path),
           "--points", f"p={pts}", "--out", str(tmp_path / "o.csv")]  # fmt: skip
    env = {**os.environ, "GEODISTRICT_PROGRESS": ""}
    piped = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert piped.returncode == 0, piped.stderr
    assert "\r" not in piped.stderr  # tqdm redraws with carriage returns
    from geodistrict._progress import progress_enabled

    os.environ["GEODISTRICT_PROGRESS"] = "1"
    try:
        assert progress_enabled()
    finally:
        del os.environ["GEODISTRICT_PROGRESS"]


@pytest.mark.shared_data
def test_mislabelled_medellin_is_refused_then_relabelled(shared_file):
    from geodistrict import GeodistrictWarning

    path = shared_file("medellin/comunas_as_published_crs_mislabelled.geojson")
    with pytest.raises(CRSError, match="--boundaries-crs EPSG:4326"):
        read_boundaries(path)
    with pytest.warns(GeodistrictWarning, match="declares EPSG:9377 but was relabelled EPSG:4326"):
        b = read_boundaries(path, crs="EPSG:4326")
    assert len(b) == 21 and b.metric_crs.to_epsg() == 32618  # UTM 18N
    fixed = read_boundaries(
        shared_file("medellin/medellin_comunas_corregimientos_EPSG4326_fixed.geojson")
    )
    assert np.allclose(sorted(b.area_km2), sorted(fixed.area_km2), rtol=1e-6)
