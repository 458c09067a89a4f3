"""Hostile inputs to the app and the CLI (issue 17): bombs, deep JSON, formula cells, paths.

Every bomb is generated here (never committed). Memory is sampled from ``/proc/self/status``
while a hostile upload is parsed, so "no more than 300 MB" is measured, not assumed.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodistrict._paths import public_paths, public_text
from geodistrict.app import UploadError, parse_upload
from geodistrict.app import _upload as up
from geodistrict.app._work import WorkTimeout, off_loop
from geodistrict.cli import main
from geodistrict.errors import GeodistrictError, SchemaError
from geodistrict.io.write import csv_safe, write_table

ROOT = Path(__file__).resolve().parents[1]
MB = 1_000_000


def _rss() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0  # pragma: no cover - not Linux


def _peak_growth(fn) -> tuple[int, BaseException | None]:
    """Run ``fn`` while sampling the RSS; return (peak growth in bytes, what it raised)."""
    base, peak, done = _rss(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss())
            time.sleep(0.005)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    raised = None
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001 - returned to the test
        raised = exc
    finally:
        done.set()
        t.join()
    return max(peak[0], _rss()) - base, raised


# --------------------------------------------------------------------------------------------
# bombs: members that unpack to more than they declare


def _bomb_zip(method: int, produced: int, declared: int = 1000) -> bytes:
    """A zip whose ``district.shp`` unpacks to ``produced`` zero bytes but declares ``declared``.

    The sizes in the local header and the central directory are overwritten (offsets from
    APPNOTE 4.3.7 and 4.3.12): a guard trusting them sees a small file.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        with zf.open("district.shp", "w") as f:
            block = bytes(1 << 20)
            for _ in range(produced // len(block)):
                f.write(block)
            f.write(bytes(produced % len(block)))
        for ext in (".shx", ".dbf", ".prj"):
            zf.writestr(f"district{ext}", b"x" * 10)
    data = bytearray(buf.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("district.shp")
    local = info.header_offset
    data[local + 22 : local + 26] = declared.to_bytes(4, "little")
    central = bytes(data).index(b"PK\x01\x02")  # the first entry is district.shp
    data[central + 24 : central + 28] = declared.to_bytes(4, "little")
    return bytes(data)


@pytest.mark.parametrize(
    "method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=str
)
def test_bombs_are_refused_by_what_they_produce_for_every_method(method, monkeypatch):
    monkeypatch.setattr(up, "MAX_UNPACKED_BYTES", 2 * MB)
    data = _bomb_zip(method, 3 * MB)
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("district.shp").file_size == 1000
    with pytest.raises(UploadError) as err:
        parse_upload(data, "bomb.zip")
    msg = str(err.value)
    assert msg.startswith("bomb.zip: district.shp unpacks to more than 2 MB")
    assert "the zip declared 0.0 MB" in msg and "\n" not in msg


def _dense_polygon(n: int) -> bytes:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.c_[0.12 + 0.05 * np.cos(t), 52.2 + 0.03 * np.sin(t)].round(6).tolist()
    return _doc([[*ring, ring[0]]])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "phrase"),
    [
        ("bzip2_bomb", "unpacks to more than 60 MB"),
        ("deep_json", "nested 200,000 levels deep"),
        ("dense_polygon", "600,001 vertices, more than the 200,000"),
        ("brackets_only", "levels deep"),
    ],
)
def test_hostile_uploads_cost_little_memory(kind, phrase):
    """Each is refused in one line while the process grows by less than 300 MB."""
    if kind == "bzip2_bomb":  # 80 MB of zeros in ~200 bytes of bzip2, declaring 1 kB
        data, name = _bomb_zip(zipfile.ZIP_BZIP2, 80 * MB), "bomb.zip"
        assert len(data) < 2000
    elif kind == "deep_json":
        data, name = b"[" * 200_000 + b"]" * 200_000, "deep.geojson"
    elif kind == "dense_polygon":
        data, name = _dense_polygon(600_000), "dense.geojson"
    else:  # the largest document allowed, made of nothing but brackets
        data, name = b"[" * (10 * MB - 1) + b"]" * (10 * MB - 1), "brackets.geojson"
    grown, raised = _peak_growth(lambda: parse_upload(data, name))
    assert isinstance(raised, UploadError), raised
    assert phrase in str(raised) and "\n" not in str(raised)
    assert grown < 300 * MB, grown / MB


