"""Kernel density surfaces in metres: binned points convolved with a discretised kernel.

The surface is computed in a metric CRS (the boundaries' one when ``within`` is given,
EPSG:27700 in Great Britain, the local UTM zone elsewhere) on a north-up grid of square cells,
in points (or weight) per km²:

1. every point's weight is shared between the four cell centres around it in proportion to
   its nearness (linear, "cloud-in-cell" binning). Binning keeps each point's centre of mass
   but spreads it by ``c²/6`` per axis on average (``c`` the cell side), which lowers the
   peak of an isolated point by about ``(2/3)(c/h)²`` for the quartic kernel and
   ``(1/6)(c/h)²`` for the gaussian (:func:`peak_error`): 16.7 % at ``c = h/2``, 1 % at the
   default cell;
2. the binned weights are convolved (FFT, ``scipy.fft``) with the kernel evaluated at
   cell-centre offsets and normalised so that its cells sum to exactly 1: the surface
   integrates to the total weight.

The cell defaults to :func:`default_cell`: an eighth of the bandwidth for the quartic kernel,
a fifth of σ for the gaussian (about 1 % at the peak); a coarser cell is computed as asked,
with a :class:`~geodistrict.GeodistrictWarning` stating the expected peak error.

The grid covers the study area (``within``'s bounds, ``extent`` or the points' bounds) padded
by the kernel's support plus one cell, so no mass falls off the grid.

Edges (``edge=``):

* ``"none"`` (default): a point near the edge of the study area spills part of its kernel
  outside it, so densities within a bandwidth of the edge are underestimated (about 0.67x
  just inside a straight edge at 250 m cells); the result states the spilled mass in
  :attr:`KDEResult.edge`.
* ``"renormalise"``: Diggle's (1985) correction, spatstat's default ``density.ppp(edge=TRUE)``
  (Jones 1993 calls it the "renormalisation" estimator). The density at each cell is divided
  by the share of the kernel centred there that lies inside the study area, ``e(x) = ∫_W
  K_h(x - u) du`` (computed on the grid from the cells whose centre lies in the study area,
  floored at :data:`MIN_EDGE_SHARE`), and cells outside the study area are set to 0::

      f(x) = sum_i w_i K_h(x - x_i) / e(x)      for x in W

  so a uniform pattern has the same expected density at the edge as in the middle; the
  surface's integral then differs slightly from the total weight (stated in
  :attr:`KDEResult.edge`).

Points outside the study area are excluded and counted either way.

scipy (``pip install "geodistrict[stats]"``) and rasterio (``pip install
"geodistrict[raster]"``, for contours and GeoTIFFs) are imported inside the functions that
need them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd
from pyproj import CRS

from ..crs import as_crs, check_coordinates, choose_metric_crs, transform_xy
from ..errors import (
    ArgumentTypeError,
    EmptyLayerError,
    GeodistrictWarning,
    InputFileError,
    MissingDependencyError,
    ParameterError,
    SchemaError,
)
from ..layers import LayerInfo, PointLayer, reject_frame

if TYPE_CHECKING:
    import geopandas as gpd
    from affine import Affine

    from ..boundaries import Boundaries

__all__ = [
    "EDGES",
    "KERNELS",
    "KDEResult",
    "Kernel",
    "SurfaceFrame",
    "ParameterError",
    "check_parameters",
    "cic_shares",
    "default_cell",
    "discrete_kernel",
    "finish_surface",
    "grid_frame",
    "inside_polygons",
    "kde",
    "layer_metric_crs",
    "peak_error",
    "point_weights",
    "scipy_fft",
    "study_bounds",
    "study_crs",
    "surface_frame",
    "within_polygons",
    "xy_layer",
]

#: Largest grid :func:`kde` builds (cells); 50 million float64 cells take 400 MB.
MAX_CELLS = 50_000_000


def _gaussian(u2: np.ndarray) -> np.ndarray:
    """Standard bivariate normal density at squared distance ``u2`` (in bandwidths)."""
    return np.exp(-0.5 * u2) / (2.0 * math.pi)


def _quartic(u2: np.ndarray) -> np.ndarray:
    """Quartic (biweight) kernel 3/π (1 - u²)² for u < 1, 0 beyond."""
    return np.where(u2 < 1.0, 3.0 / math.pi * (1.0 - np.minimum(u2, 1.0)) ** 2, 0.0)


class Kernel(NamedTuple):
    """A radially symmetric 2-D kernel with unit bandwidth.

    Attributes
    ----------
    profile : callable
        Density at squared distance u² (distance in bandwidths); integrates to 1 over the
        plane, so the kernel of bandwidth h at distance d is ``profile((d / h)**2) / h**2``.
    support : float
        Radius in bandwidths beyond which the kernel is zero (quartic) or truncated
        (gaussian: 4 σ, which leaves out 0.03 % of its mass; at 3 σ it would be 1.1 %).
    """

    profile: Callable[[np.ndarray], np.ndarray]
    support: float


#: Kernels of :func:`kde`: name -> :class:`Kernel`.
KERNELS: dict[str, Kernel] = {
    "quartic": Kernel(_quartic, 1.0),
    "gaussian": Kernel(_gaussian, 4.0),
}


#: Largest cell, as a share of the bandwidth, each kernel gets by default (about 1 % at the peak).
DEFAULT_CELL_SHARE = {"quartic": 1 / 8, "gaussian": 1 / 5}
#: Peak error of linear binning per (cell / bandwidth)²: the kernel's -∇²K(0) / (2 K(0)) / 6.
_PEAK_ERROR = {"quartic": 2 / 3, "gaussian": 1 / 6}
#: Edge treatments of :func:`kde`.
EDGES = ("none", "renormalise")
#: Smallest share of a cell's kernel inside the study area the edge correction divides by (a
#: cell on a sliver would otherwise be inflated without bound).
MIN_EDGE_SHARE = 0.05


def default_cell(bandwidth_m: float, kernel: str = "quartic") -> float:
    """The default cell side: bandwidth/8 (quartic) or bandwidth/5 (gaussian), in metres.

    Examples
    --------
    >>> default_cell(2000), default_cell(1000, "gaussian")
    (250.0, 200.0)
    """
    check_parameters(bandwidth_m=bandwidth_m, cell_m=1.0, kernel=kernel)
    return float(bandwidth_m) * DEFAULT_CELL_SHARE[kernel]


def peak_error(bandwidth_m: float, cell_m: float, kernel: str = "quartic") -> float:
    """Expected relative underestimate of an isolated point's peak caused by the grid.

    Linear binning spreads a point by ``c²/6`` per axis on average over its position in
    the cell; to second order the peak ``K(0)`` drops by ``(c²/12) |∇²K(0)| / K(0)``:
    ``(2/3)(c/h)²`` for the quartic kernel, ``(1/6)(c/h)²`` for the gaussian.

    Examples
    --------
    >>> round(peak_error(1000, 500), 4), round(peak_error(1000, 100), 4)  # h/2 and h/10
    (0.1667, 0.0067)
    """
    return _PEAK_ERROR[kernel] * (float(cell_m) / float(bandwidth_m)) ** 2


def _resolve_cell(bandwidth_m: float, cell_m: float | None, kernel: str, name: str) -> float:
    """``cell_m`` or the default; warn when it is coarser than the default."""
    if cell_m is None:
        return default_cell(bandwidth_m, kernel)
    cell_m = float(cell_m)
    limit = default_cell(bandwidth_m, kernel)
    if cell_m > limit * (1 + 1e-9):
        import warnings

        warnings.warn(
            f"{name}: {cell_m:g} m cells for a {float(bandwidth_m):g} m {kernel} kernel are "
            f"coarser than bandwidth/{round(1 / DEFAULT_CELL_SHARE[kernel])} ({limit:g} m): "
            f"peaks come out about {100 * peak_error(bandwidth_m, cell_m, kernel):.1f} % low "
            f"(linear binning); use cell_m={limit:g} or less (CLI: --cell {limit:g}), or leave "
            "it out for the default.",
            GeodistrictWarning,
            stacklevel=3,
        )
    return cell_m


def check_parameters(*, bandwidth_m: float, cell_m: float, kernel: str = "quartic") -> None:
    """Raise :class:`ParameterError` unless bandwidth and cell are positive and the kernel known.

    Examples
    --------
    >>> check_parameters(bandwidth_m=500, cell_m=100)
    >>> check_parameters(bandwidth_m=500, cell_m=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geodistrict.errors.ParameterError: cell size 0 m: give a positive size in metres, ...
    """
    problems = []
    for label, value, opt, example in (
        ("bandwidth", bandwidth_m, "--bandwidth", 1000),
        ("cell size", cell_m, "--cell", 100),
    ):
        v = float(value)
        if not math.isfinite(v) or v <= 0:
            problems.append(
                f"{label} {v:g} m: give a positive size in metres, e.g. {example} "
                f"(CLI: {opt} {example})"
            )
    if kernel not in KERNELS:
        problems.append(f"unknown kernel {kernel!r}; choose one of {', '.join(map(repr, KERNELS))}")
    if problems:
        raise ParameterError("; ".join(problems) + ".")


def xy_layer(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    crs: object,
    name: str = "points",
    attributes: pd.DataFrame | None = None,
) -> PointLayer:
    """Make a :class:`~geodistrict.layers.PointLayer` from coordinate arrays.

    Rows with a non-finite coordinate go to the layer's ``rejected`` table.

    Parameters
    ----------
    x, y : array-like
        Coordinates in ``crs`` (x = easting or longitude).
    crs : str, int or pyproj.CRS
        Their CRS (required).
    name : str
        Layer name used in messages.
    attributes : pandas.DataFrame, optional
        One row per coordinate (e.g. a weight column).

    Examples
    --------
    >>> lay = xy_layer([530000.0, 531000.0], [180000.0, float("nan")], crs="EPSG:27700")
    >>> len(lay), lay.n_input, lay.rejected["reason"].tolist()
    (1, 2, ['non-finite coordinate'])
    """
    crs_ = as_crs(crs, what=name)
    xa = np.asarray(x, dtype="float64").ravel()
    ya = np.asarray(y, dtype="float64").ravel()
    if len(xa) != len(ya):
        raise SchemaError(f"{name}: x has {len(xa)} values but y has {len(ya)}; pass pairs.")
    attrs = pd.DataFrame(index=range(len(xa))) if attributes is None else attributes
    if len(attrs) != len(xa):
        raise SchemaError(
            f"{name}: attributes have {len(attrs)} rows for {len(xa)} points; align them."
        )
    check_coordinates(xa, ya, crs_, what=name, relabel="pass crs='{crs}' to xy_layer")
    ok = np.isfinite(xa) & np.isfinite(ya)
    rows = np.arange(len(xa))
    kept = attrs.reset_index(drop=True)[ok].reset_index(drop=True)
    if "row" not in kept.columns:
        kept.insert(0, "row", rows[ok])
    return PointLayer(
        x=xa[ok],
        y=ya[ok],
        crs=crs_,
        attributes=kept,
        info=LayerInfo(name=name, source=name),
        rejected=reject_frame(rows[~ok], None, "non-finite coordinate"),
        n_input=len(xa),
    )


def scipy_fft() -> Any:
    """``scipy.fft``, or a :class:`MissingDependencyError` with the install hint."""
    try:
        import scipy.fft
    except ImportError as exc:
        raise MissingDependencyError(
            'density surfaces need scipy: pip install "geodistrict[stats]" (or: pip install scipy)'
        ) from exc
    return scipy.fft


def _rasterio_features() -> Any:
    try:
        import rasterio.features
    except ImportError as exc:
        raise MissingDependencyError(
            'contours need rasterio: pip install "geodistrict[raster]" (or: pip install rasterio)'
        ) from exc
    return rasterio.features


@dataclass(frozen=True, eq=False)
class KDEResult:
    """A kernel density surface and the parameters that made it.

    Attributes
    ----------
    array : numpy.ndarray
        2-D float64 densities at cell centres, row 0 = north, in points (or weight) per km².
    transform : affine.Affine
        North-up transform of the cells' upper-left corners.
    crs : pyproj.CRS
        The metric CRS of the grid.
    bandwidth_m, cell_m : float
        Kernel bandwidth (quartic: radius; gaussian: σ) and cell side, in metres.
    kernel : str
        A key of :data:`KERNELS`.
    n_points : int
        Points that contributed (inside the study area).
    total_weight : float
        Their total weight (``n_points`` without weights).
    edge : str
        The edge treatment in words, with the amounts below.
    n_excluded : int
        Points outside the study area (``within`` or ``extent``), left out.
    lost_mass : float
        Weight that fell outside the padded grid (0 up to rounding by construction).
    spill_mass : float or None
        Weight of the surface outside the study area (cells whose centre lies outside
        ``within``/``extent``); ``None`` when the study area was the points' own bounds.
    weight : str or None
        What was summed: a column name, ``"weight"`` for an array, or ``None`` for counts.
    source : mapping
        Provenance of the points layer (:meth:`geodistrict.layers.LayerInfo.as_dict`).
    """

    array: np.ndarray
    transform: Affine
    crs: CRS
    bandwidth_m: float
    cell_m: float
    kernel: str
    n_points: int
    total_weight: float
    edge: str
    n_excluded: int = 0
    lost_mass: float = 0.0
    spill_mass: float | None = None
    weight: str | None = None
    source: Mapping[str, Any] = field(default_factory=dict)

    @property
    def cell_km2(self) -> float:
        """Area of one cell in km²."""
        return self.cell_m * self.cell_m / 1e6

    @property
    def units(self) -> str:
        """Units of :attr:`array`: ``"points per km2"`` or ``"<weight> per km2"``."""
        return "points per km2" if self.weight is None else f"{self.weight} per km2"

    def integral(self) -> float:
        """Sum of the surface times the cell area: the total weight on the grid."""
        return float(self.array.sum() * self.cell_km2)

    def metadata(self) -> dict[str, Any]:
        """Parameters and provenance, for GeoTIFF tags and JSON reports."""
        from .._version import __version__

        src = dict(self.source)
        return {
            "units": self.units,
            "kernel": self.kernel,
            "bandwidth_m": self.bandwidth_m,
            "cell_m": self.cell_m,
            "n_points": self.n_points,
            "total_weight": self.total_weight,
            "weight": self.weight,
            "n_excluded": self.n_excluded,
            "integral": self.integral(),
            "lost_mass": self.lost_mass,
            "spill_mass": self.spill_mass,
            "edge": self.edge,
            "crs": self.crs.to_string(),
            "source": src.get("source"),
            "licence": src.get("licence"),
            "attribution": src.get("attribution"),
            "vintage": src.get("vintage"),
            "geodistrict_version": __version__,
        }

    def to_geotiff(self, path: str | Path, *, tags: Mapping[str, object] | None = None) -> Path:
        """Write the surface as a GeoTIFF with its units and parameters as tags.

        Parameters
        ----------
        path : str or pathlib.Path
            Output file (overwritten); its folder must exist.
        tags : mapping, optional
            Extra dataset tags (e.g. the command line); they override the defaults.

        Returns
        -------
        pathlib.Path
        """
        from ..io.raster import write_geotiff

        path = Path(path)
        if not path.parent.exists():
            raise InputFileError(
                f"{path}: the folder {path.parent} does not exist; create it first."
            )
        meta = {k: ("" if v is None else v) for k, v in self.metadata().items()}
        meta.update(tags or {})
        return write_geotiff(
            path, self.array, transform=self.transform, crs=self.crs, units=self.units, tags=meta
        )

    def value_at(self, x: Any, y: Any) -> Any:
        """Density of the cell containing each (x, y) (in :attr:`crs`); NaN off the grid.

        Examples
        --------
        >>> r = kde(xy_layer([530025.0], [180025.0], crs=27700), bandwidth_m=500, cell_m=50)
        >>> round(r.value_at(530025.0, 180025.0), 2)  # quartic peak 3/(π h²) = 3.82 per km²
        3.82
        """
        xa = np.asarray(x, dtype="float64")
        ya = np.asarray(y, dtype="float64")
        t = self.transform
        with np.errstate(invalid="ignore"):
            col = np.floor((xa - t.c) / t.a)
            row = np.floor((ya - t.f) / t.e)
        nr, nc = self.array.shape
        ok = (col >= 0) & (col < nc) & (row >= 0) & (row < nr)
        out = np.full(np.broadcast(xa, ya).shape, np.nan)
        out[ok] = self.array[row[ok].astype(np.intp), col[ok].astype(np.intp)]
        return float(out) if out.ndim == 0 else out

    def top_share_level(self, share: float = 0.01) -> float:
        """The density at or above which lie the top ``share`` of the cells with density > 0.

        Cells the kernels never reach (zero density) are not counted, so padding the grid
        does not move the level. Ties at the level may add a few cells.
        """
        if not 0 < share <= 1:
            raise ParameterError(f"share {share!r}: give a fraction in (0, 1], e.g. 0.01 (1 %).")
        vals = self.array[self.array > 0]
        if len(vals) == 0:
            raise EmptyLayerError("the density surface is zero everywhere: it has no top cells.")
        k = max(1, math.ceil(share * len(vals)))
        return float(np.partition(vals, len(vals) - k)[len(vals) - k])

    def contours(self, levels: float | Sequence[float] | Mapping[str, float]) -> gpd.GeoDataFrame:
        """Polygons of the cells at or above each level, edge-connected cells dissolved.

        Parameters
        ----------
        levels : float, sequence of float or mapping of label to float
            Densities in :attr:`units`; a mapping labels them (``{"top1": 812.5}``).

        Returns
        -------
        geopandas.GeoDataFrame
            In :attr:`crs`, one row per connected patch (cells sharing an edge; cells touching
            only at a corner are separate patches): ``label``, ``level``, ``area_km2`` (cells
            × cell area), ``points`` (the surface's integral over the patch: the estimated
            points, or weight, it holds) and the polygon.
        """
        import geopandas as gpd
        import shapely
        from scipy import ndimage

        features = _rasterio_features()
        if isinstance(levels, Mapping):
            items = [(str(k), float(v)) for k, v in levels.items()]
        else:
            seq: list[Any] = [levels] if np.isscalar(levels) else list(levels)  # type: ignore[arg-type]
            items = [(f"{float(v):g}", float(v)) for v in seq]
        flat = self.array.ravel()
        rows: list[dict[str, Any]] = []
        geoms: list[Any] = []
        for label, level in items:
            mask = self.array >= level
            lab, n = ndimage.label(mask)  # default structure: edge neighbours only
            if n == 0:
                continue
            sums = np.bincount(lab.ravel(), weights=flat, minlength=n + 1) * self.cell_km2
            parts: dict[int, list[Any]] = {}
            for geom, val in features.shapes(
                lab.astype(np.int32), mask=mask, connectivity=4, transform=self.transform
            ):
                parts.setdefault(int(val), []).append(shapely.geometry.shape(geom))
            for k in sorted(parts):
                g = parts[k][0] if len(parts[k]) == 1 else shapely.union_all(parts[k])
                geoms.append(g)
                rows.append(
                    {
                        "label": label,
                        "level": level,
                        "area_km2": float(shapely.area(g)) / 1e6,
                        "points": float(sums[k]),
                    }
                )
        frame = pd.DataFrame(rows, columns=["label", "level", "area_km2", "points"])
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=self.crs).values)


def point_weights(layer: PointLayer, weights: Any) -> tuple[np.ndarray | None, str | None]:
    """The weight array (None for counts) and what it is called."""
    if weights is None:
        return None, None
    if isinstance(weights, str):
        if weights not in layer.attributes.columns:
            cols = ", ".join(map(str, layer.attributes.columns))
            raise SchemaError(
                f"{layer.name}: no column {weights!r} for weights; columns are {cols}."
            )
        w = pd.to_numeric(layer.attributes[weights], errors="coerce").to_numpy(dtype="float64")
        label = weights
    else:
        w = np.asarray(weights, dtype="float64").ravel()
        label = "weight"
        if len(w) != len(layer):
            raise SchemaError(
                f"{layer.name}: {len(w)} weights for {len(layer)} points; give one per point."
            )
    bad = ~np.isfinite(w)
    if bad.any():
        raise SchemaError(
            f"{layer.name}: {int(bad.sum())} of {len(w)} weights ({label}) are missing or not "
            "numbers; fill or drop them first (e.g. attributes[col].fillna(0))."
        )
    if (w < 0).any():
        raise SchemaError(
            f"{layer.name}: {int((w < 0).sum())} weights ({label}) are negative; a density "
            "needs weights >= 0."
        )
    return w, label


def within_polygons(within: Any, metric_crs: CRS | None) -> tuple[np.ndarray, CRS]:
    """``within``'s polygons in the metric CRS (its own unless ``metric_crs`` overrides)."""
    import geopandas as gpd

    from .._validate import as_boundaries
    from ..boundaries import prepare_boundaries

    if isinstance(within, gpd.GeoDataFrame | gpd.GeoSeries):
        # prepared in metric_crs (repaired there too), not reprojected afterwards
        gdf = within if isinstance(within, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=within)
        within = prepare_boundaries(gdf, metric_crs=metric_crs, source="within")
    within = as_boundaries(within, "within", paths=False)  # refuses anything else
    if metric_crs is None or within.metric_crs.equals(metric_crs):
        return np.asarray(within.metric, dtype=object), within.metric_crs
    geoms = within.data.geometry.to_crs(metric_crs)
    return np.asarray(geoms.array, dtype=object), metric_crs


def inside_polygons(x: np.ndarray, y: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """True for points inside (the interior of) any polygon."""
    from ..join.points import assign_points

    inside = np.zeros(len(x), dtype=bool)
    inside[assign_points(x, y, polygons).point] = True
    return inside


def cic_shares(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None,
    x0: float,
    y1: float,
    cell: float,
    shape: tuple[int, int],
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each point's weight shared among the four cell centres around it (cloud-in-cell).

    The grid's upper-left corner is (x0, y1); rows run south. Points must lie at least one
    cell inside the grid. The Dask path bins partitions with the same shares, so that its
    sums are bit-identical (:mod:`geodistrict.scale`).

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        Four components (north-west, north-east, south-east, south-west centre): the flat
        cell of each point and its share.
    """
    nr, nc = shape
    fx = x - x0
    fx *= 1.0 / cell
    fx -= 0.5
    fy = y1 - y
    fy *= 1.0 / cell
    fy -= 0.5
    ix = np.floor(fx)
    fx -= ix  # share of the column to the east
    iy = np.floor(fy)
    fy -= iy  # share of the row to the south
    idx = iy.astype(np.intp)
    idx *= nc
    idx += ix.astype(np.intp)
    south = fy if w is None else fy * w
    north = 1.0 - fy if w is None else w - south
    east = north * fx
    north -= east
    south_east = south * fx
    south = south - south_east
    return [(idx, north), (idx + 1, east), (idx + 1 + nc, south_east), (idx + nc, south)]


def _linear_bin(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None,
    x0: float,
    y1: float,
    cell: float,
    shape: tuple[int, int],
) -> np.ndarray:
    """The binned grid of :func:`cic_shares`: the four components summed in that order."""
    n = shape[0] * shape[1]
    comps = cic_shares(x, y, w, x0, y1, cell, shape)
    grid = np.bincount(comps[0][0], comps[0][1], minlength=n)
    for idx, share in comps[1:]:
        grid += np.bincount(idx, share, minlength=n)
    return grid.reshape(shape)


def discrete_kernel(kernel: Kernel, bandwidth_m: float, cell_m: float) -> np.ndarray:
    """The kernel at cell-centre offsets, scaled so its cells sum to 1."""
    r = int(math.ceil(kernel.support * bandwidth_m / cell_m))
    off = np.arange(-r, r + 1) * cell_m
    u2 = (off[:, None] ** 2 + off[None, :] ** 2) / bandwidth_m**2
    k = np.where(u2 <= kernel.support**2, kernel.profile(u2), 0.0)
    return k / k.sum()


def _convolve(binned: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``binned`` convolved with the odd-sized kernel ``k``, same shape as ``binned`` (FFT).

    What ``scipy.signal.fftconvolve(binned, k, mode="same")`` computes, through ``scipy.fft``
    alone: importing ``scipy.signal`` takes over a second.
    """
    fft = scipy_fft()
    full = [a + b - 1 for a, b in zip(binned.shape, k.shape, strict=True)]
    fshape = [fft.next_fast_len(n, real=True) for n in full]
    spec = fft.rfftn(binned, fshape)
    spec *= fft.rfftn(k, fshape)
    r0, r1 = k.shape[0] // 2, k.shape[1] // 2
    out = fft.irfftn(spec, fshape)[r0 : r0 + binned.shape[0], r1 : r1 + binned.shape[1]].copy()
    # FFT round-off leaves ~1e-16 * peak everywhere: cells no kernel reaches are exactly 0
    out[out < 1e-12 * max(float(out.max()), 0.0)] = 0.0
    return out


def layer_metric_crs(points: Any, metric_crs: object | None) -> CRS:
    """``metric_crs``, or the metric CRS of the points' bounds; never one in degrees.

    Parameters
    ----------
    points : PointLayer or PartitionedPoints
        The points (a layer's bounds come from its coordinates, partitioned points carry
        theirs in ``bounds``).
    metric_crs : str, int, pyproj.CRS or None
        A CRS given by the caller.

    Raises
    ------
    ParameterError
        The CRS is geographic (degrees).
    """
    if metric_crs is not None:
        crs = as_crs(metric_crs, what="metric_crs")
    elif isinstance(points, PointLayer):
        crs = choose_metric_crs(
            (points.x.min(), points.y.min(), points.x.max(), points.y.max()), points.crs
        )
    else:
        crs = choose_metric_crs(points.bounds, points.crs)
    if crs.is_geographic:
        raise ParameterError(
            f"metric_crs {crs.to_string()} is in degrees; choose a projected CRS such as "
            "EPSG:27700 or a UTM zone."
        )
    return crs


def _edge_text(
    pad_m: float, lost: float, spill: float | None, total: float, n_excluded: int, area: str
) -> str:
    def pct(v: float) -> str:
        return f"{100.0 * v / total:.2f} %" if total > 0 else "n/a"

    text = (
        f"no edge correction; grid padded by {pad_m:g} m (kernel support + 1 cell); mass of "
        f"points near the grid edge that falls outside the padded grid: {lost:.6g} ({pct(lost)})"
    )
    if spill is not None:
        text += (
            f"; mass spilling outside the study area ({area}): {spill:.6g} ({pct(spill)}), so "
            f"densities near its edge are underestimated; points outside it excluded: {n_excluded}"
        )
    return text


def kde(
    points: PointLayer,
    *,
    bandwidth_m: float,
    cell_m: float | None = None,
    kernel: str = "quartic",
    weights: str | Sequence[float] | np.ndarray | None = None,
    within: Boundaries | gpd.GeoDataFrame | None = None,
    extent: Sequence[float] | None = None,
    metric_crs: object | None = None,
    edge: str = "none",
) -> KDEResult:
    """Kernel density surface of a point layer, in points (or weight) per km².

    Parameters
    ----------
    points : PointLayer
        The points, in any CRS (reprojected); for bare arrays use :func:`xy_layer`.
    bandwidth_m : float
        Bandwidth in metres: the radius of the quartic kernel, σ of the gaussian.
    cell_m : float, optional
        Cell side in metres; default :func:`default_cell` (bandwidth/8 quartic, bandwidth/5
        gaussian: about 1 % low at the peak of an isolated point). A coarser cell warns with
        the expected peak error (:func:`peak_error`).
    kernel : {"quartic", "gaussian"}
        Quartic (biweight) 3/(π h²) (1 - (d/h)²)² for d < h, or the bivariate normal
        truncated at 4 σ.
    weights : str or array-like, optional
        A numeric column of ``points.attributes`` or one value per point (>= 0, no NaN);
        the surface is then weight per km².
    within : Boundaries or geopandas.GeoDataFrame, optional
        Study area: only points inside its polygons count, the grid covers its bounds and
        its metric CRS is used.
    extent : (minx, miny, maxx, maxy), optional
        Study area as a rectangle in the metric CRS (overrides ``within``'s bounds for the
        grid); points outside it are excluded and counted.
    metric_crs : str, int or pyproj.CRS, optional
        Override the metric CRS.
    edge : {"none", "renormalise"}
        No edge correction (the spilled mass is stated), or Diggle's renormalisation (see
        the module docstring): each cell's density divided by the share of its kernel
        inside the study area, and the surface 0 outside it.

    Returns
    -------
    KDEResult

    Raises
    ------
    ParameterError
        For a bandwidth or cell that is not positive, an unknown kernel or a grid over
        :data:`MAX_CELLS` cells.
    SchemaError
        For a missing weight column or NaN / negative weights (the message counts them).
    EmptyLayerError
        When no point lies in the study area.

    Examples
    --------
    >>> import numpy as np
    >>> pts = xy_layer([530000.0, 530400.0, 531000.0], [180000.0, 180300.0, 180000.0], crs=27700)
    >>> r = kde(pts, bandwidth_m=500, cell_m=50)
    >>> r.crs.to_epsg(), r.n_points, round(r.integral(), 6)
    (27700, 3, 3.0)
    >>> r.array.shape  # 1.0 x 0.3 km padded by 550 m on each side, in 50 m cells
    (28, 42)
    """
    check_parameters(
        bandwidth_m=bandwidth_m, cell_m=1.0 if cell_m is None else cell_m, kernel=kernel
    )
    if edge not in EDGES:
        raise ParameterError(f"edge={edge!r}: choose one of {', '.join(map(repr, EDGES))}.")
    if not isinstance(points, PointLayer):
        raise ArgumentTypeError(
            f"points must be a PointLayer (geodistrict.read_points), not {type(points).__name__}; "
            "wrap coordinate arrays with geodistrict.clusters.kde.xy_layer(x, y, crs=...)."
        )
    cell_m = _resolve_cell(bandwidth_m, cell_m, kernel, points.name)

    bandwidth_m, cell_m = float(bandwidth_m), float(cell_m)
    points.require_points()
    w, wlabel = point_weights(points, weights)
    polys, mcrs = study_crs(points, within, metric_crs)
    x, y = transform_xy(points.x, points.y, points.crs, mcrs)

    (minx, miny, maxx, maxy), area = study_bounds(
        extent, polys, mcrs, lambda: (x.min(), y.min(), x.max(), y.max())
    )
    keep = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
    if polys is not None:
        keep[keep] = inside_polygons(x[keep], y[keep], polys)
    n_excluded = int((~keep).sum())
    if not keep.any():
        raise EmptyLayerError(
            f"{points.name}: none of its {len(x)} points lies in the study area ({area}); "
            "check that the points and the boundaries cover the same place."
        )
    if n_excluded:
        x, y = x[keep], y[keep]
        w = None if w is None else w[keep]

    frame = surface_frame(
        (minx, miny, maxx, maxy), area, polys, mcrs,
        kernel=kernel, bandwidth_m=bandwidth_m, cell_m=cell_m, name=points.name,
    )  # fmt: skip
    x0, y1 = frame.origin
    shape = frame.shape
    study = None
    if edge == "renormalise":
        study = _study_mask(x0, y1, shape, cell_m, frame.bounds, polys)
    binned = _linear_bin(x, y, w, x0, y1, cell_m, shape)
    result = finish_surface(
        binned,
        frame,
        total=float(len(x) if w is None else w.sum()),
        n_points=int(len(x)),
        n_excluded=n_excluded,
        weight=wlabel,
        source=points.info.as_dict(),
    )
    if study is None:
        return result
    import dataclasses

    e = _convolve(study.astype("float64"), discrete_kernel(KERNELS[kernel], bandwidth_m, cell_m))
    share = np.clip(e, MIN_EDGE_SHARE, 1.0)
    arr = np.where(study, result.array / share, 0.0)
    inside = float(arr.sum()) * result.cell_km2
    text = (
        "Diggle's edge correction (renormalisation): each cell's density divided by the "
        f"share of its kernel inside the study area ({area}); smallest share "
        f"{float(e[study].min()) if study.any() else 1.0:.3g} (floored at {MIN_EDGE_SHARE:g}); "
        f"cells outside the study area set to 0; integral {inside:.6g} for a total weight "
        f"{result.total_weight:.6g}; points outside the study area excluded: {n_excluded}"
    )
    return dataclasses.replace(result, array=arr, edge=text, spill_mass=0.0)


def _study_mask(x0, y1, shape, cell, bounds, polys) -> np.ndarray:
    """Cells whose centre lies in the study area (the bounds, and the polygons if any)."""
    minx, miny, maxx, maxy = bounds
    cx = x0 + (np.arange(shape[1]) + 0.5) * cell
    cy = y1 - (np.arange(shape[0]) + 0.5) * cell
    gx, gy = np.meshgrid(cx, cy)
    mask = (gx >= minx) & (gx <= maxx) & (gy >= miny) & (gy <= maxy)
    if polys is not None and mask.any():
        mask[mask] = inside_polygons(gx[mask], gy[mask], polys)
    return mask


def study_bounds(
    extent: Sequence[float] | None, polys: Any, crs: CRS, points_bounds: Callable[[], Sequence]
) -> tuple[tuple[float, float, float, float], str | None]:
    """The study area's box and how it was limited (``"extent"``, ``"within polygons"`` ...).

    ``extent`` wins, then the polygons' bounds, then ``points_bounds()`` (called only then: the
    Dask path computes it on the cluster).
    """
    area = None
    if extent is not None:
        minx, miny, maxx, maxy = (float(v) for v in extent)
        if not (minx < maxx and miny < maxy):
            raise ParameterError(
                f"extent {tuple(extent)}: give (minx, miny, maxx, maxy) with min < max, in "
                f"{crs.to_string()} metres."
            )
        area = "extent"
    elif polys is not None:
        import shapely

        b = shapely.bounds(polys)
        minx, miny = float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1]))
        maxx, maxy = float(np.nanmax(b[:, 2])), float(np.nanmax(b[:, 3]))
    else:
        minx, miny, maxx, maxy = (float(v) for v in points_bounds())
    if polys is not None:
        area = "within polygons" if area is None else "within polygons and extent"
    return (minx, miny, maxx, maxy), area


