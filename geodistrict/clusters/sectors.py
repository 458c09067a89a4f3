r"""Clusters of one sector among firms, and co-location of sectors (random-labelling nulls).

Firms of every sector crowd where firms crowd: a hot spot of manufacturing *counts* mostly
finds the city centre. The tests here ask instead whether a sector group is over-represented
**among the firms** of a place, so their null hypothesis is *random labelling*: the firm
locations are fixed and the sector labels are shuffled among them. Under that null their
false-positive rates are at most the level asked for (the tests are exact or permutation
tests), which ``tests/test_firm_sectors.py`` checks on shuffled labels of real firms.

* :func:`sector_hotspots` -- cells where a group's share of the firms in the cell and its eight
  neighbours (the Gi* window) is higher than chance: an exact hypergeometric test per window,
  Benjamini-Hochberg across windows, outlines of contiguous hot cells
  (:func:`geodistrict.clusters.outlines.outline_cells`).
* :func:`colocation_quotient` -- Leslie and Kronenfeld's (2011) co-location quotient of two
  groups of firms, :math:`CLQ_{A \to B} = (N_{A \to B} / N_A) / (N'_B / (N - 1))`, with
  :math:`N_{A \to B}` the A firms whose nearest neighbour is a B firm (tied neighbours share
  one count equally, so firms stacked at one postcode centroid are handled), and a
  permutation p-value.
* :func:`cross_k_targets` -- the cross-K function of a group of firms and fixed targets
  (universities): firms of the group within ``r`` of a target, against firms of every sector,
  with a pointwise envelope and a global (maximum standardised deviation) p-value over all
  distances, so that testing many distances does not inflate false positives.

Density surfaces and DBSCAN outlines of one group are the general functions
(:func:`geodistrict.clusters.kde.kde`, :func:`geodistrict.clusters.outlines.dbscan_outlines`)
applied to :func:`group_layer`.

References
----------
Leslie, T. F. and Kronenfeld, B. J. (2011) The colocation quotient: a new measure of spatial
association between categorical subsets of points. *Geographical Analysis* 43(3), 306-326.
Lotwick, H. W. and Silverman, B. W. (1982) Methods for analysing spatial processes of several
types of points. *JRSS B* 44(3), 406-413 (random labelling).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError, SchemaError
from ..layers import PointLayer

__all__ = [
    "ColocationResult",
    "CrossKResult",
    "SectorHotspots",
    "colocation_quotient",
    "cross_k_targets",
    "group_layer",
    "group_mask",
    "sector_hotspots",
    "take_points",
]


def group_mask(firms: PointLayer, column: str, values: Any) -> np.ndarray:
    """Boolean mask of the firms whose ``column`` is one of ``values``.

    Parameters
    ----------
    firms : PointLayer
        Firms with sector columns (``sic_section``, a grouping's column ...).
    column : str
        An attribute column.
    values : str or sequence of str
        The sector codes of the group (``"C"``, ``["21", "26"]``).
    """
    if column not in firms.attributes.columns:
        raise SchemaError(
            f"{firms.info.source}: no column {column!r}; read the firms with read_firms and "
            "name a sector column (sic_section, sic_division ...)."
        )
    vals = [values] if isinstance(values, str) else list(values)
    return firms.attributes[column].isin(vals).to_numpy(dtype=bool)


def group_layer(firms: PointLayer, mask: np.ndarray, *, name: str | None = None) -> PointLayer:
    """The firms selected by ``mask`` as a layer of their own (for kde, hotspots, DBSCAN)."""
    return take_points(firms, np.flatnonzero(mask), name=name)


def take_points(layer: PointLayer, index: np.ndarray, *, name: str | None = None) -> PointLayer:
    """The points of ``layer`` at ``index`` as a layer of their own (:meth:`PointLayer.take`).

    Parameters
    ----------
    layer : PointLayer
    index : numpy.ndarray
        Positions of the points to keep, in the order wanted.
    name : str, optional
        The new layer's name (default: the layer's).

    Examples
    --------
    >>> import pandas as pd, pyproj
    >>> from geodistrict.layers import LayerInfo
    >>> lay = PointLayer(np.arange(4.0), np.arange(4.0), pyproj.CRS(27700),
    ...                  pd.DataFrame({"row": range(4)}), LayerInfo("p", "p.csv"))
    >>> sub = take_points(lay, np.array([1, 3]))
    >>> sub.x.tolist(), sub.attributes["row"].tolist(), sub.n_input
    ([1.0, 3.0], [1, 3], 2)
    """
    sub = layer.take(index)
    return sub.renamed(name) if name else sub


def _metric_xy(layer: PointLayer, crs: Any = None) -> tuple[np.ndarray, np.ndarray, Any]:
    from ..crs import choose_metric_crs, transform_xy

    if crs is None:
        bounds = (layer.x.min(), layer.y.min(), layer.x.max(), layer.y.max())
        crs = layer.crs if layer.crs.is_projected else choose_metric_crs(bounds, layer.crs)
    if layer.crs.equals(crs):
        return layer.x, layer.y, crs
    x, y = transform_xy(layer.x, layer.y, layer.crs, crs)
    return x, y, crs


def _check_mask(firms: PointLayer, mask: np.ndarray, what: str) -> np.ndarray:
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (len(firms),):
        raise ParameterError(
            f"{what}: one flag per firm is needed ({len(firms)}), got {mask.shape}."
        )
    return mask


# --------------------------------------------------------------------------------------------
# hot spots of a group among the firms


@dataclass(frozen=True)
class SectorHotspots:
    """Result of :func:`sector_hotspots`.

    Attributes
    ----------
    grid : geopandas.GeoDataFrame
        Cells with ``firms`` and ``group`` (in the cell), ``window_firms``, ``window_group``
        (in the cell and its eight neighbours), ``expected`` (window firms x the group's
        overall share), ``ratio`` (window share / overall share), ``p`` (one-sided
        hypergeometric) and ``hot`` (significant after the correction).
    outlines : geopandas.GeoDataFrame
        Contiguous hot cells dissolved (:func:`~geodistrict.clusters.outlines.outline_cells`).
    n_firms, n_group : int
        Firms with a sector, and those of the group.
    p_threshold : float
        The p-value at or below which a cell is hot.
    parameters : dict
    """

    grid: Any
    outlines: Any
    n_firms: int
    n_group: int
    p_threshold: float
    parameters: dict[str, Any] = field(default_factory=dict)


def _window_sums(rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over each cell's 3x3 (queen) window, by (row, col) arithmetic."""
    r0, c0 = rows.min(), cols.min()
    nr, nc = rows.max() - r0 + 3, cols.max() - c0 + 3
    a = np.zeros((nr, nc), dtype=float)
    a[rows - r0 + 1, cols - c0 + 1] = values
    s = np.zeros_like(a)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            s[1:-1, 1:-1] += a[1 + dr : nr - 1 + dr, 1 + dc : nc - 1 + dc]
    return s[rows - r0 + 1, cols - c0 + 1]


