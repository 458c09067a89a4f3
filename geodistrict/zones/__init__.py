"""Zones: published tables keyed by area, matched to polygons and carried onto others.

- :mod:`.match`: labels and codes matched to polygons (aliases, 2023 successors, lookups);
- :mod:`.tables`: a publisher's zone table → one value per zone polygon;
- :mod:`.interpolate`: areal (and dasymetric) interpolation onto any target polygons;
- :mod:`.zonal`: a raster summarised inside each polygon (zonal statistics).
"""

from .interpolate import Atoms, InterpolationResult, build_atoms, interpolate
from .match import (
    LAD_SUCCESSORS_2023,
    LEP_ALIASES,
    ZoneMatch,
    aggregate_by_lookup,
    match_zones,
    normalise_label,
)
from .tables import ZoneValues, zone_values
from .zonal import zonal_stats

__all__ = [
    "LAD_SUCCESSORS_2023",
    "LEP_ALIASES",
    "Atoms",
    "InterpolationResult",
    "ZoneMatch",
    "ZoneValues",
    "aggregate_by_lookup",
    "build_atoms",
    "interpolate",
    "match_zones",
    "normalise_label",
    "zonal_stats",
    "zone_values",
]
