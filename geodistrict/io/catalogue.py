"""The catalogue of official boundary sets (``geodistrict/data/catalogue.yaml``) and fetching them.

Each entry names a set (``lep2021``, ``lsip2023``, ``lad2024`` ...), its publisher's download
URL, the file, its CRS, code and name fields, vintage, licence and attribution, and, for the
copies geodistrict was checked against, a SHA-256 checksum. :func:`fetch` puts a set in the
cache (``<cache_dir>/boundaries/<name>/<file>``): from a local folder with ``from_dir`` (offline
work) or by downloading the URL, resuming a partial download
with an HTTP ``Range`` request, and refusing a file whose checksum differs.
:func:`geodistrict.io.read.read_catalogue_boundaries` fetches and reads a set as
:class:`~geodistrict.Boundaries` with the catalogue's fields, licence and attribution.

Examples
--------
>>> [e.name for e in load_catalogue()][:2]
['lep2021', 'lep2020']
>>> get_entry("lep2021").successors
('lsip2023', 'combined_authorities2023')
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import difflib
import errno
import os
import re
import shutil
import socket
import time
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputFileError, ParameterError, SchemaError
from .store import bundled_file, cache_root, check_file, data_dir, sha256_file, walk_files

if TYPE_CHECKING:  # urllib and http load ssl and email: imported by the download alone
    import urllib.error

__all__ = [
    "CatalogueEntry",
    "STATUSES",
    "catalogue_path",
    "fetch",
    "get_entry",
    "load_catalogue",
    "sha256_file",
]

#: Allowed values of ``status``.
STATUSES = ("current", "historic")
_REQUIRED = (
    "name",
    "title",
    "publisher",
    "url",
    "file",
    "format",
    "crs",
    "id_field",
    "name_field",
    "vintage",
    "licence",
    "attribution",
    "status",
)
_OPTIONAL = (
    "url_checked",
    "page",
    "declared_crs",
    "features",
    "sha256",
    "successors",
    "derived_from",
    "note",
    "size",
    "bundled",
)
_TEXT = (
    "title",
    "publisher",
    "file",
    "format",
    "crs",
    "id_field",
    "name_field",
    "licence",
    "attribution",
    "page",
    "declared_crs",
    "note",
)
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class CatalogueEntry:
    """One official boundary set of the catalogue (see ``geodistrict/data/catalogue.yaml``).

    Attributes
    ----------
    name : str
        Slug used on the command line (``lep2021``).
    title, publisher : str
        As the publisher titles the set, and who publishes it.
    url : str or None
        The publisher's download URL; ``None`` only for a set derived by the project
        (:attr:`derived_from` names its source).
    file : str
        File name in the cache and in a ``from_dir`` folder.
    format, crs : str
        File format and the CRS of its coordinates.
    id_field, name_field : str
        Code and name fields.
    vintage : str
        Date of the geography (``YYYY-MM``).
    licence, attribution : str
        How the set must be cited.
    status : str
        ``"current"`` or ``"historic"`` (the bodies described no longer operate).
    features : int or None
        Number of features, when known.
    sha256 : str or None
        Checksum of the copy geodistrict was checked against.
    url_checked : bool
        Whether a download from :attr:`url` has been compared with :attr:`sha256`.
    successors : tuple of str
        For historic sets, the catalogue names of the geographies that took over.
    page : str or None
        Where a person finds the set.
    derived_from : str or None
        Catalogue name of the set this one was built from.
    declared_crs : str or None
        The CRS the file wrongly declares (it is read as :attr:`crs`).
    note : str or None
        Anything a user must know.
    size : int or None
        Bytes of the checked copy.
    bundled : bool
        Whether the checked copy ships inside the package (``geodistrict/data/bundled/``).
    """

    name: str
    title: str
    publisher: str
    url: str | None
    file: str
    format: str
    crs: str
    id_field: str
    name_field: str
    vintage: str
    licence: str
    attribution: str
    status: str
    features: int | None = None
    sha256: str | None = None
    url_checked: bool = False
    successors: tuple[str, ...] = ()
    page: str | None = None
    derived_from: str | None = None
    declared_crs: str | None = None
    note: str | None = None
    size: int | None = None
    bundled: bool = False

    @property
    def historic(self) -> bool:
        """Whether the bodies these boundaries describe no longer operate."""
        return self.status == "historic"

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict form (for JSON), keys in catalogue order."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["successors"] = list(self.successors)
        return out


def catalogue_path() -> Path:
    """Path of the shipped catalogue (``geodistrict/data/catalogue.yaml``)."""
    return data_dir() / "catalogue.yaml"


def _suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_keys(raw: dict[Any, Any], where: str, problems: list[str]) -> None:
    """Unknown keys (with the closest known one) and missing required keys."""
    for k in [str(k) for k in raw]:
        if k not in _REQUIRED and k not in _OPTIONAL:
            problems.append(
                f"{where}: unknown key {k!r}{_suggest(k, _REQUIRED + _OPTIONAL)}; "
                f"the keys are {', '.join(_REQUIRED + _OPTIONAL)}"
            )
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        problems.append(f"{where}: missing required key(s) {', '.join(missing)}")


def _check_name(raw: dict[Any, Any], where: str, problems: list[str]) -> Any:
    """The entry's ``name`` (a slug such as ``lep2021``)."""
    name = raw.get("name")
    if "name" in raw and not (isinstance(name, str) and _NAME_RE.match(name)):
        problems.append(
            f"{where}: name {name!r} must be a slug of lower-case letters, digits and "
            "underscores starting with a letter (e.g. lep2021)"
        )
    return name


