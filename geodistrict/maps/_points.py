"""Point layers: markers with popups, clustered markers, or counts on squares."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import SchemaError
from ..layers import LayerInfo, PointLayer
from ._common import features, lonlat
from ._elements import GeoJsonLayer, PointsLayer
from ._legend import classes_block, classify, esc, fmt, palette, swatch_block

#: Above this many points a layer is counted on squares instead of drawn as markers.
CLUSTER_MAX = 20_000
POINT_COLOURS = ["#1f78b4", "#33a02c", "#6a3d9a", "#ff7f00", "#e31a1c", "#b15928"]
_SQUARES_M = (100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000)
#: At most this many occupied squares are drawn for an aggregated point layer.
_MAX_SQUARES = 2500


_LABEL_NAMES = ("name", "view_name", "provider_name", "company_name", "companyname", "title")


def _label_column(attrs: pd.DataFrame, info: LayerInfo) -> str | None:
    cols = [c for c in attrs.columns if c != "row"]
    lower = {str(c).lower(): c for c in cols}
    for cand in _LABEL_NAMES:
        if cand in lower:
            return lower[cand]
    for c in cols:
        if "name" in str(c).lower() and attrs[c].dtype == object:
            return c
    return info.id_field if info.id_field in cols else None


def _link_column(attrs: pd.DataFrame) -> str | None:
    for c in attrs.columns:
        low = str(c).lower()
        if low in ("url", "website", "homepage", "web") or low.endswith(("_url", "website")):
            return c
    return None


def safe_link(value: Any) -> str:
    """An ``<a>`` for an http(s) URL; anything else (``javascript:`` ...) as escaped text."""
    s = str(value).strip()
    try:
        parts = urlsplit(s)
    except ValueError:
        return esc(s)
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return f'<a href="{esc(s)}" target="_blank" rel="noopener noreferrer nofollow">{esc(s)}</a>'
    return esc(s)


def _present(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and str(v) != ""


def _marker_rows(lay: PointLayer, fields: Sequence[str] | None, precision: int) -> list[list]:
    from ..crs import WGS84, transform_xy

    attrs = lay.attributes
    label = _label_column(attrs, lay.info)
    idf = lay.info.id_field if lay.info.id_field in attrs.columns else None
    link = _link_column(attrs)
    if fields is None:
        extra = [c for c in (idf,) if c is not None and c != label]
    else:
        missing = [f for f in fields if f not in attrs.columns]
        if missing:
            shown = ", ".join(str(c) for c in attrs.columns if c != "row")
            raise SchemaError(
                f"popup_fields for {lay.name!r}: no column(s) {missing}; columns are {shown}."
            )
        extra, link = list(fields), None
    lon, lat = transform_xy(lay.x, lay.y, lay.crs, WGS84)
    lat, lon = np.round(lat, precision), np.round(lon, precision)
    cols = {c: attrs[c].tolist() for c in dict.fromkeys([label, link, *extra]) if c is not None}
    rows = []
    for i in range(len(lay)):
        name = cols[label][i] if label is not None else None
        tip = esc(name) if _present(name) else esc(f"{lay.name} {attrs['row'].iat[i]}")
        parts = [f"<b>{tip}</b>", f"<small>{esc(lay.name)}</small>"]
        for c in extra:
            v = cols[c][i]
            if _present(v):
                shown = safe_link(v) if str(v).strip().lower().startswith("http") else esc(v)
                parts.append(f"{esc(c)}: {shown}")
        if link is not None and _present(cols[link][i]):
            parts.append(safe_link(cols[link][i]))
        rows.append([float(lat[i]), float(lon[i]), tip, "<br>".join(parts)])
    return rows


def _aggregate(lay: PointLayer, mcrs: CRS | None, precision: int):
    """Counts of points on the smallest square grid with at most :data:`_MAX_SQUARES` squares."""
    from ..crs import choose_metric_crs, transform_xy

    if mcrs is None:
        mcrs = (
            lay.crs
            if lay.crs.is_projected
            else choose_metric_crs(
                (float(lay.x.min()), float(lay.y.min()), float(lay.x.max()), float(lay.y.max())),
                lay.crs,
            )
        )
    x, y = transform_xy(lay.x, lay.y, lay.crs, mcrs)
    for cell in _SQUARES_M:
        ix, iy = np.floor(x / cell).astype(np.int64), np.floor(y / cell).astype(np.int64)
        ny = int(iy.max() - iy.min()) + 1
        keys, counts = np.unique((ix - ix.min()) * ny + (iy - iy.min()), return_counts=True)
        if len(keys) <= _MAX_SQUARES:
            break
    col, row = keys // ny + ix.min(), keys % ny + iy.min()
    boxes = shapely.box(col * cell, row * cell, (col + 1) * cell, (row + 1) * cell)
    geoms, bounds = lonlat(np.asarray(boxes, dtype=object), mcrs, precision)
    return geoms, bounds, counts, float(cell), mcrs


def add_points(m, lay, colour, *, max_markers, cluster_max, fields, metric_crs, precision, state):
    n = len(lay)
    state.source(lay.info)
    title = str(lay.name)
    if n == 0:
        state.legend.append(swatch_block(title, [(colour, "dot", "no points")]))
        return
    if n <= cluster_max:
        rows = _marker_rows(lay, fields, precision)
        lat = np.array([r[0] for r in rows])
        lon = np.array([r[1] for r in rows])
        state.bounds.append((lon.min(), lat.min(), lon.max(), lat.max()))
        cluster = n > max_markers
        how = (
            f"{n:,} points, grouped in clusters (more than max_markers={max_markers:,})"
            if cluster
            else f"{n:,} points as markers"
        )
        style = {
            "radius": 5,
            "color": "#222222",
            "weight": 1,
            "fillColor": colour,
            "fillOpacity": 0.85,
        }
        PointsLayer(
            title,
            rows,
            style=style,
            cluster=cluster,
            reduce_hint=f"aggregate the {n:,} points on squares (cluster_max={max(n // 2, 1):,} "
            f"or less) or map fewer points",
        ).add_to(m)
        state.legend.append(swatch_block(title, [(colour, "dot", how)]))
        state.display.append(f"{title}: {how}")
        return
    geoms, bounds, counts, cell, mcrs = _aggregate(lay, metric_crs, precision)
    state.bounds.append(bounds)
    classes = classify(counts.astype(float), scheme="quantiles", k=5)
    colours = palette(classes.k, "Blues")
    size = f"{cell / 1000:g} km" if cell >= 1000 else f"{cell:g} m"
    props = [
        {
            "c": colours[c],
            "t": f"<b>{int(v):,} {esc(title)}</b> in this {size} square "
            f"({esc(fmt(v / (cell * cell / 1e6)))} per km²)",
        }
        for v, c in zip(counts, classes.yb, strict=True)
    ]
    GeoJsonLayer(
        f"{title} (per {size} square)",
        features(geoms, props),
        style={"color": "#ffffff", "weight": 0.3, "fillOpacity": 0.7},
        reduce_hint="the points are already aggregated; map a smaller area or fewer points",
    ).add_to(m)
    how = (
        f"{n:,} points (more than cluster_max={cluster_max:,}) counted on {size} squares in "
        f"{mcrs.to_string()}; {len(counts):,} occupied squares"
    )
    state.legend.append(
        classes_block(f"{title} per {size} square", how, classes, colours, 0, "squares")
    )
    state.display.append(f"{title}: {how}")
    state.crs(f"{title} squares", mcrs)
