"""CRS policy: every measurement happens in metres, in a CRS chosen from where the data lie.

* Inside Great Britain the metric CRS is the British National Grid (EPSG:27700).
* Elsewhere it is the WGS 84 UTM zone of the data's centre (EPSG:326xx north, 327xx south).
* A layer without a CRS is an error, never a guess.
* Coordinates that contradict their CRS (degrees labelled as metres, eastings labelled as
  degrees, latitude and longitude swapped) are detected and reported with the fix.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from pyproj import CRS, Transformer

from .errors import CRSError

__all__ = [
    "BNG",
    "WGS84",
    "GB_BOUNDS_LONLAT",
    "NI_BOUNDS_LONLAT",
    "IRISH_GRID",
    "as_crs",
    "choose_metric_crs",
    "choose_metric_crs_for",
    "utm_crs_for",
    "to_lonlat_bounds",
    "check_coordinates",
    "transform_geoms",
    "transform_xy",
    "transformer",
]

BNG = CRS.from_epsg(27700)
WGS84 = CRS.from_epsg(4326)
#: Great Britain and its islands as lon/lat (west, south, east, north): EPSG:27700's area of use.
GB_BOUNDS_LONLAT = (-9.01, 49.75, 2.01, 61.01)
#: Northern Ireland as lon/lat: data wholly inside it are measured in Irish Grid (EPSG:29903).
NI_BOUNDS_LONLAT = (-8.25, 53.95, -5.35, 55.45)
IRISH_GRID = CRS.from_epsg(29903)


def as_crs(crs: object, *, what: str = "layer") -> CRS:
    """Turn a user-supplied CRS (``"EPSG:4326"``, ``27700``, WKT, a pyproj CRS) into a CRS.

    Raises
    ------
    CRSError
        If ``crs`` is missing or not understood, naming ``what`` and the fix.
    """
    if crs is None:
        raise CRSError(
            f"{what} has no CRS: give one explicitly, e.g. crs='EPSG:4326' for lon/lat "
            "or crs='EPSG:27700' for British National Grid eastings/northings."
        )
    try:
        return CRS.from_user_input(crs)
    except Exception as exc:  # pyproj raises its own CRSError with a long message
        raise CRSError(
            f"{what}: {crs!r} is not a CRS pyproj understands; use an EPSG code such as "
            "'EPSG:4326' or 'EPSG:27700'."
        ) from exc


def utm_crs_for(lon: float, lat: float) -> CRS:
    """WGS 84 / UTM zone containing (``lon``, ``lat``).

    Examples
    --------
    >>> utm_crs_for(2.19, 41.40).to_epsg()  # Barcelona
    32631
    >>> utm_crs_for(144.96, -37.81).to_epsg()  # Melbourne
    32755
    """
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def to_lonlat_bounds(bounds: Sequence[float], crs: CRS) -> tuple[float, float, float, float]:
    """Bounds (minx, miny, maxx, maxy) in ``crs`` as lon/lat bounds."""
    crs = as_crs(crs)
    if crs.is_geographic and crs.equals(WGS84, ignore_axis_order=True):
        return tuple(float(b) for b in bounds)  # type: ignore[return-value]
    tr = transformer(crs, WGS84)
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    return tr.transform_bounds(minx, miny, maxx, maxy, densify_pts=21)


#: The lettered squares of the British National Grid (metres): 0-700 km east, 0-1300 km north.
BNG_GRID = (0.0, 0.0, 700_000.0, 1_300_000.0)


def _on_the_national_grid(bounds: Sequence[float], crs: CRS) -> bool:
    """True for bounds given in EPSG:27700 that lie within the National Grid's squares."""
    try:
        is_bng = as_crs(crs).equals(BNG)
    except CRSError:
        return False
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    gx0, gy0, gx1, gy1 = BNG_GRID
    return is_bng and minx >= gx0 and miny >= gy0 and maxx <= gx1 and maxy <= gy1


