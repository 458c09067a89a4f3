"""Rasters: read and write GeoTIFFs, and summarise a raster inside boundary polygons.

Zonal statistics never resample the raster: the polygons are reprojected to the raster's CRS
and each one is rasterised on the window of the raster its bounds cover, so a national raster
and hundreds of districts stay within memory (only one window is held at a time). Three rules
decide which cells belong to a polygon:

``"centre"``
    A cell counts when its centre lies inside the polygon (GDAL's default rasterize rule).
``"all_touched"``
    Every cell the polygon touches counts (GDAL's ``ALL_TOUCHED=TRUE``).
``"fraction"``
    Each cell is weighted by the fraction of its area inside the polygon. Only the cells the
    polygon's boundary crosses are measured exactly with shapely; the others weigh 1 (centre
    inside) or 0.

rasterio is optional (``pip install "geodistrict[raster]"``) and imported only inside the
functions of this module, so ``import geodistrict`` stays light.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._errors import (
    CRSError,
    InputFileError,
    InvalidGeometryError,
    MissingDependencyError,
    ParameterError,
)
from ..crs import as_crs

if TYPE_CHECKING:
    import geopandas as gpd
    from affine import Affine

    from ..boundaries import Boundaries

__all__ = ["RasterGrid", "read_raster", "write_geotiff", "zonal_stats"]

_INSTALL_HINT = 'pip install "geodistrict[raster]" (or: pip install rasterio)'


def _rasterio():
    """Import rasterio or explain how to install it."""
    try:
        import rasterio
        import rasterio.features  # noqa: F401 - makes rasterio.features available
    except ImportError as exc:
        raise MissingDependencyError(f"raster support needs rasterio: {_INSTALL_HINT}") from exc
    return rasterio


def _affine(transform: Any) -> Affine:
    """An ``affine.Affine`` from an Affine or the 6 (or 9) numbers of a GDAL-order transform."""
    try:
        from affine import Affine
    except ImportError as exc:
        raise MissingDependencyError(f"raster support needs affine: {_INSTALL_HINT}") from exc
    if isinstance(transform, Affine):
        return transform
    vals = tuple(float(v) for v in transform)
    if len(vals) not in (6, 9):
        raise ParameterError(
            f"transform has {len(vals)} numbers; pass an affine.Affine, e.g. "
            "rasterio.transform.from_origin(west, north, xsize, ysize)."
        )
    return Affine(*vals[:6])


@dataclass(frozen=True)
class RasterGrid:
    """One band of a raster, with its georeferencing.

    Attributes
    ----------
    array : numpy.ndarray or numpy.ma.MaskedArray
        2-D cell values, row 0 at the top for a north-up raster. Masked cells, cells equal to
        :attr:`nodata` and NaN cells are "no data".
    transform : affine.Affine
        Maps (col, row) to (x, y) of a cell's upper-left corner.
    crs : pyproj.CRS
        CRS of the cell coordinates.
    nodata : float or None
        The no-data value, if any.
    units : str or None
        Units of the cell values (``"postcodes per cell"``), if known.
    tags : dict of str to str
        Dataset metadata (GDAL tags: description, source ...).
    source : str or None
        Where the raster came from (file path), used in messages.
    """

    array: np.ndarray
    transform: Affine
    crs: CRS
    nodata: float | None = None
    units: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None

    def __post_init__(self) -> None:
        what = self.source or "raster"
        if np.ndim(self.array) != 2:
            raise ParameterError(
                f"{what}: the array has {np.ndim(self.array)} dimensions; pass one band as a "
                "2-D array (e.g. array[0] of a (bands, rows, cols) stack)."
            )
        object.__setattr__(self, "transform", _affine(self.transform))
        object.__setattr__(self, "crs", as_crs(self.crs, what=what))

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return tuple(np.shape(self.array))  # type: ignore[return-value]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the raster's extent in :attr:`crs`."""
        rows, cols = self.shape
        return _extent(self.transform, rows, cols)

    def valid_mask(self) -> np.ndarray:
        """True where a cell holds data (not masked, not :attr:`nodata`, not NaN)."""
        return _valid(self.array, self.nodata)


