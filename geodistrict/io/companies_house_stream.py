"""The whole Companies House register (BasicCompanyData, about 5 M rows) streamed to GeoParquet.

Companies House publishes its "Free Company Data Product" as one zipped CSV of every live
company (``BasicCompanyDataAsOneFile-YYYY-MM-DD.zip``, about 470 MB zipped and 2.6 GB
unzipped) or as several parts. Reading it whole into pandas needs many gigabytes;
:func:`cache_basic_company_data` instead reads it in chunks of ``chunk_rows`` rows (only the
columns a firm layer needs), places each company at its registered-office postcode's centroid
(ONS Postcode Directory, EPSG:27700) and appends the chunk to a GeoParquet file. Memory stays at
the postcode table plus one chunk, whatever the size of the register.

Every row of the source is in the cache: companies that are placed have a point geometry and
an empty ``reason``; the others (not live, no postcode, a postcode not in the directory) have
a missing geometry and the reason. :func:`read_firm_cache` reads the cache back as a
:class:`~geodistrict.layers.PointLayer` whose ``rejected`` table lists them, so that
``len(layer) + len(layer.rejected) == rows of the source``.

The reader takes a path: a dataset registry that fetches the file from Companies House (and
checks it) hands the downloaded path to :func:`cache_basic_company_data`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputFileError, SchemaError
from ..layers import LayerInfo, PointLayer, reject_frame
from .companies_house import (
    CH_ATTRIBUTION,
    CH_LICENCE,
    INCORPORATED_COLUMN,
    NUMBER_COLUMN,
    POSTCODE_COLUMN,
    SIC_CODE_RE,
    SIC_TEXT_COLUMNS,
    STATUS_COLUMN,
    companies_house_vintage,
    is_live,
    join_sic_codes,
)

__all__ = [
    "CACHE_COLUMNS",
    "CacheSummary",
    "cache_basic_company_data",
    "iter_basic_company_data",
    "read_firm_cache",
]

_NAME = "CompanyName"
_CATEGORY = "CompanyCategory"
#: Source columns the cache keeps (header spaces stripped).
_KEEP = (
    _NAME,
    NUMBER_COLUMN,
    POSTCODE_COLUMN,
    _CATEGORY,
    STATUS_COLUMN,
    INCORPORATED_COLUMN,
    *SIC_TEXT_COLUMNS,
)

#: Columns of the cache, besides ``geometry``.
CACHE_COLUMNS = (
    "row",
    "CompanyNumber",
    "CompanyName",
    "postcode",
    "company_category",
    "company_status",
    "incorporation_date",
    "sic_code",
    "sic_codes",
    "laua",
    "x",
    "y",
    "reason",
)


@dataclass(frozen=True)
class CacheSummary:
    """What :func:`cache_basic_company_data` wrote.

    Attributes
    ----------
    path : Path
        The GeoParquet file.
    n_input, n_placed : int
        Rows read, and companies placed at a postcode.
    reasons : dict
        Rows not placed, by reason.
    seconds : float
    chunks : int
    """

    path: Path
    n_input: int
    n_placed: int
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    chunks: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON reports."""
        return {
            "path": str(self.path),
            "n_input": self.n_input,
            "n_placed": self.n_placed,
            "reasons": dict(self.reasons),
            "seconds": round(self.seconds, 2),
            "chunks": self.chunks,
        }


