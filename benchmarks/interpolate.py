"""Areal interpolation and zonal sums: geodistrict vs tobler and per-polygon raster masking.

Three measurements, each against a named baseline on the same data (all in EPSG:27700):

1. Speed of areal interpolation: Manchester's LSOAs (a seeded synthetic ``jobs`` count) onto a
   250 m grid, ``geodistrict.interpolate(overlap="split", tolerance=0)`` vs
   ``tobler.area_weighted.area_interpolate(allocate_total=False)``; both are pure area shares
   on disjoint cells, so the per-cell values must agree.
2. Correctness on the issue's trap: UK Business Counts 2022 per LAD carried onto the 38 LEPs of
   2021 and compared with Nomis' own LEP rows, for geodistrict (nested, tolerance=0.05; pure
   area shares) and plain ``tobler.area_weighted.area_interpolate`` with its defaults.
3. Speed of zonal sums: a seeded synthetic uint16 GeoTIFF over England and the 296 LADs of
   2024, ``geodistrict.zonal_stats(rule="centre")`` vs rasterstats-style per-polygon masking
   (``rasterio.mask.mask(crop=True)`` then a sum) and, when installed, ``rasterstats``; the
   sums must agree exactly.

Usage: python benchmarks/interpolate.py [--data DIR] [--quick] [--repeat N] [--seed N]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import geodistrict as gd
from geodistrict.io.nomis import read_nomis
from geodistrict.io.raster import write_geotiff, zonal_stats
from geodistrict.zones.interpolate import interpolate
from geodistrict.zones.match import LEP_ALIASES, match_zones
from geodistrict.zones.tables import zone_values

BNG = "EPSG:27700"
LSOA = "uk/small-areas/lsoa_by_lad_E08000003.json"  # Manchester
LAD24 = "uk/boundaries/LAD_May_2024_EN_BUC_with_LEP21.geojson"
LEP21 = "uk/boundaries/Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson"
UBC = "uk/tables/nomis_UBC_enterprises_by_sizeband_2023-04.xlsx"
CELL_M = 250.0


def _data_dir(arg: str | None) -> Path:
    root = Path(__file__).resolve().parents[1]
    return Path(arg or os.environ.get("GEODISTRICT_SHARED_DATA") or root.parent / "shared" / "data")


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls, and the last result."""
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _tobler():
    from tobler.area_weighted import area_interpolate

    return area_interpolate


# --- 1. areal interpolation speed --------------------------------------------------------------


