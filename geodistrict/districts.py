r"""District cards, comparisons and proposed-vs-baseline diffs.

A *card* measures one district polygon: its area and, per layer, counts and densities inside
it, within buffers around it and in the surrounding region; the sector mix, location quotients
and knowledge-intensive share of firms; and the figures published for it in the benchmark
registry (``boundaries/benchmarks.yaml``) with their citations, plus the densities derived from
them. Every figure is an :class:`Indicator` carrying its unit, source, year and kind.

Indicator names
---------------
From a point layer ``NAME`` (``firms``, ``universities``, ``postcodes``, ``anchors`` ...):

``NAME_count``, ``NAME_per_km2``
    Points inside the district (interior: a point on the boundary is outside) and per km².
``NAME_count_800m``, ``NAME_per_km2_800m`` (one pair per buffer)
    Points within 800 m of the district, **the district included**, per km² of that buffer.
``NAME_region_count``, ``NAME_region_per_km2``, ``NAME_density_ratio``
    The same in the region (by default the district buffered by 10 km, district included) and
    the district's density divided by the region's: the Global Institute on Innovation
    Districts' rule of thumb looks for a district ≈50× denser than its region.
``NAME_count__S``, ``NAME_share__S``, ``NAME_lq__S``
    Per sector ``S`` of the layer's sector column (``sic_section`` by default): the count, the
    share of the points with a known sector, and the location quotient against the region.
``NAME_knowledge_intensive_count``, ``NAME_knowledge_intensive_share``,
``NAME_region_knowledge_intensive_share``, ``NAME_knowledge_intensive_lq``
    For layers with SIC 2007 divisions (``sic_division`` or ``sic_code``), see
    :data:`KNOWLEDGE_INTENSIVE_DIVISIONS`.

From a zone layer ``NAME`` (a ``(zones, values)`` pair, e.g. jobs per LSOA): ``NAME`` (areal
interpolation onto the district) and ``NAME_per_km2``; ``floor_area_ratio`` for
``floorspace`` (m² of floor per m² of land) and ``jobs_per_firm`` when ``jobs`` and ``firms``
both exist.

From the registry: ``published_<indicator>`` for the latest figure of each indicator
(``published_<indicator>_<year>`` for earlier ones), each with the publisher's citation; for
stocks, the derived ``..._per_km2`` (counts) or ``..._floor_area_ratio`` (m²), divided by the
published area when the registry has one, otherwise by the polygon's area (the note says
which); ``published_jobs_per_firm``. Flows (firms that arrived, jobs created over a period) are
reported but never divided by an area.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ._errors import (
    InputFileError,
    InvalidGeometryError,
    MissingDependencyError,
    ParameterError,
    SchemaError,
)
from .boundaries import Boundaries, prepare_boundaries, read_boundaries
from .crs import transform_xy
from .join import join_points
from .layers import PointLayer

__all__ = [
    "KNOWLEDGE_INTENSIVE_DIVISIONS",
    "Card",
    "DistrictDiff",
    "Indicator",
    "compare_cards",
    "compare_chart",
    "diff_districts",
    "district_card",
    "is_knowledge_intensive",
    "knowledge_intensive_share",
]

#: SIC 2007 divisions counted as knowledge-intensive: 21 (pharmaceuticals) and 26 (computer,
#: electronic and optical products), Eurostat's high-tech manufacturing; 58–63 (information and
#: communication), 64–66 (finance and insurance), 69–75 (professional, scientific and technical
#: activities) and 85 (education), the core of Eurostat's knowledge-intensive services (KIS).
#: It approximates Eurostat's KIS + high-tech manufacturing, leaving out the KIS divisions that
#: say little about innovation districts: 50–51 (water and air transport), 78 (employment
#: activities), 80 (security), 84 (public administration), 86–93 (health, social work, arts).
KNOWLEDGE_INTENSIVE_DIVISIONS: tuple[int, ...] = (
    21,
    26,
    *range(58, 64),
    *range(64, 67),
    *range(69, 76),
    85,
)

_KINDS = ("stock", "flow", "derived")
_AREA_KM2 = {"ha": 0.01, "km2": 1.0, "m2": 1e-6}


@dataclass(frozen=True)
class Indicator:
    """One figure of a district card.

    Attributes
    ----------
    name : str
        Snake-case name (see the module documentation).
    value : float or None
        ``None`` when undefined (a ratio over zero); the note says why.
    unit : str
        ``firms``, ``firms/km2``, ``ha``, ``share`` (0–1), ``ratio``, ``lq`` ...
    source : str
        ``"computed"`` (by geodistrict, from the layers and the polygon) or the registry
        citation ``"publisher, title (year)"``.
    year : int or None
        Year the figure refers to (registry figures); ``None`` for computed ones.
    kind : {"stock", "flow", "derived"}
        A count at a date, a change over a period, or a ratio derived from published stocks.
    note : str
        How it was obtained.
    """

    name: str
    value: float | None
    unit: str
    source: str
    year: int | None = None
    kind: str = "stock"
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ParameterError(
                f"indicator {self.name}: kind={self.kind!r} is not one of {_KINDS}"
            )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``value``, ``unit``, ``source``, ``year``, ``kind``, ``note``)."""
        return {
            "value": self.value,
            "unit": self.unit,
            "source": self.source,
            "year": self.year,
            "kind": self.kind,
            "note": self.note,
        }


