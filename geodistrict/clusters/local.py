"""Local statistics with honest significance: Getis–Ord Gi* and local Moran's I.

The analytic z-scores are computed here with numpy (a 100 000-cell grid takes about a tenth of
a second, weights included); ``null="total"`` equals PySAL's ``esda`` ``Zs`` to rounding:

* Gi* uses binary weights with a self-weight of 1 (``esda.G_Local(y, w, transform="B",
  star=True)``). Its analytic z is offered under two nulls, named by ``null=``:

  - ``"conditional"`` (the default): conditional randomisation, the null esda's permutation
    test samples. The unit's own value ``y_i`` is held fixed and its ``k_i`` neighbours'
    values are a random draw, without replacement, of the other ``n - 1`` values. With
    ``T_i`` the sum of the neighbours' values, ``m_i = (S - y_i) / (n - 1)`` and
    ``v_i = (Q - y_i²) / (n - 1) - m_i²`` (``S``, ``Q``: sum and sum of squares of all
    values)::

        E[T_i] = k_i m_i        Var[T_i] = k_i v_i (n - 1 - k_i) / (n - 2)
        z_i = (T_i - k_i m_i) / sqrt(Var[T_i])

    The fixed own value drops out: what is tested is whether the unit's surroundings are
    unusually high or low. Units with no neighbours (or no variation among the others) have
    no test (``NaN``). On skewed counts the normal approximation of ``T_i`` fails in the
    tails (a cell whose eight neighbours are all empty has a tiny permutation p-value but a
    z of about -1.4), so for integer values the p-values come from the exact distribution of
    ``T_i`` (:func:`_subset_tails`: subsets of the other values, counted on the integer
    lattice; for very large lattices, draws with replacement), and agree with 999 esda
    permutations up to their Monte Carlo error (Jaccard 0.86 hot and 0.89 cold on Manchester's
    grid at seed 1; permutation runs with other seeds differ from each other as much). Other
    values use the normal approximation with these exact moments.
  - ``"total"``: Getis and Ord's (1992) total randomisation, esda's analytic ``Zs``: the own
    value is permuted too, ``z_i = (y_i + T_i - W_i ȳ) / sqrt(s² W_i (n - W_i) / (n - 1))``
    with ``W_i = k_i + 1`` and ``s²`` the population variance. On skewed counts it mixes the
    unit's own size into the test, so it disagrees with the permutation test: on the 500 m
    postcode grid of Manchester it finds 18 hot and 0 cold cells where 999 conditional
    permutations find 14 hot and 42 cold.

  esda's default ``transform="R"`` plugs row-standardised weights into the binary-weight
  variance, which shrinks |z| by about √(k + 1), so it is not offered. A graph whose weights
  vary within a row is refused.
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

from ..errors import GeodistrictWarning, ParameterError
from .weights import check_choice, grid_weights, weights_for

__all__ = [
    "CORRECTIONS",
    "GI_NULLS",
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
#: ``null=`` of :func:`getis_ord`: the randomisation the analytic z refers to.
GI_NULLS = ("conditional", "total")
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
    check_choice(correction, CORRECTIONS, "correction")
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
    null : str or None
        Gi*: the randomisation of the analytic z, ``"conditional"`` or ``"total"``; LISA:
        ``"conditional"`` (its moments are always the conditional ones).
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
    null: str = "conditional"

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
            "null": self.null,
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


def check_test_options(alpha: float, correction: str, alternative: str, permutations: int) -> None:
    check_choice(correction, CORRECTIONS, "correction")
    check_choice(alternative, _ALTERNATIVES, "alternative")
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


def _esda_permutations(
    name: str, y: np.ndarray, graph: Any, permutations: int, seed: int | None, **options: Any
) -> Any:
    """The local statistic ``name`` of esda with its permutations (one job, simulations kept)."""
    import esda

    if hasattr(graph, "to_graph"):  # a GridAdjacency: esda needs the libpysal Graph
        graph = graph.to_graph()
    with _esda_quietly():
        return getattr(esda, name)(
            y,
            graph,
            permutations=int(permutations),
            seed=seed,
            n_jobs=1,
            keep_simulations=True,
            **options,
        )


def _require_variation(varies: bool, y: np.ndarray) -> None:
    """Raise :class:`ParameterError` unless the values vary (``varies``)."""
    if not varies:
        raise ParameterError(
            f"values: all {len(y)} are equal ({y[0]:g}); there is no variation to test."
        )


def _seed(seed: int | None, permutations: int) -> int | None:
    if not permutations:
        return seed
    if seed is None:  # draw one so that the run can be repeated
        return int(np.random.default_rng().integers(12345, 12345000))
    return int(seed)


def _gi_z(y: np.ndarray, f: np.ndarray, nb: np.ndarray, card: np.ndarray, null: str):
    """Analytic Gi* z under ``null`` (formulas in the module docstring); NaN where untestable."""
    n = len(y)
    t = np.bincount(f, weights=y[nb], minlength=n)  # neighbours' sum, own value excluded
    if null == "total":
        wi = card + 1.0
        mean = y.mean()
        var = (y * y).mean() - mean * mean
        return (t + y - wi * mean) / np.sqrt(var * wi * (n - wi) / (n - 1))
    s, q = y.sum(), (y * y).sum()
    m = (s - y) / (n - 1)
    v = np.maximum((q - y * y) / (n - 1) - m * m, 0.0)
    var_t = card * v * (n - 1 - card) / (n - 2)
    # a variance below rounding of the values' scale is no variation at all
    ok = var_t > 1e-12 * max(float(np.abs(y).max()), 1.0) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, (t - card * m) / np.sqrt(np.where(ok, var_t, 1.0)), np.nan)


#: Largest integer lattice (max - min of the values, times the most neighbours) on which the
#: conditional Gi* distribution is computed exactly; beyond it the normal approximation is used.
MAX_LATTICE = 1 << 22


def _gi_conditional_p(
    y: np.ndarray, t: np.ndarray, card: np.ndarray, z: np.ndarray, alternative: str
) -> tuple[np.ndarray, str]:
    """Gi* p-values from the distribution of the neighbours' sum under conditional randomisation.

    Integer values (counts): exact for draws without replacement (the permutation test's
    own null) when the work is small enough (:data:`MAX_SUBSET_WORK`, see
    :func:`_subset_tails`); otherwise exact for draws *with* replacement from the other
    ``n - 1`` values. With ``h`` the histogram of all values on the integer lattice and ``H_m`` the
    cumulative counts of its ``m``-fold convolution (ordered draws), removing the unit's own
    value ``y_i`` from the urn gives, by the binomial expansion of ``(h - δ_{y_i})^{*k}``::

        P(T_i <= t) = sum_{j=0..k} C(k, j) (-1)^j H_{k-j}(t - j y_i) / (n - 1)^k

    Other values, or a lattice above :data:`MAX_LATTICE`: the normal approximation with the
    exact conditional moments.
    """
    finite = np.isfinite(z)
    if not (np.all(y == np.round(y)) and finite.any()):
        return _normal_p(z, alternative), "normal approximation (conditional moments)"
    from math import comb

    n = len(y)
    lo = float(y.min())
    v = (y - lo).astype(np.int64)
    kmax = int(card[finite].max())
    span = int(v.max())
    if span * kmax + 1 > MAX_LATTICE:
        return _normal_p(z, alternative), "normal approximation (conditional moments)"
    fft = __import__("scipy.fft", fromlist=["rfft"])
    h = np.bincount(v, minlength=span + 1).astype("float64")
    size = fft.next_fast_len(span * kmax + 1, real=True)
    spec = fft.rfft(h, size)
    cdfs = [np.ones(1)]  # H_0: one way to draw nothing, sum 0
    for m in range(1, kmax + 1):
        dens = np.maximum(fft.irfft(spec**m, size)[: span * m + 1], 0.0)
        cdfs.append(np.cumsum(np.round(dens) if span * m < 1e6 and n**m < 2**52 else dens))
    tt = np.round(t - card * lo).astype(np.int64)  # the neighbours' sum on the lattice

    def below(x: np.ndarray, k: np.ndarray) -> np.ndarray:
        """P(T <= x) for each unit (k its neighbours), by the expansion above."""
        out = np.zeros(len(x))
        for m in np.unique(k[finite]):
            sel = finite & (k == m)
            acc = np.zeros(int(sel.sum()))
            for j in range(int(m) + 1):
                c = cdfs[int(m) - j]
                pos = x[sel] - j * v[sel]
                val = np.where(pos < 0, 0.0, c[np.clip(pos, 0, len(c) - 1)])
                acc += (-1) ** j * comb(int(m), j) * val
            out[sel] = acc / float(n - 1) ** int(m)
        return np.clip(out, 0.0, 1.0)

    uniq, mult = np.unique(v, return_counts=True)
    if len(uniq) * kmax * kmax * (span * kmax + 1) <= MAX_SUBSET_WORK:
        low, high = _subset_tails(v, uniq, mult, tt, card, finite, kmax, span)
        p = np.minimum(low, high) * (1.0 if alternative == "directed" else 2.0)
        p = np.where(finite, np.minimum(p, 1.0), np.nan)
        return p, "exact (draws without replacement from the other values)"
    low = below(tt, card)
    high = 1.0 - below(tt - 1, card)
    p = np.minimum(low, high) * (1.0 if alternative == "directed" else 2.0)
    p = np.where(finite, np.minimum(p, 1.0), np.nan)
    return p, "exact on the integer lattice (draws with replacement from the other values)"


#: Work (distinct values x neighbours² x lattice) up to which the conditional Gi* distribution
#: is computed exactly without replacement (:func:`_subset_tails`).
MAX_SUBSET_WORK = 400_000_000


def _subset_tails(
    v: np.ndarray,
    uniq: np.ndarray,
    mult: np.ndarray,
    tt: np.ndarray,
    card: np.ndarray,
    finite: np.ndarray,
    kmax: int,
    span: int,
) -> tuple[np.ndarray, np.ndarray]:
    """P(T <= t) and P(T >= t) for subsets drawn without replacement (integer lattice).

    ``P_d[s]`` counts the ``d``-subsets of all ``n`` values with sum ``s``: the coefficient
    of ``x^d z^s`` in ``prod_j (1 + x z^{v_j})``, built value by value. The subsets of the
    other ``n - 1`` values (unit ``i`` removed) are ``Q_d = P_d - z^{v_i} Q_{d-1}``; then
    ``P(T_i <= t) = sum_{s <= t} Q_k[s] / C(n - 1, k)``.
    """
    from math import comb

    n = len(v)
    size = span * kmax + 1
    poly = np.zeros((kmax + 1, size))
    poly[0, 0] = 1.0
    for u, c in zip(uniq.tolist(), mult.tolist(), strict=True):
        new = poly.copy()
        for a in range(1, min(c, kmax) + 1):
            shift = a * u
            if shift >= size:
                break
            w = float(comb(c, a))
            new[a:, shift:] += w * poly[: kmax + 1 - a, : size - shift]
        poly = new
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    for yi in np.unique(v[finite]):
        at = finite & (v == yi)
        sizes = np.unique(card[at]).astype(int)  # subset sizes asked for with this value
        top = int(sizes.max())
        q = np.empty((top + 1, size))  # Q_d up to the largest size asked for
        q[0] = poly[0]
        for d in range(1, top + 1):
            q[d] = poly[d]
            if yi < size:
                q[d, yi:] -= q[d - 1, : size - yi]
        cum = np.cumsum(np.maximum(q[sizes], 0.0), axis=1)  # only the rows read below
        for row, m in enumerate(sizes.tolist()):
            sel = at & (card == m)
            total = float(comb(n - 1, m))
            pos = tt[sel]
            lo = np.where(pos < 0, 0.0, cum[row, np.clip(pos, 0, size - 1)])
            below = np.where(pos - 1 < 0, 0.0, cum[row, np.clip(pos - 1, 0, size - 1)])
            low[sel] = lo / total
            high[sel] = 1.0 - below / total
    return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


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
    null: str = "conditional",
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
    null : {"conditional", "total"}
        The null of the analytic z (see the module docstring): conditional randomisation, the
        unit's own value held fixed as in esda's permutation test (default), or Getis and
        Ord's total randomisation (esda's ``Zs``). With ``permutations > 0`` the p-values are
        esda's conditional permutations whichever is chosen; ``gi_z`` stays analytic.

    Returns
    -------
    LocalResult
        ``values`` has ``gi_z``, ``gi_p``, ``significant`` and ``hot_cold``; units with no
        test under the null (no neighbours) have NaN ``gi_z`` and ``gi_p``.

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
    check_test_options(fdr, correction, alternative, permutations)
    check_choice(null, GI_NULLS, "null")
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
    mean = y.mean()
    var = (y * y).mean() - mean * mean
    _require_variation(var > 0, y)
    z = _gi_z(y, f, nb, card, null)
    how = "normal approximation"
    seed = _seed(seed, permutations)
    if permutations:
        gl = _esda_permutations("G_Local", y, graph, permutations, seed, transform="B", star=True)
        p = _permutation_p(gl.Gs, gl.rGs, gl.p_sim, alternative)
        p = np.where(card == 0, np.nan, p)  # nothing to permute around an isolate
        # the direction is that of the permutation test: observed above or below the
        # simulations' mean
        up = gl.Gs > np.asarray(gl.rGs).mean(axis=1)
    elif null == "conditional":
        t = np.bincount(f, weights=y[nb], minlength=n)
        p, how = _gi_conditional_p(y, t, card, z, alternative)
        up = z > 0
    else:
        p = _normal_p(z, alternative)
        up = z > 0
    thr, n_tests, sig = _finish(p, fdr, correction, permutations)
    hot = np.where(sig, np.where(up, "hot", "cold"), "ns").astype(object)
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
        weights=_describe(
            n,
            card,
            f"Gi*: binary weights with self-weight 1; {null} randomisation"
            + ("" if permutations else f", p-values {how}"),
        ),
        alternative=alternative,
        null=null,
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
    check_test_options(fdr, correction, alternative, permutations)
    y, index, back = _align(values, graph)
    f, nb, w, n = _pairs(graph)
    # esda.Moran_Local(y, w): z = standardised y, weights row-standardised
    sd = y.std()
    _require_variation(sd > 0, y)
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
        ml = _esda_permutations("Moran_Local", y, graph, permutations, seed, transformation="r")
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
