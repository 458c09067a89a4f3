"""Shared pieces of the static figures: classes, scale bars, north arrows, footers."""

from __future__ import annotations

import json
import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._validate import as_boundaries as validate_boundaries
from .._validate import as_point_layer
from .._version import __version__
from ..boundaries import Boundaries
from ..classify import SCHEMES
from ..classify import classify as classify_values
from ..errors import (
    ArgumentTypeError,
    CRSError,
    InputFileError,
    MissingDependencyError,
    ParameterError,
    SchemaError,
)
from ..layers import PointLayer

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


__all__ = [
    "EDGE",
    "FORMATS",
    "HOT",
    "POINT_COLOURS",
    "QUADRANTS",
    "ROUND_STEPS",
    "SCHEMES",
    "Classes",
    "as_boundaries",
    "as_layer",
    "check_path",
    "choropleth_values",
    "classify",
    "crs_label",
    "compound_path",
    "draw_geoms",
    "draw_north_arrow",
    "draw_scale_bar",
    "fill_box",
    "format_length",
    "frame_in",
    "grid_north",
    "import_matplotlib",
    "in_crs",
    "map_crs",
    "metres_per_pixel",
    "nice_length",
    "sidecar_path",
    "source_lines",
    "units_label",
    "wrap_footer",
    "write_figure",
]

#: File formats of :func:`static_map` and :func:`compare_panels`, by extension.
FORMATS = (".png", ".svg", ".pdf")

#: Ground resolutions offered by default in compare panels: "6 m per pixel", never "6.13".
ROUND_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
#: Colour and legend label of Gi* hot and cold spots.
HOT = {"hot": ("#d7301f", "hot spot"), "cold": ("#2b8cbe", "cold spot")}
#: Colour and legend label of the LISA quadrants.
QUADRANTS = {
    "HH": ("#d7301f", "high–high"),
    "HL": ("#fc9272", "high–low"),
    "LH": ("#9ecae1", "low–high"),
    "LL": ("#2b8cbe", "low–low"),
}
#: Colours of point layers, in turn.
POINT_COLOURS = ("#111111", "#6a3d9a", "#1b9e77", "#d95f02", "#e7298a")
#: Colour of boundary edges and their labels.
EDGE = "#1d3557"


def import_matplotlib() -> Any:
    """matplotlib, imported on first use (with an install hint when it is missing)."""
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            'figures need matplotlib: pip install "geodistrict[maps]" (or: pip install matplotlib)'
        ) from exc
    return matplotlib


# ---------------------------------------------------------------------------------------------
# small pure helpers: lengths, units, north, classes
# ---------------------------------------------------------------------------------------------


def nice_length(span_m: float, *, fraction: float = 0.25) -> float:
    """The longest round length (1, 2 or 5 × 10ⁿ m) at most ``fraction`` of ``span_m``.

    Examples
    --------
    >>> nice_length(3600)  # a quarter is 900 m
    500.0
    >>> nice_length(1000), nice_length(40_000), nice_length(9)
    (200.0, 10000.0, 2.0)
    """
    target = float(span_m) * float(fraction)
    if not (math.isfinite(target) and target > 0):
        raise ParameterError(f"span {span_m!r} m: give a positive width in metres.")
    power = 10.0 ** math.floor(math.log10(target))
    for step in (5.0, 2.0, 1.0):
        if step * power <= target * (1 + 1e-12):
            return step * power
    return power  # pragma: no cover - unreachable: 1 × 10ⁿ <= target


def format_length(length_m: float) -> str:
    """A length as the scale bar labels it: metres below 1 km, kilometres from 1 km.

    Examples
    --------
    >>> format_length(500), format_length(2000), format_length(2500), format_length(0.5)
    ('500 m', '2 km', '2.5 km', '0.5 m')
    """
    v = float(length_m)
    return f"{v / 1000:g} km" if v >= 1000 else f"{v:g} m"


