"""One place's report data: card, specialisation, hot spots, comparables, vintages, sources."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ._compare import nearest_benchmarks
from ._context import ReportContext, auto_cell, subset_layer
from ._wording import (
    card_sentences,
    comparable_sentences,
    hotspot_sentences,
    specialisation_sentences,
    specialism_rule,
)

__all__ = ["PlaceReport", "place_report", "slugify"]


def slugify(text: str) -> str:
    """A file-name-safe form of a place id or name.

    Examples
    --------
    >>> slugify("Greater Cambridge & Greater Peterborough")
    'greater-cambridge-greater-peterborough'
    >>> slugify("E37000008")
    'e37000008'
    """
    s = re.sub(r"[^0-9a-z]+", "-", str(text).lower()).strip("-")
    return s or "place"


@dataclass
class PlaceReport:
    """Everything one report shows (the renderer adds no figure of its own).

    Attributes
    ----------
    id, name, slug : str
    area_km2 : float
    card : list of dict
        ``indicator``, ``value``, ``unit``, ``per_km2``, ``reference_per_km2``, ``ratio``,
        ``source``, ``note``.
    summary : list of str
    universities : pandas.DataFrame
        ``name``, ``ukprn``, ``groups``.
    specialisation : dict
        ``table`` (the LQ rows of the place as ``geodistrict specialisation`` writes them) and
        the sentences, indices and rule; or ``missing`` (a reason).
    hotspots : dict
        Parameters, counts, outlines and sentences; ``grid`` and ``outlines_gdf`` hold the
        geometries for the map.
    comparables : dict
    vintages : dict
        ``overlaps`` (own boundary set), ``overlap_sentence``, ``changes`` (list).
    sources : list of dict
    parameters : dict
    warnings : list of str
    reference : dict
        The place's national reference (:meth:`ReportContext.reference_for`): its ``name``
        (``None`` outside the UK) and ``basis`` (how each total was computed).
    """

    id: str
    name: str
    slug: str
    area_km2: float
    noun: str
    card: list[dict[str, Any]] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    universities: pd.DataFrame = field(default_factory=pd.DataFrame)
    specialisation: dict[str, Any] = field(default_factory=dict)
    hotspots: dict[str, Any] = field(default_factory=dict)
    comparables: dict[str, Any] = field(default_factory=dict)
    vintages: dict[str, Any] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    reference: dict[str, Any] = field(default_factory=dict)

    def headline(self) -> dict[str, Any]:
        """The figures the index page lists."""
        get = {r["key"]: r for r in self.card}
        spec = self.specialisation.get("specialisms", [])
        return {
            "id": self.id,
            "name": self.name,
            "slug": self.slug,
            "area_km2": self.area_km2,
            "enterprises": get.get("enterprises", {}).get("value"),
            "enterprises_ratio": get.get("enterprises", {}).get("ratio"),
            "employment": get.get("employment", {}).get("value"),
            "postcodes_ratio": get.get("postcodes", {}).get("ratio"),
            "universities": get.get("universities", {}).get("value"),
            "n_specialisms": len(spec),
            "top_specialism": spec[0][0] if spec else None,
            "hot_cells": self.hotspots.get("n_hot"),
            "overlap_km2": float(
                self.vintages.get("overlaps", pd.DataFrame())
                .get("area_km2", pd.Series(dtype=float))
                .sum()
            ),  # noqa: E501
        }


def _card(ctx: ReportContext, i: int, pid: str, area: float) -> list[dict[str, Any]]:
    ref = ctx.reference_for(i)  # the UK country the place lies in, from national data
    ref_area = ref.get("area_km2") or math.nan
    # ratios only against a named national reference with a known area
    national = bool(ref.get("name")) and not _nan(ref_area)
    rows: list[dict[str, Any]] = [
        {
            "key": "area",
            "indicator": "Area",
            "value": area,
            "unit": "km²",
            "per_km2": None,
            "reference_per_km2": None,
            "ratio": area / ref_area if national else None,
            "source": "measured in " + (ctx.place(i).metric_crs.name or "metres"),
            "note": f"ratio = share of {ref['name']}: {ref['area_basis']}"
            if national
            else ref.get("basis", ""),
        }
    ]

    def add(key, label, value, unit, ref_value, source, note=""):
        per = value / area if value is not None and not _nan(value) and area else None
        ref_per = ref_value / ref_area if ref_value and ref_area and national else None
        rows.append(
            {
                "key": key,
                "indicator": label,
                "value": value,
                "unit": unit,
                "per_km2": per,
                "reference_per_km2": ref_per,
                "ratio": per / ref_per if per is not None and ref_per else None,
                "source": source,
                "note": note,
            }
        )

    if ctx.lq is not None:
        rows_lq = ctx.lq[ctx.lq["id"] == pid]
        m = ctx.lq_meta
        if len(rows_lq):
            total = float(rows_lq["area_total"].iloc[0])
            complete = bool(rows_lq["area_total_complete"].iloc[0])
            add(
                "enterprises",
                "Enterprises",
                total,
                "enterprises",
                ref.get("enterprises"),
                f"Nomis UK Business Counts {m['year']}",
                "" if complete else "a suppressed sector count is left out of the total",
            )
        else:
            src = f"Nomis UK Business Counts {m['year']}"
            cut = m.get("via_zones", {}).get("not_whole", {}).get(pid)
            why = ("not made of whole LADs: no count from the LAD rows" if cut is not None
                   else "no row for this place in the table")  # fmt: skip
            add("enterprises", "Enterprises", None, "enterprises", None, src, why)
    if ctx.employment is not None:
        v = ctx.employment.get(pid)
        v = None if v is None or _nan(v) else float(v)
        meta = ctx.employment_meta
        sup = meta["suppressed_groups"].get(pid, 0)
        note = "residents in employment (by residence, not workplace); survey estimate"
        if sup:
            note += f"; {sup} of {meta['n_groups']} industry groups suppressed and left out"
        add("employment", "People in employment", v, "people in employment",
            ref.get("employment"), f"Nomis APS {meta['date']}", note)  # fmt: skip
    uncovered = "not covered: the place lies outside this layer's extent, so 0 would mislead"
    if ctx.postcodes is not None:
        out = ctx.outside(ctx.postcodes, i)
        add("postcodes", "Postcodes", None if out else float(len(ctx.postcode_index[i])),
            "postcodes", ref.get("postcodes"), ctx.postcodes.info.source,
            uncovered if out else "postcode centroids: an activity proxy, not firms")  # fmt: skip
    if ctx.universities is not None:
        out = ctx.outside(ctx.universities, i)
        add("universities", "Universities (head offices)",
            None if out else float(len(ctx.university_index[i])),
            "universities' head offices", ref.get("universities"),
            ctx.universities.info.source,
            uncovered if out else "one point per provider: its head office")  # fmt: skip
    if ctx.floorspace is not None:
        fm = ctx.floorspace_meta
        v = ctx.floorspace["floorspace_m2"].get(pid)
        cov = (
            ctx.floorspace["coverage"].get(pid) if ctx.floorspace["coverage"] is not None else None
        )
        v = None if v is None or _nan(v) else float(v)
        note = f"VOA, {fm['sectors']}; carried from {Path(fm['zones']).name} by area share"
        if cov is not None and not _nan(cov) and cov < 0.999:
            note += f"; the table's areas cover {cov:.0%} of the place, so this is a partial sum"
        sup = [c for c in fm["codes_with_suppressed_sectors"]]
        if sup:
            note += f"; suppressed sector cells in {len(sup)} area(s) left out"
        ref_area_fs = ref.get("floorspace_area_km2")
        # the VOA table covers England and Wales' LADs: a ratio only for places in England
        ref_val = ref.get("floorspace_m2") if ref.get("code") == "E" else None
        # the reference is the table's own area when it does not cover the whole reference
        if ref_val and ref_area_fs and national:
            ref_val = (
                ref_val * (ref_area / ref_area_fs) if ref_area_fs < ref_area * 0.98 else ref_val
            )
            note += (
                ""
                if ref_area_fs >= ref_area * 0.98
                else (
                    "; reference density = the table's own areas (it does not cover "
                    f"{ref.get('name')})"
                )
            )
        add("floorspace", "Business floorspace", v, "m² of business floorspace", ref_val,
            Path(fm["source"]).name, note)  # fmt: skip
    else:
        rows.append(
            {
                "key": "floorspace",
                "indicator": "Business floorspace",
                "value": None,
                "unit": "m²",
                "per_km2": None,
                "reference_per_km2": None,
                "ratio": None,
                "source": "not given",
                "note": "no floorspace table was given (VOA business floorspace by local "
                "authority: --floorspace TABLE --floorspace-zones LAD_BOUNDARIES)",
            }
        )
    return rows


def _nan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _universities(ctx: ReportContext, i: int) -> pd.DataFrame:
    if ctx.universities is None:
        return pd.DataFrame(columns=["name", "ukprn", "groups"])
    a = ctx.universities.attributes.iloc[ctx.university_index[i]]
    name_col = next((c for c in a.columns if c.upper() == "PROVIDER_NAME"), None)
    id_col = next((c for c in a.columns if c.upper() == "UKPRN"), None)
    grp_col = next((c for c in a.columns if c.upper() == "GROUPS"), None)

    def groups(v: Any) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        parts = v if isinstance(v, list | tuple) else re.split(r"[;,|]", str(v))
        return ", ".join(p.strip().replace("_", " ") for p in parts if str(p).strip())

    out = pd.DataFrame(
        {
            "name": a[name_col].astype(str).str.strip() if name_col else "",
            "ukprn": a[id_col].astype(str) if id_col else "",
            "groups": a[grp_col].map(groups) if grp_col else "",
        }
    )
    return out.sort_values("name").reset_index(drop=True)


def _number(value: Any) -> float:
    """A table cell as a float (pandas types a cell as any scalar)."""
    return float(value)


def _specialisation(ctx: ReportContext, pid: str, name: str) -> dict[str, Any]:
    o = ctx.options
    if ctx.lq is None or ctx.indices is None:
        return {"missing": "no business-counts table was given (--business-counts)."}
    rows = ctx.lq[ctx.lq["id"] == pid].drop(columns=["id"]).reset_index(drop=True)
    if rows.empty:
        cut = ctx.lq_meta.get("via_zones", {}).get("not_whole", {}).get(pid)
        if cut is not None:
            return {
                "missing": f"{name} is not made of whole local authorities ({cut:.0%} of its "
                "area lies in LADs it only partly covers); location quotients summed from "
                "LAD counts would describe those LADs, not the place."
            }
        return {
            "missing": f"{ctx.lq_meta['source']} has no {ctx.lq_meta['geography']} row "
            f"matching {name}."
        }
    ref = str(rows["reference"].iloc[0]).split(":", 1)[-1]
    ok = rows.dropna(subset=["lq"])

    def triple(r: pd.Series) -> tuple[str, float, float]:
        return (str(r["sector_label"]).split(" : ", 1)[-1], float(r["lq"]), float(r["count"]))

    spec = ok[ok["specialism"]].sort_values("lq", ascending=False)
    small = ok[(ok["lq"] >= o.min_lq) & ~ok["specialism"]].sort_values("lq", ascending=False)
    under = ok[ok["lq"] <= o.under_lq].sort_values("lq")
    ix = ctx.indices.set_index("area")
    label = str(rows["area"].iloc[0])
    krug = _number(ix.loc[label, "krugman"])
    shannon = _number(ix.loc[label, "shannon"])
    rank = int((ix["krugman"] > krug).sum()) + 1
    complete = bool(rows["area_total_complete"].iloc[0])
    lists = {k: [triple(r) for _, r in t.iterrows()]
             for k, t in (("specialisms", spec), ("small", small), ("under", under))}  # fmt: skip
    sentences = specialisation_sentences(
        name,
        **lists,
        krugman=krug,
        shannon=shannon,
        krugman_rank=rank,
        n_areas=len(ix),
        reference=ref,
        complete=complete,
        min_lq=o.min_lq,
        min_count=o.min_count,
    )
    return {
        "table": rows,
        "label": label,
        "reference": ref,
        "year": ctx.lq_meta["year"],
        "title": ctx.lq_meta["title"],
        "rule": specialism_rule(o.min_lq, o.min_count, o.under_lq, ref),
        **lists,
        "krugman": krug,
        "hhi": _number(ix.loc[label, "hhi"]),
        "shannon": shannon,
        "krugman_rank": rank,
        "n_areas": len(ix),
        "sentences": sentences,
    }


def _hotspots(ctx: ReportContext, i: int, name: str, area_m2: float) -> dict[str, Any]:
    from ..clusters import hotspots, outline_cells

    o = ctx.options
    if ctx.postcodes is None:
        return {"missing": "no point layer was given for the hot spots (--points)."}
    idx = ctx.postcode_index[i]
    if ctx.outside(ctx.postcodes, i):
        return {
            "missing": f"{name} lies outside the extent of the {ctx.postcodes.name} layer "
            f"({ctx.postcodes.info.source}); give a point layer that covers it (--postcodes)."
        }
    if len(idx) < 10:
        return {"missing": f"only {len(idx)} postcodes fall inside {name}: too few to test."}
    cell = o.cell_m if o.cell_m is not None else auto_cell(area_m2, target_cells=o.target_cells)
    place = ctx.place(i)
    layer = subset_layer(ctx.postcodes, idx)
    hs = hotspots(layer, within=place, cell_m=cell, value="locations", fdr=o.fdr)
    hot = (hs["hot_cold"] == "hot").to_numpy()
    n_cold = int((hs["hot_cold"] == "cold").sum())
    outlines = outline_cells(hs, hot) if hot.any() else None
    items: list[dict[str, Any]] = []
    if outlines is not None and len(outlines):
        uni_layer = (
            subset_layer(ctx.universities, ctx.university_index[i]).to_crs(outlines.crs)
            if ctx.universities is not None
            else None
        )
        lay_m = layer.to_crs(outlines.crs)
        counts = []  # points on or inside each outline, tested as coordinates (no point objects)
        for geom in outlines.geometry.to_numpy():
            x0, y0, x1, y1 = geom.bounds
            near = (lay_m.x >= x0) & (lay_m.x <= x1) & (lay_m.y >= y0) & (lay_m.y <= y1)
            counts.append(int(shapely.intersects_xy(geom, lay_m.x[near], lay_m.y[near]).sum()))
        outlines = outlines.assign(points=counts)
        outlines = outlines.sort_values(["points", "area_km2"], ascending=False)
        outlines = outlines.reset_index(drop=True)
        outlines["outline"] = np.arange(1, len(outlines) + 1)
        for _, r in outlines.iterrows():
            unis: list[str] = []
            if uni_layer is not None and len(uni_layer):
                inside = shapely.intersects_xy(r.geometry, uni_layer.x, uni_layer.y)
                a = uni_layer.attributes[inside]
                col = next((c for c in a.columns if c.upper() == "PROVIDER_NAME"), None)
                unis = sorted(a[col].astype(str).str.strip()) if col else []
            items.append(
                {
                    "outline": int(r["outline"]),
                    "cells": int(r["cells"]),
                    "area_km2": float(r["area_km2"]),
                    "points": int(r["points"]),
                    "share": r["points"] / len(layer),
                    "universities": unis,
                }
            )
    attrs = hs.attrs.get("hotspots", {})
    return {
        "layer": ctx.postcodes.name,
        "cell_m": cell,
        "n_cells": len(hs),
        "n_hot": int(hot.sum()),
        "n_cold": n_cold,
        "fdr": o.fdr,
        "threshold": attrs.get("p_threshold"),
        "weights": attrs.get("weights"),
        "outlines": items,
        "grid": hs,
        "outlines_gdf": outlines,
        "sentences": hotspot_sentences(
            name,
            cell_m=cell,
            n_cells=len(hs),
            n_hot=int(hot.sum()),
            n_cold=n_cold,
            fdr=o.fdr,
            outlines=items,
            layer=ctx.postcodes.name,
            total=len(layer),
        ),
    }


def _comparables(ctx: ReportContext, hs: dict[str, Any], pid: str) -> dict[str, Any]:
    bm = ctx.benchmarks
    if bm is None or bm.empty:
        return {"missing": "the benchmark districts were not measured (--no-benchmarks)."}
    bm = bm[bm["slug"] != pid]  # a shipped district is not its own comparable
    unranked = bm[bm["postcodes_per_km2"].isna()]
    if not hs.get("outlines"):
        return {
            "missing": "the place has no hot-spot cluster to compare with the districts.",
            "benchmarks": bm,
            "unranked": unranked,
        }
    lead = hs["outlines"][0]
    cluster = {
        "area_ha": lead["area_km2"] * 100,
        "per_km2": lead["points"] / lead["area_km2"] if lead["area_km2"] else math.nan,
        "points": lead["points"],
        "universities": len(lead["universities"]) if ctx.universities is not None else None,
    }
    near = nearest_benchmarks(
        cluster["area_ha"], cluster["per_km2"], bm, n=ctx.options.n_comparables
    )
    return {
        "cluster": cluster,
        "nearest": near,
        "benchmarks": bm,
        "unranked": unranked,
        "sentences": comparable_sentences(
            cluster, near.to_dict("records"), cell_m=hs["cell_m"], layer=hs["layer"]
        ),
    }


def _vintages(ctx: ReportContext, i: int, pid: str, name: str) -> dict[str, Any]:
    from ._vintages import describe_overlaps, own_overlaps, vintage_changes

    noun = ctx.options.noun
    ov = own_overlaps(ctx.boundaries, pid)
    out: dict[str, Any] = {
        "overlaps": ov,
        "overlap_sentence": describe_overlaps(ov, name, noun=noun),
        "changes": [],
    }
    if ctx.vintages:
        out["changes"] = vintage_changes(
            ctx.boundaries.metric[i],
            ctx.boundaries.metric_crs,
            ctx.vintages,
            place_id=pid,
            place_name=name,
            place_label=f"{noun} {vin}" if (vin := ctx.boundaries.info.vintage) else None,
            points=ctx.postcodes,
        )
    return out


def place_report(ctx: ReportContext, i: int) -> PlaceReport:
    """Assemble the report data of place ``i`` of ``ctx.boundaries``.

    Parameters
    ----------
    ctx : ReportContext
        From :func:`build_context`.
    i : int
        Position of the place in the boundaries.

    Returns
    -------
    PlaceReport
    """
    b = ctx.boundaries
    pid, name = str(b.ids[i]), str(b.names[i])
    local = ctx.place(i)  # measured in the place's own metric CRS
    area_m2 = float(shapely.area(local.metric[0]))
    rep = PlaceReport(
        id=pid,
        name=name,
        slug=slugify(pid),
        area_km2=area_m2 / 1e6,
        noun=ctx.options.noun,
    )
    rep.reference = ctx.reference_for(i)
    rep.card = _card(ctx, i, pid, rep.area_km2)
    rep.summary = card_sentences(
        name, [r for r in rep.card if r["key"] not in ("area", "universities")],
        rep.reference.get("name") if rep.reference.get("area_km2") else None,
        rep.area_km2,
    )  # fmt: skip
    rep.universities = _universities(ctx, i)
    rep.specialisation = _specialisation(ctx, pid, name)
    rep.hotspots = _hotspots(ctx, i, name, area_m2)
    rep.comparables = _comparables(ctx, rep.hotspots, pid)
    rep.vintages = _vintages(ctx, i, pid, name)
    rep.sources = list(ctx.sources)
    rep.parameters = {
        **ctx.options.as_dict(),
        "metric_crs": local.metric_crs.to_string(),
        "hotspot_cell_m": rep.hotspots.get("cell_m"),
    }
    return rep
