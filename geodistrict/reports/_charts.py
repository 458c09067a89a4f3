"""The report's images: the location-quotient chart and the hot-spot map, as PNG bytes.

Both are drawn with matplotlib's object API (no pyplot state, no display) so that reports can
be built in a loop or a worker.
"""

from __future__ import annotations

import io
import math
from typing import Any

import pandas as pd

__all__ = ["lq_chart", "place_map", "PRINT_WIDTH_MM", "printed_scale"]

#: Width at which the report prints its images (A4 portrait less 14 mm margins, rounded down).
PRINT_WIDTH_MM = 170.0


def _png(fig: Any, dpi: float) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": "geodistrict"})
    return buf.getvalue()


def lq_chart(
    table: pd.DataFrame,
    *,
    min_lq: float,
    min_count: float,
    title: str,
    dpi: float = 110,
) -> bytes:
    """Horizontal bars of every sector's location quotient, specialisms highlighted.

    Parameters
    ----------
    table : pandas.DataFrame
        The place's rows of :func:`geodistrict.location_quotients` (``sector_label``, ``lq``,
        ``count``, ``specialism``).
    min_lq, min_count : float
        The specialism rule (drawn as a line and stated in the legend).
    title : str
    dpi : float

    Returns
    -------
    bytes
        A PNG image.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    t = table.copy()
    t["label"] = t["sector_label"].astype(str).str.split(" : ", n=1).str[-1].map(_short)
    t = t.iloc[::-1]
    fig = Figure(figsize=(7.5, 0.28 * len(t) + 1.3))
    ax = fig.add_axes((0.42, 0.12, 0.55, 0.8))
    colours = []
    for _, r in t.iterrows():
        if pd.isna(r["lq"]):
            colours.append("#ffffff")
        elif r["specialism"]:
            colours.append("#b2182b")
        elif r["lq"] >= min_lq:
            colours.append("#f4a582")
        else:
            colours.append("#92c5de" if r["lq"] < 1 else "#d1d1d1")
    y = range(len(t))
    ax.barh(list(y), t["lq"].fillna(0).to_numpy(), color=colours, edgecolor="#555555", lw=0.4)
    ax.set_yticks(list(y), [f"{lab} ({int(c):,})" if pd.notna(c) else f"{lab} (suppressed)"
                            for lab, c in zip(t["label"], t["count"], strict=True)],
                  fontsize=7)  # fmt: skip
    ax.axvline(1.0, color="#333333", lw=0.8)
    ax.axvline(min_lq, color="#b2182b", lw=0.8, ls="--")
    ax.set_xlabel("location quotient (1 = the reference's share)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    for yy, v in zip(y, t["lq"], strict=True):
        if pd.notna(v):
            ax.text(v, yy, f" {v:.2f}", va="center", fontsize=6.5)
    ax.set_xlim(0, max(2.0, float(t["lq"].max(skipna=True) or 0) * 1.15))
    ax.set_title(title, fontsize=9, loc="left")
    fig.legend(
        handles=[
            Patch(color="#b2182b", label=f"specialism (LQ ≥ {min_lq:g}, ≥ {min_count:,.0f})"),
            Patch(color="#f4a582", label=f"LQ ≥ {min_lq:g}, fewer than {min_count:,.0f}"),
            Patch(color="#d1d1d1", label="1 ≤ LQ below the rule"),
            Patch(color="#92c5de", label="LQ below 1"),
        ],
        loc="lower left",
        ncol=2,
        fontsize=6.5,
        frameon=False,
        bbox_to_anchor=(0.0, 0.0),
    )
    return _png(fig, dpi)


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
    """The place with its Gi* hot and cold cells, cluster outlines and points, as a PNG.

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
        The PNG and the map's record (CRS, limits, scale bar, footer) with ``scale``: the
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
    png = _png(fig, dpi)
    mpp = float(record["metres_per_pixel"][0])
    width_px = figsize[0] * dpi
    n = printed_scale(mpp, width_px, PRINT_WIDTH_MM)
    n = float(f"{n:.2g}") if n >= 100 else n
    cm = n / 100_000.0  # km of ground per cm of paper
    bar = record.get("scale_bar") or {}
    bar_txt = f" The scale bar shows {bar['label']}." if bar.get("label") else ""
    record["scale"] = (
        f"Scale about 1:{n:,.0f} printed {PRINT_WIDTH_MM:.0f} mm wide (1 cm = "
        f"{format_length(cm * 1000) if not math.isnan(cm) else '–'}); {mpp:,.0f} m per pixel "
        f"at {dpi:g} dpi; {record['crs']}.{bar_txt}"
    )
    record["printed_scale"] = n
    return png, record
