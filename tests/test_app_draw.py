"""The map's draw and edit control (issue 16): the outline offered for editing, and its safety.

The outline is checked against the polygon it came from (corners, holes, parts, area in
longitude/latitude), the limit against a polygon built with more corners, and the embedding
against a name crafted to close the script element.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geodistrict import prepare_boundaries
from geodistrict.app import MAX_EDIT_VERTICES, editable_outline, with_draw_control


def _boundaries(geoms, name="Core", crs=4326):
    gdf = gpd.GeoDataFrame({"id": ["d"] * len(geoms), "name": [name] * len(geoms)},
                           geometry=geoms, crs=crs)  # fmt: skip
    if len(geoms) > 1:
        gdf["id"] = [f"d{i}" for i in range(len(geoms))]
    return prepare_boundaries(gdf, id="id", name="name")


def _as_polygons(parts) -> shapely.MultiPolygon:
    return shapely.MultiPolygon([(rings[0], rings[1:]) for rings in parts])


def test_outline_of_a_square_with_a_hole_and_a_second_part():
    shell = shapely.box(0.10, 52.20, 0.12, 52.22)
    with_hole = shapely.Polygon(
        shell.exterior.coords, [shapely.box(0.105, 52.205, 0.11, 52.21).exterior.coords]
    )
    other = shapely.box(0.13, 52.20, 0.14, 52.21)
    out = editable_outline(_boundaries([with_hole, other]))
    assert out["name"] == "Proposed district"  # two features dissolve into one proposal
    assert len(out["parts"]) == 2
    assert sorted(len(p) for p in out["parts"]) == [1, 2]  # rings: a hole in one part
    assert out["vertices"] == 4 + 4 + 4  # open rings: the closing corner is not repeated
    for rings in out["parts"]:
        for ring in rings:
            assert ring[0] != ring[-1]
    # the same polygons, to the 1 cm of 7 decimals (the metric round trip moves nothing more)
    got = _as_polygons(out["parts"])
    want = shapely.MultiPolygon([with_hole, other])
    assert shapely.symmetric_difference(got, want).area < 1e-4 * want.area  # a hole is 5 %


def test_outline_of_a_metric_layer_is_in_longitude_latitude():
    from pyproj import Transformer

    square = shapely.box(383500, 397500, 384500, 398500)  # 1 km in Manchester, BNG
    out = editable_outline(_boundaries([square], crs=27700))
    to_lonlat = Transformer.from_crs(27700, 4326, always_xy=True)
    lon, lat = to_lonlat.transform(383500, 397500)
    corners = np.array(out["parts"][0][0])
    assert np.abs(corners - [lon, lat]).sum(axis=1).min() < 1e-6


def test_a_proposal_over_the_limit_is_not_offered_for_editing():
    circle = shapely.Point(0.12, 52.2).buffer(0.01, quad_segs=(MAX_EDIT_VERTICES // 4) + 10)
    out = editable_outline(_boundaries([circle]))
    assert out["vertices"] > MAX_EDIT_VERTICES and out["parts"] is None
    doc = with_draw_control("<html><body></body></html>", _boundaries([circle]))
    assert '"parts": null' in doc


def test_the_outline_cannot_close_the_script_element():
    name = "</script><script>alert(1)</script><!--"
    doc = with_draw_control(
        "<html><body><p>map</p></body></html>",
        _boundaries([shapely.box(0.1, 52.2, 0.11, 52.21)], name=name),
    )
    assert doc.count("</script>") == 2  # the outline's and the control's, no more
    assert "alert(1)</script>" not in doc and "<!--" not in doc
    (payload,) = re.findall(r"window\.gdEditable = (\{.*?\});</script>", doc)
    assert json.loads(payload)["name"] == name  # the name survives, as data
    assert doc.index("gdEditable") < doc.index("</body>")


def test_without_a_proposal_the_control_only_draws():
    doc = with_draw_control("<html><body></body></html>")
    assert "gdEditable =" not in doc and "Draw a district" in doc


@pytest.mark.parametrize("n", [3, 7])
def test_vertex_count_matches_shapely(n):
    ring = [(0.1 + 0.01 * np.cos(a), 52.2 + 0.01 * np.sin(a))
            for a in np.linspace(0, 2 * np.pi, n, endpoint=False)]  # fmt: skip
    out = editable_outline(_boundaries([shapely.Polygon(ring)]))
    assert out["vertices"] == n == len(out["parts"][0][0])
