"""Report section on boundary vintages and overlaps (geodistrict.reports._vintages).

Hand-worked squares in EPSG:27700 (every area below is worked out on paper in the comments),
then the real ONS LEP 2021 / LEP 2020 / LSIP 2023 / combined authority files, checked against
an independent geopandas computation on the raw files in EPSG:27700.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import LAD24, LEP21

from geodistrict.boundaries import prepare_boundaries
from geodistrict.errors import CRSError, InvalidGeometryError, ParameterError, RepairWarning
from geodistrict.io.read import read_boundaries
from geodistrict.layers import LayerInfo, PointLayer
from geodistrict.reports._vintages import (
    VintageChange,
    describe_overlaps,
    own_overlaps,
    vintage_changes,
)

X0, Y0 = 400_000.0, 300_000.0  # the Midlands, so that EPSG:27700 is the natural metric CRS
KM = 1000.0


def box(x1, y1, x2, y2):
    """A box given in km from (X0, Y0)."""
    return shapely.box(X0 + x1 * KM, Y0 + y1 * KM, X0 + x2 * KM, Y0 + y2 * KM)


def bset(rows, *, crs=27700, metric_crs=None):
    """Boundaries from (id, name, geometry) rows in EPSG:27700."""
    gdf = gpd.GeoDataFrame(
        {"id": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=27700,
    ).to_crs(crs)
    return prepare_boundaries(gdf, metric_crs=metric_crs)


def points(xy_km, *, name="postcodes"):
    x = np.array([X0 + p[0] * KM for p in xy_km])
    y = np.array([Y0 + p[1] * KM for p in xy_km])
    return PointLayer(
        x=x,
        y=y,
        crs=gpd.GeoSeries([], crs=27700).crs,
        attributes=pd.DataFrame({"row": np.arange(len(x))}),
        info=LayerInfo(name=name, source="hand-placed"),
    )


# The place: a 10 km x 10 km square, 100 km².
PLACE = box(0, 0, 10, 10)
# Hand-placed points (km): where each lies, worked out against the squares below.
PTS = [
    (5, 5),  # inside the place, A and B1
    (8, 5),  # inside the place, A and B2 (not B1)
    (5, 11),  # above the place, inside A (A reaches y = 12); on B1's top edge (y = 11)
    (5, 10),  # on the place's top edge (in neither interior), inside A and B1
    (5, 13),  # outside everything
    (10, 5),  # on the place's and A's right edge, inside B2 (B2 is x 6..11)
]


@pytest.fixture
def vintages():
    return {
        # A: same id, 10 x 12 km: adds 20 km² (y 10..12), removes nothing; IoU 100/120
        "Set 2020": bset([("P", "Place", box(0, 0, 10, 12)), ("Q", "Far", box(50, 50, 60, 60))]),
        # B: two features splitting the place 60/40.
        #   B1 = 7 x 12 = 84 km², 60 km² in the place: IoU 60 / (100 + 84 - 60) = 60/124
        #   B2 = 5 x 12 = 60 km², 40 km² in the place: IoU 40 / (100 + 60 - 40) = 40/120
        "Split 2023": bset(
            [("B1", "West", box(-1, -1, 6, 11)), ("B2", "East", box(6, -1, 11, 11))]
        ),
        # C: far away
        "Far 2023": bset([("C1", "Elsewhere", box(100, 100, 110, 110))]),
    }


def test_hand_worked_squares(vintages):
    a, b, c = vintage_changes(
        PLACE, "EPSG:27700", vintages, place_id="P", place_name="Place", place_label="Set 2021"
    )
    assert all(isinstance(v, VintageChange) for v in (a, b, c))
    assert [v.label for v in (a, b, c)] == ["Set 2020", "Split 2023", "Far 2023"]

    assert (a.match_id, a.match_name, a.match_by) == ("P", "Place", "id")
    assert a.place_km2 == pytest.approx(100.0)
    assert a.match_km2 == pytest.approx(120.0)
    assert a.common_km2 == pytest.approx(100.0)
    assert a.added_km2 == pytest.approx(20.0)
    assert a.removed_km2 == pytest.approx(0.0, abs=1e-9)
    assert a.iou == pytest.approx(100 / 120)
    assert a.covered_share == pytest.approx(1.0)
    assert a.others.empty  # Q is 40 km away
    assert a.vintage is None  # prepare_boundaries without provenance: no vintage known
    # 2020 -> 2021: the place lost the 20 km² strip, 20/120 = 16.7 % of its 2020 area
    assert "Against Set 2020, Place (Set 2021) lost 20.0 km² (16.7 % of its 2020 area)" in (
        a.sentence
    )
    assert "gained 0.00 km²" in a.sentence

    assert (b.match_id, b.match_name, b.match_by) == ("B1", "West", "overlap")
    assert b.iou == pytest.approx(60 / 124)
    assert b.common_km2 == pytest.approx(60.0)
    assert b.added_km2 == pytest.approx(24.0)  # 84 - 60
    assert b.removed_km2 == pytest.approx(40.0)
    assert b.covered_share == pytest.approx(1.0)
    assert b.others["id"].tolist() == ["B2"]
    row = b.others.iloc[0]
    assert (row["name"], row["overlap_km2"]) == ("East", pytest.approx(40.0))
    assert row["share_of_place"] == pytest.approx(0.4)
    assert row["share_of_feature"] == pytest.approx(40 / 60)
    assert "the best-matching area is West (B1, IoU 0.48, a partial match)" in b.sentence
    assert "adds 24.0 km²" in b.sentence and "leaves out 40.0 km² (40.0 %)" in b.sentence
    assert "East (40.0 km², 40.0 % of it)" in b.sentence

    assert c.match_id is None and c.match_by is None and c.match_name is None
    assert c.covered_share == 0.0
    assert (c.common_km2, c.added_km2, c.match_km2, c.iou) == (0.0, 0.0, 0.0, 0.0)
    assert c.removed_km2 == pytest.approx(100.0)
    assert c.others.empty
    assert c.sentence == "No Far 2023 boundary overlaps Place (it is not part of one)."
    for v in (a, b, c):
        assert v.points_added is None and v.points_removed is None and v.points_common is None
        assert v.common_km2 + v.removed_km2 == pytest.approx(v.place_km2)
        assert v.common_km2 + v.added_km2 == pytest.approx(v.match_km2, abs=1e-9)


def test_points_counted_by_hand(vintages):
    a, b, c = vintage_changes(
        PLACE,
        "EPSG:27700",
        vintages,
        place_id="P",
        place_name="Place",
        place_label="Set 2021",
        points=points(PTS),
    )
    # A (x 0..10, y 0..12): both (5,5) (8,5); A only (5,11) (5,10); place only: none
    assert (a.points_common, a.points_added, a.points_removed) == (2, 2, 0)
    assert "2 postcodes fewer (2 lost, 0 gained)" in a.sentence
    # B1 (x -1..6, y -1..11): both (5,5); B1 only (5,10); place only (8,5)
    assert (b.points_common, b.points_added, b.points_removed) == (1, 1, 1)
    assert "adds 24.0 km² and 1 postcode outside Place" in b.sentence
    assert "leaves out 40.0 km² (40.0 %) and 1 postcode of Place" in b.sentence
    # C: nothing matched, the two points inside the place are "removed"
    assert (c.points_common, c.points_added, c.points_removed) == (0, 0, 2)


def test_points_in_another_crs_are_reprojected(vintages):
    pts = points([(5, 5), (8, 5), (5, 11), (5, 13)]).to_crs("EPSG:4326")
    (a,) = vintage_changes(PLACE, 27700, {"A": vintages["Set 2020"]}, place_id="P", points=pts)
    assert (a.points_common, a.points_added, a.points_removed) == (2, 1, 0)


def test_vintage_measured_in_another_metric_crs_is_reprojected():
    # the same 10 x 12 km box, measured by its Boundaries in UTM 30N, compared in EPSG:27700
    utm = bset([("P", "Place", box(0, 0, 10, 12))], crs=4326, metric_crs="EPSG:32630")
    assert utm.metric_crs.to_epsg() == 32630
    (a,) = vintage_changes(PLACE, "EPSG:27700", {"UTM": utm}, place_id="P")
    # the box's edges are straight in EPSG:27700 (vertices only are transformed), so the areas
    # are those of the hand-worked box up to the coordinates' round trip
    assert a.match_km2 == pytest.approx(120.0, rel=1e-6)
    assert a.added_km2 == pytest.approx(20.0, rel=1e-5)
    assert a.removed_km2 == pytest.approx(0.0, abs=1e-5)


def test_name_match_and_id_preferred_to_name():
    by_name = bset([("X9", "The Place", box(0, 0, 10, 11)), ("X8", "Other", box(0, 11, 10, 20))])
    (n,) = vintage_changes(PLACE, 27700, {"N": by_name}, place_id="P", place_name="place")
    assert (n.match_id, n.match_by) == ("X9", "name")
    assert n.iou == pytest.approx(100 / 110)
    # id wins over name, even when the feature with the id lies elsewhere: then say so
    both = bset([("P", "Moved", box(30, 0, 40, 10)), ("X9", "Place", box(0, 0, 10, 10))])
    (m,) = vintage_changes(PLACE, 27700, {"M": both}, place_id="P", place_name="Place")
    assert (m.match_id, m.match_by, m.iou) == ("P", "id", 0.0)
    assert "differ by more land than they share (IoU 0.00)" in m.sentence
    assert m.others["id"].tolist() == ["X9"]


def test_unchanged_only_below_half_a_percent():
    # shifted 20 m east: 0.02 km x 10 km = 0.2 km² out and 0.2 km² in, 0.2 % each
    kw = {"place_id": "P", "place_name": "Place", "place_label": "S 2021"}
    s20 = bset([("P", "Place", shapely.affinity.translate(PLACE, 20))])
    (u,) = vintage_changes(PLACE, 27700, {"S 2020": s20}, **kw)
    assert u.added_km2 == pytest.approx(0.2) and u.removed_km2 == pytest.approx(0.2)
    assert u.sentence.startswith(
        "Against S 2020, Place (S 2021) is unchanged apart from 0.40 km² of redrawing "
        "(0.20 km² only in the S 2021 boundary, 0.20 km² only in the S 2020 boundary)"
    )
    # shifted 100 m: 1 km² each way, 1 % of the place: not "unchanged"; the 100 m strips
    # are narrower than 500 m, so all 2 km² of difference lies in narrow strips
    s100 = bset([("P", "Place", shapely.affinity.translate(PLACE, 100))])
    (w,) = vintage_changes(PLACE, 27700, {"S 2020": s100}, **kw)
    assert "unchanged" not in w.sentence
    assert "lost 1.00 km² (1.0 % of its 2020 area) and gained 1.00 km² (1.0 %" in w.sentence
    assert w.narrow_km2 == pytest.approx(2.0)
    assert "All of the 2.00 km² difference lies in strips narrower than 500 m" in w.sentence
    # a 2 km-wide change is not a strip
    big = bset([("P", "Place", box(0, 0, 12, 10))])
    (g,) = vintage_changes(PLACE, 27700, {"S 2020": big}, **kw)
    assert g.narrow_km2 < 0.1 * g.added_km2
    assert "strips" not in g.sentence


@pytest.mark.parametrize(
    ("shape", "narrow_m2"),
    [
        # a 3 km square frame 100 m wide: its outer ring alone is fat, the frame is all strip
        (box(0, 0, 3, 3).difference(box(0.1, 0.1, 2.9, 2.9)), 4 * 2900 * 100),
        # a 5 km strip 100 m wide at 45°: its bounding box is 3.6 km a side
        (shapely.affinity.rotate(box(0, 0, 5, 0.1), 45, origin=(X0, Y0)), 5000 * 100),
        # two 2 km squares meeting at a corner: only their rounded corners go, 4 x 250² x
        # (1 - π/4) each, plus what the buffer's 8 chords per quarter circle cut off the
        # disc: 250² / 2 x (π/2 - 8 sin(π/16)) a corner
        (
            shapely.MultiPolygon([box(0, 0, 2, 2), box(2, 2, 4, 4)]),
            8 * 250**2 * ((1 - np.pi / 4) + (np.pi / 2 - 8 * np.sin(np.pi / 16)) / 2),
        ),
        # a 300 m square: area under π x 250², no disc of 500 m fits
        (box(0, 0, 0.3, 0.3), 300 * 300),
    ],
)
def test_narrow_strips_worked_by_hand(shape, narrow_m2):
    from geodistrict.reports._vintages import _narrow_m2

    assert _narrow_m2(shape, 500) == pytest.approx(narrow_m2, rel=1e-6)
    whole = (
        shape.area
        - shapely.intersection(shapely.buffer(shapely.buffer(shape, -250), 250), shape).area
    )
    assert _narrow_m2(shape, 500) == pytest.approx(whole, rel=1e-9)


def test_direction_and_successor_wording():
    a = bset([("P", "Place", box(0, 0, 10, 12))])
    # the vintage is LATER than the place: no "lost"/"gained", the neutral comparison instead
    (later,) = vintage_changes(PLACE, 27700, {"Set 2030": a}, place_id="P", place_label="S 2021")
    assert "lost" not in later.sentence and "gained" not in later.sentence
    assert "adds 20.0 km² outside P and leaves out 0.00 km² (0.0 %) of P" in later.sentence
    # no place label: no claim about time either
    (neutral,) = vintage_changes(PLACE, 27700, {"Set 2020": a}, place_id="P")
    assert "lost" not in neutral.sentence
    assert neutral.sentence.startswith("The Set 2020 area with the same code, Place (P)")


def test_small_overlaps_do_not_make_a_match():
    # a 50 m strip of overlap: 0.5 km², 0.5 % of the place and 0.25 % of the feature (200.5 km²)
    d = bset([("D", "Neighbour", box(9.95, 0, 30, 10))])
    (v,) = vintage_changes(PLACE, 27700, {"CA 2023": d}, place_name="Place")
    assert v.match_id is None
    assert v.covered_share == pytest.approx(0.005)
    assert "not part of" not in v.sentence
    assert "by 1 % or more of either's area" in v.sentence and "0.50 km²" in v.sentence
    # with a lower threshold it is the match
    (w,) = vintage_changes(PLACE, 27700, {"CA 2023": d}, place_name="Place", min_share=0.001)
    assert (w.match_id, w.match_by) == ("D", "overlap")


def test_bad_inputs_teach():
    with pytest.raises(CRSError, match="in degrees"):
        vintage_changes(PLACE, "EPSG:4326", {})
    with pytest.raises(InvalidGeometryError, match="Point"):
        vintage_changes(shapely.Point(X0, Y0), 27700, {})
    with pytest.raises(ParameterError, match=r"\[0, 1\]"):
        vintage_changes(PLACE, 27700, {}, min_share=5)
    with pytest.raises(CRSError, match="US survey foot, not metres"):
        vintage_changes(PLACE, "EPSG:2227", {})
    gdf = gpd.GeoDataFrame({"id": ["P"]}, geometry=[PLACE], crs=27700)
    with pytest.raises(ParameterError, match=r"'LEP 2020' is a GeoDataFrame.*prepare_boundaries"):
        vintage_changes(PLACE, 27700, {"LEP 2020": gdf})
    assert vintage_changes(PLACE, 27700, {}) == []


def test_no_name_no_name_match_and_json_form():
    # without place_id/place_name nothing is matched by code or name ("the place" is no name)
    v = bset([("X", "Place", box(0, 0, 10, 11)), ("Y", "The Place", box(0, 11, 10, 20))])
    (c,) = vintage_changes(PLACE, 27700, {"V": v})
    assert (c.match_id, c.match_by) == ("X", "overlap")
    d = c.as_dict()
    assert d["match_id"] == "X" and d["others"] == [] and d["sentence"] == c.sentence


@pytest.fixture
def neighbours():
    # A: 100 km². B overlaps A by a 2 km x 10 km strip (20 km²). D overlaps A by 2 x 5 km
    # (10 km²) inside the A-B overlap. C touches A's corner with 1 m². E overlaps A by
    # 0.05 km x 0.1 km = 0.005 km² (above the 100 m² sliver flag, below min_km2 = 0.01).
    return bset(
        [
            ("A", "Alpha", box(0, 0, 10, 10)),
            ("B", "Beta", box(8, 0, 18, 10)),
            ("C", "Gamma", shapely.box(X0 - 10_000, Y0 - 10_000, X0 + 1, Y0 + 1)),
            ("D", "Delta", box(8, 5, 18, 15)),
            ("E", "Epsilon", box(-5, 4, 0.05, 4.1)),
        ]
    )


def test_own_overlaps_by_hand(neighbours):
    ov = own_overlaps(neighbours, "A")
    assert list(ov.columns) == ["neighbour_id", "neighbour_name", "area_km2", "share_of_place"]
    assert ov["neighbour_id"].tolist() == ["B", "D"]
    assert ov["area_km2"].tolist() == pytest.approx([20.0, 10.0])
    assert ov["share_of_place"].tolist() == pytest.approx([0.2, 0.1])
    assert ov.attrs["slivers"] == 2  # C (1 m²) and E (5,000 m²)
    assert ov.attrs["sliver_km2"] == pytest.approx(1e-6 + 0.005)
    assert ov.attrs["union_km2"] == pytest.approx(20.0)  # D's overlap lies inside B's
    text = describe_overlaps(ov, "Alpha")
    assert text.startswith("Alpha overlaps two neighbouring LEPs: Beta by 20.0 km² and Delta")
    assert "(20.0 km² in all, 20.0 % of its area; the overlaps add up to 30.0 km²" in text
    assert "slivers under 0.01 km² from generalised boundaries ignored: 2, 5,001 m² in all" in text
    # B overlaps A and D; seen from B
    ob = own_overlaps(neighbours, "B")
    assert ob["neighbour_id"].tolist() == ["D", "A"]
    assert ob["area_km2"].tolist() == pytest.approx([50.0, 20.0])
    assert ob.attrs["slivers"] == 0
    assert "slivers" not in describe_overlaps(ob, "Beta", noun="district")
    assert "two neighbouring districts" in describe_overlaps(ob, "Beta", noun="district")


def test_no_overlap_sentence(neighbours):
    ov = own_overlaps(neighbours, "A", min_km2=100)  # everything counts as a sliver
    assert ov.empty and ov.attrs["slivers"] == 4
    assert describe_overlaps(ov, "Alpha", noun="combined authority") == (
        "Alpha does not overlap any other combined authority (slivers under 100 km² from "
        "generalised boundaries ignored: 4, 30,005,001 m² in all)."
    )
    lone = bset([("Z", "Zeta", box(0, 0, 1, 1))])
    assert describe_overlaps(own_overlaps(lone, "Z"), "Zeta") == (
        "Zeta does not overlap any other LEP."
    )


def test_own_overlaps_errors(neighbours):
    with pytest.raises(ParameterError, match=r"'Alpha' is a name, not an id; pass its id 'A'"):
        own_overlaps(neighbours, "Alpha")
    with pytest.raises(ParameterError, match=r"no feature has id 'Q'.*boundaries.ids"):
        own_overlaps(neighbours, "Q")


# --------------------------------------------------------------------------------------------
# real data

LEP20 = "uk/boundaries/LEP2020_(April_2020)_EN_odileeds.geojson"
LSIP23 = "uk/boundaries/LSIP_Areas_August_2023_EN_BUC.geojson"
CA23 = "uk/boundaries/Combined_Authorities_May_2023_EN_BUC.geojson"
GBS = "Greater Birmingham and Solihull"


@pytest.fixture(scope="module")
def real(shared_file):
    with pytest.warns(RepairWarning, match="repaired"):  # the odileeds file has bow ties
        lep20 = read_boundaries(shared_file(LEP20))
    return {
        "LEP 2020": lep20,
        "LSIP 2023": read_boundaries(shared_file(LSIP23)),
        "Combined authority 2023": read_boundaries(shared_file(CA23)),
    }


@pytest.fixture(scope="module")
def raw(shared_file):
    """The raw files read by geopandas, indexed by code, with a ``name`` column."""
    files = {
        "LEP 2021": (LEP21, "LEP21CD", "LEP21NM"),
        "LEP 2020": (LEP20, "lep20cd", "lep20nm"),
        "LSIP 2023": (LSIP23, "LSIP23CD", "LSIP23NM"),
        "Combined authority 2023": (CA23, "CAUTH24CD", "CAUTH24NM"),
    }
    out = {}
    for label, (rel, code, name) in files.items():
        g = gpd.read_file(shared_file(rel))
        out[label] = g.rename(columns={code: "code", name: "name"}).set_index("code")[
            ["name", "geometry"]
        ]
    return out


def clean(g, near=None):
    """Valid polygons in EPSG:27700 by geopandas alone, for independent figures.

    ``near``: keep only features whose bounding box meets this geometry's (the odileeds file
    has bow ties, and repairing all of it takes seconds).
    """
    g = g.to_crs(27700)
    if near is not None:
        g = g.iloc[g.sindex.query(near)]
    g = g.set_geometry(g.geometry.make_valid()).explode(index_parts=False)
    g = g[g.geom_type.isin(["Polygon", "MultiPolygon"])]
    return g.dissolve(level=0, aggfunc="first")


def _gbs_id(raw):
    """GBS's code, looked up by name in the raw file (E37000012)."""
    (code,) = raw["LEP 2021"].index[raw["LEP 2021"]["name"] == GBS]
    return code


