"""geodistrict: map and measure innovation districts.

Layers of firms, universities, floorspace and jobs are joined to LEP, local-authority and
district boundaries to measure density and clustering, always in metres, with every input
record accounted for.

The names here are the ones most sessions need; the rest of the library is reached through
its concept packages, as namespaces (``geodistrict.clusters.local_moran``,
``geodistrict.zones.match_zones``, ``geodistrict.districts.card``): see ARCHITECTURE.md.

The top-level import is light: every name here is imported on first use
(:mod:`geodistrict._lazy`), so ``import geodistrict`` loads neither pandas nor geopandas;
folium, panel, esda, libpysal, scikit-learn, rasterio and dask are imported only by the
functions (and the namespaces ``maps``, ``figures``, ``reports``, ``scale``) that need them.
"""

from . import _sigint  # noqa: F401, I001 - first: Ctrl-C while the CLI imports is one line, exit 130
from typing import TYPE_CHECKING as _TYPE_CHECKING

from ._lazy import lazy_names as _lazy_names
from ._version import __version__

if _TYPE_CHECKING:
    from . import (
        clusters,
        districts,
        errors,
        figures,
        io,
        join,
        maps,
        metrics,
        reports,
        scale,
        zones,
    )
    from .boundaries import Boundaries, prepare_boundaries
    from .clusters import dbscan_outlines, hotspots, kde, prime_locations, ripley
    from .crs import choose_metric_crs
    from .errors import (
        CRSError,
        GeodistrictError,
        GeodistrictWarning,
        InputFileError,
        ParameterError,
        RepairWarning,
        SchemaError,
    )
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

# every name is imported on first use, so that ``import geodistrict`` (and ``geodistrict
# --version`` or ``--help``) loads neither pandas nor geopandas; folium, panel, esda, libpysal,
# scikit-learn, rasterio and dask wait for the functions that need them
__getattr__, __dir__ = _lazy_names(
    __name__,
    {
        **dict.fromkeys(
            [
                "CRSError",
                "GeodistrictError",
                "GeodistrictWarning",
                "InputFileError",
                "ParameterError",
                "RepairWarning",
                "SchemaError",
            ],
            ".errors",
        ),
        "Boundaries": ".boundaries",
        "prepare_boundaries": ".boundaries",
        "choose_metric_crs": ".crs",
        **dict.fromkeys(
            [
                "geocode_postcodes",
                "read_boundaries",
                "read_companies_house",
                "read_nomis",
                "read_onspd",
                "read_points",
                "read_raster",
                "read_vector",
                "write_table",
            ],
            ".io",
        ),
        "describe": ".io.inspect",
        "assign_points": ".join",
        "join_points": ".join",
        "PointLayer": ".layers",
        **dict.fromkeys(
            [
                "location_quotients",
                "specialisation_indices",
                "specialisation_table",
                "specialisms",
            ],
            ".metrics",
        ),
        "Profile": ".metrics.profile",
        "profile": ".metrics.profile",
        "interpolate": ".zones",
        "zonal_stats": ".zones",
        "zone_values": ".zones",
        **dict.fromkeys(
            ["dbscan_outlines", "hotspots", "kde", "prime_locations", "ripley"], ".clusters"
        ),
    },
    modules=[
        "clusters",
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
        "datasets=.io.datasets",
    ],
    namespace=globals(),
)

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