def _extent(t: Affine, rows: int, cols: int) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of a north-up (or south-up) grid."""
    xs = (t.c, t.c + cols * t.a)
    ys = (t.f, t.f + rows * t.e)
    return min(xs), min(ys), max(xs), max(ys)


def _shift(t: Affine, col: int, row: int) -> Affine:
    """The transform of a window starting at (col, row) of a grid with transform ``t``."""
    from affine import Affine

    return Affine(t.a, t.b, t.c + col * t.a + row * t.b, t.d, t.e, t.f + col * t.d + row * t.e)


def _valid(values: np.ndarray, nodata: float | None) -> np.ndarray:
    ok = ~np.ma.getmaskarray(values)
    data = np.ma.getdata(values)
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        ok &= data != nodata
    if np.issubdtype(data.dtype, np.floating):
        ok &= ~np.isnan(data)
    return ok


def read_raster(path: str | Path, *, band: int = 1) -> RasterGrid:
    """Read one band of a raster file (GeoTIFF or anything GDAL reads).

    Parameters
    ----------
    path : str or pathlib.Path
        The raster file.
    band : int
        1-based band number.

    Returns
    -------
    RasterGrid
        ``array`` is a masked array (the dataset's mask: nodata value or internal mask).

    Raises
    ------
    InputFileError
        If the file is missing or not a raster GDAL can read.
    CRSError
        If the raster has no CRS.
    """
    rasterio = _rasterio()
    path = Path(path)
    with _open(rasterio, path) as src:
        _check_band(src, band, path)
        crs = _dataset_crs(src, path)
        array = src.read(band, masked=True)
        nodata = src.nodatavals[band - 1]
        unit = src.units[band - 1] or None
        return RasterGrid(
            array=array,
            transform=src.transform,
            crs=crs,
            nodata=None if nodata is None else float(nodata),
            units=unit,
            tags=dict(src.tags()),
            source=str(path),
        )


def _open(rasterio: Any, path: Path) -> Any:
    if not path.exists():
        raise InputFileError(f"{path}: no such raster file; check the path.")
    try:
        return rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(
            f"{path} is not a raster GDAL can read ({exc}); convert it to GeoTIFF first "
            "(gdal_translate in.ext out.tif)."
        ) from exc


def _check_band(src: Any, band: int, path: Path) -> None:
    if not 1 <= band <= src.count:
        raise ParameterError(
            f"{path} has {src.count} band(s); choose band= between 1 and {src.count}."
        )


def _dataset_crs(src: Any, path: Path) -> CRS:
    if src.crs is None:
        raise CRSError(
            f"{path} has no CRS; assign the one it was made in, e.g. "
            f"`rio edit-info --crs EPSG:27700 {path}` or "
            f"`gdal_edit.py -a_srs EPSG:27700 {path}`."
        )
    return CRS.from_wkt(src.crs.to_wkt())


def write_geotiff(
    path: str | Path,
    array: np.ndarray,
    *,
    transform: Affine,
    crs: object,
    nodata: float | None = None,
    compress: str = "deflate",
    units: str | None = None,
    tags: Mapping[str, object] | None = None,
) -> Path:
    """Write a 2-D array as a tiled, compressed single-band GeoTIFF.

    Parameters
    ----------
    path : str or pathlib.Path
        Output file (overwritten).
    array : numpy.ndarray or numpy.ma.MaskedArray
        Cell values; the dtype is kept. Masked cells are written as ``nodata``.
    transform : affine.Affine
        Upper-left-corner transform (e.g. ``rasterio.transform.from_origin``).
    crs : str, int or pyproj.CRS
        CRS of the grid (``"EPSG:27700"``).
    nodata : float, optional
        No-data value, stored in the file.
    compress : str
        GDAL compression (``"deflate"``, ``"lzw"``, ``"zstd"``, ``"none"``). A horizontal
        predictor is used for deflate/lzw/zstd.
    units : str, optional
        Units of the values, stored as the band's unit type.
    tags : mapping, optional
        Provenance stored as GDAL dataset metadata (values are written as strings), e.g.
        ``{"source": "ONS Postcode Directory Nov 2025", "licence": "OGL v3"}``. A
        ``TIFFTAG_SOFTWARE`` tag naming geodistrict is added unless given.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    rasterio = _rasterio()
    from .._version import __version__

    path = Path(path)
    what = str(path)
    if np.ndim(array) != 2:
        raise ParameterError(f"{what}: write_geotiff writes one band; pass a 2-D array.")
    mask = np.ma.getmaskarray(array)
    data = np.ma.getdata(array)
    if mask.any():
        if nodata is None:
            raise ParameterError(
                f"{what}: the array has {int(mask.sum())} masked cells but no nodata value; "
                "pass nodata= (e.g. nodata=0 for counts, nodata=float('nan') for floats)."
            )
        data = np.where(mask, np.asarray(nodata, dtype=data.dtype), data)
    if data.dtype == bool:
        raise ParameterError(f"{what}: GeoTIFF has no boolean type; pass array.astype('uint8').")
    crs_ = as_crs(crs, what=what)
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": data.dtype,
        "crs": rasterio.crs.CRS.from_wkt(crs_.to_wkt()),
        "transform": _affine(transform),
        "nodata": nodata,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    if compress and compress.lower() != "none":
        profile["compress"] = compress.lower()
        if compress.lower() in ("deflate", "lzw", "zstd"):
            profile["predictor"] = 3 if np.issubdtype(data.dtype, np.floating) else 2
    meta = {"TIFFTAG_SOFTWARE": f"geodistrict {__version__}"}
    meta.update({str(k): str(v) for k, v in (tags or {}).items()})
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(**meta)
        if units:
            dst.set_band_unit(1, units)
    return path


# --- zonal statistics -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    """Cells rows r0:r1, cols c0:c1 of the raster and the transform of that window."""

    r0: int
    r1: int
    c0: int
    c1: int
    transform: Affine

    @property
    def shape(self) -> tuple[int, int]:
        return self.r1 - self.r0, self.c1 - self.c0


def _window(bounds: tuple[float, float, float, float], transform: Affine, shape) -> _Window | None:
    """The raster window covering ``bounds``, clipped to the raster; None when they miss."""
    minx, miny, maxx, maxy = bounds
    t = transform
    cols = ((minx - t.c) / t.a, (maxx - t.c) / t.a)
    rows = ((miny - t.f) / t.e, (maxy - t.f) / t.e)
    r0 = max(int(math.floor(min(rows))), 0)
    r1 = min(int(math.ceil(max(rows))), shape[0])
    c0 = max(int(math.floor(min(cols))), 0)
    c1 = min(int(math.ceil(max(cols))), shape[1])
    if r0 >= r1 or c0 >= c1:
        return None
    return _Window(r0, r1, c0, c1, _shift(t, c0, r0))


def _mask(geom: Any, win: _Window, *, all_touched: bool) -> np.ndarray:
    import rasterio.features

    return rasterio.features.geometry_mask(
        [geom], out_shape=win.shape, transform=win.transform, all_touched=all_touched, invert=True
    )


def _centre_weights(geom: Any, win: _Window) -> np.ndarray:
    return _mask(geom, win, all_touched=False).astype(np.float64)


def _all_touched_weights(geom: Any, win: _Window) -> np.ndarray:
    return _mask(geom, win, all_touched=True).astype(np.float64)


def _fraction_weights(geom: Any, win: _Window) -> np.ndarray:
    """Area fraction of each cell inside ``geom``: exact (shapely) on the boundary's cells."""
    w = _mask(geom, win, all_touched=False).astype(np.float64)
    edge = _mask(shapely.boundary(geom), win, all_touched=True)
    if not edge.any():
        return w
    t = win.transform
    cell_area = abs(t.a * t.e - t.b * t.d)
    rows, cols = np.nonzero(edge)
    for r in np.unique(rows):
        cc = cols[rows == r]
        # cell corners (north-up or south-up grids; rotation was rejected earlier)
        x0 = t.c + cc * t.a
        x1 = x0 + t.a
        y0 = t.f + r * t.e
        y1 = y0 + t.e
        xmin, xmax = np.minimum(x0, x1), np.maximum(x0, x1)
        ymin, ymax = min(y0, y1), max(y0, y1)
        # clipping to the row's strip first keeps each cell's intersection small
        strip = shapely.clip_by_rect(geom, float(xmin.min()), ymin, float(xmax.max()), ymax)
        if strip.is_empty:
            w[r, cc] = 0.0
            continue
        boxes = shapely.box(xmin, ymin, xmax, ymax)
        try:
            frac = shapely.area(shapely.intersection(strip, boxes)) / cell_area
        except shapely.errors.GEOSException:  # a strip clipped from a dubious ring
            frac = shapely.area(shapely.intersection(geom, boxes)) / cell_area
        w[r, cc] = np.clip(frac, 0.0, 1.0)
    return w


#: Cell-selection rules of :func:`zonal_stats`: name -> weights(geometry, window).
ZONAL_RULES: dict[str, Callable[[Any, _Window], np.ndarray]] = {
    "centre": _centre_weights,
    "all_touched": _all_touched_weights,
    "fraction": _fraction_weights,
}


def _stat_sum(v: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w * v))


