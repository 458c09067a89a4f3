"""``geodistrict boundaries``: list the catalogue of official boundary sets, fetch one."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ._args import Formatter, fetch_arguments, fetch_options
from ._output import format_table, print_fetched

__all__ = ["register", "run"]

_EXAMPLE = """\
examples:
  # the catalogue: name, title, vintage, status (historic sets name their successors), crs
  geodistrict boundaries list
  geodistrict boundaries list --json

  # the path of a set: bundled ones (lep2021, lsip2023 ...) ship in the package, others are
  # downloaded into the cache
  geodistrict boundaries fetch lep2021
  geodistrict boundaries fetch lad2024

  # offline: copy them from a folder holding the file (searched with its subfolders)
  geodistrict boundaries fetch barcelona_barris --from ~/Downloads

  # use the fetched file
  geodistrict profile --boundaries "$(geodistrict boundaries fetch lsip2023)" \\
      --points postcodes=onspd:E --out lsip_profile.csv

The cache is GEODISTRICT_CACHE_DIR (or the user cache directory); a set lives in
<cache>/boundaries/<name>/<file>. Downloads resume after a broken connection, and a file whose
SHA-256 differs from the catalogue's is refused (--no-verify accepts it).
"""


def register(subparsers: Any) -> None:
    """Add the ``boundaries`` subcommand with its ``list`` and ``fetch`` actions."""
    p = subparsers.add_parser(
        "boundaries",
        help="the catalogue of official boundary sets: list them, fetch one",
        description=(
            "The official boundary sets geodistrict knows (LEPs 2017-2021, their successors "
            "LSIP areas and combined authorities, local authority districts, ITL regions, "
            "Barcelona, Medellín and Melbourne areas), with their publisher's URL, fields, "
            "vintage and licence."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    sub = p.add_subparsers(dest="boundaries_action", metavar="ACTION")
    lp = sub.add_parser(
        "list",
        help="the catalogue as a table (or JSON)",
        description="One row per boundary set: name, title, vintage, status, crs, licence.",
        formatter_class=Formatter,
    )
    lp.add_argument("--json", action="store_true", help="print the full entries as JSON")
    lp.add_argument("--debug", action="store_true", help="show tracebacks")
    fp = sub.add_parser(
        "fetch",
        help="put a boundary set in the cache and print its path",
        description=(
            "Download a boundary set from its publisher into the cache (or copy it from a "
            "local folder with --from) and print the path of the file."
        ),
        formatter_class=Formatter,
    )
    fp.add_argument("name", metavar="NAME", help="catalogue name, e.g. lep2021")
    fetch_arguments(fp, index="catalogue")
    fp.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run, _boundaries_help=p.format_help)


def _status(entry: Any) -> str:
    text = entry.status
    if entry.successors:
        text += " -> " + ", ".join(entry.successors)
    if entry.derived_from:
        text += f" (derived from {entry.derived_from})"
    return text


def _table(entries: list[Any]) -> str:
    header = ("name", "title", "vintage", "status", "crs", "licence")
    rows = [(e.name, e.title, e.vintage, _status(e), e.crs, e.licence) for e in entries]
    return format_table([header, *rows])


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict boundaries`` (returns the exit status)."""
    from ..io.catalogue import fetch, get_entry, load_catalogue

    action = getattr(args, "boundaries_action", None)
    if action is None:
        print(args._boundaries_help())
        return 0
    if action == "list":
        entries = load_catalogue()
        if args.json:
            print(json.dumps([e.as_dict() for e in entries], indent=2, ensure_ascii=False))
        else:
            print(_table(entries))
            print(
                f"{len(entries)} boundary sets; historic ones name their successors. "
                "Fetch one with: geodistrict boundaries fetch NAME [--from DIR]",
                file=sys.stderr,
            )
        return 0
    entry = get_entry(args.name)
    path = fetch(entry, **fetch_options(args))
    print_fetched(entry, path, args, unpinned="no checksum in the catalogue")
    return 0
