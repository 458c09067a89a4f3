"""Kernel density surfaces: checked against the kernels' formulas evaluated directly.

Exact values are sums over points of the analytic kernels, computed here with numpy:
quartic 3/(π h²) (1 - (d/h)²)² for d < h, gaussian 1/(2π σ²) exp(-d²/(2σ²)), both per m² and
multiplied by 1e6 for per km².
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import CRS, Transformer

from geodistrict import GeodistrictWarning
from geodistrict.cli import main
from geodistrict.clusters.kde import KDEResult, ParameterError, kde, xy_layer
from geodistrict.errors import EmptyLayerError, SchemaError

# Cells coarser than bandwidth/8 (quartic) warn with the expected peak error (issue 18). The
# grids here are coarse on purpose — small hand-checkable surfaces and fast simulations whose
# assertions do not depend on the peak — so that warning is silenced in this module; it is
# tested in tests/test_kde.py::test_coarse_cell_warns_with_the_expected_peak_error.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*coarser than bandwidth:geodistrict.errors.GeodistrictWarning"
)


LEP21 = "uk/boundaries/Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson"
UNIS = "uk/universities/learning-providers-plus.csv"
BNG = CRS.from_epsg(27700)


def exact_per_km2(x, y, cx, cy, *, h, kernel, w=None):
    """Sum over points of the analytic kernel at (cx, cy), in points per km²."""
    d2 = (np.asarray(x) - cx) ** 2 + (np.asarray(y) - cy) ** 2
    if kernel == "quartic":
        k = np.where(d2 < h * h, 3.0 / (math.pi * h * h) * (1.0 - d2 / (h * h)) ** 2, 0.0)
    else:
        k = np.exp(-d2 / (2.0 * h * h)) / (2.0 * math.pi * h * h)
    return float(np.sum(k if w is None else w * k) * 1e6)


def centre(r: KDEResult, row: int, col: int) -> tuple[float, float]:
    t = r.transform
    return t.c + (col + 0.5) * t.a, t.f + (row + 0.5) * t.e


@pytest.fixture(scope="module")
def blob() -> tuple[np.ndarray, np.ndarray]:
    """1,000 seeded points: a 1.5 km blob in central London plus a looser 4 km cloud."""
    rng = np.random.default_rng(42)
    x = np.r_[rng.normal(530_000, 1_500, 700), rng.normal(534_000, 4_000, 300)]
    y = np.r_[rng.normal(180_000, 1_500, 700), rng.normal(182_000, 4_000, 300)]
    return x, y


# (a) binned surface vs exact sum of kernels ---------------------------------------------------


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_peak_matches_exact_sum_of_kernels(blob, kernel):
    x, y = blob
    r = kde(xy_layer(x, y, crs=27700), bandwidth_m=500, cell_m=50, kernel=kernel)
    row, col = np.unravel_index(np.argmax(r.array), r.array.shape)
    cx, cy = centre(r, row, col)
    exact = exact_per_km2(x, y, cx, cy, h=500, kernel=kernel)
    assert r.array[row, col] == pytest.approx(exact, rel=0.01)
    # and at 25 other cells denser than half the peak
    rows, cols = np.nonzero(r.array >= 0.5 * r.array.max())
    pick = np.random.default_rng(0).choice(len(rows), 25, replace=False)
    for i in pick:
        cx, cy = centre(r, rows[i], cols[i])
        exact = exact_per_km2(x, y, cx, cy, h=500, kernel=kernel)
        assert r.array[rows[i], cols[i]] == pytest.approx(exact, rel=0.01)


# (b) the surface integrates to the number of points ------------------------------------------


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_integral_equals_number_of_points(blob, kernel):
    x, y = blob
    r = kde(xy_layer(x, y, crs=27700), bandwidth_m=500, cell_m=100, kernel=kernel)
    assert r.n_points == 1000
    # the grid is padded by the kernel's support, so nothing falls off it
    assert r.integral() == pytest.approx(1000, rel=1e-9)
    assert r.lost_mass == 0.0
    assert r.integral() == pytest.approx(r.array.sum() * 0.1 * 0.1)  # 100 m cells = 0.01 km²


def test_extent_excludes_and_counts_points(blob):
    x, y = blob
    ext = (527_000, 177_000, 533_000, 183_000)
    inside = (x >= ext[0]) & (x <= ext[2]) & (y >= ext[1]) & (y <= ext[3])
    r = kde(xy_layer(x, y, crs=27700), bandwidth_m=500, cell_m=100, extent=ext)
    assert r.n_points == inside.sum()
    assert r.n_excluded == (~inside).sum()
    assert r.integral() == pytest.approx(inside.sum(), rel=1e-9)
    # grid = extent padded by 500 m support + 100 m, snapped to 100 m
    assert r.transform == Affine(100, 0, 526_400, 0, -100, 183_600)
    assert r.array.shape == (72, 72)
    assert "no edge correction" in r.edge and f"excluded: {(~inside).sum()}" in r.edge
    assert 0 < r.spill_mass < inside.sum()


# (c) a single point gives the kernel itself ---------------------------------------------------


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_single_point_is_the_analytic_kernel(kernel):
    px, py, h, c = 530_012.0, 180_031.0, 1000.0, 50.0
    r = kde(xy_layer([px], [py], crs=27700), bandwidth_m=h, cell_m=c, kernel=kernel)
    peak = (3.0 / (math.pi * h * h) if kernel == "quartic" else 1 / (2 * math.pi * h * h)) * 1e6
    for dx, dy in [(0, 0), (300, 0), (0, -600), (450, 450), (-850, 200), (0, 980)]:
        col = int((px + dx - r.transform.c) // c)
        row = int((r.transform.f - (py + dy)) // c)
        cx, cy = centre(r, row, col)
        d = math.hypot(cx - px, cy - py)
        if kernel == "quartic":
            expect = 3.0 / (math.pi * h * h) * max(1 - (d / h) ** 2, 0.0) ** 2 * 1e6
        else:
            expect = math.exp(-(d**2) / (2 * h * h)) / (2 * math.pi * h * h) * 1e6
        # linear binning spreads the point over at most one cell: error < 1 % of the peak
        assert r.array[row, col] == pytest.approx(expect, abs=0.01 * peak)
    if kernel == "quartic":  # nothing beyond the radius (plus the binning's one cell)
        cx, cy = centre(r, *np.indices(r.array.shape))
        far = np.hypot(cx - px, cy - py) > h + 2 * c
        assert (r.array[far] == 0).all()


def test_point_on_a_cell_centre_gives_the_quartic_peak():
    # 530025 is a cell centre of the 50 m grid: all the weight goes to one cell
    r = kde(xy_layer([530_025.0], [180_025.0], crs=27700), bandwidth_m=500, cell_m=50)
    assert r.value_at(530_025.0, 180_025.0) == pytest.approx(3 / (math.pi * 500**2) * 1e6, rel=2e-3)
    assert math.isnan(r.value_at(0.0, 0.0))


def test_lonlat_points_are_measured_in_metres(blob):
    x, y = blob
    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(x, y)
    # the same points brought back to EPSG:27700 by pyproj (the round trip moves them by mm)
    bx, by = Transformer.from_crs(4326, 27700, always_xy=True).transform(lon, lat)
    a = kde(xy_layer(bx, by, crs=27700), bandwidth_m=500, cell_m=100)
    b = kde(xy_layer(lon, lat, crs=4326), bandwidth_m=500, cell_m=100)
    assert b.crs.equals(BNG)
    assert b.array.shape == a.array.shape and b.transform == a.transform
    np.testing.assert_allclose(b.array, a.array, rtol=1e-9, atol=1e-9 * a.array.max())


# (d) weights ----------------------------------------------------------------------------------


def test_weights_double_surface_doubles(blob):
    x, y = blob
    rng = np.random.default_rng(7)
    w = rng.uniform(0, 10, len(x))
    import pandas as pd

    lay = xy_layer(x, y, crs=27700, attributes=pd.DataFrame({"jobs": w}))
    one = kde(lay, bandwidth_m=500, cell_m=100, weights="jobs")
    two = kde(lay, bandwidth_m=500, cell_m=100, weights=2 * w)
    counts = kde(lay, bandwidth_m=500, cell_m=100)
    twos = kde(lay, bandwidth_m=500, cell_m=100, weights=np.full(len(x), 2.0))
    np.testing.assert_allclose(two.array, 2 * one.array, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(twos.array, 2 * counts.array, rtol=1e-12, atol=1e-12)
    assert one.integral() == pytest.approx(w.sum(), rel=1e-9)
    assert one.units == "jobs per km2" and counts.units == "points per km2"


def test_nan_weights_are_an_error_naming_the_count(blob):
    x, y = blob
    w = np.ones(len(x))
    w[[3, 30, 300]] = np.nan
    with pytest.raises(SchemaError, match="3 of 1000 weights"):
        kde(xy_layer(x, y, crs=27700), bandwidth_m=500, cell_m=100, weights=w)
    with pytest.raises(SchemaError, match="no column 'jobs'"):
        kde(xy_layer(x, y, crs=27700), bandwidth_m=500, cell_m=100, weights="jobs")


def test_bad_parameters_list_the_fix():
    lay = xy_layer([530_000.0], [180_000.0], crs=27700)
    with pytest.raises(ParameterError, match="cell size 0 m"):
        kde(lay, bandwidth_m=500, cell_m=0)
    with pytest.raises(ParameterError, match="'quartic', 'gaussian'"):
        kde(lay, bandwidth_m=500, cell_m=50, kernel="epanechnikov")
    with pytest.raises(ParameterError, match="cells"):  # a 1 m grid over Great Britain
        kde(
            xy_layer([100_000.0, 600_000.0], [10_000.0, 1_000_000.0], crs=27700),
            bandwidth_m=5,
            cell_m=1,
        )
    with pytest.raises(EmptyLayerError, match="none of its 1 points"):
        kde(lay, bandwidth_m=500, cell_m=50, extent=(0, 0, 1000, 1000))


# (e) GeoTIFF ----------------------------------------------------------------------------------


def test_geotiff_round_trip(blob, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    x, y = blob
    r = kde(xy_layer(x, y, crs=27700, name="blob"), bandwidth_m=500, cell_m=100)
    path = r.to_geotiff(tmp_path / "kde.tif", tags={"note": "test"})
    with rasterio.open(path) as src:
        assert CRS.from_wkt(src.crs.to_wkt()).to_epsg() == 27700
        assert src.transform == r.transform
        assert src.units == ("points per km2",)
        tags = src.tags()
        np.testing.assert_array_equal(src.read(1), r.array)
    assert tags["bandwidth_m"] == "500.0" and tags["cell_m"] == "100.0"
    assert tags["kernel"] == "quartic" and tags["n_points"] == "1000"
    assert tags["source"] == "blob" and tags["note"] == "test"
    assert tags["geodistrict_version"] and "no edge correction" in tags["edge"]


# (f) contours ---------------------------------------------------------------------------------


def test_contours_of_a_hand_drawn_grid():
    # 100 m cells (0.01 km²); at level 3 there are three edge-connected patches:
    # {5,5,5} top left, {3,3} on the right, {4} bottom left (touches nothing by an edge)
    arr = np.array(
        [
            [0, 5, 5, 0],
            [0, 5, 0, 0],
            [0, 0, 0, 3],
            [4, 0, 0, 3],
        ],
        dtype=float,
    )
    r = KDEResult(
        arr, Affine(100, 0, 0, 0, -100, 400), BNG, 200.0, 100.0, "quartic", 1, 1.0, "test"
    )
    c = r.contours({"three": 3.0}).sort_values("points").reset_index(drop=True)
    assert list(c.columns) == ["label", "level", "area_km2", "points", "geometry"]
    assert c.crs.equals(BNG)
    assert c["area_km2"].tolist() == pytest.approx([0.01, 0.02, 0.03])
    assert c["points"].tolist() == pytest.approx([0.04, 0.06, 0.15])
    assert c.geometry[2].equals(shapely.Polygon([(100, 400), (300, 400), (300, 300),
                                                 (200, 300), (200, 200), (100, 200)]))  # fmt: skip
    assert len(r.contours(6)) == 0


def test_top_one_percent_contours_cover_the_top_cells(blob):
    x, y = blob
    r = kde(xy_layer(x, y, crs=27700), bandwidth_m=500, cell_m=100)
    level = r.top_share_level(0.01)
    top = r.array >= level
    positive = (r.array > 0).sum()
    assert top.sum() == math.ceil(0.01 * positive)
    c = r.contours([level])
    assert c["area_km2"].sum() == pytest.approx(top.sum() * 0.01)  # cells x 0.01 km²
    assert c["points"].sum() == pytest.approx(r.array[top].sum() * 0.01)
    assert shapely.union_all(c.geometry.values).area == pytest.approx(top.sum() * 100 * 100)


# (g) command line -----------------------------------------------------------------------------


@pytest.fixture
def sites_csv(blob, tmp_path) -> Path:
    x, y = blob
    path = tmp_path / "sites.csv"
    lines = ["site,easting,northing"] + [
        f"s{i},{a:.1f},{b:.1f}" for i, (a, b) in enumerate(zip(x, y, strict=True))
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_writes_surface_and_report(sites_csv, tmp_path, capsys):
    import json

    rasterio = pytest.importorskip("rasterio")
    out, rep, gpkg = tmp_path / "s.tif", tmp_path / "s.json", tmp_path / "s.gpkg"
    argv = ["density", "--points", f"sites={sites_csv}", "--cell", "100", "--bandwidth", "500"]
    argv += ["--out", str(out), "--report", str(rep), "--contours", str(gpkg)]
    assert main(argv) == 0
    with rasterio.open(out) as src:
        assert src.units == ("points per km2",)
        total = src.read(1).sum() * 0.01
    assert total == pytest.approx(1000, rel=1e-6)
    report = json.loads(rep.read_text())
    assert report["n_points"] == 1000 and report["integral"] == pytest.approx(1000)
    assert report["lost_edge_mass"] == 0.0
    patches = gpd.read_file(gpkg)
    assert set(patches["label"]) == {"top1", "top5"}
    assert "wrote" in capsys.readouterr().err


@pytest.mark.parametrize("cell", ["0", "-5"])
def test_cli_bad_cell_is_exit_2_with_one_line(sites_csv, tmp_path, capsys, cell):
    argv = ["density", "--points", f"sites={sites_csv}", "--cell", cell, "--bandwidth", "500"]
    assert main([*argv, "--out", str(tmp_path / "s.tif")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("geodistrict: error: cell size") and "--cell" in err[0]
    assert not (tmp_path / "s.tif").exists()


# (h) real data --------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_universities_peak_in_london(shared_file):
    from geodistrict import read_boundaries, read_points

    unis = read_points(shared_file(UNIS))
    leps = read_boundaries(shared_file(LEP21))
    r = kde(unis, bandwidth_m=2000, cell_m=1000, within=leps)
    assert r.crs.equals(BNG)
    # points inside the LEP polygons, counted independently with shapely
    ux, uy = Transformer.from_crs(unis.crs, BNG, always_xy=True).transform(unis.x, unis.y)
    inside = shapely.contains_xy(shapely.union_all(leps.metric), ux, uy)
    assert r.n_points == inside.sum() and r.n_excluded == len(unis) - inside.sum()
    assert r.integral() == pytest.approx(r.n_points, rel=1e-9)
    row, col = np.unravel_index(np.argmax(r.array), r.array.shape)
    london = leps.metric[np.flatnonzero(leps.names == "London")[0]]
    assert shapely.contains_xy(london, *centre(r, row, col))


# (g) default cell, its peak error, and the edge correction (issue 18) -------------------------


def test_default_cell_is_an_eighth_or_a_fifth_of_the_bandwidth():
    import warnings

    from geodistrict.clusters.kde import default_cell

    lay = xy_layer([530_025.0, 530_400.0], [180_025.0, 180_300.0], crs=27700)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default never warns
        assert kde(lay, bandwidth_m=2000).cell_m == 250.0 == default_cell(2000)
        assert kde(lay, bandwidth_m=1000, kernel="gaussian").cell_m == 200.0


def test_coarse_cell_warns_with_the_expected_peak_error():

    lay = xy_layer([530_025.0], [180_025.0], crs=27700)
    # cell = bandwidth / 2 (the README's old examples): (2/3) (1/2)² = 16.7 % low
    with pytest.warns(GeodistrictWarning, match=r"16\.7 % low.*cell_m=125"):
        kde(lay, bandwidth_m=1000, cell_m=500)


CELLS = [("quartic", 250.0), ("quartic", 125.0), ("gaussian", 500.0), ("gaussian", 200.0)]


@pytest.mark.parametrize(("kernel", "cell"), CELLS)
def test_peak_error_formula_matches_isolated_points(kernel, cell):
    """The stated error, (2/3)(c/h)² or (1/6)(c/h)², against the exact kernel at the cell
    centre nearest each of 200 isolated points at random offsets in their cell."""
    from geodistrict.clusters.kde import peak_error

    rng = np.random.default_rng(18)
    h = 1000.0
    # 200 points 10 km apart (their kernels never meet), at random offsets in their cells
    gx, gy = np.meshgrid(np.arange(20) * 10_000.0, np.arange(10) * 10_000.0)
    x = 300_000 + gx.ravel() + rng.uniform(0, cell, 200)
    y = 300_000 + gy.ravel() + rng.uniform(0, cell, 200)
    r = kde(xy_layer(x, y, crs=27700), bandwidth_m=h, cell_m=cell, kernel=kernel)
    t = r.transform
    col, row = np.floor((x - t.c) / cell).astype(int), np.floor((y - t.f) / t.e).astype(int)
    cx, cy = t.c + (col + 0.5) * cell, t.f + (row + 0.5) * t.e
    ratio = [r.array[i, j] / exact_per_km2([a], [b], u, v, h=h, kernel=kernel)
             for i, j, a, b, u, v in zip(row, col, x, y, cx, cy, strict=True)]  # fmt: skip
    measured = 1.0 - float(np.mean(ratio))
    assert measured == pytest.approx(peak_error(h, cell, kernel), rel=0.2)


@pytest.mark.shared_data
def test_peak_at_the_default_cell_is_within_2_percent_of_the_exact_sum(onspd):
    """Acceptance (issue 18): 50 000 postcodes, 1 km quartic kernel at the default cell."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(18)
    box = (onspd.x > 370_000) & (onspd.x < 400_000) & (onspd.y > 385_000) & (onspd.y < 415_000)
    idx = rng.choice(np.flatnonzero(box), 50_000, replace=False)
    x, y = onspd.x[idx], onspd.y[idx]
    h = 1000.0
    r = kde(xy_layer(x, y, crs=27700), bandwidth_m=h)
    assert r.cell_m == 125.0
    # the exact kernel sum at the centres of every cell within 20 % of the surface's peak
    rows, cols = np.nonzero(r.array >= 0.8 * r.array.max())
    t = r.transform
    cx, cy = t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e
    tree = cKDTree(np.column_stack([x, y]))
    near = tree.query_ball_point(np.column_stack([cx, cy]), h)
    exact = np.array(
        [
            exact_per_km2(x[n], y[n], a, b, h=h, kernel="quartic")
            for a, b, n in zip(cx, cy, near, strict=True)
        ]
    )
    assert abs(r.array.max() / exact.max() - 1) < 0.02
    # at bandwidth/2 the same peak comes out far lower
    with pytest.warns(GeodistrictWarning):
        coarse = kde(xy_layer(x, y, crs=27700), bandwidth_m=h, cell_m=500)
    assert coarse.array.max() < 0.95 * exact.max()


