"""Local statistics: Gi* and local Moran's I against PySAL's esda, weights against libpysal.

The independent source is PySAL itself: ``esda.G_Local`` and ``esda.Moran_Local`` on the same
values with libpysal's own ``Graph.build_contiguity`` weights; the multiple-testing thresholds
are worked by hand and checked against ``scipy.stats.false_discovery_control``.

Third-party warnings filtered here, only where esda is called directly by a test: esda 2.9's
``DeprecationWarning`` that the default ``alternative`` of its permutation test will change
(geodistrict chooses the alternative itself and silences it in its own calls).
"""

from __future__ import annotations

import json
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

import geodistrict as gd
from geodistrict.cli import main
from geodistrict.clusters.grids import hex_grid, square_grid
from geodistrict.clusters.kde import xy_layer
from geodistrict.clusters.local import (
    getis_ord,
    grid_weights,
    hotspots,
    local_moran,
    p_threshold,
    weights_for,
)
from geodistrict.errors import EmptyLayerError, GeodistrictWarning, ParameterError

esda = pytest.importorskip("esda")
libpysal_graph = pytest.importorskip("libpysal.graph")
Graph = libpysal_graph.Graph

ESDA_ALTERNATIVE = pytest.mark.filterwarnings(
    "ignore:The alternative hypothesis for conditional randomization:DeprecationWarning"
)
X0, Y0 = 530_000, 180_000  # a 10 km square in London, 100 m cells: 100 x 100 = 10 000 cells
BLOCK = (slice(40, 50), slice(60, 70))  # rows 40-49, cols 60-69: the planted hot block


def _frame(*geoms, crs=27700) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [f"d{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=crs
    )


@pytest.fixture(scope="module")
def grid100() -> gpd.GeoDataFrame:
    g = square_grid(_frame(shapely.box(X0, Y0, X0 + 10_000, Y0 + 10_000)), cell_m=100)
    assert len(g) == 10_000
    return g


@pytest.fixture(scope="module")
def counts(grid100) -> pd.Series:
    """Seeded Poisson(4) counts with +10 in the planted 10 x 10 block."""
    rng = np.random.default_rng(20240501)
    y = rng.poisson(4.0, len(grid100)).astype(float)
    block = grid100["row"].between(40, 49) & grid100["col"].between(60, 69)
    y[block.to_numpy()] += 10
    return pd.Series(y, index=grid100.index, name="count")


@pytest.fixture(scope="module")
def pysal_queen(grid100):
    """libpysal's own queen contiguity of the same cells (built from geometry)."""
    return Graph.build_contiguity(grid100, rook=False)


