"""Areal interpolation: carry values published per zone onto any target polygons.

Extensive values (jobs, firms, floorspace) are split by the share of each source zone that
falls in each target; intensive values (rates, densities) are averaged by area, never summed.

Overlapping targets (seven LADs belong to two LEPs) are handled through *atoms*: the faces of
the targets' arrangement, each covered by a known set of targets. A source's value is shared
among atoms (never more than once), so that

    inside + outside = source total                          (exactly)
    sum over targets = inside + double_counted_in_overlaps   (``overlap="full"``)

``overlap="full"`` (the default, as Nomis does for LEPs) counts a value in an overlap in every
target that covers it; ``overlap="split"`` divides it among them, so that the sum over targets
equals ``inside``.

Boundaries that nest in reality but were generalised separately (LADs inside LEPs, with
different coastlines) give every source small slivers in its neighbours and a little area
outside all targets. ``tolerance`` handles both: a source's atom shares below ``tolerance`` are
dropped, and when the rest covers at least ``1 - tolerance`` of it the shares are rescaled to
the whole. Every adjustment is counted in the report.

``weights="area"`` uses areas in the metric CRS; ``weights=<PointLayer>`` (dasymetric) uses
the number of ancillary points (postcodes, firms) instead, so that jobs in a large rural
district are not spread over its fields. Sources with no ancillary point fall back to area.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._validate import require_columns
from ..boundaries import Boundaries
from ..errors import ParameterError
from ..layers import PointLayer

__all__ = ["Atoms", "InterpolationResult", "build_atoms", "interpolate"]


@dataclass(frozen=True)
class Atoms:
    """Faces of the targets' arrangement.

    Attributes
    ----------
    geometry : numpy.ndarray
        Polygons in the targets' metric CRS, pairwise disjoint.
    members : list of tuple of int
        Target indices covering each atom (one, or several in an overlap).
    """

    geometry: np.ndarray
    members: list[tuple[int, ...]]


def build_atoms(targets: Boundaries) -> Atoms:
    """Decompose target polygons into disjoint atoms, each with the set of targets covering it.

    Targets that overlap nothing are their own atom; overlapping groups are polygonised from
    their noded boundaries and each face is assigned the targets containing an interior point.
    """
    geoms = targets.metric
    n = len(geoms)
    real = targets.overlaps  # slivers included: atoms must be strictly disjoint
    idx = {v: i for i, v in enumerate(targets.ids)}
    partners: dict[int, set[int]] = {i: set() for i in range(n)}
    for a, b in zip(real.get("id_a", []), real.get("id_b", []), strict=True):
        partners[idx[a]].add(idx[b])
        partners[idx[b]].add(idx[a])
    out_geom: list[Any] = []
    members: list[tuple[int, ...]] = []
    # connected groups of overlapping targets
    seen: set[int] = set()
    for i in range(n):
        if i in seen:
            continue
        group, stack = set(), [i]
        while stack:
            k = stack.pop()
            if k in group:
                continue
            group.add(k)
            stack.extend(partners[k] - group)
        seen |= group
        if len(group) == 1:
            out_geom.append(geoms[i])
            members.append((i,))
            continue
        g = sorted(group)
        lines = shapely.union_all(shapely.boundary(geoms[g]))
        faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
        pts = shapely.point_on_surface(faces)
        cover = [tuple(j for j in g if shapely.contains(geoms[j], p)) for p in pts]
        # merge faces with the same cover (keeps the atom count small)
        by_cover: dict[tuple[int, ...], list[Any]] = {}
        for f, c in zip(faces, cover, strict=True):
            if c:
                by_cover.setdefault(c, []).append(f)
        for c, fs in by_cover.items():
            out_geom.append(shapely.union_all(fs))
            members.append(c)
    return Atoms(np.array(out_geom, dtype=object), members)


@dataclass(frozen=True)
class InterpolationResult:
    """Values carried onto targets, with the weights and the conservation report.

    Attributes
    ----------
    table : geopandas.GeoDataFrame
        One row per target: ``id``, ``name``, one column per value (NaN where no source with
        a value reaches the target), ``<value>_coverage`` for extensive values (share of the
        target's area reached by sources with a value: below 1 the value is a partial sum),
        ``method``.
    weights : pandas.DataFrame
        ``source``, ``atom``, ``targets`` (ids joined by ``;``), ``weight`` (share of the
        source's value that went to the atom).
    report : dict
        Per value: ``source_total``, ``inside``, ``outside``, ``sum_over_targets``,
        ``double_counted_in_overlaps``, ``conserved``; and the adjustments made.
    """

    table: gpd.GeoDataFrame
    weights: pd.DataFrame
    report: dict[str, Any]


def _pair_areas(
    sources: np.ndarray, atoms: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Area of every non-empty source ∩ atom, skipping the overlay where one holds the other."""
    tree = shapely.STRtree(atoms)
    si, ai = tree.query(sources, predicate="intersects")
    if len(si) == 0:
        return si, ai, np.zeros(0)
    shapely.prepare(sources)
    area = np.empty(len(si))
    atom_in = shapely.contains(sources[si], atoms[ai])  # prepared: cheap
    area[atom_in] = shapely.area(atoms[ai[atom_in]])
    rest = np.flatnonzero(~atom_in)
    src_in = shapely.contains(atoms[ai[rest]], sources[si[rest]])
    area[rest[src_in]] = shapely.area(sources[si[rest[src_in]]])
    cut = rest[~src_in]
    area[cut] = shapely.area(shapely.intersection(sources[si[cut]], atoms[ai[cut]]))
    keep = area > 0
    return si[keep], ai[keep], area[keep]


def _point_counts(
    points: PointLayer, sources: Boundaries, atoms: Atoms
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ancillary points per (source, atom) and per source."""
    from ..join.points import assign_points

    lay = points if points.crs.equals(sources.metric_crs) else points.to_crs(sources.metric_crs)
    a_src = assign_points(lay.x, lay.y, sources.metric)
    a_atm = assign_points(lay.x, lay.y, atoms.geometry)
    n_src = np.bincount(a_src.point, minlength=len(lay))
    n_atm = np.bincount(a_atm.point, minlength=len(lay))
    per_source = np.bincount(a_src.polygon, minlength=len(sources))
    # points in exactly one source and one atom (atoms are disjoint; sources normally are)
    src_of = np.full(len(lay), -1)
    atm_of = np.full(len(lay), -1)
    one_s = a_src.point[n_src[a_src.point] == 1]
    src_of[one_s] = a_src.polygon[n_src[a_src.point] == 1]
    one_a = a_atm.point[n_atm[a_atm.point] == 1]
    atm_of[one_a] = a_atm.polygon[n_atm[a_atm.point] == 1]
    both = (src_of >= 0) & (atm_of >= 0)
    key = src_of[both].astype(np.int64) * len(atoms.geometry) + atm_of[both]
    uk, cnt = np.unique(key, return_counts=True)
    return uk // len(atoms.geometry), uk % len(atoms.geometry), cnt.astype(float), per_source


def interpolate(
    sources: Boundaries,
    values: pd.DataFrame | pd.Series,
    targets: Boundaries,
    *,
    extensive: Sequence[str] | None = None,
    intensive: Sequence[str] = (),
    weights: str | PointLayer = "area",
    overlap: str = "full",
    tolerance: float = 0.0,
) -> InterpolationResult:
    """Carry values from source zones onto target polygons.

    Parameters
    ----------
    sources : Boundaries
        Source zones; ``values`` are aligned to ``sources.ids``.
    values : pandas.DataFrame or pandas.Series
        Indexed by source id (missing ids count as NaN and are reported).
    targets : Boundaries
        Target polygons (may overlap).
    extensive : sequence of str, optional
        Columns to split by share (default: every column not in ``intensive``).
    intensive : sequence of str
        Columns averaged by area (rates, densities).
    weights : "area" or PointLayer
        Area shares, or counts of an ancillary point layer (dasymetric).
    overlap : {"full", "split"}
        Count a value in an overlap in every covering target, or divide it among them.
    tolerance : float
        Share below which a source's piece is dropped, and coverage above ``1 - tolerance``
        at which the source is rescaled to the whole (0 = pure shares).

    Returns
    -------
    InterpolationResult

    Raises
    ------
    ParameterError
        An unknown ``overlap`` or ``weights``, or ``tolerance`` outside [0, 0.5).
    SchemaError
        A named value column that ``values`` does not have (all are named at once).

    Examples
    --------
    >>> import geopandas as gpd, shapely, pandas as pd
    >>> from geodistrict import prepare_boundaries
    >>> src = prepare_boundaries(gpd.GeoDataFrame({"id": ["s"]},
    ...     geometry=[shapely.box(0, 0, 2000, 1000)], crs=27700))
    >>> tgt = prepare_boundaries(gpd.GeoDataFrame({"id": ["a", "b"]},
    ...     geometry=[shapely.box(0, 0, 500, 1000), shapely.box(500, 0, 1000, 1000)], crs=27700))
    >>> r = interpolate(src, pd.Series({"s": 100.0}, name="jobs"), tgt)
    >>> r.table["jobs"].tolist(), r.report["jobs"]["outside"]
    ([25.0, 25.0], 50.0)
    """
    modes = {"full", "split"}
    if overlap not in modes:
        raise ParameterError(f"overlap={overlap!r} is not one of {sorted(modes)}")
    if not 0 <= tolerance < 0.5:
        raise ParameterError("tolerance must be in [0, 0.5)")
    frame, extensive, intensive = _value_frame(values, extensive, intensive)
    targets = _in_metric_crs(targets, sources.metric_crs)
    src_ids = sources.ids.astype(str)
    missing_ids = [i for i in frame.index if i not in set(src_ids)]
    v = frame.reindex(src_ids)
    has_value = v[extensive + intensive].notna().any(axis=1).to_numpy()
    no_value = [str(i) for i in src_ids[~has_value]]
    atoms = build_atoms(targets)
    si, ai, area = _pair_areas(sources.metric, atoms.geometry)
    src_area = shapely.area(sources.metric)
    share = area / src_area[si]
    share[np.abs(share - 1.0) < 1e-9] = 1.0  # a source wholly inside an atom, up to rounding
    method = "area"
    fallback: list[str] = []
    if isinstance(weights, PointLayer):
        method = f"dasymetric ({weights.name})"
        share, fallback = _point_shares(weights, sources, atoms, si, ai, share)
    elif weights != "area":
        raise ParameterError("weights must be 'area' or a PointLayer of ancillary points")
    w = pd.DataFrame({"source": si, "atom": ai, "share": share})
    w, dropped, rescaled = _apply_tolerance(w, tolerance, src_ids)
    coverage = w.groupby("source")["share"].sum().reindex(range(len(src_ids)), fill_value=0.0)
    k = np.array([len(m) for m in atoms.members])
    pieces = _pieces(w, atoms, src_area, len(targets))
    t_area = shapely.area(targets.metric)
    out: dict[str, Any] = {"id": targets.ids, "name": targets.names}
    report: dict[str, Any] = {}
    for col in extensive:
        vals = pd.to_numeric(v[col], errors="coerce").to_numpy(dtype=float)
        tv, cov_t, report[col] = _extensive(
            vals, pieces, k, t_area, coverage.to_numpy(), split=overlap == "split"
        )
        out[col] = np.where(cov_t > 0, tv, np.nan)
        out[f"{col}_coverage"] = cov_t
    for col in intensive:
        vals = pd.to_numeric(v[col], errors="coerce").to_numpy(dtype=float)
        out[col] = _intensive(vals, pieces)
        report[col] = {"kind": "intensive", "rule": "area-weighted mean of covering sources"}
    out["method"] = f"{method} interpolation, overlap={overlap}, tolerance={tolerance:g}"
    table = gpd.GeoDataFrame(
        pd.DataFrame(out), geometry=targets.data.geometry.values, crs=targets.data.crs
    )
    tids = targets.ids
    atom_targets = [";".join(str(tids[t]) for t in m) for m in atoms.members]
    weights_df = pd.DataFrame(
        {
            "source": src_ids[pieces.source],
            "atom": pieces.atom,
            "targets": [atom_targets[a] for a in pieces.atom],
            "weight": pieces.share,
        }
    )
    report["adjustments"] = {
        "method": method,
        "overlap": overlap,
        "tolerance": tolerance,
        "atoms": len(atoms.geometry),
        "overlap_atoms": int((k > 1).sum()),
        "dropped_pieces": dropped,
        "rescaled_sources": rescaled,
        "area_fallback_sources": fallback,
        "values_without_zone": missing_ids,
        "zones_without_value": no_value,
    }
    return InterpolationResult(table=table, weights=weights_df, report=report)


def _value_frame(
    values: pd.DataFrame | pd.Series, extensive: Sequence[str] | None, intensive: Sequence[str]
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The values as a frame indexed by text ids, and the extensive and intensive columns.

    Raises
    ------
    SchemaError
        When a named column is not among the values.
    """
    frame = values.to_frame() if isinstance(values, pd.Series) else values.copy()
    frame.index = frame.index.astype(str)
    intensive = list(intensive)
    extensive = (
        list(extensive)
        if extensive is not None
        else [c for c in frame.columns if c not in intensive]
    )
    require_columns(
        frame,
        [str(c) for c in extensive + intensive],
        "the values to interpolate",
        fix=f"name columns among {', '.join(map(str, frame.columns))}.",
    )
    return frame, extensive, intensive


def _in_metric_crs(targets: Boundaries, crs: Any) -> Boundaries:
    """``targets`` with their metric geometries in ``crs`` (unchanged when already there)."""
    if targets.metric_crs.equals(crs):
        return targets
    targets_metric = gpd.GeoSeries(targets.metric, crs=targets.metric_crs).to_crs(crs)
    return replace(targets, metric=np.asarray(targets_metric.array, dtype=object), metric_crs=crs)


def _point_shares(
    points: PointLayer,
    sources: Boundaries,
    atoms: Atoms,
    si: np.ndarray,
    ai: np.ndarray,
    share: np.ndarray,
) -> tuple[np.ndarray, list[str]]:
    """Dasymetric shares: each (source, atom) piece's share of the source's points.

    Sources without points keep their area shares; their ids are returned.
    """
    ps, pa, pc, per_source = _point_counts(points, sources, atoms)
    has_pts = per_source > 0
    key_area = si.astype(np.int64) * len(atoms.geometry) + ai
    key_pts = ps * len(atoms.geometry) + pa
    pt_share = pd.Series(pc / per_source[ps], index=key_pts)
    use_pts = has_pts[si]
    share = np.where(use_pts, pt_share.reindex(key_area).fillna(0.0).to_numpy(), share)
    src_ids = sources.ids.astype(str)
    return share, [str(src_ids[i]) for i in np.flatnonzero(~has_pts)]


def _apply_tolerance(
    w: pd.DataFrame, tolerance: float, src_ids: np.ndarray
) -> tuple[pd.DataFrame, int, list[str]]:
    """Drop pieces below ``tolerance``; rescale sources covered above ``1 - tolerance``.

    Returns the pieces, how many were dropped and the ids of the rescaled sources.
    """
    if tolerance <= 0:
        return w, 0, []
    small = w["share"] < tolerance
    dropped = int(small.sum())
    w = w.loc[~small]
    cov = w.groupby("source")["share"].sum()
    full = cov[(cov >= 1 - tolerance) & (cov < 1 - 1e-12)]
    rescaled: list[str] = []
    if len(full):
        f = w["source"].map(full)
        w.loc[f.notna(), "share"] = w.loc[f.notna(), "share"] / f[f.notna()]
        rescaled = [str(src_ids[i]) for i in full.index]
    return w, dropped, rescaled


@dataclass(frozen=True)
class _Pieces:
    """The (source, atom) pieces and their incidence on targets.

    ``source``, ``atom``, ``share`` and ``area`` (area-equivalent) are per piece; ``rows_p``
    and ``rows_t`` list every (piece, target) pair: a piece reaches each target of its atom.
    """

    source: np.ndarray
    atom: np.ndarray
    share: np.ndarray
    area: np.ndarray
    rows_p: np.ndarray
    rows_t: np.ndarray
    n_targets: int


def _pieces(w: pd.DataFrame, atoms: Atoms, src_area: np.ndarray, n_targets: int) -> _Pieces:
    """The pieces of ``w`` with their target incidence (see :class:`_Pieces`)."""
    m_count = np.array([len(m) for m in atoms.members], dtype=np.int64)
    m_start = np.concatenate(([0], np.cumsum(m_count)[:-1]))
    m_flat = np.fromiter((t for m in atoms.members for t in m), dtype=np.int64)
    piece_atom = w["atom"].to_numpy()
    rows_p_arr = np.repeat(np.arange(len(piece_atom)), m_count[piece_atom])
    offs = np.arange(len(rows_p_arr)) - np.repeat(
        np.cumsum(m_count[piece_atom]) - m_count[piece_atom], m_count[piece_atom]
    )
    rows_t_arr = m_flat[m_start[piece_atom[rows_p_arr]] + offs]
    share_arr = w["share"].to_numpy()
    src_arr = w["source"].to_numpy()
    return _Pieces(
        source=src_arr,
        atom=w["atom"].to_numpy(),
        share=share_arr,
        area=share_arr * src_area[src_arr],
        rows_p=rows_p_arr,
        rows_t=rows_t_arr,
        n_targets=n_targets,
    )


def _extensive(
    vals: np.ndarray,
    pieces: _Pieces,
    k: np.ndarray,
    t_area: np.ndarray,
    coverage: np.ndarray,
    *,
    split: bool,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Totals per target, the share of each target reached by valued sources, and the report.

    ``k`` is the number of targets of each atom (a value in an overlap is divided among them
    with ``split``); ``coverage`` the share of each source inside some target.
    """
    p = pieces
    n_t = p.n_targets
    vz = np.nan_to_num(vals)
    contrib = vz[p.source] * p.share  # per (source, atom) pair
    per_target = contrib[p.rows_p]
    if split:
        per_target = per_target / k[p.atom[p.rows_p]]
    tv = np.bincount(p.rows_t, weights=per_target, minlength=n_t)
    # share of each target's area reached by sources that have a value
    valued = ~np.isnan(vals[p.source[p.rows_p]])
    reach = np.bincount(p.rows_t[valued], weights=p.area[p.rows_p][valued], minlength=n_t)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov_t = np.minimum(reach / t_area, 1.0)
    total = float(np.nansum(vals))
    inside = float(contrib.sum())
    outside = float(np.sum(vz * (1 - coverage)))
    if abs(outside) <= 1e-9 * max(abs(total), 1.0):
        outside = 0.0  # rescaled shares sum to 1 up to rounding
    report = {
        "kind": "extensive",
        "source_total": total,
        "inside": inside,
        "outside": outside,
        "sum_over_targets": float(np.nansum(tv)),
        "double_counted_in_overlaps": float(tv.sum() - inside),
        "conserved": bool(abs(inside + outside - total) <= 1e-9 * max(abs(total), 1.0)),
        "missing_sources": int(np.isnan(vals).sum()),
    }
    return tv, cov_t, report


def _intensive(vals: np.ndarray, pieces: _Pieces) -> np.ndarray:
    """Area-weighted mean of the covering sources that have a value (NaN when none)."""
    p = pieces
    ok = ~np.isnan(vals[p.source[p.rows_p]])
    num = np.bincount(
        p.rows_t[ok], weights=(vals[p.source] * p.area)[p.rows_p][ok], minlength=p.n_targets
    )
    den = np.bincount(p.rows_t[ok], weights=p.area[p.rows_p][ok], minlength=p.n_targets)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)
