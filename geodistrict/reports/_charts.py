"""The report's images, both SVG: the location-quotient chart and the hot-spot map.

The chart is written as SVG directly; the map is drawn with matplotlib's object API (no pyplot
state, no display), so that reports can be built in a loop or a worker, and saved as SVG with
its text as text: the browser sets the words, which costs a third of rasterising them, prints
sharp and stays selectable in the PDF.
"""

from __future__ import annotations

import io
import math
from typing import Any

import pandas as pd

__all__ = [
    "LQ_COLOURS",
    "PRINT_WIDTH_MM",
    "lq_chart",
    "lq_class",
    "nice_ticks",
    "place_map",
    "printed_scale",
]

#: Width at which the report prints its images (A4 portrait less 14 mm margins, rounded down).
PRINT_WIDTH_MM = 170.0


def _svg(fig: Any) -> bytes:
    """The figure as an SVG document, text as ``<text>`` and the same bytes on every run."""
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "geodistrict"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "geodistrict"})
    return buf.getvalue()


#: Colours of the chart's classes (ColorBrewer RdBu, as the maps' diverging classes).
LQ_COLOURS = {
    "specialism": "#b2182b",
    "small": "#f4a582",
    "above": "#d1d1d1",
    "below": "#92c5de",
    "suppressed": "#ffffff",
}


def lq_class(lq: float, specialism: bool, min_lq: float) -> str:
    """The chart class of one sector (a key of :data:`LQ_COLOURS`).

    Examples
    --------
    >>> [lq_class(v, s, 1.25) for v, s in [(2.0, True), (1.4, False), (1.1, False), (0.5, False)]]
    ['specialism', 'small', 'above', 'below']
    >>> lq_class(float("nan"), False, 1.25)
    'suppressed'
    """
    if lq is None or (isinstance(lq, float) and math.isnan(lq)):
        return "suppressed"
    if specialism:
        return "specialism"
    if lq >= min_lq:
        return "small"
    return "below" if lq < 1 else "above"


def nice_ticks(hi: float, *, most: int = 8) -> list[float]:
    """Ticks 0, step, 2·step ... up to ``hi``, the step 1, 2, 2.5 or 5 × 10^k (at most ``most``).

    Examples
    --------
    >>> nice_ticks(2.0)
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
    >>> nice_ticks(7.3)
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    """
    raw = hi / most
    base = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= raw)
    n = int(math.floor(hi / step + 1e-9))
    return [round(k * step, 10) for k in range(n + 1)]


