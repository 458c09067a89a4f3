"""Readers and writers: vector files, point tables and the publishers' own formats.

Inside the package imports run one way, with no cycle: :mod:`.store` (data folder, cache,
checksums) < :mod:`.catalogue` (boundary sets, downloads) < :mod:`.datasets` (the registry,
:func:`~geodistrict.io.datasets.resolve`) < the format readers (:mod:`.tables`, :mod:`.vector`,
:mod:`.onspd`, :mod:`.companies_house`, :mod:`.nomis` ...) < :mod:`.read` (one entry point per
role) < :mod:`.clue`, :mod:`.firms` and :mod:`.inspect`.
"""

from .firms import firm_accounting, read_firms
from .onspd import geocode_postcodes, load_postcodes, normalise_postcode, read_onspd
from .read import read_boundaries_file, read_points
from .tables import read_point_table, read_table
from .universities import read_universities
from .vector import read_vector
from .write import write_table

__all__ = [
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