def _check_texts(raw: dict[Any, Any], where: str, problems: list[str]) -> None:
    """Text keys are non-empty text (optional ones may be null)."""
    for k in _TEXT:
        if k in raw and not (isinstance(raw[k], str) and raw[k].strip()):
            if k in _OPTIONAL and raw[k] is None:
                continue
            problems.append(f"{where}: {k} must be non-empty text, not {raw[k]!r}")


def _check_file(raw: dict[Any, Any], where: str, problems: list[str]) -> Any:
    """The entry's ``file``: a bare file name (no folders, not ``.part``)."""
    file = raw.get("file")
    if isinstance(file, str) and (
        "/" in file or "\\" in file or file in (".", "..") or file.endswith(".part")
    ):
        problems.append(f"{where}: file {file!r} must be a bare file name (no folders, not .part)")
    return file


def _check_url(raw: dict[Any, Any], where: str, problems: list[str]) -> Any:
    """The entry's ``url``: http(s), or empty for a set derived by the project."""
    url = raw.get("url")
    if url is None:
        if "url" in raw and not raw.get("derived_from"):
            problems.append(
                f"{where}: url is empty; give the publisher's download URL (only a set built "
                "by the project, with derived_from, may have none)"
            )
    elif not (isinstance(url, str) and re.match(r"^https?://\S+$", url)):
        problems.append(f"{where}: url {url!r} must be an http(s) URL")
    return url


def _check_vintage(raw: dict[Any, Any], where: str, problems: list[str]) -> Any:
    """The entry's ``vintage`` as text (YAML may have read a date or a year)."""
    vintage = raw.get("vintage")
    if isinstance(vintage, _dt.date):
        vintage = vintage.isoformat()
    elif isinstance(vintage, int) and not isinstance(vintage, bool):
        vintage = str(vintage)
    if "vintage" in raw and not (isinstance(vintage, str) and vintage.strip()):
        problems.append(f'{where}: vintage must be a date such as "2021-05", not {vintage!r}')
    return vintage


def _check_status(raw: dict[Any, Any], where: str, problems: list[str]) -> Any:
    """The entry's ``status``, one of :data:`STATUSES`."""
    status = raw.get("status")
    if "status" in raw and status not in STATUSES:
        problems.append(
            f"{where}: status {status!r} is not one of {', '.join(STATUSES)}"
            f"{_suggest(str(status), STATUSES)}"
        )
    return status


