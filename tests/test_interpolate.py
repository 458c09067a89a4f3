import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import LEP21

from geodistrict import PointLayer, prepare_boundaries, read_boundaries
from geodistrict.crs import BNG
from geodistrict.layers import LayerInfo
from geodistrict.zones.interpolate import build_atoms, interpolate


def _b(geoms, ids):
    return prepare_boundaries(gpd.GeoDataFrame({"id": ids}, geometry=geoms, crs=27700))


@pytest.fixture
def two_sources():
    # s1 = [0,2000]x[0,1000] (2 km²), s2 = [2000,3000]x[0,1000] (1 km²)
    return _b([shapely.box(0, 0, 2000, 1000), shapely.box(2000, 0, 3000, 1000)], ["s1", "s2"])


def test_hand_worked_area_shares(two_sources):
    # t1 covers the left half of s1; t2 covers the right half of s1 and half of s2
    t = _b([shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2500, 1000)], ["t1", "t2"])
    vals = pd.DataFrame({"jobs": [100.0, 40.0], "rate": [10.0, 40.0]}, index=["s1", "s2"])
    r = interpolate(two_sources, vals, t, intensive=["rate"])
    tab = r.table.set_index("id")
    assert tab.loc["t1", "jobs"] == pytest.approx(50.0)
    assert tab.loc["t2", "jobs"] == pytest.approx(50.0 + 20.0)
    # intensive: t2 = (10 * 1 km² + 40 * 0.5 km²) / 1.5 km² = 20
    assert tab.loc["t1", "rate"] == pytest.approx(10.0)
    assert tab.loc["t2", "rate"] == pytest.approx(20.0)
    rep = r.report["jobs"]
    assert rep["source_total"] == 140
    assert rep["outside"] == pytest.approx(20.0)  # the right half of s2
    assert rep["inside"] + rep["outside"] == pytest.approx(140, rel=1e-12)
    assert rep["conserved"]
    assert r.report["rate"]["kind"] == "intensive"


def test_overlap_full_and_split(two_sources):
    # both targets cover the whole of s2 (overlap), and t1 also covers s1
    t = _b([shapely.box(0, 0, 3000, 1000), shapely.box(2000, 0, 3000, 1000)], ["t1", "t2"])
    vals = pd.Series({"s1": 100.0, "s2": 40.0}, name="firms")
    full = interpolate(two_sources, vals, t).table.set_index("id")["firms"]
    assert full.to_dict() == pytest.approx({"t1": 140.0, "t2": 40.0})
    r = interpolate(two_sources, vals, t, overlap="split")
    assert r.table.set_index("id")["firms"].to_dict() == pytest.approx({"t1": 120.0, "t2": 20.0})
    assert r.report["firms"]["double_counted_in_overlaps"] == pytest.approx(0.0)
    fr = interpolate(two_sources, vals, t).report["firms"]
    assert fr["double_counted_in_overlaps"] == pytest.approx(40.0)
    assert fr["sum_over_targets"] == pytest.approx(fr["inside"] + 40.0)


def test_onto_the_sources_themselves_returns_the_input(two_sources):
    vals = pd.Series({"s1": 123.0, "s2": 7.5}, name="v")
    r = interpolate(two_sources, vals, two_sources)
    assert r.table.set_index("id")["v"].to_dict() == pytest.approx({"s1": 123.0, "s2": 7.5})


def test_conservation_random(two_sources):
    rng = np.random.default_rng(3)
    src = _b(
        [
            shapely.box(x, y, x + 1000, y + 1000)
            for x in range(0, 5000, 1000)
            for y in range(0, 3000, 1000)
        ],
        [f"s{i}" for i in range(15)],
    )
    tg = [
        shapely.buffer(shapely.Point(rng.uniform(0, 5000, 2)), rng.uniform(300, 1500))
        for _ in range(8)
    ]
    t = _b(tg, [f"t{i}" for i in range(8)])
    vals = pd.Series(rng.uniform(0, 1000, 15), index=[f"s{i}" for i in range(15)], name="v")
    for overlap in ("full", "split"):
        rep = interpolate(src, vals, t, overlap=overlap).report["v"]
        assert abs(rep["inside"] + rep["outside"] - vals.sum()) <= 1e-9 * vals.sum()
        if overlap == "split":
            assert rep["sum_over_targets"] == pytest.approx(rep["inside"], rel=1e-9)


def test_atoms_are_disjoint_and_cover_the_targets():
    t = _b(
        [
            shapely.box(0, 0, 2000, 2000),
            shapely.box(1000, 0, 3000, 2000),
            shapely.box(1500, 1000, 4000, 3000),
        ],
        ["a", "b", "c"],
    )
    atoms = build_atoms(t)
    areas = shapely.area(atoms.geometry)
    assert areas.sum() == pytest.approx(shapely.area(shapely.union_all(t.metric)))
    for i in range(3):
        covered = sum(a for a, m in zip(areas, atoms.members, strict=True) if i in m)
        assert covered == pytest.approx(shapely.area(t.metric[i]))


def test_dasymetric_follows_the_points(two_sources):
    t = _b([shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 3000, 1000)], ["t1", "t2"])
    # 3 points in the left half of s1, 1 in the right half; none in s2 (falls back to area)
    pts = PointLayer(
        x=np.array([100.0, 200, 300, 1500]),
        y=np.array([500.0, 500, 500, 500]),
        crs=BNG,
        attributes=pd.DataFrame({"row": range(4)}),
        info=LayerInfo(name="postcodes", source="hand"),
    )
    vals = pd.Series({"s1": 100.0, "s2": 40.0}, name="jobs")
    r = interpolate(two_sources, vals, t, weights=pts)
    tab = r.table.set_index("id")["jobs"]
    assert tab.to_dict() == pytest.approx({"t1": 75.0, "t2": 25.0 + 40.0})
    assert r.report["adjustments"]["area_fallback_sources"] == ["s2"]
    assert r.report["jobs"]["conserved"]


@pytest.mark.shared_data
def test_matches_tobler_without_overlaps(shared_file):
    """Pure area shares equal tobler's area_interpolate when targets do not overlap."""
    from tobler.area_weighted import area_interpolate

    lsip = read_boundaries(shared_file("uk/boundaries/LSIP_Areas_August_2023_EN_BUC.geojson"))
    leps = read_boundaries(shared_file(LEP21))
    rng = np.random.default_rng(7)
    vals = pd.Series(rng.uniform(1e3, 1e5, len(leps)), index=leps.ids, name="v")
    ours = interpolate(leps, vals, lsip, overlap="split").table.set_index("id")["v"]
    src = gpd.GeoDataFrame({"v": vals.to_numpy()}, geometry=leps.metric, crs=27700)
    tgt = gpd.GeoDataFrame({"id": lsip.ids}, geometry=lsip.metric, crs=27700)
    tb = area_interpolate(src, tgt, extensive_variables=["v"], allocate_total=False)
    # the LEP sources overlap each other; tobler counts each source in full, so compare per
    # source: interpolate every source separately and add up
    total = np.zeros(len(lsip))
    for k in vals.index:
        one = vals.where(vals.index == k, 0.0)
        total += interpolate(leps, one, lsip).table["v"].to_numpy()
    assert np.allclose(total, tb["v"].to_numpy(), rtol=1e-6)
    assert ours.sum() <= vals.sum()
