"""Cluster analytics: density surfaces, grids, local statistics, point patterns, outlines.

Each submodule imports its heavy dependencies (scipy, esda, libpysal, pointpats, scikit-learn,
h3, rasterio) inside the functions that need them, so ``import geodistrict`` stays light.
"""

from .grids import count_points, hex_grid, square_grid
from .hotspots import hotspots
from .kde import KDEResult, kde
from .local import LocalResult, getis_ord, local_moran
from .outlines import (
    ClusterResult,
    compare_outline,
    dbscan_outlines,
    hdbscan_outlines,
    outline_cells,
)
from .prime import PrimeResult, prime_locations, significance_outline
from .ripley import RipleyResult, ripley
from .sectors import colocation_quotient, cross_k_targets, sector_hotspots
from .weights import GridAdjacency, grid_adjacency, grid_weights, weights_for

__all__ = [
    "ClusterResult",
    "KDEResult",
    "LocalResult",
    "PrimeResult",
    "prime_locations",
    "significance_outline",
    "RipleyResult",
    "colocation_quotient",
    "compare_outline",
    "cross_k_targets",
    "count_points",
    "dbscan_outlines",
    "getis_ord",
    "GridAdjacency",
    "grid_adjacency",
    "grid_weights",
    "hdbscan_outlines",
    "hex_grid",
    "hotspots",
    "kde",
    "local_moran",
    "outline_cells",
    "ripley",
    "sector_hotspots",
    "square_grid",
    "weights_for",
]
