"""Cluster outlines: DBSCAN on Manchester postcodes, grid-cell outlines, overlaps, the CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodistrict import CRSError
from geodistrict.cli import main
from geodistrict.clusters.outlines import (
    OUTSIDE,
    compare_outline,
    dbscan_outlines,
    hdbscan_outlines,
    outline_cells,
)

# Manchester Piccadilly station's postcode and a point on Oxford Road by the universities
PICCADILLY_POSTCODE = "M607RA"
OXFORD_ROAD = shapely.Point(384100, 397200)


def _blobs(seed: int = 0) -> np.ndarray:
    """Two tight groups (40 and 30 points) 3 km apart and 10 scattered points, in metres."""
    rng = np.random.default_rng(seed)
    return np.vstack(
        [
            rng.normal([530_000, 180_000], 40, (40, 2)),
            rng.normal([533_000, 181_000], 40, (30, 2)),
            rng.uniform([525_000, 175_000], [540_000, 190_000], (10, 2)),
        ]
    )


# ------------------------------------------------------------------------------------------------
# DBSCAN / HDBSCAN


@pytest.fixture(scope="module")
def manchester(onspd):
    """Postcodes of Manchester local authority (E08000003)."""
    keep = onspd.attributes["laua"].to_numpy() == "E08000003"
    return replace(
        onspd,
        x=onspd.x[keep],
        y=onspd.y[keep],
        attributes=onspd.attributes[keep].reset_index(drop=True),
        rejected=onspd.rejected.iloc[:0],
        n_input=-1,
    )


@pytest.mark.shared_data
def test_dbscan_manchester_city_centre(manchester):
    r = dbscan_outlines(manchester, eps_m=150, min_points=30)
    n = len(manchester)
    # every postcode is in exactly one cluster or noise
    assert len(r.labels) == n and (r.labels >= -1).all()
    assert r.clustered + r.noise == n and r.outside == 0
    assert np.bincount(r.labels[r.labels >= 0]).tolist() == r.outlines["points"].tolist()
    assert r.outlines["points"].is_monotonic_decreasing  # cluster 0 has the most postcodes
    assert r.crs.to_epsg() == 27700
    # the cluster holding Piccadilly station's postcode
    pcd = manchester.attributes["pcd"].str.replace(" ", "").to_numpy()
    station = np.flatnonzero(pcd == PICCADILLY_POSTCODE)
    assert len(station) == 1
    c = r.labels[station[0]]
    assert c == 0  # found: the largest cluster (4884 of 27089 postcodes, 3.8 km²)
    outline = r.outlines.geometry.iloc[c]
    assert outline.contains(shapely.Point(manchester.x[station[0]], manchester.y[station[0]]))
    assert outline.contains(OXFORD_ROAD)
    # a concave hull covers all its members
    members = r.labels == c
    assert shapely.covers(
        outline, shapely.points(manchester.x[members], manchester.y[members])
    ).all()
    row = r.outlines.iloc[c]
    assert row["area_km2"] == pytest.approx(outline.area / 1e6)
    assert row["points_per_km2"] == pytest.approx(row["points"] / row["area_km2"])
    assert 1 < row["area_km2"] < 10


def test_dbscan_by_hand_and_within():
    xy = _blobs()
    r = dbscan_outlines(xy, eps_m=100, min_points=5, metric_crs=27700, hull="convex")
    assert r.n_clusters == 2
    assert r.outlines["points"].tolist() == [40, 30]
    assert (r.labels[:40] == 0).all() and (r.labels[40:70] == 1).all()
    assert (r.labels[70:] == -1).all() and r.noise == 10
    # convex hull of the members, independently
    hull0 = shapely.multipoints(xy[:40]).convex_hull
    assert r.outlines.geometry.iloc[0].equals(hull0)
    # a window around the first group only: the rest is outside, labelled -2 and counted
    within = gpd.GeoDataFrame(geometry=[shapely.box(529_000, 179_000, 531_000, 181_000)], crs=27700)
    inside = shapely.contains_xy(within.geometry.iloc[0], xy[:, 0], xy[:, 1])
    w = dbscan_outlines(xy, eps_m=100, min_points=5, within=within)
    assert w.outside == int((~inside).sum()) and (w.labels[~inside] == OUTSIDE).all()
    assert w.clustered + w.noise + w.outside == len(xy)
    assert w.n_clusters == 1 and w.outlines["points"].tolist() == [40]
    rep = w.report()
    assert rep["points"] == {"input": 80, "clustered": 40, "noise": w.noise, "outside_window": 40}


def test_buffer_outline_is_union_of_discs():
    xy = _blobs()[:40]
    r = dbscan_outlines(xy, eps_m=100, min_points=5, metric_crs=27700, hull="buffer")
    discs = shapely.union_all(shapely.buffer(shapely.points(xy), 50.0))  # eps / 2
    assert r.outlines.geometry.iloc[0].symmetric_difference(discs).area < 1e-6
    assert r.parameters["buffer_m"] == 50.0


def test_stacked_points_get_an_area():
    # 10 firms at one address and 10 at another, far apart: hulls are points -> buffered
    xy = np.repeat([[0.0, 0.0], [5000.0, 0.0]], 10, axis=0)
    r = dbscan_outlines(xy, eps_m=10, min_points=5, metric_crs=27700)
    assert r.outlines["outline"].tolist() == ["buffered", "buffered"]
    assert (r.outlines["area_km2"] > 0).all()


def test_hdbscan_accounts_for_every_point():
    xy = _blobs()
    r = hdbscan_outlines(xy, min_cluster_size=10, metric_crs=27700)
    assert r.n_clusters == 2 and r.method == "hdbscan"
    assert len(r.labels) == len(xy) and (r.labels >= -1).all()
    assert r.clustered + r.noise == len(xy)
    assert set(r.labels[:40]) == {0} and set(r.labels[40:70]) == {1}
    with pytest.raises(ValueError, match="buffer_m"):
        hdbscan_outlines(xy, min_cluster_size=10, metric_crs=27700, hull="buffer")


def test_cluster_errors():
    with pytest.raises(ValueError, match="'concave', 'convex', 'buffer'"):
        dbscan_outlines(_blobs(), eps_m=100, min_points=5, metric_crs=27700, hull="alpha")
    with pytest.raises(ValueError, match="eps_m"):
        dbscan_outlines(_blobs(), eps_m=0, min_points=5, metric_crs=27700)
    with pytest.raises(CRSError, match="metric_crs"):
        dbscan_outlines(_blobs(), eps_m=100, min_points=5)


# ------------------------------------------------------------------------------------------------
# outline_cells


def _grid3() -> gpd.GeoDataFrame:
    """3 x 3 cells of 100 m, numbered row by row from the south-west: cell k = (k % 3, k // 3)."""
    cells = [
        shapely.box(i * 100, j * 100, i * 100 + 100, j * 100 + 100)
        for j in range(3)
        for i in range(3)
    ]
    return gpd.GeoDataFrame({"cell": range(9)}, geometry=cells, crs=27700)


def test_outline_cells_l_shape_is_one_polygon():
    grid = _grid3()
    sel = np.isin(np.arange(9), [0, 3, 6, 7])  # a column of three and one to the right: an L
    out = outline_cells(grid, sel)
    assert len(out) == 1
    assert out["cells"].tolist() == [4]
    assert out["area_km2"].iloc[0] == pytest.approx(4 * 0.01)
    assert out.geometry.iloc[0].geom_type == "Polygon"
    assert out.crs.to_epsg() == 27700


def test_outline_cells_two_blocks_and_corner_contact():
    grid = _grid3()
    out = outline_cells(grid, pd.Series(np.isin(np.arange(9), [0, 1, 8]), index=grid.index))
    assert out["cells"].tolist() == [2, 1]
    assert out["area_km2"].tolist() == pytest.approx([0.02, 0.01])
    # cells 0 and 4 touch only at a corner: two outlines
    diag = outline_cells(grid, np.isin(np.arange(9), [0, 4]))
    assert len(diag) == 2 and diag["cells"].tolist() == [1, 1]
    assert len(outline_cells(grid, np.zeros(9, dtype=bool))) == 0
    with pytest.raises(ValueError, match="True/False"):
        outline_cells(grid, np.linspace(0, 1, 9))


# ------------------------------------------------------------------------------------------------
# compare_outline


def test_compare_outline_by_hand():
    # outline 2 km², district 3 km², overlap 1 km², union 4 km²
    outline = shapely.box(0, 0, 2000, 1000)
    district = shapely.box(1000, 0, 4000, 1000)
    c = compare_outline(outline, district, crs=27700)
    assert c["overlap_share"] == pytest.approx(0.5)
    assert c["district_covered_share"] == pytest.approx(1 / 3)
    assert c["jaccard"] == pytest.approx(0.25)
    assert c["intersection_km2"] == pytest.approx(1.0)
    assert c["metric_crs"] == "EPSG:27700"


def test_compare_outline_across_crs():
    # the same squares near London, the outline given in lon/lat
    outline = gpd.GeoDataFrame(
        geometry=[shapely.box(530_000, 180_000, 532_000, 181_000)], crs=27700
    )
    district = gpd.GeoDataFrame(
        geometry=[shapely.box(531_000, 180_000, 534_000, 181_000)], crs=27700
    )
    c = compare_outline(outline.to_crs(4326), district)
    assert c["metric_crs"] == "EPSG:27700"
    assert c["overlap_share"] == pytest.approx(0.5, abs=1e-3)
    assert c["jaccard"] == pytest.approx(0.25, abs=1e-3)


# ------------------------------------------------------------------------------------------------
# CLI


@pytest.fixture
def sites(tmp_path: Path) -> Path:
    xy = _blobs()
    path = tmp_path / "sites.csv"
    rows = [f"s{i},{x:.1f},{y:.1f}" for i, (x, y) in enumerate(xy)]
    path.write_text("site,easting,northing\n" + "\n".join(rows) + "\nnowhere,,\n")
    return path


def test_cli_clusters(tmp_path, sites, capsys):
    district = tmp_path / "district.geojson"
    gpd.GeoDataFrame(
        {"id": ["D"], "name": ["District"]},
        geometry=[shapely.box(529_000, 179_000, 531_000, 181_000)],
        crs=27700,
    ).to_file(district, driver="GeoJSON", engine="pyogrio")
    out, labels, report = tmp_path / "c.gpkg", tmp_path / "labels.csv", tmp_path / "r.json"
    argv = ["clusters", "--points", f"sites={sites}", "--method", "dbscan", "--eps", "100",
            "--min-points", "5", "--out", str(out), "--labels", str(labels),
            "--compare", str(district), "--report", str(report)]  # fmt: skip
    assert main(argv) == 0
    outlines = gpd.read_file(out)
    assert outlines["points"].tolist() == [40, 30]
    rep = json.loads(report.read_text())
    pts = rep["points"]
    # 81 rows: 80 located (40 + 30 clustered + 10 noise) and one without coordinates
    assert pts["input_rows"] == 81 and pts["rejected_rows"] == 1 and pts["located"] == 80
    assert pts["clustered"] + pts["noise"] + pts["outside_window"] == pts["located"]
    assert pts["balanced"] is True and rep["n_clusters"] == 2
    assert rep["parameters"]["eps_m"] == 100.0
    assert rep["compare"]["clusters"][0]["overlap_share"] == pytest.approx(1.0)
    assert rep["provenance"]["sources"][0]["source"] == str(sites)
    lab = pd.read_csv(labels)
    assert len(lab) == 80 and (lab["cluster"] >= -1).all()


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--method", "dbscan", "--min-points", "5"], "--eps"),
        (["--method", "hdbscan"], "--min-cluster-size"),
        (["--method", "dbscan", "--eps", "100", "--min-points", "5", "--within-name", "X"],
         "--within"),
    ],
)  # fmt: skip
def test_cli_errors_are_one_line_exit_2(tmp_path, sites, capsys, options, named):
    argv = ["clusters", "--points", f"sites={sites}", *options, "--out", str(tmp_path / "c.gpkg")]
    if "--within-name" in options:
        within = tmp_path / "w.geojson"
        gpd.GeoDataFrame(
            {"id": ["W"], "name": ["Window"]}, geometry=[shapely.box(0, 0, 1e6, 1e6)], crs=27700
        ).to_file(within, driver="GeoJSON", engine="pyogrio")
        argv += ["--within", str(within)]
        named = "'X'"
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("geodistrict: error:") and named in err[0]
    assert not (tmp_path / "c.gpkg").exists()
