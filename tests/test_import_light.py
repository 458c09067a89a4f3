import subprocess
import sys

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
