"""Paths in what others read: files are named, the server's folders are not.

Reports, provenance and the app are read by people who are not on the machine that made
them; a path such as ``/srv/data/uk/tables/x.xlsx`` tells them nothing useful about the data
and something about the server. :func:`public_text` keeps the file's name (``x.xlsx``) and
drops its folders; :func:`public_paths` does the same inside a nested JSON-like value.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["public_paths", "public_text"]

# an absolute POSIX path of at least two parts, not inside a URL ("https://a/b"), a base64
# data URI ("+/ab/cd"), a relative path ("uk/a/b") or a closing tag
_POSIX = re.compile(r"(?<![\w:/.+=~-])/(?:[\w.\-()@,]+/)+([\w.\-()@,]+)")
_WINDOWS = re.compile(r"(?<![\w])[A-Za-z]:[\\/](?:[^\\/\s\"'<>|]+[\\/])*([^\\/\s\"'<>|]+)")


def public_text(text: str) -> str:
    r"""``text`` with every absolute path replaced by the name of its file (or last folder).

    Examples
    --------
    >>> public_text("read /srv/data/uk/tables/nomis.xlsx (sheet 1); see https://x.org/a/b")
    'read nomis.xlsx (sheet 1); see https://x.org/a/b'
    >>> public_text(r"C:\Users\ann\district.gpkg and uk/boundaries/lads.geojson")
    'district.gpkg and uk/boundaries/lads.geojson'
    """
    return _WINDOWS.sub(r"\1", _POSIX.sub(r"\1", text))


def public_paths(value: Any) -> Any:
    """:func:`public_text` applied to every string inside dicts, lists and tuples."""
    if isinstance(value, str):
        return public_text(value)
    if isinstance(value, dict):
        return {k: public_paths(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(public_paths(v) for v in value)
    return value
