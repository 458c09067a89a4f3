"""Profile: one row per boundary with its area and, per point layer, counts and densities."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..boundaries import Boundaries
from ..errors import SchemaError
from ..join.points import JoinResult, join_points
from ..join.tally import JoinTally
from ..layers import PointLayer
from ..provenance import provenance_block

__all__ = ["Profile", "ProfileRequest", "assemble_profile", "profile", "profile_request"]


@dataclass(frozen=True)
class Profile:
    """Result of :func:`profile`.

    Attributes
    ----------
    table : geopandas.GeoDataFrame
        ``id``, ``name``, ``area_km2``, then per layer ``NAME_count``, ``NAME_per_km2``,
        ``NAME_count__<category>`` and ``NAME_sum__<column>``; geometry in the boundaries'
        own CRS.
    joins : dict of str to JoinResult
        The accounting join of each layer.
    report : dict
        JSON-ready: ``layers.NAME.{input, matched, multi, unmatched, rejected, ...}``,
        ``boundaries.{count, overlap_km2, ...}`` and ``provenance``.
    """

    table: gpd.GeoDataFrame
    joins: dict[str, JoinResult]
    report: dict[str, Any]


def _safe(cat: object) -> str:
    s = re.sub(r"\s+", "_", str(cat).strip())
    return s or "missing"


def profile(
    boundaries: Boundaries,
    layers: Sequence[PointLayer] | Mapping[str, PointLayer],
    *,
    by: Mapping[str, str] | None = None,
    weights: Mapping[str, Sequence[str] | str] | None = None,
    snap_m: float | None = None,
    method: str = "grid",
) -> Profile:
    """Count and measure point layers in every boundary.

    Parameters
    ----------
    boundaries : Boundaries
        From :func:`geodistrict.read_boundaries` or :func:`geodistrict.prepare_boundaries`.
    layers : sequence or mapping of PointLayer
        Each layer's ``name`` prefixes its columns (a mapping renames them).
    by : mapping of str to str, optional
        ``{layer name: column}``: add ``NAME_count__<category>`` columns.
    weights : mapping, optional
        ``{layer name: column or columns}``: add ``NAME_sum__<column>`` and
        ``NAME_sum_per_km2__<column>`` (e.g. employees).
    snap_m : float, optional
        See :func:`geodistrict.join_points`.
    method : str
        Join algorithm (see :func:`geodistrict.assign_points`).

    Returns
    -------
    Profile

    Examples
    --------
    >>> import geopandas as gpd, shapely, numpy as np, pandas as pd
    >>> from geodistrict import prepare_boundaries, PointLayer
    >>> from geodistrict.layers import LayerInfo
    >>> sq = gpd.GeoDataFrame({"id": ["a", "b"], "name": ["A", "B"]},
    ...     geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 3000, 1000)],
    ...     crs=27700)
    >>> b = prepare_boundaries(sq)
    >>> pts = PointLayer(x=np.array([500., 1500, 2500, 9000]), y=np.array([500., 500, 500, 0]),
    ...     crs=b.metric_crs, attributes=pd.DataFrame({"row": range(4)}),
    ...     info=LayerInfo(name="firms", source="example"))
    >>> p = profile(b, [pts])
    >>> p.table[["id", "area_km2", "firms_count", "firms_per_km2"]].values.tolist()
    [['a', 1.0, 1, 1.0], ['b', 2.0, 2, 1.0]]
    >>> p.report["layers"]["firms"]["unmatched"]
    1
    """
    request = profile_request(layers, by, weights, snap_m=snap_m, method=method)
    joins: dict[str, JoinResult] = {}
    tallies: dict[str, JoinTally] = {}
    crss: dict[str, Any] = {}
    for lay in request.layers:
        j = join_points(lay, boundaries, snap_m=snap_m, method=method)
        joins[lay.name] = j
        tallies[lay.name] = j.tally(
            by=request.by_columns(lay.name), weights=request.weights.get(lay.name, [])
        )
        crss[lay.name] = j.layer.crs
    return assemble_profile(boundaries, request, tallies, crss, joins=joins)


@dataclass(frozen=True)
class ProfileRequest:
    """The checked layers and options of a profile (:func:`profile_request`).

    Attributes
    ----------
    layers : list
        The point layers (PointLayer or PartitionedPoints), under their final names.
    by : dict of str to str
        ``{layer name: column}`` counted per category.
    weights : dict of str to list of str
        ``{layer name: columns}`` summed per boundary.
    snap_m : float or None
        See :func:`geodistrict.join_points`.
    method : str
        Join algorithm (see :func:`geodistrict.assign_points`).
    """

    layers: list[Any]
    by: dict[str, str]
    weights: dict[str, list[str]]
    snap_m: float | None = None
    method: str = "grid"

    def by_columns(self, name: str) -> list[str]:
        """The column counted per category for layer ``name`` (a list of at most one)."""
        return [self.by[name]] if name in self.by else []

    def columns(self, name: str) -> list[str]:
        """Every attribute column the profile reads from layer ``name``."""
        return self.by_columns(name) + self.weights.get(name, [])


def profile_request(
    layers: Sequence[Any] | Mapping[str, Any],
    by: Mapping[str, str] | None,
    weights: Mapping[str, Sequence[str] | str] | None,
    *,
    snap_m: float | None = None,
    method: str = "grid",
) -> ProfileRequest:
    """The named layers, with ``by`` and ``weights`` checked against them (names, columns).

    Shared by :func:`profile` and :func:`geodistrict.scale.profile_dask`.

    Raises
    ------
    SchemaError
        Two layers share a name, or ``by``/``weights`` name a missing layer or column.
    """
    if isinstance(layers, Mapping):
        named = [lay.renamed(k) for k, lay in layers.items()]
    else:
        named = list(layers)
    names = [lay.name for lay in named]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SchemaError(f"point layers share the name(s) {sorted(dup)}; give each its own NAME=.")
    by_ = dict(by or {})
    weights_ = {k: ([v] if isinstance(v, str) else list(v)) for k, v in (weights or {}).items()}
    for key, mapping in (("--by", by_), ("--weight", weights_)):
        for lname in mapping:
            if lname not in names:
                raise SchemaError(f"{key} names layer {lname!r}, but the layers are {names}.")
    request = ProfileRequest(named, by_, weights_, snap_m=snap_m, method=method)
    for lay in named:
        cols = lay.attributes.columns
        for col in request.columns(lay.name):
            if col not in cols:
                shown = ", ".join(str(c) for c in cols if c != "row")
                raise SchemaError(
                    f"{lay.info.source}: no column {col!r} in layer {lay.name!r}; "
                    f"columns are {shown}."
                )
    return request


def assemble_profile(
    boundaries: Boundaries,
    request: ProfileRequest,
    tallies: Mapping[str, JoinTally],
    crss: Mapping[str, Any],
    *,
    joins: dict[str, JoinResult] | None = None,
) -> Profile:
    """The profile table and report from each layer's :class:`~geodistrict.join.tally.JoinTally`.

    Shared by :func:`profile` (one tally per layer) and
    :func:`geodistrict.scale.profile_dask` (the combined tallies of the partitions), so both
    give the same table and report. ``crss`` holds the CRS each layer was joined in.
    """
    layers, by, weights = request.layers, request.by, request.weights
    snap_m, method = request.snap_m, request.method
    area = boundaries.area_km2
    out: dict[str, Any] = {
        "id": boundaries.ids,
        "name": boundaries.names,
        "area_km2": area,
    }
    layer_reports: dict[str, Any] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for lay in layers:
            t = tallies[lay.name]
            counts = t.counts
            out[f"{lay.name}_count"] = counts
            out[f"{lay.name}_per_km2"] = np.where(area > 0, counts / area, np.nan)
            if lay.name in by:
                table = t.by[by[lay.name]]
                for cat in table.columns:
                    out[f"{lay.name}_count__{_safe(cat)}"] = table[cat].to_numpy()
            rep = t.report(lay, boundaries, crs=crss[lay.name], snap_m=snap_m)
            for col in weights.get(lay.name, []):
                s, missing = t.sums[col], t.missing[col]
                out[f"{lay.name}_sum__{col}"] = s
                out[f"{lay.name}_sum_per_km2__{col}"] = np.where(area > 0, s / area, np.nan)
                rep.setdefault("weights", {})[col] = {
                    "total_assigned": float(s.sum()),
                    "missing_values": missing,
                }
            if lay.name in by:
                rep["by"] = by[lay.name]
            layer_reports[lay.name] = rep
    table = gpd.GeoDataFrame(
        pd.DataFrame(out), geometry=boundaries.data.geometry.values, crs=boundaries.data.crs
    )
    params = {
        "snap_m": snap_m,
        "by": dict(by),
        "weights": dict(weights),
        "join": f"points within polygons (interior), method={method}",
        "area": f"planar area in {boundaries.metric_crs.to_string()}",
    }
    report = {
        "layers": layer_reports,
        "boundaries": boundaries.report(),
        "provenance": provenance_block(
            boundaries=boundaries, layers=list(layers), parameters=params
        ),
    }
    return Profile(table=table, joins=dict(joins or {}), report=report)


def _with_columns(p: Profile, cols: dict[str, Any], report_key: str, report: Any) -> Profile:
    table = p.table.copy()
    geom = table.geometry.name
    for k, v in cols.items():
        table[k] = v
    table = table[[c for c in table.columns if c != geom] + [geom]]
    rep = {**p.report, report_key: {**p.report.get(report_key, {}), **report}}
    return Profile(table=_derived(table), joins=p.joins, report=rep)


def _derived(table: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Ratios that exist once their parts do: floor_area_ratio, jobs_per_firm."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if "floorspace_m2" in table:
            table["floor_area_ratio"] = table["floorspace_m2"] / (table["area_km2"] * 1e6)
        if "jobs" in table and "firms_count" in table:
            firms = table["firms_count"].to_numpy(dtype=float)
            table["jobs_per_firm"] = np.where(firms > 0, table["jobs"] / firms, np.nan)
    return table


def add_zone_values(
    p: Profile,
    name: str,
    zones: Boundaries,
    values: pd.Series,
    boundaries: Boundaries,
    *,
    units: str | None = None,
    weights: str | PointLayer = "area",
    tolerance: float = 0.0,
    overlap: str = "full",
    selection: Mapping[str, Any] | None = None,
) -> Profile:
    """Add a value published per zone (jobs, floorspace) to a profile by areal interpolation.

    Adds ``NAME`` (``NAME_<units>`` when units are given, e.g. ``floorspace_m2``),
    ``NAME_per_km2`` and ``NAME_method``; then the ratios whose parts exist
    (``floor_area_ratio`` = floorspace m² / land m², ``jobs_per_firm``).
    """
    from ..zones.interpolate import interpolate

    col = f"{name}_{units}" if units else name
    r = interpolate(zones, values.rename(col), boundaries, weights=weights, tolerance=tolerance,
                    overlap=overlap)  # fmt: skip
    v = r.table[col].to_numpy()
    area = boundaries.area_km2
    with np.errstate(divide="ignore", invalid="ignore"):
        cols = {
            col: v,
            f"{col}_per_km2": v / area,
            f"{col}_coverage": r.table[f"{col}_coverage"].to_numpy(),
            f"{col}_method": r.table["method"].to_numpy(),
        }
    rep = {name: {"zones": zones.info.source, "selection": dict(selection or {}), **r.report}}
    return _with_columns(p, cols, "zones", rep)


def add_raster_values(
    p: Profile,
    name: str,
    raster: Any,
    boundaries: Boundaries,
    *,
    units: str | None = None,
    rule: str = "centre",
) -> Profile:
    """Add the zonal sum of a raster (e.g. floorspace m² per cell) to a profile.

    Adds ``NAME`` (``NAME_<units>`` with units), ``NAME_per_km2``, ``NAME_method`` and
    ``NAME_cells`` / ``NAME_raster_coverage`` so that a polygon reaching beyond the raster is
    visible.
    """
    from ..zones.zonal import zonal_stats

    col = f"{name}_{units}" if units else name
    z = zonal_stats(raster, boundaries, stats=("sum", "count"), rule=rule)
    z = z.reindex(boundaries.ids)
    area = boundaries.area_km2
    s = z["sum"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cols = {
            col: s,
            f"{col}_per_km2": s / area,
            f"{col}_method": f"raster zonal sum, {rule} rule",
            f"{col}_raster_coverage": z["raster_coverage"].to_numpy(dtype=float),
        }
    rep = {
        name: {
            "raster": str(raster),
            "rule": rule,
            "nodata_cells": int(z["nodata_cells"].sum()),
            "outside_raster": [str(i) for i in z.index[z["outside_raster"].astype(bool)]],
        }
    }
    return _with_columns(p, cols, "rasters", rep)


__all__ += ["add_zone_values", "add_raster_values"]
