"""Profile: one row per boundary with its area and, per point layer, counts and densities."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ._errors import SchemaError
from .boundaries import Boundaries
from .join import JoinResult, join_points
from .layers import PointLayer
from .provenance import provenance_block

__all__ = ["Profile", "profile"]


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
    >>> from geodistrict import prepare_boundaries, PointLayer, LayerInfo
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
    if isinstance(layers, Mapping):
        named = [lay.renamed(k) for k, lay in layers.items()]
    else:
        named = list(layers)
    names = [lay.name for lay in named]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SchemaError(f"point layers share the name(s) {sorted(dup)}; give each its own NAME=.")
    by = dict(by or {})
    weights = {k: ([v] if isinstance(v, str) else list(v)) for k, v in (weights or {}).items()}
    for key, mapping in (("--by", by), ("--weight", weights)):
        for lname in mapping:
            if lname not in names:
                raise SchemaError(f"{key} names layer {lname!r}, but the layers are {names}.")
    area = boundaries.area_km2
    out: dict[str, Any] = {
        "id": boundaries.ids,
        "name": boundaries.names,
        "area_km2": area,
    }
    joins: dict[str, JoinResult] = {}
    layer_reports: dict[str, Any] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for lay in named:
            cols = lay.attributes.columns
            for col in ([by[lay.name]] if lay.name in by else []) + weights.get(lay.name, []):
                if col not in cols:
                    shown = ", ".join(str(c) for c in cols if c != "row")
                    raise SchemaError(
                        f"{lay.info.source}: no column {col!r} in layer {lay.name!r}; "
                        f"columns are {shown}."
                    )
            j = join_points(lay, boundaries, snap_m=snap_m, method=method)
            joins[lay.name] = j
            counts = j.counts()
            out[f"{lay.name}_count"] = counts
            out[f"{lay.name}_per_km2"] = np.where(area > 0, counts / area, np.nan)
            if lay.name in by:
                table = j.counts_by(by[lay.name])
                for cat in table.columns:
                    out[f"{lay.name}_count__{_safe(cat)}"] = table[cat].to_numpy()
            rep = j.report()
            for col in weights.get(lay.name, []):
                s, missing = j.sums(col)
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
        "by": by,
        "weights": weights,
        "join": f"points within polygons (interior), method={method}",
        "area": f"planar area in {boundaries.metric_crs.to_string()}",
    }
    report = {
        "layers": layer_reports,
        "boundaries": boundaries.report(),
        "provenance": provenance_block(boundaries=boundaries, layers=named, parameters=params),
    }
    return Profile(table=table, joins=joins, report=report)