def _parse_length(label: str) -> float:
    """Metres from a :func:`format_length` label."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*(km|m)\s*", label)
    if not m:
        raise ParameterError(f"{label!r} is not a length like '500 m' or '2 km'.")
    return float(m.group(1)) * (1000.0 if m.group(2) == "km" else 1.0)


def units_label(name: str | None, units: str | None = None) -> str:
    """The legend's units: ``units`` as given, else derived from a ``..._per_km2`` name.

    Examples
    --------
    >>> units_label("universities_per_km2")
    'universities per km²'
    >>> units_label("firms_count", "firms"), units_label(None, "points per km2")
    ('firms', 'points per km²')
    """
    if units:
        return re.sub(r"km2\b", "km²", units)
    if not name:
        return "value"
    m = re.fullmatch(r"(.+?)_per_(km2|ha)", str(name))
    if m:
        return f"{m.group(1).replace('_', ' ')} per {'km²' if m.group(2) == 'km2' else 'ha'}"
    return str(name).replace("_", " ")


def crs_label(crs: CRS) -> str:
    """``EPSG:27700 (OSGB36 / British National Grid)``, or the CRS name when it has no code."""
    code = crs.to_authority()
    return f"{code[0]}:{code[1]} ({crs.name})" if code else str(crs.name)


def grid_north(crs: CRS, x: float, y: float) -> tuple[float, str]:
    """Angle from grid north to true north at (``x``, ``y``), in degrees, and a sentence.

    Positive when true north lies east (clockwise) of grid north. In British National Grid and
    UTM the two coincide only on the central meridian.

    Examples
    --------
    >>> from pyproj import CRS
    >>> deg, text = grid_north(CRS.from_epsg(27700), 400000, 300000)  # the central meridian
    >>> abs(deg) < 0.01, text.endswith("true north here (within 0.01°)")
    (True, True)
    >>> print(grid_north(CRS.from_epsg(27700), 200000, 300000)[1])  # west Wales, 4.9° W
    north arrow: grid north of EPSG:27700; true north is 2.35° east of it at the centre of the map
    """
    from ..crs import transformer

    to_ll = transformer(crs, "EPSG:4326")  # kept per thread: building one reads PROJ's database
    to_xy = transformer("EPSG:4326", crs)
    lon, lat = to_ll.transform(x, y)
    step = 0.001 if lat < 89.9 else -0.001  # step south at the pole and turn round
    x1, y1 = to_xy.transform(lon, lat + step)
    sign = 1.0 if step > 0 else -1.0
    deg = math.degrees(math.atan2(sign * (x1 - x), sign * (y1 - y)))
    code = crs_label(crs).split(" (")[0]
    if abs(deg) < 0.005:
        return deg, f"north arrow: grid north of {code}, which is true north here (within 0.01°)"
    side = "east" if deg > 0 else "west"
    return deg, (
        f"north arrow: grid north of {code}; true north is {abs(deg):.2f}° {side} of it at "
        "the centre of the map"
    )


@dataclass(frozen=True, eq=False)
class Classes:
    """Classes of a choropleth, as mapclassify made them.

    Attributes
    ----------
    scheme : str
        A key of :data:`SCHEMES`.
    k : int or None
        Classes asked for (``None`` for schemes that choose their own number).
    bins : tuple of float
        Upper bound of each class, as ``mapclassify.<Scheme>(values, k).bins``.
    lower : float
        The smallest value (lower bound of the first class).
    labels : tuple of str
        ``"lower – upper"`` per class.
    counts : tuple of int
        Values in each class.
    yb : numpy.ndarray
        Class of each input value (-1 for missing values).
    """

    scheme: str
    k: int | None
    bins: tuple[float, ...]
    lower: float
    labels: tuple[str, ...]
    counts: tuple[int, ...]
    yb: np.ndarray = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (without the per-value classes)."""
        return {
            "scheme": self.scheme,
            "k": self.k,
            "bins": list(self.bins),
            "lower": self.lower,
            "labels": list(self.labels),
            "counts": list(self.counts),
        }


def classify(values: Any, *, scheme: str = "quantiles", k: int = 5) -> Classes:
    """Classify values with mapclassify; missing values get class -1.

    The classes of :func:`geodistrict.classify.classify` (any scheme of :data:`SCHEMES`, from
    one class up) as the record a figure writes beside it, labelled with one number of decimals.

    Parameters
    ----------
    values : array-like
        Numbers; NaN marks a missing value (left out of the classification).
    scheme : str
        A key of :data:`SCHEMES`.
    k : int
        Number of classes, for the schemes that take one.

    Examples
    --------
    >>> c = classify([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, float("nan")], k=5)
    >>> [round(b, 2) for b in c.bins], c.labels[0], int(c.yb[-1])
    ([2.8, 4.6, 6.4, 8.2, 10.0], '1.00 – 2.80', -1)
    """
    c = classify_values(values, scheme=scheme, k=k, min_k=1)
    return Classes(
        c.scheme,
        c.k_asked,
        tuple(float(b) for b in c.bins),
        c.minimum,
        tuple(c.labels("decimals")),
        tuple(int(n) for n in c.counts),
        c.yb,
    )


