"""Describe a file before using it: CRS, extent, counts, geometry problems, detected fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import shapely

from ..boundaries import detect_id_name
from ..errors import CRSError, InputFileError

__all__ = ["describe"]


def describe(path: str | Path, *, layer: str | int | None = None) -> dict[str, Any]:
    """What a user needs to know about a vector file or point table.

    Returns
    -------
    dict
        ``path``, ``kind`` and, for vector files, ``crs``, ``bounds``, ``features``,
        ``geometry_types``, ``invalid``, ``empty``, ``fields``, ``detected_id``,
        ``detected_name``, ``crs_problem`` (why the coordinates contradict the declared CRS,
        or ``None``); for tables ``rows``, ``fields``, ``detected_xy``,
        ``detected_postcode``, ``recognised_as``; for Nomis downloads (stacked blocks under
        ``Area`` header rows) ``kind="nomis"``, ``title``, ``geography_types``, ``years``,
        ``variables``, ``dimensions``, ``values``, ``suppressed`` and ``footnotes``.
    """
    from .datasets import resolve as _resolve_dataset
    from .read import TABLE_SUFFIXES

    p = Path(_resolve_dataset(path))
    if not p.exists():
        raise InputFileError(f"{p}: file not found; check the path.")
    if p.suffix.lower() in TABLE_SUFFIXES and _looks_like_nomis(p):
        return _describe_nomis(p)
    if p.suffix.lower() in TABLE_SUFFIXES:
        from .companies_house import detect_companies_house
        from .tables import detect_postcode_column, detect_xy_columns, read_table
        from .universities import detect_universities

        df, notes = read_table(p)
        xy = detect_xy_columns(list(df.columns))
        kind = (
            "companies_house"
            if detect_companies_house(df.columns)
            else "universities"
            if detect_universities(df.columns)
            else "table"
        )
        return {
            "path": str(p),
            "kind": kind,
            "rows": int(len(df)),
            "fields": [str(c) for c in df.columns],
            "detected_xy": None
            if xy is None
            else {"x": xy[0], "y": xy[1], "crs": xy[2].to_string() if xy[2] else None},
            "detected_postcode": detect_postcode_column(list(df.columns)),
            "notes": notes,
        }
    from .vector import check_vector_crs, read_vector

    gdf = read_vector(p, layer=layer)
    try:
        check_vector_crs(gdf, what=str(p))
        crs_problem = None
    except CRSError as exc:
        crs_problem = str(exc)
    geom = np.asarray(gdf.geometry.array, dtype=object)
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    idf, namef = detect_id_name(cols)
    empty = shapely.is_missing(geom) | shapely.is_empty(geom)
    invalid = ~empty & ~shapely.is_valid(geom)
    xy = None
    return {
        "path": str(p),
        "kind": "vector",
        "crs": gdf.crs.to_string(),
        "crs_name": gdf.crs.name,
        "crs_problem": crs_problem,
        "bounds": [float(v) for v in gdf.total_bounds],
        "features": int(len(gdf)),
        "geometry_types": {str(k): int(v) for k, v in gdf.geom_type.value_counts().items()},
        "invalid": int(invalid.sum()),
        "invalid_features": [
            f"{gdf[idf].iloc[i] if idf else i}: {shapely.is_valid_reason(geom[i])}"
            for i in np.flatnonzero(invalid)[:20]
        ],
        "empty": int(empty.sum()),
        "fields": [str(c) for c in cols],
        "detected_id": idf,
        "detected_name": namef,
        "detected_xy": xy,
    }


def _looks_like_nomis(p: Path) -> bool:
    """A first cell ``Area`` in the first 40 rows: Nomis's stacked layout (CSV or workbook)."""
    if p.suffix.lower() not in {".csv", ".txt", ".xlsx", ".xlsm"}:
        return False
    try:
        if p.suffix.lower() in {".xlsx", ".xlsm"}:
            import warnings

            import openpyxl

            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Workbook contains no default style")
                wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
            try:
                ws = wb.worksheets[0]
                ws.reset_dimensions()
                firsts = [r[0] if r else None for r in ws.iter_rows(max_row=40, values_only=True)]
            finally:
                wb.close()
        else:
            import csv
            import itertools

            with p.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
                rows = itertools.islice(csv.reader(fh), 40)
                firsts = [r[0] if r else None for r in rows]
    except Exception:  # noqa: BLE001 - not readable here: the table reader will say why
        return False
    return any(isinstance(v, str) and v.strip().lower() == "area" for v in firsts)


def _describe_nomis(p: Path) -> dict[str, Any]:
    from .nomis import read_nomis

    t = read_nomis(p)
    d = t.data
    return {
        "path": str(p),
        "kind": "nomis",
        "title": t.title,
        "rows": int(len(d)),
        "geography_types": sorted(str(g) for g in d["geography_type"].dropna().unique()),
        "years": sorted(int(y) for y in d["year"].dropna().unique()),
        "variables": [str(v) for v in dict.fromkeys(d["variable"])],
        "dimensions": list(t.dimensions),
        "values": int(d["value"].notna().sum()),
        "suppressed": int(t.n_suppressed),
        "notes": list(t.footnotes),
    }
