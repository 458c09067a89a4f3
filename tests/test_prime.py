"""Prime locations and significance outlines: synthetic patterns, universities, the CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geodistrict.cli import main
from geodistrict.clusters.kde import kde, xy_layer
from geodistrict.clusters.prime import prime_locations, significance_outline
from geodistrict.errors import EmptyLayerError, ParameterError, SchemaError

# Cells coarser than bandwidth/8 (quartic) warn with the expected peak error (issue 18). The
# grids here are coarse on purpose — small hand-checkable surfaces and fast simulations whose
# assertions do not depend on the peak — so that warning is silenced in this module; it is
# tested in tests/test_kde.py::test_coarse_cell_warns_with_the_expected_peak_error.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*coarser than bandwidth:geodistrict.errors.GeodistrictWarning"
)


CENTRE = (2000.0, 2000.0)  # the planted cluster


def _land() -> tuple[np.ndarray, np.ndarray]:
    """Populated land: a 100 x 100 lattice of locations 100 m apart filling a 10 km square."""
    g = np.arange(50.0, 10_000.0, 100.0)
    gx, gy = np.meshgrid(g, g)
    return gx.ravel(), gy.ravel()


def _pattern(seed: int, *, background: int, planted: int) -> tuple[np.ndarray, np.ndarray]:
    """``background`` points drawn from the land plus ``planted`` uniform in 300 m of CENTRE."""
    rng = np.random.default_rng(seed)
    lx, ly = _land()
    i = rng.integers(0, len(lx), background)
    r = 300.0 * np.sqrt(rng.uniform(0, 1, planted))
    a = rng.uniform(0, 2 * np.pi, planted)
    x = np.concatenate([lx[i], CENTRE[0] + r * np.cos(a)])
    y = np.concatenate([ly[i], CENTRE[1] + r * np.sin(a)])
    return x, y


@pytest.fixture(scope="module")
def land():
    return xy_layer(*_land(), crs=27700, name="land")


def _centres_inside(result, box: tuple[float, float, float, float]) -> np.ndarray:
    """Cells of the result's grid whose centre lies in ``box`` (computed from the transform)."""
    t = result.observed.transform
    nr, nc = result.observed.array.shape
    cx = t.c + (np.arange(nc) + 0.5) * t.a
    cy = t.f + (np.arange(nr) + 0.5) * t.e
    return ((cx >= box[0]) & (cx <= box[2]))[None, :] & ((cy >= box[1]) & (cy <= box[3]))[:, None]


# ------------------------------------------------------------------------------------------------
# (a) a planted cluster, and a pattern without one


def test_planted_cluster_is_the_one_prime_outline(land):
    # 300 points spread like the population plus 200 within 300 m of (2 000, 2 000). Each
    # counterfactual spreads all 500 like the population, so away from the cluster the observed
    # density is 300/500 of the simulated mean. With a 2 km quartic kernel (effective area
    # 5π/9 h² ≈ 7 km²) a cell's simulated count is about Poisson(35), whose 95th percentile
    # (≈ 45) a background of mean 21 reaches with probability ~1e-6: one outline is expected.
    # (With 1 km, chance patches at the square's edges appeared in 4 of 5 seeds; with 2 km,
    # 20 of 20 seeds gave exactly one outline.)
    x, y = _pattern(0, background=300, planted=200)
    r = prime_locations(
        xy_layer(x, y, crs=27700),
        populated=land,
        bandwidth_m=2000,
        cell_m=100,
        simulations=99,
        seed=7,
    )
    assert r.n_points == 500 and r.n_populated == 10_000
    assert r.n_outlines == 1
    outline = r.outlines.geometry.iloc[0]
    assert outline.contains(shapely.Point(CENTRE))
    # every planted point is inside, and the outline's count is a recount of the points in it
    assert shapely.contains_xy(outline, x[300:], y[300:]).all()
    assert r.outlines["points"].iloc[0] == shapely.contains_xy(outline, x, y).sum()
    assert r.outlines["cells"].iloc[0] == r.prime.sum()
    assert r.outlines["area_km2"].iloc[0] == pytest.approx(r.prime.sum() * 0.01)
    # prime = observed above threshold = p_value <= 5 %, in cells centred in the study area
    study = _centres_inside(r, (50, 50, 9950, 9950))
    np.testing.assert_array_equal(r.prime, (r.observed.array > r.threshold) & study)
    np.testing.assert_array_equal(r.prime, r.p_value <= 0.05)
    assert np.isnan(r.p_value[~study]).all()
    assert r.parameters() == {
        "bandwidth_m": 2000.0,
        "cell_m": 100.0,
        "kernel": "quartic",
        "simulations": 99,
        "quantile": 0.95,
        "seed": 7,
        "jitter": False,
    }


