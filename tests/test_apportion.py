"""The sector picture of any polygon (issue 16): LAD business counts apportioned by postcodes.

The check that the dasymetric method works: the 38 LEPs of 2021, treated as if they were
drawn districts (the method is not told they are made of whole LADs), get apportioned
enterprise totals within 5 % of Nomis' own LEP rows for at least 34 of 38.
"""

from __future__ import annotations

import pytest
import shapely
from conftest import LAD24

pytestmark = pytest.mark.shared_data

UBC = "uk/tables/nomis_UBC_enterprises_by_size_industry_2023-04.xlsx"


@pytest.fixture(scope="module")
def inputs(shared_file, onspd):
    from geodistrict import read_boundaries
    from geodistrict.io.nomis import read_nomis

    return (read_boundaries(shared_file(LAD24)), read_nomis(shared_file(UBC)), onspd)


@pytest.mark.slow
def test_38_leps_as_drawn_districts_match_nomis_lep_rows(inputs, lep21):
    from geodistrict.metrics.apportion import apportioned_sectors
    from geodistrict.metrics.nomis_sectors import nomis_sector_counts
    from geodistrict.zones.match import LEP_ALIASES, match_zones

    lads, table, postcodes = inputs
    sp = apportioned_sectors(lep21, lads, table, postcodes)
    counts, _ = nomis_sector_counts(table, geography_type="lep")
    published = match_zones(counts.groupby("area")["count"].sum().rename("n"), lep21,
                            aliases=LEP_ALIASES).values["n"]  # fmt: skip
    est = sp.totals.set_index("id")["enterprises"]
    err = (est / published.reindex(est.index) - 1).abs()
    print(
        f"\napportioned vs Nomis LEP rows: max |error| {err.max():.4%}, "
        f"median {err.median():.4%}; within 5 %: {(err <= 0.05).sum()} of {len(err)}"
    )
    assert len(err) == 38 and err.notna().all()
    assert (err <= 0.05).sum() >= 34
    # LQs are against England: England's own mix gives LQ 1 in every sector
    rows, tot = sp.for_place(str(lep21.ids[0]))
    assert sp.reference == "England" and rows["lq"].notna().all()
    share = rows["count"] / rows["area_total"]
    ref = rows["reference_count"] / rows["reference_total"]
    assert (rows["lq"] - share / ref).abs().max() < 1e-9


def test_a_square_inside_manchester_is_wholly_from_a_partial_lad(inputs):
    """A 1 km square in Manchester: its estimate is Manchester's enterprises times the share
    of Manchester's postcodes inside it (counted here from the raw directory)."""
    import geopandas as gpd

    from geodistrict import prepare_boundaries
    from geodistrict.io.onspd import load_postcodes
    from geodistrict.metrics.apportion import apportioned_sectors
    from geodistrict.metrics.nomis_sectors import nomis_sector_counts

    lads, table, postcodes = inputs
    sq = shapely.box(383500, 397500, 384500, 398500)
    gdf = gpd.GeoDataFrame({"id": ["sq"], "name": ["square"]}, geometry=[sq], crs=27700)
    b = prepare_boundaries(gdf, id="id", name="name")
    sp = apportioned_sectors(b, lads, table, postcodes)
    rows, tot = sp.for_place("sq")
    assert tot["partial_share"] == pytest.approx(1.0)
    assert tot["n_lads"] == 1 and tot["n_partial_lads"] == 1
    pc = load_postcodes()
    pc = pc[pc["x"].notna()]
    lad = gpd.read_file(lads.info.source).to_crs(27700)
    mcr = lad.loc[lad["LAD24CD"] == "E08000003", "geometry"].iloc[0]
    in_lad = shapely.contains_xy(mcr, pc["x"].to_numpy(), pc["y"].to_numpy())
    in_sq = shapely.contains_xy(sq, pc["x"].to_numpy(), pc["y"].to_numpy())
    counts, _ = nomis_sector_counts(table, geography_type="ladu")
    manchester = counts.loc[counts["area"] == "Manchester", "count"].sum()
    expected = manchester * (in_sq & in_lad).sum() / in_lad.sum()
    assert tot["enterprises"] == pytest.approx(expected, rel=1e-6)
    assert "postcodes" in sp.method and "England" in sp.method