def sector_hotspots(
    firms: PointLayer,
    mask: np.ndarray,
    *,
    cell_m: float,
    within: Any = None,
    alpha: float = 0.05,
    correction: str = "fdr_bh",
    min_window_firms: int = 1,
) -> SectorHotspots:
    r"""Cells where a sector group is over-represented among firms (random-labelling test).

    For every cell, the firms in its 3 x 3 window (the cell and its queen neighbours, as in
    Gi*) are ``n``, of which ``k`` are in the group; with ``N`` firms and ``K`` of the group
    overall, the p-value is the hypergeometric :math:`P(X \ge k)`, exact under random
    labelling. Windows are corrected for multiple testing (Benjamini-Hochberg by default):
    with no cluster at all, the chance that any cell is hot is at most ``alpha``.

    Parameters
    ----------
    firms : PointLayer
        Every firm (the population the group is compared with), any CRS.
    mask : numpy.ndarray of bool
        One flag per firm: in the group (e.g. ``group_mask(firms, "sic_section", "C")``).
    cell_m : float
        Square cell side in metres.
    within : Boundaries or GeoDataFrame, optional
        Study area for the grid (default: the firms' bounding box).
    alpha : float
        False discovery rate (or level, see ``correction``).
    correction : {"fdr_bh", "bonferroni", "none"}
        As :func:`geodistrict.clusters.local.p_threshold`.
    min_window_firms : int
        Windows with fewer firms are not tested (``p`` is NaN).

    Returns
    -------
    SectorHotspots
    """
    import geopandas as gpd
    from scipy.stats import hypergeom

    from .grids import count_points, square_grid
    from .local import p_threshold
    from .outlines import outline_cells

    mask = _check_mask(firms, mask, "mask")
    if cell_m <= 0:
        raise ParameterError(f"cell_m={cell_m}: give a cell side in metres above 0.")
    x, y, crs = _metric_xy(firms)
    if within is None:
        import shapely

        pad = cell_m
        box = shapely.box(x.min() - pad, y.min() - pad, x.max() + pad, y.max() + pad)
        within = gpd.GeoDataFrame({"id": ["extent"]}, geometry=[box], crs=crs)
    grid = square_grid(within, cell_m=cell_m)
    lay = firms if firms.crs.equals(crs) else group_layer(firms, np.ones(len(firms), bool))
    from dataclasses import replace

    lay = replace(
        lay,
        x=x,
        y=y,
        crs=crs,
        attributes=pd.DataFrame({"row": np.arange(len(x)), "_g": np.where(mask, "g", "o")}),
    )
    counted = count_points(grid, lay, by="_g")
    n_cell = counted["count"].to_numpy(dtype=float)
    g_cell = (
        counted["count__g"].to_numpy(dtype=float)
        if "count__g" in counted.columns
        else np.zeros(len(counted))
    )
    rows = counted["row"].to_numpy(dtype=int)
    cols = counted["col"].to_numpy(dtype=int)
    n_win = _window_sums(rows, cols, n_cell)
    k_win = _window_sums(rows, cols, g_cell)
    n_tot = int(counted["count"].sum())
    k_tot = int(g_cell.sum())
    tested = n_win >= max(min_window_firms, 1)
    p = np.full(len(counted), np.nan)
    p[tested] = hypergeom.sf(k_win[tested] - 1, n_tot, k_tot, n_win[tested])
    thr = p_threshold(p, alpha=alpha, correction=correction) if tested.any() else 0.0
    share = k_tot / n_tot if n_tot else np.nan
    out = grid[["cell_id", "row", "col", "geometry"]].copy()
    out["firms"] = n_cell
    out["group"] = g_cell
    out["window_firms"] = n_win
    out["window_group"] = k_win
    out["expected"] = n_win * share
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = (k_win / n_win) / share
    out["p"] = p
    out["hot"] = np.nan_to_num(p, nan=1.0) <= thr
    outlines = outline_cells(out, out["hot"].to_numpy())
    return SectorHotspots(
        grid=out,
        outlines=outlines,
        n_firms=n_tot,
        n_group=k_tot,
        p_threshold=float(thr),
        parameters={
            "cell_m": cell_m,
            "alpha": alpha,
            "correction": correction,
            "window": "3x3 cells (queen)",
            "test": "hypergeometric, random labelling",
        },
    )


