"""geodistrict: map and measure innovation districts.

Layers of firms, universities, floorspace and jobs are joined to LEP, local-authority and
district boundaries to measure density and clustering, always in metres, with every input
record accounted for.

The names here are the ones most sessions need; the rest of the library is reached through
its concept packages, as namespaces (``geodistrict.clusters.local_moran``,
``geodistrict.zones.match_zones``, ``geodistrict.districts.card``): see ARCHITECTURE.md.

The top-level import stays light: folium, panel, esda, libpysal, scikit-learn, rasterio and
dask are imported only by the functions (and the namespaces ``maps``, ``figures``,
``reports``, ``scale``) that need them.
"""

from . import _sigint  # noqa: F401, I001 - first: Ctrl-C while the CLI imports is one line, exit 130
from typing import TYPE_CHECKING as _TYPE_CHECKING
from . import errors, io, join, metrics, zones
from .errors import (
    CRSError,
    GeodistrictError,
    GeodistrictWarning,
    InputFileError,
    ParameterError,
    RepairWarning,
    SchemaError,
)
from ._version import __version__
from .boundaries import Boundaries, prepare_boundaries
from .crs import choose_metric_crs
from .io import (
    datasets,
    geocode_postcodes,
    read_boundaries,
    read_companies_house,
    read_nomis,
    read_onspd,
    read_points,
    read_raster,
    read_vector,
    write_table,
)
from .io.inspect import describe
from .join import assign_points, join_points
from .layers import PointLayer
from .metrics import (
    location_quotients,
    specialisation_indices,
    specialisation_table,
    specialisms,
)
from .metrics.profile import Profile, profile
from .zones import interpolate, zonal_stats, zone_values

if _TYPE_CHECKING:
    from . import clusters, districts
    from .clusters import dbscan_outlines, hotspots, kde, prime_locations, ripley

# maps, figures, reports and scale need folium, matplotlib or dask: imported on first use;
# clusters and districts too, so that a command that does not use them (``geodistrict
# profile``) does not pay for importing them
_LAZY = ("clusters", "districts", "figures", "maps", "reports", "scale")
#: Names of the top-level namespace defined in a lazy package.
_LAZY_NAMES = {
    "dbscan_outlines": "clusters",
    "hotspots": "clusters",
    "kde": "clusters",
    "prime_locations": "clusters",
    "ripley": "clusters",
}


def __getattr__(name: str) -> object:
    import importlib

    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_NAMES))


__all__ = [
    "__version__",
    # the concept packages, as namespaces
    "clusters",
    "datasets",
    "districts",
    "errors",
    "figures",
    "io",
    "join",
    "maps",
    "metrics",
    "reports",
    "scale",
    "zones",
    # the data model
    "Boundaries",
    "PointLayer",
    "prepare_boundaries",
    "choose_metric_crs",
    # reading and writing
    "read_boundaries",
    "read_points",
    "read_onspd",
    "geocode_postcodes",
    "read_vector",
    "read_nomis",
    "read_companies_house",
    "read_raster",
    "describe",
    "write_table",
    # joining, profiling, zones
    "join_points",
    "assign_points",
    "profile",
    "Profile",
    "interpolate",
    "zone_values",
    "zonal_stats",
    # specialisation
    "location_quotients",
    "specialisms",
    "specialisation_indices",
    "specialisation_table",
    # clusters
    "hotspots",
    "kde",
    "ripley",
    "dbscan_outlines",
    "prime_locations",
    # errors and warnings
    "GeodistrictError",
    "InputFileError",
    "CRSError",
    "SchemaError",
    "ParameterError",
    "GeodistrictWarning",
    "RepairWarning",
]
