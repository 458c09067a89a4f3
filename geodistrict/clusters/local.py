"""Local statistics with honest significance: Getis–Ord Gi* and local Moran's I.

The analytic z-scores are computed here with numpy (a 100 000-cell grid takes about a tenth of
a second, weights included) and equal PySAL's ``esda`` to rounding:

* Gi* uses binary weights with a self-weight of 1 — ``esda.G_Local(y, w, transform="B",
  star=True).Zs``. Getis and Ord's variance is derived for binary weights; esda's default
  ``transform="R"`` plugs row-standardised weights into that same variance, which shrinks
  |z| by about √(k + 1) (3 for queen contiguity), so it is not offered. For a graph whose
  weights are constant within each row (binary or row-standardised contiguity, k nearest
  neighbours, a binary distance band) the general Getis–Ord formula gives exactly this z.
* Local Moran's I uses row-standardised weights and the moments of I_i under conditional
  randomisation (Sokal et al. 1998, eqs. A7-A8) — ``esda.Moran_Local(y, w)``: ``Is``, ``EIc``
  and ``VIc``, the null that the permutation test samples. The total-randomisation moments
  (esda's ``EI``/``VI``, Anselin 1995) average the variance over the unit's own value and so
  overstate the z of units with extreme values: on a 100 x 100 grid of independent values they
  flag about 6 % of cells at p < 0.05 and about a hundred after a 5 % FDR correction, where the
  conditional moments flag about 5 % and none.

With ``permutations > 0`` the p-values come from esda's conditional permutation test, called
with the same seed, so they reproduce esda's; by default they are two-sided (esda's
``calculate_significance(..., alternative="two-sided")`` on esda's own simulations), and
``alternative="directed"`` gives esda's legacy ``p_sim``, which is half as large.

Every cell is a test, so significance is judged after a multiple-testing correction:
Benjamini–Hochberg false discovery rate by default, Bonferroni on request. The number of tests
and the p-value threshold used travel with the result.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._errors import GeodistrictWarning, ParameterError
from .weights import _choice, grid_weights, weights_for

__all__ = [
    "CORRECTIONS",
    "LocalResult",
    "getis_ord",
    "grid_weights",
    "hotspots",  # noqa: F822 (lazy: see __getattr__)
    "local_moran",
    "p_threshold",
    "weights_for",
]

#: Names that moved to :mod:`.hotspots` (imported lazily: it imports this module).
_HOTSPOT_NAMES = {"GRIDS", "STATISTICS", "VALUES", "cell_grid", "cell_statistics", "hotspots"}


def __getattr__(name: str) -> Any:
    if name in _HOTSPOT_NAMES:
        import importlib

        # the package's attribute ``hotspots`` is the function: import the module by name
        return getattr(importlib.import_module(f"{__package__}.hotspots"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_ALTERNATIVES = ("two-sided", "directed")
_QUADRANTS = np.array(["HH", "LH", "LL", "HL"], dtype=object)  # esda's q = 1, 2, 3, 4


# ---------------------------------------------------------------------------------------------
# multiple testing
# ---------------------------------------------------------------------------------------------


def _bh(p: np.ndarray, alpha: float) -> float:
    """Benjamini–Hochberg: k* = max{k : p_(k) <= k alpha / m}; threshold k* alpha / m."""
    m = len(p)
    ok = np.flatnonzero(np.sort(p) <= alpha * np.arange(1, m + 1) / m)
    return alpha * (ok[-1] + 1 if len(ok) else 1) / m


def _bonferroni(p: np.ndarray, alpha: float) -> float:
    return alpha / len(p)


def _no_correction(p: np.ndarray, alpha: float) -> float:
    return alpha


#: Multiple-testing corrections: p-values at or below the returned threshold are significant.
CORRECTIONS = {"fdr_bh": _bh, "bonferroni": _bonferroni, "none": _no_correction}


def p_threshold(p: Any, *, alpha: float = 0.05, correction: str = "fdr_bh") -> float:
    """The p-value at or below which a test is significant after a multiple-testing correction.

    Parameters
    ----------
    p : array-like
        p-values; NaN values (untestable units) are not counted as tests.
    alpha : float
        The false discovery rate (``"fdr_bh"``) or family-wise error rate (``"bonferroni"``),
        or the per-test level (``"none"``).
    correction : {"fdr_bh", "bonferroni", "none"}
        Benjamini–Hochberg step-up: the threshold is ``k * alpha / m`` for the largest ``k``
        with ``p_(k) <= k * alpha / m`` (``alpha / m`` when there is none, so that nothing
        passes); Bonferroni: ``alpha / m``; none: ``alpha``.

    Returns
    -------
    float

    Examples
    --------
    >>> p = [0.010, 0.013, 0.014, 0.19, 0.35, 0.5, 0.63, 0.67, 0.75, 0.81]
    >>> round(p_threshold(p, alpha=0.05), 6)  # 0.014 <= 3 x 0.005: the first three pass
    0.015
    >>> round(p_threshold(p, alpha=0.05, correction="bonferroni"), 6)
    0.005
    """
    _choice(correction, CORRECTIONS, "correction")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r}: give a level between 0 and 1, e.g. 0.05.")
    arr = np.asarray(p, dtype="float64").ravel()
    arr = arr[np.isfinite(arr)]
    if len(arr) == 0:
        return float("nan")
    return float(CORRECTIONS[correction](arr, float(alpha)))


# ---------------------------------------------------------------------------------------------
# statistics
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalResult:
    """A local statistic per unit, with the inference that decided its significance.

    Attributes
    ----------
    statistic : str
        ``"gi_star"`` or ``"lisa"``.
    values : pandas.DataFrame
        Indexed like the input values. Gi*: ``gi_z``, ``gi_p``, ``significant``, ``hot_cold``
        (``"hot"``, ``"cold"`` or ``"ns"``); LISA: ``lisa_I``, ``lisa_z``, ``lisa_p``,
        ``significant``, ``lisa_quadrant`` (``HH``, ``LH``, ``LL``, ``HL`` for significant
        units, ``ns`` otherwise).
    n_tests : int
        Units with a p-value (isolates in a LISA have none).
    alpha : float
        The level of the correction (false discovery rate for ``"fdr_bh"``).
    correction : str
        ``"fdr_bh"``, ``"bonferroni"`` or ``"none"``.
    p_threshold : float
        Units with ``p <= p_threshold`` are significant.
    permutations : int
        0 for the analytic normal p-values, else conditional permutations (esda).
    seed : int or None
        Seed of the permutations (drawn and recorded when none was given).
    weights : str
        Description of the weights used.
    alternative : str
        ``"two-sided"`` or ``"directed"`` (one-sided in the direction observed, as esda's
        ``p_sim`` and ``p_norm``).
    """

    statistic: str
    values: pd.DataFrame
    n_tests: int
    alpha: float
    correction: str
    p_threshold: float
    permutations: int
    seed: int | None
    weights: str
    alternative: str = "two-sided"

    @property
    def n_significant(self) -> int:
        """Number of significant units."""
        return int(self.values["significant"].sum())

    def report(self) -> dict[str, Any]:
        """The parameters and counts, JSON-ready."""
        label = "hot_cold" if self.statistic == "gi_star" else "lisa_quadrant"
        return {
            "statistic": self.statistic,
            "weights": self.weights,
            "alternative": self.alternative,
            "permutations": self.permutations,
            "seed": self.seed,
            "correction": self.correction,
            "alpha": self.alpha,
            "n_tests": self.n_tests,
            "p_threshold": self.p_threshold,
            "n_significant": self.n_significant,
            "classes": {str(k): int(v) for k, v in self.values[label].value_counts().items()},
        }


def _align(values: Any, graph: Any) -> tuple[np.ndarray, pd.Index, np.ndarray | None]:
    """Values in the graph's order, the output index, and the graph position of each output row."""
    ids = graph.unique_ids
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise ParameterError("values: pass one column (a Series), e.g. grid['count'].")
        values = values.iloc[:, 0]
    if isinstance(values, pd.Series):
        y = values.to_numpy(dtype="float64", na_value=np.nan)
        index = values.index
        back = None
        if not index.equals(ids):
            take = ids.get_indexer(index) if index.is_unique and len(index) == len(ids) else None
            if take is None or (take < 0).any():
                raise ParameterError(
                    f"values: indexed by {list(index[:3])}... but the graph's ids are "
                    f"{list(ids[:3])}...; build the graph from the same frame, or pass "
                    "values.to_numpy() to align by position."
                )
            back = take
            y = y[np.argsort(take)]
    else:
        y = np.asarray(values, dtype="float64").ravel()
        index = pd.RangeIndex(len(y))
        back = None
    if len(y) != len(ids):
        raise ParameterError(f"values: {len(y)} values for a graph of {len(ids)} units.")
    if len(y) < 3:
        raise ParameterError(
            f"values: only {len(y)} unit(s), and a local statistic needs at least 3; use a "
            "smaller cell or a larger area."
        )
    bad = ~np.isfinite(y)
    if bad.any():
        raise ParameterError(
            f"values: {int(bad.sum())} missing or infinite values; fill them (e.g. 0 for a "
            "count) or drop those units from the values and the graph."
        )
    return y, index, back


