"""make_map: one layered Leaflet map with its legend and provenance footer.

Boundaries and a choropleth, points, a density surface, hot spots and outlines are drawn from
the results of the other modules, each by its own module (``_vector``, ``_points``,
``_density``); this one assembles the map, its basemap, legend, title and footer.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..errors import MissingDependencyError, ParameterError
from ..layers import LayerInfo, PointLayer
from ._common import State, lonlat
from ._density import add_density
from ._elements import HtmlBlock
from ._html import ASSETS, LEAFLET_VERSION
from ._legend import CSS, esc, footer_html
from ._points import CLUSTER_MAX, POINT_COLOURS, add_points
from ._vector import (
    add_boundaries,
    add_districts,
    add_hotspots,
    add_outlines,
    add_styled,
    as_boundaries,
)

__all__ = ["make_map"]


def _folium() -> Any:
    try:
        import folium
    except ImportError as exc:
        raise MissingDependencyError(
            'maps need folium: pip install "geodistrict[maps]" (or: pip install folium mapclassify)'
        ) from exc
    return folium


# ---------------------------------------------------------------------------------------------
# basemap, footer, map


def _add_basemap(m, folium, basemap: str, state: State) -> None:
    if basemap == "none":
        state.basemap.append("none: no tiles are loaded")
        return
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False).add_to(m)
        state.basemap.append(
            "© OpenStreetMap contributors (data: Open Database Licence); tiles: OpenStreetMap"
        )
        return
    import xyzservices

    try:
        provider = xyzservices.providers.query_name(basemap)
    except ValueError as exc:
        raise ParameterError(
            f"basemap={basemap!r}: not 'osm', 'none' or an xyzservices provider name "
            "(e.g. 'CartoDB.Positron')."
        ) from exc
    if provider.requires_token():
        raise ParameterError(
            f"basemap={basemap!r} needs an API key; choose one that does not, e.g. "
            "'CartoDB.Positron', or 'osm'."
        )
    folium.TileLayer(provider, name=provider.name, control=False).add_to(m)
    state.basemap.append(f"{provider.get('attribution', provider.name)}; tiles: {provider.name}")


def _footer(state: State, basemap: str, precision: int) -> str:
    lines, credits = [], []
    for d in state.sources.values():
        src = d.get("source")
        parts = [
            str(d.get("attribution") or "attribution not recorded"),
            f"licence: {d.get('licence') or 'not recorded'}",
        ]
        if d.get("vintage"):
            parts.append(f"vintage: {d['vintage']}")
        if src:
            parts.append(f"file: {Path(str(src)).name}")
        lines.append(f"{d.get('name') or 'layer'}: " + "; ".join(parts))
        credit = d.get("attribution") or (
            f"{d.get('name')}: licence {d['licence']}" if d.get("licence") else None
        )
        if credit:
            credits.append(str(credit))
    if basemap != "none":
        credits.append(state.basemap[0].split("; tiles:")[0])
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d")
    display = [
        *state.display,
        f"coordinates in WGS 84 (EPSG:4326) rounded to {precision} decimals; drawn in Web "
        f"Mercator (EPSG:3857) by Leaflet {LEAFLET_VERSION}",
    ]
    sections = [
        ("Sources", lines),
        ("Basemap", state.basemap),
        ("Measured in", list(dict.fromkeys(state.measured))),
        ("Method", state.method),
        ("Display", display),
        ("Made with", [f"geodistrict {__version__}, {now}"]),
    ]
    return footer_html(list(dict.fromkeys(credits)), sections)


def make_map(
    *,
    boundaries: Any = None,
    choropleth: Any = None,
    scheme: str = "quantiles",
    k: int = 5,
    points: Sequence[PointLayer] | Mapping[str, PointLayer] = (),
    density: Any = None,
    hotspots: Any = None,
    outlines: Any = None,
    districts: Any = None,
    hotspot_classes: Sequence[str] | None = None,
    basemap: str = "osm",
    title: str | None = None,
    max_markers: int = 2000,
    cluster_max: int = CLUSTER_MAX,
    simplify_m: float | None = None,
    precision: int = 6,
    choropleth_label: str | None = None,
    popup_fields: Mapping[str, Sequence[str]] | None = None,
    density_scale: str = "log",
    sources: Sequence[LayerInfo] = (),
    styled: Sequence[Styled] = (),
    focus: Any = None,
) -> Any:
    """A layered interactive map with its legend and provenance footer.

    Parameters
    ----------
    boundaries : Boundaries or GeoDataFrame, optional
        Outlined, with their names in tooltips; filled by class with ``choropleth``.
    choropleth : Series, (table, column) or str, optional
        Values per boundary: a Series indexed by boundary id (e.g.
        ``profile(b, layers).table.set_index("id")["universities_per_km2"]``), a
        ``(Profile or table, column)`` pair, or a column of ``boundaries.data``. The legend
        takes its title and units from the column name (``universities per km²``).
    scheme : {"quantiles", "natural_breaks", "equal_interval"}
        mapclassify's Quantiles, FisherJenks or EqualInterval; the legend shows its class
        breaks exactly (and the number of boundaries in each class).
    k : int
        Number of classes (fewer when there are fewer distinct values; the legend says so).
    points : sequence or mapping of PointLayer
        Up to ``max_markers`` points per layer as circle markers with popups; up to
        ``cluster_max`` as clustered markers (Leaflet.markercluster); beyond that counted on
        squares of a metric grid.
    density : KDEResult, optional
        Drawn as an image warped to EPSG:3857, with a colour bar in points per km².
    hotspots : GeoDataFrame, optional
        From :func:`geodistrict.hotspots`: significant cells, with the test, correction,
        p-value threshold and number of tests in the legend.
    hotspot_classes : sequence of str, optional
        Draw only these classes of significant cells (e.g. ``["hot"]`` for Gi* hot cells on
        a map that already shows density); the legend still states every class's count and
        says which are drawn. Default: all significant cells.
    outlines : ClusterResult or GeoDataFrame, optional
        Cluster outlines (or KDE contours).
    districts : Boundaries or sequence of str, optional
        Shipped district slugs or polygons, drawn as dashed outlines.
    basemap : str
        ``"osm"``, ``"none"`` (no tiles: no request at all once saved self-contained) or an
        xyzservices name such as ``"CartoDB.Positron"``.
    title : str, optional
        Shown at the top (escaped) and as the page title.
    max_markers, cluster_max : int
        Thresholds between markers, clusters and squares (per layer).
    simplify_m : float, optional
        Simplification tolerance in metres; by default each layer's extent / 2000, about a
        pixel on a screen-wide map.
    precision : int
        Decimals of the displayed lon/lat (6 ≈ 0.1 m).
    choropleth_label : str, optional
        Legend title instead of the one derived from the column name.
    popup_fields : mapping of str to list of str, optional
        Per point layer, the columns its popups show (default: name, id and website).
    density_scale : {"log", "linear"}
        Colour scale of the density surface.
    sources : sequence of LayerInfo
        Further sources to list in the footer.
    styled : sequence of Styled
        Polygon sets each drawn in a style of its own with its own legend line (a proposed
        district, its baseline, the LAD it lies in ...), drawn last, in order.
    focus : Boundaries or GeoDataFrame, optional
        Zoom to these polygons (padded by a fifth of their size) instead of to every layer.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map`.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd, shapely
    >>> from geodistrict import prepare_boundaries
    >>> sq = gpd.GeoDataFrame({"id": ["a", "b"], "name": ["A", "B"]}, crs=27700,
    ...     geometry=[shapely.box(530000, 180000, 531000, 181000),
    ...               shapely.box(531000, 180000, 532000, 181000)])
    >>> b = prepare_boundaries(sq)
    >>> m = make_map(boundaries=b, choropleth=pd.Series({"a": 1.0, "b": 3.0}, name="firms_per_km2"),
    ...              scheme="equal_interval", k=2, basemap="none", title="Firms")
    >>> from geodistrict.maps import layer_sizes
    >>> [name for name, size, hint in layer_sizes(m)]
    ['firms per km²']
    """
    folium = _folium()
    _check_options(precision, max_markers, cluster_max, simplify_m)
    if choropleth is not None and boundaries is None:
        raise ParameterError("choropleth needs boundaries=... to draw the values on.")
    layers = _point_layers(points)
    state = State()
    m = _new_map(folium, basemap, state)
    b = as_boundaries(boundaries, "boundaries") if boundaries is not None else None
    if b is not None:
        add_boundaries(
            m,
            b,
            choropleth,
            scheme=scheme,
            k=k,
            label=choropleth_label,
            simplify_m=simplify_m,
            precision=precision,
            state=state,
        )
    _add_results(
        m,
        density,
        hotspots,
        outlines,
        districts,
        state,
        show_density=choropleth is None,
        hotspot_classes=hotspot_classes,
        density_scale=density_scale,
        simplify_m=simplify_m,
        precision=precision,
    )
    for i, lay in enumerate(layers):
        add_points(
            m,
            lay,
            POINT_COLOURS[i % len(POINT_COLOURS)],
            max_markers=max_markers,
            cluster_max=cluster_max,
            fields=(popup_fields or {}).get(lay.name),
            metric_crs=b.metric_crs if b is not None else None,
            precision=precision,
            state=state,
        )
    for sty in styled:
        add_styled(m, sty, simplify_m=simplify_m, precision=precision, state=state)
    for info in sources:
        state.source(info)
    _add_page(m, folium, title, basemap, precision, state)
    _fit_view(m, focus, precision, state)
    return m


def _check_options(
    precision: Any, max_markers: Any, cluster_max: Any, simplify_m: float | None
) -> None:
    """Refuse display options out of range, naming the parameter and its range."""
    if not isinstance(precision, int) or not 0 <= precision <= 10:
        raise ParameterError(f"precision={precision!r}: give decimals from 0 to 10, e.g. 6.")
    for label, v in (("max_markers", max_markers), ("cluster_max", cluster_max)):
        if not isinstance(v, int) or v < 0:
            raise ParameterError(f"{label}={v!r}: give a whole number >= 0.")
    if simplify_m is not None and not (math.isfinite(simplify_m) and simplify_m >= 0):
        raise ParameterError(f"simplify_m={simplify_m!r}: give metres >= 0 (0: no simplifying).")


def _point_layers(points: Any) -> list[PointLayer]:
    """The point layers in drawing order (a mapping's keys become the layers' names)."""
    if isinstance(points, PointLayer):
        points = [points]
    layers = (
        [lay.renamed(k_) for k_, lay in points.items()]
        if isinstance(points, Mapping)
        else list(points)
    )
    for lay in layers:
        if not isinstance(lay, PointLayer):
            raise ParameterError(
                f"points: expected PointLayer (geodistrict.read_points), not {type(lay).__name__}."
            )
    return layers


def _new_map(folium: Any, basemap: str, state: State) -> Any:
    """An empty Leaflet map with its basemap, Leaflet's own assets pinned."""
    # maxZoom on the map itself: without a tile layer Leaflet has none, and markercluster
    # refuses to start without one
    m = folium.Map(location=[0, 0], zoom_start=2, tiles=None, control_scale=True, maxZoom=19)
    m.default_js = [("leaflet", ASSETS["leaflet"].url)]
    m.default_css = [("leaflet_css", ASSETS["leaflet_css"].url)]
    _add_basemap(m, folium, basemap, state)
    return m


def _add_results(
    m: Any,
    density: Any,
    hotspots: Any,
    outlines: Any,
    districts: Any,
    state: State,
    *,
    show_density: bool,
    hotspot_classes: Sequence[str] | None,
    density_scale: str,
    simplify_m: float | None,
    precision: int,
) -> None:
    """The layers of analysis results: density surface, hot spots, outlines, districts."""
    if density is not None:
        add_density(m, density, scale=density_scale, state=state, show=show_density)
    if hotspots is not None:
        add_hotspots(m, hotspots, precision=precision, state=state, classes=hotspot_classes)
    if outlines is not None:
        add_outlines(m, outlines, simplify_m=simplify_m, precision=precision, state=state)
    if districts is not None:
        d = as_boundaries(districts, "districts")
        add_districts(m, d, simplify_m=simplify_m, precision=precision, state=state)


def _add_page(
    m: Any, folium: Any, title: str | None, basemap: str, precision: int, state: State
) -> None:
    """Title, legend, provenance footer and layer control (every data text escaped)."""
    head = f"<title>{esc(title)}</title>" if title else ""
    body = f'<div class="gd-title">{esc(title)}</div>' if title else ""
    if state.legend:
        body += f'<div class="gd-legend" id="gd-legend">{"".join(state.legend)}</div>'
    body += _footer(state, basemap, precision)
    HtmlBlock(body, css=CSS, head=head).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)


def _fit_view(m: Any, focus: Any, precision: int, state: State) -> None:
    """Zoom to ``focus`` (padded by a fifth of its size), else to every layer drawn."""
    if focus is not None:
        fb = as_boundaries(focus, "focus")
        _, (x0, y0, x1, y1) = lonlat(fb.metric, fb.metric_crs, precision)
        px, py = (x1 - x0) / 5, (y1 - y0) / 5
        m.fit_bounds([[y0 - py, x0 - px], [y1 + py, x1 + px]])
    elif state.bounds:
        bb = np.array(state.bounds, dtype="float64")
        m.fit_bounds([[bb[:, 1].min(), bb[:, 0].min()], [bb[:, 3].max(), bb[:, 2].max()]])


@dataclass(frozen=True)
class Styled:
    """Polygons drawn in one style, with their own legend line (``make_map(styled=...)``).

    Attributes
    ----------
    label : str
        Layer and legend title ("Proposed district", "Baseline: Manchester (LAD)").
    boundaries : Boundaries or GeoDataFrame
    colour : str
    weight : float
        Line width in pixels.
    dash : str or None
        Leaflet ``dashArray`` ("6 4"), ``None`` for a solid line.
    fill_opacity : float
    """

    label: str
    boundaries: Any
    colour: str = "#e31a1c"
    weight: float = 3.0
    dash: str | None = None
    fill_opacity: float = 0.1