@dataclass(frozen=True)
class Card:
    """Result of :func:`district_card`.

    Attributes
    ----------
    id, name : str
        The district's id (its slug when shipped) and name.
    area_ha, area_km2 : float or None
        Area of the polygon in the metric CRS; for a registry district without a polygon,
        the published area (``None`` when there is none).
    crs_measured : str or None
        The metric CRS of every area and distance (``None`` without a polygon).
    indicators : tuple of Indicator
        In a stable order: layers, zone values, registry figures.
    warnings : tuple of str
        Conditions worth reading (no points at all, published and drawn areas disagree ...).
    area_source : str
        ``"computed"`` or the citation of the published area.
    parameters : dict
        Buffers, region, sector columns, knowledge-intensive divisions and layer sources used.
    """

    id: str
    name: str
    area_ha: float | None
    area_km2: float | None
    crs_measured: str | None
    indicators: tuple[Indicator, ...]
    warnings: tuple[str, ...] = ()
    area_source: str = "computed"
    parameters: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def names(self) -> list[str]:
        """Indicator names in order."""
        return [i.name for i in self.indicators]

    def indicator(self, name: str) -> Indicator:
        """The indicator called ``name`` (``SchemaError`` listing the names otherwise)."""
        for ind in self.indicators:
            if ind.name == name:
                return ind
        raise SchemaError(
            f"card {self.id}: no indicator {name!r}; it has {', '.join(self.names) or 'none'}."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready card: ``area_ha``, ``area_km2`` and ``indicators`` {name: {...}}."""
        return {
            "id": self.id,
            "name": self.name,
            "area_ha": self.area_ha,
            "area_km2": self.area_km2,
            "area_source": self.area_source,
            "crs_measured": self.crs_measured,
            "indicators": {i.name: i.as_dict() for i in self.indicators},
            "warnings": list(self.warnings),
            "parameters": self.parameters,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator, after two rows for ``area_ha`` and ``area_km2``."""
        where = f"measured in {self.crs_measured}" if self.crs_measured else "published area"
        area = [
            Indicator("area_ha", self.area_ha, "ha", self.area_source, note=where),
            Indicator("area_km2", self.area_km2, "km2", self.area_source, note=where),
        ]
        rows = [{"indicator": i.name, **i.as_dict()} for i in (*area, *self.indicators)]
        frame = pd.DataFrame(rows, columns=["indicator", "value", "unit", "source", "year",
                                            "kind", "note"])  # fmt: skip
        frame["year"] = frame["year"].astype("Int64")
        frame.insert(0, "name", self.name)
        frame.insert(0, "id", self.id)
        return frame


# --------------------------------------------------------------------------------------------
# knowledge-intensive sectors


def is_knowledge_intensive(
    divisions: Sequence[Any] | pd.Series,
    *,
    knowledge_intensive: Sequence[int] = KNOWLEDGE_INTENSIVE_DIVISIONS,
) -> pd.Series:
    """Whether each SIC 2007 division is knowledge-intensive (``<NA>`` where unknown).

    Parameters
    ----------
    divisions : sequence or pandas.Series
        Two-digit divisions (``"62"``, ``62``, ``"01"``); a five-digit code counts by its first
        two digits. Missing values and numbers that are not SIC 2007 divisions (``"00"``,
        ``"34"``) give ``<NA>``.
    knowledge_intensive : sequence of int
        The divisions that count (default :data:`KNOWLEDGE_INTENSIVE_DIVISIONS`).

    Examples
    --------
    >>> is_knowledge_intensive(["62", "47", None, 21, "72190", "34", 1]).tolist()
    [True, False, <NA>, True, True, <NA>, False]
    """
    from .io.companies_house import SIC_SECTIONS

    valid = {d for _, lo, hi in SIC_SECTIONS for d in range(lo, hi + 1)}
    s = pd.Series(divisions, dtype="object") if not isinstance(divisions, pd.Series) else divisions
    text = s.astype("string").str.strip()
    text = text.mask(text.str.len() == 1, "0" + text).str.extract(r"^(\d{2})", expand=False)
    code = pd.to_numeric(text, errors="coerce")
    code = code.where(code.isin(list(valid)))
    flags = code.isin(list(knowledge_intensive)).astype("boolean")
    return flags.mask(code.isna(), pd.NA)


def knowledge_intensive_share(
    divisions: Sequence[Any] | pd.Series,
    *,
    knowledge_intensive: Sequence[int] = KNOWLEDGE_INTENSIVE_DIVISIONS,
) -> float | None:
    """Share of the records with a known division that are knowledge-intensive.

    Returns ``None`` when no record has a known division.

    Examples
    --------
    >>> knowledge_intensive_share(["62", "62", "47", None, "85"])
    0.75
    >>> knowledge_intensive_share([None]) is None
    True
    """
    flags = is_knowledge_intensive(divisions, knowledge_intensive=knowledge_intensive)
    known = flags.dropna()
    return float(known.mean()) if len(known) else None


# --------------------------------------------------------------------------------------------
# helpers


def _ratio(num: float, den: float) -> float | None:
    """Return num / den, or None when den is 0 or either is not finite."""
    if den is None or num is None or not (math.isfinite(num) and math.isfinite(den)) or den == 0:
        return None
    return float(num) / float(den)


def _safe(cat: object) -> str:
    return re.sub(r"\s+", "_", str(cat).strip()) or "missing"


def _num(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.4g}"


def _ranges(values: Sequence[int]) -> str:
    """``[21, 26, 58, 59, 60]`` → ``"21, 26, 58–60"``."""
    vals = sorted(set(int(v) for v in values))
    runs: list[list[int]] = []
    for v in vals:
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)


def _tag(metres: float) -> str:
    return f"{metres:g}m"


def _citation(row: Mapping[str, Any]) -> str:
    parts = [str(row[k]) for k in ("publisher", "title") if pd.notna(row.get(k))]
    text = ", ".join(parts) or "benchmark registry"
    yr = row.get("source_year")
    return f"{text} ({int(yr)})" if pd.notna(yr) else text


def _single(b: Boundaries, what: str) -> tuple[Any, CRS]:
    if len(b) != 1:
        raise ParameterError(
            f"{what}: {b.info.source} holds {len(b)} polygons ({', '.join(map(str, b.ids[:5]))}"
            f"{' ...' if len(b) > 5 else ''}); a district is one polygon: select one feature "
            "(e.g. district_boundaries(['SLUG'])) or dissolve them first."
        )
    poly = b.metric[0]
    if shapely.area(poly) <= 0:
        raise InvalidGeometryError(f"{what}: {b.info.source} has no area; draw a polygon.")
    return poly, b.metric_crs


