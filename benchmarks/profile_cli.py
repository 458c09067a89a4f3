"""The national profile command, end to end, against a plain geopandas script doing the same.

``geodistrict profile --boundaries LEP21 --points postcodes=onspd --out x.csv`` (2.7 M
postcodes in the 38 LEPs of 2021, cache warm) against a script a geopandas user would write:
read the postcodes (x, y, LAD code) from a Parquet file, make points, ``geopandas.sjoin``
them to the LEPs read with ``geopandas.read_file``, count per LEP, area and density, write a
CSV. Both run as fresh processes, alternately, in the same rounds; the script prints the
median wall time of each, the ratio, each one's peak memory (maximum resident set) and checks
that both wrote the same counts. A third fresh process in each round only imports what both
need (numpy, pandas, pyarrow, shapely, pyproj, geopandas, pyogrio) and exits: the floor under
any geopandas-based command on this machine.

Usage: python benchmarks/profile_cli.py [--data DIR] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEP21 = "uk/boundaries/Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson"

BASELINE = """\
import sys
import geopandas as gpd
import pandas as pd

lep_path, points_path, out = sys.argv[1:4]
leps = gpd.read_file(lep_path).to_crs(27700)
pc = pd.read_parquet(points_path)
pc = pc[pc["x"].notna() & pc["y"].notna()]
pts = gpd.GeoDataFrame(pc[["pcd", "laua"]], geometry=gpd.points_from_xy(pc["x"], pc["y"]),
                       crs=27700)
joined = gpd.sjoin(pts, leps[["LEP21CD", "LEP21NM", "geometry"]], predicate="within")
counts = joined.groupby("LEP21CD").size()
table = pd.DataFrame({"id": leps["LEP21CD"], "name": leps["LEP21NM"],
                      "area_km2": leps.area / 1e6})
table["postcodes_count"] = table["id"].map(counts).fillna(0).astype(int)
table["postcodes_per_km2"] = table["postcodes_count"] / table["area_km2"]
table.to_csv(out, index=False)
"""

#: What a geopandas-based command imports before it does anything.
FLOOR = "import numpy, pandas, pyarrow, shapely, pyproj, geopandas, pyogrio"


def _run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one fresh process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    dt = time.perf_counter() - t
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed ({proc.returncode}): {err[-2000:]}")
    return dt, usage.ru_maxrss / 1024


def main() -> None:
    import pandas as pd

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="shared data folder")
    ap.add_argument("--rounds", type=int, default=5, help="paired runs (median reported)")
    a = ap.parse_args()
    data = a.data or Path(os.environ.get("GEODISTRICT_SHARED_DATA") or ROOT.parent / "shared/data")
    lep = data / LEP21
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        points = tmp / "postcodes.parquet"  # the baseline's input: the same table, as Parquet
        # written by a child, so that this process stays small: a child's peak memory counts
        # what its parent held when it was started
        write = "from geodistrict.io.onspd import load_postcodes as f; import sys; "
        write += "f().to_parquet(sys.argv[1], index=False)"
        subprocess.run([sys.executable, "-c", write, str(points)], check=True)
        script = tmp / "baseline.py"
        script.write_text(BASELINE)
        ours_cmd = [sys.executable, "-m", "geodistrict.cli", "profile", "--boundaries", str(lep)]
        ours_cmd += ["--points", "postcodes=onspd", "--out", str(tmp / "ours.csv")]
        base_cmd = [sys.executable, str(script), str(lep), str(points), str(tmp / "base.csv")]
        floor_cmd = [sys.executable, "-c", FLOOR]
        _run(ours_cmd)  # warm: the postcode cache is built, files are in the page cache
        _run(base_cmd)
        ours, base, floor = [], [], []
        for _ in range(a.rounds):
            ours.append(_run(ours_cmd))
            base.append(_run(base_cmd))
            floor.append(_run(floor_cmd))
        a_csv = pd.read_csv(tmp / "ours.csv")
        b_csv = pd.read_csv(tmp / "base.csv")
        same = a_csv["id"].tolist() == b_csv["id"].tolist() and (
            a_csv["postcodes_count"].tolist() == b_csv["postcodes_count"].tolist()
        )
    t_ours = statistics.median(t for t, _ in ours)
    t_base = statistics.median(t for t, _ in base)
    print(f"2.7 M postcodes x 38 LEPs (2021), {a.rounds} paired rounds, fresh processes")
    print(f"{'':34} {'median s':>9} {'min s':>7} {'peak MB':>8}")
    rows = (
        ("geodistrict profile (cache warm)", ours),
        ("geopandas script", base),
        ("imports alone (the floor)", floor),
    )
    for label, runs in rows:
        ts = [t for t, _ in runs]
        peak = max(m for _, m in runs)
        print(f"{label:34} {statistics.median(ts):9.2f} {min(ts):7.2f} {peak:8.0f}")
    print(f"ratio (geopandas / geodistrict, medians): {t_base / t_ours:.1f}x")
    t_floor = statistics.median(t for t, _ in floor)
    print(f"geodistrict's own work after the imports: {t_ours - t_floor:.2f} s (medians)")
    print(f"same counts per LEP: {same}")
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
