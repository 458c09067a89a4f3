"""A sector picture for any polygon: LAD business counts apportioned by postcodes.

Nomis publishes UK Business Counts for local authorities (LADs), not for a district someone
has drawn. :func:`apportioned_sectors` carries each LAD's enterprises by SIC section onto
the polygons by the share of the LAD's postcodes that lie in them (dasymetric areal
interpolation, :func:`geodistrict.zones.interpolate.interpolate` with ``weights=<postcodes>``, as
``geodistrict interpolate --weights onspd`` does), then computes location quotients against
the table's national row (England). The estimate's uncertainty is stated as the share of it
that comes from LADs the polygon only partly covers: a district made of whole LADs gets the
published counts (0 % partial), a district drawn inside one LAD gets an estimate resting
wholly on the assumption that enterprises follow postcodes (100 % partial).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..boundaries import Boundaries
from ..errors import SchemaError
from ..layers import PointLayer

__all__ = ["SectorPicture", "apportioned_sectors"]

#: A LAD counts as whole in a polygon when at least this share of its postcodes lies inside.
WHOLE_SHARE = 0.995
#: LADs with less than this share of their postcodes inside (slivers of generalised
#: boundaries) are not counted among a polygon's LADs (their enterprises still are).
SLIVER_SHARE = 0.005


@dataclass(frozen=True)
class SectorPicture:
    """Apportioned enterprise counts and location quotients of polygons.

    Attributes
    ----------
    lq : pandas.DataFrame
        One row per polygon and sector: ``id``, ``area`` (the polygon's name), ``sector``,
        ``sector_label``, ``count`` (apportioned enterprises), ``area_total``,
        ``reference_count``, ``reference_total``, ``lq``, ``reference``.
    totals : pandas.DataFrame
        One row per polygon: ``id``, ``name``, ``enterprises`` (apportioned total),
        ``partial_share`` (share of the estimate from LADs only partly inside),
        ``n_lads``, ``n_partial_lads``.
    method : str
        The method in words (printed beside the figures).
    reference : str
        The reference row (``"England"``).
    year : int
    weights : pandas.DataFrame
        ``id``, ``lad``, ``share`` (share of the LAD's postcodes inside the polygon).
    """

    lq: pd.DataFrame
    totals: pd.DataFrame
    method: str
    reference: str
    year: int | None
    weights: pd.DataFrame = field(default_factory=pd.DataFrame)

    def for_place(self, pid: str) -> tuple[pd.DataFrame, dict[str, Any]]:
        """The LQ rows of one polygon (strongest first) and its totals row as a dict."""
        rows = self.lq[self.lq["id"].astype(str) == str(pid)]
        rows = rows.sort_values("lq", ascending=False).reset_index(drop=True)
        tot = self.totals[self.totals["id"].astype(str) == str(pid)]
        return rows, ({str(k): v for k, v in tot.iloc[0].items()} if len(tot) else {})


def apportioned_sectors(
    targets: Boundaries,
    lads: Boundaries,
    table: Any,
    postcodes: PointLayer,
    *,
    year: int | None = None,
    overlap: str = "full",
    sector_counts: tuple[pd.DataFrame, pd.Series] | None = None,
) -> SectorPicture:
    """Enterprises by SIC section apportioned from LADs onto polygons, with LQs vs England.

    Parameters
    ----------
    targets : Boundaries
        The polygons (drawn districts, uploads, LEPs ...).
    lads : Boundaries
        LAD polygons whose ids are GSS codes and names the Nomis labels.
    table : NomisTable
        UK Business Counts by industry (:func:`geodistrict.read_nomis`) with ``ladu`` rows
        and a country row.
    postcodes : PointLayer
        The ancillary points (the ONS Postcode Directory).
    year : int, optional
        Year of the table (default: its latest).
    overlap : {"full", "split"}
        How overlapping targets share a LAD (see :func:`~geodistrict.zones.interpolate`).
    sector_counts : (DataFrame, Series), optional
        ``nomis_sector_counts(table, geography_type="ladu", year=year)`` computed before
        (reading the sectors of a large table takes seconds: an app computes them once).

    Returns
    -------
    SectorPicture
    """
    from ..zones.interpolate import interpolate
    from ..zones.match import LAD_SUCCESSORS_2023, match_zones
    from .nomis_sectors import nomis_sector_counts
    from .specialisation import location_quotients

    counts, reference = (
        sector_counts
        if sector_counts is not None
        else nomis_sector_counts(table, geography_type="ladu", year=year)
    )
    if counts.empty:
        raise SchemaError(f"{table.source}: no LAD (ladu) rows to apportion.")
    labels = dict(zip(counts["sector"], counts["sector_label"], strict=False))
    wide = counts.pivot_table(index="area", columns="sector", values="count", aggfunc="sum")
    wide = wide.reindex(columns=list(reference.index))
    m = match_zones(wide, lads, successors=LAD_SUCCESSORS_2023)
    values = m.values[list(reference.index)]
    # only the LADs that reach the targets (and the postcodes in their box) are needed
    import shapely

    from ..crs import transform_geoms

    tm = transform_geoms(targets.metric, targets.metric_crs, lads.metric_crs)
    near = np.unique(shapely.STRtree(lads.metric).query(tm, predicate="intersects")[1])
    sub = lads.data.iloc[near]
    from ..boundaries import prepare_boundaries

    src = prepare_boundaries(sub[["id", "name", "geometry"]].reset_index(drop=True), id="id",
                             name="name", source=lads.info.source)  # fmt: skip
    vals = values.loc[values.index.isin(src.ids.astype(str))]
    pts = postcodes if postcodes.crs.equals(src.metric_crs) else postcodes.to_crs(src.metric_crs)
    x0, y0, x1, y1 = shapely.total_bounds(src.metric)
    keep = (pts.x >= x0) & (pts.x <= x1) & (pts.y >= y0) & (pts.y <= y1)
    pts = pts.take(np.flatnonzero(keep))
    r = interpolate(src, vals, targets, weights=pts, overlap=overlap)
    # the share of each LAD inside each target (pieces of atoms summed per target)
    w = r.weights.assign(id=r.weights["targets"].str.split(";")).explode("id")
    share = w.groupby(["id", "source"], sort=False)["weight"].sum().rename("share").reset_index()
    share = share.rename(columns={"source": "lad"})
    lad_total = vals.sum(axis=1, min_count=1)
    share["enterprises"] = share["share"] * share["lad"].map(lad_total).fillna(0.0)
    share = share[share["share"] > 0]
    share["partial"] = share["share"] < WHOLE_SHARE
    est = share.groupby("id")["enterprises"].sum()
    part = share[share["partial"]].groupby("id")["enterprises"].sum()
    ids = targets.ids.astype(str)
    totals = pd.DataFrame(
        {
            "id": ids,
            "name": targets.names.astype(str),
            "enterprises": est.reindex(ids).fillna(0.0).to_numpy(),
            "partial_share": (part.reindex(ids).fillna(0.0) / est.reindex(ids)).to_numpy(),
            "n_lads": _rows_per_id(share[share["share"] >= SLIVER_SHARE], ids),
            "n_partial_lads": _rows_per_id(
                share[share["partial"] & (share["share"] >= SLIVER_SHARE)], ids
            ),
        }
    )
    long = r.table.drop(columns="geometry").melt(
        id_vars=["id", "name"], value_vars=list(reference.index), var_name="sector",
        value_name="count",
    )  # fmt: skip
    long["id"] = long["id"].astype(str)
    ref_name = str(counts.attrs.get("reference", "England")).split(":", 1)[-1]
    lq = location_quotients(
        long.rename(columns={"name": "area"}), reference=reference, reference_name=ref_name
    )
    lq["sector_label"] = lq["sector"].map(labels)
    year_used = counts.attrs.get("year")
    method = (
        f"Nomis UK Business Counts {year_used} (enterprises by SIC 2007 section) for each "
        f"LAD, apportioned to the polygon by the share of the LAD's postcodes inside it "
        f"(ONS Postcode Directory; dasymetric interpolation); LQ = the sector's share of the "
        f"polygon's enterprises / its share of {ref_name}'s"
    )
    return SectorPicture(
        lq=lq.reset_index(drop=True),
        totals=totals,
        method=method,
        reference=ref_name,
        year=year_used,
        weights=share[["id", "lad", "share"]],
    )


def _rows_per_id(rows: pd.DataFrame, ids: Any) -> np.ndarray:
    """How many of ``rows`` each id has (0 for an id without any), in the order of ``ids``."""
    return rows.groupby("id").size().reindex(ids).fillna(0).astype(int).to_numpy()