def bench_grid(data: Path, repeat: int, seed: int) -> dict[str, Any]:
    area_interpolate = _tobler()
    lsoa = gpd.read_file(data / LSOA).to_crs(BNG)
    lsoa = lsoa.rename(columns={"LSOA11CD": "id", "LSOA11NM": "name"})
    sources = gd.prepare_boundaries(lsoa, metric_crs=BNG, source=LSOA)
    jobs = pd.Series(
        np.random.default_rng(seed).integers(50, 5000, len(sources)).astype(float),
        index=sources.ids,
        name="jobs",
    )
    # 250 m grid on the 250 m lattice covering the sources' bounds; keep cells that overlap
    # the sources (a shared edge or corner alone is not an overlap)
    minx, miny, maxx, maxy = shapely.total_bounds(sources.metric)
    x0, y0 = np.floor(minx / CELL_M) * CELL_M, np.floor(miny / CELL_M) * CELL_M
    nx, ny = int(np.ceil((maxx - x0) / CELL_M)), int(np.ceil((maxy - y0) / CELL_M))
    xs, ys = np.meshgrid(x0 + CELL_M * np.arange(nx), y0 + CELL_M * np.arange(ny))
    xs, ys = xs.ravel(), ys.ravel()
    cells = shapely.box(xs, ys, xs + CELL_M, ys + CELL_M)
    union = shapely.union_all(sources.metric)
    shapely.prepare(union)
    cells = cells[shapely.area(shapely.intersection(cells, union)) > 0]
    grid = gpd.GeoDataFrame({"id": [f"c{i}" for i in range(len(cells))]}, geometry=cells, crs=BNG)
    targets = gd.prepare_boundaries(grid, metric_crs=BNG, source="250 m grid")

    def run_gd():
        return interpolate(sources, jobs, targets, overlap="split", tolerance=0.0)

    def run_gd_prepared():
        s = gd.prepare_boundaries(lsoa, metric_crs=BNG, source=LSOA)
        t = gd.prepare_boundaries(grid, metric_crs=BNG, source="250 m grid")
        return interpolate(s, jobs, t, overlap="split", tolerance=0.0)

    src_df = gpd.GeoDataFrame({"jobs": jobs.to_numpy()}, geometry=sources.metric, crs=BNG)
    tgt_df = gpd.GeoDataFrame(geometry=targets.metric, crs=BNG)

    def run_tobler():
        return area_interpolate(src_df, tgt_df, extensive_variables=["jobs"], allocate_total=False)

    t_gd, r = _best(run_gd, repeat)
    t_gd_prep, _ = _best(run_gd_prepared, repeat)
    t_tb, tb = _best(run_tobler, repeat)
    g = r.table["jobs"].to_numpy()
    b = tb["jobs"].to_numpy()
    pos = b > 0
    rel = np.abs(g[pos] / b[pos] - 1)
    worst = int(np.flatnonzero(pos)[np.argmax(rel)]) if pos.any() else -1
    return {
        "n_sources": len(sources),
        "n_cells": len(targets),
        "n_grid": nx * ny,
        "t_gd": t_gd,
        "t_gd_prep": t_gd_prep,
        "t_tobler": t_tb,
        "max_rel": float(rel.max()) if pos.any() else np.nan,
        "worst_cell_share": float(
            shapely.area(shapely.intersection(targets.metric[worst], union)) / CELL_M**2
        )
        if worst >= 0
        else np.nan,
        "nan_gd": int(np.isnan(g).sum()),
        "zero_tobler": int((~pos).sum()),
        "total": float(jobs.sum()),
        "sum_gd": float(np.nansum(g)),
        "sum_tobler": float(b.sum()),
        "report": r.report["jobs"],
    }


def print_grid(res: dict[str, Any]) -> None:
    print("1. Areal interpolation: LSOAs -> 250 m grid (EPSG:27700)")
    print(
        f"   sources: {res['n_sources']} LSOAs (2011) of Manchester E08000003, the only Greater "
        "Manchester district\n   in the shared data (its 57 MSOAs would be too few); value: "
        "synthetic 'jobs'\n   (seeded integers 50..4999)"
    )
    print(
        f"   targets: {res['n_cells']:,} cells of 250 m overlapping the sources "
        f"(of {res['n_grid']:,} in their bounding grid)"
    )
    print(
        f"   geodistrict interpolate(overlap='split', tolerance=0): {res['t_gd']:.3f} s"
        f"\n   ({res['t_gd_prep']:.3f} s including prepare_boundaries of both layers)"
    )
    print(f"   tobler area_interpolate(allocate_total=False):          {res['t_tobler']:.3f} s")
    print(
        f"   ratio tobler / geodistrict: {res['t_tobler'] / res['t_gd']:.1f}x "
        f"({res['t_tobler'] / res['t_gd_prep']:.1f}x including preparation)"
    )
    print(
        f"   max relative difference per cell: {res['max_rel']:.2e} (worst cell is "
        f"{res['worst_cell_share']:.1%} covered by sources);\n   cells NaN in geodistrict: "
        f"{res['nan_gd']}, zero in tobler: {res['zero_tobler']}"
    )
    print(
        "   (tobler stores intersection areas in a float32 sparse table, so agreement is to "
        "float32\n   precision, ~6e-8 per piece, not to float64)"
    )
    print(
        f"   totals: sources {res['total']:,.1f}, geodistrict {res['sum_gd']:,.1f} "
        f"(conserved={res['report']['conserved']}, outside={res['report']['outside']:.3g}), "
        f"tobler {res['sum_tobler']:,.1f}"
    )


# --- 2. UBC 2022 LAD -> LEP ----------------------------------------------------------------------


