"""Write the binary files of the bad-input corpus (deterministic: same bytes on every run).

Usage::

    python tests/data/bad/make_bad_corpus.py [OUTDIR]

The text files of the corpus (CSV, GeoJSON) are committed as written by hand; this script
makes the ones an editor would mangle or cannot write: Shapefiles (written byte by byte here,
including measured ``PolygonM``/``PointM`` ones that GDAL's writer refuses), zips, GeoPackages,
GeoParquet, workbooks, and CSVs in Latin-1, UTF-16 or with a byte-order mark.

Everything is reproducible: Shapefiles and DBFs are packed with :mod:`struct` with a fixed
date, zip members carry a fixed timestamp, GeoPackages are written with ``OGR_CURRENT_DATE``
set, and workbook properties are pinned. ``tests/test_bad_corpus.py`` checks that two runs
give identical bytes.

The layout every file refers to (British National Grid, metres)::

    A = [500000, 550000] x [200000, 300000]   5000 km²
    B = [550000, 600000] x [200000, 250000]   2500 km²
"""

from __future__ import annotations

import gzip
import io
import re
import struct
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXED_DATE = (2024, 1, 1, 0, 0, 0)

A = [(500000.0, 200000.0), (550000.0, 200000.0), (550000.0, 300000.0), (500000.0, 300000.0)]
B = [(550000.0, 200000.0), (600000.0, 200000.0), (600000.0, 250000.0), (550000.0, 250000.0)]
# two lon/lat rectangles over East Anglia (degrees)
WEST = [(-0.5, 51.9), (0.2, 51.9), (0.2, 52.4), (-0.5, 52.4)]
EAST = [(0.2, 51.6), (0.9, 51.6), (0.9, 52.0), (0.2, 52.0)]
# the same points as the committed CSVs: p1 in A, p2 and p3 in B, p4 outside both
POINTS = {
    "p1": (525000.0, 250000.0),
    "p2": (575000.0, 225000.0),
    "p3": (590000.0, 210000.0),
    "p4": (575000.0, 275000.0),
}
LONLAT = {
    "p1": (-0.175113, 52.134171),
    "p2": (0.541973, 51.896069),
    "p3": (0.751491, 51.756453),
    "p4": (0.567664, 52.345147),
}

# ESRI WKT of EPSG:27700, as ArcGIS writes it in a .prj (fixed text: no pyproj version drift)
BNG_PRJ = (
    'PROJCS["British_National_Grid",GEOGCS["GCS_OSGB_1936",DATUM["D_OSGB_1936",'
    'SPHEROID["Airy_1830",6377563.396,299.3249646]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
    'PARAMETER["False_Easting",400000.0],PARAMETER["False_Northing",-100000.0],'
    'PARAMETER["Central_Meridian",-2.0],PARAMETER["Scale_Factor",0.9996012717],'
    'PARAMETER["Latitude_Of_Origin",49.0],UNIT["Meter",1.0]]'
)


# --- Shapefiles, byte by byte ---------------------------------------------------------------

NULL, POINT, POLYGON, POINT_M, POLYGON_M = 0, 1, 5, 21, 25


def _ring_cw(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Close a ring and orient it clockwise (a Shapefile's outer rings are clockwise)."""
    pts = list(ring) + [ring[0]]
    area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False))
    return pts if area2 < 0 else pts[::-1]


def _record(shape_type: int, geom) -> bytes:
    """Content of one Shapefile record (without the 8-byte record header)."""
    if geom is None:
        return struct.pack("<i", NULL)
    if shape_type in (POINT, POINT_M):
        x, y, *m = geom
        out = struct.pack("<i2d", shape_type, x, y)
        return out + (struct.pack("<d", m[0]) if shape_type == POINT_M else b"")
    ring = _ring_cw(geom)
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    out = struct.pack("<i4d2i", shape_type, min(xs), min(ys), max(xs), max(ys), 1, len(ring))
    out += struct.pack("<i", 0)
    out += b"".join(struct.pack("<2d", x, y) for x, y in ring)
    if shape_type == POLYGON_M:
        ms = [float(i) for i in range(len(ring))]  # a measure per vertex: 0, 1, 2 ...
        out += struct.pack("<2d", min(ms), max(ms))
        out += b"".join(struct.pack("<d", m) for m in ms)
    return out


def _header(shape_type: int, length_words: int, bbox: tuple[float, float, float, float]) -> bytes:
    head = struct.pack(">7i", 9994, 0, 0, 0, 0, 0, length_words)
    return head + struct.pack("<2i4d4d", 1000, shape_type, *bbox, 0.0, 0.0, 0.0, 0.0)