def grid_frame(
    bounds: Sequence[float], *, kernel: str, bandwidth_m: float, cell_m: float, name: str
) -> tuple[float, float, tuple[int, int], float]:
    """The density grid over ``bounds``: ``(x0, y1, (rows, cols), pad)``.

    The grid reaches ``pad`` (the kernel's support plus a cell) beyond the bounds, aligned to
    multiples of ``cell_m``; more than :data:`MAX_CELLS` cells is a :class:`ParameterError`.

    Examples
    --------
    >>> grid_frame((0, 0, 1000, 500), kernel="quartic", bandwidth_m=200, cell_m=100, name="p")
    (-300.0, 800.0, (11, 16), 300.0)
    """
    minx, miny, maxx, maxy = bounds
    pad = KERNELS[kernel].support * bandwidth_m + cell_m
    x0 = math.floor((minx - pad) / cell_m) * cell_m
    x1 = math.ceil((maxx + pad) / cell_m) * cell_m
    y0 = math.floor((miny - pad) / cell_m) * cell_m
    y1 = math.ceil((maxy + pad) / cell_m) * cell_m
    shape = (round((y1 - y0) / cell_m), round((x1 - x0) / cell_m))
    if shape[0] * shape[1] > MAX_CELLS:
        raise ParameterError(
            f"{name}: a {cell_m:g} m grid over {(x1 - x0) / 1e3:,.0f} x "
            f"{(y1 - y0) / 1e3:,.0f} km has {shape[0] * shape[1]:,} cells (limit "
            f"{MAX_CELLS:,}); use larger cells or a smaller extent."
        )
    return float(x0), float(y1), shape, float(pad)