def _resolve(district: Boundaries | str | Path, what: str) -> tuple[Boundaries | None, str]:
    """(polygon or None for a registry-only slug, the id used to look up the registry)."""
    from .registry import district_boundaries, district_slugs, load_registry

    if isinstance(district, Boundaries):
        b = district
    else:
        s = str(district)
        shipped = district_slugs()
        if s in shipped:
            b = district_boundaries([s])
        elif Path(s).exists():
            b = read_boundaries(s)
        else:
            published = list(dict.fromkeys(load_registry()["slug"]))
            if s in published:
                return None, s
            raise InputFileError(
                f"{s}: neither a shipped district ({', '.join(shipped)}), a district of the "
                f"benchmark registry ({', '.join(published)}) nor an existing file; give one of "
                "those slugs or the path of a polygon file."
            )
    _single(b, what)
    return b, str(b.ids[0])


def _rings(polys: list[Any], labels: list[str], crs: CRS) -> Boundaries:
    gdf = gpd.GeoDataFrame({"id": labels}, geometry=polys, crs=crs)
    return prepare_boundaries(gdf, metric_crs=crs, source="district and its surroundings")


def _region_polygon(region: Any, poly: Any, crs: CRS, region_buffer_m: float) -> tuple[Any, str]:
    if region is None:
        return shapely.buffer(poly, region_buffer_m, quad_segs=64), (
            f"the district buffered by {region_buffer_m:g} m"
        )
    if isinstance(region, Boundaries):
        geoms = np.asarray(region.data.geometry.to_crs(crs).array, dtype=object)
        return shapely.union_all(shapely.make_valid(geoms)), f"{region.info.source} (union)"
    if isinstance(region, PointLayer):
        if len(region) == 0:
            raise ParameterError(f"region {region.info.source}: the points layer is empty.")
        x, y = transform_xy(region.x, region.y, region.crs, crs)
        return shapely.box(x.min(), y.min(), x.max(), y.max()), (
            f"the bounding box of {region.info.source}"
        )
    raise ParameterError(
        f"region is a {type(region).__name__}; pass Boundaries (a polygon), a PointLayer (its "
        "extent) or None (the district buffered by 10 km)."
    )


def _sector_column(by_sector: str | Mapping[str, str] | None, name: str, layer: PointLayer):
    if by_sector is None:
        return None
    if isinstance(by_sector, str):
        return by_sector if by_sector in layer.attributes.columns else None
    col = by_sector.get(name)
    if col is not None and col not in layer.attributes.columns:
        shown = ", ".join(str(c) for c in layer.attributes.columns if c != "row")
        raise SchemaError(
            f"{layer.info.source}: no column {col!r} in layer {name!r} for the sector mix; "
            f"columns are {shown}."
        )
    return col


def _divisions(layer: PointLayer) -> pd.Series | None:
    attrs = layer.attributes
    if "sic_division" in attrs.columns:
        return attrs["sic_division"]
    if "sic_code" in attrs.columns:
        return attrs["sic_code"].astype("string").str[:2]
    return None


# --------------------------------------------------------------------------------------------
# the card


def _point_indicators(
    name: str,
    layer: PointLayer,
    rings: Boundaries,
    buffers_m: Sequence[float],
    region_label: str,
    sector_col: str | None,
    knowledge_intensive: Sequence[int],
) -> tuple[list[Indicator], list[str]]:
    j = join_points(layer, rings)
    counts = j.counts()
    areas = rings.area_km2
    out: list[Indicator] = []

    def add(nm: str, v: float | None, unit: str, note: str) -> None:
        out.append(Indicator(nm, v, unit, "computed", None, "stock", note))

    n0, nr = int(counts[0]), int(counts[-1])
    d0, dr = float(n0 / areas[0]), float(nr / areas[-1])
    add(f"{name}_count", n0, name, "inside the district (a point on its boundary is outside)")
    add(f"{name}_per_km2", d0, f"{name}/km2", f"{name}_count / {areas[0]:.4f} km²")
    for k, b in enumerate(buffers_m, start=1):
        note = f"within {b:g} m of the district, the district included ({areas[k]:.4f} km²)"
        add(f"{name}_count_{_tag(b)}", int(counts[k]), name, note)
        add(f"{name}_per_km2_{_tag(b)}", float(counts[k] / areas[k]), f"{name}/km2", note)
    add(f"{name}_region_count", nr, name, f"in {region_label} ({areas[-1]:.2f} km²)")
    add(f"{name}_region_per_km2", dr, f"{name}/km2", f"in {region_label}")
    ratio = _ratio(d0, dr)
    add(
        f"{name}_density_ratio",
        ratio,
        "ratio",
        f"district density ÷ density in {region_label}; the Global Institute on Innovation "
        "Districts looks for ≈50×"
        if ratio is not None
        else f"undefined: no {name} in {region_label}",
    )
    warnings: list[str] = []
    if counts.sum() == 0:
        warnings.append(
            f"{name}: no points in the district, within {max(buffers_m, default=0):g} m of it or "
            f"in {region_label}: counts and densities are 0 and ratios undefined; check that the "
            "polygon lies where the layer does (its CRS, the coastline)."
        )
    if sector_col is not None:
        out += _sector_indicators(name, j.counts_by(sector_col), sector_col)
    divisions = _divisions(j.layer)
    if divisions is not None:
        out += _ki_indicators(name, j, divisions, knowledge_intensive, region_label)
    return out, warnings


def _sector_indicators(name: str, table: pd.DataFrame, col: str) -> list[Indicator]:
    from .metrics.specialisation import location_quotients

    cats = [c for c in table.columns if c != "missing"]
    d = table.iloc[0].reindex(cats).astype(float) if cats else pd.Series(dtype=float)
    r = table.iloc[-1].reindex(cats).astype(float) if cats else pd.Series(dtype=float)
    missing = int(table.iloc[0].get("missing", 0)) if len(table.columns) else 0
    lq = pd.Series(np.nan, index=cats, dtype=float)
    if cats and d.sum() > 0 and r.sum() > 0:
        long = pd.DataFrame({"area": "district", "sector": cats, "count": d.to_numpy()})
        with np.errstate(divide="ignore", invalid="ignore"):
            res = location_quotients(long, reference=pd.Series(r.to_numpy(), index=cats))
        lq = pd.Series(res["lq"].to_numpy(), index=cats)
    note_share = f"share of the district's {name} with a known {col}" + (
        f" ({missing} without one left out)" if missing else ""
    )
    out = []
    for c in cats:
        s = _safe(c)
        out.append(Indicator(f"{name}_count__{s}", int(d[c]), name, "computed",
                             note=f"{col} = {c}, inside the district"))  # fmt: skip
        share = _ratio(d[c], d.sum())
        why = note_share if share is not None else f"undefined: no {name}"
        out.append(Indicator(f"{name}_share__{s}", share, "share", "computed", note=why))
        v = lq[c]
        ok = bool(np.isfinite(v))
        out.append(Indicator(f"{name}_lq__{s}", float(v) if ok else None, "lq", "computed",
                             note="location quotient against the region" if ok
                             else "undefined: the district or the region has none"))  # fmt: skip
    return out


