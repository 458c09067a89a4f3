"""CLUE jobs by small area (City of Melbourne) and VOA business floorspace readers.

Expected CLUE values are the published figures quoted in the issue: City of Melbourne total
jobs 2022 = 473,514 and Carlton + Parkville (City North) = 15,484 + 30,526 = 46,010. Areas are
checked against an independent measurement (geodesic area on the ellipsoid with
``pyproj.Geod``) and the publisher's own ``shape_area`` field.

``tests/data/voa_floorspace_sample.csv`` is SYNTHETIC: its area codes and names are real ONS
local authority districts but every number in it was made up for these tests (its first line
says so). It was written so that each area's ``All`` row is the sum of its four sectors, with
two suppressed cells (Cambridge industrial hereditaments ``..``, Camden industrial floorspace
``-``); the expectations below are worked out by hand from it.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from geodistrict.errors import EmptyLayerError, SchemaError
from geodistrict.io.clue import (
    CITY_NORTH,
    CLUE_METHOD,
    TotalsMismatchError,
    check_clue_totals,
    clue_jobs_by_area,
    clue_jobs_density,
    match_clue_labels,
    read_clue_areas,
    read_clue_jobs,
)
from geodistrict.io.voa import VOA_SECTORS, read_voa_floorspace

JOBS = "melbourne/city-of-melbourne-jobs-forecasts-by-small-area-2020-2040.csv"
AREAS = "melbourne/clue_small_areas/small-areas-for-census-of-land-use-and-employment-clue.shp"
VOA_SAMPLE = Path(__file__).parent / "data" / "voa_floorspace_sample.csv"

SMALL_AREAS = {
    "Carlton",
    "Docklands",
    "East Melbourne",
    "Kensington",
    "Melbourne (CBD)",
    "Melbourne (Remainder)",
    "North Melbourne",
    "Parkville",
    "Port Melbourne",
    "South Yarra",
    "Southbank",
    "West Melbourne (Industrial)",
    "West Melbourne (Residential)",
}
HEADER = "Geography,Year,Category,Industry Space Use,Value\n"


def _geodesic_km2(geom) -> float:
    area, _perimeter = Geod(ellps="WGS84").geometry_area_perimeter(geom)
    return abs(area) / 1e6


# --- CLUE on the real files ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def jobs_table(shared_file):
    return read_clue_jobs(shared_file(JOBS), year=2022)


@pytest.fixture(scope="module")
def density(shared_file):
    return clue_jobs_density(shared_file(JOBS), shared_file(AREAS), year=2022)


@pytest.mark.shared_data
def test_real_labels(jobs_table):
    assert list(jobs_table.columns) == ["area", "year", "category", "item", "jobs", "is_total"]
    assert set(jobs_table["area"]) == SMALL_AREAS | {"City of Melbourne"}
    assert set(jobs_table["category"]) == {"Jobs by industry", "Jobs by space use"}
    # one Total jobs row per area (14) and category (2)
    assert int(jobs_table["is_total"].sum()) == 28
    assert set(jobs_table.loc[jobs_table["is_total"], "item"]) == {"Total jobs"}
    assert jobs_table["jobs"].dtype == np.float64
    assert (jobs_table["year"] == 2022).all()


@pytest.mark.shared_data
def test_city_of_melbourne_total_2022(jobs_table):
    by_area = clue_jobs_by_area(jobs_table)
    assert by_area.attrs["city_total"] == 473_514
    assert "City of Melbourne" not in by_area.index
    assert set(by_area.index) == SMALL_AREAS
    # the small areas sum to the city total within rounding (13 rounded figures), which they
    # could not do if a Total jobs row had been added to its parts
    assert abs(by_area.sum() - 473_514) <= 0.5 * 14
    checks = pd.DataFrame(by_area.attrs["checks"])
    assert checks["ok"].all()
    assert set(checks["check"]) == {"parts", "categories", "city"}


@pytest.mark.shared_data
def test_city_north_carlton_plus_parkville(jobs_table):
    by_area = clue_jobs_by_area(jobs_table)
    assert by_area["Carlton"] + by_area["Parkville"] == 46_010


@pytest.mark.shared_data
@pytest.mark.parametrize("category", ["industry", "space use", "Jobs by industry", None])
def test_every_category_gives_the_same_totals(jobs_table, category):
    by_area = clue_jobs_by_area(jobs_table, category=category)
    assert by_area["Carlton"] == 15_484
    assert by_area["Parkville"] == 30_526
    assert by_area.attrs["city_total"] == 473_514


@pytest.mark.shared_data
def test_unknown_category_lists_the_real_ones(jobs_table):
    with pytest.raises(SchemaError, match="Jobs by industry"):
        clue_jobs_by_area(jobs_table, category="occupation")


@pytest.mark.shared_data
def test_missing_year_names_the_years(shared_file):
    with pytest.raises(SchemaError, match="2022"):
        read_clue_jobs(shared_file(JOBS), year=2031)


@pytest.mark.shared_data
def test_areas_are_measured_in_utm_55s(shared_file):
    areas = read_clue_areas(shared_file(AREAS))
    assert len(areas) == 13
    assert set(areas.names) == SMALL_AREAS
    assert areas.metric_crs.to_epsg() == 32755


@pytest.mark.shared_data
def test_cbd_area_agrees_with_geodesic_and_published_area(shared_file, density):
    raw = gpd.read_file(shared_file(AREAS))
    cbd = raw[raw["featurenam"] == "Melbourne (CBD)"].iloc[0]
    ours = density.loc[density["name"] == "Melbourne (CBD)", "area_km2"].iloc[0]
    assert ours == pytest.approx(_geodesic_km2(cbd.geometry), rel=0.005)
    assert ours == pytest.approx(float(cbd["shape_area"]) / 1e6, rel=0.005)


@pytest.mark.shared_data
def test_all_thirteen_labels_match(shared_file, jobs_table):
    areas = read_clue_areas(shared_file(AREAS))
    match = match_clue_labels(clue_jobs_by_area(jobs_table).index, areas.names)
    assert match.complete
    assert len(match.matched) == 13
    assert match.unmatched_table == () and match.unmatched_polygons == ()
    assert set(match.how.values()) == {"exact"}


@pytest.mark.shared_data
def test_density_table(density):
    assert list(density.columns) == [
        "id",
        "name",
        "area_km2",
        "jobs",
        "jobs_per_km2",
        "method",
        "combined",
        "members",
        "geometry",
    ]
    assert len(density) == 14
    assert (density["method"] == CLUE_METHOD).all()
    assert density.attrs["metric_crs"] == "EPSG:32755"
    assert density.attrs["match"].complete
    np.testing.assert_allclose(density["jobs_per_km2"], density["jobs"] / density["area_km2"])
    small = density[~density["combined"]]
    assert len(small) == 13
    assert small["jobs"].sum() == pytest.approx(473_514, abs=7)
    assert small.loc[small["jobs_per_km2"].idxmax(), "name"] == "Melbourne (CBD)"


@pytest.mark.shared_data
def test_city_north_district_row(density):
    cn = density[density["combined"]]
    assert cn["name"].tolist() == ["City North"]
    row = cn.iloc[0]
    assert row["jobs"] == 46_010
    assert row["members"] == "Carlton;Parkville"
    parts = density[density["name"].isin(["Carlton", "Parkville"])]
    assert row["area_km2"] == pytest.approx(parts["area_km2"].sum(), rel=1e-12)
    # the union geometry measured independently on the ellipsoid gives the same area
    assert row["area_km2"] == pytest.approx(_geodesic_km2(row["geometry"]), rel=0.005)
    assert row["jobs_per_km2"] == pytest.approx(46_010 / row["area_km2"])


# --- CLUE on small hand-made files ---------------------------------------------------------------


def _jobs_csv(tmp_path: Path, rows: list[str], name: str = "jobs.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return p


@pytest.fixture
def squares_shp(tmp_path) -> Path:
    """Two rectangles in UTM 55S near Melbourne: Carlton 1 km², Parkville 2 km²."""
    x0, y0 = 320_000, 5_812_000
    gdf = gpd.GeoDataFrame(
        {"featurenam": ["Carlton", "Parkville"]},
        geometry=[
            shapely.box(x0, y0, x0 + 1000, y0 + 1000),
            shapely.box(x0 + 1000, y0, x0 + 3000, y0 + 1000),
        ],
        crs=32755,
    )
    p = tmp_path / "areas.geojson"
    gdf.to_file(p)
    return p


def _two_area_rows(city: str = "1500") -> list[str]:
    return [
        "Carlton,2022,Jobs by industry,Education and training,600",
        "Carlton,2022,Jobs by industry,Construction,400",
        "Carlton,2022,Jobs by industry,Total jobs,1000",
        "Parkville,2022,Jobs by industry,Education and training,500",
        "Parkville,2022,Jobs by industry,Total jobs,500",
        f"City of Melbourne,2022,Jobs by industry,Total jobs,{city}",
    ]


def test_density_on_hand_drawn_squares(tmp_path, squares_shp):
    jobs = _jobs_csv(tmp_path, _two_area_rows())
    d = clue_jobs_density(jobs, squares_shp).set_index("name")
    assert d.attrs["metric_crs"] == "EPSG:32755"
    assert d.loc["Carlton", "area_km2"] == pytest.approx(1.0)
    assert d.loc["Parkville", "area_km2"] == pytest.approx(2.0)
    assert d.loc["Carlton", "jobs_per_km2"] == pytest.approx(1000.0)
    assert d.loc["Parkville", "jobs_per_km2"] == pytest.approx(250.0)
    assert bool(d.loc["City North", "combined"]) is True
    assert d.loc["City North", "jobs"] == 1500
    assert d.loc["City North", "area_km2"] == pytest.approx(3.0)
    assert d.loc["City North", "jobs_per_km2"] == pytest.approx(500.0)
    # no district when combine is empty
    assert len(clue_jobs_density(jobs, squares_shp, combine={})) == 2


def test_default_district_is_city_north():
    assert dict(CITY_NORTH) == {"City North": ("Carlton", "Parkville")}


def test_unknown_district_member_is_named(tmp_path, squares_shp):
    jobs = _jobs_csv(tmp_path, _two_area_rows())
    with pytest.raises(SchemaError, match="Fitzroy"):
        clue_jobs_density(jobs, squares_shp, combine={"North": ["Carlton", "Fitzroy"]})


def test_unmatched_labels_are_reported_on_both_sides(tmp_path, squares_shp):
    rows = [r.replace("Parkville", "Atlantis") for r in _two_area_rows()]
    jobs = _jobs_csv(tmp_path, rows)
    with pytest.raises(SchemaError, match=r"without a polygon: Atlantis.*without a table label: "):
        clue_jobs_density(jobs, squares_shp)
    # an alias resolves it
    d = clue_jobs_density(jobs, squares_shp, aliases={"Atlantis": "Parkville"})
    assert d.set_index("name").loc["Parkville", "jobs"] == 500
    assert d.attrs["match"].how["Atlantis"] == "alias"


def test_matching_normalises_and_uses_aliases():
    m = match_clue_labels(
        ["Melbourne CBD", "west melbourne - industrial", "South Bank", "Atlantis"],
        ["Melbourne (CBD)", "West Melbourne (Industrial)", "Southbank", "Docklands"],
    )
    assert m.matched == {
        "Melbourne CBD": "Melbourne (CBD)",
        "west melbourne - industrial": "West Melbourne (Industrial)",
        "South Bank": "Southbank",
    }
    assert m.how == {
        "Melbourne CBD": "normalised",
        "west melbourne - industrial": "normalised",
        "South Bank": "alias",
    }
    assert m.unmatched_table == ("Atlantis",)
    assert m.unmatched_polygons == ("Docklands",)
    assert not m.complete


def test_a_polygon_is_matched_once():
    m = match_clue_labels(["Melbourne CBD", "Melbourne (CBD)"], ["Melbourne (CBD)"])
    assert m.matched == {"Melbourne (CBD)": "Melbourne (CBD)"}
    assert m.unmatched_table == ("Melbourne CBD",)


def test_parts_not_matching_total_are_reported(tmp_path):
    rows = _two_area_rows()
    rows[1] = "Carlton,2022,Jobs by industry,Construction,300"  # parts 900 vs total 1000
    t = read_clue_jobs(_jobs_csv(tmp_path, rows))
    with pytest.raises(TotalsMismatchError, match=r"Carlton / Jobs by industry.*-100"):
        clue_jobs_by_area(t)
    checks = check_clue_totals(t)
    bad = checks[~checks["ok"]]
    assert bad[["check", "area", "difference"]].values.tolist() == [["parts", "Carlton", -100.0]]
    # accepting it explicitly
    assert clue_jobs_by_area(t, tolerance=100)["Carlton"] == 1000


def test_rounding_differences_are_kept_visible(tmp_path):
    rows = _two_area_rows()
    rows[1] = "Carlton,2022,Jobs by industry,Construction,401"  # parts 1001 vs total 1000
    s = clue_jobs_by_area(read_clue_jobs(_jobs_csv(tmp_path, rows)))
    checks = pd.DataFrame(s.attrs["checks"])
    diff = checks.set_index(["check", "area"]).loc[("parts", "Carlton"), "difference"]
    assert diff == 1.0
    assert s["Carlton"] == 1000  # the published total, not the sum of parts


def test_city_total_checks_the_areas(tmp_path):
    t = read_clue_jobs(_jobs_csv(tmp_path, _two_area_rows(city="1600")))
    with pytest.raises(TotalsMismatchError, match="City of Melbourne"):
        clue_jobs_by_area(t)


def test_categories_that_disagree_ask_for_a_choice(tmp_path):
    rows = _two_area_rows() + [
        "Carlton,2022,Jobs by space use,Office,1001",
        "Carlton,2022,Jobs by space use,Total jobs,1001",
        "Parkville,2022,Jobs by space use,Education,500",
        "Parkville,2022,Jobs by space use,Total jobs,500",
        "City of Melbourne,2022,Jobs by space use,Total jobs,1501",
    ]
    t = read_clue_jobs(_jobs_csv(tmp_path, rows))
    with pytest.raises(TotalsMismatchError, match="category="):
        clue_jobs_by_area(t)
    assert clue_jobs_by_area(t, category="industry")["Carlton"] == 1000
    assert clue_jobs_by_area(t, category="space use")["Carlton"] == 1001


def test_missing_total_row_is_an_error(tmp_path):
    rows = [r for r in _two_area_rows() if not r.startswith("Parkville,2022,Jobs by industry,T")]
    t = read_clue_jobs(_jobs_csv(tmp_path, rows))
    with pytest.raises(SchemaError, match="Parkville / Jobs by industry"):
        clue_jobs_by_area(t)


def test_bad_value_names_the_line(tmp_path):
    rows = _two_area_rows()
    rows[3] = "Parkville,2022,Jobs by industry,Education and training,n/a"
    with pytest.raises(SchemaError, match=r"line 5 \('n/a'\)"):
        read_clue_jobs(_jobs_csv(tmp_path, rows))


def test_wide_layout_with_a_column_per_year(tmp_path):
    p = tmp_path / "wide.csv"
    p.write_text(
        "Geography,Category,Industry Space Use,2022,2023\n"
        'Carlton,Jobs by industry,Construction,"1,200",1300\n'
        "Carlton,Jobs by industry,Total jobs,1200,1300\n",
        encoding="utf-8",
    )
    assert read_clue_jobs(p, year=2023)["jobs"].tolist() == [1300.0, 1300.0]
    assert read_clue_jobs(p, year=2022)["jobs"].tolist() == [1200.0, 1200.0]
    with pytest.raises(SchemaError, match="2022, 2023"):
        read_clue_jobs(p, year=2040)


def test_not_a_clue_table(tmp_path):
    p = tmp_path / "other.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="not a CLUE jobs table"):
        read_clue_jobs(p)


def test_areas_without_featurenam(tmp_path):
    p = tmp_path / "x.geojson"
    gpd.GeoDataFrame(
        {"nom": ["A"]}, geometry=[shapely.box(144.9, -37.8, 145.0, -37.7)], crs=4326
    ).to_file(p)
    with pytest.raises(SchemaError, match="featurenam"):
        read_clue_areas(p)


# --- VOA business floorspace ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def voa() -> pd.DataFrame:
    return read_voa_floorspace(VOA_SAMPLE)


def _row(voa: pd.DataFrame, code: str, sector: str) -> pd.Series:
    hit = voa[(voa["code"] == code) & (voa["sector"] == sector)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_sample_is_marked_synthetic():
    first = VOA_SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#") and "SYNTHETIC" in first


def test_voa_shape(voa):
    assert list(voa.columns) == [
        "code",
        "name",
        "geography",
        "sector",
        "hereditaments",
        "floorspace_m2",
        "hereditaments_suppressed",
        "floorspace_suppressed",
    ]
    assert len(voa) == 50
    assert voa["code"].nunique() == 10
    assert set(voa["sector"]) == set(VOA_SECTORS)
    assert (voa.groupby("code").size() == 5).all()
    assert set(voa["geography"]) == {"LAUA"}


def test_real_codes_and_names(voa):
    names = voa.drop_duplicates("code").set_index("code")["name"]
    assert names["E06000023"] == "Bristol, City of"  # quoted comma in the CSV
    assert names["E08000039"] == "Sheffield"  # the 2024 code
    assert names["E07000008"] == "Cambridge"
    assert names["E09000007"] == "Camden"


def test_thousand_m2_become_m2(voa):
    assert _row(voa, "E08000003", "Office")["floorspace_m2"] == 2_310_000.0  # 2310 thousand m²
    assert _row(voa, "E07000178", "Retail")["floorspace_m2"] == 395_000.0
    # the All rows of the ten areas: 1922 + 8700 + 4795 + 2795 + 16180 + 3240 + 7840 + 6260
    # + 12200 + 1695 = 65,627 thousand m²
    assert voa.loc[voa["sector"] == "All", "floorspace_m2"].sum() == 65_627_000.0


def test_thousands_separator(voa):
    assert _row(voa, "E08000025", "All")["hereditaments"] == 26_110.0  # "26,110" in the file


def test_suppressed_cells_are_missing_not_zero(voa):
    assert voa.attrs["n_suppressed"] == 2
    cam = _row(voa, "E07000008", "Industrial")
    assert np.isnan(cam["hereditaments"]) and cam["hereditaments_suppressed"]
    assert cam["floorspace_m2"] == 388_000.0 and not cam["floorspace_suppressed"]
    camden = _row(voa, "E09000007", "Industrial")
    assert np.isnan(camden["floorspace_m2"]) and camden["floorspace_suppressed"]
    assert camden["hereditaments"] == 640.0
    assert int(voa["hereditaments_suppressed"].sum() + voa["floorspace_suppressed"].sum()) == 2
    # the published All total still holds the suppressed part: 4795 - (905 + 2890 + 760) = 240
    # thousand m² of Camden industrial floorspace, and 3935 - (1110 + 1320 + 905) = 600
    # Cambridge industrial hereditaments, neither of them zero
    known = voa[(voa["code"] == "E09000007") & ~voa["sector"].isin(["All", "Industrial"])]
    assert _row(voa, "E09000007", "All")["floorspace_m2"] - known["floorspace_m2"].sum() == 240_000
    known = voa[(voa["code"] == "E07000008") & ~voa["sector"].isin(["All", "Industrial"])]
    assert _row(voa, "E07000008", "All")["hereditaments"] - known["hereditaments"].sum() == 600


@pytest.mark.parametrize(
    ("column", "complete_codes"),
    [
        ("floorspace_m2", 9),  # all but Camden
        ("hereditaments", 9),  # all but Cambridge
    ],
)
def test_sectors_sum_to_all_where_complete(voa, column, complete_codes):
    parts = voa[voa["sector"] != "All"].groupby("code")[column].sum(min_count=4)
    parts = parts.where(voa[voa["sector"] != "All"].groupby("code")[column].count() == 4)
    total = voa[voa["sector"] == "All"].set_index("code")[column]
    complete = parts.dropna().index
    assert len(complete) == complete_codes
    np.testing.assert_array_equal(parts[complete].to_numpy(), total[complete].to_numpy())


def _voa_csv(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "fs.csv"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "header",
    [
        "geography,ons_code,area_name,sector,hereditaments,floorspace_000m2",
        "Geography,Area Code,Area Name,Sector,Hereditaments,Floorspace (000 m2)",
        "geography,ba_code,area_name,sector,hereditaments,floorspace_000m2",
    ],
)
def test_header_variants(tmp_path, header):
    p = _voa_csv(tmp_path, header + "\nLAUA,E09000019,Islington,All Sectors,7860,2795\n")
    fs = read_voa_floorspace(p)
    assert fs[["code", "sector", "hereditaments", "floorspace_m2"]].values.tolist() == [
        ["E09000019", "All", 7860.0, 2_795_000.0]
    ]
    assert fs.attrs["n_suppressed"] == 0


def test_missing_column(tmp_path):
    p = _voa_csv(tmp_path, "ons_code,area_name,sector,hereditaments\nE1,A,All,1\n")
    with pytest.raises(SchemaError, match="floorspace_000m2"):
        read_voa_floorspace(p)


def test_unknown_sector_names_the_line(tmp_path):
    p = _voa_csv(
        tmp_path,
        "# note\nons_code,area_name,sector,hereditaments,floorspace_000m2\n"
        "E1,A,Retail,1,2\nE1,A,Warehouses,1,2\n",
    )
    with pytest.raises(SchemaError, match=r"line 4 \('Warehouses'\).*Retail, Office"):
        read_voa_floorspace(p)


@pytest.mark.parametrize(("cell", "shown"), [("n/a", "'n/a'"), ("", "empty")])
def test_bad_number_names_the_line(tmp_path, cell, shown):
    p = _voa_csv(
        tmp_path,
        f"ons_code,area_name,sector,hereditaments,floorspace_000m2\nE1,A,Retail,1,2\n"
        f"E1,A,Office,{cell},2\n",
    )
    with pytest.raises(SchemaError, match=rf"line 3 \({shown}\)"):
        read_voa_floorspace(p)


def test_repeated_area_and_sector(tmp_path):
    p = _voa_csv(
        tmp_path,
        "ons_code,area_name,sector,hereditaments,floorspace_000m2\nE1,A,Retail,1,2\n"
        "E1,A,retail,1,2\n",
    )
    with pytest.raises(SchemaError, match="more than once"):
        read_voa_floorspace(p)


def test_year_column(tmp_path):
    p = _voa_csv(
        tmp_path,
        "year,ons_code,area_name,sector,hereditaments,floorspace_000m2\n"
        "2022-23,E1,A,All,10,2\n2023-24,E1,A,All,11,3\n",
    )
    with pytest.raises(SchemaError, match="2022-23, 2023-24"):
        read_voa_floorspace(p)
    fs = read_voa_floorspace(p, year="2023-24")
    assert fs[["year", "hereditaments", "floorspace_m2"]].values.tolist() == [
        ["2023-24", 11.0, 3000.0]
    ]
    with pytest.raises(SchemaError, match="no rows for year"):
        read_voa_floorspace(p, year=2030)


def test_year_without_year_column(tmp_path):
    with pytest.raises(SchemaError, match="no year column"):
        read_voa_floorspace(VOA_SAMPLE, year=2023)


def test_header_only(tmp_path):
    p = _voa_csv(tmp_path, "ons_code,area_name,sector,hereditaments,floorspace_000m2\n")
    with pytest.raises(EmptyLayerError):
        read_voa_floorspace(p)