# ---------------------------------------------------------------------------------------------
# (a) analytic values equal esda's
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weights", ["pysal", "ours_row_standardised", "ours_binary", "ours_without_libpysal"]
)
def test_gi_star_z_equals_esda(grid100, counts, pysal_queen, weights):
    from geodistrict.clusters import grid_adjacency

    graph = {
        "pysal": pysal_queen,
        "ours_row_standardised": grid_weights(grid100),
        "ours_binary": grid_weights(grid100, row_standardise=False),
        "ours_without_libpysal": grid_adjacency(grid100),
    }[weights]
    ours = getis_ord(counts, graph, null="total")
    ref = esda.G_Local(counts.to_numpy(), pysal_queen, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(ours.values["gi_z"], ref.Zs, rtol=0, atol=1e-8)
    # esda's p_norm is one-sided in the observed direction: half our two-sided p
    np.testing.assert_allclose(ours.values["gi_p"], 2 * ref.p_norm, rtol=1e-10, atol=1e-300)
    directed = getis_ord(counts, graph, alternative="directed", null="total")
    np.testing.assert_allclose(directed.values["gi_p"], ref.p_norm, rtol=1e-10, atol=1e-300)
    assert ours.values.index.equals(counts.index)
    assert ours.statistic == "gi_star" and ours.n_tests == 10_000


@pytest.mark.parametrize("contiguity", ["queen", "rook"])
def test_gi_star_z_equals_esda_rook_and_queen(grid100, counts, contiguity):
    pysal = Graph.build_contiguity(grid100, rook=contiguity == "rook")
    ours = getis_ord(counts, grid_weights(grid100, contiguity=contiguity), null="total")
    ref = esda.G_Local(counts.to_numpy(), pysal, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(ours.values["gi_z"], ref.Zs, rtol=0, atol=1e-8)


@pytest.mark.parametrize("contiguity", ["queen", "rook"])
def test_grid_adjacency_is_libpysals_graph_without_libpysal(grid100, contiguity):
    from geodistrict.clusters import grid_adjacency

    pysal = Graph.build_contiguity(grid100, rook=contiguity == "rook")
    adj = grid_adjacency(grid100, contiguity=contiguity, row_standardise=False)
    assert adj.unique_ids.equals(pysal.unique_ids)
    pd.testing.assert_series_equal(
        adj.adjacency, pysal.adjacency, check_names=False, check_index_type=False, check_dtype=False
    )
    assert adj.cardinalities.tolist() == pysal.cardinalities.tolist()
    # a clipped grid with an isolated cell: libpysal's self-loop of weight 0
    part = grid100[(grid100["row"] < 2) & (grid100["col"] < 2) | (grid100["row"] == 50)]
    part = part[(part["row"] < 2) | (part["col"] == 50)]
    lonely = grid_adjacency(part, contiguity=contiguity)
    assert lonely.cardinalities.tolist() == ([3, 3, 3, 3, 0] if contiguity == "queen"
                                             else [2, 2, 2, 2, 0])  # fmt: skip
    pd.testing.assert_series_equal(lonely.to_graph().adjacency, lonely.adjacency)


def test_permutations_on_a_grid_adjacency_equal_those_on_the_graph(grid100, counts):
    from geodistrict.clusters import grid_adjacency

    kw = {"permutations": 99, "seed": 7, "correction": "none"}
    on_adj = local_moran(counts, grid_adjacency(grid100), **kw).values
    on_graph = local_moran(counts, grid_weights(grid100), **kw).values
    pd.testing.assert_frame_equal(on_adj, on_graph)


def test_esda_default_row_standardised_gi_shrinks_z(grid100, counts):
    """Why transform="B": esda's "R" puts row weights 1/(k+1) into the binary-weights variance.

    Worked out: z_R = (mean of the k + 1 values - ybar) / s, while Gi* with binary weights is
    z_B = z_R * sqrt((k + 1)(N - 1) / (N - k - 1)), about 3 x larger for queen neighbours.
    """
    binary = grid_weights(grid100, row_standardise=False)
    y = counts.to_numpy()
    z_b = getis_ord(counts, binary, null="total").values["gi_z"].to_numpy()
    z_r = esda.G_Local(y, binary, transform="R", star=True, permutations=0).Zs
    k1 = binary.cardinalities.to_numpy() + 1.0
    n = len(y)
    np.testing.assert_allclose(z_r, z_b * np.sqrt((n - k1) / (k1 * (n - 1))), atol=1e-10)


def test_local_moran_equals_esda(grid100, counts, pysal_queen):
    ours = local_moran(counts, grid_weights(grid100), correction="none")
    ref = esda.Moran_Local(counts.to_numpy(), pysal_queen, permutations=0)
    v = ours.values
    np.testing.assert_allclose(v["lisa_I"], ref.Is, rtol=0, atol=1e-8)
    z = (ref.Is - ref.EIc) / np.sqrt(ref.VIc)  # conditional randomisation
    np.testing.assert_allclose(v["lisa_z"], z, rtol=0, atol=1e-8)
    quad = np.array(["HH", "LH", "LL", "HL"])[ref.q - 1]
    sig = v["significant"].to_numpy()
    assert sig.sum() > 100
    np.testing.assert_array_equal(v["lisa_quadrant"].to_numpy()[sig], quad[sig])
    assert (v["lisa_quadrant"][~sig] == "ns").all()


# ---------------------------------------------------------------------------------------------
# (b) permutation p-values equal esda's with the same seed
# ---------------------------------------------------------------------------------------------


@ESDA_ALTERNATIVE
def test_gi_star_permutation_p_equals_esda(grid100, counts, pysal_queen):
    from esda.significance import calculate_significance

    graph = grid_weights(grid100)
    ref = esda.G_Local(
        counts.to_numpy(),
        pysal_queen,
        transform="B",
        star=True,
        permutations=99,
        seed=12345,
        n_jobs=1,  # esda's parallel path calls np.row_stack, deprecated in numpy 2
    )
    directed = getis_ord(
        counts, graph, permutations=99, seed=12345, correction="none", alternative="directed"
    )
    np.testing.assert_array_equal(directed.values["gi_p"].to_numpy(), ref.p_sim)
    two = getis_ord(counts, graph, permutations=99, seed=12345, correction="none", null="total")
    expected = calculate_significance(ref.Gs, ref.rGs, alternative="two-sided")
    np.testing.assert_array_equal(two.values["gi_p"].to_numpy(), expected)
    assert two.permutations == 99 and two.seed == 12345
    assert (two.values["gi_p"] >= 0.01).all()  # 1 / (99 + 1) is the floor
    # the z-scores stay analytic
    np.testing.assert_allclose(two.values["gi_z"], ref.Zs, atol=1e-8)


@ESDA_ALTERNATIVE
def test_local_moran_permutation_p_equals_esda(grid100, counts, pysal_queen):
    from esda.significance import calculate_significance

    graph = grid_weights(grid100)
    ref = esda.Moran_Local(counts.to_numpy(), pysal_queen, permutations=99, seed=777, n_jobs=1)
    directed = local_moran(
        counts, graph, permutations=99, seed=777, correction="none", alternative="directed"
    )
    np.testing.assert_array_equal(directed.values["lisa_p"].to_numpy(), ref.p_sim)
    two = local_moran(counts, graph, permutations=99, seed=777, correction="none")
    expected = calculate_significance(ref.Is, ref.rlisas, alternative="two-sided")
    np.testing.assert_array_equal(two.values["lisa_p"].to_numpy(), expected)


def test_too_few_permutations_for_the_correction_warns(grid100, counts):
    graph = grid_weights(grid100)
    with pytest.warns(GeodistrictWarning, match="smallest attainable p-value is 1/100"):
        r = getis_ord(counts, graph, permutations=99, seed=1, correction="bonferroni")
    assert r.n_significant == 0 and r.p_threshold == pytest.approx(0.05 / 10_000)


def test_seed_is_drawn_recorded_and_reproducible():
    g = square_grid(_frame(shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)), cell_m=100)
    y = np.random.default_rng(3).poisson(3, len(g)).astype(float)
    w = grid_weights(g)
    first = getis_ord(y, w, permutations=49, correction="none")
    assert isinstance(first.seed, int)
    again = getis_ord(y, w, permutations=49, seed=first.seed, correction="none")
    pd.testing.assert_frame_equal(first.values, again.values)
    assert getis_ord(y, w).seed is None  # analytic: no seed involved


# ---------------------------------------------------------------------------------------------
# (c) multiple testing
# ---------------------------------------------------------------------------------------------


def test_benjamini_hochberg_hand_worked():
    # m = 10, alpha = 0.05: the step-up cut-offs k x 0.005 are 0.005, 0.010, 0.015, ...
    p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.060, 0.074, 0.205, 0.212, 0.216]
    # p(1) = 0.001 <= 0.005 and p(2) = 0.008 <= 0.010; p(3) = 0.039 > 0.015, ... p(10) > 0.05
    assert p_threshold(p, alpha=0.05) == pytest.approx(0.010)
    # step-up: p(1) = 0.010 > 0.005 and p(2) = 0.013 > 0.010 fail their own cut-offs, but
    # p(3) = 0.014 <= 0.015, so all three are discoveries
    q = [0.81, 0.013, 0.35, 0.010, 0.5, 0.014, 0.63, 0.19, 0.67, 0.75]  # any order
    assert p_threshold(q, alpha=0.05) == pytest.approx(0.015)
    assert (np.asarray(q) <= p_threshold(q, alpha=0.05)).sum() == 3
    # no discovery: the threshold is the first cut-off, which nothing reaches
    assert p_threshold([0.2, 0.5, 0.9], alpha=0.05) == pytest.approx(0.05 / 3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_benjamini_hochberg_agrees_with_scipy(seed):
    from scipy.stats import false_discovery_control

    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(0, 1, 900), rng.uniform(0, 1e-3, 100)])
    ours = p <= p_threshold(p, alpha=0.05)
    assert np.array_equal(ours, false_discovery_control(p, method="bh") <= 0.05)


