import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import random_polygons

from geodistrict import PointLayer, assign_points, join_points, prepare_boundaries, profile
from geodistrict.crs import BNG
from geodistrict.layers import LayerInfo


def _layer(df: pd.DataFrame, name: str = "pts") -> PointLayer:
    return PointLayer(
        x=df["easting"].to_numpy(float),
        y=df["northing"].to_numpy(float),
        crs=BNG,
        attributes=df.assign(row=range(len(df))),
        info=LayerInfo(name=name, source="hand-drawn", id_field="pid"),
    )


@pytest.mark.parametrize("method", ["grid", "prepared"])
def test_hand_worked_squares(squares, square_points, method):
    b = prepare_boundaries(squares)
    j = join_points(_layer(square_points), b, method=method)
    a = j.assignment.sorted()
    got = {pid: [] for pid in square_points["pid"]}
    for p, g in zip(a.point, a.polygon, strict=True):
        got[square_points["pid"][p]].append(b.ids[g])
    for pid, expect in zip(square_points["pid"], square_points["expect"], strict=True):
        assert ";".join(sorted(got[pid])) == expect, pid
    rep = j.report()
    # p1 p2 p7 matched; p3 p4 multi; p5 p6 p8 unmatched
    assert (rep["matched"], rep["multi"], rep["unmatched"], rep["rejected"]) == (3, 2, 3, 0)
    assert rep["balanced"]
    assert {tuple(m["ids"]): m["points"] for m in rep["multi_by_boundaries"]} == {
        ("A", "C"): 1,
        ("B", "C"): 1,
    }


def test_squares_profile_areas_and_overlaps(squares, square_points):
    b = prepare_boundaries(squares)
    assert b.id_field == "code" or list(b.ids) == ["A", "B", "C"]
    p = profile(b, [_layer(square_points)])
    t = p.table
    assert list(t.columns[:5]) == ["id", "name", "area_km2", "pts_count", "pts_per_km2"]
    assert t["area_km2"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    # counts by hand: A={p1,p3}, B={p2,p4}, C={p3,p4,p7}
    assert t["pts_count"].tolist() == [2, 2, 3]
    ov = {(r["id_a"], r["id_b"]): r["area_km2"] for r in p.report["boundaries"]["overlaps"]}
    assert ov == pytest.approx({("A", "C"): 0.25, ("B", "C"): 0.25})
    assert p.report["boundaries"]["overlap_km2"] == pytest.approx(0.5)
    assert p.report["boundaries"]["union_km2"] == pytest.approx(2.5)


def test_snap_assigns_near_points_only(squares, square_points):
    b = prepare_boundaries(squares)
    j = join_points(_layer(square_points), b, snap_m=50)
    rep = j.report()
    # p8 is 30 m east of B: snapped into B; p6 is far; p5 lies on the A|B edge (distance 0)
    assert rep["snapped"] == 2
    assert rep["matched"] == 5 and rep["unmatched"] == 1
    a = j.assignment.sorted()
    p8 = int(np.flatnonzero(square_points["pid"] == "p8")[0])
    assert b.ids[a.polygon[a.point == p8]].tolist() == ["B"]
    assert j.snap_distance_m[p8] == pytest.approx(30.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grid_equals_sjoin_on_awkward_polygons(seed):
    rng = np.random.default_rng(seed)
    polys = random_polygons(rng, 25)
    n = 40_000
    x = rng.uniform(-1000, 11_000, n)
    y = rng.uniform(-1000, 11_000, n)
    # put some points exactly on vertices and edges, where 'within' is false
    verts = shapely.get_coordinates(shapely.boundary(polys[:3]))[:300]
    x[: len(verts)], y[: len(verts)] = verts[:, 0], verts[:, 1]
    a = assign_points(x, y, polys, method="grid").sorted()
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=27700)
    pg = gpd.GeoDataFrame(geometry=polys, crs=27700)
    s = gpd.sjoin(pts, pg, predicate="within", how="inner")
    order = np.lexsort((s["index_right"].to_numpy(), s.index.to_numpy()))
    assert np.array_equal(a.point, s.index.to_numpy()[order])
    assert np.array_equal(a.polygon, s["index_right"].to_numpy()[order])


def test_empty_inputs():
    a = assign_points(np.array([]), np.array([]), np.array([shapely.box(0, 0, 1, 1)]))
    assert len(a.point) == 0 and a.n_points == 0


def test_counts_by_multivalued_category(squares):
    b = prepare_boundaries(squares)
    df = pd.DataFrame(
        {
            "pid": ["u1", "u2", "u3"],
            "easting": [100.0, 200.0, 1800.0],
            "northing": [100.0, 200.0, 100.0],
            "GROUPS": ["Russell_Group, N8", "", "N8"],
        }
    )
    lay = _layer(df, "universities")
    lay = PointLayer(
        x=lay.x,
        y=lay.y,
        crs=lay.crs,
        attributes=lay.attributes,
        info=LayerInfo(name="universities", source="hand", multivalued=("GROUPS",)),
    )
    p = profile(b, [lay], by={"universities": "GROUPS"})
    t = p.table.set_index("id")
    assert t.loc["A", "universities_count"] == 2
    assert t.loc["A", "universities_count__Russell_Group"] == 1
    assert t.loc["A", "universities_count__N8"] == 1
    assert t.loc["A", "universities_count__missing"] == 1
    assert t.loc["B", "universities_count__N8"] == 1


def test_weights_sum_and_missing(squares):
    b = prepare_boundaries(squares)
    df = pd.DataFrame(
        {
            "pid": ["f1", "f2", "f3"],
            "easting": [100.0, 200.0, 1800.0],
            "northing": [100.0, 200.0, 100.0],
            "employees": ["10", "", "5"],
        }
    )
    p = profile(b, [_layer(df, "firms")], weights={"firms": "employees"})
    t = p.table.set_index("id")
    assert t.loc["A", "firms_sum__employees"] == 10
    assert t.loc["B", "firms_sum__employees"] == 5
    assert p.report["layers"]["firms"]["weights"]["employees"]["missing_values"] == 1


def test_distance_to_polygons_from_boundary_pieces_hand_worked():
    """Distances to the nearest polygon, measured on short pieces of its rings."""
    from geodistrict.join.tally import _distance_to_polygons

    outer = [(0, 0), (1000, 0), (1000, 1000), (0, 1000), (0, 0)]
    hole = [(400, 400), (600, 400), (600, 600), (400, 600), (400, 400)]
    many = [(2000 + 10 * i, 0) for i in range(101)] + [(3000, 500), (2000, 0)]  # 101 vertices
    polys = np.array([shapely.Polygon(outer, [hole]), shapely.Polygon(many)])
    x = np.array([1100.0, 1300.0, 500.0, 2500.0, -3000.0, 9000.0])
    y = np.array([500.0, 1400.0, 450.0, -30.0, 1000.0, 0.0])
    d = _distance_to_polygons(polys, x, y, max_distance=5000)
    # 100 m east of the square; (300, 400) from its corner: 500 m; 50 m inside the hole;
    # 30 m below the long straight edge; 3000 m west; beyond 5000 m: NaN
    np.testing.assert_array_equal(d[:5], [100.0, 500.0, 50.0, 30.0, 3000.0])
    assert np.isnan(d[5])
    # the same numbers GEOS gives for the whole polygons
    full = shapely.distance(shapely.points(x[:5], y[:5])[:, None], polys[None, :]).min(axis=1)
    np.testing.assert_array_equal(d[:5], full)
