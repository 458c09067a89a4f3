"""Guarded uploads: a polygon file from a browser, opened without trusting it.

:func:`parse_upload` accepts GeoJSON (``.geojson``/``.json``), GeoPackage (``.gpkg``) and a
zipped Shapefile (``.zip``) up to ``max_bytes`` (20 MB) and ``max_features`` (1,000). The bytes
are checked against the extension (a PNG renamed ``.geojson`` is refused), parsed from memory
or written under fixed names (``upload.gpkg``, ``upload.shp`` ...) in a private
:class:`tempfile.TemporaryDirectory`: the uploaded file name never becomes a path. Zip members
with absolute or ``..`` paths are refused before anything is read. A GeoJSON without a ``crs``
member is longitude/latitude (EPSG:4326) as RFC 7946 says.

Invalid polygons (a ring that crosses itself, a hole outside its shell) are **refused**, not
repaired: ``make_valid`` turns a bow-tie into two triangles touching at a point, a district the
user did not draw, and every count of the card would describe that other shape. The message
names the feature, the problem and where it is, so the user can redraw it.

Text that came from a file goes through :func:`~geodistrict.app.esc_html` or
:func:`~geodistrict.app.esc_md` (:mod:`geodistrict.app._escape`) before a pane shows it.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..boundaries import Boundaries, detect_id_name, prepare_boundaries
from ..errors import (
    CRSError,
    EmptyLayerError,
    GeodistrictError,
    InvalidGeometryError,
    RepairWarning,
)
from ..layers import LayerInfo

__all__ = [
    "MAX_FEATURES",
    "MAX_JSON_DEPTH",
    "MAX_PARTS",
    "MAX_UNPACKED_BYTES",
    "MAX_VERTICES",
    "MAX_UPLOAD_BYTES",
    "UPLOAD_SUFFIXES",
    "UploadError",
    "IN_THREAD_MAX_BYTES",
    "needs_own_process",
    "one_district",
    "parse_upload",
]

#: Largest upload accepted (bytes).
MAX_UPLOAD_BYTES = 20_000_000
#: Most features an upload may hold.
MAX_FEATURES = 1000
#: Most bytes the members of a zipped Shapefile may unpack to (counted as they are produced).
MAX_UNPACKED_BYTES = 60_000_000
#: Most vertices (coordinate pairs) an upload may hold: a detailed district has thousands.
MAX_VERTICES = 200_000
#: Most polygon parts an upload may hold (all features together).
MAX_PARTS = 5_000
#: Deepest nesting of arrays and objects in an uploaded GeoJSON (a MultiPolygon needs 8).
MAX_JSON_DEPTH = 32
#: Largest GeoJSON read in a thread of the server rather than in a capped process of its own
#: (see :func:`needs_own_process`).
IN_THREAD_MAX_BYTES = 1_000_000
#: Accepted upload extensions and the content each must have.
UPLOAD_SUFFIXES = {".geojson": "json", ".json": "json", ".gpkg": "sqlite", ".zip": "zip"}


class UploadError(GeodistrictError, ValueError):
    """An uploaded file is too large, of the wrong type or unsafe to open."""


# --------------------------------------------------------------------------------------------
# uploads


def _display_name(filename: str) -> str:
    """The file's base name for messages only: never used as a path."""
    base = PurePosixPath(str(filename).replace("\\", "/")).name
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip()[:80]
    return base or "upload"


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip archive"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "an Office document"),
)
_EXPECTED = {"json": "a GeoJSON", "sqlite": "a GeoPackage", "zip": "a zip"}