def _stat_count(v: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w))


def _stat_mean(v: np.ndarray, w: np.ndarray) -> float:
    sw = np.sum(w)
    return float(np.sum(w * v) / sw) if sw > 0 else math.nan


def _stat_max(v: np.ndarray, w: np.ndarray) -> float:
    return float(np.max(v)) if len(v) else math.nan


def _stat_min(v: np.ndarray, w: np.ndarray) -> float:
    return float(np.min(v)) if len(v) else math.nan


def _stat_std(v: np.ndarray, w: np.ndarray) -> float:
    sw = np.sum(w)
    if sw <= 0:
        return math.nan
    m = np.sum(w * v) / sw
    return float(np.sqrt(np.sum(w * (v - m) ** 2) / sw))


#: Statistics of :func:`zonal_stats` (weighted by the rule's cell weights where it matters).
ZONAL_STATS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "sum": _stat_sum,
    "mean": _stat_mean,
    "max": _stat_max,
    "min": _stat_min,
    "count": _stat_count,
    "std": _stat_std,
}


class _Source:
    """Window reads from a RasterGrid in memory or an open dataset."""

    def __init__(self, grid: RasterGrid | None = None, dataset: Any = None, band: int = 1):
        self.grid = grid
        self.dataset = dataset
        self.band = band
        if grid is not None:
            self.shape = grid.shape
            self.transform = grid.transform
            self.crs = grid.crs
            self.nodata = grid.nodata
            self.name = grid.source or "raster"
        else:
            self.shape = (dataset.height, dataset.width)
            self.transform = dataset.transform
            self.name = str(dataset.name)
            self.crs = _dataset_crs(dataset, Path(self.name))
            nd = dataset.nodatavals[band - 1]
            self.nodata = None if nd is None else float(nd)

    def read(self, win: _Window) -> tuple[np.ndarray, np.ndarray]:
        """Values (float64) and validity of the window's cells."""
        if self.grid is not None:
            sub = self.grid.array[win.r0 : win.r1, win.c0 : win.c1]
        else:
            from rasterio.windows import Window

            sub = self.dataset.read(
                self.band,
                window=Window(win.c0, win.r0, win.c1 - win.c0, win.r1 - win.r0),
                masked=True,
            )
        ok = _valid(sub, self.nodata)
        return np.ma.getdata(sub).astype(np.float64, copy=False), ok


