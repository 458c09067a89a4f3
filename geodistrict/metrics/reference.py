"""National references: the country a place lies in, and that country's totals.

A ratio such as "1.8 times England's postcode density" divides a place's density by the
density of a *named* reference computed from national data, never by the union of the
boundaries that happen to be measured together (a report of one uploaded square would
otherwise call it "100 % of England"). The UK country of a place is read from the ONS
Postcode Directory: the first letter of the local authority code (``laua``) of the postcodes
inside it (``E`` England, ``W`` Wales, ``S`` Scotland, ``N`` Northern Ireland); the country's
postcode total is the number of directory postcodes with that letter, its area the sum of the
areas of its LAD polygons. A place outside the UK has no reference here: its ratios are "not
covered", never 1.00.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from ..boundaries import Boundaries
from ..layers import PointLayer

__all__ = [
    "COUNTRIES",
    "NationalReference",
    "country_of_codes",
    "country_of_place",
    "national_reference",
]

#: First letter of a UK LAD (GSS) code → country.
COUNTRIES = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}
#: A university's head office within this distance of a country's (generalised, coast-clipped)
#: LAD polygons counts in that country.
COAST_TOLERANCE_M = 1_000.0


@dataclass(frozen=True)
class NationalReference:
    """A country's totals for the ratios of a place.

    Attributes
    ----------
    code, name : str
        ``"E"``, ``"England"``.
    area_km2 : float or None
        The country's area (``None`` when no LAD polygons of it were given).
    counts : dict
        Layer name → the country's total (``postcodes``, ``universities``).
    basis : dict
        ``area`` and each count → how it was computed, in words (printed in reports).
    """

    code: str
    name: str
    area_km2: float | None
    counts: dict[str, float] = field(default_factory=dict)
    basis: dict[str, str] = field(default_factory=dict)

    def per_km2(self, layer: str) -> float | None:
        """The country's density of ``layer`` (``None`` when its area or count is unknown)."""
        n = self.counts.get(layer)
        if n is None or not self.area_km2:
            return None
        return float(n) / self.area_km2

    def describe(self) -> str:
        """One sentence naming the reference and how each total was computed."""
        parts = [f"{k}: {v}" for k, v in self.basis.items()]
        return f"Reference: {self.name} (" + "; ".join(parts) + ")."

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "code": self.code,
            "name": self.name,
            "area_km2": self.area_km2,
            "counts": dict(self.counts),
            "basis": dict(self.basis),
        }


def country_of_codes(codes: Any) -> str | None:
    """The country letter most of the given LAD codes start with (``None`` for none).

    Examples
    --------
    >>> country_of_codes(["E08000003", "E08000003", "W06000015"])
    'E'
    >>> country_of_codes([]) is None
    True
    """
    return countries_of_groups(codes, [np.arange(len(codes))])[0]


def countries_of_groups(codes: Any, groups: Sequence[np.ndarray]) -> list[str | None]:
    """For each group of positions in ``codes``, the country letter most of its codes start with.

    The letter of each distinct code is read once (a categorical's categories), then each group
    is a count of small integers: 2.7 M postcodes in 38 places take milliseconds. Ties go to
    the first letter in alphabetical order; missing codes and codes of no UK country (the
    Channel Islands' L, the Isle of Man's M) are not counted.

    Parameters
    ----------
    codes : array-like
        LAD codes (a categorical column is used as it is).
    groups : sequence of numpy.ndarray
        Positions in ``codes``.

    Returns
    -------
    list of str or None
        One letter (E, N, S or W) per group; ``None`` when no code of the group has one.

    Examples
    --------
    >>> countries_of_groups(["W06000015", "E08000003", None, "S12000036"], [[0, 1, 3], [2], []])
    ['E', None, None]
    """
    import pandas as pd

    letters = sorted(COUNTRIES)
    cat = pd.Categorical(codes)
    first = [str(c)[:1].upper() for c in cat.categories]
    letter_of = np.array([letters.index(f) if f in COUNTRIES else -1 for f in first] + [-1])
    per_row = letter_of[np.asarray(cat.codes)]  # code -1 (missing) takes the last entry
    out: list[str | None] = []
    for g in groups:
        v = per_row[np.asarray(g, dtype=np.intp)]
        v = v[v >= 0]
        out.append(
            letters[int(np.argmax(np.bincount(v, minlength=len(letters))))] if len(v) else None
        )
    return out