def test_bonferroni_none_and_untestable_units():
    p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.060, 0.074, 0.205, 0.212, 0.216]
    assert p_threshold(p, alpha=0.05, correction="bonferroni") == pytest.approx(0.005)
    assert p_threshold(p, alpha=0.05, correction="none") == 0.05
    # NaN p-values (isolates in a LISA) are not tests: m = 10, not 12
    assert p_threshold([*p, np.nan, np.nan], correction="bonferroni") == pytest.approx(0.005)
    with pytest.raises(ValueError, match="'fdr_bh', 'bonferroni', 'none'"):
        p_threshold(p, correction="holm")


# ---------------------------------------------------------------------------------------------
# (d) weights equal libpysal's
# ---------------------------------------------------------------------------------------------


def _same_graph(ours, theirs) -> None:
    assert ours.unique_ids.equals(theirs.unique_ids)
    a, b = ours.sparse, theirs.sparse
    assert (abs(a - b) > 1e-12).nnz == 0
    assert ours.isolates.equals(theirs.isolates)


@pytest.mark.parametrize("contiguity", ["queen", "rook"])
@pytest.mark.parametrize("row_standardise", [False, True])
def test_grid_weights_equal_build_contiguity(grid100, contiguity, row_standardise):
    ours = grid_weights(grid100, contiguity=contiguity, row_standardise=row_standardise)
    theirs = Graph.build_contiguity(grid100, rook=contiguity == "rook")
    theirs = theirs.transform("R") if row_standardise else theirs
    assert ours.transformation == ("R" if row_standardise else "B")
    _same_graph(ours, theirs)


