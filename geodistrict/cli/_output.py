"""Output steps shared by the commands: what they print and the documents they write.

A private module of the :mod:`geodistrict.cli` package (``register_all`` skips it): its names
are public to the command modules.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "command_line",
    "fetch_line",
    "format_table",
    "print_fetched",
    "print_warnings",
    "write_card_document",
    "wrote",
]


def command_line() -> str:
    """The command as typed (``geodistrict`` and its arguments), for provenance."""
    return "geodistrict " + " ".join(sys.argv[1:])


def wrote(*paths: Any) -> None:
    """Print ``wrote A, B`` on stderr for the outputs written (None: not asked for)."""
    print("wrote " + ", ".join(str(p) for p in paths if p), file=sys.stderr)


def print_warnings(messages: Iterable[str]) -> None:
    """Print each warning of a result as one ``geodistrict: warning:`` line on stderr."""
    for w in messages:
        print(f"geodistrict: warning: {w}", file=sys.stderr)


def write_card_document(result: Any, out: str, extra: Mapping[str, Any] | None = None) -> None:
    """Write a card-like result (``to_dict``/``to_frame``) as JSON (with the command) or CSV.

    Parameters
    ----------
    result : DistrictCard or DistrictDiff
        Anything with ``to_dict()`` and ``to_frame()``.
    out : str
        ``.json`` writes ``to_dict()`` with ``command`` and ``extra``; anything else writes
        ``to_frame()`` as CSV (cells that a spreadsheet would run as formulas escaped).
    extra : mapping, optional
        More sections of the JSON document.
    """
    if out.lower().endswith(".json"):
        doc = {**result.to_dict(), "command": command_line(), **(extra or {})}
        Path(out).write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str))
    else:
        from ..io.write import csv_safe

        csv_safe(result.to_frame()).to_csv(out, index=False)


def format_table(rows: Sequence[Sequence[Any]]) -> str:
    """Rows (the header first) as left-aligned plain-text columns two spaces apart.

    Examples
    --------
    >>> print(format_table([("name", "kind"), ("lep2021", "bundled")]))
    name     kind
    lep2021  bundled
    """
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def fetch_line(
    name: str,
    title: str,
    attribution: str | None,
    *,
    sha256: str | None,
    verify: bool,
    unpinned: str,
) -> str:
    """The line printed after a fetch: what was fetched, how it was checked, how to cite it.

    Parameters
    ----------
    unpinned : str
        What to say when the entry has no checksum.

    Examples
    --------
    >>> fetch_line("lep2021", "LEPs", "ONS", sha256="ab", verify=True, unpinned="-")
    'lep2021: LEPs (sha256 verified); cite: ONS'
    """
    if not sha256:
        checked = unpinned
    elif not verify:
        checked = "checksum not verified: --no-verify"
    else:
        checked = "sha256 verified"
    return f"{name}: {title} ({checked}); cite: {attribution}"


def print_fetched(entry: Any, path: Any, args: argparse.Namespace, *, unpinned: str) -> None:
    """After a fetch: the :func:`fetch_line` of ``entry`` on stderr, the path on stdout.

    ``entry`` is a catalogue or dataset entry (``name``, ``title``, ``attribution``,
    ``sha256``); ``args`` holds ``--no-verify``.
    """
    line = fetch_line(
        entry.name,
        entry.title,
        entry.attribution,
        sha256=entry.sha256,
        verify=not args.no_verify,
        unpinned=unpinned,
    )
    print(line, file=sys.stderr)
    print(path)
