"""``geodistrict compare``: district cards side by side (CSV, Markdown or HTML) and a chart."""

from __future__ import annotations

import argparse
import html
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]

_EXAMPLE = """\
examples:
  # published densities of three districts, Manchester as the baseline, with a chart
  geodistrict compare 22at-barcelona manchester-oxford-road medellin-innovation-district \\
      --baseline manchester-oxford-road --out districts.md --chart districts.png

  # drawn polygons measured with the same layers
  geodistrict compare a.geojson b.geojson --points postcodes=onspd --out ab.csv

output: one row per district with id, name, area_km2, area_ha, every indicator of its card,
..._per_km2 and ..._per_ha densities, <density>_rank (1 = densest) and, with --baseline,
<density>_vs_baseline. Markdown and HTML add the sources below the table.
"""


def register(subparsers: Any) -> None:
    """Add the ``compare`` subcommand."""
    from ._args import Formatter, points_argument

    p = subparsers.add_parser(
        "compare",
        help="compare district cards: densities per km² and ha, ranks, ratio to a baseline",
        description=(
            "Compute the card of each district (slug or polygon file) with the same layers and "
            "lay them side by side, one row per district."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    p.add_argument("districts", nargs="+", metavar="SLUG|PATH", help="districts to compare")
    points_argument(p)
    p.add_argument(
        "--baseline",
        metavar="SLUG|PATH",
        default=None,
        help="district the others are divided by (added to the table if not listed)",
    )
    p.add_argument("--buffers", default="800,1600", metavar="METRES,...", help="buffer distances")
    p.add_argument(
        "--no-registry", action="store_true", help="leave out the benchmark registry figures"
    )
    p.add_argument("--out", required=True, metavar="PATH.csv|.md|.html", help="output table")
    p.add_argument(
        "--chart", metavar="PATH.png|.svg", default=None, help="bar chart of densities per km²"
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run)


def _cell(v: Any) -> str:
    import pandas as pd

    if v is None or v is pd.NA or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def _sources(table: Any) -> list[str]:
    srcs = table.attrs.get("sources", {})
    cited = dict.fromkeys(s for v in srcs.values() for s in v)
    return [
        "computed: by geodistrict from the layers and polygons" if s == "computed" else s
        for s in cited
    ]


def _markdown(table: Any) -> str:
    head = [str(c) for c in table.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in table.itertuples(index=False):
        cells = [_cell(v).replace("|", "\\|") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Sources:", ""] + [f"- {s}" for s in _sources(table)]
    return "\n".join(lines) + "\n"


def _html(table: Any) -> str:
    items = "".join(f"<li>{html.escape(s)}</li>" for s in _sources(table))
    return table.to_html(index=False, na_rep="") + f"\n<p>Sources:</p>\n<ul>{items}</ul>\n"


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict compare`` (returns the exit status)."""
    from ..districts import compare_cards, compare_chart, district_card
    from ._args import check_out, parse_buffers, parse_by, read_layers
    from ._output import print_warnings

    check_out(args.out, (".csv", ".md", ".html"), "--out")
    check_out(args.chart, (".png", ".svg"), "--chart")
    specs = list(dict.fromkeys(args.districts))
    if args.baseline and args.baseline not in specs:
        specs.append(args.baseline)
    layers = read_layers(args.points)
    by = parse_by(args.by, layers)
    buffers = parse_buffers(args.buffers)
    cards = [
        district_card(s, layers=layers, buffers_m=buffers, by_sector=by,
                      registry=not args.no_registry)
        for s in specs
    ]  # fmt: skip
    ids = [c.id for c in cards]
    if len(set(ids)) < len(ids):  # e.g. single-feature files numbered "1": name them by spec
        cards = [replace(c, id=s) for c, s in zip(cards, specs, strict=True)]
    baseline = cards[specs.index(args.baseline)] if args.baseline else None
    table = compare_cards(cards, baseline=baseline)
    out = Path(args.out)
    if out.suffix.lower() == ".csv":
        from ..io.write import csv_safe

        csv_safe(table).to_csv(out, index=False)
    elif out.suffix.lower() == ".md":
        out.write_text(_markdown(table), encoding="utf-8")
    else:
        out.write_text(_html(table), encoding="utf-8")
    if args.chart:
        compare_chart(table, args.chart)
    for c in cards:
        print_warnings(c.warnings)
    written = ", ".join(p for p in (args.out, args.chart) if p)
    print(f"{len(cards)} districts compared; wrote {written}", file=sys.stderr)
    return 0
