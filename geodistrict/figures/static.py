"""Static maps of any layer in metres, with scale bar, north arrow, legend and sources."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from .._version import __version__
from ..errors import CRSError, ParameterError, SchemaError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from pyproj import CRS

    from ..boundaries import Boundaries
    from ..clusters.kde import KDEResult
    from ..layers import PointLayer

from ._common import (
    EDGE,
    HOT,
    POINT_COLOURS,
    QUADRANTS,
    as_boundaries,
    as_layer,
    check_path,
    choropleth_values,
    classify,
    crs_label,
    draw_geoms,
    draw_north_arrow,
    draw_scale_bar,
    fill_box,
    frame_in,
    grid_north,
    import_matplotlib,
    in_crs,
    map_crs,
    metres_per_pixel,
    source_lines,
    units_label,
    wrap_footer,
    write_figure,
)


def static_map_figure(
    *,
    boundaries: Any = None,
    choropleth: Any = None,
    scheme: str = "quantiles",
    k: int = 5,
    points: Sequence[Any] = (),
    density: KDEResult | None = None,
    hotspots: gpd.GeoDataFrame | None = None,
    outlines: Any = None,
    title: str | None = None,
    units: str | None = None,
    figsize: tuple[float, float] = (8, 8),
    dpi: float = 150,
) -> tuple[Figure, dict[str, Any]]:
    """Build the figure of :func:`static_map` without writing it; see there for parameters.

    Returns
    -------
    (matplotlib.figure.Figure, dict)
        The figure and its record (CRS, limits, scale bar, north, classes, colour bar, footer).
    """
    import_matplotlib()
    from matplotlib.figure import Figure

    b = None if boundaries is None else as_boundaries(boundaries, "boundaries")
    if choropleth is not None and b is None:
        raise ParameterError("choropleth= colours boundaries: pass boundaries= as well.")
    layers = [as_layer(p, i) for i, p in enumerate(points)]
    crs = map_crs(b, density, hotspots, outlines, layers)
    if crs.is_geographic:
        raise CRSError(f"{crs_label(crs)} is in degrees; draw in a metric CRS (EPSG:27700, UTM).")
    fig = Figure(figsize=figsize, dpi=dpi)
    d = _Drawing(fig, fig.add_axes((0.02, 0.1, 0.7, 0.8)), crs)
    if density is not None:
        _draw_density(d, density, extent=b is None)
    if b is not None:
        _draw_boundaries(d, b, choropleth, scheme=scheme, k=k, units=units)
    if hotspots is not None:
        _draw_hotspots(d, hotspots, extent=b is None and density is None)
    if outlines is not None:
        _draw_outlines(d, outlines, extent=b is None and density is None)
    for i, lay in enumerate(layers):
        _draw_points(d, lay, POINT_COLOURS[i % len(POINT_COLOURS)])
    xlim, ylim = _padded_limits(d.extents)
    deg, north = grid_north(crs, (xlim[0] + xlim[1]) / 2, (ylim[0] + ylim[1]) / 2)
    lines = _footer_lines(crs, d.infos, d.params, north)
    xlim, ylim = _lay_out(d, lines, xlim, ylim, title=title, figsize=figsize,
                          colorbar=density is not None)  # fmt: skip
    bar = draw_scale_bar(d.ax, xlim, ylim)
    draw_north_arrow(d.ax)
    if d.handles:
        _add_legend(d, 0.94 if title else 0.98)
    d.record.update(
        xlim=list(xlim),
        ylim=list(ylim),
        scale_bar=bar,
        north={"convergence_deg": deg, "statement": north},
        footer=lines,
        sources=[dict(s) for s in d.infos],
        parameters=d.params,
        figsize_in=list(figsize),
        dpi=dpi,
        geodistrict_version=__version__,
    )
    d.record["metres_per_pixel"] = list(metres_per_pixel(d.ax))
    return fig, d.record


@dataclass
class _Drawing:
    """A static map being drawn: its axes, and what each layer adds to legend and record."""

    fig: Figure
    ax: Axes
    crs: CRS
    handles: list[Any] = field(default_factory=list)
    extents: list[np.ndarray] = field(default_factory=list)
    infos: list[Mapping[str, Any]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.record.update(crs=self.crs.to_string(), legend=None, colorbar=None)


def _draw_density(d: _Drawing, density: KDEResult, *, extent: bool) -> None:
    """The density surface as an image in its own grid, with a colour bar."""
    t = density.transform
    if t.b != 0 or t.d != 0:
        raise CRSError("density: the surface's grid is rotated; compute it north-up with kde.")
    nr, nc = density.array.shape
    ext = (t.c, t.c + t.a * nc, t.f + t.e * nr, t.f)
    arr = np.ma.masked_less_equal(density.array, 0)
    im = d.ax.imshow(
        arr,
        extent=ext,
        origin="upper",
        cmap="magma_r",
        alpha=0.85,
        interpolation="nearest",
        zorder=1,
    )
    im.set_gid("density")
    cax = d.fig.add_axes((0.8, 0.14, 0.025, 0.3))
    label = units_label(None, density.units)
    d.fig.colorbar(im, cax=cax, label=label)
    d.record["colorbar"] = {"label": label, "vmin": float(arr.min()), "vmax": float(arr.max())}
    d.params["density"] = (
        f"{density.kernel} kernel density, bandwidth {density.bandwidth_m:g} m, cell "
        f"{density.cell_m:g} m, {density.n_points} points"
    )
    if density.source:
        d.infos.append(dict(density.source))
    if extent:
        d.extents.append(np.array([ext[0], ext[2], ext[1], ext[3]]))


def _draw_boundaries(
    d: _Drawing, b: Boundaries, choropleth: Any, *, scheme: str, k: int, units: str | None
) -> None:
    """The boundaries' outlines (named when they are few), filled by class with a choropleth."""
    from matplotlib.lines import Line2D

    geoms = in_crs(b.metric, b.metric_crs, d.crs)
    d.infos.insert(0, b.info.as_dict())
    d.extents.insert(0, np.asarray(shapely.total_bounds(geoms)))
    if choropleth is not None:
        _draw_choropleth(d, b, geoms, choropleth, scheme=scheme, k=k, units=units)
    draw_geoms(d.ax, geoms, gid="boundaries", edgecolors=EDGE, linewidths=0.9, zorder=3)
    d.handles.append(Line2D([], [], color=EDGE, linewidth=0.9, label="boundaries"))
    if len(b) <= 12:
        for g, nm in zip(geoms, b.names, strict=True):
            p = g.representative_point()
            d.ax.text(p.x, p.y, str(nm), fontsize=7, ha="center", va="center", zorder=4, color=EDGE)