def _is_count(value: Any, least: int) -> bool:
    """Whether ``value`` is a whole number (not a bool) of at least ``least``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _check_sha(raw: dict[Any, Any], where: str, problems: list[str]) -> Any:
    """The entry's ``sha256`` in lower case (64 hexadecimal digits) or None."""
    sha = raw.get("sha256")
    if isinstance(sha, str):
        sha = sha.strip().lower()
    if sha is not None and not (isinstance(sha, str) and _SHA_RE.match(sha)):
        problems.append(f"{where}: sha256 must be 64 hexadecimal digits, not {raw['sha256']!r}")
    return sha


def _check_flag(raw: dict[Any, Any], key: str, where: str, problems: list[str]) -> Any:
    """A true/false key (false when absent)."""
    value = raw.get(key, False)
    if not isinstance(value, bool):
        problems.append(f"{where}: {key} must be true or false, not {value!r}")
    return value


def _check_successors(raw: dict[Any, Any], where: str, problems: list[str]) -> list[str]:
    """The entry's ``successors``: a list of catalogue names (empty when invalid)."""
    successors = raw.get("successors") or []
    if not (isinstance(successors, list) and all(isinstance(s, str) for s in successors)):
        problems.append(f"{where}: successors must be a list of catalogue names, e.g. [lsip2023]")
        successors = []
    return successors


def _check_count(
    raw: dict[Any, Any], key: str, least: int, what: str, where: str, problems: list[str]
) -> Any:
    """A whole-number key (``features``, ``size``) of at least ``least``, or None."""
    value = raw.get(key)
    if value is not None and not _is_count(value, least):
        problems.append(f"{where}: {key} must be {what}, not {value!r}")
    return value


def _parse_entry(raw: Any, where: str, problems: list[str]) -> CatalogueEntry | None:
    """Check one mapping of the YAML list; append every problem found, return the entry."""
    if not isinstance(raw, dict):
        problems.append(f"{where} is a {type(raw).__name__}, not a mapping of keys")
        return None
    before = len(problems)
    _check_keys(raw, where, problems)
    name = _check_name(raw, where, problems)
    _check_texts(raw, where, problems)
    file = _check_file(raw, where, problems)
    url = _check_url(raw, where, problems)
    vintage = _check_vintage(raw, where, problems)
    status = _check_status(raw, where, problems)
    features = _check_count(raw, "features", 1, "a positive whole number", where, problems)
    sha = _check_sha(raw, where, problems)
    checked = _check_flag(raw, "url_checked", where, problems)
    successors = _check_successors(raw, where, problems)
    derived = raw.get("derived_from")
    if derived is not None and not isinstance(derived, str):
        problems.append(f"{where}: derived_from must be a catalogue name, not {derived!r}")
    size = _check_count(raw, "size", 0, "a number of bytes", where, problems)
    bundled = _check_flag(raw, "bundled", where, problems)
    if bundled is True and not sha:
        problems.append(f"{where}: a bundled set needs the sha256 of its shipped file")
    if len(problems) > before:
        return None
    return CatalogueEntry(
        name=name,
        title=raw["title"],
        publisher=raw["publisher"],
        url=url,
        file=file,
        format=raw["format"],
        crs=raw["crs"],
        id_field=raw["id_field"],
        name_field=raw["name_field"],
        vintage=vintage,
        licence=raw["licence"],
        attribution=raw["attribution"],
        status=status,
        features=features,
        sha256=sha,
        url_checked=checked,
        successors=tuple(successors),
        page=raw.get("page"),
        derived_from=derived,
        declared_crs=raw.get("declared_crs"),
        note=raw.get("note"),
        size=size,
        bundled=bundled,
    )