# ---------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------


def as_boundaries(obj: Any, what: str) -> Boundaries:
    """Boundaries from Boundaries or a polygon GeoDataFrame.

    Through :func:`geodistrict._validate.as_boundaries` (no paths); anything else raises
    :class:`~geodistrict.errors.ArgumentTypeError` (a ``TypeError``).
    """
    return validate_boundaries(obj, what, paths=False)


def as_layer(obj: Any, i: int) -> PointLayer:
    """The ``i``-th point layer of a figure, from a PointLayer or a point GeoDataFrame.

    A GeoDataFrame becomes a layer named ``points{i + 1}``
    (:func:`geodistrict._validate.as_point_layer`).
    """
    return as_point_layer(obj, f"points[{i}]", name=f"points{i + 1}")


def choropleth_values(b: Boundaries, choropleth: Any) -> tuple[np.ndarray, str | None]:
    """Values aligned with the boundaries, and the name they came under."""
    src = b.info.source
    name: str | None
    if isinstance(choropleth, str):
        if choropleth not in b.data.columns:
            cols = ", ".join(str(c) for c in b.data.columns if c != "geometry")
            raise SchemaError(
                f"choropleth: {src} has no column {choropleth!r} (columns: {cols}); name one of "
                "them or pass a Series indexed by boundary id."
            )
        s, name = b.data[choropleth].reset_index(drop=True), choropleth
    elif isinstance(choropleth, pd.Series):
        name = None if choropleth.name is None else str(choropleth.name)
        idx = choropleth.index.astype(str)
        ids = pd.Index([str(i) for i in b.ids])
        if idx.is_unique and ids.isin(idx).all():
            s = pd.Series(choropleth.to_numpy(), index=idx).reindex(ids).reset_index(drop=True)
        elif len(choropleth) == len(b) and isinstance(choropleth.index, pd.RangeIndex):
            s = choropleth.reset_index(drop=True)
        else:
            missing = [i for i in ids if i not in set(idx)][:5]
            raise SchemaError(
                f"choropleth: the Series is indexed neither by the boundary ids of {src} "
                f"(missing e.g. {missing}) nor by position; index it by id "
                "(table.set_index('id')[column])."
            )
    else:
        arr = np.asarray(choropleth)
        if arr.ndim != 1 or len(arr) != len(b):
            raise SchemaError(
                f"choropleth: {arr.size} values for {len(b)} boundaries of {src}; pass one value "
                "per boundary, a column name or a Series indexed by boundary id."
            )
        s, name = pd.Series(arr), None
    values = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64")
    bad = s.notna().to_numpy() & np.isnan(values)
    if bad.any():
        raise SchemaError(
            f"choropleth: {int(bad.sum())} values are not numbers (e.g. {s[bad].iloc[0]!r}); "
            "pass a numeric column."
        )
    return values, name


def in_crs(geoms: Any, src: CRS, dst: CRS) -> np.ndarray:
    """Geometries in ``src`` as an array in ``dst`` (not copied when the two are equal)."""
    s = gpd.GeoSeries(np.asarray(geoms, dtype=object), crs=src)
    return np.asarray((s if CRS.from_user_input(src).equals(dst) else s.to_crs(dst)).array)


def frame_in(gdf: Any, dst: CRS, what: str) -> np.ndarray:
    """A GeoDataFrame's (or Boundaries') geometries in ``dst``; refused without a CRS."""
    if isinstance(gdf, Boundaries):
        return in_crs(gdf.metric, gdf.metric_crs, dst)
    if not isinstance(gdf, gpd.GeoDataFrame | gpd.GeoSeries):
        raise ArgumentTypeError(f"{what} must be a GeoDataFrame, not {type(gdf).__name__}.")
    if gdf.crs is None:
        raise CRSError(f"{what} has no CRS; set it (gdf.set_crs(...)) before drawing.")
    geo = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    return in_crs(geo.array, gdf.crs, dst)


def map_crs(boundaries, density, hotspots, outlines, layers) -> CRS:
    """The metric CRS the map is drawn in (a raster is not resampled: its CRS wins)."""
    if density is not None:
        return density.crs
    if boundaries is not None:
        return boundaries.metric_crs
    for g in (hotspots, outlines):
        if g is not None and g.crs is not None and not CRS.from_user_input(g.crs).is_geographic:
            return CRS.from_user_input(g.crs)
    if layers:
        from ..crs import choose_metric_crs

        lay = layers[0]
        bounds = (lay.x.min(), lay.y.min(), lay.x.max(), lay.y.max())
        return choose_metric_crs(bounds, lay.crs)
    raise ParameterError(
        "static_map: nothing to draw; pass boundaries=, density=, hotspots=, outlines= or points=."
    )


