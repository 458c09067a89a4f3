"""Static figures for reports, drawn in metres, and side-by-side district panels at one scale.

Everything is drawn in a metric CRS (the data's own: a district's, or the density surface's),
never in longitude/latitude, so a kilometre is the same length across and up the page. Each
figure carries a scale bar of a round length, a north arrow (grid north of the CRS; the footer
says how far true north is from it), a legend with units and a footer with the sources, their
licences, the CRS, the parameters and the geodistrict version.

:func:`compare_panels` draws one panel per district, each in the district's own local metric
CRS and centred on it, with the same ground width in every panel and the same axes size in
inches, hence the same metres per pixel: districts of very different size are seen at one
scale. What was drawn (limits in metres, scale, class breaks, footer) is written beside the
figure as ``<file>.json`` (:func:`sidecar_path`).

matplotlib and mapclassify (``pip install "geodistrict[maps]"``) are imported inside the
functions that need them; figures are built on :class:`matplotlib.figure.Figure` directly, so
no GUI backend is ever selected.
"""

from ._common import (
    FORMATS,
    SCHEMES,
    Classes,
    classify,
    format_length,
    grid_north,
    metres_per_pixel,
    nice_length,
    sidecar_path,
    units_label,
)
from .panels import (
    compare_figure,
    compare_panels,
    compare_panels_html,
    same_scale_limits,
    scale_statement,
)
from .static import (
    static_map,
    static_map_figure,
)

__all__ = [
    "FORMATS",
    "SCHEMES",
    "Classes",
    "classify",
    "compare_figure",
    "compare_panels",
    "compare_panels_html",
    "grid_north",
    "metres_per_pixel",
    "nice_length",
    "format_length",
    "same_scale_limits",
    "scale_statement",
    "sidecar_path",
    "static_map",
    "static_map_figure",
    "units_label",
]
