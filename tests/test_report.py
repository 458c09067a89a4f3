"""Issue #10 acceptance: regional innovation audit reports of all 38 LEPs of 2021.

One run of ``geodistrict report --all`` (HTML and PDF, every input the issue names) feeds the
tests below. The figures are checked against independent computations: the location quotients
against ``geodistrict specialisation`` run separately on the same Nomis file, the overlaps
against a geopandas overlay of the raw LEP file in EPSG:27700, the universities against the
learning-providers file placed with ``geopandas.sjoin``.
"""

from __future__ import annotations

import json
import os
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import LAD24, LEP21, UNIS

from geodistrict import RepairWarning
from geodistrict.cli import main

pytestmark = pytest.mark.shared_data

UBC = "uk/tables/nomis_UBC_enterprises_by_size_industry_2023-04.xlsx"
APS = "uk/tables/nomis_APS_employment_by_industry_2023-04.xlsx"
LEP20 = "uk/boundaries/LEP2020_(April_2020)_EN_odileeds.geojson"
LSIP = "uk/boundaries/LSIP_Areas_August_2023_EN_BUC.geojson"
CA = "uk/boundaries/Combined_Authorities_May_2023_EN_BUC.geojson"
GCGP = "Greater Cambridge and Greater Peterborough"
GBS = "Greater Birmingham and Solihull"
CHROMIUM = Path("/usr/bin/chromium")
VOA = Path(__file__).parent / "data" / "voa_floorspace_sample.csv"  # synthetic values


