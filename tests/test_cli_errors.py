"""The CLI contract: exit 0 on success; exit 2 and ONE line on stderr for every user error.

Each error case writes its own broken input in ``tmp_path`` and checks that the single stderr
line starts ``geodistrict: error:``, names the offending file and carries the fix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import CRS

from geodistrict.cli import build_parser, main
from geodistrict.errors import GeodistrictError

LEP21 = "uk/boundaries/Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson"

# Two hand-drawn rectangles in EPSG:27700 around Cambridge (metres):
#   A = [500000, 550000] x [200000, 300000] -> 50 km x 100 km = 5000 km²
#   B = [550000, 600000] x [200000, 250000] -> 50 km x  50 km = 2500 km²
# They share the edge x = 550000 for 200000 <= y <= 250000.
AREA_A_KM2 = 5000.0
AREA_B_KM2 = 2500.0


def _rectangles() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["A", "B"], "name": ["Alpha", "Beta"]},
        geometry=[
            shapely.box(500_000, 200_000, 550_000, 300_000),
            shapely.box(550_000, 200_000, 600_000, 250_000),
        ],
        crs=27700,
    )


@pytest.fixture
def boundaries(tmp_path: Path) -> Path:
    """The two rectangles as GeoJSON (declares EPSG:27700)."""
    path = tmp_path / "rectangles.geojson"
    _rectangles().to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


@pytest.fixture
def points(tmp_path: Path) -> Path:
    """Three good points inside the rectangles (easting/northing)."""
    path = tmp_path / "sites.csv"
    path.write_text("site,easting,northing\ns1,525000,250000\ns2,575000,225000\n")
    return path


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _feature_collection(path: Path, features: list[dict], crs: str | None = None) -> Path:
    doc: dict = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc))
    return path


def _profile(tmp_path: Path, boundaries: Path, *points: str, extra: tuple = ()) -> list[str]:
    argv = ["profile", "--boundaries", str(boundaries)]
    for p in points:
        argv += ["--points", p]
    return argv + ["--out", str(tmp_path / "out.csv"), *extra]


# Each case: (tmp_path, boundaries, points) -> (argv, basename named in the error, fix words)
Case = Callable[[Path, Path, Path], tuple[list[str], str, list[str]]]


def case_missing_points(tmp, b, p):
    return _profile(tmp, b, f"pts={tmp / 'nowhere.csv'}"), "nowhere.csv", ["not found"]


def case_missing_boundaries(tmp, b, p):
    return _profile(tmp, tmp / "nowhere.geojson", f"pts={p}"), "nowhere.geojson", ["not found"]


def case_shapefile_without_prj(tmp, b, p):
    shp = tmp / "noprj.shp"
    _rectangles().to_file(shp, engine="pyogrio")
    shp.with_suffix(".prj").unlink()
    # the coordinates are British National Grid: the hint must say so
    return _profile(tmp, shp, f"pts={p}"), "noprj.shp", ["no CRS", "EPSG:27700", "--boundaries-crs"]


def case_geopackage_without_geometry_as_boundaries(tmp, b, p):
    gpkg = tmp / "attributes.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"id": ["A"], "name": ["Alpha"]}), gpkg, layer="t")
    return _profile(tmp, gpkg, f"pts={p}"), "attributes.gpkg", ["no geometry", "polygons"]


def case_csv_as_boundaries(tmp, b, p):
    csv = _write(tmp / "areas.csv", "id,name\nA,Alpha\nB,Beta\n")
    return _profile(tmp, csv, f"pts={p}"), "areas.csv", ["no geometry", "polygons"]


def case_csv_without_coordinates_or_postcodes(tmp, b, p):
    csv = _write(tmp / "names_only.csv", "site,town\ns1,Cambridge\n")
    return _profile(tmp, b, f"pts={csv}"), "names_only.csv", ["--xy", "--postcode"]


def case_swapped_lat_lon(tmp, b, p):
    # Cambridge, Royston, Haverhill written latitude first under a lon,lat header
    csv = _write(
        tmp / "swapped.csv",
        "town,lon,lat\nCambridge,52.205,0.119\nRoyston,52.048,-0.024\nHaverhill,52.083,0.438\n",
    )
    return _profile(tmp, b, f"towns={csv}"), "swapped.csv", ["swap"]


def case_eastings_in_lon_lat_columns(tmp, b, p):
    csv = _write(tmp / "bng_as_lonlat.csv", "town,lon,lat\nCambridge,545000,258000\n")
    return (
        _profile(tmp, b, f"towns={csv}"),
        "bng_as_lonlat.csv",
        ["eastings/northings", "EPSG:27700", "--points-crs"],
    )


def _lonlat_points_labelled_bng(path: Path) -> Path:
    feats = [
        {
            "type": "Feature",
            "properties": {"town": t},
            "geometry": {"type": "Point", "coordinates": xy},
        }
        for t, xy in [("Cambridge", [0.119, 52.205]), ("Royston", [-0.024, 52.048])]
    ]
    return _feature_collection(path, feats, crs="urn:ogc:def:crs:EPSG::27700")


def case_lonlat_points_labelled_bng(tmp, b, p):
    vec = _lonlat_points_labelled_bng(tmp / "lonlat_labelled_bng.geojson")
    return (
        _profile(tmp, b, f"towns={vec}"),
        "lonlat_labelled_bng.geojson",
        ["longitude/latitude", "EPSG:4326"],
    )


def case_lonlat_boundaries_labelled_bng(tmp, b, p):
    gdf = gpd.GeoDataFrame(
        {"id": ["X"], "name": ["Box"]}, geometry=[shapely.box(-0.5, 51.9, 0.9, 52.6)], crs=27700
    )
    path = tmp / "lonlat_boundaries_labelled_bng.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    return (
        _profile(tmp, path, f"pts={p}"),
        "lonlat_boundaries_labelled_bng.geojson",
        ["longitude/latitude", "EPSG:4326"],
    )


def case_empty_boundaries_layer(tmp, b, p):
    path = _feature_collection(tmp / "no_features.geojson", [])
    return _profile(tmp, path, f"pts={p}"), "no_features.geojson", ["no features"]


def case_empty_points_layer(tmp, b, p):
    path = _feature_collection(tmp / "no_points.geojson", [])
    return _profile(tmp, b, f"pts={path}"), "no_points.geojson", ["no features"]


def case_zero_byte_csv(tmp, b, p):
    path = _write(tmp / "zero.csv", "")
    return _profile(tmp, b, f"pts={path}"), "zero.csv", ["empty", "export"]


def case_header_only_csv(tmp, b, p):
    path = _write(tmp / "header_only.csv", "site,easting,northing\n")
    return _profile(tmp, b, f"pts={path}"), "header_only.csv", ["no rows", "export"]


def case_points_without_name(tmp, b, p):
    return _profile(tmp, b, str(p)), p.name, ["NAME=PATH"]


def case_by_unknown_column(tmp, b, p):
    argv = _profile(tmp, b, f"pts={p}", extra=("--by", "pts=sector"))
    return argv, p.name, ["'sector'", "columns are"]


def case_by_unknown_layer(tmp, b, p):
    argv = _profile(tmp, b, f"pts={p}", extra=("--by", "firms=sector"))
    return argv, "firms", ["--by", "'pts'"]


def _two_layer_gpkg(path: Path) -> Path:
    r = _rectangles()
    r.to_file(path, layer="rectangles", driver="GPKG", engine="pyogrio")
    r.iloc[:1].to_file(path, layer="alpha_only", driver="GPKG", engine="pyogrio")
    return path


def case_two_layer_geopackage_as_boundaries(tmp, b, p):
    path = _two_layer_gpkg(tmp / "two_layers.gpkg")
    return _profile(tmp, path, f"pts={p}"), "two_layers.gpkg", ["--boundaries-layer"]


def case_two_layer_geopackage_as_points(tmp, b, p):
    path = _two_layer_gpkg(tmp / "two_layers.gpkg")
    return _profile(tmp, b, f"pts={path}"), "two_layers.gpkg", ["--points-layer"]


def case_duplicate_ids(tmp, b, p):
    gdf = _rectangles()
    gdf["id"] = ["A", "A"]
    path = tmp / "duplicate_ids.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    return _profile(tmp, path, f"pts={p}"), "duplicate_ids.geojson", ["not unique", "--id"]


def case_boundaries_made_of_points(tmp, b, p):
    gdf = gpd.GeoDataFrame(
        {"id": ["A", "B"], "name": ["Alpha", "Beta"]},
        geometry=[shapely.Point(525_000, 250_000), shapely.Point(575_000, 225_000)],
        crs=27700,
    )
    path = tmp / "point_boundaries.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    return _profile(tmp, path, f"pts={p}"), "point_boundaries.geojson", ["polygons", "--points"]


def case_points_made_of_polygons(tmp, b, p):
    return _profile(tmp, b, f"pts={b}"), b.name, ["not points", "--boundaries"]


def case_unknown_output_format(tmp, b, p):
    argv = _profile(tmp, b, f"pts={p}")
    argv[argv.index("--out") + 1] = str(tmp / "out.xlsx")
    return argv, "out.xlsx", [".csv", ".gpkg"]


CASES: list[Case] = [
    case_missing_points,
    case_missing_boundaries,
    case_shapefile_without_prj,
    case_geopackage_without_geometry_as_boundaries,
    case_csv_as_boundaries,
    case_csv_without_coordinates_or_postcodes,
    case_swapped_lat_lon,
    case_eastings_in_lon_lat_columns,
    case_lonlat_points_labelled_bng,
    case_lonlat_boundaries_labelled_bng,
    case_empty_boundaries_layer,
    case_empty_points_layer,
    case_zero_byte_csv,
    case_header_only_csv,
    case_points_without_name,
    case_by_unknown_column,
    case_by_unknown_layer,
    case_two_layer_geopackage_as_boundaries,
    case_two_layer_geopackage_as_points,
    case_duplicate_ids,
    case_boundaries_made_of_points,
    case_points_made_of_polygons,
    case_unknown_output_format,
]


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one stderr line, got {len(lines)}:\n{err}"
    assert lines[0].startswith("geodistrict: error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__.removeprefix("case_") for c in CASES])
def test_user_error_is_one_line_naming_file_and_fix(case, tmp_path, boundaries, points, capsys):
    argv, named, fixes = case(tmp_path, boundaries, points)
    assert main(argv) == 2
    line = _one_error_line(capsys)
    assert named in line, f"{named!r} not named in: {line}"
    for word in fixes:
        assert word in line, f"fix hint {word!r} missing from: {line}"


@pytest.mark.parametrize("case", [case_swapped_lat_lon, case_shapefile_without_prj])
def test_debug_reraises_the_library_error(case, tmp_path, boundaries, points, capsys):
    argv, _, _ = case(tmp_path, boundaries, points)
    with pytest.raises(GeodistrictError):
        main([*argv, "--debug"])


@pytest.mark.shared_data
def test_mislabelled_crs_as_published_is_refused(shared_data, tmp_path, points, capsys):
    """Medellín's comunas as published: lon/lat coordinates labelled EPSG:9377 (metres)."""
    path = shared_data / "medellin" / "comunas_as_published_crs_mislabelled.geojson"
    assert CRS.from_user_input(pyogrio.read_info(path)["crs"]).to_epsg() == 9377
    assert main(_profile(tmp_path, path, f"pts={points}")) == 2
    line = _one_error_line(capsys)
    assert path.name in line
    assert "longitude/latitude" in line and "EPSG:4326" in line


