"""Boundary vintages and overlaps for the report of one place.

Two questions a regional audit must answer before any count is trusted:

* **Overlaps in its own boundary set.** Some boundary sets overlap on purpose: seven English
  districts belonged to two LEPs in 2021, so Greater Birmingham and Solihull shares land with
  Stoke-on-Trent and Staffordshire and with Worcestershire, and whatever lies there is counted
  in both. :func:`own_overlaps` lists those overlaps and :func:`describe_overlaps` says it.
* **Other vintages.** Where another vintage or a successor geography exists (LEP 2020, LSIP
  2023, a combined authority), :func:`vintage_changes` finds the feature that corresponds to
  the place (same code, then same name, then the largest intersection-over-union) and measures
  what each has that the other lacks, in km² and optionally in points (postcodes).

Every area is measured exactly in the place's metric CRS; sentences are built from the numbers
and never say more than they do ("unchanged" only when less than 0.5 % of the place moved).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from ..crs import as_crs, transform_geoms
from ..errors import CRSError, InvalidGeometryError, ParameterError
from ..join import assign_points
from ._overlaps import describe_overlaps, own_overlaps
from ._vformat import (
    count_phrase,
    count_word,
    fmt_iou,
    fmt_km2,
    fmt_share,
    join_and,
    normalise_name,
    year_in,
)

if TYPE_CHECKING:
    from ..boundaries import Boundaries
    from ..layers import PointLayer

# own_overlaps and describe_overlaps live in _overlaps; re-exported here for one import
__all__ = ["VintageChange", "own_overlaps", "describe_overlaps", "vintage_changes"]

#: Below this share of the place, both what was added and what was removed, a boundary is
#: called unchanged (apart from redrawing of generalised outlines).
UNCHANGED_SHARE = 0.005
#: Below this intersection-over-union a code or name match is flagged as doubtful.
WEAK_IOU = 0.5

_OTHERS_COLUMNS = ["id", "name", "overlap_km2", "share_of_place", "share_of_feature"]


# --------------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------------
# vintages


@dataclass(frozen=True)
class VintageChange:
    """How the place compares with one other boundary vintage or successor geography.

    Attributes
    ----------
    label : str
        The vintage's label (``"LEP 2020"``, ``"LSIP 2023"``).
    source, vintage : str or None
        ``boundaries.info.source`` and ``boundaries.info.vintage`` of the vintage.
    match_id, match_name : str or None
        The corresponding feature; None when nothing overlaps the place enough.
    match_by : str or None
        ``"id"`` (same code), ``"name"`` (same normalised name), ``"overlap"`` (largest
        intersection over union) or None.
    iou : float
        Intersection over union of place and match (0 without a match).
    place_km2, match_km2, common_km2 : float
        Areas of the place, of the match and of their intersection.
    added_km2 : float
        In the match but not in the place.
    removed_km2 : float
        In the place but not in the match. ``common + removed == place`` and
        ``common + added == match``.
    covered_share : float
        Share of the place covered by the union of all the vintage's features that overlap it.
    narrow_km2 : float
        Of ``added_km2 + removed_km2``, the area in strips narrower than ``strip_m`` (what is
        left after a morphological opening): differences typical of outlines generalised
        differently rather than of land moving between areas.
    others : pandas.DataFrame
        Other features overlapping the place by at least ``min_share`` of the place's area or
        of their own: ``id``, ``name``, ``overlap_km2``, ``share_of_place``,
        ``share_of_feature``, largest first.
    points_added, points_removed, points_common : int or None
        Points in the match only, in the place only, and in both (None without points).
    sentence : str
        The comparison in words, built from the numbers above.
    """

    label: str
    source: str | None
    vintage: str | None
    match_id: str | None
    match_name: str | None
    match_by: str | None
    iou: float
    place_km2: float
    match_km2: float
    common_km2: float
    added_km2: float
    removed_km2: float
    covered_share: float
    narrow_km2: float
    others: pd.DataFrame = field(compare=False, repr=False)
    points_added: int | None = None
    points_removed: int | None = None
    points_common: int | None = None
    sentence: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON reports (``others`` as a list of records)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "others"}
        out["others"] = self.others.to_dict("records")
        return out


def _metric_geoms(boundaries: Boundaries, crs: Any) -> np.ndarray:
    """The vintage's metric polygons in ``crs`` (vertices transformed when the CRS differs)."""
    src = boundaries.metric_crs
    if src.equals(crs):
        return np.asarray(boundaries.metric, dtype=object)
    geoms = transform_geoms(np.asarray(boundaries.metric, dtype=object), src, crs)
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms


