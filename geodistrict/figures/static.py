"""Static maps of any layer in metres, with scale bar, north arrow, legend and sources."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from .._errors import (
    CRSError,
    ParameterError,
    SchemaError,
)
from .._version import __version__

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..clusters.kde import KDEResult

from ._common import (
    _EDGE,
    _HOT,
    _POINT_COLOURS,
    _QUADRANTS,
    _as_boundaries,
    _as_layer,
    _check_path,
    _choropleth_values,
    _draw_geoms,
    _fill_box,
    _footer,
    _frame_in,
    _in_crs,
    _map_crs,
    _mpl,
    _north_arrow,
    _save,
    _scale_bar,
    _source_lines,
    _write_record,
    classify,
    crs_label,
    grid_north,
    metres_per_pixel,
    units_label,
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
    _mpl()
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    b = None if boundaries is None else _as_boundaries(boundaries, "boundaries")
    if choropleth is not None and b is None:
        raise ParameterError("choropleth= colours boundaries: pass boundaries= as well.")
    layers = [_as_layer(p, i) for i, p in enumerate(points)]
    crs = _map_crs(b, density, hotspots, outlines, layers)
    if crs.is_geographic:
        raise CRSError(f"{crs_label(crs)} is in degrees; draw in a metric CRS (EPSG:27700, UTM).")
    fig = Figure(figsize=figsize, dpi=dpi)
    ax = fig.add_axes((0.02, 0.1, 0.7, 0.8))
    handles: list[Any] = []
    extents: list[np.ndarray] = []
    infos: list[Mapping[str, Any]] = []
    params: dict[str, Any] = {}
    record: dict[str, Any] = {"crs": crs.to_string(), "legend": None, "colorbar": None}

    if density is not None:
        t = density.transform
        if t.b != 0 or t.d != 0:
            raise CRSError("density: the surface's grid is rotated; compute it north-up with kde.")
        nr, nc = density.array.shape
        ext = (t.c, t.c + t.a * nc, t.f + t.e * nr, t.f)
        arr = np.ma.masked_less_equal(density.array, 0)
        im = ax.imshow(
            arr,
            extent=ext,
            origin="upper",
            cmap="magma_r",
            alpha=0.85,
            interpolation="nearest",
            zorder=1,
        )
        im.set_gid("density")
        cax = fig.add_axes((0.8, 0.14, 0.025, 0.3))
        label = units_label(None, density.units)
        fig.colorbar(im, cax=cax, label=label)
        record["colorbar"] = {"label": label, "vmin": float(arr.min()), "vmax": float(arr.max())}
        params["density"] = (
            f"{density.kernel} kernel density, bandwidth {density.bandwidth_m:g} m, cell "
            f"{density.cell_m:g} m, {density.n_points} points"
        )
        if density.source:
            infos.append(dict(density.source))
        if b is None:
            extents.append(np.array([ext[0], ext[2], ext[1], ext[3]]))

    if b is not None:
        geoms = _in_crs(b.metric, b.metric_crs, crs)
        infos.insert(0, b.info.as_dict())
        extents.insert(0, np.asarray(shapely.total_bounds(geoms)))
        if choropleth is not None:
            import matplotlib as mpl

            values, name = _choropleth_values(b, choropleth)
            classes = classify(values, scheme=scheme, k=k)
            cmap = mpl.colormaps["YlOrRd"]
            n = len(classes.bins)
            colours = [cmap(v) for v in np.linspace(0.15, 0.95, n)]
            faces = [colours[c] if c >= 0 else "#cccccc" for c in classes.yb]
            _draw_geoms(
                ax,
                geoms,
                gid="choropleth",
                facecolors=faces,
                edgecolors="none",
                alpha=0.9,
                zorder=0.5,
            )
            handles += [
                Patch(facecolor=c, edgecolor="none", label=lab)
                for c, lab in zip(colours, classes.labels, strict=True)
            ]
            if (classes.yb < 0).any():
                handles.append(Patch(facecolor="#cccccc", label="no data"))
            unit = units_label(name, units)
            record["legend"] = {"title": unit, **classes.as_dict()}
            params["classes"] = f"{scheme}" + (f", k={classes.k}" if classes.k else "")
        _draw_geoms(ax, geoms, gid="boundaries", edgecolors=_EDGE, linewidths=0.9, zorder=3)
        handles.append(Line2D([], [], color=_EDGE, linewidth=0.9, label="boundaries"))
        if len(b) <= 12:
            for g, nm in zip(geoms, b.names, strict=True):
                p = g.representative_point()
                ax.text(
                    p.x, p.y, str(nm), fontsize=7, ha="center", va="center", zorder=4, color=_EDGE
                )

    if hotspots is not None:
        col, table = (
            ("hot_cold", _HOT) if "hot_cold" in hotspots.columns else ("quadrant", _QUADRANTS)
        )
        if col not in hotspots.columns:
            raise SchemaError(
                "hotspots: no 'hot_cold' or 'quadrant' column; pass the result of "
                "geodistrict.hotspots(...)."
            )
        cells = _frame_in(hotspots, crs, "hotspots")
        cls = hotspots[col].astype(str).to_numpy()
        attrs = hotspots.attrs.get("hotspots", {})
        stat = "Gi*" if col == "hot_cold" else "local Moran's I"
        for key, (colour, label) in table.items():
            m = cls == key
            if m.any():
                _draw_geoms(
                    ax,
                    cells[m],
                    gid=f"hotspots-{key}",
                    facecolors=colour,
                    edgecolors="none",
                    alpha=0.55,
                    zorder=2,
                )
                handles.append(
                    Patch(
                        facecolor=colour,
                        alpha=0.55,
                        label=f"{label} ({stat}, {int(m.sum())} cells)",
                    )
                )
        if attrs:
            params["hotspots"] = (
                f"{stat} on {attrs.get('cell_m', float('nan')):g} m cells, "
                f"{attrs.get('correction')} at {attrs.get('alpha')}"
                + (f", {attrs['permutations']} permutations" if attrs.get("permutations") else "")
            )
        if b is None and density is None:
            extents.append(np.asarray(shapely.total_bounds(cells)))

    if outlines is not None:
        og = _frame_in(outlines, crs, "outlines")
        _draw_geoms(
            ax, og, gid="outlines", edgecolors="#6a3d9a", linewidths=1.4, linestyles="--", zorder=5
        )
        handles.append(Line2D([], [], color="#6a3d9a", linestyle="--", label="cluster outline"))
        if b is None and density is None:
            extents.append(np.asarray(shapely.total_bounds(og)))

    for i, lay in enumerate(layers):
        lay_m = lay.to_crs(crs)
        colour = _POINT_COLOURS[i % len(_POINT_COLOURS)]
        sc = ax.scatter(
            lay_m.x,
            lay_m.y,
            s=6,
            color=colour,
            linewidths=0,
            zorder=6,
            rasterized=len(lay_m) > 5000,
        )
        sc.set_gid(f"points-{lay.name}")
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=4,
                color=colour,
                label=f"{lay.name} ({len(lay_m):,} points)",
            )
        )
        infos.append(lay.info.as_dict())
        if not extents and len(lay_m):
            extents.append(np.array([lay_m.x.min(), lay_m.y.min(), lay_m.x.max(), lay_m.y.max()]))

    ex = np.vstack(extents)
    x0, y0 = ex[:, 0].min(), ex[:, 1].min()
    x1, y1 = ex[:, 2].max(), ex[:, 3].max()
    pad = max(50.0, 0.05 * max(x1 - x0, y1 - y0))
    xlim, ylim = (float(x0 - pad), float(x1 + pad)), (float(y0 - pad), float(y1 + pad))

    deg, north = grid_north(crs, (xlim[0] + xlim[1]) / 2, (ylim[0] + ylim[1]) / 2)
    lines = [
        "Sources: " + " | ".join(_source_lines(infos)) if infos else "Sources: not recorded",
        f"CRS: {crs_label(crs)}, in metres; {north}.",
    ]
    if params:
        lines.append("Parameters: " + "; ".join(params.values()) + ".")
    lines.append(f"Made with geodistrict {__version__}.")
    fontsize = 6.5
    text, nlines = _footer(lines, figsize[0] - 0.3, fontsize)
    foot = min(0.45, (nlines * fontsize * 1.35 / 72 + 0.15) / figsize[1])
    fig.text(0.015, 0.01, text, fontsize=fontsize, ha="left", va="bottom", gid="footer")
    top = 0.94 if title else 0.98
    right = 0.74 if (handles or density is not None) else 0.98
    ax.set_position((0.02, foot + 0.02, right - 0.02, top - foot - 0.02))
    ax.set_anchor("NW")
    xlim, ylim = _fill_box(
        xlim, ylim, (right - 0.02) * figsize[0], (top - foot - 0.02) * figsize[1]
    )
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        fig.suptitle(title, x=0.02, y=0.985, ha="left", fontsize=12)
    bar = _scale_bar(ax, xlim, ylim)
    _north_arrow(ax)
    if handles:
        leg = fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.76, top),
            fontsize=7,
            title_fontsize=8,
            frameon=False,
            title=record["legend"]["title"] if record["legend"] else None,
        )
        leg.set_gid("legend")
    record.update(
        xlim=list(xlim),
        ylim=list(ylim),
        scale_bar=bar,
        north={"convergence_deg": deg, "statement": north},
        footer=lines,
        sources=[dict(s) for s in infos],
        parameters=params,
        figsize_in=list(figsize),
        dpi=dpi,
        geodistrict_version=__version__,
    )
    record["metres_per_pixel"] = list(metres_per_pixel(ax))
    return fig, record


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
    p = _check_path(path, "static_map")
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
    record["path"] = str(p)
    _save(fig, p, dpi, title=title or "geodistrict map", description=" ".join(record["footer"]))
    _write_record(p, record)
    return p


# ---------------------------------------------------------------------------------------------
# side-by-side panels at one scale
# ---------------------------------------------------------------------------------------------
