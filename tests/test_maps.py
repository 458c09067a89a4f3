"""Interactive maps: class breaks, escaping, offline pages, provenance, size budget, CLI."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

pytest.importorskip("folium")
pytest.importorskip("mapclassify")

import mapclassify  # noqa: E402

import geodistrict  # noqa: E402
from geodistrict import PointLayer, prepare_boundaries
from geodistrict.layers import LayerInfo  # noqa: E402
from geodistrict.maps import (  # noqa: E402
    INERT_URLS,
    MapSizeError,
    classify,
    make_map,
    safe_link,
    save_map,
)

OGL = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right 2024."
)
PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<img src=x onerror="window.__xss=1">',
]
X0, Y0 = 530_000.0, 180_000.0  # central London, EPSG:27700
#: Hand table: one value per square of a 4 x 3 grid (Fibonacci, with ties at 0 and 1).
VALUES = [0.0, 0.0, 1.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0]
# Cells coarser than bandwidth/8 warn with the expected peak error (issue 18); the density
# layers here are drawn on coarse grids on purpose (map rendering, not peak values), so that
# warning is silenced in this module (it is tested in tests/test_kde.py).
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*coarser than bandwidth:geodistrict.errors.GeodistrictWarning"
)

NUMBA = pytest.mark.filterwarnings("ignore:Numba not installed:UserWarning")


def grid_boundaries(names=None, *, info=True):
    """Twelve 1 km squares (4 columns x 3 rows) in EPSG:27700, ids q00..q11."""
    n = len(VALUES)
    names = names or [f"Square {i}" for i in range(n)]
    boxes = [
        shapely.box(
            X0 + 1000 * (i % 4),
            Y0 + 1000 * (i // 4),
            X0 + 1000 * (i % 4 + 1),
            Y0 + 1000 * (i // 4 + 1),
        )
        for i in range(n)
    ]
    gdf = gpd.GeoDataFrame(
        {"id": [f"q{i:02d}" for i in range(n)], "name": names, "secret": "do-not-ship"},
        geometry=boxes,
        crs=27700,
    )
    li = LayerInfo(
        name="squares",
        source="/home/someone/private/squares.geojson",
        kind="polygons",
        licence="OGL v3.0",
        attribution=OGL,
        vintage="2021",
    )
    return prepare_boundaries(gdf, id="id", name="name", info=li if info else None)


def point_layer(names, xs, ys, *, website=None, name="firms"):
    attrs = pd.DataFrame({"row": range(len(names)), "name": names})
    if website is not None:
        attrs["website"] = website
    return PointLayer(
        x=np.asarray(xs, dtype=float),
        y=np.asarray(ys, dtype=float),
        crs=geodistrict.crs.BNG,
        attributes=attrs,
        info=LayerInfo(
            name=name,
            source="firms.csv",
            licence="CC BY 4.0",
            attribution="Example Firms Register, CC BY 4.0",
            vintage="2024",
            id_field=None,
        ),
    )


def random_points(n, seed=0, name="firms"):
    rng = np.random.default_rng(seed)
    xs = X0 + rng.uniform(0, 4000, n)
    ys = Y0 + rng.uniform(0, 3000, n)
    return point_layer([f"firm {i}" for i in range(n)], xs, ys, name=name)


def render(m, tmp_path, **kw) -> str:
    path = save_map(m, tmp_path / "map.html", **kw)
    return path.read_text(encoding="utf-8")


def footer(text: str) -> str:
    m = re.search(r'<div class="gd-footer" id="gd-provenance">.*?</details></div>', text, re.S)
    assert m, "no provenance footer"
    return m.group(0)


def legend_breaks(text: str) -> tuple[list[float], list[float]]:
    lower = [float(v) for v in re.findall(r'class="gd-class" data-lower="([^"]+)"', text)]
    upper = [float(v) for v in re.findall(r'data-upper="([^"]+)"', text)]
    return lower, upper


# ---------------------------------------------------------------------------------------------
# class breaks


@NUMBA
@pytest.mark.parametrize("k", [3, 5])
@pytest.mark.parametrize(
    ("scheme", "cls"),
    [
        ("quantiles", mapclassify.Quantiles),
        ("natural_breaks", mapclassify.FisherJenks),
        ("equal_interval", mapclassify.EqualInterval),
    ],
)
def test_legend_breaks_are_mapclassify_breaks(tmp_path, scheme, cls, k):
    b = grid_boundaries()
    values = pd.Series(VALUES, index=[f"q{i:02d}" for i in range(12)], name="firms_per_km2")
    text = render(
        make_map(boundaries=b, choropleth=values, scheme=scheme, k=k, basemap="none"), tmp_path
    )
    expected = cls(np.array(VALUES), k=k)
    lower, upper = legend_breaks(text)
    assert upper == [float(v) for v in expected.bins]
    assert lower[0] == min(VALUES)
    assert lower[1:] == upper[:-1]
    assert f'data-scheme="{scheme}" data-k="{len(expected.bins)}"' in text
    assert "firms per km²" in text  # units in the legend title
    # each square's colour is the colour of its class
    counts = np.bincount(expected.yb, minlength=len(expected.bins)).tolist()
    shown = [int(n) for n in re.findall(r'<span class="gd-n">\((\d+)\)</span></li>', text)]
    assert shown[: len(counts)] == counts


def test_classify_reduces_k_when_values_are_few():
    c = classify([1.0, 1.0, 2.0, np.nan], scheme="quantiles", k=5)
    assert c.k == 2 and c.k_requested == 5
    assert c.yb.tolist() == [0, 0, 1, -1]
    assert "only 2 distinct values" in c.notes[0]


def test_classify_unknown_scheme_lists_the_allowed_ones():
    with pytest.raises(geodistrict.GeodistrictError, match="natural_breaks"):
        classify([1, 2, 3], scheme="jenks")


def test_choropleth_from_a_profile_table(tmp_path):
    b = grid_boundaries()
    pts = point_layer(["a", "b", "c"], [X0 + 500, X0 + 600, X0 + 1500], [Y0 + 500] * 3)
    p = geodistrict.profile(b, [pts])
    text = render(
        make_map(boundaries=b, choropleth=(p, "firms_count"), k=2, basemap="none"), tmp_path
    )
    _, upper = legend_breaks(text)
    assert upper == [0.0, 2.0]  # quantiles of ten 0s, one 1 and one 2
    with pytest.raises(geodistrict.SchemaError, match="firms_per_km2"):
        make_map(boundaries=b, choropleth=(p, "nope"), basemap="none")


# ---------------------------------------------------------------------------------------------
# safety


def test_text_from_data_is_escaped_everywhere(tmp_path):
    names = [*PAYLOADS, "{{ 7*7 }}", "javascript:alert(1)"] + [f"s{i}" for i in range(7)]
    b = grid_boundaries(names)
    firms = point_layer(
        PAYLOADS + ["{{ 7*7 }}"],
        [X0 + 100, X0 + 200, X0 + 300, X0 + 400],
        [Y0 + 100] * 4,
        website=["javascript:alert(1)", " JaVaScRiPt:alert(1)", "https://ok.example/?q=\"x'", ""],
    )
    values = pd.Series(np.arange(12.0), index=b.ids, name="firms_per_km2")
    m = make_map(
        boundaries=b,
        choropleth=values,
        points={PAYLOADS[1]: firms},
        title=PAYLOADS[0],
        basemap="none",
    )
    text = render(m, tmp_path, self_contained=True)
    for payload in PAYLOADS:
        assert payload not in text
        assert html.escape(payload) in text  # shown as text
    assert not re.search(r"href=\\?[\"']\s*javascript:", text, re.I)
    # braces reach the page as text: folium's Jinja pass did not evaluate them
    assert "&#123;&#123; 7*7 &#125;&#125;" in text
    # the https link is a link, with its quote escaped
    assert 'href=\\"https://ok.example/?q=&quot;x&#x27;\\"' in text
    # the title and the layer name are escaped too
    assert f"<title>{html.escape(PAYLOADS[0])}</title>" in text
    # attributes not shown stay out of the page, and so does the local folder
    assert "do-not-ship" not in text
    assert "/home/someone" not in text


@pytest.mark.parametrize(
    ("url", "is_link"),
    [
        ("https://example.org/a?b=1", True),
        ("http://www.ox.ac.uk/", True),
        ("javascript:alert(1)", False),
        ("  JavaScript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox(1)", False),
        ("//evil.example/x", False),
    ],
)
def test_safe_link_links_only_http(url, is_link):
    out = safe_link(url)
    assert out.startswith("<a href=") is is_link
    assert "<script" not in out


# ---------------------------------------------------------------------------------------------
# offline


def test_self_contained_without_basemap_makes_no_request(tmp_path):
    b = grid_boundaries()
    pts = random_points(300)
    r = geodistrict.kde(pts, bandwidth_m=500, cell_m=100, within=b)
    m = make_map(boundaries=b, points=[pts], density=r, max_markers=100, basemap="none")
    text = render(m, tmp_path, self_contained=True)
    assert "<script src=" not in text and "<link rel=" not in text
    assert "leaflet.markercluster" not in text.lower() or "L.markerClusterGroup" in text
    assert "markerClusterGroup" in text  # the clustered layer is there, with its plugin inline
    assert "sourceMappingURL" not in text and "url(images/" not in text
    outside_footer = text.replace(footer(text), "")
    urls = set(re.findall(r"https?://[^\s\"'<>()\\]+", outside_footer))
    assert urls <= set(INERT_URLS), urls - set(INERT_URLS)


def test_cdn_links_are_pinned_to_the_vendored_files(tmp_path):
    m = make_map(boundaries=grid_boundaries(), basemap="none")
    text = render(m, tmp_path)
    vendored = Path(geodistrict.__file__).parent / "_static" / "leaflet" / "leaflet.js"
    sri = "sha384-" + base64.b64encode(hashlib.sha384(vendored.read_bytes()).digest()).decode()
    assert (
        f'<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js" '
        f'integrity="{sri}"' in text
    )
    assert "bootstrap" not in text and "jquery" not in text and "font-awesome" not in text


def test_vendored_assets_name_their_package_and_licence():
    root = Path(geodistrict.__file__).parent / "_static"
    for folder, package in (
        ("leaflet", "leaflet@1.9.4"),
        ("leaflet.markercluster", "leaflet.markercluster@1.5.3"),
    ):
        readme = (root / folder / "README.md").read_text()
        assert f"`{package}`" in readme
        assert (root / folder / "LICENSE").stat().st_size > 500


# ---------------------------------------------------------------------------------------------
# provenance and layers


def test_footer_states_sources_bandwidth_crs_and_version(tmp_path):
    b = grid_boundaries()
    pts = random_points(200)
    r = geodistrict.kde(pts, bandwidth_m=500, cell_m=100, within=b)
    text = render(make_map(boundaries=b, points=[pts], density=r, basemap="osm"), tmp_path)
    f = html.unescape(footer(text))
    assert OGL in f and "OGL v3.0" in f and "vintage: 2021" in f
    assert "Example Firms Register, CC BY 4.0" in f
    assert "© OpenStreetMap contributors" in f
    assert "bandwidth 500 m" in f and "cell 100 m" in f and "quartic kernel" in f
    assert "EPSG:27700" in f
    assert f"geodistrict {geodistrict.__version__}" in f
    assert "file: squares.geojson" in f  # the file's name, not the folder it came from


def test_hotspot_legend_states_threshold_and_tests(tmp_path):
    pytest.importorskip("libpysal")
    b = grid_boundaries()
    rng = np.random.default_rng(1)
    xs = np.concatenate([X0 + rng.uniform(0, 4000, 300), X0 + rng.uniform(0, 500, 300)])
    ys = np.concatenate([Y0 + rng.uniform(0, 3000, 300), Y0 + rng.uniform(0, 500, 300)])
    pts = point_layer([f"p{i}" for i in range(600)], xs, ys)
    h = geodistrict.hotspots(pts, within=b, cell_m=250)
    meta = h.attrs["hotspots"]
    text = html.unescape(render(make_map(hotspots=h, basemap="none"), tmp_path))
    assert f"p ≤ {meta['p_threshold']:.3g}" in text
    assert f"{meta['n_tests']:,} tests" in text
    assert "Benjamini–Hochberg false discovery rate at 0.05" in text
    n_hot = int((h["hot_cold"] == "hot").sum())
    assert n_hot > 0 and f"hot spot ({n_hot})" in text


def test_hotspot_classes_limit_the_cells_drawn_not_the_counts(tmp_path):
    pytest.importorskip("libpysal")
    b = grid_boundaries()
    rng = np.random.default_rng(1)
    # a dense corner (hot) and an empty 1.5 km square in a busy background (cold)
    bx, by = rng.uniform(0, 4000, 3000), rng.uniform(0, 3000, 3000)
    keep = ~((bx > 2500) & (by > 1500))
    xs = np.concatenate([X0 + bx[keep], X0 + rng.uniform(0, 500, 300)])
    ys = np.concatenate([Y0 + by[keep], Y0 + rng.uniform(0, 500, 300)])
    pts = point_layer([f"p{i}" for i in range(len(xs))], xs, ys)
    h = geodistrict.hotspots(pts, within=b, cell_m=250)
    sig = h[h["significant"]]
    n_hot, n_cold = int((sig["hot_cold"] == "hot").sum()), int((sig["hot_cold"] == "cold").sum())
    assert n_hot > 0 and n_cold > 0
    both = html.unescape(render(make_map(hotspots=h, basemap="none"), tmp_path))
    hot = html.unescape(
        render(make_map(hotspots=h, hotspot_classes=["hot"], basemap="none"), tmp_path)
    )
    # one popup ("z = ...") per drawn cell
    assert both.count("z = ") == n_hot + n_cold
    assert hot.count("z = ") == n_hot
    assert f"hot spot ({n_hot})" in hot and f"({n_cold}), not drawn" in hot


def test_points_above_cluster_max_are_counted_on_squares(tmp_path):
    pts = random_points(500)
    text = render(make_map(points=[pts], cluster_max=100, basemap="none"), tmp_path)
    counts = [int(c.replace(",", "")) for c in re.findall(r"<b>([\d,]+) firms\\u003c/b>", text)]
    assert sum(counts) == 500  # every point is in exactly one square
    assert "500 points (more than cluster_max=100)" in html.unescape(text)


def test_geometry_is_simplified_and_rounded(tmp_path):
    # a 10 km square with 4,000 vertices: simplified it needs only its 4 corners
    ring = shapely.box(X0, Y0, X0 + 10_000, Y0 + 10_000).exterior.segmentize(10)
    gdf = gpd.GeoDataFrame(
        {"id": ["a"], "name": ["A"]}, geometry=[shapely.Polygon(ring)], crs=27700
    )
    b = prepare_boundaries(gdf)
    assert shapely.get_num_coordinates(b.metric[0]) > 4000
    text = render(make_map(boundaries=b, basemap="none", precision=5), tmp_path)
    data = json.loads(re.search(r"L\.geoJSON\((\{.*?\}), \{", text, re.S).group(1))
    coords = data["features"][0]["geometry"]["coordinates"][0]
    assert len(coords) == 5
    assert all(round(v, 5) == v for xy in coords for v in xy)
    assert "simplified to 5 m" in html.unescape(text)  # 10 km / 2000 px


def test_outlines_and_districts_are_drawn_and_credited(tmp_path):
    pytest.importorskip("rasterio")
    b = grid_boundaries()
    pts = random_points(300)
    r = geodistrict.kde(pts, bandwidth_m=500, cell_m=50, within=b)
    top = r.contours({"top5": r.top_share_level(0.05)})
    m = make_map(outlines=top, districts=["cambridge"], basemap="none")
    text = html.unescape(render(m, tmp_path))
    assert f"{len(top)} outline" in text and "<b>label top5" in text.replace("\\u003c", "<")
    d = geodistrict.districts.registry.district_boundaries(["cambridge"])
    assert f"<b>{d.names[0]}" in text.replace("\\u003c", "<")
    f = footer(text)
    assert "districts.geojson" in f and "cluster outlines: EPSG:27700" in f


def test_choropleth_needs_boundaries_and_ids():
    with pytest.raises(geodistrict.GeodistrictError, match="needs boundaries"):
        make_map(choropleth=pd.Series([1.0]), basemap="none")
    with pytest.raises(geodistrict.SchemaError, match="none of the boundary ids"):
        make_map(boundaries=grid_boundaries(), choropleth=pd.Series([1.0, 2.0]), basemap="none")


def test_unknown_basemap_is_refused():
    with pytest.raises(geodistrict.GeodistrictError, match="xyzservices"):
        make_map(basemap="NoSuch.Tiles")


# ---------------------------------------------------------------------------------------------
# size budget


def test_over_budget_names_the_largest_layer_and_the_fix(tmp_path):
    b = grid_boundaries()
    pts = random_points(400)
    r = geodistrict.kde(pts, bandwidth_m=300, cell_m=2.5, within=b)
    m = make_map(boundaries=b, points=[pts], density=r, basemap="none", density_scale="linear")
    out = tmp_path / "big.html"
    with pytest.raises(MapSizeError) as err:
        save_map(m, out, budget_mb=0.2)
    msg = str(err.value)
    assert "over its budget of 0.2 MB" in msg
    assert "The largest layer is 'density (firms per km²)'" in msg
    assert "coarser KDE cell (cell_m=5, CLI --cell 5; now 2.5 m)" in msg
    assert "Next: 'firms'" in msg
    assert not out.exists()
    with pytest.warns(geodistrict.GeodistrictWarning, match="largest layer"):
        save_map(m, out, budget_mb=0.2, on_budget="warn")
    assert out.exists()


def test_over_budget_with_markers_says_to_aggregate(tmp_path):
    m = make_map(points=[random_points(3000)], basemap="none")
    with pytest.raises(MapSizeError, match=r"'firms' .*aggregate the 3,000 points on squares"):
        save_map(m, tmp_path / "m.html", budget_mb=0.05)


# ---------------------------------------------------------------------------------------------
# national map


@pytest.mark.shared_data
@NUMBA
def test_national_map_is_small_and_credited(tmp_path, shared_file, lep21, universities, onspd):
    assert len(lep21) == 38
    p = geodistrict.profile(lep21, [universities])
    col = p.table.set_index("id")["universities_per_km2"]
    r = geodistrict.kde(onspd, bandwidth_m=5000, cell_m=2000, within=lep21)
    m = make_map(
        boundaries=lep21,
        choropleth=col,
        scheme="natural_breaks",
        points=[universities],
        density=r,
        basemap="none",
        title="Universities per km² by LEP",
    )
    path = save_map(m, tmp_path / "national.html", self_contained=True, budget_mb=3.0)
    size = path.stat().st_size
    assert size < 3e6
    text = path.read_text(encoding="utf-8")
    _, upper = legend_breaks(text)
    assert upper == mapclassify.FisherJenks(col.to_numpy(), k=5).bins.tolist()
    data = json.loads(re.search(r"L\.geoJSON\((\{.*?\}), \{", text, re.S).group(1))
    assert len(data["features"]) == 38
    assert text.count("L.circleMarker") == 1 and len(universities) > 150
    f = html.unescape(footer(text))
    assert "Open Government Licence v3.0" in f
    assert "bandwidth 5,000 m" in f and "cell 2,000 m" in f
    assert "EPSG:27700" in f
    assert f"{r.n_points:,} points" in f


# ---------------------------------------------------------------------------------------------
# command line


def _cli_inputs(tmp_path):
    b = grid_boundaries()
    poly = tmp_path / "squares.geojson"
    b.data[["id", "name", "geometry"]].to_file(poly, driver="GeoJSON")
    csv = tmp_path / "firms.csv"
    rng = np.random.default_rng(3)
    pd.DataFrame(
        {
            "name": [f"firm {i}" for i in range(60)],
            "easting": X0 + rng.uniform(0, 4000, 60),
            "northing": Y0 + rng.uniform(0, 3000, 60),
        }
    ).to_csv(csv, index=False)
    return poly, csv


def test_cli_map_writes_html(tmp_path, capsys):
    from geodistrict.cli import main

    poly, csv = _cli_inputs(tmp_path)
    out = tmp_path / "map.html"
    rc = main(
        [
            "map",
            "--boundaries",
            str(poly),
            "--points",
            f"firms={csv}",
            "--choropleth",
            "firms_per_km2",
            "--k",
            "3",
            "--density",
            "firms",
            "--bandwidth",
            "800",
            "--cell",
            "100",
            "--basemap",
            "none",
            "--self-contained",
            "--title",
            "Firms",
            "--out",
            str(out),
        ]
    )
    assert rc == 0, capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    assert "firms per km²" in text and "bandwidth 800 m" in text
    assert "<script src=" not in text
    assert "wrote" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--density", "firms"], "needs --bandwidth"),
        (["--hotspots", "firms"], "needs --cell"),
        (["--density", "nope", "--bandwidth", "500"], "no --points layer"),
        (["--choropleth", "nope"], "no such column"),
    ],
)
def test_cli_map_errors_say_what_to_do(tmp_path, capsys, extra, message):
    from geodistrict.cli import main

    poly, csv = _cli_inputs(tmp_path)
    rc = main(
        [
            "map",
            "--boundaries",
            str(poly),
            "--points",
            f"firms={csv}",
            *extra,
            "--out",
            str(tmp_path / "m.html"),
        ]
    )
    assert rc == 2
    assert message in capsys.readouterr().err


def test_cli_map_budget_error_exits_2(tmp_path, capsys):
    from geodistrict.cli import main

    poly, csv = _cli_inputs(tmp_path)
    rc = main(
        [
            "map",
            "--boundaries",
            str(poly),
            "--points",
            f"firms={csv}",
            "--budget-mb",
            "0.01",
            "--out",
            str(tmp_path / "m.html"),
        ]
    )
    assert rc == 2
    assert "largest layer" in capsys.readouterr().err


def test_cli_compare_needs_a_figure(tmp_path, capsys):
    from geodistrict.cli import main

    rc = main(["map", "--compare", "cambridge", "--out", str(tmp_path / "c.html")])
    assert rc == 2
    assert "--districts" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_cli_map_static_figure(tmp_path, capsys, suffix):
    pytest.importorskip(
        "geodistrict.figures", reason="geodistrict.figures (static_map) is not written yet"
    )
    from geodistrict.cli import main

    poly, csv = _cli_inputs(tmp_path)
    out = tmp_path / f"map{suffix}"
    rc = main(
        [
            "map",
            "--boundaries",
            str(poly),
            "--points",
            f"firms={csv}",
            "--choropleth",
            "firms_per_km2",
            "--scheme",
            "equal_interval",
            "--out",
            str(out),
        ]
    )
    assert rc == 0, capsys.readouterr().err
    assert out.stat().st_size > 0


def test_cli_compare_panels(tmp_path, capsys):
    pytest.importorskip(
        "geodistrict.figures", reason="geodistrict.figures (compare_panels) is not written yet"
    )
    from geodistrict.cli import main

    out = tmp_path / "compare.png"
    rc = main(["map", "--compare", "cambridge", "manchester-oxford-road", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    assert out.stat().st_size > 0


def test_cli_map_opens_offline_by_default_and_links_the_cdn_on_request(tmp_path, capsys):
    from geodistrict.cli import main

    offline, online = tmp_path / "offline.html", tmp_path / "cdn.html"
    argv = ["map", "--boundaries", "combined_authorities2023", "--basemap", "none"]
    assert main([*argv, "--out", str(offline)]) == 0, capsys.readouterr().err
    text = offline.read_text(encoding="utf-8")
    assert "<script src=" not in text and "cdn.jsdelivr.net" not in text
    assert "L.map(" in text or "L.map (" in text or "leaflet" in text.lower()
    assert main([*argv, "--cdn", "--out", str(online)]) == 0, capsys.readouterr().err
    linked = online.read_text(encoding="utf-8")
    assert '<script src="https://cdn.jsdelivr.net/npm/leaflet@' in linked
    assert offline.stat().st_size < 3e6
    assert main([*argv, "--cdn", "--self-contained", "--out", str(online)]) == 2
