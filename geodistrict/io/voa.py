"""VOA "Non-domestic rating: business floorspace" statistics as a tidy table.

The Valuation Office Agency publishes, for England and Wales, the number of rateable
properties (*hereditaments*) and their floorspace (thousand m²) by administrative area and
sector (tables FS1.x to FS5.x: all sectors, retail, office, industrial, other). This module
reads them in the following documented layout, one row per area and sector:

====================  ==================================================================
column                meaning
====================  ==================================================================
``geography``         the level of the area (``LAUA``, ``REGL``, ``NATL`` ...)
``ons_code``          ONS GSS code of the area (``area_code`` or ``ba_code`` accepted)
``area_name``         its name
``sector``            ``Retail``, ``Office``, ``Industrial``, ``Other`` or ``All``
``hereditaments``     number of rateable properties
``floorspace_000m2``  floorspace in thousand m²
``year`` (optional)   the statistics' year (``2023``, ``2022-23`` ...)
====================  ==================================================================

Column names are compared without regard to case, spaces or punctuation. Suppressed cells are
published as ``..`` or ``-`` (:data:`SUPPRESSION_MARKERS`): they are kept as missing values,
never zero, flagged per cell, and counted. Numbers may carry thousands separators
(``"26,110"``). Lines starting with ``#`` before the header (notes) are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyLayerError, InputFileError, SchemaError
from .tables import read_csv_cells, read_table

__all__ = [
    "SUPPRESSION_MARKERS",
    "VOA_COLUMNS",
    "VOA_SECTORS",
    "read_voa_floorspace",
]

#: Sectors of the floorspace statistics, as output in the ``sector`` column.
VOA_SECTORS = ("Retail", "Office", "Industrial", "Other", "All")
#: Cells that mark a suppressed (or unavailable) value.
SUPPRESSION_MARKERS = frozenset({"..", "-"})
#: Output column → the normalised source names accepted for it (first found wins).
VOA_COLUMNS: dict[str, tuple[str, ...]] = {
    "geography": ("geography", "geographylevel"),
    "code": ("onscode", "areacode", "bacode", "code"),
    "name": ("areaname", "name"),
    "sector": ("sector",),
    "hereditaments": ("hereditaments", "numberofhereditaments"),
    "floorspace": ("floorspace000m2", "floorspace", "floorspacethousandm2"),
    "year": ("year", "financialyear"),
}
_SECTOR_KEYS = {s.casefold(): s for s in VOA_SECTORS} | {
    "all sectors": "All",
    "total": "All",
    "offices": "Office",
}


def _norm(name: object) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def _read_text(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Read with :func:`read_table`, skipping ``#`` note lines above a CSV header."""
    if path.suffix.lower() not in {".csv", ".txt", ".tsv"} or not path.exists():
        return read_table(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return read_table(path)  # read_table handles (and notes) other encodings
    lines = text.splitlines(keepends=True)
    skip = 0
    while skip < len(lines) and (lines[skip].lstrip().startswith("#") or not lines[skip].strip()):
        skip += 1
    if skip == 0:
        return read_table(path)
    body = "".join(lines[skip:])
    if not body.strip():
        raise InputFileError(f"{path}: only note lines, no table; export the table again.")
    try:
        df = read_csv_cells(body)
    except pd.errors.ParserError as exc:
        raise InputFileError(
            f"{path}: not a well-formed CSV table ({exc}); check quoting."
        ) from exc
    df.index = df.index + skip  # so that line numbers in errors count the note lines
    return df, [f"{path.name}: {skip} note line(s) above the header skipped"]


def _parse(
    values: pd.Series, lines: np.ndarray, *, path: Path, column: str
) -> tuple[np.ndarray, np.ndarray]:
    """Numbers, with suppression markers → NaN; returns (values, suppressed)."""
    s = pd.Series(values.to_numpy(dtype=object), dtype="object").astype("string").str.strip()
    suppressed = s.isin(SUPPRESSION_MARKERS).fillna(False).to_numpy(dtype=bool)
    thousands = s.str.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?").fillna(False)
    s = s.where(~thousands, s.str.replace(",", "", regex=False))
    num = pd.to_numeric(s.where(~suppressed), errors="coerce").astype("float64").to_numpy(copy=True)
    bad = ~np.isfinite(num) & ~suppressed
    if bad.any():
        shown = ", ".join(
            f"line {ln} ({'empty' if v is None else repr(v)})"
            for ln, v in zip(lines[bad][:10], values.to_numpy(dtype=object)[bad][:10], strict=True)
        )
        raise SchemaError(
            f"{path}: {int(bad.sum())} values of {column} are neither numbers nor a suppression "
            f"marker ({' or '.join(sorted(SUPPRESSION_MARKERS))}): {shown}; correct them or mark "
            "them '..'."
        )
    num[suppressed] = np.nan
    return num, suppressed


def _find_columns(df: pd.DataFrame, path: Path) -> dict[str, str | None]:
    """Output name -> the file's column (any spelling of :data:`VOA_COLUMNS`), or None.

    Raises
    ------
    SchemaError
        When a required column is missing (all are named at once).
    """
    by_norm: dict[str, str] = {}
    for c in df.columns:
        by_norm.setdefault(_norm(c), str(c))
    found = {
        out: next((by_norm[k] for k in keys if k in by_norm), None)
        for out, keys in VOA_COLUMNS.items()
    }
    required = {
        "code": "ons_code",
        "name": "area_name",
        "sector": "sector",
        "hereditaments": "hereditaments",
        "floorspace": "floorspace_000m2",
    }
    missing = [src for out, src in required.items() if found[out] is None]
    if missing:
        raise SchemaError(
            f"{path}: no {', '.join(missing)} column(s); columns are "
            f"{', '.join(map(str, df.columns))}. Reshape the VOA table to one row per area and "
            "sector with geography, ons_code, area_name, sector, hereditaments, "
            "floorspace_000m2."
        )
    return found


def _select_year(
    df: pd.DataFrame, lines: np.ndarray, ycol: str | None, year: str | int | None, path: Path
) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of ``year`` (all rows when ``year`` is None and the file holds one year).

    Raises
    ------
    SchemaError
        Several years and no ``year``; no rows for ``year``; ``year`` without a year column.
    """
    if ycol is None:
        if year is not None:
            raise SchemaError(
                f"{path}: has no year column, so year={year!r} cannot be checked; omit year= "
                "(the file holds one year) or add a year column."
            )
        return df, lines
    ytext = df[ycol].astype("string").str.strip().fillna("")
    years = list(dict.fromkeys(ytext))
    if year is None and len(years) > 1:
        raise SchemaError(
            f"{path}: the table holds several years ({', '.join(years)}); pass year= to choose one."
        )
    if year is None:
        return df, lines
    keep = (ytext == str(year).strip()).to_numpy(dtype=bool)
    if not keep.any():
        raise SchemaError(
            f"{path}: no rows for year {year!r}; the years in {ycol} are {', '.join(years)}."
        )
    return df.loc[keep], lines[keep]


def _sectors(sector_text: pd.Series, lines: np.ndarray, path: Path) -> pd.Series:
    """The :data:`VOA_SECTORS` name of each row's sector text.

    Raises
    ------
    SchemaError
        An unknown sector, naming its lines.
    """
    sector = sector_text.map(lambda s: _SECTOR_KEYS.get(" ".join(s.casefold().split())))
    unknown = sector.isna().to_numpy()
    if unknown.any():
        shown = ", ".join(
            f"line {ln} ({v!r})"
            for ln, v in zip(lines[unknown][:10], sector_text[unknown][:10], strict=True)
        )
        raise SchemaError(
            f"{path}: unknown sector at {shown}; sectors are {', '.join(VOA_SECTORS)}."
        )
    return sector


def _check_unique(out: pd.DataFrame, lines: np.ndarray, path: Path) -> None:
    """Each (area, sector[, year]) once.

    Raises
    ------
    SchemaError
        Naming the repeated lines.
    """
    key = ["code", "sector"] + (["year"] if "year" in out.columns else [])
    dup = out.duplicated(key, keep=False).to_numpy()
    if dup.any():
        shown = ", ".join(
            f"line {ln} ({c} {s})"
            for ln, c, s in zip(
                lines[dup][:10], out.loc[dup, "code"], out.loc[dup, "sector"], strict=False
            )
        )
        raise SchemaError(
            f"{path}: the same area and sector appear more than once ({shown}); keep one row "
            "of each (or pass year= if the file holds several years)."
        )


def read_voa_floorspace(path: str | Path, *, year: str | int | None = None) -> pd.DataFrame:
    r"""Read VOA business floorspace statistics (one row per area and sector).

    Parameters
    ----------
    path : str or Path
        CSV or XLSX in the layout described in :mod:`geodistrict.io.voa`.
    year : str or int, optional
        Keep the rows whose ``year`` column equals this (compared as text: ``2023`` or
        ``"2022-23"``). Required when the file holds several years; an error when it has no
        ``year`` column.

    Returns
    -------
    pandas.DataFrame
        Columns ``code``, ``name``, ``geography``, ``sector`` (one of :data:`VOA_SECTORS`),
        ``hereditaments`` (float), ``floorspace_m2`` (float: the published thousand m² × 1000),
        ``hereditaments_suppressed`` and ``floorspace_suppressed`` (bool), and ``year`` when
        the file has one. Suppressed cells are ``NaN``, never 0. ``attrs["n_suppressed"]``
        holds the number of suppressed cells (both measures), ``attrs["source"]`` the path and
        ``attrs["notes"]`` what was done on reading. (``attrs`` do not survive every pandas
        operation: read them straight after reading.)

    Raises
    ------
    SchemaError
        A required column missing, an unknown sector, a value that is neither a number nor a
        suppression marker, an (area, sector) repeated, or a year problem; rows are named by
        their line in the file.
    EmptyLayerError
        When the table has no rows.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "fs.csv"
    >>> _ = p.write_text(
    ...     "geography,ons_code,area_name,sector,hereditaments,floorspace_000m2\n"
    ...     "LAUA,E07000008,Cambridge,Office,1320,605\n"
    ...     "LAUA,E07000008,Cambridge,Industrial,..,388\n"
    ... )
    >>> fs = read_voa_floorspace(p)
    >>> fs["floorspace_m2"].tolist(), fs["hereditaments"].isna().tolist()
    ([605000.0, 388000.0], [False, True])
    >>> fs.attrs["n_suppressed"]
    1
    """
    from .datasets import resolve as _resolve_dataset

    path = Path(_resolve_dataset(path))
    df, notes = _read_text(path)
    if len(df) == 0:
        raise EmptyLayerError(
            f"{path}: the table has a header but no rows; export it again with its data."
        )
    found = _find_columns(df, path)
    lines = df.index.to_numpy() + 2  # line 1 is the header
    ycol = found["year"]
    df, lines = _select_year(df, lines, ycol, year, path)

    def text(col: str | None) -> pd.Series:
        if col is None:
            return pd.Series([""] * len(df), dtype=object)
        return pd.Series(
            df[col].astype("string").fillna("").str.strip().to_numpy(dtype=object), dtype=object
        )

    sector = _sectors(text(found["sector"]), lines, path)
    code = text(found["code"])
    blank = (code == "").to_numpy()
    if blank.any():
        raise SchemaError(
            f"{path}: lines {', '.join(map(str, lines[blank][:10]))} have no {found['code']}; "
            "fill in the area codes."
        )
    hered, hered_sup = _parse(
        df[found["hereditaments"]], lines, path=path, column=str(found["hereditaments"])
    )
    floor, floor_sup = _parse(
        df[found["floorspace"]], lines, path=path, column=str(found["floorspace"])
    )
    out = pd.DataFrame(
        {
            "code": code,
            "name": text(found["name"]),
            "geography": text(found["geography"]),
            "sector": sector.astype(object),
            "hereditaments": hered,
            "floorspace_m2": floor * 1000.0,
            "hereditaments_suppressed": hered_sup,
            "floorspace_suppressed": floor_sup,
        }
    )
    if ycol is not None:
        out["year"] = text(ycol).to_numpy()
    _check_unique(out, lines, path)
    out.attrs["n_suppressed"] = int(hered_sup.sum() + floor_sup.sum())
    out.attrs["source"] = str(path)
    out.attrs["notes"] = list(notes)
    return out
