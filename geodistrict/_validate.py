"""The input layer: one place that turns what a caller passes into what the code works on.

Every public function takes its boundaries, point layers and tables through these helpers, so
that the same input is accepted (or refused with the same message) whichever front end or
function it reaches:

* :func:`as_boundaries` — :class:`~geodistrict.Boundaries`, a polygon GeoDataFrame or
  GeoSeries, a file path or a dataset name;
* :func:`as_point_layer` — :class:`~geodistrict.PointLayer` or a point GeoDataFrame;
* :func:`require_columns` — every missing column named at once;
* :class:`Problems` — collect every problem with the parameters, then raise once.

Errors are :class:`~geodistrict.GeodistrictError` subclasses only: a wrong *type* is an
:class:`~geodistrict.errors.ArgumentTypeError`, which is also a :class:`TypeError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ArgumentTypeError, GeodistrictError, ParameterError, SchemaError

if TYPE_CHECKING:
    from .boundaries import Boundaries
    from .layers import PointLayer

__all__ = ["Problems", "as_boundaries", "as_point_layer", "require_columns"]


def as_boundaries(obj: Any, what: str = "boundaries", *, paths: bool = True) -> Boundaries:
    """A :class:`~geodistrict.Boundaries` from whatever a caller may pass for polygons.

    Parameters
    ----------
    obj : Boundaries, GeoDataFrame, GeoSeries, str or Path
        Prepared boundaries are returned as they are; a GeoDataFrame or GeoSeries is prepared
        (:func:`~geodistrict.prepare_boundaries`: CRS checked, polygons repaired with a
        warning, areas in metres); a path or dataset name is read
        (:func:`~geodistrict.read_boundaries`) when ``paths``. (Shipped-district slugs are
        resolved by :mod:`geodistrict.districts` before it calls this.)
    what : str
        The argument's name, used in messages (``"within"``, ``"districts"``).
    paths : bool
        Accept a file path or a dataset name.

    Returns
    -------
    Boundaries

    Raises
    ------
    ArgumentTypeError
        For anything else, naming what is accepted.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> gdf = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.box(0, 0, 1000, 1000)],
    ...                        crs="EPSG:27700")
    >>> b = as_boundaries(gdf, "within")
    >>> round(float(b.area_km2[0]), 3)
    1.0
    >>> as_boundaries(3, "within")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geodistrict.errors.ArgumentTypeError: within must be Boundaries ... not int.
    """
    from .boundaries import Boundaries, prepare_boundaries
    from .io.read import read_boundaries

    if isinstance(obj, Boundaries):
        return obj
    if _is_geoseries(obj):
        import geopandas as gpd

        obj = gpd.GeoDataFrame(geometry=obj)
    if hasattr(obj, "geometry") and hasattr(obj, "crs"):
        return prepare_boundaries(obj, source=what)
    if paths and isinstance(obj, str | Path):
        return read_boundaries(obj)
    accepted = ["Boundaries (geodistrict.read_boundaries)", "a polygon GeoDataFrame"]
    if paths:
        accepted.append("a file path or dataset name")
    raise ArgumentTypeError(f"{what} must be {' or '.join(accepted)}, not {type(obj).__name__}.")


def as_point_layer(obj: Any, what: str = "points", *, name: str | None = None) -> PointLayer:
    """A :class:`~geodistrict.PointLayer` from a PointLayer or a point GeoDataFrame.

    Parameters
    ----------
    obj : PointLayer or GeoDataFrame
        A GeoDataFrame must have a CRS and point geometries (null and empty ones are
        rejected with a reason, never dropped).
    what : str
        The argument's name, used in messages and as the layer's source.
    name : str, optional
        The layer's name (default: ``what``).

    Returns
    -------
    PointLayer

    Raises
    ------
    ArgumentTypeError
        For anything else.
    """
    from .layers import PointLayer

    if isinstance(obj, PointLayer):
        return obj
    if hasattr(obj, "geometry") and hasattr(obj, "crs"):
        from .io.vector import point_layer_from_geodataframe

        return point_layer_from_geodataframe(obj, name=name or what, source=what)
    raise ArgumentTypeError(
        f"{what} must be a PointLayer (geodistrict.read_points, geodistrict.read_onspd) or a "
        f"point GeoDataFrame, not {type(obj).__name__}."
    )


def require_columns(
    frame: Any, columns: Iterable[str], what: str, *, fix: str | None = None
) -> None:
    """Raise one :class:`~geodistrict.SchemaError` naming every missing column.

    Parameters
    ----------
    frame : DataFrame
        The table to check.
    columns : iterable of str
        The columns it must have.
    what : str
        The table's name or file, used in the message.
    fix : str, optional
        The one-line fix appended to the message.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"], "t.csv")
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b", "c"], "t.csv", fix="add them.")
    Traceback (most recent call last):
    ...
    geodistrict.errors.SchemaError: t.csv has no column(s) 'b', 'c'; add them.
    """
    have = set(map(str, frame.columns))
    missing = [c for c in columns if c not in have]
    if missing:
        tail = f"; {fix}" if fix else f"; it has {', '.join(map(repr, list(have)[:12]))}."
        raise SchemaError(f"{what} has no column(s) {', '.join(map(repr, missing))}{tail}")


class Problems:
    """Collect every problem with a call's parameters, then raise them together.

    Parameters
    ----------
    what : str
        The function or command, prefixed to the message (``"prime_locations"``).

    Examples
    --------
    >>> p = Problems("kde")
    >>> p.check(5 > 0, "cell_m 5 is fine")
    >>> p.check(-1 > 0, "bandwidth -1: give a positive number of metres")
    >>> p.check(False, "kernel 'box': use 'quartic' or 'gaussian'")
    >>> p.raise_if_any()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geodistrict.errors.ParameterError: kde: bandwidth -1: ...; kernel 'box': use 'quartic' ...
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        """Record one problem (a clause naming the parameter and the fix)."""
        self.messages.append(message.rstrip("."))

    def check(self, ok: bool, message: str) -> None:
        """Record ``message`` unless ``ok``."""
        if not ok:
            self.add(message)

    def __bool__(self) -> bool:
        return bool(self.messages)

    def raise_if_any(self, error: type[GeodistrictError] = ParameterError) -> None:
        """Raise ``error`` with every recorded problem, if there is any."""
        if self.messages:
            raise error(f"{self.what}: " + "; ".join(self.messages) + ".")


def _is_geoseries(obj: Any) -> bool:
    return type(obj).__name__ == "GeoSeries" and hasattr(obj, "crs")
