"""Grid counts and hot spots with the counting done on a Dask cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyproj import CRS

from ..errors import ParameterError
from ..layers import PointLayer
from ._common import RETRIES, share_with_tasks, work_folder
from ._partitioned import PartitionedPoints, as_partitioned, partition_offsets, read_partition

# --------------------------------------------------------------------------------------------
# grid counts


def _grid_lookup(grid: Any) -> dict[str, Any]:
    """What a task needs to place points in a grid's cells (not the cell geometries)."""
    from ..clusters.grids import cell_lookup, grid_spec

    if grid_spec(grid)["kind"] == "square" and grid_spec(grid).get("clip"):
        raise ParameterError(
            "grid_counts_dask: clipped square grids are counted on one machine only; "
            "build the grid with clip=False (or leave out --cluster)."
        )
    return cell_lookup(grid)


def _grid_task(file: str, offset: int, lookup: dict[str, Any], spec: dict[str, Any]) -> dict:
    from ..clusters.grids import locate_cells
    from ..crs import transform_xy

    x, y, pos, _ = read_partition(file, (), offset)
    x, y = transform_xy(x, y, spec["crs"], spec["grid_crs"])
    cellpos = locate_cells(lookup, x, y, spec["grid_crs"])
    inside = np.flatnonzero(cellpos >= 0)
    cell = cellpos[inside]
    n = lookup["n"]
    codes, where = pd.factorize(x[inside] + 1j * y[inside])
    first = np.unique(codes, return_index=True)[1]
    stack = np.bincount(codes, minlength=len(where))
    # the partition's five largest stacks, ties to the first in the layer
    first_pos = pos[inside][first]
    top = np.lexsort((first_pos, -stack))[:5]
    top = top[stack[top] > 1]
    return {
        "count": np.bincount(cell, minlength=n),
        "locations": np.bincount(cell[first], minlength=n),
        "in_cells": int(len(inside)),
        "n": int(len(x)),
        "distinct": int(len(where)),
        "sharing": int((stack[codes] > 1).sum()),
        "top": [
            (int(stack[i]), int(first_pos[i]), float(where[i].real), float(where[i].imag))
            for i in top
        ],
    }


def _check_same_partition_crs(points: PartitionedPoints, crs: CRS, what: str) -> None:
    if points.metric_crs is None or not points.metric_crs.equals(crs):
        raise ParameterError(
            f"{what}: {points.info.source} was partitioned in "
            f"{points.metric_crs.to_string() if points.metric_crs else 'an unknown CRS'}, not "
            f"in the grid's {crs.to_string()}; distinct locations need points with the same "
            "coordinates in one partition: rewrite it with write_partitioned(..., "
            f"metric_crs={crs.to_string()!r})."
        )