def _draw_choropleth(
    d: _Drawing,
    b: Boundaries,
    geoms: np.ndarray,
    choropleth: Any,
    *,
    scheme: str,
    k: int,
    units: str | None,
) -> None:
    """Fill each boundary with the colour of its class; the classes go in the legend."""
    import matplotlib as mpl
    from matplotlib.patches import Patch

    values, name = choropleth_values(b, choropleth)
    classes = classify(values, scheme=scheme, k=k)
    cmap = mpl.colormaps["YlOrRd"]
    colours = [cmap(v) for v in np.linspace(0.15, 0.95, len(classes.bins))]
    faces = [colours[c] if c >= 0 else "#cccccc" for c in classes.yb]
    draw_geoms(
        d.ax, geoms, gid="choropleth", facecolors=faces, edgecolors="none", alpha=0.9, zorder=0.5
    )
    d.handles += [
        Patch(facecolor=c, edgecolor="none", label=lab)
        for c, lab in zip(colours, classes.labels, strict=True)
    ]
    if (classes.yb < 0).any():
        d.handles.append(Patch(facecolor="#cccccc", label="no data"))
    d.record["legend"] = {"title": units_label(name, units), **classes.as_dict()}
    d.params["classes"] = f"{scheme}" + (f", k={classes.k}" if classes.k else "")