# --------------------------------------------------------------------------------------------
# co-location quotient


@dataclass(frozen=True)
class ColocationResult:
    r"""Result of :func:`colocation_quotient`.

    Attributes
    ----------
    clq : float
        :math:`CLQ_{A \to B}`: above 1, A firms have B firms as nearest neighbours more often
        than random labelling would give.
    p : float
        One-sided permutation p-value (``alternative``), ``(1 + #{sim >= clq}) / (1 + n)``.
    simulated : numpy.ndarray
        The CLQ of each permutation.
    n_a, n_b, n : int
    parameters : dict
    """

    clq: float
    p: float
    simulated: np.ndarray
    n_a: int
    n_b: int
    n: int
    parameters: dict[str, Any] = field(default_factory=dict)


def _nn_weights(x: np.ndarray, y: np.ndarray) -> Any:
    """Sparse row-stochastic matrix: 1/k for each of the k nearest neighbours (ties shared)."""
    from scipy.sparse import csr_matrix
    from scipy.spatial import cKDTree

    xy = np.column_stack([x, y])
    tree = cKDTree(xy)
    d, _ = tree.query(xy, k=2)
    dmin = d[:, 1]
    rows, cols = [], []
    for i, nb in enumerate(tree.query_ball_point(xy, dmin * (1 + 1e-9) + 1e-9)):
        nb = [j for j in nb if j != i]
        rows.extend([i] * len(nb))
        cols.extend(nb)
    rows_a = np.asarray(rows, dtype=np.int64)
    cols_a = np.asarray(cols, dtype=np.int64)
    k = np.bincount(rows_a, minlength=len(x)).astype(float)
    w = 1.0 / k[rows_a]
    return csr_matrix((w, (rows_a, cols_a)), shape=(len(x), len(x)))


