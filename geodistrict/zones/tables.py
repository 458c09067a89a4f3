"""Published zone tables → one value per zone polygon, whatever the publisher's layout.

Recognised layouts (by their headers):

* Nomis downloads (stacked blocks, ``Area`` header rows): UK Business Counts, APS/BRES;
* City of Melbourne CLUE jobs tables (``Geography``, ``Category``, ``Industry Space Use``,
  ``Value``), whose ``Total jobs`` rows are used, never added to their parts;
* VOA business floorspace statistics (``ons_code``, ``sector``, ``floorspace_000m2``);
* any CSV/XLSX keyed by an area code or name.

Rows reach polygons by code, by name, through :data:`geodistrict.zones.match.LEP_ALIASES` and
through :data:`geodistrict.zones.match.LAD_SUCCESSORS_2023`; what stays unmatched is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..boundaries import Boundaries
from ..errors import SchemaError
from .match import LAD_SUCCESSORS_2023, LEP_ALIASES, ZoneMatch, match_zones, normalise_label

__all__ = ["ZoneValues", "zone_values"]


@dataclass(frozen=True)
class ZoneValues:
    """A table's values carried onto zone polygons.

    Attributes
    ----------
    match : ZoneMatch
        ``match.values`` has one column, ``value``, indexed by zone id.
    layout : str
        ``"nomis"``, ``"clue"``, ``"voa"`` or ``"table"``.
    selection : dict
        What was picked from the table (geography type, year, variable, key column ...).
    """

    match: ZoneMatch
    layout: str
    selection: dict[str, Any] = field(default_factory=dict)

    @property
    def values(self) -> pd.Series:
        """Value per zone id (NaN where no row matched or the cell was suppressed)."""
        return self.match.values["value"]

    def report(self) -> dict[str, Any]:
        """JSON-ready summary of the selection and the matching."""
        return {"layout": self.layout, "selection": self.selection, **self.match.report()}


def _match(series: pd.Series, zones: Boundaries, what: str | None = None) -> ZoneMatch:
    return match_zones(
        series.rename("value"),
        zones,
        aliases=LEP_ALIASES,
        successors=LAD_SUCCESSORS_2023,
        what=what,
    )


def _where(path: Path) -> str:
    """The file, and for a workbook the sheet read (the first), for messages."""
    if path.suffix.lower() not in {".xlsx", ".xlsm"}:
        return str(path)
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            return f"{path} [sheet {wb.sheetnames[0]!r}]"
        finally:
            wb.close()
    except Exception:  # noqa: BLE001 - only for a message
        return f"{path} [first sheet]"


def _score(labels: pd.Index, zones: Boundaries) -> int:
    names = {normalise_label(n) for n in zones.names} | set(map(str, zones.ids))
    names |= {normalise_label(k) for k in LAD_SUCCESSORS_2023}
    names |= {normalise_label(k) for k in LEP_ALIASES}
    return sum(1 for lab in labels if normalise_label(lab) in names or str(lab) in names)


def _nomis(
    path: Path, zones: Boundaries, *, value: str | None, date: int | None, where: Mapping[str, str]
) -> ZoneValues:
    from ..io.nomis import read_nomis

    t = read_nomis(path)
    d = t.data
    # the geography type whose labels match the zones best
    scores = {
        g: _score(pd.Index(d.loc[d["geography_type"] == g, "area"].unique()), zones)
        for g in d["geography_type"].dropna().unique()
    }
    if not scores or max(scores.values()) == 0:
        raise SchemaError(
            f"{path}: none of the table's areas ({', '.join(map(str, scores)) or 'none'}) "
            "matches the zone polygons by code or name; check that the zones are the table's "
            "geography."
        )
    geo = max(scores, key=lambda g: scores[g])
    years = sorted(int(y) for y in d["year"].dropna().unique())
    year = int(date) if date is not None else (years[-1] if years else None)
    variables = list(dict.fromkeys(d["variable"]))
    variable = value or ("Total" if "Total" in variables else variables[0])
    if variable not in variables:
        raise SchemaError(
            f"{path}: no variable {variable!r}; choose --value from {', '.join(variables[:20])}."
        )
    s = t.wide(geography_type=geo, year=year, variable=variable, **dict(where))
    sel = {"geography_type": geo, "year": year, "variable": variable, **dict(where)}
    sel["suppressed_cells"] = int(s.isna().sum())
    return ZoneValues(_match(s, zones, t.source), "nomis", sel)


def _is_nomis(path: Path) -> bool:
    """Whether a file has Nomis's stacked layout (a first cell ``Area`` in its first rows)."""
    from ..errors import InputFileError

    if not path.exists():
        raise InputFileError(f"{path}: file not found; check the path.")
    if path.suffix.lower() in {".xlsx", ".xls", ".xlsm"}:
        import warnings

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Workbook contains no default style")
            # openpyxl named: pandas 3 warns, then takes calamine once installed
            xls = path.suffix.lower() == ".xls"
            engine: Literal["openpyxl"] | None = None if xls else "openpyxl"
            first = pd.read_excel(
                path, header=None, nrows=40, usecols=[0], dtype=object, engine=engine
            )[0]
        cells = [str(v).strip() for v in first.tolist()]
    else:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            cells = [fh.readline().split(",")[0].strip().strip('"') for _ in range(40)]
    return "Area" in cells


