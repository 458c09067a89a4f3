"""Shared fixtures: the real data folder and tiny hand-checkable layers.

The real files live in ``../shared/data`` beside the project root; ``GEODISTRICT_SHARED_DATA``
overrides the path. A missing file skips the test locally but fails it under ``CI=true``.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GEODISTRICT_SHARED_DATA", ROOT.parent / "shared" / "data"))
LEP21 = "uk/boundaries/Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson"
LAD24 = "uk/boundaries/LAD_May_2024_EN_BUC_with_LEP21.geojson"
UNIS = "uk/universities/learning-providers-plus.csv"


def _need(path: Path) -> Path:
    if not path.exists():
        msg = f"shared data file missing: {path} (set GEODISTRICT_SHARED_DATA)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Root of the real data folder."""
    return _need(SHARED)


@pytest.fixture(scope="session")
def shared_file(shared_data):
    """Return a function mapping a path relative to the data root to an existing file."""
    return lambda rel: _need(shared_data / rel)


@pytest.fixture(scope="session")
def lep21(shared_file):
    from geodistrict import read_boundaries

    return read_boundaries(shared_file(LEP21))


@pytest.fixture(scope="session")
def universities(shared_file):
    from geodistrict import read_points

    return read_points(shared_file(UNIS), name="universities")


@pytest.fixture(scope="session")
def onspd():
    from geodistrict import read_onspd

    return read_onspd("onspd")


@pytest.fixture
def squares() -> gpd.GeoDataFrame:
    """Three 1 km squares in EPSG:27700, hand-drawn (area 1 km² each).

    A = [0, 1000]², B = [1000, 2000] x [0, 1000] shares an edge with A,
    C = [500, 1500] x [500, 1500] overlaps A and B by 0.25 km² each.
    """
    return gpd.GeoDataFrame(
        {"code": ["A", "B", "C"], "label": ["Alpha", "Beta", "Gamma"]},
        geometry=[
            shapely.box(0, 0, 1000, 1000),
            shapely.box(1000, 0, 2000, 1000),
            shapely.box(500, 500, 1500, 1500),
        ],
        crs=27700,
    )


@pytest.fixture
def square_points() -> pd.DataFrame:
    """Points with hand-worked membership in :func:`squares` (``expect`` lists the codes)."""
    rows = [
        ("p1", 250, 250, "A"),  # inside A only
        ("p2", 1750, 250, "B"),  # inside B only
        ("p3", 750, 750, "A;C"),  # A and C overlap
        ("p4", 1250, 750, "B;C"),  # B and C overlap
        ("p5", 1000, 250, ""),  # on the shared edge of A and B: in neither interior
        ("p6", 5000, 5000, ""),  # far outside
        ("p7", 1000, 1250, "C"),  # inside C only
        ("p8", 2030, 500, ""),  # 30 m east of B
    ]
    return pd.DataFrame(rows, columns=["pid", "easting", "northing", "expect"])


def random_polygons(rng: np.random.Generator, n: int) -> np.ndarray:
    """Overlapping buffered random walks with holes: awkward shapes for join tests."""
    polys = []
    for _ in range(n):
        cx, cy = rng.uniform(0, 10_000, 2)
        pts = np.cumsum(rng.normal(0, 400, size=(12, 2)), axis=0) + (cx, cy)
        g = shapely.buffer(shapely.LineString(pts), rng.uniform(200, 900))
        hole = shapely.buffer(shapely.Point(pts[6]), 150)
        polys.append(shapely.make_valid(shapely.difference(g, hole)))
    return np.array(polys, dtype=object)
