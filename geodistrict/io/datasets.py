"""Named datasets: the files geodistrict ships (bundled) and the ones it fetches on demand.

One registry lists every dataset by name, with its title, publisher, vintage, licence,
attribution, source URL, file, SHA-256 checksum and size. It is made of two files in the
package data folder (``geodistrict/data/``): ``catalogue.yaml``, the official boundary sets
(``lep2021``, ``lsip2023`` ... see :mod:`geodistrict.io.catalogue`), and ``datasets.yaml``, the
tables and point layers (``learning-providers``, ``ubc-industry-2022`` ...).

Two kinds:

- **bundled** sets ship inside the package (``geodistrict/data/bundled/``): small, frozen,
  Open Government Licence sets the headline jobs need. Their bytes are checked against the
  registry's SHA-256 before first use in a process.
- **fetched** sets are downloaded on demand into the user cache directory
  (``GEODISTRICT_CACHE_DIR`` overrides it), resuming a partial download and refusing a file
  whose checksum differs; ``from_dir`` (``--from DIR``) or the ``GEODISTRICT_DATA_DIR``
  environment variable copies them from a local folder instead (offline work).

A dataset name goes wherever a path goes: :func:`resolve` turns a name into its local file
and leaves a path as it is; the readers (:func:`geodistrict.read_boundaries`,
:func:`geodistrict.read_points`, the Nomis and table readers) call it, so every command
option and Python function that reads a data file also takes a name. Names are matched with
``-`` and ``_`` alike (``combined-authorities2023`` = ``combined_authorities2023``).

Examples
--------
>>> get("lep2021").kind, get("learning-providers").kind, get("melbourne-clue-jobs").kind
('bundled', 'bundled', 'fetched')
>>> path("ubc-industry-2022").name
'nomis_UBC_enterprises_by_size_industry_2023-04.xlsx'
>>> resolve("some/file.csv")
'some/file.csv'
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import InputFileError, ParameterError, SchemaError
from .catalogue import fetch as fetch_boundaries
from .catalogue import get_entry, load_catalogue
from .store import bundled_dir, bundled_file, cache_root, check_file, data_dir, walk_files

__all__ = [
    "Dataset",
    "boundaries_dir",
    "bundled_dir",
    "check",
    "data_dir",
    "fetch",
    "get",
    "info",
    "is_name",
    "list_datasets",
    "path",
    "registry_path",
    "resolve",
    "shipped_districts_path",
]

#: Environment variable naming a folder that holds fetched datasets (searched with subfolders).
DATA_DIR_ENV = "GEODISTRICT_DATA_DIR"
KINDS = ("bundled", "fetched")
_REQUIRED = ("name", "title", "publisher", "kind", "url", "file", "format", "vintage",
             "licence", "attribution", "sha256")  # fmt: skip
_OPTIONAL = ("size", "pinned", "page", "url_checked", "note")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


def boundaries_dir() -> Path:
    """The folder of ``districts.geojson``, ``catalogue.yaml`` and ``benchmarks.yaml``.

    Kept for callers of earlier versions: it is :func:`data_dir`.
    """
    d = data_dir()
    if not (d / "districts.geojson").exists():
        raise InputFileError(
            f"{d}: geodistrict's package data is missing (districts.geojson); reinstall "
            "geodistrict (pip install --force-reinstall geodistrict)."
        )
    return d


def shipped_districts_path() -> Path:
    """Path of the shipped district polygons (``geodistrict/data/districts.geojson``)."""
    return boundaries_dir() / "districts.geojson"


def registry_path() -> Path:
    """Path of ``datasets.yaml`` (the tables and point layers of the registry)."""
    return data_dir() / "datasets.yaml"


@dataclass(frozen=True)
class Dataset:
    """One named dataset of the registry.

    Attributes
    ----------
    name : str
        The name used wherever a path goes (``lep2021``, ``learning-providers``).
    title, publisher : str
        The publisher's title, and who publishes it.
    kind : str
        ``"bundled"`` (ships in the package) or ``"fetched"`` (downloaded on demand).
    url : str or None
        The publisher's download URL (for a bundled set: where it came from); ``None`` only
        for a set the project derived.
    file : str
        File name (in the package, the cache or a ``--from`` folder).
    format, vintage, licence, attribution : str
        As recorded in the registry.
    sha256 : str or None
        Checksum of the copy geodistrict was checked against; ``None`` for an unpinned set.
    size : int or None
        Bytes of that copy.
    pinned : bool
        ``False`` for a set the publisher re-issues at the same URL (no checksum can hold).
    boundary : bool
        Whether it is a boundary set of the catalogue (read with its code and name fields).
    page, note : str or None
        Where a person finds the set; anything a user must know.
    url_checked : bool
        Whether a download from :attr:`url` has been compared with :attr:`sha256`.
    derived_from : str or None
        For a set built by the project, the set it was built from.
    """

    name: str
    title: str
    publisher: str
    kind: str
    url: str | None
    file: str
    format: str
    vintage: str
    licence: str
    attribution: str
    sha256: str | None
    size: int | None = None
    pinned: bool = True
    boundary: bool = False
    page: str | None = None
    note: str | None = None
    url_checked: bool = False
    derived_from: str | None = None

    @property
    def bundled(self) -> bool:
        """Whether the file ships inside the package."""
        return self.kind == "bundled"

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict form (for JSON)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _key(name: str) -> str:
    return str(name).strip().lower().replace("-", "_")


def _parse(raw: Any, where: str, problems: list[str]) -> Dataset | None:
    if not isinstance(raw, dict):
        problems.append(f"{where} is not a mapping of keys")
        return None
    before = len(problems)
    for k in raw:
        if k not in _REQUIRED and k not in _OPTIONAL:
            close = difflib.get_close_matches(str(k), _REQUIRED + _OPTIONAL, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{where}: unknown key {k!r}{hint}")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        problems.append(f"{where}: missing key(s) {', '.join(missing)}")
        return None
    if not (isinstance(raw["name"], str) and _NAME_RE.match(raw["name"])):
        problems.append(f"{where}: name {raw['name']!r} must be lower-case letters, digits, - or _")
    if raw["kind"] not in KINDS:
        problems.append(f"{where}: kind {raw['kind']!r} is not one of {', '.join(KINDS)}")
    pinned = raw.get("pinned", True)
    sha = raw["sha256"]
    if sha is None:
        if pinned or raw["kind"] == "bundled":
            problems.append(
                f"{where}: sha256 is empty; give the checksum of the checked copy (only a "
                "fetched set re-issued in place, with pinned: false, may have none)"
            )
    elif not (isinstance(sha, str) and _SHA_RE.match(sha.lower())):
        problems.append(f"{where}: sha256 must be 64 hexadecimal digits, not {sha!r}")
    size = raw.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        problems.append(f"{where}: size must be a number of bytes, not {size!r}")
    if len(problems) > before:
        return None
    return Dataset(
        name=raw["name"],
        title=str(raw["title"]),
        publisher=str(raw["publisher"]),
        kind=raw["kind"],
        url=raw["url"],
        file=str(raw["file"]),
        format=str(raw["format"]),
        vintage=str(raw["vintage"]),
        licence=str(raw["licence"]),
        attribution=str(raw["attribution"]),
        sha256=sha.lower() if isinstance(sha, str) else None,
        size=size,
        pinned=bool(pinned),
        page=raw.get("page"),
        note=raw.get("note"),
        url_checked=bool(raw.get("url_checked", False)),
    )


def _from_catalogue(entry: Any) -> Dataset:
    return Dataset(
        name=entry.name,
        title=entry.title,
        publisher=entry.publisher,
        kind="bundled" if entry.bundled else "fetched",
        url=entry.url,
        file=entry.file,
        format=entry.format,
        vintage=entry.vintage,
        licence=entry.licence,
        attribution=entry.attribution,
        sha256=entry.sha256,
        size=entry.size,
        pinned=True,
        boundary=True,
        page=entry.page,
        note=entry.note,
        url_checked=entry.url_checked,
        derived_from=entry.derived_from,
    )


@functools.cache
def _registry() -> tuple[Dataset, ...]:
    from .._yaml import safe_load

    out = [_from_catalogue(e) for e in load_catalogue()]
    src = registry_path()
    try:
        doc = safe_load(src.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputFileError(
            f"{src}: the dataset registry is missing; reinstall geodistrict."
        ) from exc
    problems: list[str] = []
    for i, raw in enumerate(doc or [], start=1):
        label = raw.get("name") if isinstance(raw, dict) else None
        d = _parse(raw, f"entry {i}" + (f" ({label})" if label else ""), problems)
        if d is not None:
            out.append(d)
    keys = [_key(d.name) for d in out]
    for k in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"name {k!r} is used twice (in catalogue.yaml or datasets.yaml)")
    if problems:
        raise SchemaError(f"{src}: " + "; ".join(problems) + ". Fix these entries.")
    return tuple(out)


def list_datasets(kind: str | None = None) -> list[Dataset]:
    """Every dataset of the registry (boundary sets first), or those of one ``kind``.

    Examples
    --------
    >>> names = [d.name for d in list_datasets("bundled")]
    >>> "lep2021" in names and "aps-industry-2022" in names
    True
    """
    if kind is not None and kind not in KINDS:
        raise ParameterError(f"kind={kind!r}: use one of {', '.join(KINDS)}.")
    return [d for d in _registry() if kind is None or d.kind == kind]


def is_name(spec: object) -> bool:
    """Whether ``spec`` is the text of a dataset's name."""
    if not isinstance(spec, str):
        return False
    k = _key(spec)
    return any(_key(d.name) == k for d in _registry())


