"""Static maps and same-scale panels: values checked by hand or against mapclassify/PNG headers.

The three hand squares (200 m, 1 km and 3 km sides, EPSG:27700) give a default panel width of
3000 m + 2 x 10 % = 3600 m; on 4-inch panels at 150 dpi (600 px) that is exactly 6 m per
pixel. The hand table of ten 100 m squares with values 1..10 has quintile breaks
1 + 9 x (0.2, 0.4, 0.6, 0.8, 1) = 2.8, 4.6, 6.4, 8.2, 10 (linear percentiles).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import re
import struct
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

pytest.importorskip("matplotlib")
mapclassify = pytest.importorskip("mapclassify")

import geodistrict  # noqa: E402
from geodistrict import GeodistrictWarning, prepare_boundaries  # noqa: E402
from geodistrict.clusters.kde import kde, xy_layer  # noqa: E402
from geodistrict.errors import ParameterError, SchemaError  # noqa: E402
from geodistrict.figures import (  # noqa: E402
    compare_figure,
    compare_panels,
    compare_panels_html,
    metres_per_pixel,
    sidecar_path,
    static_map,
    static_map_figure,
)

# (name, side in m, lower-left corner): three places in Great Britain, so each is in EPSG:27700
SQUARES = [
    ("small", 200, (530_000, 180_000)),  # London
    ("medium", 1_000, (430_000, 433_000)),  # Leeds
    ("large", 3_000, (358_000, 172_000)),  # Bristol
]
SHIPPED = ["22at-barcelona", "medellin-innovation-district", "manchester-oxford-road"]


def _square(name: str, side: float, corner: tuple[float, float]):
    x, y = corner
    gdf = gpd.GeoDataFrame(
        {"id": [name], "name": [name]},
        geometry=[shapely.box(x, y, x + side, y + side)],
        crs=27700,
    )
    return prepare_boundaries(gdf, source=f"{name} square")


@pytest.fixture
def three_squares():
    return [_square(*s) for s in SQUARES]


def _axes_mpp(ax) -> tuple[float, float]:
    """Metres per pixel from the axes' position in inches and its limits (not the module's)."""
    fig = ax.figure
    pos = ax.get_position()
    w_px = pos.width * fig.get_figwidth() * fig.dpi
    h_px = pos.height * fig.get_figheight() * fig.dpi
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return (x1 - x0) / w_px, (y1 - y0) / h_px


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _png_ppm(data: bytes) -> tuple[int, int]:
    """Pixels per metre from the pHYs chunk."""
    at = data.index(b"pHYs")
    return struct.unpack(">II", data[at + 4 : at + 12])


def _is_round(length: float) -> bool:
    mantissa = length / 10 ** math.floor(math.log10(length))
    return any(math.isclose(mantissa, m) for m in (1, 2, 5))


def _scale_bars(ax):
    bars = [p for p in ax.patches if p.get_gid() == "scale-bar"]
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "scale-bar-label"]
    assert len(bars) == 1 and len(labels) == 1
    return bars[0], labels[0]


def _label_metres(label: str) -> float:
    value, unit = re.fullmatch(r"([0-9.]+) (m|km)", label).groups()
    return float(value) * (1000 if unit == "km" else 1)


# ---------------------------------------------------------------------------------------------
# (a) same metres per pixel in every panel
# ---------------------------------------------------------------------------------------------


def _check_same_scale(fig, record, bounds_by_panel):
    axes = fig.axes
    assert len(axes) == len(bounds_by_panel) == len(record["panels"])
    mpp = [_axes_mpp(ax) for ax in axes]
    ref = mpp[0][0]
    for (mx, my), ax in zip(mpp, axes, strict=True):
        assert mx == pytest.approx(ref, rel=1e-9)
        assert my == pytest.approx(ref, rel=1e-9)
        assert metres_per_pixel(ax) == pytest.approx((ref, ref), rel=1e-9)
        # identical axes size in inches
        pos = ax.get_position()
        assert pos.width * fig.get_figwidth() == pytest.approx(record["panel_in"], rel=1e-12)
        assert pos.height * fig.get_figheight() == pytest.approx(record["panel_in"], rel=1e-12)
    assert record["metres_per_pixel"] == pytest.approx(ref, rel=1e-9)
    for ax, (x0, y0, x1, y1), panel in zip(axes, bounds_by_panel, record["panels"], strict=True):
        (ax0, ax1), (ay0, ay1) = ax.get_xlim(), ax.get_ylim()
        assert ax0 < x0 and x1 < ax1 and ay0 < y0 and y1 < ay1  # fully inside
        assert (ax0 + ax1) / 2 == pytest.approx((x0 + x1) / 2)  # centred on the district
        assert (ay0 + ay1) / 2 == pytest.approx((y0 + y1) / 2)
        assert panel["xlim"] == pytest.approx([ax0, ax1])
        assert panel["ylim"] == pytest.approx([ay0, ay1])
    # the same scale bar everywhere, its drawn length equal to its label
    bars = [_scale_bars(ax) for ax in axes]
    assert len({label for _, label in bars}) == 1
    for bar, label in bars:
        assert bar.get_width() == pytest.approx(_label_metres(label))
        assert _is_round(bar.get_width())


def test_hand_squares_share_one_scale(three_squares):
    fig, rec = compare_figure(three_squares)
    bounds = [(x, y, x + s, y + s) for _, s, (x, y) in SQUARES]
    _check_same_scale(fig, rec, bounds)
    # 3 km + 2 x 10 % = 3.6 km over 600 px: exactly 6 m per pixel
    assert rec["width_m"] == pytest.approx(3600.0)
    assert rec["metres_per_pixel"] == pytest.approx(6.0)
    assert [ax.get_xlim()[1] - ax.get_xlim()[0] for ax in fig.axes] == pytest.approx([3600] * 3)
    assert "6 m per pixel at 150 dpi" in rec["statement"]
    assert [p["crs"] for p in rec["panels"]] == ["EPSG:27700"] * 3


def test_width_m_sets_the_scale(three_squares):
    fig, rec = compare_figure(three_squares, width_m=5000, dpi=100, panel_in=3)
    bounds = [(x, y, x + s, y + s) for _, s, (x, y) in SQUARES]
    _check_same_scale(fig, rec, bounds)
    assert rec["metres_per_pixel"] == pytest.approx(5000 / 300)


def test_too_narrow_width_warns_naming_the_district(three_squares):
    with pytest.warns(GeodistrictWarning, match=r"large: 3,000 m across.*width_m >= 3,000"):
        compare_figure(three_squares, width_m=2000)


def test_compare_panels_writes_png_and_limits(three_squares, tmp_path):
    out = compare_panels(three_squares, tmp_path / "cmp.png", dpi=100, ncols=2)
    data = out.read_bytes()
    rec = json.loads(sidecar_path(out).read_text(encoding="utf-8"))
    w, h = _png_size(data)
    assert (w, h) == (round(rec["figsize_in"][0] * 100), round(rec["figsize_in"][1] * 100))
    assert rec["panel_px"] == 400
    # limits recorded in metres: ground width / panel pixels is the same everywhere
    for panel, (_, s, (x, y)) in zip(rec["panels"], SQUARES, strict=True):
        (x0, x1), (y0, y1) = panel["xlim"], panel["ylim"]
        assert (x1 - x0) / rec["panel_px"] == pytest.approx(rec["metres_per_pixel"], rel=1e-9)
        assert (y1 - y0) / rec["panel_px"] == pytest.approx(rec["metres_per_pixel"], rel=1e-9)
        assert x0 < x and x + s < x1 and y0 < y and y + s < y1


def test_shipped_districts_each_in_its_own_crs():
    slugs = geodistrict.districts.registry.district_slugs()
    missing = [s for s in SHIPPED if s not in slugs]
    assert not missing, f"shipped districts missing: {missing}"
    fig, rec = compare_figure(SHIPPED)
    # Barcelona in UTM 31N, Medellín in UTM 18N, Manchester in British National Grid
    assert [p["crs"] for p in rec["panels"]] == ["EPSG:32631", "EPSG:32618", "EPSG:27700"]
    bounds = []
    for slug, panel in zip(SHIPPED, rec["panels"], strict=True):
        # the district's bounds measured independently: lon/lat vertices projected by pyproj
        gdf = geodistrict.districts.registry.load_districts().set_index("id").loc[[slug]]
        xy = shapely.get_coordinates(gdf.geometry.array)
        tr = Transformer.from_crs(4326, panel["crs"], always_xy=True)
        px, py = tr.transform(xy[:, 0], xy[:, 1])
        bounds.append((px.min(), py.min(), px.max(), py.max()))
    _check_same_scale(fig, rec, bounds)


def test_one_boundary_set_gives_one_panel_per_feature():
    both = geodistrict.districts.registry.district_boundaries(
        ["22at-barcelona", "manchester-oxford-road"]
    )
    fig, rec = compare_figure(both)
    assert [p["crs"] for p in rec["panels"]] == ["EPSG:32631", "EPSG:27700"]
    assert len(fig.axes) == 2


def test_unknown_district_names_the_choices():
    with pytest.raises(geodistrict.InputFileError, match="22at-barcelona"):
        compare_figure(["no-such-district"])


# ---------------------------------------------------------------------------------------------
# (b) static maps
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def row_of_ten():
    """Ten 100 m squares in a row (1 km x 100 m) with values 1..10 widgets per km²."""
    x0, y0 = 530_000, 180_000
    gdf = gpd.GeoDataFrame(
        {
            "id": [f"Z{i}" for i in range(10)],
            "name": [f"zone {i}" for i in range(10)],
            "widgets_per_km2": np.arange(1.0, 11.0)[::-1],  # deliberately not in value order
        },
        geometry=[shapely.box(x0 + 100 * i, y0, x0 + 100 * (i + 1), y0 + 100) for i in range(10)],
        crs=27700,
    )
    return prepare_boundaries(gdf, source="hand table")


@pytest.fixture
def test_points():
    rng = np.random.default_rng(7)
    lay = xy_layer(
        rng.uniform(530_000, 531_000, 40),
        rng.uniform(180_000, 180_100, 40),
        crs=27700,
        name="firms",
    )
    info = dataclasses.replace(
        lay.info, licence="CC BY 4.0", attribution="Hand-made test points", vintage="2024"
    )
    return dataclasses.replace(lay, info=info)


def _legend_bins(fig) -> list[float]:
    (legend,) = fig.legends
    uppers = []
    for t in legend.get_texts():
        m = re.fullmatch(r"([0-9.,]+) – ([0-9.,]+)", t.get_text())
        if m:
            uppers.append(float(m.group(2).replace(",", "")))
    return uppers


def test_legend_breaks_equal_mapclassify(row_of_ten):
    fig, rec = static_map_figure(boundaries=row_of_ten, choropleth="widgets_per_km2")
    expected = mapclassify.Quantiles(np.arange(1.0, 11.0), k=5).bins
    assert expected == pytest.approx([2.8, 4.6, 6.4, 8.2, 10.0])  # by hand
    assert rec["legend"]["bins"] == pytest.approx(expected, abs=0)
    assert _legend_bins(fig) == pytest.approx(expected, abs=5e-3)  # labels carry 2 decimals
    assert fig.legends[0].get_title().get_text() == "widgets per km²"
    assert rec["legend"]["counts"] == [2, 2, 2, 2, 2]


def test_choropleth_series_aligned_by_id(row_of_ten):
    s = pd.Series(np.arange(1.0, 11.0)[::-1], index=[f"Z{i}" for i in range(10)])
    s = s.iloc[::-1].rename("widgets_per_km2")  # reversed order: alignment must be by id
    _, by_series = static_map_figure(boundaries=row_of_ten, choropleth=s)
    _, by_column = static_map_figure(boundaries=row_of_ten, choropleth="widgets_per_km2")
    assert by_series["legend"] == by_column["legend"]


def test_scale_bar_is_round_and_drawn_at_its_length(row_of_ten):
    fig, rec = static_map_figure(boundaries=row_of_ten)
    ax = fig.axes[0]
    bar, label = _scale_bars(ax)
    # 1000 m of squares + 50 m padding each side = 1100 m; a quarter is 275 m -> 200 m
    assert ax.get_xlim()[1] - ax.get_xlim()[0] == pytest.approx(1100)
    assert label == "200 m" and bar.get_width() == pytest.approx(200)
    assert _is_round(bar.get_width())
    assert bar.get_width() == pytest.approx(_label_metres(label))
    mx, my = metres_per_pixel(ax)
    assert mx == pytest.approx(my, rel=1e-9)  # metres are square on the page


def test_footer_has_attribution_crs_and_version(row_of_ten, test_points):
    fig, rec = static_map_figure(boundaries=row_of_ten, points=[test_points])
    (footer,) = [t.get_text() for t in fig.texts if t.get_gid() == "footer"]
    flat = " ".join(footer.split())
    for needle in ("Hand-made test points", "CC BY 4.0", "2024", "EPSG:27700", "metres"):
        assert needle in flat
    assert f"geodistrict {geodistrict.__version__}" in flat
    # grid north: London is 1.9° east of the 2° W central meridian, so true north lies
    # Δλ sin φ west of grid north
    cx, cy = np.mean(rec["xlim"]), np.mean(rec["ylim"])
    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(cx, cy)
    expected = (lon + 2.0) * math.sin(math.radians(lat))
    assert -rec["north"]["convergence_deg"] == pytest.approx(expected, abs=0.02)
    assert f"true north is {-rec['north']['convergence_deg']:.2f}° west of it" in flat


def test_density_colour_bar_in_points_per_km2(row_of_ten, test_points):
    surface = kde(test_points, within=row_of_ten, bandwidth_m=150, cell_m=10)
    fig, rec = static_map_figure(boundaries=row_of_ten, density=surface)
    assert rec["colorbar"]["label"] == "points per km²"
    assert fig.axes[1].get_ylabel() == "points per km²"
    assert rec["colorbar"]["vmax"] == pytest.approx(surface.array.max())
    (img,) = fig.axes[0].images
    left, right, bottom, top = img.get_extent()
    t = surface.transform
    assert (left, top) == pytest.approx((t.c, t.f))
    assert right - left == pytest.approx(surface.array.shape[1] * surface.cell_m)
    flat = " ".join(rec["footer"])
    assert "bandwidth 150 m" in flat and "cell 10 m" in flat


def test_hot_and_cold_cells_and_outlines(row_of_ten):
    cells = gpd.GeoDataFrame(
        {"hot_cold": ["hot", "cold", "ns"]},
        geometry=[
            shapely.box(530_000, 180_000, 530_100, 180_100),
            shapely.box(530_900, 180_000, 531_000, 180_100),
            shapely.box(530_400, 180_000, 530_500, 180_100),
        ],
        crs=27700,
    )
    outline = gpd.GeoDataFrame(
        geometry=[shapely.box(530_050, 180_010, 530_350, 180_090)], crs=27700
    )
    fig, _ = static_map_figure(boundaries=row_of_ten, hotspots=cells, outlines=outline)
    gids = {c.get_gid(): len(c.get_paths()) for c in fig.axes[0].collections}
    assert gids["hotspots-hot"] == 1 and gids["hotspots-cold"] == 1
    assert "hotspots-ns" not in gids and gids["outlines"] == 1
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "hot spot (Gi*, 1 cells)" in labels and "cold spot (Gi*, 1 cells)" in labels


@pytest.mark.parametrize("ext", ["png", "svg", "pdf"])
def test_static_map_writes_each_format(row_of_ten, test_points, tmp_path, ext):
    out = static_map(
        tmp_path / f"map.{ext}",
        boundaries=row_of_ten,
        choropleth="widgets_per_km2",
        points=[test_points],
        title="Widgets",
        figsize=(6, 5),
        dpi=120,
    )
    data = out.read_bytes()
    assert out == tmp_path / f"map.{ext}" and len(data) > 10_000
    rec = json.loads(sidecar_path(out).read_text(encoding="utf-8"))
    assert rec["legend"]["bins"] == pytest.approx(
        mapclassify.Quantiles(np.arange(1.0, 11.0), k=5).bins
    )
    if ext == "png":
        assert _png_size(data) == (720, 600)  # 6 x 5 in at 120 dpi
        assert _png_ppm(data) == (round(120 / 0.0254), round(120 / 0.0254))
    elif ext == "svg":
        text = data.decode("utf-8")
        assert "<svg" in text and "EPSG:27700" in text  # text kept as text
    else:
        assert data[:5] == b"%PDF-"


def test_static_map_errors_say_what_to_do(row_of_ten, tmp_path):
    with pytest.raises(ParameterError, match=r"\.png, \.svg, \.pdf"):
        static_map(tmp_path / "map.jpg", boundaries=row_of_ten)
    with pytest.raises(ParameterError, match="'quantiles'"):
        static_map_figure(boundaries=row_of_ten, choropleth="widgets_per_km2", scheme="nope")
    with pytest.raises(SchemaError, match="no column 'jobs'"):
        static_map_figure(boundaries=row_of_ten, choropleth="jobs")
    with pytest.raises(ParameterError, match="nothing to draw"):
        static_map_figure()


# ---------------------------------------------------------------------------------------------
# (c) HTML page
# ---------------------------------------------------------------------------------------------


def test_html_has_one_image_per_district_and_the_scale(three_squares, tmp_path):
    out = compare_panels_html(three_squares, tmp_path / "cmp.html")
    page = out.read_text(encoding="utf-8")
    images = re.findall(
        r'<img src="data:image/png;base64,([^"]+)" width="(\d+)" height="(\d+)"', page
    )
    assert len(images) == 3
    sizes = {_png_size(base64.b64decode(b)) for b, _, _ in images}
    assert len(sizes) == 1  # identical images ...
    (size,) = sizes
    assert {(int(w), int(h)) for _, w, h in images} == {size}  # ... shown at natural size
    assert "All panels at the same scale: 6 m per pixel at 150 dpi" in page
    rec = json.loads(re.search(r'id="geodistrict-record">(.*?)</script>', page, re.S).group(1))
    assert [p["xlim"][1] - p["xlim"][0] for p in rec["panels"]] == pytest.approx([3600] * 3)
    assert Path(out).suffix == ".html"


def test_compound_path_draws_exactly_what_one_patch_per_geometry_draws():
    """Squares, a polygon with a hole (given clockwise) and a multipolygon: the one compound
    path fills and strokes the same pixels as a patch per geometry; lines drawn unfilled too."""
    import io

    from matplotlib.collections import PatchCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch
    from PIL import Image

    from geodistrict.figures._common import compound_path

    squares = [shapely.box(x, y, x + 1, y + 1) for x in range(0, 6, 2) for y in range(0, 4, 2)]
    holed = shapely.Polygon(
        [(8, 0), (8, 5), (13, 5), (13, 0)], holes=[[(9, 1), (12, 1), (12, 4), (9, 4)]]
    )  # shell clockwise: the compound path must re-orient it for the hole to stay empty
    multi = shapely.MultiPolygon([shapely.box(0, 6, 2, 8), shapely.box(3, 6, 4, 9)])
    line = shapely.LineString([(6, 6), (12, 9), (13, 6)])
    geoms = [*squares, holed, multi, None, line]

    def png(patches, faces="#b2182b"):
        fig = Figure(figsize=(4, 3))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.add_collection(PatchCollection(patches, facecolors=faces, edgecolors="k",
                                          linewidths=1.2, alpha=0.55))  # fmt: skip
        ax.set_xlim(-1, 14)
        ax.set_ylim(-1, 10)
        ax.set_axis_off()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        return np.asarray(Image.open(buf).convert("RGB"))

    whole = compound_path(geoms)
    # 6 squares + shell + hole + 2 parts + 1 line = 11 sub-paths, closed ones end in CLOSEPOLY
    assert (whole.codes == whole.MOVETO).sum() == 11
    assert (whole.codes == whole.CLOSEPOLY).sum() == 10
    from geodistrict.figures._common import draw_geoms  # the per-geometry branch of the module

    fig = Figure(figsize=(4, 3))
    ax = fig.add_axes((0, 0, 1, 1))
    faces = ["#b2182b"] * 9
    coll = draw_geoms(ax, [g for g in geoms if g is not None], gid="x", facecolors=faces)
    assert len(coll.get_paths()) == 9  # a colour each: one path each
    # the polygons as one path, filled or not
    polys = [g for g in geoms if g is not None and g is not line]
    assert np.array_equal(
        png([PathPatch(compound_path(polys))]),
        png([PathPatch(p) for p in coll.get_paths()[: len(polys)]]),
    )
    assert np.array_equal(
        png([PathPatch(compound_path(polys))], faces="none"),
        png([PathPatch(p) for p in coll.get_paths()[: len(polys)]], faces="none"),
    )
    ax = Figure().add_axes((0, 0, 1, 1))
    assert len(draw_geoms(ax, polys, gid="y", facecolors="#b2182b").get_paths()) == 1
    with_line = draw_geoms(ax, [*polys, line], gid="z", facecolors="#b2182b")
    assert len(with_line.get_paths()) == 9  # a line among them: one path per geometry
    assert compound_path([None, shapely.Polygon()]) is None