class SurfaceFrame(NamedTuple):
    """The grid of a density surface over its study area (:func:`surface_frame`).

    Attributes
    ----------
    kernel, bandwidth_m, cell_m
        As in :func:`kde`.
    origin : (float, float)
        ``(x0, y1)``: the grid's west and north edges in ``crs``.
    shape : (int, int)
        Rows and columns.
    bounds : (float, float, float, float)
        The study area's ``(minx, miny, maxx, maxy)``.
    pad : float
        How far the grid reaches beyond the bounds (kernel support plus a cell).
    area : str or None
        What limited the study area (``"extent"``, ``"within polygons"`` ...), or ``None``.
    polys : numpy.ndarray or None
        Study-area polygons in ``crs``.
    crs : pyproj.CRS
        The metric CRS of the grid.
    """

    kernel: str
    bandwidth_m: float
    cell_m: float
    origin: tuple[float, float]
    shape: tuple[int, int]
    bounds: tuple[float, float, float, float]
    pad: float
    area: str | None
    polys: Any
    crs: CRS


def surface_frame(
    bounds: tuple[float, float, float, float],
    area: str | None,
    polys: Any,
    crs: CRS,
    *,
    kernel: str,
    bandwidth_m: float,
    cell_m: float,
    name: str,
) -> SurfaceFrame:
    """The density grid (:func:`grid_frame`) over a study area (:func:`study_bounds`).

    Shared by :func:`kde` and the Dask path (:func:`geodistrict.scale.kde_dask`).
    """
    x0, y1, shape, pad = grid_frame(
        bounds, kernel=kernel, bandwidth_m=bandwidth_m, cell_m=cell_m, name=name
    )
    return SurfaceFrame(
        kernel=kernel,
        bandwidth_m=bandwidth_m,
        cell_m=cell_m,
        origin=(x0, y1),
        shape=shape,
        bounds=bounds,
        pad=pad,
        area=area,
        polys=polys,
        crs=crs,
    )


