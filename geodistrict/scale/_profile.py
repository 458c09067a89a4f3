"""The profile of :func:`geodistrict.metrics.profile` computed on a Dask cluster."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ArgumentTypeError, CRSError
from ..layers import PointLayer
from ._common import RETRIES, share_with_tasks, single_threaded_lookups, work_folder
from ._partitioned import PartitionedPoints, as_partitioned, partition_offsets, read_partition

# --------------------------------------------------------------------------------------------
# profile


def _profile_task(
    file: str,
    offset: int,
    boundaries: Any,
    spec: dict[str, Any],
) -> dict[str, Any]:
    from ..join.points import join_points

    single_threaded_lookups()
    x, y, pos, attrs = read_partition(file, spec["columns"], offset)
    lo, hi = spec["swap_extent"][:2], spec["swap_extent"][2:]
    inside = (x >= lo[0]) & (x <= hi[0]) & (y >= lo[1]) & (y <= hi[1])
    swapped = (y >= lo[0]) & (y <= hi[0]) & (x >= lo[1]) & (x <= hi[1])
    if "row" not in attrs.columns:
        attrs.insert(0, "row", pos)
    layer = PointLayer(x=x, y=y, crs=spec["crs"], attributes=attrs, info=spec["info"])
    j = join_points(
        layer, boundaries, snap_m=spec["snap_m"], method=spec["method"], check_swap=False
    )
    t = j.tally(by=spec["by"], weights=spec["weights"])
    if t.country:  # positions of first points: in the partition -> in the layer
        for v in t.country["by_country"].values():
            v[1] = int(pos[v[1]])
    return {"tally": t, "swap": (len(x), int(inside.sum()), int(swapped.sum()))}


def profile_dask(
    boundaries: Any,
    layers: Sequence[PointLayer | PartitionedPoints] | Mapping[str, Any],
    *,
    client: Any,
    partitions: int | None = None,
    by: Mapping[str, str] | None = None,
    weights: Mapping[str, Sequence[str] | str] | None = None,
    snap_m: float | None = None,
    method: str = "grid",
    workdir: str | Path | None = None,
) -> Any:
    """:func:`geodistrict.metrics.profile` on a Dask cluster: the same table and report.

    Each layer is written as Hilbert-partitioned GeoParquet (unless it already is one), each
    partition is joined by one task against the boundaries (sent to every worker once) and
    the partitions' :class:`~geodistrict.join.tally.JoinTally` are summed exactly.

    Parameters
    ----------
    boundaries : Boundaries
        As for :func:`geodistrict.metrics.profile`.
    layers : sequence or mapping of PointLayer or PartitionedPoints
        The point layers.
    client : distributed.Client
        From :func:`dask_client`.
    partitions : int, optional
        Partitions per layer written here (default: one per million points).
    by, weights, snap_m, method
        As for :func:`geodistrict.metrics.profile`.
    workdir : str or pathlib.Path, optional
        Where to write the partitions (default: a temporary directory, removed afterwards;
        with a remote cluster give a directory every worker can read).

    Returns
    -------
    Profile
        Its ``joins`` is empty: the per-point assignments stay on the workers.
    """
    from ..boundaries import Boundaries
    from ..join.tally import JoinTally
    from ..metrics.profile import assemble_profile, profile_request

    if not isinstance(boundaries, Boundaries):
        raise ArgumentTypeError(
            "boundaries must be geodistrict Boundaries (geodistrict.read_boundaries)."
        )
    request = profile_request(layers, by, weights, snap_m=snap_m, method=method)
    b_future = share_with_tasks(client, boundaries)
    tallies, crss, n_parts = {}, {}, {}
    with work_folder(workdir) as wd:
        for lay in request.layers:
            cols = request.columns(lay.name)
            pp = as_partitioned(
                lay, wd, client, partitions=partitions, metric_crs=boundaries.metric_crs,
                columns=[*cols, "laua"],
            )  # fmt: skip
            ext = boundaries.data.total_bounds
            if not pp.crs.equals(boundaries.data.crs):
                from pyproj import Transformer

                tr = Transformer.from_crs(boundaries.data.crs, pp.crs, always_xy=True)
                minx, miny, maxx, maxy = ext
                ext = tr.transform_bounds(minx, miny, maxx, maxy, densify_pts=21)
            spec = {
                "columns": [c for c in (*cols, "laua") if c in pp.columns],
                "crs": pp.crs,
                "info": pp.info,
                "snap_m": snap_m,
                "method": method,
                "by": request.by_columns(lay.name),
                "weights": request.weights.get(lay.name, []),
                "swap_extent": [float(v) for v in ext],
            }
            files = pp.file_paths()
            n_parts[lay.name] = len(files)
            futures = [
                client.submit(_profile_task, f, off, b_future, spec, retries=RETRIES, pure=False)
                for f, off in zip(files, partition_offsets(pp), strict=True)
            ]
            parts = client.gather(futures)
            n, inside, swapped = (sum(p["swap"][i] for p in parts) for i in range(3))
            if n and inside / n < 0.05 and swapped / n > 0.5:
                raise CRSError(
                    f"{pp.info.source}: {n - inside} of {n} points fall outside the boundaries, "
                    "but would fall inside them with x and y swapped: the longitude and latitude "
                    "(or easting and northing) columns look swapped; swap them (e.g. "
                    "--xy NAME=LONCOL,LATCOL with longitude first)."
                )
            tallies[lay.name] = JoinTally.combine([p["tally"] for p in parts])
            crss[lay.name] = (
                pp.crs if pp.crs.equals(boundaries.metric_crs) else boundaries.metric_crs
            )
    p = assemble_profile(boundaries, request, tallies, crss)
    p.report["scale"] = {
        "engine": "dask",
        "partitions": n_parts,
        "workers": len(client.scheduler_info().get("workers", {})),
    }
    return p
