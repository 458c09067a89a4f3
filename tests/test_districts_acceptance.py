"""Issue #5 acceptance that spans modules: City North computed beside its registry entry,
the four-district comparison, and a profile carried from one boundary vintage to another."""

import json

import pandas as pd
import pytest
from conftest import LEP21, UNIS

from geodistrict.cli import main
from geodistrict.districts import district_card
from geodistrict.districts.registry import registry_figures
from geodistrict.io.clue import clue_jobs_by_area, read_clue_areas, read_clue_jobs

pytestmark = pytest.mark.shared_data
CLUE = "melbourne/clue_small_areas/small-areas-for-census-of-land-use-and-employment-clue.shp"
JOBS = "melbourne/city-of-melbourne-jobs-forecasts-by-small-area-2020-2040.csv"


def test_melbourne_city_north_computed_beside_registry(shared_file):
    areas = read_clue_areas(shared_file(CLUE))
    jobs = clue_jobs_by_area(read_clue_jobs(shared_file(JOBS)))
    card = district_card("melbourne-city-north", layers={"jobs": (areas, jobs)})
    d = card.to_dict()
    computed = card.indicator("jobs")
    published = card.indicator("published_jobs")
    assert computed.source == "computed"
    assert published.source != "computed" and published.year == 2022
    expected = float(
        registry_figures("melbourne-city-north").query("indicator == 'jobs'")["value"].iloc[0]
    )
    # City North is the union of Carlton and Parkville: all of their jobs, nothing else
    assert computed.value == pytest.approx(expected, rel=2e-3)
    assert computed.value == pytest.approx(jobs["Carlton"] + jobs["Parkville"], rel=2e-3)
    assert d["area_ha"] == pytest.approx(677.9, rel=0.01)


def test_compare_four_districts_cli(tmp_path):
    out, chart = tmp_path / "cmp.csv", tmp_path / "cmp.png"
    slugs = ["22at-barcelona", "medellin-innovation-district", "melbourne-city-north",
             "manchester-oxford-road"]  # fmt: skip
    assert main(["compare", *slugs, "--out", str(out), "--chart", str(chart)]) == 0
    t = pd.read_csv(out)
    assert len(t) == 4 and chart.stat().st_size > 5_000
    dens = [c for c in t.columns if c.endswith("_per_km2")]
    assert dens, "densities are reported per km²"
    t = t.set_index(t.columns[0])
    row = t.loc["22at-barcelona"]
    # registry figures over the published area: 8,823 firms (2015) / 1.9826 km²
    assert row["published_firms_per_km2"] == pytest.approx(8823 / 1.9826, rel=1e-3)


def test_profile_carried_from_lep2021_to_lsip2023(shared_file, tmp_path):
    """LEPs ended in April 2024: a LEP profile is carried onto their successors, the LSIPs."""
    prof = tmp_path / "lep.csv"
    assert main(["profile", "--boundaries", str(shared_file(LEP21)), "--points",
                 f"universities={shared_file(UNIS)}", "--out", str(prof)]) == 0  # fmt: skip
    out, rep = tmp_path / "lsip.csv", tmp_path / "lsip.json"
    lsip = shared_file("uk/boundaries/LSIP_Areas_August_2023_EN_BUC.geojson")
    code = main(["interpolate", "--zones", str(shared_file(LEP21)), "--table", str(prof),
                 "--key", "id", "--value", "universities_count", "--to", str(lsip),
                 "--out", str(out), "--report", str(rep)])  # fmt: skip
    assert code == 0
    r = json.loads(rep.read_text())["interpolation"]["value"]
    lep_total = pd.read_csv(prof)["universities_count"].sum()
    assert r["source_total"] == lep_total
    assert r["inside"] + r["outside"] == pytest.approx(lep_total, rel=1e-9)
    assert len(pd.read_csv(out)) == 38
