"""Rasters: read and write GeoTIFFs.

:class:`RasterGrid` holds one band with its georeferencing; :func:`read_raster` and
:func:`write_geotiff` move it to and from files. The small helpers below (opening a dataset with
errors that teach, its CRS, a grid's extent and valid cells) are public because
:mod:`geodistrict.zones.zonal`, which summarises a raster inside polygons, reads rasters window
by window with them.

rasterio is optional (``pip install "geodistrict[raster]"``) and imported only inside the
functions of this module, so ``import geodistrict`` stays light.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pyproj import CRS

from ..crs import as_crs
from ..errors import CRSError, InputFileError, MissingDependencyError, ParameterError

if TYPE_CHECKING:
    from affine import Affine


__all__ = [
    "RasterGrid",
    "check_band",
    "dataset_crs",
    "open_raster",
    "raster_extent",
    "read_raster",
    "require_rasterio",
    "valid_cells",
    "window_transform",
    "write_geotiff",
]

_INSTALL_HINT = 'pip install "geodistrict[raster]" (or: pip install rasterio)'


def require_rasterio() -> Any:
    """Import rasterio (with ``rasterio.features``) or explain how to install it.

    Returns
    -------
    module
        The ``rasterio`` module.

    Raises
    ------
    MissingDependencyError
        If rasterio is not installed (the message gives the pip command).
    """
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
        rows, cols = np.shape(self.array)
        return rows, cols

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the raster's extent in :attr:`crs`."""
        rows, cols = self.shape
        return raster_extent(self.transform, rows, cols)

    def valid_mask(self) -> np.ndarray:
        """True where a cell holds data (not masked, not :attr:`nodata`, not NaN)."""
        return valid_cells(self.array, self.nodata)


def raster_extent(t: Affine, rows: int, cols: int) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of a north-up (or south-up) grid.

    Parameters
    ----------
    t : affine.Affine
        The grid's upper-left-corner transform.
    rows, cols : int
        The grid's shape.

    Returns
    -------
    tuple of float
        The extent in the grid's CRS.
    """
    xs = (t.c, t.c + cols * t.a)
    ys = (t.f, t.f + rows * t.e)
    return min(xs), min(ys), max(xs), max(ys)


def window_transform(t: Affine, col: int, row: int) -> Affine:
    """The transform of a window starting at (col, row) of a grid with transform ``t``.

    Parameters
    ----------
    t : affine.Affine
        The whole grid's transform.
    col, row : int
        The window's first column and row.

    Returns
    -------
    affine.Affine
        The window's upper-left-corner transform.
    """
    from affine import Affine

    return Affine(t.a, t.b, t.c + col * t.a + row * t.b, t.d, t.e, t.f + col * t.d + row * t.e)


def valid_cells(values: np.ndarray, nodata: float | None) -> np.ndarray:
    """True where a cell holds data: not masked, not ``nodata``, not NaN.

    Parameters
    ----------
    values : numpy.ndarray or numpy.ma.MaskedArray
        Cell values.
    nodata : float or None
        The no-data value (NaN or None: only the mask and NaN cells count as no data).

    Returns
    -------
    numpy.ndarray
        Boolean array shaped like ``values``.
    """
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
    rasterio = require_rasterio()
    path = Path(path)
    with open_raster(rasterio, path) as src:
        check_band(src, band, path)
        crs = dataset_crs(src, path)
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


def open_raster(rasterio: Any, path: Path) -> Any:
    """Open a raster file with rasterio, or say why it cannot be read.

    Parameters
    ----------
    rasterio : module
        The rasterio module (from :func:`require_rasterio`).
    path : pathlib.Path
        The raster file.

    Returns
    -------
    rasterio.io.DatasetReader
        The open dataset (a context manager).

    Raises
    ------
    InputFileError
        If the file is missing or GDAL cannot read it.
    """
    if not path.exists():
        raise InputFileError(f"{path}: no such raster file; check the path.")
    try:
        return rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(
            f"{path} is not a raster GDAL can read ({exc}); convert it to GeoTIFF first "
            "(gdal_translate in.ext out.tif)."
        ) from exc


def check_band(src: Any, band: int, path: Path) -> None:
    """Check that ``band`` (1-based) exists in the open dataset ``src`` read from ``path``.

    Raises
    ------
    ParameterError
        If the band is out of range (the message gives the range).
    """
    if not 1 <= band <= src.count:
        raise ParameterError(
            f"{path} has {src.count} band(s); choose band= between 1 and {src.count}."
        )


def dataset_crs(src: Any, path: Path) -> CRS:
    """The CRS of an open dataset as a :class:`pyproj.CRS`.

    Raises
    ------
    CRSError
        If the dataset has no CRS (the message shows how to assign one).
    """
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
    rasterio = require_rasterio()
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
