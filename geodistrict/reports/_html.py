"""Self-contained HTML of a report and of the index page (inline CSS, images as data URIs).

Nothing here computes: every figure comes from the :class:`PlaceReport`; the page loads
nothing from the network, so it opens offline and prints the same in any browser.
"""

from __future__ import annotations

import base64
import datetime as _dt
import math
from collections.abc import Sequence
from html import escape
from typing import Any

import pandas as pd

from .._version import __version__
from ._place import PlaceReport
from ._wording import fmt_area_km2, fmt_int, fmt_num, fmt_ratio

__all__ = ["render_report", "render_index", "insert_context_map", "CSS"]

CSS = """
@page { size: A4; margin: 14mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; font-size: 10.5pt;
       color: #1a1a1a; max-width: 190mm; margin: 0 auto; padding: 8px; line-height: 1.35; }
h1 { font-size: 19pt; margin: 0 0 2px 0; color: #0b3d5c; }
h2 { font-size: 13pt; color: #0b3d5c; border-bottom: 1.5px solid #0b3d5c; padding-bottom: 2px;
     margin-top: 18px; break-after: avoid; }
h3 { font-size: 11pt; margin: 10px 0 4px 0; break-after: avoid; }
p { margin: 4px 0 6px 0; }
.sub { color: #555; font-size: 9pt; margin-bottom: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; margin: 4px 0 8px 0; }
th, td { border-bottom: 1px solid #ddd; padding: 2px 4px; text-align: left; vertical-align: top; }
td.w { overflow-wrap: anywhere; }
th { background: #eef3f7; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.n { text-align: right; }
tr { break-inside: avoid; }
.rule { background: #f6f6f0; border-left: 3px solid #b2182b; padding: 4px 8px; font-size: 9pt; }
.missing { color: #8a5a00; font-style: italic; }
figure { margin: 6px 0; break-inside: avoid; }
figure img { width: 170mm; max-width: 100%; display: block; }
figcaption { font-size: 8.5pt; color: #444; margin-top: 2px; }
.small { font-size: 8pt; color: #444; }
.spec { color: #b2182b; font-weight: bold; }
footer { margin-top: 16px; font-size: 8pt; color: #555; border-top: 1px solid #ccc; }
"""


#: Columns whose cells may break anywhere (file paths, long notes), by table id.
_WRAP = {"sources": {1, 4}, "card": {5}}


def _img(image: bytes, alt: str, gid: str) -> str:
    kind = "png" if image[:8] == b"\x89PNG\r\n\x1a\n" else "svg+xml"
    data = base64.b64encode(image).decode("ascii")
    return f'<img id="{gid}" alt="{escape(alt)}" src="data:image/{kind};base64,{data}">'


