r"""District cards, comparisons and proposed-vs-baseline diffs.

A *card* measures one district polygon: its area and, per layer, counts and densities inside
it, within buffers around it and in the surrounding region; the sector mix, location quotients
and knowledge-intensive share of firms; and the figures published for it in the benchmark
registry (``geodistrict/data/benchmarks.yaml``) with their citations, plus the densities
derived from them. Every figure is an :class:`Indicator` carrying its unit, source, year and kind.

Indicator names
---------------
From a point layer ``NAME`` (``firms``, ``universities``, ``postcodes``, ``anchors`` ...):

``NAME_count``, ``NAME_per_km2``
    Points inside the district (interior: a point on the boundary is outside) and per km².
``NAME_count_800m``, ``NAME_per_km2_800m`` (one pair per buffer)
    Points within 800 m of the district, **the district included**, per km² of that buffer.
``NAME_region_count``, ``NAME_region_per_km2``, ``NAME_density_ratio``
    The same in the region (by default the district buffered by 10 km, district included) and
    the district's density divided by the region's: the Global Institute on Innovation
    Districts' rule of thumb looks for a district ≈50× denser than its region.
``NAME_count__S``, ``NAME_share__S``, ``NAME_lq__S``
    Per sector ``S`` of the layer's sector column (``sic_section`` by default): the count, the
    share of the points with a known sector, and the location quotient against the region.
``NAME_knowledge_intensive_count``, ``NAME_knowledge_intensive_share``,
``NAME_region_knowledge_intensive_share``, ``NAME_knowledge_intensive_lq``
    For layers with SIC 2007 divisions (``sic_division`` or ``sic_code``), see
    :data:`KNOWLEDGE_INTENSIVE_DIVISIONS`.

From a zone layer ``NAME`` (a ``(zones, values)`` pair, e.g. jobs per LSOA): ``NAME`` (areal
interpolation onto the district) and ``NAME_per_km2``; ``floor_area_ratio`` for
``floorspace`` (m² of floor per m² of land) and ``jobs_per_firm`` when ``jobs`` and ``firms``
both exist.

From the registry: ``published_<indicator>`` for the latest figure of each indicator
(``published_<indicator>_<year>`` for earlier ones), each with the publisher's citation; for
stocks, the derived ``..._per_km2`` (counts) or ``..._floor_area_ratio`` (m²), divided by the
published area when the registry has one, otherwise by the polygon's area (the note says
which); ``published_jobs_per_firm``. Flows (firms that arrived, jobs created over a period) are
reported but never divided by an area.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:
    from ._common import (
        KNOWLEDGE_INTENSIVE_DIVISIONS,
        Card,
        Indicator,
        is_knowledge_intensive,
        knowledge_intensive_share,
    )
    from .card import district_card
    from .compare import compare_cards, compare_chart
    from .diff import DistrictDiff, diff_districts, hot_cells_in

# imported on first use: the command line reads the diff's defaults (.defaults) to build its
# help without loading pandas
__getattr__, __dir__ = lazy_names(
    __name__,
    {
        **dict.fromkeys(
            [
                "KNOWLEDGE_INTENSIVE_DIVISIONS",
                "Card",
                "Indicator",
                "is_knowledge_intensive",
                "knowledge_intensive_share",
            ],
            "._common",
        ),
        "district_card": ".card",
        "compare_cards": ".compare",
        "compare_chart": ".compare",
        **dict.fromkeys(["DistrictDiff", "diff_districts", "hot_cells_in"], ".diff"),
    },
    namespace=globals(),
)

__all__ = [
    "KNOWLEDGE_INTENSIVE_DIVISIONS",
    "Card",
    "DistrictDiff",
    "Indicator",
    "compare_cards",
    "compare_chart",
    "diff_districts",
    "district_card",
    "hot_cells_in",
    "is_knowledge_intensive",
    "knowledge_intensive_share",
]