@pytest.mark.parametrize("contiguity", ["queen", "rook"])
def test_grid_weights_on_an_irregular_shuffled_grid(contiguity):
    # a ring (hole in the middle) and a separate single-cell island: ragged rows, isolates
    ring = (
        shapely.Point(X0 + 1000, Y0 + 1000)
        .buffer(900)
        .difference(shapely.Point(X0 + 1000, Y0 + 1000).buffer(300))
    )
    island = shapely.box(X0 + 3010, Y0 + 10, X0 + 3020, Y0 + 20)
    g = square_grid(_frame(ring, island), cell_m=100)
    g = g.sample(frac=1.0, random_state=4)  # the order of rows must not matter
    g.index = [f"c{i}" for i in range(len(g))]
    ours = grid_weights(g, contiguity=contiguity, row_standardise=False)
    theirs = Graph.build_contiguity(g, rook=contiguity == "rook")
    _same_graph(ours, theirs)
    assert len(ours.isolates) == 1


def test_hex_grid_weights_equal_h3_and_geometry():
    g = hex_grid(_frame(shapely.Point(545000, 258000).buffer(2000)), resolution=9)
    ours = grid_weights(g, row_standardise=False)
    by_h3 = Graph.build_h3(g["cell_id"].to_numpy(), order=1, weight="binary")
    pos = dict(zip(g["cell_id"], g.index, strict=True))

    def edges(graph, relabel=None):
        a = graph.adjacency.reset_index()
        a = a[a["weight"] != 0]
        f, n = a["focal"], a["neighbor"]
        if relabel:
            f, n = f.map(relabel), n.map(relabel)
        return set(zip(f, n, strict=True))

    assert edges(ours) == edges(by_h3, pos)
    assert edges(ours) == edges(Graph.build_contiguity(g, rook=True))
    assert ours.cardinalities.max() == 6


def test_weights_for_polygons():
    squares = _frame(
        shapely.box(X0, Y0, X0 + 100, Y0 + 100),
        shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100),
        shapely.box(X0 + 200, Y0 + 100, X0 + 300, Y0 + 200),  # corner contact with the 2nd
        shapely.box(X0 + 5000, Y0, X0 + 5100, Y0 + 100),
    )
    queen = weights_for(squares, row_standardise=False)
    _same_graph(queen, Graph.build_contiguity(squares, rook=False))
    assert queen.cardinalities.tolist() == [1, 2, 1, 0]
    assert weights_for(squares, contiguity="rook").cardinalities.tolist() == [1, 1, 0, 0]
    assert weights_for(squares, kind="knn", k=2).cardinalities.tolist() == [2, 2, 2, 2]
    # centroids 100 m and 141 m apart; distances are metres even for lon/lat input
    band = weights_for(squares.to_crs(4326), kind="distance_band", threshold_m=120)
    assert band.cardinalities.tolist() == [1, 1, 0, 0]
    with pytest.raises(ValueError, match="threshold_m"):
        weights_for(squares, kind="distance_band")
    with pytest.raises(ValueError, match="'contiguity', 'distance_band', 'knn'"):
        weights_for(squares, kind="kernel")


# ---------------------------------------------------------------------------------------------
# (f) the planted block is found; a uniform field is (almost) silent after correction
# ---------------------------------------------------------------------------------------------