def _check_place(place: Any, crs: Any, name: str) -> Any:
    """The CRS as a pyproj CRS after checking that it is metric and the place a polygon."""
    pcrs = as_crs(crs, what=f"vintage_changes: {name}")
    if pcrs.is_geographic:
        raise CRSError(
            f"vintage_changes: {name} is in {pcrs.to_string()}, in degrees; pass its metric "
            "geometry and CRS, e.g. boundaries.metric[i] and boundaries.metric_crs."
        )
    unit = pcrs.axis_info[0].unit_name if pcrs.axis_info else "unknown"
    if unit not in ("metre", "meter"):
        raise CRSError(
            f"vintage_changes: {pcrs.to_string()} measures in {unit}, not metres; areas in km² "
            "need a metric CRS: pass boundaries.metric[i] and boundaries.metric_crs."
        )
    if not isinstance(place, shapely.Geometry) or place.is_empty:
        raise InvalidGeometryError(
            f"vintage_changes: {name} must be a non-empty shapely (Multi)Polygon, got "
            f"{type(place).__name__}; pass boundaries.metric[i]."
        )
    if place.geom_type not in ("Polygon", "MultiPolygon"):
        raise InvalidGeometryError(
            f"vintage_changes: {name} is a {place.geom_type}; pass its polygon "
            "(boundaries.metric[i])."
        )
    if not place.is_valid:
        raise InvalidGeometryError(
            f"vintage_changes: {name} is not a valid polygon ({shapely.is_valid_reason(place)}); "
            "repair it with shapely.make_valid or read it with read_boundaries."
        )
    return pcrs


def _narrow_m2(geom: Any, width: float) -> float:
    """Area of ``geom`` in strips narrower than ``width``: what an opening by ``width / 2`` drops.

    The opening is taken part by part (parts meet at most at points, so no disc lies across
    two of them), and a part is wholly narrow, without a buffer, when it cannot hold a disc of
    diameter ``width`` (:func:`_holds_no_disc`): most parts of the difference between two
    generalised outlines are slivers, whose erosion is the slow step.

    Examples
    --------
    A 1 km square with a 2 km x 100 m strip attached: the strip (200,000 m²) goes, and so do
    the square's four corners, rounded to a 250 m radius (4 x 250² x (1 - π/4) ≈ 53,650 m²):

    >>> g = shapely.union(shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 3000, 100))
    >>> round(_narrow_m2(g, 500), -3)
    255000.0
    """
    if geom is None or geom.is_empty:
        return 0.0
    parts = shapely.get_parts(geom)
    area = shapely.area(parts)
    fat = ~_holds_no_disc(parts, area, width)
    narrow = float(area[~fat].sum())
    if fat.any():
        whole = parts[fat]
        opened = shapely.buffer(shapely.buffer(whole, -width / 2), width / 2)
        narrow += float((area[fat] - shapely.area(shapely.intersection(opened, whole))).sum())
    return narrow


