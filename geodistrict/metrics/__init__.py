"""Measures over areas: sector specialisation (location quotients, Krugman, diversity)."""

from .firm_sectors import firm_location_quotients, firm_sector_counts, place_agreement
from .specialisation import (
    ellison_glaeser,
    location_quotients,
    nomis_sector_counts,
    specialisation_indices,
    specialisms,
)

__all__ = [
    "ellison_glaeser",
    "firm_location_quotients",
    "firm_sector_counts",
    "location_quotients",
    "nomis_sector_counts",
    "place_agreement",
    "specialisation_indices",
    "specialisms",
]
