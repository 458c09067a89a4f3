"""Companies House fixture and the shipped districts, end to end through the CLI."""

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import LEP21

from geodistrict.cli import main
from geodistrict.datasets import shipped_districts_path

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
    """The README's main job: all postcodes in the shipped one-mile circles."""
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
    t = pd.read_csv(out)
    d = gpd.read_file(shipped_districts_path())
    assert list(t["id"]) == list(d["id"])
    # a circle of one mile: pi r^2 = 8.137 km², less the 256-gon's shortfall (~0.01 %)
    assert t["area_km2"].to_numpy() == pytest.approx(np.pi * 1.609344**2, rel=2e-4)
    # independent count: postcodes within the radius of the centre, measured in BNG; the
    # polygon is inscribed, so only points in the thin band between r·cos(π/256) and r may differ
    from pyproj import Transformer

    tr = Transformer.from_crs(4326, 27700, always_xy=True)
    r = 1609.344
    for _, row in d.iterrows():
        cx, cy = tr.transform(row["centre_lon"], row["centre_lat"])
        dist = np.hypot(onspd.x - cx, onspd.y - cy)
        lower = int((dist < r * np.cos(np.pi / 256)).sum())
        upper = int((dist <= r).sum())
        got = int(t.loc[t["id"] == row["id"], "postcodes_count"].iloc[0])
        assert lower <= got <= upper, row["id"]
        assert lower > 1000  # real city centres hold thousands of postcodes
    rj = json.loads(rep.read_text())
    assert rj["layers"]["postcodes"]["input"] == 2_720_556
    assert rj["boundaries"]["overlap_km2"] == 0
    assert "CC0" in json.dumps(rj["provenance"]["sources"][0])
