"""Writers: the output format follows the file extension; provenance travels with the data.

Every file is written atomically: to a hidden temporary file in the same folder, then moved
over the target with :func:`os.replace` (atomic on POSIX and Windows). A write that fails or is
interrupted leaves the previous file as it was: a reader sees the old file or the new one,
never half of one. The temporary file is removed when the write fails; a process killed
outright (``SIGKILL``, power loss) cannot clean up, so the next write to the same path removes
the leftovers of writers that are no longer running.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._paths import public_paths
from ..errors import InputFileError

if TYPE_CHECKING:  # imported by the writers of tables: write_json and write_text need neither
    import geopandas as gpd
    import pandas as pd

__all__ = [
    "csv_safe",
    "write_table",
    "write_text",
    "write_json",
    "atomic_path",
    "stale_temporaries",
    "OUTPUT_SUFFIXES",
]

OUTPUT_SUFFIXES = {".csv", ".gpkg", ".parquet", ".geoparquet", ".geojson", ".json"}

#: Files GDAL/SQLite may create beside a GeoPackage while writing it.
_SIDECARS = ("-journal", "-wal", "-shm")


def _tmp_name(path: Path) -> Path:
    # hidden, same folder (same file system: os.replace is atomic), the writer's pid to tell
    # a live writer from a dead one, and the original suffix (GDAL picks drivers by it)
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp{path.suffix}")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: leave its file alone
    return True


def _remove(tmp: Path) -> None:
    for p in (tmp, *(Path(str(tmp) + s) for s in _SIDECARS)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def stale_temporaries(path: str | Path) -> list[Path]:
    """Temporary files left beside ``path`` by writers that were killed before finishing."""
    path = Path(path)
    prefix, end = f".{path.name}.", f".tmp{path.suffix}"
    out = []
    with os.scandir(path.parent) as entries:
        for e in entries:
            if not (e.name.startswith(prefix) and e.name.endswith(end)):
                continue
            pid = e.name[len(prefix) :].split(".")[0]
            if pid.isdigit() and not _pid_alive(int(pid)):
                out.append(Path(e.path))
    return sorted(out)


@contextlib.contextmanager
def atomic_path(path: str | Path, *, keep_existing: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it over ``path`` when the block succeeds.

    Parameters
    ----------
    path : str or Path
        The file to (re)write; its folder must exist.
    keep_existing : bool
        Start from a copy of the current file (for formats that add a layer to an existing
        file, such as GeoPackage).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("complete")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('complete', ['out.txt'])
    """
    path = Path(path)
    for stale in stale_temporaries(path):
        _remove(stale)
    tmp = _tmp_name(path)
    try:
        if keep_existing and path.exists():
            shutil.copy2(path, tmp)
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    finally:
        for s in _SIDECARS:  # a GeoPackage's journal, if the driver left one
            with contextlib.suppress(FileNotFoundError):
                Path(str(tmp) + s).unlink()


#: A cell a spreadsheet would run as a formula: it starts with = + - @ (or a tab or a carriage
#: return, which some spreadsheets skip before looking) and is not simply a number.
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d[\d,]*\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _cell_safe(value: Any) -> Any:
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell that a spreadsheet would run as a formula made inert.

    A text cell (or column name) beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return gets a leading apostrophe (OWASP's advice against CSV injection): a district named
    ``=HYPERLINK("http://x")`` is written ``'=HYPERLINK("http://x")`` and shows as text in Excel
    or LibreOffice. Numbers, including negative numbers written as text, are left as they are.
    Every CSV the package writes (the CLI's outputs, the app's downloads) passes through here.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"name": ["=1+2", "Cambridge", "-3.5", "@SUM(A1)"], "n": [1, -2, 3, 4]})
    >>> csv_safe(t)["name"].tolist(), csv_safe(t)["n"].tolist()
    (["'=1+2", 'Cambridge', '-3.5', "'@SUM(A1)"], [1, -2, 3, 4])
    """
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(_cell_safe)
    out.columns = [_cell_safe(c) for c in out.columns]
    return out


def write_text(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write a text file atomically (the previous file survives a failed write)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return path


def write_json(path: str | Path, obj: Any, *, indent: int | None = 2) -> Path:
    """Write a JSON document (a ``--report``) atomically; values JSON lacks become strings."""
    return write_text(path, json.dumps(obj, indent=indent, default=str))


def write_table(
    table: gpd.GeoDataFrame | pd.DataFrame,
    path: str | Path,
    *,
    provenance: dict[str, Any] | None = None,
    layer: str | None = None,
) -> Path:
    """Write a result table atomically, choosing the format by extension.

    ``.csv`` drops the geometry; ``.gpkg``, ``.parquet``/``.geoparquet`` and ``.geojson`` keep
    it. ``provenance`` (sources, licences, CRS, parameters) is stored inside the file where the
    format has room (GeoParquet schema metadata, GeoPackage metadata, a GeoJSON foreign member)
    and always in a ``<file>.provenance.json`` beside a CSV.

    The file is written beside its target and moved over it only once complete (see the
    module notes): if writing fails, the previous file is left untouched.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    import geopandas as gpd
    import pandas as pd

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise InputFileError(
            f"{path}: unknown output format {suffix!r}; use .csv, .gpkg, .parquet or .geojson."
        )
    if not path.parent.exists():
        raise InputFileError(f"{path}: the folder {path.parent} does not exist; create it first.")
    if provenance is not None:  # name files, not the folders of the machine that wrote them
        provenance = public_paths(provenance)
    prov_json = json.dumps(provenance or {}, default=str)
    is_geo = isinstance(table, gpd.GeoDataFrame)
    if suffix == ".csv" or not isinstance(table, gpd.GeoDataFrame):
        frame = pd.DataFrame(table.drop(columns=table.geometry.name) if is_geo else table)
        if suffix != ".csv":
            raise InputFileError(f"{path}: this table has no geometry; write it as .csv.")
        with atomic_path(path) as tmp:
            csv_safe(frame).to_csv(tmp, index=False)
        if provenance is not None:
            write_json(str(path) + ".provenance.json", provenance)
        return path
    if suffix in {".parquet", ".geoparquet"}:
        import pyarrow.parquet as pq

        with atomic_path(path) as tmp:
            table.to_parquet(tmp, index=False)
            arrow = pq.read_table(tmp)
            meta = dict(arrow.schema.metadata or {})
            meta[b"geodistrict:provenance"] = prov_json.encode()
            pq.write_table(arrow.replace_schema_metadata(meta), tmp)
        return path
    if suffix == ".gpkg":
        with atomic_path(path, keep_existing=True) as tmp:
            table.to_file(
                tmp,
                driver="GPKG",
                layer=layer or path.stem,
                engine="pyogrio",
                metadata={"geodistrict_provenance": prov_json},
            )
        return path
    # GeoJSON (RFC 7946 wants lon/lat; keep the CRS the caller chose and say so in provenance)
    doc = json.loads(table.to_json(drop_id=True))
    doc["provenance"] = provenance or {}
    if table.crs is not None and not table.crs.equals("EPSG:4326"):
        doc["crs"] = {"type": "name", "properties": {"name": table.crs.to_string()}}
    write_text(path, json.dumps(doc))
    return path
