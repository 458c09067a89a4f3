"""Classification (mapclassify), colours, and the legend, title and footer of a map.

Every text that comes from data — names, units, attributions, parameters — goes through
:func:`esc` (``html.escape``) here, at the one place where HTML is written.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from ..classify import SCHEME_TEXT, Classification, format_number
from ..classify import SCHEMES as CLASSIFY_SCHEMES
from ..classify import classify as classify_values

__all__ = ["SCHEMES", "Classes", "classify", "column_label"]

#: Classification schemes of the maps: option value -> mapclassify class name.
SCHEMES = {
    name: CLASSIFY_SCHEMES[name][0] for name in ("quantiles", "natural_breaks", "equal_interval")
}
#: Classes of a choropleth (:class:`geodistrict.classify.Classification`).
Classes = Classification

#: Colour map of choropleths and aggregated points (light = low).
SEQUENTIAL = "YlOrRd"
NO_DATA = "#d9d9d9"


def esc(value: Any) -> str:
    """HTML-escape any value (quotes included), and its braces.

    folium re-reads every element's output as a Jinja template, so ``{{ ... }}`` in a name
    would be evaluated when the page is rendered; as ``&#123;`` it is shown as written.
    """
    text = html.escape("" if value is None else str(value), quote=True)
    return text.replace("{", "&#123;").replace("}", "&#125;")


#: A number for people (:func:`geodistrict.classify.format_number`).
fmt = format_number


def column_label(column: str) -> str:
    """Readable label with units from a profile column name.

    Examples
    --------
    >>> column_label("universities_per_km2")
    'universities per km²'
    >>> column_label("firms_count__C")
    'firms count: C'
    >>> column_label("floorspace_m2")
    'floorspace (m²)'
    """
    s = str(column)
    s = s.replace("__", ": ")
    s = re.sub(r"_per_km2\b", " per km²", s)
    s = re.sub(r"_per_ha\b", " per ha", s)
    m = re.search(r"_(km2|m2|ha|m)$", s)
    if m:
        unit = {"km2": "km²", "m2": "m²", "ha": "ha", "m": "m"}[m.group(1)]
        s = s[: m.start()] + f" ({unit})"
    return s.replace("_", " ")


def classify(values: Any, *, scheme: str = "quantiles", k: int = 5) -> Classification:
    """Classify values for a map's legend (:func:`geodistrict.classify.classify`).

    The schemes are those of :data:`SCHEMES`, and at least 2 classes are asked for.

    Examples
    --------
    >>> c = classify([1, 2, 3, 4, 100], scheme="equal_interval", k=2)
    >>> c.bins.tolist(), c.yb.tolist()
    ([50.5, 100.0], [0, 0, 0, 0, 1])
    """
    return classify_values(values, scheme=scheme, k=k, schemes=SCHEMES, min_k=2)


def palette(n: int, cmap: str = SEQUENTIAL) -> list[str]:
    """``n`` hex colours along a matplotlib colour map (light to dark)."""
    import matplotlib
    from matplotlib.colors import to_hex

    cm = matplotlib.colormaps[cmap]
    if n == 1:
        return [to_hex(cm(0.6))]
    return [to_hex(cm(0.1 + 0.85 * i / (n - 1))) for i in range(n)]


# ---------------------------------------------------------------------------------------------
# legend blocks (each returns HTML; every data text escaped)


def classes_block(
    title: str,
    subtitle: str,
    classes: Classes,
    colours: Sequence[str],
    missing: int = 0,
    noun: str = "areas",
) -> str:
    """A choropleth legend: one swatch per class with its bounds and the number of areas."""
    rows = []
    for i, (label, colour) in enumerate(zip(classes.labels(), colours, strict=True)):
        lower = classes.minimum if i == 0 else float(classes.bins[i - 1])
        rows.append(
            f'<li class="gd-class" data-lower="{lower!r}" data-upper="{float(classes.bins[i])!r}">'
            f'<i style="background:{colour}"></i>{esc(label)} '
            f'<span class="gd-n">({int(classes.counts[i])})</span></li>'
        )
    if missing:
        rows.append(
            f'<li><i style="background:{NO_DATA}"></i>no data '
            f'<span class="gd-n">({missing})</span></li>'
        )
    notes = "".join(f'<div class="gd-note">{esc(n)}</div>' for n in classes.notes)
    return (
        f'<div class="gd-block" data-scheme="{esc(classes.scheme)}" data-k="{classes.k}">'
        f'<div class="gd-h">{esc(title)}</div><div class="gd-sub">{esc(subtitle)}</div>'
        f'<ul class="gd-classes">{"".join(rows)}</ul>'
        f'<div class="gd-note">classes include their upper bound; ({esc(noun)} per class)</div>'
        f"{notes}</div>"
    )


def scheme_text(classes: Classes) -> str:
    """``quantiles, 5 classes`` (mapclassify's scheme, in words)."""
    return f"{SCHEME_TEXT[classes.scheme]}, {classes.k} classes"


def colourbar_block(
    title: str, subtitle: str, stops: Sequence[str], ticks: Sequence[tuple[float, float]], note: str
) -> str:
    """A continuous colour bar: ``ticks`` are (position 0-1, value)."""
    grad = ", ".join(stops)
    marks = "".join(
        f'<span class="gd-tick" style="left:{100 * pos:.1f}%">{esc(fmt(v, 3))}</span>'
        for pos, v in ticks
    )
    return (
        f'<div class="gd-block"><div class="gd-h">{esc(title)}</div>'
        f'<div class="gd-sub">{esc(subtitle)}</div>'
        f'<div class="gd-bar" style="background:linear-gradient(to right, {grad})"></div>'
        f'<div class="gd-ticks">{marks}</div><div class="gd-note">{esc(note)}</div></div>'
    )


def swatch_block(title: str, items: Sequence[tuple[str, str, str]], note: str = "") -> str:
    """A legend of symbols: (colour, shape "dot"/"box"/"line", label)."""
    rows = "".join(
        f'<li><i class="gd-{shape}" style="--c:{colour}"></i>{esc(label)}</li>'
        for colour, shape, label in items
    )
    extra = f'<div class="gd-note">{esc(note)}</div>' if note else ""
    return (
        f'<div class="gd-block"><div class="gd-h">{esc(title)}</div>'
        f'<ul class="gd-classes">{rows}</ul>{extra}</div>'
    )


CSS = """
.gd-title{position:fixed;top:10px;left:50%;transform:translateX(-50%);z-index:1000;
 background:rgba(255,255,255,.92);padding:4px 12px;border-radius:4px;font:600 16px/1.3 sans-serif;
 box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:60vw;text-align:center}
.gd-legend{position:fixed;bottom:28px;right:10px;z-index:1000;background:rgba(255,255,255,.94);
 padding:6px 10px;border-radius:4px;font:12px/1.35 sans-serif;max-height:calc(60vh - 40px);
 overflow:auto;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:300px;box-sizing:border-box}
/* the layer list (top right) takes at most 40 % of the height and the legend (bottom right) the
   rest less 40 px: in a map of any height, even the app's short embeds, they never overlap */
.leaflet-top.leaflet-right .leaflet-control-layers-expanded{max-height:calc(40vh - 10px);
 overflow:auto;box-sizing:border-box}
.gd-block{margin:4px 0 8px}.gd-h{font-weight:600}.gd-sub,.gd-note{color:#555;font-size:11px}
.gd-classes{list-style:none;margin:2px 0;padding:0}.gd-classes li{margin:1px 0}
.gd-classes i{display:inline-block;width:14px;height:11px;margin-right:5px;vertical-align:-1px;
 border:1px solid #888}
.gd-classes i.gd-dot{border-radius:50%;background:var(--c);width:10px;height:10px}
.gd-classes i.gd-box{background:var(--c)}
.gd-classes i.gd-line{border:0;border-top:2px dashed var(--c);height:0;vertical-align:3px}
.gd-n{color:#777}.gd-bar{height:10px;border:1px solid #888;margin-top:3px}
.gd-ticks{position:relative;height:14px;font-size:10px;margin:0 8px}
.gd-tick{position:absolute;transform:translateX(-50%);white-space:nowrap}
.gd-footer{position:fixed;bottom:52px;left:10px;z-index:1000;background:rgba(255,255,255,.94);
 padding:4px 8px;border-radius:4px;font:11px/1.4 sans-serif;max-width:min(560px,55vw);
 max-height:55vh;overflow:auto;box-shadow:0 1px 4px rgba(0,0,0,.3)}
.gd-footer summary{cursor:pointer;font-weight:600}.gd-footer dt{font-weight:600;margin-top:4px}
.gd-footer dd{margin:0 0 0 10px}
"""


def footer_html(credits: Sequence[str], sections: Sequence[tuple[str, Sequence[str]]]) -> str:
    """The provenance footer: the credits always shown, and the rest one click away."""
    body = "".join(
        f"<dt>{esc(head)}</dt>" + "".join(f"<dd>{esc(line)}</dd>" for line in lines)
        for head, lines in sections
        if lines
    )
    shown = " · ".join(esc(c) for c in credits) or "no source recorded"
    return (
        f'<div class="gd-footer" id="gd-provenance"><div class="gd-credits">{shown}</div>'
        f"<details><summary>Sources, method and parameters</summary><dl>{body}</dl></details>"
        "</div>"
    )