def _zones(boundaries: Any, crs: CRS, what: str) -> tuple[pd.Index, np.ndarray]:
    """Boundary ids and polygons in ``crs``."""
    import geopandas as gpd

    from ..boundaries import Boundaries

    if isinstance(boundaries, Boundaries):
        ids = pd.Index(boundaries.ids, name="id")
        if boundaries.metric_crs.equals(crs):
            return ids, np.asarray(boundaries.metric, dtype=object)
        gs = boundaries.data.geometry
    elif isinstance(boundaries, gpd.GeoDataFrame | gpd.GeoSeries):
        if boundaries.crs is None:
            raise CRSError(
                f"the boundaries given to zonal_stats({what}) have no CRS; set it first, "
                "e.g. gdf.set_crs('EPSG:27700')."
            )
        if isinstance(boundaries, gpd.GeoDataFrame) and "id" in boundaries.columns:
            ids = pd.Index(boundaries["id"].to_numpy(), name="id")
        else:
            ids = pd.Index(boundaries.index.to_numpy(), name=boundaries.index.name or "id")
        gs = boundaries.geometry if isinstance(boundaries, gpd.GeoDataFrame) else boundaries
    else:
        raise TypeError(
            f"zonal_stats({what}): boundaries must be a Boundaries (read_boundaries) or a "
            f"GeoDataFrame with a CRS, not {type(boundaries).__name__}."
        )
    geoms = np.asarray(gs.array, dtype=object)
    bad = shapely.is_missing(geoms) | ~np.isin(shapely.get_type_id(geoms), [3, 6])
    if bad.any():
        which = ", ".join(str(i) for i in ids[bad][:10])
        raise InvalidGeometryError(
            f"zonal_stats({what}): boundaries must be Polygons or MultiPolygons, but "
            f"{int(bad.sum())} are missing or of another type ({which}); drop them or prepare "
            "the layer with geodistrict.prepare_boundaries."
        )
    if not as_crs(gs.crs).equals(crs):
        geoms = np.asarray(gs.to_crs(crs).array, dtype=object)
    return ids, geoms


