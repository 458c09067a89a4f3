"""Kernel density with the binning done on a Dask cluster."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyproj import CRS

from ..errors import EmptyLayerError, ParameterError, SchemaError
from ..layers import PointLayer
from ._common import RETRIES, share_with_tasks, single_threaded_lookups, work_folder
from ._partitioned import PartitionedPoints, as_partitioned, partition_offsets, read_partition

# --------------------------------------------------------------------------------------------
# kernel density


def _kde_points(
    file: str, offset: int, spec: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, int]:
    """A partition's points in the study area (metric CRS), positions, weights, excluded."""
    from ..clusters.kde import inside_polygons
    from ..crs import transform_xy

    single_threaded_lookups()
    wcol = spec["weights"]
    x, y, pos, attrs = read_partition(file, [wcol] if wcol else [], offset)
    w = None
    if wcol:
        w = pd.to_numeric(attrs[wcol], errors="coerce").to_numpy(dtype="float64")
        bad = ~np.isfinite(w)
        if bad.any() or (w < 0).any():
            raise SchemaError(
                f"{spec['name']}: {int(bad.sum())} weights ({wcol}) are missing or not numbers "
                f"and {int((w[~bad] < 0).sum())} negative in {file}; a density needs weights "
                ">= 0 (fill or drop them first)."
            )
    x, y = transform_xy(x, y, spec["crs"], spec["mcrs"])
    minx, miny, maxx, maxy = spec["area"]
    keep = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
    if spec["polys"] is not None:
        keep[keep] = inside_polygons(x[keep], y[keep], spec["polys"])
    n_excl = int((~keep).sum())
    return x[keep], y[keep], pos[keep], (None if w is None else w[keep]), n_excl


def _bin_task(file: str, offset: int, spec: dict[str, Any]) -> dict[str, Any]:
    """Bin one partition: per component, the partition's fold over each cell it touches."""
    from ..clusters.kde import cic_shares

    x, y, pos, w, n_excl = _kde_points(file, offset, spec)
    comps = cic_shares(x, y, w, *spec["frame"])
    out = []
    for idx, val in comps:
        cells, inv = np.unique(idx, return_inverse=True)
        sums = np.bincount(inv, weights=val, minlength=len(cells))  # in layer order
        nz = sums != 0
        out.append((cells[nz], sums[nz]))
    integer = w is None or bool(np.all(w == np.floor(w)))
    return {
        "components": out,
        "n": int(len(x)),
        "excluded": n_excl,
        # integer weights sum exactly in any order; others are summed again in layer order
        "weight_sum": float(w.sum()) if w is not None and integer else None,
    }


def _weights_task(file: str, offset: int, spec: dict[str, Any]) -> tuple:
    """Positions and weights of a partition's points in the study area."""
    _, _, pos, w, _ = _kde_points(file, offset, spec)
    return pos, w


