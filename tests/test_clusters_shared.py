"""The helpers clusters shares with the Dask path and the CLI, through their public names."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geodistrict.clusters.grids import cell_lookup, cells_of_points, locate_cells, square_grid
from geodistrict.clusters.hotspots import HotspotOptions
from geodistrict.clusters.kde import cic_shares
from geodistrict.clusters.prime import check_prime_options
from geodistrict.errors import ArgumentTypeError, ParameterError


def test_prime_options_listed_at_once():
    with pytest.raises(ParameterError, match="quantile 2.*simulations 0"):
        check_prime_options(0, 2.0, None)
    check_prime_options(99, 0.95, 1)


def test_hotspot_options_refuse_hex_clip():
    with pytest.raises(ParameterError, match="clip=True cuts square cells only"):
        HotspotOptions(cell_m=250, grid="hex", clip=True).checked()
    with pytest.raises(ParameterError, match="statistic="):
        HotspotOptions(cell_m=250, statistic="moran").checked()


def test_cells_found_by_lookup_and_by_grid_agree():
    area = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1000, 600)], crs=27700)
    grid = square_grid(area, cell_m=200)
    x = np.array([50.0, 250.0, 999.0, 1500.0, -1.0])
    y = np.array([50.0, 450.0, 599.0, 10.0, 10.0])
    pos = cells_of_points(grid, x, y)
    assert pos.tolist() == locate_cells(cell_lookup(grid), x, y, grid.crs).tolist()
    # (col, row) of each point, by hand: (0, 0), (1, 2), (4, 2), outside, outside
    got = [(int(grid["col"][p]), int(grid["row"][p])) if p >= 0 else None for p in pos]
    assert got == [(0, 0), (1, 2), (4, 2), None, None]


def test_cloud_in_cell_shares_sum_to_the_weight():
    # a point a quarter cell east and south of a centre shares 9/16, 3/16, 1/16, 3/16
    cells = cic_shares(np.array([175.0]), np.array([325.0]), None, 0.0, 400.0, 100.0, (4, 4))
    shares = [float(s[0]) for _, s in cells]
    assert shares == [0.5625, 0.1875, 0.0625, 0.1875]
    assert [int(c[0]) for c, _ in cells] == [1, 2, 6, 5]


def test_grid_counts_refuse_other_points():
    from geodistrict.clusters.grids import count_points

    area = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1000, 600)], crs=27700)
    with pytest.raises(ArgumentTypeError, match="PointLayer"):
        count_points(square_grid(area, cell_m=200), [1, 2, 3])