def _holds_no_disc(parts: np.ndarray, area: np.ndarray, width: float) -> np.ndarray:
    """Which polygons certainly hold no disc of diameter ``width`` (so erode to nothing).

    Each test is a bound on the largest inscribed disc, cheapest first: the area (below
    π (width / 2)²), the bounding box and the minimum rotated rectangle (a side shorter than
    ``width``), then the outer ring alone eroded (holes only shrink what erosion leaves).
    """
    r = width / 2
    b = shapely.bounds(parts)
    none = (area < np.pi * r * r) | (np.minimum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) < width)
    rest = np.flatnonzero(~none)
    if len(rest):
        env = shapely.oriented_envelope(parts[rest])
        side = np.zeros(len(rest))
        box = shapely.get_type_id(env) == 3  # a polygon: four corners and the first again
        if box.any():
            xy = shapely.get_coordinates(shapely.get_exterior_ring(env[box])).reshape(-1, 5, 2)
            side[box] = np.hypot(*(xy[:, 1:3] - xy[:, 0:2]).transpose(2, 0, 1)).min(axis=1)
        none[rest] = side < width
        rest = rest[side >= width]
    if len(rest):
        shells = shapely.polygons(shapely.get_exterior_ring(parts[rest]))
        none[rest] = shapely.is_empty(shapely.buffer(shells, -r))
    return none


def _covered_km2(pieces: np.ndarray, km2: np.ndarray, ids: np.ndarray, boundaries: Any) -> float:
    """Area of the union of ``pieces`` (the place cut by each feature ``ids`` of ``boundaries``).

    Features whose interiors do not overlap (no pair of them among ``boundaries.overlaps``)
    cut the place into pieces that do not overlap either, so the union's area is their sum:
    the union is drawn only when two of the features overlap.
    """
    if len(pieces) == 0:
        return 0.0
    ov = boundaries.overlaps
    if len(ov) and (ov["id_a"].isin(ids) & ov["id_b"].isin(ids)).any():
        return float(shapely.area(shapely.union_all(pieces))) / 1e6
    return float(km2.sum())


def _points_inside(geom: Any, points: PointLayer) -> np.ndarray:
    """Which points lie in the interior of ``geom`` (a point on the boundary does not)."""
    inside = np.zeros(len(points), dtype=bool)
    if geom is None or geom.is_empty or len(points) == 0:
        return inside
    cand = points.in_box(*geom.bounds)
    if len(cand):
        hit = assign_points(points.x[cand], points.y[cand], np.array([geom], dtype=object))
        inside[cand[hit.point]] = True
    return inside


