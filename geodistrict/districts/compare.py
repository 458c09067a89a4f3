"""Side-by-side comparison of cards, per km² and per ha, with ranks, ratios and a chart."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MissingDependencyError, ParameterError, SchemaError
from ._common import (
    Card,
    Indicator,
)

__all__ = ["compare_cards", "compare_chart"]


def _fmt(v: float) -> str:
    """Bar label: whole numbers from 100 up, three significant figures below."""
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


_NOT_COUNT_UNITS = {"ha", "km2", "m2", "share", "ratio", "lq"}


def _is_count(ind: Indicator) -> bool:
    return ind.kind == "stock" and "/" not in ind.unit and ind.unit not in _NOT_COUNT_UNITS


def _density_name(name: str) -> str:
    return name.replace("_count", "_per_km2", 1) if "_count" in name else f"{name}_per_km2"


def compare_cards(cards: Sequence[Card], *, baseline: Card | str | None = None) -> pd.DataFrame:
    """One row per district: areas, every indicator, densities per km² and ha, ranks, ratios.

    Parameters
    ----------
    cards : sequence of Card
        From :func:`district_card`.
    baseline : Card or str, optional
        The card (or its id) the others are compared with.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``area_km2``, ``area_ha``, then every indicator's value (NaN where a
        district lacks it), with a ``..._per_km2`` column for each count that has none on its
        card (the count ÷ the district's area) and a ``..._per_ha`` twin of every density;
        ``<density>_rank`` (1 = densest) for each ``..._per_km2`` column of the districts
        themselves (not ``..._region_per_km2``); with a baseline,
        ``<density>_vs_baseline`` (district ÷ baseline) and ``area_km2_vs_baseline``.
        ``attrs["sources"]`` maps each column to its sources, ``attrs["units"]`` to its unit.
    """
    if not cards:
        raise ParameterError("compare_cards needs at least one card.")
    rows: list[dict[str, Any]] = []
    sources: dict[str, list[str]] = {}
    units: dict[str, str] = {}
    for c in cards:
        row: dict[str, Any] = {"id": c.id, "name": c.name, "area_km2": c.area_km2,
                               "area_ha": c.area_ha}  # fmt: skip
        have = {i.name for i in c.indicators}
        # registry densities are divided by the published area when there is one: cite it too
        area_src = next((i.source for i in c.indicators if i.name == "published_area"), None)
        for i in c.indicators:
            row[i.name] = np.nan if i.value is None else float(i.value)
            sources.setdefault(i.name, []).append(i.source)
            if i.kind == "derived" and area_src and i.name != "published_jobs_per_firm":
                sources[i.name].append(area_src)
            units[i.name] = i.unit
            dn = _density_name(i.name)
            if _is_count(i) and dn not in have:
                row[dn] = np.nan if i.value is None or not c.area_km2 else i.value / c.area_km2
                sources.setdefault(dn, []).append(i.source)
                units[dn] = f"{i.unit}/km2"
        rows.append(row)
    table = pd.DataFrame(rows)
    cols = list(table.columns)
    for col in [c for c in cols if "_per_km2" in c]:
        twin = col.replace("_per_km2", "_per_ha")
        table.insert(list(table.columns).index(col) + 1, twin, table[col] / 100.0)
        sources[twin] = sources.get(col, [])
        units[twin] = units.get(col, "").replace("/km2", "/ha")
    dens = [c for c in table.columns if c.endswith("_per_km2") and "_region_" not in c]
    extra: dict[str, Any] = {}
    for col in dens:
        extra[f"{col}_rank"] = table[col].rank(ascending=False, method="min").astype("Int64")
    base_id = None
    if baseline is not None:
        base_id = baseline.id if isinstance(baseline, Card) else str(baseline)
        hit = np.flatnonzero(table["id"].astype(str).to_numpy() == base_id)
        if len(hit) != 1:
            raise ParameterError(
                f"baseline {base_id!r} is {'ambiguous' if len(hit) else 'not among'} the cards "
                f"({', '.join(map(str, table['id']))}); pass one of their ids."
            )
        ref = table.iloc[hit[0]]
        for col in ["area_km2", *dens]:
            den = ref[col]
            ok = pd.notna(den) and den != 0
            extra[f"{col}_vs_baseline"] = table[col] / den if ok else np.nan
    table = pd.concat([table, pd.DataFrame(extra, index=table.index)], axis=1)
    table.attrs["sources"] = {k: list(dict.fromkeys(v)) for k, v in sources.items()}
    table.attrs["units"] = units
    table.attrs["baseline"] = base_id
    return table


def _default_chart_columns(table: pd.DataFrame) -> list[str]:
    return [
        c
        for c in table.columns
        if c.endswith("_per_km2")
        and "_region_" not in c
        and not re.search(r"_\d{4}_per_km2$", c)
        and table[c].notna().any()
    ]


def compare_chart(
    table: pd.DataFrame, path: str | Path, *, indicators: Sequence[str] | None = None
) -> Path:
    """Bar charts of densities per km² (one panel per indicator) with a footer of sources.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`compare_cards`.
    path : str or Path
        ``.png`` or ``.svg`` (``.pdf`` also works).
    indicators : sequence of str, optional
        Columns to plot (default: every ``..._per_km2`` column with a value, except regional
        and earlier-year ones).

    Returns
    -------
    Path
        The file written.
    """
    from ..io.datasets import resolve as _resolve_dataset

    path = Path(_resolve_dataset(path))
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ParameterError(f"{path}: the chart must be .png or .svg; change the file name.")
    cols = list(indicators) if indicators is not None else _default_chart_columns(table)
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise SchemaError(f"compare_chart: no column(s) {missing} in the table; choose from "
                          f"{', '.join(_default_chart_columns(table)) or 'none'}.")  # fmt: skip
    if not cols:
        raise ParameterError(
            "compare_chart: the table has no density to plot; give the cards point layers or "
            "registry figures, or name columns with indicators=[...]."
        )
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "compare_chart needs matplotlib: pip install 'geodistrict[maps]'."
        ) from exc
    import textwrap

    n = len(cols)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    labels = [str(x) for x in table["name"].fillna(table["id"])]
    fig = Figure(figsize=(4.2 * ncols, 0.45 * len(labels) * nrows + 1.6 * nrows + 1.2))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    units = table.attrs.get("units", {})
    for ax, col in zip(axes, cols, strict=False):
        vals = table[col].to_numpy(dtype=float)
        ax.barh(range(len(labels)), np.nan_to_num(vals), color="#3b6ea8")
        ax.set_yticks(range(len(labels)), labels=labels, fontsize=8)
        ax.invert_yaxis()
        ax.margins(x=0.18)
        ax.set_title(col.replace("_per_km2", " per km²").replace("_", " "), fontsize=9)
        ax.set_xlabel(units.get(col, "per km2").replace("km2", "km²"), fontsize=8)
        for k, v in enumerate(vals):
            ax.text(v if np.isfinite(v) else 0, k, f" {_fmt(v)}" if np.isfinite(v) else " n/a",
                    va="center", fontsize=7)  # fmt: skip
    for ax in axes[n:]:
        ax.set_visible(False)
    srcs = table.attrs.get("sources", {})
    cited = list(dict.fromkeys(s for c in cols for s in srcs.get(c, [])))
    text = "; ".join(
        "computed by geodistrict from the layers and polygons" if s == "computed" else s
        for s in cited
    )
    footer = textwrap.fill("Sources: " + (text or "not recorded"), width=60 * ncols)
    fig.text(0.01, 0.005, footer, fontsize=7, va="bottom", ha="left")
    lines = footer.count("\n") + 1
    fig.tight_layout(rect=(0, min(0.4, 0.03 * lines + 0.02), 1, 1))
    fig.savefig(path, dpi=150)
    return path


# --------------------------------------------------------------------------------------------
# diff