def _ki_indicators(
    name: str, j: Any, divisions: pd.Series, ki: Sequence[int], region_label: str
) -> list[Indicator]:
    a = j.assignment
    last = len(j.boundaries) - 1
    flags = is_knowledge_intensive(divisions, knowledge_intensive=ki)
    fd = flags.iloc[a.point[a.polygon == 0]].dropna()
    fr = flags.iloc[a.point[a.polygon == last]].dropna()
    sd = float(fd.mean()) if len(fd) else None
    sr = float(fr.mean()) if len(fr) else None
    defn = "SIC 2007 divisions " + _ranges(ki)
    return [
        Indicator(f"{name}_knowledge_intensive_count", int(fd.sum()), name, "computed",
                  note=f"inside the district; {defn}"),
        Indicator(f"{name}_knowledge_intensive_share", sd, "share", "computed",
                  note=f"of {len(fd)} with a known division; {defn}" if sd is not None
                  else "undefined: no record with a known division in the district"),
        Indicator(f"{name}_region_knowledge_intensive_share", sr, "share", "computed",
                  note=f"of {len(fr)} in {region_label}" if sr is not None
                  else f"undefined: no record with a known division in {region_label}"),
        Indicator(f"{name}_knowledge_intensive_lq", _ratio(sd, sr) if sd is not None else None,
                  "lq", "computed", note="district share ÷ regional share"),
    ]  # fmt: skip


def _zone_indicators(name: str, zones: Boundaries, values: pd.Series, b: Boundaries, area: float):
    from .interpolate import interpolate

    r = interpolate(zones, pd.Series(values, name=name), b)
    v = float(r.table[name].iloc[0])
    cov = float(r.table[f"{name}_coverage"].iloc[0])
    if not math.isfinite(v):
        v, note = 0.0, f"no zone of {zones.info.source} with a value reaches the district"
    else:
        note = f"areal interpolation from {zones.info.source} (coverage {cov:.0%})"
    unit = "m2" if name.startswith("floorspace") else name
    out = [
        Indicator(name, v, unit, "computed", note=note),
        Indicator(f"{name}_per_km2", v / area, f"{unit}/km2", "computed", note=note),
    ]
    if name == "floorspace":
        out.append(Indicator("floor_area_ratio", v / (area * 1e6), "m2/m2", "computed",
                             note="floorspace m² ÷ district land m²"))  # fmt: skip
    return out


def _registry_indicators(
    slug: str, polygon_km2: float | None, crs: str | None
) -> tuple[list[Indicator], list[str], float | None, str | None]:
    """Published figures, derived densities, warnings, published area (km²) and its source."""
    from .registry import registry_figures

    figs = registry_figures(slug)
    if figs.empty:
        return [], [], None, None
    figs = figs.assign(_y=pd.to_numeric(figs["year"], errors="coerce").fillna(-1))
    figs = figs.sort_values(["indicator", "_y"], ascending=[True, False], kind="stable")
    areas = figs[(figs["indicator"] == "area") & figs["unit"].isin(list(_AREA_KM2))]
    pub_km2 = pub_src = None
    if len(areas):
        top = areas.iloc[0]
        pub_km2 = float(top["value"]) * _AREA_KM2[str(top["unit"])]
        pub_src = _citation(top)
    if pub_km2 is not None:
        den, how = pub_km2, f"the published area {pub_km2 * 100:,.2f} ha ({pub_src})"
    elif polygon_km2 is not None:
        den, how = polygon_km2, f"the polygon's area {polygon_km2 * 100:,.2f} ha measured in {crs}"
    else:
        den, how = None, ""
    out: list[Indicator] = []
    seen: set[str] = set()
    latest: dict[tuple[str, int], tuple[float, str]] = {}
    for _, row in figs.iterrows():
        ind, unit, kind = str(row["indicator"]), str(row["unit"]), str(row["kind"])
        year = int(row["_y"]) if row["_y"] >= 0 else None
        base = f"published_{ind}" if f"published_{ind}" not in seen else f"published_{ind}_{year}"
        while base in seen:
            base += "_"
        seen.add(base)
        src, value = _citation(row), float(row["value"])
        note = "; ".join(
            str(x) for x in (row["note"], f"boundary: {row['boundary']}") if pd.notna(x) and x
        )
        if kind == "flow":
            note = (note + "; " if note else "") + "a flow over a period: never divided by area"
        out.append(Indicator(base, value, unit, src, year, "flow" if kind == "flow" else "stock",
                             note))  # fmt: skip
        if kind != "stock" or ind == "area" or unit in ("ha", "km2"):
            continue
        latest.setdefault((ind, year or 0), (value, src))
        if unit == "m2":
            dname, dunit = f"{base}_floor_area_ratio", "m2/m2"
            dval = _ratio(value, den * 1e6) if den else None
        else:
            dname, dunit = f"{base}_per_km2", f"{unit}/km2"
            dval = _ratio(value, den) if den else None
        dnote = (
            f"{_num(value)} {unit} ({year}) ÷ {how}"
            if den
            else "undefined: the registry states no area and there is no polygon"
        )
        out.append(Indicator(dname, dval, dunit, src, year, "derived", dnote))
    common = sorted({y for i, y in latest if i == "firms"} & {y for i, y in latest if i == "jobs"})
    if common:
        y = common[-1]
        (jobs, jsrc), (firms, fsrc) = latest[("jobs", y)], latest[("firms", y)]
        out.append(Indicator("published_jobs_per_firm", _ratio(jobs, firms), "jobs/firm",
                             jsrc if jsrc == fsrc else f"{jsrc}; {fsrc}", y or None, "derived",
                             f"published jobs ÷ published firms ({y})"))  # fmt: skip
    warnings = []
    if pub_km2 is not None and polygon_km2 is not None:
        gap = polygon_km2 / pub_km2 - 1
        if abs(gap) > 0.10:
            warnings.append(
                f"{slug}: the polygon measures {polygon_km2 * 100:,.1f} ha but {pub_src} states "
                f"{pub_km2 * 100:,.1f} ha ({gap:+.0%}); published figures are divided by the "
                "published area, computed ones by the polygon's."
            )
    return out, warnings, pub_km2, pub_src