def test_member_packed_with_an_unknown_method_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            zf.writestr(f"district{ext}", b"x" * 10)
    data = bytearray(buf.getvalue())
    central = bytes(data).index(b"PK\x01\x02")
    data[central + 10 : central + 12] = (9).to_bytes(2, "little")  # deflate64
    with pytest.raises(UploadError, match=r"zip method 9: only stored, deflate, bzip2 and LZMA"):
        parse_upload(bytes(data), "d64.zip")


# --------------------------------------------------------------------------------------------
# GeoJSON: nesting, vertices, parts


def _square(x: float, y: float, d: float = 0.001) -> list:
    return [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]


def _doc(*polys: list, kind: str = "Polygon") -> bytes:
    feats = [
        {"type": "Feature", "properties": {"name": f"f{i}"},
         "geometry": {"type": kind, "coordinates": p}}
        for i, p in enumerate(polys)
    ]  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode()


def test_json_nested_200k_deep_is_one_line_and_fast():
    data = b"[" * 200_000 + b"]" * 200_000
    t0 = time.perf_counter()
    with pytest.raises(UploadError) as err:
        parse_upload(data, "deep.geojson")
    assert time.perf_counter() - t0 < 5
    assert str(err.value) == (
        "deep.geojson: JSON nested 200,000 levels deep, more than the 32 a GeoJSON needs (a "
        "MultiPolygon in a FeatureCollection needs 8); export the district again as GeoJSON."
    )


def test_brackets_inside_names_are_not_nesting():
    doc = json.loads(_doc(_square(0.12, 52.2)))
    doc["features"][0]["properties"]["name"] = "[" * 100 + '"quoted\\"' + "{" * 50
    b = parse_upload(json.dumps(doc).encode(), "names.geojson")
    assert b.names[0].startswith("[[[")
    depth, positions = up._json_shape(json.dumps(doc).encode())
    assert depth == 7 and positions == 5  # collection, features, feature, geometry, rings,
    # ring, position: 7 levels; 5 positions


def test_too_many_vertices_are_refused_before_parsing():
    n = 250_000  # a circle of 250,000 vertices
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.c_[0.12 + 0.01 * np.cos(t), 52.2 + 0.01 * np.sin(t)].round(7).tolist()
    data = _doc([[*ring, ring[0]]])
    with pytest.raises(UploadError, match=r"250,001 vertices, more than the 200,000 an upload"):
        parse_upload(data, "dense.geojson")


def test_too_many_parts_are_refused():
    squares = [_square(0.1 + 0.002 * i, 52.2) for i in range(30)]
    data = _doc(squares, kind="MultiPolygon")
    with pytest.raises(UploadError, match=r"30 polygon parts, more than the 20 an upload"):
        parse_upload(data, "parts.geojson", max_parts=20)


