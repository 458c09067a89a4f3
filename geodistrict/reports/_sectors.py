"""The "Innovation sectors" section of a report or card, from a layer of firms with SIC codes.

Given firm points (:func:`geodistrict.io.firms.read_firms`) and one place (a LEP, a local
authority or a district drawn by hand), :func:`innovation_sectors` counts the firms inside the
place by named innovation group, by Eurostat technology/knowledge-intensity group and by SIC
section, with location quotients against every firm of the layer (through
:func:`geodistrict.metrics.specialisation.location_quotients`, the function of the Nomis
section), and says how every firm of the layer was accounted for.
:func:`render_innovation_sectors` turns it into HTML; :func:`insert_section` places it in a
report before its comparables.
"""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import pandas as pd

from ..layers import PointLayer
from ..metrics.specialisation import SPECIALISM_RULE

__all__ = [
    "FIRM_STRENGTH_MIN_COUNT",
    "SECTOR_LEVELS",
    "innovation_sectors",
    "insert_section",
    "render_innovation_sectors",
    "section_json",
]

#: Fewest firms of a place in a sector of strength (firms, not enterprises: a smaller floor
#: than :data:`~geodistrict.metrics.specialisation.SPECIALISM_RULE`'s 100).
FIRM_STRENGTH_MIN_COUNT = 10

#: The tables of the section: (level or grouping, heading).
SECTOR_LEVELS = (
    ("innovation", "Innovation sectors (named groups)"),
    ("eurostat_technology", "Eurostat technology and knowledge-intensity groups"),
    ("section", "SIC 2007 sections"),
)
_SHORT = {
    "innovation": "innovation group",
    "eurostat_technology": "Eurostat group",
    "section": "SIC section",
}


def innovation_sectors(
    firms: PointLayer,
    place: Any,
    *,
    min_lq: float = SPECIALISM_RULE.min_lq,
    min_count: float = FIRM_STRENGTH_MIN_COUNT,
    levels: tuple[tuple[str, str], ...] = SECTOR_LEVELS,
) -> dict[str, Any]:
    """Firm counts and location quotients of one place's sectors, against the firm layer.

    Parameters
    ----------
    firms : PointLayer
        Firms with SIC columns.
    place : Boundaries or GeoDataFrame
        One polygon (the first feature is used when there are several).
    min_lq, min_count : float
        A sector is a strength when its LQ and its count in the place reach these.
    levels : tuple of (level, heading)
        The tables to make.

    Returns
    -------
    dict
        ``tables`` (heading → DataFrame of ``sector``, ``sector_label``, ``count``,
        ``share``, ``lq``), ``strengths`` (sentences), ``accounting`` (sentence and
        numbers), ``reference`` and ``sources``.
    """
    from ..io.firms import firm_accounting
    from ..metrics.firm_sectors import firm_location_quotients

    tables: dict[str, pd.DataFrame] = {}
    strengths: list[str] = []
    acc: dict[str, Any] = {}
    sources: list[dict[str, Any]] = []
    for level, heading in levels:
        lq, fc = firm_location_quotients(firms, place, level=level)
        first = lq["area"].iloc[0]
        t = lq.loc[lq["area"] == first].copy()
        t["share"] = t["count"] / t["area_total"]
        t = t.loc[t["count"] > 0].sort_values(["lq", "count"], ascending=False)
        tables[heading] = t[["sector", "sector_label", "count", "share", "lq"]].reset_index(
            drop=True
        )
        acc = fc.accounting
        if fc.grouping is not None:
            sources.append(
                {k: fc.grouping[k] for k in ("name", "title", "source", "url", "licence")}
            )
        strong = t.loc[(t["lq"] >= min_lq) & (t["count"] >= min_count)]
        for _, r in strong.iterrows():
            strengths.append(
                f"{r['sector_label']} ({_SHORT.get(level, level)}): {int(r['count']):,} "
                f"firms, {r['share']:.1%} of the place's firms, LQ {r['lq']:.2f}."
            )
    fa = firm_accounting(firms)
    reasons = "; ".join(f"{v:,} × {k}" for k, v in fa["reasons"].items())
    sentence = (
        f"{fa['input']:,} rows in {firms.info.source}: {fa['located']:,} located"
        + (
            f", {fa['input'] - fa['located']:,} without a location"
            if fa["input"] > fa["located"]
            else ""
        )
        + f"; {fa['with_section']:,} firms with a SIC 2007 section, {fa['without_section']:,} "
        f"without{' (' + reasons + ')' if reasons else ''}, counted in no sector. "
        f"{acc.get('in_areas', 0):,} firms with a sector lie in this place; location quotients "
        f"compare them with {acc.get('reference', 'all firms of the layer')}."
    )
    if not acc.get("in_areas"):
        sentence += " The firm layer has no firm in this place: it may not cover it."
    return {
        "tables": tables,
        "strengths": strengths,
        "accounting": {"sentence": sentence, **fa, "in_place": acc.get("in_areas", 0)},
        "reference": acc.get("reference"),
        "sources": sources,
        "attribution": firms.info.attribution,
        "parameters": {"min_lq": min_lq, "min_count": min_count},
    }


