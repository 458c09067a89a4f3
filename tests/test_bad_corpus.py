"""The bad-input corpus: every file in ``tests/data/bad`` through the readers and the CLI.

Each case names a small file, says in one line what is wrong with it and what must happen:

* ``ok: ...`` — nothing to repair: exit 0 and the right numbers;
* ``repaired: PHRASE`` — exit 0, the right numbers, and PHRASE in what the user is told (a
  warning on stderr, a note or a rejected-row reason in the ``--report``);
* ``error: PHRASE`` — exit 2 with ONE stderr line naming the file and containing PHRASE; the
  Python API raises a :class:`GeodistrictError` saying the same.

Never a traceback. Every case runs through the Python API (``read_points`` /
``read_boundaries`` / ``read_nomis`` and ``profile``, plus ``describe``) and the CLI
(``geodistrict profile`` and ``geodistrict inspect``).

The numbers come from the hand-drawn layout the corpus shares (British National Grid, m)::

    A = [500000, 550000] x [200000, 300000]   5000 km²
    B = [550000, 600000] x [200000, 250000]   2500 km²

    points files:    p1 (525000, 250000) in A; p2 (575000, 225000), p3 (590000, 210000) in B;
                     p4 (575000, 275000) east of A, north of B: unmatched
    boundary files:  measured against the good points g1 = p1, g2 = p2, g3 = p3, g4 = p4,
                     g5 (510000, 250000) in A, g6 with no coordinates (rejected)

Lon/lat areas are compared with the geodesic area of the polygon (``pyproj.Geod``), an
independent computation. The binary files are written by ``make_bad_corpus.py``; a 30 MB
single-line GeoJSON is generated at test time (never committed).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geodistrict import describe, profile, read_boundaries, read_points
from geodistrict.cli import main
from geodistrict.errors import GeodistrictError
from geodistrict.io.nomis import read_nomis

BAD = Path(__file__).parent / "data" / "bad"
NAN = float("nan")

#: Counts and accounting of the good points in the good rectangles, and of the corpus's points.
BOUNDARY_COUNTS = {"A": 2, "B": 2}
BOUNDARY_STATUS = (4, 0, 1, 1)  # matched, multi, unmatched, rejected
POINT_COUNTS = {"A": 1, "B": 2}
POINT_STATUS = (3, 0, 1, 0)
AREAS = {"A": 5000.0, "B": 2500.0}
GEODESIC = "geodesic"  # compare areas with pyproj.Geod on the file's own polygons


@dataclass(frozen=True)
class Case:
    """One corpus file and what must happen to it."""

    file: str
    role: str  # "points", "boundaries" or "nomis"
    description: str
    expect: str  # "ok: ...", "repaired: PHRASE" or "error: PHRASE"
    counts: dict[str, int] | None = None
    status: tuple[int, int, int, int] | None = None
    areas: dict[str, float] | str | None = None
    area_rel: float = 1e-9
    points: str | None = None  # points file for a boundary case (default: the good points)
    inspect: str | None = None  # phrase in `geodistrict inspect` / describe() output
    zones: dict[str, float] = field(default_factory=dict)  # nomis: value per boundary id
    suppressed: int | None = None  # nomis: cells kept missing by read_nomis

    @property
    def kind(self) -> str:
        return self.expect.split(":", 1)[0]

    @property
    def phrase(self) -> str:
        return self.expect.split(":", 1)[1].strip()

    def expected_counts(self) -> dict[str, int]:
        if self.counts is not None:
            return self.counts
        return BOUNDARY_COUNTS if self.role != "points" else POINT_COUNTS

    def expected_status(self) -> tuple[int, int, int, int]:
        if self.status is not None:
            return self.status
        return BOUNDARY_STATUS if self.role != "points" else POINT_STATUS


def P(file, description, expect, **kw) -> Case:  # noqa: N802 - reads as a table
    return Case(file, "points", description, expect, **kw)


def B(file, description, expect, **kw) -> Case:  # noqa: N802
    return Case(file, "boundaries", description, expect, **kw)


def N(file, description, expect, **kw) -> Case:  # noqa: N802
    return Case(file, "nomis", description, expect, **kw)


HUGE = "huge_single_line.geojson"  # generated at test time (30 MB)

CASES: list[Case] = [
    # --- point tables: encodings, separators, number formats --------------------------------
    P("latin1.csv", "Windows export in Latin-1 (accented names)", "repaired: Latin-1"),
    P("bom.csv", "UTF-8 with a byte-order mark before 'easting'", "repaired: byte-order mark"),
    P("utf16.csv", "Excel 'Unicode text': UTF-16 LE, tabs, CRLF", "repaired: UTF-16"),
    P(
        "semicolon_decimal_comma.csv",
        "';' separators and decimal commas (European export)",
        "repaired: decimal commas",
    ),
    P(
        "decimal_comma_quoted.csv",
        "quoted lon/lat with decimal commas in a comma-separated file",
        "repaired: decimal commas",
    ),
    P(
        "thousands_separators.csv",
        'eastings written "525,000" (thousands separators, not decimal commas)',
        "repaired: thousands separators",
    ),
    P(
        "mixed_decimal_separators.csv",
        'decimal points in most rows, one "575000,25": which separator is the slip?',
        "error: mixes decimal separators",
    ),
    P("tab_separated.tsv", "tab-separated .tsv", "repaired: separator"),
    P("comment_lines.csv", "two '#' comment lines above the header", "repaired: comment line"),
    P("cr_line_endings.csv", "classic-Mac CR-only line endings", "ok: read as four rows"),
    P(
        "latitude_column_first.csv",
        "latitude column before longitude (named correctly)",
        "ok: columns found by name, not position",
    ),
    P(
        "swapped_easting_northing.csv",
        "easting and northing values swapped",
        "error: swapped",
    ),
    P(
        "nonfinite_coordinates.csv",
        "NaN, nan, inf, -Infinity, empty, n/a and 1e999 coordinates",
        "repaired: are not numbers",
        status=(3, 0, 1, 7),
    ),
    P(
        "duplicate_rows.csv",
        "the same sites listed twice with the same ids",
        "ok: every row is an input record and counts",
        counts={"A": 2, "B": 3},
        status=(5, 0, 1, 0),
    ),
    P(
        "null_island.csv",
        "two rows at 0,0 (a placeholder for 'unknown')",
        "ok: placed at 0,0 and reported unmatched",
        status=(3, 0, 3, 0),
    ),
    P(
        "xy_without_crs.csv",
        "x/y columns with no CRS",
        "error: CRS is unknown",
        inspect="detected_xy",
    ),
    P("ragged_rows.csv", "a row with two extra fields", "error: not a well-formed CSV"),
    P("unbalanced_quote.csv", "an opening quote never closed", "error: not a well-formed CSV"),
    P("whitespace_only.csv", "only blanks and newlines", "error: the file is empty"),
    P(
        "comments_only.csv",
        "two '#' comment lines and nothing else",
        "error: no header row",
        inspect="no header row",
    ),
    P("gzip_named_csv.csv", "a gzip-compressed CSV named .csv", "error: gzip-compressed"),
    P(
        "merged_header.xlsx",
        "workbook whose header merges 'Location' over lon and lat",
        "error: are merged",
    ),
    P("corrupt.xlsx", "workbook cut in half", "error: not a readable Excel workbook"),
    # --- point layers: CRS members, dimensions, geometry types --------------------------------
    P(
        "points_crs_member_27700.geojson",
        "pre-RFC 7946 GeoJSON with a crs member (EPSG:27700)",
        "ok: crs member honoured",
    ),
    P(
        "points_crs84_member.geojson",
        "GeoJSON with an OGC CRS84 crs member",
        "ok: lon/lat",
    ),
    P(
        "points_no_crs_member.geojson",
        "RFC 7946 GeoJSON without a crs member (lon/lat)",
        "ok: WGS 84 by the RFC",
    ),
    P(
        "points_bng_without_crs_member.geojson",
        "eastings/northings in a GeoJSON without a crs member (read as degrees)",
        "error: eastings/northings",
        inspect="eastings/northings",
    ),
    P("points_3d.geojson", "3-D points (x, y, z)", "repaired: z coordinates"),
    P("point_m.shp", "measured PointM Shapefile", "repaired: measured (M)"),
    P(
        "points_null_and_empty_geometry.geojson",
        "a null and an empty geometry among the points",
        "repaired: null or empty geometry",
        status=(3, 0, 1, 2),
    ),
    P(
        "points_mixed_geometry_types.geojson",
        "a line, a 2-point MultiPoint and a GeometryCollection among points",
        "repaired: not a point",
        status=(3, 0, 1, 3),
    ),
    P(
        "points_nan_coordinates.geojson",
        "a NaN coordinate (invalid JSON that GDAL reads)",
        "repaired: non-finite coordinates",
        status=(3, 0, 1, 1),
    ),
    # --- boundaries: CRS ---------------------------------------------------------------------
    B(
        "noprj_lonlat.shp",
        "Shapefile without .prj, lon/lat coordinates",
        "error: no CRS",
        inspect="EPSG:4326",
    ),
    B(
        "garbage_prj.shp",
        "Shapefile whose .prj is not a CRS",
        "error: .prj is not a CRS",
        inspect=".prj is not a CRS",
    ),
    B("no_crs.parquet", "GeoParquet written without a CRS", "error: no CRS", inspect="no CRS"),
    B(
        "lonlat_labelled_bng.shp",
        "lon/lat coordinates with a British National Grid .prj",
        "error: longitude/latitude",
        inspect="longitude/latitude",
    ),
    B(
        "bng_labelled_4326.geojson",
        "eastings/northings with a CRS84 crs member",
        "error: eastings/northings",
        inspect="eastings/northings",
    ),
    B(
        "crs_member_27700.geojson",
        "pre-RFC 7946 GeoJSON with a crs member (EPSG:27700)",
        "ok: crs member honoured",
        areas=AREAS,
    ),
    B(
        "boundaries_lonlat_rfc7946.geojson",
        "RFC 7946 lon/lat rectangles sharing an edge",
        "ok: areas match the geodesic ones",
        counts={"W": 2, "E": 2},
        areas=GEODESIC,
        area_rel=1e-3,
    ),
    B(
        "single_feature_not_collection.geojson",
        "a bare Feature, not a FeatureCollection",
        "ok: one boundary",
        counts={"E": 2},
        status=(2, 0, 3, 1),
        areas=GEODESIC,
        area_rel=1e-3,
    ),
    # --- boundaries: invalid and odd geometries --------------------------------------------
    B(
        "bowtie.geojson",
        "A drawn as a bow-tie (ring crosses itself at g1)",
        "repaired: Self-intersection",
        counts={"A": 1, "B": 2},  # two triangles: g5 in the left one, g1 on the crossing
        status=(3, 0, 2, 1),
        areas={"A": 2500.0, "B": 2500.0},
        inspect="Self-intersection",
    ),
    B(
        "self_touching_ring.geojson",
        "A's ring touches itself, cutting a 200 km² notch around g5",
        "repaired: Ring Self-intersection",
        counts={"A": 1, "B": 2},
        status=(3, 0, 2, 1),
        areas={"A": 4800.0, "B": 2500.0},
        inspect="Ring Self-intersection",
    ),
    B(
        "unclosed_ring.geojson",
        "A's ring does not end where it starts",
        "repaired: unclosed polygon rings",
        areas=AREAS,
        inspect="unclosed",
    ),
    B(
        "ring_too_few_points.geojson",
        "B's ring has three points (a line there and back)",
        "error: no area once repaired",
        inspect="Too few points",
    ),
    B(
        "geometry_collection.geojson",
        "B is a GeometryCollection of its polygon and a line",
        "repaired: GeometryCollection",
        areas=AREAS,
    ),
    B(
        "geometry_collection_without_area.geojson",
        "B is a GeometryCollection of a point and a line",
        "error: with no polygon",
        inspect="GeometryCollection",
    ),
    B(
        "mixed_geometry_types.geojson",
        "B is a LineString among polygons",
        "error: must be polygons",
        inspect="LineString",
    ),
    B(
        "null_geometry.geojson",
        "B has a null geometry",
        "error: no geometry",
        inspect="empty: 1",
    ),
    B(
        "empty_geometry.geojson",
        "B has an empty polygon",
        "error: no geometry",
        inspect="empty: 1",
    ),
    B(
        "nan_in_polygon.geojson",
        "a NaN vertex in B's ring",
        "error: non-finite",
        inspect="Invalid Coordinate",
    ),
    B("polygons_3d.geojson", "3-D polygons (z = 30 m, 10 m)", "repaired: z coordinates"),
    B("polygon_m.shp", "measured PolygonM Shapefile", "repaired: measured (M)", areas=AREAS),
    B(
        "antimeridian.geojson",
        "an island drawn across the antimeridian (179° to -179°)",
        "repaired: crosses the antimeridian",
        points="antimeridian_points.csv",
        counts={"F1": 2},
        status=(2, 0, 2, 0),
        areas=GEODESIC,
        area_rel=3e-3,  # UTM zone 1 measures 2-4° from its central meridian: scale 1.0008
    ),
    B(
        "antimeridian_lon_over_180.geojson",
        "the same island with longitudes 179° to 181°",
        "error: beyond 180°",
        inspect="beyond 180",
    ),
    # --- boundaries: ids ---------------------------------------------------------------------
    B(
        "duplicate_ids_whitespace.geojson",
        "ids 'E06000001' and 'E06000001 ' (the same once trimmed)",
        "error: not unique",
    ),
    B("null_id.geojson", "B's id is null", "error: empty id"),
    # --- files that are not what they claim ------------------------------------------------
    B("empty.geojson", "0 bytes", "error: the file is empty", inspect="empty"),
    B(
        "truncated.geojson",
        "GeoJSON cut two thirds of the way through",
        "error: not a readable vector file",
        inspect="not a readable vector file",
    ),
    B(
        "html_error_page.geojson",
        "a 404 page saved as .geojson",
        "error: HTML web page",
        inspect="HTML web page",
    ),
    B(
        "truncated_shp.shp",
        ".shp cut 40 bytes short of its header's length",
        "error: truncated",
        inspect="truncated",
    ),
    B(
        "zipped_shapefile_without_dbf.zip",
        "zipped Shapefile missing its .dbf",
        "error: has no .dbf",
        inspect="has no .dbf",
    ),
    B(
        "zip_without_shapefile.zip",
        "a zip holding only a README",
        "error: holds no vector file",
        inspect="holds no vector file",
    ),
    B(
        "empty_layer.gpkg",
        "GeoPackage layer with 0 features",
        "error: no features",
        inspect="no features",
    ),
    B(
        "truncated.gpkg",
        "GeoPackage cut to a third",
        "error: not a readable vector file",
        inspect="not a readable vector file",
    ),
    B(
        "no_geometry.parquet",
        "plain Parquet table, no geometry",
        "error: no geometry column",
        inspect="no geometry column",
    ),
    # --- Nomis ---------------------------------------------------------------------------------
    N(
        "nomis_suppressed.csv",
        "UK Business Counts with *, !, ~, -, .., x and empty cells",
        "ok: suppressed cells stay missing (NaN, never 0)",
        zones={"A": 120.0, "B": NAN},
        suppressed=7,
        inspect="suppressed: 7",
    ),
    N(
        "nomis_aps_merged_header.xlsx",
        "APS workbook: variable names merged over number | Flags | conf",
        "ok: merged header read",
        zones={"A": 41000.0, "B": NAN},
        suppressed=2,
        inspect="kind: nomis",
    ),
    N(
        "nomis_text_in_value_cell.csv",
        "a value cell holding 'n.a.'",
        "error: neither a number nor a Nomis marker",
        inspect="neither a number nor a Nomis marker",
    ),
    # --- generated at test time ----------------------------------------------------------------
    P(
        HUGE,
        "30 MB GeoJSON on a single line (275,941 points)",
        "ok: read in one piece",
        counts={"A": 68986, "B": 137970},
        status=(206956, 0, 68985, 0),
    ),
]

#: Files of the corpus that are not cases themselves.
SUPPORT_FILES = {"make_bad_corpus.py", "README.md", "antimeridian_points.csv"}
COMPANIONS = {".shx", ".dbf", ".prj"}


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def layout(tmp_path_factory) -> dict[str, Path]:
    """The good rectangles, the good points and the 30 MB single-line GeoJSON."""
    d = tmp_path_factory.mktemp("bad_corpus")
    rects = gpd.GeoDataFrame(
        {"id": ["A", "B"], "name": ["Alpha", "Beta"]},
        geometry=[
            shapely.box(500_000, 200_000, 550_000, 300_000),
            shapely.box(550_000, 200_000, 600_000, 250_000),
        ],
        crs=27700,
    )
    good_b = d / "rectangles.geojson"
    rects.to_file(good_b, driver="GeoJSON", engine="pyogrio")
    good_p = d / "good_points.csv"
    good_p.write_text(
        "site,easting,northing\n"
        "g1,525000,250000\ng2,575000,225000\ng3,590000,210000\n"
        "g4,575000,275000\ng5,510000,250000\ng6,,\n"
    )
    return {"boundaries": good_b, "points": good_p, HUGE: _huge_single_line(d / HUGE)}


def _huge_single_line(path: Path, size: int = 30 * 1024 * 1024) -> Path:
    """A FeatureCollection on one line: p1, p2, p3, p4 repeated (A, B, B, outside)."""
    pts = [(525000.5, 250000.5), (575000.5, 225000.5), (590000.5, 210000.5), (575000.5, 275000.5)]
    head = (
        '{"type":"FeatureCollection","crs":{"type":"name","properties":'
        '{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":['
    )
    parts, n, i = [], len(head), 0
    while n < size:
        x, y = pts[i % 4]
        f = (
            f'{{"type":"Feature","properties":{{"site":"s{i:07d}"}},'
            f'"geometry":{{"type":"Point","coordinates":[{x},{y}]}}}}'
        )
        parts.append(f)
        n += len(f) + 1
        i += 1
    path.write_text(head + ",".join(parts) + "]}")
    return path


_OUTCOMES: dict[str, dict[str, str]] = {}


def _record(case: Case, **kw: str) -> None:
    _OUTCOMES.setdefault(case.file, {"expect": case.expect}).update(kw)


def _path(case: Case, layout: dict[str, Path]) -> Path:
    return layout[HUGE] if case.file == HUGE else BAD / case.file


# --- running things --------------------------------------------------------------------------


@dataclass
class Run:
    value: Any = None
    error: BaseException | None = None
    warnings: list[str] = field(default_factory=list)


def _api(fn, *args, **kwargs) -> Run:
    """Call the library, recording its warnings; GeodistrictError is an expected outcome."""
    run = Run()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            run.value = fn(*args, **kwargs)
        except GeodistrictError as exc:
            run.error = exc
    run.warnings = [str(w.message) for w in caught]
    return run


@dataclass
class CLIRun:
    code: int
    stdout: str
    stderr_lines: list[str]  # warnings (as the CLI prints them) then stderr


def _cli(argv: list[str]) -> CLIRun:
    out, err = io.StringIO(), io.StringIO()
    with (
        warnings.catch_warnings(record=True) as caught,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        warnings.simplefilter("always")
        code = main(argv)
    text = err.getvalue() + out.getvalue()
    assert "Traceback" not in text, text
    lines = [f"geodistrict: warning: {w.message}" for w in caught]
    return CLIRun(code, out.getvalue(), lines + err.getvalue().splitlines())


def _points_of(case: Case, layout: dict[str, Path]) -> Path:
    return BAD / case.points if case.points else layout["points"]


def _profile_argv(case: Case, layout: dict[str, Path], out: Path, report: Path) -> list[str]:
    path = _path(case, layout)
    if case.role == "points":
        argv = ["profile", "--boundaries", str(layout["boundaries"]), "--points", f"pts={path}"]
    elif case.role == "boundaries":
        argv = ["profile", "--boundaries", str(path), "--points", f"pts={_points_of(case, layout)}"]
    else:
        argv = [
            "profile",
            "--boundaries",
            str(layout["boundaries"]),
            "--points",
            f"pts={layout['points']}",
            "--zones",
            f"ubc={path}@{layout['boundaries']}",
        ]
    return [*argv, "--out", str(out), "--report", str(report)]


def _geodesic_km2(path: Path) -> dict[str, float]:
    """Geodesic area of each lon/lat polygon of a GeoJSON, edges straight in lon/lat."""
    from pyproj import Geod

    from geodistrict.boundaries import _unwrap

    doc = json.loads(path.read_text())
    feats = doc["features"] if doc["type"] == "FeatureCollection" else [doc]
    geod = Geod(ellps="WGS84")
    out = {}
    for f in feats:
        g = shapely.geometry.shape(f["geometry"])
        xs = shapely.get_coordinates(g)[:, 0]
        if abs(xs.max() - xs.min()) > 180:  # drawn across the antimeridian
            g = _unwrap(g)
        area, _ = geod.geometry_area_perimeter(shapely.segmentize(g, 0.001))
        out[f["properties"]["id"]] = abs(area) / 1e6
    return out


def _expected_areas(case: Case) -> dict[str, float] | None:
    if case.areas == GEODESIC:
        return _geodesic_km2(BAD / case.file)
    return case.areas  # type: ignore[return-value]


def _log_of(profile_report: dict[str, Any], warned: list[str]) -> str:
    """Everything the user is told: warnings, reader notes, rejected reasons, repairs."""
    parts = list(warned)
    for src in profile_report.get("provenance", {}).get("sources", []):
        parts += src.get("notes", [])
    for rep in profile_report.get("layers", {}).values():
        parts += list(rep.get("rejected_reasons", {}))
    parts += profile_report.get("boundaries", {}).get("repaired", [])
    return "\n".join(parts)


def _assert_numbers(case: Case, table: pd.DataFrame, status: dict[str, int]) -> None:
    table = table.set_index(table["id"].astype(str))
    counts = {k: int(v) for k, v in table["pts_count"].items()}
    assert counts == case.expected_counts(), counts
    got = tuple(status[k] for k in ("matched", "multi", "unmatched", "rejected"))
    assert got == case.expected_status(), got
    assert status["input"] == sum(got)
    areas = _expected_areas(case)
    if areas:
        for bid, km2 in areas.items():
            assert table.loc[bid, "area_km2"] == pytest.approx(km2, rel=case.area_rel), bid
    for bid, value in case.zones.items():
        got_v = float(table.loc[bid, "ubc"])
        assert (math.isnan(got_v) and math.isnan(value)) or got_v == pytest.approx(value), bid


# --- the cases -------------------------------------------------------------------------------


def _api_outcome(case: Case, layout: dict[str, Path]) -> str:
    path = _path(case, layout)
    if case.role == "nomis":
        run = _api(read_nomis, path)
        if case.kind == "error":
            return _api_error(case, run)
        assert run.error is None, run.error
        t = run.value
        assert t.n_suppressed == case.suppressed
        assert not (t.data["value"] == 0).any(), "a suppressed cell was read as 0"
        boundaries = read_boundaries(layout["boundaries"])
        from geodistrict.zones.tables import zone_values

        zv = zone_values(path, boundaries).values
        for bid, value in case.zones.items():
            got = float(zv[bid])
            assert (math.isnan(got) and math.isnan(value)) or got == pytest.approx(value)
        return f"{t.n_suppressed} suppressed kept NaN"

    def run_profile():
        if case.role == "points":
            layer = read_points(path, name="pts")
            b = read_boundaries(layout["boundaries"])
        else:
            b = read_boundaries(path)
            layer = read_points(_points_of(case, layout), name="pts")
        return profile(b, [layer])

    run = _api(run_profile)
    if case.kind == "error":
        return _api_error(case, run)
    assert run.error is None, f"{case.file}: {run.error}"
    p = run.value
    table = pd.DataFrame(p.table.drop(columns="geometry"))
    _assert_numbers(case, table, p.report["layers"]["pts"])
    log = _log_of(p.report, run.warnings)
    if case.kind == "repaired":
        assert case.phrase in log, f"{case.phrase!r} not logged:\n{log}"
    else:
        assert not any("repaired" in w for w in run.warnings), run.warnings
    return "counts ok" + (" + logged" if case.kind == "repaired" else "")


def _api_error(case: Case, run: Run) -> str:
    assert run.error is not None, f"{case.file}: expected an error ({case.phrase})"
    msg = str(run.error)
    assert case.phrase in msg, msg
    assert Path(case.file).name in msg, msg
    assert "\n" not in msg
    return f"{type(run.error).__name__}"


def _cli_outcome(case: Case, layout: dict[str, Path], tmp_path: Path) -> str:
    out, report = tmp_path / "out.csv", tmp_path / "report.json"
    r = _cli(_profile_argv(case, layout, out, report))
    if case.kind == "error":
        assert r.code == 2, r.stderr_lines
        assert len(r.stderr_lines) == 1, r.stderr_lines
        line = r.stderr_lines[0]
        assert line.startswith("geodistrict: error: "), line
        assert case.phrase in line, line
        assert Path(case.file).name in line, line
        return "exit 2, one line"
    assert r.code == 0, r.stderr_lines
    rep = json.loads(report.read_text())
    _assert_numbers(case, pd.read_csv(out), rep["layers"]["pts"])
    if case.kind == "repaired":
        log = _log_of(rep, r.stderr_lines)
        assert case.phrase in log, f"{case.phrase!r} not logged:\n{log}"
    if case.role == "nomis":
        assert rep["zones"]["ubc"]["selection"]["suppressed_cells"] >= 1
    return "exit 0, numbers ok"


def _inspect_outcome(case: Case, layout: dict[str, Path]) -> str:
    path = _path(case, layout)
    api = _api(describe, path)
    r = _cli(["inspect", str(path)])
    assert r.code in (0, 2), r.stderr_lines
    if r.code == 2:
        assert len(r.stderr_lines) == 1, r.stderr_lines
        assert r.stderr_lines[0].startswith("geodistrict: error: ")
        assert Path(case.file).name in r.stderr_lines[0]
        assert api.error is not None and str(api.error) in r.stderr_lines[0]
    else:
        assert api.error is None, api.error
    if case.inspect:
        told = r.stdout + "\n".join(r.stderr_lines)
        assert case.inspect in told, told
        api_told = str(api.error) if api.error else json.dumps(api.value, default=str)
        api_told += "\n".join(api.warnings)
        if case.inspect not in ("empty: 1", "suppressed: 7", "kind: nomis"):
            assert case.inspect in api_told, api_told
    return f"exit {r.code}"


def _params() -> list[Any]:
    slow = pytest.mark.slow  # the 30 MB file is read four times (~25 s)
    return [pytest.param(c, id=c.file, marks=[slow] if c.file == HUGE else []) for c in CASES]


@pytest.mark.parametrize("case", _params())
def test_corpus_case(case: Case, layout, tmp_path):
    assert case.kind in ("ok", "repaired", "error"), case.expect
    api = _api_outcome(case, layout)
    _record(case, api=api)
    cli = _cli_outcome(case, layout, tmp_path)
    _record(case, cli=cli)
    ins = _inspect_outcome(case, layout)
    _record(case, inspect=ins)


def test_corpus_is_large_enough_and_every_file_is_a_case():
    assert len(CASES) >= 40
    named = {c.file for c in CASES} | {c.points for c in CASES if c.points}
    files = {p.name for p in BAD.iterdir() if p.is_file()}
    stems_with_shp = {Path(c.file).stem for c in CASES if c.file.endswith(".shp")}
    loose = {
        f
        for f in files - named - SUPPORT_FILES
        if not (Path(f).suffix in COMPANIONS and Path(f).stem in stems_with_shp)
    }
    assert not loose, f"corpus files without a case: {sorted(loose)}"
    missing = {c.file for c in CASES if c.file != HUGE} - files
    assert not missing, f"cases without a file: {sorted(missing)}"


def test_committed_corpus_is_small():
    total = sum(p.stat().st_size for p in BAD.iterdir() if p.is_file())
    assert total < 1_000_000, total


def test_corpus_generator_is_deterministic(tmp_path):
    """Two runs give the same bytes; the hand-packed files equal the committed ones."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_bad_corpus", BAD / "make_bad_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    one, two = tmp_path / "one", tmp_path / "two"
    mod.main(one)
    mod.main(two)
    names = sorted(p.name for p in one.iterdir())
    assert names == sorted(p.name for p in two.iterdir())
    for name in names:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
        assert (BAD / name).exists(), f"{name}: run make_bad_corpus.py and commit the output"
        # packed byte by byte here (compressed files depend on the zlib build: not compared)
        if Path(name).suffix in {".shp", ".shx", ".dbf", ".prj", ".csv"} and "gzip" not in name:
            assert (one / name).read_bytes() == (BAD / name).read_bytes(), name


