"""City of Melbourne CLUE (Census of Land Use and Employment) jobs by small area.

Two files published by City of Melbourne Open Data (CC BY 4.0) are read:

``city-of-melbourne-jobs-forecasts-by-small-area-2020-2040.csv``
    One row per small area, year, category and item, with the columns ``Geography``,
    ``Year``, ``Category``, ``Industry Space Use`` and ``Value``. ``Category`` is
    ``"Jobs by industry"`` or ``"Jobs by space use"``; each category of each area holds a
    ``"Total jobs"`` row that is the sum of the others (within rounding) and must never be
    added to them. The ``"City of Melbourne"`` rows are the municipality's total: they are not
    a small area, but they check the sum of the 13 small areas. A wide variant of the table
    (one column per year, e.g. ``2022``, instead of ``Year``/``Value``) is read too.
``small-areas-for-census-of-land-use-and-employment-clue.shp``
    The 13 CLUE small-area polygons (lon/lat), named in ``featurenam`` with the same labels as
    the table's ``Geography`` (``"Melbourne (CBD)"``, ``"West Melbourne (Industrial)"`` ...).

Table labels are matched to polygon names exactly, then after normalisation (case, spacing and
punctuation ignored: ``"Melbourne CBD"`` = ``"Melbourne (CBD)"``), then through
:data:`CLUE_ALIASES`; whatever is left unmatched on either side is reported
(:class:`LabelMatch`), never dropped. Jobs densities are measured in the metric CRS that
:func:`geodistrict.read_boundaries` chooses for Melbourne: WGS 84 / UTM zone 55S (EPSG:32755).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..boundaries import SLIVER_M2, Boundaries
from ..errors import GeodistrictError, InvalidGeometryError, SchemaError
from .read import read_boundaries
from .tables import read_table

__all__ = [
    "CITY_NORTH",
    "CITY_TOTAL_LABELS",
    "CLUE_ALIASES",
    "CLUE_METHOD",
    "TOTAL_ITEM",
    "LabelMatch",
    "TotalsMismatchError",
    "check_clue_totals",
    "clue_jobs_by_area",
    "clue_jobs_density",
    "match_clue_labels",
    "read_clue_areas",
    "read_clue_jobs",
]

#: The item that holds each category's total (compared without regard to case).
TOTAL_ITEM = "Total jobs"
#: ``Geography`` labels of the municipality-wide total rows (not a small area).
CITY_TOTAL_LABELS = ("City of Melbourne",)
#: Labels that normalisation alone does not match, mapped to the CLUE polygon name. Keys are
#: compared after normalisation (case, spaces and punctuation ignored), so ``"CBD"`` also
#: matches ``"cbd"``; variants such as ``"Melbourne CBD"`` or ``"West Melbourne - Industrial"``
#: need no entry because they normalise to the polygon's own name.
CLUE_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "CBD": "Melbourne (CBD)",
        "Central Business District": "Melbourne (CBD)",
        "Melbourne Central Business District": "Melbourne (CBD)",
        "South Bank": "Southbank",
    }
)
#: The Melbourne Innovation Districts' City North: Carlton and Parkville.
CITY_NORTH: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"City North": ("Carlton", "Parkville")}
)
#: Value of the ``method`` column of :func:`clue_jobs_density`.
CLUE_METHOD = "CLUE table by small-area name"
#: The shapefile's name field.
CLUE_NAME_FIELD = "featurenam"

_CATEGORY_ALIASES = {"industry": "jobs by industry", "space use": "jobs by space use"}


class TotalsMismatchError(GeodistrictError, ValueError):
    """A published total differs from the sum of its parts by more than rounding."""


def _key(label: object) -> str:
    """Normalise a label for matching: NFKC, case-folded, punctuation and spacing ignored."""
    s = unicodedata.normalize("NFKC", str(label)).casefold().replace("&", " and ")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", s).split())


def _find_column(columns: Sequence[object], *wanted: str) -> str | None:
    for c in columns:
        if _key(c).replace(" ", "") in wanted:
            return str(c)
    return None


def _parse_counts(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers with optional thousands separators ("473,514"); returns (values, bad mask)."""
    s = pd.Series(values, dtype="object").astype("string").str.strip()
    thousands = s.str.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?").fillna(False)
    s = s.where(~thousands, s.str.replace(",", "", regex=False))
    num = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy(copy=True)
    bad = ~np.isfinite(num)
    num[bad] = np.nan
    return num, bad


