"""Boundary sets: id/name detection, validation and repair, metric geometry, overlaps.

ONS files name their code and name fields ``<PREFIX><YY>CD`` / ``<PREFIX><YY>NM`` (``LEP21CD``,
``lep20cd``, ``LAD24CD``, ``LSIP23CD``, ``CAUTH24CD`` ...); any such pair is detected. Invalid
geometries are repaired with ``shapely.make_valid`` and a :class:`RepairWarning` that names the
features. Overlaps between boundaries (seven English districts belong to two LEPs) are measured
and reported, never hidden.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .crs import as_crs, choose_metric_crs_for, transform_geoms
from .errors import CRSError, EmptyLayerError, InvalidGeometryError, RepairWarning, SchemaError
from .layers import LayerInfo

__all__ = [
    "Boundaries",
    "detect_id_name",
    "prepare_boundaries",
    "find_overlaps",
    "make_valid_all",
]

_ID_NAMES = ("id", "code", "codi", "codigo", "gss_code", "fid")
_NAME_NAMES = ("name", "nom", "nombre", "label", "featurenam", "feature_name", "title")
_ONS_CODE = re.compile(r"^(?P<prefix>[A-Za-z]+\d*)(?P<cd>cd|CD)$")


def detect_id_name(columns: Sequence[str]) -> tuple[str | None, str | None]:
    """Find the code and name fields of a boundary layer.

    An ONS ``*CD``/``*NM`` pair wins (the first in column order); otherwise columns called
    ``id``/``code`` and ``name``.

    Examples
    --------
    >>> detect_id_name(["OBJECTID", "LEP21CD", "LEP21NM", "Shape__Area"])
    ('LEP21CD', 'LEP21NM')
    >>> detect_id_name(["lep20cd", "lep20nm"])
    ('lep20cd', 'lep20nm')
    >>> detect_id_name(["LAD24CD", "LAD24NM", "LEP21CD1", "LEP21NM1"])
    ('LAD24CD', 'LAD24NM')
    >>> detect_id_name(["id", "name", "geometry"])
    ('id', 'name')
    >>> detect_id_name(["featurenam", "shape_area"])  # City of Melbourne CLUE areas
    (None, 'featurenam')
    """
    cols = [str(c) for c in columns]
    for c in cols:
        m = _ONS_CODE.match(c)
        if not m:
            continue
        nm = m.group("prefix") + ("nm" if m.group("cd") == "cd" else "NM")
        if nm in cols:
            return c, nm
    for c in cols:
        m = _ONS_CODE.match(c)
        if m:
            return c, None
    lower = {c.lower(): c for c in cols}
    idf = next((lower[k] for k in _ID_NAMES if k in lower), None)
    namef = next((lower[k] for k in _NAME_NAMES if k in lower), None)
    if namef is None:
        namef = next((c for c in cols if re.search(r"(name|_nm|_nom)$", c.lower())), None)
    return idf, namef


@dataclass(frozen=True)
class Boundaries:
    """A validated set of boundary polygons with their metric geometry.

    Attributes
    ----------
    data : geopandas.GeoDataFrame
        Columns ``id``, ``name`` then the source's attributes; geometry in the source CRS
        (after any repair).
    metric : numpy.ndarray
        Shapely polygons in :attr:`metric_crs`, aligned with ``data``.
    metric_crs : pyproj.CRS
        Where areas and distances are measured.
    info : LayerInfo
        Provenance.
    id_field, name_field : str or None
        The source fields used for ``id`` and ``name``.
    repaired : tuple of str
        Ids of features that were repaired, with the reason.
    overlaps : pandas.DataFrame
        ``id_a``, ``name_a``, ``id_b``, ``name_b``, ``area_km2`` for every pair of boundaries
        whose interiors overlap, and ``sliver`` (at most :data:`SLIVER_M2`).
    """

    data: gpd.GeoDataFrame
    metric: np.ndarray
    metric_crs: CRS
    info: LayerInfo
    id_field: str | None = None
    name_field: str | None = None
    repaired: tuple[str, ...] = ()
    overlaps: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def ids(self) -> np.ndarray:
        """Boundary ids as an array of str."""
        return self.data["id"].to_numpy()

    @property
    def names(self) -> np.ndarray:
        """Boundary names as an array of str."""
        return self.data["name"].to_numpy()

    @property
    def area_km2(self) -> np.ndarray:
        """Area of each boundary in km², measured in :attr:`metric_crs`."""
        return shapely.area(self.metric) / 1e6

    @property
    def overlap_km2(self) -> float:
        """Total area counted twice when summing boundary areas (sum of pairwise overlaps)."""
        return float(self.overlaps["area_km2"].sum()) if len(self.overlaps) else 0.0

    def report(self) -> dict[str, Any]:
        """Summary for the JSON report (overlaps above :data:`SLIVER_M2` are listed)."""
        slivers = (
            self.overlaps["sliver"].to_numpy(dtype=bool)
            if len(self.overlaps)
            else np.zeros(0, dtype=bool)
        )
        return {
            "count": int(len(self)),
            "source": self.info.source,
            "crs": self.data.crs.to_string() if self.data.crs else None,
            "metric_crs": self.metric_crs.to_string(),
            "id_field": self.id_field,
            "name_field": self.name_field,
            "area_km2": float(self.area_km2.sum()),
            "overlap_km2": self.overlap_km2,
            "union_km2": float(self.area_km2.sum()) - self.overlap_km2,
            "sliver_overlap_km2": float(self.overlaps.loc[slivers, "area_km2"].sum()),
            "sliver_pairs": int(slivers.sum()),
            "overlaps": [
                {
                    k: (round(v, 6) if isinstance(v, float) else v)
                    for k, v in r.items()
                    if k != "sliver"
                }
                for r in self.overlaps.loc[~slivers].to_dict("records")
            ],
            "repaired": list(self.repaired),
        }


def _polygonal(geom: Any) -> Any:
    """Keep the polygonal part of a geometry (make_valid may return collections)."""
    if geom is None or geom.is_empty:
        return geom
    t = geom.geom_type
    if t in ("Polygon", "MultiPolygon"):
        return geom
    if t == "GeometryCollection":
        parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
        if len(parts) == 1:  # make_valid's own polygonal member: valid as it is
            return parts[0]
        return shapely.union_all(parts) if parts else shapely.Polygon()
    return shapely.Polygon()


def _crosses_antimeridian(geoms: np.ndarray) -> np.ndarray:
    """Which lon/lat polygons have an edge spanning more than 180° of longitude.

    Such an edge is a ring drawn across the antimeridian (179° to -179°) that a planar reading
    would take the long way round the globe: RFC 7946 asks for such shapes to be split.
    """
    out = np.zeros(len(geoms), dtype=bool)
    for i, g in enumerate(geoms):
        parts = shapely.get_parts(g)
        rings = shapely.get_rings(parts[shapely.get_type_id(parts) == 3])
        for ring in rings:
            x = shapely.get_coordinates(ring)[:, 0]
            if len(x) > 1 and np.abs(np.diff(x)).max() > 180:
                out[i] = True
                break
    return out


def _unwrap(geom: Any) -> Any:
    """Longitudes below 0 moved to 180..360, so that a shape across 180° is contiguous."""
    return shapely.transform(geom, lambda c: np.where(c < 0, c + [360.0, 0.0], c))


def _split_at_antimeridian(unwrapped: Any) -> Any:
    """An unwrapped shape (longitudes up to 360) cut at 180° into parts within ±180°."""
    east = shapely.intersection(unwrapped, shapely.box(-180.0, -90.0, 180.0, 90.0))
    west = shapely.intersection(unwrapped, shapely.box(180.0, -90.0, 540.0, 90.0))
    west = shapely.transform(west, lambda c: c - [360.0, 0.0])
    parts = [
        p
        for g in (east, west)
        for p in shapely.get_parts(_polygonal(g))
        if not p.is_empty and p.geom_type == "Polygon"
    ]
    return shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]


#: Overlaps up to this area (m²) are digitising noise along shared edges: summed, not listed.
SLIVER_M2 = 100.0


def find_overlaps(
    metric: np.ndarray, ids: Sequence[str], names: Sequence[str], *, min_area_m2: float = 0.0
) -> pd.DataFrame:
    """Pairs of polygons whose interiors overlap, with the overlap area in km².

    Parameters
    ----------
    metric : numpy.ndarray
        Polygons in a metric CRS.
    ids, names : sequence of str
        Labels for the report.
    min_area_m2 : float
        Pairs overlapping by no more than this are left out (0 keeps every positive overlap).
    """
    tree = shapely.STRtree(metric)
    left, right = tree.query(metric, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    # neighbours that only share an edge (the common case) need no intersection
    inner = ~shapely.touches(metric[left], metric[right])
    left, right = left[inner], right[inner]
    rows = []
    if len(left):
        inter = shapely.intersection(metric[left], metric[right])
        area = shapely.area(inter)
        for a, b, ar in zip(left, right, area, strict=True):
            if ar > 0:
                rows.append(
                    {
                        "id_a": str(ids[a]),
                        "name_a": str(names[a]),
                        "id_b": str(ids[b]),
                        "name_b": str(names[b]),
                        "area_km2": float(ar) / 1e6,
                        "sliver": bool(ar <= min_area_m2),
                    }
                )
    return pd.DataFrame(rows, columns=["id_a", "name_a", "id_b", "name_b", "area_km2", "sliver"])


def prepare_boundaries(
    gdf: gpd.GeoDataFrame,
    *,
    id: str | None = None,  # noqa: A002 - mirrors the CLI's --id
    name: str | None = None,
    metric_crs: object | None = None,
    source: str = "boundaries",
    info: LayerInfo | None = None,
) -> Boundaries:
    """Validate a polygon layer and measure it in metres.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons with a CRS.
    id, name : str, optional
        Code and name fields; detected when omitted (see :func:`detect_id_name`).
    metric_crs : str or pyproj.CRS, optional
        Override the automatic choice (EPSG:27700 in Great Britain, UTM elsewhere).
    source : str
        How to name the layer in errors and reports.
    info : LayerInfo, optional
        Provenance.

    Returns
    -------
    Boundaries

    Raises
    ------
    CRSError, EmptyLayerError, SchemaError, InvalidGeometryError
        Each names the file, the features and the fix; problems of one kind are collected
        and raised together.
    """
    if gdf.crs is None:
        raise CRSError(f"{source} has no CRS; assign one (e.g. EPSG:4326) before using it.")
    if len(gdf) == 0:
        raise EmptyLayerError(f"{source}: the layer has no features.")
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    id_field, name_field = _id_name_fields(cols, id, name, source)
    ids, notes = _feature_ids(gdf, id_field, cols, source)
    names = (
        gdf[name_field].astype("string").fillna("").reset_index(drop=True)
        if name_field
        else ids.copy()
    )
    geom = np.asarray(gdf.geometry.array, dtype=object)
    _check_geometries(geom, ids, source)
    has_z = shapely.has_z(geom)
    repaired: list[str] = []
    geom = _repair(geom, "", ids=ids, names=names, source=source, repaired=repaired)
    crossing = (
        _crosses_antimeridian(geom) if gdf.crs.is_geographic else np.zeros(len(geom), dtype=bool)
    )
    unwrapped = geom
    if crossing.any():
        unwrapped = np.array([_unwrap(g) for g in geom], dtype=object)
        geom = geom.copy()
        for i in np.flatnonzero(crossing):
            geom[i] = _split_at_antimeridian(unwrapped[i])
            repaired.append(
                f"{ids[i]} ({names[i]}): crosses the antimeridian (an edge spans more than 180° "
                "of longitude): split at 180° and measured across it, not around the globe"
            )
    data = _boundary_frame(gdf, cols, ids, names, geom)
    mcrs = (
        as_crs(metric_crs, what=source)
        if metric_crs is not None
        else choose_metric_crs_for(unwrapped, data.crs)
    )
    if mcrs.is_geographic:
        raise CRSError(
            f"{source}: metric CRS {mcrs.to_string()} is in degrees; choose a projected CRS "
            "(e.g. EPSG:27700 or a UTM zone)."
        )
    metric = _to_metric(data, mcrs, has_z=bool(has_z.any()), crossing=crossing)
    metric = _repair(
        metric, " (after reprojection)", ids=ids, names=names, source=source, repaired=repaired
    )
    if has_z.any():
        notes = (
            *notes,
            f"{source}: z coordinates of {int(has_z.sum())} features ignored (areas are planar)",
        )
    if repaired:
        warnings.warn(
            f"{source}: repaired {len(repaired)} geometries: "
            + "; ".join(repaired[:10])
            + ("" if len(repaired) <= 10 else f"; and {len(repaired) - 10} more"),
            RepairWarning,
            stacklevel=2,
        )
    overlaps = find_overlaps(
        metric, data["id"].to_numpy(), data["name"].to_numpy(), min_area_m2=SLIVER_M2
    )
    if info is None:
        info = LayerInfo(name="boundaries", source=source, kind="polygons", notes=notes)
    elif notes:
        info = replace(info, notes=tuple(info.notes) + notes)
    return Boundaries(
        data=data,
        metric=metric,
        metric_crs=mcrs,
        info=info,
        id_field=id_field,
        name_field=name_field,
        repaired=tuple(repaired),
        overlaps=overlaps,
    )


def _id_name_fields(
    cols: list[Any], id_given: str | None, name_given: str | None, source: str
) -> tuple[str | None, str | None]:
    """The code and name fields: those given, else detected (names identify without codes).

    Raises
    ------
    SchemaError
        When a given field is not in the layer.
    """
    auto_id, auto_name = detect_id_name(cols)
    for label, fld in (("--id", id_given), ("--name", name_given)):
        if fld is not None and fld not in cols:
            raise SchemaError(
                f"{source}: no field {fld!r} for {label}; fields are {', '.join(map(str, cols))}."
            )
    id_field = id_given or auto_id
    name_field = name_given or auto_name or id_field
    if id_field is None and name_field is not None:
        id_field = name_field  # no code field: names identify (checked unique below)
    return id_field, name_field


def _feature_ids(
    gdf: gpd.GeoDataFrame, id_field: str | None, cols: list[Any], source: str
) -> tuple[pd.Series, tuple[str, ...]]:
    """Each feature's id as text (numbered 1..n without an id field), and a note if numbered.

    Raises
    ------
    SchemaError
        When an id is empty or repeated (the message lists fields that would be unique).
    """
    if id_field is None:
        ids = pd.Series([str(i + 1) for i in range(len(gdf))])
        return ids, (f"{source}: no id field found; features numbered 1..{len(gdf)} (pass --id)",)
    ids = gdf[id_field].astype("string").fillna("").str.strip().reset_index(drop=True)
    blank = ids == ""
    if blank.any():
        rows = ", ".join(str(i) for i in np.flatnonzero(blank.to_numpy())[:10])
        raise SchemaError(
            f"{source}: features at rows {rows} have an empty {id_field}; fill them or "
            "choose another field with --id."
        )
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        unique = [
            c
            for c in cols
            if c != id_field and gdf[c].notna().all() and not gdf[c].duplicated().any()
        ]
        hint = f" (unique fields: {', '.join(map(str, unique[:5]))})" if unique else ""
        raise SchemaError(
            f"{source}: {id_field} is not unique ({', '.join(sorted(set(dup))[:10])} repeat); "
            "dissolve the features by code first (GeoDataFrame.dissolve) or pass another "
            f"--id field{hint}."
        )
    return ids, ()


#: Names of the non-polygonal geometry type ids, for messages.
_TYPE_NAMES = {0: "Point", 1: "LineString", 2: "LinearRing", 4: "MultiPoint", 5: "MultiLineString"}


def _check_geometries(geom: np.ndarray, ids: pd.Series, source: str) -> None:
    """Every feature has a geometry, finite coordinates and a polygonal type.

    Raises
    ------
    InvalidGeometryError
        Naming the features (the first ten) and the fix.
    """
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    if missing.any():
        bad = ", ".join(str(ids[i]) for i in np.flatnonzero(missing)[:10])
        raise InvalidGeometryError(
            f"{source}: {int(missing.sum())} features have no geometry ({bad}); drop them or "
            "repair the file."
        )
    coords, owner = shapely.get_coordinates(geom, return_index=True)
    nonfinite = np.zeros(len(geom), dtype=bool)
    nonfinite[owner[~np.isfinite(coords).all(axis=1)]] = True
    if nonfinite.any():
        bad = ", ".join(str(ids[i]) for i in np.flatnonzero(nonfinite)[:10])
        raise InvalidGeometryError(
            f"{source}: {int(nonfinite.sum())} features have non-finite (NaN or infinite) "
            f"coordinates ({bad}); fix the vertices or drop the features."
        )
    types = shapely.get_type_id(geom)
    # 3 Polygon, 6 MultiPolygon, 7 GeometryCollection
    wrong = ~np.isin(types, [3, 6, 7])
    if wrong.any():
        kinds = sorted({shapely.get_type_id(g) for g in geom[wrong]})
        bad = ", ".join(str(ids[i]) for i in np.flatnonzero(wrong)[:10])
        raise InvalidGeometryError(
            f"{source}: boundaries must be polygons, but {int(wrong.sum())} features are "
            f"{'/'.join(_TYPE_NAMES.get(k, str(k)) for k in kinds)} ({bad}); pass point layers "
            "with --points, or buffer lines into polygons first."
        )


def _repair(
    g: np.ndarray,
    stage: str,
    *,
    ids: pd.Series,
    names: pd.Series,
    source: str,
    repaired: list[str],
) -> np.ndarray:
    """Invalid polygons made valid and GeometryCollections reduced to their polygons.

    Each repair is appended to ``repaired`` (``stage`` says when it happened).

    Raises
    ------
    InvalidGeometryError
        When a feature has no polygon left once repaired.
    """
    gtypes = shapely.get_type_id(g)
    invalid = ~shapely.is_valid(g) | (gtypes == 7)
    if not invalid.any():
        return g
    g = g.copy()
    todo = np.flatnonzero(invalid)
    made_valid = dict(zip(todo.tolist(), make_valid_all(g[todo]), strict=True))
    for i in todo:
        if gtypes[i] == 7:
            kinds = sorted({str(p.geom_type) for p in shapely.get_parts(g[i])})
            reason = f"a GeometryCollection of {'/'.join(kinds)}"
            kept = ": kept its polygons"
        else:
            reason, kept = shapely.is_valid_reason(g[i]), ""
        fixed = _polygonal(made_valid[int(i)])
        if fixed is None or fixed.is_empty:
            what_is = (
                f"is {reason}, with no polygon"
                if gtypes[i] == 7
                else f"is invalid ({reason}) and has no area once repaired"
            )
            raise InvalidGeometryError(
                f"{source}: feature {ids[i]} ({names[i]}) {what_is}; fix or drop it "
                "(boundaries must be polygons)."
            )
        g[i] = fixed
        repaired.append(f"{ids[i]} ({names[i]}): {reason}{kept}{stage}")
    return g


#: Vertices under which :func:`make_valid_all` repairs on one thread: starting threads costs
#: more than it saves.
PARALLEL_REPAIR_VERTICES = 20_000


def make_valid_all(geoms: np.ndarray, *, threads: int | None = None) -> np.ndarray:
    """``shapely.make_valid`` of each geometry, shared among threads when there is much to do.

    GEOS releases the GIL while it repairs, so the largest geometries first, each given to the
    thread with the fewest vertices so far, take about 1/threads of the time; the result is
    the same, in the same order.

    Parameters
    ----------
    geoms : numpy.ndarray
        Shapely geometries.
    threads : int, optional
        Threads to use; default one per core, up to 4, and one below
        :data:`PARALLEL_REPAIR_VERTICES` vertices in all.

    Examples
    --------
    >>> bow_tie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    >>> [g.geom_type for g in make_valid_all(np.array([bow_tie, shapely.box(0, 0, 1, 1)]))]
    ['MultiPolygon', 'Polygon']
    """
    geoms = np.asarray(geoms, dtype=object)
    cost = shapely.get_num_coordinates(geoms)
    if threads is None:
        threads = min(os.cpu_count() or 1, 4) if cost.sum() >= PARALLEL_REPAIR_VERTICES else 1
    threads = max(1, min(int(threads), len(geoms)))
    if threads == 1:
        return shapely.make_valid(geoms)
    load = np.zeros(threads)
    share: list[list[int]] = [[] for _ in range(threads)]
    for i in np.argsort(-cost, kind="stable"):
        k = int(np.argmin(load))
        share[k].append(int(i))
        load[k] += cost[i]
    out = np.empty(len(geoms), dtype=object)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="geodistrict-repair") as ex:
        fixed_shares = ex.map(lambda ix: shapely.make_valid(geoms[ix]), share)
        for idx, fixed in zip(share, fixed_shares, strict=True):
            out[idx] = fixed
    return out


def _boundary_frame(
    gdf: gpd.GeoDataFrame, cols: list[Any], ids: pd.Series, names: pd.Series, geom: np.ndarray
) -> gpd.GeoDataFrame:
    """``id``, ``name``, the (repaired) geometry, then the layer's other fields."""
    data = gpd.GeoDataFrame(
        {"id": ids.to_numpy(dtype=object), "name": names.to_numpy(dtype=object)},
        geometry=gpd.GeoSeries(geom, crs=gdf.crs).values,
        crs=gdf.crs,
    )
    extra = pd.DataFrame(gdf[cols]).reset_index(drop=True)
    extra = extra.drop(columns=[c for c in extra.columns if c in ("id", "name")])
    return gpd.GeoDataFrame(pd.concat([data, extra], axis=1), geometry="geometry", crs=gdf.crs)


def _to_metric(
    data: gpd.GeoDataFrame, mcrs: CRS, *, has_z: bool, crossing: np.ndarray
) -> np.ndarray:
    """The geometries in the metric CRS (halves split at the antimeridian joined again)."""
    if data.crs.equals(mcrs):  # already metric (EPSG:27700 files in Great Britain)
        metric = np.asarray(data.geometry.array, dtype=object).copy()
    elif not has_z:  # the same PROJ operation, with the transformer kept for the join
        metric = np.asarray(
            transform_geoms(np.asarray(data.geometry.array, dtype=object), data.crs, mcrs),
            dtype=object,
        )
    else:
        metric = np.asarray(data.geometry.to_crs(mcrs).array, dtype=object)
    for i in np.flatnonzero(crossing):
        # the halves either side of 180° meet again in a metric CRS that spans it
        metric[i] = _polygonal(shapely.union_all(shapely.get_parts(metric[i])))
    return metric