def load_catalogue(path: str | Path | None = None) -> list[CatalogueEntry]:
    """Read and validate the catalogue.

    Parameters
    ----------
    path : str or Path, optional
        A catalogue file; the shipped ``geodistrict/data/catalogue.yaml`` by default.

    Returns
    -------
    list of CatalogueEntry
        In file order.

    Raises
    ------
    SchemaError
        Naming the file and every problem found (missing or unknown keys, bad values,
        duplicate names, successors that are not in the catalogue), all at once.
    InputFileError
        When the file is missing.
    """
    import yaml

    from .._yaml import safe_load

    src = Path(path) if path is not None else catalogue_path()
    try:
        text = src.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputFileError(
            f"{src}: no boundary catalogue there; give the path of a catalogue.yaml "
            "(or reinstall geodistrict for the shipped one)."
        ) from exc
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        msg = " ".join(str(exc).split())
        raise SchemaError(f"{src}: not valid YAML ({msg}); fix the syntax there.") from exc
    if not isinstance(data, list) or not data:
        raise SchemaError(
            f'{src}: a catalogue is a YAML list of entries ("- name: ..."), but this file '
            f"holds {type(data).__name__}; see geodistrict/data/catalogue.yaml for the layout."
        )
    problems: list[str] = []
    entries: list[CatalogueEntry] = []
    for i, raw in enumerate(data, start=1):
        label = raw.get("name") if isinstance(raw, dict) else None
        where = f"entry {i}" + (f" ({label})" if isinstance(label, str) else "")
        entry = _parse_entry(raw, where, problems)
        if entry is not None:
            entries.append(entry)
    names = [e.name for e in entries]
    for n in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"name {n!r} is used by {names.count(n)} entries; names must be unique")
    known = set(names)
    for e in entries:
        for s in e.successors:
            if s not in known:
                problems.append(
                    f"{e.name}: successor {s!r} is not in the catalogue{_suggest(s, names)}"
                )
        if e.derived_from is not None and e.derived_from not in known:
            problems.append(
                f"{e.name}: derived_from {e.derived_from!r} is not in the catalogue"
                f"{_suggest(e.derived_from, names)}"
            )
    if problems:
        raise SchemaError(
            f"{src}: {len(problems)} problem(s): " + "; ".join(problems) + ". Fix these "
            "entries (the keys are described at the top of geodistrict/data/catalogue.yaml)."
        )
    return entries


def get_entry(name: str, *, path: str | Path | None = None) -> CatalogueEntry:
    """The catalogue entry called ``name``.

    Raises
    ------
    ParameterError
        For an unknown name, listing the catalogue's names.
    """
    entries = load_catalogue(path)
    for e in entries:
        if e.name == name:
            return e
    names = [e.name for e in entries]
    raise ParameterError(
        f"no boundary set called {name!r} in the catalogue{_suggest(str(name), names)}; the "
        f"sets are {', '.join(names)} (see: geodistrict boundaries list)."
    )


def _companions(main: Path) -> list[Path]:
    """Sidecar files of a Shapefile (``x.shp`` → ``x.dbf``, ``x.shx``, ``x.prj`` ...)."""
    if main.suffix.lower() != ".shp":
        return []
    prefix = main.stem + "."
    return sorted(
        p
        for p in main.parent.iterdir()
        if p.is_file() and p != main and p.name.startswith(prefix) and not p.name.endswith(".part")
    )


def _copy_atomic(src: Path, dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".part")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)


def _copy_from(entry: CatalogueEntry, root: Path, dest: Path, verify: bool) -> Path:
    root = root.expanduser()
    if not root.is_dir():
        raise InputFileError(
            f"--from {root}: no such folder; give the folder that holds {entry.file} "
            "(it is searched with its subfolders)."
        )
    found = sorted(
        walk_files(root, entry.file),
        key=lambda p: (len(p.relative_to(root).parts), str(p)),
    )
    where = entry.page or entry.url or f"the source named in {entry.name}'s catalogue note"
    if not found:
        raise InputFileError(
            f"--from {root}: no file named {entry.file!r} there or in its subfolders; point "
            f"--from at the folder holding it, or download it from {where}."
        )
    src = found[0]
    if verify and entry.sha256:
        sums = {p: sha256_file(p) for p in found}
        good = [p for p in found if sums[p] == entry.sha256]
        if not good:
            raise InputFileError(
                f"{found[0]}: sha256 {sums[found[0]]} differs from the catalogue's "
                f"{entry.sha256} for {entry.name}: it is not the copy geodistrict was checked "
                "against (another vintage or an edited file?); use the checked copy, or accept "
                "this one with --no-verify (verify=False)."
            )
        src = good[0]
    dest.parent.mkdir(parents=True, exist_ok=True)
    for side in _companions(src):
        _copy_atomic(side, dest.parent / side.name)
    _copy_atomic(src, dest)  # last: its presence means the set is complete
    return dest