def _p(sentences: Sequence[str], cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return "".join(f"<p{c}>{escape(s)}</p>" for s in sentences)


def _missing(text: str) -> str:
    return f'<p class="missing">Not available: {escape(text)}</p>'


def _table(head: Sequence[tuple[str, bool]], rows: Sequence[Sequence[Any]], tid: str = "") -> str:
    idattr = f' id="{tid}"' if tid else ""
    wrap = _WRAP.get(tid, set())
    th = "".join(f'<th class="n">{escape(h)}</th>' if n else f"<th>{escape(h)}</th>"
                 for h, n in head)  # fmt: skip
    body = []
    for r in rows:
        tds = "".join(
            f'<td class="{"n" if n else "w" if j in wrap else ""}">{escape(str(v))}</td>'
            for j, (v, (_, n)) in enumerate(zip(r, head, strict=True))
        )
        body.append(f"<tr>{tds}</tr>")
    return f"<table{idattr}><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _val(v: Any, unit: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if unit == "km²":
        return fmt_area_km2(float(v))
    return fmt_int(v)


def _card(rep: PlaceReport, reference: str | None) -> str:
    ref = reference or "reference"
    rows = []
    for r in rep.card:
        ratio = r["ratio"]
        if r["key"] == "area":
            if ratio is None:
                ratio_s = "–"
            else:  # a drawn district is a tiny share of England: keep two significant figures
                share = f"{ratio:.1%}" if ratio >= 0.001 else f"{ratio * 100:.2g}%"
                ratio_s = f"{share} of {ref}"
        else:
            ratio_s = fmt_ratio(ratio)
        rows.append(
            [
                r["indicator"],
                _val(r["value"], r["unit"]),
                fmt_num(r["per_km2"]),
                fmt_num(r["reference_per_km2"]),
                ratio_s,
                f"{r['source']}" + (f" — {r['note']}" if r.get("note") else ""),
            ]
        )
    head = [
        ("Indicator", False),
        ("Value", True),
        ("Per km²", True),
        (f"{ref} per km²", True),
        (f"Ratio to {ref}", True),
        ("Source and note", False),
    ]
    note = ""
    basis = (rep.reference or {}).get("basis")
    if basis:
        note += f"<p class='small gd-reference'>{escape(str(basis))}</p>"
    if not reference or not any(r["ratio"] is not None for r in rep.card):
        why = (
            "No national reference area is known (give LAD polygons: --zones or --reference-zones)"
            if reference
            else "No national reference applies (a Nomis table with a country row, "
            "--business-counts, or the ONS Postcode Directory names one for UK places)"
        )
        note += f"<p class='small'>{escape(why)}, so no ratios are shown.</p>"
    return _table(head, rows, "card") + note


def _universities(rep: PlaceReport) -> str:
    u = rep.universities
    row = next((r for r in rep.card if r["key"] == "universities"), None)
    if row is None:
        return "<p>No universities layer was given (--universities).</p>"
    if row["value"] is None:
        return f"<p class='missing'>Not available: {escape(row['note'])}.</p>"
    if u is None or u.empty:
        return "<p>No higher-education provider has its head office inside the boundary.</p>"
    groups: dict[str, int] = {}
    for g in u["groups"]:
        for part in [p.strip() for p in str(g).split(",") if p.strip()]:
            groups[part] = groups.get(part, 0) + 1
    gs = ", ".join(f"{k}: {v}" for k, v in sorted(groups.items())) or "none recorded"
    rows = [[r["name"], r["ukprn"], r["groups"] or "–"] for _, r in u.iterrows()]
    return (
        f"<p>{len(u)} higher-education providers have their head office inside the boundary "
        f"(mission groups: {escape(gs)}). A provider's campuses elsewhere are not counted.</p>"
        + _table([("Provider", False), ("UKPRN", True), ("Groups", False)], rows, "universities")
    )


def _specialisation(rep: PlaceReport, chart: bytes | None) -> str:
    s = rep.specialisation
    if "missing" in s:
        return _missing(s["missing"])
    t = s["table"]
    out = [f'<div class="rule">{escape(s["rule"])}</div>', _p(s["sentences"])]
    if chart is not None:
        out.append(
            f"<figure>{_img(chart, 'Location quotients by sector', 'lq-chart')}"
            f"<figcaption>Location quotients of enterprises by SIC 2007 section, "
            f"{escape(str(s['year']))}, against {escape(s['reference'])}. Source: "
            f"{escape(s['title'])}.</figcaption></figure>"
        )
    rows = []
    for _, r in t.iterrows():
        share = r["count"] / r["area_total"] if r["area_total"] else math.nan
        ref_share = (
            r["reference_count"] / r["reference_total"] if r["reference_total"] else math.nan
        )
        status = "specialism" if r["specialism"] else ""
        rows.append(
            [
                r["sector"],
                str(r["sector_label"]).split(" : ", 1)[-1],
                fmt_int(r["count"]),
                "–" if pd.isna(share) else f"{share:.1%}",
                "–" if pd.isna(ref_share) else f"{ref_share:.1%}",
                "–" if pd.isna(r["lq"]) else f"{r['lq']:.3f}",
                status,
            ]
        )
    out.append(
        _table(
            [
                ("Section", False),
                ("Sector", False),
                ("Enterprises", True),
                ("Share", True),
                (f"{s['reference']} share", True),
                ("LQ", True),
                ("", False),
            ],
            rows,
            "lq-table",
        )
    )
    out.append(
        f'<p class="small">Krugman index {s["krugman"]:.3f}; Herfindahl–Hirschman index '
        f"{s['hhi']:.4f}; Shannon diversity {s['shannon']:.3f}. LQ = (count / place total) / "
        f"(reference count / reference total), as <code>geodistrict specialisation</code> "
        f"computes it; suppressed counts stay empty, never zero.</p>"
    )
    return "".join(out)


def _hotspots(rep: PlaceReport, map_image: bytes | None, map_record: dict | None) -> str:
    h = rep.hotspots
    if "missing" in h:
        out = [_missing(h["missing"])]
        if map_image is not None:
            cap = "The place and any universities' head offices. " + (map_record or {}).get(
                "scale", ""
            )
            out.append(
                f"<figure>{_img(map_image, 'Map of the place', 'hotspot-map')}"
                f"<figcaption>{escape(cap)}</figcaption></figure>"
            )
        return "".join(out)
    out = [_p(h["sentences"])]
    if map_image is not None:
        cap = (
            f"Gi* hot (red) and cold (blue) cells of {h['cell_m']:,.0f} m, cluster outlines "
            "(dashed) and universities' head offices. " + (map_record or {}).get("scale", "")
        )
        out.append(
            f"<figure>{_img(map_image, 'Map of hot spots and cluster outlines', 'hotspot-map')}"
            f"<figcaption>{escape(cap)}</figcaption></figure>"
        )
    if h["outlines"]:
        rows = [
            [
                o["outline"],
                fmt_area_km2(o["area_km2"]),
                o["cells"],
                fmt_int(o["points"]),
                f"{o['share']:.1%}",
                ", ".join(o["universities"]) or "–",
            ]
            for o in h["outlines"][:10]
        ]
        more = len(h["outlines"]) - 10
        out.append(
            _table(
                [
                    ("Cluster", True),
                    ("Area", True),
                    ("Cells", True),
                    (h["layer"].capitalize(), True),
                    ("Share", True),
                    ("Universities inside", False),
                ],
                rows,
                "outlines",
            )
        )
        if more > 0:
            out.append(f'<p class="small">{more} smaller outlines not listed.</p>')
    out.append(
        f'<p class="small">Weights: {escape(str(h.get("weights")))}. Tested value: distinct '
        "postcode locations per cell (stacked PO-box postcodes on one centroid count once).</p>"
    )
    return "".join(out)


def _comparables(rep: PlaceReport) -> str:
    c = rep.comparables
    if "missing" in c:
        out = [_missing(c["missing"])]
    else:
        out = [_p(c["sentences"])]
        rows = [
            [
                "leading cluster of " + rep.name,
                fmt_int(c["cluster"]["area_ha"]),
                fmt_int(c["cluster"]["per_km2"]),
                fmt_int(c["cluster"]["universities"]),
                "–",
                "–",
            ]
        ]
        for _, r in c["nearest"].iterrows():
            rows.append(
                [
                    r["name"],
                    fmt_int(r["area_ha"]),
                    fmt_int(r["postcodes_per_km2"]),
                    fmt_int(r["universities"]),
                    f"{fmt_num(r['distance'])}",
                    _pub(r),
                ]
            )
        out.append(
            _table(
                [
                    ("", False),
                    ("Area (ha)", True),
                    ("Postcodes per km²", True),
                    ("Universities", True),
                    ("Distance", True),
                    ("Published figures", False),
                ],
                rows,
                "comparables",
            )
        )
    un = c.get("unranked")
    if un is not None and len(un):
        items = [f"{r['name']} ({_pub(r)})" for _, r in un.iterrows()]
        out.append(
            '<p class="small">Not ranked (outside the postcode layer, so not measured the same '
            "way): " + escape("; ".join(items)) + ".</p>"
        )
    out.append(
        '<p class="small">Distance = root mean square of the base-10 log ratios of area and '
        "postcode density (0 = alike; 1 = ten times apart on both).</p>"
    )
    return "".join(out)


def _pub(r: pd.Series) -> str:
    parts = []
    if pd.notna(r.get("firms")):
        parts.append(f"{fmt_int(r['firms'])} firms ({int(r['firms_year'])})")
    if pd.notna(r.get("jobs")):
        parts.append(f"{fmt_int(r['jobs'])} jobs ({int(r['jobs_year'])})")
    if pd.notna(r.get("published_area_ha")):
        parts.append(f"{fmt_num(r['published_area_ha'])} ha published")
    return ", ".join(parts) or "none in the registry"


def _vintages(rep: PlaceReport) -> str:
    v = rep.vintages
    out = [f'<p id="overlaps">{escape(v["overlap_sentence"])}</p>']
    ov = v["overlaps"]
    if len(ov):
        out.append(
            _table(
                [("Neighbour", False), ("Code", False), ("Overlap", True), ("Share", True)],
                [
                    [
                        r["neighbour_name"],
                        r["neighbour_id"],
                        fmt_area_km2(r["area_km2"]),
                        f"{r['share_of_place']:.1%}",
                    ]
                    for _, r in ov.iterrows()
                ],  # fmt: skip
                "overlap-table",
            )
        )
    changes = v.get("changes") or []
    if not changes:
        out.append(
            "<p>No other boundary vintage was given (pass --vintage LABEL=PATH, e.g. the LEP "
            "2020, LSIP 2023 and combined authority boundaries).</p>"
        )
        return "".join(out)
    rows = []
    for ch in changes:
        out.append(f"<p>{escape(ch.sentence)}</p>")
        rows.append(
            [
                ch.label,
                ch.match_name or "–",
                "–" if ch.iou is None else f"{ch.iou:.3f}",
                fmt_area_km2(ch.common_km2) if ch.match_id is not None else "–",
                fmt_area_km2(ch.added_km2) if ch.match_id is not None else "–",
                fmt_area_km2(ch.removed_km2) if ch.match_id is not None else "–",
                fmt_int(ch.points_added) if ch.points_added is not None else "–",
                fmt_int(ch.points_removed) if ch.points_removed is not None else "–",
            ]
        )
    out.append(
        _table(
            [
                ("Vintage", False),
                ("Best match", False),
                ("IoU", True),
                ("In both", True),
                ("Only in the match", True),
                ("Only in the place", True),
                ("Postcodes: match only", True),
                ("Postcodes: place only", True),
            ],
            rows,
            "vintage-table",
        )
    )
    return "".join(out)


def _sources(rep: PlaceReport, accounting: dict[str, Any]) -> str:
    rows = []
    for s in rep.sources:
        rows.append(
            [
                s.get("name") or "",
                s.get("title") or str(s.get("source") or ""),
                s.get("vintage") or "–",
                s.get("licence") or "–",
                s.get("attribution") or "–",
            ]
        )
    out = [
        _table(
            [
                ("Layer", False),
                ("Source", False),
                ("Vintage", False),
                ("Licence", False),
                ("Attribution", False),
            ],
            rows,
            "sources",
        )  # fmt: skip
    ]
    params = "; ".join(f"{k} = {v}" for k, v in rep.parameters.items())
    out.append(f"<p class='small'><b>Parameters:</b> {escape(params)}.</p>")
    for name, a in accounting.items():
        out.append(f"<p class='small'><b>{escape(name)}:</b> {escape(a)}</p>")
    return "".join(out)


def render_report(
    rep: PlaceReport,
    *,
    reference: str | None,
    lq_image: bytes | None = None,
    map_image: bytes | None = None,
    map_record: dict[str, Any] | None = None,
    accounting: dict[str, str] | None = None,
    command: str | None = None,
) -> str:
    """The report of one place as a self-contained HTML document.

    Parameters
    ----------
    rep : PlaceReport
    reference : str or None
        Name of the reference area (England).
    lq_image, map_image : bytes, optional
        The images (see :mod:`geodistrict.reports._charts`).
    map_record : dict, optional
        The map's record (its ``scale`` sentence is printed under it).
    accounting : dict, optional
        Layer → sentence accounting for every input record.
    command : str, optional
        The command line that made the report.

    Returns
    -------
    str
    """
    today = _dt.date.today().isoformat()
    attributions = sorted({s["attribution"] for s in rep.sources if s.get("attribution")})
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(rep.name)} — regional innovation audit</title>",
        f"<meta name='generator' content='geodistrict {__version__}'>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{escape(rep.name)}</h1>",
        f"<div class='sub'>Regional innovation audit · {escape(rep.noun)} {escape(rep.id)} · "
        f"made {today} with geodistrict {__version__}</div>",
        "<h2 id='summary'>Summary</h2>",
        _p(rep.summary),
        _p(rep.specialisation.get("sentences", [])[:1]),
        _p(rep.hotspots.get("sentences", [])[1:3]),
        "<h2 id='card-section'>The place in figures</h2>",
        _card(rep, reference),
        "<h3>Universities and their groups</h3>",
        _universities(rep),
        "<h2 id='specialisation'>Sector specialisation</h2>",
        _specialisation(rep, lq_image),
        "<h2 id='hotspots'>Hot spots and cluster outlines</h2>",
        _hotspots(rep, map_image, map_record),
        "<h2 id='comparables'>Nearest comparable districts</h2>",
        _comparables(rep),
        "<h2 id='vintages'>Boundaries and their vintages</h2>",
        _vintages(rep),
        "<h2 id='sources'>Sources, licences and parameters</h2>",
        _sources(rep, accounting or {}),
    ]
    if rep.warnings:
        parts.append("<h3>Warnings</h3>" + _p(rep.warnings, "missing"))
    parts.append(
        "<footer>"
        + "<br>".join(escape(a) for a in attributions)
        + (f"<br>Command: <code>{escape(command)}</code>" if command else "")
        + "</footer></body></html>"
    )
    return "".join(parts)