def test_planted_hot_block_is_found(grid100, counts):
    r = getis_ord(counts, grid_weights(grid100))
    v = r.values
    rows, cols = grid100["row"], grid100["col"]
    core = rows.between(41, 48) & cols.between(61, 68)  # the block but its outer ring
    assert (v.loc[core, "hot_cold"] == "hot").all()
    far = ~(rows.between(38, 51) & cols.between(58, 71))
    # Benjamini-Hochberg bounds the *share* of false discoveries: about 5 % of the ~130 cells
    # found (the exact conditional test finds 6 far away, the total-randomisation normal
    # approximation was conservative and found none)
    assert v.loc[far, "significant"].sum() <= 0.05 * r.n_significant + 2
    lisa = local_moran(counts, grid_weights(grid100)).values
    assert (lisa.loc[core, "lisa_quadrant"] == "HH").mean() > 0.9


def test_uniform_field_has_no_hot_spots_after_fdr(grid100):
    rng = np.random.default_rng(99)
    y = rng.poisson(4.0, len(grid100)).astype(float)
    w = grid_weights(grid100)
    fdr = getis_ord(y, w)
    raw = getis_ord(y, w, correction="none")
    # without a correction about 5 % of 10 000 null cells look significant ...
    assert 250 < raw.n_significant < 800
    # ... with Benjamini-Hochberg at 5 % (almost) none does
    assert fdr.n_significant <= 5
    assert fdr.p_threshold < raw.p_threshold == 0.05
    assert local_moran(y, w).n_significant <= 5
    assert 400 < local_moran(y, w, correction="none").n_significant < 600


def test_total_randomisation_moments_would_flood_a_null_field(grid100):
    """Why local_moran uses esda's conditional moments (EIc, VIc), not EI/VI."""
    from scipy.special import erfc

    y = np.random.default_rng(99).normal(size=len(grid100))
    ref = esda.Moran_Local(y, grid_weights(grid100), permutations=0)
    p_total = erfc(np.abs((ref.Is - ref.EI) / np.sqrt(ref.VI)) / np.sqrt(2))
    assert (p_total <= p_threshold(p_total)).sum() > 50  # false discoveries after BH
    assert local_moran(y, grid_weights(grid100)).n_significant <= 5


# ---------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------


def test_values_are_aligned_on_the_graph_ids(grid100, counts):
    w = grid_weights(grid100)
    shuffled = counts.sample(frac=1.0, random_state=1)
    a = getis_ord(counts, w).values
    b = getis_ord(shuffled, w).values
    assert b.index.equals(shuffled.index)
    pd.testing.assert_frame_equal(a.loc[shuffled.index], b)
    c = local_moran(shuffled, w).values
    pd.testing.assert_frame_equal(local_moran(counts, w).values.loc[shuffled.index], c)
    # plain arrays align by position
    np.testing.assert_array_equal(getis_ord(counts.to_numpy(), w).values["gi_z"], a["gi_z"])


def test_bad_values_and_graphs_are_refused(grid100, counts):
    w = grid_weights(grid100)
    with pytest.raises(ValueError, match="graph's ids"):
        getis_ord(counts.set_axis(counts.index + 1), w)
    with pytest.raises(ValueError, match="1 missing"):
        getis_ord(counts.where(counts.index != 5), w)
    with pytest.raises(ValueError, match="no variation"):
        local_moran(pd.Series(2.0, index=counts.index), w)
    small = square_grid(_frame(shapely.box(X0, Y0, X0 + 500, Y0 + 500)), cell_m=100)
    kernel = grid_weights(small).transform(lambda s: s * np.arange(1, len(s) + 1))
    with pytest.raises(ValueError, match="vary within rows"):
        getis_ord(np.arange(25.0), kernel)
    with pytest.raises(ValueError, match="star=False"):
        getis_ord(np.arange(25.0), grid_weights(small), star=False)
    with pytest.raises(ValueError, match="'gi', 'lisa'"):
        hotspots(_points([X0 + 1], [Y0 + 1]), cell_m=100, statistic="moran")


# ---------------------------------------------------------------------------------------------
# hotspots(): the one-call path
# ---------------------------------------------------------------------------------------------


def _points(xs, ys) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=27700)


def _clustered(n_bg=400, n_hot=300, seed=0):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(0, 2000, n_bg), rng.uniform(800, 1100, n_hot)]) + X0
    y = np.concatenate([rng.uniform(0, 2000, n_bg), rng.uniform(800, 1100, n_hot)]) + Y0
    return x, y