def test_patterns_from_populated_land_rarely_show_a_prime_cell(land):
    # Without a cluster the observed map is exchangeable with its simulated ones, so the
    # map-level test declares any prime cell with probability at most 1 - quantile = 5 %.
    # (The earlier pointwise rule declared about 5 % of the *cells* of every such map prime.)
    runs, hit = 50, 0
    for k in range(runs):
        x, y = _pattern(100 + k, background=300, planted=0)
        r = prime_locations(xy_layer(x, y, crs=27700), populated=land, bandwidth_m=1000,
                            cell_m=250, simulations=19, seed=k)  # fmt: skip
        hit += bool(r.prime.any())
        np.testing.assert_array_equal(r.prime, r.p_value <= 0.05)
    assert hit <= 0.10 * runs
    rep = r.report()
    assert rep["prime_cells"] == r.prime.sum()
    assert rep["test"]["familywise_error"] == 0.05
    assert rep["points"]["in_study_area"] == 300 and rep["points"]["outside_study_area"] == 0
    assert rep["points"]["in_prime_outlines"] == r.outlines["points"].sum()


# ------------------------------------------------------------------------------------------------
# (b) the simulated threshold


def _score_of(density, r):
    """-log of the gamma upper tail with the result's null mean and sd (scipy.stats)."""
    from scipy import stats

    mu, sd = r.expected, r.null_sd
    with np.errstate(invalid="ignore", divide="ignore"):
        return -stats.gamma.logsf(density, a=(mu / sd) ** 2, scale=sd * sd / mu)


def test_map_level_test_redone_by_hand(land):
    x, y = _pattern(2, background=100, planted=50)
    pts = xy_layer(x, y, crs=27700)
    kw = {"populated": land, "bandwidth_m": 1500, "cell_m": 250, "simulations": 19}
    a = prime_locations(pts, seed=5, **kw)
    b = prime_locations(pts, seed=5, **kw)
    c = prime_locations(pts, seed=6, **kw)
    np.testing.assert_array_equal(a.threshold, b.threshold)
    np.testing.assert_array_equal(a.prime, b.prime)
    assert not np.array_equal(a.threshold, c.threshold)

    extent = (50, 50, 9950, 9950)
    study = _centres_inside(a, extent)
    # the null mean: 150 points drawn from the land = 150 / N times the land's own surface
    whole = kde(land, bandwidth_m=1500, cell_m=250, extent=extent)
    np.testing.assert_allclose(a.expected[study], 150 / len(land.x) * whole.array[study],
                               rtol=1e-9, atol=1e-9)  # fmt: skip
    # the same 19 draws redone with kde(), standardised, and the largest excess of each map
    rng = np.random.default_rng(5)
    draws = rng.integers(0, len(land.x), size=(19, 150))
    maxima = []
    for i in draws:
        s = kde(xy_layer(land.x[i], land.y[i], crs=27700), bandwidth_m=1500, cell_m=250,
                extent=extent)  # fmt: skip
        maxima.append(_score_of(s.array, a)[study].max())
    maxima = np.array(maxima)
    assert a.score_crit == pytest.approx(maxima.max(), rel=1e-9)  # 19 maps at 5 %: the largest
    score = _score_of(a.observed.array, a)
    np.testing.assert_allclose(a.score[study], score[study], rtol=1e-9, atol=1e-12)
    expected_p = (1 + (maxima[None, None, :] >= score[..., None]).sum(axis=2)) / 20
    np.testing.assert_array_equal(a.p_value[study], expected_p[study])
    np.testing.assert_array_equal(a.prime, (a.p_value <= 0.05) & study)
    assert a.prime.any()  # the 50 planted points


def test_seed_is_drawn_and_recorded(land):
    pts = xy_layer(*_pattern(3, background=50, planted=50), crs=27700)
    kw = {"populated": land, "bandwidth_m": 1500, "cell_m": 250, "simulations": 19}
    a = prime_locations(pts, **kw)
    again = prime_locations(pts, seed=a.seed, **kw)
    np.testing.assert_array_equal(a.threshold, again.threshold)


def test_jitter_keeps_draws_in_the_study_area(land):
    pts = xy_layer(*_pattern(4, background=100, planted=100), crs=27700)
    r = prime_locations(
        pts, populated=land, bandwidth_m=1500, cell_m=250, simulations=19, seed=1, jitter=True
    )
    assert r.jitter and r.outlines.contains(shapely.Point(CENTRE)).any()