def test_subprocess_cli_prints_repairs_as_warnings_and_errors_as_one_line(tmp_path, layout):
    """Outside pytest's warning capture: a repair is one 'warning:' line, an error one line."""
    import subprocess
    import sys

    def run(*argv):
        return subprocess.run(
            [sys.executable, "-m", "geodistrict.cli", *argv],
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = run(
        "profile",
        "--boundaries",
        str(BAD / "bowtie.geojson"),
        "--points",
        f"pts={layout['points']}",
        "--out",
        str(tmp_path / "o.csv"),
    )
    assert ok.returncode == 0, ok.stderr
    assert "geodistrict: warning: " in ok.stderr and "Self-intersection" in ok.stderr
    assert "Traceback" not in ok.stderr
    bad = run("inspect", str(BAD / "truncated_shp.shp"))
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("geodistrict: error: ")
    assert "truncated_shp.shp" in bad.stderr and "Traceback" not in bad.stderr
    debug = run("inspect", str(BAD / "truncated_shp.shp"), "--debug")
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_zz_outcome_table(capsys):
    """Print case -> outcome (after the parametrised cases above have run)."""
    if not _OUTCOMES:
        pytest.skip("no corpus case ran")
    w = max(len(f) for f in _OUTCOMES)
    lines = [
        f"{'case':<{w}}  {'expected':<45}  {'API':<26}  {'CLI profile':<18}  inspect",
        "-" * (w + 108),
    ]
    for f, o in _OUTCOMES.items():
        lines.append(
            f"{f:<{w}}  {o['expect'][:45]:<45}  {o.get('api', 'FAILED'):<26}  "
            f"{o.get('cli', 'FAILED'):<18}  {o.get('inspect', 'FAILED')}"
        )
    with capsys.disabled():
        print("\n\nbad-input corpus: case -> outcome\n" + "\n".join(lines))
    ran = [o for o in _OUTCOMES.values() if "inspect" in o]
    assert len(ran) == len(_OUTCOMES), "some cases failed; see above"