def _named_layers(layers: Any) -> dict[str, Any]:
    if isinstance(layers, Mapping):
        return dict(layers)
    out: dict[str, Any] = {}
    for lay in layers:
        if not isinstance(lay, PointLayer):
            raise ParameterError(
                "layers given as a sequence must be PointLayers; name zone values in a mapping: "
                "layers={'jobs': (zones, values)}."
            )
        if lay.name in out:
            raise SchemaError(f"point layers share the name {lay.name!r}; give each its own name.")
        out[lay.name] = lay
    return out


def district_card(
    district: Boundaries | str | Path,
    *,
    layers: Sequence[PointLayer] | Mapping[str, Any] = (),
    buffers_m: Sequence[float] = (800, 1600),
    region: Boundaries | PointLayer | None = None,
    region_buffer_m: float = 10_000.0,
    by_sector: str | Mapping[str, str] | None = "sic_section",
    knowledge_intensive: Sequence[int] = KNOWLEDGE_INTENSIVE_DIVISIONS,
    registry: bool = True,
) -> Card:
    """Measure one district: area, layers in and around it, sectors, published figures.

    Parameters
    ----------
    district : Boundaries, str or Path
        One polygon (:class:`Boundaries` with one feature), a slug (a shipped district, or a
        district of the benchmark registry without a polygon) or a polygon file.
    layers : sequence of PointLayer, or mapping of name to PointLayer or (Boundaries, Series)
        Point layers (``firms``, ``universities``, ``postcodes``, ``anchors`` ...) are counted;
        ``(zones, values)`` pairs (``jobs``, ``floorspace``) are interpolated by area.
    buffers_m : sequence of float
        Distances in metres (in the metric CRS) around the district for the buffer counts,
        which include the district itself.
    region : Boundaries, PointLayer or None
        The surroundings for location quotients and the density ratio: a polygon (the union of
        its features), a points layer (its bounding box), or by default the district buffered
        by ``region_buffer_m``. The region includes the district.
    region_buffer_m : float
        Buffer of the default region.
    by_sector : str, mapping or None
        Sector column for the sector mix: a column name used by every layer that has it, or
        ``{layer: column}``; ``None`` skips the mix.
    knowledge_intensive : sequence of int
        SIC 2007 divisions counted as knowledge-intensive.
    registry : bool
        Add the figures published for the district's slug in the benchmark registry.

    Returns
    -------
    Card

    Raises
    ------
    InputFileError
        For an unknown slug or a missing file.
    ParameterError
        For several polygons, bad buffers, or layers without a polygon to count them in.

    Examples
    --------
    >>> import geopandas as gpd, shapely, numpy as np, pandas as pd
    >>> from geodistrict import prepare_boundaries, PointLayer, LayerInfo
    >>> sq = prepare_boundaries(gpd.GeoDataFrame({"id": ["sq"]},
    ...     geometry=[shapely.box(530000, 180000, 531000, 181000)], crs=27700))
    >>> pts = PointLayer(x=np.array([530500., 530500, 530500]),
    ...     y=np.array([180500., 181400, 190000]), crs=sq.metric_crs,
    ...     attributes=pd.DataFrame({"row": range(3)}), info=LayerInfo(name="firms", source="ex"))
    >>> card = district_card(sq, layers=[pts], registry=False)
    >>> card.area_ha, card.indicator("firms_count").value, card.indicator("firms_count_800m").value
    (100.0, 1, 2)
    """
    buffers = [float(b) for b in buffers_m]
    if any(not math.isfinite(b) or b <= 0 for b in buffers) or region_buffer_m <= 0:
        raise ParameterError(
            f"buffers_m={list(buffers_m)} / region_buffer_m={region_buffer_m}: distances must "
            "be positive metres, e.g. buffers_m=(800, 1600)."
        )
    named = _named_layers(layers)
    b, slug = _resolve(district, "district_card")
    params: dict[str, Any] = {
        "buffers_m": buffers,
        "by_sector": by_sector if isinstance(by_sector, str | None) else dict(by_sector),
        "knowledge_intensive_divisions": list(knowledge_intensive),
        "registry": registry,
        "layers": {},
    }
    indicators: list[Indicator] = []
    warnings: list[str] = []
    if b is None:
        if named:
            raise ParameterError(
                f"{slug} has published figures but no shipped polygon to count layers in; pass "
                "a polygon file of the district instead of the slug."
            )
        reg, w, pub_km2, pub_src = _registry_indicators(slug, None, None)
        warnings.append(f"{slug}: no shipped polygon; the card holds the published figures only.")
        return Card(
            id=slug,
            name=slug,
            area_ha=pub_km2 * 100 if pub_km2 is not None else None,
            area_km2=pub_km2,
            crs_measured=None,
            indicators=tuple(reg),
            warnings=tuple(warnings + w),
            area_source=pub_src or "unknown",
            parameters=params,
        )
    poly, crs = _single(b, "district_card")
    area_km2 = float(shapely.area(poly)) / 1e6
    crs_text = crs.to_string()
    reg_poly, region_label = _region_polygon(region, poly, crs, region_buffer_m)
    params["region"] = region_label
    rings = _rings(
        [poly, *(shapely.buffer(poly, d, quad_segs=64) for d in buffers), reg_poly],
        ["district", *(_tag(d) for d in buffers), "region"],
        crs,
    )
    for name, lay in named.items():
        if isinstance(lay, PointLayer):
            params["layers"][name] = lay.info.source
            col = _sector_column(by_sector, name, lay)
            got, w = _point_indicators(name, lay, rings, buffers, region_label, col,
                                       knowledge_intensive)  # fmt: skip
        elif isinstance(lay, tuple) and len(lay) == 2 and isinstance(lay[0], Boundaries):
            params["layers"][name] = lay[0].info.source
            got, w = _zone_indicators(name, lay[0], lay[1], b, area_km2), []
        else:
            raise ParameterError(
                f"layer {name!r} is a {type(lay).__name__}; pass a PointLayer or a "
                "(zones Boundaries, values Series) pair."
            )
        indicators += got
        warnings += w
    have = {i.name: i for i in indicators}
    if "jobs" in have and "firms_count" in have:
        n = have["firms_count"].value
        indicators.append(Indicator("jobs_per_firm", _ratio(have["jobs"].value, n), "jobs/firm",
                                    "computed", note="jobs ÷ firms_count" if n
                                    else "undefined: no firms in the district"))  # fmt: skip
    if registry:
        reg, w, _, _ = _registry_indicators(slug, area_km2, crs_text)
        indicators += reg
        warnings += w
    return Card(
        id=slug,
        name=str(b.names[0]),
        area_ha=area_km2 * 100,
        area_km2=area_km2,
        crs_measured=crs_text,
        indicators=tuple(indicators),
        warnings=tuple(warnings),
        parameters=params,
    )