def test_renormalise_edge_keeps_a_uniform_density_flat_to_the_edge():
    """Diggle's correction: under a uniform pattern the expected density is the intensity
    everywhere in the study area, at the edge too; without it the edge cells lose a third."""
    import geopandas as gpd

    rng = np.random.default_rng(18)
    n = 200_000
    x, y = rng.uniform(0, 10_000, (2, n))
    square = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10_000, 10_000)], crs=27700)
    lay = xy_layer(x, y, crs=27700)
    plain = kde(lay, bandwidth_m=1000, within=square)
    fixed = kde(lay, bandwidth_m=1000, within=square, edge="renormalise")
    lam = n / 100.0  # points per km²
    edge_x = np.full(40, 60.0)  # cells touching the western edge
    along = np.linspace(2_000, 8_000, 40)
    assert np.mean(plain.value_at(edge_x, along)) < 0.65 * lam
    assert np.mean(fixed.value_at(edge_x, along)) == pytest.approx(lam, rel=0.03)
    assert fixed.value_at(5_000.0, 5_000.0) == pytest.approx(plain.value_at(5_000.0, 5_000.0))
    assert fixed.value_at(-500.0, 5_000.0) == 0.0  # outside the study area
    assert fixed.spill_mass == 0.0 and "Diggle" in fixed.edge
    assert fixed.integral() == pytest.approx(n, rel=0.01)
    with pytest.raises(ParameterError, match="'none', 'renormalise'"):
        kde(lay, bandwidth_m=1000, edge="jones")
