"""The data model: point layers as coordinate arrays, with their provenance and rejects.

A national point layer (2.7 M postcodes, 5 M firms) is held as two float arrays and a table of
attributes: building 2.7 M shapely objects costs more than the whole join. Geometry objects are
made only when asked for (:meth:`PointLayer.to_geodataframe`).

Every point layer remembers how many rows its source had and which rows were rejected, with a
reason, so that the join can account for every input record.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from pyproj import CRS

from .errors import EmptyLayerError, ParameterError

__all__ = ["LayerInfo", "OGL_V3", "PointLayer", "REJECTED_COLUMNS"]

#: The licence of the UK government's open data (ONS, Companies House, UKRLP), as written in
#: a layer's :attr:`LayerInfo.licence`.
OGL_V3 = "Open Government Licence v3.0"

#: Columns of :attr:`PointLayer.rejected`.
REJECTED_COLUMNS = ["row", "id", "reason"]


@dataclass(frozen=True)
class LayerInfo:
    """Provenance of a layer: where it came from and how it may be cited.

    Attributes
    ----------
    name : str
        The short name used in output columns (``universities`` → ``universities_count``).
    source : str
        File path or built-in layer name.
    kind : str
        ``"points"`` or ``"polygons"``; readers may be more specific
        (``"companies_house"``, ``"onspd"``, ``"universities"``).
    licence, attribution, vintage : str or None
        As published; ``None`` when unknown.
    id_field : str or None
        Column identifying a record (``UKPRN``, ``pcd``, ``CompanyNumber``) used in reports.
    multivalued : tuple of str
        Columns holding comma-separated lists (a university in several groups); a category
        breakdown by such a column counts a record once in each of its values.
    notes : tuple of str
        What the reader did on the user's behalf (encoding guessed, rows excluded ...).
    """

    name: str
    source: str
    kind: str = "points"
    licence: str | None = None
    attribution: str | None = None
    vintage: str | None = None
    id_field: str | None = None
    multivalued: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON reports."""
        return {
            "name": self.name,
            "source": self.source,
            "kind": self.kind,
            "licence": self.licence,
            "attribution": self.attribution,
            "vintage": self.vintage,
            "id_field": self.id_field,
            "notes": list(self.notes),
        }


def _empty_rejected() -> pd.DataFrame:
    return pd.DataFrame({"row": pd.Series(dtype="int64"), "id": [], "reason": []})


