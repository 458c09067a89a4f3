"""Prime locations: where points are denser than chance would put them on populated land.

:func:`prime_locations` follows the idea of the "prime locations" of Ahlfeldt, Albers and
Behrens (*Prime Locations*, CEPR Discussion Paper 15470, 2020): the places where activity is
significantly more concentrated than if the same number of points had been spread at random
over the land where activity *can* locate. Here:

1. the observed kernel density of the points is computed with :func:`~.kde.kde` on a grid
   fixed by the study area;
2. ``simulations`` counterfactual patterns of the same number of points are drawn, with
   replacement, from the locations of the populated land (for instance every postcode
   centroid): the counterfactual follows where people and buildings are, not a uniform
   rectangle that would put firms in fields and lakes and make every town "significant";
3. each counterfactual goes through the same KDE on the very same grid, and the test is made
   **over the whole map at once** (a max-statistic test, Westfall and Young 1993). Under the
   null the mean and variance of each cell's density are known exactly from the populated
   land: ``μ = n/N`` times the KDE of the ``N`` populated locations, and ``σ² = n (E[g²] -
   E[g]²)`` with ``g`` one drawn point's contribution (its kernel squared smoothed over the
   populated land). Each cell's density is scored by its upper tail under the gamma
   distribution with that mean and variance (shape ``μ²/σ²``, scale ``σ²/μ``: a sum of
   kernel weights is skewed, most where the land is sparse, and a normal z would let a few
   sparse cells decide the whole map)::

       score_c = -log P_gamma(X >= density_c)

   Each simulated map gives its largest score over the study area, and the observed cell's
   ``p_value`` is the share of maps, the observed one included, whose largest score reaches
   the cell's own::

       p_c = (1 + #{simulations s : max_cells score_s >= score_c}) / (simulations + 1)

   A cell is *prime* when ``p_c <= 1 - quantile``: equivalently, its score exceeds the
   critical score (the ``quantile`` of the simulated maxima, as an order statistic), and its
   density exceeds ``threshold``, the density with that score. The three statements agree by
   construction. The chance that a pattern drawn from the populated land itself shows *any*
   prime cell is at most ``1 - quantile`` (the family-wise error over the map, 5 % by
   default); the scoring changes only which cells the test is sensitive to, never its level,
   because ``μ`` and ``σ`` depend on the populated land alone.
4. contiguous prime cells (sharing an edge) are dissolved into outlines with
   :func:`~.outlines.outline_cells`; cells whose centre lies outside the study area are not
   tested (``p_value`` NaN).

The earlier pointwise rule (a cell above the 95th percentile of its own simulated densities,
one test per cell without correction) declared about 5 % of the cells of a pattern without
any cluster prime: 132 random postcodes gave more "prime locations" than the universities.

:func:`significance_outline` is the generic last step: the outlines of the significant hot
cells of a :func:`~.hotspots.hotspots` grid, or of the cells of a density surface at or above a
threshold (a number, or a per-cell array such as :attr:`PrimeResult.threshold`).

The simulations are binned and convolved in batches (one FFT per batch of surfaces), so a
run of 99 simulations costs about as much as a few observed surfaces.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from pyproj import CRS

from .._validate import as_point_layer
from ..errors import ArgumentTypeError, EmptyLayerError, ParameterError, SchemaError
from .kde import KDEResult, check_parameters, kde

if TYPE_CHECKING:
    import geopandas as gpd

    from ..boundaries import Boundaries
    from ..layers import PointLayer

__all__ = [
    "OUTLINE_COLUMNS",
    "PrimeResult",
    "outline_records",
    "prime_locations",
    "significance_outline",
]

#: Columns of :attr:`PrimeResult.outlines` and of :func:`significance_outline` (before
#: ``geometry``).
OUTLINE_COLUMNS = ["outline", "cells", "area_km2", "points", "points_per_km2"]


def outline_records(outlines: Any) -> list[dict[str, Any]]:
    """The rows of an outline table (:data:`OUTLINE_COLUMNS`) as JSON-ready records.

    Used by :meth:`PrimeResult.report` and by the CLI's Gi* outlines, so that both reports
    describe an outline the same way.

    Examples
    --------
    >>> import pandas as pd
    >>> outline_records(pd.DataFrame({"outline": [1], "cells": [4], "area_km2": [0.25],
    ...                               "points": [40], "points_per_km2": [160.0]}))
    [{'outline': 1, 'cells': 4, 'area_km2': 0.25, 'points': 40, 'points_per_km2': 160.0}]
    """
    return [
        {
            "outline": int(r["outline"]),
            "cells": int(r["cells"]),
            "area_km2": float(r["area_km2"]),
            "points": int(r["points"]),
            "points_per_km2": float(r["points_per_km2"]),
        }
        for r in outlines[OUTLINE_COLUMNS].to_dict("records")
    ]


@dataclass(frozen=True, eq=False)
class PrimeResult:
    """Prime locations: observed density, simulated threshold, prime cells and their outlines.

    Attributes
    ----------
    outlines : geopandas.GeoDataFrame
        One row per patch of edge-contiguous prime cells, in :attr:`crs`: ``outline`` (0 =
        most observed points, then largest), ``cells``, ``area_km2``, ``points`` (observed points in
        the patch's cells), ``points_per_km2`` and the polygon.
    threshold : numpy.ndarray
        The density a cell must exceed to be prime (its score then exceeds ``score_crit``),
        on the grid of ``observed.array``, in points per km² (NaN outside the study area).
    observed : KDEResult
        The observed density surface.
    prime : numpy.ndarray
        Bool, per cell: ``p_value <= 1 - quantile`` (equivalently ``score > score_crit`` and
        density above ``threshold``), cell centre in the study area.
    p_value : numpy.ndarray
        Map-level (max-statistic) Monte Carlo p-value of each cell, ``(1 + simulated maps
        whose largest standardised excess reaches the cell's) / (simulations + 1)``; NaN
        for cells outside the study area.
    z : numpy.ndarray
        The standardised excess ``(density - μ) / σ`` of each cell, for reading (NaN outside
        the study area or where the populated land cannot reach).
    score : numpy.ndarray
        The cell's score, ``-log`` of its gamma upper tail (700 for a density where the
        populated land cannot reach; NaN outside the study area).
    expected : numpy.ndarray
        ``μ``: the cell's mean density under the null (points per km²).
    null_sd : numpy.ndarray
        ``σ``: the cell's standard deviation under the null.
    score_crit : float
        The critical score: the ``quantile`` of the simulated maps' largest scores (order
        statistic).
    bandwidth_m, cell_m : float
        Kernel bandwidth and cell side in metres.
    kernel : str
        Kernel name (a key of :data:`~.kde.KERNELS`).
    simulations : int
        Counterfactual patterns drawn.
    quantile : float
        ``1 - quantile`` is the family-wise error rate over the map: the chance that a
        pattern drawn from the populated land shows any prime cell.
    seed : int
        Seed of the draws (drawn at random and recorded when none was given).
    jitter : bool
        Whether drawn locations were moved by up to half a cell along each axis.
    n_points : int
        Observed points in the study area (each counterfactual has as many).
    n_populated : int
        Locations of populated land in the study area the counterfactuals are drawn from.
    study_area : str
        The study area in words.
    study_km2 : float
        Its area (the union of the ``within`` polygons, or the extent rectangle).
    populated_source : mapping
        Provenance of the populated-land layer.
    """

    outlines: Any
    threshold: np.ndarray
    observed: KDEResult
    prime: np.ndarray
    p_value: np.ndarray
    bandwidth_m: float
    cell_m: float
    kernel: str
    simulations: int
    quantile: float
    seed: int
    jitter: bool
    n_points: int
    n_populated: int
    study_area: str
    study_km2: float
    populated_source: Mapping[str, Any] = field(default_factory=dict)
    z: np.ndarray | None = None
    expected: np.ndarray | None = None
    null_sd: np.ndarray | None = None
    score: np.ndarray | None = None
    score_crit: float = float("nan")

    @property
    def crs(self) -> CRS:
        """The metric CRS of the grid and the outlines."""
        return self.observed.crs

    @property
    def n_outlines(self) -> int:
        """Number of prime outlines."""
        return int(len(self.outlines))

    @property
    def prime_km2(self) -> float:
        """Area of the prime cells in km²."""
        return float(self.prime.sum()) * self.observed.cell_km2

    def parameters(self) -> dict[str, Any]:
        """The parameters of the run, as passed (``seed`` as used)."""
        return {
            "bandwidth_m": self.bandwidth_m,
            "cell_m": self.cell_m,
            "kernel": self.kernel,
            "simulations": self.simulations,
            "quantile": self.quantile,
            "seed": self.seed,
            "jitter": self.jitter,
        }

    def report(self) -> dict[str, Any]:
        """Plain-dict summary: parameters, the counts behind the test and one entry per outline.

        Examples
        --------
        >>> rng = np.random.default_rng(1)
        >>> from geodistrict.clusters.kde import xy_layer
        >>> land = xy_layer(*rng.uniform(0, 5000, (2, 2000)), crs=27700)
        >>> pts = xy_layer(*rng.normal(2500, 100, (2, 40)), crs=27700)
        >>> r = prime_locations(pts, populated=land, bandwidth_m=500, simulations=19, seed=1)
        >>> rep = r.report()
        >>> rep["n_outlines"], rep["points"]["in_study_area"], rep["outlines"][0]["points"]
        (1, 40, 40)
        """
        obs = self.observed
        return {
            "method": "prime_locations",
            "parameters": self.parameters(),
            "crs": obs.crs.to_string(),
            "study_area": self.study_area,
            "study_km2": self.study_km2,
            "points": {
                "in_study_area": int(self.n_points),
                "outside_study_area": int(obs.n_excluded),
                "in_prime_outlines": int(self.outlines["points"].sum()),
            },
            "populated": {"locations": int(self.n_populated), **dict(self.populated_source)},
            "grid": {
                "shape": list(obs.array.shape),
                "transform": list(obs.transform)[:6],
                "units": obs.units,
            },
            "test": {
                "kind": "max-statistic over the study area's cells (family-wise error)",
                "familywise_error": round(1.0 - self.quantile, 12),
                "score": "-log gamma upper tail with the null mean and variance of the cell",
                "score_crit": self.score_crit,
                "tested_cells": int(np.isfinite(self.p_value).sum()),
            },
            "prime_cells": int(self.prime.sum()),
            "prime_km2": self.prime_km2,
            "prime_share_of_study_area": self.prime_km2 / self.study_km2
            if self.study_km2 > 0
            else None,
            "n_outlines": self.n_outlines,
            "outlines": outline_records(self.outlines),
            "edge": obs.edge,
            "source": dict(obs.source),
        }


# ------------------------------------------------------------------------------------------------
# shared steps


def check_prime_options(simulations: int, quantile: float, seed: int | None) -> None:
    """Check the options of :func:`prime_locations`, as its CLI does before reading data.

    Parameters
    ----------
    simulations : int
        Monte Carlo simulations (at least 1, and enough to test at ``quantile``).
    quantile : float
        The quantile of the simulated maxima, between 0 and 1.
    seed : int or None
        Seed of the simulations.

    Raises
    ------
    ParameterError
        One error listing every bad option.
    """
    problems = []
    try:
        q = float(quantile)
    except (TypeError, ValueError):
        q = math.nan
    if not 0.0 < q < 1.0:
        problems.append(f"quantile {quantile!r}: give a fraction between 0 and 1, e.g. 0.95")
    if isinstance(simulations, bool) or not isinstance(simulations, int | np.integer):
        problems.append(f"simulations {simulations!r}: give a whole number, e.g. 99")
    elif simulations < 1:
        problems.append(f"simulations {simulations}: give at least 1, e.g. 99")
    elif 0.0 < q < 1.0 and (simulations + 1) * (1.0 - q) < 1.0 - 1e-9:
        need = math.ceil(1.0 / (1.0 - q) - 1.0 - 1e-9)
        problems.append(
            f"{simulations} simulations cannot test at quantile {q:g}: the smallest Monte Carlo "
            f"p-value would be 1/{simulations + 1}; use at least {need} (CLI: --simulations "
            f"{need})"
        )
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        problems.append(f"seed {seed!r}: give a whole number or None")
    if problems:
        raise ParameterError("prime_locations: " + "; ".join(problems) + ".")


def _in_study_area(
    x: np.ndarray, y: np.ndarray, extent: tuple[float, ...], polys: np.ndarray | None
) -> np.ndarray:
    """True for coordinates in the extent (edges included) and inside a polygon, as kde does."""
    from .kde import inside_polygons

    minx, miny, maxx, maxy = extent
    keep = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
    if polys is not None and keep.any():
        keep[keep] = inside_polygons(x[keep], y[keep], polys)
    return keep


def _bin_index(x: np.ndarray, y: np.ndarray, result: KDEResult) -> tuple[np.ndarray, np.ndarray]:
    """Cells (flat index, 4 per point) and weights of linear binning on ``result``'s grid."""
    t = result.transform
    nc = result.array.shape[1]
    fx = (x - t.c) / t.a - 0.5
    fy = (t.f - y) / -t.e - 0.5
    ix, iy = np.floor(fx), np.floor(fy)
    fx, fy = fx - ix, fy - iy
    base = iy.astype(np.intp) * nc + ix.astype(np.intp)
    idx = np.stack([base, base + 1, base + nc, base + nc + 1], axis=1)
    w = np.stack([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy], axis=1)
    return idx, w