def bench_lep(data: Path) -> dict[str, Any]:
    area_interpolate = _tobler()
    lads = gd.read_boundaries(data / LAD24)
    leps = gd.read_boundaries(data / LEP21)
    table = read_nomis(data / UBC)
    published = table.wide(geography_type="lep", year=2022)
    nomis_lep = match_zones(published.rename("nomis"), leps, aliases=LEP_ALIASES)
    if nomis_lep.unmatched_labels or nomis_lep.unmatched_zones:
        raise SystemExit(
            f"Nomis LEP rows do not match the LEP polygons: {nomis_lep.unmatched_labels} / "
            f"{nomis_lep.unmatched_zones}"
        )
    nomis = nomis_lep.values["nomis"]
    zv = zone_values(data / UBC, lads, date=2022)
    values = zv.values
    got: dict[str, pd.Series] = {}
    times: dict[str, float] = {}
    t = time.perf_counter()
    nested = interpolate(lads, values, leps, tolerance=0.05)
    times["geodistrict nested (tolerance=0.05)"] = time.perf_counter() - t
    got["geodistrict nested (tolerance=0.05)"] = nested.table.set_index("id")["value"]
    # LADs lying (mostly) where two LEPs overlap: the ones Nomis counts in both
    w = nested.weights
    in_overlap = w.loc[w["targets"].str.contains(";")].groupby("source")["weight"].sum()
    dual_lads = sorted(in_overlap.index[in_overlap >= 0.5])
    t = time.perf_counter()
    got["geodistrict area shares (tolerance=0)"] = interpolate(
        lads, values, leps, tolerance=0.0
    ).table.set_index("id")["value"]
    times["geodistrict area shares (tolerance=0)"] = time.perf_counter() - t
    src_df = gpd.GeoDataFrame(
        {"value": values.reindex(lads.ids).to_numpy(dtype=float)},
        geometry=lads.metric,
        crs=lads.metric_crs,
    )
    tgt_df = gpd.GeoDataFrame(geometry=leps.metric, crs=leps.metric_crs)
    for label, kwargs in [
        ("tobler area_interpolate (defaults)", {}),
        ("tobler area_interpolate(allocate_total=False)", {"allocate_total": False}),
    ]:
        t = time.perf_counter()
        out = area_interpolate(src_df, tgt_df, extensive_variables=["value"], **kwargs)
        times[label] = time.perf_counter() - t
        got[label] = pd.Series(out["value"].to_numpy(), index=leps.ids)
    rel = {k: (v.reindex(nomis.index) / nomis - 1) for k, v in got.items()}
    return {
        "rel": rel,
        "times": times,
        "names": pd.Series(leps.names, index=leps.ids),
        "n_lads": len(lads),
        "n_leps": len(leps),
        "n_values": int(values.notna().sum()),
        "dual_lads": dual_lads,
        "overlap_share": float(nested.report["value"]["double_counted_in_overlaps"])
        / float(values.sum()),
    }


def print_lep(res: dict[str, Any]) -> None:
    print("\n2. UK Business Counts 2022: LAD 2024 -> LEP 2021, against Nomis' own LEP rows")
    print(
        f"   {res['n_values']} of {res['n_lads']} LADs with a value; {res['n_leps']} LEPs; "
        f"{len(res['dual_lads'])} LADs lie in two LEPs\n   ({', '.join(res['dual_lads'])}),\n   "
        f"holding {res['overlap_share']:.1%} of England's businesses, which Nomis counts "
        "in both LEPs"
    )
    print(f"   {'method':<46} {'max |rel err|':>13} {'LEPs > 0.5 %':>13} {'time s':>7}")
    for k, r in res["rel"].items():
        a = r.abs()
        print(f"   {k:<46} {a.max():13.3%} {int((a > 0.005).sum()):>13} {res['times'][k]:7.3f}")
    nested = res["rel"]["geodistrict nested (tolerance=0.05)"]
    tob = res["rel"]["tobler area_interpolate (defaults)"]
    bad = tob[tob.abs() > 0.05].sort_values()
    print(f"   LEPs plain tobler misses by more than 5 % ({len(bad)}):")
    for lep_id, e in bad.items():
        print(
            f"     {res['names'][lep_id]:<40} tobler {e:+7.2%}   geodistrict nested "
            f"{nested[lep_id]:+7.3%}"
        )
    print(
        "   (tobler's default allocate_total=True divides each LAD's value among the LEPs it\n"
        "   intersects by area, so a LAD in two LEPs gives each about half; Nomis counts it in "
        "both)"
    )