@pytest.mark.shared_data
class TestRealData:
    def test_gbs_overlaps_two_neighbouring_leps(self, lep21, raw):
        gbs = _gbs_id(raw)
        ov = own_overlaps(lep21, gbs)
        assert ov["neighbour_name"].tolist() == [
            "Stoke-on-Trent and Staffordshire",
            "Worcestershire",
        ]
        assert ov["area_km2"].round(1).tolist() == [832.8, 469.3]
        # independently: shapely on the raw file reprojected by geopandas
        r = clean(raw["LEP 2021"])
        others = r.drop(index=gbs)
        inter = shapely.area(shapely.intersection(r.geometry[gbs], others.geometry.values)) / 1e6
        big = inter > 0.01
        assert sorted(others.index[big]) == sorted(ov["neighbour_id"])
        indep = dict(zip(others.index[big], inter[big], strict=True))
        for nid, area in zip(ov["neighbour_id"], ov["area_km2"], strict=True):
            assert area == pytest.approx(indep[nid], rel=1e-9)
        gbs_km2 = r.geometry[gbs].area / 1e6
        assert ov["share_of_place"].to_numpy() == pytest.approx(ov["area_km2"] / gbs_km2)
        text = describe_overlaps(ov, GBS)
        assert f"{GBS} overlaps two neighbouring LEPs" in text
        assert "Stoke-on-Trent and Staffordshire by 832.8 km²" in text
        assert "Worcestershire by 469.3 km²" in text
        total = sum(indep.values())
        assert f"{total:,.1f} km² in all, {100 * total / gbs_km2:.1f} % of its area" in text

    @pytest.mark.parametrize(
        "name",
        [
            GBS,
            "Greater Cambridge and Greater Peterborough",
            "Leeds City Region",
            "Cornwall and Isles of Scilly",
        ],
    )
    def test_changes_match_geopandas_overlay(self, lep21, real, raw, name):
        i = int(np.flatnonzero(lep21.names == name)[0])
        changes = vintage_changes(
            lep21.metric[i],
            lep21.metric_crs,
            real,
            place_id=lep21.ids[i],
            place_name=name,
            place_label="LEP 2021",
        )
        place = clean(raw["LEP 2021"].loc[[lep21.ids[i]]])[["geometry"]]
        place_km2 = place.area.sum() / 1e6
        for c in changes:
            assert c.place_km2 == pytest.approx(place_km2, rel=1e-6)
            assert c.common_km2 + c.removed_km2 == pytest.approx(c.place_km2, rel=1e-9)
            assert c.common_km2 + c.added_km2 == pytest.approx(c.match_km2, rel=1e-9, abs=1e-9)
            feats = clean(raw[c.label], near=place.geometry.iloc[0])
            # independent IoU of every feature, and the union of all that overlap
            inter = gpd.overlay(place, feats.reset_index(), how="intersection", keep_geom_type=True)
            inter_km2 = inter.set_index(inter.columns[0]).area / 1e6
            covered = shapely.area(shapely.union_all(inter.geometry.values)) / 1e6
            assert c.covered_share == pytest.approx(covered / place_km2, rel=1e-6, abs=1e-12)
            if c.match_id is None:
                assert c.removed_km2 == pytest.approx(place_km2, rel=1e-6)
                continue
            match = gpd.GeoDataFrame(geometry=[feats.geometry[c.match_id]], crs=27700)
            common = (
                gpd.overlay(place, match, how="intersection", keep_geom_type=True).area.sum() / 1e6
            )
            added = (
                gpd.overlay(match, place, how="difference", keep_geom_type=True).area.sum() / 1e6
            )
            removed = (
                gpd.overlay(place, match, how="difference", keep_geom_type=True).area.sum() / 1e6
            )
            assert c.common_km2 == pytest.approx(common, rel=1e-6)
            assert c.added_km2 == pytest.approx(added, rel=1e-6, abs=1e-6)
            assert c.removed_km2 == pytest.approx(removed, rel=1e-6, abs=1e-6)
            assert c.iou == pytest.approx(common / (place_km2 + match.area.sum() / 1e6 - common))
            # narrow strips: one opening of both differences together, by shapely on the
            # geopandas overlays (the function opens part by part and skips slivers); an
            # opening flips for a strip a millimetre either side of 500 m, and geopandas
            # reprojects the vertices its own way, so to 0.1 %
            diff = shapely.union_all(
                [
                    *gpd.overlay(match, place, how="difference", keep_geom_type=True).geometry,
                    *gpd.overlay(place, match, how="difference", keep_geom_type=True).geometry,
                ]
            )
            opened = shapely.buffer(shapely.buffer(diff, -250), 250)
            narrow = (diff.area - shapely.intersection(opened, diff).area) / 1e6
            assert c.narrow_km2 == pytest.approx(narrow, rel=1e-3, abs=1e-4)
            if c.match_by == "overlap":
                fa = feats.area / 1e6
                iou = inter_km2 / (place_km2 + fa[inter_km2.index] - inter_km2)
                assert c.match_id == iou.idxmax()

    def test_gbs_sentences(self, lep21, real, raw, shared_file):
        gbs = _gbs_id(raw)
        i = int(np.flatnonzero(lep21.ids == gbs)[0])
        lep20, lsip, ca = vintage_changes(
            lep21.metric[i],
            lep21.metric_crs,
            real,
            place_id=gbs,
            place_name=GBS,
            place_label="LEP 2021",
        )
        assert (lep20.match_id, lep20.match_by) == (gbs, "id")
        assert lep20.sentence.startswith(f"Against LEP 2020, {GBS} (LEP 2021) lost ")
        # GBS overlapped the same two neighbours in 2020
        assert set(lep20.others["name"]) == {"Stoke-on-Trent and Staffordshire", "Worcestershire"}
        assert lsip.match_by == "overlap" and lsip.iou < 0.5
        assert "a partial match" in lsip.sentence
        # the West Midlands combined authority holds Birmingham and Solihull only
        assert (ca.match_name, ca.match_by) == ("West Midlands", "overlap")
        assert "Against Combined authority 2023, the best-matching area is West Midlands" in (
            ca.sentence
        )
        # ... which within GBS are Birmingham and Solihull: check against the ONS LAD file
        # (another generalisation of the same lines, so to 1 %)
        lads = gpd.read_file(shared_file(LAD24)).to_crs(27700)
        b_s = lads[lads["LAD24NM"].isin(["Birmingham", "Solihull"])].area.sum() / 1e6
        assert ca.common_km2 == pytest.approx(b_s, rel=0.01)
        assert ca.covered_share == pytest.approx(b_s / ca.place_km2, rel=0.01)
        share = f"{100 * ca.covered_share:.1f} %"
        assert f"Together Combined authority 2023 areas cover {share} of {GBS}" in ca.sentence

    def test_cambridge_matches_its_combined_authority(self, lep21, real):
        name = "Greater Cambridge and Greater Peterborough"
        i = int(np.flatnonzero(lep21.names == name)[0])
        (ca,) = vintage_changes(
            lep21.metric[i],
            lep21.metric_crs,
            {"Combined authority 2023": real["Combined authority 2023"]},
            place_id=lep21.ids[i],
            place_name=name,
        )
        assert (ca.match_name, ca.match_by) == ("Cambridgeshire and Peterborough", "overlap")
        assert ca.iou > 0.99

    def test_leps_outside_every_combined_authority(self, lep21, real, raw):
        cas = clean(raw["Combined authority 2023"]).geometry.values
        leps = clean(raw["LEP 2021"])
        ca_set = {"CA": real["Combined authority 2023"]}
        # Cornwall: no CA geometry shares any area with it (checked independently)
        cornwall = leps.index[leps["name"] == "Cornwall and Isles of Scilly"]
        g = leps.geometry[cornwall[0]]
        assert shapely.area(shapely.intersection(g, cas)).max() == 0
        i = int(np.flatnonzero(lep21.ids == cornwall[0])[0])
        (c,) = vintage_changes(lep21.metric[i], lep21.metric_crs, ca_set, place_name="Cornwall")
        assert c.match_id is None and c.covered_share == 0
        assert c.sentence == "No CA boundary overlaps Cornwall (it is not part of one)."
        # Worcestershire touches West Midlands along generalised edges only: no match, and
        # the sentence must not claim it lies outside every combined authority
        w = int(np.flatnonzero(lep21.names == "Worcestershire")[0])
        gw = leps.geometry[lep21.ids[w]]
        touch = shapely.area(shapely.intersection(gw, cas)) / 1e6
        assert 0 < touch.sum() < 0.01 * gw.area / 1e6
        (cw,) = vintage_changes(lep21.metric[w], lep21.metric_crs, ca_set, place_name="W")
        assert cw.match_id is None and cw.covered_share > 0
        assert "not part of" not in cw.sentence

    def test_leeds_same_name_smaller_area_flagged(self, lep21, real):
        i = int(np.flatnonzero(lep21.names == "Leeds City Region")[0])
        (c,) = vintage_changes(
            lep21.metric[i],
            lep21.metric_crs,
            {"LEP 2020": real["LEP 2020"]},
            place_id=lep21.ids[i],
            place_name="Leeds City Region",
            place_label="LEP 2021",
        )
        # the 2020 Leeds City Region (another code) included York and North Yorkshire districts
        assert c.match_by == "name" and c.match_id != lep21.ids[i]
        assert c.iou < 0.5
        assert f"when its code was {c.match_id}" in c.sentence
        assert "differ by more land than they share" in c.sentence

    def test_gbs_postcodes_against_lep2020(self, lep21, real, raw, onspd):
        gbs = _gbs_id(raw)
        i = int(np.flatnonzero(lep21.ids == gbs)[0])
        (c,) = vintage_changes(
            lep21.metric[i],
            lep21.metric_crs,
            {"LEP 2020": real["LEP 2020"]},
            place_id=gbs,
            place_name=GBS,
            place_label="LEP 2021",
            points=onspd,
        )
        # independently: geopandas `within` on the raw geometries, postcodes near GBS only
        place = clean(raw["LEP 2021"].loc[[gbs]]).geometry[gbs]
        match = clean(raw["LEP 2020"].loc[[gbs]]).geometry[gbs]
        minx, miny, maxx, maxy = shapely.union(place, match).bounds
        near = (onspd.x >= minx) & (onspd.x <= maxx) & (onspd.y >= miny) & (onspd.y <= maxy)
        pts = gpd.GeoSeries(gpd.points_from_xy(onspd.x[near], onspd.y[near]), crs=27700)
        in_p = pts.within(place).to_numpy()
        in_m = pts.within(match).to_numpy()
        assert c.points_common == int((in_p & in_m).sum())
        assert c.points_added == int((in_m & ~in_p).sum())
        assert c.points_removed == int((in_p & ~in_m).sum())
        net = c.points_removed - c.points_added
        word = "fewer" if net < 0 else "more"
        assert f"{abs(net):,} postcodes {word} ({c.points_added:,} lost" in c.sentence
