"""Measures over areas: sector specialisation (location quotients, Krugman, diversity)."""

from .firm_sectors import firm_location_quotients, firm_sector_counts, place_agreement
from .specialisation import (
    SPECIALISM_RULE,
    SpecialisationTable,
    SpecialismRule,
    ellison_glaeser,
    location_quotients,
    nomis_sector_counts,
    specialisation_from_counts,
    specialisation_from_lq,
    specialisation_indices,
    specialisation_table,
    specialisms,
)

__all__ = [
    "SPECIALISM_RULE",
    "SpecialisationTable",
    "SpecialismRule",
    "ellison_glaeser",
    "firm_location_quotients",
    "firm_sector_counts",
    "location_quotients",
    "nomis_sector_counts",
    "place_agreement",
    "specialisation_from_counts",
    "specialisation_from_lq",
    "specialisation_indices",
    "specialisation_table",
    "specialisms",
]
