"""Sector counts from Nomis downloads: areas of one geography and year, sectors by SIC section.

UK Business Counts and the APS label their industries ``"10 : Information & communication
(J)"``; :func:`nomis_sector_counts` turns the blocks of one geography type and year into the
long table :func:`geodistrict.metrics.location_quotients` takes, with the reference row
(England) beside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ..io.nomis import NomisTable
from ..zones.match import LEP_ALIASES, normalise_label

__all__ = ["GEOGRAPHY_ALIASES", "nomis_sector_counts", "repeated_pairs", "sector_code"]

#: Short names accepted for Nomis geography types (compared without regard to case).
GEOGRAPHY_ALIASES: dict[str, str] = {
    "lad": "ladu",
    "la": "ladu",
    "local_authority": "ladu",
    "udg": "User Defined Geography",
    "user": "User Defined Geography",
}

_MAX_LISTED = 10
_SECTION_LIST = re.compile(r"^(?:[Pp]art\s+)?[A-U](?:\s*(?:,|and|&)\s*[A-U])*$")
_TRAILING_PARENS = re.compile(r"\(([^()]*)\)\s*$")
_LEADING_SECTION = re.compile(r"^([A-U])\s*:\s+\S")
_NUMBER_PREFIX = re.compile(r"^\d+\s*:\s*")
_TOTAL_INDUSTRIES = {"total", "all industries", "column total", "all", "total industries"}


def sector_code(label: str) -> str:
    """The SIC 2007 section letter(s) of an industry label, or the label itself.

    Examples
    --------
    >>> sector_code("10 : Information & communication (J)")
    'J'
    >>> sector_code("2 : Mining, quarrying & utilities (B,D and E)")
    'B,D,E'
    >>> sector_code("5 : Motor trades (Part G)")
    'G'
    >>> sector_code("C : Manufacturing")
    'C'
    >>> sector_code("Knowledge economy")
    'Knowledge economy'
    """
    text = str(label).strip()
    m = _TRAILING_PARENS.search(text)
    if m and _SECTION_LIST.fullmatch(m.group(1).strip()):
        inner = re.sub(r"^[Pp]art\s+", "", m.group(1).strip())
        return ",".join(re.findall(r"[A-U]", inner))
    m = _LEADING_SECTION.match(text)
    if m:
        return m.group(1)
    return text


def _short_name(label: str) -> str:
    text = _NUMBER_PREFIX.sub("", str(label).strip())
    return _TRAILING_PARENS.sub("", text).strip()


def _sector_codes(labels: list[str]) -> dict[str, str]:
    """Label → unique code; labels sharing a code (the three "Part G") get their name added."""
    codes = {lab: sector_code(lab) for lab in labels}
    seen: dict[str, list[str]] = {}
    for lab, code in codes.items():
        seen.setdefault(code, []).append(lab)
    for code, labs in seen.items():
        if len(labs) > 1:
            for lab in labs:
                codes[lab] = f"{code} ({_short_name(lab)})"
    return codes


def _is_total_industry(label: Any) -> bool:
    text = _NUMBER_PREFIX.sub("", str(label).strip()).lower()
    return text in _TOTAL_INDUSTRIES or text.startswith("all industries")


def _listing(values: list[Any]) -> str:
    shown = ", ".join(repr(v) for v in values[:30])
    return shown + (f" and {len(values) - 30} more" if len(values) > 30 else "")


def _resolve_geography(table: NomisTable, geography_type: str) -> str:
    present = [g for g in dict.fromkeys(table.data["geography_type"].tolist()) if g is not None]
    by_key = {str(g).lower(): str(g) for g in present}
    want = str(geography_type).strip()
    key = GEOGRAPHY_ALIASES.get(want.lower().replace(" ", "_"), want).lower()
    if key in by_key:
        return by_key[key]
    aliases: dict[str, str] = {}
    for alias, target in GEOGRAPHY_ALIASES.items():
        if target.lower() in by_key:
            aliases.setdefault(by_key[target.lower()], alias)  # the first alias of each type
    hint = ", ".join(f"{g!r}" + (f" (or {aliases[g]!r})" if g in aliases else "") for g in present)
    raise SchemaError(
        f"{table.source}: no geography type {geography_type!r}; the table has {hint}. "
        "Pass one of them."
    )


def _resolve_reference(table: NomisTable, reference: str | None) -> tuple[str, str]:
    data = table.data
    # distinct (type, area) pairs in order of first appearance, found by pandas, not row by row
    firsts = data.loc[data["geography_type"].notna(), ["geography_type", "area"]].drop_duplicates()
    pairs = list(
        dict.fromkeys(
            (str(g), str(a))
            for g, a in zip(firsts["geography_type"], firsts["area"], strict=True)
            if g is not None
        )
    )
    if reference is None:
        countries = [p for p in pairs if p[0].lower() == "country"]
        if len(countries) == 1:
            return countries[0]
        if not countries:
            raise SchemaError(
                f"{table.source}: no country row to compare the areas with; pass a reference "
                "such as 'lep:London', or download the table with the country (England) "
                "included."
            )
        raise SchemaError(
            f"{table.source}: several country rows ({_listing([a for _, a in countries])}); "
            f"choose one, e.g. reference='country:{countries[0][1]}'."
        )
    text = str(reference).strip()
    prefix, sep, rest = text.partition(":")
    candidates = pairs
    label = text
    if sep:
        try:
            gt = _resolve_geography(table, prefix)
        except SchemaError:
            gt = None
        if gt is not None:
            candidates = [p for p in pairs if p[0] == gt]
            label = rest.strip()
    aliases = {normalise_label(v): normalise_label(k) for k, v in LEP_ALIASES.items()}
    norm = normalise_label(label)
    wanted = {norm, aliases.get(norm, norm)}
    hits = [p for p in candidates if p[1] == label] or [
        p for p in candidates if normalise_label(p[1]) in wanted
    ]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise SchemaError(
            f"{table.source}: no area {reference!r} to use as the reference; name one as "
            "'TYPE:LABEL', e.g. 'country:England' or 'lep:London'."
        )
    raise SchemaError(
        f"{table.source}: the reference {reference!r} matches "
        f"{_listing([f'{g}:{a}' for g, a in hits])}; name one as 'TYPE:LABEL'."
    )


def nomis_sector_counts(
    table: NomisTable,
    *,
    geography_type: str = "lep",
    year: int | None = None,
    variable: str = "Total",
    industry_dimension: str = "industry",
    reference: str | None = None,
    **dims: Any,
) -> tuple[pd.DataFrame, pd.Series]:
    """Counts by area and sector from a Nomis download, and the reference row to compare with.

    For a download with one block per year and industry (UK Business Counts by SIC 2007
    section, ``"10 : Information & communication (J)"`` ...), the areas of one geography type
    and one year become a long table ready for :func:`location_quotients`. Sectors are named by
    their section letter(s) (``"J"``, ``"B,D,E"``); labels that share a letter (the three
    ``"(Part G)"`` groups) add their name: ``"G (Motor trades)"``. An all-industries block
    (``"Total"``) is left out of the sectors.

    Parameters
    ----------
    table : NomisTable
        From :func:`geodistrict.read_nomis`.
    geography_type : str
        ``"lep"``, ``"ladu"`` (or ``"lad"``), ``"country"``, ``"User Defined Geography"``
        (or ``"udg"``) ...; see :data:`GEOGRAPHY_ALIASES`.
    year : int, optional
        The year; by default the latest year the chosen areas have.
    variable : str
        The column of the download: ``"Total"`` (all size bands, the default),
        ``"Micro (0 to 9)"`` ...
    industry_dimension : str
        The dimension that holds the sectors.
    reference : str, optional
        The area to compare with, as ``"TYPE:LABEL"`` (``"country:England"``,
        ``"lep:London"``) or a label found once in the table. By default the table's only
        country row.
    **dims
        Values of other dimensions that take several values, e.g. ``legal_status="Total"``.

    Returns
    -------
    counts : pandas.DataFrame
        ``area`` (the label after ``lep:`` ...), ``sector``, ``count`` (``NaN`` when
        suppressed), ``sector_label`` (the full Nomis label) and ``flag`` (the suppression
        marker), one row per area and sector, areas and sectors in file order.
        ``counts.attrs`` records the ``source``, ``geography_type``, ``year``, ``variable``,
        ``dimensions``, ``reference`` and ``reference_counts`` (the reference row, by
        sector: :func:`location_quotients`' default reference).
    reference : pandas.Series
        The reference's counts indexed by sector, named ``"TYPE:LABEL"`` (``NaN`` where
        suppressed or absent).

    Raises
    ------
    SchemaError
        Naming the file, when the geography type, year, variable, industry dimension or
        reference is not in the table (the message lists those that are), when another
        dimension takes several values, or when an area has two different counts for a sector.

    Examples
    --------
    >>> data = pd.DataFrame({
    ...     "geography_type": ["country", "lep", "lep"] * 2,
    ...     "area": ["England", "Solent", "London"] * 2,
    ...     "industry": ["3 : Manufacturing (C)"] * 3 + ["10 : Info & comms (J)"] * 3,
    ...     "year": [2022] * 6, "variable": ["Total"] * 6,
    ...     "value": [100.0, 10.0, 20.0, 50.0, 2.0, 20.0], "flag": [None] * 6})
    >>> t = NomisTable(data, source="ubc.xlsx", title="UBC", footnotes=(), n_suppressed=0,
    ...                dimensions=("industry",))
    >>> counts, england = nomis_sector_counts(t, geography_type="lep")
    >>> counts[["area", "sector", "count"]]
         area sector  count
    0  Solent      C   10.0
    1  Solent      J    2.0
    2  London      C   20.0
    3  London      J   20.0
    >>> england.to_dict(), england.name
    ({'C': 100.0, 'J': 50.0}, 'country:England')
    """
    src = table.source
    if industry_dimension not in table.data.columns:
        raise SchemaError(
            f"{src}: no dimension {industry_dimension!r} holding the sectors; the dimensions "
            f"are {_listing(list(table.dimensions))}. Pass industry_dimension=, or download "
            "the table with industry as a dimension."
        )
    gt = _resolve_geography(table, geography_type)
    ref_gt, ref_area = _resolve_reference(table, reference)
    year = _resolve_year(table, gt, year)
    _check_dimensions(table, variable, dims)
    sel = _selected_rows(table, year=year, variable=variable,
                         industry_dimension=industry_dimension, dims=dims)  # fmt: skip
    labels = [str(v) for v in dict.fromkeys(sel[industry_dimension].dropna().tolist())]
    codes = _sector_codes(labels)
    areas = sel.loc[sel["geography_type"] == gt]
    _check_single_values(table, areas, gt=gt, year=year, skip=(industry_dimension, *dims))
    if areas.empty:
        raise SchemaError(
            f"{src}: no industry rows for {gt} areas in {year} with variable {variable!r}; "
            f"check the selection ({', '.join(f'{k}={v!r}' for k, v in dims.items()) or '-'})."
        )
    counts = _area_sector_rows(areas, industry_dimension, codes, src)

    ref_rows = sel.loc[(sel["geography_type"] == ref_gt) & (sel["area"] == ref_area)]
    if ref_rows.empty:
        raise SchemaError(
            f"{src}: the reference {ref_gt}:{ref_area} has no industry rows in {year}; pass "
            "another reference."
        )
    ref_counts = _area_sector_rows(ref_rows, industry_dimension, codes, src)
    sectors = pd.unique(counts["sector"])
    ref = (
        ref_counts.set_index("sector")["count"]
        .reindex(sectors)
        .rename(f"{ref_gt}:{ref_area}")
        .rename_axis("sector")
    )
    counts.attrs.update(
        {
            "source": src,
            "geography_type": gt,
            "year": year,
            "variable": variable,
            "dimensions": dict(dims),
            "reference": ref.name,
            # the default reference of location_quotients(counts)
            "reference_counts": {str(k): float(v) for k, v in ref.items()},
        }
    )
    return counts, ref


def _check_dimensions(table: NomisTable, variable: str, dims: Mapping[str, Any]) -> None:
    """Raise when the variable or a fixed dimension is not in the table."""
    data = table.data
    src = table.source
    variables = list(dict.fromkeys(data["variable"].tolist()))
    if variable not in variables:
        raise SchemaError(
            f"{src}: no variable {variable!r}; the columns are {_listing(variables)}. Pass one "
            "of them."
        )
    unknown = [k for k in dims if k not in data.columns]
    if unknown and not table.dimensions:
        raise SchemaError(
            f"{src}: no dimension(s) {_listing(unknown)}: this table has no dimension rows "
            "(such as 'industry | ...') above its header; is it the right table or sheet? "
            "Download UK Business Counts by industry from Nomis again (Excel or CSV)."
        )
    if unknown:
        raise SchemaError(
            f"{src}: no dimension(s) {_listing(unknown)}; the dimensions are "
            f"{_listing(list(table.dimensions))}."
        )


def _resolve_year(table: NomisTable, gt: str, year: int | None) -> int | None:
    """The year asked for (checked against the areas' years), or their latest."""
    rows = table.data.loc[table.data["geography_type"] == gt]
    years = sorted({int(y) for y in rows["year"].dropna()}) if "year" in rows else []
    if year is None:
        return years[-1] if years else None
    if int(year) not in years:
        raise SchemaError(
            f"{table.source}: no year {year} for {gt} areas; the table has "
            f"{', '.join(map(str, years)) or 'no dated blocks'}. Pass one of them "
            "(--date YEAR)."
        )
    return int(year)


def _selected_rows(
    table: NomisTable,
    *,
    year: int | None,
    variable: str,
    industry_dimension: str,
    dims: Mapping[str, Any],
) -> pd.DataFrame:
    """The rows of one variable, year and choice of dimensions, without all-industry rows."""
    data = table.data
    keep = (data["variable"] == variable).to_numpy(dtype=bool, copy=True)
    if year is not None:
        keep &= (data["year"] == year).fillna(False).to_numpy(dtype=bool)
    for name, wanted in dims.items():
        keep &= data[name].isin(wanted if isinstance(wanted, list | tuple) else [wanted]).to_numpy()
    industry = data[industry_dimension]
    totals = [v for v in industry.dropna().unique() if _is_total_industry(v)]  # once per label
    keep &= (industry.notna() & ~industry.isin(totals)).to_numpy(dtype=bool)
    return data.loc[keep]


def _check_single_values(
    table: NomisTable, areas: pd.DataFrame, *, gt: str, year: int | None, skip: tuple[str, ...]
) -> None:
    """Raise when another dimension takes several values over the chosen areas."""
    for name in table.dimensions:
        if name in skip:
            continue
        values = list(dict.fromkeys(areas[name].tolist()))
        if len(values) > 1:
            raise SchemaError(
                f"{table.source}: the {gt} rows of {year} take {len(values)} values of {name} "
                f"({_listing(values)}); choose one, e.g. {name}={values[0]!r} (--where)."
            )


def repeated_pairs(frame: pd.DataFrame) -> tuple[list[tuple[Any, Any]], str]:
    """The (area, sector) pairs that appear more than once, and the first ones as text.

    Examples
    --------
    >>> repeated_pairs(pd.DataFrame({"area": ["X", "X", "Y"], "sector": ["A", "A", "A"]}))
    ([('X', 'A')], "'X'/'A'")
    """
    dup = frame.duplicated(["area", "sector"], keep=False)
    pairs = list(dict.fromkeys(map(tuple, frame.loc[dup, ["area", "sector"]].to_numpy())))
    shown = ", ".join(f"{a!r}/{s!r}" for a, s in pairs[:_MAX_LISTED])
    return pairs, shown


def _area_sector_rows(
    rows: pd.DataFrame, industry: str, codes: Mapping[str, str], src: str
) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "area": rows["area"].astype(str).to_numpy(),
            "sector": rows[industry].astype(str).map(codes).to_numpy(),
            "count": rows["value"].astype(float).to_numpy(),
            "sector_label": rows[industry].astype(str).to_numpy(),
        }
    )
    flags = rows["flag"].to_numpy() if "flag" in rows else [None] * len(rows)
    out["flag"] = pd.Series(flags, dtype=object)  # None, not NaN, where nothing was flagged
    out = out.drop_duplicates(["area", "sector", "count"])
    pairs, shown = repeated_pairs(out)
    if pairs:
        raise SchemaError(
            f"{src}: {len(pairs)} area/sector pair(s) have two different counts ({shown}); "
            "fix the selection with a dimension value (--where) or download the table again."
        )
    area_order = {a: i for i, a in enumerate(pd.unique(out["area"]))}
    sector_order = {c: i for i, c in enumerate(pd.unique(out["sector"]))}
    key = out["area"].map(area_order) * len(sector_order) + out["sector"].map(sector_order)
    return out.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)
