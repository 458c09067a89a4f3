"""``geodistrict datasets``: the named datasets (bundled and fetched): list, info, path, fetch."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ._args import Formatter, fetch_arguments, fetch_options
from ._output import format_table, print_fetched

__all__ = ["register", "run", "format_info"]

_EXAMPLE = """\
examples:
  geodistrict datasets list
  geodistrict datasets info ubc-industry-2022
  geodistrict datasets path lep2021
  # a fetched set: downloaded into the user cache, or copied from a folder when offline
  geodistrict datasets fetch melbourne-clue-jobs
  geodistrict datasets fetch barcelona_barris --from ~/Downloads
  # a name goes wherever a path goes
  geodistrict report --all --boundaries lep2021 --universities learning-providers \\
      --business-counts ubc-industry-2022 --out reports/ --no-pdf

bundled sets ship inside the package (their SHA-256 is checked before use); fetched sets go
to the user cache directory (GEODISTRICT_CACHE_DIR overrides it). Offline, copy the file into
a folder and pass --from DIR, or set GEODISTRICT_DATA_DIR to that folder.
"""


def register(subparsers: Any) -> None:
    """Add the ``datasets`` subcommand with its ``list``, ``info``, ``path``, ``fetch`` actions."""
    p = subparsers.add_parser(
        "datasets",
        help="the named datasets (bundled and fetched): list, info, path, fetch",
        description=(
            "Every dataset geodistrict knows by name: the official boundary sets, the "
            "learning-providers list, Nomis tables and lookups that ship in the package, and "
            "larger or newer sets fetched on demand, each with its licence and attribution."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    sub = p.add_subparsers(dest="datasets_action", metavar="ACTION")
    lp = sub.add_parser("list", help="one row per dataset", formatter_class=Formatter)
    lp.add_argument("--kind", choices=("bundled", "fetched"), default=None, help="only these")
    lp.add_argument("--json", action="store_true", help="print the full entries as JSON")
    ip = sub.add_parser(
        "info",
        help="a dataset's entry: licence, attribution, source, checksum",
        formatter_class=Formatter,
    )
    ip.add_argument("name", metavar="NAME")
    ip.add_argument("--json", action="store_true", help="print the entry as JSON")
    pp = sub.add_parser(
        "path",
        help="print the local file of a dataset (fetching it if needed)",
        formatter_class=Formatter,
    )
    pp.add_argument("name", metavar="NAME")
    fp = sub.add_parser(
        "fetch",
        help="make a dataset available locally and print its path",
        formatter_class=Formatter,
    )
    fp.add_argument("name", metavar="NAME")
    fetch_arguments(fp, index="registry")
    for q in (lp, ip, pp, fp):
        q.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run, _datasets_help=p.format_help)


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB"


def _list(args: argparse.Namespace) -> int:
    """``datasets list``: one row per dataset (or JSON)."""
    from ..io import datasets as ds

    items = ds.list_datasets(args.kind)
    if args.json:
        print(json.dumps([d.as_dict() for d in items], indent=2, ensure_ascii=False))
        return 0
    rows = [("name", "kind", "vintage", "size", "licence", "title")]
    rows += [(d.name, d.kind, d.vintage, _size(d.size), d.licence, d.title) for d in items]
    print(format_table(rows))
    print(
        f"{len(items)} datasets. A name goes wherever a path goes (--boundaries lep2021); "
        "details: geodistrict datasets info NAME",
        file=sys.stderr,
    )
    return 0


#: Entries of ``datasets info``, in order.
_INFO_KEYS = ["name", "title", "publisher", "kind", "vintage", "licence", "attribution",
              "url", "page", "file", "format", "sha256", "size", "pinned", "path",
              "note"]  # fmt: skip


def format_info(info: dict[str, Any]) -> str:
    """A dataset's entry as aligned ``key: value`` lines (what a missing checksum or file means).

    Examples
    --------
    >>> print(format_info({"name": "x", "sha256": None, "path": None}))  # doctest: +ELLIPSIS
    name:        x
    ...
    sha256:      none (unpinned: the publisher re-issues this file in place)
    ...
    path:        not fetched (geodistrict datasets fetch x)
    """
    lines = []
    for k in _INFO_KEYS:
        v = info.get(k)
        if v is None and k in ("page", "note"):
            continue
        if k == "sha256" and v is None:
            v = "none (unpinned: the publisher re-issues this file in place)"
        if k == "path" and v is None:
            v = f"not fetched (geodistrict datasets fetch {info['name']})"
        lines.append(f"{k + ':':13}{v}")
    return "\n".join(lines)


def _info(args: argparse.Namespace) -> int:
    """``datasets info NAME``: the entry of one dataset."""
    from ..io import datasets as ds

    info = ds.info(args.name)
    print(json.dumps(info, indent=2, ensure_ascii=False) if args.json else format_info(info))
    return 0


def _path(args: argparse.Namespace) -> int:
    """``datasets path NAME``: the local file (fetched if needed)."""
    from ..io import datasets as ds

    print(ds.path(args.name))
    return 0


def _fetch(args: argparse.Namespace) -> int:
    """``datasets fetch NAME``: fetch or copy the file, print its path."""
    from ..io import datasets as ds

    d = ds.get(args.name)
    path = ds.fetch(d.name, **fetch_options(args))
    print_fetched(d, path, args, unpinned="unpinned: no checksum")
    return 0


#: ``datasets ACTION`` → the function that runs it.
_ACTIONS = {"list": _list, "info": _info, "path": _path, "fetch": _fetch}


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict datasets`` (returns the exit status)."""
    action = getattr(args, "datasets_action", None)
    if action is None:
        print(args._datasets_help())
        return 0
    return _ACTIONS[action](args)