class _Tables(HTMLParser):
    """Rows of every ``<table id=...>`` and the ``id`` of every ``<img>`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[str] = []
        self._tid: str | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._tid = a.get("id", "")
            self.tables[self._tid] = []
        elif tag == "tr" and self._tid is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.images.append(a.get("id", ""))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._tid].append(self._row)
            self._row = None
        elif tag == "table":
            self._tid = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _parse(path: Path) -> _Tables:
    p = _Tables()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@pytest.fixture(scope="module")
def run(shared_file, tmp_path_factory):
    """One ``geodistrict report --all`` over the LEPs of 2021, with PDFs."""
    out = tmp_path_factory.mktemp("reports")
    args = [
        "report",
        "--all",
        "--boundaries",
        str(shared_file(LEP21)),
        "--business-counts",
        str(shared_file(UBC)),
        "--employment",
        str(shared_file(APS)),
        "--universities",
        str(shared_file(UNIS)),
        "--vintage",
        f"LEP 2020={shared_file(LEP20)}",
        "--vintage",
        f"LSIP 2023={shared_file(LSIP)}",
        "--vintage",
        f"Combined authority 2023={shared_file(CA)}",
        "--floorspace",
        str(VOA),
        "--floorspace-zones",
        str(shared_file(LAD24)),
        "--out",
        str(out),
    ]
    if not CHROMIUM.exists() and os.environ.get("CI", "").lower() != "true":
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium) for the PDFs")
    with pytest.warns(RepairWarning, match="LEP2020"):  # its 25 self-intersections, named
        status = main(args)
    record = json.loads((out / "reports.json").read_text())
    return out, status, record


def _slug(record: dict, name: str) -> str:
    return next(p["slug"] for p in record["places"] if p["name"] == name)


def test_all_38_html_pdf_and_index(run):
    out, status, record = run
    assert status == 0 and record["failures"] == []
    htmls = sorted(p for p in out.glob("*.html") if p.name != "index.html")
    pdfs = sorted(out.glob("*.pdf"))
    assert len(htmls) == 38 and len(pdfs) == 38
    assert {p.stem for p in htmls} == {p.stem for p in pdfs}
    for p in pdfs:
        head = p.read_bytes()[:5]
        assert head == b"%PDF-", p
    index = _parse(out / "index.html")
    rows = index.tables["index"][1:]
    assert len(rows) == 38
    text = (out / "index.html").read_text()
    for p in htmls:
        assert f"href='{p.name}'" in text and f"href='{p.stem}.pdf'" in text


def test_every_report_states_the_rule_and_its_sources(run):
    out, _, record = run
    for place in record["places"]:
        html = (out / f"{place['slug']}.html").read_text()
        assert "is at least 1.25 and the place has at least 100 enterprises" in html
        assert "Office for National Statistics licensed under the Open Government Licence" in html
        assert "min_lq = 1.25; min_count = 100" in html
        assert "Scale about 1:" in html


def test_cambridge_names_its_university_and_lqs_match_specialisation(run, shared_file, tmp_path):
    out, _, record = run
    page = _parse(out / f"{_slug(record, GCGP)}.html")
    names = [r[0] for r in page.tables["universities"][1:]]
    assert "UNIVERSITY OF CAMBRIDGE" in names

    csv = tmp_path / "lq.csv"
    assert main(["specialisation", "--table", str(shared_file(UBC)), "--out", str(csv)]) == 0
    lq = pd.read_csv(csv)
    lq = lq[lq["area"] == GCGP].set_index("sector")
    shown = {r[0]: r for r in page.tables["lq-table"][1:]}
    assert set(shown) == set(lq.index) and len(shown) == 18
    for sector, row in shown.items():
        assert row[2] == f"{lq.loc[sector, 'count']:,.0f}"
        assert row[5] == f"{lq.loc[sector, 'lq']:.3f}"  # the digits printed are the CLI's
    # the figures file carries them to the last digit
    doc = json.loads((out / f"{_slug(record, GCGP)}.json").read_text())
    labels = lq["sector_label"].str.split(" : ", n=1).str[-1]
    by_label = dict(zip(labels, lq["lq"], strict=True))
    for label, value, count in doc["specialisms"]:
        assert value == by_label[label]
        assert value >= 1.25 and count >= 100
    rule = lq[(lq["lq"] >= 1.25) & (lq["count"] >= 100)]
    assert {s[0] for s in doc["specialisms"]} == set(labels[rule.index])


def test_specialisms_follow_the_rule_everywhere(run, shared_file, tmp_path):
    out, _, record = run
    csv = tmp_path / "lq.csv"
    main(["specialisation", "--table", str(shared_file(UBC)), "--out", str(csv)])
    lq = pd.read_csv(csv)
    lq["label"] = lq["sector_label"].str.split(" : ", n=1).str[-1]
    aliases = {"Hull and East Riding": "Hull and East Yorkshire",
               "Buckinghamshire Thames Valley": "Buckinghamshire"}  # fmt: skip
    lq["area"] = lq["area"].replace(aliases)
    for place in record["places"]:
        doc = json.loads((out / f"{place['slug']}.json").read_text())
        mine = lq[lq["area"].str.lower() == place["name"].lower().replace("&", "and")]
        assert len(mine) == 18, place["name"]
        want = set(mine.loc[(mine["lq"] >= 1.25) & (mine["count"] >= 100), "label"])
        assert {s[0] for s in doc["specialisms"]} == want, place["name"]
        small = set(mine.loc[(mine["lq"] >= 1.25) & (mine["count"] < 100), "label"])
        assert {s[0] for s in doc["small_concentrations"]} == small


def test_birmingham_states_its_two_overlaps_in_km2(run, shared_file):
    out, _, record = run
    html = (out / f"{_slug(record, GBS)}.html").read_text()
    raw = gpd.read_file(shared_file(LEP21)).to_crs(27700)
    raw["geometry"] = raw.geometry.make_valid()
    gbs = raw[raw["LEP21NM"] == GBS]
    others = raw[raw["LEP21NM"] != GBS]
    inter = gpd.overlay(gbs, others, how="intersection", keep_geom_type=True)
    inter["km2"] = inter.area / 1e6
    big = inter[inter["km2"] > 0.01].sort_values("km2", ascending=False)
    assert len(big) == 2
    assert "overlaps two neighbouring LEPs" in html
    for _, r in big.iterrows():
        assert f"{r['LEP21NM_2']} by {r['km2']:,.1f} km²" in html
    assert f"{big['km2'].sum():,.1f} km² in all" in html


def test_universities_match_an_independent_sjoin(run, shared_file):
    out, _, record = run
    unis = pd.read_csv(shared_file(UNIS), encoding="latin-1")
    pts = gpd.GeoDataFrame(
        unis, geometry=gpd.points_from_xy(unis["LONGITUDE"], unis["LATITUDE"]), crs=4326
    ).dropna(subset=["LONGITUDE", "LATITUDE"])
    leps = gpd.read_file(shared_file(LEP21))
    j = gpd.sjoin(pts, leps, predicate="within")
    for place in record["places"]:
        doc = json.loads((out / f"{place['slug']}.json").read_text())
        want = sorted(j.loc[j["LEP21CD"] == place["id"], "PROVIDER_NAME"].str.strip())
        assert sorted(u["name"] for u in doc["university_list"]) == want, place["name"]


def test_three_reports_in_a_browser_offline(run):
    """Open three reports in headless Chromium, network blocked: no errors, images drawn."""
    from test_maps_browser import ARGS, _need_browser

    _need_browser()
    from playwright.sync_api import sync_playwright

    out, _, record = run
    slugs = [_slug(record, GCGP), _slug(record, GBS), record["places"][0]["slug"]]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            for slug in slugs:
                ctx = browser.new_context(viewport={"width": 1000, "height": 1400})
                blocked, errors = [], []

                def _route(route, blocked=blocked):
                    url = route.request.url
                    if url.startswith(("file:", "data:")):
                        route.continue_()
                    else:
                        blocked.append(url)
                        route.abort()

                ctx.route("**/*", _route)
                page = ctx.new_page()
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.on(
                    "console",
                    lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None,
                )
                page.goto((out / f"{slug}.html").as_uri(), wait_until="load")
                imgs = page.eval_on_selector_all(
                    "img", "els => els.map(e => [e.id, e.complete, e.naturalWidth])"
                )
                assert errors == [] and blocked == [], slug
                ids = {i for i, _, _ in imgs}
                assert {"lq-chart", "hotspot-map"} <= ids, slug
                assert all(done and w > 300 for _, done, w in imgs), imgs
                assert page.title().startswith(record["places"][0]["name"]) or slug != slugs[2]
                ctx.close()
        finally:
            browser.close()


def test_a_failing_place_is_reported_and_the_others_build(tmp_path, monkeypatch, capsys):
    """Shipped districts, HTML only: one place made to fail, six still built, failure listed."""
    import geodistrict.reports._build as build

    real = build.place_report

    def flaky(ctx, i):
        if ctx.boundaries.ids[i] == "newcastle-helix":
            raise ValueError("simulated failure")
        return real(ctx, i)

    monkeypatch.setattr(build, "place_report", flaky)
    status = main(["report", "--all", "--no-pdf", "--out", str(tmp_path)])
    assert status == 1
    record = json.loads((tmp_path / "reports.json").read_text())
    assert [f["id"] for f in record["failures"]] == ["newcastle-helix"]
    assert "simulated failure" in record["failures"][0]["error"]
    assert len(list(tmp_path.glob("*.html"))) == 7  # six reports and the index
    index = (tmp_path / "index.html").read_text()
    assert "Reports that failed (1)" in index and "simulated failure" in index
    assert "newcastle-helix" in capsys.readouterr().err


def test_a_shipped_district_is_compared_with_the_others_not_itself(tmp_path):
    assert main(["report", "cambridge", "--no-pdf", "--out", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / "cambridge.json").read_text())
    html = (tmp_path / "cambridge.html").read_text()
    page = _parse(tmp_path / "cambridge.html")
    rows = page.tables["comparables"][1:]
    names = [r[0] for r in rows]
    assert names[0].startswith("leading cluster of Cambridge city core")
    assert not any(n.startswith("Cambridge city core") for n in names[1:])
    assert len(rows) == 4  # the cluster and the three nearest measured districts
    # no Nomis table: the report says so instead of inventing figures
    assert "Not available: no business-counts table was given" in html
    # no LAD polygons given: the postcode ratio is to England, from the bundled LADs (issue 16)
    assert "no ratios are shown" not in html and "Reference: England" in html
    assert "LAD_May_2024_EN_BUC_with_LEP21" in html
    assert doc["specialisms"] == []
    # the leading cluster holds the postcodes counted inside it, in the district's own CRS
    lead = doc["hotspots"]["outlines"][0]
    assert lead["points"] > 0 and doc["parameters"]["metric_crs"] == "EPSG:27700"


def test_floorspace_is_carried_from_lads_onto_leps(run, shared_file):
    """Floorspace of the LADs inside a LEP, summed by hand from the table and the LAD file."""
    out, _, record = run
    voa = pd.read_csv(VOA, comment="#")
    voa = voa[voa["sector"] == "All"].set_index("ons_code")["floorspace_000m2"]
    lads = gpd.read_file(shared_file(LAD24))
    for name in (GCGP, GBS, "Greater Manchester"):
        doc = json.loads((out / f"{_slug(record, name)}.json").read_text())
        code = next(p["id"] for p in record["places"] if p["name"] == name)
        members = lads.loc[(lads["LEP21CD1"] == code) | (lads["LEP21CD2"] == code), "LAD24CD"]
        want = float(voa.reindex(members).sum()) * 1000
        row = next(r for r in doc["card"] if r["key"] == "floorspace")
        assert row["value"] == pytest.approx(want, rel=0.01), name
        assert "partial sum" in row["note"]  # the sample covers a few LADs only


CA_LOOKUP = "uk/boundaries/LAD_to_CA_(May_2025)_Lookup_in_EN.csv"


@pytest.fixture(scope="module")
def ca_run(shared_file, tmp_path_factory):
    """Combined authorities: not a Nomis geography, so the LAD rows are summed onto them."""
    out = tmp_path_factory.mktemp("ca")
    status = main(
        ["report", "--all", "--no-pdf", "--no-postcodes", "--no-benchmarks",
         "--boundaries", str(shared_file(CA)), "--business-counts", str(shared_file(UBC)),
         "--zones", str(shared_file(LAD24)), "--out", str(out)]
    )  # fmt: skip
    return out, status, json.loads((out / "reports.json").read_text())


def test_combined_authority_lqs_from_its_lads(ca_run, shared_file):
    """Greater Manchester's counts = its ten boroughs' Nomis rows (membership from the ONS
    LAD→CA lookup, not from geometry); LQs recomputed by hand against England."""
    from geodistrict.io.nomis import read_nomis

    out, status, record = ca_run
    assert status == 0 and len(record["places"]) == 11
    lookup = pd.read_csv(shared_file(CA_LOOKUP), encoding="utf-8-sig")
    boroughs = set(lookup.loc[lookup["CAUTH25CD"] == "E47000001", "LAD25NM"])
    assert len(boroughs) == 10
    d = read_nomis(shared_file(UBC)).data
    d = d[(d["year"] == 2022) & (d["variable"] == "Total")]
    gm = d[(d["geography_type"] == "ladu") & d["area"].isin(boroughs)]
    assert gm["area"].nunique() == 10
    eng = d[d["geography_type"] == "country"].groupby("industry")["value"].sum()
    by = gm.groupby("industry")["value"].sum()
    want_lq = (by / by.sum()) / (eng / eng.sum())
    doc = json.loads((out / "e47000001.json").read_text())
    assert doc["enterprises"] == by.sum()
    page = _parse(out / "e47000001.html")
    shown = {r[1]: r for r in page.tables["lq-table"][1:]}
    for industry, lq in want_lq.items():
        label = industry.split(" : ", 1)[1]
        assert shown[label][2] == f"{by[industry]:,.0f}"
        assert shown[label][5] == f"{lq:.3f}"


def test_places_not_made_of_whole_lads_get_no_lqs(shared_file, tmp_path):
    args = ["report", "cambridge", "--no-pdf", "--business-counts", str(shared_file(UBC)),
            "--zones", str(shared_file(LAD24)), "--out", str(tmp_path)]  # fmt: skip
    assert main(args) == 0
    html = (tmp_path / "cambridge.html").read_text()
    assert "is not made of whole local authorities" in html
    assert 'id="lq-table"' not in html


def test_nomis_tables_need_a_way_onto_places_that_are_not_a_nomis_geography(
    shared_file, tmp_path, capsys
):
    args = ["report", "--all", "--no-pdf", "--boundaries", str(shared_file(CA)),
            "--business-counts", str(shared_file(UBC)), "--out", str(tmp_path)]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--zones" in err and "not a Nomis geography" in err


def test_a_district_outside_the_uk_layers_says_so_instead_of_zero(shared_file, tmp_path):
    args = ["report", "22at-barcelona", "--no-pdf", "--universities", str(shared_file(UNIS)),
            "--out", str(tmp_path)]  # fmt: skip
    assert main(args) == 0
    doc = json.loads((tmp_path / "22at-barcelona.json").read_text())
    card = {r["key"]: r for r in doc["card"]}
    assert card["postcodes"]["value"] is None and "not covered" in card["postcodes"]["note"]
    assert card["universities"]["value"] is None
    assert card["area"]["source"].endswith("UTM zone 31N")  # measured in its own UTM zone
    html = (tmp_path / "22at-barcelona.html").read_text()
    assert "has 0 postcodes" not in html and "lies outside the extent" in html
    assert 'id="hotspot-map"' in html  # the place is still mapped


def test_context_and_steps_are_frozen():
    import dataclasses

    from geodistrict.reports._context import (
        Employment,
        Floorspace,
        JoinedLayer,
        NationalReferences,
        NomisLQ,
        ReportContext,
        ReportOptions,
    )

    for cls in (ReportContext, ReportOptions, JoinedLayer, NomisLQ, Employment, Floorspace,
                NationalReferences):  # fmt: skip
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls


def test_nomis_sources_share_one_licence_line():
    from geodistrict.provenance import nomis_attribution, nomis_source

    src = nomis_source("business counts", source="ubc.xlsx", title="UBC", vintage="2022")
    assert src == {
        "name": "business counts",
        "source": "ubc.xlsx",
        "title": "UBC",
        "licence": "Open Government Licence v3.0",
        "attribution": "Source: Nomis, UBC. ONS Crown Copyright / OGL v3.0.",
        "vintage": "2022",
    }
    assert nomis_attribution("UBC") == src["attribution"]