def read_clue_jobs(path: str | Path, *, year: int = 2022) -> pd.DataFrame:
    r"""Read the CLUE jobs-by-small-area table as a tidy table for one year.

    Parameters
    ----------
    path : str or Path
        ``city-of-melbourne-jobs-forecasts-by-small-area-2020-2040.csv`` (CSV or XLSX), in the
        long layout (``Geography``, ``Year``, ``Category``, ``Industry Space Use``, ``Value``)
        or the wide one (a column per year instead of ``Year``/``Value``).
    year : int
        The year to keep.

    Returns
    -------
    pandas.DataFrame
        One row per area, category and item, in file order, with columns ``area`` (the
        ``Geography`` label, including ``"City of Melbourne"``), ``year``, ``category`` (as
        published: ``"Jobs by industry"``, ``"Jobs by space use"``), ``item`` (the industry or
        space use, or ``"Total jobs"``), ``jobs`` (float) and ``is_total`` (the
        ``"Total jobs"`` rows, which must not be added to the others).

    Raises
    ------
    SchemaError
        When a column is missing, the year is absent, a value is not a number or an
        (area, category, item) appears twice; the message names the file and rows.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "jobs.csv"
    >>> _ = p.write_text(
    ...     "Geography,Year,Category,Industry Space Use,Value\n"
    ...     "Carlton,2022,Jobs by industry,Construction,93\n"
    ...     'Carlton,2022,Jobs by industry,Total jobs,"1,093"\n'
    ... )
    >>> read_clue_jobs(p)[["area", "item", "jobs", "is_total"]].to_numpy().tolist()
    [['Carlton', 'Construction', 93.0, False], ['Carlton', 'Total jobs', 1093.0, True]]
    """
    from .datasets import resolve as _resolve_dataset

    path = Path(_resolve_dataset(path))
    df, _notes = read_table(path)
    cols = list(df.columns)
    geo = _find_column(cols, "geography", "area", "smallarea", "cluesmallarea")
    cat = _find_column(cols, "category")
    item = _find_column(cols, "industryspaceuse", "item", "industry", "spaceuse")
    ycol = _find_column(cols, "year")
    vcol = _find_column(cols, "value", "jobs")
    missing = [
        n
        for n, c in (("Geography", geo), ("Category", cat), ("Industry Space Use", item))
        if c is None
    ]
    wide = None
    if ycol is None or vcol is None:
        wide = next((str(c) for c in cols if str(c).strip() == str(year)), None)
        if wide is None:
            years = [str(c).strip() for c in cols if re.fullmatch(r"\s*(19|20)\d\d\s*", str(c))]
            if years:
                raise SchemaError(
                    f"{path}: no column for year {year}; the table has years "
                    f"{', '.join(years)}: pass one of them as year=."
                )
            missing += [n for n, c in (("Year", ycol), ("Value", vcol)) if c is None]
    if missing or geo is None or cat is None or item is None:
        raise SchemaError(
            f"{path}: not a CLUE jobs table: no {', '.join(missing)} column(s); columns are "
            f"{', '.join(map(str, cols))}. Download 'Jobs forecasts by small area' from City of "
            "Melbourne Open Data as CSV."
        )
    if wide is None:
        ytext = df[ycol].astype("string").str.strip()
        keep = (ytext == str(year)).fillna(False).to_numpy(dtype=bool)
        if not keep.any():
            years = sorted(set(ytext.dropna()))
            raise SchemaError(
                f"{path}: no rows for year {year}; the years in {ycol} are "
                f"{', '.join(years) or 'none'}: pass one of them as year=."
            )
        values = df[vcol]
    else:
        keep = np.ones(len(df), dtype=bool)
        values = df[wide]
    rows = np.flatnonzero(keep) + 2  # file line numbers (line 1 is the header)
    sub = df.loc[keep]
    raw = values.loc[keep].to_numpy(dtype=object)
    jobs, bad = _parse_counts(pd.Series(raw, dtype=object))
    if bad.any():
        shown = ", ".join(
            f"line {r} ({v!r})" for r, v in zip(rows[bad][:10], raw[bad][:10], strict=True)
        )
        raise SchemaError(
            f"{path}: {int(bad.sum())} job counts are not numbers: {shown}; fix or remove "
            "these rows."
        )

    def text(col: str) -> np.ndarray:
        return sub[col].astype("string").fillna("").str.strip().to_numpy(dtype=object)

    out = pd.DataFrame(
        {
            "area": text(geo),
            "year": np.full(len(sub), int(year)),
            "category": text(cat),
            "item": text(item),
            "jobs": jobs,
        }
    )
    out["is_total"] = out["item"].str.casefold() == TOTAL_ITEM.casefold()
    blank = (out[["area", "category", "item"]] == "").any(axis=1).to_numpy()
    if blank.any():
        raise SchemaError(
            f"{path}: lines {', '.join(map(str, rows[blank][:10]))} have an empty Geography, "
            "Category or item; fill them or remove the rows."
        )
    dup = out.duplicated(["area", "category", "item"], keep=False).to_numpy()
    if dup.any():
        shown = "; ".join(
            f"line {r}: {a} / {c} / {i}"
            for r, a, c, i in zip(
                rows[dup][:10],
                out.loc[dup, "area"],
                out.loc[dup, "category"],
                out.loc[dup, "item"],
                strict=False,
            )
        )
        raise SchemaError(
            f"{path}: the same area, category and item appear more than once ({shown}); "
            "keep one row of each."
        )
    out.attrs["source"] = str(path)
    return out


