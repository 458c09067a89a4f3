"""Join all ONS postcodes to the 38 LEPs and 296 LADs: geodistrict vs plain geopandas.sjoin.

Prints the time of geodistrict's join (grid, cold and warm, and prepared methods) next to
``geopandas.sjoin(points, polygons, predicate="within")`` on the same points and polygons (both
in EPSG:27700), the speed-up ratio, and checks that the (point, polygon) pairs are identical.
Then times the full command-line profile (cache warm) and its peak memory.

Usage: python benchmarks/join.py [--data DIR] [--skip-sjoin]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

import geodistrict as gd
from geodistrict.join import grid as polygon_grid


def _data_dir(arg: str | None) -> Path:
    root = Path(__file__).resolve().parents[1]
    return Path(arg or os.environ.get("GEODISTRICT_SHARED_DATA") or root.parent / "shared" / "data")


def _pairs_sjoin(x, y, polygons, crs):
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=crs)
    polys = gpd.GeoDataFrame(geometry=polygons, crs=crs)
    t = time.perf_counter()
    j = gpd.sjoin(pts, polys, predicate="within", how="inner")
    dt = time.perf_counter() - t
    pt = j.index.to_numpy().astype(np.int64)
    pg = j["index_right"].to_numpy().astype(np.int64)
    order = np.lexsort((pg, pt))
    return pt[order], pg[order], dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="shared data folder (default ../shared/data)")
    ap.add_argument("--skip-sjoin", action="store_true", help="do not run the slow baseline")
    args = ap.parse_args()
    data = _data_dir(args.data) / "uk" / "boundaries"
    layer = gd.read_onspd("onspd")
    print(f"{len(layer):,} postcodes with coordinates ({layer.n_input:,} in the directory)")
    rows = []
    for label, fname in [
        ("38 LEPs", "Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson"),
        ("296 LADs", "LAD_May_2024_EN_BUC_with_LEP21.geojson"),
    ]:
        b = gd.read_boundaries(data / fname)
        times = {}
        results = {}
        for method in ("grid", "prepared", "grid warm"):
            best = np.inf
            for _ in range(3):
                if method == "grid":  # the look-up table is built in the timed call
                    polygon_grid.clear_grid_cache()
                t = time.perf_counter()
                a = gd.assign_points(layer.x, layer.y, b.metric, method=method.split()[0])
                best = min(best, time.perf_counter() - t)
            times[method] = best
            results[method] = a.sorted()
        same_methods = np.array_equal(results["grid"].point, results["prepared"].point) and (
            np.array_equal(results["grid"].polygon, results["prepared"].polygon)
        )
        if not args.skip_sjoin:
            t0 = time.perf_counter()
            pt, pg, dt_join = _pairs_sjoin(layer.x, layer.y, b.metric, b.metric_crs)
            dt_total = time.perf_counter() - t0
            identical = np.array_equal(pt, results["grid"].point) and np.array_equal(
                pg, results["grid"].polygon
            )
        else:
            dt_join = dt_total = float("nan")
            identical = None
        rows.append((label, times, dt_join, dt_total, identical, same_methods))
    print()
    print(
        f"{'boundaries':<10} {'grid s':>8} {'warm s':>7} {'prepared s':>11} {'sjoin s':>8} "
        f"{'sjoin+points s':>15} {'ratio':>7} {'warm':>6} {'ratio incl. points':>19}  identical"
    )
    for label, times, dj, dtot, ident, same in rows:
        g, w = times["grid"], times["grid warm"]
        print(
            f"{label:<10} {g:8.3f} {w:7.3f} {times['prepared']:11.3f} {dj:8.3f} {dtot:15.3f} "
            f"{dj / g:6.1f}x {dj / w:5.1f}x {dtot / g:18.1f}x  {ident} (grid==prepared: {same})"
        )
    print(
        "grid: the look-up table built in the call; warm: the table kept from an earlier call "
        "on the same polygons (see geodistrict.join.grid.cached_polygon_grid)"
    )
    # full command line, warm cache
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lep.csv"
        cmd = [
            sys.executable,
            "-m",
            "geodistrict.cli",
            "profile",
            "--boundaries",
            str(data / "Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson"),
            "--points",
            "postcodes=onspd",
            "--out",
            str(out),
            "--report",
            str(Path(tmp) / "r.json"),
        ]
        subprocess.run(cmd, check=True, capture_output=True)  # warm the cache
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        dt = time.perf_counter() - t
    # (no peak memory here: a child's maximum resident set counts what this process held when
    # it started the child; benchmarks/profile_cli.py measures it from a small parent)
    print(
        f"\nCLI profile, 2.7 M postcodes x 38 LEPs, warm cache: {dt:.2f} s end to end; "
        "paired with a geopandas script and with peak memory: benchmarks/profile_cli.py"
    )


if __name__ == "__main__":
    main()
