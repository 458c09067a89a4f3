"""Small folium elements whose data geodistrict writes itself (compact, escaped JSON).

folium's own GeoJson and tooltip classes put property values into the page as HTML without
escaping them and carry every attribute of every feature; these elements carry only what is
shown, as strings already escaped by :mod:`._legend`, and record how many bytes they add so
that :func:`save_map` can say which layer is largest.
"""

from __future__ import annotations

import json
import re
from typing import Any

from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from ._html import ASSETS
from ._legend import esc

__all__ = ["GeoJsonLayer", "HtmlBlock", "ImageLayer", "PointsLayer", "js_json"]


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _inert(m: re.Match[str]) -> str:
    return m.group(0).replace("{", "\\u007b").replace("}", "\\u007d")


def js_json(obj: Any) -> str:
    """JSON for a ``<script>`` block, compact and ASCII.

    It cannot close the script element (``</`` escaped) and is inert when folium re-reads it as
    a Jinja template (braces inside strings escaped).
    """
    text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    text = _JSON_STRING.sub(_inert, text)
    return re.sub(r"<(?=[/!])", r"\\u003c", text)


class _Sized(Layer):
    """A layer that knows its data's size and how to make it smaller."""

    def __init__(self, name: str, *, payload: str, reduce_hint: str, show: bool = True):
        super().__init__(name=esc(name), overlay=True, control=True, show=show)
        self.plain_name = name
        self.payload = payload
        self.payload_bytes = len(payload)
        self.reduce_hint = reduce_hint


class GeoJsonLayer(_Sized):
    """Polygons (or lines) with per-feature fill colour ``c``, tooltip ``t`` and popup ``p``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.payload }}, {
            style: function (f) {
                var s = {{ this.style }};
                if (f.properties.c) { s.fillColor = f.properties.c; }
                return s;
            },
            onEachFeature: function (f, l) {
                var p = f.properties;
                if (p.t) { l.bindTooltip(p.t, {sticky: true}); }
                if (p.p) { l.bindPopup(p.p, {maxWidth: 360}); }
            }
        });
        {% endmacro %}
        """
    )

    def __init__(
        self, name: str, features: list[dict], *, style: dict, reduce_hint: str, show: bool = True
    ):
        payload = js_json({"type": "FeatureCollection", "features": features})
        super().__init__(name, payload=payload, reduce_hint=reduce_hint, show=show)
        self.style = js_json(style)


class PointsLayer(JSCSSMixin, _Sized):
    """Circle markers from rows ``[lat, lon, tooltip, popup]``, optionally clustered."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {% if this.cluster -%}
            L.markerClusterGroup({chunkedLoading: true})
        {%- else -%}
            L.featureGroup()
        {%- endif %};
        (function (rows, style, group) {
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i], mk = L.circleMarker([r[0], r[1]], style);
                if (r[2]) { mk.bindTooltip(r[2]); }
                if (r[3]) { mk.bindPopup(r[3], {maxWidth: 360}); }
                group.addLayer(mk);
            }
        })({{ this.payload }}, {{ this.style }}, {{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self, name: str, rows: list[list], *, style: dict, cluster: bool, reduce_hint: str
    ):
        super().__init__(name, payload=js_json(rows), reduce_hint=reduce_hint)
        self.cluster = cluster
        self.style = js_json(style)
        if cluster:
            self.default_js = [("markercluster", ASSETS["markercluster"].url)]
            self.default_css = [
                ("markercluster_css", ASSETS["markercluster_css"].url),
                ("markercluster_default_css", ASSETS["markercluster_default_css"].url),
            ]


class ImageLayer(_Sized):
    """A PNG (``data:`` URL) stretched over lat/lon bounds, in a pane below the vector layers."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        if (!{{ this._parent.get_name() }}.getPane("gdRaster")) {
            {{ this._parent.get_name() }}.createPane("gdRaster");
            {{ this._parent.get_name() }}.getPane("gdRaster").style.zIndex = 350;
        }
        var {{ this.get_name() }} = L.imageOverlay({{ this.payload }}, {{ this.bounds }}, {
            opacity: {{ this.opacity }}, interactive: false, pane: "gdRaster"
        });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        name: str,
        data_url: str,
        bounds: list[list[float]],
        *,
        opacity: float,
        reduce_hint: str,
        show: bool = True,
    ):
        super().__init__(name, payload=js_json(data_url), reduce_hint=reduce_hint, show=show)
        self.bounds = js_json(bounds)
        self.opacity = float(opacity)


class HtmlBlock(MacroElement):
    """Trusted HTML (built from escaped parts) added to the page body, and CSS to its head."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}{{ this.head }}{% if this.css -%}
        <style>{{ this.css }}</style>{% endif %}{% endmacro %}
        {% macro html(this, kwargs) %}{{ this.body }}{% endmacro %}
        """
    )

    def __init__(self, body: str, *, css: str = "", head: str = ""):
        super().__init__()
        self.body = body
        self.css = css
        self.head = head