def zonal_stats(
    raster: str | Path | RasterGrid,
    boundaries: Boundaries | gpd.GeoDataFrame,
    *,
    stats: Iterable[str] = ("sum", "mean", "max", "count"),
    rule: str = "centre",
    band: int = 1,
) -> pd.DataFrame:
    """Summarise raster cells inside each boundary polygon.

    Parameters
    ----------
    raster : str, pathlib.Path or RasterGrid
        A raster file (read window by window, never whole) or a grid in memory.
    boundaries : Boundaries or geopandas.GeoDataFrame
        Polygons with a CRS; they are reprojected to the raster's CRS (the raster is never
        resampled). A GeoDataFrame is labelled by its ``id`` column if it has one, else by
        its index.
    stats : iterable of str
        Any of ``"sum"``, ``"mean"``, ``"max"``, ``"min"``, ``"count"``, ``"std"``.
        With ``rule="fraction"`` each cell has a weight w (its area fraction inside the
        polygon): ``sum`` = Σ w·v, ``mean`` = Σ w·v / Σ w, ``count`` = Σ w, ``std`` is the
        weighted standard deviation; ``min`` and ``max`` are over every cell with w > 0,
        however small (a sliver of a neighbouring cell counts: use ``rule="centre"`` for
        extremes over whole cells).
        Otherwise w is 1 for the selected cells.
    rule : {"centre", "all_touched", "fraction"}
        Which cells belong to a polygon (see the module's documentation).
    band : int
        Band to read when ``raster`` is a file.

    Returns
    -------
    pandas.DataFrame
        Indexed by boundary id, in the boundaries' order: one column per statistic, then
        ``cells`` (cells selected, no-data ones included), ``nodata_cells`` (of which no data;
        they are left out of every statistic), ``raster_coverage`` (share of the polygon's
        area inside the raster's extent: below 1, cells beyond the edge are missing from the
        statistics) and ``outside_raster`` (True when the polygon misses the raster: ``sum``
        and ``count`` are 0, the other statistics NaN).

    Raises
    ------
    ValueError
        For an unknown rule or statistic (the message lists the allowed ones) or a rotated
        raster.
    CRSError
        If the raster or the boundaries have no CRS.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, shapely
    >>> from affine import Affine
    >>> grid = RasterGrid(
    ...     np.arange(16, dtype="int16").reshape(4, 4),
    ...     transform=Affine(100, 0, 0, 0, -100, 400),
    ...     crs="EPSG:27700",
    ... )
    >>> zones = gpd.GeoDataFrame(
    ...     {"id": ["a"]}, geometry=[shapely.box(100, 100, 300, 300)], crs=27700
    ... )
    >>> out = zonal_stats(grid, zones)  # cells 5, 6, 9 and 10
    >>> out.loc["a", ["sum", "mean", "max"]].tolist(), int(out.loc["a", "count"])
    ([30.0, 7.5, 10.0], 4)
    """
    if rule not in ZONAL_RULES:
        raise ParameterError(
            f"unknown rule {rule!r}; choose one of {', '.join(map(repr, ZONAL_RULES))}."
        )
    stats = [stats] if isinstance(stats, str) else list(dict.fromkeys(stats))
    unknown = [s for s in stats if s not in ZONAL_STATS]
    if unknown:
        raise ParameterError(
            f"unknown statistic(s) {', '.join(map(repr, unknown))}; choose from "
            f"{', '.join(map(repr, ZONAL_STATS))}."
        )
    rasterio = _rasterio()  # rasterises the polygons even when the grid is in memory
    if isinstance(raster, RasterGrid):
        return _zonal(_Source(grid=raster), boundaries, stats, rule)
    path = Path(raster)
    with _open(rasterio, path) as src:
        _check_band(src, band, path)
        return _zonal(_Source(dataset=src, band=band), boundaries, stats, rule)


