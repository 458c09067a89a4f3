"""A place's overlaps with the other features of its own boundary set.

Some boundary sets overlap on purpose: seven English districts belonged to two LEPs in 2021,
so Greater Birmingham and Solihull shares land with Stoke-on-Trent and Staffordshire and with
Worcestershire, and whatever lies there is counted in both. :func:`own_overlaps` lists those
overlaps and :func:`describe_overlaps` says it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from ..errors import ParameterError
from ._vformat import (
    count_word,
    fmt_km2,
    fmt_m2,
    fmt_share,
    join_and,
    normalise_name,
    plural,
)

if TYPE_CHECKING:
    from ..boundaries import Boundaries

__all__ = ["own_overlaps", "describe_overlaps"]

_OVERLAP_COLUMNS = ["neighbour_id", "neighbour_name", "area_km2", "share_of_place"]


def own_overlaps(boundaries: Boundaries, place_id: str, *, min_km2: float = 0.01) -> pd.DataFrame:
    """The place's overlaps with the other features of its own boundary set.

    Read from :attr:`Boundaries.overlaps` in both directions. Slivers (pairs flagged
    ``sliver`` there, or smaller than ``min_km2``) are left out of the rows but counted in
    ``.attrs``.

    Parameters
    ----------
    boundaries : Boundaries
        The boundary set the place belongs to.
    place_id : str
        The place's id (``boundaries.ids``).
    min_km2 : float
        Overlaps smaller than this are slivers: digitising noise where generalised outlines
        of neighbours cross.

    Returns
    -------
    pandas.DataFrame
        ``neighbour_id``, ``neighbour_name``, ``area_km2`` and ``share_of_place`` (overlap /
        place area), largest first. ``.attrs`` holds ``place_id``, ``place_name``,
        ``place_km2``, ``min_km2``, ``slivers`` (number of sliver overlaps left out),
        ``sliver_km2`` (their total area) and ``union_km2`` (the area of the place that lies in
        at least one listed neighbour: the sum of the rows unless three features overlap).

    Raises
    ------
    ParameterError
        If ``place_id`` is not an id of ``boundaries`` (a name given in its place is pointed
        out with its id) or ``min_km2`` is negative.

    Examples
    --------
    Two 10 km squares overlapping by a 2 km strip and a third square touching one corner:

    >>> import geopandas as gpd
    >>> from geodistrict.boundaries import prepare_boundaries
    >>> x0, y0 = 400_000, 300_000
    >>> gdf = gpd.GeoDataFrame(
    ...     {"id": ["A", "B", "C"], "name": ["Alpha", "Beta", "Gamma"]},
    ...     geometry=[
    ...         shapely.box(x0, y0, x0 + 10_000, y0 + 10_000),
    ...         shapely.box(x0 + 8_000, y0, x0 + 18_000, y0 + 10_000),
    ...         shapely.box(x0 - 10_000, y0 - 10_000, x0 + 1, y0 + 1),
    ...     ],
    ...     crs=27700,
    ... )
    >>> b = prepare_boundaries(gdf)
    >>> ov = own_overlaps(b, "A")
    >>> ov[["neighbour_id", "area_km2", "share_of_place"]].round(6).to_dict("records")
    [{'neighbour_id': 'B', 'area_km2': 20.0, 'share_of_place': 0.2}]
    >>> ov.attrs["slivers"], ov.attrs["sliver_km2"]  # C overlaps A by 1 m²
    (1, 1e-06)
    """
    if min_km2 < 0:
        raise ParameterError(f"own_overlaps: min_km2={min_km2} is negative; pass 0 or more.")
    pos = _position(boundaries, place_id)
    pid = str(boundaries.ids[pos])
    place_km2 = float(boundaries.area_km2[pos])
    ov = boundaries.overlaps
    rows = []
    if len(ov):
        for r in ov.to_dict("records"):
            if r["id_a"] == pid:
                rows.append((r["id_b"], r["name_b"], float(r["area_km2"]), bool(r["sliver"])))
            elif r["id_b"] == pid:
                rows.append((r["id_a"], r["name_a"], float(r["area_km2"]), bool(r["sliver"])))
    sliver = np.array([s or a < min_km2 for _, _, a, s in rows], dtype=bool)
    kept = [r for r, s in zip(rows, sliver, strict=True) if not s]
    kept.sort(key=lambda r: (-r[2], str(r[1])))
    out = pd.DataFrame(
        {
            "neighbour_id": pd.Series([str(r[0]) for r in kept], dtype=object),
            "neighbour_name": pd.Series([str(r[1]) for r in kept], dtype=object),
            "area_km2": pd.Series([r[2] for r in kept], dtype="float64"),
            "share_of_place": pd.Series(
                [r[2] / place_km2 if place_km2 > 0 else np.nan for r in kept], dtype="float64"
            ),
        },
        columns=_OVERLAP_COLUMNS,
    )
    union_km2 = 0.0
    if kept:
        ids = boundaries.ids.astype(str)
        idx = [int(np.flatnonzero(ids == r[0])[0]) for r in kept]
        place = boundaries.metric[pos]
        inter = shapely.intersection(place, boundaries.metric[idx])
        union_km2 = float(shapely.area(shapely.union_all(inter))) / 1e6
    out.attrs.update(
        {
            "place_id": pid,
            "place_name": str(boundaries.names[pos]),
            "place_km2": place_km2,
            "min_km2": float(min_km2),
            "slivers": int(sliver.sum()),
            "sliver_km2": float(sum(r[2] for r, s in zip(rows, sliver, strict=True) if s)),
            "union_km2": union_km2,
        }
    )
    return out


def _position(boundaries: Boundaries, place_id: str) -> int:
    """Row of ``place_id`` in ``boundaries``; an error that points to the id when given a name."""
    ids = [str(i) for i in boundaries.ids]
    hit = np.flatnonzero(np.asarray(ids, dtype=object) == str(place_id))
    if len(hit):
        return int(hit[0])
    names = [str(n) for n in boundaries.names]
    by_name = np.flatnonzero(
        np.array([normalise_name(n) for n in names]) == normalise_name(place_id)
    )
    src = boundaries.info.source
    if len(by_name):
        i = int(by_name[0])
        raise ParameterError(
            f"{src}: {place_id!r} is a name, not an id; pass its id {ids[i]!r} instead."
        )
    sample = ", ".join(f"{i} ({n})" for i, n in list(zip(ids, names, strict=True))[:3])
    raise ParameterError(
        f"{src}: no feature has id {place_id!r}; pass one of its {len(ids)} ids "
        f"(e.g. {sample}) — boundaries.ids lists them all."
    )


def describe_overlaps(overlaps: pd.DataFrame, place_name: str, *, noun: str = "LEP") -> str:
    """One sentence on a place's overlaps with its neighbours, from :func:`own_overlaps`.

    Parameters
    ----------
    overlaps : pandas.DataFrame
        The result of :func:`own_overlaps` (its ``.attrs`` supply the slivers and the place's
        area; without them the shares of the rows are summed).
    place_name : str
        How to name the place.
    noun : str
        What the features are called (``"LEP"``, ``"district"``, ``"combined authority"``).

    Returns
    -------
    str

    Examples
    --------
    >>> ov = pd.DataFrame(
    ...     {
    ...         "neighbour_id": ["B", "C"],
    ...         "neighbour_name": ["Beta", "Gamma"],
    ...         "area_km2": [20.0, 5.0],
    ...         "share_of_place": [0.2, 0.05],
    ...     }
    ... )
    >>> ov.attrs.update(place_km2=100.0, slivers=0, sliver_km2=0.0, union_km2=25.0)
    >>> describe_overlaps(ov, "Alpha")
    'Alpha overlaps two neighbouring LEPs: Beta by 20.0 km² and Gamma by 5.00 km² (25.0 km² in all, 25.0 % of its area); the land in an overlap belongs to both, so figures for it are counted in both.'
    >>> empty = ov.iloc[:0].copy()
    >>> empty.attrs.update(slivers=3, sliver_km2=0.0012, min_km2=0.01)
    >>> describe_overlaps(empty, "Alpha", noun="district")
    'Alpha does not overlap any other district (slivers under 0.01 km² from generalised boundaries ignored: 3, 1,200 m² in all).'
    """  # noqa: E501
    attrs = overlaps.attrs
    slivers = int(attrs.get("slivers", 0) or 0)
    sliver_km2 = float(attrs.get("sliver_km2", 0.0) or 0.0)
    min_km2 = float(attrs.get("min_km2", 0.01))
    sliver_note = (
        f"slivers under {min_km2:g} km² from generalised boundaries ignored: "
        f"{slivers:,}, {fmt_m2(sliver_km2 * 1e6)} in all"
        if slivers
        else ""
    )
    n = len(overlaps)
    if n == 0:
        text = f"{place_name} does not overlap any other {noun}"
        return text + (f" ({sliver_note})." if sliver_note else ".")
    parts = [
        f"{r['neighbour_name']} by {fmt_km2(r['area_km2'])}"
        for r in overlaps.sort_values("area_km2", ascending=False).to_dict("records")
    ]
    total = float(overlaps["area_km2"].sum())
    union = float(attrs.get("union_km2", total) or total)
    place_km2 = attrs.get("place_km2")
    if place_km2:
        share = union / float(place_km2)
    else:
        share = float(overlaps["share_of_place"].sum())
    in_all = f"{fmt_km2(union)} in all, {fmt_share(share)} of its area"
    shared_by = "both"
    if union < total - 0.005:
        shared_by = "each"
        in_all += (
            f"; the overlaps add up to {fmt_km2(total)} because some land lies in "
            f"more than two {plural(noun)}"
        )
    neighbours = f"{count_word(n)} neighbouring {plural(noun, n)}"
    text = (
        f"{place_name} overlaps {neighbours}: {join_and(parts)} ({in_all}); the land in an "
        f"overlap belongs to {shared_by}, so figures for it are counted in {shared_by}"
    )
    if sliver_note:
        text += f" ({sliver_note})"
    return text + "."