@pytest.mark.shared_data
def test_swapped_lat_lon_against_real_lep_boundaries(shared_data, tmp_path, capsys):
    lep = shared_data / LEP21
    csv = _write(
        tmp_path / "swapped.csv",
        "town,lon,lat\nCambridge,52.205,0.119\nManchester,53.479,-2.245\nLeeds,53.800,-1.549\n",
    )
    assert main(_profile(tmp_path, lep, f"towns={csv}")) == 2
    line = _one_error_line(capsys)
    assert "swapped.csv" in line and "swap" in line


# --- success: hand-worked profile ------------------------------------------------------------

# row  easting  northing  where (hand-worked against the rectangles above)
#  p1  525000   250000    inside A
#  p2  575000   225000    inside B
#  p3  590000   210000    inside B
#  p4  575000   275000    north of B and east of A: unmatched
#  p5  (empty)            no coordinates: rejected
POINTS_CSV = (
    "pid,easting,northing\n"
    "p1,525000,250000\n"
    "p2,575000,225000\n"
    "p3,590000,210000\n"
    "p4,575000,275000\n"
    "p5,,\n"
)


def test_profile_success_hand_worked(tmp_path, boundaries, capsys):
    pts = _write(tmp_path / "sites.csv", POINTS_CSV)
    out = tmp_path / "profile.csv"
    report = tmp_path / "report.json"
    argv = [
        "profile",
        "--boundaries",
        str(boundaries),
        "--points",
        f"sites={pts}",
        "--out",
        str(out),
        "--report",
        str(report),
    ]
    assert main(argv) == 0
    assert "Traceback" not in capsys.readouterr().err

    table = pd.read_csv(out)
    assert list(table.columns[:5]) == ["id", "name", "area_km2", "sites_count", "sites_per_km2"]
    table = table.set_index("id")
    assert table.loc["A", "name"] == "Alpha"
    assert table.loc["B", "name"] == "Beta"
    assert table.loc["A", "area_km2"] == pytest.approx(AREA_A_KM2, rel=1e-9)
    assert table.loc["B", "area_km2"] == pytest.approx(AREA_B_KM2, rel=1e-9)
    assert table.loc["A", "sites_count"] == 1
    assert table.loc["B", "sites_count"] == 2
    assert table.loc["A", "sites_per_km2"] == pytest.approx(1 / 5000)
    assert table.loc["B", "sites_per_km2"] == pytest.approx(2 / 2500)

    layer = json.loads(report.read_text())["layers"]["sites"]
    parts = {k: layer[k] for k in ("matched", "multi", "unmatched", "rejected")}
    assert parts == {"matched": 3, "multi": 0, "unmatched": 1, "rejected": 1}
    assert layer["input"] == 5 == sum(parts.values())


# --- help -------------------------------------------------------------------------------------

PROFILE_OPTIONS = ["--boundaries", "--id", "--name", "--points", "--by", "--snap", "--out"]
PROFILE_OPTIONS += ["--report"]


def test_top_level_help_exits_zero(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "profile" in out and "inspect" in out


def test_profile_help_lists_the_contract_and_an_example(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["profile", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for opt in PROFILE_OPTIONS:
        assert opt in out, opt
    assert "example" in out
    assert "geodistrict profile --boundaries" in out


def test_parser_defines_every_contract_option():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    options = {s for a in sub.choices["profile"]._actions for s in a.option_strings}
    assert set(PROFILE_OPTIONS) <= options
