"""``geodistrict card``: the district card of one polygon (JSON or CSV)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]

_EXAMPLE = """\
examples:
  # published figures of 22@Barcelona with the densities derived from them
  geodistrict card 22at-barcelona --out 22at.json

  # a drawn polygon measured with postcodes, universities and Companies House firms
  geodistrict card proposed.geojson --points postcodes=onspd \\
      --points universities=learning-providers-plus.csv \\
      --points firms=BasicCompanyData.csv --by firms=sic_section --out proposed_card.csv

output: JSON with id, name, area_ha, area_km2, crs_measured, indicators {NAME: {value, unit,
source, year, kind, note}}, warnings and parameters; CSV with one row per indicator (id, name,
indicator, value, unit, source, year, kind, note). source is 'computed' or the registry
citation 'publisher, title (year)'. Buffer counts (_800m, _1600m) include the district.
"""


def register(subparsers: Any) -> None:
    """Add the ``card`` subcommand."""
    from ._args import Formatter, points_argument

    p = subparsers.add_parser(
        "card",
        help="district card: area, layers in and around a district, sectors, published figures",
        description=(
            "Measure one district (a shipped slug, a registry slug or a polygon file): area, "
            "counts and densities of point layers inside it, within buffers and in its region, "
            "sector mix, location quotients, knowledge-intensive share, and the figures "
            "published for it with their citations."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    p.add_argument("district", metavar="SLUG|PATH", help="district slug or polygon file")
    points_argument(p)
    p.add_argument(
        "--region",
        metavar="PATH",
        default=None,
        help="the surroundings for location quotients and the density ratio: a polygon file "
        "(default: the district buffered by --region-buffer metres)",
    )
    p.add_argument(
        "--region-buffer", type=float, default=10_000.0, metavar="METRES", help="default region"
    )
    p.add_argument("--buffers", default="800,1600", metavar="METRES,...", help="buffer distances")
    p.add_argument(
        "--no-registry", action="store_true", help="leave out the benchmark registry figures"
    )
    p.add_argument(
        "--firms",
        metavar="PATH",
        default=None,
        help="firms with SIC codes: adds 'innovation_sectors' (counts and LQs against every "
        "firm of the layer) to the JSON card",
    )
    p.add_argument(
        "--sic-column", metavar="COL", default=None, help="with --firms: the SIC code column"
    )
    p.add_argument("--out", required=True, metavar="PATH.json|.csv", help="output file")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run)


def _innovation_sectors(args: argparse.Namespace) -> dict[str, Any] | None:
    """The "innovation sectors" of the district from ``--firms`` (JSON-ready), or None."""
    if not getattr(args, "firms", None):
        return None
    from ..districts.registry import district_boundaries, district_slugs
    from ..errors import ParameterError
    from ..io.firms import read_firms
    from ..io.read import read_boundaries
    from ..reports import innovation_sectors, section_json

    if not args.out.lower().endswith(".json"):
        raise ParameterError("--firms adds a section to the JSON card: write --out PATH.json.")
    s = str(args.district)
    if Path(s).exists():
        place = read_boundaries(s)
    elif s in district_slugs():
        place = district_boundaries([s])
    else:
        raise ParameterError(
            f"--firms needs the district's polygon: {s} is not a shipped district or a file."
        )
    firms = read_firms(args.firms, sic_column=args.sic_column)
    return section_json(innovation_sectors(firms, place))


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict card`` (returns the exit status)."""
    from ..districts import district_card
    from ..io.read import read_boundaries
    from ._args import check_out, parse_buffers, parse_by, read_layers
    from ._output import print_warnings, write_card_document

    check_out(args.out, (".json", ".csv"), "--out")
    layers = read_layers(args.points)
    card = district_card(
        args.district,
        layers=layers,
        buffers_m=parse_buffers(args.buffers),
        region=read_boundaries(args.region) if args.region else None,
        region_buffer_m=args.region_buffer,
        by_sector=parse_by(args.by, layers),
        registry=not args.no_registry,
    )
    sectors = _innovation_sectors(args)
    extra = {"innovation_sectors": sectors} if sectors is not None else None
    write_card_document(card, args.out, extra)
    print_warnings(card.warnings)
    area = f"{card.area_ha:,.1f} ha" if card.area_ha is not None else "no area"
    print(
        f"{card.id}: {area}, {len(card.indicators)} indicators; wrote {args.out}", file=sys.stderr
    )
    return 0
