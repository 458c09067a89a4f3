"""Sentences of a report, generated from its numbers and no further.

Every function here takes numbers and returns text; none reads data. The rules are stated in
the report itself: a *specialism* needs both a high location quotient and enough units for
the quotient to mean something; ratios are said as "x times", shares as per cent; a figure
that is missing is said to be missing, never replaced by zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "fmt_num",
    "fmt_int",
    "fmt_ratio",
    "fmt_area_km2",
    "listing",
    "specialism_rule",
    "specialisation_sentences",
    "card_sentences",
    "hotspot_sentences",
    "comparable_sentences",
]


def _missing(v: float | None) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def fmt_int(v: float | None) -> str:
    """A count with thousands separators; ``–`` when missing.

    Examples
    --------
    >>> fmt_int(1234567.0), fmt_int(None), fmt_int(float("nan"))
    ('1,234,567', '–', '–')
    """
    return "–" if v is None or _missing(v) else f"{round(float(v)):,}"


def fmt_num(v: float | None, digits: int = 3) -> str:
    """A measure to ``digits`` significant digits, never in scientific notation.

    Examples
    --------
    >>> fmt_num(0.012345), fmt_num(1234.5), fmt_num(12.345), fmt_num(None)
    ('0.0123', '1,234', '12.3', '–')
    """
    if v is None or _missing(v):
        return "–"
    v = float(v)
    if v == 0:
        return "0"
    mag = math.floor(math.log10(abs(v)))
    dec = max(0, digits - 1 - mag)
    return f"{round(v, dec):,.{dec}f}"


def fmt_ratio(v: float | None) -> str:
    """A ratio to England as ``"2.31×"``.

    Examples
    --------
    >>> fmt_ratio(2.3149), fmt_ratio(0.0456), fmt_ratio(None)
    ('2.31×', '0.0456×', '–')
    """
    return "–" if _missing(v) else f"{fmt_num(v)}×"


def fmt_area_km2(v: float) -> str:
    """km² with one decimal, or two under 10 km², never rounded to zero when it is not.

    Examples
    --------
    >>> fmt_area_km2(832.81), fmt_area_km2(2.298)
    ('832.8 km²', '2.30 km²')
    """
    from ._vformat import fmt_km2

    return fmt_km2(v)


def listing(items: Sequence[str]) -> str:
    """``["a", "b", "c"]`` → ``"a, b and c"``.

    Examples
    --------
    >>> listing(["a"]), listing(["a", "b"]), listing(["a", "b", "c"])
    ('a', 'a and b', 'a, b and c')
    """
    from ._vformat import join_and

    return join_and([str(i) for i in items])


def specialism_rule(min_lq: float, min_count: float, under_lq: float, reference: str) -> str:
    """The rule, in words, that the report applies to every sector.

    Examples
    --------
    >>> print(specialism_rule(1.25, 100, 0.8, "England"))  # doctest: +NORMALIZE_WHITESPACE
    A sector is called a specialism when its location quotient (its share of the place's
    enterprises divided by its share of England's) is at least 1.25 and the place has at
    least 100 enterprises in it. A sector is called under-represented when its location
    quotient is at most 0.8. Sectors with a high quotient but fewer enterprises are listed as
    small concentrations, not specialisms.
    """
    return (
        "A sector is called a specialism when its location quotient (its share of the place's "
        f"enterprises divided by its share of {reference}'s) is at least {min_lq:g} and the "
        f"place has at least {min_count:,.0f} enterprises in it. A sector is called "
        f"under-represented when its location quotient is at most {under_lq:g}. Sectors "
        "with a high quotient but fewer enterprises are listed as small concentrations, not "
        "specialisms."
    )


def _sector_phrase(label: str, lq: float, count: float) -> str:
    return f"{label} (LQ {lq:.2f}, {fmt_int(count)} enterprises)"


def specialisation_sentences(
    name: str,
    *,
    specialisms: Sequence[tuple[str, float, float]],
    small: Sequence[tuple[str, float, float]],
    under: Sequence[tuple[str, float, float]],
    krugman: float | None,
    shannon: float | None,
    krugman_rank: int | None,
    n_areas: int,
    reference: str,
    complete: bool,
    min_lq: float,
    min_count: float,
) -> list[str]:
    """What the location quotients say, and only that.

    Parameters
    ----------
    name : str
        The place.
    specialisms, small, under : sequence of (label, lq, count)
        Sectors meeting the specialism rule; with a high LQ but too few units; with a low LQ.
    krugman, shannon : float or None
        The place's indices.
    krugman_rank : int or None
        1 = the most specialised of the ``n_areas`` areas of the table.
    n_areas : int
    reference : str
    complete : bool
        Whether the place's total includes every sector (no suppressed count).
    min_lq, min_count : float

    Examples
    --------
    >>> s = specialisation_sentences("Solent", specialisms=[("Transport", 1.4, 2000.0)],
    ...     small=[], under=[], krugman=0.2, shannon=2.6, krugman_rank=5, n_areas=38,
    ...     reference="England", complete=True, min_lq=1.25, min_count=100)
    >>> print(s[0])
    Solent has 1 specialism by the rule above: Transport (LQ 1.40, 2,000 enterprises).
    """
    out = []
    if specialisms:
        word = "specialism" if len(specialisms) == 1 else "specialisms"
        out.append(
            f"{name} has {len(specialisms)} {word} by the rule above: "
            + listing([_sector_phrase(*s) for s in specialisms])
            + "."
        )
    else:
        out.append(
            f"No sector of {name} meets the rule (LQ ≥ {min_lq:g} with at least "
            f"{min_count:,.0f} enterprises): its business base has no specialism in these "
            "broad sections."
        )
    if small:
        out.append(
            "Small concentrations (a high LQ on too few enterprises to call a specialism): "
            + listing([_sector_phrase(*s) for s in small])
            + "."
        )
    if under:
        out.append(
            f"Under-represented against {reference}: "
            + listing([_sector_phrase(*s) for s in under])
            + "."
        )
    if krugman is not None and not _missing(krugman):
        rank = ""
        if krugman_rank is not None and n_areas > 1:
            rank = (
                f"; it ranks {_ordinal(krugman_rank)} of {n_areas} areas from the most specialised"
            )
        out.append(
            f"The Krugman index of {krugman:.3f} measures how far the sector mix departs from "
            f"{reference}'s (0 = the same mix, 2 = no sector in common){rank}. The Shannon "
            f"diversity of its mix is {shannon:.3f} (higher = more diverse)."
        )
    if not complete:
        out.append(
            "Some sector counts are suppressed by the publisher: the place's total leaves "
            "them out, so its shares and quotients are approximate."
        )
    return out


def _ordinal(n: int) -> str:
    """``1`` → ``'1st'``.

    Examples
    --------
    >>> [_ordinal(i) for i in (1, 2, 3, 4, 11, 12, 13, 21, 22)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd']
    """
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def card_sentences(
    name: str, rows: Sequence[dict], reference: str | None, area_km2: float
) -> list[str]:
    """One sentence per measured density, compared with the reference.

    ``rows`` are the card rows (``indicator``, ``value``, ``per_km2``, ``ratio``, ``unit``).

    Examples
    --------
    >>> rows = [{"indicator": "Enterprises", "value": 5000.0, "per_km2": 10.0, "ratio": 2.0,
    ...          "unit": "enterprises"}]
    >>> print(card_sentences("X", rows, "England", 500.0)[1])
    X has 5,000 enterprises, 10.0 per km², 2.00 times England's density.
    """
    out = [f"{name} covers {fmt_area_km2(area_km2)}."]
    for r in rows:
        if _missing(r.get("value")) or _missing(r.get("per_km2")):
            continue
        tail = ""
        if reference and not _missing(r.get("ratio")):
            tail = f", {fmt_num(r['ratio'])} times {reference}'s density"
        out.append(
            f"{name} has {fmt_int(r['value'])} {r['unit']}, {fmt_num(r['per_km2'])} per km²{tail}."
        )
    return out


def hotspot_sentences(
    name: str,
    *,
    cell_m: float,
    n_cells: int,
    n_hot: int,
    n_cold: int,
    fdr: float,
    outlines: Sequence[dict],
    layer: str,
    total: int,
) -> list[str]:
    """The hot-spot test and its outlines, in words.

    Examples
    --------
    >>> s = hotspot_sentences("X", cell_m=1000, n_cells=900, n_hot=0, n_cold=0, fdr=0.05,
    ...                       outlines=[], layer="postcodes", total=100)
    >>> print(s[1])  # doctest: +NORMALIZE_WHITESPACE
    No cell is a significant hot spot at this false discovery rate: X's postcodes show no
    local cluster at 1,000 m.
    """
    out = [
        f"Getis–Ord Gi* tested {n_cells:,} cells of {cell_m:,.0f} m for local concentrations "
        f"of the {fmt_int(total)} {layer} inside {name}, with a false discovery rate of "
        f"{fdr:g} (Benjamini–Hochberg)."
    ]
    if n_hot == 0:
        out.append(
            f"No cell is a significant hot spot at this false discovery rate: {name}'s "
            f"{layer} show no local cluster at {cell_m:,.0f} m."
        )
        return out
    out.append(
        f"{n_hot:,} cells are hot spots and {n_cold:,} cold spots; contiguous hot cells merge "
        f"into {len(outlines)} cluster outline{'s' if len(outlines) != 1 else ''}."
    )
    if outlines:
        o = outlines[0]
        unis = f", with {listing(o['universities'])}" if o.get("universities") else ""
        out.append(
            f"The leading cluster covers {fmt_area_km2(o['area_km2'])} and holds "
            f"{fmt_int(o['points'])} {layer} ({o['share']:.0%} of the place's){unis}."
        )
    return out


def comparable_sentences(
    cluster: dict, nearest: Sequence[dict], *, cell_m: float, layer: str
) -> list[str]:
    """How the leading cluster compares with its nearest benchmark districts.

    Examples
    --------
    >>> c = {"area_ha": 460.0, "per_km2": 2000.0}
    >>> n = [{"name": "D", "area_ha": 230.0, "postcodes_per_km2": 4000.0, "distance": 0.3}]
    >>> print(comparable_sentences(c, n, cell_m=500, layer="postcodes")[0][:60])
    The leading cluster (460 ha, 2,000 postcodes per km²) is nea
    """
    if not nearest:
        return [
            "No benchmark district is measured with the same postcode layer, so none is "
            "ranked as comparable."
        ]
    head = nearest[0]
    out = [
        f"The leading cluster ({fmt_int(cluster['area_ha'])} ha, {fmt_int(cluster['per_km2'])} "
        f"{layer} per km²) is nearest in size and {layer[:-1]} density to {head['name']} "
        f"({fmt_int(head['area_ha'])} ha, {fmt_int(head['postcodes_per_km2'])} per km²)."
    ]
    for d in nearest:
        a = cluster["area_ha"] / d["area_ha"]
        r = cluster["per_km2"] / d["postcodes_per_km2"]
        size = (
            f"{fmt_num(a)} times the area of {d['name']}"
            if a >= 1
            else f"{fmt_num(1 / a)} times smaller than {d['name']}"
        )
        dens = (
            f"{fmt_num(r)} times its {layer[:-1]} density"
            if r >= 1
            else f"{fmt_num(r)} times its {layer[:-1]} density (sparser)"
        )
        out.append(f"It is {size}, with {dens}.")
    out.append(
        f"A cluster outline is drawn by a statistical test on a {cell_m:,.0f} m grid, a "
        "district by its partnership or plan: the comparison is of scale and intensity, not "
        "of the same kind of line."
    )
    return out
