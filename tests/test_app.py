"""The app's glue (``geodistrict.app``): the upload guard and the state functions.

The upload fixtures are drawn here: a 1 km square around E 545000 N 258500 (Cambridge's centre)
written in EPSG:4326, so its area is 100 ha and its postcodes can be counted independently from
the raw ONS table with a box test in British National Grid.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geodistrict import CRSError, GeodistrictError
from geodistrict import app as ga
from geodistrict.app import UploadError, parse_upload
from geodistrict.errors import InvalidGeometryError

BOX = (544500, 258000, 545500, 259000)  # E/N of the 1 km square, EPSG:27700


def _square_lonlat() -> list[list[float]]:
    to_lonlat = Transformer.from_crs(27700, 4326, always_xy=True)
    x0, y0, x1, y1 = BOX
    lon, lat = to_lonlat.transform([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])
    return [[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]


def _feature(coords, name="Cambridge centre", kind="Polygon") -> dict:
    return {"type": "Feature", "properties": {"name": name},
            "geometry": {"type": kind, "coordinates": coords}}  # fmt: skip


def _collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


@pytest.fixture
def square_geojson() -> bytes:
    return _collection(_feature([_square_lonlat()]))


@pytest.fixture
def square_gdf() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["Cambridge centre"]}, geometry=[shapely.box(*BOX)], crs=27700)


def _shapefile_zip(gdf, tmp_path: Path, *, prefix: str = "", drop: tuple[str, ...] = ()) -> bytes:
    folder = tmp_path / "shp"
    folder.mkdir()
    gdf.to_file(folder / "district.shp", engine="pyogrio")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sorted(folder.iterdir()):
            if f.suffix not in drop:
                zf.write(f, prefix + f.name)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# accepted


def test_geojson_is_read_as_lonlat_and_measured_in_metres(square_geojson):
    b = parse_upload(square_geojson, "cambridge_centre.geojson")
    assert len(b) == 1
    assert list(b.ids) == ["cambridge_centre"] and list(b.names) == ["Cambridge centre"]
    assert b.data.crs.to_epsg() == 4326  # RFC 7946: no crs member means lon/lat
    assert b.metric_crs.to_epsg() == 27700
    assert b.area_km2[0] == pytest.approx(1.0, abs=1e-3)  # the 1 km square
    assert any("RFC 7946" in n for n in b.info.notes)


def test_geojson_legacy_crs_member_is_honoured(square_gdf):
    doc = json.loads(square_gdf.to_json())
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}
    b = parse_upload(json.dumps(doc).encode(), "bng.json")
    assert b.data.crs.to_epsg() == 27700
    assert b.area_km2[0] == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("prefix", ["", "district/"])
def test_zipped_shapefile_is_accepted(square_gdf, tmp_path, prefix):
    b = parse_upload(_shapefile_zip(square_gdf, tmp_path, prefix=prefix), "district.zip")
    assert b.area_km2[0] == pytest.approx(1.0, rel=1e-9)
    assert b.data.crs.to_epsg() == 27700
    assert list(b.names) == ["Cambridge centre"]


def test_geopackage_is_accepted(square_gdf, tmp_path):
    path = tmp_path / "district.gpkg"
    square_gdf.to_file(path, engine="pyogrio")
    b = parse_upload(path.read_bytes(), "district.gpkg")
    assert b.area_km2[0] == pytest.approx(1.0, rel=1e-9)


def test_uploaded_name_is_never_a_path(square_geojson, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    b = parse_upload(square_geojson, "../../evil/..\\x/../passwd.geojson")
    assert b.info.source == "passwd.geojson"
    assert list(tmp_path.rglob("*")) == []  # nothing written beside the working folder


def test_several_features_are_merged_into_one_district():
    west = [[0.10, 52.20], [0.11, 52.20], [0.11, 52.21], [0.10, 52.21], [0.10, 52.20]]
    east = [[0.12, 52.20], [0.13, 52.20], [0.13, 52.21], [0.12, 52.21], [0.12, 52.20]]
    b = parse_upload(_collection(_feature([west], "w"), _feature([east], "e")), "two.geojson")
    assert list(b.ids) == ["two-1", "two-2"]
    one = ga.one_district(b)
    assert len(one) == 1
    assert one.area_km2[0] == pytest.approx(b.area_km2.sum(), rel=1e-9)
    assert "2 features merged into one district" in one.info.notes


# --------------------------------------------------------------------------------------------
# refused, each with the message a user sees


def test_50_mb_payload_is_refused_before_parsing():
    data = b'{"type": "FeatureCollection", "features": []}' + b" " * 50_000_000
    with pytest.raises(UploadError, match=r"huge\.geojson: 50\.0 MB is over the 20 MB limit"):
        parse_upload(data, "huge.geojson")


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"just some notes\n", "notes.txt", r"notes\.txt: \.txt files are not accepted"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "map.png", r"\.png files are not accepted"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "map.geojson",
         r"not a geographic file: it is named \.geojson but holds a PNG image"),
        (b"PK\x03\x04" + b"\0" * 64, "district.gpkg", r"holds a zip archive, not a GeoPackage"),
        (b'{"rows": [1, 2, 3]}', "table.json", r"JSON but not GeoJSON"),
        (b'{"type": "FeatureCollection", "features": [', "cut.geojson", r"not valid JSON"),
        (b"", "empty.geojson", r"the file is empty"),
        (b"id,name\n1,x\n", "README", r"files without an extension are not accepted"),
    ],
)  # fmt: skip
def test_non_geographic_files_are_refused(data, filename, expected):
    with pytest.raises(UploadError, match=expected):
        parse_upload(data, filename)


@pytest.mark.parametrize("member", ["../evil.geojson", "/etc/evil.shp", "a/../../evil.shp",
                                    "C:/evil.shp", "..\\evil.shp"])  # fmt: skip
def test_zip_with_unsafe_member_is_refused(square_gdf, tmp_path, member):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(member, "{}")
        zf.writestr("district.shp", b"\0")
    with pytest.raises(UploadError, match=r"evil\.zip: unsafe path\(s\) in the zip"):
        parse_upload(buf.getvalue(), "evil.zip")
    assert not (tmp_path.parent / "evil.geojson").exists()


def test_zip_shapefile_without_prj_is_refused(square_gdf, tmp_path):
    data = _shapefile_zip(square_gdf, tmp_path, drop=(".prj",))
    with pytest.raises(CRSError, match=r"the Shapefile district has no \.prj"):
        parse_upload(data, "district.zip")


def test_zip_shapefile_without_shx_is_refused(square_gdf, tmp_path):
    data = _shapefile_zip(square_gdf, tmp_path, drop=(".shx",))
    with pytest.raises(UploadError, match=r"lacks its \.shx"):
        parse_upload(data, "district.zip")


def test_encrypted_or_corrupt_zip_member_is_refused(square_gdf, tmp_path):
    data = bytearray(_shapefile_zip(square_gdf, tmp_path))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("district.dbf")
    start = info.header_offset + 30 + len(info.filename)  # the member's data
    data[start : start + 8] = b"\xff" * 8
    with pytest.raises(UploadError, match=r"cannot unpack district\.dbf"):
        parse_upload(bytes(data), "district.zip")


def test_zip_without_shapefile_is_refused(square_geojson):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("district.geojson", square_geojson)
    with pytest.raises(UploadError, match=r"no \.shp in the zip"):
        parse_upload(buf.getvalue(), "district.zip")


def test_self_intersecting_ring_is_refused_not_repaired():
    bowtie = [[0.11, 52.20], [0.13, 52.21], [0.13, 52.20], [0.11, 52.21], [0.11, 52.20]]
    with pytest.raises(InvalidGeometryError) as err:
        parse_upload(_collection(_feature([bowtie], "bow tie")), "bowtie.geojson")
    msg = str(err.value)
    assert msg.startswith("bowtie.geojson: invalid polygon, not repaired: feature 1 (bow tie): ")
    assert "crosses itself (self-intersection) at (0.12, 52.205)" in msg
    assert "redraw it" in msg


def test_points_are_refused():
    doc = _collection(_feature([0.12, 52.2], "a point", kind="Point"))
    with pytest.raises(InvalidGeometryError, match=r"feature 1 \(a point\) is a Point, not a"):
        parse_upload(doc, "point.geojson")


def test_too_many_features_are_refused(square_geojson):
    feats = [_feature([_square_lonlat()], f"f{i}") for i in range(3)]
    with pytest.raises(UploadError, match=r"3 features, more than the 2 an upload may hold"):
        parse_upload(_collection(*feats), "many.geojson", max_features=2)


def test_metres_in_a_geojson_without_crs_are_refused(square_gdf):
    doc = json.loads(square_gdf.to_json())  # BNG metres, no crs member
    doc.pop("crs", None)
    with pytest.raises(CRSError, match=r"eastings/northings.*EPSG:27700"):
        parse_upload(json.dumps(doc).encode(), "metres.geojson")


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b" " * 30, "x.exe"),
        (b"\x89PNG\r\n\x1a\n", "x.geojson"),
        (_collection(_feature([[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]])), "bow.geojson"),
    ],
)
def test_every_refusal_is_a_one_line_geodistrict_error(data, filename):
    with pytest.raises(GeodistrictError) as err:
        parse_upload(data, filename)
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------------------------
# escaping


def test_escaping_for_html_and_markdown():
    name = '<img src=x onerror="alert(1)"> [x](javascript:alert(1)) *b*'
    assert "<" not in ga.esc_html(name) and '"' not in ga.esc_html(name)
    md = ga.esc_md(name)
    assert "<" not in md
    assert "\\[x\\]\\(javascript:alert\\(1\\)\\)" in md and "\\*b\\*" in md


# --------------------------------------------------------------------------------------------
# state with the embedded data (shipped districts, registry, postcodes)


@pytest.fixture(scope="module")
def embedded() -> ga.AppData:
    return ga.load_app_data(None, bundled=False)


def test_embedded_data_say_what_is_missing(embedded):
    assert embedded.universities is None and embedded.nomis is None
    assert {m.split(":")[0] for m in embedded.missing} == {"universities", "leps", "lads", "nomis"}
    assert all("--data DIR" in m for m in embedded.missing)
    opts = ga.place_options(embedded)
    names = list(opts)
    assert (
        "22@Barcelona (Poblenou)" in names and opts["Newcastle Helix"] == "district:newcastle-helix"
    )
    assert not any(n.endswith(("(LEP 2021)", "(LAD 2024)")) for n in names)
    with pytest.raises(GeodistrictError, match=r"unavailable \(nomis: no data folder given"):
        ga.specialisation_for(embedded, "London")


def test_missing_data_folder_is_an_error(tmp_path):
    with pytest.raises(GeodistrictError, match=r"--data .*nowhere: not a folder"):
        ga.load_app_data(tmp_path / "nowhere")


def test_proposed_square_counts_postcodes_like_a_box_test(embedded, square_geojson):
    from geodistrict.io.onspd import load_postcodes

    pc = load_postcodes()
    x0, y0, x1, y1 = BOX
    inside = (pc["x"] > x0) & (pc["x"] < x1) & (pc["y"] > y0) & (pc["y"] < y1)
    on_or_inside = (pc["x"] >= x0) & (pc["x"] <= x1) & (pc["y"] >= y0) & (pc["y"] <= y1)
    p = ga.propose(embedded, parse_upload(square_geojson, "sq.geojson"))
    s = p.summary()
    # 358 strictly inside the box and 7 on its southern edge (N 258000); the square was drawn
    # in lon/lat, so its edges bow by centimetres in British National Grid and may take them
    assert inside.sum() <= s["postcodes_count"] <= on_or_inside.sum()
    assert s["universities_count"] is None  # not loaded without the data folder
    assert s["area_ha"] == pytest.approx(100.0, abs=0.1)
    # the square lies inside the shipped Cambridge district: nothing added
    assert s["area_added_ha"] == pytest.approx(0.0, abs=0.01)
    assert s["area_common_ha"] == pytest.approx(100.0, abs=0.1)
    base = ga.card_for(embedded, "district:cambridge").area_ha
    assert s["area_removed_ha"] == pytest.approx(base - 100.0, abs=0.1)
    # the first proposal also imported the diff's Gi* machinery (libpysal, scipy.stats: 3-4 s),
    # which the server does once while it warms up; a proposal on a warm server:
    again = ga.propose(embedded, parse_upload(square_geojson, "sq.geojson"))
    assert again.summary() == s
    assert again.seconds < 3.0


def test_proposed_counts_equal_those_over_the_whole_layers(embedded, square_geojson):
    from geodistrict.districts import diff_districts, district_card

    b = parse_upload(square_geojson, "sq.geojson")
    p = ga.propose(embedded, b, baseline="district:manchester-oxford-road")
    full = district_card(b, layers=embedded.layers, registry=False)
    assert p.card.to_frame().equals(full.to_frame())
    base = ga.place_boundaries(embedded, "district:manchester-oxford-road")
    d = diff_districts(b, base, layers=embedded.layers)
    assert p.diff.to_frame().equals(d.to_frame())
    assert p.diff.layers.loc["postcodes", "baseline_count"] > 0  # Manchester's are counted
    shipped = ga.card_for(embedded, "district:cambridge")
    whole = district_card("cambridge", layers=embedded.layers)
    assert shipped.to_frame().equals(whole.to_frame())


def test_comparison_is_per_km2_with_ratios_and_a_chart(embedded):
    keys = ["district:cambridge", "district:manchester-oxford-road", "district:22at-barcelona"]
    table, png, why = ga.comparison(embedded, keys, baseline="district:cambridge")
    assert png is not None and png.startswith(b"\x89PNG") and why == ""
    assert ga.comparison(embedded, keys, baseline="district:cambridge")[0] is table  # cached
    view = ga.table_view(table)
    assert list(view["name"]) == [ga.card_for(embedded, k).name for k in keys]
    assert view.columns[:2].tolist() == ["name", "area_km2"]
    assert "postcodes_per_km2" in view.columns and "area_km2_vs_baseline" in view.columns
    assert view.loc[0, "area_km2_vs_baseline"] == 1.0
    c = ga.card_for(embedded, "district:cambridge")
    assert view.loc[0, "postcodes_per_km2"] == pytest.approx(
        c.indicator("postcodes_count").value / c.area_km2
    )
    # districts abroad get no UK layers, only their published figures
    bcn = ga.card_for(embedded, "district:22at-barcelona")
    assert not any(n.startswith("postcodes") for n in bcn.names)
    assert np.isnan(view.loc[2, "postcodes_per_km2"])


def test_registry_only_district_has_a_card_but_no_polygon(embedded):
    assert ga.place_boundaries(embedded, "district:kendall-square") is None
    card = ga.card_for(embedded, "district:kendall-square")
    assert card.crs_measured is None and card.indicators
    with pytest.raises(GeodistrictError, match=r"not a place of this app"):
        ga.place_boundaries(embedded, "lad:E07000008")  # no data folder: no LADs


def test_geojson_export_round_trips(square_geojson):
    b = parse_upload(square_geojson, "sq.geojson")
    back = parse_upload(ga.geojson_bytes(b), "sq_export.geojson")
    assert back.area_km2[0] == pytest.approx(b.area_km2[0], rel=1e-9)
    doc = json.loads(ga.geojson_bytes(b))
    assert doc["features"][0]["properties"]["area_ha"] == pytest.approx(100.0, abs=0.1)


def test_sources_and_parameters_are_stated(embedded):
    src = ga.sources_table(embedded)
    pc = src[src["layer"] == "postcodes"].iloc[0]
    assert "Open Government Licence" in pc["licence"] and "ONS Postcode Directory" in pc["vintage"]
    assert src["layer"].str.startswith("district: ").sum() == len(embedded.districts)
    params = ga.parameters_in_use(embedded).set_index("parameter")["value"]
    assert params["buffers_m"] == "800, 1600"
    assert params["invalid polygons"] == "refused, not repaired"


def test_map_outlines_the_chosen_places(embedded, square_geojson):
    pytest.importorskip("folium")
    doc, maker = ga.map_html(embedded, ["district:cambridge"],
                             proposed=parse_upload(square_geojson, "<b>sq</b>.geojson"),
                             basemap="none")  # fmt: skip
    assert doc.lstrip().lower().startswith("<!doctype html>")
    assert "<b>sq</b>" not in doc  # the uploaded name is escaped
    assert "leaflet" in doc.lower() and maker


def test_map_falls_back_to_plain_folium_without_the_maps_module(embedded, monkeypatch):
    pytest.importorskip("folium")
    monkeypatch.setitem(__import__("sys").modules, "geodistrict.maps", None)
    doc, maker = ga.map_html(embedded, ["district:cambridge"], all_districts=True)
    assert maker == "folium" and "Cambridge city core" in doc


# --------------------------------------------------------------------------------------------
# with the shared data folder


@pytest.mark.shared_data
def test_universities_and_uk_places_with_the_data_folder(shared_data, square_geojson):
    data = ga.load_app_data(shared_data)
    assert data.missing == ()
    p = ga.propose(data, parse_upload(square_geojson, "sq.geojson"))
    # the University of Cambridge's head office (Old Schools, CB2 1TN; the publisher's grid
    # reference E 544734 N 258453) lies in the square
    attrs = data.universities.attributes
    x, y = (attrs[c].astype(float).to_numpy() for c in ("EASTING", "NORTHING"))
    x0, y0, x1, y1 = BOX
    inside = (x > x0) & (x < x1) & (y > y0) & (y < y1)
    assert "UNIVERSITY OF CAMBRIDGE" in set(attrs.loc[inside, "PROVIDER_NAME"])
    assert p.summary()["universities_count"] == int(inside.sum()) >= 1
    opts = ga.place_options(data)
    assert opts["Cambridge (LAD 2024)"] == "lad:E07000008"
    assert opts["London (LEP 2021)"] == "lep:E37000051"
    rows, top = ga.specialisation_for(data, "London")
    assert len(rows) == 18 and set(top["sector"]) <= set(rows["sector"])
    assert (top["lq"] >= ga.MIN_LQ).all() and (top["count"] >= ga.MIN_COUNT).all()


def test_audit_report_of_a_proposed_district(shared_data, square_geojson):
    """The app's 'Audit report (HTML)' download: the report of ``geodistrict report``."""
    data = ga.load_app_data(shared_data)
    html = ga.report_html(data, parse_upload(square_geojson, "sq.geojson")).decode("utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Nearest comparable districts" in html
    assert "UNIVERSITY OF CAMBRIDGE" in html  # its head office lies in the square
    # a drawn square is not made of whole LADs: no quotients, and the report says why
    assert "is not made of whole local authorities" in html
    # self-contained: images inline, nothing fetched
    assert 'src="data:image/svg+xml;base64,' in html and 'src="http' not in html
    assert "<link" not in html and "<script" not in html


@pytest.mark.slow
def test_default_data_are_the_bundled_datasets():
    """Without --data the app loads the datasets that ship in the package: nothing is missing."""
    data = ga.load_app_data(None)
    assert data.missing == ()
    assert len(data.leps) == 38 and len(data.lads) == 296
    assert data.universities.n_input == 166
    assert ga.DATA_NAMES["nomis"] == "ubc-industry-2022" and data.nomis is not None


# --------------------------------------------------------------------------------------------
# uploads in flight: the last one chosen wins


def test_a_slower_earlier_upload_does_not_overwrite_a_later_one(monkeypatch):
    """A zip read in a capped process can finish after a GeoJSON chosen later and read in a
    thread: the page keeps the later file's outcome, and nothing of the earlier one."""
    import asyncio
    import time
    from types import SimpleNamespace as NS

    pytest.importorskip("panel")
    from geodistrict.app.pages import GeodistrictApp

    def fake_parse(data, filename, **kw):
        if filename == "slow.geojson":
            time.sleep(0.6)
            raise UploadError("slow.geojson: refused late")
        if filename == "fast.geojson":
            raise UploadError("fast.geojson: refused at once")
        return f"boundaries of {filename}"

    monkeypatch.setattr(ga, "parse_upload", fake_parse)
    measured: list[str] = []

    class Upload:
        def __init__(self):
            self.filename = None

        def clear(self):
            pass

    def page_like():
        page = NS(upload=Upload(), prop_msg=NS(objects=[]), _gen={"read": 0, "proposed": 0},
                  _clear_proposed=lambda: None)  # fmt: skip

        async def pick(b):
            pass

        async def measure(b, read_s=None):
            measured.append(b)

        page._pick_baseline, page._measure = pick, measure
        return page

    async def two(page, first: str, second: str, second_after: float):
        async def choose(name: str, after: float):
            await asyncio.sleep(after)
            page.upload.filename = name
            await GeodistrictApp._on_upload(page, NS(new=b"{}"))

        await asyncio.gather(choose(first, 0.0), choose(second, second_after))

    page = page_like()
    asyncio.run(two(page, "slow.geojson", "fast.geojson", 0.1))
    (alert,) = page.prop_msg.objects
    assert "refused at once" in alert.object and "late" not in alert.object
    # a refused file chosen later also cancels the measuring of a good one still being read
    measured.clear()
    page = page_like()
    monkeypatch.setattr(ga, "parse_upload", lambda d, f, **kw: (time.sleep(0.6), f)[1]
                        if f == "good.geojson" else fake_parse(d, f))  # fmt: skip
    asyncio.run(two(page, "good.geojson", "fast.geojson", 0.1))
    assert measured == []
    assert "refused at once" in page.prop_msg.objects[0].object