def choose_metric_crs(bounds: Sequence[float], crs: CRS) -> CRS:
    """Choose the metric CRS for data with ``bounds`` in ``crs``.

    EPSG:29903 (Irish Grid) when the data lie wholly in Northern Ireland, EPSG:27700 when they
    lie inside Great Britain's area of use (a UK-wide layer with Northern Ireland included is
    measured in EPSG:27700 too), the UTM zone of the centre of the data when they span at most
    12° each way, a Lambert azimuthal equal-area CRS centred on them up to 60°, and the global
    equal-area EPSG:6933 beyond (districts on several continents: areas stay exact).

    Examples
    --------
    >>> choose_metric_crs((-0.2, 51.4, 0.1, 51.6), WGS84).to_epsg()  # London
    27700
    >>> choose_metric_crs((873, 8132, 655448, 1213615), BNG).to_epsg()  # every UK postcode
    27700
    >>> choose_metric_crs((-75.7, 6.1, -75.5, 6.4), WGS84).to_epsg()  # Medellín
    32618
    >>> choose_metric_crs((-75.6, -37.8, 145.0, 53.5), WGS84).to_epsg()  # three continents
    6933
    """
    w, s, e, n = to_lonlat_bounds(bounds, crs)
    iw, is_, ie, in_ = NI_BOUNDS_LONLAT
    if w >= iw and e <= ie and s >= is_ and n <= in_:
        return IRISH_GRID
    gw, gs, ge, gn = GB_BOUNDS_LONLAT
    if w >= gw and e <= ge and s >= gs and n <= gn:
        return BNG
    if _on_the_national_grid(bounds, crs):
        # a UK-wide layer already in EPSG:27700 (the directory's Northern Irish postcodes
        # included): the lon/lat box of its rotated corners overshoots GB's, the data do not
        return BNG
    lon0, lat0 = (w + e) / 2.0, (s + n) / 2.0
    if e - w <= 12 and n - s <= 12:
        return utm_crs_for(lon0, lat0)
    if e - w <= 60 and n - s <= 60:
        # a continent: Lambert azimuthal equal-area centred on the data (areas exact)
        return CRS.from_proj4(
            f"+proj=laea +lat_0={lat0:.4f} +lon_0={lon0:.4f} +x_0=0 +y_0=0 +datum=WGS84 "
            "+units=m +no_defs"
        )
    # data on several continents: a global equal-area CRS (areas exact, distances are not:
    # measure distances per district, in its own local CRS)
    return CRS.from_epsg(6933)