def lq_chart(
    table: pd.DataFrame,
    *,
    min_lq: float,
    min_count: float,
    title: str,
    dpi: float = 110,
) -> bytes:
    """Horizontal bars of every sector's location quotient, specialisms highlighted, as SVG.

    A vector image: it prints sharp at any size, its text is the browser's, and it is drawn in
    milliseconds (matplotlib took about half a second per report, mostly rasterising glyphs).

    Parameters
    ----------
    table : pandas.DataFrame
        The place's rows of :func:`geodistrict.location_quotients` (``sector_label``, ``lq``,
        ``count``, ``specialism``), drawn top to bottom in this order.
    min_lq, min_count : float
        The specialism rule (drawn as a dashed line and stated in the legend).
    title : str
    dpi : float
        Pixels per inch of the chart's nominal size (7.5 in wide, 0.28 in per sector).

    Returns
    -------
    bytes
        An SVG document (UTF-8).
    """
    from html import escape

    labels = table["sector_label"].astype(str).str.split(" : ", n=1).str[-1].map(_short)
    lqs = [float(v) if pd.notna(v) else math.nan for v in table["lq"]]
    counts = list(table["count"])
    special = [bool(v) for v in table["specialism"]]
    pt = dpi / 72.0  # pixels per point
    width = 7.5 * dpi
    row = 0.28 * dpi
    top, bottom = 0.32 * dpi, 0.9 * dpi
    height = top + row * len(lqs) + bottom
    left, right = 0.42 * width, 0.97 * width
    finite = [v for v in lqs if not math.isnan(v)]
    xmax = max(2.0, max(finite, default=0.0) * 1.15)

    def x(v: float) -> float:
        return left + (right - left) * v / xmax

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.1f} {height:.1f}" font-family="DejaVu Sans, Arial, sans-serif">',
        f"<title>{escape(title)}</title>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="{left:.1f}" y="{top - 0.4 * row:.1f}" font-size="{9 * pt:.1f}">'
        f"{escape(title)}</text>",
    ]
    bottom_y = top + row * len(lqs)
    for t in nice_ticks(xmax):
        out.append(
            f'<line x1="{x(t):.1f}" y1="{bottom_y:.1f}" x2="{x(t):.1f}" y2="{bottom_y + 4:.1f}" '
            f'stroke="#333333" stroke-width="0.8"/><text x="{x(t):.1f}" '
            f'y="{bottom_y + 4 + 7 * pt:.1f}" font-size="{7 * pt:.1f}" text-anchor="middle">'
            f"{t:g}</text>"
        )
    for k, (lab, v, c, sp) in enumerate(zip(labels, lqs, counts, special, strict=True)):
        yc = top + row * (k + 0.5)
        colour = LQ_COLOURS[lq_class(v, sp, min_lq)]
        w = 0.0 if math.isnan(v) else x(v) - left
        text = f"{lab} ({int(c):,})" if pd.notna(c) else f"{lab} (suppressed)"
        out.append(
            f'<rect x="{left:.1f}" y="{yc - 0.4 * row:.1f}" width="{w:.1f}" '
            f'height="{0.8 * row:.1f}" fill="{colour}" stroke="#555555" stroke-width="0.5"/>'
            f'<text x="{left - 5:.1f}" y="{yc:.1f}" font-size="{7 * pt:.1f}" '
            f'text-anchor="end" dominant-baseline="central">{escape(text)}</text>'
        )
        if not math.isnan(v):
            out.append(
                f'<text x="{x(v) + 3:.1f}" y="{yc:.1f}" font-size="{6.5 * pt:.1f}" '
                f'dominant-baseline="central">{v:.2f}</text>'
            )
    out.append(
        f'<line x1="{left:.1f}" y1="{top:.1f}" x2="{left:.1f}" y2="{bottom_y:.1f}" '
        f'stroke="#333333" stroke-width="0.8"/><line x1="{left:.1f}" y1="{bottom_y:.1f}" '
        f'x2="{right:.1f}" y2="{bottom_y:.1f}" stroke="#333333" stroke-width="0.8"/>'
    )
    for v, colour, dash in ((1.0, "#333333", ""), (min_lq, "#b2182b", ' stroke-dasharray="5 3"')):
        out.append(
            f'<line x1="{x(v):.1f}" y1="{top:.1f}" x2="{x(v):.1f}" y2="{bottom_y:.1f}" '
            f'stroke="{colour}" stroke-width="1.1"{dash}/>'
        )
    out.append(
        f'<text x="{(left + right) / 2:.1f}" y="{bottom_y + 4 + 18 * pt:.1f}" '
        f'font-size="{8 * pt:.1f}" text-anchor="middle">'
        "location quotient (1 = the reference&#8217;s share)</text>"
    )
    legend = [
        ("specialism", f"specialism (LQ ≥ {min_lq:g}, ≥ {min_count:,.0f})"),
        ("small", f"LQ ≥ {min_lq:g}, fewer than {min_count:,.0f}"),
        ("above", "1 ≤ LQ below the rule"),
        ("below", "LQ below 1"),
    ]
    for k, (key, text) in enumerate(legend):
        lx = 0.02 * width + (k % 2) * 0.36 * width
        ly = height - 0.3 * dpi + (k // 2) * 9 * pt
        out.append(
            f'<rect x="{lx:.1f}" y="{ly - 3.5 * pt:.1f}" width="{10 * pt:.1f}" '
            f'height="{6 * pt:.1f}" fill="{LQ_COLOURS[key]}"/><text x="{lx + 13 * pt:.1f}" '
            f'y="{ly:.1f}" font-size="{6.5 * pt:.1f}" dominant-baseline="central">'
            f"{escape(text)}</text>"
        )
    out.append("</svg>")
    return "".join(out).encode("utf-8")


def _short(label: str, width: int = 42) -> str:
    """A sector label cut to ``width`` characters, its section letters kept.

    Examples
    --------
    >>> _short("Arts, entertainment, recreation & other services (R,S,T and U)")
    'Arts, entertainment, recrea… (R,S,T and U)'
    """
    if len(label) <= width or "(" not in label:
        return label if len(label) <= width else label[: width - 1] + "…"
    head, _, tail = label.rpartition(" (")
    keep = max(8, width - len(tail) - 3)
    return f"{head[:keep].rstrip(' ,&')}… ({tail}"


def printed_scale(metres_per_pixel: float, fig_width_px: float, width_mm: float) -> float:
    """The representative fraction 1:N of an image printed ``width_mm`` wide.

    Examples
    --------
    >>> round(printed_scale(100.0, 1000, 200.0))   # 100 km of ground on 200 mm of paper
    500000
    """
    ground_m = metres_per_pixel * fig_width_px
    return ground_m / (width_mm / 1000.0)


def place_map(
    place: Any,
    *,
    hotspots: Any = None,
    outlines: Any = None,
    points: Any = (),
    title: str,
    dpi: float = 110,
    figsize: tuple[float, float] = (8.0, 6.5),
) -> tuple[bytes, dict[str, Any]]:
    """The place with its Gi* hot and cold cells, cluster outlines and points, as SVG.

    Parameters
    ----------
    place : Boundaries
        One feature.
    hotspots : geopandas.GeoDataFrame, optional
        From :func:`geodistrict.hotspots`.
    outlines : geopandas.GeoDataFrame, optional
        Cluster outlines.
    points : sequence of PointLayer
    title : str
    dpi : float
    figsize : (float, float)
        Inches.

    Returns
    -------
    (bytes, dict)
        The SVG document and the map's record (CRS, limits, scale bar, footer) with ``scale``: the
        sentence that states the printed scale at :data:`PRINT_WIDTH_MM`.
    """
    from ..figures import format_length
    from ..figures.static import static_map_figure

    fig, record = static_map_figure(
        boundaries=place,
        hotspots=hotspots,
        outlines=outlines,
        points=list(points),
        title=title,
        figsize=figsize,
        dpi=dpi,
    )
    image = _svg(fig)
    mpp = float(record["metres_per_pixel"][0])
    width_px = figsize[0] * dpi
    n = printed_scale(mpp, width_px, PRINT_WIDTH_MM)
    n = float(f"{n:.2g}") if n >= 100 else n
    cm = n / 100_000.0  # km of ground per cm of paper
    bar = record.get("scale_bar") or {}
    bar_txt = f" The scale bar shows {bar['label']}." if bar.get("label") else ""
    record["scale"] = (
        f"Scale about 1:{n:,.0f} printed {PRINT_WIDTH_MM:.0f} mm wide (1 cm = "
        f"{format_length(cm * 1000) if not math.isnan(cm) else '–'}); drawn as vector "
        f"graphics ({mpp:,.0f} m per pixel at {dpi:g} dpi); {record['crs']}.{bar_txt}"
    )
    record["printed_scale"] = n
    return image, record