def _content_kind(data: bytes) -> tuple[str, str]:
    """(``"json"``/``"sqlite"``/``"zip"``/``"other"``, a description of what it looks like)."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            kind = {"a zip archive": "zip", "an empty zip archive": "zip"}.get(what, "other")
            return ("sqlite" if what == "an SQLite database" else kind), what
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return "json", "JSON text"
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "other", "binary data"
    return "other", "plain text"


_ACCEPTED = "upload the district as GeoJSON (.geojson), GeoPackage (.gpkg) or a zipped Shapefile"


def _check_bytes(data: bytes, name: str, suffix: str, max_bytes: int) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise UploadError(f"{name}: no file content received; choose the file again.")
    if len(data) > max_bytes:
        raise UploadError(
            f"{name}: {len(data) / 1e6:,.1f} MB is over the {max_bytes / 1e6:,.0f} MB limit for "
            "uploads; upload only the district's polygon (simplified if needed)."
        )
    if len(data) == 0:
        raise UploadError(f"{name}: the file is empty; export the district again.")
    if suffix not in UPLOAD_SUFFIXES:
        shown = f"{suffix} files are" if suffix else "files without an extension are"
        raise UploadError(f"{name}: {shown} not accepted; {_ACCEPTED} (.zip).")
    kind, looks = _content_kind(bytes(data[:4096]))
    want = UPLOAD_SUFFIXES[suffix]
    if kind != want:
        raise UploadError(
            f"{name}: not a geographic file: it is named {suffix} but holds {looks}, not "
            f"{_EXPECTED[want]} file; {_ACCEPTED} (.zip)."
        )


def needs_own_process(data: bytes, filename: str) -> bool:
    """Whether reading this upload should run in a capped process rather than a thread.

    A GeoJSON's size in memory follows from its bytes, and its vertices and nesting are counted
    from the bytes before it is parsed, so a small one (up to :data:`IN_THREAD_MAX_BYTES`) is
    read in a thread: a process of its own costs 0.2-0.3 s more (PROJ's database is opened
    afresh in each). A zip (it unpacks), a GeoPackage (SQLite reads what its pages say) and any
    larger file are read in a process whose memory and time are capped, so that a file crafted
    to expand cannot take the server's memory
    (:func:`geodistrict.app._work.off_process`).

    Examples
    --------
    >>> needs_own_process(b'{"type": "FeatureCollection", "features": []}', "a.geojson")
    False
    >>> needs_own_process(b"PK", "a.zip"), needs_own_process(b"{}", "A.GPKG")
    (True, True)
    >>> needs_own_process(b" " * 1_000_001, "big.geojson")
    True
    """
    suffix = PurePosixPath(str(filename).replace("\\", "/")).suffix.lower()
    return UPLOAD_SUFFIXES.get(suffix) != "json" or len(data) > IN_THREAD_MAX_BYTES


_GEOJSON_TYPES = {
    "FeatureCollection",
    "Feature",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
}


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_JSON_POSITION = re.compile(rb"\[\s*-?[0-9.]")


def _json_shape(data: bytes) -> tuple[int, int]:
    """(deepest nesting, number of coordinate positions) of a JSON text, without parsing it.

    Strings are blanked first (a bracket inside a name is not nesting); the depth is the
    running count of opening minus closing brackets, so a document nested 200,000 deep is
    measured in milliseconds instead of exhausting the parser's recursion.
    """
    bare = _JSON_STRING.sub(b'""', bytes(data))
    arr = np.frombuffer(bare, dtype=np.uint8)
    level = depth = 0
    for start in range(0, len(arr), 1 << 20):  # in chunks: a few MB whatever the file's size
        a = arr[start : start + (1 << 20)]
        step = ((a == 91) | (a == 123)).astype(np.int8) - ((a == 93) | (a == 125)).astype(np.int8)
        run = np.cumsum(step, dtype=np.int64) + level
        depth, level = max(depth, int(run.max())), int(run[-1])
    return depth, _JSON_POSITION.subn(b"", bare)[1]


def _check_geojson(
    data: bytes,
    name: str,
    max_features: int,
    max_vertices: int = MAX_VERTICES,
    max_depth: int = MAX_JSON_DEPTH,
) -> bool:
    """Check the document's shape and size; return whether it declares a ``crs`` member."""
    depth, positions = _json_shape(data)
    if depth > max_depth:
        raise UploadError(
            f"{name}: JSON nested {depth:,} levels deep, more than the {max_depth} a GeoJSON "
            "needs (a MultiPolygon in a FeatureCollection needs 8); export the district again "
            "as GeoJSON."
        )
    if positions > max_vertices:
        raise UploadError(
            f"{name}: {positions:,} vertices, more than the {max_vertices:,} an upload may "
            "have; simplify the district (e.g. QGIS Simplify, 1 m tolerance) and upload it again."
        )
    try:
        doc = json.loads(bytes(data).decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UploadError(f"{name}: not UTF-8 text, so not GeoJSON; {_ACCEPTED}.") from None
    except RecursionError:  # not reached after the depth check; kept as a last guard
        raise UploadError(f"{name}: JSON nested too deeply; export it again.") from None
    except json.JSONDecodeError as exc:
        raise UploadError(
            f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}); export the district "
            "again as GeoJSON."
        ) from None
    if not isinstance(doc, dict) or doc.get("type") not in _GEOJSON_TYPES:
        raise UploadError(
            f'{name}: JSON but not GeoJSON (no "type": "FeatureCollection"), so not a '
            f"geographic file; {_ACCEPTED}."
        )
    feats = doc.get("features") if doc["type"] == "FeatureCollection" else [doc]
    if not isinstance(feats, list) or not feats:
        raise EmptyLayerError(f"{name}: the GeoJSON has no features; draw the district first.")
    if len(feats) > max_features:
        raise UploadError(
            f"{name}: {len(feats):,} features, more than the {max_features:,} an upload may "
            "hold; upload only the proposed district."
        )
    return "crs" in doc


