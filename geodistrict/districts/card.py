"""The district card: one polygon measured with the same normalised indicators."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import shapely

from ..boundaries import Boundaries
from ..errors import ParameterError
from ..layers import PointLayer
from ._common import (
    KNOWLEDGE_INTENSIVE_DIVISIONS,
    Card,
    Indicator,
    buffer_m,
    distance_tag,
    district_and_slug,
    named_layers,
    point_indicators,
    region_polygon,
    registry_indicators,
    ring_boundaries,
    safe_ratio,
    sector_column,
    single_polygon,
    zone_indicators,
)

__all__ = ["district_card"]


def district_card(
    district: Boundaries | str | Path,
    *,
    layers: Sequence[PointLayer] | Mapping[str, Any] = (),
    buffers_m: Sequence[float] = (800, 1600),
    region: Boundaries | PointLayer | None = None,
    region_buffer_m: float = 10_000.0,
    by_sector: str | Mapping[str, str] | None = "sic_section",
    knowledge_intensive: Sequence[int] = KNOWLEDGE_INTENSIVE_DIVISIONS,
    registry: bool = True,
) -> Card:
    """Measure one district: area, layers in and around it, sectors, published figures.

    Parameters
    ----------
    district : Boundaries, str or Path
        One polygon (:class:`Boundaries` with one feature), a slug (a shipped district, or a
        district of the benchmark registry without a polygon) or a polygon file.
    layers : sequence of PointLayer, or mapping of name to PointLayer or (Boundaries, Series)
        Point layers (``firms``, ``universities``, ``postcodes``, ``anchors`` ...) are counted;
        ``(zones, values)`` pairs (``jobs``, ``floorspace``) are interpolated by area.
    buffers_m : sequence of float
        Distances in metres (in the metric CRS) around the district for the buffer counts,
        which include the district itself.
    region : Boundaries, PointLayer or None
        The surroundings for location quotients and the density ratio: a polygon (the union of
        its features), a points layer (its bounding box), or by default the district buffered
        by ``region_buffer_m``. The region includes the district.
    region_buffer_m : float
        Buffer of the default region.
    by_sector : str, mapping or None
        Sector column for the sector mix: a column name used by every layer that has it, or
        ``{layer: column}``; ``None`` skips the mix.
    knowledge_intensive : sequence of int
        SIC 2007 divisions counted as knowledge-intensive.
    registry : bool
        Add the figures published for the district's slug in the benchmark registry.

    Returns
    -------
    Card

    Raises
    ------
    InputFileError
        For an unknown slug or a missing file.
    ParameterError
        For several polygons, bad buffers, or layers without a polygon to count them in.

    Examples
    --------
    >>> import geopandas as gpd, shapely, numpy as np, pandas as pd
    >>> from geodistrict import prepare_boundaries, PointLayer
    >>> from geodistrict.layers import LayerInfo
    >>> sq = prepare_boundaries(gpd.GeoDataFrame({"id": ["sq"]},
    ...     geometry=[shapely.box(530000, 180000, 531000, 181000)], crs=27700))
    >>> pts = PointLayer(x=np.array([530500., 530500, 530500]),
    ...     y=np.array([180500., 181400, 190000]), crs=sq.metric_crs,
    ...     attributes=pd.DataFrame({"row": range(3)}), info=LayerInfo(name="firms", source="ex"))
    >>> card = district_card(sq, layers=[pts], registry=False)
    >>> card.area_ha, card.indicator("firms_count").value, card.indicator("firms_count_800m").value
    (100.0, 1, 2)
    """
    buffers = [float(b) for b in buffers_m]
    if any(not math.isfinite(b) or b <= 0 for b in buffers) or region_buffer_m <= 0:
        raise ParameterError(
            f"buffers_m={list(buffers_m)} / region_buffer_m={region_buffer_m}: distances must "
            "be positive metres, e.g. buffers_m=(800, 1600)."
        )
    named = named_layers(layers)
    b, slug = district_and_slug(district, "district_card")
    params: dict[str, Any] = {
        "buffers_m": buffers,
        "by_sector": by_sector if isinstance(by_sector, str | None) else dict(by_sector),
        "knowledge_intensive_divisions": list(knowledge_intensive),
        "registry": registry,
        "layers": {},
    }
    indicators: list[Indicator] = []
    warnings: list[str] = []
    if b is None:
        if named:
            raise ParameterError(
                f"{slug} has published figures but no shipped polygon to count layers in; pass "
                "a polygon file of the district instead of the slug."
            )
        reg, w, pub_km2, pub_src = registry_indicators(slug, None, None)
        warnings.append(f"{slug}: no shipped polygon; the card holds the published figures only.")
        return Card(
            id=slug,
            name=slug,
            area_ha=pub_km2 * 100 if pub_km2 is not None else None,
            area_km2=pub_km2,
            crs_measured=None,
            indicators=tuple(reg),
            warnings=tuple(warnings + w),
            area_source=pub_src or "unknown",
            parameters=params,
        )
    poly, crs = single_polygon(b, "district_card")
    area_km2 = float(shapely.area(poly)) / 1e6
    crs_text = crs.to_string()
    reg_poly, region_label = region_polygon(region, poly, crs, region_buffer_m)
    params["region"] = region_label
    rings = ring_boundaries(
        [poly, *(buffer_m(poly, d) for d in buffers), reg_poly],
        ["district", *(distance_tag(d) for d in buffers), "region"],
        crs,
    )
    for name, lay in named.items():
        if isinstance(lay, PointLayer):
            params["layers"][name] = lay.info.source
            col = sector_column(by_sector, name, lay)
            got, w = point_indicators(str(b.names[0]), name, lay, rings, buffers,
                                       region_label, col, knowledge_intensive)  # fmt: skip
        elif isinstance(lay, tuple) and len(lay) == 2 and isinstance(lay[0], Boundaries):
            params["layers"][name] = lay[0].info.source
            got, w = zone_indicators(name, lay[0], lay[1], b, area_km2), []
        else:
            raise ParameterError(
                f"layer {name!r} is a {type(lay).__name__}; pass a PointLayer or a "
                "(zones Boundaries, values Series) pair."
            )
        indicators += got
        warnings += w
    have = {i.name: i for i in indicators}
    if "jobs" in have and "firms_count" in have:
        n = have["firms_count"].value
        indicators.append(Indicator("jobs_per_firm", safe_ratio(have["jobs"].value, n), "jobs/firm",
                                    "computed", note="jobs ÷ firms_count" if n
                                    else "undefined: no firms in the district"))  # fmt: skip
    if registry:
        reg, w, _, _ = registry_indicators(slug, area_km2, crs_text)
        indicators += reg
        warnings += w
    return Card(
        id=slug,
        name=str(b.names[0]),
        area_ha=area_km2 * 100,
        area_km2=area_km2,
        crs_measured=crs_text,
        indicators=tuple(indicators),
        warnings=tuple(warnings),
        parameters=params,
    )


# --------------------------------------------------------------------------------------------
# compare