def iter_basic_company_data(
    path: str | Path, *, chunk_rows: int = 250_000
) -> Iterator[pd.DataFrame]:
    """Chunks of a BasicCompanyData CSV (plain or zipped), only the columns a firm layer needs.

    Parameters
    ----------
    path : str or Path
        ``BasicCompanyData*.csv`` or ``BasicCompanyDataAsOneFile-*.zip`` (one CSV inside).
    chunk_rows : int
        Rows per chunk.

    Yields
    ------
    pandas.DataFrame
        Columns of the kept set that the file has (header spaces stripped), all as strings,
        indexed by the row's position in the file.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found; download BasicCompanyData first.")
    with _open_csv(path) as fh:
        header = pd.read_csv(fh, nrows=0, encoding="utf-8")
    present = {str(c).strip(): c for c in header.columns}
    missing = [c for c in (NUMBER_COLUMN, POSTCODE_COLUMN) if c not in present]
    if missing:
        raise SchemaError(
            f"{path}: no column {', '.join(map(repr, missing))} (columns: "
            f"{', '.join(list(present)[:12])}); is this a Companies House BasicCompanyData file?"
        )
    usecols = [present[c] for c in _KEEP if c in present]
    with _open_csv(path) as fh:
        reader = pd.read_csv(
            fh,
            usecols=usecols,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            chunksize=chunk_rows,
            encoding="utf-8",
            encoding_errors="replace",
            low_memory=False,
        )
        for chunk in reader:
            chunk.columns = [str(c).strip() for c in chunk.columns]
            yield chunk


@contextmanager
def _open_csv(path: Path) -> Iterator[Any]:
    """A binary stream of the CSV, decompressed as it is read.

    pandas' own ``compression="zip"`` held the whole 1.7 GB member in memory; a member opened
    with :mod:`zipfile` is read a buffer at a time.
    """
    if path.suffix.lower() != ".zip":
        with open(path, "rb") as fh:
            yield fh
        return
    import zipfile

    with zipfile.ZipFile(path) as zf:
        members = [i for i in zf.infolist() if i.filename.lower().endswith(".csv")]
        if len(members) != 1:
            raise InputFileError(
                f"{path}: the zip holds {len(members)} CSV files "
                f"({', '.join(i.filename for i in members[:5])}); give one CSV (or unzip it)."
            )
        with zf.open(members[0]) as fh:
            yield fh


def _first_codes(texts: pd.Series) -> np.ndarray:
    """Five-digit codes at the start of the SIC texts (object array)."""
    code = texts.str.extract(SIC_CODE_RE.pattern, expand=False)
    return code.astype(object).where(code.notna(), None).to_numpy()


def _chunk_frame(chunk: pd.DataFrame, include_inactive: bool) -> pd.DataFrame:
    from .onspd import geocode_postcodes

    n = len(chunk)
    out = pd.DataFrame(index=chunk.index)
    out["row"] = chunk.index.to_numpy(dtype="int64")
    out["CompanyNumber"] = chunk[NUMBER_COLUMN].str.strip()
    out["CompanyName"] = chunk.get(_NAME)
    out["postcode"] = chunk[POSTCODE_COLUMN].str.strip()
    out["company_category"] = chunk.get(_CATEGORY)
    status = (
        chunk[STATUS_COLUMN].str.strip()
        if STATUS_COLUMN in chunk
        else pd.Series(None, index=chunk.index)
    )
    out["company_status"] = status
    if INCORPORATED_COLUMN in chunk:
        out["incorporation_date"] = pd.to_datetime(
            chunk[INCORPORATED_COLUMN], format="%d/%m/%Y", errors="coerce"
        )
    else:
        out["incorporation_date"] = pd.NaT
    codes = [_first_codes(chunk[c]) for c in SIC_TEXT_COLUMNS if c in chunk]
    out["sic_code"] = codes[0] if codes else None
    if codes:
        out["sic_codes"] = join_sic_codes(codes)
    else:
        out["sic_codes"] = None
    g = geocode_postcodes(out["postcode"])
    out["laua"] = g["laua"].to_numpy()
    out["x"] = g["x"].to_numpy()
    out["y"] = g["y"].to_numpy()
    reason = np.full(n, None, dtype=object)
    st = g["status"].to_numpy()
    pcs = out["postcode"].to_numpy(dtype=object)
    reason[st == "missing"] = "no postcode given"
    unk = np.flatnonzero(st == "unknown")
    reason[unk] = [f"postcode {pcs[i]} is not in the ONS Postcode Directory" for i in unk]
    nog = np.flatnonzero(st == "no_grid")
    reason[nog] = [f"postcode {pcs[i]} has no grid reference" for i in nog]
    if not include_inactive and STATUS_COLUMN in chunk:
        live = is_live(status)
        s = status.fillna("(empty)").to_numpy(dtype=object)
        dead = np.flatnonzero(~live)
        reason[dead] = [
            f"excluded: CompanyStatus={s[i]} (pass include_inactive=True to keep)" for i in dead
        ]
    out["reason"] = reason
    placed = pd.isna(reason)
    out.loc[~placed, ["x", "y"]] = np.nan
    return out.reset_index(drop=True)


def _geo_metadata() -> bytes:
    from pyproj import CRS

    meta = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": ["Point"],
                "crs": CRS.from_epsg(27700).to_json_dict(),
            }
        },
    }
    return json.dumps(meta).encode("utf-8")


def cache_basic_company_data(
    path: str | Path,
    out: str | Path,
    *,
    chunk_rows: int = 250_000,
    include_inactive: bool = False,
) -> CacheSummary:
    r"""Stream a BasicCompanyData file into a GeoParquet cache of firms placed by postcode.

    Parameters
    ----------
    path : str or Path
        ``BasicCompanyData*.csv`` or the zipped one-file product.
    out : str or Path
        The ``.parquet`` file to write (replaced atomically when complete).
    chunk_rows : int
        Rows held in memory at a time.
    include_inactive : bool
        Place companies that are not live too (by default they are kept in the cache
        with their reason and no geometry).

    Returns
    -------
    CacheSummary

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "BasicCompanyData-2026-01-01.csv").write_text(
    ...     'CompanyName, CompanyNumber,RegAddress.PostCode,CompanyStatus,SICCode.SicText_1\n'
    ...     '"A LTD","01234567","CB2 1TN","Active","62012 - Business and domestic software '
    ...     'development"\n"B LTD","07654321","XX1 1XX","Active","None Supplied"\n')
    >>> s = cache_basic_company_data(d / "BasicCompanyData-2026-01-01.csv", d / "firms.parquet")
    >>> s.n_input, s.n_placed, list(s.reasons.values())
    (2, 1, [1])
    >>> read_firm_cache(d / "firms.parquet").attributes["sic_code"].tolist()
    ['62012']
    """
    import os

    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    out = Path(out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    t0 = time.perf_counter()
    writer = None
    n_in = n_placed = chunks = 0
    reasons: dict[str, int] = {}
    try:
        for chunk in iter_basic_company_data(path, chunk_rows=chunk_rows):
            frame = _chunk_frame(chunk, include_inactive)
            placed = frame["reason"].isna().to_numpy()
            geom = np.full(len(frame), None, dtype=object)
            pts = shapely.points(frame["x"].to_numpy()[placed], frame["y"].to_numpy()[placed])
            geom[placed] = shapely.to_wkb(pts)
            table = pa.Table.from_pandas(frame, preserve_index=False)
            table = table.append_column("geometry", pa.array(geom, type=pa.binary()))
            if writer is None:
                schema = table.schema.with_metadata(
                    {**(table.schema.metadata or {}), b"geo": _geo_metadata()}
                )
                out.parent.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(tmp, schema, compression="zstd")
            writer.write_table(table.cast(writer.schema))
            n_in += len(frame)
            n_placed += int(placed.sum())
            chunks += 1
            for k, v in _reason_kinds(frame.loc[~placed, "reason"]).items():
                reasons[k] = reasons.get(k, 0) + v
        if writer is None:
            raise SchemaError(f"{path}: the file has a header but no rows.")
        writer.close()
        writer = None
        os.replace(tmp, out)
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
    return CacheSummary(
        path=out,
        n_input=n_in,
        n_placed=n_placed,
        reasons=dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
        seconds=time.perf_counter() - t0,
        chunks=chunks,
    )


def _reason_kinds(reasons: pd.Series) -> dict[str, int]:
    """Reasons grouped by kind (the postcode itself taken out of the sentence)."""
    kinds = reasons.str.replace(r"^postcode .* (is not|has no)", r"postcode \1", regex=True)
    return {str(k): int(v) for k, v in kinds.value_counts().items()}


def read_firm_cache(path: str | Path, *, name: str = "firms") -> PointLayer:
    """Read a cache written by :func:`cache_basic_company_data` as a point layer of firms.

    Returns
    -------
    PointLayer
        Placed companies in EPSG:27700 with the cache's columns (``sic_code`` holds the first
        five-digit SIC code); the others in ``rejected`` with their reason.
    """
    import pyarrow.parquet as pq
    from pyproj import CRS

    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found; build it with cache_basic_company_data.")
    cols = [c for c in pq.read_schema(path).names if c != "geometry"]
    missing = [c for c in ("row", "x", "y", "reason", "sic_code") if c not in cols]
    if missing:
        raise SchemaError(
            f"{path}: not a geodistrict firm cache (no column {', '.join(missing)}); build it "
            "with geodistrict.io.companies_house_stream.cache_basic_company_data."
        )
    df = pd.read_parquet(path, columns=cols)
    placed = df["reason"].isna().to_numpy()
    rej = df.loc[~placed]
    rejected = reject_frame(
        rej["row"].to_numpy(dtype="int64"),
        rej["CompanyNumber"].to_numpy(dtype=object),
        rej["reason"].to_numpy(dtype=object),
    )
    attrs = df.loc[placed].drop(columns=["x", "y", "reason"]).reset_index(drop=True)
    info = LayerInfo(
        name=name,
        source=str(path),
        kind="companies_house",
        licence=CH_LICENCE,
        attribution=CH_ATTRIBUTION,
        vintage=companies_house_vintage(path),
        id_field=NUMBER_COLUMN,
    )
    return PointLayer(
        x=df["x"].to_numpy(dtype=float)[placed],
        y=df["y"].to_numpy(dtype=float)[placed],
        crs=CRS.from_epsg(27700),
        attributes=attrs,
        info=info,
        rejected=rejected,
        n_input=len(df),
    )