def _laua(layer: PointLayer | None) -> Any:
    """The layer's LAD code column (a Series, often categorical), or ``None``."""
    if layer is None:
        return None
    col = next((c for c in layer.attributes.columns if str(c).lower() == "laua"), None)
    return None if col is None else layer.attributes[col]


def country_of_place(
    geom: Any,
    crs: Any,
    *,
    postcodes: PointLayer | None = None,
    lads: Boundaries | None = None,
) -> str | None:
    """The UK country letter of a polygon, or ``None`` when it lies outside the UK.

    Read from the LAD codes of the directory postcodes inside it; a polygon with no postcode
    inside takes the country of the LAD polygon holding its centroid.
    """
    from ..crs import transform_geoms

    codes = _laua(postcodes)
    if postcodes is not None and codes is not None and len(postcodes):
        g = transform_geoms(np.array([geom], dtype=object), crs, postcodes.crs)[0]
        x0, y0, x1, y1 = shapely.bounds(g)
        box = (postcodes.x >= x0) & (postcodes.x <= x1) & (postcodes.y >= y0) & (postcodes.y <= y1)
        idx = np.flatnonzero(box)
        if len(idx):
            shapely.prepare(g)
            inside = idx[shapely.contains_xy(g, postcodes.x[idx], postcodes.y[idx])]
            got = country_of_codes(codes.iloc[inside].astype(str).to_numpy())
            if got is not None:
                return got
    if lads is not None:
        c = transform_geoms(np.array([shapely.centroid(geom)], dtype=object), crs, lads.metric_crs)
        hit = shapely.STRtree(lads.metric).query(c[0], predicate="within")
        if len(hit):
            return country_of_codes([str(lads.ids[hit[0]])])
    return None


def national_reference(
    code: str,
    *,
    postcodes: PointLayer | None = None,
    universities: PointLayer | None = None,
    lads: Boundaries | None = None,
) -> NationalReference | None:
    """The totals of one UK country from national layers.

    Parameters
    ----------
    code : str
        ``"E"``, ``"W"``, ``"S"`` or ``"N"``.
    postcodes : PointLayer, optional
        The ONS Postcode Directory (with its ``laua`` column): the country's postcodes are
        those whose LAD code starts with ``code``.
    universities : PointLayer, optional
        Higher-education providers: those within :data:`COAST_TOLERANCE_M` of the country's
        LAD polygons count (needs ``lads``).
    lads : Boundaries, optional
        LAD polygons (ids are GSS codes): the country's area is the sum of its LADs' areas.

    Returns
    -------
    NationalReference or None
        ``None`` for a code that is not a UK country.

    Examples
    --------
    >>> national_reference("X") is None
    True
    """
    from ..crs import transform_xy

    code = str(code or "").upper()[:1]
    if code not in COUNTRIES:
        return None
    name = COUNTRIES[code]
    counts: dict[str, float] = {}
    basis: dict[str, str] = {}
    area = None
    mine = None
    if lads is not None:
        mine = np.flatnonzero(np.char.startswith(lads.ids.astype(str), code))
        if len(mine):
            area = float(shapely.area(lads.metric[mine]).sum()) / 1e6
            basis["area"] = (
                f"{area:,.0f} km², the sum of the {len(mine)} LAD polygons of {name} in "
                f"{Path(str(lads.info.source)).name}"
            )
    if area is None:
        basis["area"] = f"unknown: no LAD polygons of {name} were given, so no densities"
    codes = _laua(postcodes)
    if postcodes is not None and codes is not None:
        tally = codes.value_counts()
        n = int(tally[tally.index.astype(str).str.startswith(code)].sum())
        counts["postcodes"] = float(n)
        basis["postcodes"] = (
            f"{n:,} postcodes of the ONS Postcode Directory with a grid reference whose "
            f"local authority code starts with {code}"
        )
    if universities is not None and lads is not None and mine is not None and len(mine):
        x, y = transform_xy(universities.x, universities.y, universities.crs, lads.metric_crs)
        tree = shapely.STRtree(lads.metric[mine])
        pi, _ = tree.query(shapely.points(x, y), predicate="dwithin", distance=COAST_TOLERANCE_M)
        n = int(len(np.unique(pi)))
        counts["universities"] = float(n)
        basis["universities"] = (
            f"{n} of the {len(universities)} providers' head offices lie in (or within "
            f"{COAST_TOLERANCE_M / 1000:g} km of) {name}'s LAD polygons"
        )
    return NationalReference(code=code, name=name, area_km2=area, counts=counts, basis=basis)
