"""Drawing and editing a district on the app's maps, in the browser.

:func:`with_draw_control` adds a control to a map document shown in the app:

- **Draw a district**: click the corners, then *Finish*;
- **Edit the proposal** (on the map of a proposal): drag a corner to move it, click the dot
  half-way along an edge to add a corner there, right-click a corner to remove it, then
  *Finish*; every ring of every part of the proposal can be edited;
- *Cancel* leaves the map as it was.

On *Finish* the polygon goes as GeoJSON text (longitude/latitude, EPSG:4326) to the page's
hidden ``gd-drawn`` input: the map's iframe is a ``srcdoc`` of the page, so it shares its
origin. The app then reads it exactly as an upload (:func:`~geodistrict.app.parse_upload`: a
ring that crosses itself is refused and named, not repaired) and re-measures the card, the
diff and the sector picture. Plain Leaflet (its draggable markers): no plugin, no network.

The outline offered for editing (:func:`editable_outline`) is the proposal's dissolved
polygon in longitude/latitude; proposals with more than :data:`MAX_EDIT_VERTICES` corners
are not offered (a handle per corner would make the page crawl), and the button says why.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import shapely

from ..boundaries import Boundaries
from ..crs import WGS84, transform_geoms

__all__ = ["MAX_EDIT_VERTICES", "editable_outline", "with_draw_control"]

#: Most corners a proposal may have to be edited on the map (one handle per corner).
MAX_EDIT_VERTICES = 1000


def _open_ring(ring: Any) -> list[list[float]]:
    xy = np.round(shapely.get_coordinates(ring), 7)
    if len(xy) > 1 and (xy[0] == xy[-1]).all():
        xy = xy[:-1]
    return [[float(x), float(y)] for x, y in xy]


def editable_outline(b: Boundaries) -> dict[str, Any]:
    """The proposal's outline for the map's editor: name, corners, and parts if editable.

    Parameters
    ----------
    b : Boundaries
        The proposal; several features are dissolved into one outline.

    Returns
    -------
    dict
        ``name``; ``vertices``, the number of distinct corners; ``limit``
        (:data:`MAX_EDIT_VERTICES`); ``parts``, a list of polygons, each a list of open rings
        (exterior first) of ``[longitude, latitude]`` rounded to 7 decimals (1 cm), or
        ``None`` when there are more corners than the limit.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from geodistrict import prepare_boundaries
    >>> sq = gpd.GeoDataFrame({"id": ["a"], "name": ["A"]},
    ...                       geometry=[shapely.box(0.1, 52.2, 0.11, 52.21)], crs=4326)
    >>> out = editable_outline(prepare_boundaries(sq, id="id", name="name"))
    >>> out["name"], out["vertices"], len(out["parts"]), len(out["parts"][0][0])
    ('A', 4, 1, 4)
    """
    union = shapely.union_all(transform_geoms(b.metric, b.metric_crs, WGS84))
    polygons = list(shapely.get_parts(union))
    polygons = [g for g in polygons if isinstance(g, shapely.Polygon) and not g.is_empty]
    parts = [[_open_ring(g.exterior), *(_open_ring(r) for r in g.interiors)] for g in polygons]
    n = sum(len(ring) for part in parts for ring in part)
    name = str(b.names[0]) if len(b.names) == 1 else "Proposed district"
    return {
        "name": name,
        "vertices": n,
        "limit": MAX_EDIT_VERTICES,
        "parts": parts if 0 < n <= MAX_EDIT_VERTICES else None,
    }


def _script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


#: The control's script: it finds the folium map of the document, adds the buttons, and posts
#: the drawn or edited polygon to the page (see the module's docstring).
_DRAW_JS = """
<style>
.gd-vertex { background: #fff; border: 2px solid #ff7f00; border-radius: 2px;
             box-sizing: border-box; cursor: move; }