# --- 3. zonal sums speed -----------------------------------------------------------------------


def _mask_sums(path: Path, geoms: np.ndarray) -> np.ndarray:
    """rasterstats-style: crop and mask the raster to each polygon, sum the unmasked cells."""
    import rasterio
    import rasterio.mask

    out = np.zeros(len(geoms), dtype=np.int64)
    with rasterio.open(path) as src:
        for i, g in enumerate(geoms):
            try:
                arr, _ = rasterio.mask.mask(src, [g], crop=True, filled=False)
            except ValueError:  # "Input shapes do not overlap raster."
                continue
            out[i] = int(arr.sum(dtype=np.int64))
    return out


def _rasterstats_sums(path: Path, geoms: np.ndarray) -> np.ndarray | None:
    try:
        import rasterstats
    except ImportError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = rasterstats.zonal_stats(list(geoms), str(path), stats=["sum"])
    return np.array([0 if r["sum"] is None else int(r["sum"]) for r in res], dtype=np.int64)


def bench_zonal(data: Path, size: int, repeat: int, seed: int, tmp: Path) -> dict[str, Any]:
    from rasterio.transform import from_origin

    lads = gd.read_boundaries(data / LAD24)
    cell = 600_000 / size  # 600 km square anchored at E 100000, N 0
    transform = from_origin(100_000, 600_000, cell, cell)
    path = tmp / "counts.tif"
    t = time.perf_counter()
    counts = np.random.default_rng(seed).integers(0, 100, (size, size), dtype=np.uint16)
    write_geotiff(path, counts, transform=transform, crs=BNG, nodata=65535, units="count")
    del counts
    t_write = time.perf_counter() - t
    geoms = np.asarray(lads.metric, dtype=object)
    t_gd, zs = _best(lambda: zonal_stats(path, lads, stats=("sum",), rule="centre"), repeat)
    t_mask, ms = _best(lambda: _mask_sums(path, geoms), repeat)
    t_rs, rs = _best(lambda: _rasterstats_sums(path, geoms), repeat)
    g = zs["sum"].to_numpy()
    g_int = np.rint(g).astype(np.int64)
    return {
        "size": size,
        "cell_m": cell,
        "n_lads": len(lads),
        "file_mb": path.stat().st_size / 1e6,
        "t_write": t_write,
        "t_gd": t_gd,
        "t_mask": t_mask,
        "t_rs": t_rs if rs is not None else np.nan,
        "exact_mask": bool(np.array_equal(g, g_int) and np.array_equal(g_int, ms)),
        "n_diff_mask": int((g_int != ms).sum()),
        "exact_rs": None if rs is None else bool(np.array_equal(g_int, rs)),
        "n_diff_rs": None if rs is None else int((g_int != rs).sum()),
        "outside": int(zs["outside_raster"].sum()),
        "partial": int(((zs["raster_coverage"] < 1) & ~zs["outside_raster"]).sum()),
        "total": int(g_int.sum()),
    }