def _unsafe_member(member: str) -> bool:
    parts = re.split(r"[/\\]", member)
    return (
        member.startswith(("/", "\\"))
        or bool(re.match(r"^[A-Za-z]:", member))
        or ".." in parts
        or "\x00" in member
    )


# --------------------------------------------------------------------------------------------
# bounded unpacking: what a zip member produces, not what it declares

_CHUNK = 1 << 20  # most bytes one decompression step may produce


def _raw_chunks(fp: Any, left: int) -> Any:
    while left > 0:
        raw = fp.read(min(left, 1 << 16))
        if not raw:
            raise EOFError("the archive ends inside the member")
        left -= len(raw)
        yield raw


def _inflated(method: int, fp: Any, size: int) -> Any:
    """The member's content in chunks of at most ``_CHUNK`` bytes, whatever its packing.

    The standard library's decompressors are called with ``max_length``:
    :meth:`zipfile.ZipFile.read` unpacks bzip2 and LZMA members without a bound, and a 3 KB
    bzip2 member can unpack to gigabytes in one call.
    """
    import bz2
    import lzma

    if method == zipfile.ZIP_STORED:
        yield from _raw_chunks(fp, size)
        return
    if method == zipfile.ZIP_DEFLATED:
        z = zlib.decompressobj(-15)
        for raw in _raw_chunks(fp, size):
            data, full = raw, True
            while data or full:  # a full step may leave output inside the decompressor
                out = z.decompress(data, _CHUNK)
                data, full = z.unconsumed_tail, len(out) == _CHUNK
                yield out
        yield z.flush()
        return
    if method == zipfile.ZIP_LZMA:  # APPNOTE 5.8.8: version (2), props size (2), props
        head = fp.read(4)
        n = int.from_bytes(head[2:4], "little")
        filt = lzma._decode_filter_properties(lzma.FILTER_LZMA1, fp.read(n))  # type: ignore[attr-defined]
        d: Any = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[filt])
        size -= 4 + n
    else:
        d = bz2.BZ2Decompressor()
    for raw in _raw_chunks(fp, size):
        yield d.decompress(raw, _CHUNK)
        while not d.eof and not d.needs_input:
            yield d.decompress(b"", _CHUNK)
        if d.eof:
            break


