"""What a proposed district adds and removes against a baseline."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..boundaries import Boundaries
from ..errors import GeodistrictError, ParameterError
from ..join.points import join_points
from ..layers import PointLayer
from ._common import (
    district_and_slug,
    named_layers,
    ring_boundaries,
    safe_label,
    sector_column,
)
from .defaults import HOT_CELL_M, HOT_MARGIN_M

__all__ = [
    "HOT_CELL_M",
    "HOT_MARGIN_M",
    "DistrictDiff",
    "diff_districts",
    "hot_cells_in",
    "hot_study_area",
]


@dataclass(frozen=True)
class DistrictDiff:
    r"""Result of :func:`diff_districts`.

    Attributes
    ----------
    proposed, baseline : dict
        ``id``, ``name``, ``area_ha`` of each polygon.
    crs_measured : str
        Metric CRS of the areas (the proposed polygon's).
    area_added_ha, area_removed_ha, area_common_ha : float
        Areas of proposed \ baseline, baseline \ proposed and their intersection.
    layers : pandas.DataFrame
        Indexed by layer: ``baseline_count``, ``proposed_count``, ``added_count`` (points in
        proposed \ baseline), ``removed_count``, ``common_count``, ``baseline_per_km2``,
        ``proposed_per_km2``, ``density_change_pct`` (NaN when the baseline has none).
    sectors : pandas.DataFrame
        ``layer``, ``sector``, ``baseline_count``, ``proposed_count``, ``change``,
        ``added_count``, ``removed_count`` for layers with a sector column.
    warnings : tuple of str
    parameters : dict
    hot_cells : dict or None
        With the ``hot_cells`` layer: the significant Gi* hot cells (cells whose centre lies
        in each polygon) ``proposed``, ``baseline``, ``added``, ``removed``, ``common`` and
        ``study_area`` (all of them), with ``layer``, ``cell_m``, ``margin_m``, ``study_area``
        (in words), ``n_cells``, ``p_threshold`` and ``method``.
    hot_grid : geopandas.GeoDataFrame or None
        The tested cells, as :func:`geodistrict.clusters.hotspots.hotspots` returns them (for
        ``make_map(hotspots=...)``).
    """

    proposed: dict[str, Any]
    baseline: dict[str, Any]
    crs_measured: str
    area_added_ha: float
    area_removed_ha: float
    area_common_ha: float
    layers: pd.DataFrame = field(compare=False)
    sectors: pd.DataFrame = field(compare=False)
    warnings: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict, compare=False)
    hot_cells: dict[str, Any] | None = None
    hot_grid: Any = field(default=None, compare=False, repr=False)

    @property
    def area_change_ha(self) -> float:
        """Proposed minus baseline area."""
        return self.area_added_ha - self.area_removed_ha

    def gaining_sectors(self) -> pd.DataFrame:
        """Sectors whose count grows, largest gain first."""
        s = self.sectors
        return s[s["change"] > 0].sort_values(["change", "sector"], ascending=[False, True])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN written as null)."""

        def clean(v: Any) -> Any:
            if isinstance(v, float | np.floating):
                return float(v) if math.isfinite(v) else None
            if isinstance(v, np.integer):
                return int(v)
            return v

        base = self.baseline["area_ha"]
        return {
            "proposed": self.proposed,
            "baseline": self.baseline,
            "crs_measured": self.crs_measured,
            "area_added_ha": self.area_added_ha,
            "area_removed_ha": self.area_removed_ha,
            "area_common_ha": self.area_common_ha,
            "area_change_ha": self.area_change_ha,
            "area_change_pct": clean(100 * self.area_change_ha / base) if base else None,
            "layers": {
                str(k): {c: clean(v) for c, v in r.items()}
                for k, r in self.layers.to_dict("index").items()
            },
            "gaining_sectors": [
                {c: clean(v) for c, v in r.items()}
                for r in self.gaining_sectors().to_dict("records")
            ],
            "sectors": [
                {c: clean(v) for c, v in r.items()} for r in self.sectors.to_dict("records")
            ],
            "warnings": list(self.warnings),
            "parameters": self.parameters,
            **({"hot_cells": self.hot_cells} if self.hot_cells is not None else {}),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per measure (area, each layer's count and density, each sector's count).

        Columns ``measure``, ``unit``, ``baseline``, ``proposed``, ``added``, ``removed``,
        ``change``, ``change_pct``.
        """
        b, p = self.baseline["area_ha"], self.proposed["area_ha"]
        rows: list[tuple[Any, ...]] = [
            ("area_ha", "ha", b, p, self.area_added_ha, self.area_removed_ha)
        ]
        for name, r in self.layers.iterrows():
            rows.append((f"{name}_count", str(name), r["baseline_count"], r["proposed_count"],
                         r["added_count"], r["removed_count"]))  # fmt: skip
            rows.append((f"{name}_per_km2", f"{name}/km2", r["baseline_per_km2"],
                         r["proposed_per_km2"], np.nan, np.nan))  # fmt: skip
        if self.hot_cells is not None:
            h = self.hot_cells
            rows.append(("hot_cells_count", f"Gi* hot cells ({h['cell_m']:g} m)", h["baseline"],
                         h["proposed"], h["added"], h["removed"]))  # fmt: skip
        for s in self.sectors.itertuples():
            rows.append((f"{s.layer}_count__{safe_label(s.sector)}", str(s.layer), s.baseline_count,
                         s.proposed_count, s.added_count, s.removed_count))  # fmt: skip
        f = pd.DataFrame(rows, columns=["measure", "unit", "baseline", "proposed", "added",
                                        "removed"])  # fmt: skip
        f["change"] = f["proposed"].astype(float) - f["baseline"].astype(float)
        base = f["baseline"].astype(float)
        f["change_pct"] = np.where(base != 0, 100 * f["change"] / base.where(base != 0), np.nan)
        return f


def diff_districts(
    proposed: Boundaries | str | Path,
    baseline: Boundaries | str | Path,
    *,
    layers: Sequence[PointLayer] | Mapping[str, PointLayer] = (),
    by_sector: str | Mapping[str, str] | None = "sic_section",
    hot_cells: str | None = "postcodes",
    hot_cell_m: float = HOT_CELL_M,
    hot_margin_m: float = HOT_MARGIN_M,
) -> DistrictDiff:
    """What a proposed boundary adds to and removes from a baseline one.

    Parameters
    ----------
    proposed, baseline : Boundaries, str or Path
        One polygon each (as for :func:`district_card`; a registry-only slug has no polygon
        and is refused).
    layers : sequence or mapping of PointLayer
        Point layers to count in each polygon and in the differences.
    by_sector : str, mapping or None
        Sector column (as for :func:`district_card`) for the sectors that gain.
    hot_cells : str or None
        The layer whose Gi* hot cells are counted, when it is among ``layers`` (``None``: no
        hot cells). The test is :func:`geodistrict.clusters.hotspots.hotspots` (Getis–Ord
        Gi*, points per cell, Benjamini–Hochberg FDR at 5 %) on squares of ``hot_cell_m``
        over the study area :func:`hot_study_area`; a cell is in a polygon when its centre is.
    hot_cell_m, hot_margin_m : float
        Cell side, and how far the study area reaches beyond each polygon's bounding box.

    Returns
    -------
    DistrictDiff
        Areas are exact geometric differences measured in the proposed polygon's metric CRS.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from geodistrict import prepare_boundaries
    >>> one = lambda g: prepare_boundaries(gpd.GeoDataFrame({"id": ["d"]}, geometry=[g],
    ...     crs=27700))
    >>> d = diff_districts(one(shapely.box(530000, 180000, 532000, 181000)),
    ...                    one(shapely.box(530000, 180000, 531000, 181000)))
    >>> d.area_added_ha, d.area_removed_ha, d.area_common_ha
    (100.0, 0.0, 100.0)
    """
    named = named_layers(layers)
    geoms, info = [], []
    crs: CRS | None = None
    for what, spec in (("proposed", proposed), ("baseline", baseline)):
        b, _ = district_and_slug(spec, f"diff_districts {what}")
        if b is None:
            raise ParameterError(
                f"diff_districts {what}: {spec} has published figures but no polygon; pass a "
                "polygon file."
            )
        if crs is None:
            crs = b.metric_crs
        if b.metric_crs.equals(crs):
            poly = b.metric[0]
        else:
            poly = shapely.make_valid(b.data.geometry.to_crs(crs).iloc[0])
        geoms.append(poly)
        info.append({"id": str(b.ids[0]), "name": str(b.names[0]),
                     "area_ha": float(shapely.area(poly)) / 1e4})  # fmt: skip
    assert crs is not None
    p, q = geoms
    added = float(shapely.area(shapely.difference(p, q))) / 1e4
    removed = float(shapely.area(shapely.difference(q, p))) / 1e4
    common = float(shapely.area(shapely.intersection(p, q))) / 1e4
    warnings = []
    pname, bname = info[0]["name"], info[1]["name"]
    if common == 0:
        warnings.append(
            f"the proposed {pname} and the baseline {bname} share no area: the diff compares two "
            "separate places, all of one added and all of the other removed (if they should "
            "overlap, check where each polygon lies)."
        )
    rings = ring_boundaries([p, q], ["proposed", "baseline"], crs)
    area_km2 = rings.area_km2
    rows, sector_rows = {}, []
    for name, lay in named.items():
        if not isinstance(lay, PointLayer):
            raise ParameterError(f"layer {name!r}: diff_districts counts PointLayers only.")
        j = join_points(lay, rings)
        a = j.assignment
        inp = np.zeros(len(j.layer), dtype=bool)
        inb = np.zeros(len(j.layer), dtype=bool)
        inp[a.point[a.polygon == 0]] = True
        inb[a.point[a.polygon == 1]] = True
        dp, db = inp.sum() / area_km2[0], inb.sum() / area_km2[1]
        rows[name] = {
            "baseline_count": int(inb.sum()),
            "proposed_count": int(inp.sum()),
            "added_count": int((inp & ~inb).sum()),
            "removed_count": int((inb & ~inp).sum()),
            "common_count": int((inp & inb).sum()),
            "baseline_per_km2": db,
            "proposed_per_km2": dp,
            "density_change_pct": 100 * (dp - db) / db if db > 0 else np.nan,
        }
        if inp.sum() + inb.sum() == 0:
            warnings.append(f"{name}: no points in {pname} or in {bname}.")
        col = sector_column(by_sector, name, lay)
        if col is not None:
            cat = j.layer.attributes[col].astype("string").str.strip().fillna("missing")
            cat = cat.mask(cat == "", "missing").to_numpy(dtype=object)
            frame = pd.DataFrame({
                "baseline_count": pd.Series(cat[inb]).value_counts(),
                "proposed_count": pd.Series(cat[inp]).value_counts(),
                "added_count": pd.Series(cat[inp & ~inb]).value_counts(),
                "removed_count": pd.Series(cat[inb & ~inp]).value_counts(),
            }).fillna(0).astype(int)  # fmt: skip
            frame["change"] = frame["proposed_count"] - frame["baseline_count"]
            frame = frame.rename_axis("sector").reset_index().sort_values("sector")
            frame.insert(0, "layer", name)
            sector_rows.append(frame)
    cols = ["baseline_count", "proposed_count", "added_count", "removed_count", "common_count",
            "baseline_per_km2", "proposed_per_km2", "density_change_pct"]  # fmt: skip
    scols = ["layer", "sector", "baseline_count", "proposed_count", "added_count",
             "removed_count", "change"]  # fmt: skip
    sectors = (
        pd.concat(sector_rows, ignore_index=True)[scols]
        if sector_rows
        else pd.DataFrame(columns=scols)
    )
    hot: tuple[dict[str, Any] | None, Any] = (None, None)
    if hot_cells is not None and hot_cells in named:
        try:
            hot = _hot_cells(named[hot_cells], hot_cells, p, q, crs, cell_m=hot_cell_m,
                             margin_m=hot_margin_m)  # fmt: skip
        except GeodistrictError as exc:  # no points nearby, no variation, no libpysal
            warnings.append(f"no hot cells: {exc}")
    return DistrictDiff(
        proposed=info[0],
        baseline=info[1],
        crs_measured=crs.to_string(),
        area_added_ha=added,
        area_removed_ha=removed,
        area_common_ha=common,
        layers=pd.DataFrame.from_dict(rows, orient="index", columns=cols).rename_axis("layer"),
        sectors=sectors,
        warnings=tuple(warnings),
        parameters={
            "layers": {k: v.info.source for k, v in named.items()},
            "by_sector": by_sector if isinstance(by_sector, str | None) else dict(by_sector),
            "join": "points within polygons (interior)",
        },
        hot_cells=hot[0],
        hot_grid=hot[1],
    )


def hot_study_area(geoms: Sequence[Any], crs: Any, *, margin_m: float = HOT_MARGIN_M) -> Any:
    """The study area of a diff's hot cells, as Boundaries in ``crs``.

    The union of the bounding box of each polygon's parts grown by ``margin_m`` metres: the
    surroundings the Gi* test compares a cell's neighbourhood with. Two polygons, or two parts
    of one multi-part district, far apart give two patches, never the box of both (which would
    test the land between them: a district in Cambridge and Manchester would otherwise make
    the test cover 4 million cells of the Midlands).

    Examples
    --------
    >>> two_sites = shapely.MultiPolygon([shapely.box(0, 0, 1000, 1000),
    ...                                   shapely.box(100_000, 0, 101_000, 1000)])
    >>> a = hot_study_area([two_sites], 27700, margin_m=500)
    >>> a.metric[0].geom_type, a.metric[0].area / 1e6  # two 2 km squares, not a 102 x 2 km box
    ('MultiPolygon', 8.0)
    """
    import geopandas as gpd

    from ..boundaries import prepare_boundaries

    parts = shapely.get_parts(np.asarray(list(geoms), dtype=object))
    lo_x, lo_y, hi_x, hi_y = shapely.bounds(parts).T
    boxes = shapely.buffer(shapely.box(lo_x, lo_y, hi_x, hi_y), margin_m, join_style="mitre")
    area = shapely.union_all(boxes)
    gdf = gpd.GeoDataFrame({"id": ["study_area"], "name": ["study area"]}, geometry=[area],
                           crs=crs)  # fmt: skip
    return prepare_boundaries(
        gdf,
        metric_crs=crs,
        source=f"the proposed and baseline polygons' bounding boxes (one per part) grown by "
        f"{margin_m:g} m",
    )


def hot_cells_in(
    layer: PointLayer,
    geoms: Sequence[Any],
    crs: Any,
    *,
    cell_m: float = HOT_CELL_M,
    margin_m: float = HOT_MARGIN_M,
) -> tuple[np.ndarray, dict[str, Any], Any]:
    """The Gi* hot cells of a point layer around some polygons, and which lie in each.

    The cells (``cell_m`` squares, points counted per cell) cover :func:`hot_study_area` of
    the polygons; :func:`geodistrict.clusters.hotspots.hotspots` tests them (Gi*, queen
    contiguity, Benjamini–Hochberg at 5 %). A cell lies in a polygon when its centre does.

    Parameters
    ----------
    layer : PointLayer
    geoms : sequence of shapely geometries
        The polygons, in ``crs`` (metres).
    crs : CRS-like
    cell_m, margin_m : float
        Cell side and study-area margin, metres.

    Returns
    -------
    inside : numpy.ndarray of bool, shape (len(geoms), n_cells)
        Significant hot cells whose centre lies in each polygon.
    meta : dict
        ``in_study_area`` (hot cells in all), ``cell_m``, ``margin_m``, ``study_area`` (in
        words), ``n_cells``, ``p_threshold``, ``n_tests``, ``correction``, ``alpha``.
    grid : geopandas.GeoDataFrame
        The tested cells, as :func:`~geodistrict.clusters.hotspots.hotspots` returns them.
    """
    from ..clusters.hotspots import hotspots
    from ..crs import transform_xy

    crs = CRS.from_user_input(crs)
    within = hot_study_area(list(geoms), crs, margin_m=margin_m)
    h = hotspots(layer, within=within, cell_m=cell_m, statistic="gi", value="count")
    centres = shapely.centroid(np.asarray(h.geometry.array, dtype=object))
    x, y = shapely.get_x(centres), shapely.get_y(centres)
    if not CRS.from_user_input(h.crs).equals(crs):
        x, y = transform_xy(x, y, h.crs, crs)
    hot = (h["significant"].astype(bool) & (h["hot_cold"] == "hot")).to_numpy()
    inside = np.array([hot & shapely.contains_xy(g, x, y) for g in geoms], dtype=bool)
    inside = inside.reshape(len(geoms), len(h))
    m = h.attrs["hotspots"]
    meta = {
        "in_study_area": int(hot.sum()),
        "cell_m": float(cell_m),
        "margin_m": float(margin_m),
        "study_area": within.info.source,
        "n_cells": len(h),
        "p_threshold": m["p_threshold"],
        "n_tests": m["n_tests"],
        "correction": m["correction"],
        "alpha": m["alpha"],
    }
    return inside, meta, h


def _hot_cells(
    layer: PointLayer, name: str, p: Any, q: Any, crs: CRS, *, cell_m: float, margin_m: float
) -> tuple[dict[str, Any], Any]:
    """The diff's hot cells: counts per polygon and the tested grid (see diff_districts)."""
    (inp, inb), meta, h = hot_cells_in(layer, [p, q], crs, cell_m=cell_m, margin_m=margin_m)
    out = {
        "proposed": int(inp.sum()),
        "baseline": int(inb.sum()),
        "added": int((inp & ~inb).sum()),
        "removed": int((inb & ~inp).sum()),
        "common": int((inp & inb).sum()),
        "in_study_area": meta["in_study_area"],
        "layer": name,
        "cell_m": float(cell_m),
        "margin_m": float(margin_m),
        "study_area": meta["study_area"],
        "n_cells": meta["n_cells"],
        "p_threshold": meta["p_threshold"],
        "method": (
            f"Getis-Ord Gi* of {name} per {cell_m:g} m square cell (queen contiguity, "
            f"{meta['correction']} at {meta['alpha']:g}, {meta['n_tests']} tests) over "
            f"{meta['study_area']}; a cell is in a polygon when its centre is"
        ),
    }
    return out, h