def get(name: str) -> Dataset:
    """The dataset called ``name`` (``-`` and ``_`` alike).

    Raises
    ------
    ParameterError
        For an unknown name, with the closest name and the list.
    """
    k = _key(name)
    for d in _registry():
        if _key(d.name) == k:
            return d
    names = [d.name for d in _registry()]
    close = difflib.get_close_matches(str(name), names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ParameterError(
        f"no dataset called {name!r}{hint}; the datasets are {', '.join(names)} "
        "(see: geodistrict datasets list)."
    )


def check(name: str, file: str | Path | None = None) -> Path:
    """Check a dataset's file against the registry's size and SHA-256; return its path.

    Parameters
    ----------
    name : str
        Dataset name.
    file : str or Path, optional
        The copy to check; the bundled file (or the cached one) by default.

    Raises
    ------
    InputFileError
        When a byte differs, naming the file, both checksums and the fix.
    """
    d = get(name)
    p = Path(file) if file is not None else _local(d)
    return check_file(p, name=d.name, file=d.file, sha256=d.sha256, bundled=d.bundled)


def _cache_file(d: Dataset, cache: str | Path | None = None) -> Path:
    sub = "boundaries" if d.boundary else "datasets"
    return cache_root(cache) / sub / d.name / d.file


def _local(d: Dataset) -> Path | None:
    if d.bundled:
        return bundled_file(d.file)
    p = _cache_file(d)
    return p if p.exists() else None


def fetch(
    name: str,
    *,
    from_dir: str | Path | None = None,
    cache: str | Path | None = None,
    timeout: float = 30,
    retries: int = 3,
    verify: bool = True,
) -> Path:
    """Make a dataset available locally and return its path.

    A bundled set is its file in the package (checked). A fetched set already in the cache is
    returned as is; otherwise it is copied from ``from_dir`` (or the folder named by
    ``GEODISTRICT_DATA_DIR``), searched with its subfolders, or downloaded from its URL
    (resumable, checksum verified) by :func:`geodistrict.io.catalogue.fetch`.

    Parameters
    ----------
    name : str
        Dataset name.
    from_dir : str or Path, optional
        A folder holding the file (offline work).
    cache : str or Path, optional
        Cache root; ``GEODISTRICT_CACHE_DIR`` or the user cache directory by default.
    timeout, retries, verify
        As for :func:`geodistrict.io.catalogue.fetch`.

    Raises
    ------
    InputFileError
        Offline (one line naming the URL and ``--from DIR`` / ``GEODISTRICT_DATA_DIR``), a
        checksum mismatch, a folder without the file.

    Examples
    --------
    >>> fetch("lep2021").name
    'Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson'
    """
    d = get(name)
    if d.bundled and from_dir is None:
        return check(d.name)
    entry = get_entry(d.name) if d.boundary else d
    if from_dir is None and os.environ.get(DATA_DIR_ENV):
        env_dir = Path(os.environ[DATA_DIR_ENV]).expanduser()
        cached = _cache_file(d, cache)
        if not cached.exists() and env_dir.is_dir() and any(walk_files(env_dir, d.file)):
            from_dir = env_dir
    return fetch_boundaries(
        entry,
        cache=cache,
        from_dir=from_dir,
        timeout=timeout,
        retries=retries,
        verify=verify and d.pinned,
    )


def path(name: str, *, fetch_missing: bool = True) -> Path:
    """The local file of a dataset (fetching a missing fetched set unless told not to).

    Examples
    --------
    >>> path("learning-providers").name
    'learning-providers-plus.csv'
    """
    d = get(name)
    if d.bundled:
        return check(d.name)
    local = _local(d)
    if local is not None:
        return local
    if not fetch_missing:
        raise InputFileError(
            f"{d.name} is not in the cache; run: geodistrict datasets fetch {d.name} "
            f"[--from DIR] (or set {DATA_DIR_ENV} to a folder holding {d.file})."
        )
    return fetch(d.name)


def resolve(spec: str | os.PathLike[str]) -> Any:
    """A dataset name → its local file; anything else is returned unchanged.

    An existing file wins over a name (``./lep2021`` or a file called ``lep2021`` in the
    working directory is read as that file). A path object whose text is a bare name is
    treated like the string, so callers may wrap option values in :class:`~pathlib.Path`.
    This is the one resolver behind every reader, command option and API function that takes
    a data file.

    Examples
    --------
    >>> resolve("lep2020").name
    'LEP2020_(April_2020)_EN_odileeds.geojson'
    >>> resolve("onspd")
    'onspd'
    """
    if not isinstance(spec, (str, os.PathLike)):
        return spec
    text = os.fspath(spec)
    if not isinstance(text, str) or not text.strip() or Path(text).exists():
        return spec
    if isinstance(spec, os.PathLike) and text != Path(text).name:
        return spec  # a path with folders is never a name
    if is_name(text):
        return path(text.strip())
    return spec


def info(name: str) -> dict[str, Any]:
    """The registry entry of a dataset with its local path (or ``None`` when not fetched)."""
    d = get(name)
    out = d.as_dict()
    local = _local(d)
    out["path"] = str(local) if local is not None and local.exists() else None
    return out
