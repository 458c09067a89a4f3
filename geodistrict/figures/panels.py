"""Side-by-side panels of districts at the same metres per pixel (PNG/SVG/HTML)."""

from __future__ import annotations

import base64
import html
import io
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from .._version import __version__
from ..boundaries import Boundaries, prepare_boundaries
from ..errors import GeodistrictWarning, InputFileError, ParameterError
from ..layers import PointLayer

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


from ._common import (
    EDGE,
    POINT_COLOURS,
    ROUND_STEPS,
    as_boundaries,
    as_layer,
    check_path,
    crs_label,
    draw_geoms,
    draw_north_arrow,
    draw_scale_bar,
    format_length,
    grid_north,
    import_matplotlib,
    metres_per_pixel,
    source_lines,
    wrap_footer,
    write_figure,
)


def _round_up(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ at least ``value``."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(s * power for s in ROUND_STEPS if s * power >= value * (1 - 1e-12))


def same_scale_limits(
    bounds: Sequence[Sequence[float]],
    *,
    panel_px: float,
    width_m: float | None = None,
    margin: float = 0.1,
) -> tuple[float, list[tuple[tuple[float, float], tuple[float, float]]]]:
    """Square views of one ground width, each centred on its bounds.

    Parameters
    ----------
    bounds : sequence of (minx, miny, maxx, maxy)
        Each district's bounds in its own metric CRS.
    panel_px : float
        Side of a panel in pixels (inches × dpi).
    width_m : float, optional
        Ground width of every panel; by default the largest side plus ``margin`` on each side,
        rounded up to a round number of metres per pixel (so that every district fits).
    margin : float
        Fraction of the largest side added on each side by default.

    Returns
    -------
    (float, list of ((x0, x1), (y0, y1)))
        Metres per pixel and each panel's limits.

    Examples
    --------
    >>> mpp, lims = same_scale_limits([(0, 0, 200, 200), (0, 0, 3000, 1000)], panel_px=600)
    >>> mpp, lims[0], lims[1]  # 3000 m + 2 x 10 % = 3600 m = 6 m per pixel
    (6.0, ((-1700.0, 1900.0), (-1700.0, 1900.0)), ((-300.0, 3300.0), (-1300.0, 2300.0)))
    """
    b = np.asarray(bounds, dtype="float64").reshape(-1, 4)
    if len(b) == 0:
        raise ParameterError("compare: give at least one district.")
    sides = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    if width_m is None:
        need = float(sides.max()) * (1 + 2 * margin)
        mpp = _round_up(max(need, 1.0) / panel_px)
    else:
        if not (math.isfinite(width_m) and width_m > 0):
            raise ParameterError(f"width_m={width_m!r}: give a positive width in metres.")
        mpp = float(width_m) / panel_px
    half = mpp * panel_px / 2
    lims = []
    for x0, y0, x1, y1 in b:
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        lims.append(((float(cx - half), float(cx + half)), (float(cy - half), float(cy + half))))
    return mpp, lims


def scale_statement(mpp: float, dpi: float, *, width_m: float, panel_in: float) -> str:
    """The sentence that states the common scale of the panels.

    Examples
    --------
    >>> print(scale_statement(6.0, 150, width_m=3600, panel_in=4))  # doctest: +NORMALIZE_WHITESPACE
    All panels at the same scale: 6 m per pixel at 150 dpi (3.6 km × 3.6 km per panel;
    1:35,400 printed 4 in wide).
    """
    ratio = width_m / (panel_in * 0.0254)
    ratio = float(f"{ratio:.3g}")
    return (
        f"All panels at the same scale: {mpp:.4g} m per pixel at {dpi:g} dpi "
        f"({format_length(width_m)} × {format_length(width_m)} per panel; 1:{ratio:,.0f} "
        f"printed {panel_in:g} in wide)."
    )


def _districts(districts: Any) -> list[Boundaries]:
    """Each district in its own local metric CRS (slugs and paths resolved one at a time)."""
    from ..districts.registry import resolve_district

    if isinstance(districts, Boundaries):  # one panel per feature, each measured locally
        d = districts.data
        return [
            prepare_boundaries(
                d.iloc[[i]].reset_index(drop=True),
                id="id",
                name="name",
                source=f"{districts.info.source} [{d['id'].iloc[i]}]",
                info=districts.info,
            )
            for i in range(len(d))
        ]
    if isinstance(districts, str | Path):
        districts = [districts]
    out = []
    for i, d in enumerate(districts):
        out.append(
            resolve_district(d)
            if isinstance(d, str | Path)
            else as_boundaries(d, f"districts[{i}]")
        )
    if not out:
        raise ParameterError("compare: give at least one district (a slug, a file or Boundaries).")
    return out


@dataclass(frozen=True)
class _Plan:
    districts: list[Boundaries]
    titles: list[str]
    limits: list[tuple[tuple[float, float], tuple[float, float]]]
    mpp: float
    width_m: float
    panel_in: float
    dpi: float


def _plan(
    districts: Any,
    *,
    width_m: float | None,
    titles: Sequence[str] | None,
    panel_in: float,
    dpi: float,
    margin: float,
) -> _Plan:
    """The districts, titles and same-scale limits of the panels; warns of a cropped district."""
    if not (panel_in > 0 and dpi > 0):
        raise ParameterError(f"panel_in={panel_in!r}, dpi={dpi!r}: both must be positive.")
    ds = _districts(districts)
    bounds = [shapely.total_bounds(b.metric) for b in ds]
    if titles is None:
        titles = [" / ".join(str(n) for n in b.names) for b in ds]
    names = [str(t) for t in titles]
    if len(names) != len(ds):
        raise ParameterError(f"titles: {len(names)} titles for {len(ds)} districts; give one each.")
    mpp, lims = same_scale_limits(bounds, panel_px=panel_in * dpi, width_m=width_m, margin=margin)
    width = mpp * panel_in * dpi
    for t, bd in zip(names, bounds, strict=True):
        side = max(bd[2] - bd[0], bd[3] - bd[1])
        if side > width:
            warnings.warn(
                f"{t}: {side:,.0f} m across, wider than the {width:,.0f} m panels; it is cropped "
                f"(leave width_m out, or give width_m >= {side:,.0f}).",
                GeodistrictWarning,
                stacklevel=3,
            )
    return _Plan(ds, names, lims, mpp, width, panel_in, dpi)


def _panel_layers(points: Sequence[Any]) -> list[PointLayer]:
    return [as_layer(p, i) for i, p in enumerate(points)]


def _draw_panel(ax: Axes, b: Boundaries, lims, layers: list[PointLayer]) -> dict[str, Any]:
    (x0, x1), (y0, y1) = lims
    draw_geoms(
        ax,
        b.metric,
        gid="district",
        facecolors="#3b6ea8",
        edgecolors=EDGE,
        linewidths=1.0,
        alpha=0.25,
        zorder=2,
    )
    draw_geoms(ax, b.metric, gid="district-edge", edgecolors=EDGE, linewidths=1.0, zorder=3)
    drawn = False
    for i, lay in enumerate(layers):
        # cut the layer to the panel first (a national layer need not be reprojected whole)
        from ..crs import transformer

        tr = transformer(b.metric_crs, lay.crs)
        bx0, by0, bx1, by1 = tr.transform_bounds(x0, y0, x1, y1, densify_pts=21)
        near = (lay.x >= bx0) & (lay.x <= bx1) & (lay.y >= by0) & (lay.y <= by1)
        if not near.any():
            continue
        from ..crs import transform_xy

        px, py = transform_xy(lay.x[near], lay.y[near], lay.crs, b.metric_crs)
        inside = (px >= x0) & (px <= x1) & (py >= y0) & (py <= y1)
        colour = POINT_COLOURS[i % len(POINT_COLOURS)]
        ax.scatter(
            px[inside],
            py[inside],
            s=5,
            color=colour,
            linewidths=0,
            zorder=6,
            label=f"{lay.name} ({int(inside.sum()):,})",
        )
        drawn = True
    if drawn:
        ax.legend(loc="lower right", fontsize=6, frameon=True, framealpha=0.8, markerscale=1.5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xticks([])
    ax.set_yticks([])
    bar = draw_scale_bar(ax, (x0, x1), (y0, y1))
    draw_north_arrow(ax)
    deg, north = grid_north(b.metric_crs, (x0 + x1) / 2, (y0 + y1) / 2)
    return {"scale_bar": bar, "convergence_deg": deg, "north": north}


def _compare_draw(
    plan: _Plan, idx: Sequence[int], layers: list[PointLayer], *, ncols: int | None, footer: bool
) -> tuple[Figure, dict[str, Any]]:
    import_matplotlib()
    from matplotlib.figure import Figure

    n = len(idx)
    ncols = max(1, min(n, ncols or min(n, 3)))
    nrows = math.ceil(n / ncols)
    w, pad, title_h = plan.panel_in, 0.25, 0.5
    # whole pixels, so that the saved image is exactly the figure (axes are placed in inches)
    figw = math.ceil((ncols * w + (ncols + 1) * pad) * plan.dpi - 1e-9) / plan.dpi
    statement = scale_statement(plan.mpp, plan.dpi, width_m=plan.width_m, panel_in=w)
    panels: list[dict[str, Any]] = []
    fontsize = 6.5
    lines: list[str] = []
    foot_h = 0.0
    body_h = nrows * (w + title_h + pad) + pad
    fig = Figure(dpi=plan.dpi)
    axes = []
    for j, i in enumerate(idx):
        b = plan.districts[i]
        r, c = divmod(j, ncols)
        axes.append((b, r, c, i))
    infos: list[Mapping[str, Any]] = [b.info.as_dict() for b, *_ in axes]
    infos += [lay.info.as_dict() for lay in layers]
    if footer:
        lines = [
            statement,
            "Each panel is centred on its district and drawn in its own metric CRS; north "
            "arrows show grid north.",
            "Sources: " + " | ".join(source_lines(infos)),
            f"Made with geodistrict {__version__}.",
        ]
    # the footer's height depends on the north notes, known once the panels are drawn: lay out
    # with a provisional footer, then move the axes (positions are set in inches, exactly)
    records = []
    ax_list = []
    for b, _r, _c, i in axes:
        ax = fig.add_axes((0, 0, 1, 1))
        rec = _draw_panel(ax, b, plan.limits[i], layers)
        ax.set_title(f"{plan.titles[i]}\n{crs_label(b.metric_crs)}", fontsize=8)
        records.append(rec)
        ax_list.append(ax)
        if footer:
            lines.insert(-2, f"{plan.titles[i]}: {rec['north']}.")
    if footer:
        text, nl = wrap_footer(lines, figw - 2 * pad, fontsize)
        foot_h = nl * fontsize * 1.35 / 72 + pad
        fig.text(pad / figw, 0.004, text, fontsize=fontsize, ha="left", va="bottom", gid="footer")
    figh = math.ceil((body_h + foot_h) * plan.dpi - 1e-9) / plan.dpi
    fig.set_size_inches(figw, figh)
    for (b, r, c, i), ax, rec in zip(axes, ax_list, records, strict=True):
        left = pad + c * (w + pad)
        bottom = figh - pad - (r + 1) * (w + title_h) - r * pad
        ax.set_position((left / figw, bottom / figh, w / figw, w / figh))
        mx, my = metres_per_pixel(ax)
        (x0, x1), (y0, y1) = plan.limits[i]
        panels.append(
            {
                "id": " / ".join(str(v) for v in b.ids),
                "title": plan.titles[i],
                "crs": b.metric_crs.to_string(),
                "xlim": [x0, x1],
                "ylim": [y0, y1],
                "district_bounds": [float(v) for v in shapely.total_bounds(b.metric)],
                "axes_in": [left, bottom, w, w],
                "metres_per_pixel": [mx, my],
                "scale_bar": rec["scale_bar"],
                "convergence_deg": rec["convergence_deg"],
            }
        )
    record = {
        "statement": statement,
        "metres_per_pixel": plan.mpp,
        "dpi": plan.dpi,
        "panel_in": w,
        "panel_px": w * plan.dpi,
        "width_m": plan.width_m,
        "height_m": plan.width_m,
        "figsize_in": [figw, figh],
        "panels": panels,
        "footer": lines,
        "sources": [dict(s) for s in infos],
        "geodistrict_version": __version__,
    }
    return fig, record


def compare_figure(
    districts: Any,
    *,
    width_m: float | None = None,
    points: Sequence[Any] = (),
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    dpi: float = 150,
    panel_in: float = 4.0,
    margin: float = 0.1,
) -> tuple[Figure, dict[str, Any]]:
    """Build the figure of :func:`compare_panels` without writing it; see there.

    Returns
    -------
    (matplotlib.figure.Figure, dict)
        The figure and its record: ``statement``, ``metres_per_pixel``, ``width_m``,
        ``panel_in``, ``dpi`` and, per panel, ``xlim``/``ylim`` (metres, in the panel's
        ``crs``), ``district_bounds`` and the measured ``metres_per_pixel``.
    """
    plan = _plan(
        districts, width_m=width_m, titles=titles, panel_in=panel_in, dpi=dpi, margin=margin
    )
    return _compare_draw(
        plan, range(len(plan.districts)), _panel_layers(points), ncols=ncols, footer=True
    )


def compare_panels(
    districts: Any,
    path: str | Path,
    *,
    width_m: float | None = None,
    points: Sequence[Any] = (),
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    dpi: float = 150,
    panel_in: float = 4.0,
    margin: float = 0.1,
) -> Path:
    """Districts side by side at one scale: one panel each, the same metres per pixel in all.

    Every panel is a square axes of ``panel_in`` inches showing the same ground width in
    metres, centred on its district and drawn in the district's own local metric CRS (slugs and
    files are resolved one at a time with
    :func:`geodistrict.districts.registry.resolve_district`), with
    the same scale bar; the footer states the common scale.

    Parameters
    ----------
    districts : sequence of str, Path or Boundaries, or one Boundaries
        Shipped slugs (``"22at-barcelona"``), polygon files, or boundary sets (one panel each;
        a single Boundaries gives one panel per feature, each measured in its own local CRS).
    path : str or pathlib.Path
        ``.png``, ``.svg`` or ``.pdf``. The record (per-panel limits, scale) goes to
        :func:`sidecar_path`.
    width_m : float, optional
        Ground width (and height) of every panel in metres; by default the largest district
        plus ``margin`` on each side, rounded up to a round number of metres per pixel.
    points : sequence of PointLayer or point GeoDataFrame
        Drawn in every panel where they fall.
    titles : sequence of str, optional
        One per district (default: the district names).
    ncols : int, optional
        Panels per row (default: up to 3).
    dpi : float
        Pixels per inch; metres per pixel = ``width_m / (panel_in × dpi)``.
    panel_in : float
        Side of each panel in inches.
    margin : float
        See ``width_m``.

    Returns
    -------
    pathlib.Path
    """
    p = check_path(path, "compare_panels")
    fig, record = compare_figure(
        districts,
        width_m=width_m,
        points=points,
        titles=titles,
        ncols=ncols,
        dpi=dpi,
        panel_in=panel_in,
        margin=margin,
    )
    return write_figure(fig, record, p, dpi, title="districts at the same scale",
                        description=record["statement"])  # fmt: skip


def compare_panels_html(
    districts: Any,
    path: str | Path,
    *,
    width_m: float | None = None,
    points: Sequence[Any] = (),
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    dpi: float = 150,
    panel_in: float = 4.0,
    margin: float = 0.1,
) -> Path:
    """An HTML page of the panels of :func:`compare_panels`, one inline PNG per district.

    Each ``<img>`` is a separate PNG of the same pixel size, shown at its natural size, with
    the scale statement, the sources and the record (``<script type="application/json"
    id="geodistrict-record">``) on the page. Parameters as :func:`compare_panels`; ``ncols``
    breaks the row after that many images (by default the browser wraps them).

    Returns
    -------
    pathlib.Path
    """
    p = Path(path)
    if p.suffix.lower() not in (".html", ".htm"):
        raise ParameterError(f"{p}: compare_panels_html writes .html; change the extension.")
    if not p.parent.exists():
        raise InputFileError(f"{p}: the folder {p.parent} does not exist; create it first.")
    plan = _plan(
        districts, width_m=width_m, titles=titles, panel_in=panel_in, dpi=dpi, margin=margin
    )
    layers = _panel_layers(points)
    figures, panels, infos = [], [], []
    for i in range(len(plan.districts)):
        fig, rec = _compare_draw(plan, [i], layers, ncols=1, footer=False)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=plan.dpi)
        px = [round(v * plan.dpi) for v in rec["figsize_in"]]
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        alt = html.escape(f"{plan.titles[i]} at {plan.mpp:.4g} m per pixel")
        b = plan.districts[i]
        centre = [sum(v) / 2 for v in plan.limits[i]]
        caption = f"{plan.titles[i]} — {crs_label(b.metric_crs)}; "
        caption += grid_north(b.metric_crs, *centre)[1]
        figures.append(
            f'<figure><img src="data:image/png;base64,{data}" width="{px[0]}" '
            f'height="{px[1]}" alt="{alt}"><figcaption>{html.escape(caption)}</figcaption>'
            "</figure>"
        )
        if ncols and (i + 1) % ncols == 0:
            figures.append("<br>")
        panels += rec["panels"]
        infos += [s for s in rec["sources"] if s not in infos]
    statement = scale_statement(plan.mpp, plan.dpi, width_m=plan.width_m, panel_in=plan.panel_in)
    record = {
        "statement": statement,
        "metres_per_pixel": plan.mpp,
        "dpi": plan.dpi,
        "panel_in": plan.panel_in,
        "width_m": plan.width_m,
        "panels": panels,
        "sources": infos,
        "geodistrict_version": __version__,
    }
    sources = "".join(f"<li>{html.escape(s)}</li>" for s in source_lines(infos))
    # JSON in a script element is not entity-decoded: only "</" needs breaking up
    blob = json.dumps(record, default=str).replace("</", "<\\/")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Districts at the same scale</title>
<style>body{{font-family:sans-serif;margin:1.5em}}figure{{display:inline-block;margin:0 1em 1em 0;
vertical-align:top}}img{{image-rendering:pixelated;max-width:none}}figcaption{{font-size:.8em;
max-width:{round(plan.panel_in * plan.dpi)}px}}.scale{{font-weight:bold}}</style></head><body>
<h1>Districts at the same scale</h1>
<p class="scale">{html.escape(statement)}</p>
<p>Each panel is centred on its district and drawn in its own metric CRS; north arrows show
grid north. Images are shown at 100&nbsp;% (one image pixel per CSS pixel).</p>
{"".join(figures)}
<h2>Sources</h2><ul>{sources}</ul>
<p>Made with geodistrict {html.escape(__version__)}.</p>
<script type="application/json" id="geodistrict-record">{blob}</script>
</body></html>
"""
    p.write_text(page, encoding="utf-8")
    return p
