"""What a join adds to a profile: status codes, counts, multi pairs and country checks.

:class:`JoinTally` sums over batches of points exactly (the Dask path); the country check
compares the LAD country of ONS postcodes with the boundary they fell in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

if TYPE_CHECKING:
    from ..boundaries import Boundaries
    from ..layers import PointLayer

__all__ = [
    "UNMATCHED",
    "MATCHED",
    "MULTI",
    "SNAPPED",
    "JoinTally",
    "category_counts",
    "country_combine",
    "country_counts",
    "country_report",
    "multi_combos",
    "multi_list",
    "status_bincount",
    "status_counts",
    "weight_sums",
]

UNMATCHED, MATCHED, MULTI, SNAPPED = 0, 1, 2, 3


def weight_sums(
    values: pd.Series, point: np.ndarray, polygon: np.ndarray, n: int
) -> tuple[np.ndarray, int]:
    """Sum of a numeric attribute per boundary, and how many assigned points lack it.

    Parameters
    ----------
    values : pandas.Series
        The attribute of every point of the layer (coerced to numbers; others are missing).
    point, polygon : numpy.ndarray
        The (point, boundary) pairs of the join.
    n : int
        Number of boundaries.

    Returns
    -------
    tuple
        The sums (float64, one per boundary; a missing value adds nothing) and the number of
        pairs whose point has no value.

    Examples
    --------
    >>> s, missing = weight_sums(pd.Series([1, 2, None]), np.array([0, 1, 2]),
    ...                          np.array([0, 0, 1]), 2)
    >>> s.tolist(), missing
    ([3.0, 0.0], 1)
    """
    w = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    wp = w[point]
    missing = int(np.isnan(wp).sum())
    return np.bincount(polygon, weights=np.nan_to_num(wp), minlength=n), missing


def category_counts(
    values: pd.Series,
    point: np.ndarray,
    polygon: np.ndarray,
    n: int,
    *,
    multivalued: bool = False,
) -> pd.DataFrame:
    """Counts per boundary (rows ``0 .. n - 1``) and category (columns, sorted).

    Missing or blank values count under ``"missing"``; a multi-valued attribute (values
    separated by commas) counts a point once in each of its distinct values.

    Examples
    --------
    >>> t = category_counts(pd.Series(["a", "b", ""]), np.array([0, 1, 2]), np.array([0, 0, 1]), 2)
    >>> t.columns.tolist(), t.to_numpy().tolist()
    (['a', 'b', 'missing'], [[1, 1, 0], [0, 0, 1]])
    """
    vals = values.astype("string").str.strip()
    vals = vals.mask(vals == "", pd.NA)
    pairs = pd.DataFrame({"point": point, "poly": polygon})
    if multivalued:
        exploded = vals.str.split(",").explode().str.strip()
        exploded = exploded.mask(exploded == "", pd.NA)
        cat = pd.DataFrame({"point": exploded.index.to_numpy(), "cat": exploded.to_numpy()})
        cat = cat.drop_duplicates()
        pairs = pairs.merge(cat, on="point", how="left")
    else:
        pairs["cat"] = vals.to_numpy()[pairs["point"].to_numpy()]
    pairs["cat"] = pairs["cat"].fillna("missing")
    table = pd.crosstab(pairs["poly"], pairs["cat"])
    table = table.reindex(range(n), fill_value=0)
    return table.sort_index(axis=1)


def status_bincount(status: np.ndarray) -> np.ndarray:
    """Points per status code (int64, one per code ``0 .. 3``).

    ``np.bincount(status, minlength=4)`` without its int64 copy of the int8 codes.

    Examples
    --------
    >>> status_bincount(np.array([1, 1, 0, 2], dtype=np.int8)).tolist()
    [1, 2, 1, 0]
    """
    codes = (UNMATCHED, MATCHED, MULTI, SNAPPED)
    out = np.array([np.count_nonzero(status == c) for c in codes], dtype=np.int64)
    if out.sum() != len(status):  # a code outside 0 .. 3: what bincount would say
        return np.bincount(status, minlength=4).astype(np.int64)
    return out


def status_counts(per_status: np.ndarray, n_input: int, n_rejected: int) -> dict[str, int]:
    """Points per status name from the points per status code, with the input and rejected.

    Examples
    --------
    >>> status_counts(np.array([1, 5, 2, 1]), 10, 1)
    {'input': 10, 'matched': 6, 'multi': 2, 'unmatched': 1, 'rejected': 1, 'snapped': 1}
    """
    c = per_status
    return {
        "input": int(n_input),
        "matched": int(c[MATCHED] + c[SNAPPED]),
        "multi": int(c[MULTI]),
        "unmatched": int(c[UNMATCHED]),
        "rejected": int(n_rejected),
        "snapped": int(c[SNAPPED]),
    }


def multi_combos(
    point: np.ndarray, polygon: np.ndarray, status: np.ndarray
) -> dict[tuple[int, ...], int]:
    """Points per set of boundaries, for the points in several (sorted sets of positions).

    Examples
    --------
    >>> multi_combos(np.array([0, 1, 1]), np.array([0, 1, 0]), np.array([MATCHED, MULTI]))
    {(0, 1): 1}
    """
    multi = status == MULTI
    if not multi.any():
        return {}
    sel = multi[point]
    pt, pg = point[sel], polygon[sel]
    order = np.lexsort((pg, pt))
    pt, pg = pt[order], pg[order]
    _, start, k = np.unique(pt, return_index=True, return_counts=True)
    rank = np.arange(len(pt)) - np.repeat(start, k)
    grid = np.full((len(start), int(k.max())), -1, dtype=np.int64)
    grid[np.repeat(np.arange(len(start)), k), rank] = pg
    combos, n = np.unique(grid, axis=0, return_counts=True)
    return {tuple(int(j) for j in row if j >= 0): int(c) for row, c in zip(combos, n, strict=True)}


def multi_list(combos: dict[tuple[int, ...], int], ids: np.ndarray) -> list[dict[str, Any]]:
    """The sets of :func:`multi_combos` as boundary ids, the most frequent first.

    Examples
    --------
    >>> multi_list({(0, 1): 1, (1, 2): 3}, np.array(["a", "b", "c"]))
    [{'ids': ['b', 'c'], 'points': 3}, {'ids': ['a', 'b'], 'points': 1}]
    """
    # tuples sort as the -1-padded rows of np.unique did: a prefix before its extensions
    out = [
        {"ids": [str(ids[j]) for j in key], "points": int(combos[key])} for key in sorted(combos)
    ]
    return sorted(out, key=lambda d: -d["points"])


@dataclass(frozen=True)
class JoinTally:
    """What a join of a batch of points adds to a profile: combinable by :meth:`combine`.

    The totals of a layer split into batches (the partitions of a Dask computation) are the
    sums of the batches' tallies; every count is an integer, so the combination is exact and
    equals the tally of the whole layer. Weight sums are floating point: they are exact too
    when the weights are integers (employees, counts), and otherwise equal to the last bits
    only (the order of the additions differs).

    Attributes
    ----------
    counts : numpy.ndarray
        Points per boundary (snapped included; a multi point in each of its boundaries).
    status : numpy.ndarray
        Points per status (:data:`UNMATCHED`, :data:`MATCHED`, :data:`MULTI`, :data:`SNAPPED`).
    multi : dict
        Points per set of overlapping boundaries (tuples of boundary positions).
    by : dict of str to pandas.DataFrame
        Per column: counts per boundary (rows) and category (columns).
    sums, missing : dict
        Per weight column: the sum per boundary, and the assigned points without a value.
    country : dict
        Raw counts of the LAD-country checks (empty when not applicable).
    """

    counts: np.ndarray
    status: np.ndarray
    multi: dict[tuple[int, ...], int] = field(default_factory=dict)
    by: dict[str, pd.DataFrame] = field(default_factory=dict)
    sums: dict[str, np.ndarray] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    country: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_arrays(
        cls,
        layer: PointLayer,
        n_boundaries: int,
        point: np.ndarray,
        polygon: np.ndarray,
        status: np.ndarray,
        *,
        country: dict[str, Any] | None = None,
        by: Sequence[str] = (),
        weights: Sequence[str] = (),
    ) -> JoinTally:
        """The tally of a join given as arrays, with category counts and weight sums.

        Parameters
        ----------
        layer : PointLayer
            The joined points (their attributes give ``by`` and ``weights``).
        n_boundaries : int
            Number of boundaries.
        point, polygon : numpy.ndarray
            The (point, boundary) pairs of the join.
        status : numpy.ndarray
            Status code of each point (:data:`UNMATCHED`, :data:`MATCHED`, ...).
        country : dict, optional
            The :func:`country_counts` of the join.
        by, weights : sequence of str
            Columns to count per category, and numeric columns to sum.
        """
        n = n_boundaries
        sums, missing = {}, {}
        for col in weights:
            sums[col], missing[col] = weight_sums(layer.attributes[col], point, polygon, n)
        return cls(
            counts=np.bincount(polygon, minlength=n),
            status=status_bincount(status),
            multi=multi_combos(point, polygon, status),
            by={
                col: category_counts(
                    layer.attributes[col],
                    point,
                    polygon,
                    n,
                    multivalued=col in layer.info.multivalued,
                )
                for col in by
            },
            sums=sums,
            missing=missing,
            country=dict(country or {}),
        )

    @classmethod
    def combine(cls, tallies: Sequence[JoinTally]) -> JoinTally:
        """The tally of the union of the batches (in the given order)."""
        first = tallies[0]
        multi: dict[tuple[int, ...], int] = {}
        for t in tallies:
            for k, v in t.multi.items():
                multi[k] = multi.get(k, 0) + v
        by = {}
        for col in first.by:
            cats = sorted(set().union(*(t.by[col].columns for t in tallies)))
            total = sum(t.by[col].reindex(columns=cats, fill_value=0).to_numpy() for t in tallies)
            by[col] = pd.DataFrame(total, index=first.by[col].index, columns=pd.Index(cats))
            by[col].columns.name = first.by[col].columns.name
        sums = {}
        for col in first.sums:
            s = first.sums[col].copy()
            for t in tallies[1:]:
                s += t.sums[col]
            sums[col] = s
        return cls(
            counts=np.sum([t.counts for t in tallies], axis=0),
            status=np.sum([t.status for t in tallies], axis=0),
            multi=multi,
            by=by,
            sums=sums,
            missing={col: sum(t.missing[col] for t in tallies) for col in first.missing},
            country=country_combine([t.country for t in tallies]),
        )

    def report(
        self,
        layer: PointLayer,
        boundaries: Boundaries,
        *,
        crs: CRS,
        snap_m: float | None = None,
        max_rows: int = 100,
    ) -> dict[str, Any]:
        """The accounting report (:meth:`JoinResult.report`) of ``layer`` from this tally.

        ``layer`` gives the input count, the rejected rows and the provenance (its points
        need not be loaded); ``crs`` is the CRS the points were joined in.
        """
        rep: dict[str, Any] = status_counts(self.status, layer.n_input, len(layer.rejected))
        rep["balanced"] = (
            rep["matched"] + rep["multi"] + rep["unmatched"] + rep["rejected"] == rep["input"]
        )
        rep["note"] = (
            "matched + multi + unmatched + rejected = input; 'snapped' points are part of "
            "'matched'; 'multi' points lie in overlapping boundaries and count in each."
        )
        rej = layer.rejected
        rep["rejected_reasons"] = {str(k): int(v) for k, v in rej["reason"].value_counts().items()}
        head = rej.head(max_rows)
        rep["rejected_rows"] = [
            {"row": int(row), "id": None if pd.isna(rid) else str(rid), "reason": reason}
            for row, rid, reason in zip(
                head["row"].tolist(), head["id"].tolist(), head["reason"].tolist(), strict=True
            )
        ]
        if len(rej) > max_rows:
            rep["rejected_rows_truncated"] = True
        rep["multi_by_boundaries"] = multi_list(self.multi, boundaries.ids)
        if snap_m is not None:
            rep["snap_m"] = snap_m
        rep["layer"] = layer.info.as_dict()
        rep["crs"] = crs.to_string()
        rep["checks"] = country_report(self.country)
        return rep


def _gss_country(codes: Any) -> np.ndarray:
    """Country letter of GSS codes (``E06000001`` → ``E``), None where not a GSS code."""
    table, cat = _gss_country_table(codes)
    return table[cat.codes]


def _gss_country_table(codes: Any) -> tuple[np.ndarray, pd.Categorical]:
    """The country letter of each distinct code (one test per code, not per row).

    Returns the letters (object array, one per category and a last ``None`` for a missing
    code, so that ``table[cat.codes]`` is each row's letter) and the codes as a Categorical.
    """
    cat = pd.Categorical(codes)
    cats = pd.Series(cat.categories, dtype="string")
    letters = cats.str[0].where(cats.str.fullmatch(r"[EWSNLM]\d{8}").fillna(False), None)
    # code -1 (missing) -> None
    return np.append(letters.to_numpy(dtype=object), np.array([None], dtype=object)), cat


_BANDS_M = (100, 500, 1000, 5000)
#: Vertices per piece of boundary line in the nearest-boundary search.
_PIECE = 4


def _boundary_pieces(polygons: np.ndarray) -> np.ndarray:
    """The polygons' rings cut into lines of at most :data:`_PIECE` segments, in ring order.

    The distance from a point outside every polygon to the nearest polygon is the distance to
    the nearest of these pieces, computed by GEOS with the same point-to-segment arithmetic on
    the same segments (identical to the last bit), but each candidate costs 4 segments instead
    of a whole LEP's outline.
    """
    parts = shapely.get_parts(polygons)
    rings = shapely.get_rings(parts)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        return np.empty(0, dtype=object)
    m = np.bincount(ring, minlength=len(rings))
    start = np.concatenate([[0], np.cumsum(m)[:-1]])
    segs = np.maximum(m - 1, 0)
    nch = -(-segs // _PIECE)
    chunk_ring = np.repeat(np.arange(len(rings)), nch)
    first = np.concatenate([[0], np.cumsum(nch)[:-1]])
    local = np.arange(len(chunk_ring)) - np.repeat(first, nch)
    v0 = start[chunk_ring] + local * _PIECE
    v1 = start[chunk_ring] + np.minimum((local + 1) * _PIECE, segs[chunk_ring])
    length = v1 - v0 + 1
    offs = np.concatenate([[0], np.cumsum(length)[:-1]])
    idx = np.arange(int(length.sum())) - np.repeat(offs, length) + np.repeat(v0, length)
    return shapely.linestrings(coords[idx], indices=np.repeat(np.arange(len(v0)), length))


def _distance_to_polygons(
    polygons: np.ndarray, x: np.ndarray, y: np.ndarray, *, max_distance: float
) -> np.ndarray:
    """Distance from points outside every polygon to the nearest one (NaN beyond the limit)."""
    dist = np.full(len(x), np.nan)
    if len(x) == 0:
        return dist
    pieces = _boundary_pieces(polygons)
    if len(pieces) == 0:
        return dist
    tree = shapely.STRtree(pieces)
    pts = shapely.points(x, y)
    idx, d = tree.query_nearest(
        pts, max_distance=max_distance, return_distance=True, all_matches=False
    )
    dist[idx[0]] = d
    return dist


def country_counts(
    layer: PointLayer,
    b: Boundaries,
    point: np.ndarray,
    polygon: np.ndarray,
    status: np.ndarray,
) -> dict[str, Any]:
    """Counts comparing each point's own GSS LAD code (``laua``) with the boundary it fell in.

    Combinable over batches of points (:func:`country_combine`); ``first`` holds the position
    in ``layer`` of the first point of each country placed in another one. Countries are
    compared as small integers, one look-up per LAD code; distances are measured only for the
    points outside every boundary.
    """
    if "laua" not in layer.attributes.columns:
        return {}
    bcountry = _gss_country(b.ids)
    if any(c is None for c in bcountry):
        return {}
    table, cat = _gss_country_table(layer.attributes["laua"])
    countries = sorted({str(c) for c in bcountry})
    # letters as integers; a point's missing or non-GSS code gets its own number
    letters = sorted({str(c) for c in table if not pd.isna(c)})
    number = {c: i for i, c in enumerate(letters)}
    none = len(letters)
    table_n = np.array([none if pd.isna(c) else number[str(c)] for c in table], dtype=np.int8)
    own_n = np.array([c in countries for c in letters] + [False])
    # each point's country number, once (its LAD code's, one look-up per point)
    pn = table_n[cat.codes]
    bcode = np.array([number.get(str(c), -1) for c in bcountry], dtype=np.int8)
    mism = pn[point] != bcode[polygon]
    mism_pts = np.unique(point[mism])
    keys_n = pn[mism_pts]
    present, first_at, n_at = np.unique(keys_n, return_index=True, return_counts=True)
    by: dict[str, list[int]] = {}
    for j in np.argsort(first_at, kind="stable"):
        k = "none" if present[j] == none else letters[present[j]]
        by[k] = [int(n_at[j]), int(mism_pts[first_at[j]])]
    outside = (status == UNMATCHED) | (status == SNAPPED)
    own = own_n[pn]
    lost = np.flatnonzero(outside & own)
    limit = _BANDS_M[-1]
    # a margin over the last band: distances are compared with the bands exactly below
    dist = _distance_to_polygons(
        b.metric, layer.x[lost], layer.y[lost], max_distance=limit * 1.01 + 1.0
    )
    found = np.isfinite(dist)
    return {
        "countries": countries,
        "mismatched": int(len(mism_pts)),
        "by_country": by,
        "lost": int(len(lost)),
        "within": [int((dist[found] <= m).sum()) for m in _BANDS_M],
        "beyond": int((dist[found] > limit).sum() + (~found).sum()),
        "snapped_own": int(((status == SNAPPED) & own).sum()),
    }


def country_combine(raws: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The :func:`country_counts` of the union of batches of points (empty if not checked)."""
    if not raws or not raws[0]:
        return {}
    by: dict[str, list[int]] = {}
    for r in raws:
        for k, (n, first) in r["by_country"].items():
            if k in by:
                by[k] = [by[k][0] + n, min(by[k][1], first)]
            else:
                by[k] = [n, first]
    return {
        "countries": raws[0]["countries"],
        "mismatched": sum(r["mismatched"] for r in raws),
        "by_country": by,
        "lost": sum(r["lost"] for r in raws),
        "within": [sum(v) for v in zip(*(r["within"] for r in raws), strict=True)],
        "beyond": sum(r["beyond"] for r in raws),
        "snapped_own": sum(r["snapped_own"] for r in raws),
    }


def country_report(raw: dict[str, Any]) -> dict[str, Any]:
    """The ``checks`` block of a join report from :func:`country_counts` (empty if none)."""
    if not raw:
        return {}
    # value_counts of the mismatched points' countries, in the order pandas gives the whole
    # layer: rebuilt from the counts with each country where its first point came
    order = sorted(raw["by_country"], key=lambda k: raw["by_country"][k][1])
    counts = [raw["by_country"][k][0] for k in order]
    by = pd.Series(np.repeat(np.array(order, dtype=object), counts), dtype=object).value_counts()
    lost = raw["lost"]
    return {
        "lad_country": {
            "field": "laua",
            "boundary_countries": raw["countries"],
            "placed_in_other_country": raw["mismatched"],
            "placed_in_other_country_by_lad_country": {str(k): int(v) for k, v in by.items()},
            "note": (
                "points whose own LAD code (laua) names another country than the boundary they "
                "fell in: generalised boundaries cross the real border"
            ),
        },
        "outside_coastline": {
            "outside_in_boundary_countries": lost,
            "unmatched_in_boundary_countries": lost - raw["snapped_own"],
            **{f"within_{m}m": n for m, n in zip(_BANDS_M, raw["within"], strict=True)},
            "beyond_5000m": raw["beyond"],
            "snapped": raw["snapped_own"],
            "note": (
                "points whose LAD code lies in the boundaries' countries but which fall outside "
                "every (generalised) boundary; --snap METRES assigns those within reach"
            ),
        },
    }
