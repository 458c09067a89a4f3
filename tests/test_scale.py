"""Scale: the rasterised join stays exact, and the Dask path gives the single-machine results.

The Dask tests run a LocalCluster of two single-threaded worker processes (started once for
the module) on a seeded sample of 200 000 ONS postcodes, in 4 Hilbert partitions, and compare
every output with the in-memory functions: profile counts and report on the LEP 2021
boundaries, counts on a 1 km grid, the kernel-density surface (bit for bit) and hot spots;
then the command line, and a worker killed in the middle of a computation.
"""

import os
import pickle
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import LEP21, random_polygons

from geodistrict import assign_points, profile
from geodistrict.clusters.grids import count_points, square_grid
from geodistrict.clusters.kde import kde
from geodistrict.clusters.local import hotspots
from geodistrict.join.grid import cached_polygon_grid, clear_grid_cache, grid_side, polygon_grid

# Cells coarser than bandwidth/8 (quartic) warn with the expected peak error (issue 18). The
# grids here are coarse on purpose — small hand-checkable surfaces and fast simulations whose
# assertions do not depend on the peak — so that warning is silenced in this module; it is
# tested in tests/test_kde.py::test_coarse_cell_warns_with_the_expected_peak_error.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*coarser than bandwidth:geodistrict.errors.GeodistrictWarning"
)


# ---------------------------------------------------------------------------------------------
# the rasterised look-up join (no Dask)


def _sjoin_pairs(x, y, polys):
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=27700)
    s = gpd.sjoin(pts, gpd.GeoDataFrame(geometry=polys, crs=27700), predicate="within")
    pt, pg = s.index.to_numpy(), s["index_right"].to_numpy()
    order = np.lexsort((pg, pt))
    return pt[order], pg[order]


def _integer_boxes(rng):
    """Touching and overlapping integer boxes, some with holes, and a MultiPolygon."""
    polys = []
    for _ in range(15):
        a, b = rng.integers(0, 50, 2)
        w, h = rng.integers(1, 20, 2)
        p = shapely.box(a, b, a + w, b + h)
        if w > 4 and h > 4:
            p = p.difference(shapely.box(a + 1, b + 1, a + 3, b + 3))
        polys.append(p)
    polys.append(shapely.MultiPolygon([shapely.box(0, 0, 5, 5), shapely.box(20, 20, 35, 35)]))
    return np.array(polys, dtype=object)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [7, 3_000, 60_000])
