"""Where geodistrict keeps data files: the package data folder, the cache, checksums.

The lowest module of :mod:`geodistrict.io`: the boundary catalogue
(:mod:`geodistrict.io.catalogue`) and the dataset registry (:mod:`geodistrict.io.datasets`)
both stand on it, so that neither has to import the other's internals.

Examples
--------
>>> (data_dir() / "catalogue.yaml").exists()
True
>>> bundled_dir().name
'bundled'
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import InputFileError

__all__ = [
    "bundled_dir",
    "bundled_file",
    "cache_dir",
    "cache_root",
    "check_file",
    "data_dir",
    "sha256_file",
    "walk_files",
]


def data_dir() -> Path:
    """The package data folder ``geodistrict/data/`` (catalogue, registry, districts)."""
    return Path(__file__).resolve().parents[1] / "data"


def bundled_dir() -> Path:
    """Where the bundled datasets' files are (``geodistrict/data/bundled/``)."""
    return data_dir() / "bundled"


def bundled_file(file: str) -> Path:
    """The shipped copy of a bundled dataset's ``file`` (in ``bundled/``, else ``data/``)."""
    p = bundled_dir() / file
    return p if p.exists() else data_dir() / file


def cache_dir() -> Path:
    """The directory for geodistrict's caches (``GEODISTRICT_CACHE_DIR`` or the user cache).

    Raises
    ------
    InputFileError
        ``GEODISTRICT_CACHE_DIR`` names a file (or a path under a file), not a folder.
    """
    env = os.environ.get("GEODISTRICT_CACHE_DIR")
    if env:
        path = Path(env)
        for p in (path, *path.parents):
            if p.exists():
                if not p.is_dir():
                    raise InputFileError(
                        f"GEODISTRICT_CACHE_DIR={env}: {p} is a file, not a folder; point "
                        "GEODISTRICT_CACHE_DIR at a folder (created if missing) or unset it."
                    )
                break
        return path
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("geodistrict"))


def cache_root(cache: str | Path | None) -> Path:
    """The cache root to use: ``cache`` when given (``~`` expanded), else :func:`cache_dir`.

    Examples
    --------
    >>> cache_root("/tmp/gd-cache").as_posix()
    '/tmp/gd-cache'
    """
    if cache is not None:
        return Path(cache).expanduser()
    return cache_dir()


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file, as 64 lower-case hexadecimal digits."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def walk_files(root: Path, name: str) -> Iterator[Path]:
    """Every file called ``name`` in ``root`` and its subfolders (in ``os.walk`` order).

    Parameters
    ----------
    root : pathlib.Path
        The folder to search.
    name : str
        The exact file name.

    Yields
    ------
    pathlib.Path
    """
    for dirpath, _dirs, files in os.walk(root):
        if name in files:
            yield Path(dirpath) / name


@functools.cache
def _checked(file: str, mtime_ns: int, size: int, sha: str) -> bool:
    return sha256_file(file) == sha


def check_file(
    path: Path | None, *, name: str, file: str, sha256: str | None, bundled: bool
) -> Path:
    """Check a dataset's local copy against its registered SHA-256; return its path.

    A file is hashed once per process for a given modification time and size.

    Parameters
    ----------
    path : pathlib.Path or None
        The local copy (None when there is none).
    name : str
        The dataset's name, used in messages.
    file : str
        The dataset's file name, used when ``path`` is None.
    sha256 : str or None
        The registered checksum (None: only existence is checked).
    bundled : bool
        Whether the set ships in the package (changes the fix the message gives).

    Raises
    ------
    InputFileError
        When the file is missing or a byte differs, naming the file, both checksums and the fix.
    """
    if path is None or not path.exists():
        raise InputFileError(
            f"{path or file}: {name} is not on this machine; run: geodistrict datasets fetch {name}"
        )
    if sha256 is None:
        return path
    st = path.stat()
    if not _checked(str(path), st.st_mtime_ns, st.st_size, sha256):
        got = sha256_file(path)
        where = "reinstall geodistrict (pip install --force-reinstall geodistrict)"
        if not bundled:
            where = f"delete it and run: geodistrict datasets fetch {name}"
        raise InputFileError(
            f"{path}: sha256 {got} differs from the registry's {sha256} for {name}: the file "
            f"was changed or damaged; {where}."
        )
    return path
