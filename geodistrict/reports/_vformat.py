"""Number and word formatting shared by the overlap and vintage sentences.

Numbers keep their units and are never rounded into a claim the data do not support (an area
that is not zero is never printed as 0.00 km²).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "count_phrase",
    "count_word",
    "fmt_iou",
    "fmt_km2",
    "fmt_m2",
    "fmt_share",
    "join_and",
    "normalise_name",
    "plural",
    "year_in",
]

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def fmt_km2(v: float) -> str:
    """An area in km²: 1 decimal, 2 under 10 km², never rounded to zero when it is not.

    Examples
    --------
    >>> [fmt_km2(v) for v in (1234.56, 9.876, 0.0, 0.004)]
    ['1,234.6 km²', '9.88 km²', '0.00 km²', 'less than 0.01 km²']
    """
    v = float(v)
    if 0 < v < 0.005:
        return "less than 0.01 km²"
    if v < 9.995:
        return f"{v:.2f} km²"
    return f"{v:,.1f} km²"


def fmt_m2(v: float) -> str:
    """A small area in m².

    Examples
    --------
    >>> fmt_m2(1234.4), fmt_m2(2.25), fmt_m2(1.3e-06)
    ('1,234 m²', '2.2 m²', 'less than 1 m²')
    """
    v = float(v)
    if 0 < v < 1:
        return "less than 1 m²"
    return f"{v:,.0f} m²" if v >= 9.5 else f"{v:.1f} m²"


def fmt_share(s: float) -> str:
    """A share as a percentage with 1 decimal, never rounded to 0 % or 100 % when it is not.

    Examples
    --------
    >>> [fmt_share(s) for s in (0.2731, 0.0, 0.0004, 0.99996, 1.0)]
    ['27.3 %', '0.0 %', 'less than 0.1 %', 'over 99.9 %', '100.0 %']
    """
    p = 100.0 * float(s)
    if 0 < p < 0.05:
        return "less than 0.1 %"
    if 99.95 <= p < 100:
        return "over 99.9 %"
    return f"{p:.1f} %"


def fmt_iou(v: float) -> str:
    """Intersection over union with 2 decimals (never rounded to 0 or 1 when it is not)."""
    if 0 < v < 0.005:
        return "under 0.01"
    if 0.995 <= v < 1:
        return "over 0.99"
    return f"{v:.2f}"


def count_word(n: int) -> str:
    """Small counts in words, larger ones in figures (``2`` → ``two``, ``12`` → ``12``)."""
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else f"{n:,}"


def plural(noun: str, n: int = 2) -> str:
    """English plural of the last word of ``noun`` when ``n != 1``.

    Examples
    --------
    >>> plural("LEP"), plural("combined authority"), plural("LSIP area", 1)
    ('LEPs', 'combined authorities', 'LSIP area')
    """
    if n == 1:
        return noun
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", noun):
        return noun + "es"
    return noun + "s"


def count_phrase(n: int, noun: str) -> str:
    """``n`` things: ``1 postcode``, ``2 postcodes`` (``noun`` is the plural).

    Examples
    --------
    >>> count_phrase(1, "postcodes"), count_phrase(12345, "postcodes")
    ('1 postcode', '12,345 postcodes')
    """
    if n == 1 and noun.endswith("s") and not noun.endswith("ss"):
        noun = noun[:-1]
    return f"{n:,} {noun}"


def join_and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def normalise_name(name: Any) -> str:
    """A name reduced for matching: case, ``&``/``and``, hyphens, punctuation, ``the``.

    Examples
    --------
    >>> normalise_name("Heart of the South-West") == normalise_name("Heart of the South West")
    True
    >>> normalise_name("Greater Birmingham & Solihull")
    'greater birmingham and solihull'
    """
    from ..zones.match import normalise_label

    return " ".join(w for w in normalise_label(name).split() if w != "the")


def year_in(*texts: Any) -> int | None:
    """The first four-digit year (1900–2099) found in the texts, else None."""
    for t in texts:
        if t is None:
            continue
        m = re.search(r"(?<!\d)(19|20)\d\d(?!\d)", str(t))
        if m:
            return int(m.group(0))
    return None