def print_zonal(res: dict[str, Any]) -> None:
    n = res["size"]
    print(f"\n3. Zonal sums: {n:,} x {n:,} uint16 GeoTIFF, {res['cell_m']:g} m cells, EPSG:27700")
    print(
        f"   600 km square from E 100000, N 0; seeded counts 0..99; deflate, "
        f"{res['file_mb']:.0f} MB on disk, written in {res['t_write']:.1f} s"
    )
    print(
        f"   {res['n_lads']} LADs 2024: {res['partial']} partly and {res['outside']} wholly "
        "outside the raster\n"
        "   (cells beyond the edge are simply missing; a polygon wholly outside sums to 0)"
    )
    print(f"   geodistrict zonal_stats(stats=('sum',), rule='centre'): {res['t_gd']:.3f} s")
    print(
        f"   rasterio.mask.mask(crop=True) per polygon + sum:       {res['t_mask']:.3f} s   "
        f"ratio {res['t_mask'] / res['t_gd']:.2f}x   identical sums: {res['exact_mask']} "
        f"({res['n_diff_mask']} differ)"
    )
    if res["exact_rs"] is None:
        print("   rasterstats not installed (pip install rasterstats to time it too)")
    else:
        print(
            f"   rasterstats.zonal_stats(stats=['sum']):                 {res['t_rs']:.3f} s   "
            f"ratio {res['t_rs'] / res['t_gd']:.2f}x   identical sums: {res['exact_rs']} "
            f"({res['n_diff_rs']} differ)"
        )
    print(f"   total over the LADs: {res['total']:,}")


# --- summary -----------------------------------------------------------------------------------


def print_summary(grid: dict[str, Any], lep: dict[str, Any], zonal: dict[str, Any]) -> None:
    print("\nSummary (best of the repeats; ratio = baseline time / geodistrict time)")
    head = (
        f"{'task':<34} {'geodistrict s':>13} {'baseline':<26} {'baseline s':>10} {'ratio':>7}  "
        "agreement"
    )
    print(head)
    print("-" * (len(head) + 12))
    rows = [
        (
            f"LSOA -> 250 m grid ({grid['n_cells']:,} cells)",
            grid["t_gd"],
            "tobler area_interpolate",
            grid["t_tobler"],
            f"max rel diff {grid['max_rel']:.1e}",
        ),
        (
            "  same, incl. prepare_boundaries",
            grid["t_gd_prep"],
            "tobler area_interpolate",
            grid["t_tobler"],
            "",
        ),
    ]
    n = zonal["size"]
    rows.append(
        (
            f"zonal sums {n:,}^2 x {zonal['n_lads']} LADs",
            zonal["t_gd"],
            "rasterio.mask per polygon",
            zonal["t_mask"],
            f"identical: {zonal['exact_mask']}",
        )
    )
    if zonal["exact_rs"] is not None:
        rows.append(
            (
                "",
                zonal["t_gd"],
                "rasterstats.zonal_stats",
                zonal["t_rs"],
                f"identical: {zonal['exact_rs']}",
            )
        )
    for task, tg, base, tb, agree in rows:
        print(f"{task:<34} {tg:13.3f} {base:<26} {tb:10.3f} {tb / tg:6.1f}x  {agree}")
    print(f"\n{'UBC 2022 LAD -> 38 LEPs vs Nomis':<46} {'max |rel err|':>13} {'LEPs > 0.5 %':>13}")
    for k, r in lep["rel"].items():
        a = r.abs()
        print(f"  {k:<44} {a.max():13.3%} {int((a > 0.005).sum()):>13}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this run: {peak:,.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="shared data folder (default ../shared/data)")
    ap.add_argument(
        "--quick", action="store_true", help="2,000 x 2,000 raster instead of 10,000 x 10,000"
    )
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per method (best kept)")
    ap.add_argument("--seed", type=int, default=20240501, help="seed of the synthetic values")
    args = ap.parse_args()
    data = _data_dir(args.data)
    missing = [rel for rel in (LSOA, LAD24, LEP21, UBC) if not (data / rel).exists()]
    if missing:
        raise SystemExit(f"missing under {data}: {', '.join(missing)} (pass --data DIR)")
    grid = bench_grid(data, args.repeat, args.seed)
    print_grid(grid)
    lep = bench_lep(data)
    print_lep(lep)
    with tempfile.TemporaryDirectory(prefix="geodistrict-bench-") as tmp:
        size = 2_000 if args.quick else 10_000
        zonal = bench_zonal(data, size, args.repeat, args.seed, Path(tmp))
    print_zonal(zonal)
    print_summary(grid, lep, zonal)


if __name__ == "__main__":
    main()