def vintage_changes(
    place: Any,
    crs: Any,
    vintages: Mapping[str, Boundaries],
    *,
    place_id: str | None = None,
    place_name: str | None = None,
    place_label: str | None = None,
    points: PointLayer | None = None,
    min_share: float = 0.01,
    strip_m: float = 500.0,
) -> list[VintageChange]:
    """Compare a place's boundary with the corresponding feature of other boundary vintages.

    For each vintage the corresponding feature is the one with the place's id, else the one
    with its (normalised) name, else the one with the largest intersection over union among
    features overlapping the place by at least ``min_share`` of either's area. Areas are
    measured in ``crs`` (the vintage's metric geometries are reprojected when its metric CRS
    differs).

    Parameters
    ----------
    place : shapely.Polygon or shapely.MultiPolygon
        The place's boundary in ``crs``: the current one, compared with each vintage.
    crs : str or pyproj.CRS
        A metric (projected) CRS, e.g. ``boundaries.metric_crs``.
    vintages : mapping of str to Boundaries
        Label → boundary set, e.g. ``{"LEP 2020": lep20, "LSIP 2023": lsip}``.
    place_id, place_name : str, optional
        Used to match by id or name, and to name the place in the sentences.
    place_label : str, optional
        The place's own vintage (``"LEP 2021"``). When its year is later than a vintage's,
        a match by id or name is described as a change over time (lost, gained).
    points : PointLayer, optional
        Points (postcodes, firms) counted in the place only, the match only, and both.
    min_share : float
        A feature counts as overlapping (for the match by overlap and for ``others``) when the
        overlap is at least this share of the place's area or of its own.
    strip_m : float
        Width (in CRS units, metres) under which differences are counted as narrow strips
        along the boundary (:attr:`VintageChange.narrow_km2`); 500 m is the tolerance of the
        ONS ultra-generalised (BUC) boundaries. 0 turns the measure off.

    Returns
    -------
    list of VintageChange
        One per vintage, in the mapping's order.

    Raises
    ------
    CRSError
        If ``crs`` is missing, in degrees or not in metres.
    InvalidGeometryError
        If ``place`` is not a valid polygon.
    ParameterError
        If ``min_share`` is outside [0, 1], ``strip_m`` is negative or a vintage is not a
        :class:`Boundaries`.

    Notes
    -----
    A point on a boundary line is in neither polygon (as in the join). The sentence calls a
    boundary "unchanged" only when what it gained and what it lost are each under 0.5 % of the
    place, flags a code or name match whose IoU is under 0.5 (the two then differ by more land
    than they share), and says "it is not part of one" only when no feature of the vintage
    shares any area with the place.

    Examples
    --------
    A 10 km square place; in 2020 the same id was 2 km taller:

    >>> import geopandas as gpd
    >>> from geodistrict.boundaries import prepare_boundaries
    >>> x0, y0 = 400_000, 300_000
    >>> place = shapely.box(x0, y0, x0 + 10_000, y0 + 10_000)
    >>> old = prepare_boundaries(
    ...     gpd.GeoDataFrame(
    ...         {"id": ["P"], "name": ["Place"]},
    ...         geometry=[shapely.box(x0, y0, x0 + 10_000, y0 + 12_000)],
    ...         crs=27700,
    ...     )
    ... )
    >>> (c,) = vintage_changes(
    ...     place, "EPSG:27700", {"Set 2020": old}, place_id="P", place_name="Place",
    ...     place_label="Set 2021",
    ... )
    >>> c.match_by, round(c.iou, 4), round(c.added_km2, 6), round(c.removed_km2, 6)
    ('id', 0.8333, 20.0, 0.0)
    >>> c.sentence
    'Against Set 2020, Place (Set 2021) lost 20.0 km² (16.7 % of its 2020 area) and gained 0.00 km².'
    """  # noqa: E501
    name = place_name or place_id or "the place"
    pcrs = _check_place(place, crs, name)
    if not 0 <= min_share <= 1:
        raise ParameterError(
            f"vintage_changes: min_share={min_share} is not a share; pass a value in [0, 1] "
            "(0.01 is 1 %)."
        )
    if strip_m < 0:
        raise ParameterError(
            f"vintage_changes: strip_m={strip_m} is negative; pass a width in metres (0 turns "
            "the narrow-strip measure off)."
        )
    bad = [
        f"{label!r} is a {type(b).__name__}"
        for label, b in vintages.items()
        if not (hasattr(b, "metric") and hasattr(b, "metric_crs") and hasattr(b, "info"))
    ]
    if bad:
        raise ParameterError(
            f"vintage_changes: each vintage must be a Boundaries, but {'; '.join(bad)}; read it "
            "with read_boundaries(path), or prepare_boundaries(gdf) for a GeoDataFrame."
        )
    pts = points.to_crs(pcrs) if points is not None else None
    shapely.prepare(place)
    in_place = _points_inside(place, pts) if pts is not None else None
    out = []
    for label, boundaries in vintages.items():
        out.append(
            _one_vintage(
                place,
                pcrs,
                str(label),
                boundaries,
                place_id=place_id,
                place_name=place_name,
                name=name,
                place_label=place_label,
                points=pts,
                in_place=in_place,
                points_noun=(points.info.name.replace("_", " ") if points is not None else ""),
                min_share=min_share,
                strip_m=strip_m,
            )
        )
    return out