def test_hotspots_gi_contract_and_attrs():
    x, y = _clustered()
    district = _frame(shapely.box(X0, Y0, X0 + 2000, Y0 + 2000))
    h = hotspots(_points(x, y), within=district, cell_m=100)
    assert list(h.columns) == [
        "cell_id", "row", "col", "count", "count_per_km2", "locations",
        "z", "p", "significant", "hot_cold", "geometry",
    ]  # fmt: skip
    assert len(h) == 400 and h["count"].sum() == 700
    hot = h.loc[h["hot_cold"] == "hot", "cell_id"]
    assert "E530900N180900" in set(hot)  # the middle of the cluster [800, 1100]²
    a = h.attrs["hotspots"]
    assert a["statistic"] == "gi" and a["n_tests"] == 400 and a["correction"] == "fdr_bh"
    assert a["n_significant"] == h["significant"].sum()
    assert (h.loc[h["significant"], "p"] <= a["p_threshold"]).all()
    assert (h.loc[~h["significant"], "p"] > a["p_threshold"]).all()
    assert a["weights"].startswith("queen contiguity on a 100 m square grid")
    assert h.attrs["count"]["in_cells"] == 700 and h.attrs["grid"]["kind"] == "square"
    json.dumps(h.attrs)  # JSON-ready


def test_hotspots_lisa_hex_and_default_extent():
    x, y = _clustered()
    lisa = hotspots(_points(x, y), cell_m=100, statistic="lisa")
    assert {"lisa_I", "quadrant"} <= set(lisa.columns) and "hot_cold" not in lisa.columns
    assert set(lisa["quadrant"]) <= {"HH", "LH", "LL", "HL", "ns"}
    assert "HH" in set(lisa["quadrant"])
    assert lisa["count"].sum() == 700  # the default extent holds every point
    hexes = hotspots(_points(x, y), cell_m=100, grid="hex")
    assert hexes.attrs["grid"]["resolution"] == 10 and "row" not in hexes.columns
    assert hexes["count"].sum() == 700 and (hexes["hot_cold"] == "hot").any()


def test_hotspots_on_distinct_locations():
    x, y = _clustered(n_hot=0)
    xs = np.concatenate([x, np.full(500, X0 + 1550.0)])  # 500 points stacked on one spot
    ys = np.concatenate([y, np.full(500, Y0 + 450.0)])
    # Getis and Ord's total randomisation counts the cell's own stack: hot by counts only
    counted = hotspots(_points(xs, ys), cell_m=100, null="total")
    places = hotspots(_points(xs, ys), cell_m=100, value="locations", null="total")
    stack = counted["cell_id"] == "E531500N180400"
    assert counted.loc[stack, "hot_cold"].item() == "hot"
    assert places.loc[stack, "hot_cold"].item() == "ns"
    # the conditional null (the default, esda's permutation null) holds the cell's own value
    # fixed: a stack among ordinary neighbours is no hot spot either way
    default = hotspots(_points(xs, ys), cell_m=100)
    assert default.loc[stack, "hot_cold"].item() == "ns"
    assert counted.attrs["count"]["largest_stacks"][0]["points"] == 500


def test_hotspots_without_points_in_the_area():
    far = _frame(shapely.box(X0 + 50_000, Y0, X0 + 51_000, Y0 + 1000))
    with pytest.raises(EmptyLayerError, match="none of its 2 points"):
        hotspots(_points([X0 + 1, X0 + 2], [Y0 + 1, Y0 + 2]), within=far, cell_m=100)


def test_grid_weights_and_gi_star_are_fast():
    """The interactive path: weights + analytic Gi* on 100 000 cells (benchmark: < 0.5 s)."""
    g = square_grid(_frame(shapely.box(X0, Y0, X0 + 31_600, Y0 + 31_700)), cell_m=100)
    y = np.random.default_rng(0).poisson(3, len(g)).astype(float)
    getis_ord(y, grid_weights(g))  # warm
    t = time.perf_counter()
    getis_ord(y, grid_weights(g))
    assert time.perf_counter() - t < 2.0  # generous on a loaded CI runner


# ---------------------------------------------------------------------------------------------
# (g) the command line
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def sites_csv(tmp_path):
    x, y = _clustered()
    path = tmp_path / "sites.csv"
    pd.DataFrame({"site": range(len(x)), "easting": x, "northing": y}).to_csv(path, index=False)
    return path


