"""Sector counts of firm points in any polygons, for location quotients.

:func:`firm_sector_counts` places a firm layer (:func:`geodistrict.io.firms.read_firms`) in a
set of polygons and counts its firms (or sums an employment column) by SIC 2007 section,
division, group, class, subclass or a named grouping (:mod:`geodistrict.sectors`). The
result is the long table that :func:`geodistrict.metrics.specialisation.location_quotients`
takes, with the reference mix beside it, so that firm-based and Nomis-based location quotients
come out of the *same* function:

>>> from geodistrict.metrics.specialisation import location_quotients  # doctest: +SKIP
>>> counts, ref = firm_sector_counts(firms, areas, level="section")  # doctest: +SKIP
>>> lq = location_quotients(counts, reference=ref)  # doctest: +SKIP

(:func:`firm_location_quotients` does both.)

References
----------
``"all"`` (default)
    Every firm of the layer that has a sector, wherever it lies: the layer is the reference
    economy (a region's firms, the whole register).
``"areas"``
    The sum over the areas given (the default of :func:`location_quotients`); for areas that
    partition a territory it equals the firms inside them.
polygons
    The firms inside a reference polygon (a region drawn or read from a file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validate import as_boundaries
from ..errors import ParameterError, SchemaError
from ..layers import PointLayer
from ..sectors import Grouping, grouping_of, sector_labels

__all__ = [
    "FirmSectorCounts",
    "firm_location_quotients",
    "firm_sector_counts",
    "place_agreement",
    "sector_column",
]


@dataclass(frozen=True)
class FirmSectorCounts:
    """Counts of firms by area and sector, the reference mix and the accounting of the firms.

    Attributes
    ----------
    counts : pandas.DataFrame
        Long table ``area``, ``sector``, ``count``, ``sector_label`` (every area x every sector
        of the reference, zeros included), in area order then sector order.
    reference : pandas.Series
        The reference's count of each sector, named by its label.
    level : str
        The SIC level or grouping name.
    weight : str or None
        The column summed instead of counting firms.
    accounting : dict
        ``firms`` (points), ``with_sector``, ``without_sector`` with ``reasons``,
        ``in_areas`` / ``outside_areas`` / ``in_several_areas`` (firms with a sector),
        ``weight_missing`` (firms whose weight is missing, counted as 0) and ``reference``.
    grouping : dict or None
        The grouping's definition and source when ``level`` names one.
    """

    counts: pd.DataFrame
    reference: pd.Series
    level: str
    weight: str | None
    accounting: dict[str, Any]
    grouping: dict[str, Any] | None = None


def sector_column(
    firms: PointLayer, level: str, groupings: dict[str, Grouping] | None = None
) -> tuple[pd.Series, dict[str, str], Grouping | None]:
    """Each firm's sector at ``level`` (``None`` when it has none) and the sector labels.

    Parameters
    ----------
    firms : PointLayer
        Read with :func:`geodistrict.io.firms.read_firms` (SIC columns present).
    level : str
        ``section``, ``division``, ``group``, ``class``, ``subclass`` or a grouping name.
    groupings : dict, optional
        From :func:`geodistrict.sectors.load_groupings` (default: the shipped ones).

    Returns
    -------
    tuple
        (sector per firm, sector code → label, the grouping or ``None``).
    """
    attrs = firms.attributes
    if "sic_section" not in attrs.columns:
        raise SchemaError(
            f"{firms.info.source}: the layer has no SIC 2007 columns; read it with "
            "geodistrict.io.firms.read_firms (or pass --sic-column COL)."
        )
    grouping = grouping_of(level, groupings)
    if grouping is not None:
        return grouping.assign(attrs), dict(grouping.titles), grouping
    col = f"sic_{level}"
    return attrs[col].astype(object), sector_labels(level), None


def _inside(firms: PointLayer, polygons: Any, what: str) -> tuple[np.ndarray, np.ndarray, Any]:
    """(point, polygon) pairs of firms inside polygons (a Boundaries)."""
    from ..join.points import join_points

    res = join_points(firms, polygons)
    return res.assignment.point, res.assignment.polygon, res


def firm_sector_counts(
    firms: PointLayer,
    areas: Any,
    *,
    level: str = "section",
    weight: str | None = None,
    reference: Any = "all",
    groupings: dict[str, Grouping] | None = None,
    reference_name: str | None = None,
) -> FirmSectorCounts:
    """Count the firms of every sector in every area, and the reference's counts.

    Parameters
    ----------
    firms : PointLayer
        Firms with SIC columns (:func:`geodistrict.io.firms.read_firms`).
    areas : Boundaries, GeoDataFrame or path
        Polygons (local authorities, a drawn district ...); a firm inside two overlapping
        areas counts in each.
    level : str
        ``section`` (default), ``division``, ``group``, ``class``, ``subclass`` or the name of
        a grouping (``eurostat_technology``, ``dcms_digital`` ... or a user one).
    weight : str, optional
        A numeric column (employees) summed instead of counting firms; a missing value counts
        as 0 and is reported.
    reference : {"all", "areas"}, Boundaries, GeoDataFrame or path
        The reference mix (see the module documentation). Default ``"all"``: every firm of
        the layer with a sector.
    groupings : dict, optional
        Groupings available to ``level`` (default: the shipped ones).
    reference_name : str, optional
        Label of the reference (default: describes it).

    Returns
    -------
    FirmSectorCounts
        ``counts`` and ``reference`` go to
        :func:`geodistrict.metrics.specialisation.location_quotients`.

    Raises
    ------
    SchemaError
        When the layer has no SIC columns or ``weight`` is not a numeric column.
    ParameterError
        For an unknown level or reference.
    """
    bounds = as_boundaries(areas, "areas")
    sector, labels, grouping = sector_column(firms, level, groupings)
    has = sector.notna().to_numpy()
    w = _weights(firms, weight)
    point, poly, _res = _inside(firms, bounds, "areas")
    keep = has[point]
    point, poly = point[keep], poly[keep]
    sec = sector.to_numpy(dtype=object)

    # reference
    if isinstance(reference, str) and reference == "all":
        ref_mask = has
        ref_vals = pd.Series(w[ref_mask], index=sec[ref_mask]).groupby(level=0).sum()
        label = reference_name or (
            f"all firms with a SIC 2007 sector in the layer {firms.info.name!r} ({has.sum():,})"
            + (f", weighted by {weight}" if weight else "")
        )
    elif isinstance(reference, str) and reference == "areas":
        ref_vals = pd.Series(w[point], index=sec[point]).groupby(level=0).sum()
        label = reference_name or "sum of areas" + (f", weighted by {weight}" if weight else "")
    elif isinstance(reference, str) and not _looks_like_path(reference):
        raise ParameterError(
            f"reference={reference!r}: use 'all' (every firm of the layer), 'areas' (the sum "
            "of the areas) or a polygon file."
        )
    else:
        rb = as_boundaries(reference, "reference")
        rp, _rpoly, _ = _inside(firms, rb, "reference")
        rp = np.unique(rp)  # a firm in two reference polygons counts once
        rp = rp[has[rp]]
        ref_vals = pd.Series(w[rp], index=sec[rp]).groupby(level=0).sum()
        label = reference_name or (
            f"firms inside {rb.info.source} ({len(rp):,})"
            + (f", weighted by {weight}" if weight else "")
        )

    # sectors: those of the reference, in code order, plus any seen only in the areas
    order = [s for s in labels if s in ref_vals.index]
    seen = pd.unique(sec[point])
    order += sorted(s for s in seen if s not in set(order))
    ref_series = ref_vals.reindex(order).fillna(0.0).astype(float)
    ref_series.name = label

    ids = np.asarray(bounds.ids).astype(str)
    names = np.asarray(bounds.names).astype(str)
    pairs = pd.DataFrame({"poly": poly, "sector": sec[point], "w": w[point]})
    table = pairs.groupby(["poly", "sector"])["w"].sum()
    grid = pd.MultiIndex.from_product([range(len(bounds)), order], names=["poly", "sector"])
    table = table.reindex(grid, fill_value=0.0)
    counts = pd.DataFrame(
        {
            "area": ids[table.index.get_level_values("poly")],
            "sector": table.index.get_level_values("sector").astype(str),
            "count": table.to_numpy(dtype=float),
        }
    )
    counts["sector_label"] = counts["sector"].map(labels).fillna("")
    counts["area_name"] = names[table.index.get_level_values("poly")]
    counts.attrs["source"] = firms.info.source

    per_point = np.bincount(point, minlength=len(firms))
    acc: dict[str, Any] = {
        "firms": int(len(firms)),
        "with_sector": int(has.sum()),
        "without_sector": int((~has).sum()),
        "reasons": _reasons(firms, ~has),
        "in_areas": int((per_point[has] >= 1).sum()),
        "outside_areas": int((per_point[has] == 0).sum()),
        "in_several_areas": int((per_point[has] >= 2).sum()),
        "reference": label,
        "reference_total": float(ref_series.sum()),
    }
    if weight is not None:
        raw = pd.to_numeric(firms.attributes[weight], errors="coerce")
        acc["weight_missing"] = int((raw.isna().to_numpy() & has).sum())
    return FirmSectorCounts(
        counts=counts,
        reference=ref_series,
        level=level,
        weight=weight,
        accounting=acc,
        grouping=grouping.as_dict() if grouping is not None else None,
    )


def _looks_like_path(text: str) -> bool:
    return any(text.lower().endswith(s) for s in (".geojson", ".gpkg", ".shp", ".parquet", ".json"))


def _reasons(firms: PointLayer, mask: np.ndarray) -> dict[str, int]:
    attrs = firms.attributes
    if "sic_reason" not in attrs.columns:
        return {}
    r = attrs.loc[mask, "sic_reason"].fillna("not in the grouping").value_counts()
    return {str(k): int(v) for k, v in r.items()}


def _weights(firms: PointLayer, weight: str | None) -> np.ndarray:
    if weight is None:
        return np.ones(len(firms), dtype=float)
    attrs = firms.attributes
    if weight not in attrs.columns:
        raise SchemaError(
            f"{firms.info.source}: no column {weight!r} to weight by (columns: "
            f"{', '.join(map(str, list(attrs.columns)[:25]))}); name a numeric column with "
            "--weight COL."
        )
    raw = attrs[weight]
    vals = pd.to_numeric(raw, errors="coerce")
    text = raw.astype("string").str.strip().str.upper()
    bad = vals.isna() & raw.notna() & ~text.isin(["", "NA", "N/A", "NAN", "NONE", "-"])
    if bad.any():
        raise SchemaError(
            f"{firms.info.source}: column {weight!r} holds values that are not numbers "
            f"(e.g. {raw[bad].iloc[0]!r}); give a numeric column (employees)."
        )
    if (vals < 0).any():
        raise SchemaError(f"{firms.info.source}: column {weight!r} has negative values.")
    return vals.fillna(0.0).to_numpy(dtype=float)


def firm_location_quotients(
    firms: PointLayer,
    areas: Any,
    *,
    level: str = "section",
    weight: str | None = None,
    reference: Any = "all",
    groupings: dict[str, Grouping] | None = None,
) -> tuple[pd.DataFrame, FirmSectorCounts]:
    """Location quotients of firm sectors in every area (the Nomis path's own function).

    Counts with :func:`firm_sector_counts`, then calls
    :func:`geodistrict.metrics.specialisation.location_quotients` with the reference mix.

    Returns
    -------
    tuple
        (the long LQ table with the columns of
        :data:`geodistrict.metrics.specialisation.LQ_COLUMNS` first, then
        ``area_total_complete``, ``reference_complete``, ``reference``, ``sector_label``,
        ``area_name``; the :class:`FirmSectorCounts`).
    """
    from .specialisation import location_quotients

    fc = firm_sector_counts(
        firms, areas, level=level, weight=weight, reference=reference, groupings=groupings
    )
    lq = location_quotients(fc.counts, reference=fc.reference)
    return lq, fc


def place_agreement(
    firms: PointLayer,
    areas: Any,
    *,
    label: str,
    postcode: str | None = None,
    max_listed: int = 50,
) -> dict[str, Any]:
    """Compare each firm's stated area (a local-authority name) with where it is placed.

    Two placements are checked: the area whose code is the firm's postcode's LAD in the ONS
    Postcode Directory (``postcode``; needs the areas to be LADs coded like ``laua``), and
    the polygon of ``areas`` the firm's point falls in. Generalised boundaries put firms near
    a border in the neighbouring area: the polygon check says how many, and which.

    Parameters
    ----------
    firms : PointLayer
    areas : Boundaries, GeoDataFrame or path
        Polygons whose ``name`` (or ``id``) is what ``label`` holds.
    label : str
        The firms' column naming their area (``localauthority_name``).
    postcode : str, optional
        The firms' postcode column, for the postcode check.
    max_listed : int
        Most disagreeing firms listed.

    Returns
    -------
    dict
        ``firms``; ``postcode`` (``agree``, ``differ``, ``not_found``) when ``postcode`` is
        given; ``polygon`` (``agree``, ``differ``, ``outside``, ``in_several``, and
        ``differences``: label → area → count, ``listed``: the first firms that differ with
        ``row``, ``label``, ``placed_in``, ``distance_m`` to their labelled area); and
        ``sentence``.
    """
    from collections import Counter

    import shapely

    from ..join.points import join_points
    from ..zones.match import normalise_label

    if label not in firms.attributes.columns:
        raise SchemaError(
            f"{firms.info.source}: no column {label!r} naming each firm's area; name it with "
            "label= (--label-column)."
        )
    b = as_boundaries(areas, "areas")
    names = [str(v) for v in b.names]
    ids = [str(v) for v in b.ids]
    key_of: dict[str, int] = {}
    for i, (pid, nm) in enumerate(zip(ids, names, strict=True)):
        key_of.setdefault(normalise_label(nm), i)
        key_of.setdefault(normalise_label(pid), i)
    lab = firms.attributes[label].astype("string").fillna("").to_numpy(dtype=object)
    lab_idx = np.array([key_of.get(normalise_label(v), -1) for v in lab], dtype=np.int64)
    out: dict[str, Any] = {"firms": int(len(firms)), "label": label}
    if postcode is not None:
        from ..io.onspd import geocode_postcodes

        g = geocode_postcodes(firms.attributes[postcode])
        pos = {c: i for i, c in enumerate(ids)}
        pc_idx = np.array([pos.get(c, -2) if isinstance(c, str) else -3 for c in g["laua"]])
        found = (g["status"] == "found").to_numpy()
        out["postcode"] = {
            "agree": int((found & (pc_idx == lab_idx)).sum()),
            "differ": int((found & (pc_idx != lab_idx)).sum()),
            "not_found": int((~found).sum()),
        }
    res = join_points(firms, b)
    a = res.assignment
    k = a.matches_per_point()
    placed = np.full(len(firms), -1, dtype=np.int64)
    placed[a.point] = a.polygon
    agree = (k == 1) & (placed == lab_idx)
    differ = (k == 1) & (placed != lab_idx)
    diffs = Counter((str(lab[i]), names[placed[i]]) for i in np.flatnonzero(differ))
    listed = []
    for i in np.flatnonzero(differ)[:max_listed]:
        dist = np.nan
        if lab_idx[i] >= 0:
            from ..crs import transform_xy

            x, y = transform_xy(firms.x[i : i + 1], firms.y[i : i + 1], firms.crs, b.metric_crs)
            dist = float(shapely.distance(shapely.points(x[0], y[0]), b.metric[lab_idx[i]]))
        listed.append(
            {
                "row": int(firms.attributes["row"].iloc[i])
                if "row" in firms.attributes
                else int(i),
                "label": str(lab[i]),
                "placed_in": names[placed[i]],
                "distance_m": round(dist, 1),
            }
        )
    out["polygon"] = {
        "agree": int(agree.sum()),
        "differ": int(differ.sum()),
        "outside": int((k == 0).sum()),
        "in_several": int((k >= 2).sum()),
        "differences": [
            {"label": lb, "placed_in": pl, "firms": int(n)} for (lb, pl), n in diffs.most_common()
        ],
        "listed": listed,
    }
    pc = out.get("postcode")
    parts = []
    if pc is not None:
        parts.append(
            f"{pc['agree']:,} of {len(firms):,} firms agree with their {label} by their "
            f"postcode's LAD code"
            + (
                f" ({pc['differ']:,} differ, {pc['not_found']:,} postcodes not found)"
                if pc["differ"] or pc["not_found"]
                else ""
            )
        )
    p = out["polygon"]
    far = max((d["distance_m"] for d in listed if np.isfinite(d["distance_m"])), default=0.0)
    parts.append(
        f"placed in the polygons of {b.info.source}, {p['agree']:,} fall in their {label} and "
        f"{p['differ']:,} near borders in a neighbouring area (at most {far:,.0f} m from their "
        f"own)" + (f"; {p['outside']:,} fall outside every polygon" if p["outside"] else "")
    )
    out["sentence"] = "; ".join(parts) + "."
    return out