def _draw_hotspots(d: _Drawing, hotspots: gpd.GeoDataFrame, *, extent: bool) -> None:
    """Hot and cold (Gi*) or quadrant (LISA) cells, one colour per kind."""
    from matplotlib.patches import Patch

    col, table = ("hot_cold", HOT) if "hot_cold" in hotspots.columns else ("quadrant", QUADRANTS)
    if col not in hotspots.columns:
        raise SchemaError(
            "hotspots: no 'hot_cold' or 'quadrant' column; pass the result of "
            "geodistrict.hotspots(...)."
        )
    cells = frame_in(hotspots, d.crs, "hotspots")
    cls = hotspots[col].astype(str).to_numpy()
    attrs = hotspots.attrs.get("hotspots", {})
    stat = "Gi*" if col == "hot_cold" else "local Moran's I"
    for key, (colour, label) in table.items():
        m = cls == key
        if m.any():
            draw_geoms(d.ax, cells[m], gid=f"hotspots-{key}", facecolors=colour,
                       edgecolors="none", alpha=0.55, zorder=2)  # fmt: skip
            d.handles.append(
                Patch(facecolor=colour, alpha=0.55, label=f"{label} ({stat}, {int(m.sum())} cells)")
            )
    if attrs:
        d.params["hotspots"] = (
            f"{stat} on {attrs.get('cell_m', float('nan')):g} m cells, "
            f"{attrs.get('correction')} at {attrs.get('alpha')}"
            + (f", {attrs['permutations']} permutations" if attrs.get("permutations") else "")
        )
    if extent:
        d.extents.append(np.asarray(shapely.total_bounds(cells)))


def _draw_outlines(d: _Drawing, outlines: Any, *, extent: bool) -> None:
    """Cluster outlines, dashed."""
    from matplotlib.lines import Line2D

    og = frame_in(outlines, d.crs, "outlines")
    draw_geoms(
        d.ax, og, gid="outlines", edgecolors="#6a3d9a", linewidths=1.4, linestyles="--", zorder=5
    )
    d.handles.append(Line2D([], [], color="#6a3d9a", linestyle="--", label="cluster outline"))
    if extent:
        d.extents.append(np.asarray(shapely.total_bounds(og)))


def _draw_points(d: _Drawing, lay: PointLayer, colour: str) -> None:
    """A point layer as dots (rasterised beyond 5,000 points)."""
    from matplotlib.lines import Line2D

    lay_m = lay.to_crs(d.crs)
    sc = d.ax.scatter(
        lay_m.x, lay_m.y, s=6, color=colour, linewidths=0, zorder=6, rasterized=len(lay_m) > 5000
    )
    sc.set_gid(f"points-{lay.name}")
    d.handles.append(
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=4,
            color=colour,
            label=f"{lay.name} ({len(lay_m):,} points)",
        )  # fmt: skip
    )
    d.infos.append(lay.info.as_dict())
    if not d.extents and len(lay_m):
        d.extents.append(np.array([lay_m.x.min(), lay_m.y.min(), lay_m.x.max(), lay_m.y.max()]))