def _unpack_member(fp: Any, info: zipfile.ZipInfo, out: Path, name: str, budget: int) -> int:
    """Write one member's content to ``out``, stopping at ``budget`` bytes; return its size.

    Raises
    ------
    UploadError
        Encrypted, packed with another method, corrupt (bad data or checksum), or producing
        more than ``budget`` bytes (a decompression bomb, whatever size the zip declares).
    """
    import lzma

    methods = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
    again = "zip the Shapefile again without a password"
    if info.flag_bits & 0x1:
        raise UploadError(f"{name}: cannot unpack {info.filename} (encrypted); {again}.")
    if info.compress_type not in methods:
        raise UploadError(
            f"{name}: cannot unpack {info.filename} (zip method {info.compress_type}: only "
            f"stored, deflate, bzip2 and LZMA are read); {again} with deflate."
        )
    fp.seek(info.header_offset)
    head = fp.read(30)
    if len(head) != 30 or head[:4] != b"PK\x03\x04":
        raise UploadError(f"{name}: cannot unpack {info.filename} (bad local header); {again}.")
    fp.seek(info.header_offset + 30 + int.from_bytes(head[26:28], "little")
            + int.from_bytes(head[28:30], "little"))  # fmt: skip
    produced, crc = 0, 0
    try:
        with open(out, "wb") as dst:
            for chunk in _inflated(info.compress_type, fp, info.compress_size):
                produced += len(chunk)
                if produced > budget:
                    raise UploadError(
                        f"{name}: {info.filename} unpacks to more than {budget / 1e6:,.0f} MB "
                        f"(the limit for an upload's members; the zip declared "
                        f"{info.file_size / 1e6:,.1f} MB); zip only the district's Shapefile."
                    )
                crc = zlib.crc32(chunk, crc)
                dst.write(chunk)
    except UploadError:
        raise
    except (zlib.error, OSError, EOFError, ValueError, lzma.LZMAError) as exc:
        raise UploadError(f"{name}: cannot unpack {info.filename} ({exc}); {again}.") from None
    if crc != info.CRC or produced != info.file_size:
        raise UploadError(
            f"{name}: cannot unpack {info.filename} (its content does not match its checksum "
            f"or declared size: the zip is corrupt); {again}."
        )
    return produced


def _extract_shapefile(
    data: bytes, name: str, tmp: Path, max_bytes: int, max_vertices: int, max_features: int
) -> Path:
    """Check a zip's members and write its one Shapefile as ``tmp/upload.*``.

    Members are unpacked by :func:`_unpack_member`: what they produce is counted, not what
    the zip declares, and unpacking stops at :data:`MAX_UNPACKED_BYTES`.
    """
    raw = io.BytesIO(bytes(data))
    try:
        zf = zipfile.ZipFile(raw)
    except zipfile.BadZipFile:
        raise UploadError(f"{name}: not a readable zip archive; zip the Shapefile again.") from None
    with zf:
        infos = zf.infolist()
        unsafe = [i.filename for i in infos if _unsafe_member(i.filename)]
        if unsafe:
            shown = ", ".join(repr(u) for u in unsafe[:3])
            raise UploadError(
                f"{name}: unsafe path(s) in the zip ({shown}): members must not be absolute or "
                "contain '..'; zip the Shapefile's files at its top level and upload it again."
            )
        if len(infos) > 100 or sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
            total = sum(i.file_size for i in infos) / 1e6
            raise UploadError(
                f"{name}: the zip holds {len(infos)} members unpacking to {total:,.0f} MB, more "
                f"than an upload may ({MAX_UNPACKED_BYTES / 1e6:,.0f} MB); zip only the district."
            )
        files = {
            i.filename: i
            for i in infos
            if not i.is_dir()
            and not i.filename.startswith("__MACOSX/")
            and not PurePosixPath(i.filename).name.startswith(".")
        }
        shps = [f for f in files if f.lower().endswith(".shp")]
        if not shps:
            raise UploadError(
                f"{name}: no .shp in the zip, so no Shapefile to read; zip the .shp, .shx, .dbf "
                "and .prj of the district (or upload a GeoJSON or GeoPackage)."
            )
        if len(shps) > 1:
            raise UploadError(
                f"{name}: the zip holds {len(shps)} Shapefiles ({', '.join(shps[:4])}); zip only "
                "the proposed district's."
            )
        stem = shps[0][:-4]
        by_ext = {
            f[len(stem) :].lower(): i
            for f, i in files.items()
            if f.lower().startswith(stem.lower()) and len(f) == len(stem) + 4
        }
        base = PurePosixPath(stem).name
        lacking = [e for e in (".shx", ".dbf") if e not in by_ext]
        if lacking:
            raise UploadError(
                f"{name}: the Shapefile {base} lacks its {' and '.join(lacking)}; zip all the "
                "files written with it (.shp, .shx, .dbf, .prj) and upload again."
            )
        if ".prj" not in by_ext:
            raise CRSError(
                f"{name}: the Shapefile {base} has no .prj, so its CRS is unknown; zip the .prj "
                "written with it (or upload a GeoJSON in longitude/latitude)."
            )
        left = MAX_UNPACKED_BYTES
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            if ext in by_ext:
                left -= _unpack_member(raw, by_ext[ext], tmp / f"upload{ext}", name, left)
        shp_bytes = (tmp / "upload.shp").stat().st_size
        if shp_bytes > 100 + 16 * max_vertices + 56 * max_features:
            raise UploadError(
                f"{name}: the Shapefile holds up to {(shp_bytes - 100) // 16:,} vertices, more "
                f"than the {max_vertices:,} an upload may have; simplify the district (e.g. "
                "QGIS Simplify, 1 m tolerance) and upload it again."
            )
    return tmp / "upload.shp"


