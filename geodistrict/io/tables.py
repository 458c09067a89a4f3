"""Point tables (CSV/XLSX): coordinates found by column name, or postcodes geocoded.

Coordinates are detected from common column names (case-insensitive):

============================  =============
columns                       CRS
============================  =============
longitude / latitude          EPSG:4326
lon, lng, long / lat          EPSG:4326
easting / northing            EPSG:27700
oseast1m / osnrth1m           EPSG:27700
x / y                         must be given
============================  =============

A row whose coordinates are empty or not numbers falls back to its postcode (looked up in the
ONS Postcode Directory) when the table has a postcode column; a row that can be placed neither
way is rejected with both reasons. Nothing is dropped silently.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pyproj import CRS

from ..crs import BNG, WGS84, as_crs, check_coordinates, transform_xy
from ..errors import InputFileError, SchemaError
from ..layers import LayerInfo, PointLayer, reject_frame

__all__ = [
    "sniff_content",
    "COORDINATE_PAIRS",
    "POSTCODE_COLUMNS",
    "read_csv_cells",
    "read_table",
    "detect_xy_columns",
    "detect_postcode_column",
    "read_point_table",
    "points_from_frame",
]

#: (x column, y column, CRS or None when the CRS must be given), in order of preference.
COORDINATE_PAIRS: list[tuple[str, str, CRS | None]] = [
    ("longitude", "latitude", WGS84),
    ("lon", "lat", WGS84),
    ("lng", "lat", WGS84),
    ("long", "lat", WGS84),
    ("easting", "northing", BNG),
    ("oseast1m", "osnrth1m", BNG),
    ("x", "y", None),
]
#: Normalised names (lower case, letters and digits only) taken as a postcode column.
POSTCODE_COLUMNS = [
    "postcode",
    "regaddresspostcode",
    "pcd",
    "pcds",
    "pcd2",
    "postalcode",
    "postcodes",
]


def _norm(name: object) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def _sniff_separator(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    counts = {sep: first.count(sep) for sep in [",", ";", "\t", "|"]}
    return max(counts, key=lambda k: counts[k]) if any(counts.values()) else ","


def sniff_content(path: str | Path) -> str | None:
    """Say what a file really is when its content contradicts its name, else ``None``.

    Recognises what a failed download or a wrong "Save as" leaves behind: an HTML page, a
    gzip or zip archive, a PDF.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "lads.geojson"
    >>> _ = p.write_text("<!DOCTYPE html><html><body>Not Found</body></html>")
    >>> sniff_content(p).split(":")[0]
    'it is an HTML web page (a failed or redirected download?), not data'
    """
    from .datasets import resolve as _resolve_dataset

    p = Path(_resolve_dataset(path))
    try:
        with p.open("rb") as fh:
            head = fh.read(512)
    except OSError:
        return None
    low = head.lstrip().lower()
    suffix = p.suffix.lower()
    if head[:2] == b"\x1f\x8b":
        return "it is gzip-compressed: decompress it first (gunzip FILE, or 7-Zip on Windows)"
    if head[:4] == b"PK\x03\x04" and suffix not in {".zip", ".xlsx", ".xlsm"}:
        return (
            "it is a zip archive (a zipped download, or an Excel workbook): unzip it, or give "
            "a workbook its .xlsx name"
        )
    if low.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml version")) and (
        b"<html" in low or b"<!doctype html" in low
    ):
        return (
            "it is an HTML web page (a failed or redirected download?), not data: download "
            "the file again"
        )
    if head[:5] == b"%PDF-":
        return "it is a PDF document, not data: download the data file itself"
    return None


def _decode(raw: bytes, path: Path, what: str, notes: list[str]) -> str:
    """Text of a CSV: UTF-8 (with or without a byte-order mark), UTF-16 or Latin-1."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        notes.append(f"{path.name} is UTF-16 text (Excel's 'Unicode text'): decoded as UTF-16")
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"{what}: starts like UTF-16 text but is not ({exc.reason}); save it again as "
                "CSV UTF-8."
            ) from exc
    hint = sniff_content(path)
    if hint:
        raise InputFileError(f"{what}: not a CSV table: {hint}.")
    if b"\x00" in raw[:65536]:
        raise InputFileError(
            f"{what}: holds binary data (NUL bytes), not CSV text; save the table as CSV "
            "(UTF-8) or XLSX."
        )
    if raw[:3] == b"\xef\xbb\xbf":
        notes.append(f"{path.name}: UTF-8 byte-order mark removed from the first column name")
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        notes.append(f"{path.name} is not UTF-8: read as Latin-1")
        return raw.decode("latin-1")