def _dbf(rows: list[dict[str, str]], fields: list[tuple[str, int]]) -> bytes:
    """A dBASE III table of text fields, dated 2024-01-01."""
    rec_len = 1 + sum(n for _, n in fields)
    head_len = 32 + 32 * len(fields) + 1
    out = struct.pack("<B3BIHH20x", 0x03, 124, 1, 1, len(rows), head_len, rec_len)
    for name, n in fields:
        out += struct.pack("<11sc4xBB14x", name.encode("ascii"), b"C", n, 0)
    out += b"\r"
    for r in rows:
        out += b" " + b"".join(
            str(r.get(name, "")).encode("latin-1").ljust(n)[:n] for name, n in fields
        )
    return out + b"\x1a"


def shapefile_bytes(
    shape_type: int,
    geoms: list,
    rows: list[dict[str, str]],
    *,
    prj: str | None = BNG_PRJ,
    fields: tuple[tuple[str, int], ...] = (("id", 12), ("name", 20)),
) -> dict[str, bytes]:
    """The .shp, .shx, .dbf (and .prj) of a Shapefile, by suffix."""
    contents = [_record(shape_type, g) for g in geoms]
    coords = [c for g in geoms if g is not None for c in ([g[:2]] if shape_type in (1, 21) else g)]
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    bbox = (min(xs), min(ys), max(xs), max(ys))
    body, index, offset = b"", b"", 50  # offsets in 16-bit words, after the 100-byte header
    for i, c in enumerate(contents, start=1):
        body += struct.pack(">2i", i, len(c) // 2) + c
        index += struct.pack(">2i", offset, len(c) // 2)
        offset += 4 + len(c) // 2
    files = {
        ".shp": _header(shape_type, 50 + len(body) // 2, bbox) + body,
        ".shx": _header(shape_type, 50 + len(index) // 2, bbox) + index,
        ".dbf": _dbf(rows, list(fields)),
    }
    if prj is not None:
        files[".prj"] = prj.encode("ascii")
    return files


def write_shapefile(stem: Path, *args, **kwargs) -> dict[str, bytes]:
    """Write ``stem``.shp/.shx/.dbf (and .prj); returns their bytes by suffix."""
    files = shapefile_bytes(*args, **kwargs)
    for suffix, data in files.items():
        stem.with_suffix(suffix).write_bytes(data)
    return files


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    """A zip whose members carry a fixed timestamp."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)


def _pin_zip(path: Path) -> None:
    """Rewrite a zip (an .xlsx) with fixed timestamps and fixed document dates."""
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    for name, data in members.items():
        if name == "docProps/core.xml":
            members[name] = re.sub(
                rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", data
            )
    path.unlink()
    write_zip(path, members)


# --- the corpus -----------------------------------------------------------------------------

RECT_ROWS = [{"id": "A", "name": "Alpha"}, {"id": "B", "name": "Beta"}]


def make_shapefiles(out: Path) -> None:
    write_shapefile(
        out / "noprj_lonlat",
        POLYGON,
        [WEST, EAST],
        [{"id": "W", "name": "West"}, {"id": "E", "name": "East"}],
        prj=None,
    )
    write_shapefile(out / "garbage_prj", POLYGON, [A, B], RECT_ROWS, prj="this is not a CRS")
    write_shapefile(out / "lonlat_labelled_bng", POLYGON, [WEST, EAST], RECT_ROWS)
    write_shapefile(out / "polygon_m", POLYGON_M, [A, B], RECT_ROWS)
    write_shapefile(
        out / "point_m",
        POINT_M,
        [(x, y, 7.0) for x, y in POINTS.values()],
        [{"site": k} for k in POINTS],
        fields=(("site", 8),),
    )
    # a download cut short: the .shx and .dbf list both features, the .shp ends inside B
    files = write_shapefile(out / "truncated_shp", POLYGON, [A, B], RECT_ROWS)
    (out / "truncated_shp.shp").write_bytes(files[".shp"][: len(files[".shp"]) - 40])
    # a zipped shapefile whose .dbf was left out
    files = shapefile_bytes(POLYGON, [A, B], RECT_ROWS)
    write_zip(
        out / "zipped_shapefile_without_dbf.zip",
        {f"rectangles{s}": files[s] for s in (".shp", ".shx", ".prj")},
    )
    write_zip(
        out / "zip_without_shapefile.zip",
        {"README.txt": b"The boundaries will be published here next month.\n"},
    )


def make_geopackages(out: Path) -> None:
    import geopandas as gpd
    import pyogrio
    import shapely

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2024-01-01T00:00:00Z"})
    try:
        rects = gpd.GeoDataFrame(
            {"id": ["A", "B"], "name": ["Alpha", "Beta"]},
            geometry=[shapely.Polygon(A), shapely.Polygon(B)],
            crs=27700,
        )
        for name in ("empty_layer.gpkg", "truncated.gpkg"):
            (out / name).unlink(missing_ok=True)
        rects.iloc[:0].to_file(out / "empty_layer.gpkg", layer="boundaries", engine="pyogrio")
        full = out / "truncated.gpkg"
        rects.to_file(full, layer="boundaries", engine="pyogrio")
        data = full.read_bytes()
        full.write_bytes(data[: len(data) // 3])
        # GeoParquet written without a CRS, and a plain Parquet table without geometry
        rects.set_crs(None, allow_override=True).to_parquet(out / "no_crs.parquet", index=False)
        rects.drop(columns="geometry").to_parquet(out / "no_geometry.parquet", index=False)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def _en_rows() -> str:
    return "".join(f"{k},{x:.0f},{y:.0f}\n" for k, (x, y) in POINTS.items())


def make_encoded_csvs(out: Path) -> None:
    # Latin-1 (Windows export): accented names, coordinates fine
    names = {"p1": "Café Müller", "p2": "Señora Núñez", "p3": "Ærø Ltd", "p4": "Ça Va"}
    text = "site,name,easting,northing\n" + "".join(
        f"{k},{names[k]},{x:.0f},{y:.0f}\n" for k, (x, y) in POINTS.items()
    )
    (out / "latin1.csv").write_bytes(text.encode("latin-1"))
    # UTF-8 with a byte-order mark before the first column name ("easting")
    text = "easting,northing,site\n" + "".join(
        f"{x:.0f},{y:.0f},{k}\n" for k, (x, y) in POINTS.items()
    )
    (out / "bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    # Excel's "Unicode text": UTF-16 little-endian with a BOM, tab-separated, CRLF
    text = "site\tlongitude\tlatitude\r\n" + "".join(
        f"{k}\t{x}\t{y}\r\n" for k, (x, y) in LONLAT.items()
    )
    (out / "utf16.csv").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    # a gzip-compressed CSV saved under a .csv name
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as gz:
        gz.write(("site,easting,northing\n" + _en_rows()).encode())
    (out / "gzip_named_csv.csv").write_bytes(buf.getvalue())


def _pinned_workbook():
    from datetime import datetime

    import openpyxl

    wb = openpyxl.Workbook()
    wb.properties.creator = "geodistrict corpus"
    wb.properties.created = datetime(2024, 1, 1)
    wb.properties.modified = datetime(2024, 1, 1)
    return wb


def make_workbooks(out: Path) -> None:
    # a points table whose header merges "Location" over the two coordinate columns
    wb = _pinned_workbook()
    ws = wb.active
    ws.title = "sites"
    ws.append(["site", "Location", None])
    ws.merge_cells("B1:C1")
    for k, (x, y) in LONLAT.items():
        ws.append([k, x, y])
    path = out / "merged_header.xlsx"
    wb.save(path)
    _pin_zip(path)
    # a workbook cut short by a failed download
    data = path.read_bytes()
    (out / "corrupt.xlsx").write_bytes(data[: len(data) // 2])
    # a Nomis APS download: each variable's name merged over its number | Flags | conf cells
    wb = _pinned_workbook()
    ws = wb.active
    ws.title = "Data"
    rows = [
        ["annual population survey"],
        ["ONS Crown Copyright Reserved [from Nomis on 24 April 2023]"],
        [],
        ["date", "Jan 2022-Dec 2022"],
        [],
        ["Area", "In employment", None, None, "Self employed", None, None],
        [None, "number", "Flags", "conf", "number", "Flags", "conf"],
        ["ladu:Alpha", 41000, None, 3100, 5200, None, 1200],
        ["ladu:Beta", "!", None, "!", "~", None, "*"],
        [],
        ["! Estimate and confidence interval not available since the group sample size is zero"],
        ["~ Estimate is less than 500."],
    ]
    for r in rows:
        ws.append(r)
    ws.merge_cells("B6:D6")
    ws.merge_cells("E6:G6")
    path = out / "nomis_aps_merged_header.xlsx"
    wb.save(path)
    _pin_zip(path)


def main(out: Path = HERE) -> None:
    """Write every binary file of the corpus into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    make_shapefiles(out)
    make_geopackages(out)
    make_encoded_csvs(out)
    make_workbooks(out)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    main(target)
    print(f"wrote the binary corpus files in {target}")