def _contrib_task(
    file: str, offset: int, spec: dict[str, Any], shared: list[np.ndarray]
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The partition's contributions (position, cell, share) to cells shared with others."""
    from ..clusters.kde import cic_shares

    x, y, pos, w, _ = _kde_points(file, offset, spec)
    out = []
    for (idx, val), cells in zip(cic_shares(x, y, w, *spec["frame"]), shared, strict=True):
        sel = np.isin(idx, cells) & (val != 0)
        out.append((pos[sel], idx[sel], val[sel]))
    return out


def _bounds_task(file: str, offset: int, crs: Any, mcrs: Any) -> tuple[float, ...]:
    from ..crs import transform_xy

    x, y, _, _ = read_partition(file, (), offset)
    x, y = transform_xy(x, y, crs, mcrs)
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


def _bounds(client: Any, pp: PartitionedPoints, mcrs: CRS) -> tuple[float, ...]:
    """Exact bounds of the points in ``mcrs`` (one pass over the partitions if needed)."""
    if pp.crs.equals(mcrs):
        return pp.bounds
    parts = [
        client.submit(_bounds_task, f, off, pp.crs, mcrs, retries=RETRIES, pure=False)
        for f, off in zip(pp.file_paths(), partition_offsets(pp), strict=True)
    ]
    b = np.array(client.gather(parts))
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def kde_dask(
    points: PointLayer | PartitionedPoints,
    *,
    client: Any,
    bandwidth_m: float,
    cell_m: float,
    kernel: str = "quartic",
    weights: str | None = None,
    within: Any = None,
    extent: Sequence[float] | None = None,
    metric_crs: object | None = None,
    partitions: int | None = None,
    workdir: str | Path | None = None,
) -> Any:
    """:func:`geodistrict.clusters.kde.kde` on a Dask cluster: a bit-identical surface.

    Each partition bins its points on the same grid (cloud-in-cell, four components as on
    one machine). A cell binned by one partition takes that partition's sum, which adds the
    same shares in the same (layer) order as one machine does; the few cells on the border
    of two partitions are summed again from their shares in layer order. The binned grid is
    then convolved once, so the surface equals the single-machine one bit for bit.

    Parameters
    ----------
    points : PointLayer or PartitionedPoints
        The points.
    client : distributed.Client
        From :func:`dask_client`.
    bandwidth_m, cell_m, kernel, within, extent, metric_crs
        As for :func:`~geodistrict.clusters.kde.kde`.
    weights : str, optional
        A numeric column (>= 0, no missing values).
    partitions, workdir
        As for :func:`profile_dask`.

    Returns
    -------
    KDEResult
    """
    from ..clusters.kde import (
        check_parameters,
        finish_surface,
        study_bounds,
        study_crs,
        surface_frame,
    )

    check_parameters(bandwidth_m=bandwidth_m, cell_m=cell_m, kernel=kernel)
    if weights is not None and not isinstance(weights, str):
        raise ParameterError("kde_dask: weights must be a column name.")
    bandwidth_m, cell_m = float(bandwidth_m), float(cell_m)
    points.require_points()
    _check_weight_column(points, weights)
    polys, mcrs = study_crs(points, within, metric_crs)
    with work_folder(workdir) as wd:
        pp = as_partitioned(
            points,
            wd,
            client,
            partitions=partitions,
            metric_crs=mcrs,
            columns=[weights] if weights else [],
        )
        bounds, area = study_bounds(extent, polys, mcrs, lambda: _bounds(client, pp, mcrs))
        frame = surface_frame(
            bounds, area, polys, mcrs,
            kernel=kernel, bandwidth_m=bandwidth_m, cell_m=cell_m, name=pp.name,
        )  # fmt: skip
        spec = {
            "crs": pp.crs,
            "mcrs": mcrs,
            "area": bounds,
            "polys": polys,
            "weights": weights,
            "name": pp.name,
            "frame": (*frame.origin, cell_m, frame.shape),
        }
        sp = share_with_tasks(client, spec)
        items = list(zip(pp.file_paths(), partition_offsets(pp), strict=True))
        futures = [
            client.submit(_bin_task, f, off, sp, retries=RETRIES, pure=False) for f, off in items
        ]
        parts = client.gather(futures)
        n_points = sum(p["n"] for p in parts)
        if n_points == 0:
            raise EmptyLayerError(
                f"{pp.name}: none of its {len(pp)} points lies in the study area ({area}); "
                "check that the points and the boundaries cover the same place."
            )
        shared = _shared_cells(parts)
        need = [
            i
            for i, p in enumerate(parts)
            if any(np.isin(p["components"][k][0], shared[k]).any() for k in range(4))
        ]
        contrib = client.gather(
            [
                client.submit(_contrib_task, *items[i], sp, shared, retries=RETRIES, pure=False)
                for i in need
            ]
        )
        total = _total_weight(client, parts, items, sp, weighted=weights is not None)
    ncell = frame.shape[0] * frame.shape[1]
    return finish_surface(
        _merge_bins(parts, contrib, shared, ncell).reshape(frame.shape),
        frame,
        total=total,
        n_points=int(n_points),
        n_excluded=sum(p["excluded"] for p in parts),
        weight=weights,
        source=pp.info.as_dict(),
    )


def _check_weight_column(points: PointLayer | PartitionedPoints, weights: str | None) -> None:
    """The single-machine checks of a weight column (its values are checked per partition)."""
    from ..clusters.kde import point_weights

    if weights is None:
        return
    if isinstance(points, PointLayer):
        point_weights(points, weights)  # the single-machine checks and messages
    elif weights not in points.columns:
        raise SchemaError(
            f"{points.name}: no column {weights!r} for weights; columns are "
            f"{', '.join(points.columns)}."
        )


def _shared_cells(parts: list[dict[str, Any]]) -> list[np.ndarray]:
    """Per component, the cells binned by more than one partition."""
    shared = []
    for k in range(4):
        cells = np.concatenate([p["components"][k][0] for p in parts])
        uniq, times = np.unique(cells, return_counts=True)
        shared.append(uniq[times > 1])
    return shared


def _total_weight(
    client: Any, parts: list[dict[str, Any]], items: list, sp: Any, *, weighted: bool
) -> float:
    """The points' total weight, summed as one machine sums it."""
    n_points = sum(p["n"] for p in parts)
    if not weighted:
        return float(n_points)
    if all(p["weight_sum"] is not None for p in parts) and (
        sum(p["weight_sum"] for p in parts) < 2**53
    ):
        return float(sum(p["weight_sum"] for p in parts))
    # fractional weights: numpy's sum of the layer's weights, in layer order
    pw = client.gather(
        [client.submit(_weights_task, *it, sp, retries=RETRIES, pure=False) for it in items]
    )
    pos = np.concatenate([q[0] for q in pw])
    w_all = np.concatenate([q[1] for q in pw])
    return float(w_all[np.argsort(pos, kind="stable")].sum())


def _merge_bins(
    parts: list[dict[str, Any]], contrib: list, shared: list[np.ndarray], ncell: int
) -> np.ndarray:
    """The binned grid (flat): each partition's cells, shared cells re-summed in layer order."""
    binned = np.zeros(ncell)
    for k in range(4):
        comp = np.zeros(ncell)
        for p in parts:
            cells, sums = p["components"][k]
            comp[cells] = sums
        if len(shared[k]):
            pos = np.concatenate([c[k][0] for c in contrib])
            idx = np.concatenate([c[k][1] for c in contrib])
            val = np.concatenate([c[k][2] for c in contrib])
            order = np.argsort(pos, kind="stable")
            comp[shared[k]] = np.bincount(idx[order], weights=val[order], minlength=ncell)[
                shared[k]
            ]
        if k == 0:
            binned = comp
        else:
            binned += comp
    return binned
