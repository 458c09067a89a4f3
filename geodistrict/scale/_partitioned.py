"""Points partitioned on disk: Hilbert-ordered GeoParquet files with a sidecar of offsets."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyproj import CRS

from ..errors import ArgumentTypeError, EmptyLayerError, InputFileError, ParameterError, SchemaError
from ..layers import LayerInfo, PointLayer
from ._common import (
    POINTS_PER_PARTITION,
    POS_COLUMN,
    SIDECAR,
    default_partitions,
)

__all__ = [
    "PartitionedPoints",
    "as_partitioned",
    "hilbert_distance",
    "partition_offsets",
    "read_partition",
    "read_partitioned",
    "write_partitioned",
]

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

    from ..crs import as_crs, choose_metric_crs, transform_xy

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
        attrs[POS_COLUMN] = idx.astype(np.int64)
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
    (out / SIDECAR).write_text(json.dumps(side, indent=1, default=str))
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
    side = path / SIDECAR
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
            c
            for c in schema_names
            if c not in (geo["primary_column"], POS_COLUMN, "__index_level_0__")
        ]
    if crs is None:  # pragma: no cover - files is not empty
        raise InputFileError(f"{path}: no .parquet files in this directory.")
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
        bounds=tuple(bounds) if bounds else (np.nan,) * 4,
        positions=False,
    )


def read_partition(
    file: str, columns: Sequence[str], offset: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """x, y (stored CRS), positions and attribute columns of one partition file.

    Parameters
    ----------
    file : str
        Path of a GeoParquet file of points (native point encoding or WKB).
    columns : sequence of str
        Attribute columns to read (those absent from the file are left out).
    offset : int
        Position in the layer of the file's first point, for files without ``_pos``.

    Raises
    ------
    SchemaError
        Some points have no finite coordinates.
    """
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(file)
    geo = json.loads((pf.schema_arrow.metadata or {}).get(b"geo", b"{}"))
    gcol = geo.get("primary_column", "geometry")
    enc = geo.get("columns", {}).get(gcol, {}).get("encoding", "WKB")
    names = pf.schema_arrow.names
    want = [c for c in columns if c in names]
    table = pf.read(columns=[gcol, *([POS_COLUMN] if POS_COLUMN in names else []), *want])
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
    if POS_COLUMN in names:
        pos = table.column(POS_COLUMN).to_numpy()
    else:
        pos = np.arange(offset, offset + len(x), dtype=np.int64)
    attrs = table.select(want).to_pandas() if want else pd.DataFrame(index=range(len(x)))
    return x, y, np.asarray(pos, dtype=np.int64), attrs


def partition_offsets(points: PartitionedPoints) -> list[int]:
    """Position in the layer of each partition's first point."""
    return [0, *np.cumsum(points.counts)[:-1].tolist()]


def as_partitioned(
    points: PointLayer | PartitionedPoints,
    workdir: str,
    client: Any,
    *,
    partitions: int | None,
    metric_crs: CRS,
    columns: Sequence[str],
) -> PartitionedPoints:
    """``points`` as partitioned GeoParquet: as they are, or written to a folder of ``workdir``.

    Parameters
    ----------
    points : PointLayer or PartitionedPoints
        The points.
    workdir : str
        The folder of this computation (:func:`~._common.work_folder`).
    client : distributed.Client
        Gives the default number of partitions (:func:`~._common.default_partitions`).
    partitions : int, optional
        Number of partitions written.
    metric_crs : pyproj.CRS
        CRS of the Hilbert order (see :func:`write_partitioned`).
    columns : sequence of str
        Attribute columns to store (those the layer lacks are left out).

    Raises
    ------
    ArgumentTypeError
        ``points`` is neither.
    """
    if isinstance(points, PartitionedPoints):
        return points
    if not isinstance(points, PointLayer):
        raise ArgumentTypeError(
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