def render_index(
    headlines: Sequence[dict[str, Any]],
    failures: Sequence[dict[str, str]],
    *,
    title: str,
    reference: str | None,
    sources: Sequence[dict[str, Any]],
    parameters: dict[str, Any],
    pdf: bool,
) -> str:
    """The index page: every place with its headline figures and links, and any failures."""
    ref = reference or "reference"
    rows = []
    for h in headlines:
        link = f"<a href='{escape(h['slug'])}.html'>{escape(h['name'])}</a>"
        if pdf:
            link += f" · <a href='{escape(h['slug'])}.pdf'>PDF</a>"
        cells = [
            escape(h["id"]),
            fmt_area_km2(h["area_km2"]),
            fmt_int(h.get("enterprises")),
            fmt_ratio(h.get("enterprises_ratio")),
            fmt_int(h.get("employment")),
            fmt_int(h.get("universities")),
            str(h.get("n_specialisms", "–")),
            escape(h.get("top_specialism") or "–"),
            fmt_int(h.get("hot_cells")),
            fmt_area_km2(h["overlap_km2"]) if h.get("overlap_km2") else "–",
        ]
        tds = "".join(f"<td class='n'>{c}</td>" if i not in (0, 7) else f"<td>{c}</td>"
                      for i, c in enumerate(cells))  # fmt: skip
        rows.append(f"<tr><td>{link}</td>{tds}</tr>")
    head = ["Place", "Code", "Area", "Enterprises", f"Enterprise density vs {ref}",
            "People in employment", "Universities", "Specialisms", "Top specialism",
            "Hot-spot cells", "Overlap with neighbours"]  # fmt: skip
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    fail = ""
    if failures:
        items = "".join(
            f"<li><b>{escape(f['name'])}</b> ({escape(f['id'])}): {escape(f['error'])}</li>"
            for f in failures
        )
        fail = f"<h2 id='failures'>Reports that failed ({len(failures)})</h2><ul>{items}</ul>"
    attributions = sorted({s["attribution"] for s in sources if s.get("attribution")})
    params = "; ".join(f"{k} = {v}" for k, v in parameters.items())
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{CSS} body {{ max-width: 280mm; }}</style>"
        f"</head><body><h1>{escape(title)}</h1>"
        f"<div class='sub'>{len(headlines)} reports · made {_dt.date.today().isoformat()} with "
        f"geodistrict {__version__}</div>"
        f"<table id='index'><thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"{fail}<p class='small'><b>Parameters:</b> {escape(params)}.</p>"
        f"<footer>{'<br>'.join(escape(a) for a in attributions)}</footer></body></html>"
    )


def insert_context_map(html: str, map_doc: str) -> str:
    """``html`` (a place's report) with ``map_doc`` shown before its figures.

    ``map_doc`` is a self-contained map document (the app's map of a proposal in context,
    :func:`geodistrict.app.proposal_map_html`), embedded as an ``iframe`` ``srcdoc`` under the
    heading "The proposal in context".
    """
    mark = "<h2 id='card-section'>"
    block = (
        "<h2 id='context-map'>The proposal in context</h2>"
        f'<iframe title="proposal map" srcdoc="{escape(map_doc)}" '
        'style="width:100%;height:520px;border:1px solid #ccc"></iframe>'
    )
    i = html.find(mark)
    return html[:i] + block + html[i:] if i >= 0 else html