def study_crs(points: Any, within: Any, metric_crs: object | None) -> tuple[Any, CRS]:
    """The study-area polygons (None without ``within``) and the metric CRS of a density.

    The CRS is ``metric_crs`` if given, else ``within``'s own, else the points' (from their
    bounds: a :class:`PointLayer` or partitioned points with ``bounds`` and ``crs``).
    """
    if within is not None:
        return within_polygons(within, as_crs(metric_crs) if metric_crs is not None else None)
    return None, layer_metric_crs(points, metric_crs)


def finish_surface(
    binned: np.ndarray,
    frame: SurfaceFrame,
    *,
    total: float,
    n_points: int,
    n_excluded: int,
    weight: str | None,
    source: dict[str, Any],
) -> KDEResult:
    """Convolve binned counts into a density surface and account for its mass.

    The last step of :func:`kde`, shared with the Dask path (which bins in partitions).

    Parameters
    ----------
    binned : numpy.ndarray
        Counts (or weights) linearly binned to cell centres, north row first.
    frame : SurfaceFrame
        The grid and its study area.
    total : float
        Points (or weight) binned.
    n_points, n_excluded : int
        Points binned, and points left out as outside the study area.
    weight : str or None
        The weight column's name (None for counts).
    source : dict
        Provenance of the points.

    Returns
    -------
    KDEResult
    """
    from affine import Affine

    kernel, bandwidth_m, cell_m = frame.kernel, frame.bandwidth_m, frame.cell_m
    area, polys, crs, pad = frame.area, frame.polys, frame.crs, frame.pad
    spec = KERNELS[kernel]
    x0, y1 = frame.origin
    minx, miny, maxx, maxy = frame.bounds
    shape = binned.shape
    surface = _convolve(binned, discrete_kernel(spec, bandwidth_m, cell_m)) * (1e6 / cell_m**2)
    cell_km2 = cell_m * cell_m / 1e6
    lost = total - float(surface.sum()) * cell_km2
    if abs(lost) <= 1e-9 * max(total, 1.0):
        lost = 0.0
    spill = None
    if area is not None:
        cx = x0 + (np.arange(shape[1]) + 0.5) * cell_m
        cy = y1 - (np.arange(shape[0]) + 0.5) * cell_m
        gx, gy = np.meshgrid(cx, cy)
        inside = (gx >= minx) & (gx <= maxx) & (gy >= miny) & (gy <= maxy)
        if polys is not None:
            sel = inside & (surface > 0)
            inside = np.zeros(shape, dtype=bool)
            inside[sel] = inside_polygons(gx[sel], gy[sel], polys)
        spill = max(total - float(surface[inside].sum()) * cell_km2, 0.0)
    return KDEResult(
        array=surface,
        transform=Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1),
        crs=crs,
        bandwidth_m=bandwidth_m,
        cell_m=cell_m,
        kernel=kernel,
        n_points=int(n_points),
        total_weight=total,
        edge=_edge_text(pad, lost, spill, total, n_excluded, area or ""),
        n_excluded=n_excluded,
        lost_mass=lost,
        spill_mass=spill,
        weight=weight,
        source=source,
    )
