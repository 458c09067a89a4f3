"""Interactive maps for presenters: layered, small, safe, honest and shareable.

:func:`make_map` draws the results of the other modules — boundaries and a choropleth of a
profile column, point layers, a kernel density surface, hot spots and cluster outlines — as
one Leaflet map with a legend and a provenance footer (sources, licences, vintages, the CRS of
every measurement, the parameters, the geodistrict version). :func:`save_map` writes it as one
HTML file within a size budget, optionally with Leaflet inlined so that it opens offline.

This is the only part of geodistrict that reprojects to EPSG:4326 (and EPSG:3857) for
display. folium, mapclassify, matplotlib and rasterio are needed (``pip install
"geodistrict[maps,raster]"``); ``import geodistrict`` does not import this module.
"""

from ._core import Styled, make_map
from ._html import (
    ASSETS,
    INERT_URLS,
    LEAFLET_VERSION,
    MARKERCLUSTER_VERSION,
    MapSizeError,
    layer_sizes,
    save_map,
)
from ._legend import SCHEMES, Classes, classify, column_label
from ._points import CLUSTER_MAX, POINT_COLOURS, safe_link

__all__ = [
    "ASSETS",
    "CLUSTER_MAX",
    "INERT_URLS",
    "LEAFLET_VERSION",
    "MARKERCLUSTER_VERSION",
    "POINT_COLOURS",
    "SCHEMES",
    "Styled",
    "Classes",
    "MapSizeError",
    "classify",
    "column_label",
    "layer_sizes",
    "make_map",
    "safe_link",
    "save_map",
]