def _table_html(t: pd.DataFrame, rows: int = 12) -> str:
    head = (
        "<tr><th>Sector</th><th class='num'>Firms</th><th class='num'>Share</th>"
        "<th class='num'>LQ</th></tr>"
    )
    body = []
    for _, r in t.head(rows).iterrows():
        lq = "" if not np.isfinite(r["lq"]) else f"{r['lq']:.2f}"
        body.append(
            f"<tr><td>{escape(str(r['sector']))} {escape(str(r['sector_label']))}</td>"
            f"<td class='num'>{int(r['count']):,}</td><td class='num'>{r['share']:.1%}</td>"
            f"<td class='num'>{lq}</td></tr>"
        )
    more = f"<p class='note'>{len(t) - rows} more sectors in the JSON.</p>" if len(t) > rows else ""
    return f"<table>{head}{''.join(body)}</table>{more}"


def render_innovation_sectors(section: dict[str, Any]) -> str:
    """HTML of the section (a ``<h2 id='innovation-sectors'>`` and its tables)."""
    parts = ["<h2 id='innovation-sectors'>Innovation sectors</h2>"]
    parts.append(f"<p>{escape(section['accounting']['sentence'])}</p>")
    if section["strengths"]:
        items = "".join(f"<li>{escape(s)}</li>" for s in section["strengths"])
        p = section["parameters"]
        parts.append(
            f"<p>Strengths (LQ ≥ {p['min_lq']:g} and at least {p['min_count']:g} firms):</p>"
            f"<ul>{items}</ul>"
        )
    else:
        parts.append("<p>No sector reaches the strength rule in this place.</p>")
    for heading, t in section["tables"].items():
        parts.append(f"<h3>{escape(heading)}</h3>{_table_html(t)}")
    cites = "".join(
        f"<li>{escape(s['title'])}: {escape(s['source'])}"
        + (f" ({escape(s['url'])})" if s.get("url") else "")
        + "</li>"
        for s in section["sources"]
    )
    if cites:
        parts.append(f"<p class='note'>Sector definitions:</p><ul class='note'>{cites}</ul>")
    if section.get("attribution"):
        parts.append(f"<p class='note'>{escape(section['attribution'])}</p>")
    return "".join(parts)


def insert_section(html: str, section_html: str) -> str:
    """Insert a section before the report's comparables (or sources, or at the end)."""
    for anchor in ("<h2 id='comparables'>", "<h2 id='sources'>", "<footer>"):
        i = html.find(anchor)
        if i >= 0:
            return html[:i] + section_html + html[i:]
    return html + section_html


def section_json(section: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready form of :func:`innovation_sectors`' result."""
    return {
        "tables": {k: v.to_dict("records") for k, v in section["tables"].items()},
        "strengths": section["strengths"],
        "accounting": section["accounting"],
        "reference": section["reference"],
        "sources": section["sources"],
    }