def _resolve_categories(table: pd.DataFrame, category: str | None) -> list[str]:
    present = list(dict.fromkeys(table["category"]))
    if category is None:
        return present
    want = _key(category)
    want = _CATEGORY_ALIASES.get(want, want)
    hit = [c for c in present if _key(c) == want]
    if not hit:
        allowed = present + [
            a for a, full in _CATEGORY_ALIASES.items() if full in map(_key, present)
        ]
        raise SchemaError(
            f"{table.attrs.get('source', 'CLUE table')}: no category {category!r}; use one of "
            f"{', '.join(repr(a) for a in allowed)}."
        )
    return hit


def check_clue_totals(
    table: pd.DataFrame,
    *,
    category: str | None = None,
    tolerance: float | None = None,
) -> pd.DataFrame:
    """Compare every published CLUE total with the sum it summarises.

    Three kinds of check, one row each:

    ``"parts"``
        For each area and category, the ``Total jobs`` row against the sum of the other items.
    ``"categories"``
        For each area, the ``Total jobs`` of every category against that of the first
        (``"Jobs by industry"`` and ``"Jobs by space use"`` publish the same total); only
        when ``category`` is ``None`` and the table has several categories. These must be
        equal: a difference means choosing a category, so it is never within tolerance.
    ``"city"``
        For each category, the ``City of Melbourne`` total (any of :data:`CITY_TOTAL_LABELS`)
        against the sum of the small areas' totals.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`read_clue_jobs`.
    category : str, optional
        A published category (``"Jobs by industry"``) or its short form (``"industry"``,
        ``"space use"``); all categories when omitted.
    tolerance : float, optional
        Largest difference accepted, in jobs. By default the rounding bound: every figure is
        rounded to a whole job, so a sum of *n* rounded figures may differ from its rounded
        total by up to ``0.5 * (n + 1)``.

    Returns
    -------
    pandas.DataFrame
        ``check``, ``area``, ``category``, ``total`` (the published total), ``summed`` (the sum
        or the other category's total), ``n_summed``, ``difference`` (``summed - total``),
        ``tolerance`` and ``ok``.

    Raises
    ------
    SchemaError
        When an area has no ``Total jobs`` row in a category used.
    """
    source = table.attrs.get("source", "CLUE table")
    cats = _resolve_categories(table, category)
    t = table[table["category"].isin(cats)]
    city_keys = {_key(c) for c in CITY_TOTAL_LABELS}
    is_city = t["area"].map(lambda a: _key(a) in city_keys).to_numpy(dtype=bool)
    totals = t[t["is_total"]].groupby(["area", "category"], sort=False)["jobs"].sum()
    parts = t[~t["is_total"]].groupby(["area", "category"], sort=False)["jobs"].agg(["sum", "size"])
    pairs = list(dict.fromkeys(zip(t["area"], t["category"], strict=True)))
    lacking = [f"{a} / {c}" for a, c in pairs if (a, c) not in totals.index]
    if category is None and len(cats) > 1:
        present = set(pairs)
        lacking += [
            f"{a} / {c} (no rows)"
            for a in dict.fromkeys(t["area"])
            for c in cats
            if (a, c) not in present
        ]
    if lacking:
        raise SchemaError(
            f"{source}: no '{TOTAL_ITEM}' row for {', '.join(lacking[:10])}; the CLUE table "
            "publishes one per area and category: use the complete download."
        )

    def tol(n: int) -> float:
        return 0.5 * (n + 1) if tolerance is None else float(tolerance)

    rows = []
    for a, c in pairs:
        n = int(parts["size"].get((a, c), 0))
        if n == 0:
            continue
        rows.append(("parts", a, c, totals[(a, c)], float(parts["sum"][(a, c)]), n, tol(n)))
    if category is None and len(cats) > 1:
        for a in dict.fromkeys(t["area"]):
            first = totals[(a, cats[0])]
            for c in cats[1:]:
                rows.append(("categories", a, c, first, totals[(a, c)], 1, 0.0))
    city_areas = list(dict.fromkeys(t.loc[is_city, "area"]))
    small = t[~is_city & t["is_total"].to_numpy(dtype=bool)]
    for ca in city_areas:
        for c in cats:
            if (ca, c) not in totals.index:
                continue
            s = small[small["category"] == c]
            rows.append(
                ("city", ca, c, totals[(ca, c)], float(s["jobs"].sum()), len(s), tol(len(s)))
            )
    out = pd.DataFrame(
        rows, columns=["check", "area", "category", "total", "summed", "n_summed", "tolerance"]
    )
    out["total"] = out["total"].astype("float64")
    out["summed"] = out["summed"].astype("float64")
    out.insert(5, "difference", out["summed"] - out["total"])
    out["ok"] = out["difference"].abs() <= out["tolerance"]
    return out


