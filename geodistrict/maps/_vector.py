"""Polygon layers: boundaries and their choropleth, districts, cluster outlines, hot spots."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validate import as_boundaries as validate_boundaries
from ..boundaries import Boundaries
from ..errors import ParameterError, SchemaError
from ._common import (
    State,
    features,
    hint_simplify,
    lonlat,
    metric_frame,
    simplify,
    tolerance,
)
from ._elements import GeoJsonLayer
from ._legend import (
    NO_DATA,
    classes_block,
    classify,
    column_label,
    esc,
    fmt,
    palette,
    scheme_text,
    swatch_block,
)

_HOT_COLD = {"hot": ("#d7301f", "hot spot"), "cold": ("#2166ac", "cold spot")}
_QUADRANTS = {
    "HH": ("#d7301f", "high among high (HH)"),
    "HL": ("#f4a582", "high among low (HL)"),
    "LH": ("#92c5de", "low among high (LH)"),
    "LL": ("#2166ac", "low among low (LL)"),
}
_CORRECTIONS = {
    "fdr_bh": "Benjamini–Hochberg false discovery rate",
    "bonferroni": "Bonferroni family-wise error rate",
    "none": "no multiple-testing correction",
}


def as_boundaries(obj: Any, what: str) -> Boundaries:
    """Boundaries from Boundaries, a polygon GeoDataFrame or a list of shipped-district slugs.

    Slugs are resolved first (:func:`geodistrict.districts.registry.district_boundaries`); the
    rest goes through :func:`geodistrict._validate.as_boundaries`. A path is refused: a map
    draws what was read, it reads nothing.
    """
    if isinstance(obj, str | Path):
        raise ParameterError(
            f"{what}={str(obj)!r}: pass Boundaries (geodistrict.read_boundaries(path)) or, for "
            "shipped districts, a list of slugs."
        )
    if isinstance(obj, Sequence) and all(isinstance(s, str) for s in obj):
        from ..districts.registry import district_boundaries

        return district_boundaries(list(obj))
    return validate_boundaries(obj, what, paths=False)


def _choropleth_values(choropleth: Any, b: Any) -> tuple[np.ndarray, str]:
    """The choropleth's values aligned with the boundaries, and the column name."""
    ids = pd.Index([str(i) for i in b.ids])
    if isinstance(choropleth, str):
        if choropleth not in b.data.columns:
            raise SchemaError(
                f"choropleth={choropleth!r}: the boundaries have no such column; pass a Series "
                "indexed by boundary id, e.g. profile(...).table.set_index('id')[column]."
            )
        series = pd.Series(b.data[choropleth].to_numpy(), index=ids, name=choropleth)
    elif isinstance(choropleth, tuple) and len(choropleth) == 2:
        table: Any = getattr(choropleth[0], "table", choropleth[0])  # a Profile
        column = choropleth[1]
        for col in ("id", column):
            if col not in table.columns:
                numeric = [str(c) for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
                raise SchemaError(
                    f"choropleth: the table has no column {col!r}; numeric columns are "
                    f"{', '.join(numeric)}."
                )
        series = pd.Series(
            table[column].to_numpy(), index=table["id"].astype(str).to_numpy(), name=column
        )
    elif isinstance(choropleth, pd.Series):
        series = choropleth.copy()
        series.index = series.index.astype(str)
    else:
        raise ParameterError(
            "choropleth: pass a Series indexed by boundary id, (table, column) or a column of "
            f"the boundaries, not {type(choropleth).__name__}."
        )
    if not series.index.is_unique:
        dup = sorted(set(series.index[series.index.duplicated()]))[:5]
        raise SchemaError(f"choropleth: boundary ids repeat in its index ({', '.join(dup)}).")
    if not series.index.isin(ids).any():
        raise SchemaError(
            f"choropleth: its index ({', '.join(map(str, series.index[:3]))}, ...) holds none "
            f"of the boundary ids ({', '.join(ids[:3])}, ...); index it by id, e.g. "
            "profile(...).table.set_index('id')[column]."
        )
    values = pd.to_numeric(series.reindex(ids), errors="coerce")
    bad = series.reindex(ids).notna() & values.isna()
    if bad.any():
        raise SchemaError(
            f"choropleth {series.name!r}: values are not numbers for "
            f"{', '.join(ids[bad.to_numpy()][:5])}; choose a numeric column."
        )
    return values.to_numpy(dtype="float64"), str(series.name or "value")


# ---------------------------------------------------------------------------------------------
# layers


def _polygons_in_lonlat(
    b: Boundaries,
    measured: str,
    shown: str,
    simplify_m: float | None,
    precision: int,
    state: State,
    *,
    coverage: bool = False,
) -> tuple[Any, float]:
    """A polygon set simplified for display and in lon/lat, recorded in the map's state.

    Its bounds, source, CRS (``measured``: what its areas are) and how it was simplified
    (``shown``: the layer's name in the footer) go into ``state``; returns the geometries and
    the simplification tolerance in metres.
    """
    tol = tolerance(b.metric, simplify_m)
    geoms, how = simplify(b.metric, tol, coverage=coverage)
    geoms, bounds = lonlat(geoms, b.metric_crs, precision)
    state.bounds.append(bounds)
    state.source(b.info)
    state.crs(measured, b.metric_crs)
    if coverage:
        how += "; areas and counts use the full geometry"
    state.display.append(f"{shown}: {how}")
    return geoms, tol


def add_boundaries(
    m: Any,
    b: Boundaries,
    choropleth: Any,
    *,
    scheme: str,
    k: int,
    label: str | None,
    simplify_m: float | None,
    precision: int,
    state: State,
) -> None:
    """The boundaries outlined, with their names in tooltips; filled by class with a choropleth."""
    geoms, tol = _polygons_in_lonlat(
        b, "areas of the boundaries", "boundaries", simplify_m, precision, state, coverage=True
    )
    names, ids = [str(v) for v in b.names], [str(v) for v in b.ids]
    tips = [
        f"<b>{esc(n)}</b>" + (f" ({esc(i)})" if i != n else "")
        for n, i in zip(names, ids, strict=True)
    ]
    props: list[dict] = [{"t": t} for t in tips]
    style = {"color": "#333333", "weight": 1.2, "fillColor": "#000000", "fillOpacity": 0.0}
    layer_name = "boundaries"
    if choropleth is not None:
        values, column = _choropleth_values(choropleth, b)
        title = label or column_label(column)
        classes = classify(values, scheme=scheme, k=k)
        colours = palette(classes.k)
        for p, v, c in zip(props, values, classes.yb, strict=True):
            p["c"] = colours[c] if c >= 0 else NO_DATA
            shown = f"{fmt(v)} (class {c + 1} of {classes.k})" if c >= 0 else "no data"
            p["t"] += f"<br>{esc(title)}: {esc(shown)}"
        style["fillOpacity"] = 0.7
        missing = int((classes.yb < 0).sum())
        state.legend.append(
            classes_block(title, scheme_text(classes), classes, colours, missing, "boundaries")
        )
        import mapclassify

        state.method.append(
            f"choropleth of {title}: {scheme_text(classes)} by mapclassify "
            f"{mapclassify.__version__} ({classes.scheme}, k={classes.k})"
            + ("; " + "; ".join(classes.notes) if classes.notes else "")
        )
        layer_name = title
    layer = GeoJsonLayer(
        layer_name,
        features(geoms, props),
        style=style,
        reduce_hint=hint_simplify(tol),
    )
    layer.add_to(m)


def add_districts(
    m: Any, d: Boundaries, *, simplify_m: float | None, precision: int, state: State
) -> None:
    """Districts as dashed outlines, named in tooltips, with a legend line."""
    geoms, tol = _polygons_in_lonlat(d, "district areas", "districts", simplify_m, precision, state)
    props = [
        {"t": f"<b>{esc(n)}</b>" + (f" ({esc(i)})" if str(i) != str(n) else "")}
        for n, i in zip(d.names, d.ids, strict=True)
    ]
    style = {"color": "#000000", "weight": 2.5, "dashArray": "6 4", "fillOpacity": 0.0}
    GeoJsonLayer(
        "districts",
        features(geoms, props),
        style=style,
        reduce_hint=hint_simplify(tol),
    ).add_to(m)
    state.legend.append(
        swatch_block(
            "Districts", [("#000000", "line", f"{len(d)} district" + ("s" if len(d) != 1 else ""))]
        )
    )


def add_styled(
    m: Any, layer: Any, *, simplify_m: float | None, precision: int, state: State
) -> None:
    """Polygons drawn in one style of their own, with a legend line (:class:`Styled`)."""
    b = as_boundaries(layer.boundaries, layer.label)
    geoms, tol = _polygons_in_lonlat(
        b, f"{layer.label} areas", layer.label, simplify_m, precision, state
    )
    props = [{"t": f"<b>{esc(n)}</b><br>{esc(layer.label)}"} for n in map(str, b.names)]
    style = {"color": layer.colour, "weight": layer.weight, "fillColor": layer.colour,
             "fillOpacity": layer.fill_opacity}  # fmt: skip
    if layer.dash:
        style["dashArray"] = layer.dash
    GeoJsonLayer(layer.label, features(geoms, props), style=style,
                 reduce_hint=hint_simplify(tol)).add_to(m)  # fmt: skip
    names = ", ".join(map(str, b.names[:3])) + (" …" if len(b) > 3 else "")
    state.legend.append(swatch_block(layer.label, [(layer.colour, "line", names)]))


def add_outlines(
    m: Any, outlines: Any, *, simplify_m: float | None, precision: int, state: State
) -> None:
    """Cluster outlines (a ClusterResult or a GeoDataFrame), with their method in the footer."""
    from ..clusters.outlines import ClusterResult

    if isinstance(outlines, ClusterResult):
        gdf = outlines.outlines
        p = outlines.parameters
        state.method.append(
            f"cluster outlines: {outlines.method} "
            + ", ".join(f"{k}={v}" for k, v in p.items())
            + f"; {outlines.n_clusters} clusters, {outlines.clustered:,} of "
            f"{outlines.n_input:,} points clustered, {outlines.noise:,} noise"
        )
    elif hasattr(outlines, "geometry"):
        gdf = outlines
    else:
        raise ParameterError(
            f"outlines: pass a ClusterResult or a GeoDataFrame, not {type(outlines).__name__}."
        )
    if len(gdf) == 0:
        state.legend.append(swatch_block("Cluster outlines", [], "no clusters found"))
        return
    geoms, crs = metric_frame(gdf, "outlines")
    state.crs("cluster outlines", crs)
    tol = tolerance(geoms, simplify_m)
    geoms, how = simplify(geoms, tol, coverage=False)
    geoms, bounds = lonlat(geoms, crs, precision)
    state.bounds.append(bounds)
    state.display.append(f"outlines: {how}")
    cols = set(gdf.columns)
    props = []
    for r in gdf.drop(columns=gdf.geometry.name).to_dict("records"):
        head = next((f"{c} {r[c]}" for c in ("label", "name", "cluster") if c in cols), "outline")
        parts = [f"<b>{esc(head)}</b>"]
        if "points" in cols:
            parts.append(f"{esc(fmt(float(r['points'])))} points")
        if "area_km2" in cols:
            parts.append(f"{esc(fmt(float(r['area_km2'])))} km²")
        if "points_per_km2" in cols:
            parts.append(f"{esc(fmt(float(r['points_per_km2'])))} per km²")
        if "level" in cols:
            parts.append(f"density ≥ {esc(fmt(float(r['level'])))} per km²")
        props.append({"t": "<br>".join(parts)})
    style = {"color": "#6a3d9a", "weight": 2, "fillColor": "#6a3d9a", "fillOpacity": 0.08}
    GeoJsonLayer(
        "cluster outlines", features(geoms, props), style=style, reduce_hint=hint_simplify(tol)
    ).add_to(m)
    state.legend.append(
        swatch_block(
            "Cluster outlines",
            [("#6a3d9a", "line", f"{len(gdf)} outline" + ("s" if len(gdf) != 1 else ""))],
        )
    )


def add_hotspots(
    m: Any, h: Any, *, precision: int, state: State, classes: Sequence[str] | None = None
) -> None:
    """Significant hot-spot cells, with the test, correction and threshold in the legend.

    ``classes`` limits the cells drawn (e.g. ``["hot"]``); the legend still counts them all.
    """
    meta = getattr(h, "attrs", {}).get("hotspots")
    if not meta or "significant" not in getattr(h, "columns", ()):
        raise SchemaError(
            "hotspots: pass the GeoDataFrame returned by geodistrict.hotspots(...) unchanged "
            "(its attrs['hotspots'] carry the tests and threshold the legend must state)."
        )
    gi = meta.get("statistic") == "gi"
    col = "hot_cold" if gi else "quadrant"
    styles = _HOT_COLD if gi else _QUADRANTS
    name = "Getis–Ord Gi*" if gi else "local Moran's I (LISA)"
    n_tests, thr = int(meta["n_tests"]), float(meta["p_threshold"])
    corr = _CORRECTIONS.get(meta["correction"], meta["correction"])
    test = (
        f"{meta['permutations']:,} conditional permutations (seed {meta['seed']})"
        if meta.get("permutations")
        else "analytic normal p-values"
    )
    cell = float(meta["cell_m"])
    sig = h[h["significant"].astype(bool).to_numpy()]
    state.crs("hot-spot grid", h.crs)
    if "count" in h.attrs and "layer" in h.attrs["count"]:
        state.source(h.attrs["count"]["layer"])
    grid_text = f"{fmt(cell)} m {meta.get('grid', 'square')} cells, {meta.get('contiguity')}"
    note = (
        f"{len(sig):,} of {n_tests:,} cells significant: p ≤ {thr:.3g} after the {corr} at "
        f"{meta['alpha']:g} ({n_tests:,} tests, {meta.get('alternative', 'two-sided')}, "
        f"{test}); {grid_text} contiguity. Cells not significant are not drawn."
    )
    counts = sig[col].value_counts()
    drawn = list(styles) if classes is None else [k for k in styles if k in set(classes)]
    items = [
        (c, "box", f"{lab} ({int(counts.get(k, 0))})" + ("" if k in drawn else ", not drawn"))
        for k, (c, lab) in styles.items()
    ]
    state.legend.append(swatch_block(f"Hot and cold spots: {name}", items, note))
    state.method.append(
        f"{name} of {meta.get('value', 'count')} per cell on {grid_text} contiguity; {test}; "
        f"{corr} at {meta['alpha']:g}: significant when p ≤ {thr:.4g} over {n_tests:,} tests; "
        f"{len(sig):,} significant cells"
    )
    sig = sig[sig[col].astype(str).isin(drawn).to_numpy()]
    if len(sig) == 0:
        return
    geoms, bounds = lonlat(np.asarray(sig.geometry.array, dtype=object), sig.crs, precision)
    state.bounds.append(bounds)
    props = []
    for g, z, p, cnt in zip(sig[col], sig["z"], sig["p"], sig["count"], strict=True):
        colour, lab = styles.get(str(g), ("#999999", str(g)))
        props.append(
            {
                "c": colour,
                "t": f"<b>{esc(lab)}</b><br>z = {z:.2f}, p = {p:.2g} (threshold {thr:.3g})"
                f"<br>{int(cnt):,} points in the cell",
            }
        )
    style = {"color": "#555555", "weight": 0.5, "fillOpacity": 0.6}
    GeoJsonLayer(
        f"hot spots ({name})",
        features(geoms, props),
        style=style,
        reduce_hint=f"use larger hot-spot cells (CLI --cell {2 * cell:g}; now {cell:g} m)",
    ).add_to(m)
