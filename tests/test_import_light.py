import subprocess
import sys

import pytest

HEAVY = ["folium", "panel", "esda", "libpysal", "sklearn", "rasterio", "dask", "pointpats"]


def test_import_geodistrict_stays_light():
    code = (
        "import sys, geodistrict, geodistrict.cli; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout.strip()}"


def test_public_api_is_explicit():
    import geodistrict

    for name in geodistrict.__all__:
        assert hasattr(geodistrict, name), name


def test_analytic_hot_spots_do_not_import_libpysal():
    # libpysal takes about 2 s to import; the analytic Gi* of a grid needs none of it
    code = (
        "import sys, numpy as np, geopandas as gpd, shapely\n"
        "from geodistrict import prepare_boundaries\n"
        "from geodistrict.layers import LayerInfo, PointLayer\n"
        "from geodistrict.clusters import hotspots\n"
        "b = prepare_boundaries(gpd.GeoDataFrame({'id': ['a'], 'name': ['A']},\n"
        "    geometry=[shapely.box(530000, 180000, 532000, 182000)], crs=27700))\n"
        "rng = np.random.default_rng(1)\n"
        "x, y = rng.uniform(530000, 532000, 500), rng.uniform(180000, 182000, 500)\n"
        "import pandas as pd\n"
        "pts = PointLayer(x=x, y=y, crs=b.metric_crs, attributes=pd.DataFrame(index=range(500)),\n"
        "                 info=LayerInfo(name='p', source='s'))\n"
        "g = hotspots(pts, within=b, cell_m=200)\n"
        "assert len(g) == 100, len(g)\n"
        "print(','.join(m for m in ('libpysal', 'esda') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"imported: {out.stdout.strip()}"


STACK = ["pandas", "geopandas", "numpy", "shapely", "pyproj", "pyarrow", "pyogrio"]


def _stack_after(code: str) -> list[str]:
    """The scientific packages a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport sys\nprint(','.join(m for m in {STACK!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [m for m in (out.stdout.strip().splitlines() or [""])[-1].split(",") if m]


def test_import_geodistrict_loads_no_scientific_stack():
    # every top-level name is imported on first use: about 0.8 s saved on each command
    assert _stack_after("import geodistrict, geodistrict.io, geodistrict.metrics") == []


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--help"],
        ["datasets", "list"],
        ["profile", "--help"],
        ["diff", "--help"],
        ["report", "--help"],
        ["specialisation", "--help"],
    ],  # fmt: skip
)
def test_light_commands_answer_without_pandas(argv):
    code = (
        "from geodistrict.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main({argv!r})\n"
        "    except SystemExit:\n"
        "        pass"
    )
    assert _stack_after(code) == []


@pytest.mark.parametrize("package", ["geodistrict", "geodistrict.io", "geodistrict.metrics",
                                     "geodistrict.districts", "geodistrict.app"])  # fmt: skip
def test_lazy_names_are_the_defining_modules_objects(package):
    import importlib
    import inspect

    pkg = importlib.import_module(package)
    for name in pkg.__all__:
        value = getattr(pkg, name)
        assert name in dir(pkg), name
        if inspect.ismodule(value):
            continue
        home = getattr(value, "__module__", None)
        if home is not None and not isinstance(value, str | float | int | frozenset | tuple):
            # the object is the one its module defines, not a copy
            assert getattr(importlib.import_module(home), name, value) is value, name


def test_lazy_package_imports_submodules_on_attribute_access():
    code = "import geodistrict\nassert geodistrict.io.onspd.__name__ == 'geodistrict.io.onspd'"
    assert "pandas" in _stack_after(code)  # the submodule itself needs pandas


@pytest.mark.parametrize("package", ["geodistrict", "geodistrict.app"])
def test_an_unknown_name_of_a_lazy_package_is_an_attribute_error(package):
    out = subprocess.run(
        [sys.executable, "-c", f"import {package} as p; p.no_such_name"],
        capture_output=True,
        text=True,
    )
    assert f"module '{package}' has no attribute 'no_such_name'" in out.stderr


def test_the_app_page_says_loading_before_the_stack_is_imported():
    # the server's first answer waits for Panel (about 2 s here), not also for geopandas
    # (about 0.8 s more): the loading thread imports it, while the page says what is read
    pytest.importorskip("panel")
    code = (
        "import panel\n"
        "from geodistrict.app import pages, set_loading_step\n"
        "set_loading_step('/no/such/folder', 'the postcodes')  # a loader is at work\n"
        "page = pages.create_app('/no/such/folder')\n"
        "spinner, status = page.main[0].objects[0]\n"
        "assert status.object.startswith('Loading'), status.object\n"
    )
    assert [m for m in _stack_after(code) if m != "numpy"] == []  # Bokeh imports numpy


def test_app_names_load_on_first_use():
    code = (
        "import geodistrict.app as ga\n"
        "assert ga.esc_md('a*') == 'a\\\\*'\n"
        "assert ga.data_dir_from_env.__module__ == 'geodistrict.app._loading'\n"
    )
    assert _stack_after(code) == []
    code = "import geodistrict.app as ga\nassert ga.MAX_UPLOAD_BYTES > 0\n"
    code += "assert 'card_for' in dir(ga)"
    assert "geopandas" in _stack_after(code)


def test_the_defaults_the_help_shows_are_the_ones_the_functions_use():
    from geodistrict.districts import defaults, diff
    from geodistrict.metrics import rules, specialisation
    from geodistrict.reports import DEFAULT_MIN_COUNT, DEFAULT_MIN_LQ

    assert (diff.HOT_CELL_M, diff.HOT_MARGIN_M) == (defaults.HOT_CELL_M, defaults.HOT_MARGIN_M)
    assert specialisation.SPECIALISM_RULE is rules.SPECIALISM_RULE
    assert (DEFAULT_MIN_LQ, DEFAULT_MIN_COUNT) == (1.25, 100)


def test_profile_without_zones_or_rasters_imports_neither(tmp_path):
    # the modules of --zones and --raster (areal interpolation, rasterio) wait until asked for
    import json

    x0, y0, x1, y1 = 544000, 258000, 546000, 260000
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    square = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "A", "name": "A"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    (tmp_path / "a.geojson").write_text(json.dumps(square))
    (tmp_path / "p.csv").write_text("x,y\n545000,259000\n545500,259500\n550000,250000\n")
    code = (
        "import sys\n"
        "from geodistrict.cli import main\n"
        f"rc = main(['profile', '--boundaries', {str(tmp_path / 'a.geojson')!r}, '--points', "
        f"'firms={tmp_path / 'p.csv'}', '--points-crs', 'firms=EPSG:27700', '--out', "
        f"{str(tmp_path / 'o.csv')!r}])\n"
        "assert rc == 0\n"
        "print(sorted(m for m in sys.modules if m.startswith(('geodistrict.zones', "
        "'geodistrict.io.raster', 'rasterio', 'geodistrict.metrics.specialisation'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "firms_count" in (tmp_path / "o.csv").read_text()
