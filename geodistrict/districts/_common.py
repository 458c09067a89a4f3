"""Indicators, cards and the helpers shared by card, compare and diff."""

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

from .._validate import as_boundaries as validate_boundaries
from ..boundaries import Boundaries, prepare_boundaries
from ..crs import transform_xy
from ..errors import InputFileError, InvalidGeometryError, ParameterError, SchemaError
from ..join.points import join_points
from ..layers import PointLayer

__all__ = [
    "KNOWLEDGE_INTENSIVE_DIVISIONS",
    "BUFFER_EXACT_VERTICES",
    "Card",
    "Indicator",
    "buffer_m",
    "distance_tag",
    "district_and_slug",
    "is_knowledge_intensive",
    "knowledge_intensive_share",
    "named_layers",
    "empty_layer_warning",
    "point_indicators",
    "region_polygon",
    "registry_indicators",
    "ring_boundaries",
    "safe_label",
    "safe_ratio",
    "sector_column",
    "single_polygon",
    "zone_indicators",
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
    from ..io.companies_house import SIC_SECTIONS

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


def safe_ratio(num: float | None, den: float | None) -> float | None:
    """Return num / den, or None when den is 0 or either is not finite."""
    if den is None or num is None or not (math.isfinite(num) and math.isfinite(den)) or den == 0:
        return None
    return float(num) / float(den)


def safe_label(cat: object) -> str:
    """A category as a column-name fragment: whitespace to ``_``, ``missing`` when blank."""
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


def distance_tag(metres: float) -> str:
    """A distance as a column-name tag: ``800`` → ``800m``."""
    return f"{metres:g}m"


def _citation(row: pd.Series) -> str:
    parts = [str(row[k]) for k in ("publisher", "title") if pd.notna(row.get(k))]
    text = ", ".join(parts) or "benchmark registry"
    yr = row.get("source_year")
    return f"{text} ({int(yr)})" if pd.notna(yr) else text


def single_polygon(b: Boundaries, what: str) -> tuple[Any, CRS]:
    """The one polygon of ``b`` and its metric CRS; refused when ``b`` holds several or none."""
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


def district_and_slug(
    district: Boundaries | str | Path, what: str
) -> tuple[Boundaries | None, str]:
    """(polygon or None for a registry-only slug, the id used to look up the registry)."""
    from ..io.datasets import is_name
    from .registry import district_boundaries, district_slugs, load_registry

    if not isinstance(district, str | Path):
        b = validate_boundaries(district, what, paths=False)
    else:
        s = str(district)
        shipped = district_slugs()
        if s in shipped:
            b = district_boundaries([s])
        elif Path(s).exists() or is_name(s):
            b = validate_boundaries(s, what)
        else:
            published = list(dict.fromkeys(load_registry()["slug"]))
            if s in published:
                return None, s
            raise InputFileError(
                f"{s}: neither a shipped district ({', '.join(shipped)}), a district of the "
                f"benchmark registry ({', '.join(published)}) nor an existing file; give one of "
                "those slugs or the path of a polygon file."
            )
    single_polygon(b, what)
    return b, str(b.ids[0])


def ring_boundaries(polys: list[Any], labels: list[str], crs: CRS) -> Boundaries:
    """Polygons (district, rings, region) as Boundaries in the district's metric CRS."""
    gdf = gpd.GeoDataFrame({"id": labels}, geometry=polys, crs=crs)
    return prepare_boundaries(gdf, metric_crs=crs, source="district and its surroundings")


#: Above this many vertices a polygon is simplified before it is buffered (see buffer_m).
BUFFER_EXACT_VERTICES = 2_000


def buffer_m(poly: Any, distance_m: float) -> Any:
    """``poly`` buffered by ``distance_m`` metres, simplified first when it is very detailed.

    A polygon of up to :data:`BUFFER_EXACT_VERTICES` vertices is buffered as it is. A more
    detailed one (999 adjacent squares merged, a coastline at full resolution) is first
    simplified with a tolerance of ``distance_m / 1000`` (0.8 m for an 800 m buffer, 10 m for
    10 km): the buffer moves by at most that tolerance, and its cost falls from tens of seconds
    to a fraction of one. Collinear vertices (grid squares merged) go at any tolerance.
    """
    if shapely.get_num_coordinates(poly) > BUFFER_EXACT_VERTICES:
        poly = shapely.simplify(poly, distance_m / 1000.0, preserve_topology=True)
    return shapely.buffer(poly, distance_m, quad_segs=64)


def region_polygon(region: Any, poly: Any, crs: CRS, region_buffer_m: float) -> tuple[Any, str]:
    """The surroundings of a district and how they were made, in words."""
    if region is None:
        return buffer_m(poly, region_buffer_m), (f"the district buffered by {region_buffer_m:g} m")
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


def sector_column(by_sector: str | Mapping[str, str] | None, name: str, layer: PointLayer):
    """The column of ``layer`` that holds its sectors for the card (or ``None``)."""
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


def point_indicators(
    district: str,
    name: str,
    layer: PointLayer,
    rings: Boundaries,
    buffers_m: Sequence[float],
    region_label: str,
    sector_col: str | None,
    knowledge_intensive: Sequence[int],
) -> tuple[list[Indicator], list[str]]:
    """Counts and densities of a point layer in the district, its rings and its region.

    ``district`` names the district in the warnings; ``rings`` are the district, its buffers
    and its region (the last), in their metric CRS.
    """
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
        add(f"{name}_count_{distance_tag(b)}", int(counts[k]), name, note)
        add(f"{name}_per_km2_{distance_tag(b)}", float(counts[k] / areas[k]), f"{name}/km2", note)
    add(f"{name}_region_count", nr, name, f"in {region_label} ({areas[-1]:.2f} km²)")
    add(f"{name}_region_per_km2", dr, f"{name}/km2", f"in {region_label}")
    ratio = safe_ratio(d0, dr)
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
            empty_layer_warning(district, name, j.layer, rings, buffers_m, region_label)
        )
    if sector_col is not None:
        out += _sector_indicators(name, j.counts_by(sector_col), sector_col)
    divisions = _divisions(j.layer)
    if divisions is not None:
        out += _ki_indicators(name, j, divisions, knowledge_intensive, region_label)
    return out, warnings