.gd-mid { background: #ff7f00; opacity: 0.6; border-radius: 50%; cursor: copy; }
</style>
<script>
(function () {
  function q(s) { return document.querySelector(s); }
  function say(text) { q(".gd-draw-msg").textContent = text; }
  function send(text) {
    try {
      var B = window.parent.Bokeh;
      for (var i = 0; i < B.documents.length; i++) {
        for (var m of B.documents[i].all_models) {
          if (m.css_classes && m.css_classes.indexOf("gd-drawn") >= 0) {
            m.value = text; return true;
          }
        }
      }
    } catch (err) { console.log(err); }
    say("Not in the app: copy this GeoJSON and upload it: " + text);
    return false;
  }
  function fixed(v) { return +v.toFixed(7); }
  function closed(rings) {
    return rings.map(function (r) { return r.concat([r[0]]); });
  }
  function ready() {
    var key = Object.keys(window).find(function (k) {
      return k.indexOf("map_") === 0 && window[k] instanceof L.Map; });
    if (!key) { return setTimeout(ready, 50); }
    var map = window[key], pts = [], shape = null, mode = null, parts = null, handles = [];
    var editable = window.gdEditable || null;
    var style = {color: "#ff7f00", weight: 3, dashArray: "4 3", fillOpacity: 0.1};
    var vIcon = L.divIcon({className: "gd-vertex", iconSize: [12, 12]});
    var mIcon = L.divIcon({className: "gd-mid", iconSize: [8, 8]});
    window.gdMap = map;
    var ctl = L.control({position: "topleft"});
    ctl.onAdd = function () {
      var d = L.DomUtil.create("div", "gd-draw leaflet-bar");
      d.style.background = "#fff"; d.style.padding = "4px"; d.style.font = "12px sans-serif";
      d.innerHTML = '<button type="button" class="gd-draw-start">Draw a district</button> ' +
        (editable ? '<button type="button" class="gd-edit-start">Edit the proposal</button> '
                  : '') +
        '<button type="button" class="gd-draw-finish" disabled>Finish</button> ' +
        '<button type="button" class="gd-draw-cancel" disabled>Cancel</button>' +
        '<div class="gd-draw-msg"></div>';
      L.DomEvent.disableClickPropagation(d);
      return d;
    };
    ctl.addTo(map);
    var editBtn = q(".gd-edit-start");
    if (editBtn && !editable.parts) {
      editBtn.disabled = true;
      editBtn.title = "The proposal has " + editable.vertices + " corners; the map edits up to " +
        editable.limit + ". Draw it again, or edit the file and upload it.";
    }
    function clearHandles() {
      handles.forEach(function (h) { map.removeLayer(h); }); handles = [];
    }
    function reset() {
      pts = []; parts = null; clearHandles();
      if (shape) { map.removeLayer(shape); shape = null; }
      mode = null; window.gdEditParts = null;
      q(".gd-draw-finish").disabled = true; q(".gd-draw-cancel").disabled = true;
      map.getContainer().style.cursor = "";
    }
    function outline() {
      if (shape) { map.removeLayer(shape); }
      shape = L.polygon(parts.map(function (rings) {
        return rings.map(function (r) { return r.map(function (p) { return [p[1], p[0]]; }); });
      }), style).addTo(map);
    }
    function handle(r, k) {
      // keyboard: false: a handle takes no focus (focusing could scroll the page, see above)
      var p = r[k], h = L.marker([p[1], p[0]], {draggable: true, icon: vIcon, keyboard: false,
        zIndexOffset: 1000, title: "Drag to move this corner; right-click to remove it"});
      h.on("drag", function (e) {
        var ll = e.target.getLatLng(); r[k] = [fixed(ll.lng), fixed(ll.lat)]; outline();
      });
      h.on("dragend", rebuild);
      h.on("contextmenu", function () {
        if (r.length > 3) { r.splice(k, 1); rebuild(); }
        else { say("A ring keeps at least three corners."); }
      });
      handles.push(h.addTo(map));
      var n = r[(k + 1) % r.length], mid = [fixed((p[0] + n[0]) / 2), fixed((p[1] + n[1]) / 2)];
      var m = L.marker([mid[1], mid[0]], {icon: mIcon, keyboard: false,
                                          title: "Click to add a corner here"});
      m.on("click", function () { r.splice(k + 1, 0, mid); rebuild(); });
      handles.push(m.addTo(map));
    }
    function rebuild() {
      clearHandles(); outline();
      parts.forEach(function (rings) { rings.forEach(function (r) {
        for (var k = 0; k < r.length; k++) { handle(r, k); }
      }); });
      window.gdEditParts = parts;
      q(".gd-draw-finish").disabled = false;
    }
    // Leaflet focuses the map on its first mouse press, and the page around the map's frame
    // then scrolls to show the whole map: the press and the release land on different spots.
    // Focused now, without scrolling, the first click on the map is a click.
    function focusMap() {
      try { map.getContainer().focus({preventScroll: true}); } catch (err) { console.log(err); }
    }
    q(".gd-draw-start").onclick = function () {
      focusMap(); reset(); mode = "draw"; q(".gd-draw-cancel").disabled = false;
      map.getContainer().style.cursor = "crosshair";
      say("Click the corners, then Finish.");
    };
    if (editBtn) {
      editBtn.onclick = function () {
        if (!editable.parts) { return; }
        focusMap(); reset(); mode = "edit"; q(".gd-draw-cancel").disabled = false;
        parts = JSON.parse(JSON.stringify(editable.parts));
        rebuild();
        say("Drag a corner to move it, click a dot to add a corner, right-click a corner " +
            "to remove it; then Finish.");
      };
    }
    map.on("click", function (e) {
      if (mode !== "draw") { return; }
      pts.push([fixed(e.latlng.lng), fixed(e.latlng.lat)]);
      if (shape) { map.removeLayer(shape); }
      shape = L.polygon(pts.map(function (p) { return [p[1], p[0]]; }), style).addTo(map);
      q(".gd-draw-finish").disabled = pts.length < 3;
    });
    q(".gd-draw-finish").onclick = function () {
      var doc;
      if (mode === "draw" && pts.length >= 3) {
        doc = {type: "Feature", properties: {name: "Drawn district", drawn: Date.now()},
               geometry: {type: "Polygon", coordinates: [pts.concat([pts[0]])]}};
      } else if (mode === "edit" && parts) {
        var name = editable.name.replace(/ \\(edited\\)$/, "") + " (edited)";
        doc = {type: "Feature", properties: {name: name, edited: Date.now()},
               geometry: parts.length === 1
                 ? {type: "Polygon", coordinates: closed(parts[0])}
                 : {type: "MultiPolygon", coordinates: parts.map(closed)}};
      } else { return; }
      mode = null; clearHandles(); map.getContainer().style.cursor = "";
      q(".gd-draw-finish").disabled = true;
      if (send(JSON.stringify(doc))) { say("Measuring …"); }
    };
    q(".gd-draw-cancel").onclick = function () { reset(); say(""); };
  }
  ready();
})();
</script>
"""


def with_draw_control(doc: str, editable: Boundaries | None = None) -> str:
    """A map document with the app's draw (and edit) control before ``</body>``.

    Parameters
    ----------
    doc : str
        A folium map as one HTML document.
    editable : Boundaries, optional
        The proposal the map shows: its outline (:func:`editable_outline`) can then be edited
        on the map (**Edit the proposal**). Without it the control only draws.
    """
    script = _DRAW_JS
    if editable is not None:
        outline = _script_json(editable_outline(editable))
        script = f"<script>window.gdEditable = {outline};</script>\n" + script
    i = doc.rfind("</body>")
    return doc[:i] + script + doc[i:] if i >= 0 else doc + script
