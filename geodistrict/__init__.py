"""geodistrict: map and measure innovation districts.

Layers of firms, universities, floorspace and jobs are joined to LEP, local-authority and
district boundaries to measure density and clustering, always in metres, with every input
record accounted for.

The top-level import stays light: folium, panel, esda, libpysal, scikit-learn, rasterio and
dask are imported only by the functions that need them.
"""

from . import _sigint  # noqa: F401, I001 - first: Ctrl-C while the CLI imports is one line, exit 130
from .io import datasets
from ._errors import (
    CRSError,
    EmptyLayerError,
    GeodistrictError,
    GeodistrictWarning,
    InputFileError,
    InvalidGeometryError,
    MissingDependencyError,
    RepairWarning,
    SchemaError,
)
from ._version import __version__
from .boundaries import Boundaries, detect_id_name, find_overlaps, prepare_boundaries
from .io.read import read_boundaries
from .clusters import (
    KDEResult,
    compare_outline,
    dbscan_outlines,
    getis_ord,
    hdbscan_outlines,
    hex_grid,
    hotspots,
    kde,
    local_moran,
    outline_cells,
    prime_locations,
    ripley,
    significance_outline,
    square_grid,
)
from .crs import choose_metric_crs
from .io.inspect import describe
from .zones.interpolate import InterpolationResult, interpolate
from .io import (
    geocode_postcodes,
    load_postcodes,
    read_onspd,
    read_point_table,
    read_points,
    read_universities,
    read_vector,
    write_table,
)
from .io.clue import clue_jobs_by_area, clue_jobs_density, read_clue_areas, read_clue_jobs
from .io.companies_house import read_companies_house
from .io.nomis import NomisTable, read_nomis
from .io.voa import read_voa_floorspace
from .join.points import Assignment, JoinResult, assign_points, join_points
from .layers import LayerInfo, PointLayer
from .metrics import location_quotients, specialisation_indices, specialisms
from .metrics.profile import Profile, add_raster_values, add_zone_values, profile
from .io.raster import RasterGrid, read_raster, write_geotiff
from .zones.zonal import zonal_stats
from .zones.match import aggregate_by_lookup, match_zones
from .zones.tables import ZoneValues, zone_values

read_layer = read_points  # the name used in the design notes

__all__ = [
    "__version__",
    "datasets",
    "Assignment",
    "Boundaries",
    "CRSError",
    "EmptyLayerError",
    "GeodistrictError",
    "GeodistrictWarning",
    "InputFileError",
    "InvalidGeometryError",
    "InterpolationResult",
    "KDEResult",
    "compare_outline",
    "dbscan_outlines",
    "getis_ord",
    "hdbscan_outlines",
    "hex_grid",
    "hotspots",
    "kde",
    "local_moran",
    "location_quotients",
    "outline_cells",
    "prime_locations",
    "significance_outline",
    "ripley",
    "specialisation_indices",
    "specialisms",
    "square_grid",
    "JoinResult",
    "NomisTable",
    "RasterGrid",
    "ZoneValues",
    "add_raster_values",
    "add_zone_values",
    "aggregate_by_lookup",
    "clue_jobs_by_area",
    "clue_jobs_density",
    "interpolate",
    "match_zones",
    "read_clue_areas",
    "read_clue_jobs",
    "read_nomis",
    "read_raster",
    "read_voa_floorspace",
    "write_geotiff",
    "zonal_stats",
    "zone_values",
    "LayerInfo",
    "MissingDependencyError",
    "PointLayer",
    "Profile",
    "RepairWarning",
    "SchemaError",
    "assign_points",
    "choose_metric_crs",
    "describe",
    "detect_id_name",
    "find_overlaps",
    "geocode_postcodes",
    "join_points",
    "load_postcodes",
    "prepare_boundaries",
    "profile",
    "read_boundaries",
    "read_companies_house",
    "read_layer",
    "read_onspd",
    "read_point_table",
    "read_points",
    "read_universities",
    "read_vector",
    "write_table",
]
