"""``geodistrict inspect FILE``: what the tool sees in a file, checked against the publishers'
documented facts (feature counts, CRS, ONS field names in ../shared/data/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyproj import CRS

from geodistrict.cli import main

LEP21 = "uk/boundaries/Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson"
LAD24 = "uk/boundaries/LAD_May_2024_EN_BUC_with_LEP21.geojson"
LSIP23 = "uk/boundaries/LSIP_Areas_August_2023_EN_BUC.geojson"
UNIS = "uk/universities/learning-providers-plus.csv"
MEDELLIN_MISLABELLED = "medellin/comunas_as_published_crs_mislabelled.geojson"


def _inspect_json(path: Path, capsys, *extra: str) -> dict:
    assert main(["inspect", str(path), "--json", *extra]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return json.loads(captured.out)


def _same_crs(printed: str, epsg: int) -> bool:
    # OGC:CRS84 and EPSG:4326 differ only in axis order: both are what RFC 7946 means
    return CRS.from_user_input(printed).equals(CRS.from_epsg(epsg), ignore_axis_order=True)


@pytest.mark.shared_data
def test_lep_2021(shared_data, capsys):
    info = _inspect_json(shared_data / LEP21, capsys)
    assert info["kind"] == "vector"
    assert info["features"] == 38
    assert _same_crs(info["crs"], 4326)
    assert info["crs_problem"] is None
    assert info["detected_id"] == "LEP21CD"
    assert info["detected_name"] == "LEP21NM"
    assert {"LEP21CD", "LEP21NM"} <= set(info["fields"])
    assert "geometry" not in info["fields"]
    assert sum(info["geometry_types"].values()) == 38
    assert set(info["geometry_types"]) <= {"Polygon", "MultiPolygon"}
    # England in lon/lat: west of Cornwall to the Northumberland coast
    w, s, e, n = info["bounds"]
    assert -7 < w < -5 and 49.8 < s < 50.1 and 1.5 < e < 2 and 55.5 < n < 56


@pytest.mark.shared_data
def test_lad_2024(shared_data, capsys):
    info = _inspect_json(shared_data / LAD24, capsys)
    assert info["features"] == 296
    assert _same_crs(info["crs"], 4326)
    assert (info["detected_id"], info["detected_name"]) == ("LAD24CD", "LAD24NM")


@pytest.mark.shared_data
def test_lsip_2023_is_british_national_grid(shared_data, capsys):
    info = _inspect_json(shared_data / LSIP23, capsys)
    assert info["features"] == 38
    assert CRS.from_user_input(info["crs"]).to_epsg() == 27700
    assert info["crs_problem"] is None
    assert info["detected_id"] == "LSIP23CD"
    assert info["detected_name"] == "LSIP23NM"


@pytest.mark.shared_data
def test_universities_table(shared_data, capsys):
    info = _inspect_json(shared_data / UNIS, capsys)
    assert info["kind"] == "universities"
    assert info["rows"] == 166
    assert info["detected_xy"]["x"] == "LONGITUDE"
    assert info["detected_xy"]["y"] == "LATITUDE"
    assert _same_crs(info["detected_xy"]["crs"], 4326)
    assert info["detected_postcode"] == "POSTCODE"
    assert {"UKPRN", "PROVIDER_NAME", "GROUPS"} <= set(info["fields"])


@pytest.mark.shared_data
def test_mislabelled_crs_is_described_not_refused(shared_data, capsys):
    """Medellín's file as published labels lon/lat as EPSG:9377: inspect shows the problem."""
    info = _inspect_json(shared_data / MEDELLIN_MISLABELLED, capsys)
    assert CRS.from_user_input(info["crs"]).to_epsg() == 9377
    assert info["features"] == 21  # 16 comunas + 5 corregimientos
    assert "longitude/latitude" in info["crs_problem"]
    assert "EPSG:4326" in info["crs_problem"]


def _bow_tie(path: Path) -> Path:
    # (0,0) -> (1,1) -> (1,0) -> (0,1) -> (0,0): the edges cross at (0.5, 0.5)
    bow = {
        "type": "Feature",
        "properties": {"id": "X1", "name": "Bow tie"},
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
    }
    square = {
        "type": "Feature",
        "properties": {"id": "X2", "name": "Square"},
        "geometry": {"type": "Polygon", "coordinates": [[[2, 0], [3, 0], [3, 1], [2, 1], [2, 0]]]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [bow, square]}))
    return path


def test_bow_tie_is_reported_invalid(tmp_path, capsys):
    info = _inspect_json(_bow_tie(tmp_path / "bow_tie.geojson"), capsys)
    assert info["features"] == 2
    assert info["invalid"] == 1
    assert info["empty"] == 0
    assert (info["detected_id"], info["detected_name"]) == ("id", "name")
    [reason] = info["invalid_features"]
    assert reason.startswith("X1:")
    assert "Self-intersection" in reason
    assert "0.5 0.5" in reason  # where the edges cross


def test_text_output_lists_the_fields(tmp_path, capsys):
    path = _bow_tie(tmp_path / "bow_tie.geojson")
    assert main(["inspect", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "fields:" in lines
    start = lines.index("fields:")
    assert lines[start + 1 : start + 3] == ["  - id", "  - name"]
    assert "features: 2" in lines
    assert "invalid: 1" in lines
    assert "detected_id: id" in lines


@pytest.mark.shared_data
def test_text_output_lists_real_fields(shared_data, capsys):
    assert main(["inspect", str(shared_data / LEP21)]) == 0
    out = capsys.readouterr().out.splitlines()
    for field in ("LEP21CD", "LEP21NM"):
        assert f"  - {field}" in out
    assert "features: 38" in out


def test_csv_text_without_coordinates(tmp_path, capsys):
    path = tmp_path / "firms.csv"
    path.write_text("name,pcd\nA,CB2 1TN\nB,M1 1AE\n")
    info = _inspect_json(path, capsys)
    assert info["kind"] == "table"
    assert info["rows"] == 2
    assert info["detected_xy"] is None
    assert info["detected_postcode"] == "pcd"


def test_layer_option_picks_a_geopackage_layer(tmp_path, capsys):
    import geopandas as gpd
    import shapely

    path = tmp_path / "two.gpkg"
    one = gpd.GeoDataFrame({"code": ["A"]}, geometry=[shapely.box(0, 0, 1000, 1000)], crs=27700)
    one.to_file(path, layer="first", driver="GPKG", engine="pyogrio")
    two = gpd.GeoDataFrame(
        {"code": ["B", "C"]},
        geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)],
        crs=27700,
    )
    two.to_file(path, layer="second", driver="GPKG", engine="pyogrio")
    assert _inspect_json(path, capsys, "--layer", "second")["features"] == 2
    # without --layer: one line naming the file and the option
    assert main(["inspect", str(path)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("geodistrict: error: ") and "two.gpkg" in line and "layer" in line


def test_missing_file_is_one_error_line(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nowhere.geojson")]) == 2
    err = capsys.readouterr().err
    [line] = err.splitlines()
    assert line.startswith("geodistrict: error: ")
    assert "nowhere.geojson" in line and "not found" in line