def _pairs(graph: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(focal, neighbor, weight) positions in the graph's order, and n."""
    adj = graph.adjacency
    ids = graph.unique_ids
    mi = adj.index
    f = ids.get_indexer(mi.levels[0])[mi.codes[0]]
    nb = ids.get_indexer(mi.levels[1])[mi.codes[1]]
    return f, nb, adj.to_numpy(dtype="float64"), len(ids)


def _describe(n: int, card: np.ndarray, how: str) -> str:
    iso = int((card == 0).sum())
    return (
        f"{n} units, mean {card.mean():.2f} neighbours"
        + (f", {iso} without neighbours" if iso else "")
        + f"; {how}"
    )


def _finish(p: np.ndarray, alpha: float, correction: str, permutations: int):
    thr = p_threshold(p, alpha=alpha, correction=correction)
    n_tests = int(np.isfinite(p).sum())
    sig = np.isfinite(p) & (p <= thr)
    if permutations and n_tests and 1.0 / (permutations + 1) > thr:
        warnings.warn(
            f"with {permutations} permutations the smallest attainable p-value is "
            f"1/{permutations + 1} = {1 / (permutations + 1):.4g}, above the corrected threshold "
            f"{thr:.4g} ({correction}, {n_tests} tests): no unit can be significant; use at least "
            f"{int(np.ceil(1 / thr)) - 1} permutations or the analytic test (permutations=0).",
            GeodistrictWarning,
            stacklevel=3,
        )
    return thr, n_tests, sig


def _check_options(alpha: float, correction: str, alternative: str, permutations: int) -> None:
    _choice(correction, CORRECTIONS, "correction")
    _choice(alternative, _ALTERNATIVES, "alternative")
    if not 0 < alpha < 1:
        raise ParameterError(f"fdr={alpha!r}: give a level between 0 and 1, e.g. 0.05.")
    if not (isinstance(permutations, int | np.integer) and permutations >= 0):
        raise ParameterError(
            f"permutations={permutations!r}: give 0 (analytic) or a count, e.g. 999."
        )


def _normal_p(z: np.ndarray, alternative: str) -> np.ndarray:
    from scipy.special import erfc

    p = erfc(np.abs(z) / np.sqrt(2.0))  # two-sided normal: 2 * sf(|z|)
    return p / 2.0 if alternative == "directed" else p


def _permutation_p(observed: np.ndarray, sims: np.ndarray, p_sim: np.ndarray, alternative: str):
    if alternative == "directed":
        return np.asarray(p_sim, dtype="float64")
    from esda.significance import calculate_significance

    return np.asarray(
        calculate_significance(observed, sims, alternative="two-sided"), dtype="float64"
    )


@contextmanager
def _esda_quietly() -> Iterator[None]:
    """Silence esda's notice that its default alternative will change (we choose it ourselves)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message="The alternative hypothesis for conditional randomization",
            category=DeprecationWarning,
        )
        # esda divides by the spread of each unit's simulations (z_sim, unused here), which is
        # 0 for a unit at the mean
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"esda\.")
        yield


def _seed(seed: int | None, permutations: int) -> int | None:
    if not permutations:
        return seed
    if seed is None:  # draw one so that the run can be repeated
        return int(np.random.default_rng().integers(12345, 12345000))
    return int(seed)


def getis_ord(
    values: Any,
    graph: Any,
    *,
    star: bool = True,
    permutations: int = 0,
    seed: int | None = None,
    fdr: float = 0.05,
    correction: str = "fdr_bh",
    alternative: str = "two-sided",
) -> LocalResult:
    """Getis–Ord Gi*: where high (hot) or low (cold) values cluster.

    Parameters
    ----------
    values : pandas.Series or array-like
        One value per unit of ``graph`` (a Series is aligned on the graph's ids).
    graph : libpysal.graph.Graph
        Neighbours, e.g. from :func:`grid_weights`. Only the structure is used (binary
        weights, self-weight 1); a graph whose weights vary within a row (kernel, inverse
        distance) is refused rather than silently binarised.
    star : bool
        Must be True: Gi* counts the unit itself, so a lone busy cell can be hot.
    permutations : int
        0 for the analytic normal p-values; otherwise esda's conditional permutation test.
    seed : int, optional
        Seed of the permutations.
    fdr : float
        Level of the correction: the false discovery rate for ``"fdr_bh"``.
    correction : {"fdr_bh", "bonferroni", "none"}
        Multiple-testing correction.
    alternative : {"two-sided", "directed"}
        Two-sided p-values, or one-sided in the observed direction (esda's ``p_norm`` and
        ``p_sim``; half as large, not recommended).

    Returns
    -------
    LocalResult
        ``values`` has ``gi_z``, ``gi_p``, ``significant`` and ``hot_cold``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from geodistrict.clusters.grids import square_grid
    >>> g = square_grid(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1500, 1500)], crs=27700),
    ...                 cell_m=100)
    >>> y = pd.Series(1.0, index=g.index)
    >>> y[(g["row"] < 3) & (g["col"] < 3)] = 20.0  # a busy corner
    >>> r = getis_ord(y, grid_weights(g))
    >>> r.values.loc[0, "hot_cold"], r.n_tests, r.correction
    ('hot', 225, 'fdr_bh')
    """
    if star is not True:
        raise ParameterError("star=False (Gi) is not offered: use Gi* (star=True).")
    _check_options(fdr, correction, alternative, permutations)
    y, index, back = _align(values, graph)
    f, nb, w, n = _pairs(graph)
    off = (f != nb) & (w != 0)
    f, nb, w = f[off], nb[off], w[off]
    card = np.bincount(f, minlength=n).astype("float64")
    s1 = np.bincount(f, weights=w, minlength=n)
    s2 = np.bincount(f, weights=w * w, minlength=n)
    if not np.allclose(s1 * s1, card * s2, rtol=1e-9, atol=0):
        raise ParameterError(
            "graph: its weights vary within rows (kernel or inverse-distance weights); Gi* here "
            "uses binary weights. Pass graph.transform('B') if that is what you want."
        )
    # esda.G_Local(y, w, transform="B", star=True): N = n, weights binary incl. self
    wi = card + 1.0
    lag = np.bincount(f, weights=y[nb], minlength=n) + y
    mean = y.mean()
    var = (y * y).mean() - mean * mean
    if not var > 0:
        raise ParameterError(
            f"values: all {n} are equal ({y[0]:g}); there is no variation to test."
        )
    z = (lag - wi * mean) / np.sqrt(var * wi * (n - wi) / (n - 1))
    seed = _seed(seed, permutations)
    if permutations:
        import esda

        with _esda_quietly():
            gl = esda.G_Local(
                y,
                graph,
                transform="B",
                star=True,
                permutations=int(permutations),
                seed=seed,
                n_jobs=1,
                keep_simulations=True,
            )
        p = _permutation_p(gl.Gs, gl.rGs, gl.p_sim, alternative)
    else:
        p = _normal_p(z, alternative)
    thr, n_tests, sig = _finish(p, fdr, correction, permutations)
    hot = np.where(sig, np.where(z > 0, "hot", "cold"), "ns").astype(object)
    frame = pd.DataFrame({"gi_z": z, "gi_p": p, "significant": sig, "hot_cold": hot})
    frame = frame.iloc[back] if back is not None else frame
    frame.index = index
    return LocalResult(
        statistic="gi_star",
        values=frame,
        n_tests=n_tests,
        alpha=float(fdr),
        correction=correction,
        p_threshold=thr,
        permutations=int(permutations),
        seed=seed,
        weights=_describe(n, card, "Gi*: binary weights with self-weight 1"),
        alternative=alternative,
    )


def local_moran(
    values: Any,
    graph: Any,
    *,
    permutations: int = 0,
    seed: int | None = None,
    fdr: float = 0.05,
    correction: str = "fdr_bh",
    alternative: str = "two-sided",
) -> LocalResult:
    """Local Moran's I (LISA): clusters of similar values (HH, LL) and outliers (HL, LH).

    The analytic z uses the moments under conditional randomisation (Sokal et al. 1998), as
    esda's ``EIc``/``VIc``: the null hypothesis the permutation test samples. The normal
    approximation is still rough for a local statistic, so prefer ``permutations=999`` for a
    published map.

    Parameters
    ----------
    values : pandas.Series or array-like
        One value per unit of ``graph``.
    graph : libpysal.graph.Graph
        Neighbours; the weights are row-standardised (as ``esda.Moran_Local``'s default).
    permutations, seed, fdr, correction, alternative
        As in :func:`getis_ord`.

    Returns
    -------
    LocalResult
        ``values`` has ``lisa_I``, ``lisa_z``, ``lisa_p``, ``significant`` and
        ``lisa_quadrant``. Isolates have no p-value and are not counted as tests; a unit whose
        value equals the mean has I = 0 exactly under the null (z = 0, p = 1).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from geodistrict.clusters.grids import square_grid
    >>> g = square_grid(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1500, 1500)], crs=27700),
    ...                 cell_m=100)
    >>> y = pd.Series(1.0, index=g.index)
    >>> y[(g["row"] < 3) & (g["col"] < 3)] = 20.0
    >>> r = local_moran(y, grid_weights(g))
    >>> r.values.loc[16, "lisa_quadrant"], r.values.loc[224, "lisa_quadrant"]
    ('HH', 'ns')
    """
    _check_options(fdr, correction, alternative, permutations)
    y, index, back = _align(values, graph)
    f, nb, w, n = _pairs(graph)
    # esda.Moran_Local(y, w): z = standardised y, weights row-standardised
    sd = y.std()
    if not sd > 0:
        raise ParameterError(
            f"values: all {n} are equal ({y[0]:g}); there is no variation to test."
        )
    zs = (y - y.mean()) / sd
    rowsum = np.bincount(f, weights=w, minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(rowsum[f] != 0, w / rowsum[f], 0.0)
    lag = np.bincount(f, weights=r * zs[nb], minlength=n)
    den = (zs * zs).sum()
    lisa = (n - 1) * zs * lag / den
    m2 = den / n
    wi = np.bincount(f, weights=r, minlength=n)
    wi2 = np.bincount(f, weights=r * r, minlength=n)
    # conditional randomisation: esda's EIc and VIc (Sokal et al. 1998, A7 and A8)
    ei = -(zs**2 * wi) / ((n - 1) * m2)
    vi = (zs / m2) ** 2 * (n / (n - 2)) * (wi2 - wi**2 / (n - 1)) * (m2 - zs**2 / (n - 1))
    isolate = wi == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(vi > 0, (lisa - ei) / np.sqrt(vi), np.where(isolate, np.nan, 0.0))
    seed = _seed(seed, permutations)
    if permutations:
        import esda

        with _esda_quietly():
            ml = esda.Moran_Local(
                y,
                graph,
                transformation="r",
                permutations=int(permutations),
                seed=seed,
                n_jobs=1,
                keep_simulations=True,
            )
        p = _permutation_p(ml.Is, ml.rlisas, ml.p_sim, alternative)
        p = np.where(isolate, np.nan, p)  # isolates: nothing to permute
    else:
        p = _normal_p(z, alternative)
    thr, n_tests, sig = _finish(p, fdr, correction, permutations)
    quad = _QUADRANTS[np.where(zs > 0, np.where(lag > 0, 0, 3), np.where(lag > 0, 1, 2))]
    frame = pd.DataFrame(
        {
            "lisa_I": lisa,
            "lisa_z": z,
            "lisa_p": p,
            "significant": sig,
            "lisa_quadrant": np.where(sig, quad, "ns").astype(object),
        }
    )
    frame = frame.iloc[back] if back is not None else frame
    frame.index = index
    card = np.bincount(f[(f != nb) & (w != 0)], minlength=n)
    return LocalResult(
        statistic="lisa",
        values=frame,
        n_tests=n_tests,
        alpha=float(fdr),
        correction=correction,
        p_threshold=thr,
        permutations=int(permutations),
        seed=seed,
        weights=_describe(n, card, "LISA: row-standardised"),
        alternative=alternative,
    )
