"""profile --zones: jobs and floorspace published per zone, carried onto the boundaries."""

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import LAD24

from geodistrict.cli import main

DATA = Path(__file__).parent / "data"
CLUE = "melbourne/clue_small_areas/small-areas-for-census-of-land-use-and-employment-clue.shp"
JOBS = "melbourne/city-of-melbourne-jobs-forecasts-by-small-area-2020-2040.csv"


@pytest.mark.shared_data
def test_melbourne_jobs_per_km2_on_clue_areas(shared_file, tmp_path):
    out, rep = tmp_path / "mel.csv", tmp_path / "mel.json"
    areas = shared_file(CLUE)
    code = main(
        [
            "profile",
            "--boundaries",
            str(areas),
            "--points",
            f"stations={shared_file('medellin/wgs84_Estaciones_Sistema_Metro.geojson')}",
            "--zones",
            f"jobs={shared_file(JOBS)}@{areas}",
            "--out",
            str(out),
            "--report",
            str(rep),
        ]
    )
    assert code == 0
    t = pd.read_csv(out).set_index("id")
    raw = pd.read_csv(shared_file(JOBS), encoding="utf-8-sig")
    tot = raw[(raw["Industry Space Use"] == "Total jobs") & (raw["Category"] == "Jobs by industry")]
    tot = tot[(tot["Year"] == 2022) & (tot["Geography"] != "City of Melbourne")]
    expected = tot.set_index("Geography")["Value"].astype(float)
    assert len(t) == 13
    assert t["jobs"].to_dict() == pytest.approx(expected.to_dict())
    assert abs(t["jobs"].sum() - 473_514) <= 1  # published city total (rounded parts)
    assert t.loc["Carlton", "jobs"] + t.loc["Parkville", "jobs"] == pytest.approx(46_010)
    assert t["jobs_per_km2"].idxmax() == "Melbourne (CBD)"
    # km² measured in UTM 55S; the shapefile's own shape_area is in m²
    own = gpd.read_file(areas).set_index("featurenam")["shape_area"].astype(float) / 1e6
    assert (t["area_km2"] / own.reindex(t.index) - 1).abs().max() < 5e-3
    r = json.loads(rep.read_text())
    assert r["zones"]["jobs"]["selection"]["layout"] == "clue"
    assert r["zones"]["jobs"]["selection"]["unmatched_labels"] == []
    assert r["provenance"]["crs"]["measured_in"] == "EPSG:32755"
    # Medellín's stations are nowhere near Melbourne: all unmatched, none lost
    assert r["layers"]["stations"]["unmatched"] == 167


@pytest.mark.shared_data
def test_voa_floorspace_gives_floor_area_ratio(shared_file, tmp_path):
    lads = shared_file(LAD24)
    out = tmp_path / "fs.csv"
    code = main(
        [
            "profile",
            "--boundaries",
            str(lads),
            "--points",
            "postcodes=onspd:E",
            "--zones",
            f"floorspace={DATA / 'voa_floorspace_sample.csv'}@{lads}",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    t = pd.read_csv(out).set_index("id")
    fs = pd.read_csv(DATA / "voa_floorspace_sample.csv", comment="#", dtype=str)
    cam = fs[(fs["ons_code"] == "E07000008") & (fs["sector"] == "All")]
    expected_m2 = float(cam["floorspace_000m2"].iloc[0]) * 1000
    assert t.loc["E07000008", "floorspace_m2"] == pytest.approx(expected_m2)
    land_m2 = t.loc["E07000008", "area_km2"] * 1e6
    assert t.loc["E07000008", "floor_area_ratio"] == pytest.approx(expected_m2 / land_m2)
    # LADs missing from the table stay missing, never zero
    assert t["floorspace_m2"].isna().sum() + t["floorspace_m2"].notna().sum() == 296
    assert t["floorspace_m2"].notna().sum() <= 10


def test_floorspace_raster_gives_floor_area_ratio(tmp_path, squares):
    """A hand-made raster: 100 m cells holding 5,000 m² of floorspace each over square A."""
    import numpy as np
    from affine import Affine

    from geodistrict.io.raster import write_geotiff

    arr = np.zeros((20, 30), dtype="float32")  # 3 km x 2 km from (0, 0)
    arr[10:20, 0:10] = 5000.0  # rows 10-19 are y 0-1000; cols 0-9 are x 0-1000: square A
    tif = write_geotiff(
        tmp_path / "fs.tif", arr, transform=Affine(100, 0, 0, 0, -100, 2000), crs=27700
    )
    bpath = tmp_path / "sq.geojson"
    squares.to_file(bpath)
    pts = tmp_path / "p.csv"
    pts.write_text("easting,northing\n100,100\n")
    out = tmp_path / "o.csv"
    argv = ["profile", "--boundaries", str(bpath), "--points", f"firms={pts}",
            "--raster", f"floorspace={tif}", "--raster-units", "floorspace=m2",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    t = pd.read_csv(out).set_index("id")
    # A holds 100 cells x 5,000 m² = 500,000 m² on 1 km²: FAR 0.5; C covers a quarter of A
    assert t.loc["A", "floorspace_m2"] == pytest.approx(500_000)
    assert t.loc["A", "floor_area_ratio"] == pytest.approx(0.5)
    assert t.loc["B", "floorspace_m2"] == 0
    assert t.loc["C", "floorspace_m2"] == pytest.approx(125_000)
    assert t.loc["A", "floorspace_m2_method"] == "raster zonal sum, centre rule"