def empty_layer_warning(
    district: str,
    name: str,
    layer: PointLayer,
    rings: Boundaries,
    buffers_m: Sequence[float],
    region_label: str,
) -> str:
    """The warning for a point layer with no point in the district, its rings or its region.

    It names the district and says which case it is: an empty layer; a district beyond the
    layer's extent (expected for a layer of another country, such as UK postcodes and 22@
    Barcelona), with the distance from the region to the box around the layer's points in the
    district's metric CRS ("over 1,000 km" beyond that, where a local CRS distorts distances);
    or a district inside that box with nothing near it.

    Parameters
    ----------
    district : str
        The district's name.
    name : str
        The layer's name.
    layer : PointLayer
        The layer, in the rings' metric CRS; a window of a larger layer
        (:meth:`~geodistrict.layers.PointLayer.window`) is judged by that layer's extent.
    rings : Boundaries
        The district, its buffers and its region (the last).
    buffers_m, region_label
        The buffer distances and the region's description, as on the card.

    Examples
    --------
    >>> import numpy as np, pandas as pd, shapely
    >>> from geodistrict.layers import LayerInfo
    >>> rings = ring_boundaries([shapely.box(0, 0, 1000, 1000)], ["region"], CRS(27700))
    >>> far = PointLayer(x=np.array([50_000.0, 60_000]), y=np.array([0.0, 0]), crs=CRS(27700),
    ...     attributes=pd.DataFrame({"row": range(2)}), info=LayerInfo(name="firms", source="ex"))
    >>> print(empty_layer_warning("Site A", "firms", far, rings, [], "the region"))
    ... # doctest: +NORMALIZE_WHITESPACE
    Site A: no firms in the district or in the region: the district lies beyond the layer's
    extent (49.0 km from the box around its 2 points), so counts and densities are 0 and
    ratios undefined. That is expected when the layer covers another country; otherwise
    check the CRS of the district and of the layer.
    """
    where = (
        f"in the district, within {max(buffers_m):g} m of it or in {region_label}"
        if buffers_m
        else f"in the district or in {region_label}"
    )
    head = f"{district}: no {name} {where}"
    bounds = layer.bounds  # a window of a larger layer keeps that layer's extent
    if bounds is None:
        return f"{head}: the layer has no points, so counts and densities are 0."
    gap_km = float(shapely.distance(rings.metric[-1], shapely.box(*bounds))) / 1000
    if gap_km > 0:
        # the district's local metric CRS distorts distances far beyond its own area
        gap = f"{gap_km:,.1f} km" if gap_km < 1000 else "over 1,000 km"
        points = f"{len(layer):,} point" + ("s" if len(layer) != 1 else "")
        return (
            f"{head}: the district lies beyond the layer's extent ({gap} from the box around "
            f"its {points}), so counts and densities are 0 and ratios undefined. That is "
            "expected when the layer covers another country; otherwise check the CRS of the "
            "district and of the layer."
        )
    return (
        f"{head}, although the district lies within the layer's extent: counts and densities "
        "are 0 and ratios undefined (if the layer should have points here, check its coverage "
        "and where the polygon lies)."
    )


def _sector_indicators(name: str, table: pd.DataFrame, col: str) -> list[Indicator]:
    from ..metrics.specialisation import location_quotients

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
        s = safe_label(c)
        out.append(Indicator(f"{name}_count__{s}", int(d[c]), name, "computed",
                             note=f"{col} = {c}, inside the district"))  # fmt: skip
        share = safe_ratio(d[c], d.sum())
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
        Indicator(f"{name}_knowledge_intensive_lq", safe_ratio(sd, sr) if sd is not None else None,
                  "lq", "computed", note="district share ÷ regional share"),
    ]  # fmt: skip