_REASONS = {
    "Self-intersection": "its outline crosses itself (self-intersection)",
    "Ring Self-intersection": "a ring touches itself (ring self-intersection)",
    "Too few points in geometry component": "a ring has too few points",
    "Hole lies outside shell": "a hole lies outside its outer ring",
    "Nested holes": "holes lie inside other holes",
    "Interior is disconnected": "a hole cuts the polygon in two",
    "Nested shells": "one outer ring lies inside another",
    "Duplicate Rings": "a ring is repeated",
    "Invalid Coordinate": "a coordinate is not a number",
}


def _describe_invalid(reason: str) -> str:
    m = re.match(r"^(.*?)\[(.*)\]$", reason)
    what, where = (m.group(1), m.group(2)) if m else (reason, "")
    text = _REASONS.get(what, what)
    if where:
        xy = where.split()
        try:
            where = ", ".join(f"{float(v):.6g}" for v in xy[:2])
        except ValueError:
            pass
        text += f" at ({where})"
    return text


def _check_polygons(gdf: Any, names: list[str], name: str) -> None:
    """Collect every missing, non-polygonal or invalid geometry and raise once."""
    geom = np.asarray(gdf.geometry.array, dtype=object)
    problems: list[str] = []
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    types = shapely.get_type_id(geom)
    for i in np.flatnonzero(missing):
        problems.append(f"feature {i + 1} ({names[i]}) has no geometry")
    wrong = ~missing & ~np.isin(types, [3, 6])
    for i in np.flatnonzero(wrong):
        problems.append(f"feature {i + 1} ({names[i]}) is a {geom[i].geom_type}, not a polygon")
    if problems:
        more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise InvalidGeometryError(
            f"{name}: {'; '.join(problems[:3])}{more}; a district is drawn as a polygon."
        )
    ok = ~missing & ~wrong
    invalid = ok & ~shapely.is_valid(geom)
    for i in np.flatnonzero(invalid):
        why = _describe_invalid(shapely.is_valid_reason(geom[i]))
        problems.append(f"feature {i + 1} ({names[i]}): {why}")
    if problems:
        more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise InvalidGeometryError(
            f"{name}: invalid polygon, not repaired: {'; '.join(problems[:3])}{more}; redraw it so "
            "that its edges do not cross (or run Fix geometries in QGIS) and upload it again."
        )


def _check_size(gdf: Any, name: str, max_vertices: int, max_parts: int) -> None:
    """Refuse more vertices or polygon parts than a district needs (they only cost time)."""
    geom = np.asarray(gdf.geometry.array, dtype=object)
    vertices = int(shapely.get_num_coordinates(geom).sum())
    if vertices > max_vertices:
        raise UploadError(
            f"{name}: {vertices:,} vertices, more than the {max_vertices:,} an upload may have; "
            "simplify the district (e.g. QGIS Simplify, 1 m tolerance) and upload it again."
        )
    parts = int(np.maximum(shapely.get_num_geometries(geom), 0).sum())
    if parts > max_parts:
        raise UploadError(
            f"{name}: {parts:,} polygon parts, more than the {max_parts:,} an upload may have; "
            "merge or drop the small parts and upload it again."
        )