def check_path(path: str | Path, what: str) -> Path:
    """``path`` checked for a figure: a known extension and an existing folder."""
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise ParameterError(
            f"{p}: {what} writes {', '.join(FORMATS)}; change the file's extension."
        )
    if not p.parent.exists():
        raise InputFileError(f"{p}: the folder {p.parent} does not exist; create it first.")
    return p


def sidecar_path(path: str | Path) -> Path:
    """Where the record of a figure is written: ``map.png`` → ``map.png.json``."""
    p = Path(path)
    return p.with_name(p.name + ".json")


# ---------------------------------------------------------------------------------------------
# drawing
# ---------------------------------------------------------------------------------------------


def _path_of(geom: Any) -> Any:
    """One geometry's matplotlib Path (:func:`compound_path` of it), or ``None``."""
    return compound_path([geom])


def compound_path(geoms: Any) -> Any:
    """One matplotlib Path of every polygon ring and line of ``geoms``, built array-wise.

    Drawn with one style, it looks exactly as the geometries drawn one by one (shells
    anticlockwise, holes clockwise, so nonzero filling leaves the holes empty), at the cost of
    one path: a map of 2,000 hot-spot squares is one ``<path>`` in its SVG, not 2,000.

    Returns ``None`` when there is nothing to draw.
    """
    from matplotlib.path import Path as MPath

    arr = np.asarray([g for g in geoms if g is not None], dtype=object)
    parts = shapely.get_parts(arr) if len(arr) else arr
    parts = parts[~shapely.is_empty(parts)] if len(parts) else parts
    kind = shapely.get_type_id(parts)
    polys = shapely.orient_polygons(parts[kind == 3], exterior_cw=False)
    pieces = [
        (shapely.get_rings(polys), True),  # each shell, then its holes
        (parts[(kind == 1) | (kind == 2)], False),
    ]
    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for lines, closed in pieces:
        if not len(lines):
            continue
        xy, which = shapely.get_coordinates(lines, return_index=True)
        n = np.bincount(which, minlength=len(lines))
        keep = np.repeat(n >= 2, n)
        xy, n = xy[keep], n[n >= 2]
        if not len(xy):
            continue
        c = np.full(len(xy), MPath.LINETO, dtype=np.uint8)
        ends = np.cumsum(n)
        c[ends - n] = MPath.MOVETO
        if closed:
            c[ends - 1] = MPath.CLOSEPOLY
        verts.append(xy)
        codes.append(c)
    if not verts:
        return None
    return MPath(np.concatenate(verts), np.concatenate(codes))


def _all_polygonal(geoms: Any) -> bool:
    """Whether every geometry is a (Multi)Polygon (a line in a compound path draws differently)."""
    arr = np.asarray([g for g in geoms if g is not None], dtype=object)
    return bool(np.isin(shapely.get_type_id(arr), (3, 6)).all()) if len(arr) else True


