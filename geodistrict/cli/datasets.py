"""``geodistrict datasets``: the named datasets (bundled and fetched): list, info, path, fetch."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register", "run"]

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
    from . import _Formatter

    p = subparsers.add_parser(
        "datasets",
        help="the named datasets (bundled and fetched): list, info, path, fetch",
        description=(
            "Every dataset geodistrict knows by name: the official boundary sets, the "
            "learning-providers list, Nomis tables and lookups that ship in the package, and "
            "larger or newer sets fetched on demand, each with its licence and attribution."
        ),
        epilog=_EXAMPLE,
        formatter_class=_Formatter,
    )
    sub = p.add_subparsers(dest="datasets_action", metavar="ACTION")
    lp = sub.add_parser("list", help="one row per dataset", formatter_class=_Formatter)
    lp.add_argument("--kind", choices=("bundled", "fetched"), default=None, help="only these")
    lp.add_argument("--json", action="store_true", help="print the full entries as JSON")
    ip = sub.add_parser("info", help="a dataset's entry: licence, attribution, source, checksum")
    ip.add_argument("name", metavar="NAME")
    ip.add_argument("--json", action="store_true", help="print the entry as JSON")
    pp = sub.add_parser("path", help="print the local file of a dataset (fetching it if needed)")
    pp.add_argument("name", metavar="NAME")
    fp = sub.add_parser("fetch", help="make a dataset available locally and print its path")
    fp.add_argument("name", metavar="NAME")
    fp.add_argument("--from", dest="from_dir", metavar="DIR", default=None,
                    help="copy the file from this folder (and its subfolders)")  # fmt: skip
    fp.add_argument("--cache", metavar="DIR", default=None,
                    help="cache root (default: GEODISTRICT_CACHE_DIR, user cache)")  # fmt: skip
    fp.add_argument("--no-verify", action="store_true",
                    help="accept a file whose SHA-256 differs from the registry's")  # fmt: skip
    fp.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS")
    fp.add_argument("--retries", type=int, default=3, metavar="N")
    for q in (lp, ip, pp, fp):
        q.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run, _datasets_help=p.format_help)


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB"


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict datasets`` (returns the exit status)."""
    from ..io import datasets as ds

    action = getattr(args, "datasets_action", None)
    if action is None:
        print(args._datasets_help())
        return 0
    if action == "list":
        items = ds.list_datasets(args.kind)
        if args.json:
            print(json.dumps([d.as_dict() for d in items], indent=2, ensure_ascii=False))
            return 0
        rows = [("name", "kind", "vintage", "size", "licence", "title")]
        rows += [(d.name, d.kind, d.vintage, _size(d.size), d.licence, d.title) for d in items]
        print(_table(rows))
        print(
            f"{len(items)} datasets. A name goes wherever a path goes (--boundaries lep2021); "
            "details: geodistrict datasets info NAME",
            file=sys.stderr,
        )
        return 0
    if action == "info":
        info = ds.info(args.name)
        if args.json:
            print(json.dumps(info, indent=2, ensure_ascii=False))
            return 0
        keys = ["name", "title", "publisher", "kind", "vintage", "licence", "attribution",
                "url", "page", "file", "format", "sha256", "size", "pinned", "path",
                "note"]  # fmt: skip
        for k in keys:
            v = info.get(k)
            if v is None and k in ("page", "note"):
                continue
            if k == "sha256" and v is None:
                v = "none (unpinned: the publisher re-issues this file in place)"
            if k == "path" and v is None:
                v = f"not fetched (geodistrict datasets fetch {info['name']})"
            print(f"{k + ':':13}{v}")
        return 0
    if action == "path":
        print(ds.path(args.name))
        return 0
    d = ds.get(args.name)
    path = ds.fetch(
        d.name,
        from_dir=args.from_dir,
        cache=args.cache,
        timeout=args.timeout,
        retries=args.retries,
        verify=not args.no_verify,
    )
    if not d.sha256:
        checked = "unpinned: no checksum"
    elif args.no_verify:
        checked = "checksum not verified: --no-verify"
    else:
        checked = "sha256 verified"
    print(f"{d.name}: {d.title} ({checked}); cite: {d.attribution}", file=sys.stderr)
    print(path)
    return 0
