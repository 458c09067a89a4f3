"""Aggregation grids: square cells aligned to the metric CRS, H3 hexagons, point counts.

Expected values are worked by hand on small shapes in EPSG:27700 (metres), or come from an
independent source: shapely's geometry (coverage, areas), geodistrict's accounting join for
points off the cell edges, H3's own cell of a point.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import geodistrict as gd
from geodistrict.clusters.grids import count_points, hex_grid, hex_resolution, square_grid
from geodistrict.errors import GeodistrictError, SchemaError

# An L-shaped district (3 km²) whose edges do not fall on a 250 m grid line:
#   [130, 2130] x [70, 1070] plus [130, 1130] x [1070, 2070]
L_SHAPE = shapely.union(shapely.box(130, 70, 2130, 1070), shapely.box(130, 1070, 1130, 2070))


def _frame(*geoms, crs=27700) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [f"d{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=crs
    )


def _flavours(gdf: gpd.GeoDataFrame) -> dict[str, object]:
    """The ways a user may pass a study area."""
    return {
        "geodataframe": gdf,
        "boundaries": gd.prepare_boundaries(gdf),
        "lonlat": gdf.to_crs(4326),
    }


@pytest.mark.parametrize("flavour", ["geodataframe", "boundaries"])
def test_square_grid_covers_and_aligns(flavour):
    within = _flavours(_frame(L_SHAPE))[flavour]
    g = square_grid(within, cell_m=250)
    spec = g.attrs["grid"]
    assert spec["kind"] == "square" and spec["cell_m"] == 250.0
    # the bounding box [130, 2130] x [70, 2070] needs columns 0..8 and rows 0..8 from (0, 0)
    assert spec["origin"] == (0.0, 0.0) and spec["nrows"] == 9 and spec["ncols"] == 9
    assert g.crs.to_epsg() == 27700
    # corners at multiples of 250 and consistent with (row, col)
    minx, miny, maxx, maxy = (g.bounds[c].to_numpy() for c in ("minx", "miny", "maxx", "maxy"))
    np.testing.assert_array_equal(minx, g["col"] * 250.0)
    np.testing.assert_array_equal(miny, g["row"] * 250.0)
    np.testing.assert_array_equal(maxx - minx, 250.0)
    np.testing.assert_array_equal(maxy - miny, 250.0)
    assert g["cell_id"].iloc[0] == f"E{int(minx[0])}N{int(miny[0])}"
    assert g["cell_id"].is_unique
    # covers the district, and every cell shares area with it
    assert shapely.difference(L_SHAPE, shapely.union_all(g.geometry.array)).area == 0
    assert (shapely.area(shapely.intersection(g.geometry.array, L_SHAPE)) > 0).all()
    # hand count: the lower arm spans 9 columns x 5 rows (70..1070 -> rows 0..4), the upper arm
    # 5 columns (130..1130 -> cols 0..4) x rows 4..8, rows 4 shared: 45 + 5 x 4 = 65 cells
    assert len(g) == 65


def test_square_grid_from_lonlat_uses_metric_crs():
    g = square_grid(_frame(L_SHAPE).to_crs(4326), cell_m=250)
    assert g.crs.to_epsg() == 27700
    assert abs(len(g) - 65) <= 4  # the round trip through lon/lat moves edges by < 1 mm


def test_edges_on_grid_lines_do_not_add_touching_cells():
    # exactly 2 x 2 cells: the neighbours touching its edges share no area with it
    g = square_grid(_frame(shapely.box(500, 500, 1000, 1000)), cell_m=250)
    assert sorted(g["cell_id"]) == ["E500N500", "E500N750", "E750N500", "E750N750"]


def test_district_smaller_than_a_cell_gets_its_cell():
    g = square_grid(_frame(shapely.box(544700, 258400, 544710, 258410)), cell_m=250)
    assert g["cell_id"].tolist() == ["E544500N258250"]
    assert g.geometry.iloc[0].contains(shapely.box(544700, 258400, 544710, 258410))
    # straddling a grid line: both cells
    g2 = square_grid(_frame(shapely.box(544745, 258400, 544755, 258410)), cell_m=250)
    assert g2["cell_id"].tolist() == ["E544500N258250", "E544750N258250"]


def test_square_grid_over_several_polygons_has_each_cell_once():
    a, b = shapely.box(0, 0, 600, 600), shapely.box(400, 400, 1000, 1000)  # overlapping
    g = square_grid(_frame(a, b), cell_m=200)
    assert g["cell_id"].is_unique
    assert len(g) == 9 + 9 - 1  # 3 x 3 cells each, sharing the cell [400, 600]²


def test_a_district_in_two_distant_places_scans_only_its_parts():
    # two 1 km sites 300 km by 900 km apart in Great Britain: the box of both would be
    # 3,000 x 9,000 cells of 100 m (over the limit); each site is 10 x 10 cells, by hand
    far = shapely.MultiPolygon([shapely.box(300_000, 100_000, 301_000, 101_000),
                                shapely.box(600_000, 1_000_000, 601_000, 1_001_000)])  # fmt: skip
    g = square_grid(_frame(far), cell_m=100)
    assert g.attrs["grid"]["crs"] == "EPSG:27700"
    assert len(g) == 200
    assert {"E300000N100000", "E300900N100900", "E600000N1000000", "E600900N1000900"} <= set(
        g["cell_id"]
    )
    # the same cells as each part's own grid, and as the L-shape scanned whole
    parts = pd.concat([square_grid(_frame(p), cell_m=100) for p in far.geoms])
    assert sorted(g["cell_id"]) == sorted(parts["cell_id"])
    near = shapely.MultiPolygon([L_SHAPE, shapely.box(3000, 0, 3400, 300)])
    both = square_grid(_frame(near), cell_m=250)
    one_by_one = pd.concat([square_grid(_frame(p), cell_m=250) for p in near.geoms])
    assert sorted(both["cell_id"]) == sorted(one_by_one["cell_id"])


def test_clip_cuts_cells_at_the_edge():
    g = square_grid(_frame(L_SHAPE), cell_m=250, clip=True)
    assert g.attrs["grid"]["clip"] is True
    assert g.geometry.area.sum() == pytest.approx(L_SHAPE.area)
    assert len(g) == 65


def test_bad_cell_size_and_huge_grids():
    with pytest.raises(ValueError, match="positive cell size"):
        square_grid(_frame(L_SHAPE), cell_m=0)
    with pytest.raises(GeodistrictError, match="larger cell size"):
        square_grid(_frame(shapely.box(0, 0, 100_000, 100_000)), cell_m=10)


def test_hex_resolution_matches_h3_areas():
    import h3

    for cell in (50, 100, 250, 500, 1000, 5000):
        res = hex_resolution(cell)
        here = abs(np.log(h3.average_hexagon_area(res, unit="m^2") / cell**2))
        for other in range(16):
            assert here <= abs(np.log(h3.average_hexagon_area(other, unit="m^2") / cell**2))


@pytest.mark.parametrize("flavour", ["geodataframe", "boundaries", "lonlat"])
def test_hex_grid_covers_the_district(flavour):
    import h3

    district = shapely.box(544000, 257000, 546000, 259000)  # 2 km square in Cambridge
    g = hex_grid(_flavours(_frame(district))[flavour], resolution=9)
    assert g.crs.to_epsg() == 27700
    assert g["cell_id"].is_unique and g["cell_id"].is_monotonic_increasing
    assert all(h3.get_resolution(c) == 9 for c in g["cell_id"])
    assert g.attrs["grid"] == {**g.attrs["grid"], "kind": "hex", "resolution": 9}
    # 4 km² of ~0.105 km² cells: about 38 inside plus a ring cut by the edge
    assert 38 < len(g) < 80
    assert shapely.difference(district, shapely.union_all(g.geometry.array)).area < 1.0
    # each cell's metric geometry is H3's cell: its centre is where H3 puts it
    lat, lon = h3.cell_to_latlng(g["cell_id"].iloc[0])
    centre = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=4326).to_crs(27700).iloc[0]
    assert g.geometry.iloc[0].centroid.distance(centre) < 1.0


def test_hex_grid_district_smaller_than_a_cell():
    import h3

    g = hex_grid(_frame(shapely.box(544700, 258400, 544710, 258410)), resolution=8)
    assert len(g) >= 1
    lon, lat = gpd.GeoSeries([shapely.Point(544705, 258405)], crs=27700).to_crs(4326).iloc[0].xy
    assert h3.latlng_to_cell(lat[0], lon[0], 8) in set(g["cell_id"])
    with pytest.raises(ValueError, match="resolution"):
        hex_grid(_frame(L_SHAPE), resolution=16)


def _points(xs, ys, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xs, ys), crs=27700)


def test_count_points_hand_worked():
    g = square_grid(_frame(shapely.box(0, 0, 500, 250)), cell_m=250)  # cells E0N0, E250N0
    pts = _points(
        [10, 250, 260, 499, 500, -1, 250],
        [10, 10, 200, 249, 10, 10, 250],
        firm=["a", "b", "c", "d", "e", "f", "g"],
        jobs=[1.0, 2.0, 3.0, np.nan, 5.0, 6.0, 7.0],
        sector=["C", "C", "M", None, "C", "C", "M"],
    )
    c = count_points(g, pts, weight="jobs", by="sector")
    # x = 250 lies on the shared edge: it goes to the eastern cell (cells are half-open);
    # x = 500 and y = 250 are beyond the grid's last edge, x = -1 west of it
    assert c["count"].tolist() == [1, 3]
    assert c["count_per_km2"].tolist() == [16.0, 48.0]
    assert c["sum_jobs"].tolist() == [1.0, 5.0]
    assert c.attrs["count"]["sum_jobs_missing"] == 1
    assert c["count__C"].tolist() == [1, 1]
    assert c["count__M"].tolist() == [0, 1]
    assert c["count__missing"].tolist() == [0, 1]
    rep = c.attrs["count"]
    assert (rep["input"], rep["in_cells"], rep["outside_cells"], rep["rejected"]) == (7, 4, 3, 0)
    assert c.index.equals(g.index) and c.attrs["grid"] == g.attrs["grid"]


def test_count_points_conserves_points_and_agrees_with_the_join():
    rng = np.random.default_rng(3)
    g = square_grid(_frame(L_SHAPE), cell_m=250)
    x = rng.uniform(-500, 2500, 4000)
    y = rng.uniform(-500, 2500, 4000)
    pts = _points(x, y)
    c = count_points(g, pts)
    rep = c.attrs["count"]
    assert c["count"].sum() == rep["in_cells"]
    assert rep["in_cells"] + rep["outside_cells"] + rep["rejected"] == rep["input"] == 4000
    # every point inside the district is in a cell
    inside = shapely.contains_xy(L_SHAPE, x, y)
    a = gd.assign_points(x, y, np.asarray(g.geometry.array))
    assert np.isin(np.flatnonzero(inside), a.point).all()
    # random points are never on an edge, so the accounting join gives the same counts
    np.testing.assert_array_equal(np.bincount(a.polygon, minlength=len(g)), c["count"])


def test_points_on_integer_edges_are_counted_once():
    # postcode-like integer coordinates on every multiple of 250 m
    g = square_grid(_frame(shapely.box(0, 0, 1000, 1000)), cell_m=250)
    xx, yy = np.meshgrid(np.arange(0, 1000, 50.0), np.arange(0, 1000, 50.0))
    c = count_points(g, _points(xx.ravel(), yy.ravel()))
    assert c["count"].tolist() == [25] * 16  # 5 x 5 points per cell, none lost or doubled


def test_count_points_in_clipped_cells():
    g = square_grid(_frame(shapely.box(100, 100, 400, 400)), cell_m=250, clip=True)
    # (50, 50) is in cell E0N0 but outside the district; (150, 150) inside both
    c = count_points(g, _points([50, 150, 300, 260], [50, 150, 300, 120]))
    counts = dict(zip(c["cell_id"], c["count"], strict=True))
    assert counts == {"E0N0": 1, "E250N0": 1, "E0N250": 0, "E250N250": 1}
    assert c.attrs["count"]["outside_cells"] == 1
    # densities per km² of the part inside: E0N0 keeps 150 x 150 m
    assert c.loc[c["cell_id"] == "E0N0", "count_per_km2"].iloc[0] == pytest.approx(1 / 0.0225)


def test_count_points_on_hexagons_agrees_with_geometry():
    rng = np.random.default_rng(5)
    g = hex_grid(_frame(shapely.box(544000, 257000, 546000, 259000)), resolution=9)
    x = rng.uniform(544000, 546000, 3000)
    y = rng.uniform(257000, 259000, 3000)
    c = count_points(g, _points(x, y))
    assert c["count"].sum() == 3000  # the cells cover the square
    # away from the edges (where the metric polygon's straight edge differs from H3's great-
    # circle edge by millimetres) the cell is the polygon that contains the point
    geoms = np.asarray(g.geometry.array)
    a = gd.assign_points(x, y, geoms)
    shapely.prepare(geoms)
    far = shapely.distance(
        shapely.boundary(geoms[a.polygon]), shapely.points(x[a.point], y[a.point])
    )
    ok = far > 0.01
    via_geometry = np.bincount(a.polygon[ok], minlength=len(g))
    pos = dict(zip(g["cell_id"], range(len(g)), strict=True))
    import h3
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(
        x[a.point[ok]], y[a.point[ok]]
    )
    via_h3 = np.bincount(
        [pos[h3.latlng_to_cell(b, a_, 9)] for a_, b in zip(lon, lat, strict=True)], minlength=len(g)
    )
    np.testing.assert_array_equal(via_geometry, via_h3)


def test_locations_count_distinct_coordinates_and_report_stacks():
    g = square_grid(_frame(shapely.box(0, 0, 500, 250)), cell_m=250)
    # 5 postcodes stacked on one delivery office, 2 more points elsewhere
    c = count_points(g, _points([100] * 5 + [120, 300], [100] * 5 + [100, 100]))
    assert c["count"].tolist() == [6, 1]
    assert c["locations"].tolist() == [2, 1]
    rep = c.attrs["count"]
    assert rep["locations"] == 3 and rep["points_sharing_coordinates"] == 5
    assert rep["largest_stacks"] == [{"x": 100.0, "y": 100.0, "points": 5}]


def test_count_points_accepts_point_layers_in_another_crs():
    g = square_grid(_frame(shapely.box(544000, 258000, 545000, 259000)), cell_m=500)
    lonlat = _points([544100, 544900], [258100, 258900]).to_crs(4326)
    from geodistrict.io.vector import point_layer_from_geodataframe

    pl = point_layer_from_geodataframe(lonlat, name="sites", source="sites")
    for pts in (lonlat, pl):
        c = count_points(g, pts)
        assert c["count"].tolist() == [1, 0, 0, 1]


def test_count_points_errors_name_the_fix():
    g = square_grid(_frame(shapely.box(0, 0, 500, 250)), cell_m=250)
    with pytest.raises(SchemaError, match="no column 'jobs'"):
        count_points(g, _points([300], [100]), weight="jobs")
    bare = pd.DataFrame(g).pipe(gpd.GeoDataFrame)
    bare.attrs = {}
    with pytest.raises(SchemaError, match="square_grid"):
        count_points(bare, _points([300], [100]))
    with pytest.raises(TypeError, match="PointLayer"):
        count_points(g, pd.DataFrame({"x": [1], "y": [1]}))