class _Unreachable(Exception):
    """No route to the server (offline, DNS failure, connection refused)."""


class _Transient(Exception):
    """A failure worth retrying (timeout, reset, truncated body, HTTP 5xx)."""


class _HTTPFailure(Exception):
    """An HTTP error status that retrying will not cure (404, 403 ...)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"HTTP {code} {reason}")
        self.code = code


_UNREACHABLE_ERRNOS = {
    errno.ENETUNREACH,
    errno.EHOSTUNREACH,
    errno.ENETDOWN,
    errno.ECONNREFUSED,
    errno.EADDRNOTAVAIL,
}


def _is_unreachable(reason: object) -> bool:
    if isinstance(reason, (socket.gaierror, ConnectionRefusedError)):
        return True
    return isinstance(reason, OSError) and reason.errno in _UNREACHABLE_ERRNOS


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """``bytes 100-199/200`` → (100, 200); ``bytes */200`` → (None, 200)."""
    m = re.match(r"^\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*$", value or "")
    if not m:
        return None, None
    start = int(m.group(1)) if m.group(1) is not None else None
    total = int(m.group(2)) if m.group(2) != "*" else None
    return start, total


def _http_failure(exc: urllib.error.HTTPError) -> Exception:
    """A retryable failure for HTTP 408, 429 and 5xx; a final one for other statuses."""
    if exc.code in (408, 429) or 500 <= exc.code < 600:
        return _Transient(f"HTTP {exc.code} {exc.reason}")
    return _HTTPFailure(exc.code, str(exc.reason))


def _url_failure(exc: urllib.error.URLError) -> Exception:
    """No route to the server (not retried) or a transient network failure."""
    if _is_unreachable(exc.reason):
        return _Unreachable(str(exc.reason))
    return _Transient(str(exc.reason))


def _write_body(resp: Any, part: Path, offset: int) -> None:
    """Write (or append, for a 206 resuming at ``offset``) the response body into ``part``."""
    import http.client

    with resp:
        mode = "wb"
        if offset and resp.status == 206:
            start, _ = _content_range(resp.headers.get("Content-Range"))
            if start is not None and start != offset:
                part.unlink()
                raise _Transient(f"the server resumed at byte {start}, not {offset}")
            mode = "ab"
        length = resp.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        written = 0
        try:
            with open(part, mode) as fh:
                while chunk := resp.read(_CHUNK):
                    fh.write(chunk)
                    written += len(chunk)
        except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            raise _Transient(f"the connection broke after {written} bytes ({exc!r})") from exc
        if expected is not None and written < expected:
            raise _Transient(f"the connection closed after {written} of {expected} bytes")


def _download_once(url: str, part: Path, timeout: float) -> None:
    """Download ``url`` into ``part``, resuming from its current size with a Range request."""
    import http.client
    import urllib.error
    import urllib.request

    from .._version import __version__

    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": f"geodistrict/{__version__}", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        resp = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - http(s) only
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and offset:
            _, total = _content_range(exc.headers.get("Content-Range"))
            if total == offset:
                return  # the partial file was already complete
            part.unlink()
            return _download_once(url, part, timeout)
        raise _http_failure(exc) from exc
    except urllib.error.URLError as exc:
        raise _url_failure(exc) from exc
    except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        raise _Transient(f"{type(exc).__name__}: {exc}") from exc
    _write_body(resp, part, offset)


def _looks_like_page(path: Path) -> str | None:
    """The start of a file that is a web page or an error message instead of GeoJSON."""
    with open(path, "rb") as fh:
        head = fh.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return None
    return head[:40].decode("utf-8", "replace")


def _install_download(entry: CatalogueEntry, part: Path, dest: Path, verify: bool) -> None:
    """Move a finished download into place (unpacking a zip), checking format and sha256."""
    staged = part
    extra: list[Path] = []
    tmpdir = dest.parent / f".{entry.name}.unpack"
    try:
        if zipfile.is_zipfile(part) and not entry.file.lower().endswith(".zip"):
            if tmpdir.exists():
                shutil.rmtree(tmpdir)
            tmpdir.mkdir()
            stem = Path(entry.file).stem + "."
            with zipfile.ZipFile(part) as zf:
                members = [m for m in zf.infolist() if not m.is_dir()]
                wanted = [m for m in members if Path(m.filename).name == entry.file]
                if not wanted:
                    held = ", ".join(Path(m.filename).name for m in members[:6])
                    raise InputFileError(
                        f"{entry.name}: the download from {entry.url} is a zip without "
                        f"{entry.file} (it holds {held or 'nothing'}); fetch a copy of "
                        f"{entry.file} with --from DIR."
                        + (f" Catalogue note: {entry.note}" if entry.note else "")
                    )
                side = [
                    m
                    for m in members
                    if entry.file.lower().endswith(".shp")
                    and Path(m.filename).name.startswith(stem)
                    and Path(m.filename).name != entry.file
                ]
                for m in [wanted[0], *side]:
                    target = tmpdir / Path(m.filename).name
                    with zf.open(m) as src, open(target, "wb") as out:
                        shutil.copyfileobj(src, out)
            staged = tmpdir / entry.file
            extra = [p for p in tmpdir.iterdir() if p != staged]
        elif entry.format.lower() == "geojson":
            head = _looks_like_page(part)
            if head is not None:
                raise InputFileError(
                    f"{entry.name}: the download from {entry.url} is not GeoJSON (it starts "
                    f"{head!r}); the publisher may have moved it (url_checked: "
                    f"{str(entry.url_checked).lower()}): find it on {entry.page or entry.url} "
                    "and fetch it with --from DIR."
                )
        if verify and entry.sha256:
            got = sha256_file(staged)
            if got != entry.sha256:
                raise InputFileError(
                    f"{entry.name}: the download from {entry.url} has sha256 {got}, but the "
                    f"catalogue expects {entry.sha256} (the copy geodistrict was checked "
                    "against); it was deleted. The publisher may have re-issued the file: "
                    "fetch the checked copy with --from DIR, or accept the publisher's current "
                    "file with --no-verify (verify=False)."
                )
        for p in extra:
            os.replace(p, dest.parent / p.name)
        os.replace(staged, dest)
    finally:
        part.unlink(missing_ok=True)
        if tmpdir.exists():
            shutil.rmtree(tmpdir, ignore_errors=True)


def _download(
    entry: CatalogueEntry, dest: Path, *, timeout: float, retries: int, verify: bool
) -> Path:
    if entry.url is None:
        raise InputFileError(
            f"{entry.name} has no download URL: the project built it from "
            f"{entry.derived_from or 'other sets'}; fetch it with --from DIR (a folder holding "
            f"{entry.file})."
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        _download_with_retries(entry, entry.url, part, timeout=timeout, retries=retries)
        _install_download(entry, part, dest, verify)
    except BaseException:
        with contextlib.suppress(OSError):
            dest.parent.rmdir()  # only when empty: leave no trace of a failed first fetch
        raise
    return dest


def _download_with_retries(
    entry: CatalogueEntry, url: str, part: Path, *, timeout: float, retries: int
) -> None:
    failures = 0
    while True:
        try:
            _download_once(url, part, timeout)
            return
        except _Unreachable as exc:
            raise InputFileError(
                f"{entry.name}: cannot reach {entry.url}: the network is unreachable ({exc}). "
                f"Offline, copy {entry.file} from elsewhere and run 'geodistrict datasets "
                f"fetch {entry.name} --from DIR' (or set GEODISTRICT_DATA_DIR=DIR)."
            ) from exc
        except _HTTPFailure as exc:
            part.unlink(missing_ok=True)
            raise InputFileError(
                f"{entry.name}: {entry.url} answered {exc}; the publisher may have moved the "
                f"file (url_checked: {str(entry.url_checked).lower()}): find it on "
                f"{entry.page or entry.publisher} and fetch it with --from DIR."
            ) from exc
        except _Transient as exc:
            failures += 1
            if failures > retries:
                kept = (
                    f"the partial file {part} is kept, and a rerun resumes it"
                    if part.exists()
                    else "nothing was kept"
                )
                raise InputFileError(
                    f"{entry.name}: the download from {entry.url} failed {failures} times "
                    f"(last: {exc}); {kept}. Rerun later, raise --timeout/--retries, or fetch "
                    "it with --from DIR."
                ) from exc
            time.sleep(min(0.25 * 2 ** (failures - 1), 4.0))


def fetch(
    name: str | CatalogueEntry | Any,
    *,
    cache: str | Path | None = None,
    from_dir: str | Path | None = None,
    timeout: float = 30,
    retries: int = 3,
    verify: bool = True,
) -> Path:
    """Put a catalogued boundary set in the cache and return its path.

    The file goes to ``<cache>/boundaries/<name>/<file>``. A file already there (whose
    checksum matches, when the catalogue gives one) is returned as is; so is, without
    ``from_dir``, the copy that ships in the package for a ``bundled`` set. Other named
    datasets (:class:`geodistrict.io.datasets.Dataset`, not boundary sets) use the same mechanism
    and go to ``<cache>/datasets/<name>/<file>``.

    Parameters
    ----------
    name : str or CatalogueEntry or geodistrict.io.datasets.Dataset
        A catalogue name (``"lep2021"``) or an entry.
    cache : str or Path, optional
        Cache root; ``GEODISTRICT_CACHE_DIR`` or the user cache directory by default.
    from_dir : str or Path, optional
        Copy the file from this folder (searched with its subfolders for the entry's ``file``)
        instead of downloading it: the way to work offline.
    timeout : float
        Seconds to wait for the server on each request.
    retries : int
        How many times a failed download (timeout, broken connection, HTTP 5xx) is retried;
        each retry resumes the partial file with an HTTP ``Range`` request.
    verify : bool
        Refuse a file whose SHA-256 differs from the catalogue's (it is deleted).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputFileError
        Network unreachable (the message names ``--from DIR``), HTTP errors, a checksum
        mismatch, a ``from_dir`` without the file.
    ParameterError
        Unknown name, ``timeout`` not positive, ``retries`` negative.
    """
    entry = get_entry(name) if isinstance(name, str) else name
    if not timeout or timeout <= 0:
        raise ParameterError(f"timeout={timeout!r}: give a positive number of seconds.")
    if retries < 0:
        raise ParameterError(f"retries={retries!r}: give 0 or more.")
    if "/" in entry.file or "\\" in entry.file or entry.file in (".", ".."):
        raise SchemaError(f"{entry.name}: file {entry.file!r} must be a bare file name.")
    sub = "boundaries" if isinstance(entry, CatalogueEntry) else "datasets"
    dest = cache_root(cache) / sub / entry.name / entry.file
    if dest.exists() and (not verify or not entry.sha256 or sha256_file(dest) == entry.sha256):
        return dest
    if from_dir is None and getattr(entry, "bundled", False):
        return check_file(
            bundled_file(entry.file),
            name=entry.name,
            file=entry.file,
            sha256=entry.sha256,
            bundled=True,
        )
    if from_dir is not None:
        return _copy_from(entry, Path(from_dir), dest, verify)
    return _download(entry, dest, timeout=float(timeout), retries=int(retries), verify=verify)