def test_999_adjacent_squares_parse_and_measure_quickly():
    """The freeze case: 999 squares side by side merge into one polygon; its card is cheap."""
    from geodistrict import PointLayer
    from geodistrict.app._state import propose  # noqa: F401 - the app's path
    from geodistrict.districts import district_card
    from geodistrict.districts._common import buffer_m
    from geodistrict.layers import LayerInfo

    d = 0.0005  # squares of ~35 m side by side: shared edges differ in their last bits
    squares = [_square(-1.5 + d * i, 52.19, d) for i in range(999)]
    b = parse_upload(_doc(*squares), "squares.geojson")
    assert len(b) == 999
    from geodistrict.app import one_district

    one = one_district(b)
    poly = one.metric[0]
    assert poly.geom_type == "Polygon"  # merged, not 999 slivers apart
    assert shapely.get_num_coordinates(poly) == 2001  # 999 + 1 nodes on each long side, closed
    assert abs(one.area_km2[0] - 999 * float(shapely.area(b.metric).mean()) / 1e6) < 1e-6
    # the simplified buffer is within tolerance of the exact one: area differs by at most
    # tolerance x (perimeter of the buffer) — here 0.8 m x ~10 km
    exact = shapely.buffer(poly, 800, quad_segs=64)
    quick = buffer_m(poly, 800)
    assert abs(exact.area - quick.area) <= 0.8 * exact.length
    pts = PointLayer(
        x=np.array([poly.centroid.x]), y=np.array([poly.centroid.y]), crs=one.metric_crs,
        attributes=pd.DataFrame(index=range(1)), info=LayerInfo(name="p", source="test"),
    )  # fmt: skip
    t0 = time.perf_counter()
    card = district_card(one, layers={"p": pts}, registry=False)
    assert time.perf_counter() - t0 < 20
    assert card.indicator("p_count").value == 1


# --------------------------------------------------------------------------------------------
# the worker pool


def test_off_loop_keeps_the_loop_free_and_enforces_the_budget():
    async def scenario() -> tuple[float, float, str]:
        t0 = time.perf_counter()
        slow = asyncio.ensure_future(off_loop(time.sleep, 1.0, budget_s=5))
        await asyncio.sleep(0.05)
        ticked = time.perf_counter() - t0  # the loop ran while the slow task slept
        await slow
        try:
            await off_loop(time.sleep, 1.0, budget_s=0.1, what="measuring the district")
        except WorkTimeout as exc:
            return ticked, time.perf_counter() - t0, str(exc)
        return ticked, 0.0, ""

    ticked, total, msg = asyncio.run(scenario())
    assert ticked < 0.5
    assert msg.startswith("measuring the district took longer than 0.1 s")
    assert isinstance(WorkTimeout("x"), GeodistrictError)


# --------------------------------------------------------------------------------------------
# CSV formula injection


def test_csv_safe_escapes_formula_cells_and_keeps_numbers():
    t = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x","y")', "+1+1", "-cmd", "@SUM(A1)", "\tx", "ok", None],
            "text_number": ["-3.5", "+2", "1e5", "-1,234.5", "x", "y", "z"],
            "n": [-1.5, 2, 3, 4, 5, 6, 7],
        }
    )
    out = csv_safe(t)
    assert out["name"].tolist()[:6] == [
        '\'=HYPERLINK("http://x","y")',
        "'+1+1",
        "'-cmd",
        "'@SUM(A1)",
        "'\tx",
        "ok",
    ]
    assert pd.isna(out["name"].iloc[6])
    assert out["text_number"].tolist() == ["-3.5", "+2", "1e5", "-1,234.5", "x", "y", "z"]
    assert out["n"].tolist() == [-1.5, 2, 3, 4, 5, 6, 7]


def test_every_csv_writer_escapes(tmp_path):
    t = pd.DataFrame({"name": ["=1+2"], "value": [1.0]})
    path = write_table(t, tmp_path / "t.csv", provenance={"source": "/srv/secret/dir/in.csv"})
    assert path.read_text().splitlines()[1] == "'=1+2,1.0"
    assert json.loads(Path(str(path) + ".provenance.json").read_text()) == {"source": "in.csv"}


def test_card_csv_of_a_district_named_like_a_formula(tmp_path):
    poly = shapely.box(0.11, 52.20, 0.13, 52.21)
    gdf = gpd.GeoDataFrame({"name": ['=HYPERLINK("http://evil","x")']}, geometry=[poly],
                           crs=4326)  # fmt: skip
    src = tmp_path / "evil.geojson"
    gdf.to_file(src, driver="GeoJSON")
    out = tmp_path / "card.csv"
    assert main(["card", str(src), "--out", str(out), "--no-registry"]) == 0
    cells = pd.read_csv(out, dtype=str).to_numpy().ravel()
    names = [c for c in cells if isinstance(c, str) and "HYPERLINK" in c]
    assert names and all(c.startswith("'=") for c in names)


