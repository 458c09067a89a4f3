"""Scale: national point layers on one machine, and the same pipeline on a Dask cluster.

When to use which
-----------------
* **One machine, in memory (the default).** :func:`geodistrict.profile`,
  :func:`geodistrict.clusters.kde.kde` and :func:`geodistrict.clusters.grids.count_points`
  hold a layer as two coordinate arrays and join it through a rasterised look-up table
  (:class:`geodistrict.polygon_grid.PolygonGrid`): all 2.7 M UK postcodes meet the 38 LEPs in about
  0.05 s (0.03 s once the table is built) and ``geodistrict profile`` runs in about 2 s and
  under 2 GB. Use it whenever the points fit in memory (16 bytes a point, plus their
  attributes): up to some tens of millions of points on a laptop.
* **Dask (``--cluster local`` or ``--cluster tcp://HOST:PORT``).** For layers larger than
  memory, layers already stored as partitioned GeoParquet, or a cluster of machines. The
  points are split into spatially compact partitions (ordered along a Hilbert curve over
  their metric coordinates) and stored as GeoParquet (native point encoding, one file a
  partition); every partition is read and processed by one task, and the tasks' results are
  combined exactly: integer counts are summed; the kernel-density binning is merged so that
  every binned cell is summed in the same order as on one machine (bit-identical surfaces).
  The boundaries go to each worker once. On one 2-core machine the Dask path is slower than
  the in-memory one for anything that fits in memory (process start-up, file round trip);
  it pays off when memory, not cores, is the limit, or with more machines.

Nothing here imports Dask until a cluster is asked for: ``import geodistrict`` stays light.
Install the extra with ``pip install "geodistrict[scale]"``.

Exactness
---------
The Dask results equal the single-machine results: counts per boundary and per grid cell,
the accounting report (matched, multi, unmatched, snapped, checks), the distinct locations
per cell and the binned kernel-density grid are identical (the tests check this on ONS
postcodes). Sums of fractional weights (``--weight`` in a profile) may differ in the last
bits, as floating-point additions in another order do; integer weights are exact.

Faults
------
A task lost with its worker is run again on another worker: the scheduler allows
``distributed.scheduler.allowed-failures`` worker deaths per task (3 by default; set it with
``dask.config.set``), and a task that raises is retried :data:`RETRIES` times. What every
task shares (the boundaries, the grid, the KDE frame) is itself a task result, which the
scheduler recomputes if its worker dies (scattered data would be lost). Results are the
same, as every task is a pure function of its partition file.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyproj import CRS

from ._errors import (
    CRSError,
    EmptyLayerError,
    InputFileError,
    MissingDependencyError,
    ParameterError,
    SchemaError,
)
from .layers import LayerInfo, PointLayer

__all__ = [
    "PartitionedPoints",
    "dask_client",
    "grid_counts_dask",
    "hilbert_distance",
    "hotspots_dask",
    "kde_dask",
    "profile_dask",
    "read_partitioned",
    "write_partitioned",
]

#: Retries of a task that raised (a worker that dies is handled by the scheduler).
RETRIES = 2
#: Points per partition when the number of partitions is not given.
POINTS_PER_PARTITION = 1_000_000
_SIDECAR = "_geodistrict.json"
_POS = "_pos"


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise MissingDependencyError(
            '--cluster needs Dask: pip install "geodistrict[scale]" '
            '(or: pip install "dask[distributed]" dask-geopandas)'
        ) from exc
    return distributed


@contextmanager
def dask_client(
    cluster: str = "local", *, n_workers: int = 2, threads_per_worker: int = 1
) -> Iterator[Any]:
    """A ``distributed.Client`` for ``cluster``, closed (with its local cluster) on exit.

    Parameters
    ----------
    cluster : str
        ``"local"`` starts a ``distributed.LocalCluster`` of worker processes on this
        machine; ``"tcp://HOST:PORT"`` (or any scheduler address) connects to a running
        scheduler (``dask scheduler`` / ``dask worker``).
    n_workers, threads_per_worker : int
        Size of a local cluster (one single-threaded worker per core suits these tasks,
        which are numpy and GEOS code).

    Examples
    --------
    >>> with dask_client("local") as client:  # doctest: +SKIP
    ...     p = profile_dask(boundaries, [postcodes], client=client, partitions=8)
    """
    distributed = _distributed()
    if cluster == "local":
        lc = distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            dashboard_address=":0",  # any free port: several clusters may run
        )
        client = distributed.Client(lc)
        try:
            yield client
        finally:
            client.close()
            lc.close()
        return
    if "://" not in cluster and ":" not in cluster:
        raise ParameterError(
            f"--cluster {cluster!r}: give 'local' or a scheduler address such as "
            "tcp://10.0.0.5:8786."
        )
    try:
        client = distributed.Client(cluster, timeout="20s")
    except OSError as exc:
        raise ParameterError(
            f"--cluster {cluster}: no Dask scheduler answers there ({exc}); start one with "
            "'dask scheduler' (and workers with 'dask worker ADDRESS'), or use --cluster local."
        ) from exc
    try:
        yield client
    finally:
        client.close()


# --------------------------------------------------------------------------------------------
# Hilbert curve and partitioned GeoParquet


def hilbert_distance(
    x: np.ndarray, y: np.ndarray, *, bounds: Sequence[float], level: int = 16
) -> np.ndarray:
    """Distance along a Hilbert curve of ``2**level`` cells a side over ``bounds``.

    Points close on the curve are close in space, so consecutive runs of points sorted by
    distance make compact partitions (as ``dask_geopandas``' ``hilbert_distance``). Identical
    coordinates get identical distances.

    Examples
    --------
    >>> hilbert_distance(np.array([0.0, 0.0, 1.0, 1.0]), np.array([0.0, 1.0, 1.0, 0.0]),
    ...                  bounds=(0, 0, 1, 1), level=1).tolist()
    [0, 1, 2, 3]
    """
    n = 1 << int(level)
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    span = max(maxx - minx, maxy - miny)
    scale = (n - 1) / span if span > 0 else 0.0
    ix = np.clip((np.asarray(x, dtype="float64") - minx) * scale, 0, n - 1).astype(np.int64)
    iy = np.clip((np.asarray(y, dtype="float64") - miny) * scale, 0, n - 1).astype(np.int64)
    d = np.zeros(len(ix), dtype=np.int64)
    s = n >> 1
    while s > 0:
        rx = (ix & s) > 0
        ry = (iy & s) > 0
        d += s * s * ((3 * rx) ^ ry)
        flip = ~ry & rx
        ix = np.where(flip, n - 1 - ix, ix)
        iy = np.where(flip, n - 1 - iy, iy)
        swap = ~ry
        ix, iy = np.where(swap, iy, ix), np.where(swap, ix, iy)
        s >>= 1
    return d


@dataclass(frozen=True)
class PartitionedPoints:
    """A point layer stored as partitioned GeoParquet, one file per partition.

    Written by :func:`write_partitioned` (or any directory of point GeoParquet files, read by
    :func:`read_partitioned`). It stands in for a :class:`~geodistrict.layers.PointLayer`
    in the Dask functions: it knows the layer's provenance, input count and rejected rows
    without loading its points.

    Attributes
    ----------
    path : pathlib.Path
        The directory.
    files : tuple of str
        Partition files (names inside ``path``), in order.
    counts : tuple of int
        Points per partition.
    crs : pyproj.CRS
        CRS of the stored coordinates (the layer's own).
    metric_crs : pyproj.CRS or None
        CRS in which the Hilbert order was computed (identical coordinates there are in one
        partition); ``None`` for files written by other tools.
    info : LayerInfo
        Provenance.
    n_input : int
        Rows of the source (points + rejected rows).
    rejected : pandas.DataFrame
        The source's rejected rows (``row``, ``id``, ``reason``).
    columns : tuple of str
        Attribute columns stored with the points.
    bounds : tuple of float
        (minx, miny, maxx, maxy) of the points in ``crs``.
    positions : bool
        Whether the files carry each point's position in the source layer (``_pos``).
    """

    path: Path
    files: tuple[str, ...]
    counts: tuple[int, ...]
    crs: CRS
    metric_crs: CRS | None
    info: LayerInfo
    n_input: int
    rejected: pd.DataFrame
    columns: tuple[str, ...]
    bounds: tuple[float, float, float, float]
    positions: bool = True
    _dtypes: dict[str, str] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return int(sum(self.counts))

    @property
    def name(self) -> str:
        """Short layer name."""
        return self.info.name

    @property
    def attributes(self) -> pd.DataFrame:
        """An empty frame with the stored attribute columns (for checks of column names)."""
        return pd.DataFrame(
            {c: pd.Series(dtype=self._dtypes.get(c, "object")) for c in self.columns}
        )

    def renamed(self, name: str) -> PartitionedPoints:
        """The same layer under another short name."""
        return replace(self, info=replace(self.info, name=name))

    def require_points(self) -> PartitionedPoints:
        """Raise :class:`EmptyLayerError` if the layer has no points."""
        if len(self) == 0:
            raise EmptyLayerError(f"{self.info.source}: no usable points ({self.n_input} rows).")
        return self

    def file_paths(self) -> list[str]:
        """Absolute paths of the partition files."""
        return [str(self.path / f) for f in self.files]


def _geo_metadata(crs: CRS, bbox: Sequence[float]) -> bytes:
    return json.dumps(
        {
            "version": "1.1.0",
            "primary_column": "geometry",
            "columns": {
                "geometry": {
                    "encoding": "point",
                    "geometry_types": ["Point"],
                    "crs": json.loads(crs.to_json()),
                    "bbox": [float(v) for v in bbox],
                }
            },
        }
    ).encode()


def write_partitioned(
    layer: PointLayer,
    path: str | Path,
    *,
    partitions: int | None = None,
    metric_crs: object | None = None,
    columns: Sequence[str] | None = None,
) -> PartitionedPoints:
    """Write a point layer as Hilbert-ordered partitioned GeoParquet.

    The points are ordered along a Hilbert curve over their coordinates in ``metric_crs``
    and cut into ``partitions`` runs of about equal size (never between points with the same
    coordinates); each run is one file, its rows in the layer's order. Coordinates are
    stored in the layer's CRS with GeoParquet 1.1's native point encoding (a struct of x and
    y, no geometry objects), with each point's position in the layer (``_pos``) and the
    requested attribute columns; a sidecar (``_geodistrict.json``, which Parquet readers skip)
    keeps the provenance and the rejected rows. ``geopandas.read_parquet`` and
    ``dask_geopandas.read_parquet`` read the directory as it is.

    Parameters
    ----------
    layer : PointLayer
        The points.
    path : str or pathlib.Path
        A directory, created if missing; files of an earlier dataset there are replaced.
    partitions : int, optional
        Number of partitions (default: one per million points, at least one).
    metric_crs : str, int or pyproj.CRS, optional
        CRS of the Hilbert order: the boundaries' metric CRS, so that points identical there
        share a partition (default: the layer's metric CRS, see
        :func:`geodistrict.crs.choose_metric_crs`).
    columns : sequence of str, optional
        Attribute columns to store (default: all).

    Returns
    -------
    PartitionedPoints
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .crs import as_crs, choose_metric_crs, transform_xy

    layer.require_points()
    n = len(layer)
    parts = int(partitions) if partitions else max(1, math.ceil(n / POINTS_PER_PARTITION))
    if parts < 1:
        raise ParameterError(f"partitions={partitions!r}: give a positive number, e.g. 8.")
    parts = min(parts, n)
    cols = list(layer.attributes.columns if columns is None else columns)
    missing = [c for c in cols if c not in layer.attributes.columns]
    if missing:
        raise SchemaError(
            f"{layer.info.source}: no column(s) {missing} to store; columns are "
            f"{list(layer.attributes.columns)}."
        )
    bounds = (
        float(layer.x.min()),
        float(layer.y.min()),
        float(layer.x.max()),
        float(layer.y.max()),
    )
    mcrs = as_crs(metric_crs) if metric_crs is not None else choose_metric_crs(bounds, layer.crs)
    mx, my = transform_xy(layer.x, layer.y, layer.crs, mcrs)
    hb = (mx.min(), my.min(), mx.max(), my.max())
    key = np.empty(n, dtype=np.int64)
    for s in range(0, n, 1 << 20):  # in blocks: bounded temporaries
        key[s : s + (1 << 20)] = hilbert_distance(
            mx[s : s + (1 << 20)], my[s : s + (1 << 20)], bounds=hb
        )
    del mx, my
    order = np.argsort(key, kind="stable")
    key = key[order]
    # cut into runs of about n / parts points, moving each cut back to where its key starts
    cuts = np.searchsorted(key, key[(np.arange(1, parts) * n) // parts], side="left")
    edges = np.unique(np.concatenate(([0], cuts, [n])))
    del key
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part.*.parquet"):
        old.unlink()
    files, counts = [], []
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        idx = np.sort(order[a:b])
        x, y = layer.x[idx], layer.y[idx]
        geom = pa.StructArray.from_arrays(
            [pa.array(x, type=pa.float64()), pa.array(y, type=pa.float64())],
            fields=[
                pa.field("x", pa.float64(), nullable=False),
                pa.field("y", pa.float64(), nullable=False),
            ],
        )
        attrs = layer.attributes.iloc[idx][cols].reset_index(drop=True)
        attrs[_POS] = idx.astype(np.int64)
        table = pa.Table.from_pandas(attrs, preserve_index=False)
        table = table.append_column("geometry", geom)
        bbox = (float(x.min()), float(y.min()), float(x.max()), float(y.max()))
        meta = dict(table.schema.metadata or {})
        meta[b"geo"] = _geo_metadata(layer.crs, bbox)
        name = f"part.{i}.parquet"
        pq.write_table(table.replace_schema_metadata(meta), out / name)
        files.append(name)
        counts.append(int(b - a))
    rej = layer.rejected
    rejected = {
        "row": [int(r) for r in rej["row"]],
        "id": [None if pd.isna(v) else str(v) for v in rej["id"]],
        "reason": [str(v) for v in rej["reason"]],
    }
    dtypes = {c: str(layer.attributes[c].dtype) for c in cols}
    side = {
        "format": 1,
        "files": files,
        "counts": counts,
        "crs": layer.crs.to_wkt(),
        "metric_crs": mcrs.to_wkt(),
        "info": {
            **layer.info.__dict__,
            "multivalued": list(layer.info.multivalued),
            "notes": list(layer.info.notes),
        },  # fmt: skip
        "n_input": int(layer.n_input),
        "columns": cols,
        "dtypes": dtypes,
        "bounds": list(bounds),
        "rejected": rejected,
    }
    (out / _SIDECAR).write_text(json.dumps(side, indent=1, default=str))
    return read_partitioned(out)


def read_partitioned(path: str | Path, *, name: str | None = None) -> PartitionedPoints:
    """Open a directory of partitioned point GeoParquet without reading the points.

    A directory written by :func:`write_partitioned` keeps its provenance and rejected rows;
    any other directory of GeoParquet files with point geometries (for instance from
    ``dask_geopandas``' ``to_parquet``) is read as one partition per file, in name order.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_dir():
        raise InputFileError(f"{path}: not a directory of GeoParquet partitions.")
    side = path / _SIDECAR
    if side.exists():
        meta = json.loads(side.read_text())
        info = dict(meta["info"])
        info["multivalued"] = tuple(info.get("multivalued", ()))
        info["notes"] = tuple(info.get("notes", ()))
        layer_info = LayerInfo(**info)
        r = meta["rejected"]
        rej = pd.DataFrame(
            {
                "row": pd.Series(r["row"], dtype="int64"),
                "id": pd.Series(r["id"], dtype=object),
                "reason": pd.Series(r["reason"], dtype=object),
            }
        )
        pp = PartitionedPoints(
            path=path,
            files=tuple(meta["files"]),
            counts=tuple(int(c) for c in meta["counts"]),
            crs=CRS.from_wkt(meta["crs"]),
            metric_crs=CRS.from_wkt(meta["metric_crs"]),
            info=layer_info,
            n_input=int(meta["n_input"]),
            rejected=rej,
            columns=tuple(meta["columns"]),
            bounds=tuple(float(v) for v in meta["bounds"]),  # type: ignore[arg-type]
            positions=True,
            _dtypes=dict(meta.get("dtypes", {})),
        )
        return pp.renamed(name) if name else pp
    files = sorted(p.name for p in path.glob("*.parquet") if not p.name.startswith(("_", ".")))
    if not files:
        raise InputFileError(f"{path}: no .parquet files in this directory.")
    counts, crs, bounds, columns = [], None, None, None
    for f in files:
        md = pq.read_metadata(path / f)
        counts.append(md.num_rows)
        geo = json.loads((md.metadata or {}).get(b"geo", b"{}") or b"{}")
        if not geo:
            raise InputFileError(
                f"{path / f}: not GeoParquet (no 'geo' metadata); write the points with "
                "geodistrict.scale.write_partitioned or GeoDataFrame.to_parquet."
            )
        col = geo["columns"][geo["primary_column"]]
        c = CRS.from_user_input(col["crs"]) if col.get("crs") else CRS.from_epsg(4326)
        crs = crs or c
        bb = col.get("bbox")
        if bb:
            bounds = bb if bounds is None else [
                min(bounds[0], bb[0]), min(bounds[1], bb[1]),
                max(bounds[2], bb[2]), max(bounds[3], bb[3]),
            ]  # fmt: skip
        schema_names = md.schema.to_arrow_schema().names
        columns = [
            c for c in schema_names if c not in (geo["primary_column"], _POS, "__index_level_0__")
        ]
    return PartitionedPoints(
        path=path,
        files=tuple(files),
        counts=tuple(counts),
        crs=crs,
        metric_crs=None,
        info=LayerInfo(name=name or path.stem, source=str(path)),
        n_input=int(sum(counts)),
        rejected=pd.DataFrame({"row": pd.Series(dtype="int64"), "id": [], "reason": []}),
        columns=tuple(columns or ()),
        bounds=tuple(bounds) if bounds else (np.nan,) * 4,  # type: ignore[arg-type]
        positions=False,
    )


def _read_part(file: str, columns: Sequence[str], offset: int) -> tuple:
    """x, y (stored CRS), positions and attribute columns of one partition file."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(file)
    geo = json.loads((pf.schema_arrow.metadata or {}).get(b"geo", b"{}"))
    gcol = geo.get("primary_column", "geometry")
    enc = geo.get("columns", {}).get(gcol, {}).get("encoding", "WKB")
    names = pf.schema_arrow.names
    want = [c for c in columns if c in names]
    table = pf.read(columns=[gcol, *([_POS] if _POS in names else []), *want])
    g = table.column(gcol).combine_chunks()
    if enc.lower() == "point":
        x = g.field("x").to_numpy(zero_copy_only=False)
        y = g.field("y").to_numpy(zero_copy_only=False)
    else:
        import shapely

        geoms = shapely.from_wkb(g.to_numpy(zero_copy_only=False))
        x, y = shapely.get_x(geoms), shapely.get_y(geoms)
    x = np.ascontiguousarray(x, dtype="float64")
    y = np.ascontiguousarray(y, dtype="float64")
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        raise SchemaError(
            f"{file}: {int(bad.sum())} points without usable coordinates; drop them (or read "
            "the layer with geodistrict.read_points and let --cluster partition it)."
        )
    if _POS in names:
        pos = table.column(_POS).to_numpy()
    else:
        pos = np.arange(offset, offset + len(x), dtype=np.int64)
    attrs = table.select(want).to_pandas() if want else pd.DataFrame(index=range(len(x)))
    return x, y, np.asarray(pos, dtype=np.int64), attrs


def _offsets(points: PartitionedPoints) -> list[int]:
    return [0, *np.cumsum(points.counts)[:-1].tolist()]


def _as_partitioned(
    points: PointLayer | PartitionedPoints,
    workdir: str,
    client: Any,
    *,
    partitions: int | None,
    metric_crs: CRS,
    columns: Sequence[str],
) -> PartitionedPoints:
    if isinstance(points, PartitionedPoints):
        return points
    if not isinstance(points, PointLayer):
        raise TypeError(
            "points must be a PointLayer (geodistrict.read_points) or PartitionedPoints "
            f"(geodistrict.scale.read_partitioned), not {type(points).__name__}."
        )
    points.require_points()
    cols = [c for c in dict.fromkeys(columns) if c in points.attributes.columns]
    sub = Path(workdir) / f"points-{len(list(Path(workdir).iterdir()))}"
    if partitions is None:
        partitions = default_partitions(len(points), client)
    return write_partitioned(
        points, sub, partitions=partitions, metric_crs=metric_crs, columns=cols
    )


@contextmanager
def _workdir(workdir: str | Path | None) -> Iterator[str]:
    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        yield str(workdir)
        return
    with tempfile.TemporaryDirectory(prefix="geodistrict-dask-") as tmp:
        yield tmp


def _identity(obj: Any) -> Any:
    return obj


def _shared(client: Any, obj: Any) -> Any:
    """A future of ``obj`` for every task of a computation (fetched once per worker).

    A task rather than scattered data: if the worker holding it dies, the scheduler runs
    the task again, where scattered data would be lost for good.
    """
    return client.submit(_identity, obj, pure=False)


def _single_threaded() -> None:
    """Workers run one task per thread: keep the join's look-ups on that thread."""
    from . import polygon_grid

    polygon_grid._THREADS = 1


# --------------------------------------------------------------------------------------------
# profile


def _profile_task(
    file: str,
    offset: int,
    boundaries: Any,
    spec: dict[str, Any],
) -> dict[str, Any]:
    from .join import JoinTally, join_points

    _single_threaded()
    x, y, pos, attrs = _read_part(file, spec["columns"], offset)
    lo, hi = spec["swap_extent"][:2], spec["swap_extent"][2:]
    inside = (x >= lo[0]) & (x <= hi[0]) & (y >= lo[1]) & (y <= hi[1])
    swapped = (y >= lo[0]) & (y <= hi[0]) & (x >= lo[1]) & (x <= hi[1])
    if "row" not in attrs.columns:
        attrs.insert(0, "row", pos)
    layer = PointLayer(x=x, y=y, crs=spec["crs"], attributes=attrs, info=spec["info"])
    j = join_points(
        layer, boundaries, snap_m=spec["snap_m"], method=spec["method"], check_swap=False
    )
    t = JoinTally.of(j, by=spec["by"], weights=spec["weights"])
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
    """:func:`geodistrict.profile` on a Dask cluster: the same table and report.

    Each layer is written as Hilbert-partitioned GeoParquet (unless it already is one), each
    partition is joined by one task against the boundaries (sent to every worker once) and
    the partitions' :class:`~geodistrict.join.JoinTally` are summed exactly.

    Parameters
    ----------
    boundaries : Boundaries
        As for :func:`geodistrict.profile`.
    layers : sequence or mapping of PointLayer or PartitionedPoints
        The point layers.
    client : distributed.Client
        From :func:`dask_client`.
    partitions : int, optional
        Partitions per layer written here (default: one per million points).
    by, weights, snap_m, method
        As for :func:`geodistrict.profile`.
    workdir : str or pathlib.Path, optional
        Where to write the partitions (default: a temporary directory, removed afterwards;
        with a remote cluster give a directory every worker can read).

    Returns
    -------
    Profile
        Its ``joins`` is empty: the per-point assignments stay on the workers.
    """
    from .boundaries import Boundaries
    from .profile import _checked_layers, assemble_profile

    if not isinstance(boundaries, Boundaries):
        raise TypeError("boundaries must be geodistrict Boundaries (geodistrict.read_boundaries).")
    named, by_, weights_ = _checked_layers(layers, by, weights)
    b_future = _shared(client, boundaries)
    tallies, crss, n_parts = {}, {}, {}
    with _workdir(workdir) as wd:
        for lay in named:
            cols = ([by_[lay.name]] if lay.name in by_ else []) + weights_.get(lay.name, [])
            pp = _as_partitioned(
                lay, wd, client, partitions=partitions, metric_crs=boundaries.metric_crs,
                columns=[*cols, "laua"],
            )  # fmt: skip
            ext = boundaries.data.total_bounds
            if not pp.crs.equals(boundaries.data.crs):
                from pyproj import Transformer

                tr = Transformer.from_crs(boundaries.data.crs, pp.crs, always_xy=True)
                ext = tr.transform_bounds(*ext, densify_pts=21)
            spec = {
                "columns": [c for c in (*cols, "laua") if c in pp.columns],
                "crs": pp.crs,
                "info": pp.info,
                "snap_m": snap_m,
                "method": method,
                "by": [by_[lay.name]] if lay.name in by_ else [],
                "weights": weights_.get(lay.name, []),
                "swap_extent": [float(v) for v in ext],
            }
            files = pp.file_paths()
            n_parts[lay.name] = len(files)
            futures = [
                client.submit(_profile_task, f, off, b_future, spec, retries=RETRIES, pure=False)
                for f, off in zip(files, _offsets(pp), strict=True)
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
            from .join import JoinTally

            tallies[lay.name] = JoinTally.combine([p["tally"] for p in parts])
            crss[lay.name] = (
                pp.crs if pp.crs.equals(boundaries.metric_crs) else boundaries.metric_crs
            )
    p = assemble_profile(
        boundaries,
        named,
        tallies,
        crss,
        by=by_,
        weights=weights_,
        snap_m=snap_m,
        method=method,
    )
    p.report["scale"] = {
        "engine": "dask",
        "partitions": n_parts,
        "workers": len(client.scheduler_info().get("workers", {})),
    }
    return p


# --------------------------------------------------------------------------------------------
# grid counts


def _grid_lookup(grid: Any) -> dict[str, Any]:
    """What a task needs to place points in a grid's cells (not the cell geometries)."""
    from .clusters.grids import _grid_spec

    spec = dict(_grid_spec(grid))
    if spec["kind"] == "square":
        if spec.get("clip"):
            raise ParameterError(
                "grid_counts_dask: clipped square grids are counted on one machine only; "
                "build the grid with clip=False (or leave out --cluster)."
            )
        ncols = int(spec["ncols"])
        gkey = grid["row"].to_numpy(np.int64) * ncols + grid["col"].to_numpy(np.int64)
        order = np.argsort(gkey, kind="stable")
        return {
            "spec": spec,
            "bounds": tuple(float(v) for v in grid.total_bounds),
            "gkey_sorted": gkey[order],
            "order": order,
            "n": len(grid),
        }
    return {
        "spec": spec,
        "bounds": tuple(float(v) for v in grid.total_bounds),
        "cell_ids": grid["cell_id"].to_numpy(),
        "n": len(grid),
    }


def _cells(lookup: dict[str, Any], x: np.ndarray, y: np.ndarray, crs: Any) -> np.ndarray:
    """Position of each point's cell (``clusters.grids._cells_of_points``), -1 outside."""
    spec = lookup["spec"]
    pos = np.full(len(x), -1, dtype=np.int64)
    if lookup["n"] == 0 or len(x) == 0:
        return pos
    minx, miny, maxx, maxy = lookup["bounds"]
    near = np.flatnonzero((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
    if spec["kind"] == "square":
        cell = float(spec["cell_m"])
        x0, y0 = spec["origin"]
        ncols = int(spec["ncols"])
        col = np.floor((x[near] - x0) / cell).astype(np.int64)
        row = np.floor((y[near] - y0) / cell).astype(np.int64)
        ok = (col >= 0) & (col < ncols) & (row >= 0)
        key = row * ncols + col
        gs = lookup["gkey_sorted"]
        at = np.clip(np.searchsorted(gs, key), 0, len(gs) - 1)
        found = ok & (gs[at] == key)
        pos[near[found]] = lookup["order"][at[found]]
        return pos
    import h3

    from .crs import WGS84, transform_xy

    res = int(spec["resolution"])
    lon, lat = transform_xy(x[near], y[near], crs, WGS84)
    pairs = zip(lat.tolist(), lon.tolist(), strict=True)
    cells = pd.Index([h3.latlng_to_cell(a, b, res) for a, b in pairs])
    pos[near] = pd.Index(lookup["cell_ids"]).get_indexer(cells)
    return pos


def _grid_task(file: str, offset: int, lookup: dict[str, Any], spec: dict[str, Any]) -> dict:
    from .crs import transform_xy

    x, y, pos, _ = _read_part(file, (), offset)
    x, y = transform_xy(x, y, spec["crs"], spec["grid_crs"])
    cellpos = _cells(lookup, x, y, spec["grid_crs"])
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
    with _workdir(workdir) as wd:
        pp = _as_partitioned(points, wd, client, partitions=partitions, metric_crs=gcrs, columns=())
        _check_same_partition_crs(pp, gcrs, "grid_counts_dask")
        lk = _shared(client, lookup)
        spec = {"crs": pp.crs, "grid_crs": gcrs}
        futures = [
            client.submit(_grid_task, f, off, lk, spec, retries=RETRIES, pure=False)
            for f, off in zip(pp.file_paths(), _offsets(pp), strict=True)
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
# kernel density


def _kde_points(
    file: str, offset: int, spec: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, int]:
    """A partition's points in the study area (metric CRS), positions, weights, excluded."""
    from .clusters.kde import _inside_polygons
    from .crs import transform_xy

    _single_threaded()
    wcol = spec["weights"]
    x, y, pos, attrs = _read_part(file, [wcol] if wcol else [], offset)
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
        keep[keep] = _inside_polygons(x[keep], y[keep], spec["polys"])
    n_excl = int((~keep).sum())
    return x[keep], y[keep], pos[keep], (None if w is None else w[keep]), n_excl


def _shares(x, y, w, x0, y1, cell, shape):
    """The four cloud-in-cell components of ``clusters.kde._linear_bin``: (cells, shares).

    The same operations in the same order, so every share is bit-identical.
    """
    nr, nc = shape
    fx = x - x0
    fx *= 1.0 / cell
    fx -= 0.5
    fy = y1 - y
    fy *= 1.0 / cell
    fy -= 0.5
    ix = np.floor(fx)
    fx -= ix
    iy = np.floor(fy)
    fy -= iy
    idx = iy.astype(np.intp)
    idx *= nc
    idx += ix.astype(np.intp)
    south = fy if w is None else fy * w
    north = 1.0 - fy if w is None else w - south
    east = north * fx
    north -= east
    east2 = south * fx
    south = south - east2
    return [(idx, north), (idx + 1, east), (idx + 1 + nc, east2), (idx + nc, south)]


def _bin_task(file: str, offset: int, spec: dict[str, Any]) -> dict[str, Any]:
    """Bin one partition: per component, the partition's fold over each cell it touches."""
    x, y, pos, w, n_excl = _kde_points(file, offset, spec)
    comps = _shares(x, y, w, *spec["frame"])
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
    x, y, pos, w, _ = _kde_points(file, offset, spec)
    out = []
    for (idx, val), cells in zip(_shares(x, y, w, *spec["frame"]), shared, strict=True):
        sel = np.isin(idx, cells) & (val != 0)
        out.append((pos[sel], idx[sel], val[sel]))
    return out


def _bounds_task(file: str, offset: int, crs: Any, mcrs: Any) -> tuple[float, ...]:
    from .crs import transform_xy

    x, y, _, _ = _read_part(file, (), offset)
    x, y = transform_xy(x, y, crs, mcrs)
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


def _bounds(client: Any, pp: PartitionedPoints, mcrs: CRS) -> tuple[float, ...]:
    """Exact bounds of the points in ``mcrs`` (one pass over the partitions if needed)."""
    if pp.crs.equals(mcrs):
        return pp.bounds
    parts = [
        client.submit(_bounds_task, f, off, pp.crs, mcrs, retries=RETRIES, pure=False)
        for f, off in zip(pp.file_paths(), _offsets(pp), strict=True)
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
    from .clusters.kde import (
        KERNELS,
        MAX_CELLS,
        _metric_crs,
        _weights,
        _within_geoms,
        check_parameters,
        finish_surface,
    )
    from .crs import as_crs, choose_metric_crs

    check_parameters(bandwidth_m=bandwidth_m, cell_m=cell_m, kernel=kernel)
    if weights is not None and not isinstance(weights, str):
        raise ParameterError("kde_dask: weights must be a column name.")
    bandwidth_m, cell_m = float(bandwidth_m), float(cell_m)
    points.require_points()
    wlabel = None
    if weights is not None:
        if isinstance(points, PointLayer):
            _weights(points, weights)  # the single-machine checks and messages
        elif weights not in points.columns:
            raise SchemaError(
                f"{points.name}: no column {weights!r} for weights; columns are "
                f"{', '.join(points.columns)}."
            )
        wlabel = weights
    polys = None
    if within is not None:
        polys, mcrs = _within_geoms(within, as_crs(metric_crs) if metric_crs is not None else None)
    elif isinstance(points, PointLayer):
        mcrs = _metric_crs(points, metric_crs)
    else:
        mcrs = (
            as_crs(metric_crs, what="metric_crs")
            if metric_crs is not None
            else choose_metric_crs(points.bounds, points.crs)
        )
        if mcrs.is_geographic:
            raise ParameterError(
                f"metric_crs {mcrs.to_string()} is in degrees; choose a projected CRS such as "
                "EPSG:27700 or a UTM zone."
            )
    with _workdir(workdir) as wd:
        pp = _as_partitioned(
            points,
            wd,
            client,
            partitions=partitions,
            metric_crs=mcrs,
            columns=[weights] if weights else [],
        )
        area = None
        if extent is not None:
            minx, miny, maxx, maxy = (float(v) for v in extent)
            if not (minx < maxx and miny < maxy):
                raise ParameterError(
                    f"extent {tuple(extent)}: give (minx, miny, maxx, maxy) with min < max, in "
                    f"{mcrs.to_string()} metres."
                )
            area = "extent"
        elif polys is not None:
            import shapely

            b = shapely.bounds(polys)
            minx, miny = float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1]))
            maxx, maxy = float(np.nanmax(b[:, 2])), float(np.nanmax(b[:, 3]))
        else:
            minx, miny, maxx, maxy = _bounds(client, pp, mcrs)
        if polys is not None:
            area = "within polygons" if area is None else "within polygons and extent"
        spec_ = KERNELS[kernel]
        pad = spec_.support * bandwidth_m + cell_m
        x0 = math.floor((minx - pad) / cell_m) * cell_m
        x1 = math.ceil((maxx + pad) / cell_m) * cell_m
        y0 = math.floor((miny - pad) / cell_m) * cell_m
        y1 = math.ceil((maxy + pad) / cell_m) * cell_m
        shape = (round((y1 - y0) / cell_m), round((x1 - x0) / cell_m))
        if shape[0] * shape[1] > MAX_CELLS:
            raise ParameterError(
                f"{pp.name}: a {cell_m:g} m grid over {(x1 - x0) / 1e3:,.0f} x "
                f"{(y1 - y0) / 1e3:,.0f} km has {shape[0] * shape[1]:,} cells (limit "
                f"{MAX_CELLS:,}); use larger cells or a smaller extent."
            )
        spec = {
            "crs": pp.crs,
            "mcrs": mcrs,
            "area": (minx, miny, maxx, maxy),
            "polys": polys,
            "weights": weights,
            "name": pp.name,
            "frame": (x0, y1, cell_m, shape),
        }
        sp = _shared(client, spec)
        items = list(zip(pp.file_paths(), _offsets(pp), strict=True))
        futures = [
            client.submit(_bin_task, f, off, sp, retries=RETRIES, pure=False) for f, off in items
        ]
        parts = client.gather(futures)
        n_points = sum(p["n"] for p in parts)
        n_excluded = sum(p["excluded"] for p in parts)
        if n_points == 0:
            raise EmptyLayerError(
                f"{pp.name}: none of its {len(pp)} points lies in the study area ({area}); "
                "check that the points and the boundaries cover the same place."
            )
        ncell = shape[0] * shape[1]
        # cells binned by one partition take its sum; shared cells are re-summed in order
        shared = []
        for k in range(4):
            cells = np.concatenate([p["components"][k][0] for p in parts])
            uniq, times = np.unique(cells, return_counts=True)
            shared.append(uniq[times > 1])
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
        if weights is None:
            total = float(n_points)
        elif all(p["weight_sum"] is not None for p in parts) and (
            sum(p["weight_sum"] for p in parts) < 2**53
        ):
            total = float(sum(p["weight_sum"] for p in parts))
        else:  # fractional weights: numpy's sum of the layer's weights, in layer order
            pw = client.gather(
                [client.submit(_weights_task, *it, sp, retries=RETRIES, pure=False) for it in items]
            )
            pos = np.concatenate([q[0] for q in pw])
            w_all = np.concatenate([q[1] for q in pw])
            total = float(w_all[np.argsort(pos, kind="stable")].sum())
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
    return finish_surface(
        binned.reshape(shape),
        kernel=kernel,
        bandwidth_m=bandwidth_m,
        cell_m=cell_m,
        origin=(x0, y1),
        bounds=(minx, miny, maxx, maxy),
        pad=pad,
        area=area,
        polys=polys,
        total=total,
        n_points=int(n_points),
        n_excluded=n_excluded,
        crs=mcrs,
        weight=wlabel,
        source=pp.info.as_dict(),
    )


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
    from .clusters import local
    from .clusters.grids import _as_boundaries
    from .clusters.hotspots import GRIDS, STATISTICS, VALUES, _extent, cell_grid, cell_statistics

    local._choice(statistic, STATISTICS, "statistic")
    local._choice(value, VALUES, "value")
    local._choice(grid, GRIDS, "grid")
    local._check_options(fdr, correction, alternative, permutations)
    if not cell_m > 0:
        raise ParameterError(f"cell_m={cell_m!r}: give a positive cell size in metres, e.g. 250.")
    if grid == "square" and resolution is not None:
        raise ParameterError(
            "resolution is the H3 resolution of grid='hex'; leave it out for squares."
        )
    points.require_points()
    if within is not None:
        b = _as_boundaries(within)
    elif isinstance(points, PointLayer):
        b = _extent(points, cell_m)
    else:
        raise ParameterError(
            "hotspots_dask: give within= (the study area) for partitioned points, or pass "
            "the PointLayer."
        )
    cells, size = cell_grid(b, cell_m=cell_m, grid=grid, resolution=resolution)
    counted = grid_counts_dask(cells, points, client=client, partitions=partitions, workdir=workdir)
    return cell_statistics(
        counted,
        b,
        source=points.info.source,
        n_points=len(points),
        size=size,
        statistic=statistic,
        value=value,
        grid=grid,
        cell_m=cell_m,
        contiguity=contiguity,
        clip=False,
        permutations=permutations,
        seed=seed,
        fdr=fdr,
        correction=correction,
        alternative=alternative,
    )


def default_partitions(n_points: int, client: Any) -> int:
    """Partitions for ``n_points``: one per million points, at least two per worker thread."""
    threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
    return max(2 * max(threads, 1), math.ceil(n_points / POINTS_PER_PARTITION))