def test_raster_join_equals_sjoin_with_points_on_edges(seed, n):
    rng = np.random.default_rng(seed)
    polys = random_polygons(rng, 20) if seed % 2 else _integer_boxes(rng)
    minx, miny, maxx, maxy = shapely.total_bounds(polys)
    x = rng.uniform(minx - 5, maxx + 5, n)
    y = rng.uniform(miny - 5, maxy + 5, n)
    if seed % 2 == 0:  # integer and half-integer points: many exactly on edges and corners
        x, y = np.round(x * 2) / 2, np.round(y)
    verts = shapely.get_coordinates(shapely.boundary(polys))
    k = min(len(verts) - 1, n // 3)
    at = rng.integers(0, len(verts) - 1, k)
    x[:k], y[:k] = verts[at, 0], verts[at, 1]  # vertices, and midpoints of segments
    x[k : k + k // 2] = (verts[at[: k // 2], 0] + verts[at[: k // 2] + 1, 0]) / 2
    y[k : k + k // 2] = (verts[at[: k // 2], 1] + verts[at[: k // 2] + 1, 1]) / 2
    a = assign_points(x, y, polys).sorted()
    pt, pg = _sjoin_pairs(x, y, polys)
    assert np.array_equal(a.point, pt) and np.array_equal(a.polygon, pg)


def test_raster_join_hand_checked_squares_at_every_resolution(squares, square_points):
    polys = np.asarray(squares.geometry.array, dtype=object)
    x = square_points["easting"].to_numpy(float)
    y = square_points["northing"].to_numpy(float)
    codes = [e.split(";") if e else [] for e in square_points["expect"]]
    expect = [(i, "ABC".index(c)) for i, cs in enumerate(codes) for c in cs]
    for side in (16, 64, 1024):
        g = polygon_grid(polys, side=side)
        pt, pg = g.assign(x, y, threads=2)
        assert sorted(zip(pt.tolist(), pg.tolist(), strict=True)) == sorted(expect)


def test_invalid_polygons_fall_back_to_exact_tests():
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    assert polygon_grid(np.array([bowtie]), side=64) is None  # winds -1 and +1
    x, y = np.array([2.0, 8.0, 5.0]), np.array([5.0, 5.0, 9.0])
    a = assign_points(x, y, np.array([bowtie]))
    b = assign_points(x, y, np.array([bowtie]), method="prepared")
    assert a.sorted().point.tolist() == b.sorted().point.tolist()


def test_points_far_outside_the_table_and_non_finite():
    polys = np.array([shapely.box(0, 0, 10, 10)])
    x = np.array([5.0, -1e12, 1e15, 5.0])
    y = np.array([5.0, 5.0, 5.0, -1e300])
    assert assign_points(x, y, polys).point.tolist() == [0]
    from geodistrict.errors import ParameterError

    for method in ("grid", "prepared"):
        with pytest.raises(ParameterError, match="NaN or infinite"):
            assign_points(np.array([1.0, np.nan]), np.array([1.0, 1.0]), polys, method=method)
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])  # cannot be tabled
    with pytest.raises(ParameterError, match="NaN or infinite"):
        assign_points(np.array([1.0]), np.array([np.inf]), np.array([bowtie]))


def test_kept_entry_holds_its_geometries_also_when_they_cannot_be_tabled():
    # the cache is keyed by the geometries' ids: were an entry's geometries freed, a new
    # geometry could take an id and be given another's table (or another's "cannot table")
    import weakref

    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    box = shapely.box(0, 0, 10, 10)
    refs = [weakref.ref(bowtie), weakref.ref(box)]
    assert cached_polygon_grid(np.array([bowtie]), side=64) is None
    assert cached_polygon_grid(np.array([box]), side=64) is not None
    del bowtie, box
    assert all(r() is not None for r in refs)
    clear_grid_cache()
    assert all(r() is None for r in refs)


def test_table_is_cached_pickles_and_is_reused_for_the_same_geometries():
    polys = random_polygons(np.random.default_rng(3), 10)
    g1 = cached_polygon_grid(polys, side=256)
    assert cached_polygon_grid(polys.copy(), side=128) is g1  # same geometries, finer table
    assert cached_polygon_grid(polys, side=512) is not g1
    g2 = pickle.loads(pickle.dumps(g1))
    x, y = np.random.default_rng(0).uniform(0, 10_000, (2, 5000))
    p1, q1 = g1.assign(x, y)
    p2, q2 = g2.assign(x, y, threads=1)
    assert np.array_equal(p1, p2) and np.array_equal(q1, q2)
    assert grid_side(2_700_000) == 2048


# ---------------------------------------------------------------------------------------------
# Dask


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    import dask.config

    from geodistrict.scale import dask_client

    # a task whose worker dies is rescheduled; allow a few deaths per task
    with dask.config.set({"distributed.scheduler.allowed-failures": 4}):
        with dask_client("local", n_workers=2, threads_per_worker=1) as c:
            assert isinstance(c, distributed.Client)
            yield c


@pytest.fixture(scope="module")
def sample(onspd):
    rng = np.random.default_rng(20240601)
    return onspd.take(np.sort(rng.choice(len(onspd), 200_000, replace=False)))


@pytest.fixture(scope="module")
def lep(shared_file):
    from geodistrict import read_boundaries

    return read_boundaries(shared_file(LEP21))


def _plain(frame):
    return pd.DataFrame(frame.drop(columns=frame.geometry.name))


@pytest.mark.shared_data
def test_profile_on_dask_equals_one_machine(client, sample, lep):
    from geodistrict.scale import profile_dask

    one = profile(lep, [sample], snap_m=200)
    many = profile_dask(lep, [sample], client=client, partitions=4, snap_m=200)
    assert _plain(one.table).equals(_plain(many.table))
    assert one.report["layers"] == many.report["layers"]  # matched, multi, snapped, checks
    assert many.report["scale"]["partitions"] == {"postcodes": 4}
    rep = many.report["layers"]["postcodes"]
    assert rep["balanced"] and rep["input"] == 200_000
    assert many.table["postcodes_count"].sum() == rep["matched"] + 2 * rep["multi"]


@pytest.mark.shared_data
def test_grid_counts_on_dask_equal_one_machine(client, sample, lep):
    from geodistrict.scale import grid_counts_dask

    grid = square_grid(lep, cell_m=1000)
    one = count_points(grid, sample)
    many = grid_counts_dask(grid, sample, client=client, partitions=4)
    assert _plain(one).equals(_plain(many))
    assert one.attrs["count"] == many.attrs["count"]  # stacks and distinct locations too


@pytest.mark.shared_data
def test_kde_on_dask_is_bit_identical(client, sample, lep):
    from geodistrict.scale import kde_dask

    one = kde(sample, bandwidth_m=2000, cell_m=500, within=lep)
    many = kde_dask(sample, client=client, bandwidth_m=2000, cell_m=500, within=lep, partitions=4)
    assert np.array_equal(one.array, many.array)  # every cell, every bit
    assert one.metadata() == many.metadata()
    bare = kde(sample, bandwidth_m=3000, cell_m=1000, kernel="gaussian")
    bare_many = kde_dask(
        sample, client=client, bandwidth_m=3000, cell_m=1000, kernel="gaussian", partitions=4
    )
    assert np.array_equal(bare.array, bare_many.array) and bare.edge == bare_many.edge


@pytest.mark.shared_data
@pytest.mark.parametrize("grid", ["square", "hex"])
def test_hotspots_on_dask_equal_one_machine(client, sample, lep, grid):
    from geodistrict.boundaries import prepare_boundaries
    from geodistrict.scale import hotspots_dask

    area = prepare_boundaries(lep.data[lep.data["id"] == "E37000059"], id="id", name="name")
    one = hotspots(sample, within=area, cell_m=1000, value="locations", grid=grid)
    many = hotspots_dask(
        sample, client=client, partitions=4, within=area, cell_m=1000, value="locations", grid=grid
    )
    assert _plain(one).equals(_plain(many))
    assert one.attrs == many.attrs


@pytest.mark.shared_data
def test_partitioned_geoparquet_is_spatial_and_readable(sample, tmp_path):
    from geodistrict.scale import read_partitioned, write_partitioned

    pp = write_partitioned(sample, tmp_path / "pc", partitions=4, metric_crs=27700)
    assert sum(pp.counts) == len(sample) and len(pp.files) == 4
    assert read_partitioned(tmp_path / "pc").counts == pp.counts
    # plain GeoParquet: geopandas reads the native point encoding
    part = gpd.read_parquet(tmp_path / "pc" / pp.files[0])
    assert part.crs.to_epsg() == 27700 and len(part) == pp.counts[0]
    # Hilbert partitions are compact: their boxes cover far less than 4 national boxes
    boxes = [shapely.box(*gpd.read_parquet(tmp_path / "pc" / f).total_bounds) for f in pp.files]
    national = shapely.box(*pp.bounds).area
    assert sum(b.area for b in boxes) < 1.5 * national
    # points with the same coordinates never straddle two partitions
    keys = [
        set(zip(p.geometry.x, p.geometry.y, strict=True))
        for p in (gpd.read_parquet(tmp_path / "pc" / f) for f in pp.files)
    ]
    assert all(not (keys[i] & keys[j]) for i in range(4) for j in range(i + 1, 4))
    # dask_geopandas reads the same directory, one partition per file
    dask_geopandas = pytest.importorskip("dask_geopandas")
    ddf = dask_geopandas.read_parquet(tmp_path / "pc")
    assert ddf.npartitions == 4 and len(ddf.partitions[1].compute()) == pp.counts[1]


@pytest.mark.shared_data
def test_cli_profile_with_cluster_writes_the_same_csv(sample, lep, shared_file, tmp_path):
    from geodistrict.cli import main

    pts = tmp_path / "sample.csv"
    pd.DataFrame({"x": sample.x, "y": sample.y, "laua": sample.attributes["laua"]}).to_csv(
        pts, index=False
    )
    common = [
        "profile",
        "--boundaries",
        str(shared_file(LEP21)),
        "--points",
        f"postcodes={pts}",
        "--xy",
        "postcodes=x,y",
        "--points-crs",
        "postcodes=EPSG:27700",
    ]
    assert main([*common, "--out", str(tmp_path / "one.csv")]) == 0
    assert (
        main(
            [*common, "--out", str(tmp_path / "dask.csv"), "--cluster", "local"]
            + ["--partitions", "4"]
        )
        == 0
    )
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "dask.csv").read_bytes()