def grid_counts_dask(
    grid: Any,
    points: PointLayer | PartitionedPoints,
    *,
    client: Any,
    partitions: int | None = None,
    workdir: str | Path | None = None,
) -> Any:
    """:func:`geodistrict.clusters.grids.count_points` on a Dask cluster: the same frame.

    Each partition counts its points per cell of the same grid (square, unclipped, or H3);
    the counts are summed. Points with identical coordinates share a partition, so the
    distinct locations per cell and the largest stacks are exact too.

    Parameters
    ----------
    grid : geopandas.GeoDataFrame
        From :func:`~geodistrict.clusters.grids.square_grid` (``clip=False``) or
        :func:`~geodistrict.clusters.grids.hex_grid`.
    points : PointLayer or PartitionedPoints
        The points.
    client : distributed.Client
        From :func:`dask_client`.
    partitions : int, optional
        Partitions written for a PointLayer.
    workdir : str or pathlib.Path, optional
        Where to write them (default: a temporary directory).

    Returns
    -------
    geopandas.GeoDataFrame
        ``count``, ``count_per_km2``, ``locations`` and ``attrs["count"]`` as
        :func:`~geodistrict.clusters.grids.count_points` (without ``weight``/``by``).
    """
    lookup = _grid_lookup(grid)
    gcrs = CRS.from_user_input(grid.crs)
    with work_folder(workdir) as wd:
        pp = as_partitioned(points, wd, client, partitions=partitions, metric_crs=gcrs, columns=())
        _check_same_partition_crs(pp, gcrs, "grid_counts_dask")
        lk = share_with_tasks(client, lookup)
        spec = {"crs": pp.crs, "grid_crs": gcrs}
        futures = [
            client.submit(_grid_task, f, off, lk, spec, retries=RETRIES, pure=False)
            for f, off in zip(pp.file_paths(), partition_offsets(pp), strict=True)
        ]
        parts = client.gather(futures)
    n = len(grid)
    counts = np.sum([p["count"] for p in parts], axis=0) if parts else np.zeros(n, np.int64)
    out = grid.copy()
    out["count"] = counts
    area_km2 = out.geometry.area.to_numpy() / 1e6
    with np.errstate(divide="ignore", invalid="ignore"):
        out["count_per_km2"] = counts / area_km2
    out["locations"] = np.sum([p["locations"] for p in parts], axis=0)
    top = sorted((t for p in parts for t in p["top"]), key=lambda t: (-t[0], t[1]))[:5]
    in_cells = sum(p["in_cells"] for p in parts)
    out.attrs["grid"] = dict(grid.attrs["grid"])
    out.attrs["count"] = {
        "layer": pp.info.as_dict(),
        "input": int(pp.n_input),
        "in_cells": int(in_cells),
        "outside_cells": int(len(pp) - in_cells),
        "rejected": int(len(pp.rejected)),
        "note": "input = in_cells + outside_cells + rejected",
        "locations": int(sum(p["distinct"] for p in parts)),
        "points_sharing_coordinates": int(sum(p["sharing"] for p in parts)),
        "largest_stacks": [{"x": t[2], "y": t[3], "points": t[0]} for t in top],
    }
    return out


# --------------------------------------------------------------------------------------------
# hot spots


def hotspots_dask(
    points: PointLayer | PartitionedPoints,
    *,
    client: Any,
    partitions: int | None = None,
    workdir: str | Path | None = None,
    within: Any = None,
    cell_m: float,
    statistic: str = "gi",
    value: str = "count",
    grid: str = "square",
    resolution: int | None = None,
    contiguity: str = "queen",
    permutations: int = 0,
    seed: int | None = None,
    fdr: float = 0.05,
    correction: str = "fdr_bh",
    alternative: str = "two-sided",
) -> Any:
    """:func:`geodistrict.clusters.hotspots.hotspots` with the counting done on Dask.

    Only the counts per cell touch the points, so only they run as partition tasks
    (:func:`grid_counts_dask`); the grid, the weights and the statistic are computed here
    from identical counts, in the same steps as :func:`~geodistrict.clusters.hotspots.hotspots`
    (without ``clip``), so the cells, z-scores and classes are identical.
    """
    from .._validate import as_boundaries
    from ..clusters.hotspots import HotspotOptions, cell_grid, cell_statistics, populated_land

    options = HotspotOptions(
        cell_m=cell_m,
        statistic=statistic,
        value=value,
        grid=grid,
        resolution=resolution,
        contiguity=contiguity,
        permutations=permutations,
        seed=seed,
        fdr=fdr,
        correction=correction,
        alternative=alternative,
    ).checked()
    points.require_points()
    if within is not None:
        b = as_boundaries(within, "within", paths=False)
    elif isinstance(points, PointLayer):
        b = populated_land(points, cell_m)
    else:
        raise ParameterError(
            "hotspots_dask: give within= (the study area) for partitioned points, or pass "
            "the PointLayer."
        )
    cells, size = cell_grid(b, cell_m=cell_m, grid=grid, resolution=resolution)
    counted = grid_counts_dask(cells, points, client=client, partitions=partitions, workdir=workdir)
    return cell_statistics(
        counted, b, source=points.info.source, n_points=len(points), size=size, options=options
    )
