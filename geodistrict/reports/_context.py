"""What every report of a run shares: joins, the national reference, Nomis tables, benchmarks.

The expensive steps (joining 2.7 million postcodes, reading the Nomis workbooks, measuring the
shipped districts) run once per run here; :mod:`geodistrict.reports._place` then cuts each
place out of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..boundaries import Boundaries
from ..errors import ParameterError
from ..layers import PointLayer
from ..metrics.specialisation import SPECIALISM_RULE, SpecialismRule
from ..provenance import OGL_LICENCE, nomis_source

__all__ = [
    "DEFAULT_MIN_COUNT",
    "DEFAULT_MIN_LQ",
    "NESTED_SHARE",
    "Employment",
    "Floorspace",
    "JoinedLayer",
    "NationalReferences",
    "NomisLQ",
    "ReportContext",
    "ReportOptions",
    "auto_cell",
    "build_context",
    "floorspace_by_place",
    "join_layer",
    "national_references",
    "nest_zones",
    "nomis_employment",
    "nomis_lq",
    "one_place",
    "outside_cover",
    "subset_layer",
]

#: The wording rule of a specialism (a location quotient and a count, both at least these).
DEFAULT_MIN_LQ = SPECIALISM_RULE.min_lq
DEFAULT_MIN_COUNT = SPECIALISM_RULE.min_count

#: Nice grid sizes for the automatic hot-spot cell (metres).
_NICE_CELLS = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000)


@dataclass(frozen=True)
class ReportOptions:
    """The parameters of a run of reports (every one is printed in each report).

    Attributes
    ----------
    min_lq, min_count : float
        A sector is a *specialism* when its location quotient is at least ``min_lq`` and the
        place has at least ``min_count`` of its units (enterprises).
    under_lq : float
        A sector with at least ``min_count`` units nationally-weighted is *under-represented*
        when its LQ is at most this.
    cell_m : float or None
        Hot-spot grid cell in metres; ``None`` picks one per place (about ``target_cells``
        cells over the place, rounded to a round number).
    target_cells : int
        Cells aimed at by the automatic cell size.
    fdr : float
        False discovery rate of the Gi* hot spots (Benjamini–Hochberg).
    nomis_year : int or None
        Year of the Nomis tables (default: the latest in each).
    geography : str
        Nomis geography type of the places (``lep``, ``ladu``, ``User Defined Geography``).
    noun : str
        What a place is called in sentences ("LEP", "local authority", "district").
    n_comparables : int
        Benchmark districts listed as nearest comparables.
    """

    min_lq: float = DEFAULT_MIN_LQ
    min_count: float = DEFAULT_MIN_COUNT
    under_lq: float = 0.8
    cell_m: float | None = None
    target_cells: int = 1500
    fdr: float = 0.05
    nomis_year: int | None = None
    geography: str = "lep"
    noun: str = "place"
    n_comparables: int = 3

    @property
    def rule(self) -> SpecialismRule:
        """The rule of a specialism: :attr:`min_lq` and :attr:`min_count`."""
        return SpecialismRule(min_lq=self.min_lq, min_count=self.min_count)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return {
            "min_lq": self.min_lq,
            "min_count": self.min_count,
            "under_lq": self.under_lq,
            "cell_m": self.cell_m if self.cell_m is not None else "auto",
            "target_cells": self.target_cells,
            "fdr": self.fdr,
            "nomis_year": self.nomis_year if self.nomis_year is not None else "latest",
            "geography": self.geography,
            "n_comparables": self.n_comparables,
        }


@dataclass(frozen=True)
class ReportContext:
    """Shared inputs and national reference of a run: a frozen assembly of its steps.

    :func:`build_context` computes each step once (:func:`join_layer`, :func:`nomis_lq`,
    :func:`nomis_employment`, :func:`floorspace_by_place`, :func:`national_references`) and
    assembles their frozen results here; nothing changes it afterwards (the per-place caches
    of :meth:`place` and :meth:`outside` only memoise).

    Attributes
    ----------
    boundaries : Boundaries
        The places.
    options : ReportOptions
    postcodes, universities : PointLayer or None
        Point layers (in the boundaries' metric CRS).
    postcode_index, university_index : list of numpy.ndarray
        Per place, the indices of the points inside it.
    reference : dict
        ``name``, ``area_km2`` (of the country most places lie in: see :meth:`reference_for`
        for each place's own), ``postcodes``, ``universities``,
        ``enterprises``, ``employment`` (national totals, ``None`` when unknown).
    lq : pandas.DataFrame or None
        Location quotients of every Nomis area (as ``geodistrict specialisation`` computes
        them) with an ``id`` column: the place each label matched.
    indices : pandas.DataFrame or None
        Krugman, HHI, Shannon ... per Nomis area (``id`` column added).
    employment : pandas.Series or None
        People in employment per place id (APS, residence-based).
    employment_groups : pandas.DataFrame or None
        ``id``, ``group``, ``value``, ``conf``, ``flag`` per place and APS industry group.
    vintages : dict
        Label → other boundary sets.
    benchmarks : pandas.DataFrame
        The shipped and registry districts measured for comparison.
    sources : list of dict
        Provenance of every input.
    notes : list of str
        What the run noticed about its inputs (unmatched Nomis rows ...).
    """

    boundaries: Boundaries
    options: ReportOptions
    postcodes: PointLayer | None = None
    universities: PointLayer | None = None
    postcode_index: list[np.ndarray] = field(default_factory=list)
    university_index: list[np.ndarray] = field(default_factory=list)
    postcode_report: dict[str, Any] = field(default_factory=dict)
    university_report: dict[str, Any] = field(default_factory=dict)
    reference: dict[str, Any] = field(default_factory=dict)
    lq: pd.DataFrame | None = None
    indices: pd.DataFrame | None = None
    lq_meta: dict[str, Any] = field(default_factory=dict)
    employment: pd.Series | None = None
    employment_groups: pd.DataFrame | None = None
    employment_meta: dict[str, Any] = field(default_factory=dict)
    floorspace: pd.DataFrame | None = None
    floorspace_meta: dict[str, Any] = field(default_factory=dict)
    vintages: dict[str, Boundaries] = field(default_factory=dict)
    benchmarks: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    references: dict[str, Any] = field(default_factory=dict)
    place_country: list[str | None] = field(default_factory=list)
    _places: dict[int, Boundaries] = field(default_factory=dict, repr=False)
    _extents: dict[str, tuple[float, float, float, float]] = field(default_factory=dict, repr=False)

    def place(self, i: int) -> Boundaries:
        """Place ``i`` alone, in its own metric CRS (:func:`one_place`, computed once)."""
        if i not in self._places:
            self._places[i] = one_place(self.boundaries, i)
        return self._places[i]

    def reference_for(self, i: int) -> dict[str, Any]:
        """The national reference of place ``i``: the UK country it lies in.

        Keys as :attr:`reference` (``name``, ``area_km2``, ``area_basis``, ``postcodes``,
        ``universities``; ``enterprises`` and ``employment`` when the Nomis tables' reference
        is that country), plus ``basis`` (a sentence naming every total's source). A place
        outside the UK gets ``name`` ``None`` and a ``basis`` saying it is not covered.
        """
        code = self.place_country[i] if i < len(self.place_country) else None
        nat = self.references.get(code) if code else None
        if nat is None:
            return {
                "name": None,
                "area_km2": None,
                "basis": "not covered: the place lies outside the UK countries whose national "
                "totals these layers give, so no ratio is shown",
            }
        out: dict[str, Any] = {
            "name": nat.name,
            "code": nat.code,
            "area_km2": nat.area_km2,
            "area_basis": nat.basis.get("area", ""),
            "postcodes": nat.counts.get("postcodes"),
            "universities": nat.counts.get("universities"),
            "basis": nat.describe(),
        }
        if self.reference.get("name") == nat.name:
            for k in ("enterprises", "employment"):
                out[k] = self.reference.get(k)
        for k in ("floorspace_m2", "floorspace_area_km2"):
            if k in self.reference:
                out[k] = self.reference[k]
        return out

    def outside(self, layer: PointLayer | None, i: int) -> bool:
        """Whether place ``i`` lies outside ``layer``'s extent (:func:`outside_cover`)."""
        if layer is None or len(layer) == 0:
            return True
        if layer.name not in self._extents:
            self._extents[layer.name] = (
                float(layer.x.min()), float(layer.y.min()),
                float(layer.x.max()), float(layer.y.max()),
            )  # fmt: skip
        return outside_cover(
            layer,
            self.boundaries.metric[i],
            self.boundaries.metric_crs,
            extent=self._extents[layer.name],
        )


def subset_layer(layer: PointLayer, index: np.ndarray) -> PointLayer:
    """The points of ``layer`` at ``index`` as a layer of their own (no rejected rows).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from geodistrict.layers import LayerInfo
    >>> lay = PointLayer(np.arange(4.0), np.arange(4.0), __import__("pyproj").CRS(27700),
    ...                  pd.DataFrame({"row": range(4)}), LayerInfo("p", "p.csv"))
    >>> sub = subset_layer(lay, np.array([1, 3]))
    >>> sub.x.tolist(), sub.attributes["row"].tolist(), sub.n_input
    ([1.0, 3.0], [1, 3], 2)
    """
    from ..clusters.sectors import take_points

    return take_points(layer, index)


def one_place(b: Boundaries, i: int) -> Boundaries:
    """Feature ``i`` of a boundary set as a one-feature :class:`Boundaries`.

    Its metric CRS is chosen for the feature alone: a district of a set spread over several
    continents (measured in the global equal-area EPSG:6933) is mapped and gridded in its own
    UTM zone, so its map keeps its shape and its grid cells are square on the ground.
    """
    from ..crs import choose_metric_crs_for, transform_geoms

    metric = b.metric[[i]]
    crs = choose_metric_crs_for(metric, b.metric_crs)
    if crs.equals(b.metric_crs):
        crs = b.metric_crs
    else:
        metric = transform_geoms(metric, b.metric_crs, crs)
    return replace(
        b,
        data=b.data.iloc[[i]].reset_index(drop=True),
        metric=metric,
        metric_crs=crs,
        overlaps=b.overlaps.iloc[0:0] if len(b.overlaps) else b.overlaps,
    )


def outside_cover(
    layer: PointLayer | None,
    geom: Any,
    crs: Any,
    *,
    pad_m: float = 10_000.0,
    extent: tuple[float, float, float, float] | None = None,
) -> bool:
    """Whether a place lies outside a point layer's extent (its box grown by ``pad_m``).

    A UK layer (the postcode directory, UK universities) says nothing about Barcelona: there a
    count of 0 is not a finding, and the report says the layer does not cover the place.
    ``extent`` (the layer's ``(minx, miny, maxx, maxy)``) spares recomputing it per place.

    Examples
    --------
    >>> import numpy as np, pandas as pd, pyproj, shapely
    >>> from geodistrict.layers import LayerInfo
    >>> lay = PointLayer(np.array([0.0, 50_000.0]), np.array([0.0, 50_000.0]),
    ...                  pyproj.CRS(27700), pd.DataFrame({"row": [0, 1]}), LayerInfo("p", "p"))
    >>> outside_cover(lay, shapely.box(55_000, 0, 56_000, 1_000), pyproj.CRS(27700))
    False
    >>> outside_cover(lay, shapely.box(90_000, 0, 91_000, 1_000), pyproj.CRS(27700))
    True
    """
    from ..crs import transform_xy

    if layer is None or len(layer) == 0:
        return True
    c = shapely.centroid(geom)
    x, y = transform_xy(np.array([c.x]), np.array([c.y]), crs, layer.crs)
    x0, y0, x1, y1 = extent or (layer.x.min(), layer.y.min(), layer.x.max(), layer.y.max())
    pad = pad_m if not layer.crs.is_geographic else pad_m / 111_000.0
    inside = (x0 - pad <= x[0] <= x1 + pad) and (y0 - pad <= y[0] <= y1 + pad)
    return not inside


def auto_cell(area_m2: float, *, target_cells: int = 1500) -> float:
    """A round cell size giving about ``target_cells`` square cells over an area.

    Examples
    --------
    >>> auto_cell(4e9)    # a 4,000 km² LEP
    2000.0
    >>> auto_cell(2e6)    # a 200 ha district
    50.0
    >>> auto_cell(1.6e9)
    1000.0
    """
    raw = math.sqrt(max(area_m2, 1.0) / max(target_cells, 1))
    best = min(_NICE_CELLS, key=lambda c: abs(math.log(c / raw)))
    return float(best)


# --------------------------------------------------------------------------------------------
# the steps of a run, each a frozen result computed once


@dataclass(frozen=True)
class JoinedLayer:
    """A point layer joined to the places (:func:`join_layer`).

    Attributes
    ----------
    layer : PointLayer
        The layer as joined (in the places' metric CRS).
    index : list of numpy.ndarray
        Per place, the indices of the points inside it.
    report : dict
        The join's accounting (:meth:`geodistrict.join.points.JoinResult.report`).
    source : dict
        The layer's provenance entry.
    """

    layer: PointLayer
    index: list[np.ndarray]
    report: dict[str, Any]
    source: dict[str, Any]


def _per_place(assignment: Any, n_places: int) -> list[np.ndarray]:
    order = np.argsort(assignment.polygon, kind="stable")
    pts = assignment.point[order]
    bounds = np.searchsorted(assignment.polygon[order], np.arange(n_places + 1))
    return [np.sort(pts[bounds[i] : bounds[i + 1]]) for i in range(n_places)]


def join_layer(layer: PointLayer, b: Boundaries) -> JoinedLayer:
    """Join a point layer to the places once: which points lie in each place.

    Parameters
    ----------
    layer : PointLayer
        Postcodes, universities ...
    b : Boundaries
        The places.

    Returns
    -------
    JoinedLayer
    """
    from ..join.points import join_points

    jr = join_points(layer, b)
    return JoinedLayer(
        layer=jr.layer,
        index=_per_place(jr.assignment, len(b)),
        report=jr.report(max_rows=20),
        source={**layer.info.as_dict(), "name": layer.name},
    )


#: A zone counts in a place when at least this share of its area lies inside; a place is built
#: of whole zones when every zone it touches lies in it by this share or by less than 1 - it.
NESTED_SHARE = 0.95


def nest_zones(zones: Boundaries, b: Boundaries) -> tuple[dict[str, list[str]], dict[str, float]]:
    """Which whole zones (LADs) make up each place, and how much of each place they leave out.

    Returns
    -------
    (dict, dict)
        Place id → ids of the zones lying in it (≥ :data:`NESTED_SHARE` of their area), and
        place id → share of the place's area outside those whole zones (0 for a place made of
        whole zones, 1 for a district drawn inside one zone).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from geodistrict.boundaries import prepare_boundaries
    >>> sq = lambda x0, x1: shapely.box(x0, 0, x1, 1000)
    >>> z = prepare_boundaries(gpd.GeoDataFrame({"id": ["a", "b", "c"], "name": list("abc")},
    ...     geometry=[sq(0, 1000), sq(1000, 2000), sq(2000, 3000)], crs=27700))
    >>> p = prepare_boundaries(gpd.GeoDataFrame({"id": ["P", "Q", "R"], "name": ["P", "Q", "R"]},
    ...     geometry=[sq(0, 2000), sq(0, 2500), sq(2100, 2200)], crs=27700))
    >>> members, partial = nest_zones(z, p)
    >>> members, {k: round(v, 2) for k, v in partial.items()}
    ({'P': ['a', 'b'], 'Q': ['a', 'b'], 'R': []}, {'P': 0.0, 'Q': 0.2, 'R': 1.0})
    """
    from ..crs import transform_geoms

    zm = transform_geoms(zones.metric, zones.metric_crs, b.metric_crs)
    tree = shapely.STRtree(zm)
    zarea = shapely.area(zm)
    members: dict[str, list[str]] = {}
    partial: dict[str, float] = {}
    for i, pid in enumerate(map(str, b.ids)):
        place = b.metric[i]
        cand = tree.query(place, predicate="intersects")
        share = shapely.area(shapely.intersection(zm[cand], place)) / zarea[cand]
        inside = cand[share >= NESTED_SHARE]
        members[pid] = [str(zones.ids[j]) for j in inside]
        covered = shapely.area(shapely.intersection(zm[inside], place)).sum() if len(inside) else 0
        area = shapely.area(place)
        partial[pid] = float(max(0.0, 1 - covered / area)) if area else 0.0
    return members, partial


def _lad_rows_to_places(
    long: pd.DataFrame, zones: Boundaries, b: Boundaries, value: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Rows of LADs (``area`` = Nomis label) summed onto places made of whole LADs.

    The sums are labelled by the places' names (``area``), the places' ids dropped.
    """
    from ..zones.match import LAD_SUCCESSORS_2023, match_zones

    labels = pd.Series(1.0, index=pd.Index(pd.unique(long["area"]), name="area"))
    m = match_zones(labels, zones, successors=LAD_SUCCESSORS_2023)
    lad_of = dict(zip(m.matches["label"], m.matches["id"], strict=True))
    members, partial = nest_zones(zones, b)
    place_of: dict[str, list[str]] = {}
    for pid, lads in members.items():
        if partial[pid] <= 1 - NESTED_SHARE:
            for lad in lads:
                place_of.setdefault(lad, []).append(pid)
    rows = long.assign(lad=long["area"].map(lad_of)).dropna(subset=["lad"])
    rows = rows.assign(id=rows["lad"].map(place_of)).dropna(subset=["id"]).explode("id")
    keep = [c for c in long.columns if c not in ("area", value)]
    out = rows.groupby(["id", *[c for c in keep if c not in ("flag",)]], sort=False)[value]
    summed = out.sum(min_count=1).reset_index()
    names = dict(zip(map(str, b.ids), map(str, b.names), strict=True))
    summed = summed.assign(area=summed["id"].map(names)).drop(columns="id")
    meta = {
        "zones": str(zones.info.source),
        "members": {pid: members[pid] for pid in members if partial[pid] <= 1 - NESTED_SHARE},
        "not_whole": {pid: round(v, 4) for pid, v in partial.items() if v > 1 - NESTED_SHARE},
        "unmatched_labels": m.unmatched_labels,
    }
    return summed, meta


@dataclass(frozen=True)
class NomisLQ:
    """Location quotients of the places from a Nomis table of business counts (:func:`nomis_lq`).

    Attributes
    ----------
    lq, indices : pandas.DataFrame
        :class:`geodistrict.metrics.specialisation.SpecialisationTable`'s tables with an
        ``id`` column: the place each Nomis label matched.
    meta : dict
        Source, title, year, reference, variable, geography and the unmatched labels/places.
    source : dict
        The table's provenance entry.
    enterprises : float or None
        The reference's total (enterprises in the country).
    reference_name : str or None
        The reference's label (``"England"``).
    notes : tuple of str
        What the step noticed (places without a row).
    """

    lq: pd.DataFrame
    indices: pd.DataFrame
    meta: dict[str, Any]
    source: dict[str, Any]
    enterprises: float | None
    reference_name: str | None
    notes: tuple[str, ...] = ()


def _counts_on_places(
    counts: pd.DataFrame, zones: Boundaries, b: Boundaries, geography: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Nomis LAD counts summed onto places made of whole LADs, labelled by place name."""
    attrs = dict(counts.attrs)
    labels_of = dict(zip(counts["sector"], counts["sector_label"], strict=False))
    summed, via = _lad_rows_to_places(counts[["area", "sector", "count"]], zones, b, "count")
    out = summed.assign(sector_label=summed["sector"].map(labels_of))[
        ["area", "sector", "count", "sector_label"]
    ]
    out["flag"] = None
    out.attrs = {**attrs, "geography_type": f"{geography} rows summed onto the places"}
    return out, via


def nomis_lq(
    path: Path,
    b: Boundaries,
    options: ReportOptions,
    zones: Boundaries | None = None,
) -> NomisLQ:
    """Location quotients exactly as ``geodistrict specialisation`` computes them.

    With ``zones`` (LAD polygons) the table's LAD rows are summed onto places made of whole
    LADs (combined authorities, LSIP areas) and the quotients computed from those sums.
    """
    from ..io.nomis import read_nomis
    from ..metrics.specialisation import nomis_sector_counts, specialisation_from_counts
    from ..zones.match import LEP_ALIASES, match_zones

    table = read_nomis(path)
    geography = "ladu" if zones is not None else options.geography
    counts, reference = nomis_sector_counts(
        table, geography_type=geography, year=options.nomis_year
    )
    via: dict[str, Any] = {}
    if zones is not None:
        counts, via = _counts_on_places(counts, zones, b, geography)
    if len(counts):
        result = specialisation_from_counts(counts, reference=reference, rule=options.rule)
        lq, indices = result.lq, result.indices
    else:  # no place is made of whole LADs: every report says why it has no quotients
        lq = pd.DataFrame(columns=["area", "sector", "count", "area_total", "lq", "specialism"])
        indices = pd.DataFrame(columns=["area", "krugman", "hhi", "shannon"])
    labels = pd.Series(1.0, index=pd.Index(pd.unique(lq["area"]), name="area"))
    m = match_zones(labels, b, aliases=LEP_ALIASES)
    ids = dict(zip(m.matches["label"], m.matches["id"], strict=True))
    year = counts.attrs.get("year")
    notes: tuple[str, ...] = ()
    if m.unmatched_zones:
        notes = (
            f"{path.name}: no {options.geography} row for {len(m.unmatched_zones)} place(s) "
            f"({', '.join(map(str, m.unmatched_zones[:5]))}); their reports say so.",
        )
    return NomisLQ(
        lq=lq.assign(id=lq["area"].map(ids)),
        indices=indices.assign(id=indices["area"].map(ids)),
        meta={
            "via_zones": via,
            "source": str(path),
            "title": table.title,
            "year": year,
            "reference": counts.attrs.get("reference"),
            "variable": counts.attrs.get("variable"),
            "geography": counts.attrs.get("geography_type"),
            "unmatched_labels": m.unmatched_labels,
            "unmatched_places": m.unmatched_zones,
        },
        source=nomis_source(
            "business counts", source=str(path), title=table.title, vintage=str(year)
        ),  # fmt: skip
        enterprises=float(reference.sum(min_count=1)) if reference.notna().any() else None,
        reference_name=str(counts.attrs.get("reference", "")).split(":", 1)[-1] or None,
        notes=notes,
    )


@dataclass(frozen=True)
class Employment:
    """People in employment by place from a Nomis APS table (:func:`nomis_employment`).

    Attributes
    ----------
    values : pandas.Series
        People in employment per place id.
    groups : pandas.DataFrame
        ``id``, ``group``, ``value``, ``flag`` (and ``conf``) per place and industry group.
    meta : dict
        Source, title, year, date, suppressed groups, number of groups.
    source : dict
        The table's provenance entry.
    national : float or None
        The country row's total, when the table has exactly one country.
    """

    values: pd.Series
    groups: pd.DataFrame
    meta: dict[str, Any]
    source: dict[str, Any]
    national: float | None


def _employment_rows(
    table: Any, path: Path, options: ReportOptions, zones: Boundaries | None
) -> tuple[pd.DataFrame, int]:
    """The APS rows of the places' geography and year (LAD rows with ``zones``)."""
    d = table.data
    geo = "ladu" if zones is not None else options.geography
    sel = d[d["geography_type"].str.lower() == geo.lower()]
    if sel.empty:
        have = sorted(d["geography_type"].unique())
        raise ParameterError(
            f"{path}: no rows of geography type {geo!r} (the table has {have}); pass the "
            "employment table of the same geography as the places."
        )
    year = options.nomis_year if options.nomis_year is not None else int(sel["year"].max())
    return sel[sel["year"] == year], year


def nomis_employment(
    path: Path,
    b: Boundaries,
    options: ReportOptions,
    zones: Boundaries | None = None,
) -> Employment:
    """People in employment by place (APS, residence-based), summed over industry groups.

    With ``zones`` (LAD polygons) the LAD rows are summed onto places made of whole LADs.
    """
    from ..io.nomis import read_nomis
    from ..zones.match import LEP_ALIASES, match_zones

    table = read_nomis(path)
    d = table.data
    sel, year = _employment_rows(table, path, options, zones)
    country = d[(d["geography_type"] == "country") & (d["year"] == year)]
    conf = "conf" if "conf" in d.columns else None
    groups = sel.assign(group=sel["variable"].map(_aps_group))
    if zones is not None:
        summed, _ = _lad_rows_to_places(groups[["area", "group", "value"]], zones, b, "value")
        groups = summed.assign(flag=None)
        conf = None  # a sum of survey estimates has no published interval
    wide = groups.groupby("area")["value"].sum(min_count=1)
    suppressed = groups.groupby("area")["value"].apply(lambda s: int(s.isna().sum()))
    m = match_zones(wide.rename("employment"), b, aliases=LEP_ALIASES)
    ids = dict(zip(m.matches["label"], m.matches["id"], strict=True))
    g = groups[groups["area"].isin(list(ids))].copy()
    g["id"] = g["area"].map(ids)
    cols = ["id", "group", "value", "flag"] + ([conf] if conf else [])
    date = str(sel["date"].iloc[0]) if "date" in sel.columns and len(sel) else str(year)
    national = None
    if len(country) and country["area"].nunique() == 1:
        national = float(country["value"].sum(min_count=1))
    return Employment(
        values=m.values["employment"],
        groups=g[cols].rename(columns={conf: "conf"} if conf else {}),
        meta={
            "source": str(path),
            "title": table.title,
            "year": year,
            "date": date,
            "suppressed_groups": {ids[k]: v for k, v in suppressed.items() if k in ids and v},
            "n_groups": int(groups["group"].nunique()),
        },
        source=nomis_source("employment", source=str(path), title=table.title, vintage=date),
        national=national,
    )


@dataclass(frozen=True)
class Floorspace:
    """VOA business floorspace carried onto the places (:func:`floorspace_by_place`).

    Attributes
    ----------
    table : pandas.DataFrame
        ``floorspace_m2`` and ``coverage`` indexed by place id.
    meta : dict
        Source, zones, sectors, suppressed cells, codes not among the zones, the report.
    source : dict
        The table's provenance entry.
    total_m2 : float or None
        Floorspace of all the table's codes.
    cover_km2 : float
        Area of all the zones.
    notes : tuple of str
        What the step noticed (codes not among the zones).
    """

    table: pd.DataFrame
    meta: dict[str, Any]
    source: dict[str, Any]
    total_m2: float | None
    cover_km2: float
    notes: tuple[str, ...] = ()


def floorspace_by_place(path: Path, zones: Boundaries, b: Boundaries) -> Floorspace:
    """VOA business floorspace by zone (LAD) carried onto the places by area share."""
    from ..io.voa import read_voa_floorspace
    from ..zones.interpolate import interpolate

    t = read_voa_floorspace(path)
    has_all = (t["sector"] == "All").any()
    rows = t[t["sector"] == "All"] if has_all else t[t["sector"] != "All"]
    values = rows.groupby("code")["floorspace_m2"].sum(min_count=1)
    incomplete = rows.groupby("code")["floorspace_suppressed"].any()
    missing_codes = sorted(set(values.index) - set(map(str, zones.ids)))
    r = interpolate(zones, values.rename("floorspace_m2"), b, tolerance=0.05)
    table = r.table.set_index("id")
    notes: tuple[str, ...] = ()
    if missing_codes:
        notes = (
            f"{path.name}: {len(missing_codes)} area code(s) are not among the zones of "
            f"{Path(zones.info.source).name} ({', '.join(missing_codes[:5])}); their floorspace "
            "is left out.",
        )
    return Floorspace(
        table=pd.DataFrame(
            {
                "floorspace_m2": table["floorspace_m2"],
                "coverage": table.get("floorspace_m2_coverage"),
            }
        ),
        meta={
            "source": str(path),
            "zones": str(zones.info.source),
            "sectors": "All" if has_all else "sum of Retail, Office, Industrial, Other",
            "suppressed_cells": int(t.attrs.get("n_suppressed", 0)),
            "codes_with_suppressed_sectors": sorted(incomplete[incomplete].index.astype(str)),
            "codes_not_in_zones": missing_codes,
            "report": r.report.get("floorspace_m2", {}),
        },
        source={
            "name": "floorspace",
            "source": str(path),
            "title": "VOA non-domestic rating: business floorspace",
            "licence": OGL_LICENCE,
            "attribution": "Valuation Office Agency, Non-domestic rating: stock of properties "
            "including business floorspace. OGL v3.0.",
            "vintage": str(t["year"].iloc[0]) if "year" in t.columns and len(t) else None,
        },
        total_m2=float(values.sum(min_count=1)) if values.notna().any() else None,
        cover_km2=float(shapely.area(shapely.union_all(zones.metric))) / 1e6,
        notes=notes,
    )


@dataclass(frozen=True)
class NationalReferences:
    """The UK country of every place and each country's totals (:func:`national_references`).

    Attributes
    ----------
    place_country : list of str or None
        Per place, the GSS code of its country.
    references : dict
        Country code → :class:`geodistrict.metrics.reference.NationalReference`.
    """

    place_country: list[str | None]
    references: dict[str, Any]

    def main(self) -> Any:
        """The reference of the country most places lie in (``None`` without any)."""
        if not self.references:
            return None
        return self.references[max(self.references, key=self.place_country.count)]


def national_references(
    b: Boundaries,
    joined: JoinedLayer | None,
    postcodes: PointLayer | None,
    universities: PointLayer | None,
    lads: Boundaries | None,
) -> NationalReferences:
    """The UK country of every place and each country's totals.

    See :mod:`geodistrict.metrics.reference`.

    A place's country is read from the LAD codes of the postcodes inside it (``joined``), else
    from the LAD polygon holding its centroid; the national totals come from the whole layers,
    never from the places measured together.
    """
    from ..metrics.reference import countries_of_groups, country_of_place, national_reference

    by_codes: list[str | None] = [None] * len(b)
    if joined is not None:
        attrs = joined.layer.attributes
        col = next((c for c in attrs.columns if str(c).lower() == "laua"), None)
        if col is not None:
            n = min(len(b), len(joined.index))
            by_codes[:n] = countries_of_groups(attrs[col], joined.index[:n])
    countries: list[str | None] = []
    for i in range(len(b)):
        got = by_codes[i]
        if got is None and lads is not None:
            got = country_of_place(b.metric[i], b.metric_crs, lads=lads)
        countries.append(got)
    references: dict[str, Any] = {}
    for code in sorted({c for c in countries if c}):
        ref = national_reference(code, postcodes=postcodes, universities=universities, lads=lads)
        if ref is not None:
            references[code] = ref
    return NationalReferences(place_country=countries, references=references)


def _aps_group(variable: str) -> str:
    """``'T13a:7 (C Manufacturing (SIC 2007) : All people )'`` → ``'C Manufacturing'``.

    Examples
    --------
    >>> _aps_group("T13a:7 (C Manufacturing (SIC 2007) : All people )")
    'C Manufacturing'
    """
    s = str(variable)
    if "(" in s:
        s = s.split("(", 1)[1]
    s = s.split("(SIC", 1)[0].split(":", 1)[0]
    return s.strip(" )")


def _run_reference(
    lq: NomisLQ | None,
    employment: Employment | None,
    floorspace: Floorspace | None,
    nat: NationalReferences,
) -> dict[str, Any]:
    """The run's national reference: name, area and totals (keys in the order reports print)."""
    ref: dict[str, Any] = {"name": None, "area_km2": None, "area_basis": ""}
    if lq is not None:
        ref["enterprises"] = lq.enterprises
        ref["name"] = lq.reference_name
    if employment is not None and employment.national is not None:
        ref["employment"] = employment.national
    if floorspace is not None:
        ref["floorspace_m2"] = floorspace.total_m2
        ref["floorspace_area_km2"] = floorspace.cover_km2
    main = nat.main()
    if main is not None and ref.get("name") in (None, main.name):
        ref.update(name=main.name, area_km2=main.area_km2, area_basis=main.basis.get("area", ""))
    return ref


#: The provenance entry of the benchmark districts.
_BENCHMARK_SOURCE = {
    "name": "benchmark districts",
    "source": "geodistrict's shipped districts and benchmark registry "
    "(geodistrict/data/districts.geojson, benchmarks.yaml)",
    "licence": "see each district's licence (CC0 / CC BY 4.0)",
    "attribution": "geodistrict benchmark registry; published figures cite their publishers",
    "vintage": None,
}


def _optional(value: Any, step: Callable[..., Any], *args: Any) -> Any:
    """``step(Path(value), *args)``, or ``None`` when ``value`` is ``None``."""
    return None if value is None else step(Path(value), *args)


def build_context(
    boundaries: Boundaries,
    *,
    options: ReportOptions | None = None,
    postcodes: PointLayer | None = None,
    universities: PointLayer | None = None,
    business_counts: str | Path | None = None,
    employment: str | Path | None = None,
    zones: Boundaries | None = None,
    vintages: Mapping[str, Boundaries] | None = None,
    floorspace: str | Path | None = None,
    floorspace_zones: Boundaries | None = None,
    benchmarks: bool = True,
    reference_zones: Boundaries | None = None,
) -> ReportContext:
    """Join the layers to the places and read the national tables, once per run.

    Parameters
    ----------
    boundaries : Boundaries
        The places.
    options : ReportOptions, optional
    postcodes : PointLayer, optional
        The activity layer of the hot spots (the ONS Postcode Directory).
    universities : PointLayer, optional
        Higher-education providers (``GROUPS`` multi-valued).
    business_counts : path, optional
        Nomis UK Business Counts by industry (enterprises by SIC section) with rows for the
        places' geography and a country row.
    employment : path, optional
        Nomis APS employment by industry (residence-based).
    zones : Boundaries, optional
        LAD polygons: the Nomis tables' LAD rows are summed onto the places made of whole
        LADs (combined authorities, LSIP areas), for places that are not a Nomis geography.
    vintages : mapping, optional
        Label → another boundary set of the same places (earlier or successor geography).
    floorspace : path, optional
        VOA business floorspace table (by local authority code).
    floorspace_zones : Boundaries, optional
        The polygons of the floorspace table's codes (LAD boundaries), needed with it.
    benchmarks : bool
        Measure the shipped districts and read the benchmark registry for comparisons.
    reference_zones : Boundaries, optional
        LAD polygons (GSS codes) giving each UK country's area for the national reference
        (:mod:`geodistrict.metrics.reference`); default ``zones`` or ``floorspace_zones``. Without
        any, densities have no national reference area and no ratio is shown.

    Returns
    -------
    ReportContext
        A frozen assembly of the steps' results.
    """
    options = options or ReportOptions()
    if floorspace is not None and floorspace_zones is None:
        raise ParameterError(
            f"--floorspace {floorspace}: pass the boundaries of its area codes too "
            "(--floorspace-zones LAD_boundaries.geojson)."
        )
    pc = join_layer(postcodes, boundaries) if postcodes is not None else None
    un = join_layer(universities, boundaries) if universities is not None else None
    lq: NomisLQ | None = _optional(business_counts, nomis_lq, boundaries, options, zones)
    emp: Employment | None = _optional(employment, nomis_employment, boundaries, options, zones)
    fs: Floorspace | None = _optional(floorspace, floorspace_by_place, floorspace_zones, boundaries)
    nat = national_references(boundaries, pc, postcodes, universities,
                              reference_zones or zones or floorspace_zones)  # fmt: skip
    vintages = dict(vintages or {})
    bench = pd.DataFrame()
    if benchmarks:
        from ._compare import measure_benchmarks

        bench = measure_benchmarks(pc.layer if pc else None, un.layer if un else None)
    sources = [{**boundaries.info.as_dict(), "name": "boundaries"}]
    sources += [step.source for step in (pc, un, lq, emp, fs) if step is not None]
    sources += [
        {**vb.info.as_dict(), "name": f"boundaries ({label})"} for label, vb in vintages.items()
    ]
    if len(bench):
        sources.append(dict(_BENCHMARK_SOURCE))
    return ReportContext(
        boundaries=boundaries,
        options=options,
        postcodes=pc.layer if pc else None,
        universities=un.layer if un else None,
        postcode_index=pc.index if pc else [],
        university_index=un.index if un else [],
        postcode_report=pc.report if pc else {},
        university_report=un.report if un else {},
        reference=_run_reference(lq, emp, fs, nat),
        lq=lq.lq if lq else None,
        indices=lq.indices if lq else None,
        lq_meta=lq.meta if lq else {},
        employment=emp.values if emp else None,
        employment_groups=emp.groups if emp else None,
        employment_meta=emp.meta if emp else {},
        floorspace=fs.table if fs else None,
        floorspace_meta=fs.meta if fs else {},
        vintages=vintages,
        benchmarks=bench,
        sources=sources,
        notes=[*(lq.notes if lq else ()), *(fs.notes if fs else ())],
        references=nat.references,
        place_country=nat.place_country,
    )