def clue_jobs_by_area(
    table: pd.DataFrame,
    *,
    category: str | None = None,
    tolerance: float | None = None,
) -> pd.Series:
    """Total jobs per CLUE small area, taken from the published ``Total jobs`` rows.

    The totals are checked (see :func:`check_clue_totals`) before they are returned: each
    against the sum of its parts, the categories against each other, and the small areas'
    sum against the ``City of Melbourne`` total, which is itself left out of the result.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`read_clue_jobs`.
    category : str, optional
        Take the totals of this category (``"Jobs by industry"``, ``"industry"``,
        ``"Jobs by space use"``, ``"space use"``). When omitted every category is used and
        their totals must agree exactly; if they do not, the error lists the differences and
        asks for ``category=`` rather than choosing one.
    tolerance : float, optional
        See :func:`check_clue_totals`.

    Returns
    -------
    pandas.Series
        Jobs (float) indexed by ``area`` label in file order, named ``jobs``. ``attrs`` holds
        ``city_total`` (the ``City of Melbourne`` total, ``None`` when the table has none),
        ``categories`` (those used) and ``checks`` (the rows of :func:`check_clue_totals` as
        a list of dicts, so that small rounding differences stay visible).

    Raises
    ------
    TotalsMismatchError
        Listing every total that differs from what it sums by more than the tolerance.
    SchemaError
        When a ``Total jobs`` row is missing or the category is unknown.

    Examples
    --------
    >>> t = pd.DataFrame({
    ...     "area": ["Carlton", "Carlton", "Carlton", "City of Melbourne"],
    ...     "category": ["Jobs by industry"] * 4,
    ...     "item": ["Construction", "Education and training", "Total jobs", "Total jobs"],
    ...     "jobs": [93.0, 1000.0, 1093.0, 1093.0],
    ...     "is_total": [False, False, True, True],
    ... })
    >>> s = clue_jobs_by_area(t)
    >>> s.to_dict(), s.attrs["city_total"]
    ({'Carlton': 1093.0}, 1093.0)
    """
    source = table.attrs.get("source", "CLUE table")
    checks = check_clue_totals(table, category=category, tolerance=tolerance)
    cats = _resolve_categories(table, category)
    bad = checks[~checks["ok"]]
    if len(bad):
        lines = []
        for r in bad.itertuples(index=False):
            if r.check == "parts":
                what = (
                    f"{r.area} / {r.category}: Total jobs {r.total:,.0f} vs parts {r.summed:,.0f}"
                )
            elif r.check == "categories":
                what = (
                    f"{r.area}: Total jobs {r.total:,.0f} in {cats[0]} vs {r.summed:,.0f} "
                    f"in {r.category}"
                )
            else:
                what = f"{r.area} / {r.category}: {r.total:,.0f} vs small areas {r.summed:,.0f}"
            lines.append(f"{what} (difference {r.difference:+,.0f}, tolerance {r.tolerance:g})")
        fix = (
            "pass category='industry' or category='space use' to choose one"
            if (bad["check"] == "categories").any()
            else "check the download is complete, or pass a larger tolerance= if you accept it"
        )
        raise TotalsMismatchError(
            f"{source}: {len(bad)} published totals do not match what they sum: "
            + "; ".join(lines[:10])
            + ("" if len(lines) <= 10 else f"; and {len(lines) - 10} more")
            + f". {fix}."
        )
    city_keys = {_key(c) for c in CITY_TOTAL_LABELS}
    t = table[table["category"].isin(cats) & table["is_total"]]
    is_city = t["area"].map(lambda a: _key(a) in city_keys).to_numpy(dtype=bool)
    first = t[t["category"] == cats[0]]
    first_city = first["area"].map(lambda a: _key(a) in city_keys).to_numpy(dtype=bool)
    out = pd.Series(
        first.loc[~first_city, "jobs"].to_numpy(dtype="float64"),
        index=pd.Index(first.loc[~first_city, "area"].to_numpy(dtype=object), name="area"),
        name="jobs",
    )
    city = t.loc[is_city & (t["category"] == cats[0]).to_numpy(dtype=bool), "jobs"]
    out.attrs["city_total"] = float(city.iloc[0]) if len(city) else None
    out.attrs["categories"] = list(cats)
    out.attrs["checks"] = checks.to_dict("records")
    out.attrs["source"] = source
    return out


