r"""Sector specialisation: location quotients, Krugman, diversity, specialisms, Ellison-Glaeser.

The Smart Specialisation questions (what is this place unusually good at, and how different
is its economy from the country's?) start from one long table of counts, one row per area and
sector::

    area        sector  count
    Cambridge   J        2910
    Cambridge   K         610
    ...

and a *reference* mix to compare each area with: by default the sum over all the areas given,
or a published row such as England's. Everything below is a small pure function of that table.

Missing values
--------------
A suppressed count (``NaN``) stays missing: it is never read as 0, its location quotient is
``NaN``, and the area's total is the sum of the sectors that *are* published, flagged by
``area_total_complete = False`` so that the shares built on it can be read with care. An
(area, sector) pair absent from the input counts as suppressed.

References
----------
* Location quotient: the share of a sector in the area over its share in the reference.
* Krugman (1991) dissimilarity index: :math:`K_i = \sum_k |s_{ik} - s_k|`, from 0 (the
  reference's mix) to 2 (no sector in common).
* Herfindahl-Hirschman index :math:`\sum_k s_{ik}^2` and Shannon entropy
  :math:`-\sum_k s_{ik} \ln s_{ik}` of the area's own mix.
* Ellison, G. and Glaeser, E. (1997) Geographic concentration in U.S. manufacturing
  industries: a dartboard approach. *Journal of Political Economy* 105(5), 889-927.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import EmptyLayerError, ParameterError, SchemaError
from ..provenance import OGL_LICENCE, nomis_attribution
from .nomis_sectors import GEOGRAPHY_ALIASES, nomis_sector_counts, repeated_pairs, sector_code
from .rules import SPECIALISM_RULE, SpecialismRule, is_specialism, require_columns

if TYPE_CHECKING:
    from ..io.nomis import NomisTable

__all__ = [
    "GEOGRAPHY_ALIASES",
    "HERFINDAHL_METHODS",
    "LQ_COLUMNS",
    "SPECIALISM_RULE",
    "SpecialisationTable",
    "SpecialismRule",
    "ellison_glaeser",
    "is_specialism",
    "location_quotients",
    "nomis_provenance",
    "nomis_sector_counts",
    "sector_code",
    "specialisation_from_counts",
    "specialisation_from_lq",
    "specialisation_indices",
    "specialisation_table",
    "specialisms",
]

#: Longest list of labels an error message names.
_MAX_LISTED = 10

#: The first columns of :func:`location_quotients`, in order (a fixed contract: extend, never
#: rename).
LQ_COLUMNS = (
    "area",
    "sector",
    "count",
    "area_total",
    "reference_count",
    "reference_total",
    "lq",
)

# --------------------------------------------------------------------------------------------
# location quotients


def location_quotients(
    counts: pd.DataFrame,
    *,
    area: str = "area",
    sector: str = "sector",
    count: str = "count",
    reference: pd.Series | None = None,
    reference_name: str | None = None,
) -> pd.DataFrame:
    """Location quotient of every sector in every area, with its numerator and denominator.

    ``lq = (count / area_total) / (reference_count / reference_total)``: above 1 the sector
    holds a larger share of the area than of the reference.

    Parameters
    ----------
    counts : pandas.DataFrame
        Long table, one row per area and sector, with a numeric count (enterprises, jobs ...).
        ``NaN`` marks a suppressed count; a missing (area, sector) row is treated the same.
        Other columns (``sector_label``, ``flag`` ...) are carried to the output.
    area, sector, count : str
        Column names in ``counts``.
    reference : pandas.Series, optional
        The reference mix, indexed by sector (e.g. England's counts from
        :func:`nomis_sector_counts`); it must list exactly the sectors of ``counts``.
        By default the reference is **the country row** when ``counts`` comes from
        :func:`nomis_sector_counts` (it carries that row in ``counts.attrs``), as the
        ``specialisation`` command does; otherwise the sum over all the areas given (missing
        counts skipped), which suits areas that partition a territory but not overlapping
        ones (LEPs share seven districts: their sum shifts LQs by up to 0.9 %).
    reference_name : str, optional
        Label stored in the ``reference`` column; by default the Series' name, or
        ``"sum of areas"``.

    Returns
    -------
    pandas.DataFrame
        One row per area and sector (areas and sectors in order of first appearance) with the
        columns

        ``area``, ``sector``, ``count``
            The input (``NaN`` when suppressed).
        ``area_total``
            Sum of the area's non-missing counts.
        ``reference_count``, ``reference_total``
            The reference's count of the sector and its sum over sectors.
        ``lq``
            The location quotient; ``NaN`` when the count or the reference count is missing
            (never 0), or when the area total is 0.
        ``area_total_complete``
            False when ``area_total`` leaves out a suppressed count.
        ``reference_complete``
            False when the reference count or total leaves out a missing value.
        ``reference``
            The reference's label.

        followed by the other columns of ``counts``.

    Raises
    ------
    SchemaError
        When a column is missing, a count is not a number or is negative, an (area, sector)
        pair is repeated, or the reference does not list the same sectors.
    EmptyLayerError
        When ``counts`` has no rows.

    Examples
    --------
    Two areas and three sectors, compared with their sum (A 100, B 90, C 210; total 400):

    >>> counts = pd.DataFrame({
    ...     "area": ["X"] * 3 + ["Y"] * 3,
    ...     "sector": ["A", "B", "C"] * 2,
    ...     "count": [10, 30, 60, 90, 60, 150]})
    >>> lq = location_quotients(counts)
    >>> lq[["area", "sector", "count", "area_total", "reference_count", "lq"]].round(4)
      area sector  count  area_total  reference_count      lq
    0    X      A   10.0       100.0            100.0  0.4000
    1    X      B   30.0       100.0             90.0  1.3333
    2    X      C   60.0       100.0            210.0  1.1429
    3    Y      A   90.0       300.0            100.0  1.2000
    4    Y      B   60.0       300.0             90.0  0.8889
    5    Y      C  150.0       300.0            210.0  0.9524

    Against a published national mix instead:

    >>> england = pd.Series({"A": 50, "B": 25, "C": 25}, name="country:England")
    >>> location_quotients(counts, reference=england)["lq"].round(2).tolist()
    [0.2, 1.2, 2.4, 0.6, 0.8, 2.0]
    """
    frame = _long_counts(counts, area=area, sector=sector, count=count)
    c = frame["count"]
    by_area = frame.groupby("area", sort=False)["count"]
    frame.insert(3, "area_total", by_area.transform("sum", min_count=1))
    complete = c.notna().groupby(frame["area"], sort=False).transform("all")

    sectors = pd.Index(pd.unique(frame["sector"]))
    if reference is None and isinstance(counts.attrs.get("reference_counts"), dict):
        reference = pd.Series(counts.attrs["reference_counts"], name=counts.attrs.get("reference"))
    if reference is None:
        ref = frame.groupby("sector", sort=False)["count"].sum(min_count=1)
        ref_complete = bool(c.notna().all())
        label = reference_name or "sum of areas"
    else:
        ref = _reference_series(reference, sectors, source=_name_of(counts))
        ref_complete = bool(ref.notna().all())
        named = reference_name or (str(reference.name) if reference.name is not None else None)
        label = named or "reference"
    ref_total = float(ref.sum(min_count=1))
    frame.insert(4, "reference_count", frame["sector"].map(ref).astype(float))
    frame.insert(5, "reference_total", ref_total)
    area_share = frame["count"] / frame["area_total"]
    ref_share = frame["reference_count"] / frame["reference_total"]
    frame.insert(6, "lq", area_share / ref_share)
    frame.insert(7, "area_total_complete", complete.astype(bool))
    frame.insert(8, "reference_complete", ref_complete)
    frame.insert(9, "reference", label)
    return frame


def _name_of(counts: pd.DataFrame) -> str:
    return str(counts.attrs.get("source", "the counts table"))


def _long_counts(counts: pd.DataFrame, *, area: str, sector: str, count: str) -> pd.DataFrame:
    """Validated copy of ``counts`` with columns area, sector, count (+ extras), as a grid."""
    name = _name_of(counts)
    missing = [c for c in (area, sector, count) if c not in counts.columns]
    if missing:
        raise SchemaError(
            f"{name} has no column(s) {', '.join(map(repr, missing))}; its columns are "
            f"{', '.join(map(str, counts.columns))}. Name them with area=, sector=, count=."
        )
    if counts.empty:
        raise EmptyLayerError(f"{name} has no rows; pass one row per area and sector.")
    extras = [c for c in counts.columns if c not in (area, sector, count)]
    clash = [c for c in extras if c in LQ_COLUMNS or c in _DERIVED]
    frame = counts[[area, sector, count, *extras]].drop(columns=clash)
    frame.columns = ["area", "sector", "count", *[c for c in extras if c not in clash]]
    raw = frame["count"]
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    bad = raw.notna() & values.isna()
    if bad.any():
        shown = "; ".join(
            f"{a!r}/{s!r}: {v!r}"
            for a, s, v in frame.loc[bad, ["area", "sector", "count"]].head(_MAX_LISTED).to_numpy()
        )
        raise SchemaError(
            f"{name}: {int(bad.sum())} count(s) are not numbers ({shown}); clear suppressed "
            "cells to NaN or convert the column to numbers."
        )
    if (values < 0).any():
        shown = ", ".join(
            f"{a!r}/{s!r}" for a, s in frame.loc[values < 0, ["area", "sector"]].to_numpy()[:10]
        )
        raise SchemaError(f"{name}: negative counts for {shown}; counts must be >= 0.")
    frame["count"] = values
    pairs, shown = repeated_pairs(frame)
    if pairs:
        raise SchemaError(
            f"{name}: {len(pairs)} area/sector pair(s) appear more than once ({shown}); keep one "
            "row per area and sector (sum them first if they are parts of one sector)."
        )
    areas = pd.unique(frame["area"])
    sectors = pd.unique(frame["sector"])
    grid = pd.MultiIndex.from_product([areas, sectors], names=["area", "sector"])
    # area-major order; absent pairs become suppressed (NaN) cells
    return frame.set_index(["area", "sector"]).reindex(grid).reset_index()


_DERIVED = ("area_total_complete", "reference_complete", "reference")


def _reference_series(reference: pd.Series, sectors: pd.Index, *, source: str) -> pd.Series:
    if not isinstance(reference, pd.Series):
        raise SchemaError(
            f"the reference is a {type(reference).__name__}; pass a pandas Series of counts "
            "indexed by sector."
        )
    ref_name = f"the reference {reference.name!r}" if reference.name is not None else "reference"
    if reference.index.has_duplicates:
        dup = list(dict.fromkeys(reference.index[reference.index.duplicated()]))
        raise SchemaError(f"{ref_name} lists the sectors {dup[:_MAX_LISTED]} twice; keep one.")
    lacking = [s for s in sectors if s not in reference.index]
    extra = [s for s in reference.index if s not in set(sectors)]
    if lacking or extra:
        parts = []
        if lacking:
            parts.append(f"it lacks the sectors {lacking[:_MAX_LISTED]} of {source}")
        if extra:
            parts.append(f"it has sectors {extra[:_MAX_LISTED]} that {source} lacks")
        raise SchemaError(
            f"{ref_name} does not list the same sectors: {'; '.join(parts)}. Index it by the "
            "same sector codes (a missing reference count may be NaN)."
        )
    values = pd.to_numeric(reference, errors="coerce").astype(float)
    if (values.isna() & reference.notna()).any() or (values < 0).any():
        raise SchemaError(f"{ref_name} holds values that are not counts >= 0; fix them.")
    return values.reindex(sectors)


# --------------------------------------------------------------------------------------------
# specialisms and indices


def specialisms(
    lq_table: pd.DataFrame,
    *,
    min_lq: float = SPECIALISM_RULE.min_lq,
    min_count: float = SPECIALISM_RULE.min_count,
) -> pd.DataFrame:
    """The rows of a location-quotient table that are specialisms, strongest first per area.

    See :func:`is_specialism` for the definition of a specialism.

    Parameters
    ----------
    lq_table : pandas.DataFrame
        Output of :func:`location_quotients`.
    min_lq, min_count : float
        Thresholds of a specialism (1.25 and 100 by default).

    Returns
    -------
    pandas.DataFrame
        The matching rows, areas in their original order and, within an area, by decreasing
        location quotient, with the original index.

    Examples
    --------
    >>> counts = pd.DataFrame({
    ...     "area": ["X"] * 3 + ["Y"] * 3, "sector": ["A", "B", "C"] * 2,
    ...     "count": [100, 300, 600, 900, 600, 1500]})
    >>> specialisms(location_quotients(counts))[["area", "sector", "lq"]].round(4)
      area sector      lq
    1    X      B  1.3333
    """
    rows = lq_table.loc[is_specialism(lq_table, min_lq=min_lq, min_count=min_count)]
    order = {a: i for i, a in enumerate(pd.unique(lq_table["area"]))}
    key = rows["area"].map(order)
    return (
        rows.assign(_order=key)
        .sort_values(["_order", "lq"], ascending=[True, False])
        .drop(columns="_order")
    )


def specialisation_indices(
    lq_table: pd.DataFrame,
    *,
    min_lq: float = SPECIALISM_RULE.min_lq,
    min_count: float = SPECIALISM_RULE.min_count,
    n_top: int = 3,
) -> pd.DataFrame:
    r"""Specialisation and diversity of every area's sector mix.

    With :math:`s_{ik}` the share of sector *k* in area *i* (count over ``area_total``) and
    :math:`s_k` its share in the reference:

    * ``krugman`` = :math:`\sum_k |s_{ik} - s_k|`, the Krugman dissimilarity index: 0 when the
      area has the reference's mix, 2 when they share no sector.
    * ``hhi`` = :math:`\sum_k s_{ik}^2`, the Herfindahl-Hirschman concentration of the area's
      own mix: 1/n for n equal sectors, 1 for a single sector.
    * ``shannon`` = :math:`-\sum_k s_{ik} \ln s_{ik}` (natural log, 0 ln 0 = 0): diversity,
      at most ln n.

    Suppressed counts are left out of every sum; ``area_total_complete`` says when they were.

    Parameters
    ----------
    lq_table : pandas.DataFrame
        Output of :func:`location_quotients`.
    min_lq, min_count : float
        Thresholds of a specialism (see :func:`is_specialism`).
    n_top : int
        How many specialisms ``top_specialisms`` lists.

    Returns
    -------
    pandas.DataFrame
        One row per area (in order) with ``area``, ``area_total``, ``area_total_complete``,
        ``n_sectors`` (sectors with a count above 0), ``n_missing`` (suppressed sectors),
        ``krugman``, ``hhi``, ``shannon``, ``n_specialisms`` and ``top_specialisms`` (the
        ``n_top`` specialisms by decreasing LQ, joined by ``"; "``).

    Examples
    --------
    >>> counts = pd.DataFrame({
    ...     "area": ["X"] * 3 + ["Y"] * 3, "sector": ["A", "B", "C"] * 2,
    ...     "count": [100, 300, 600, 900, 600, 1500]})
    >>> out = specialisation_indices(location_quotients(counts))
    >>> out[["area", "krugman", "hhi", "shannon", "n_specialisms"]].round(4)
      area  krugman   hhi  shannon  n_specialisms
    0    X      0.3  0.46   0.8979              1
    1    Y      0.1  0.38   1.0297              0
    >>> out["top_specialisms"].tolist()
    ['B', '']
    """
    require_columns(
        lq_table,
        ("area", "sector", "count", "area_total", "reference_count", "reference_total", "lq"),
        what="the location-quotient table",
    )
    t = lq_table
    share = t["count"] / t["area_total"]
    ref_share = t["reference_count"] / t["reference_total"]
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(share > 0, share * np.log(share.where(share > 0, 1.0)), 0.0)
    terms = pd.DataFrame(
        {
            "area": t["area"],
            "krugman": (share - ref_share).abs(),
            "hhi": share**2,
            "shannon": pd.Series(-plogp, index=t.index).where(share.notna()),
            "n_sectors": (t["count"] > 0).astype(int),
            "n_missing": t["count"].isna().astype(int),
            "complete": t["count"].notna(),
        }
    )
    g = terms.groupby("area", sort=False)
    out = pd.DataFrame(
        {
            "area_total": t.groupby("area", sort=False)["area_total"].first(),
            "area_total_complete": g["complete"].all(),
            "n_sectors": g["n_sectors"].sum(),
            "n_missing": g["n_missing"].sum(),
            "krugman": g["krugman"].sum(min_count=1),
            "hhi": g["hhi"].sum(min_count=1),
            "shannon": g["shannon"].sum(min_count=1),
        }
    )
    spec = specialisms(t, min_lq=min_lq, min_count=min_count)
    out["n_specialisms"] = spec.groupby("area", sort=False).size().reindex(out.index).fillna(0)
    out["n_specialisms"] = out["n_specialisms"].astype(int)
    top = spec.groupby("area", sort=False)["sector"].agg(
        lambda s: "; ".join(map(str, s.head(n_top)))
    )
    out["top_specialisms"] = top.reindex(out.index).fillna("").astype(str)
    return out.rename_axis("area").reset_index()


# --------------------------------------------------------------------------------------------
# the whole pipeline: counts -> location quotients -> specialisms -> indices


@dataclass(frozen=True)
class SpecialisationTable:
    """Location quotients, specialisms and indices of a set of areas, with how they were made.

    The one answer to "what is each of these areas specialised in?": the ``specialisation``
    command, the reports and the app all take it from :func:`specialisation_table` (a Nomis
    download), :func:`specialisation_from_counts` (any long table of counts) or
    :func:`specialisation_from_lq` (location quotients computed elsewhere, e.g. from firms).

    Attributes
    ----------
    lq : pandas.DataFrame
        :func:`location_quotients` plus a boolean ``specialism`` column (:attr:`rule`).
    indices : pandas.DataFrame
        :func:`specialisation_indices` under the same rule, one row per area.
    rule : SpecialismRule
        The rule of a specialism used.
    counts : pandas.DataFrame or None
        The counts the quotients were computed from (``counts.attrs`` records the selection of
        a Nomis table: ``year``, ``geography_type``, ``reference`` ...).
    reference : pandas.Series or None
        The reference counts by sector (``None``: the sum of the areas).
    provenance : dict
        ``source``, ``title``, ``licence``, ``attribution`` and the selection (``year``,
        ``geography``, ``reference``, ``variable``) when the counts come from Nomis.
    """

    lq: pd.DataFrame
    indices: pd.DataFrame
    rule: SpecialismRule = SPECIALISM_RULE
    counts: pd.DataFrame | None = None
    reference: pd.Series | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def specialisms(self, area: str | None = None) -> pd.DataFrame:
        """The specialisms (of one ``area``, or of all), strongest first (:func:`specialisms`)."""
        rows = self.lq if area is None else self.lq[self.lq["area"] == area]
        return specialisms(rows, min_lq=self.rule.min_lq, min_count=self.rule.min_count)


def specialisation_from_lq(
    lq: pd.DataFrame,
    *,
    rule: SpecialismRule = SPECIALISM_RULE,
    counts: pd.DataFrame | None = None,
    reference: pd.Series | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> SpecialisationTable:
    """Mark the specialisms of a location-quotient table and measure every area's mix.

    Parameters
    ----------
    lq : pandas.DataFrame
        Output of :func:`location_quotients` (or of
        :func:`geodistrict.metrics.firm_location_quotients`); it is not modified.
    rule : SpecialismRule
        When a sector is a specialism (default :data:`SPECIALISM_RULE`).
    counts, reference, provenance
        Carried to the result.

    Returns
    -------
    SpecialisationTable

    Examples
    --------
    >>> counts = pd.DataFrame({
    ...     "area": ["X"] * 3 + ["Y"] * 3, "sector": ["A", "B", "C"] * 2,
    ...     "count": [100, 300, 600, 900, 600, 1500]})
    >>> res = specialisation_from_lq(location_quotients(counts))
    >>> res.lq["specialism"].tolist()
    [False, True, False, False, False, False]
    >>> res.indices["n_specialisms"].tolist()
    [1, 0]
    """
    if not isinstance(rule, SpecialismRule):
        raise ParameterError(
            f"rule is a {type(rule).__name__}; pass SpecialismRule(min_lq=..., min_count=...)."
        )
    out = lq.copy()
    out["specialism"] = rule.marks(out)
    indices = specialisation_indices(out, min_lq=rule.min_lq, min_count=rule.min_count)
    return SpecialisationTable(
        lq=out,
        indices=indices,
        rule=rule,
        counts=counts,
        reference=reference,
        provenance=dict(provenance or {}),
    )


def specialisation_from_counts(
    counts: pd.DataFrame,
    *,
    reference: pd.Series | None = None,
    rule: SpecialismRule = SPECIALISM_RULE,
    provenance: Mapping[str, Any] | None = None,
) -> SpecialisationTable:
    """Location quotients, specialisms and indices of a long table of counts.

    :func:`location_quotients` then :func:`specialisation_from_lq`.

    Parameters
    ----------
    counts : pandas.DataFrame
        Long table with ``area``, ``sector`` and ``count`` (as :func:`nomis_sector_counts`
        returns it).
    reference : pandas.Series, optional
        The reference mix (see :func:`location_quotients`).
    rule : SpecialismRule
        When a sector is a specialism.
    provenance : mapping, optional
        Carried to the result.

    Returns
    -------
    SpecialisationTable

    Examples
    --------
    >>> counts = pd.DataFrame({
    ...     "area": ["X"] * 3 + ["Y"] * 3, "sector": ["A", "B", "C"] * 2,
    ...     "count": [100, 300, 600, 900, 600, 1500]})
    >>> res = specialisation_from_counts(counts, rule=SpecialismRule(min_lq=1.2, min_count=100))
    >>> res.specialisms()[["area", "sector"]].values.tolist()
    [['X', 'B'], ['Y', 'A']]
    """
    lq = location_quotients(counts, reference=reference)
    return specialisation_from_lq(
        lq, rule=rule, counts=counts, reference=reference, provenance=provenance
    )


def specialisation_table(
    table: NomisTable,
    *,
    geography: str = "lep",
    year: int | None = None,
    rule: SpecialismRule = SPECIALISM_RULE,
    variable: str = "Total",
    industry_dimension: str = "industry",
    reference: str | None = None,
    where: Mapping[str, Any] | None = None,
) -> SpecialisationTable:
    """Location quotients, specialisms and indices of the areas of a Nomis download.

    Read with :func:`geodistrict.read_nomis`; :func:`nomis_sector_counts` selects the areas of
    one geography and year and the reference row (the country, by default), then
    :func:`specialisation_from_counts`. This is what ``geodistrict specialisation --table``
    writes, what the reports quote and what the app shows.

    Parameters
    ----------
    table : NomisTable
        A Nomis download by industry (UK Business Counts by SIC 2007 section ...).
    geography : str
        Nomis geography type of the areas (``"lep"``, ``"ladu"`` ...).
    year : int, optional
        The year (default: the latest).
    rule : SpecialismRule
        When a sector is a specialism (default :data:`SPECIALISM_RULE`).
    variable, industry_dimension, reference
        As :func:`nomis_sector_counts`.
    where : mapping, optional
        Values of other dimensions (:func:`nomis_sector_counts`' ``**dims``).

    Returns
    -------
    SpecialisationTable
        Its ``provenance`` names the table (``source``, ``title``), its ``licence`` and
        ``attribution``, and the selection.
    """
    counts, ref = nomis_sector_counts(
        table,
        geography_type=geography,
        year=year,
        variable=variable,
        industry_dimension=industry_dimension,
        reference=reference,
        **dict(where or {}),
    )
    return specialisation_from_counts(
        counts, reference=ref, rule=rule, provenance=nomis_provenance(table, counts)
    )


def nomis_provenance(table: NomisTable, counts: pd.DataFrame) -> dict[str, Any]:
    """Source, title, licence, attribution and selection of counts read from a Nomis table.

    Parameters
    ----------
    table : NomisTable
        The download.
    counts : pandas.DataFrame
        Output of :func:`nomis_sector_counts` (its ``attrs`` record the selection).

    Returns
    -------
    dict
    """
    attrs = counts.attrs
    return {
        "source": str(table.source),
        "title": table.title,
        "licence": OGL_LICENCE,
        "attribution": nomis_attribution(table.title),
        "year": attrs.get("year"),
        "geography": attrs.get("geography_type"),
        "reference": attrs.get("reference"),
        "variable": attrs.get("variable"),
    }


# --------------------------------------------------------------------------------------------
# Ellison-Glaeser


def _h_units(totals: pd.Series) -> pd.Series:
    return (1.0 / totals).where(totals > 0)


def _h_zero(totals: pd.Series) -> pd.Series:
    return pd.Series(0.0, index=totals.index)


#: How :func:`ellison_glaeser` sets each sector's plant Herfindahl H when none is given.
HERFINDAHL_METHODS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "units": _h_units,
    "zero": _h_zero,
}


def ellison_glaeser(
    counts_by_area_sector: pd.DataFrame,
    *,
    plant_herfindahl: pd.Series | str = "units",
    area: str = "area",
    sector: str = "sector",
    count: str = "count",
) -> pd.DataFrame:
    r"""Ellison-Glaeser index of geographic concentration of every sector.

    With :math:`x_i` area *i*'s share of all counts, :math:`s_{ik}` its share of sector *k*,
    :math:`G_k = \sum_i (s_{ik} - x_i)^2` and :math:`H_k` the Herfindahl index of the sector's
    plant sizes,

    .. math:: \gamma_k = \frac{G_k - (1 - \sum_i x_i^2) H_k}{(1 - \sum_i x_i^2)(1 - H_k)}.

    :math:`\gamma` is about 0 when firms locate as darts thrown at random, positive when the
    sector clusters (0.05 is "highly concentrated" in Ellison and Glaeser's reading), negative
    when it spreads more evenly than chance. The areas must partition the territory: with
    overlapping areas (LEPs) shares are counted twice and :math:`\gamma` is not meaningful;
    use local authorities.

    Parameters
    ----------
    counts_by_area_sector : pandas.DataFrame
        Long table of counts (the input or the output of :func:`location_quotients`).
        Suppressed counts (``NaN``) are left out and flagged in ``complete``.
    plant_herfindahl : {"units", "zero"} or pandas.Series
        ``"units"`` (default): each counted unit is one plant of equal size, so
        :math:`H_k = 1 / N_k` with :math:`N_k` the sector's count. This is exact when the
        counts are counts of enterprises or establishments (UK Business Counts).
        ``"zero"``: :math:`H_k = 0`, the usual approximation for employment counts without
        plant-size data; it then reports the raw concentration :math:`G_k / (1 - \sum x^2)`
        and overstates clustering in sectors of few large plants.
        A Series indexed by sector: the plant Herfindahl computed from plant-level data.
    area, sector, count : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        One row per sector (in order) with ``sector``, ``sector_total``, ``n_areas`` (areas
        with a count), ``g`` (:math:`G_k`), ``herfindahl`` (:math:`H_k`), ``eg``
        (:math:`\gamma_k`) and ``complete`` (False when a suppressed count was left out).

    Raises
    ------
    ParameterError
        When ``plant_herfindahl`` is an unknown string (the message lists the allowed ones).
    SchemaError
        As :func:`location_quotients`; or when a given Series lacks a sector.

    Examples
    --------
    Area P has 30 firms in sector 1 and 10 in sector 2, area Q 10 and 50, so
    x = (0.4, 0.6), 1 - (0.16 + 0.36) = 0.48 and, for sector 1,
    G = (0.75 - 0.4)² + (0.25 - 0.6)² = 0.245; with H = 0, γ = 0.245 / 0.48:

    >>> counts = pd.DataFrame({"area": ["P", "P", "Q", "Q"], "sector": ["s1", "s2"] * 2,
    ...                        "count": [30, 10, 10, 50]})
    >>> eg = ellison_glaeser(counts, plant_herfindahl="zero")
    >>> eg[["sector", "g", "eg"]].round(4)
      sector       g      eg
    0     s1  0.2450  0.5104
    1     s2  0.1089  0.2269
    """
    frame = _long_counts(counts_by_area_sector, area=area, sector=sector, count=count)
    totals_by_area = frame.groupby("area", sort=False)["count"].sum()
    x = totals_by_area / totals_by_area.sum()
    one_minus = 1.0 - float((x**2).sum())
    sector_total = frame.groupby("sector", sort=False)["count"].sum()
    if isinstance(plant_herfindahl, str):
        try:
            h = HERFINDAHL_METHODS[plant_herfindahl](sector_total)
        except KeyError:
            raise ParameterError(
                f"plant_herfindahl={plant_herfindahl!r} is not one of "
                f"{', '.join(map(repr, HERFINDAHL_METHODS))}, or a Series indexed by sector."
            ) from None
    else:
        lacking = [s for s in sector_total.index if s not in plant_herfindahl.index]
        if lacking:
            raise SchemaError(
                f"plant_herfindahl lacks the sectors {lacking[:_MAX_LISTED]}; give one value "
                "per sector (or use plant_herfindahl='units')."
            )
        h = pd.to_numeric(plant_herfindahl, errors="coerce").reindex(sector_total.index)
    s = frame["count"] / frame["sector"].map(sector_total)
    xi = frame["area"].map(x)
    sq = ((s - xi) ** 2).where(frame["count"].notna())
    g = sq.groupby(frame["sector"], sort=False).sum(min_count=1)
    eg = (g - one_minus * h) / (one_minus * (1.0 - h))
    out = pd.DataFrame(
        {
            "sector_total": sector_total,
            "n_areas": frame["count"].notna().groupby(frame["sector"], sort=False).sum(),
            "g": g,
            "herfindahl": h.astype(float),
            "eg": eg,
            "complete": frame["count"].notna().groupby(frame["sector"], sort=False).all(),
        }
    )
    return out.rename_axis("sector").reset_index()