def colocation_quotient(
    firms: PointLayer,
    a: np.ndarray,
    b: np.ndarray,
    *,
    permutations: int = 999,
    seed: int | None = 0,
    alternative: str = "greater",
) -> ColocationResult:
    r"""Co-location quotient of group A towards group B among firms, with a permutation test.

    Parameters
    ----------
    firms : PointLayer
        The firms (all sectors: they are the population whose labels are shuffled).
    a, b : numpy.ndarray of bool
        Membership of groups A and B (they may be the same group, for self-co-location).
    permutations : int
        Random relabellings for the p-value (the group sizes are kept).
    seed : int, optional
        Seed of the permutations.
    alternative : {"greater", "less"}
        Attraction (CLQ above its null) or segregation.

    Returns
    -------
    ColocationResult

    Examples
    --------
    Four firms on a line, A at 0 and 1, B at 10 and 11: each A's nearest neighbour is A, so
    :math:`CLQ_{A \to B} = 0`, and :math:`CLQ_{A \to A} = (2/2) / (1/3) = 3`:

    >>> from geodistrict.clusters.kde import xy_layer
    >>> lay = xy_layer([400000, 400001, 400010, 400011], [300000] * 4, crs=27700)
    >>> A = np.array([True, True, False, False])
    >>> colocation_quotient(lay, A, ~A, permutations=0).clq
    0.0
    >>> colocation_quotient(lay, A, A, permutations=0).clq
    3.0
    """
    if alternative not in ("greater", "less"):
        raise ParameterError(f"alternative={alternative!r}: use 'greater' or 'less'.")
    a = _check_mask(firms, a, "a")
    b = _check_mask(firms, b, "b")
    n = len(firms)
    if n < 3 or not a.any() or not b.any():
        raise ParameterError(
            f"the co-location quotient needs at least 3 firms and one of each group (got {n} "
            f"firms, {int(a.sum())} A, {int(b.sum())} B)."
        )
    x, y, _crs = _metric_xy(firms)
    w = _nn_weights(x, y)
    same = bool(np.array_equal(a, b))

    def clq(av: np.ndarray, bv: np.ndarray) -> float:
        na, nb = av.sum(), bv.sum()
        nab = float(av.astype(float) @ (w @ bv.astype(float)))
        nb_ = nb - 1 if same else nb
        if nb_ <= 0:
            return float("nan")
        return (nab / na) / (nb_ / (n - 1))

    obs = clq(a, b)
    rng = np.random.default_rng(seed)
    sims = np.empty(permutations)
    for i in range(permutations):
        perm = rng.permutation(n)
        if same:
            aa = a[perm]
            sims[i] = clq(aa, aa)
        else:
            # shuffle the labels (A, B, other) jointly: overlapping groups keep their overlap
            sims[i] = clq(a[perm], b[perm])
    if alternative == "greater":
        p = (1 + np.sum(sims >= obs - 1e-12)) / (1 + permutations)
    else:
        p = (1 + np.sum(sims <= obs + 1e-12)) / (1 + permutations)
    return ColocationResult(
        clq=float(obs),
        p=float(p),
        simulated=sims,
        n_a=int(a.sum()),
        n_b=int(b.sum()),
        n=n,
        parameters={"permutations": permutations, "seed": seed, "alternative": alternative},
    )


# --------------------------------------------------------------------------------------------
# cross-K of a group and fixed targets


@dataclass(frozen=True)
class CrossKResult:
    r"""Result of :func:`cross_k_targets`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per distance: ``distance_m``, ``group_within`` (pairs of group firm and
        target within the distance), ``all_within`` (the same for all firms), ``k``
        (:math:`\hat K_{AT}(r) = |W| \, pairs / (n_A n_T)`, with :math:`|W|` the study
        area), ``ratio`` (group pairs per group firm over all-firm pairs per firm),
        ``expected_ratio`` (1), ``lo``/``hi`` (the pointwise envelope of the ratio at the
        envelope quantiles) and ``z``.
    p : float
        Global p-value of the maximum standardised deviation over all distances.
    n_group, n_firms, n_targets : int
    parameters : dict
    """

    table: pd.DataFrame
    p: float
    n_group: int
    n_firms: int
    n_targets: int
    parameters: dict[str, Any] = field(default_factory=dict)