def _one_vintage(
    place: Any,
    crs: Any,
    label: str,
    boundaries: Boundaries,
    *,
    place_id: str | None,
    place_name: str | None,
    name: str,
    place_label: str | None,
    points: PointLayer | None,
    in_place: np.ndarray | None,
    points_noun: str,
    min_share: float,
    strip_m: float,
) -> VintageChange:
    """Measure and describe one vintage (see :func:`vintage_changes`).

    ``place_name`` is used for matching (None: no match by name), ``name`` in the sentence.
    """
    geoms = _metric_geoms(boundaries, crs)
    ids = boundaries.ids.astype(str)
    names = boundaries.names.astype(str)
    place_km2 = float(shapely.area(place)) / 1e6
    feat_km2 = shapely.area(geoms) / 1e6
    inter_km2 = np.zeros(len(geoms))
    inter_geom = np.empty(len(geoms), dtype=object)
    cand = shapely.STRtree(geoms).query(place, predicate="intersects")
    if len(cand):
        inter_geom[cand] = shapely.intersection(place, geoms[cand])
        inter_km2[cand] = shapely.area(inter_geom[cand]) / 1e6
    touching = np.flatnonzero(inter_km2 > 0)
    covered_km2 = _covered_km2(inter_geom[touching], inter_km2[touching], ids[touching], boundaries)
    covered_share = covered_km2 / place_km2
    union_km2 = place_km2 + feat_km2 - inter_km2
    iou = np.divide(inter_km2, union_km2, out=np.zeros(len(geoms)), where=union_km2 > 0)
    share_place = inter_km2 / place_km2
    share_feat = np.divide(inter_km2, feat_km2, out=np.zeros(len(geoms)), where=feat_km2 > 0)
    relevant = (inter_km2 > 0) & ((share_place >= min_share) | (share_feat >= min_share))

    match: int | None = None
    match_by: str | None = None
    if place_id is not None and (hit := np.flatnonzero(ids == str(place_id))).size:
        match, match_by = int(hit[np.argmax(iou[hit])]), "id"
    elif place_name is not None:
        norm = np.array([normalise_name(n) for n in names])
        hit = np.flatnonzero(norm == normalise_name(place_name))
        if hit.size:
            match, match_by = int(hit[np.argmax(iou[hit])]), "name"
    if match is None and relevant.any():
        best = np.flatnonzero(relevant)
        match, match_by = int(best[np.argmax(iou[best])]), "overlap"

    narrow = 0.0
    if match is not None:
        mgeom = geoms[match]
        common = float(inter_km2[match])
        diffs = shapely.difference([mgeom, place], [place, mgeom])
        added, removed = (float(a) / 1e6 for a in shapely.area(diffs))
        match_km2 = float(feat_km2[match])
        if strip_m > 0:
            narrow = sum(_narrow_m2(d, strip_m) for d in diffs) / 1e6
    else:
        mgeom, common, added, removed, match_km2 = None, 0.0, 0.0, place_km2, 0.0

    oth = np.flatnonzero(relevant)
    oth = oth[oth != match] if match is not None else oth
    oth = oth[np.lexsort((ids[oth], -inter_km2[oth]))]
    others = pd.DataFrame(
        {
            "id": pd.Series(ids[oth], dtype=object),
            "name": pd.Series(names[oth], dtype=object),
            "overlap_km2": inter_km2[oth],
            "share_of_place": share_place[oth],
            "share_of_feature": share_feat[oth],
        },
        columns=_OTHERS_COLUMNS,
    )

    p_added = p_removed = p_common = None
    if points is not None and in_place is not None:
        in_match = _points_inside(mgeom, points)
        p_common = int((in_place & in_match).sum())
        p_removed = int((in_place & ~in_match).sum())
        p_added = int((~in_place & in_match).sum())

    change = VintageChange(
        label=label,
        source=boundaries.info.source,
        vintage=boundaries.info.vintage,
        match_id=None if match is None else str(ids[match]),
        match_name=None if match is None else str(names[match]),
        match_by=match_by,
        iou=0.0 if match is None else float(iou[match]),
        place_km2=place_km2,
        match_km2=match_km2,
        common_km2=common,
        added_km2=added,
        removed_km2=removed,
        covered_share=covered_share,
        narrow_km2=narrow,
        others=others,
        points_added=p_added,
        points_removed=p_removed,
        points_common=p_common,
    )
    largest = None
    if len(touching):
        k = int(touching[np.argmax(inter_km2[touching])])
        largest = str(names[k])
    text = _sentence(
        change,
        place_id=place_id,
        place_name=name,
        place_label=place_label,
        vintage_year=year_in(label, boundaries.info.vintage),
        points_noun=points_noun,
        min_share=min_share,
        strip_m=strip_m,
        largest=largest,
    )
    return replace(change, sentence=text)


