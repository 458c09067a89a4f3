"""geodistrict: map and measure innovation districts.

Layers of firms, universities, floorspace and jobs are joined to LEP, local-authority and
district boundaries to measure density and clustering, always in metres, with every input
record accounted for.

The top-level import stays light: folium, panel, esda, libpysal, scikit-learn, rasterio and
dask are imported only by the functions that need them.
"""

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
from .boundaries import (
    Boundaries,
    detect_id_name,
    find_overlaps,
    prepare_boundaries,
    read_boundaries,
)
from .crs import choose_metric_crs
from .inspect import describe
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
from .io.companies_house import read_companies_house
from .join import Assignment, JoinResult, assign_points, join_points
from .layers import LayerInfo, PointLayer
from .profile import Profile, profile

read_layer = read_points  # the name used in the design notes

__all__ = [
    "__version__",
    "Assignment",
    "Boundaries",
    "CRSError",
    "EmptyLayerError",
    "GeodistrictError",
    "GeodistrictWarning",
    "InputFileError",
    "InvalidGeometryError",
    "JoinResult",
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