# --------------------------------------------------------------------------------------------
# paths


def test_public_text_names_files_not_folders():
    assert public_text("read /work/shared/data/uk/tables/x.xlsx [sheet 'a']") == (
        "read x.xlsx [sheet 'a']"
    )
    assert public_text("see https://example.org/a/b.csv and uk/boundaries/lads.geojson") == (
        "see https://example.org/a/b.csv and uk/boundaries/lads.geojson"
    )
    img = '<img src="data:image/png;base64,iVBO+/ab/cd/ef=="/></p>'
    assert public_text(img) == img
    assert public_paths({"a": ["/x/y/z.csv", 3]}) == {"a": ["z.csv", 3]}


# --------------------------------------------------------------------------------------------
# tables: decimal separators, Nomis sheets, duplicate keys


def _mixed_csv(path: Path) -> Path:
    path.write_text(
        'name,longitude,latitude\na,0.12,52.2\nb,0.13,52.21\nc,"0,14",52.22\nd,0.15,52.23\n',
        encoding="utf-8",
    )
    return path


def test_mixed_decimal_separators_are_an_error_naming_the_rows(tmp_path):
    from geodistrict import read_points

    path = _mixed_csv(tmp_path / "mixed.csv")
    with pytest.raises(SchemaError) as err:
        read_points(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: column 'longitude' mixes decimal separators: 3 values use ")
    assert "data row(s) 3 ('0,14') use decimal commas" in msg
    comma = read_points(path, decimal=",")
    assert np.allclose(np.sort(comma.x), [0.12, 0.13, 0.14, 0.15])
    point = read_points(path, decimal=".")
    assert np.isfinite(point.x).sum() == 3  # the comma row is not a number with "."


def test_mixed_decimals_cli_one_line_and_decimal_flag(tmp_path, capsys):
    path = _mixed_csv(tmp_path / "mixed.csv")
    b = tmp_path / "b.geojson"
    gpd.GeoDataFrame({"id": ["A"], "name": ["A"]}, geometry=[shapely.box(0.1, 52.1, 0.2, 52.3)],
                     crs=4326).to_file(b, driver="GeoJSON")  # fmt: skip
    argv = ["profile", "--boundaries", str(b), "--points", f"pts={path}", "--out",
            str(tmp_path / "o.csv")]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mixes decimal separators" in err[0] and "--decimal" in err[0]
    assert main([*argv, "--decimal", "pts=,"]) == 0
    assert pd.read_csv(tmp_path / "o.csv")["pts_count"].tolist() == [4]


def test_nomis_workbook_with_a_notes_sheet_first(tmp_path):
    import openpyxl

    from geodistrict.io.nomis import read_nomis

    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["These figures were downloaded from Nomis."])
    ws = wb.create_sheet("Data")
    for row in (["UK Business Counts"], [], ["date", 2022], [], ["Area", "Total"],
                ["lep:Solent", 42970], ["ladu:Adur", 1234]):  # fmt: skip
        ws.append(row)
    path = tmp_path / "ubc.xlsx"
    wb.save(path)
    t = read_nomis(path)
    assert t.data["value"].tolist() == [42970.0, 1234.0]
    assert t.source == f"{path} [sheet 'Data'; the first sheet 'Notes' holds no table]"
    del wb["Data"]
    wb.save(path)
    with pytest.raises(SchemaError, match=r"ubc\.xlsx: .*no header row whose first cell"):
        read_nomis(path)
    wb.create_sheet("Other").append(["nothing"])
    wb.save(path)
    with pytest.raises(SchemaError, match=r"ubc\.xlsx: no sheet holds a Nomis table.*'Notes', "):
        read_nomis(path)