# --------------------------------------------------------------------------------------------
# compare


_NOT_COUNT_UNITS = {"ha", "km2", "m2", "share", "ratio", "lq"}


def _is_count(ind: Indicator) -> bool:
    return ind.kind == "stock" and "/" not in ind.unit and ind.unit not in _NOT_COUNT_UNITS


def _density_name(name: str) -> str:
    return name.replace("_count", "_per_km2", 1) if "_count" in name else f"{name}_per_km2"


def compare_cards(cards: Sequence[Card], *, baseline: Card | str | None = None) -> pd.DataFrame:
    """One row per district: areas, every indicator, densities per km² and ha, ranks, ratios.

    Parameters
    ----------
    cards : sequence of Card
        From :func:`district_card`.
    baseline : Card or str, optional
        The card (or its id) the others are compared with.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``area_km2``, ``area_ha``, then every indicator's value (NaN where a
        district lacks it), with a ``..._per_km2`` column for each count that has none on its
        card (the count ÷ the district's area) and a ``..._per_ha`` twin of every density;
        ``<density>_rank`` (1 = densest) for each ``..._per_km2`` column of the districts
        themselves (not ``..._region_per_km2``); with a baseline,
        ``<density>_vs_baseline`` (district ÷ baseline) and ``area_km2_vs_baseline``.
        ``attrs["sources"]`` maps each column to its sources, ``attrs["units"]`` to its unit.
    """
    if not cards:
        raise ParameterError("compare_cards needs at least one card.")
    rows, sources, units = [], {}, {}
    for c in cards:
        row: dict[str, Any] = {"id": c.id, "name": c.name, "area_km2": c.area_km2,
                               "area_ha": c.area_ha}  # fmt: skip
        have = {i.name for i in c.indicators}
        # registry densities are divided by the published area when there is one: cite it too
        area_src = next((i.source for i in c.indicators if i.name == "published_area"), None)
        for i in c.indicators:
            row[i.name] = np.nan if i.value is None else float(i.value)
            sources.setdefault(i.name, []).append(i.source)
            if i.kind == "derived" and area_src and i.name != "published_jobs_per_firm":
                sources[i.name].append(area_src)
            units[i.name] = i.unit
            dn = _density_name(i.name)
            if _is_count(i) and dn not in have:
                row[dn] = np.nan if i.value is None or not c.area_km2 else i.value / c.area_km2
                sources.setdefault(dn, []).append(i.source)
                units[dn] = f"{i.unit}/km2"
        rows.append(row)
    table = pd.DataFrame(rows)
    cols = list(table.columns)
    for col in [c for c in cols if "_per_km2" in c]:
        twin = col.replace("_per_km2", "_per_ha")
        table.insert(table.columns.get_loc(col) + 1, twin, table[col] / 100.0)
        sources[twin] = sources.get(col, [])
        units[twin] = units.get(col, "").replace("/km2", "/ha")
    dens = [c for c in table.columns if c.endswith("_per_km2") and "_region_" not in c]
    extra: dict[str, Any] = {}
    for col in dens:
        extra[f"{col}_rank"] = table[col].rank(ascending=False, method="min").astype("Int64")
    base_id = None
    if baseline is not None:
        base_id = baseline.id if isinstance(baseline, Card) else str(baseline)
        hit = np.flatnonzero(table["id"].astype(str).to_numpy() == base_id)
        if len(hit) != 1:
            raise ParameterError(
                f"baseline {base_id!r} is {'ambiguous' if len(hit) else 'not among'} the cards "
                f"({', '.join(map(str, table['id']))}); pass one of their ids."
            )
        ref = table.iloc[hit[0]]
        for col in ["area_km2", *dens]:
            den = ref[col]
            ok = pd.notna(den) and den != 0
            extra[f"{col}_vs_baseline"] = table[col] / den if ok else np.nan
    table = pd.concat([table, pd.DataFrame(extra, index=table.index)], axis=1)
    table.attrs["sources"] = {k: list(dict.fromkeys(v)) for k, v in sources.items()}
    table.attrs["units"] = units
    table.attrs["baseline"] = base_id
    return table


def _default_chart_columns(table: pd.DataFrame) -> list[str]:
    return [
        c
        for c in table.columns
        if c.endswith("_per_km2")
        and "_region_" not in c
        and not re.search(r"_\d{4}_per_km2$", c)
        and table[c].notna().any()
    ]