def test_cli_hotspots_gi(tmp_path, sites_csv, capsys):
    out, rep = tmp_path / "hot.gpkg", tmp_path / "hot.json"
    argv = ["hotspots", "--points", f"sites={sites_csv}", "--cell", "100"]
    assert main([*argv, "--out", str(out), "--report", str(rep)]) == 0
    cells = gpd.read_file(out)
    assert {"cell_id", "count", "z", "p", "significant", "hot_cold"} <= set(cells.columns)
    assert cells["count"].sum() == 700 and cells.crs.to_epsg() == 27700
    assert (cells["hot_cold"] == "hot").any()
    report = json.loads(rep.read_text())
    params = report["parameters"]
    assert params["cell_m"] == 100 and params["statistic"] == "gi"
    assert params["n_tests"] == len(cells) and params["p_threshold"] > 0
    assert "queen contiguity" in params["weights"] and params["correction"] == "fdr_bh"
    prov = report["provenance"]
    assert prov["tool"] == f"geodistrict {gd.__version__}"
    assert prov["sources"][0]["source"] == str(sites_csv)
    assert prov["crs"]["output"] == "EPSG:27700"
    meta = pyogrio.read_info(out).get("layer_metadata") or {}
    assert "geodistrict_provenance" in meta
    assert "tests" in capsys.readouterr().err


