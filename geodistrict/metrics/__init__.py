"""Measures over areas: sector specialisation (location quotients, Krugman, diversity)."""

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:
    from .firm_sectors import firm_location_quotients, firm_sector_counts, place_agreement
    from .rules import SPECIALISM_RULE, SpecialismRule
    from .specialisation import (
        SpecialisationTable,
        ellison_glaeser,
        location_quotients,
        nomis_sector_counts,
        specialisation_from_counts,
        specialisation_from_lq,
        specialisation_indices,
        specialisation_table,
        specialisms,
    )

# imported on first use: ``geodistrict profile`` needs .profile, not the specialisation measures
__getattr__, __dir__ = lazy_names(
    __name__,
    {
        **dict.fromkeys(
            ["firm_location_quotients", "firm_sector_counts", "place_agreement"], ".firm_sectors"
        ),
        "SPECIALISM_RULE": ".rules",
        "SpecialismRule": ".rules",
        **dict.fromkeys(
            [
                "SpecialisationTable",
                "ellison_glaeser",
                "location_quotients",
                "nomis_sector_counts",
                "specialisation_from_counts",
                "specialisation_from_lq",
                "specialisation_indices",
                "specialisation_table",
                "specialisms",
            ],
            ".specialisation",
        ),
    },
    namespace=globals(),
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