def cross_k_targets(
    firms: PointLayer,
    mask: np.ndarray,
    targets: PointLayer,
    *,
    distances_m: Any = (500, 1000, 2000, 3000, 5000),
    permutations: int = 999,
    seed: int | None = 0,
    alternative: str = "greater",
    envelope: float = 0.95,
) -> CrossKResult:
    r"""Cross-K of a firm group and fixed targets (universities) under random labelling.

    The targets stay where they are; the group's labels are shuffled among all firms, so the
    test asks whether the group sits nearer the targets than firms in general do (firms
    everywhere crowd near city-centre universities; that alone is not co-location). The
    global p-value uses the maximum over distances of the standardised deviation
    :math:`(T(r) - \bar T_{sim}(r)) / s_{sim}(r)`, compared with the same maximum in every
    permutation, so it keeps its level however many distances are given.

    Parameters
    ----------
    firms : PointLayer
        All firms (the population whose labels are shuffled).
    mask : numpy.ndarray of bool
        The group (e.g. knowledge-intensive services).
    targets : PointLayer
        Fixed points (universities), any CRS.
    distances_m : sequence of float
        Distances in metres.
    permutations : int
        Random relabellings.
    seed : int, optional
    alternative : {"greater", "two-sided"}
        Attraction only, or attraction or repulsion.
    envelope : float
        Coverage of the pointwise envelope (0.95: the 2.5 % and 97.5 % quantiles).

    Returns
    -------
    CrossKResult
    """
    from scipy.spatial import cKDTree

    if alternative not in ("greater", "two-sided"):
        raise ParameterError(f"alternative={alternative!r}: use 'greater' or 'two-sided'.")
    mask = _check_mask(firms, mask, "mask")
    x, y, crs = _metric_xy(firms)
    tx, ty, _ = _metric_xy(targets, crs)
    r = np.asarray(sorted(float(d) for d in distances_m))
    if len(r) == 0 or (r <= 0).any():
        raise ParameterError("distances_m: give distances in metres above 0.")
    n, na, nt = len(x), int(mask.sum()), len(tx)
    if na == 0 or na == n or nt == 0:
        raise ParameterError(
            f"cross-K needs a group that is neither empty nor every firm, and targets (got "
            f"{na} of {n} firms, {nt} targets)."
        )
    tree = cKDTree(np.column_stack([tx, ty]))
    fxy = np.column_stack([x, y])
    # c[i, j]: targets within r_j of firm i
    c = np.column_stack([tree.query_ball_point(fxy, rj, return_length=True) for rj in r])
    c = c.astype(float)
    per_firm_all = c.sum(axis=0) / n

    def stat(m: np.ndarray) -> np.ndarray:
        return (c[m].sum(axis=0) / m.sum()) / np.where(per_firm_all > 0, per_firm_all, np.nan)

    obs = stat(mask)
    rng = np.random.default_rng(seed)
    sims = np.empty((permutations, len(r)))
    for i in range(permutations):
        sims[i] = stat(mask[rng.permutation(n)])
    mu = np.nanmean(sims, axis=0) if permutations else np.full(len(r), np.nan)
    sd = np.nanstd(sims, axis=0, ddof=1) if permutations > 1 else np.full(len(r), np.nan)
    sd = np.where(sd > 0, sd, np.nan)
    z_obs = (obs - mu) / sd
    z_sims = (sims - mu) / sd
    if alternative == "two-sided":
        z_obs_g, z_sims_g = np.abs(z_obs), np.abs(z_sims)
    else:
        z_obs_g, z_sims_g = z_obs, z_sims
    t_obs = np.nanmax(z_obs_g) if np.isfinite(z_obs_g).any() else np.nan
    t_sims = np.nanmax(np.where(np.isfinite(z_sims_g), z_sims_g, -np.inf), axis=1)
    if np.isfinite(t_obs):
        p = (1 + np.sum(t_sims >= t_obs - 1e-12)) / (1 + permutations)
    else:
        p = 1.0
    lo_q, hi_q = (1 - envelope) / 2, 1 - (1 - envelope) / 2
    # the study area of K: the firms' convex hull
    import shapely

    area = shapely.convex_hull(shapely.multipoints(fxy)).area
    pairs_group = c[mask].sum(axis=0)
    table = pd.DataFrame(
        {
            "distance_m": r,
            "group_within": pairs_group,
            "all_within": c.sum(axis=0),
            "k": area * pairs_group / (na * nt),
            "ratio": obs,
            "expected_ratio": 1.0,
            "lo": np.quantile(sims, lo_q, axis=0) if permutations else np.nan,
            "hi": np.quantile(sims, hi_q, axis=0) if permutations else np.nan,
            "z": z_obs,
        }
    )
    return CrossKResult(
        table=table,
        p=float(p),
        n_group=na,
        n_firms=n,
        n_targets=nt,
        parameters={
            "permutations": permutations,
            "seed": seed,
            "alternative": alternative,
            "envelope": envelope,
            "null": "random labelling of the group among the firms; targets fixed",
        },
    )
