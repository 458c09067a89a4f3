"""Firm layers by SIC 2007, sector groupings, firm-based location quotients and sector clusters.

Expected values come from the sample's own columns (its SIC section letters and 2-digit codes,
which the compiler derived from the 5-digit codes) and from independent geopandas joins, not
from geodistrict's parser.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodistrict.cli import main

FIRMS = "uk/firms/companieshouse_south_yorkshire_sample.csv"
LAD24 = "uk/boundaries/LAD_May_2024_EN_BUC_with_LEP21.geojson"
UNIS = "uk/universities/learning-providers-plus.csv"
SY = ["Sheffield", "Rotherham", "Barnsley", "Doncaster"]

# Eurostat htec Annex 3, typed from the published table (independent of the package's YAML)
EUROSTAT = {
    "high_tech_manufacturing": [21, 26],
    "medium_high_tech_manufacturing": [20, 27, 28, 29, 30],
    "medium_low_tech_manufacturing": [19, 22, 23, 24, 25, 33],
    "low_tech_manufacturing": [*range(10, 19), 31, 32],
    "high_tech_kis": [59, 60, 61, 62, 63, 72],
    "market_kis": [50, 51, 69, 70, 71, 73, 74, 78, 80],
    "financial_kis": [64, 65, 66],
    "other_kis": [58, 75, 84, 85, 86, 87, 88, 90, 91, 92, 93],  # there is no division 89
    "market_lkis": [45, 46, 47, 49, 52, 55, 56, 68, 77, 79, 81, 82],
    "other_lkis": [53, *range(94, 100)],
}


# --------------------------------------------------------------------------------------------
# the SIC hierarchy and groupings (no shared data)


def test_hierarchy_counts_and_parsing():
    from geodistrict.sectors import classify_sic, sic2007

    t = sic2007()
    assert t["level"].value_counts().to_dict() == {
        "subclass": 728,
        "class": 615,
        "group": 272,
        "division": 88,
        "section": 21,
    }
    c = classify_sic(
        [
            "62012",
            "62.01/2",
            "6201",
            1110,
            "01110",
            "98000",
            "74990",
            "99999",
            "None Supplied",
            None,
            "12345",
            "abc",
        ]
    )
    assert c["sic_section"].tolist()[:5] == ["J", "J", "J", "A", "A"]
    assert c["sic_subclass"].tolist()[:3] == ["62012", "62012", None]
    assert c["sic_class"].tolist()[3] == "0111"  # 1110 read as a number lost its zero
    assert c["sic_status"].tolist()[5:] == [
        "companies_house",
        "companies_house",
        "companies_house",
        "missing",
        "missing",
        "unknown",
        "unreadable",
    ]
    assert c["sic_section"].iloc[5:].isna().all()


def test_groupings_are_cited_and_match_published_sizes():
    from geodistrict.sectors import load_groupings

    g = load_groupings()
    for grouping in g.values():
        assert grouping.source and grouping.title
    # DCMS creative industries: 31 SIC classes (DCMS 2016 methodology)
    assert sum(len(v) for v in g["dcms_creative"].groups.values()) == 31
    # Eurostat groups are exactly the published 2-digit lists
    eu = g["eurostat_technology"].groups
    assert {k: sorted(int(c) for c in v) for k, v in eu.items()} == {
        k: sorted(v) for k, v in EUROSTAT.items()
    }
    kis = set(map(int, g["eurostat_kis"].groups["kis"]))
    assert kis == {
        d
        for k in ("high_tech_kis", "market_kis", "financial_kis", "other_kis")
        for d in EUROSTAT[k]
    }


def test_user_groupings_yaml(tmp_path):
    from geodistrict.errors import SchemaError
    from geodistrict.sectors import classify_sic, load_groupings

    good = tmp_path / "g.yaml"
    good.write_text(
        "groupings:\n  mine:\n    title: Mine\n    source: my own list\n"
        "    groups:\n      soft: {title: Software, codes: ['6201', '5829']}\n"
        "      metal: {codes: ['C']}\n"
    )
    g = load_groupings(good)["mine"]
    c = classify_sic(["62012", "25730", "47110", "98000"])
    assert g.assign(c).tolist() == ["soft", "metal", "other", None]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "groupings:\n  x:\n    title: X\n    groups:\n      a: {codes: ['62', '9999']}\n"
        "      b: {codes: ['6201']}\n"
    )
    with pytest.raises(SchemaError) as e:
        load_groupings(bad)
    msg = str(e.value)  # every problem at once
    assert "'9999' is not a SIC 2007 code" in msg
    assert "must not overlap" in msg
    assert "no 'source'" in msg


# --------------------------------------------------------------------------------------------
# the real sample


@pytest.fixture(scope="module")
def sample(shared_file):
    from geodistrict.io.firms import read_firms

    return read_firms(shared_file(FIRMS))


@pytest.fixture(scope="module")
def raw(shared_file):
    return pd.read_csv(shared_file(FIRMS), dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def sy_lads(shared_file, tmp_path_factory):
    g = gpd.read_file(shared_file(LAD24))
    g = g.loc[g["LAD24NM"].isin(SY), ["LAD24CD", "LAD24NM", "geometry"]]
    path = tmp_path_factory.mktemp("sy") / "sy_lads.geojson"
    g.to_file(path)
    return g.reset_index(drop=True), path


@pytest.mark.shared_data
def test_sample_accounting_1901(sample, raw):
    from geodistrict.io.firms import firm_accounting

    acc = firm_accounting(sample)
    assert acc["input"] == acc["located"] == 1901 == len(raw)
    assert acc["with_section"] == 1876
    assert acc["without_section"] == 25
    r = acc["reasons"]
    assert (
        r["Companies House code 98000 (residents' property management), not a SIC 2007 activity"]
        == 14
    )
    assert r["Companies House code 74990 (non-trading company), not a SIC 2007 activity"] == 6
    assert r["no SIC code"] == 5
    # the compiler's own section letters agree with the parser in every row
    theirs = raw["SIC_SECTION_LETTER"].replace("NA", None)
    assert (sample.attributes["sic_section"].fillna("") == theirs.fillna("")).all()
    # every 5-digit code the compiler gave a section is a subclass of the shipped hierarchy
    from geodistrict.sectors import sector_labels

    names = sector_labels("subclass")
    assert raw.loc[raw["SIC_SECTION_LETTER"] != "NA", "SIC_5DIGIT_CODE"].isin(list(names)).all()


@pytest.mark.slow  # the first ONS Postcode Directory lookup builds its hash table
@pytest.mark.shared_data
def test_place_agreement_1893_plus_8(sample, shared_file):
    from geodistrict.metrics.firm_sectors import place_agreement

    r = place_agreement(
        sample, shared_file(LAD24), label="localauthority_name", postcode="postcode"
    )
    assert r["postcode"] == {"agree": 1901, "differ": 0, "not_found": 0}
    assert r["polygon"]["agree"] == 1893
    assert r["polygon"]["differ"] == 8
    assert r["polygon"]["outside"] == 0
    assert sum(d["firms"] for d in r["polygon"]["differences"]) == 8
    assert all(d["placed_in"] in SY for d in r["polygon"]["differences"])
    assert "1,893" in r["sentence"] and "8 near borders" in r["sentence"]


def _independent_lq(raw: pd.DataFrame, lads: gpd.GeoDataFrame, sector: pd.Series) -> pd.DataFrame:
    pts = gpd.GeoDataFrame(
        {"sector": sector},
        geometry=gpd.points_from_xy(raw["lon"].astype(float), raw["lat"].astype(float)),
        crs=4326,
    ).to_crs(27700)
    pts = pts.loc[pts["sector"].notna()]
    j = gpd.sjoin(pts, lads.to_crs(27700), predicate="within", how="inner")
    counts = j.groupby(["LAD24CD", "sector"]).size().unstack(fill_value=0)
    ref = pts.groupby("sector").size()  # every sample firm with a sector
    counts = counts.reindex(columns=ref.index, fill_value=0)
    share = counts.div(counts.sum(axis=1), axis=0)
    lq = share / (ref / ref.sum())
    return (
        lq.stack()
        .rename("lq_expected")
        .reset_index()
        .rename(columns={"LAD24CD": "area", "sector": "sector"})
    )


@pytest.mark.shared_data
def test_cli_section_lq_equals_geopandas(raw, sy_lads, shared_file, tmp_path):
    lads, path = sy_lads
    out, rep = tmp_path / "lq.csv", tmp_path / "lq.json"
    argv = [
        "specialisation",
        "--points",
        f"firms={shared_file(FIRMS)}",
        "--level",
        "section",
        "--areas",
        str(path),
        "--reference",
        "all",
        "--label-column",
        "localauthority_name",
        "--out",
        str(out),
        "--report",
        str(rep),
    ]
    assert main(argv) == 0
    lq = pd.read_csv(out, dtype={"area": str, "sector": str})
    assert list(lq.columns[:7]) == [
        "area",
        "sector",
        "count",
        "area_total",
        "reference_count",
        "reference_total",
        "lq",
    ]
    expected = _independent_lq(raw, lads, raw["SIC_SECTION_LETTER"].replace("NA", None))
    m = lq.merge(expected, on=["area", "sector"], how="outer", validate="1:1")
    assert len(m) == len(lq) == 4 * expected["sector"].nunique()
    np.testing.assert_allclose(m["lq"], m["lq_expected"], rtol=0, atol=1e-9)
    assert lq.groupby("area")["count"].sum().sum() == 1876
    report = json.loads(rep.read_text())
    assert report["accounting"]["without_section"] == 25
    assert report["places"]["polygon"]["differ"] == 8


@pytest.mark.shared_data
def test_division_and_eurostat_lq_equal_geopandas(sample, raw, sy_lads):
    from geodistrict.metrics.firm_sectors import firm_location_quotients

    lads, _ = sy_lads
    division = raw["SIC_2DIGIT_CODE"].where(raw["SIC_SECTION_LETTER"] != "NA")
    division = division.str.zfill(2)
    lq, _ = firm_location_quotients(sample, lads, level="division")
    exp = _independent_lq(raw, lads, division)
    m = lq.merge(exp, on=["area", "sector"], how="outer", validate="1:1")
    assert m["lq"].notna().all() and m["lq_expected"].notna().all()
    np.testing.assert_allclose(m["lq"], m["lq_expected"], rtol=0, atol=1e-9)

    to_group = {d: g for g, ds in EUROSTAT.items() for d in ds}
    eu = division.map(lambda d: None if pd.isna(d) else to_group.get(int(d), "other_activities"))
    lq, fc = firm_location_quotients(sample, lads, level="eurostat_technology")
    exp = _independent_lq(raw, lads, eu)
    m = lq.merge(exp, on=["area", "sector"], how="outer", validate="1:1")
    np.testing.assert_allclose(m["lq"], m["lq_expected"], rtol=0, atol=1e-9)
    assert fc.grouping["url"].startswith("https://ec.europa.eu/eurostat")


@pytest.mark.shared_data
def test_weighted_and_polygon_reference(sample, raw, sy_lads):
    from geodistrict.metrics.firm_sectors import firm_sector_counts

    lads, _ = sy_lads
    sheffield = lads.loc[lads["LAD24NM"] == "Sheffield"]
    fc = firm_sector_counts(
        sample, lads, level="section", weight="Employees_thisyear", reference=sheffield
    )
    emp = pd.to_numeric(raw["Employees_thisyear"], errors="coerce").fillna(0)
    pts = gpd.GeoDataFrame(
        {"emp": emp, "sec": raw["SIC_SECTION_LETTER"].replace("NA", None)},
        geometry=gpd.points_from_xy(raw["lon"].astype(float), raw["lat"].astype(float)),
        crs=4326,
    ).to_crs(27700)
    inside = pts.loc[pts.within(sheffield.to_crs(27700).union_all()) & pts["sec"].notna()]
    ref = inside.groupby("sec")["emp"].sum()
    got = fc.reference.reindex(ref.index)
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy())
    assert "weighted by Employees_thisyear" in fc.reference.name


@pytest.mark.shared_data
def test_nomis_specialisation_usage_unchanged(tmp_path):
    from geodistrict.cli import build_parser

    args = build_parser().parse_args(["specialisation", "--table", "x.xlsx", "--out", "o.csv"])
    assert args.table == "x.xlsx" and args.points is None and args.level == "section"
    assert main(["specialisation", "--out", str(tmp_path / "o.csv")]) == 2


# --------------------------------------------------------------------------------------------
# sector clusters with calibrated nulls


@pytest.fixture(scope="module")
def with_sector(sample):
    from geodistrict.clusters.sectors import group_layer

    return group_layer(sample, sample.attributes["sic_section"].notna().to_numpy())


@pytest.mark.slow
@pytest.mark.shared_data
def test_manufacturing_hotspots_and_outlines(with_sector):
    from geodistrict.clusters import dbscan_outlines
    from geodistrict.clusters.sectors import group_layer, group_mask, sector_hotspots

    man = group_mask(with_sector, "sic_section", "C")
    assert man.sum() == 119
    h = sector_hotspots(with_sector, man, cell_m=1000)
    g = h.grid
    # windows count every firm once per window it is in; the cells count each firm once
    assert g["firms"].sum() == 1876 and g["group"].sum() == 119
    # p of the busiest window recomputed by hand from the hypergeometric tail
    from scipy.stats import hypergeom

    r = g.loc[g["window_firms"].idxmax()]
    assert r["p"] == pytest.approx(
        hypergeom.sf(r["window_group"] - 1, 1876, 119, r["window_firms"]), rel=1e-12
    )
    # in this block sample no cell passes the FDR: manufacturing is not concentrated among
    # the sample's firms at 1 km (the honest answer; the counts alone would show the city)
    assert int(g["hot"].sum()) == len(h.outlines) == 0
    out = dbscan_outlines(group_layer(with_sector, man), eps_m=1500, min_points=8)
    assert len(out.outlines) >= 1


@pytest.mark.slow
@pytest.mark.shared_data
def test_hotspot_null_calibrated_on_shuffled_labels(with_sector):
    from geodistrict.clusters.sectors import group_mask, sector_hotspots

    man = group_mask(with_sector, "sic_section", "C")
    rng = np.random.default_rng(20)
    runs = 30
    hits = sum(
        bool(sector_hotspots(with_sector, rng.permutation(man), cell_m=1000).grid["hot"].any())
        for _ in range(runs)
    )
    assert hits <= 0.10 * runs


@pytest.mark.slow
@pytest.mark.shared_data
def test_kis_colocated_with_universities_and_null_calibrated(with_sector, shared_file):
    from geodistrict import read_points
    from geodistrict.clusters.sectors import colocation_quotient, cross_k_targets
    from geodistrict.metrics.firm_sectors import sector_column

    unis = read_points(shared_file(UNIS), name="universities")
    sector, _, _ = sector_column(with_sector, "eurostat_kis")
    kis = (sector == "kis").to_numpy()
    ck = cross_k_targets(with_sector, kis, unis, permutations=199, seed=1)
    t = ck.table
    # the pair counts by hand at 2 km (27700 metres)
    ux, uy = unis.x, unis.y
    from pyproj import Transformer

    tr = Transformer.from_crs(4326, 27700, always_xy=True)
    fx, fy = tr.transform(with_sector.x, with_sector.y)
    if not unis.crs.equals(27700):
        ux, uy = tr.transform(unis.x, unis.y)
    d = np.hypot(fx[:, None] - ux[None, :], fy[:, None] - uy[None, :])
    row = t.loc[t["distance_m"] == 2000].iloc[0]
    assert row["group_within"] == (d[kis] <= 2000).sum()
    assert row["all_within"] == (d <= 2000).sum()
    assert ck.p <= 0.05  # knowledge-intensive services sit nearer the universities
    clq = colocation_quotient(with_sector, kis, kis, permutations=199, seed=1)
    assert clq.clq > 1

    rng = np.random.default_rng(7)
    runs = 40
    fp_k = fp_c = 0
    for i in range(runs):
        shuffled = rng.permutation(kis)
        fp_k += cross_k_targets(with_sector, shuffled, unis, permutations=99, seed=i).p <= 0.05
        fp_c += (
            colocation_quotient(with_sector, shuffled, shuffled, permutations=99, seed=i).p <= 0.05
        )
    assert fp_k <= 0.10 * runs
    assert fp_c <= 0.10 * runs


def test_colocation_quotient_hand_worked():
    from geodistrict.clusters.kde import xy_layer
    from geodistrict.clusters.sectors import colocation_quotient

    # A at 0 and 1; B at 10 and 11; C at 5 (equidistant from A at 1... and B at 10: a tie)
    x0 = 400_000  # British National Grid metres, on a line
    lay = xy_layer(np.array([0, 1, 10, 11, 5.5]) + x0, [300_000] * 5, crs=27700)
    a = np.array([True, True, False, False, False])
    b = np.array([False, False, True, True, False])
    # A's nearest neighbours are A: N_AB = 0
    assert colocation_quotient(lay, a, b, permutations=0).clq == 0.0
    # B at 10: nearest is B at 11 (1 m); B at 11: B at 10; so CLQ_BB = (2/2) / (1/4) = 4
    assert colocation_quotient(lay, b, b, permutations=0).clq == 4.0
    c = np.array([False, False, False, False, True])
    # C at 5.5: A at 1 is 4.5 m, B at 10 is 4.5 m: the tie gives half a count to B
    # CLQ_CB = (0.5 / 1) / (2 / 4) = 1
    assert colocation_quotient(lay, c, b, permutations=0).clq == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------
# national scale: the streamed cache


def test_stream_cache_accounts_every_row(tmp_path):
    import zipfile

    from geodistrict.io.companies_house_stream import cache_basic_company_data, read_firm_cache
    from geodistrict.io.firms import read_firms

    header = (
        "CompanyName, CompanyNumber,RegAddress.PostCode,CompanyCategory,CompanyStatus,"
        "IncorporationDate,SICCode.SicText_1,SICCode.SicText_2\n"
    )
    rows = [
        '"A LTD","00000001","CB2 1TN","Private Limited Company","Active","01/02/2010",'
        '"62012 - Business and domestic software development","72190 - Other research"',
        '"B LTD","00000002","","Private Limited Company","Active","01/02/2010","None Supplied",""',
        '"C LTD","00000003","ZZ9 9ZZ","Private Limited Company","Active","01/02/2010",'
        '"98000 - x",""',
        '"D LTD","00000004","CB2 1TN","Private Limited Company","Liquidation","01/02/2010",'
        '"25730 - Manufacture of tools",""',
        '"E LTD","00000005","CB2 1TN","Private Limited Company","Active","01/02/2010",'
        '"25730 - Manufacture of tools",""',
    ]
    csv = tmp_path / "BasicCompanyData-2026-01-01.csv"
    csv.write_text(header + "\n".join(rows) + "\n")
    z = tmp_path / "BasicCompanyDataAsOneFile-2026-01-01.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(csv, csv.name)
    s = cache_basic_company_data(z, tmp_path / "firms.parquet", chunk_rows=2)
    assert (s.n_input, s.n_placed, s.chunks) == (5, 2, 3)
    assert s.reasons == {
        "no postcode given": 1,
        "postcode is not in the ONS Postcode Directory": 1,
        "excluded: CompanyStatus=Liquidation (pass include_inactive=True to keep)": 1,
    }
    lay = read_firm_cache(tmp_path / "firms.parquet")
    assert len(lay) + len(lay.rejected) == 5
    assert lay.attributes["sic_codes"].tolist()[0] == "62012;72190"
    g = gpd.read_parquet(tmp_path / "firms.parquet")
    assert g.crs.to_epsg() == 27700 and g.geometry.notna().sum() == len(lay)
    firms = read_firms(tmp_path / "firms.parquet")
    assert firms.attributes["sic_section"].tolist() == ["J", "C"]
    assert firms.rejected["row"].tolist() == [1, 2, 3]
    assert shapely.get_type_id(g.geometry.dropna().values[0]) == 0


# --------------------------------------------------------------------------------------------
# reports and cards


@pytest.mark.shared_data
def test_card_of_drawn_district_has_innovation_sectors(raw, shared_file, tmp_path):
    # a district drawn by hand: 2 km around Sheffield city centre (British National Grid)
    drawn = gpd.GeoDataFrame(
        {"id": ["drawn"], "name": ["Sheffield centre (drawn)"]},
        geometry=[shapely.Point(435300, 387200).buffer(2000)],
        crs=27700,
    )
    path = tmp_path / "drawn.geojson"
    drawn.to_file(path)
    out = tmp_path / "card.json"
    argv = [
        "card",
        str(path),
        "--firms",
        str(shared_file(FIRMS)),
        "--no-registry",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    doc = json.loads(out.read_text())
    sec = doc["innovation_sectors"]
    table = pd.DataFrame(sec["tables"]["SIC 2007 sections"]).set_index("sector")["count"]
    pts = gpd.GeoDataFrame(
        {"sec": raw["SIC_SECTION_LETTER"].replace("NA", None)},
        geometry=gpd.points_from_xy(raw["lon"].astype(float), raw["lat"].astype(float)),
        crs=4326,
    ).to_crs(27700)
    inside = pts.loc[pts.within(drawn.geometry.iloc[0]) & pts["sec"].notna()]
    expected = inside.groupby("sec").size()
    assert table.sort_index().to_dict() == expected.sort_index().to_dict()
    assert sec["accounting"]["in_place"] == len(inside)
    assert any("Eurostat" in s["title"] for s in sec["sources"])


@pytest.mark.slow
@pytest.mark.shared_data
def test_report_has_innovation_sectors_section(sy_lads, shared_file, tmp_path):
    _, path = sy_lads
    out = tmp_path / "rep"
    argv = [
        "report",
        "--boundaries",
        str(path),
        "Sheffield",
        "--no-postcodes",
        "--no-pdf",
        "--no-benchmarks",
        "--firms",
        str(shared_file(FIRMS)),
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    html = next(out.glob("*.html"), None)
    page = (out / "e08000039.html").read_text()
    assert html is not None and "id='innovation-sectors'" in page
    assert "14 × Companies House code 98000" in page
    summary = json.loads((out / "e08000039.json").read_text())
    assert summary["innovation_sectors"]["accounting"]["in_place"] == 798


@pytest.mark.slow
@pytest.mark.shared_data
def test_sector_clusters_cli(shared_file, tmp_path):
    out, rep = tmp_path / "cells.csv", tmp_path / "kis.json"
    argv = [
        "sector-clusters",
        "--points",
        f"firms={shared_file(FIRMS)}",
        "--group",
        "eurostat_kis=kis",
        "--with",
        f"universities={shared_file(UNIS)}",
        "--permutations",
        "99",
        "--out",
        str(out),
        "--report",
        str(rep),
    ]
    assert main(argv) == 0
    r = json.loads(rep.read_text())
    cells = pd.read_csv(out)
    assert r["group_firms"] == 612 and r["firms_with_sector"] == 1876
    assert cells["firms"].sum() == 1876 and cells["group"].sum() == 612
    assert r["hotspots"]["hot_cells"] == int(cells["hot"].sum())
    assert r["cross_k"]["p"] <= 0.05
    assert r["accounting"]["without_section"] == 25
    bad = [
        "sector-clusters",
        "--points",
        f"firms={shared_file(FIRMS)}",
        "--group",
        "section=Q9",
        "--out",
        str(out),
    ]
    assert main(bad) == 2


def test_hand_worked_counts_references_and_overlaps(squares):
    from geodistrict.clusters.kde import xy_layer
    from geodistrict.errors import ParameterError
    from geodistrict.io.firms import with_sectors
    from geodistrict.metrics.firm_sectors import firm_location_quotients, firm_sector_counts

    # A = [0,1000]², B = [1000,2000]x[0,1000], C = [500,1500]² overlaps both (conftest)
    x0, y0 = 400_000, 300_000
    sq = squares.set_geometry(squares.geometry.translate(x0, y0))
    pts = [  # (x, y, sic): two J and one C in A only; one J in A∩C; one C in B only; far away
        (100, 100, "62012"),
        (200, 200, "62020"),
        (300, 100, "25730"),
        (750, 750, "62090"),
        (1750, 250, "25620"),
        (9000, 9000, "47110"),
        (150, 150, "98000"),
    ]
    lay = xy_layer(
        [x0 + p[0] for p in pts],
        [y0 + p[1] for p in pts],
        crs=27700,
        attributes=pd.DataFrame({"sic": [p[2] for p in pts]}),
    )
    firms = with_sectors(lay, sic_column="sic")
    fc = firm_sector_counts(firms, sq, level="section")
    c = fc.counts.set_index(["area", "sector"])["count"]
    # A holds 3 J (one in the overlap) and 1 C; B 1 C; C (the overlap square) 1 J
    assert c[("A", "J")] == 3 and c[("A", "C")] == 1 and c[("B", "C")] == 1
    assert c[("C", "J")] == 1 and c[("B", "J")] == 0
    # reference "all": every firm with a section, the one outside too: 3 J, 2 C, 1 G
    assert fc.reference.to_dict() == {"C": 2.0, "G": 1.0, "J": 3.0}
    assert fc.accounting["in_several_areas"] == 1 and fc.accounting["outside_areas"] == 1
    lq, _ = firm_location_quotients(firms, sq, level="section")
    a_j = lq.set_index(["area", "sector"]).loc[("A", "J"), "lq"]
    assert a_j == pytest.approx((3 / 4) / (3 / 6))
    # reference "areas": the sum over the areas (the overlap firm counted twice: 4 J)
    fa = firm_sector_counts(firms, sq, level="section", reference="areas")
    assert fa.reference.to_dict() == {"C": 2.0, "J": 4.0}  # G is in no area
    with pytest.raises(ParameterError):
        firm_sector_counts(firms, sq, reference="lep:London")