def read_clue_areas(path: str | Path, *, metric_crs: object | None = None) -> Boundaries:
    """Read the CLUE small-area polygons with ``featurenam`` as their id and name.

    Parameters
    ----------
    path : str or Path
        ``small-areas-for-census-of-land-use-and-employment-clue.shp`` (or the GeoJSON
        download of the same layer).
    metric_crs : str or pyproj.CRS, optional
        Override the metric CRS (by default WGS 84 / UTM zone 55S, EPSG:32755, chosen from
        where the polygons lie).

    Returns
    -------
    Boundaries
        ``id`` and ``name`` both hold the ``featurenam`` label.

    Raises
    ------
    SchemaError
        When the layer has no ``featurenam`` field.
    """
    from .read import read_boundaries_file

    gdf = read_boundaries_file(path)
    if CLUE_NAME_FIELD not in gdf.columns:
        fields = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
        raise SchemaError(
            f"{path}: no {CLUE_NAME_FIELD!r} field, so this is not the CLUE small-areas layer "
            f"(fields are {fields}); read other boundaries with read_boundaries(path, id=...)."
        )
    return read_boundaries(path, id=CLUE_NAME_FIELD, name=CLUE_NAME_FIELD, metric_crs=metric_crs)


@dataclass(frozen=True)
class LabelMatch:
    """How table labels were matched to polygon names.

    Attributes
    ----------
    matched : dict of str to str
        Table label → polygon name.
    unmatched_table : tuple of str
        Table labels with no polygon (their jobs would be lost).
    unmatched_polygons : tuple of str
        Polygon names with no table label (their jobs would be missing).
    how : dict of str to str
        Table label → ``"exact"``, ``"normalised"`` or ``"alias"``.
    """

    matched: dict[str, str] = field(default_factory=dict)
    unmatched_table: tuple[str, ...] = ()
    unmatched_polygons: tuple[str, ...] = ()
    how: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Whether every label and every polygon found its counterpart."""
        return not self.unmatched_table and not self.unmatched_polygons


def match_clue_labels(
    labels: Iterable[str],
    names: Iterable[str],
    *,
    aliases: Mapping[str, str] | None = None,
) -> LabelMatch:
    """Match CLUE table labels to polygon names, reporting what is left on both sides.

    Each label is tried exactly, then normalised (case, spacing and punctuation ignored), then
    through ``aliases`` and :data:`CLUE_ALIASES`. A polygon is matched at most once: a second
    label reaching it (``"Melbourne CBD"`` beside ``"Melbourne (CBD)"``) stays unmatched.

    Parameters
    ----------
    labels : iterable of str
        The table's area labels (``Geography``).
    names : iterable of str
        The polygons' names (``featurenam``).
    aliases : mapping of str to str, optional
        Extra label → polygon name pairs, tried before :data:`CLUE_ALIASES`.

    Returns
    -------
    LabelMatch

    Examples
    --------
    >>> m = match_clue_labels(
    ...     ["Melbourne CBD", "Carlton", "Atlantis"], ["Melbourne (CBD)", "Carlton", "Docklands"]
    ... )
    >>> m.matched, m.unmatched_table, m.unmatched_polygons
    ({'Melbourne CBD': 'Melbourne (CBD)', 'Carlton': 'Carlton'}, ('Atlantis',), ('Docklands',))
    """
    labels = list(dict.fromkeys(str(x) for x in labels))
    names = list(dict.fromkeys(str(x) for x in names))
    by_key: dict[str, str] = {}
    for n in names:
        by_key.setdefault(_key(n), n)
    alias_key = {_key(k): v for k, v in CLUE_ALIASES.items()}
    alias_key.update({_key(k): v for k, v in (aliases or {}).items()})
    taken: set[str] = set()
    matched: dict[str, str] = {}
    how: dict[str, str] = {}
    stages = (
        ("exact", lambda lab: lab if lab in names else None),
        ("normalised", lambda lab: by_key.get(_key(lab))),
        (
            "alias",
            lambda lab: alias_key.get(_key(lab)) if alias_key.get(_key(lab)) in names else None,
        ),
    )
    for stage, find in stages:
        for lab in labels:
            if lab in matched:
                continue
            hit = find(lab)
            if hit is not None and hit not in taken:
                matched[lab] = hit
                how[lab] = stage
                taken.add(hit)
    ordered = {lab: matched[lab] for lab in labels if lab in matched}
    return LabelMatch(
        matched=ordered,
        unmatched_table=tuple(lab for lab in labels if lab not in matched),
        unmatched_polygons=tuple(n for n in names if n not in taken),
        how={lab: how[lab] for lab in ordered},
    )


def clue_jobs_density(
    jobs_csv: str | Path,
    areas_shp: str | Path,
    *,
    year: int = 2022,
    combine: Mapping[str, Sequence[str]] | None = CITY_NORTH,
    category: str | None = None,
    aliases: Mapping[str, str] | None = None,
    tolerance: float | None = None,
) -> gpd.GeoDataFrame:
    """Jobs per km² for the CLUE small areas and for districts made of them.

    Parameters
    ----------
    jobs_csv : str or Path
        The CLUE jobs table (see :func:`read_clue_jobs`).
    areas_shp : str or Path
        The CLUE small-area polygons (see :func:`read_clue_areas`).
    year : int
        Year of the jobs figures.
    combine : mapping of str to sequence of str, optional
        District name → the polygon names it is made of; by default :data:`CITY_NORTH`
        (Carlton + Parkville). Pass ``{}`` or ``None`` for the small areas only.
    category, tolerance
        See :func:`clue_jobs_by_area`.
    aliases : mapping of str to str, optional
        Extra table label → polygon name pairs (see :func:`match_clue_labels`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per small area, then one per combined district, with columns ``id``,
        ``name``, ``area_km2`` (measured in the boundaries' metric CRS, EPSG:32755 for
        Melbourne), ``jobs``, ``jobs_per_km2``, ``method`` (:data:`CLUE_METHOD`),
        ``combined`` (``True`` for the districts), ``members`` (the polygon names summed,
        ``";"``-joined) and ``geometry`` (source CRS; a district's is the union of its
        members'). A district's area and jobs are the sums of its members'. ``attrs`` holds
        ``metric_crs``, ``city_total``, ``match`` (the :class:`LabelMatch`) and ``checks``.

    Raises
    ------
    SchemaError
        When a table label or a polygon is left unmatched (both sides are listed), or a
        district names an unknown small area.
    InvalidGeometryError
        When a district's members overlap, so that summing their areas would count land twice.
    TotalsMismatchError
        See :func:`clue_jobs_by_area`.
    """
    table = read_clue_jobs(jobs_csv, year=year)
    jobs = clue_jobs_by_area(table, category=category, tolerance=tolerance)
    areas = read_clue_areas(areas_shp)
    match = match_clue_labels(jobs.index, areas.names, aliases=aliases)
    if not match.complete:
        raise SchemaError(
            f"{jobs_csv} and {areas_shp}: labels do not match: table labels without a polygon: "
            f"{', '.join(match.unmatched_table) or 'none'}; polygons without a table label: "
            f"{', '.join(match.unmatched_polygons) or 'none'}. Pass aliases={{'table label': "
            "'polygon name'}}."
        )
    by_name = {name: lab for lab, name in match.matched.items()}
    names = [str(n) for n in areas.names]
    area_km2 = pd.Series(areas.area_km2, index=names)
    job = pd.Series([float(jobs[by_name[n]]) for n in names], index=names)
    data = areas.data
    out = gpd.GeoDataFrame(
        {
            "id": data["id"].astype(str).to_numpy(),
            "name": names,
            "area_km2": area_km2.to_numpy(),
            "jobs": job.to_numpy(),
            "combined": False,
            "members": names,
        },
        geometry=data.geometry.to_numpy(),
        crs=data.crs,
    )
    extra = []
    for district, members in (combine or {}).items():
        members = [str(m) for m in members]
        unknown = [m for m in members if m not in area_km2.index]
        if unknown or not members:
            raise SchemaError(
                f"combine={{{district!r}: {members!r}}}: no CLUE small area "
                f"{', '.join(map(repr, unknown)) or '(none given)'}; the areas are "
                f"{', '.join(names)}."
            )
        ov = areas.overlaps
        if len(ov):
            inside = ov["name_a"].isin(members) & ov["name_b"].isin(members) & ~ov["sliver"]
            if inside.any():
                raise InvalidGeometryError(
                    f"combine: members of {district!r} overlap by "
                    f"{ov.loc[inside, 'area_km2'].sum():.4f} km² (more than {SLIVER_M2:g} m² "
                    "per pair); summing their areas would count land twice: fix the polygons."
                )
        geoms = data.geometry.to_numpy()[[names.index(m) for m in members]]
        extra.append(
            {
                "id": district,
                "name": district,
                "area_km2": float(area_km2[members].sum()),
                "jobs": float(job[members].sum()),
                "combined": True,
                "members": ";".join(members),
                "geometry": shapely.union_all(geoms),
            }
        )
    if extra:
        add = gpd.GeoDataFrame(extra, geometry="geometry", crs=data.crs)
        out = gpd.GeoDataFrame(pd.concat([out, add], ignore_index=True), crs=data.crs)
    out["jobs_per_km2"] = out["jobs"] / out["area_km2"]
    out["method"] = CLUE_METHOD
    out = out[
        [
            "id",
            "name",
            "area_km2",
            "jobs",
            "jobs_per_km2",
            "method",
            "combined",
            "members",
            "geometry",
        ]
    ]
    out.attrs.update(
        metric_crs=areas.metric_crs.to_string(),
        city_total=jobs.attrs["city_total"],
        match=match,
        checks=jobs.attrs["checks"],
        year=int(year),
    )
    return out