def test_cli_hotspots_lisa_within_a_selected_feature(tmp_path, sites_csv):
    within = tmp_path / "areas.geojson"
    _frame(
        shapely.box(X0, Y0, X0 + 2000, Y0 + 2000), shapely.box(X0 + 9000, Y0, X0 + 9500, Y0 + 500)
    ).to_file(within, driver="GeoJSON", engine="pyogrio")
    out = tmp_path / "lisa.gpkg"
    code = main(
        [
            "hotspots", "--points", f"sites={sites_csv}", "--within", str(within),
            "--within-id", "d0", "--cell", "200", "--statistic", "lisa", "--permutations", "199",
            "--seed", "7", "--correction", "none", "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    cells = gpd.read_file(out)
    assert len(cells) == 100  # d0 only: 2 km / 200 m = 10 x 10
    assert {"count", "z", "p", "significant", "quadrant", "lisa_I"} <= set(cells.columns)
    assert (cells["p"] >= 1 / 200).all()


def test_cli_rejects_a_bad_statistic(tmp_path, sites_csv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["hotspots", "--points", f"sites={sites_csv}", "--cell", "100",
              "--statistic", "moran", "--out", str(tmp_path / "x.gpkg")])  # fmt: skip
    assert exc.value.code == 2
    assert "invalid choice: 'moran'" in capsys.readouterr().err


def test_cli_bad_level_is_one_line(tmp_path, sites_csv, capsys):
    argv = ["hotspots", "--points", f"sites={sites_csv}", "--cell", "100", "--fdr", "1.5"]
    assert main([*argv, "--out", str(tmp_path / "x.gpkg")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("geodistrict: error: fdr=1.5")


def test_cli_unknown_within_id_is_one_line(tmp_path, sites_csv, capsys):
    within = tmp_path / "areas.geojson"
    _frame(shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)).to_file(within, driver="GeoJSON")
    code = main(
        ["hotspots", "--points", f"sites={sites_csv}", "--within", str(within), "--within-id",
         "E07000008", "--cell", "100", "--out", str(tmp_path / "x.gpkg")]
    )  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("geodistrict: error:") and "areas.geojson" in err[0]
    assert "'E07000008'" in err[0] and "geodistrict inspect" in err[0]


# ---------------------------------------------------------------------------------------------
# (h) real data: postcode hot spots in Cambridge
# ---------------------------------------------------------------------------------------------

LAD24 = "uk/boundaries/LAD_May_2024_EN_BUC_with_LEP21.geojson"
CB2_1TN = (544705, 258430)  # city centre (Downing Street), E/N from the ONS Postcode Directory


@pytest.mark.shared_data
def test_cambridge_postcode_hot_spots_include_the_city_centre(shared_file, onspd):
    t = time.perf_counter()
    lads = gpd.read_file(shared_file(LAD24))
    cambridge = gd.prepare_boundaries(lads[lads["LAD24CD"] == "E07000008"])
    # the city centre's own postcode sits where the directory says
    row = onspd.attributes.index[onspd.attributes["pcd"] == "CB2 1TN"][0]
    assert (onspd.x[row], onspd.y[row]) == CB2_1TN
    # Counting postcodes, hundreds of PO-box and large-user postcodes stacked on one point (the
    # delivery office) dominate the variance; distinct postcode locations measure the city.
    counted = hotspots(onspd, within=cambridge, cell_m=250)
    assert counted.attrs["count"]["largest_stacks"][0]["points"] > 300
    h = hotspots(onspd, within=cambridge, cell_m=250, value="locations")
    ox, oy = h.attrs["grid"]["origin"]
    centre = h[(h["col"] == (CB2_1TN[0] - ox) // 250) & (h["row"] == (CB2_1TN[1] - oy) // 250)]
    assert centre["cell_id"].item() == "E544500N258250"
    assert centre["hot_cold"].item() == "hot"
    # among the hottest: in the top 10 % of the cells by z
    rank = (h["z"] > centre["z"].item()).sum()
    assert rank < 0.10 * len(h)
    assert h.attrs["hotspots"]["n_tests"] == len(h) > 600
    assert time.perf_counter() - t < 10


@ESDA_ALTERNATIVE
@pytest.mark.shared_data
def test_gi_star_analytic_agrees_with_999_permutations_in_manchester(shared_file, onspd):
    """Acceptance (issue 18): the analytic Gi* tests the permutation test's own null.

    On the skewed postcode counts of Manchester's 500 m grid, Getis and Ord's total
    randomisation found 18 hot and 0 cold cells where 999 conditional permutations find
    14 hot and 42 cold. The conditional null's exact distribution (own value held fixed,
    neighbours drawn without replacement from the other cells) agrees with esda's
    permutations up to their Monte Carlo error.
    """
    lads = gpd.read_file(shared_file(LAD24))
    man = gd.prepare_boundaries(lads[lads["LAD24CD"] == "E08000003"])
    exact = hotspots(onspd, within=man, cell_m=500)
    perm = hotspots(onspd, within=man, cell_m=500, permutations=999, seed=1)
    assert len(exact) == len(perm) > 500
    for cls in ("hot", "cold"):
        a = set(np.flatnonzero(exact["hot_cold"] == cls))
        b = set(np.flatnonzero(perm["hot_cold"] == cls))
        assert len(a & b) / len(a | b) >= 0.8, (cls, len(a), len(b))
    assert (exact["hot_cold"] == "cold").sum() > 20  # the cold spots total randomisation missed
    # seed-free check: where it matters (p < 0.2), every permutation p-value lies within its
    # Monte Carlo error of the exact one (999 draws: binomial sd, plus esda's two-sided floor
    # of 3/1000). Near p = 1 esda's two-sided rule (mirrored percentiles) differs from twice
    # the smaller tail on a skewed distribution; that never decides significance.
    p, q = exact["p"].to_numpy(), perm["p"].to_numpy()
    near = np.minimum(p, q) < 0.2
    sd = np.sqrt(np.clip(p, 1e-3, 1) * (1 - np.clip(p, 0, 1)) / 999)
    assert near.sum() > 100
    assert (np.abs(q - p) <= 5 * sd + 4e-3)[near].all()


@pytest.mark.shared_data
def test_national_hot_spots_test_the_land_in_british_national_grid(onspd):
    """Issue 18: without within= the study area is the populated land, never the bounding box
    (70 % of its 5 km cells are sea), and an all-UK layer is measured in EPSG:27700."""
    rng = np.random.default_rng(18)
    sample = onspd.attributes.iloc[rng.choice(len(onspd.x), 20_000, replace=False)]
    pts = xy_layer(onspd.x[sample.index], onspd.y[sample.index], crs=onspd.crs, name="uk sample")
    assert pts.x.min() < 150_000 and pts.y.max() > 1_000_000  # Northern Ireland to Shetland
    h = hotspots(pts, cell_m=10_000, value="locations")
    assert h.crs.to_epsg() == 27700
    assert h["count"].sum() == 20_000  # every postcode is on the land it defines
    grid = h.attrs["grid"]
    bbox_cells = grid["nrows"] * grid["ncols"]
    assert len(h) < 0.5 * bbox_cells  # the sea is not tested
    assert h.attrs["hotspots"]["n_tests"] <= len(h)
    assert "populated land" in h.attrs["hotspots"]["within"]


def test_hot_spots_abroad_need_a_study_area():
    far = gpd.GeoDataFrame(geometry=gpd.points_from_xy([2.19, 2.2, 2.21], [41.4, 41.41, 41.42]),
                           crs=4326)  # fmt: skip
    with pytest.raises(ParameterError, match="within="):
        hotspots(far, cell_m=500)
