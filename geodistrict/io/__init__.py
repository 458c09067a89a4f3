"""Readers and writers: vector files, point tables and the publishers' own formats.

Inside the package imports run one way, with no cycle: :mod:`.store` (data folder, cache,
checksums) < :mod:`.catalogue` (boundary sets, downloads) < :mod:`.datasets` (the registry,
:func:`~geodistrict.io.datasets.resolve`) < the format readers (:mod:`.tables`, :mod:`.vector`,
:mod:`.onspd`, :mod:`.companies_house`, :mod:`.nomis` ...) < :mod:`.read` (one entry point per
role) < :mod:`.clue`, :mod:`.firms` and :mod:`.inspect`.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:
    from . import datasets
    from .clue import clue_jobs_by_area, clue_jobs_density, read_clue_areas, read_clue_jobs
    from .companies_house import read_companies_house
    from .firms import firm_accounting, read_firms
    from .nomis import NomisTable, read_nomis
    from .onspd import geocode_postcodes, load_postcodes, normalise_postcode, read_onspd
    from .raster import RasterGrid, read_raster, write_geotiff
    from .read import read_boundaries, read_boundaries_file, read_points
    from .tables import read_point_table, read_table
    from .universities import read_universities
    from .vector import read_vector
    from .voa import read_voa_floorspace
    from .write import write_table

# imported on first use: ``geodistrict datasets list`` needs the registry, not pandas
__getattr__, __dir__ = lazy_names(
    __name__,
    {
        **dict.fromkeys(
            ["clue_jobs_by_area", "clue_jobs_density", "read_clue_areas", "read_clue_jobs"],
            ".clue",
        ),
        "read_companies_house": ".companies_house",
        "firm_accounting": ".firms",
        "read_firms": ".firms",
        "NomisTable": ".nomis",
        "read_nomis": ".nomis",
        **dict.fromkeys(
            ["geocode_postcodes", "load_postcodes", "normalise_postcode", "read_onspd"],
            ".onspd",
        ),
        **dict.fromkeys(["RasterGrid", "read_raster", "write_geotiff"], ".raster"),
        **dict.fromkeys(["read_boundaries", "read_boundaries_file", "read_points"], ".read"),
        "read_point_table": ".tables",
        "read_table": ".tables",
        "read_universities": ".universities",
        "read_vector": ".vector",
        "read_voa_floorspace": ".voa",
        "write_table": ".write",
    },
    modules=["datasets"],
    namespace=globals(),
)

__all__ = [
    "datasets",
    "NomisTable",
    "RasterGrid",
    "clue_jobs_by_area",
    "clue_jobs_density",
    "read_boundaries",
    "read_clue_areas",
    "read_clue_jobs",
    "read_companies_house",
    "read_nomis",
    "read_raster",
    "read_voa_floorspace",
    "write_geotiff",
    "firm_accounting",
    "read_firms",
    "geocode_postcodes",
    "load_postcodes",
    "normalise_postcode",
    "read_onspd",
    "read_points",
    "read_boundaries_file",
    "read_point_table",
    "read_table",
    "read_universities",
    "read_vector",
    "write_table",
]
