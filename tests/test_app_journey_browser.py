"""The planner's journey in a real browser (issue 16): upload, and separately draw, a district
in Manchester; see it on a map zoomed to it; its card, its diff against the LAD it overlaps
most, its apportioned sector picture with LQs; download the map and the brief.

Same server and page fixtures as :mod:`test_app_browser` (the app served offline on
127.0.0.1, headless Debian Chromium). Screenshots are saved under the test's tmp dir.
"""

from __future__ import annotations

import json
import re

import pytest
import test_app_browser
from test_app_browser import _tab, _text, page, server  # noqa: F401  (fixtures)

# the server warms up before answering (postcodes, England's totals, LAD sector counts): give
# a loaded 2-core machine time
test_app_browser.SERVER_TIMEOUT_S = max(test_app_browser.SERVER_TIMEOUT_S, 420)

pytestmark = [pytest.mark.slow, pytest.mark.shared_data, pytest.mark.serial]

#: A 1 km square in central Manchester, in British National Grid.
SQUARE_BNG = (383500, 397500, 384500, 398500)


@pytest.fixture(scope="module")
def manchester_square(tmp_path_factory):
    from pyproj import Transformer

    x0, y0, x1, y1 = SQUARE_BNG
    to_lonlat = Transformer.from_crs(27700, 4326, always_xy=True)
    lon, lat = to_lonlat.transform([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])
    ring = [[round(a, 7), round(b, 7)] for a, b in zip(lon, lat, strict=True)]
    doc = {"type": "Feature", "properties": {"name": "Manchester square"},
           "geometry": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip
    path = tmp_path_factory.mktemp("journey") / "manchester_square.geojson"
    path.write_text(json.dumps(doc))
    return path, (min(lon), min(lat), max(lon), max(lat))


def _map_frame(page):  # noqa: F811
    handle = page.locator(".gd-prop-map iframe").element_handle(timeout=90_000)
    frame = handle.content_frame()
    frame.wait_for_function("() => window.gdMap !== undefined", timeout=90_000)
    return frame


def _viewport(frame) -> dict:
    return frame.evaluate(
        """() => { const b = gdMap.getBounds(); return {zoom: gdMap.getZoom(),
        west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth()}; }"""
    )


def _contains(view: dict, bounds: tuple[float, float, float, float]) -> bool:
    w, s, e, n = bounds
    return view["west"] <= w and view["south"] <= s and view["east"] >= e and view["north"] >= n


def _download(page, selector: str, path):  # noqa: F811
    with page.expect_download(timeout=120_000) as info:
        page.locator(f"{selector} .bk-btn, {selector} button").first.click()
    info.value.save_as(str(path))
    return path


def _check_results(page, tmp_path, label: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    summary = page.locator(".gd-prop-summary")
    text = _text(summary)
    assert "Diff against Manchester (LAD 2024)" in text, text
    expect(page.locator(".gd-prop-baseline")).to_contain_text(
        "the local authority overlapping the proposal most", timeout=90_000
    )
    expect(page.locator(".gd-prop-card")).to_contain_text("postcodes_count", timeout=90_000)
    expect(page.locator(".gd-prop-diff .tabulator-row").first).to_contain_text(
        "area_ha", timeout=90_000
    )
    ref = page.locator(".gd-prop-reference")
    expect(ref).to_contain_text("England", timeout=90_000)
    expect(ref).to_contain_text("postcodes_count")
    sectors = page.locator(".gd-prop-sectors")
    expect(sectors).to_contain_text("lq", timeout=90_000)
    expect(page.locator(".gd-prop-sectors .tabulator-row").first).to_be_visible()
    assert page.locator(".gd-prop-sectors .tabulator-row").count() >= 10
    note = _text(page.locator(".gd-prop-sectors-note"))
    assert "Estimated enterprises" in note and "Uncertainty" in note and "England" in note


def test_upload_a_manchester_square_and_see_it_in_context(page, server, manchester_square,  # noqa: F811
                                                          tmp_path):  # fmt: skip
    from playwright.sync_api import expect

    path, bounds = manchester_square
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(server.url)
    expect(page.locator(".gd-compare-table .tabulator-row")).to_have_count(3, timeout=90_000)
    _tab(page, "Proposed district")
    page.locator(".gd-upload input[type=file]").set_input_files(str(path))
    summary = page.locator(".gd-prop-summary")
    expect(summary).to_contain_text("Manchester square", timeout=60_000)
    expect(summary).to_contain_text("Postcodes inside")
    _check_results(page, tmp_path, "upload")
    expect(page.locator(".gd-prop-map-title")).to_contain_text("in context", timeout=90_000)
    frame = _map_frame(page)
    view = _viewport(frame)
    print(f"\nproposal map viewport {view}; proposal bounds {bounds}")
    assert _contains(view, bounds), (view, bounds)
    assert view["zoom"] >= 13  # zoomed to a 1 km square, not the 300 km of all places
    legend = frame.locator("#gd-legend").inner_text()
    for item in ("Proposed district", "LEP 2021 it lies in", "postcodes"):
        assert item in legend, legend
    assert "Baseline: Manchester (LAD 2024)" in frame.locator("body").inner_text()
    footer = frame.locator(".gd-footer, .gd-sources, footer").first.inner_text()
    assert "Office for National Statistics" in footer and "Learning Providers" in footer, footer
    page.locator(".gd-prop-map").scroll_into_view_if_needed()
    shot = tmp_path / "journey_upload.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot {shot}")
    page.locator(".gd-prop-sectors").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "journey_sectors.png"))
    html = _download(page, ".gd-dl-prop-map", tmp_path / "proposed_map.html").read_text()
    assert "Proposed district" in html and "L.map(" in html and len(html) > 100_000
    # printed in the worker pool on request, with a progress bar; then downloaded
    make = page.locator(".gd-make-brief .bk-btn, .gd-make-brief button").first
    make.click()
    expect(make).to_contain_text("Brief ready", timeout=120_000)
    pdf = _download(page, ".gd-dl-brief", tmp_path / "proposed_brief.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    print(f"brief: {len(pdf):,} bytes, {pages} page(s)")
    assert pages == 1


def test_draw_a_district_on_the_map(page, manchester_square, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    _tab(page, "Proposed district")
    frame = _map_frame(page)
    frame.locator(".gd-draw-start").click()
    box = frame.locator(".leaflet-container").bounding_box()
    cx, cy = box["width"] / 2, box["height"] / 2
    corners = [(cx - 120, cy - 90), (cx + 140, cy - 80), (cx + 110, cy + 100), (cx - 100, cy + 90)]
    lonlat = []
    for x, y in corners:
        frame.locator(".leaflet-container").click(position={"x": x, "y": y})
        ll = frame.evaluate(f"() => gdMap.containerPointToLatLng([{x}, {y}])")
        lonlat.append((ll["lng"], ll["lat"]))
    drawn = (min(p[0] for p in lonlat), min(p[1] for p in lonlat),
             max(p[0] for p in lonlat), max(p[1] for p in lonlat))  # fmt: skip
    frame.locator(".gd-draw-finish").click()
    summary = page.locator(".gd-prop-summary")
    expect(summary).to_contain_text("Drawn district", timeout=60_000)
    expect(summary).to_contain_text("Postcodes inside")
    _check_results(page, tmp_path, "draw")
    expect(page.locator(".gd-prop-map-title")).to_contain_text("Drawn district", timeout=90_000)
    frame = _map_frame(page)
    view = _viewport(frame)
    print(f"\ndrawn map viewport {view}; drawn bounds {drawn}")
    assert _contains(view, drawn), (view, drawn)
    shot = tmp_path / "journey_draw.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot {shot}")


def _area_ha_bng(parts: list) -> float:
    """Area (ha) of longitude/latitude rings in British National Grid, computed here."""
    from pyproj import Transformer
    from shapely.geometry import Polygon

    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    total = 0.0
    for rings in parts:
        bng = []
        for ring in rings:
            xs, ys = to_bng.transform([c[0] for c in ring], [c[1] for c in ring])
            bng.append(list(zip(xs, ys, strict=True)))
        total += Polygon(bng[0], bng[1:]).area
    return total / 1e4


def test_edit_the_proposal_on_the_map(page, tmp_path):  # noqa: F811
    """Move a corner, add one and remove it again: the card is re-measured for the new shape."""
    from playwright.sync_api import expect

    _tab(page, "Proposed district")
    frame = _map_frame(page)
    expect(frame.locator(".gd-edit-start")).to_be_enabled(timeout=90_000)
    before = frame.evaluate("() => window.gdEditable")
    assert before["name"] == "Drawn district" and before["vertices"] == 4, before
    frame.locator(".gd-edit-start").click()
    corners, mids = frame.locator(".gd-vertex"), frame.locator(".gd-mid")
    expect(corners).to_have_count(4)
    expect(mids).to_have_count(4)
    # add a corner half-way along the first edge, then remove it with a right-click
    mids.first.click()
    expect(corners).to_have_count(5)
    assert len(frame.evaluate("() => gdEditParts")[0][0]) == 5
    corners.nth(1).click(button="right")
    expect(corners).to_have_count(4)
    # drag the first corner 80 px left and 60 px up: the district grows
    box = corners.first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x - 8 * i, y - 6 * i)
    page.mouse.up()
    parts = frame.evaluate("() => gdEditParts")
    moved = parts[0][0][0]
    start = before["parts"][0][0][0]
    assert moved[0] < start[0] and moved[1] > start[1], (start, moved)  # west and north
    expected = _area_ha_bng(parts)
    assert expected > _area_ha_bng(before["parts"])
    page.screenshot(path=str(tmp_path / "journey_edit.png"), full_page=True)
    frame.locator(".gd-draw-finish").click()
    summary = page.locator(".gd-prop-summary")
    expect(summary).to_contain_text("Drawn district (edited)", timeout=60_000)
    text = _text(summary)
    area = float(re.search(r"Area: ([\d,.]+) ha", text).group(1).replace(",", ""))
    print(f"\nedited: {area} ha shown, {expected:.2f} ha from the corners; {text!r}")
    assert abs(area - expected) <= 0.05 + 1e-4 * expected, (area, expected)
    assert "Diff against" in text