def compare_chart(
    table: pd.DataFrame, path: str | Path, *, indicators: Sequence[str] | None = None
) -> Path:
    """Bar charts of densities per km² (one panel per indicator) with a footer of sources.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`compare_cards`.
    path : str or Path
        ``.png`` or ``.svg`` (``.pdf`` also works).
    indicators : sequence of str, optional
        Columns to plot (default: every ``..._per_km2`` column with a value, except regional
        and earlier-year ones).

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ParameterError(f"{path}: the chart must be .png or .svg; change the file name.")
    cols = list(indicators) if indicators is not None else _default_chart_columns(table)
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise SchemaError(f"compare_chart: no column(s) {missing} in the table; choose from "
                          f"{', '.join(_default_chart_columns(table)) or 'none'}.")  # fmt: skip
    if not cols:
        raise ParameterError(
            "compare_chart: the table has no density to plot; give the cards point layers or "
            "registry figures, or name columns with indicators=[...]."
        )
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "compare_chart needs matplotlib: pip install 'geodistrict[maps]'."
        ) from exc
    import textwrap

    n = len(cols)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    labels = [str(x) for x in table["name"].fillna(table["id"])]
    fig = Figure(figsize=(4.2 * ncols, 0.45 * len(labels) * nrows + 1.6 * nrows + 1.2))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    units = table.attrs.get("units", {})
    for ax, col in zip(axes, cols, strict=False):
        vals = table[col].to_numpy(dtype=float)
        ax.barh(range(len(labels)), np.nan_to_num(vals), color="#3b6ea8")
        ax.set_yticks(range(len(labels)), labels=labels, fontsize=8)
        ax.invert_yaxis()
        ax.margins(x=0.18)
        ax.set_title(col.replace("_per_km2", " per km²").replace("_", " "), fontsize=9)
        ax.set_xlabel(units.get(col, "per km2").replace("km2", "km²"), fontsize=8)
        for k, v in enumerate(vals):
            ax.text(v if np.isfinite(v) else 0, k, f" {v:,.0f}" if np.isfinite(v) else " n/a",
                    va="center", fontsize=7)  # fmt: skip
    for ax in axes[n:]:
        ax.set_visible(False)
    srcs = table.attrs.get("sources", {})
    cited = list(dict.fromkeys(s for c in cols for s in srcs.get(c, [])))
    text = "; ".join(
        "computed by geodistrict from the layers and polygons" if s == "computed" else s
        for s in cited
    )
    footer = textwrap.fill("Sources: " + (text or "not recorded"), width=60 * ncols)
    fig.text(0.01, 0.005, footer, fontsize=7, va="bottom", ha="left")
    lines = footer.count("\n") + 1
    fig.tight_layout(rect=(0, min(0.4, 0.03 * lines + 0.02), 1, 1))
    fig.savefig(path, dpi=150)
    return path


# --------------------------------------------------------------------------------------------
# diff


@dataclass(frozen=True)
class DistrictDiff:
    r"""Result of :func:`diff_districts`.

    Attributes
    ----------
    proposed, baseline : dict
        ``id``, ``name``, ``area_ha`` of each polygon.
    crs_measured : str
        Metric CRS of the areas (the proposed polygon's).
    area_added_ha, area_removed_ha, area_common_ha : float
        Areas of proposed \ baseline, baseline \ proposed and their intersection.
    layers : pandas.DataFrame
        Indexed by layer: ``baseline_count``, ``proposed_count``, ``added_count`` (points in
        proposed \ baseline), ``removed_count``, ``common_count``, ``baseline_per_km2``,
        ``proposed_per_km2``, ``density_change_pct`` (NaN when the baseline has none).
    sectors : pandas.DataFrame
        ``layer``, ``sector``, ``baseline_count``, ``proposed_count``, ``change``,
        ``added_count``, ``removed_count`` for layers with a sector column.
    warnings : tuple of str
    parameters : dict
    """

    proposed: dict[str, Any]
    baseline: dict[str, Any]
    crs_measured: str
    area_added_ha: float
    area_removed_ha: float
    area_common_ha: float
    layers: pd.DataFrame = field(compare=False)
    sectors: pd.DataFrame = field(compare=False)
    warnings: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def area_change_ha(self) -> float:
        """Proposed minus baseline area."""
        return self.area_added_ha - self.area_removed_ha

    def gaining_sectors(self) -> pd.DataFrame:
        """Sectors whose count grows, largest gain first."""
        s = self.sectors
        return s[s["change"] > 0].sort_values(["change", "sector"], ascending=[False, True])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN written as null)."""

        def clean(v: Any) -> Any:
            if isinstance(v, float | np.floating):
                return float(v) if math.isfinite(v) else None
            if isinstance(v, np.integer):
                return int(v)
            return v

        base = self.baseline["area_ha"]
        return {
            "proposed": self.proposed,
            "baseline": self.baseline,
            "crs_measured": self.crs_measured,
            "area_added_ha": self.area_added_ha,
            "area_removed_ha": self.area_removed_ha,
            "area_common_ha": self.area_common_ha,
            "area_change_ha": self.area_change_ha,
            "area_change_pct": clean(100 * self.area_change_ha / base) if base else None,
            "layers": {
                str(k): {c: clean(v) for c, v in r.items()}
                for k, r in self.layers.to_dict("index").items()
            },
            "gaining_sectors": [
                {c: clean(v) for c, v in r.items()}
                for r in self.gaining_sectors().to_dict("records")
            ],
            "sectors": [
                {c: clean(v) for c, v in r.items()} for r in self.sectors.to_dict("records")
            ],
            "warnings": list(self.warnings),
            "parameters": self.parameters,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per measure (area, each layer's count and density, each sector's count).

        Columns ``measure``, ``unit``, ``baseline``, ``proposed``, ``added``, ``removed``,
        ``change``, ``change_pct``.
        """
        b, p = self.baseline["area_ha"], self.proposed["area_ha"]
        rows = [("area_ha", "ha", b, p, self.area_added_ha, self.area_removed_ha)]
        for name, r in self.layers.iterrows():
            rows.append((f"{name}_count", str(name), r["baseline_count"], r["proposed_count"],
                         r["added_count"], r["removed_count"]))  # fmt: skip
            rows.append((f"{name}_per_km2", f"{name}/km2", r["baseline_per_km2"],
                         r["proposed_per_km2"], np.nan, np.nan))  # fmt: skip
        for r in self.sectors.itertuples():
            rows.append((f"{r.layer}_count__{_safe(r.sector)}", str(r.layer), r.baseline_count,
                         r.proposed_count, r.added_count, r.removed_count))  # fmt: skip
        f = pd.DataFrame(rows, columns=["measure", "unit", "baseline", "proposed", "added",
                                        "removed"])  # fmt: skip
        f["change"] = f["proposed"].astype(float) - f["baseline"].astype(float)
        base = f["baseline"].astype(float)
        f["change_pct"] = np.where(base != 0, 100 * f["change"] / base.where(base != 0), np.nan)
        return f


def diff_districts(
    proposed: Boundaries | str | Path,
    baseline: Boundaries | str | Path,
    *,
    layers: Sequence[PointLayer] | Mapping[str, PointLayer] = (),
    by_sector: str | Mapping[str, str] | None = "sic_section",
) -> DistrictDiff:
    """What a proposed boundary adds to and removes from a baseline one.

    Parameters
    ----------
    proposed, baseline : Boundaries, str or Path
        One polygon each (as for :func:`district_card`; a registry-only slug has no polygon
        and is refused).
    layers : sequence or mapping of PointLayer
        Point layers to count in each polygon and in the differences.
    by_sector : str, mapping or None
        Sector column (as for :func:`district_card`) for the sectors that gain.

    Returns
    -------
    DistrictDiff
        Areas are exact geometric differences measured in the proposed polygon's metric CRS.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from geodistrict import prepare_boundaries
    >>> one = lambda g: prepare_boundaries(gpd.GeoDataFrame({"id": ["d"]}, geometry=[g],
    ...     crs=27700))
    >>> d = diff_districts(one(shapely.box(530000, 180000, 532000, 181000)),
    ...                    one(shapely.box(530000, 180000, 531000, 181000)))
    >>> d.area_added_ha, d.area_removed_ha, d.area_common_ha
    (100.0, 0.0, 100.0)
    """
    named = _named_layers(layers)
    geoms, info = [], []
    crs: CRS | None = None
    for what, spec in (("proposed", proposed), ("baseline", baseline)):
        b, _ = _resolve(spec, f"diff_districts {what}")
        if b is None:
            raise ParameterError(
                f"diff_districts {what}: {spec} has published figures but no polygon; pass a "
                "polygon file."
            )
        if crs is None:
            crs = b.metric_crs
        if b.metric_crs.equals(crs):
            poly = b.metric[0]
        else:
            poly = shapely.make_valid(b.data.geometry.to_crs(crs).iloc[0])
        geoms.append(poly)
        info.append({"id": str(b.ids[0]), "name": str(b.names[0]),
                     "area_ha": float(shapely.area(poly)) / 1e4})  # fmt: skip
    assert crs is not None
    p, q = geoms
    added = float(shapely.area(shapely.difference(p, q))) / 1e4
    removed = float(shapely.area(shapely.difference(q, p))) / 1e4
    common = float(shapely.area(shapely.intersection(p, q))) / 1e4
    warnings = []
    if common == 0:
        warnings.append("the proposed and baseline polygons share no area; check both.")
    rings = _rings([p, q], ["proposed", "baseline"], crs)
    area_km2 = rings.area_km2
    rows, sector_rows = {}, []
    for name, lay in named.items():
        if not isinstance(lay, PointLayer):
            raise ParameterError(f"layer {name!r}: diff_districts counts PointLayers only.")
        j = join_points(lay, rings)
        a = j.assignment
        inp = np.zeros(len(j.layer), dtype=bool)
        inb = np.zeros(len(j.layer), dtype=bool)
        inp[a.point[a.polygon == 0]] = True
        inb[a.point[a.polygon == 1]] = True
        dp, db = inp.sum() / area_km2[0], inb.sum() / area_km2[1]
        rows[name] = {
            "baseline_count": int(inb.sum()),
            "proposed_count": int(inp.sum()),
            "added_count": int((inp & ~inb).sum()),
            "removed_count": int((inb & ~inp).sum()),
            "common_count": int((inp & inb).sum()),
            "baseline_per_km2": db,
            "proposed_per_km2": dp,
            "density_change_pct": 100 * (dp - db) / db if db > 0 else np.nan,
        }
        if inp.sum() + inb.sum() == 0:
            warnings.append(f"{name}: no points in either polygon.")
        col = _sector_column(by_sector, name, lay)
        if col is not None:
            cat = j.layer.attributes[col].astype("string").str.strip().fillna("missing")
            cat = cat.mask(cat == "", "missing").to_numpy(dtype=object)
            frame = pd.DataFrame({
                "baseline_count": pd.Series(cat[inb]).value_counts(),
                "proposed_count": pd.Series(cat[inp]).value_counts(),
                "added_count": pd.Series(cat[inp & ~inb]).value_counts(),
                "removed_count": pd.Series(cat[inb & ~inp]).value_counts(),
            }).fillna(0).astype(int)  # fmt: skip
            frame["change"] = frame["proposed_count"] - frame["baseline_count"]
            frame = frame.rename_axis("sector").reset_index().sort_values("sector")
            frame.insert(0, "layer", name)
            sector_rows.append(frame)
    cols = ["baseline_count", "proposed_count", "added_count", "removed_count", "common_count",
            "baseline_per_km2", "proposed_per_km2", "density_change_pct"]  # fmt: skip
    scols = ["layer", "sector", "baseline_count", "proposed_count", "added_count",
             "removed_count", "change"]  # fmt: skip
    sectors = (
        pd.concat(sector_rows, ignore_index=True)[scols]
        if sector_rows
        else pd.DataFrame(columns=scols)
    )
    return DistrictDiff(
        proposed=info[0],
        baseline=info[1],
        crs_measured=crs.to_string(),
        area_added_ha=added,
        area_removed_ha=removed,
        area_common_ha=common,
        layers=pd.DataFrame.from_dict(rows, orient="index", columns=cols).rename_axis("layer"),
        sectors=sectors,
        warnings=tuple(warnings),
        parameters={
            "layers": {k: v.info.source for k, v in named.items()},
            "by_sector": by_sector if isinstance(by_sector, str | None) else dict(by_sector),
            "join": "points within polygons (interior)",
        },
    )
