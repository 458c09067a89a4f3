"""The kernel density surface as an image warped to Web Mercator, with its colour bar.

The surface is warped from its metric CRS to EPSG:3857 — the grid Leaflet draws in — and the
image is placed on the lat/lon bounds of that grid, so that every pixel lies where its cells
are.
"""

from __future__ import annotations

import base64
import io
import math
import warnings
from typing import Any

import numpy as np
from pyproj import CRS

from ..errors import MissingDependencyError, ParameterError
from ._elements import ImageLayer
from ._legend import colourbar_block, fmt

_DENSITY_LEVELS = 128


def _density_image(r: Any, scale: str) -> tuple[str, list[list[float]], dict[str, Any]]:
    """The surface warped to EPSG:3857 as a palette PNG, its lat/lon bounds and its colours."""
    try:
        from rasterio.crs import CRS as RioCRS
        from rasterio.warp import Resampling, calculate_default_transform, reproject
    except ImportError as exc:
        raise MissingDependencyError(
            'density maps need rasterio: pip install "geodistrict[raster]"'
        ) from exc
    import matplotlib
    from matplotlib.colors import to_hex
    from PIL import Image

    from ..crs import WGS84, transform_xy

    arr = np.asarray(r.array, dtype="float64")
    h, w = arr.shape
    t = r.transform
    src_crs = RioCRS.from_wkt(r.crs.to_wkt())
    left, top = t.c, t.f
    right, bottom = left + w * t.a, top + h * t.e
    with warnings.catch_warnings():
        # rasterio 1.4 multiplies affine transforms with *, which affine 3 deprecates
        warnings.filterwarnings("ignore", "Use `@` matmul", PendingDeprecationWarning)
        dst_t, dw, dh = calculate_default_transform(
            src_crs, "EPSG:3857", w, h, left=left, bottom=bottom, right=right, top=top
        )
        out = np.full((dh, dw), np.nan, dtype="float64")
        reproject(
            arr,
            out,
            src_transform=t,
            src_crs=src_crs,
            dst_transform=dst_t,
            dst_crs="EPSG:3857",
            resampling=Resampling.bilinear,
            dst_nodata=np.nan,
        )
    vmax = float(arr.max())
    if scale == "log":
        vmin = vmax / 1000.0
        with np.errstate(divide="ignore", invalid="ignore"):
            norm = (np.log10(out) - math.log10(vmin)) / (math.log10(vmax) - math.log10(vmin))
        shown = np.isfinite(out) & (out >= vmin)
    else:
        vmin = 0.0
        norm = out / vmax
        shown = np.isfinite(out) & (out > 0)
    idx = np.zeros(out.shape, dtype=np.uint8)
    idx[shown] = 1 + np.clip((norm[shown] * _DENSITY_LEVELS).astype(int), 0, _DENSITY_LEVELS - 1)
    cmap = matplotlib.colormaps["viridis"]
    rgb = cmap((np.arange(_DENSITY_LEVELS) + 0.5) / _DENSITY_LEVELS, bytes=True)[:, :3]
    img = Image.fromarray(idx)
    img.putpalette([0, 0, 0, *rgb.ravel().tolist()])
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True, transparency=0)
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    west, north = dst_t.c, dst_t.f
    east, south = west + dw * dst_t.a, north + dh * dst_t.e
    lon, lat = transform_xy(
        np.array([west, east]), np.array([south, north]), CRS.from_epsg(3857), WGS84
    )
    bounds = [[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]]
    stops = [to_hex(cmap(i / 8)) for i in range(9)]
    return url, bounds, {"vmin": vmin, "vmax": vmax, "stops": stops, "shape": (dh, dw)}


def _ticks(vmin: float, vmax: float, scale: str) -> list[tuple[float, float]]:
    from matplotlib.ticker import LogLocator, MaxNLocator

    if scale == "log":
        vals = [v for v in LogLocator(base=10, subs=(1.0,)).tick_values(vmin, vmax)]
        vals = [v for v in vals if vmin <= v <= vmax]
        if len(vals) < 2:
            vals = [v for v in LogLocator(subs=(1.0, 2.0, 5.0)).tick_values(vmin, vmax)]
            vals = [v for v in vals if vmin <= v <= vmax]
        span = math.log10(vmax) - math.log10(vmin)
        return [((math.log10(v) - math.log10(vmin)) / span, v) for v in vals]
    vals = [v for v in MaxNLocator(5).tick_values(0, vmax) if 0 <= v <= vmax]
    return [(v / vmax, v) for v in vals]


def add_density(m, r, *, scale, state, show=True):
    if scale not in ("log", "linear"):
        raise ParameterError(f"density_scale={scale!r} is not one of 'log', 'linear'.")
    src = dict(r.source or {})
    what = str(src.get("name") or "points") if r.weight is None else str(r.weight)
    units = f"{what} per km²"
    url, bounds, info = _density_image(r, scale)
    state.bounds.append((bounds[0][1], bounds[0][0], bounds[1][1], bounds[1][0]))
    state.source(src)
    state.crs("density surface", r.crs)
    vmin, vmax = info["vmin"], info["vmax"]
    if scale == "log":
        note = (
            f"log scale; transparent below {fmt(vmin)} per km² (a thousandth of the "
            f"maximum, {fmt(vmax)})"
        )
    else:
        note = f"linear scale up to the maximum, {fmt(vmax)}; transparent where no point reaches"
    sub = (
        f"kernel density: {r.kernel} kernel, bandwidth {fmt(r.bandwidth_m)} m, "
        f"{fmt(r.cell_m)} m cells"
    )
    state.legend.append(colourbar_block(units, sub, info["stops"], _ticks(vmin, vmax, scale), note))
    state.method.append(
        f"kernel density of {what}: {r.kernel} kernel, bandwidth {fmt(r.bandwidth_m)} m, "
        f"cell {fmt(r.cell_m)} m, computed in {r.crs.to_string()}; {r.n_points:,} points"
        + (f" ({r.n_excluded:,} outside the study area left out)" if r.n_excluded else "")
        + f"; {r.edge}"
    )
    state.display.append(
        f"density surface: warped from {r.crs.to_string()} to Web Mercator (EPSG:3857) with "
        f"bilinear resampling, {info['shape'][1]} x {info['shape'][0]} pixels, "
        f"{_DENSITY_LEVELS} colour levels"
    )
    cell = r.cell_m
    ImageLayer(
        f"density ({units})",
        url,
        bounds,
        opacity=0.75,
        show=show,
        reduce_hint=f"use a coarser KDE cell (cell_m={2 * cell:g}, CLI --cell {2 * cell:g}; "
        f"now {cell:g} m)",
    ).add_to(m)
