"""Readers and writers: vector files, point tables and the publishers' own formats."""

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