def test_prime_options_are_checked_at_once(land):
    pts = xy_layer([1000.0], [1000.0], crs=27700)
    with pytest.raises(ParameterError) as err:
        prime_locations(pts, populated=land, bandwidth_m=1000, cell_m=100, simulations=9)
    assert "at least 19" in str(err.value)
    with pytest.raises(ParameterError) as err:
        prime_locations(pts, populated=land, bandwidth_m=1000, cell_m=100, quantile=1.5, seed="x")
    assert "quantile 1.5" in str(err.value) and "seed 'x'" in str(err.value)
    with pytest.raises(ParameterError, match="cell size 0"):
        prime_locations(pts, populated=land, bandwidth_m=1000, cell_m=0)


def test_populated_land_outside_the_study_area_is_refused(land):

    far = gpd.GeoDataFrame(geometry=[shapely.box(50_000, 50_000, 60_000, 60_000)], crs=27700)
    pts = xy_layer([55_000.0], [55_000.0], crs=27700)
    with pytest.raises(EmptyLayerError, match="populated locations"):
        prime_locations(pts, populated=land, within=far, bandwidth_m=1000, cell_m=100)


# ------------------------------------------------------------------------------------------------
# (c) significance_outline


def _grid3(hot: list[bool], z: list[float] | None = None, **cols) -> gpd.GeoDataFrame:
    """A 3 x 3 grid of 100 m cells, row by row from the south-west; count 1, 2, ..., 9."""
    cells = [
        shapely.box(c * 100, r * 100, c * 100 + 100, r * 100 + 100)
        for r in range(3)
        for c in range(3)
    ]
    data = {"count": np.arange(1, 10), "significant": hot, **cols}
    if z is not None:
        data["z"] = z
    return gpd.GeoDataFrame(data, geometry=cells, crs=27700)


# an L: the west column and the middle of the bottom row
L_SHAPE = [True, True, False, True, False, False, True, False, False]


def test_significance_outline_l_of_hot_cells_is_one_polygon():
    g = _grid3(L_SHAPE, hot_cold=["hot" if h else "ns" for h in L_SHAPE])
    o = significance_outline(g)
    assert len(o) == 1
    assert o["cells"].tolist() == [4]
    assert o["area_km2"].tolist() == pytest.approx([0.04])
    assert o["points"].tolist() == [1 + 2 + 4 + 7]
    assert o.geometry.iloc[0].equals(
        shapely.Polygon([(0, 0), (200, 0), (200, 100), (100, 100), (100, 300), (0, 300)])
    )
    assert o.attrs["selection"] == "significant & hot_cold == 'hot'"


def test_significance_outline_keeps_hot_cells_only():
    # a significant cold cell (z < 0) and a hot cell touching the L only at a corner
    sig = [True, True, False, True, True, False, True, False, True]
    z = [3.0, 3.0, 0.0, 3.0, -3.0, 0.0, 3.0, 0.0, 2.5]
    o = significance_outline(_grid3(sig, z))
    assert o.attrs["selection"] == "significant & z > 0"
    assert o["cells"].tolist() == [4, 1]  # the corner cell stays apart
    assert o["points"].tolist() == [1 + 2 + 4 + 7, 9]
    quad = ["HH", "HH", "ns", "HH", "LL", "ns", "HH", "ns", "HL"]
    o = significance_outline(_grid3(sig, z, quadrant=quad))
    assert o["cells"].tolist() == [4] and o.attrs["selection"] == "significant & quadrant == 'HH'"