def choose_metric_crs_for(geoms: object, crs: CRS, *, max_vertices: int = 200_000) -> CRS:
    """Choose the metric CRS from the geometries' own vertices (not their bounding box).

    The lon/lat box of a projected bounding box is larger than the data (the grid is rotated
    against the meridians), so the vertices themselves are transformed, up to
    ``max_vertices`` of them, evenly sampled.
    """
    import shapely

    xy = shapely.get_coordinates(np.asarray(geoms, dtype=object))
    if len(xy) == 0:
        raise CRSError("cannot choose a metric CRS for empty geometries")
    if len(xy) > max_vertices:
        xy = xy[:: len(xy) // max_vertices + 1]
    lon, lat = transform_xy(xy[:, 0], xy[:, 1], as_crs(crs), WGS84)
    return choose_metric_crs(
        (
            float(np.nanmin(lon)),
            float(np.nanmin(lat)),
            float(np.nanmax(lon)),
            float(np.nanmax(lat)),
        ),
        WGS84,
    )


_transformers = threading.local()


def transformer(src: object, dst: object) -> Transformer:
    """A ``Transformer`` from ``src`` to ``dst`` (x = easting/longitude first), reused.

    Building one reads PROJ's database (tens of milliseconds); a layer is checked and moved
    between the same few CRSs again and again, so they are kept per thread (a Transformer
    must not be shared between threads).
    """
    cache = getattr(_transformers, "cache", None)
    if cache is None:
        cache = _transformers.cache = {}
    key = (CRS.from_user_input(src).to_wkt(), CRS.from_user_input(dst).to_wkt())
    tr = cache.get(key)
    if tr is None:
        if len(cache) >= 64:
            cache.clear()
        tr = cache[key] = Transformer.from_crs(src, dst, always_xy=True)
    return tr


def transform_xy(
    x: np.ndarray, y: np.ndarray, src: CRS | str, dst: CRS | str
) -> tuple[np.ndarray, np.ndarray]:
    """Transform coordinate arrays (always x=easting/longitude first)."""
    if CRS.from_user_input(src).equals(dst):
        return np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    tr = transformer(src, dst)
    xx, yy = tr.transform(np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64"))
    return np.asarray(xx), np.asarray(yy)


def transform_geoms(geoms: Any, src: CRS, dst: CRS) -> Any:
    """Transform shapely geometries (one or an array) vertex by vertex; unchanged if same CRS.

    Examples
    --------
    >>> import shapely
    >>> g = transform_geoms(shapely.Point(544734, 258453), CRS(27700), WGS84)
    >>> round(g.x, 3), round(g.y, 3)
    (0.117, 52.205)
    """
    import shapely

    if CRS.from_user_input(src).equals(dst):
        return geoms
    return shapely.transform(
        geoms, lambda a: np.column_stack(transform_xy(a[:, 0], a[:, 1], src, dst))
    )


def check_coordinates(
    x: np.ndarray,
    y: np.ndarray,
    crs: CRS,
    *,
    what: str,
    x_name: str = "x",
    y_name: str = "y",
    relabel: str | None = None,
) -> None:
    """Raise a :class:`CRSError` when coordinates contradict their CRS.

    Detects latitude outside ±90 or longitude outside ±180 in a geographic CRS (usually
    eastings/northings labelled as degrees, or swapped columns) and coordinates that all fit
    inside ±180/±90 in a projected CRS (degrees labelled as metres). Points outside the CRS's
    area of use are reported too.

    Parameters
    ----------
    x, y : numpy.ndarray
        Coordinates, x first (longitude or easting). NaN values are ignored.
    crs : pyproj.CRS
        The CRS the coordinates claim to be in.
    what : str
        The layer or file named in the error.
    x_name, y_name : str
        The column names named in the error.
    relabel : str, optional
        The fix for a file whose CRS label is wrong, with ``{crs}`` for the right CRS, e.g.
        ``"re-label it: ogr2ogr -a_srs {crs} fixed.gpkg in.geojson"``; the default,
        ``"pass crs='{crs}' (CLI: --points-crs NAME={crs})"``, suits tables whose CRS the
        caller chooses.
    """

    def fix(right: str) -> str:
        return (relabel or "pass crs='{crs}' (CLI: --points-crs NAME={crs})").format(crs=right)

    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return
    xv, yv = np.asarray(x)[ok], np.asarray(y)[ok]
    if crs.is_geographic:
        bad_lat = np.abs(yv) > 90
        bad_lon = np.abs(xv) > 180
        if bad_lat.any() or bad_lon.any():
            if (np.abs(yv) > 1000).mean() > 0.5 and (np.abs(xv) > 1000).mean() > 0.5:
                raise CRSError(
                    f"{what}: coordinates ({x_name}, {y_name}) are in the thousands, so they are "
                    f"not degrees although the CRS is {crs.to_string()}; they look like "
                    f"eastings/northings: {fix('EPSG:27700')} (British National Grid) or the "
                    "projected CRS they were measured in."
                )
            if bad_lat.mean() > 0.5 and not (np.abs(xv) > 90).any():
                swap = (
                    f"swap the columns (x={y_name!r}, y={x_name!r})."
                    if relabel is None
                    else "write it again with longitude as x "
                    "(shapely.transform(geom, lambda c: c[:, ::-1]) swaps them)."
                )
                raise CRSError(
                    f"{what}: {int(bad_lat.sum())} values of {y_name} lie outside ±90°, but "
                    f"{x_name} fits as latitude: latitude and longitude look swapped; {swap}"
                )
            if not bad_lat.any() and (xv >= -180).all() and (xv <= 360).all():
                raise CRSError(
                    f"{what}: {int(bad_lon.sum())} longitudes lie beyond 180° (up to "
                    f"{float(xv.max()):.6g}°): a 0-360° convention, or a shape drawn across the "
                    "antimeridian; subtract 360 from the longitudes above 180 (a boundary "
                    "crossing the antimeridian is then split and measured across it)."
                )
            raise CRSError(
                f"{what}: {int(bad_lat.sum() + bad_lon.sum())} coordinates lie outside the valid "
                f"range of {crs.to_string()} (longitude ±180°, latitude ±90°); check the "
                "columns and the CRS."
            )
        return
    # projected CRS: degrees mislabelled as metres?
    if (np.abs(xv) <= 180).all() and (np.abs(yv) <= 90).all():
        raise CRSError(
            f"{what}: every coordinate fits inside ±180/±90, which in {crs.to_string()} "
            "would put all points within a few hundred metres of the false origin: they look "
            f"like longitude/latitude; {fix('EPSG:4326')}."
        )
    aou = crs.area_of_use
    if aou is None:
        return
    lon, lat = transform_xy(xv, yv, crs, WGS84)
    margin = 1.0
    outside = ~(
        (lon >= aou.west - margin)
        & (lon <= aou.east + margin)
        & (lat >= aou.south - margin)
        & (lat <= aou.north + margin)
    ) | ~np.isfinite(lon)
    if outside.mean() > 0.5:
        raise CRSError(
            f"{what}: {int(outside.sum())} of {len(xv)} points fall outside the area of use of "
            f"{crs.to_string()} ({aou.name}); the CRS label is probably wrong: give the CRS "
            f"the coordinates were measured in, e.g. {fix('EPSG:4326')} for lon/lat."
        )


def check_swapped_against(
    x: np.ndarray,
    y: np.ndarray,
    crs: CRS,
    extent: Sequence[float],
    *,
    what: str,
) -> None:
    """Raise when points miss ``extent`` but would fall inside it with x and y swapped.

    ``extent`` is (minx, miny, maxx, maxy) in ``crs``. Used before a join: lon/lat typed in
    the wrong order are valid degrees, so only the boundaries reveal the mistake.
    """
    minx, miny, maxx, maxy = extent
    x, y = np.asarray(x), np.asarray(y)
    # the common case: enough points inside (NaN never is) settles it, usually within the
    # first blocks (cache-sized, so that the temporaries stay in the CPU cache)
    need, seen = 0.05 * len(x), 0
    for s in range(0, len(x), 1 << 16):
        xs, ys = x[s : s + (1 << 16)], y[s : s + (1 << 16)]
        seen += int(((xs >= minx) & (xs <= maxx) & (ys >= miny) & (ys <= maxy)).sum())
        if seen >= need:
            return
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() == 0:
        return
    xv, yv = x[ok], y[ok]
    inside = (xv >= minx) & (xv <= maxx) & (yv >= miny) & (yv <= maxy)
    swapped = (yv >= minx) & (yv <= maxx) & (xv >= miny) & (xv <= maxy)
    if inside.mean() < 0.05 and swapped.mean() > 0.5:
        raise CRSError(
            f"{what}: {int((~inside).sum())} of {len(xv)} points fall outside the boundaries, "
            "but would fall inside them with x and y swapped: the longitude and latitude "
            "(or easting and northing) columns look swapped; swap them (e.g. "
            "--xy NAME=LONCOL,LATCOL with longitude first)."
        )


__all__.append("check_swapped_against")
