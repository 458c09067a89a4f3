"""Spatial weights of regular grids, built arithmetically, and of any polygons via libpysal.

Square cells take their neighbours from (row, col) offsets and H3 hexagons from their ring of
six, so a 100 000-cell grid's queen weights cost a few milliseconds and equal libpysal's
contiguity weights pair for pair; other layers go through ``libpysal.graph.Graph``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import EmptyLayerError, ParameterError
from .grids import grid_spec

__all__ = ["GridAdjacency", "grid_adjacency", "grid_weights", "weights_for"]


def check_choice(value: str, allowed: Any, option: str) -> str:
    """``value`` if it is one of ``allowed``, else a :class:`ParameterError` listing them."""
    if value not in allowed:
        raise ParameterError(f"{option}={value!r} is not one of {', '.join(map(repr, allowed))}.")
    return value


# (row, col) offsets of the neighbours of a square cell, in increasing key order
_OFFSETS = {
    "queen": [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)],
    "rook": [(-1, 0), (0, -1), (0, 1), (1, 0)],
}


# ---------------------------------------------------------------------------------------------
# weights
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridAdjacency:
    """Neighbour pairs of grid cells, in the form of a ``libpysal.graph.Graph``'s adjacency.

    What the local statistics (:func:`~geodistrict.clusters.getis_ord`,
    :func:`~geodistrict.clusters.local_moran`) read of a graph, without importing libpysal
    (about 2 s): :func:`~geodistrict.clusters.hotspots` uses it for the analytic tests, and
    :meth:`to_graph` makes the libpysal Graph (for permutations, or any other use).

    Attributes
    ----------
    unique_ids : pandas.Index
        The cells, in the grid's order.
    adjacency : pandas.Series
        Weights indexed by (``focal``, ``neighbor``), sorted; an isolate has a self-loop of
        weight 0, as in libpysal.
    transformation : str
        ``"R"`` (row-standardised) or ``"B"`` (binary).
    """

    unique_ids: pd.Index
    adjacency: pd.Series
    transformation: str

    @property
    def cardinalities(self) -> pd.Series:
        """Neighbours per cell (0 for an isolate), as ``Graph.cardinalities``."""
        index = self.adjacency.index
        assert isinstance(index, pd.MultiIndex)
        real = self.adjacency.to_numpy() != 0
        counts = np.bincount(np.asarray(index.codes[0])[real], minlength=len(self.unique_ids))
        return pd.Series(counts, index=self.unique_ids, name="cardinalities")

    def to_graph(self) -> Any:
        """The same neighbours and weights as a ``libpysal.graph.Graph``."""
        from libpysal.graph import Graph

        return Graph(self.adjacency, transformation=self.transformation, is_sorted=True)


def _adjacency(
    ids: pd.Index, focal: np.ndarray, neighbor: np.ndarray, row_standardise: bool
) -> GridAdjacency:
    """The adjacency of canonically sorted neighbour pairs (positions into ``ids``).

    Units without neighbours get the self-loop of weight 0 that libpysal uses for isolates.
    """
    n = len(ids)
    card = np.bincount(focal, minlength=n)
    iso = np.flatnonzero(card == 0)
    if len(iso):
        key = np.concatenate([focal * n + neighbor, iso * n + iso])
        order = np.argsort(key, kind="stable")
        focal = np.concatenate([focal, iso])[order]
        neighbor = np.concatenate([neighbor, iso])[order]
    w = np.ones(len(focal))
    if len(iso):
        w[focal == neighbor] = 0.0
    if row_standardise:
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(w > 0, 1.0 / card[focal], 0.0)
    index = pd.MultiIndex(
        levels=[ids, ids],  # type: ignore[list-item]  # pandas-stubs: an Index is a sequence
        codes=[focal, neighbor],  # type: ignore[list-item]
        names=["focal", "neighbor"],
        verify_integrity=False,
    )
    adjacency = pd.Series(w, index=index, name="weight")
    return GridAdjacency(ids, adjacency, "R" if row_standardise else "B")


def _square_pairs(row: np.ndarray, col: np.ndarray, offsets: list[tuple[int, int]]):
    """Neighbour pairs of square cells by arithmetic on (row, col), sorted by focal, neighbour."""
    n = len(row)
    r = row - row.min() + 1  # a margin of one empty cell all round
    c = col - col.min() + 1
    width = int(c.max()) + 2
    key = r * width + c
    off = np.array([dr * width + dc for dr, dc in offsets], dtype=np.int64)
    size = (int(r.max()) + 2) * width
    if size <= max(8 * n, 1_000_000):
        lut = np.full(size, -1, dtype=np.int64)
        lut[key] = np.arange(n)
        if (np.bincount(key, minlength=size) > 1).any():
            raise ParameterError("grid: two cells share a (row, col); drop the duplicates first.")
        nb = lut[key[:, None] + off[None, :]]
    else:  # a sparse scatter of cells: look neighbours up in the sorted keys
        order = np.argsort(key, kind="stable")
        skey = key[order]
        if (np.diff(skey) == 0).any():
            raise ParameterError("grid: two cells share a (row, col); drop the duplicates first.")
        want = key[:, None] + off[None, :]
        at = np.clip(np.searchsorted(skey, want), 0, n - 1)
        nb = np.where(skey[at] == want, order[at], -1)
    nb.sort(axis=1)  # neighbours in the order of the grid's rows (canonical for libpysal)
    keep = nb >= 0
    focal = np.repeat(np.arange(n), keep.sum(axis=1))
    return focal, nb[keep]


def _hex_pairs(cells: np.ndarray):
    """Neighbour pairs of H3 cells (cells sharing an edge), sorted by focal, neighbour."""
    import h3

    pos = {c: i for i, c in enumerate(cells)}
    focal: list[int] = []
    neighbor: list[int] = []
    for i, c in enumerate(cells):
        js = sorted(j for d in h3.grid_disk(c, 1) if d != c and (j := pos.get(d)) is not None)
        focal.extend([i] * len(js))
        neighbor.extend(js)
    return np.asarray(focal, dtype=np.int64), np.asarray(neighbor, dtype=np.int64)


def grid_weights(
    grid: gpd.GeoDataFrame, *, contiguity: str = "queen", row_standardise: bool = True
) -> Any:
    """Contiguity weights of a grid, built by arithmetic on the cells' positions.

    Square cells are neighbours when their (row, col) differ by at most one (queen) or share an
    edge (rook) — the same graph as ``libpysal.graph.Graph.build_contiguity(grid, rook=...)``
    on whole cells, computed without geometry (100 000 cells in a few hundredths of a second).
    Hexagons are neighbours when H3 says they share an edge (queen and rook coincide).
    Cells are compared by position in the grid, so in a clipped grid two cut cells remain
    neighbours even if the parts kept no longer touch.

    Parameters
    ----------
    grid : geopandas.GeoDataFrame
        From :func:`~geodistrict.clusters.grids.square_grid` or
        :func:`~geodistrict.clusters.grids.hex_grid` (a subset of its rows is fine).
    contiguity : {"queen", "rook"}
        Neighbours across corners too (queen), or across edges only (rook).
    row_standardise : bool
        Weights ``1 / k`` (transformation ``"R"``) instead of 1 (``"B"``). The statistics here
        set the transformation they need, so this matters only for other uses of the graph.

    Returns
    -------
    libpysal.graph.Graph
        Indexed by the grid's index; cells without neighbours are isolates.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from geodistrict.clusters.grids import square_grid
    >>> g = square_grid(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 300, 300)], crs=27700),
    ...                 cell_m=100)
    >>> w = grid_weights(g, row_standardise=False)
    >>> w.cardinalities.tolist()  # corners 3, edges 5, centre 8
    [3, 5, 3, 5, 8, 5, 3, 5, 3]
    >>> grid_weights(g, contiguity="rook").cardinalities.tolist()
    [2, 3, 2, 3, 4, 3, 2, 3, 2]
    """
    return grid_adjacency(grid, contiguity=contiguity, row_standardise=row_standardise).to_graph()


def grid_adjacency(
    grid: gpd.GeoDataFrame, *, contiguity: str = "queen", row_standardise: bool = True
) -> GridAdjacency:
    """:func:`grid_weights` as a :class:`GridAdjacency`: the same pairs, without libpysal.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from geodistrict.clusters.grids import square_grid
    >>> g = square_grid(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 300, 200)], crs=27700),
    ...                 cell_m=100)
    >>> grid_adjacency(g, contiguity="rook").cardinalities.tolist()
    [2, 3, 2, 2, 3, 2]
    """
    check_choice(contiguity, _OFFSETS, "contiguity")
    spec = grid_spec(grid)
    if not grid.index.is_unique:
        raise ParameterError("grid: the index has repeated labels; reset it (grid.reset_index()).")
    if len(grid) == 0:
        raise EmptyLayerError("grid: no cells; build the grid over a non-empty area.")
    if spec["kind"] == "square":
        focal, neighbor = _square_pairs(
            grid["row"].to_numpy(np.int64), grid["col"].to_numpy(np.int64), _OFFSETS[contiguity]
        )
    else:
        focal, neighbor = _hex_pairs(grid["cell_id"].to_numpy(dtype=object))
    return _adjacency(grid.index, focal, neighbor, row_standardise)


def weights_for(
    gdf: gpd.GeoDataFrame,
    *,
    kind: str = "contiguity",
    contiguity: str = "queen",
    k: int = 8,
    threshold_m: float | None = None,
    row_standardise: bool = True,
):
    """Spatial weights for arbitrary polygons (or points), through libpysal's Graph.

    Distances are measured in metres: the layer is reprojected to its metric CRS (EPSG:27700 in
    Great Britain, the local UTM zone elsewhere) first.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons or points with a CRS.
    kind : {"contiguity", "knn", "distance_band"}
        Shared boundary (``contiguity``), the ``k`` nearest centroids (``knn``), or every
        centroid within ``threshold_m`` metres (``distance_band``).
    contiguity : {"queen", "rook"}
        For ``kind="contiguity"``: a shared vertex suffices (queen) or an edge is needed (rook).
    k : int
        Neighbours for ``kind="knn"``.
    threshold_m : float
        Distance in metres, required for ``kind="distance_band"``.
    row_standardise : bool
        Row-standardised weights (``"R"``) or binary (``"B"``).

    Returns
    -------
    libpysal.graph.Graph
        Indexed by ``gdf.index``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> squares = gpd.GeoDataFrame(
    ...     geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(5, 5, 6, 6)],
    ...     crs=27700,
    ... )
    >>> weights_for(squares, row_standardise=False).cardinalities.tolist()
    [1, 1, 0]
    >>> weights_for(squares, kind="distance_band", threshold_m=10).cardinalities.tolist()
    [2, 2, 2]
    """
    from libpysal.graph import Graph

    from ..crs import choose_metric_crs_for

    kinds = {"contiguity", "knn", "distance_band"}
    check_choice(kind, sorted(kinds), "kind")
    check_choice(contiguity, _OFFSETS, "contiguity")
    if gdf.crs is None:
        from ..errors import CRSError

        raise CRSError("weights_for: the layer has no CRS; set one (gdf.set_crs(...)) first.")
    if len(gdf) == 0:
        raise EmptyLayerError("weights_for: the layer has no features.")
    mcrs = choose_metric_crs_for(gdf.geometry.array, gdf.crs)
    geom = gdf.geometry if gdf.crs.equals(mcrs) else gdf.geometry.to_crs(mcrs)
    if kind == "contiguity":
        g = Graph.build_contiguity(geom, rook=contiguity == "rook")
    else:
        centres = geom.centroid
        if kind == "knn":
            if not (isinstance(k, int | np.integer) and 0 < k < len(gdf)):
                raise ParameterError(
                    f"k={k!r}: give a number of neighbours from 1 to {len(gdf) - 1}."
                )
            g = Graph.build_knn(centres, k=int(k))
        else:
            if threshold_m is None or not threshold_m > 0:
                raise ParameterError(
                    "kind='distance_band' needs threshold_m, a distance in metres, e.g. "
                    "threshold_m=500."
                )
            g = Graph.build_distance_band(centres, threshold=float(threshold_m), binary=True)
    return g.transform("R" if row_standardise else "B")