def _sentence(
    c: VintageChange,
    *,
    place_id: str | None,
    place_name: str,
    place_label: str | None,
    vintage_year: int | None,
    points_noun: str,
    min_share: float,
    strip_m: float,
    largest: str | None,
) -> str:
    """The comparison in one or two sentences, from the numbers of ``c`` only."""
    if c.match_id is None:
        return _no_match_sentence(c, place_name, min_share=min_share, largest=largest)
    w = _wording(c, place_name, place_label, points_noun or "points")
    place_year = year_in(place_label)
    over_time = (
        c.match_by in ("id", "name")
        and vintage_year is not None
        and place_year is not None
        and vintage_year < place_year
    )
    if over_time:
        first = _over_time_clause(c, w, place_id, place_label, vintage_year, place_year)
    else:
        first = _same_time_clause(c, w)
    second = _second_clauses(c, w, strip_m=strip_m)
    text = first + "."
    if second:
        joined = "; ".join(second)
        text += " " + joined[0].upper() + joined[1:] + "."
    return text


def _no_match_sentence(
    c: VintageChange, place: str, *, min_share: float, largest: str | None
) -> str:
    """The sentence when no area of the other set matches the place."""
    if c.covered_share == 0:
        return f"No {c.label} boundary overlaps {place} (it is not part of one)."
    return (
        f"No {c.label} boundary overlaps {place} by {100 * min_share:g} % or more of "
        f"either's area: together they cover {fmt_km2(c.covered_share * c.place_km2)} of "
        f"it ({fmt_share(c.covered_share)}), most of it in {largest}."
    )


@dataclass(frozen=True)
class _Wording:
    """The phrases of a matched comparison shared by its clauses."""

    place: str
    noun: str
    same_name: bool
    place_ref: str
    match_ref: str
    diff_km2: float
    moved_little: bool
    redraw: str
    has_points: bool


def _wording(c: VintageChange, place: str, place_label: str | None, noun: str) -> _Wording:
    same_name = normalise_name(c.match_name) == normalise_name(place)
    if same_name:
        place_ref = f"the {place_label} boundary" if place_label else "the place's boundary"
        match_ref = f"the {c.label} boundary"
    else:
        place_ref, match_ref = place, str(c.match_name)
    diff_km2 = c.added_km2 + c.removed_km2
    return _Wording(
        place=place,
        noun=noun,
        same_name=same_name,
        place_ref=place_ref,
        match_ref=match_ref,
        diff_km2=diff_km2,
        moved_little=(
            c.added_km2 < UNCHANGED_SHARE * c.place_km2
            and c.removed_km2 < UNCHANGED_SHARE * c.place_km2
        ),
        redraw=(
            f"{fmt_km2(diff_km2)} of redrawing ({fmt_km2(c.removed_km2)} only in {place_ref}, "
            f"{fmt_km2(c.added_km2)} only in {match_ref})"
        ),
        has_points=c.points_added is not None and c.points_removed is not None,
    )


def _over_time_clause(
    c: VintageChange,
    w: _Wording,
    place_id: str | None,
    place_label: str | None,
    vintage_year: int | None,
    place_year: int | None,
) -> str:
    """What the place lost and gained since the earlier vintage (and its points)."""
    if not w.same_name:
        against = f"Against {c.label}, when it was {c.match_name},"
    elif place_id is not None and str(place_id) != c.match_id:
        against = f"Against {c.label}, when its code was {c.match_id},"
    else:
        against = f"Against {c.label},"
    who = f"{w.place} ({place_label})"
    if w.moved_little:
        first = f"{against} {who} is unchanged apart from {w.redraw}"
    else:
        first = (
            f"{against} {who} lost {fmt_km2(c.added_km2)} "
            f"({fmt_share(c.added_km2 / c.match_km2)} of its {vintage_year} area) and "
            f"gained {fmt_km2(c.removed_km2)}"
        )
        if c.removed_km2 > 0:
            first += f" ({fmt_share(c.removed_km2 / c.place_km2)} of its {place_year} area)"
    if c.points_added is None or c.points_removed is None:
        return first
    net = c.points_removed - c.points_added
    if c.points_added == 0 and c.points_removed == 0:
        return first + f"; no {w.noun} changed sides"
    head = (
        f"{count_phrase(abs(net), w.noun)} {'fewer' if net < 0 else 'more'}"
        if net
        else f"as many {w.noun}"
    )
    return first + f"; {head} ({c.points_added:,} lost, {c.points_removed:,} gained)"


