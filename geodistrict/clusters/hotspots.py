"""Hot spots of a point layer in one call: grid, count, weights and a local statistic.

The steps after counting (:func:`cell_statistics`) are shared with the Dask path, which counts
the cells in partitions (:func:`geodistrict.scale.hotspots_dask`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from .._validate import as_boundaries, as_point_layer
from ..errors import EmptyLayerError, ParameterError
from .grids import count_points, hex_grid, hex_resolution, square_grid
from .local import check_choice, check_test_options, getis_ord, local_moran
from .weights import grid_adjacency

__all__ = [
    "GRIDS",
    "STATISTICS",
    "VALUES",
    "HotspotOptions",
    "cell_grid",
    "cell_statistics",
    "hotspots",
    "populated_land",
]


# ---------------------------------------------------------------------------------------------
# hot spots of a point layer
# ---------------------------------------------------------------------------------------------

#: ``statistic=`` of :func:`hotspots`.
STATISTICS = {"gi": getis_ord, "lisa": local_moran}
GRIDS = ("square", "hex")
VALUES = ("count", "locations")


#: Side (metres) of the squares that make the default study area's populated land.
LAND_BLOCK_M = 1000.0
#: Postcode coordinates (EPSG:27700) behind the default study area, read once per process.
_POSTCODES: dict[str, Any] = {}


def _postcode_xy() -> tuple[Any, Any, Any]:
    if "xy" not in _POSTCODES:
        from ..io.onspd import read_onspd

        pc = read_onspd("onspd")
        _POSTCODES["xy"] = (pc.x, pc.y, pc.crs)
    return _POSTCODES["xy"]


def populated_land(layer: Any, cell_m: float) -> Any:
    """The default study area: the populated land of the UK around the points, as Boundaries.

    The squares of :data:`LAND_BLOCK_M` (or of ``cell_m`` when larger), aligned to their
    multiples in the metric CRS, that hold at least one postcode of the ONS Postcode Directory
    (all UK, Northern Ireland included) within the points' extent: sea, lakes and empty moor
    are not tested, while a park or a railway yard in a town is (a 100 m cell without a
    postcode is still land). Outside the UK there is no such layer, and ``within`` is
    required.
    """
    import numpy as np
    import shapely

    from ..boundaries import prepare_boundaries
    from ..crs import BNG, IRISH_GRID, choose_metric_crs, transform_xy

    mcrs = choose_metric_crs(
        (layer.x.min(), layer.y.min(), layer.x.max(), layer.y.max()), layer.crs
    )
    if not (mcrs.equals(BNG) or mcrs.equals(IRISH_GRID)):
        raise ParameterError(
            f"{layer.info.source}: without within= the study area is the UK's populated land "
            "(cells holding a postcode), and these points lie outside the UK; pass within= "
            "the study area's polygons (a bounding box would put sea and empty land in the "
            "mean, the variance and the number of tests)."
        )
    x, y = transform_xy(layer.x, layer.y, layer.crs, mcrs)
    px, py, pcrs = _postcode_xy()
    qx, qy = (px, py) if pcrs.equals(mcrs) else transform_xy(px, py, pcrs, mcrs)
    cell = max(float(cell_m), LAND_BLOCK_M)
    c0, c1 = np.floor(x.min() / cell), np.floor(x.max() / cell)
    r0, r1 = np.floor(y.min() / cell), np.floor(y.max() / cell)
    cx, cy = np.floor(qx / cell), np.floor(qy / cell)
    near = (cx >= c0) & (cx <= c1) & (cy >= r0) & (cy <= r1)
    keys = np.unique(np.column_stack([cx[near], cy[near]]), axis=0)
    if len(keys) == 0:
        raise ParameterError(
            f"{layer.info.source}: no postcode lies within the points' extent, so there is no "
            "populated land to test; pass within= the study area's polygons."
        )
    boxes = shapely.box(keys[:, 0] * cell, keys[:, 1] * cell, (keys[:, 0] + 1) * cell,
                        (keys[:, 1] + 1) * cell)  # fmt: skip
    land = shapely.coverage_union_all(boxes)
    gdf = gpd.GeoDataFrame({"id": ["land"], "name": ["populated land"]}, geometry=[land], crs=mcrs)
    return prepare_boundaries(
        gdf,
        metric_crs=mcrs,
        source=f"populated land around {layer.info.source} ({len(keys)} squares of {cell:g} m "
        "holding a postcode)",
    )


def hotspots(
    points: Any,
    *,
    within: Any = None,
    cell_m: float,
    statistic: str = "gi",
    value: str = "count",
    grid: str = "square",
    resolution: int | None = None,
    contiguity: str = "queen",
    clip: bool = False,
    permutations: int = 0,
    seed: int | None = None,
    fdr: float = 0.05,
    correction: str = "fdr_bh",
    alternative: str = "two-sided",
    null: str = "conditional",
) -> gpd.GeoDataFrame:
    """Hot spots of a point layer: grid, count, weights and a local statistic in one call.

    Parameters
    ----------
    points : PointLayer or geopandas.GeoDataFrame
        The points (any CRS).
    within : Boundaries or geopandas.GeoDataFrame, optional
        The study area: the cells sharing area with the union of its polygons. By default,
        for points in the UK, its populated land: the 1 km squares (or cells, if larger)
        holding a postcode of the ONS Postcode Directory within the points' extent (never the
        bounding box, whose
        sea and empty land would enter the mean, the variance and the number of tests);
        elsewhere ``within`` is required.
    cell_m : float
        Square cell side in metres; for hexagons, the H3 resolution of about the same cell area
        unless ``resolution`` is given.
    statistic : {"gi", "lisa"}
        Getis–Ord Gi* (:func:`getis_ord`) or local Moran's I (:func:`local_moran`).
    value : {"count", "locations"}
        What is tested: the points per cell, or the distinct coordinates per cell — for
        postcodes, whose directory stacks hundreds of PO-box and large-user postcodes on one
        delivery office (``attrs["count"]["largest_stacks"]`` lists the largest stacks).
    grid : {"square", "hex"}
        Square cells aligned to the metric CRS, or H3 hexagons.
    resolution : int, optional
        H3 resolution for ``grid="hex"``.
    contiguity : {"queen", "rook"}
        Neighbours of a square cell (hexagons: edges).
    clip : bool
        Cut square cells at the study area's edge (counts then exclude points outside it).
    permutations, seed, fdr, correction, alternative
        As in :func:`getis_ord`.
    null : {"conditional", "total"}
        Gi* only: the randomisation of the analytic test (:func:`getis_ord`). Under the
        default conditional null a cell's own count is held fixed, as in esda's permutation
        test, so a lone busy cell among ordinary ones is not a hot spot; ``"total"`` is Getis
        and Ord's original z.

    Returns
    -------
    geopandas.GeoDataFrame
        One feature per cell: ``cell_id`` (``row``, ``col`` for squares), ``count``,
        ``count_per_km2``, ``locations``, ``z``, ``p`` (before correction), ``significant``
        (after it) and ``hot_cold`` (Gi*) or ``lisa_I`` and ``quadrant`` (LISA); ``attrs``
        holds ``grid``, ``count`` (accounting for every point) and ``hotspots`` (the
        parameters, tests and threshold).

    Examples
    --------
    >>> import geopandas as gpd, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.uniform(0, 2000, 300), rng.uniform(200, 800, 300)])
    >>> y = np.concatenate([rng.uniform(0, 2000, 300), rng.uniform(200, 800, 300)])
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x + 530000, y + 180000), crs=27700)
    >>> h = hotspots(pts, cell_m=200)
    >>> h.loc[h["z"].idxmax(), ["cell_id", "hot_cold"]].tolist()
    ['E530400N180400', 'hot']
    >>> h.attrs["hotspots"]["n_tests"] == len(h)
    True
    """
    options = HotspotOptions(
        cell_m=cell_m,
        statistic=statistic,
        value=value,
        grid=grid,
        resolution=resolution,
        contiguity=contiguity,
        clip=clip,
        permutations=permutations,
        seed=seed,
        fdr=fdr,
        correction=correction,
        alternative=alternative,
        null=null,
    ).checked()
    layer = as_point_layer(points, "points").require_points()
    if within is not None:
        b = as_boundaries(within, "within", paths=False)
    else:
        b = populated_land(layer, cell_m)
    cells, size = cell_grid(b, cell_m=cell_m, grid=grid, resolution=resolution, clip=clip)
    counted = count_points(cells, layer)
    return cell_statistics(
        counted, b, source=layer.info.source, n_points=len(layer), size=size, options=options
    )


@dataclass(frozen=True)
class HotspotOptions:
    """The options of :func:`hotspots` (as documented there), shared with the Dask path."""

    cell_m: float
    statistic: str = "gi"
    value: str = "count"
    grid: str = "square"
    resolution: int | None = None
    contiguity: str = "queen"
    clip: bool = False
    permutations: int = 0
    seed: int | None = None
    fdr: float = 0.05
    correction: str = "fdr_bh"
    alternative: str = "two-sided"
    null: str = "conditional"

    def checked(self) -> HotspotOptions:
        """These options, or a :class:`ParameterError` naming the first bad one and the fix."""
        check_choice(self.statistic, STATISTICS, "statistic")
        check_choice(self.value, VALUES, "value")
        check_choice(self.grid, GRIDS, "grid")
        check_test_options(self.fdr, self.correction, self.alternative, self.permutations)
        if not self.cell_m > 0:
            raise ParameterError(
                f"cell_m={self.cell_m!r}: give a positive cell size in metres, e.g. 250."
            )
        if self.grid == "hex" and self.clip:
            raise ParameterError(
                "clip=True cuts square cells only; use grid='square' or clip=False."
            )
        if self.grid == "square" and self.resolution is not None:
            raise ParameterError(
                "resolution is the H3 resolution of grid='hex'; leave it out for squares."
            )
        return self


def cell_grid(
    b: Any, *, cell_m: float, grid: str, resolution: int | None, clip: bool = False
) -> tuple[gpd.GeoDataFrame, str]:
    """The cells of :func:`hotspots` over a study area, and the words that describe them."""
    if grid == "square":
        return square_grid(b, cell_m=cell_m, clip=clip), f"{cell_m:g} m square grid"
    res = hex_resolution(cell_m) if resolution is None else int(resolution)
    return hex_grid(b, resolution=res), f"H3 resolution {res} hexagonal grid"


def cell_statistics(
    counted: gpd.GeoDataFrame,
    b: Any,
    *,
    source: str,
    n_points: int,
    size: str,
    options: HotspotOptions,
) -> gpd.GeoDataFrame:
    """Weights, local statistic and the result frame of counted cells.

    The steps of :func:`hotspots` after counting, shared with the Dask path (which counts in
    partitions); ``options`` as in :func:`hotspots`, ``source`` and ``n_points`` naming the
    points and ``size`` describing the grid (:func:`cell_grid`).
    """
    o = options
    statistic, value, grid, contiguity = o.statistic, o.value, o.grid, o.contiguity
    rep = counted.attrs["count"]
    if rep["in_cells"] == 0:
        raise EmptyLayerError(
            f"{source}: none of its {n_points} points falls in the grid over "
            f"{b.info.source}; check that they overlap (and the points' CRS)."
        )
    graph = grid_adjacency(counted, contiguity=contiguity)  # libpysal only for permutations
    extra = {"null": o.null} if statistic == "gi" else {}
    result = STATISTICS[statistic](
        counted[value],
        graph,
        permutations=o.permutations,
        seed=o.seed,
        fdr=o.fdr,
        correction=o.correction,
        alternative=o.alternative,
        **extra,
    )
    v = result.values
    keep = ["cell_id", "row", "col"] if grid == "square" else ["cell_id"]
    out = counted[[*keep, "count", "count_per_km2", "locations"]].copy()
    if statistic == "gi":
        out["z"] = v["gi_z"].to_numpy()
        out["p"] = v["gi_p"].to_numpy()
        out["significant"] = v["significant"].to_numpy()
        out["hot_cold"] = v["hot_cold"].to_numpy()
    else:
        out["lisa_I"] = v["lisa_I"].to_numpy()
        out["z"] = v["lisa_z"].to_numpy()
        out["p"] = v["lisa_p"].to_numpy()
        out["significant"] = v["significant"].to_numpy()
        out["quadrant"] = v["lisa_quadrant"].to_numpy()
    out = gpd.GeoDataFrame(out, geometry=counted.geometry, crs=counted.crs)
    kind = "hexagon edge" if grid == "hex" else contiguity
    params = result.report()
    params["weights"] = f"{kind} contiguity on a {size}; {result.weights}"
    out.attrs = {
        "grid": dict(counted.attrs["grid"]),
        "count": rep,
        "hotspots": {
            **params,
            "statistic": statistic,
            "local_statistic": result.statistic,
            "value": value,
            "cell_m": float(o.cell_m),
            "grid": grid,
            "contiguity": kind,
            "clip": bool(o.clip),
            "within": b.info.source,
        },
    }
    return out