def parse_upload(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_features: int = MAX_FEATURES,
    max_vertices: int = MAX_VERTICES,
    max_parts: int = MAX_PARTS,
) -> Boundaries:
    """Validate an uploaded polygon file and prepare it as :class:`~geodistrict.Boundaries`.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        The name the browser sent: only its extension is used, and its base name in messages.
    max_bytes, max_features, max_vertices, max_parts : int
        Caps on the file's size, its features, its vertices (coordinate pairs) and its polygon
        parts. A zip's members may unpack to at most :data:`MAX_UNPACKED_BYTES` (counted as
        they unpack) and a GeoJSON may nest at most :data:`MAX_JSON_DEPTH` deep.

    Returns
    -------
    Boundaries
        Ids ``<stem>`` (or ``<stem>-1`` ... for several features), names from the file's name
        field (else the file's stem); ``info.notes`` says what was assumed.

    Raises
    ------
    UploadError
        Too large, empty, an extension other than .geojson/.json/.gpkg/.zip, content that
        does not match it, an unsafe, incomplete or over-expanding zip, too many features,
        vertices or parts, JSON nested too deep. Each refusal is one line naming the limit.
    CRSError
        A Shapefile without .prj; coordinates that contradict the CRS.
    InvalidGeometryError
        Missing, non-polygonal or invalid (e.g. self-intersecting) geometries: refused, with
        every problem listed.
    InputFileError, EmptyLayerError, SchemaError
        From the reader, for a file GDAL cannot read or an empty layer.

    Examples
    --------
    >>> doc = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
    ...        '{"name": "Core"}, "geometry": {"type": "Polygon", "coordinates": '
    ...        '[[[0.11, 52.2], [0.13, 52.2], [0.13, 52.21], [0.11, 52.21], [0.11, 52.2]]]}}]}')
    >>> b = parse_upload(doc.encode(), "core.geojson")
    >>> list(b.ids), list(b.names), b.metric_crs.to_epsg()
    (['core'], ['Core'], 27700)
    """
    from ..io.vector import read_vector

    name = _display_name(filename)
    suffix = PurePosixPath(name).suffix.lower()
    _check_bytes(data, name, suffix, max_bytes)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="geodistrict-upload-") as tmpdir:
        tmp = Path(tmpdir)
        kind = UPLOAD_SUFFIXES[suffix]
        if kind == "json":
            if not _check_geojson(data, name, max_features, max_vertices):
                notes.append("GeoJSON without a crs member: longitude/latitude (RFC 7946)")
            path = tmp / "upload.geojson"
            path.write_bytes(bytes(data))
        else:
            if kind == "sqlite":
                path = _write_geopackage(data, name, tmp)
            else:
                path = _extract_shapefile(data, name, tmp, max_bytes, max_vertices, max_features)
            _check_feature_count(path, name, max_features)
        gdf = read_vector(path, what=name)
    if len(gdf) > max_features:
        raise UploadError(f"{name}: {len(gdf):,} features, over the {max_features:,} limit.")
    _check_size(gdf, name, max_vertices, max_parts)
    ids, names = _ids_and_names(gdf, name)
    _check_polygons(gdf, names, name)
    _check_upload_coordinates(gdf, name)
    import geopandas as gpd

    clean = gpd.GeoDataFrame({"id": ids, "name": names}, geometry=gdf.geometry.values, crs=gdf.crs)
    if gdf.crs.to_epsg() != 4326:
        notes.append(f"declared CRS {gdf.crs.to_string()}")
    return _prepare_upload(clean, name, notes)


def _write_geopackage(data: bytes, name: str, tmp: Path) -> Path:
    """The uploaded GeoPackage written to ``tmp``; refused unless it has one spatial layer."""
    import pyogrio

    path = tmp / "upload.gpkg"
    path.write_bytes(bytes(data))
    try:
        layers = pyogrio.list_layers(str(path))
    except Exception:  # noqa: BLE001 - GDAL's error types vary
        raise UploadError(f"{name}: not a readable GeoPackage; export it again.") from None
    spatial = [str(r[0]) for r in layers if r[1] is not None]
    if len(spatial) != 1:
        shown = ", ".join(spatial) or "none"
        raise UploadError(
            f"{name}: a GeoPackage with {len(spatial)} layers with geometry ({shown}); "
            "save the proposed district alone in its own GeoPackage."
        )
    return path