def _detect(df: pd.DataFrame) -> str:
    cols = {normalise_label(c) for c in df.columns}
    if {"geography", "category", "industry space use", "value"} <= cols:
        return "clue"
    if {"ons code", "sector"} <= cols and any(c.startswith("floorspace") for c in cols):
        return "voa"
    return "table"


def _plain(
    path: Path,
    df: pd.DataFrame,
    zones: Boundaries,
    *,
    key: str | None,
    value: str | None,
) -> ZoneValues:
    cols = list(df.columns)
    if key is None:
        scored = {c: _score(pd.Index(df[c].dropna().astype(str)), zones) for c in cols}
        key = max(scored, key=lambda c: scored[c]) if scored else None
        if key is None or scored[key] == 0:
            raise SchemaError(
                f"{path}: no column holds the zones' codes or names; name it with --key COLUMN "
                f"(columns: {', '.join(map(str, cols))})."
            )
    elif key not in cols:
        raise SchemaError(
            f"{path}: no key column {key!r}; columns are {', '.join(map(str, cols))}."
        )
    numeric = [
        c for c in cols if c != key and pd.to_numeric(df[c], errors="coerce").notna().mean() > 0.5
    ]
    if value is None:
        totals = [c for c in numeric if normalise_label(c) in ("total", "value", "all")]
        if totals:
            value = totals[0]
        elif len(numeric) == 1:
            value = numeric[0]
        else:
            raise SchemaError(
                f"{path}: several numeric columns ({', '.join(map(str, numeric))}); choose one "
                "with --value COLUMN."
            )
    elif value not in cols:
        raise SchemaError(f"{path}: no column {value!r}; columns are {', '.join(map(str, cols))}.")
    s = pd.Series(
        pd.to_numeric(df[value], errors="coerce").to_numpy(dtype=float),
        index=df[key].astype(str).str.strip(),
    )
    return ZoneValues(_match(s, zones, _where(path)), "table", {"key": key, "value": value})


def zone_values(
    path: str | Path,
    zones: Boundaries,
    *,
    value: str | None = None,
    date: int | str | None = None,
    key: str | None = None,
    where: Mapping[str, str] | None = None,
) -> ZoneValues:
    """Read a published table and carry one of its values onto zone polygons by code/name.

    Parameters
    ----------
    path : str or Path
        Nomis download, CLUE jobs CSV, VOA floorspace table, or any CSV/XLSX keyed by area.
    zones : Boundaries
        The polygons the table describes (LADs, LEPs, CLUE small areas ...).
    value : str, optional
        Nomis variable (default ``Total``), VOA sector (default ``All``), or a column of a
        plain table (default: a column called total/value, or the only numeric one).
    date : int, optional
        Year of the block (Nomis; default the latest) or of the CLUE/VOA rows.
    key : str, optional
        Code/name column of a plain table (default: the column matching the zones best).
    where : mapping, optional
        Other Nomis dimensions, e.g. ``{"industry": "Total"}``.

    Returns
    -------
    ZoneValues
    """
    from ..io.datasets import resolve as _resolve_dataset
    from ..io.tables import read_table

    p = Path(_resolve_dataset(path))
    where = dict(where or {})
    if _is_nomis(p):
        return _nomis(p, zones, value=value, date=int(date) if date else None, where=where)
    head, _ = read_table(p)
    layout = _detect(head)
    if layout == "clue":
        from ..io.clue import clue_jobs_by_area, read_clue_jobs

        s = clue_jobs_by_area(read_clue_jobs(p, year=int(date) if date else 2022))
        zv = ZoneValues(_match(s, zones, _where(p)), "clue", {"year": int(date) if date else 2022})
        zv.selection["city_total"] = s.attrs.get("city_total")
        return zv
    if layout == "voa":
        from ..io.voa import read_voa_floorspace

        fs = read_voa_floorspace(p, year=date)
        sector = value or "All"
        part = fs[fs["sector"] == sector]
        if part.empty:
            raise SchemaError(
                f"{p}: no sector {sector!r}; choose --value from "
                f"{', '.join(sorted(fs['sector'].unique()))}."
            )
        s = pd.Series(part["floorspace_m2"].to_numpy(dtype=float), index=part["code"].astype(str))
        zv = ZoneValues(
            _match(s, zones, _where(p)), "voa", {"sector": sector, "measure": "floorspace_m2"}
        )
        zv.selection["suppressed_cells"] = int(np.isnan(s.to_numpy()).sum())
        return zv
    return _plain(p, head, zones, key=key, value=value)