def _merged_header(path: Path, sheet: str | int | None) -> list[str]:
    """Merged cell ranges that touch a workbook sheet's first row (its header)."""
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception:  # noqa: BLE001 - only a better message is at stake
        return []
    try:
        ws = wb[sheet] if isinstance(sheet, str) else wb.worksheets[sheet or 0]
        return [str(r) for r in ws.merged_cells.ranges if r.min_row == 1]
    except (KeyError, IndexError):
        return []
    finally:
        wb.close()


def read_table(
    path: str | Path, *, sheet: str | int | None = None, what: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Read a CSV or XLSX file as text columns.

    Returns
    -------
    (pandas.DataFrame, list of str)
        Every cell as text (``None`` when empty), and notes on what was guessed (encoding,
        separator).

    Raises
    ------
    InputFileError
        A missing, empty, binary (compressed, HTML, PDF) or malformed file.
    SchemaError
        A workbook whose header cells are merged (columns without names).
    """
    from .datasets import resolve

    path = Path(resolve(path))
    what = what or str(path)
    notes: list[str] = []
    if not path.exists():
        raise InputFileError(f"{what}: file not found; check the path.")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        return _read_workbook(path, sheet, what), notes
    return _read_delimited(path, what, notes), notes


def _read_workbook(path: Path, sheet: str | int | None, what: str) -> pd.DataFrame:
    """A sheet of a workbook as text cells (``None`` when empty).

    Raises
    ------
    InputFileError
        A missing sheet or a file that is not a readable workbook.
    SchemaError
        Header cells merged (columns without names).
    """
    suffix = path.suffix.lower()
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Workbook contains no default style")
            # openpyxl, as this reader was written for (pandas 3 would take calamine when it
            # is installed, which reads merged header cells differently)
            engine: Literal["openpyxl"] | None = None if suffix == ".xls" else "openpyxl"
            df = pd.read_excel(
                path, sheet_name=sheet if sheet is not None else 0, dtype=object, engine=engine
            )
    except ValueError as exc:
        raise InputFileError(f"{what}: cannot read sheet {sheet!r}: {exc}") from exc
    except Exception as exc:
        hint = sniff_content(path)
        raise InputFileError(
            f"{what}: not a readable Excel workbook ({hint or type(exc).__name__}); re-save "
            "it as .xlsx or CSV."
        ) from exc
    unnamed = [c for c in df.columns if str(c).startswith("Unnamed:")]
    if unnamed and suffix != ".xls":
        merged = _merged_header(path, sheet)
        if merged:
            raise SchemaError(
                f"{what}: header cells {', '.join(merged)} are merged, so {len(unnamed)} "
                "column(s) have no name; unmerge them and give each column its own name "
                "in the first row (e.g. longitude, latitude), or save the sheet as CSV."
            )
    return df.map(
        lambda v: None if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v)
    )


def _skip_comment_lines(text: str, path: Path, notes: list[str]) -> tuple[str, int]:
    """``text`` without the ``#`` comment lines above the header, and how many there were."""
    lines = text.splitlines(keepends=True)
    skip = 0
    while skip < len(lines) and lines[skip].lstrip().startswith("#"):
        skip += 1
    if skip:
        notes.append(
            f"{path.name}: {skip} comment line(s) starting with '#' above the header skipped"
        )
        text = "".join(lines[skip:])
    return text, skip


def _read_delimited(path: Path, what: str, notes: list[str]) -> pd.DataFrame:
    """A CSV (or other delimited text) file as text cells; notes what was guessed.

    Raises
    ------
    InputFileError
        An empty, binary or malformed file.
    """
    raw = path.read_bytes()
    if not raw.strip():
        raise InputFileError(f"{what}: the file is empty; export the table again.")
    text = _decode(raw, path, what, notes)
    if not text.strip():
        raise InputFileError(f"{what}: the file is empty; export the table again.")
    text, skip = _skip_comment_lines(text, path, notes)
    sep = _sniff_separator(text)
    if sep != ",":
        notes.append(f"{path.name}: separator {sep!r} detected")
    try:
        return read_csv_cells(text, sep=sep)
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(
            f"{what}: no header row{' after the comment lines' if skip else ''}; export the "
            "table again with its column names in the first row."
        ) from exc
    except pd.errors.ParserError as exc:
        raise InputFileError(
            f"{what}: not a well-formed CSV table ({str(exc).strip()}); check quoting and that "
            "every row has as many fields as the header."
        ) from exc


def read_csv_cells(text: str, *, sep: str = ",") -> pd.DataFrame:
    r"""Parse CSV text into a table of text cells (``None`` when empty), nothing guessed.

    Parameters
    ----------
    text : str
        The CSV text, header first.
    sep : str
        The field separator.

    Returns
    -------
    pandas.DataFrame
        Object columns of str or ``None``.

    Raises
    ------
    pandas.errors.EmptyDataError, pandas.errors.ParserError
        As :func:`pandas.read_csv`; callers turn them into errors that name the file.

    Examples
    --------
    >>> read_csv_cells("a,b\n1,\n").to_dict("list")
    {'a': ['1'], 'b': [None]}
    """
    df = pd.read_csv(
        io.StringIO(text),
        sep=sep,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        quoting=csv.QUOTE_MINIMAL,
    )
    return df.astype(object).where(df.notna(), None)


def _find(columns: Sequence[str], wanted: str) -> str | None:
    for c in columns:
        if _norm(c) == wanted:
            return c
    return None


def detect_xy_columns(columns: Sequence[str]) -> tuple[str, str, CRS | None] | None:
    """The coordinate columns and the CRS their names imply, or ``None``.

    Examples
    --------
    >>> detect_xy_columns(["UKPRN", "LONGITUDE", "LATITUDE"])[:2]
    ('LONGITUDE', 'LATITUDE')
    >>> detect_xy_columns(["Easting", "Northing"])[2].to_epsg()
    27700
    """
    for xn, yn, crs in COORDINATE_PAIRS:
        xc, yc = _find(columns, xn), _find(columns, yn)
        if xc is not None and yc is not None:
            return xc, yc, crs
    return None


def detect_postcode_column(columns: Sequence[str]) -> str | None:
    """The postcode column, if any (``POSTCODE``, ``RegAddress.PostCode``, ``pcd`` ...)."""
    for wanted in POSTCODE_COLUMNS:
        c = _find(columns, wanted)
        if c is not None:
            return c
    return None


_THOUSANDS = r"-?\d{1,3}(,\d{3})+(\.\d+)?"
_DECIMAL_COMMA = r"-?\d+,\d+"
_DECIMAL_POINT = r"-?\d*\.\d+"
#: The decimal separators a caller may name (``decimal=``, CLI ``--decimal NAME=SEP``).
DECIMAL_SEPARATORS = (".", ",")


def _to_number(
    values: pd.Series,
    *,
    projected: bool = False,
    decimal: str | None = None,
    source: str = "table",
    column: str = "",
) -> tuple[np.ndarray, str | None]:
    """Parse numbers, repairing decimal commas and thousands separators.

    ``"52,2"`` is a decimal comma. ``"525,000"`` is ambiguous: in metres (``projected``) it is
    read with a thousands separator (525000, an easting), in degrees as a decimal comma
    (52.205 from ``"52,205"``): a coordinate in degrees never reaches a thousand.

    A column that mixes the two separators (``"52.2"`` in most rows, ``"1,25"`` in one) is an
    error naming the rows, since either could be the slip, unless ``decimal`` says which is
    the decimal separator: with ``"."`` a decimal comma is not a number (the row is rejected
    and its reason reported); with ``","`` decimal commas are read as decimal points.

    Returns
    -------
    (numpy.ndarray, str or None)
        The numbers (NaN where not a finite number) and what was repaired:
        ``"decimal commas"``, ``"thousands separators"``, both joined by ``" and "``, or None.
    """
    if decimal is not None and decimal not in DECIMAL_SEPARATORS:
        raise SchemaError(f"decimal={decimal!r}: give '.' or ',' (the decimal separator).")
    s = pd.Series(values, dtype="object").astype("string").str.strip()
    done = []
    if decimal is None:
        commas = s.str.fullmatch(_DECIMAL_COMMA).fillna(False).to_numpy(dtype=bool)
        if projected:
            commas &= ~s.str.fullmatch(_THOUSANDS).fillna(False).to_numpy(dtype=bool)
        points = s.str.fullmatch(_DECIMAL_POINT).fillna(False).to_numpy(dtype=bool)
        if commas.any() and points.any():
            few, many = (commas, points) if commas.sum() <= points.sum() else (points, commas)
            rows = np.flatnonzero(few)
            shown = ", ".join(f"{r + 1} ({s.iloc[r]!r})" for r in rows[:5])
            more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
            sep, other = ("commas", "points") if few is commas else ("points", "commas")
            raise SchemaError(
                f"{source}: column {column!r} mixes decimal separators: {int(many.sum()):,} "
                f"values use decimal {other} but data row(s) {shown}{more} use decimal {sep}; "
                "correct those rows, or say which is the decimal separator with decimal='.' or "
                "decimal=',' (CLI: --decimal NAME=. or --decimal NAME=,)."
            )
    elif decimal == ".":
        comma = s.str.fullmatch(_DECIMAL_COMMA).fillna(False)
        if projected:
            comma &= ~s.str.fullmatch(_THOUSANDS).fillna(False)
        # not a number with '.' as the decimal separator (pandas-stubs reject pd.NA as other)
        s = s.where(~comma, pd.NA)  # type: ignore[call-overload]
    if projected:
        thousands = s.str.fullmatch(_THOUSANDS).fillna(False)
        if thousands.any():
            s = s.where(~thousands, s.str.replace(",", "", regex=False))
            done.append("thousands separators")
    comma = s.str.fullmatch(_DECIMAL_COMMA).fillna(False)
    if decimal != "." and comma.any():
        s = s.where(~comma, s.str.replace(",", ".", regex=False))
        done.insert(0, "decimal commas")
    num = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy(copy=True)
    num[~np.isfinite(num)] = np.nan
    return num, " and ".join(done) or None


def points_from_frame(
    df: pd.DataFrame,
    *,
    name: str,
    source: str,
    x: str | None = None,
    y: str | None = None,
    crs: object | None = None,
    postcode: str | None = None,
    id_field: str | None = None,
    info: LayerInfo | None = None,
    notes: Sequence[str] = (),
    rejected: pd.DataFrame | None = None,
    n_input: int | None = None,
    decimal: str | None = None,
) -> PointLayer:
    """Place the rows of a table as points.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; its row order defines the ``row`` numbers used in reports.
    name, source : str
        Short layer name and where the table came from (named in errors).
    x, y : str, optional
        Coordinate columns; detected from their names when omitted.
    crs : str or pyproj.CRS, optional
        CRS of ``x``/``y``; implied by the column names when they are lon/lat or
        easting/northing, required for plain x/y.
    postcode : str, optional
        Postcode column used when a row has no coordinates (detected when omitted).
    id_field : str, optional
        Column identifying a record in reports.
    info : LayerInfo, optional
        Provenance (otherwise built from ``name`` and ``source``).
    notes : sequence of str
        Notes from reading, carried into the layer's provenance.
    rejected, n_input
        Rows already excluded by a specialised reader, and the source's row count.
    decimal : {".", ","}, optional
        The decimal separator of the coordinate columns, needed only when a column mixes
        both (otherwise such a column is an error naming its rows).

    Returns
    -------
    PointLayer
        In the CRS of the coordinate columns, or EPSG:27700 when only postcodes placed rows.

    Raises
    ------
    SchemaError
        When there are neither coordinate nor postcode columns.
    CRSError
        When the coordinates contradict their CRS (swapped, degrees vs metres).
    """
    notes = list(notes)
    cols = list(df.columns)
    xy = _coordinate_columns(cols, x, y, source)
    pc_col = postcode if postcode is not None else detect_postcode_column(cols)
    if postcode is not None and postcode not in cols:
        raise SchemaError(f"{source}: no postcode column {postcode!r}.")
    if xy is None and pc_col is None:
        raise SchemaError(
            f"{source}: no coordinate columns (longitude/latitude, lon/lat, easting/northing, x/y) "
            "and no postcode column; name them with --xy NAME=XCOL,YCOL (and --points-crs) or "
            "--postcode NAME=COLUMN."
        )
    n = len(df)
    rows = np.arange(n) if "row" not in df.columns else df["row"].to_numpy()
    px = np.full(n, np.nan)
    py = np.full(n, np.nan)
    layer_crs: CRS = BNG
    xy_reason = np.full(n, "", dtype=object)
    if xy is not None:
        layer_crs = _coordinates_crs(xy, crs, source)
        px, py, xy_reason = _read_coordinates(df, xy, layer_crs, decimal, source, notes)
    placed = np.isfinite(px) & np.isfinite(py)
    reasons = np.array(xy_reason, dtype=object)
    reasons[placed] = None
    geocoded = np.zeros(n, dtype=bool)
    if pc_col is not None and (~placed).any():
        geocoded = _place_by_postcode(
            df[pc_col], px, py, reasons, layer_crs, source=source, had_xy=xy is not None,
            notes=notes,
        )  # fmt: skip
    placed = np.isfinite(px) & np.isfinite(py)
    attrs = df.loc[placed].drop(columns="row", errors="ignore").reset_index(drop=True)
    attrs.insert(0, "row", rows[placed])
    attrs["located_by"] = np.where(geocoded[placed], "postcode", "coordinates")
    ids = df[id_field].to_numpy()[~placed] if id_field and id_field in df.columns else None
    new_rej = reject_frame(rows[~placed], ids, reasons[~placed])
    rej = new_rej if rejected is None else pd.concat([rejected, new_rej], ignore_index=True)
    if info is None:
        info = LayerInfo(name=name, source=source, kind="points", id_field=id_field)
    info = LayerInfo(**{**info.__dict__, "notes": tuple(info.notes) + tuple(notes)})
    return PointLayer(
        x=px[placed],
        y=py[placed],
        crs=layer_crs,
        attributes=attrs,
        info=info,
        rejected=rej,
        n_input=n_input if n_input is not None else n,
    )


def _coordinate_columns(
    cols: list[Any], x: str | None, y: str | None, source: str
) -> tuple[str, str, CRS | None] | None:
    """(x column, y column, CRS their names imply) given or detected; None when there are none.

    Raises
    ------
    SchemaError
        When only one of ``x``/``y`` is given, or a given column is missing.
    """
    if (x is None) != (y is None):
        raise SchemaError(f"{source}: give both x and y columns, e.g. x='LONGITUDE', y='LATITUDE'.")
    if x is None or y is None:
        return detect_xy_columns(cols)
    for c in (x, y):
        if c not in cols:
            raise SchemaError(
                f"{source}: no column {c!r}; columns are {', '.join(map(str, cols[:30]))}."
            )
    hit = detect_xy_columns([x, y])
    return x, y, (hit[2] if hit is not None else None)


def _coordinates_crs(xy: tuple[str, str, CRS | None], crs: object | None, source: str) -> CRS:
    """The CRS of the coordinate columns: ``crs`` if given, else the one their names imply.

    Raises
    ------
    SchemaError
        When neither tells the CRS (plain x/y columns).
    """
    xc, yc, implied = xy
    if crs is not None:
        return as_crs(crs, what=source)
    if implied is not None:
        return implied
    raise SchemaError(
        f"{source}: columns {xc!r}/{yc!r} hold coordinates but their CRS is unknown; pass "
        "crs='EPSG:4326' for lon/lat or crs='EPSG:27700' for eastings/northings "
        "(CLI: --points-crs NAME=EPSG:4326)."
    )


def _read_coordinates(
    df: pd.DataFrame,
    xy: tuple[str, str, CRS | None],
    layer_crs: CRS,
    decimal: str | None,
    source: str,
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y (NaN where unreadable) and, per row, why a row has no coordinates.

    Raises
    ------
    CRSError
        When the coordinates contradict their CRS (swapped, degrees vs metres).
    """
    xc, yc, _ = xy
    projected = not layer_crs.is_geographic
    px, rx = _to_number(df[xc], projected=projected, decimal=decimal, source=source, column=xc)
    py, ry = _to_number(df[yc], projected=projected, decimal=decimal, source=source, column=yc)
    fixed = f"{rx} {ry}"
    if "decimal" in fixed:
        notes.append(f"{source}: decimal commas in {xc}/{yc} read as decimal points")
    if "thousands" in fixed:
        notes.append(
            f"{source}: thousands separators in {xc}/{yc} removed (525,000 read as 525000 m)"
        )
    empty = df[xc].isna().to_numpy() | df[yc].isna().to_numpy()
    xy_reason = np.where(
        empty, f"no coordinates ({xc}/{yc} empty)", f"coordinates in {xc}/{yc} are not numbers"
    ).astype(object)
    check_coordinates(px, py, layer_crs, what=source, x_name=xc, y_name=yc)
    return px, py, xy_reason


def _place_by_postcode(
    postcodes: pd.Series,
    px: np.ndarray,
    py: np.ndarray,
    reasons: np.ndarray,
    layer_crs: CRS,
    *,
    source: str,
    had_xy: bool,
    notes: list[str],
) -> np.ndarray:
    """Place the rows without coordinates at their postcode's centroid (in place).

    ``px``/``py`` get the centroids (in ``layer_crs``), ``reasons`` why a postcode did not
    place its row; returns which rows were placed by postcode.
    """
    from .onspd import GEOCODE_REASONS, geocode_postcodes

    geocoded = np.zeros(len(px), dtype=bool)
    need = np.flatnonzero(~(np.isfinite(px) & np.isfinite(py)))
    pcs = postcodes.iloc[need]
    geo = geocode_postcodes(pcs.reset_index(drop=True))
    gx, gy = geo["x"].to_numpy(), geo["y"].to_numpy()
    gx, gy = transform_xy(gx, gy, BNG, layer_crs)
    ok = np.isfinite(gx) & np.isfinite(gy)
    px[need[ok]] = gx[ok]
    py[need[ok]] = gy[ok]
    geocoded[need[ok]] = True
    for j in np.flatnonzero(~ok):
        st = geo["status"].iloc[j]
        pc = pcs.iloc[j]
        why = GEOCODE_REASONS[st].format(pc=str(pc).strip())
        reasons[need[j]] = f"{reasons[need[j]]}; {why}" if reasons[need[j]] else why
    pc_col = postcodes.name
    if not had_xy:
        notes.append(f"{source}: placed by postcode ({pc_col}) with the ONS Postcode Directory")
    elif ok.any():
        notes.append(
            f"{source}: {int(ok.sum())} rows without coordinates placed by postcode ({pc_col})"
        )
    return geocoded


def read_point_table(
    path: str | Path,
    *,
    name: str | None = None,
    x: str | None = None,
    y: str | None = None,
    crs: object | None = None,
    postcode: str | None = None,
    id_field: str | None = None,
    sheet: str | int | None = None,
) -> PointLayer:
    r"""Read a CSV/XLSX table of points (coordinates or postcodes).

    See :func:`points_from_frame` for the parameters; ``name`` defaults to the file stem.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "sites.csv")
    >>> from pathlib import Path
    >>> _ = Path(p).write_text("name,lon,lat\nA,-0.12,51.53\nB,,\n")
    >>> layer = read_point_table(p)
    >>> len(layer), layer.rejected["reason"].tolist()
    (1, ['no coordinates (lon/lat empty)'])
    """
    from .datasets import resolve as _resolve_dataset

    path = Path(_resolve_dataset(path))
    df, notes = read_table(path, sheet=sheet)
    if len(df) == 0:
        from ..errors import EmptyLayerError

        raise EmptyLayerError(
            f"{path}: the table has a header but no rows; export it again with its data."
        )
    return points_from_frame(
        df,
        name=name or re.sub(r"\W+", "_", path.stem).strip("_").lower(),
        source=str(path),
        x=x,
        y=y,
        crs=crs,
        postcode=postcode,
        id_field=id_field,
        notes=notes,
    )
