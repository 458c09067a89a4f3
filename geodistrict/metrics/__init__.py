"""Measures over areas: sector specialisation (location quotients, Krugman, diversity)."""

from .specialisation import (
    ellison_glaeser,
    location_quotients,
    nomis_sector_counts,
    specialisation_indices,
    specialisms,
)

__all__ = [
    "ellison_glaeser",
    "location_quotients",
    "nomis_sector_counts",
    "specialisation_indices",
    "specialisms",
]