def test_significance_outline_of_a_surface_and_a_per_cell_threshold(land):
    r = kde(xy_layer([1050.0], [1050.0], crs=27700), bandwidth_m=300, cell_m=100)
    o = significance_outline(r, threshold=1e-9)
    # cells whose centre is nearer than the radius: (i, j) with i² + j² < 9, 25 of them
    assert o["cells"].tolist() == [25] and o["points"].tolist() == pytest.approx([1.0])
    level = np.full(r.array.shape, np.inf)
    level[r.array.shape[0] // 2, :] = 0.0  # only the point's row may pass
    o = significance_outline(r, threshold=level)
    assert o["cells"].tolist() == [5]  # in that row, the cells with i² < 9
    with pytest.raises(ParameterError, match="shape"):
        significance_outline(r, threshold=np.zeros((2, 2)))
    with pytest.raises(ParameterError, match="needs threshold"):
        significance_outline(r)


def test_significance_outline_errors():
    g = _grid3(L_SHAPE)
    with pytest.raises(ParameterError, match="threshold= is for a density surface"):
        significance_outline(g, threshold=1.0)
    with pytest.raises(SchemaError, match="no column 'hot'"):
        significance_outline(g, column="hot")
    with pytest.raises(TypeError):
        significance_outline([1, 2, 3])


# ------------------------------------------------------------------------------------------------
# (d) universities on England's populated land


@pytest.mark.shared_data
def test_universities_prime_location_in_central_london(universities, lep21):
    import geodistrict
    from geodistrict.crs import transform_xy

    t0 = time.perf_counter()
    england = geodistrict.read_onspd("onspd:E")
    r = prime_locations(
        universities,
        populated=england,
        within=lep21,
        bandwidth_m=10_000,
        cell_m=5_000,
        simulations=39,
        seed=1,
    )
    elapsed = time.perf_counter() - t0
    assert elapsed < 20, elapsed
    # every located university is counted once: in the LEPs or outside them (Wales, Scotland)
    x, y = transform_xy(universities.x, universities.y, universities.crs, r.crs)
    inside = shapely.contains_xy(shapely.union_all(lep21.metric), x, y)
    assert r.n_points == inside.sum() and r.n_points + r.observed.n_excluded == len(universities)
    london = r.outlines[r.outlines.contains(shapely.Point(530_000, 180_400))]
    assert len(london) == 1
    poly = london.geometry.iloc[0]
    # the outline's count is a recount of the universities inside it, and it holds the most
    assert london["points"].iloc[0] == shapely.contains_xy(poly, x[inside], y[inside]).sum()
    assert london["outline"].iloc[0] == 0 and london["points"].iloc[0] >= 20


# ------------------------------------------------------------------------------------------------
# (e) the CLI


OFFSET = (530_000.0, 180_000.0)  # put the synthetic square in London for plausible eastings


@pytest.fixture
def cli_files(tmp_path: Path) -> dict[str, Path]:
    x, y = _pattern(5, background=150, planted=100)
    sites = tmp_path / "sites.csv"
    rows = [
        f"s{i},{a + OFFSET[0]:.1f},{b + OFFSET[1]:.1f}"
        for i, (a, b) in enumerate(zip(x, y, strict=True))
    ]
    sites.write_text("site,easting,northing\n" + "\n".join(rows) + "\nnowhere,,\n")
    lx, ly = _land()
    keep = (np.round(lx) % 200 == 50) & (np.round(ly) % 200 == 50)  # 2 500 locations
    populated = tmp_path / "land.csv"
    rows = [f"l{i},{a + OFFSET[0]:.1f},{b + OFFSET[1]:.1f}" for i, (a, b) in
            enumerate(zip(lx[keep], ly[keep], strict=True))]  # fmt: skip
    populated.write_text("loc,easting,northing\n" + "\n".join(rows) + "\n")
    district = tmp_path / "district.geojson"
    gpd.GeoDataFrame(
        {"id": ["D"], "name": ["District"]},
        geometry=[shapely.box(OFFSET[0], OFFSET[1], OFFSET[0] + 3000, OFFSET[1] + 3000)],
        crs=27700,
    ).to_file(district, driver="GeoJSON", engine="pyogrio")
    return {"sites": sites, "populated": populated, "district": district}


def test_cli_clusters_kde(tmp_path, cli_files, capsys):
    out, report = tmp_path / "prime.gpkg", tmp_path / "prime.json"
    argv = ["clusters", "--points", f"sites={cli_files['sites']}", "--method", "kde",
            "--populated", str(cli_files["populated"]), "--bandwidth", "2000", "--cell", "200",
            "--simulations", "19", "--seed", "3", "--out", str(out),
            "--compare", str(cli_files["district"]), "--report", str(report)]  # fmt: skip
    assert main(argv) == 0
    outlines = gpd.read_file(out)
    assert outlines.crs.to_epsg() == 27700
    assert list(outlines.columns[:5]) == [
        "outline",
        "cells",
        "area_km2",
        "points",
        "points_per_km2",
    ]
    centre = shapely.Point(CENTRE[0] + OFFSET[0], CENTRE[1] + OFFSET[1])
    assert outlines.contains(centre).iloc[0]
    rep = json.loads(report.read_text())
    pts = rep["points"]
    # 251 rows: 250 located, all in the study area (the land's bounding box), one without
    assert pts["input_rows"] == 251 and pts["rejected_rows"] == 1 and pts["located"] == 250
    assert pts["balanced"] is True and pts["in_outlines"] == outlines["points"].sum()
    assert rep["parameters"]["bandwidth_m"] == 2000 and rep["parameters"]["seed"] == 3
    assert rep["parameters"]["simulations"] == 19 and rep["parameters"]["quantile"] == 0.95
    assert rep["populated"]["locations"] == 2500
    sources = [s["source"] for s in rep["provenance"]["sources"]]
    assert sources == [str(cli_files["sites"]), str(cli_files["populated"])]
    # the overlap with the district, recomputed from the written outline
    first = outlines.geometry.iloc[0]
    district = gpd.read_file(cli_files["district"]).geometry.iloc[0]
    got = rep["compare"]["outlines"][0]
    assert got["overlap_share"] == pytest.approx(first.intersection(district).area / first.area)
    assert got["jaccard"] == pytest.approx(
        first.intersection(district).area / first.union(district).area
    )
    assert "prime cells" in capsys.readouterr().err


def test_cli_clusters_gi(tmp_path, cli_files, capsys):
    out, report = tmp_path / "hot.gpkg", tmp_path / "hot.json"
    argv = ["clusters", "--points", f"sites={cli_files['sites']}", "--method", "gi",
            "--cell", "500", "--fdr", "0.05", "--out", str(out), "--report", str(report),
            "--compare", str(cli_files["district"])]  # fmt: skip
    assert main(argv) == 0
    outlines = gpd.read_file(out)
    centre = shapely.Point(CENTRE[0] + OFFSET[0], CENTRE[1] + OFFSET[1])
    assert outlines.contains(centre).any()
    rep = json.loads(report.read_text())
    assert rep["method"] == "gi" and rep["n_outlines"] == len(outlines)
    assert rep["parameters"]["selection"] == "significant & hot_cold == 'hot'"
    assert rep["parameters"]["alpha"] == 0.05
    pts = rep["points"]
    assert pts["balanced"] is True and pts["located"] == 250
    assert pts["in_outlines"] == outlines["points"].sum()
    assert sum(o["cells"] for o in rep["outlines"]) == rep["hot_cells"]
    assert {"overlap_share", "jaccard"} <= set(rep["compare"]["all_outlines"])


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--method", "kde", "--cell", "200"], "--bandwidth"),
        (["--method", "kde", "--bandwidth", "2000", "--cell", "200", "--eps", "5"], "--eps"),
        (["--method", "kde", "--bandwidth", "2000", "--cell", "200", "--simulations", "9"],
         "at least 19"),
        (["--method", "gi"], "--cell"),
        (["--method", "gi", "--cell", "500", "--bandwidth", "100"], "--bandwidth is for"),
        (["--method", "dbscan", "--eps", "100", "--min-points", "5", "--cell", "5"], "--cell"),
    ],
)  # fmt: skip
def test_cli_kde_gi_errors_are_one_line_exit_2(tmp_path, cli_files, capsys, options, named):
    out = tmp_path / "c.gpkg"
    argv = ["clusters", "--points", f"sites={cli_files['sites']}", *options, "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("geodistrict: error:") and named in err[0]
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.shared_data
def test_null_patterns_on_manchester_postcodes_rarely_show_a_prime_cell(shared_file, onspd):
    """Acceptance (issue 18): 50 patterns of 132 postcodes drawn from Manchester's own
    postcodes (a true null); the map-level test declares any prime cell in at most 10 %."""
    import geodistrict as gd

    lads = gpd.read_file(shared_file("uk/boundaries/LAD_May_2024_EN_BUC_with_LEP21.geojson"))
    man = gd.prepare_boundaries(lads[lads["LAD24CD"] == "E08000003"])
    poly = shapely.union_all(man.metric)
    keep = shapely.contains_xy(poly, onspd.x, onspd.y)  # the directory is in EPSG:27700
    assert onspd.crs.to_epsg() == 27700 and keep.sum() > 10_000
    land = xy_layer(onspd.x[keep], onspd.y[keep], crs=27700, name="manchester postcodes")
    rng = np.random.default_rng(18)
    runs, hit = 50, 0
    for k in range(runs):
        i = rng.integers(0, len(land.x), 132)
        pts = xy_layer(land.x[i], land.y[i], crs=27700)
        r = prime_locations(pts, populated=land, within=man, bandwidth_m=1000, cell_m=125,
                            simulations=19, seed=k)  # fmt: skip
        hit += bool(r.prime.any())
    assert hit <= 0.10 * runs
