"""The house rule of *a specialism*, read by every front end without loading pandas.

:data:`SPECIALISM_RULE` gives the defaults of the ``specialisation`` and ``report`` commands'
options, the reports' wording and the app's specialism view; it lives apart from
:mod:`.specialisation` so that building the command line's help needs no pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import SchemaError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SPECIALISM_RULE", "SpecialismRule", "is_specialism", "require_columns"]


@dataclass(frozen=True)
class SpecialismRule:
    """When a sector is *a specialism* of an area: a high quotient on enough units.

    A specialism is a sector whose location quotient is at least ``min_lq`` **and** whose
    count is at least ``min_count``: a high quotient on a handful of firms is noise, not a
    strength. Every front end (the ``specialisation`` and ``report`` commands, the reports,
    the app) reads its defaults from :data:`SPECIALISM_RULE`.

    Attributes
    ----------
    min_lq : float
        Lowest location quotient of a specialism (1.25: a quarter more than the reference's
        share).
    min_count : float
        Lowest count of a specialism (100 enterprises).

    Examples
    --------
    >>> rule = SpecialismRule()
    >>> rule.describe()
    'lq >= 1.25 and count >= 100'
    >>> import pandas as pd
    >>> t = pd.DataFrame({"lq": [1.5, 1.5, 1.1], "count": [200, 50, 900]})
    >>> rule.marks(t).tolist()
    [True, False, False]
    """

    min_lq: float = 1.25
    min_count: float = 100

    def marks(self, lq_table: pd.DataFrame) -> pd.Series:
        """Whether each row of a location-quotient table is a specialism (:func:`is_specialism`)."""
        return is_specialism(lq_table, min_lq=self.min_lq, min_count=self.min_count)

    def describe(self) -> str:
        """The rule as one line: ``'lq >= 1.25 and count >= 100'``."""
        return f"lq >= {self.min_lq:g} and count >= {self.min_count:g}"


#: The house rule of a specialism: a location quotient of at least 1.25 on at least 100 units.
SPECIALISM_RULE = SpecialismRule()


def is_specialism(
    lq_table: pd.DataFrame,
    *,
    min_lq: float = SPECIALISM_RULE.min_lq,
    min_count: float = SPECIALISM_RULE.min_count,
) -> pd.Series:
    """Whether each row of a location-quotient table is *a specialism* of its area.

    A specialism is a sector whose location quotient is at least ``min_lq`` **and** whose
    count is at least ``min_count``: a high quotient on a handful of firms is noise, not a
    strength.

    Parameters
    ----------
    lq_table : pandas.DataFrame
        Output of :func:`location_quotients`.
    min_lq : float
        Lowest location quotient of a specialism (1.25 by default: a quarter more than the
        reference's share).
    min_count : float
        Lowest count of a specialism (100 by default).

    Returns
    -------
    pandas.Series
        Booleans indexed like ``lq_table``, named ``specialism``; False where the LQ or the
        count is missing.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = pd.DataFrame({"lq": [1.5, 1.5, 1.1, np.nan], "count": [200, 50, 900, 300]})
    >>> is_specialism(t).tolist()
    [True, False, False, False]
    """
    require_columns(lq_table, ("lq", "count"), what="the location-quotient table")
    keep = (lq_table["lq"] >= min_lq) & (lq_table["count"] >= min_count)
    return keep.fillna(False).astype(bool).rename("specialism")


def require_columns(table: pd.DataFrame, columns: tuple[str, ...], *, what: str) -> None:
    """Raise :class:`~geodistrict.errors.SchemaError` unless ``table`` has these columns."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SchemaError(
            f"{what} has no column(s) {', '.join(map(repr, missing))}; pass the output of "
            "location_quotients()."
        )
