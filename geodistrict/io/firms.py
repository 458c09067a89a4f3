"""Firm point layers with their SIC 2007 sectors, from any firm table or Companies House.

:func:`read_firms` reads

* a Companies House BasicCompanyData CSV (or an extract of it), placed by registered-office
  postcode (:func:`geodistrict.io.companies_house.read_companies_house`), whose first SIC
  text ``SICCode.SicText_1`` gives the sector;
* a GeoParquet cache written by
  :func:`geodistrict.io.companies_house_stream.cache_basic_company_data`;
* any table of firms with coordinates or postcodes and a SIC column (``SIC_5DIGIT_CODE``,
  ``sic_code``, ``sic`` ... or the column named by ``sic_column``), or a vector file of points.

Every firm keeps its row: the SIC code is parsed by :func:`geodistrict.sectors.classify_sic`
into ``sic_section`` ... ``sic_subclass``, and firms without a SIC 2007 activity (Companies
House's codes 98000, 74990, 99999, a missing code) keep ``sic_section`` empty with the reason in
``sic_reason``; :func:`firm_accounting` counts them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import SchemaError
from ..layers import PointLayer
from ..sectors import SECTOR_COLUMNS, classify_sic, sector_accounting

__all__ = ["SIC_COLUMN_CANDIDATES", "detect_sic_column", "firm_accounting", "read_firms"]

#: Column names recognised as a firm's SIC code, in order of preference (case-insensitive).
SIC_COLUMN_CANDIDATES = (
    "SICCode.SicText_1",
    "sic_code",
    "SIC_5DIGIT_CODE",
    "sic5",
    "sic2007",
    "sic_2007",
    "sic",
    "siccode",
    "sic_code_1",
)


def detect_sic_column(columns: Any) -> str | None:
    """The SIC column among ``columns`` (see :data:`SIC_COLUMN_CANDIDATES`), or ``None``.

    Examples
    --------
    >>> detect_sic_column(["CompanyName", "SIC_5DIGIT_CODE", "SIC_5DIGIT_NAME"])
    'SIC_5DIGIT_CODE'
    >>> detect_sic_column(["name", "lon", "lat"]) is None
    True
    """
    by_fold = {str(c).strip().casefold(): str(c) for c in columns}
    for cand in SIC_COLUMN_CANDIDATES:
        if cand.casefold() in by_fold:
            return by_fold[cand.casefold()]
    return None


def read_firms(
    path: str | Path,
    *,
    name: str = "firms",
    sic_column: str | None = None,
    x: str | None = None,
    y: str | None = None,
    crs: object | None = None,
    postcode: str | None = None,
    include_inactive: bool = False,
) -> PointLayer:
    r"""Read a layer of firms and parse their SIC 2007 codes.

    Parameters
    ----------
    path : str or Path
        A Companies House BasicCompanyData CSV, its GeoParquet cache, a CSV/XLSX table of
        firms with coordinates (``lon``/``lat``, ``easting``/``northing`` ...) or postcodes,
        or a vector file of points.
    name : str
        Short layer name (``firms`` → ``firms_count``).
    sic_column : str, optional
        Column holding each firm's SIC code; by default the first of
        :data:`SIC_COLUMN_CANDIDATES` present.
    x, y, crs, postcode
        Overrides for tables (see :func:`geodistrict.io.read.read_points`).
    include_inactive : bool
        Companies House only: keep companies that are not live.

    Returns
    -------
    PointLayer
        The firms, with the source's columns and those of
        :data:`geodistrict.sectors.SECTOR_COLUMNS` (``sic_section``, ``sic_division``,
        ``sic_group``, ``sic_class``, ``sic_subclass``, ``sic_status``, ``sic_reason``). A
        source column of one of these names is replaced (noted in ``info.notes``).

    Raises
    ------
    SchemaError
        When no SIC column is found or ``sic_column`` is not a column (the columns are
        listed).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "firms.csv"
    >>> _ = p.write_text("name,lon,lat,sic\nA,-1.47,53.38,62012\nB,-1.46,53.38,98000\n")
    >>> firms = read_firms(p)
    >>> firms.attributes[["sic_section", "sic_division", "sic_status"]].to_dict("list")
    {'sic_section': ['J', None], 'sic_division': ['62', None], 'sic_status': ['sic2007', 'companies_house']}
    """  # noqa: E501
    from .read import read_points

    path = Path(path)
    if path.suffix.lower() == ".parquet":
        from .companies_house_stream import read_firm_cache

        layer = read_firm_cache(path, name=name)
        if sic_column is None and "sic_code" in layer.attributes.columns:
            sic_column = "sic_code"
    else:
        layer = read_points(path, name=name, x=x, y=y, crs=crs, postcode=postcode)
        if layer.info.kind == "companies_house":
            if include_inactive:
                from .companies_house import read_companies_house

                layer = read_companies_house(path, name=name, include_inactive=True)
            if sic_column is None:
                sic_column = "SICCode.SicText_1"
    return with_sectors(layer, sic_column=sic_column)


def with_sectors(layer: PointLayer, *, sic_column: str | None = None) -> PointLayer:
    """The layer with its SIC code parsed into the SIC 2007 hierarchy (see :func:`read_firms`).

    Parameters
    ----------
    layer : PointLayer
        Any point layer of firms.
    sic_column : str, optional
        Its SIC column (detected when not given).

    Returns
    -------
    PointLayer
        A new layer whose attributes hold the columns of
        :data:`geodistrict.sectors.SECTOR_COLUMNS`.
    """
    attrs = layer.attributes
    col = sic_column or detect_sic_column(attrs.columns)
    if col is None or col not in attrs.columns:
        shown = ", ".join(map(str, list(attrs.columns)[:25]))
        what = f"no column {sic_column!r}" if sic_column else "no SIC column"
        raise SchemaError(
            f"{layer.info.source}: {what} (columns: {shown}); name the column holding each "
            "firm's SIC 2007 code with --sic-column COL (sic_column=)."
        )
    classified = classify_sic(attrs[col])
    notes = list(layer.info.notes)
    replaced = [c for c in SECTOR_COLUMNS if c in attrs.columns and c != col]
    if replaced:
        notes.append(
            f"{layer.info.source}: columns {', '.join(replaced)} replaced by the SIC 2007 "
            f"hierarchy parsed from {col}"
        )
    attrs = attrs.drop(columns=replaced)  # a new frame (copy-on-write): no deep copy
    if col in SECTOR_COLUMNS and col != "sic_code":
        attrs = attrs.drop(columns=[col])
    for c in SECTOR_COLUMNS:
        attrs[c] = pd.Series(classified[c].to_numpy(), index=attrs.index, dtype=object)
    acc = sector_accounting(classified)
    if acc["without_section"]:
        listed = "; ".join(f"{v} x {k}" for k, v in acc["reasons"].items())
        notes.append(
            f"{layer.info.source}: {acc['with_section']:,} firms with a SIC 2007 section, "
            f"{acc['without_section']:,} without ({listed}); they stay in the layer and are "
            "counted in no sector"
        )
    info = replace(layer.info, notes=tuple(notes))
    out = replace(layer, attributes=attrs.reset_index(drop=True), info=info)
    out.attributes.attrs["sic_column"] = col
    return out


def firm_accounting(layer: PointLayer) -> dict[str, Any]:
    """Every row of a firm layer accounted for: placed or rejected, with or without a sector.

    Returns
    -------
    dict
        ``input`` (rows of the source), ``located`` (points), ``rejected`` (rows without a
        location, by reason), ``with_section``, ``without_section`` and ``reasons`` (the
        located firms without a SIC 2007 section, by reason), with
        ``input == located + sum(rejected)`` and ``located == with_section + without_section``.
    """
    acc = sector_accounting(layer.attributes)
    rej = layer.rejected
    reasons = rej["reason"].value_counts() if len(rej) else pd.Series(dtype=int)
    return {
        "input": int(layer.n_input),
        "located": int(len(layer)),
        "rejected": {str(k): int(v) for k, v in reasons.items()},
        "with_section": acc["with_section"],
        "without_section": acc["without_section"],
        "reasons": acc["reasons"],
        "sic_column": layer.attributes.attrs.get("sic_column"),
    }
