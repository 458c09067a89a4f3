"""``geodistrict sector-clusters``: where one sector group clusters among firms; co-location."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._args import Formatter, points_spec
from ._output import command_line

__all__ = ["register", "run"]

_EXAMPLE = """\
examples:
  # manufacturing firms over-represented among firms, 1 km cells, FDR 5 %, with outlines
  geodistrict sector-clusters --points firms=firms.csv --group section=C --cell 1000 \\
      --out manufacturing_cells.gpkg --outlines manufacturing_outlines.gpkg --report m.json

  # knowledge-intensive services near universities (cross-K), and DBSCAN outlines of the group
  geodistrict sector-clusters --points firms=firms.csv --group eurostat_kis=kis \\
      --with universities=learning-providers-plus.csv --eps 1500 --min-points 8 \\
      --out kis_cells.gpkg --report kis.json

  # co-location of two groups of firms (co-location quotient A -> B)
  geodistrict sector-clusters --points firms=firms.csv --group innovation=digital \\
      --with innovation=creative --out digital_cells.gpkg --report digital_creative.json

--group LEVEL=CODE[,CODE...]: LEVEL is section, division, group, class, subclass or a grouping
(eurostat_technology, eurostat_kis, dcms_digital, innovation ... or one from --groups FILE).
Every test's null shuffles sector labels among the firms' own locations (random labelling):
the cells are tested against the group's share of all firms, not against firm density.
Cells (CSV/GPKG): cell_id, row, col, firms, group, window_firms, window_group, expected,
ratio, p, hot. The report states the group, the accounting of the firms and every test.
"""


def register(subparsers: Any) -> None:
    """Add the ``sector-clusters`` subcommand."""
    p = subparsers.add_parser(
        "sector-clusters",
        help="hot spots, outlines and co-location of one sector group of firms",
        description=(
            "Cells where a sector group is over-represented among firms (hypergeometric test "
            "of each 3x3 window, Benjamini-Hochberg), their outlines, optional DBSCAN outlines "
            "of the group, and its co-location with another group (co-location quotient) or "
            "with fixed points such as universities (cross-K), each with a random-labelling "
            "null."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    p.add_argument("--points", required=True, metavar="NAME=PATH", help="the firms")
    p.add_argument("--sic-column", metavar="COL", default=None, help="the SIC code column")
    p.add_argument("--group", required=True, metavar="LEVEL=CODE[,CODE]", help="the group")
    p.add_argument("--groups", metavar="FILE.yaml", default=None, help="more groupings (YAML)")
    p.add_argument("--cell", type=float, default=1000, metavar="METRES", help="cell side")
    p.add_argument("--fdr", type=float, default=0.05, help="false discovery rate of the cells")
    p.add_argument("--eps", type=float, default=None, metavar="METRES", help="DBSCAN radius")
    p.add_argument("--min-points", type=int, default=8, help="DBSCAN core size")
    p.add_argument(
        "--with",
        dest="with_",
        metavar="LEVEL=CODE|NAME=PATH",
        default=None,
        help="a second group of firms (co-location quotient) or a point file (cross-K)",
    )
    p.add_argument(
        "--distances",
        default="500,1000,2000,3000,5000",
        metavar="METRES,...",
        help="cross-K distances",
    )
    p.add_argument("--permutations", type=int, default=999, help="random relabellings")
    p.add_argument("--seed", type=int, default=0, help="seed of the permutations")
    p.add_argument("--out", required=True, metavar="PATH", help="cells (.gpkg/.csv/.parquet)")
    p.add_argument("--outlines", metavar="PATH", default=None, help="hot-cell outlines")
    p.add_argument("--report", metavar="PATH.json", default=None, help="JSON report")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run)


def _group(firms: Any, spec: str, groupings: Any, option: str) -> tuple[Any, str]:
    from ..errors import ParameterError
    from ..metrics.firm_sectors import sector_column

    if "=" not in spec:
        raise ParameterError(f"{option} {spec!r}: write it as LEVEL=CODE, e.g. section=C.")
    level, codes = (t.strip() for t in spec.split("=", 1))
    wanted = [c.strip() for c in codes.split(",") if c.strip()]
    sector, labels, _ = sector_column(firms, level, groupings)
    unknown = [c for c in wanted if c not in labels]
    if unknown:
        shown = ", ".join(list(labels)[:30])
        raise ParameterError(f"{option} {spec!r}: {unknown} are not codes of {level} ({shown}).")
    mask = sector.isin(wanted).to_numpy(dtype=bool)
    names = "; ".join(f"{c} {labels[c]}" for c in wanted)
    return mask, f"{level}: {names}"


def _dbscan(args: argparse.Namespace, firms: Any, mask: Any) -> dict[str, Any]:
    """DBSCAN outlines of the group's own firms (``--eps``): their report entry."""
    from ..clusters import dbscan_outlines
    from ..clusters.sectors import group_layer

    db = dbscan_outlines(group_layer(firms, mask), eps_m=args.eps, min_points=args.min_points)
    return {
        "eps_m": args.eps,
        "min_points": args.min_points,
        "clusters": int(len(db.outlines)),
        "note": "DBSCAN outlines the group's own crowding; it has no random-labelling null",
    }