def _padded_limits(
    extents: Sequence[np.ndarray],
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The union of the extents, padded by 5 % of its longer side (at least 50 m)."""
    ex = np.vstack(extents)
    x0, y0 = ex[:, 0].min(), ex[:, 1].min()
    x1, y1 = ex[:, 2].max(), ex[:, 3].max()
    pad = max(50.0, 0.05 * max(x1 - x0, y1 - y0))
    return (float(x0 - pad), float(x1 + pad)), (float(y0 - pad), float(y1 + pad))


def _footer_lines(
    crs: CRS, infos: Sequence[Mapping[str, Any]], params: Mapping[str, str], north: str
) -> list[str]:
    """Sources, CRS and north, parameters and the version, one line each."""
    lines = [
        "Sources: " + " | ".join(source_lines(infos)) if infos else "Sources: not recorded",
        f"CRS: {crs_label(crs)}, in metres; {north}.",
    ]
    if params:
        lines.append("Parameters: " + "; ".join(params.values()) + ".")
    lines.append(f"Made with geodistrict {__version__}.")
    return lines


def _lay_out(
    d: _Drawing,
    lines: list[str],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    *,
    title: str | None,
    figsize: tuple[float, float],
    colorbar: bool,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Footer, title, map and legend in place; returns the view filling the map's box."""
    fig, ax = d.fig, d.ax
    fontsize = 6.5
    text, nlines = wrap_footer(lines, figsize[0] - 0.3, fontsize)
    foot = min(0.45, (nlines * fontsize * 1.35 / 72 + 0.15) / figsize[1])
    fig.text(0.015, 0.01, text, fontsize=fontsize, ha="left", va="bottom", gid="footer")
    top = 0.94 if title else 0.98
    right = 0.74 if (d.handles or colorbar) else 0.98
    ax.set_position((0.02, foot + 0.02, right - 0.02, top - foot - 0.02))
    ax.set_anchor("NW")
    xlim, ylim = fill_box(xlim, ylim, (right - 0.02) * figsize[0], (top - foot - 0.02) * figsize[1])
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        fig.suptitle(title, x=0.02, y=0.985, ha="left", fontsize=12)
    return xlim, ylim


def _add_legend(d: _Drawing, top: float) -> None:
    """The legend right of the map, titled with the choropleth's units."""
    legend = d.record["legend"]
    leg = d.fig.legend(
        handles=d.handles,
        loc="upper left",
        bbox_to_anchor=(0.76, top),
        fontsize=7,
        title_fontsize=8,
        frameon=False,
        title=legend["title"] if legend else None,
    )
    leg.set_gid("legend")


def static_map(
    path: str | Path,
    *,
    boundaries: Any = None,
    choropleth: Any = None,
    scheme: str = "quantiles",
    k: int = 5,
    points: Sequence[Any] = (),
    density: KDEResult | None = None,
    hotspots: gpd.GeoDataFrame | None = None,
    outlines: Any = None,
    title: str | None = None,
    units: str | None = None,
    figsize: tuple[float, float] = (8, 8),
    dpi: float = 150,
) -> Path:
    """Write a static map for a report (PNG, SVG or PDF, by extension), drawn in metres.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.png``, ``.svg`` or ``.pdf``; its folder must exist. The record of what was drawn
        goes to :func:`sidecar_path` (``map.png.json``).
    boundaries : Boundaries or geopandas.GeoDataFrame, optional
        Polygons, drawn in their metric CRS (unless ``density`` is given: the surface's CRS).
    choropleth : str, pandas.Series or array-like, optional
        A column of ``boundaries.data``, a Series indexed by boundary id, or one value per
        boundary; classified with mapclassify (missing values drawn grey, "no data").
    scheme : str
        A key of :data:`SCHEMES` (``"quantiles"``, ``"equal_interval"``, ``"fisher_jenks"`` ...).
    k : int
        Number of classes for the schemes that take one.
    points : sequence of PointLayer or point GeoDataFrame
        Drawn as dots; their ``info`` (source, licence, attribution, vintage) goes in the footer.
    density : KDEResult, optional
        Drawn as an image in its own CRS (the map's), with a colour bar in points per km².
    hotspots : geopandas.GeoDataFrame, optional
        From :func:`geodistrict.hotspots`: hot/cold (Gi*) or quadrant (LISA) cells.
    outlines : geopandas.GeoDataFrame, optional
        Cluster outlines, drawn dashed.
    title : str, optional
        Above the map.
    units : str, optional
        The choropleth's units for the legend (default: from a ``..._per_km2`` name).
    figsize : (float, float)
        Inches.
    dpi : float
        Pixels per inch of a PNG (PNG size = ``figsize × dpi``).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import json, tempfile, geopandas as gpd, shapely
    >>> from geodistrict.figures import sidecar_path
    >>> sq = gpd.GeoDataFrame({"id": ["A"], "name": ["A"]},
    ...                       geometry=[shapely.box(530000, 180000, 531000, 181000)], crs=27700)
    >>> out = static_map(Path(tempfile.mkdtemp()) / "a.png", boundaries=sq, dpi=50)
    >>> json.loads(sidecar_path(out).read_text())["scale_bar"]["label"]
    '200 m'
    """
    p = check_path(path, "static_map")
    fig, record = static_map_figure(
        boundaries=boundaries,
        choropleth=choropleth,
        scheme=scheme,
        k=k,
        points=points,
        density=density,
        hotspots=hotspots,
        outlines=outlines,
        title=title,
        units=units,
        figsize=figsize,
        dpi=dpi,
    )
    return write_figure(fig, record, p, dpi, title=title or "geodistrict map",
                        description=" ".join(record["footer"]))  # fmt: skip


# ---------------------------------------------------------------------------------------------
# side-by-side panels at one scale
# ---------------------------------------------------------------------------------------------
