"""The accounting point-in-polygon join.

- :mod:`.grid`: the rasterised look-up table of a polygon set (:class:`PolygonGrid`);
- :mod:`.points`: :func:`join_points` / :func:`assign_points`, every point matched, multi,
  unmatched or rejected;
- :mod:`.tally`: what a join adds to a profile (status counts, multi pairs, country checks),
  summed exactly over batches of points.
"""

from .grid import PolygonGrid, cached_polygon_grid, grid_side, polygon_grid
from .points import Assignment, JoinResult, assign_points, join_points
from .tally import MATCHED, MULTI, SNAPPED, UNMATCHED, JoinTally

__all__ = [
    "UNMATCHED",
    "MATCHED",
    "MULTI",
    "SNAPPED",
    "Assignment",
    "JoinResult",
    "JoinTally",
    "PolygonGrid",
    "assign_points",
    "cached_polygon_grid",
    "grid_side",
    "join_points",
    "polygon_grid",
]
