"""``geodistrict inspect``: what geodistrict sees in a file before you use it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._args import Formatter

__all__ = ["register", "run", "format_info"]

#: Entries of the description printed as a bulleted list.
_LISTS = ("fields", "invalid_features", "notes")


def register(subparsers: Any) -> None:
    """Add the ``inspect`` subcommand."""
    i = subparsers.add_parser(
        "inspect",
        help="describe a file: CRS, bounds, features, geometry problems, detected fields",
        description="Print what geodistrict sees in a file before you use it.",
        epilog="example:\n  geodistrict inspect LAD_May_2024_EN_BUC.geojson\n"
        "  geodistrict inspect learning-providers-plus.csv --json",
        formatter_class=Formatter,
    )
    i.add_argument("file", metavar="FILE", help="vector file or CSV/XLSX table")
    i.add_argument("--layer", default=None, help="layer of a multi-layer file")
    i.add_argument("--json", action="store_true", help="print JSON instead of text")
    i.add_argument("--debug", action="store_true", help="show tracebacks")
    i.set_defaults(_run=run)


def format_info(info: dict[str, Any]) -> str:
    """The description of a file as text: ``key: value`` lines, lists as bullets.

    Examples
    --------
    >>> print(format_info({"crs": "EPSG:27700", "notes": ["no id field"]}))
    crs: EPSG:27700
    notes:
      - no id field
    """
    lines = []
    for k, v in info.items():
        if isinstance(v, list) and v and k in _LISTS:
            lines.append(f"{k}:")
            lines += [f"  - {item}" for item in v]
        else:
            lines.append(f"{k}: {v}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict inspect`` (returns the exit status)."""
    from ..io.inspect import describe

    info = describe(args.file, layer=args.layer)
    if args.json:
        print(json.dumps(info, indent=2, default=str))
    else:
        print(format_info(info))
    return 0
