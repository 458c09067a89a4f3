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
