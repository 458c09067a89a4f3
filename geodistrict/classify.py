"""Classes of a choropleth: the one classification (mapclassify) of the maps and the figures.

:func:`classify` turns values into classes exactly as mapclassify makes them (its ``bins``
and ``yb``), with what the interactive maps (:mod:`geodistrict.maps`) and the static figures
(:mod:`geodistrict.figures`) both need: missing values in class -1, fewer classes when there
are fewer distinct values (said in words), the number of values per class, and the labels of
the classes. Each caller passes what differs: the schemes it offers and its smallest ``k``.

mapclassify is imported inside :func:`classify` (``pip install "geodistrict[maps]"``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .errors import EmptyLayerError, MissingDependencyError, ParameterError

__all__ = ["SCHEMES", "SCHEME_TEXT", "Classification", "classify", "format_number"]

#: Classification schemes: name -> (mapclassify class, whether it takes ``k``).
SCHEMES: dict[str, tuple[str, bool]] = {
    "quantiles": ("Quantiles", True),
    "equal_interval": ("EqualInterval", True),
    "fisher_jenks": ("FisherJenks", True),
    "natural_breaks": ("FisherJenks", True),  # the name used by the maps and the CLI
    "jenks_caspall": ("JenksCaspall", True),
    "maximum_breaks": ("MaximumBreaks", True),
    "headtail_breaks": ("HeadTailBreaks", False),
    "box_plot": ("BoxPlot", False),
    "std_mean": ("StdMean", False),
}

#: Each scheme in words, as a legend says it.
SCHEME_TEXT: dict[str, str] = {
    "quantiles": "quantiles",
    "equal_interval": "equal intervals",
    "fisher_jenks": "natural breaks (Fisher-Jenks)",
    "natural_breaks": "natural breaks (Fisher-Jenks)",
    "jenks_caspall": "natural breaks (Jenks-Caspall)",
    "maximum_breaks": "maximum breaks",
    "headtail_breaks": "head/tail breaks",
    "box_plot": "box plot",
    "std_mean": "standard deviations from the mean",
}


def format_number(v: float | None, digits: int = 4) -> str:
    """A number for people: ``digits`` significant digits, thousands separated.

    Examples
    --------
    >>> format_number(1234.5), format_number(0.012345), format_number(float("nan"))
    ('1,234', '0.01235', 'n/a')
    """
    if v is None or not math.isfinite(v):
        return "n/a"
    if v == 0:
        return "0"
    if abs(v) >= 10 ** (digits - 1):
        return f"{v:,.0f}"
    return f"{v:,.{digits}g}"


def _decimals(values: Sequence[float]) -> int:
    """Decimals that show about four significant figures and keep distinct values distinct."""
    finite = [abs(float(v)) for v in values if math.isfinite(float(v))]
    top = max(finite, default=0.0)
    d = 0 if top == 0 or top >= 1000 else min(6, 3 - math.floor(math.log10(top)))
    distinct = len({float(v) for v in values})
    while d < 10 and len({f"{float(v):.{d}f}" for v in values}) < distinct:
        d += 1
    return d


@dataclass(frozen=True, eq=False)
class Classification:
    """Classes of values, exactly as mapclassify computes them.

    Attributes
    ----------
    scheme : str
        A key of :data:`SCHEMES`.
    k : int
        Classes made (the length of ``bins``).
    k_requested : int or None
        Classes asked for (``None`` for the schemes that choose their own number).
    k_asked : int or None
        Classes asked of mapclassify: ``k_requested``, or the number of distinct values when
        that is smaller.
    bins : numpy.ndarray
        mapclassify's ``bins``: the upper bound of each class (classes hold their upper bound).
    minimum : float
        The smallest value (lower bound of the first class).
    yb : numpy.ndarray
        Class of each value, ``-1`` for a missing value.
    counts : numpy.ndarray
        Values per class.
    notes : tuple of str
        What was adjusted, in words (shown in a legend).
    """

    scheme: str
    k: int
    k_requested: int | None
    k_asked: int | None
    bins: np.ndarray
    minimum: float
    yb: np.ndarray = field(repr=False)
    counts: np.ndarray
    notes: tuple[str, ...] = ()

    def labels(self, style: Literal["significant", "decimals"] = "significant") -> list[str]:
        """``lower – upper`` of each class.

        Parameters
        ----------
        style : {"significant", "decimals"}
            ``"significant"``: :func:`format_number` with enough significant digits to tell
            neighbours apart (the maps' legends); ``"decimals"``: the same number of decimals
            for every bound (the figures' legends).

        Examples
        --------
        >>> c = classify([1, 2, 3, 4, 100], scheme="equal_interval", k=2)
        >>> c.labels(), c.labels("decimals")
        (['1 – 50.5', '50.5 – 100'], ['1.0 – 50.5', '50.5 – 100.0'])
        """
        if style == "decimals":
            d = _decimals([self.minimum, *self.bins.tolist()])
            bounds = [min(self.minimum, float(self.bins[0])), *self.bins.tolist()]
            return [f"{bounds[i]:,.{d}f} – {bounds[i + 1]:,.{d}f}" for i in range(len(self.bins))]
        edges = [self.minimum, *self.bins.tolist()]
        for digits in range(3, 12):
            text = [format_number(v, digits) for v in edges]
            if len(set(text)) == len(set(edges)):
                break
        return [f"{text[i]} – {text[i + 1]}" for i in range(len(self.bins))]


def _check_scheme(scheme: str, schemes: Collection[str] | None) -> tuple[str, bool]:
    """The mapclassify class of ``scheme`` and whether it takes ``k``; refuse other names."""
    allowed = list(SCHEMES) if schemes is None else [s for s in schemes if s in SCHEMES]
    if scheme not in allowed:
        raise ParameterError(
            f"scheme={scheme!r} is not one of {', '.join(map(repr, allowed))}; e.g. "
            "scheme='quantiles'."
        )
    return SCHEMES[scheme]


def _check_k(k: Any, min_k: int) -> int:
    """``k`` as an int, refused when it is not a whole number of at least ``min_k``."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < min_k:
        raise ParameterError(
            f"k={k!r}: give a whole number of classes of at least {min_k}, e.g. k=5."
        )
    return int(k)


def _mapclassify() -> Any:
    try:
        import mapclassify
    except ImportError as exc:  # pragma: no cover - maps extra not installed
        raise MissingDependencyError(
            'choropleth classes need mapclassify: pip install "geodistrict[maps]"'
        ) from exc
    return mapclassify


def _run(cls: Any, y: np.ndarray, k: int | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Mapclassify's bins and classes of ``y``, and its warnings in words (Numba's left out)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = cls(y) if k is None else cls(y, k=k)
    # the pure-Python path gives the same breaks as Numba's: that warning says nothing here
    notes = [f"mapclassify: {w.message}" for w in caught if "Numba" not in str(w.message)]
    return np.asarray(c.bins, dtype="float64"), np.asarray(c.yb, dtype=np.int64), notes


def classify(
    values: Any,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    schemes: Collection[str] | None = None,
    min_k: int = 2,
) -> Classification:
    """Classify values with mapclassify, keeping its class breaks exactly.

    Missing (NaN) values get class -1. With fewer distinct values than ``k`` the number of
    classes drops to that number (said in :attr:`Classification.notes`); mapclassify's own
    warnings (e.g. quantiles that coincide) are kept there too.

    Parameters
    ----------
    values : array-like
        Numbers; NaN marks a missing value (left out of the classification).
    scheme : str
        A key of :data:`SCHEMES` (and of ``schemes`` when given).
    k : int
        Number of classes, for the schemes that take one.
    schemes : collection of str, optional
        The schemes the caller offers (default: all of :data:`SCHEMES`).
    min_k : int
        The smallest ``k`` accepted.

    Raises
    ------
    ParameterError
        An unknown scheme or a ``k`` that is not a whole number of at least ``min_k``.
    EmptyLayerError
        No value is a finite number.

    Examples
    --------
    >>> c = classify([1, 2, 3, 4, 100], scheme="equal_interval", k=2)
    >>> c.bins.tolist(), c.yb.tolist(), c.counts.tolist()
    ([50.5, 100.0], [0, 0, 0, 0, 1], [4, 1])
    >>> classify([1.0, 1.0, 2.0, float("nan")], k=5).notes
    ('5 classes asked for, but only 2 distinct values',)
    """
    cls_name, takes_k = _check_scheme(scheme, schemes)
    k_requested = _check_k(k, min_k) if takes_k else None
    mapclassify = _mapclassify()
    y = np.asarray(values, dtype="float64").ravel()
    ok = np.isfinite(y)
    if not ok.any():
        raise EmptyLayerError(
            "choropleth: every value is missing (no finite number); choose another column."
        )
    notes: list[str] = []
    k_asked = k_requested
    n_unique = int(np.unique(y[ok]).size)
    if k_requested is not None and n_unique < k_requested:
        k_asked = n_unique
        notes.append(f"{k_requested} classes asked for, but only {n_unique} distinct values")
    if k_asked is not None and n_unique < 2:  # one value, one class: nothing to compute
        bins = np.array([float(y[ok].max())])
        yb_ok = np.zeros(int(ok.sum()), dtype=np.int64)
    else:
        bins, yb_ok, said = _run(getattr(mapclassify, cls_name), y[ok], k_asked)
        notes.extend(said)
    yb = np.full(len(y), -1, dtype=np.int64)
    yb[ok] = yb_ok
    return Classification(
        scheme=scheme,
        k=len(bins),
        k_requested=k_requested,
        k_asked=k_asked,
        bins=bins,
        minimum=float(y[ok].min()),
        yb=yb,
        counts=np.bincount(yb_ok, minlength=len(bins)),
        notes=tuple(notes),
    )
