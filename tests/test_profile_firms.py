"""Companies House fixture and the shipped districts, end to end through the CLI."""

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import LEP21

from geodistrict.cli import main
from geodistrict.io.datasets import shipped_districts_path

DATA = Path(__file__).parent / "data"
EXPECTED = json.loads((DATA / "companies_house_sample_expected.json").read_text())


@pytest.mark.shared_data
def test_companies_house_profile_by_sic_section(shared_file, tmp_path):
    out, rep = tmp_path / "firms.csv", tmp_path / "firms.json"
    code = main(
        [
            "profile",
            "--boundaries",
            str(shared_file(LEP21)),
            "--points",
            f"firms={DATA / 'companies_house_sample.csv'}",
            "--by",
            "firms=sic_section",
            "--out",
            str(out),
            "--report",
            str(rep),
        ]
    )
    assert code == 0
    r = json.loads(rep.read_text())["layers"]["firms"]
    assert r["input"] == EXPECTED["total_rows"] == 300
    assert r["rejected"] == EXPECTED["non_live"]["count"] + EXPECTED["bad_postcodes"]["count"]
    assert r["matched"] + r["multi"] + r["unmatched"] + r["rejected"] == 300
    excluded = sum(v for k, v in r["rejected_reasons"].items() if k.startswith("excluded"))
    assert excluded == EXPECTED["non_live"]["count"]
    # independent placement: the generator's own coordinates, joined with geopandas.sjoin
    coords = EXPECTED["live_placed"]["coordinates_27700"]
    pts = gpd.GeoDataFrame(
        {"CompanyNumber": list(coords)},
        geometry=gpd.points_from_xy(
            [c[0] for c in coords.values()], [c[1] for c in coords.values()]
        ),
        crs=27700,
    )
    leps = gpd.read_file(shared_file(LEP21)).to_crs(27700)
    hits = gpd.sjoin(pts, leps, predicate="within")
    per_point = hits.groupby(level=0).size()
    assert r["matched"] == int((per_point == 1).sum())
    assert r["multi"] == int((per_point > 1).sum())
    assert r["unmatched"] == len(pts) - len(per_point)
    t = pd.read_csv(out)
    assert t["firms_count"].sum() == len(hits)
    # per-section totals over LEPs equal the fixture's sections of the firms that sjoin placed
    firms = pd.read_csv(DATA / "companies_house_sample.csv", dtype=str, skipinitialspace=True)
    firms.columns = [c.strip() for c in firms.columns]
    sic = firms.set_index("CompanyNumber")["SICCode.SicText_1"].str.extract(r"^(\d{2})")[0]
    section_of_div = {}
    for lo, hi, sec in [
        (1, 3, "A"), (5, 9, "B"), (10, 33, "C"), (35, 35, "D"), (36, 39, "E"), (41, 43, "F"),
        (45, 47, "G"), (49, 53, "H"), (55, 56, "I"), (58, 63, "J"), (64, 66, "K"),
        (68, 68, "L"), (69, 75, "M"), (77, 82, "N"), (84, 84, "O"), (85, 85, "P"),
        (86, 88, "Q"), (90, 93, "R"), (94, 96, "S"), (97, 98, "T"), (99, 99, "U"),
    ]:  # fmt: skip
        for d in range(lo, hi + 1):
            section_of_div[f"{d:02d}"] = sec
    placed = hits["CompanyNumber"]
    text = firms.set_index("CompanyNumber")["SICCode.SicText_1"].reindex(placed)
    sections = sic.reindex(placed).map(section_of_div)
    sections[text.str.startswith("99999").fillna(False).to_numpy()] = np.nan
    expected = sections.fillna("missing").value_counts()
    for sec, n in expected.items():
        assert t[f"firms_count__{sec}"].sum() == n, sec


def test_main_job_on_shipped_districts(tmp_path, onspd):
    """The README's main job: all postcodes in the shipped districts (on three continents)."""
    import shapely
    from pyproj import Transformer

    out, rep = tmp_path / "d.csv", tmp_path / "d.json"
    assert (
        main(
            [
                "profile",
                "--boundaries",
                str(shipped_districts_path()),
                "--points",
                "postcodes=onspd",
                "--out",
                str(out),
                "--report",
                str(rep),
            ]
        )
        == 0
    )
    t = pd.read_csv(out).set_index("id")
    d = gpd.read_file(shipped_districts_path())
    assert list(t.index) == list(d["id"])
    uk = d["country"] == "United Kingdom"
    assert uk.sum() >= 4 and (~uk).sum() >= 3
    # areas: each district's area in its own metric CRS (BNG in Great Britain, else the UTM zone
    # of its centroid, computed here); the profile may measure a multi-continent set in one
    # equal-area CRS, which differs from BNG/UTM by their grid scale factor (about 0.9996)
    for _, row in d.iterrows():
        c = row.geometry.centroid
        epsg = 27700 if row["country"] == "United Kingdom" else 32600 + int((c.x + 180) // 6) + 1
        if c.y < 0:
            epsg += 100
        local_km2 = gpd.GeoSeries([row.geometry], crs=4326).to_crs(epsg).area.iloc[0] / 1e6
        assert t.loc[row["id"], "area_km2"] == pytest.approx(local_km2, rel=2e-3), row["id"]

    # London Knowledge Quarter, "the area within a one-mile radius of King's Cross": pi r^2 less
    # the 256-gon's shortfall (~0.01 %), and an independent count of the postcodes within the
    # radius of King's Cross station in BNG; the polygon is inscribed, so only points in the thin
    # band between r·cos(π/256) and r may differ
    r = 1609.344
    kq = t.loc["london-knowledge-quarter"]
    assert kq["area_km2"] * 1e6 == pytest.approx(np.pi * r**2, rel=5e-4)
    cx, cy = Transformer.from_crs(4326, 27700, always_xy=True).transform(-0.1233, 51.5322)
    dist = np.hypot(onspd.x - cx, onspd.y - cy)
    lower = int((dist < r * np.cos(np.pi / 256)).sum())
    upper = int((dist <= r).sum())
    assert lower <= int(kq["postcodes_count"]) <= upper
    assert lower > 1000  # a real city centre holds thousands of postcodes

    # the other British districts: shapely.contains_xy on the polygon in BNG, with a 1 m band
    # either side for edges drawn straight in another metric CRS
    bng = d[uk].to_crs(27700).set_index("id")
    for slug, poly in bng.geometry.items():
        if slug == "london-knowledge-quarter":
            continue
        lower = int(shapely.contains_xy(poly.buffer(-1.0), onspd.x, onspd.y).sum())
        upper = int(shapely.contains_xy(poly.buffer(1.0), onspd.x, onspd.y).sum())
        got = int(t.loc[slug, "postcodes_count"])
        assert lower <= got <= upper, slug
        assert got > 0, slug  # every British district holds postcodes
    # districts abroad hold no UK postcode: none within 0.01° of them in lon/lat either
    ok = np.isfinite(onspd.x) & np.isfinite(onspd.y)
    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(onspd.x[ok], onspd.y[ok])
    for _, row in d[~uk].iterrows():
        assert int(shapely.contains_xy(row.geometry.buffer(0.01), lon, lat).sum()) == 0
        assert int(t.loc[row["id"], "postcodes_count"]) == 0, row["id"]

    rj = json.loads(rep.read_text())
    assert rj["layers"]["postcodes"]["input"] == 2_720_556
    assert rj["boundaries"]["overlap_km2"] == 0
    assert "CC0" in json.dumps(rj["provenance"]["sources"][0])