def draw_geoms(ax: Axes, geoms: Any, *, gid: str, **style: Any) -> Any:
    """Draw polygons/lines as one PatchCollection (no pyplot, no geopandas plotting).

    Polygons with one face colour (or none) are one compound path (:func:`compound_path`);
    with a colour per geometry, or with lines among them, one path each.
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch

    faces = style.pop("facecolors", None)
    patches, keep = [], []
    if (faces is None or isinstance(faces, str)) and _all_polygonal(geoms):
        whole = compound_path(geoms)
        patches = [PathPatch(whole)] if whole is not None else []
    else:
        for i, g in enumerate(geoms):
            p = None if g is None else _path_of(g)
            if p is not None:
                patches.append(PathPatch(p))
                keep.append(i)
        if faces is not None and not isinstance(faces, str):
            faces = [faces[i] for i in keep]
    coll = PatchCollection(patches, facecolors=faces if faces is not None else "none", **style)
    coll.set_gid(gid)
    ax.add_collection(coll, autolim=False)
    return coll


def draw_scale_bar(
    ax: Axes, xlim: tuple[float, float], ylim: tuple[float, float]
) -> dict[str, Any]:
    """A black bar of a round length at the lower left, its label above it."""
    from matplotlib.patches import Rectangle

    w, h = xlim[1] - xlim[0], ylim[1] - ylim[0]
    length = nice_length(w)
    label = format_length(length)
    x0, y0 = xlim[0] + 0.05 * w, ylim[0] + 0.05 * h
    bar = Rectangle(
        (x0, y0), length, 0.012 * h, facecolor="black", edgecolor="white", linewidth=0.6, zorder=9
    )
    bar.set_gid("scale-bar")
    ax.add_patch(bar)
    t = ax.text(
        x0 + length / 2,
        y0 + 0.022 * h,
        label,
        ha="center",
        va="bottom",
        fontsize=8,
        zorder=9,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 1},
    )
    t.set_gid("scale-bar-label")
    return {"length_m": length, "label": label}


def draw_north_arrow(ax: Axes) -> None:
    """An arrow and ``N`` at the upper right of the axes (grid north)."""
    a = ax.annotate(
        "N",
        xy=(0.93, 0.96),
        xytext=(0.93, 0.84),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=9,
        fontweight="bold",
        zorder=9,
        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.2},
    )
    a.set_gid("north-arrow")


def source_lines(infos: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per distinct source: name, attribution (or file), licence, vintage."""
    out: list[str] = []
    for s in infos:
        who = (
            s.get("attribution")
            or f"{Path(str(s.get('source', '?'))).name} (attribution not recorded)"
        )
        extra = [f"licence {s['licence']}" if s.get("licence") else "licence not recorded"]
        if s.get("vintage"):
            extra.append(str(s["vintage"]))
        line = f"{s.get('name', 'layer')}: {who} ({'; '.join(extra)})"
        if line not in out:
            out.append(line)
    return out


def wrap_footer(lines: Sequence[str], width_in: float, fontsize: float) -> tuple[str, int]:
    """Footer lines wrapped to the figure's width; the text and its number of lines."""
    chars = max(40, int(width_in * 72 / (0.52 * fontsize)))
    text = "\n".join(
        textwrap.fill(line, width=chars, subsequent_indent="  ", break_on_hyphens=False)
        for line in lines
    )
    return text, text.count("\n") + 1


def _save_figure(fig: Figure, path: Path, dpi: float, *, title: str, description: str) -> None:
    mpl = import_matplotlib()
    ext = path.suffix.lower()
    tool = f"geodistrict {__version__}"
    meta = {
        ".png": {"Title": title, "Description": description, "Software": tool},
        ".svg": {"Title": title, "Description": description, "Creator": tool},
        ".pdf": {"Title": title, "Subject": description, "Creator": tool},
    }[ext]
    with mpl.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
        fig.savefig(path, dpi=dpi, format=ext[1:], metadata=meta)


def _write_record(path: Path, record: Mapping[str, Any]) -> None:
    sidecar_path(path).write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")


def write_figure(
    fig: Figure, record: dict[str, Any], path: Path, dpi: float, *, title: str, description: str
) -> Path:
    """Save a figure (with its title and description as metadata) and its record beside it.

    The record gains ``path``; it is written to :func:`sidecar_path`.
    """
    record["path"] = str(path)
    _save_figure(fig, path, dpi, title=title, description=description)
    _write_record(path, record)
    return path


def metres_per_pixel(ax: Axes) -> tuple[float, float]:
    """Ground metres per pixel of an axes drawn in a metric CRS, in x and in y.

    The axes' data limits divided by its size in pixels at the figure's dpi (after applying its
    aspect, as drawing does).
    """
    ax.apply_aspect()
    bbox = ax.get_window_extent()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    return abs(x1 - x0) / bbox.width, abs(y1 - y0) / bbox.height


# ---------------------------------------------------------------------------------------------
# static map
# ---------------------------------------------------------------------------------------------


def fill_box(
    xlim: tuple[float, float], ylim: tuple[float, float], box_w: float, box_h: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Widen the shorter side of the view about its centre to the box's shape (same metres).

    Examples
    --------
    >>> fill_box((0.0, 1100.0), (0.0, 200.0), 4.0, 2.0)  # a strip in a 2:1 box
    ((0.0, 1100.0), (-175.0, 375.0))
    """
    w, h = xlim[1] - xlim[0], ylim[1] - ylim[0]
    if h * box_w < w * box_h:
        grow = (w * box_h / box_w - h) / 2
        return xlim, (ylim[0] - grow, ylim[1] + grow)
    grow = (h * box_w / box_h - w) / 2
    return (xlim[0] - grow, xlim[1] + grow), ylim