@dataclass(frozen=True)
class PointLayer:
    """Points as coordinate arrays plus attributes, with the rows that could not be placed.

    Attributes
    ----------
    x, y : numpy.ndarray
        Coordinates in :attr:`crs` (x = easting or longitude). Every value is finite.
    crs : pyproj.CRS
        The coordinates' CRS (never ``None``).
    attributes : pandas.DataFrame
        One row per point, aligned with ``x``/``y``; column ``row`` holds the record's position
        in the source (0-based data row), so a point can always be traced back.
    info : LayerInfo
        Provenance.
    rejected : pandas.DataFrame
        Source rows with no usable location: columns ``row``, ``id``, ``reason``.
    n_input : int
        Rows in the source: ``len(x) + len(rejected) == n_input`` always.
    extent : tuple of float or None
        For a window of a larger layer (:meth:`window`), the box (minx, miny, maxx, maxy, in
        :attr:`crs`) of that whole layer; ``None`` for a whole layer. See :attr:`bounds`.
    """

    x: np.ndarray
    y: np.ndarray
    crs: CRS
    attributes: pd.DataFrame
    info: LayerInfo
    rejected: pd.DataFrame = field(default_factory=_empty_rejected)
    n_input: int = -1
    extent: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y) or len(self.x) != len(self.attributes):
            raise ParameterError("x, y and attributes must have the same length")
        if self.n_input < 0:
            object.__setattr__(self, "n_input", len(self.x) + len(self.rejected))
        if len(self.x) + len(self.rejected) != self.n_input:
            raise ParameterError(
                f"layer {self.info.name}: {len(self.x)} points + {len(self.rejected)} rejected "
                f"!= {self.n_input} input rows"
            )

    def __len__(self) -> int:
        return len(self.x)

    @property
    def name(self) -> str:
        """Short layer name."""
        return self.info.name

    def renamed(self, name: str) -> PointLayer:
        """The same layer under another short name."""
        return replace(self, info=replace(self.info, name=name))

    @cached_property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """The layer's extent (minx, miny, maxx, maxy) in :attr:`crs`; ``None`` with no points.

        The box of its points, or for a window (:meth:`window`) the box of the whole layer it
        was cut from: a district can lie inside a layer's extent with no point of the window
        near it. Kept with the layer (the app cuts a window of 2.7 M postcodes per proposal).
        """
        if self.extent is not None:
            return self.extent
        if len(self.x) == 0:
            return None
        return (
            float(self.x.min()),
            float(self.y.min()),
            float(self.x.max()),
            float(self.y.max()),
        )

    def window(self, minx: float, miny: float, maxx: float, maxy: float) -> PointLayer:
        """The layer's points inside a box (:meth:`in_box`), keeping the layer's :attr:`bounds`.

        A shortcut for measures over a small area of a national layer: counts in any polygon
        inside the box are those of the whole layer. The window's points are numbered afresh;
        its ``row`` column still traces each to its source, and it holds no rejected rows.

        Examples
        --------
        >>> lay = PointLayer(
        ...     x=np.array([5.0, 1.0, 3.0]), y=np.array([0.0, 1.0, 2.0]), crs=CRS(27700),
        ...     attributes=pd.DataFrame({"row": range(3)}), info=LayerInfo(name="p", source="s"),
        ... )
        >>> w = lay.window(0, 0, 2, 2)
        >>> len(w), w.attributes["row"].tolist(), w.bounds
        (1, [1], (1.0, 0.0, 5.0, 2.0))
        """
        return replace(self.take(self.in_box(minx, miny, maxx, maxy)), extent=self.bounds)

    def take(self, index: np.ndarray) -> PointLayer:
        """The points at positions ``index`` (in that order) as a layer of their own.

        The points are numbered afresh; the ``row`` column still traces each to its source.
        The new layer holds no rejected rows (``n_input`` is its length) and keeps the
        :attr:`extent` of a window.

        Examples
        --------
        >>> lay = PointLayer(
        ...     x=np.arange(4.0), y=np.arange(4.0), crs=CRS(27700),
        ...     attributes=pd.DataFrame({"row": range(4)}), info=LayerInfo(name="p", source="s"),
        ... )
        >>> sub = lay.take(np.array([3, 1]))
        >>> sub.x.tolist(), sub.attributes["row"].tolist(), sub.n_input
        ([3.0, 1.0], [3, 1], 2)
        """
        idx = np.asarray(index, dtype="int64")
        return replace(
            self,
            x=self.x[idx],
            y=self.y[idx],
            attributes=self.attributes.iloc[idx].reset_index(drop=True),
            rejected=self.rejected.iloc[0:0],
            n_input=len(idx),
        )

    def to_crs(self, crs: object) -> PointLayer:
        """Reproject the coordinates (the layer itself when it is in ``crs`` already).

        A window's :attr:`extent` becomes the box around its reprojected outline.
        """
        from .crs import as_crs, transform_xy, transformer

        dst = as_crs(crs)
        if self.crs.equals(dst):
            return self
        x, y = transform_xy(self.x, self.y, self.crs, dst)
        extent = self.extent
        if extent is not None:
            x0, y0, x1, y1 = transformer(self.crs, dst).transform_bounds(*extent, densify_pts=21)
            extent = (float(x0), float(y0), float(x1), float(y1))
        return replace(self, x=x, y=y, crs=dst, extent=extent)

    def in_box(self, minx: float, miny: float, maxx: float, maxy: float) -> np.ndarray:
        """Positions (ascending) of the points with ``minx <= x <= maxx`` and ``miny <= y <= maxy``.

        The first call sorts the points by x once and keeps them so with the layer; every box
        after it is two binary searches and one pass over the points in its x range, instead of
        four comparisons over the whole layer (2.7 M postcodes).

        Examples
        --------
        >>> lay = PointLayer(
        ...     x=np.array([5.0, 1.0, 3.0, 3.0]), y=np.array([0.0, 1.0, 2.0, 9.0]),
        ...     crs=CRS(27700), attributes=pd.DataFrame(index=range(4)),
        ...     info=LayerInfo(name="p", source="s"),
        ... )
        >>> lay.in_box(1, 0, 3, 2).tolist()
        [1, 2]
        """
        order, xs, ys = self._x_order
        lo = int(np.searchsorted(xs, minx, side="left"))
        hi = int(np.searchsorted(xs, maxx, side="right"))
        y = ys[lo:hi]
        return np.sort(order[lo:hi][(y >= miny) & (y <= maxy)])

    @cached_property
    def _x_order(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The points' positions sorted by x, and their x and y in that order (:meth:`in_box`)."""
        order = np.argsort(self.x, kind="stable")
        return order, self.x[order], self.y[order]

    def to_geodataframe(self):
        """A GeoDataFrame of the points (builds shapely objects: avoid for millions)."""
        import geopandas as gpd

        return gpd.GeoDataFrame(
            self.attributes.copy(), geometry=gpd.points_from_xy(self.x, self.y), crs=self.crs
        )

    def require_points(self) -> PointLayer:
        """Raise :class:`EmptyLayerError` if no record could be placed."""
        if len(self.x) == 0:
            reasons = self.rejected["reason"].value_counts().head(3).to_dict()
            raise EmptyLayerError(
                f"{self.info.source}: no usable points ({self.n_input} rows read"
                + (f"; rejected: {reasons}" if reasons else "")
                + "); check the coordinate or postcode columns."
            )
        return self


def reject_frame(rows: np.ndarray, ids: Any, reasons: Any) -> pd.DataFrame:
    """Build a rejected-rows table (``row``, ``id``, ``reason``)."""
    rows = np.asarray(rows, dtype="int64")
    n = len(rows)
    ids_s = pd.Series(ids, dtype="object") if ids is not None else pd.Series([None] * n)
    rs = pd.Series(reasons, dtype="object") if not isinstance(reasons, str) else [reasons] * n
    return pd.DataFrame(
        {"row": rows, "id": ids_s.to_numpy() if n else [], "reason": list(rs) if n else []}
    )


__all__.append("reject_frame")