def test_duplicate_keys_in_an_interpolation_table_name_the_file_and_sheet(tmp_path):
    from geodistrict import prepare_boundaries
    from geodistrict.zones.tables import zone_values

    zones = prepare_boundaries(
        gpd.GeoDataFrame({"id": ["E1", "E2"], "name": ["One", "Two"]},
                         geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
                         crs=27700),  # fmt: skip
        id="id", name="name",
    )  # fmt: skip
    path = tmp_path / "jobs.xlsx"
    pd.DataFrame({"code": ["E1", "E1", "E2"], "value": [1, 2, 3]}).to_excel(
        path, sheet_name="Jobs 2022", index=False
    )
    with pytest.raises(SchemaError) as err:
        zone_values(path, zones)
    assert str(err.value).startswith(f"{path} [sheet 'Jobs 2022']: the table repeats the areas")


# --------------------------------------------------------------------------------------------
# SIGINT


@pytest.mark.slow
@pytest.mark.parametrize("after_s", [0.05, 0.3, 0.8, 2.0])
def test_ctrl_c_at_any_moment_is_one_line_and_130(tmp_path, after_s):
    cmd = [sys.executable, "-m", "geodistrict.cli", "inspect", str(ROOT / "tests/data/bad/bom.csv")]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, cwd=tmp_path)
    time.sleep(after_s)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    lines = err.decode().strip().splitlines()
    if proc.returncode == 0:  # finished before the signal: nothing to check
        return
    if proc.returncode != 130:  # only before any geodistrict code ran (the interpreter's own
        # start-up, out of the package's reach): no frame of the package in what it printed but
        # its first statement, the import of the module that installs the handler (without
        # bytecode on disk, compiling that module takes a millisecond or two), and that module
        # itself: once its handler is in place, no KeyboardInterrupt can be raised
        import geodistrict

        package = str(Path(geodistrict.__file__).parent) + os.sep
        frames = [ln.strip() for ln in err.decode().splitlines() if package in ln]
        allowed = (f'File "{package}__init__.py", line ', f'File "{package}_sigint.py", line ')
        assert all(ln.startswith(allowed) for ln in frames), err.decode()
        assert "from . import _sigint" in err.decode() or not frames, err.decode()
        return
    assert proc.returncode == 130, err.decode()
    assert lines == ["geodistrict: interrupted"], err.decode()
    assert os.name == "posix"


# --------------------------------------------------------------------------------------------
# a district with parts in the UK and abroad keeps its UK layers in the app


def test_a_district_across_countries_keeps_its_uk_points():
    from types import SimpleNamespace

    from pyproj import CRS

    from geodistrict import PointLayer, prepare_boundaries
    from geodistrict.app._state import _layers_near, _uk_layers
    from geodistrict.districts import district_card
    from geodistrict.layers import LayerInfo

    # two postcodes in British National Grid: one inside the Cambridge part, one in York
    pts = PointLayer(
        x=np.array([545000.0, 460000.0]), y=np.array([258500.0, 452000.0]), crs=CRS(27700),
        attributes=pd.DataFrame(index=range(2)), info=LayerInfo(name="postcodes", source="t"),
    )  # fmt: skip
    data = SimpleNamespace(layers={"postcodes": pts}, postcodes=pts)
    cambridge = shapely.box(0.11, 52.20, 0.13, 52.21)  # holds (545000, 258500)
    paris = shapely.box(2.33, 48.85, 2.36, 48.87)
    b = prepare_boundaries(
        gpd.GeoDataFrame({"id": ["x"], "name": ["across"]},
                         geometry=[shapely.MultiPolygon([cambridge, paris])], crs=4326),
        id="id", name="name",
    )  # fmt: skip
    assert b.metric_crs.to_epsg() != 27700  # measured abroad: the old test dropped the layers
    assert _uk_layers(data, b) == {"postcodes": pts}
    near = _layers_near(data, b)
    assert len(near["postcodes"]) == 1  # York is beyond the district's reach
    card = district_card(b, layers=near, registry=False)
    assert card.indicator("postcodes_count").value == 1
    elsewhere = prepare_boundaries(
        gpd.GeoDataFrame({"id": ["p"], "name": ["paris"]}, geometry=[paris], crs=4326),
        id="id", name="name",
    )  # fmt: skip
    assert _uk_layers(data, elsewhere) == {}