def _same_time_clause(c: VintageChange, w: _Wording) -> str:
    """How the best match differs from the place (land and points), at the same time."""
    if c.match_by == "overlap":
        weak = ", a partial match" if c.iou < WEAK_IOU else ""
        first = (
            f"Against {c.label}, the best-matching area is {c.match_name} ({c.match_id}, "
            f"IoU {fmt_iou(c.iou)}{weak}):"
        )
    else:
        how = "code" if c.match_by == "id" else "name"
        verb = "matches" if c.iou >= WEAK_IOU else "overlaps"
        only = "" if c.iou >= WEAK_IOU else "only "
        first = (
            f"The {c.label} area with the same {how}, {c.match_name} ({c.match_id}), "
            f"{verb} {w.place} with IoU {only}{fmt_iou(c.iou)}:"
        )
    if w.moved_little:
        first += f" it covers the same land as {w.place} apart from {w.redraw}"
        if w.has_points:
            first += (
                f"; {w.noun}: {c.points_removed:,} only in {w.place_ref}, "
                f"{c.points_added:,} only in {w.match_ref}"
            )
        return first
    pa = f" and {count_phrase(c.points_added or 0, w.noun)}" if w.has_points else ""
    pr = f" and {count_phrase(c.points_removed or 0, w.noun)}" if w.has_points else ""
    return first + (
        f" it adds {fmt_km2(c.added_km2)}{pa} outside {w.place} and leaves out "
        f"{fmt_km2(c.removed_km2)} ({fmt_share(c.removed_km2 / c.place_km2)}){pr} "
        f"of {w.place}"
    )


def _second_clauses(c: VintageChange, w: _Wording, *, strip_m: float) -> list[str]:
    """The second sentence's clauses: weak match, narrow strips, other overlapping areas."""
    second = []
    if c.match_by in ("id", "name") and c.iou < WEAK_IOU:
        how = "code" if c.match_by == "id" else "name"
        second.append(
            f"under the same {how} the two differ by more land than they share "
            f"(IoU {fmt_iou(c.iou)})"
        )
    diff_km2 = w.diff_km2
    if not w.moved_little and diff_km2 > 0 and c.narrow_km2 >= 0.5 * diff_km2:
        narrow_share = c.narrow_km2 / diff_km2
        amount = (
            f"all of the {fmt_km2(diff_km2)} difference"
            if narrow_share >= 0.9995
            else f"{fmt_km2(c.narrow_km2)} of the {fmt_km2(diff_km2)} difference "
            f"({fmt_share(narrow_share)})"
        )
        second.append(
            f"{amount} lies in strips narrower than {strip_m:g} m along the boundary, as where "
            "generalised outlines are drawn differently"
        )
    if len(c.others):
        shown = [
            f"{r['name']} ({fmt_km2(r['overlap_km2'])}, {fmt_share(r['share_of_place'])}"
            + (" of it)" if k == 0 else ")")
            for k, r in enumerate(c.others.head(3).to_dict("records"))
        ]
        more = len(c.others) - len(shown)
        if more:
            shown.append(f"{count_word(more)} more")
        kind = "area" if len(c.others) == 1 else "areas"
        second.append(f"{w.place} also overlaps the {c.label} {kind} {join_and(shown)}")
    if len(c.others) or c.covered_share < 1 - UNCHANGED_SHARE:
        whom = "it" if len(c.others) else w.place
        second.append(f"together {c.label} areas cover {fmt_share(c.covered_share)} of {whom}")
    return second