@pytest.mark.shared_data
def test_cli_density_with_cluster_writes_the_same_raster(sample, lep, shared_file, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    from geodistrict.cli import main

    pts = tmp_path / "sample.parquet"
    xy = gpd.points_from_xy(sample.x[::4], sample.y[::4])
    gpd.GeoDataFrame({"n": np.arange(len(xy))}, geometry=xy, crs=27700).to_parquet(pts)
    common = ["density", "--points", f"postcodes={pts}", "--within", str(shared_file(LEP21))]
    common += ["--bandwidth", "3000", "--cell", "1000"]
    assert main([*common, "--out", str(tmp_path / "one.tif")]) == 0
    cluster = ["--cluster", "local", "--partitions", "3"]
    assert main([*common, "--out", str(tmp_path / "dask.tif"), *cluster]) == 0
    with rasterio.open(tmp_path / "one.tif") as a, rasterio.open(tmp_path / "dask.tif") as b:
        assert np.array_equal(a.read(1), b.read(1)) and a.transform == b.transform


@pytest.mark.shared_data
def test_a_worker_killed_mid_computation_is_replaced_and_the_result_unchanged(
    client, sample, lep, tmp_path
):
    """A worker dies while it runs a partition's task: the scheduler reruns it elsewhere.

    A worker plugin exits the worker process (``os._exit``) the first time any worker starts
    a ``_profile_task``, exactly once (an exclusive marker file); the nanny starts a new
    worker and the scheduler, allowed 4 deaths per task, gives the lost task to a live one.
    Killing from the plugin, at the start of the task, makes the fault certain to fall in
    the middle of the computation rather than racing it.
    """
    from distributed.diagnostics.plugin import WorkerPlugin

    from geodistrict.scale import profile_dask

    marker = str(tmp_path / "killed")

    class KillOnce(WorkerPlugin):
        name = "kill-once"

        def __init__(self, marker):
            self.marker = marker

        def transition(self, key, start, finish, **kwargs):
            if finish == "executing" and str(key).startswith("_profile_task"):
                try:
                    os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                except FileExistsError:
                    return
                os._exit(1)

    before = set(client.scheduler_info()["workers"])
    client.register_plugin(KillOnce(marker))
    try:
        got = profile_dask(lep, [sample], client=client, partitions=8)
    finally:
        client.unregister_worker_plugin("kill-once")
    assert os.path.exists(marker)  # the fault happened, during the computation
    client.wait_for_workers(2, timeout=60)
    assert set(client.scheduler_info()["workers"]) != before  # one worker was replaced
    want = profile(lep, [sample])
    assert _plain(want.table).equals(_plain(got.table))
    assert want.report["layers"] == got.report["layers"]


def test_import_of_scale_does_not_import_dask():
    import subprocess

    code = "import sys, geodistrict.scale; print('dask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