def _check_feature_count(path: Path, name: str, max_features: int) -> None:
    """Refuse a file GDAL cannot read, or one of more than ``max_features``, before reading it."""
    import pyogrio

    try:
        n = int(pyogrio.read_info(str(path))["features"])
    except Exception:  # noqa: BLE001 - GDAL's error types vary
        raise UploadError(
            f"{name}: GDAL cannot read it as a vector layer; export the district again."
        ) from None
    if n > max_features:
        raise UploadError(
            f"{name}: {n:,} features, more than the {max_features:,} an upload may hold; "
            "upload only the proposed district."
        )


def _ids_and_names(gdf: Any, name: str) -> tuple[list[str], list[str]]:
    """Ids from the file's stem and names from its name field (else the stem).

    Several features get ids ``stem-1``, ``stem-2`` ...; names they share are numbered.
    """
    stem = re.sub(r"[^\w-]+", "_", PurePosixPath(name).stem).strip("_").lower() or "proposed"
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    _, name_field = detect_id_name(cols)
    raw = gdf[name_field] if name_field else pd.Series([None] * len(gdf))
    names = [
        str(v).strip()[:120] if v is not None and pd.notna(v) and str(v).strip() else stem
        for v in raw
    ]
    if len(gdf) > 1 and len(set(names)) < len(names):
        names = [f"{n} #{k + 1}" for k, n in enumerate(names)]
    ids = [stem] if len(gdf) == 1 else [f"{stem}-{k + 1}" for k in range(len(gdf))]
    return ids, names


def _check_upload_coordinates(gdf: Any, name: str) -> None:
    """Refuse coordinates that contradict the file's CRS (e.g. metres labelled degrees)."""
    from ..crs import check_coordinates

    b = gdf.geometry.bounds.to_numpy()
    check_coordinates(
        np.concatenate([b[:, 0], b[:, 2]]),
        np.concatenate([b[:, 1], b[:, 3]]),
        gdf.crs,
        what=name,
        relabel="re-export it in longitude/latitude (EPSG:4326, as GeoJSON requires) or as a "
        "GeoPackage declaring {crs}",
    )


def _prepare_upload(clean: Any, name: str, notes: list[str]) -> Boundaries:
    """The upload as Boundaries; a polygon repaired once reprojected is said in its notes."""
    info = LayerInfo(name="proposed", source=name, kind="polygons", licence="uploaded by the user",
                     notes=tuple(notes))  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RepairWarning)
        out = prepare_boundaries(clean, id="id", name="name", source=name, info=info)
    if caught:  # a polygon valid in the file's CRS but not once reprojected: say so
        out = replace(out, info=replace(out.info, notes=out.info.notes + tuple(
            str(w.message) for w in caught if issubclass(w.category, RepairWarning))))  # fmt: skip
    return out


def one_district(b: Boundaries) -> Boundaries:
    """A one-polygon district: ``b`` itself, or the union of its features (noted in ``info``)."""
    if len(b) == 1:
        return b
    import geopandas as gpd

    # on a grid of 1e-9 degree (0.1 mm) or 0.1 mm: squares drawn side by side whose shared
    # edges differ in the last bits merge into one polygon instead of 999 slivers apart
    grid = 1e-9 if b.data.crs is not None and b.data.crs.is_geographic else 1e-4
    geom = shapely.union_all(np.asarray(b.data.geometry.array, dtype=object), grid_size=grid)
    stem = str(b.ids[0]).rsplit("-", 1)[0]
    gdf = gpd.GeoDataFrame({"id": [stem], "name": [f"{stem} ({len(b)} features merged)"]},
                           geometry=[geom], crs=b.data.crs)  # fmt: skip
    note = f"{len(b)} features merged into one district"
    info = replace(b.info, notes=tuple(b.info.notes) + (note,))
    return prepare_boundaries(gdf, id="id", name="name", source=b.info.source, info=info)