def _kernel_spectrum(result: KDEResult, k: np.ndarray, batch: int):
    """Rfftn of the kernel on the padded grid, and a function convolving a stack of grids."""
    from .kde import scipy_fft

    fft = scipy_fft()
    shape = result.array.shape
    fshape = [fft.next_fast_len(a + b - 1, real=True) for a, b in zip(shape, k.shape, strict=True)]
    spec = fft.rfftn(k, fshape)
    r0, r1 = k.shape[0] // 2, k.shape[1] // 2

    def convolve(stack: np.ndarray) -> np.ndarray:
        out = fft.irfftn(fft.rfftn(stack, fshape, axes=(1, 2)) * spec, fshape, axes=(1, 2))
        return out[:, r0 : r0 + shape[0], r1 : r1 + shape[1]]

    return convolve


def _null_moments(
    px: np.ndarray, py: np.ndarray, n: int, observed: KDEResult
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of each cell's density when ``n`` points are drawn from land.

    Both are 0 where the populated land cannot reach.
    """
    from .kde import KERNELS, discrete_kernel

    k = discrete_kernel(KERNELS[observed.kernel], observed.bandwidth_m, observed.cell_m)
    scale = 1e6 / observed.cell_m**2
    idx, w = _bin_index(px, py, observed)
    size = observed.array.size
    binned = np.bincount(idx.ravel(), w.ravel(), minlength=size)[:size]
    grids = np.stack([binned.reshape(observed.array.shape)] * 2)
    conv = _kernel_spectrum(observed, k, 2)
    first = conv(grids[:1])[0] / len(px)
    second = _kernel_spectrum(observed, k * k, 1)(grids[1:])[0] / len(px)
    mu = n * scale * np.maximum(first, 0.0)
    var = n * scale**2 * np.maximum(second - first * first, 0.0)
    # below rounding of one point's kernel: the populated land cannot reach the cell
    tiny = 1e-9 * scale * float(k.max())
    unreachable = (mu <= tiny) | (var <= tiny * tiny)
    return np.where(unreachable, 0.0, mu), np.where(unreachable, 0.0, var)


#: Score of a density where the populated land cannot reach (above any reachable score,
#: which is capped at -log(1e-300) = 690.8).
UNREACHABLE_SCORE = 700.0


def _score(dens: np.ndarray, mu: np.ndarray, var: np.ndarray, tiny: float) -> np.ndarray:
    """``-log`` of the gamma upper tail at ``dens`` (mean ``mu``, variance ``var``)."""
    from scipy.special import gammaincc

    ok = var > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = np.where(ok, mu * mu / np.where(ok, var, 1.0), 1.0)
        scale = np.where(ok, var / np.where(ok, mu, 1.0), 1.0)
        tail = gammaincc(shape, np.maximum(dens, 0.0) / scale)
    score = -np.log(np.maximum(tail, 1e-300))
    return np.where(ok, score, np.where(dens > tiny, UNREACHABLE_SCORE, 0.0))


def _threshold(mu: np.ndarray, var: np.ndarray, score_crit: float) -> np.ndarray:
    """The density whose score is ``score_crit``.

    0 where the land cannot reach: any density is prime there.
    """
    from scipy.special import gammainccinv

    ok = var > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = np.where(ok, mu * mu / np.where(ok, var, 1.0), 1.0)
        scale = np.where(ok, var / np.where(ok, mu, 1.0), 1.0)
        level = gammainccinv(shape, np.exp(-min(score_crit, 690.0))) * scale
    return np.where(ok, level, 0.0)


def _simulated_maxima(
    px: np.ndarray,
    py: np.ndarray,
    n: int,
    observed: KDEResult,
    mu: np.ndarray,
    var: np.ndarray,
    tested: np.ndarray,
    *,
    simulations: int,
    seed: int,
    jitter: bool,
    extent: tuple[float, ...],
) -> np.ndarray:
    """The largest score over the tested cells of each simulated map."""
    from .kde import KERNELS, discrete_kernel

    k = discrete_kernel(KERNELS[observed.kernel], observed.bandwidth_m, observed.cell_m)
    scale = 1e6 / observed.cell_m**2
    shape = observed.array.shape
    size = observed.array.size
    batch = int(max(1, min(simulations, 2e7 // max(size, 1), 32)))
    convolve = _kernel_spectrum(observed, k, batch)
    rng = np.random.default_rng(seed)
    half = observed.cell_m / 2.0
    if not jitter:
        pidx, pw = _bin_index(px, py, observed)
    sel = tested.ravel()
    mu_t, var_t = mu.ravel()[sel], var.ravel()[sel]
    tiny = 1e-9 * scale * float(k.max())
    maxima = np.empty(simulations)
    for start in range(0, simulations, batch):
        b = min(batch, simulations - start)
        draw = rng.integers(0, len(px), size=(b, n))
        if jitter:
            sx = np.clip(px[draw] + rng.uniform(-half, half, (b, n)), extent[0], extent[2])
            sy = np.clip(py[draw] + rng.uniform(-half, half, (b, n)), extent[1], extent[3])
            idx, w = _bin_index(sx.ravel(), sy.ravel(), observed)
            idx = idx.reshape(b, n, 4)
            w = w.reshape(b, n, 4)
        else:
            idx, w = pidx[draw], pw[draw]
        idx = idx + (np.arange(b) * size)[:, None, None]
        stack = np.bincount(idx.ravel(), w.ravel(), minlength=b * size)[: b * size]
        dens = convolve(stack.reshape(b, *shape)) * scale
        score = _score(dens.reshape(b, -1)[:, sel], mu_t, var_t, tiny)
        maxima[start : start + b] = score.max(axis=1) if score.shape[1] else -np.inf
    return maxima


def _cell_boxes(result: KDEResult, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Polygons of the cells (row, col) of a surface."""
    import shapely

    t = result.transform
    x0 = t.c + cols * t.a
    y1 = t.f + rows * t.e
    return shapely.box(x0, y1 + t.e, x0 + t.a, y1)


def _owners(cell_geoms: np.ndarray, outlines: Any) -> np.ndarray:
    """Position in ``outlines`` of the outline holding each cell (-1: none)."""
    import shapely

    owner = np.full(len(cell_geoms), -1, dtype=np.int64)
    if len(outlines) == 0 or len(cell_geoms) == 0:
        return owner
    tree = shapely.STRtree(np.asarray(outlines.geometry.array, dtype=object))
    probe, part = tree.query(shapely.point_on_surface(cell_geoms), predicate="intersects")
    owner[probe] = part
    return owner


def _surface_outlines(result: KDEResult, mask: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray]:
    """Outlines of the masked cells of a surface, the cells' (row, col) and their outline."""
    import geopandas as gpd

    from .outlines import outline_cells

    rows, cols = np.nonzero(mask)
    boxes = _cell_boxes(result, rows, cols)
    grid = gpd.GeoDataFrame(geometry=boxes, crs=result.crs)
    outlines = outline_cells(grid, np.ones(len(grid), dtype=bool))
    owner = _owners(boxes, outlines)
    return outlines, np.column_stack([rows, cols]), owner


def _finish(outlines: Any, points: np.ndarray) -> Any:
    """Add ``points`` and ``points_per_km2``; order by points, then area; renumber."""
    out = outlines.copy()
    out["points"] = points
    with np.errstate(divide="ignore", invalid="ignore"):
        out["points_per_km2"] = points / out["area_km2"].to_numpy(dtype="float64")
    order = np.lexsort((-out["area_km2"].to_numpy(dtype="float64"), -np.asarray(points)))
    out = out.iloc[order].reset_index(drop=True)
    out["outline"] = np.arange(len(out))
    out = out[[*OUTLINE_COLUMNS, "geometry"]]
    return out.astype({"outline": "int64", "cells": "int64"})


# ------------------------------------------------------------------------------------------------
# public functions


def prime_locations(
    points: PointLayer | gpd.GeoDataFrame,
    *,
    populated: PointLayer | gpd.GeoDataFrame,
    within: Boundaries | gpd.GeoDataFrame | None = None,
    bandwidth_m: float,
    cell_m: float | None = None,
    simulations: int = 99,
    quantile: float = 0.95,
    seed: int | None = None,
    kernel: str = "quartic",
    jitter: bool = False,
) -> PrimeResult:
    """Prime locations of a point layer: cells denser than chance on populated land.

    Parameters
    ----------
    points : PointLayer or geopandas.GeoDataFrame
        The observed points (any CRS).
    populated : PointLayer or geopandas.GeoDataFrame
        Locations that define populated land, e.g. every postcode
        (``geodistrict.read_onspd("onspd:E")``): each counterfactual draws its points from
        these coordinates, with replacement. Only those in the study area are used.
    within : Boundaries or geopandas.GeoDataFrame, optional
        Study area: observed points and populated locations outside its polygons are left
        out, the grid covers its bounds and its metric CRS is used. Without it the study area
        is the bounding box of the populated locations.
    bandwidth_m, cell_m : float
        Kernel bandwidth and cell side in metres, as for :func:`~.kde.kde` (the cell defaults
        to :func:`~.kde.default_cell`; a coarser one warns).
    simulations : int
        Counterfactual patterns (at least ``1 / (1 - quantile) - 1``: 19 for 0.95).
    quantile : float
        A prime cell's standardised excess must exceed this quantile of the simulated maps'
        largest excess: ``1 - quantile`` is the family-wise error rate over the map.
    seed : int, optional
        Seed of the draws; without one a seed is drawn and recorded in the result.
    kernel : {"quartic", "gaussian"}
        Kernel shape.
    jitter : bool
        Move each drawn location by a uniform offset of up to half a cell along each axis
        (kept inside the study area's bounds), so that repeated draws of one location do not
        stack; it matters only when the bandwidth is a few cells.

    Returns
    -------
    PrimeResult

    Raises
    ------
    ParameterError
        For a bad bandwidth, cell, kernel, quantile, seed, or too few simulations for the
        quantile (all listed at once).
    EmptyLayerError
        When no observed point or no populated location lies in the study area.

    Examples
    --------
    Populated land is a 5 km square of 2 000 random locations; 60 points spread over it like
    the population plus 40 in a tight group at (1 000, 4 000). The group is the one outline
    (the test controls the error over the whole map, so chance adds no patch elsewhere):

    >>> import shapely
    >>> from geodistrict.clusters.kde import xy_layer
    >>> rng = np.random.default_rng(0)
    >>> land = xy_layer(*rng.uniform(0, 5000, (2, 2000)), crs=27700, name="land")
    >>> x = np.concatenate([land.x[:60], rng.normal(1000, 80, 40)])
    >>> y = np.concatenate([land.y[:60], rng.normal(4000, 80, 40)])
    >>> r = prime_locations(xy_layer(x, y, crs=27700), populated=land, bandwidth_m=1000,
    ...                     cell_m=100, simulations=39, seed=0)
    >>> r.n_points, r.n_populated, r.outlines.contains(shapely.Point(1000, 4000)).tolist()
    (100, 2000, [True])
    >>> r.outlines[["cells", "points"]].values.tolist()
    [[168, 42]]
    >>> bool((r.prime == (r.p_value <= 0.05)).all())  # prime and p_value agree by construction
    True
    >>> r.threshold.shape == r.observed.array.shape == r.prime.shape
    True
    """
    check_parameters(
        bandwidth_m=bandwidth_m, cell_m=1.0 if cell_m is None else cell_m, kernel=kernel
    )
    check_prime_options(simulations, quantile, seed)
    from ..crs import transform_xy
    from .kde import default_cell, layer_metric_crs, within_polygons

    cell_m = default_cell(bandwidth_m, kernel) if cell_m is None else cell_m
    bandwidth_m, cell_m, quantile = float(bandwidth_m), float(cell_m), float(quantile)
    simulations = int(simulations)
    seed = int(np.random.default_rng().integers(12345, 12345000)) if seed is None else int(seed)
    pts = as_point_layer(points, "points").require_points()
    land = as_point_layer(populated, "populated").require_points()

    polys = None
    if within is not None:
        import shapely

        polys, mcrs = within_polygons(within, None)
        b = shapely.bounds(polys)
        extent = (
            float(np.nanmin(b[:, 0])),
            float(np.nanmin(b[:, 1])),
            float(np.nanmax(b[:, 2])),
            float(np.nanmax(b[:, 3])),
        )
        study_km2 = float(shapely.area(shapely.union_all(polys))) / 1e6
        study = f"within polygons ({getattr(getattr(within, 'info', None), 'source', 'within')})"
    else:
        mcrs = layer_metric_crs(land, None)
        lx, ly = transform_xy(land.x, land.y, land.crs, mcrs)
        extent = (float(lx.min()), float(ly.min()), float(lx.max()), float(ly.max()))
        study_km2 = (extent[2] - extent[0]) * (extent[3] - extent[1]) / 1e6
        study = f"bounding box of {land.info.source}"

    px, py = transform_xy(land.x, land.y, land.crs, mcrs)
    keep = _in_study_area(px, py, extent, polys)
    if not keep.any():
        raise EmptyLayerError(
            f"{land.info.source}: none of its {len(px)} populated locations lies in the study "
            f"area ({study}); give populated land that covers it (e.g. onspd:E for England)."
        )
    px, py = px[keep], py[keep]

    observed = kde(
        pts,
        bandwidth_m=bandwidth_m,
        cell_m=cell_m,
        kernel=kernel,
        within=within,
        extent=extent,
        metric_crs=mcrs,
    )
    n = observed.n_points
    t = observed.transform
    nr, nc = observed.array.shape
    ccol, crow = np.meshgrid(np.arange(nc), np.arange(nr))
    tested = _in_study_area(
        t.c + (ccol.ravel() + 0.5) * t.a, t.f + (crow.ravel() + 0.5) * t.e, extent, polys
    ).reshape(nr, nc)
    mu, var = _null_moments(px, py, n, observed)
    tiny = 1e-9 * float(observed.array.max(initial=0.0))
    score = np.where(tested, _score(observed.array, mu, var, tiny), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        z_obs = np.where(tested & (var > 0), (observed.array - mu) / np.sqrt(var), np.nan)
    maxima = _simulated_maxima(
        px, py, n, observed, mu, var, tested, simulations=simulations, seed=seed,
        jitter=jitter, extent=extent,
    )  # fmt: skip
    # reject iff 1 + #{M_s >= score} <= (1 - q)(S + 1) iff score > the (c + 1)-th largest M
    c = int(math.floor((1.0 - quantile) * (simulations + 1) + 1e-9)) - 1
    srt = np.sort(maxima)
    score_crit = float(srt[::-1][c])
    reach = simulations - np.searchsorted(srt, np.where(tested, score, np.inf), side="left")
    p_value = np.where(tested, (1.0 + reach) / (simulations + 1.0), np.nan)
    prime = tested & (p_value <= 1.0 - quantile + 1e-12)
    threshold = np.where(tested, _threshold(mu, var, score_crit), np.nan)

    outlines, cells, owner = _surface_outlines(observed, prime)
    # observed points per outline: each point in the cell it falls in (half-open cells)
    ox, oy = transform_xy(pts.x, pts.y, pts.crs, mcrs)
    ok = _in_study_area(ox, oy, extent, polys)
    col = np.floor((ox[ok] - t.c) / t.a).astype(np.intp)
    row = np.floor((oy[ok] - t.f) / t.e).astype(np.intp)
    label = np.full(prime.shape, -1, dtype=np.int64)
    label[cells[:, 0], cells[:, 1]] = owner
    of_point = label[row, col]
    counts = np.bincount(of_point[of_point >= 0], minlength=len(outlines))
    return PrimeResult(
        outlines=_finish(outlines, counts.astype(np.int64)),
        threshold=threshold,
        observed=observed,
        prime=prime,
        p_value=p_value,
        bandwidth_m=bandwidth_m,
        cell_m=cell_m,
        kernel=kernel,
        simulations=simulations,
        quantile=quantile,
        seed=seed,
        jitter=bool(jitter),
        n_points=n,
        n_populated=int(len(px)),
        study_area=study,
        study_km2=study_km2,
        populated_source=land.info.as_dict(),
        z=z_obs,
        expected=np.where(tested, mu, np.nan),
        null_sd=np.where(tested, np.sqrt(var), np.nan),
        score=score,
        score_crit=score_crit,
    )


def _hot_cells(grid: Any, column: str) -> tuple[np.ndarray, str]:
    """The selected cells of a hotspots-like grid and the rule, in words."""
    cols = list(grid.columns)
    if column not in cols:
        raise SchemaError(
            f"grid: no column {column!r} to select significant cells by; columns are "
            f"{', '.join(map(str, cols))} (a geodistrict.hotspots grid has 'significant')."
        )
    sel = grid[column].to_numpy()
    if sel.dtype != bool:
        import pandas as pd

        if pd.isna(sel).any() or not np.isin(sel, [0, 1, True, False]).all():
            raise ParameterError(
                f"grid[{column!r}] must be True/False per cell, not values or missing ones; "
                "pass column= a bool column (e.g. 'significant')."
            )
        sel = sel.astype(bool)
    rule = [column]
    if "hot_cold" in cols:  # Gi*: significant and z > 0
        sel = sel & (grid["hot_cold"].to_numpy() == "hot")
        rule.append("hot_cold == 'hot'")
    elif "quadrant" in cols:  # local Moran: high values among high values
        sel = sel & (grid["quadrant"].to_numpy() == "HH")
        rule.append("quadrant == 'HH'")
    elif "z" in cols:
        sel = sel & (grid["z"].to_numpy(dtype="float64") > 0)
        rule.append("z > 0")
    return sel, " & ".join(rule)


def significance_outline(
    grid_or_kde: gpd.GeoDataFrame | KDEResult,
    *,
    threshold: float | np.ndarray | None = None,
    column: str = "significant",
) -> gpd.GeoDataFrame:
    """Outlines of the contiguous significant hot cells of a grid, or of a dense surface.

    Two inputs:

    * a grid of cells with a significance flag, such as :func:`~.hotspots.hotspots` returns:
      the cells where ``column`` is True *and* that are hot — ``hot_cold == "hot"`` when the
      grid has that column (Gi*), ``quadrant == "HH"`` (local Moran), else ``z > 0``;
      ``points`` is the sum of the cells' ``count`` (0 without that column);
    * a :class:`~.kde.KDEResult` and a ``threshold``: the cells whose density is at or above
      it (as :meth:`~.kde.KDEResult.contours`) and above zero; the threshold is a density in
      the surface's units or an array on its grid (e.g. :attr:`PrimeResult.threshold`);
      ``points`` is the surface's integral over the outline (the estimated points).

    Selected cells sharing an edge are dissolved with :func:`~.outlines.outline_cells`.

    Parameters
    ----------
    grid_or_kde : geopandas.GeoDataFrame or KDEResult
        The cells, or the surface.
    threshold : float or numpy.ndarray, optional
        Required with a surface, refused with a grid.
    column : str
        The grid's bool column of significance (after any multiple-testing correction).

    Returns
    -------
    geopandas.GeoDataFrame
        ``outline`` (0 = most points, then largest), ``cells``, ``area_km2``, ``points``,
        ``points_per_km2`` and the polygon in the input's CRS, in that order;
        ``attrs["selection"]`` states the rule used.

    Examples
    --------
    A 3 x 3 grid of 100 m cells whose hot cells form an L:

    >>> import geopandas as gpd, shapely
    >>> cells = [shapely.box(c * 100, r * 100, c * 100 + 100, r * 100 + 100)
    ...          for r in range(3) for c in range(3)]
    >>> hot = [True, False, False, True, False, False, True, True, False]
    >>> g = gpd.GeoDataFrame({"count": [5] * 9, "significant": hot,
    ...                       "hot_cold": ["hot" if h else "ns" for h in hot]},
    ...                      geometry=cells, crs=27700)
    >>> o = significance_outline(g)
    >>> o[["cells", "area_km2", "points"]].values.tolist(), o.attrs["selection"]
    ([[4.0, 0.04, 20.0]], "significant & hot_cold == 'hot'")

    A surface above a level: one point at a cell centre, quartic kernel of radius 800 m on
    100 m cells; every cell whose centre is nearer than 800 m (193 cells: i² + j² < 64) has a
    density above zero, and the outline holds the whole surface, one point:

    >>> from geodistrict.clusters.kde import kde, xy_layer
    >>> r = kde(xy_layer([1050.0], [1050.0], crs=27700), bandwidth_m=800, cell_m=100)
    >>> o = significance_outline(r, threshold=1e-9)
    >>> o[["cells", "area_km2"]].values.tolist(), round(float(o["points"][0]), 9)
    ([[193.0, 1.93]], 1.0)
    """
    if isinstance(grid_or_kde, KDEResult):
        result = grid_or_kde
        if threshold is None:
            raise ParameterError(
                "significance_outline: a density surface needs threshold=, a density in "
                f"{result.units} (e.g. result.top_share_level(0.01)) or an array on its grid "
                "(e.g. PrimeResult.threshold)."
            )
        level = np.asarray(threshold, dtype="float64")
        if level.ndim and level.shape != result.array.shape:
            raise ParameterError(
                f"threshold has shape {level.shape} but the surface {result.array.shape}; "
                "give one density or an array on the surface's grid."
            )
        mask = (result.array >= level) & (result.array > 0)
        outlines, cells, owner = _surface_outlines(result, mask)
        dens = result.array[cells[:, 0], cells[:, 1]]
        sums = np.bincount(owner[owner >= 0], weights=dens[owner >= 0], minlength=len(outlines))
        out = _finish(outlines, sums * result.cell_km2)
        out.attrs["selection"] = (
            f"density >= {float(level):g} {result.units}"
            if not level.ndim
            else f"density >= the given per-cell threshold ({result.units})"
        )
        return out
    if not (hasattr(grid_or_kde, "geometry") and hasattr(grid_or_kde, "columns")):
        raise ArgumentTypeError(
            "significance_outline takes a grid GeoDataFrame (geodistrict.hotspots) or a "
            f"KDEResult (geodistrict.kde), not {type(grid_or_kde).__name__}."
        )
    if threshold is not None:
        raise ParameterError(
            "significance_outline: threshold= is for a density surface; a grid's cells are "
            f"selected by its {column!r} column (and hot_cold/quadrant/z); drop threshold."
        )
    from .outlines import outline_cells

    grid = grid_or_kde
    sel, rule = _hot_cells(grid, column)
    outlines = outline_cells(grid, sel)
    geoms = np.asarray(grid.geometry.array, dtype=object)[sel]
    owner = _owners(geoms, outlines)
    if "count" in grid.columns:
        count = grid["count"].to_numpy(dtype="float64")[sel]
        sums = np.bincount(owner[owner >= 0], weights=count[owner >= 0], minlength=len(outlines))
    else:  # numpy's stubs type a weighted bincount as integers: it is float64, as this
        sums = np.zeros(len(outlines))  # type: ignore[assignment]
    out = _finish(outlines, sums)
    out.attrs["selection"] = rule
    return out
