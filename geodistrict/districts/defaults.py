"""Defaults of the district measures, readable without loading pandas (the CLI's help)."""

from __future__ import annotations

__all__ = ["HOT_CELL_M", "HOT_MARGIN_M"]

#: Side (metres) of the square cells of the diff's hot cells (Gi*).
HOT_CELL_M = 250.0
#: The hot cells' study area: each polygon's bounding box grown by this many metres.
HOT_MARGIN_M = 3000.0