def _cross_k(args: argparse.Namespace, firms: Any, mask: Any, key: str, path: str) -> Any:
    """Cross-K of the group with the points of ``path`` (``--with NAME=PATH``)."""
    from ..clusters.sectors import cross_k_targets
    from ..io.read import read_points

    targets = read_points(path, name=key)
    distances = [float(d) for d in args.distances.split(",") if d.strip()]
    ck = cross_k_targets(
        firms, mask, targets, distances_m=distances, permutations=args.permutations, seed=args.seed
    )
    return {
        "targets": f"{key} ({path}, {ck.n_targets} points)",
        "p": ck.p,
        "table": ck.table.to_dict("records"),
        **ck.parameters,
    }


def _colocation(
    args: argparse.Namespace, firms: Any, mask: Any, groupings: Any, described: str
) -> dict[str, Any]:
    """Co-location quotient of the group with a second group (``--with LEVEL=CODE``)."""
    from ..clusters.sectors import colocation_quotient

    other, other_described = _group(firms, args.with_, groupings, "--with")
    cq = colocation_quotient(firms, mask, other, permutations=args.permutations, seed=args.seed)
    return {
        "a": described,
        "b": other_described,
        "clq": cq.clq,
        "p": cq.p,
        "n_a": cq.n_a,
        "n_b": cq.n_b,
        **cq.parameters,
    }


def _with(
    args: argparse.Namespace, firms: Any, mask: Any, groupings: Any, described: str
) -> dict[str, Any]:
    """The ``--with`` entry of the report: ``cross_k`` for a point file, else ``colocation``."""
    from pathlib import Path

    spec = args.with_
    key, value = (t.strip() for t in spec.split("=", 1)) if "=" in spec else (spec, "")
    if value and Path(value).exists():
        return {"cross_k": _cross_k(args, firms, mask, key, value)}
    return {"colocation": _colocation(args, firms, mask, groupings, described)}


def _summary(report: dict[str, Any], n_firms: int, fdr: float) -> str:
    """The one line printed on stderr."""
    extra = ""
    if "cross_k" in report:
        extra = f"; cross-K with {report['cross_k']['targets']}: p = {report['cross_k']['p']:.3g}"
    if "colocation" in report:
        c = report["colocation"]
        extra = f"; CLQ -> {c['b']}: {c['clq']:.3f}, p = {c['p']:.3g}"
    return (
        f"sector-clusters: {report['group_firms']:,} of {n_firms:,} firms with a sector in "
        f"{report['group']}; {report['hotspots']['hot_cells']} hot cells of "
        f"{report['hotspots']['tested']} tested (FDR {fdr:g}), "
        f"{report['hotspots']['outlines']} outlines{extra}"
    )


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    import numpy as np

    from ..clusters.sectors import group_layer, sector_hotspots
    from ..errors import ParameterError
    from ..io.firms import firm_accounting, read_firms
    from ..io.write import write_json, write_table
    from ..provenance import provenance_block
    from ..sectors import load_groupings

    name, path = points_spec(args.points)
    groupings = load_groupings(args.groups)
    layer = read_firms(path, name=name, sic_column=args.sic_column)
    accounting = firm_accounting(layer)
    firms = group_layer(layer, layer.attributes["sic_section"].notna().to_numpy())
    mask, described = _group(firms, args.group, groupings, "--group")
    if not mask.any():
        raise ParameterError(f"--group {args.group}: no firm of {path} is in this group.")
    hs = sector_hotspots(firms, mask, cell_m=args.cell, alpha=args.fdr)
    report: dict[str, Any] = {
        "group": described,
        "accounting": accounting,
        "firms_with_sector": int(len(firms)),
        "group_firms": int(mask.sum()),
        "hotspots": {
            **hs.parameters,
            "cells": int(len(hs.grid)),
            "tested": int(np.isfinite(hs.grid["p"]).sum()),
            "hot_cells": int(hs.grid["hot"].sum()),
            "outlines": int(len(hs.outlines)),
            "p_threshold": hs.p_threshold,
        },
    }
    if args.eps is not None:
        report["dbscan"] = _dbscan(args, firms, mask)
    if args.with_:
        report |= _with(args, firms, mask, groupings, described)
    provenance = provenance_block(layers=[layer], command=command_line())
    # this command's own keys since it was written: the file read and its attribution
    provenance |= {"source": str(path), "attribution": layer.info.attribution}
    report["provenance"] = provenance
    write_table(hs.grid, args.out, provenance=provenance)
    if args.outlines:
        write_table(hs.outlines, args.outlines, provenance=provenance)
    if args.report:
        write_json(args.report, report)
    print(_summary(report, len(firms), args.fdr), file=sys.stderr)
    return 0