def zone_indicators(name: str, zones: Boundaries, values: pd.Series, b: Boundaries, area: float):
    """A zone layer's values interpolated onto the district, and their density."""
    from ..zones.interpolate import interpolate

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


def _published_area(figs: pd.DataFrame) -> tuple[float | None, str | None]:
    """The latest published area of a district in km², and its citation (or ``None``)."""
    areas = figs[(figs["indicator"] == "area") & figs["unit"].isin(list(_AREA_KM2))]
    if not len(areas):
        return None, None
    top = areas.iloc[0]
    return float(top["value"]) * _AREA_KM2[str(top["unit"])], _citation(top)


def _denominator(
    pub_km2: float | None, pub_src: str | None, polygon_km2: float | None, crs: str | None
) -> tuple[float | None, str]:
    """The area published figures are divided by (km²), and how it is said in notes."""
    if pub_km2 is not None:
        return pub_km2, f"the published area {pub_km2 * 100:,.2f} ha ({pub_src})"
    if polygon_km2 is not None:
        return polygon_km2, f"the polygon's area {polygon_km2 * 100:,.2f} ha measured in {crs}"
    return None, ""


def _unique_name(base: str, year: int | None, seen: set[str]) -> str:
    """``published_<indicator>``, with its year (and underscores) when that name is taken."""
    name = base if base not in seen else f"{base}_{year}"
    while name in seen:
        name += "_"
    seen.add(name)
    return name


def _figure_note(row: pd.Series, kind: str) -> str:
    """The registry's note and boundary of a figure; a flow says it is never divided by area."""
    note = "; ".join(
        str(x) for x in (row["note"], f"boundary: {row['boundary']}") if pd.notna(x) and x
    )
    if kind == "flow":
        note = (note + "; " if note else "") + "a flow over a period: never divided by area"
    return note


def _derived(
    name: str, value: float, unit: str, src: str, year: int | None, den: float | None, how: str
) -> Indicator:
    """A published stock divided by the district's area (a floor-area ratio for m²)."""
    if unit == "m2":
        dname, dunit = f"{name}_floor_area_ratio", "m2/m2"
        dval = safe_ratio(value, den * 1e6) if den else None
    else:
        dname, dunit = f"{name}_per_km2", f"{unit}/km2"
        dval = safe_ratio(value, den) if den else None
    dnote = (
        f"{_num(value)} {unit} ({year}) ÷ {how}"
        if den
        else "undefined: the registry states no area and there is no polygon"
    )
    return Indicator(dname, dval, dunit, src, year, "derived", dnote)


def _jobs_per_firm(latest: Mapping[tuple[str, int], tuple[float, str]]) -> list[Indicator]:
    """Published jobs ÷ published firms of the latest year that has both (or nothing)."""
    common = sorted({y for i, y in latest if i == "firms"} & {y for i, y in latest if i == "jobs"})
    if not common:
        return []
    y = common[-1]
    (jobs, jsrc), (firms, fsrc) = latest[("jobs", y)], latest[("firms", y)]
    return [Indicator("published_jobs_per_firm", safe_ratio(jobs, firms), "jobs/firm",
                      jsrc if jsrc == fsrc else f"{jsrc}; {fsrc}", y or None, "derived",
                      f"published jobs ÷ published firms ({y})")]  # fmt: skip


def registry_indicators(
    slug: str, polygon_km2: float | None, crs: str | None
) -> tuple[list[Indicator], list[str], float | None, str | None]:
    """Published figures, derived densities, warnings, published area (km²) and its source.

    Stocks (not areas) are divided by the published area when the registry states one, else by
    the polygon's; flows never are. A warning says when the two areas differ by over 10 %.
    """
    from .registry import registry_figures

    figs = registry_figures(slug)
    if figs.empty:
        return [], [], None, None
    figs = figs.assign(_y=pd.to_numeric(figs["year"], errors="coerce").fillna(-1))
    figs = figs.sort_values(["indicator", "_y"], ascending=[True, False], kind="stable")
    pub_km2, pub_src = _published_area(figs)
    den, how = _denominator(pub_km2, pub_src, polygon_km2, crs)
    out: list[Indicator] = []
    seen: set[str] = set()
    latest: dict[tuple[str, int], tuple[float, str]] = {}
    for _, row in figs.iterrows():
        ind, unit, kind = str(row["indicator"]), str(row["unit"]), str(row["kind"])
        year = int(row["_y"]) if row["_y"] >= 0 else None
        name = _unique_name(f"published_{ind}", year, seen)
        src, value = _citation(row), float(row["value"])
        out.append(Indicator(name, value, unit, src, year, "flow" if kind == "flow" else "stock",
                             _figure_note(row, kind)))  # fmt: skip
        if kind != "stock" or ind == "area" or unit in ("ha", "km2"):
            continue
        latest.setdefault((ind, year or 0), (value, src))
        out.append(_derived(name, value, unit, src, year, den, how))
    out += _jobs_per_firm(latest)
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


def named_layers(layers: Any) -> dict[str, Any]:
    """Layers by name: a mapping as given, a sequence of PointLayers by their names."""
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