def _zonal(src: _Source, boundaries: Any, stats: list[str], rule: str) -> pd.DataFrame:
    t = src.transform
    if t.b != 0 or t.d != 0:
        raise ParameterError(
            f"{src.name} is rotated (its transform has shear terms); warp it to a north-up grid "
            "first: gdalwarp in.tif out.tif."
        )
    ids, geoms = _zones(boundaries, src.crs, src.name)
    weigh = ZONAL_RULES[rule]
    extent = _extent(t, *src.shape)
    records = []
    for g in geoms:
        area = shapely.area(g)
        inside = shapely.area(shapely.clip_by_rect(g, *extent)) if area > 0 else 0.0
        coverage = float(min(inside / area, 1.0)) if area > 0 else 0.0
        win = _window(g.bounds, t, src.shape) if inside > 0 else None
        if win is None:
            values = np.empty(0)
            w = np.empty(0)
            n_cells = n_nodata = 0
        else:
            wt = weigh(g, win)
            sel = wt > 0
            v, ok = src.read(win)
            n_cells = int(sel.sum())
            n_nodata = int((sel & ~ok).sum())
            use = sel & ok
            values, w = v[use], wt[use]
        rec: dict[str, Any] = {s: ZONAL_STATS[s](values, w) for s in stats}
        rec.update(
            cells=n_cells,
            nodata_cells=n_nodata,
            raster_coverage=coverage,
            outside_raster=win is None,
        )
        records.append(rec)
    out = pd.DataFrame.from_records(
        records,
        index=ids,
        columns=[*stats, "cells", "nodata_cells", "raster_coverage", "outside_raster"],
    )
    if "count" in out and rule != "fraction":
        out["count"] = out["count"].round().astype("int64")
    out["cells"] = out["cells"].astype("int64")
    out["nodata_cells"] = out["nodata_cells"].astype("int64")
    out["outside_raster"] = out["outside_raster"].astype(bool)
    return out
