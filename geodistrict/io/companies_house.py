"""Companies House "Free Company Data Product" (``BasicCompanyData*.csv``) as a layer of firms.

Firms are placed at the centroid of their registered-office postcode (``RegAddress.PostCode``)
looked up in the ONS Postcode Directory. The real files' header has stray leading spaces
(``" CompanyNumber"``, ``" RegAddress.AddressLine2"``); headers are stripped on reading, so
files with and without the spaces read the same and the layer's columns have no spaces.

Which companies are kept
------------------------
Only live companies are kept by default: those whose ``CompanyStatus`` is one of
:data:`LIVE_STATUSES` (``"Active"`` and ``"Active - Proposal to Strike off"``, compared without
regard to case). Every other status (``"Dissolved"``, ``"Liquidation"``,
``"In Administration"``, ``"Voluntary Arrangement"``, receiverships, an empty status ...) is
excluded and listed in the layer's ``rejected`` table with the reason, so that
``len(layer) + len(layer.rejected) == layer.n_input`` still counts every row of the file. Pass
``include_inactive=True`` to keep them all.

Columns added
-------------
``company_status``
    ``CompanyStatus`` without surrounding spaces.
``live``
    Whether the status is in :data:`LIVE_STATUSES`.
``sic_code``, ``sic_division``, ``sic_section``
    From the *first* SIC text (``SICCode.SicText_1``): ``"62012 - Business and domestic software
    development"`` gives ``"62012"``, ``"62"``, ``"J"``. ``"None Supplied"`` (and any text that
    does not start with a five-digit code) gives missing values. Companies House's
    ``"99999 - Dormant Company"`` is not an activity: ``sic_code`` is ``"99999"`` and the division
    and section are missing. ``"74990 - Non-trading company"`` is a class of SIC 2007 section M
    and is kept as such.
``dormant``
    ``True`` when the first SIC code is 99999.
``sic_codes``
    Every five-digit code among the four SIC texts, joined by ``";"`` (``"62012;72190"``).
``incorporation_date``
    ``IncorporationDate`` (``DD/MM/YYYY``) as a date; unreadable dates become ``NaT``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmptyLayerError, ParameterError, SchemaError
from ..layers import OGL_V3, LayerInfo, PointLayer, reject_frame
from .tables import points_from_frame, read_table

__all__ = [
    "CH_ATTRIBUTION",
    "CH_LICENCE",
    "INCORPORATED_COLUMN",
    "LIVE_STATUSES",
    "NUMBER_COLUMN",
    "POSTCODE_COLUMN",
    "SIC_CODE_RE",
    "SIC_SECTIONS",
    "SIC_TEXT_COLUMNS",
    "STATUS_COLUMN",
    "companies_house_vintage",
    "is_live",
    "join_sic_codes",
    "detect_companies_house",
    "parse_sic",
    "read_companies_house",
    "sic_section",
]

CH_LICENCE = OGL_V3
CH_ATTRIBUTION = f"Contains Companies House data licensed under the {OGL_V3}"

#: ``CompanyStatus`` values of companies kept by default (compared case-insensitively).
LIVE_STATUSES = frozenset({"Active", "Active - Proposal to Strike off"})

#: SIC 2007 sections as (letter, first division, last division).
SIC_SECTIONS: tuple[tuple[str, int, int], ...] = (
    ("A", 1, 3),
    ("B", 5, 9),
    ("C", 10, 33),
    ("D", 35, 35),
    ("E", 36, 39),
    ("F", 41, 43),
    ("G", 45, 47),
    ("H", 49, 53),
    ("I", 55, 56),
    ("J", 58, 63),
    ("K", 64, 66),
    ("L", 68, 68),
    ("M", 69, 75),
    ("N", 77, 82),
    ("O", 84, 84),
    ("P", 85, 85),
    ("Q", 86, 88),
    ("R", 90, 93),
    ("S", 94, 96),
    ("T", 97, 98),
    ("U", 99, 99),
)
_DIVISION_SECTION = {f"{d:02d}": s for s, lo, hi in SIC_SECTIONS for d in range(lo, hi + 1)}
_LIVE_FOLDED = frozenset(s.casefold() for s in LIVE_STATUSES)
_DORMANT_CODE = "99999"
#: A five-digit SIC 2007 code at the start of a SIC text (group 1 is the code).
SIC_CODE_RE = re.compile(r"\s*(\d{5})(?!\d)")

#: Columns of the BasicCompanyData files (header spaces stripped) that the readers use.
NUMBER_COLUMN = "CompanyNumber"
POSTCODE_COLUMN = "RegAddress.PostCode"
STATUS_COLUMN = "CompanyStatus"
SIC_TEXT_COLUMNS = tuple(f"SICCode.SicText_{i}" for i in range(1, 5))
INCORPORATED_COLUMN = "IncorporationDate"


def is_live(status: pd.Series) -> np.ndarray:
    """Whether each ``CompanyStatus`` is one of :data:`LIVE_STATUSES` (case-insensitive).

    Parameters
    ----------
    status : pandas.Series
        Stripped status strings; missing values are not live.

    Returns
    -------
    numpy.ndarray
        Boolean array, one value per row.

    Examples
    --------
    >>> is_live(pd.Series(["active", "Dissolved", None])).tolist()
    [True, False, False]
    """
    return status.str.casefold().isin(_LIVE_FOLDED).fillna(False).to_numpy(dtype=bool)


def sic_section(division: str) -> str | None:
    """Return the SIC 2007 section letter of a two-digit division.

    Parameters
    ----------
    division : str
        The first two digits of a SIC 2007 code (``"62"`` for 62012).

    Returns
    -------
    str or None
        ``"A"`` to ``"U"``; ``None`` for numbers that are not SIC 2007 divisions
        (``"04"``, ``"34"``, ``"40"`` ...).

    Raises
    ------
    ParameterError
        When ``division`` is not two digits (a ``ValueError``).

    Examples
    --------
    >>> sic_section("62"), sic_section("33"), sic_section("35"), sic_section("99")
    ('J', 'C', 'D', 'U')
    >>> sic_section("34") is None
    True
    """
    d = str(division).strip()
    if not re.fullmatch(r"\d\d", d):
        raise ParameterError(
            f"SIC division {division!r} is not two digits; pass the first two digits of the SIC "
            "code, e.g. '62' for 62012."
        )
    return _DIVISION_SECTION.get(d)


def _codes(texts: pd.Series) -> np.ndarray:
    """Five-digit codes at the start of SIC texts (object array, ``None`` when absent)."""
    match = SIC_CODE_RE.match
    out = []
    for v in texts.to_numpy(dtype=object):
        m = match(v) if isinstance(v, str) else None
        out.append(m.group(1) if m else None)
    return np.array(out, dtype=object)


def _sic_columns(code: np.ndarray, index: pd.Index) -> pd.DataFrame:
    dormant = np.array([c == _DORMANT_CODE for c in code], dtype=bool)
    division = np.array(
        [c[:2] if c is not None and not d else None for c, d in zip(code, dormant, strict=True)],
        dtype=object,
    )
    section = np.array(
        [_DIVISION_SECTION.get(d) if d is not None else None for d in division], dtype=object
    )
    return pd.DataFrame(
        {
            "sic_code": pd.Series(code, index=index, dtype=object),
            "sic_division": pd.Series(division, index=index, dtype=object),
            "sic_section": pd.Series(section, index=index, dtype=object),
            "dormant": pd.Series(dormant, index=index, dtype=bool),
        },
        index=index,
    )


def parse_sic(texts: Sequence[str | None] | pd.Series) -> pd.DataFrame:
    """Split Companies House SIC texts into code, division, section and the dormant flag.

    Parameters
    ----------
    texts : sequence of str or pandas.Series
        Texts such as ``"62012 - Business and domestic software development"``; ``None``, empty
        strings and ``"None Supplied"`` are allowed.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``texts`` (a Series) or 0..n-1: ``sic_code``, ``sic_division``,
        ``sic_section`` (``None`` when missing) and ``dormant`` (bool). Code 99999
        (``"Dormant Company"``) keeps its code but has no division or section.

    Examples
    --------
    >>> parse_sic(["62012 - Business and domestic software development", "None Supplied",
    ...            "99999 - Dormant Company"]).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'sic_code': ['62012', None, '99999'], 'sic_division': ['62', None, None],
     'sic_section': ['J', None, None], 'dormant': [False, False, True]}
    """
    index = texts.index if isinstance(texts, pd.Series) else pd.RangeIndex(len(texts))
    code = _codes(pd.Series(list(texts), index=index, dtype="object"))
    return _sic_columns(code, index)


def join_sic_codes(codes: Sequence[np.ndarray]) -> np.ndarray:
    """Join the codes of each row with ``";"`` (``None`` when a row has none).

    Parameters
    ----------
    codes : sequence of numpy.ndarray
        One object array per SIC text column: a five-digit code or ``None`` per row.

    Returns
    -------
    numpy.ndarray
        Object array, one text per row.

    Examples
    --------
    >>> import numpy as np
    >>> first = np.array(["62012", None, None], dtype=object)
    >>> second = np.array(["72190", "70229", None], dtype=object)
    >>> join_sic_codes([first, second]).tolist()
    ['62012;72190', '70229', None]
    """
    joined = [";".join(c for c in row if c is not None) for row in zip(*codes, strict=True)]
    return np.array([j or None for j in joined], dtype=object)


def detect_companies_house(columns: Iterable[object]) -> bool:
    """Whether a table's columns are those of a Companies House BasicCompanyData file.

    True when ``CompanyNumber`` and ``RegAddress.PostCode`` are present, with or without the
    leading spaces of the real header.

    Examples
    --------
    >>> detect_companies_house(["CompanyName", " CompanyNumber", "RegAddress.PostCode"])
    True
    >>> detect_companies_house(["name", "postcode"])
    False
    """
    names = {str(c).strip() for c in columns}
    return NUMBER_COLUMN in names and POSTCODE_COLUMN in names


def _strip_header(df: pd.DataFrame, source: str) -> pd.DataFrame:
    stripped = [str(c).strip() for c in df.columns]
    seen: dict[str, list[str]] = {}
    for orig, new in zip(df.columns, stripped, strict=True):
        seen.setdefault(new, []).append(str(orig))
    dupes = {k: v for k, v in seen.items() if len(v) > 1}
    if dupes:
        listed = "; ".join(" and ".join(repr(o) for o in v) for v in dupes.values())
        raise SchemaError(
            f"{source}: columns {listed} have the same name once spaces are stripped; "
            "remove the duplicate column."
        )
    df.columns = stripped  # the frame is the reader's own: no copy of a 5 M-row table
    return df


def companies_house_vintage(path: Path) -> str | None:
    """The vintage of a BasicCompanyData file, read from its name (None when it has none).

    Examples
    --------
    >>> companies_house_vintage(Path("BasicCompanyData-2026-01-01-part1_7.csv"))
    'Companies House BasicCompanyData 2026-01-01'
    """
    m = re.search(r"BasicCompanyData\w*?-(\d{4}-\d{2}-\d{2})", path.name)
    return f"Companies House BasicCompanyData {m.group(1)}" if m else None


def _add_status(df: pd.DataFrame, source: str, notes: list[str]) -> np.ndarray:
    """Add ``company_status`` and ``live`` to ``df``; return ``live``.

    Without a ``CompanyStatus`` column every company is live (and a note says so).
    """
    n = len(df)
    if STATUS_COLUMN in df.columns:
        status = df[STATUS_COLUMN].astype("string").str.strip()
        # pandas-stubs reject pd.NA as ``other``; pandas documents it
        status = status.where(status != "", pd.NA)  # type: ignore[call-overload]
        live = is_live(status)
        df["company_status"] = status.astype(object).where(status.notna(), None)
    else:
        live = np.ones(n, dtype=bool)
        df["company_status"] = None
        notes.append(f"{source}: no CompanyStatus column: every company kept and marked live")
    df["live"] = live
    return live


def _add_sic(df: pd.DataFrame, source: str, notes: list[str]) -> None:
    """Add ``sic_code``, ``sic_division``, ``sic_section``, ``dormant`` and ``sic_codes``."""
    n = len(df)
    cols = set(df.columns)
    codes = [_codes(df[c]) for c in SIC_TEXT_COLUMNS if c in cols]
    if SIC_TEXT_COLUMNS[0] in cols:
        sic = _sic_columns(codes[0], df.index)
        first = df[SIC_TEXT_COLUMNS[0]].to_numpy(dtype=object)
        odd = np.array(
            [
                isinstance(t, str)
                and c is None
                and t.strip().casefold() not in ("", "none supplied")
                for t, c in zip(first, codes[0], strict=True)
            ],
            dtype=bool,
        )
        if odd.any():
            notes.append(
                f"{source}: {int(odd.sum())} rows have a first SIC text without a five-digit "
                f"SIC 2007 code (e.g. {first[odd][0]!r}); their sic_code is empty"
            )
    else:
        sic = _sic_columns(np.full(n, None, dtype=object), df.index)
        notes.append(f"{source}: no SICCode.SicText_1 column: sic_code and sic_section are empty")
    for c in sic.columns:
        df[c] = sic[c]
    df["sic_codes"] = pd.Series(
        join_sic_codes(codes) if codes else np.full(n, None, dtype=object),
        index=df.index,
        dtype=object,
    )


def _add_incorporation_date(df: pd.DataFrame, source: str, notes: list[str]) -> None:
    """Add ``incorporation_date`` (``DD/MM/YYYY`` read as a date; unreadable ones are NaT)."""
    if INCORPORATED_COLUMN not in df.columns:
        df["incorporation_date"] = pd.NaT
        return
    df["incorporation_date"] = pd.to_datetime(
        df[INCORPORATED_COLUMN], format="%d/%m/%Y", errors="coerce"
    )
    bad = df[INCORPORATED_COLUMN].notna().to_numpy() & df["incorporation_date"].isna().to_numpy()
    if bad.any():
        notes.append(
            f"{source}: {int(bad.sum())} IncorporationDate values are not DD/MM/YYYY "
            f"(e.g. {df.loc[bad, INCORPORATED_COLUMN].iloc[0]!r}); read as missing"
        )


def _excluded(
    df: pd.DataFrame, excl_pos: np.ndarray, source: str, notes: list[str]
) -> pd.DataFrame:
    """The rejected-rows table of the companies at ``excl_pos`` (not live), with a note."""
    excluded = reject_frame(
        excl_pos,
        df[NUMBER_COLUMN].to_numpy()[excl_pos],
        [
            f"excluded: CompanyStatus={s} (pass include_inactive=True to keep)"
            if isinstance(s, str)
            else "excluded: CompanyStatus is empty (pass include_inactive=True to keep)"
            for s in df["company_status"].to_numpy()[excl_pos]
        ],
    )
    if len(excl_pos):
        counts = df["company_status"].iloc[excl_pos].fillna("(empty)").value_counts()
        listed = ", ".join(f"{k} {v}" for k, v in counts.items())
        notes.append(
            f"{source}: {len(excl_pos)} companies that are not live excluded ({listed}); "
            "pass include_inactive=True to keep them"
        )
    return excluded


def read_companies_house(
    path: str | Path, *, name: str = "firms", include_inactive: bool = False
) -> PointLayer:
    r"""Read a Companies House BasicCompanyData CSV as a point layer of firms.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``BasicCompanyData*.csv`` file (the whole register or one of its parts) or an extract
        with the same columns; at least ``CompanyNumber``, ``RegAddress.PostCode`` and
        ``CompanyStatus`` are needed.
    name : str
        Short layer name, used in output columns (``firms_count``).
    include_inactive : bool
        Keep companies whose status is not live (see :data:`LIVE_STATUSES`); by default they are
        excluded and listed in ``rejected``.

    Returns
    -------
    PointLayer
        Points in EPSG:27700 at postcode centroids. Attributes are the file's columns (header
        spaces stripped) plus ``row``, ``located_by`` and the columns described in the module
        documentation (``company_status``, ``live``, ``sic_code``, ``sic_division``,
        ``sic_section``, ``dormant``, ``sic_codes``, ``incorporation_date``). ``rejected`` holds
        the excluded companies and those whose postcode is empty, unknown or has no grid
        reference, each with its reason; ``n_input`` is the number of rows in the file.

    Raises
    ------
    InputFileError
        When the file is missing, empty or not a CSV table.
    SchemaError
        When required columns are missing (all are named at once).
    EmptyLayerError
        When the file has a header but no rows.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "BasicCompanyData-2026-01-01-part1_7.csv"
    >>> _ = p.write_text(
    ...     'CompanyName, CompanyNumber,RegAddress.PostCode,CompanyStatus,SICCode.SicText_1\n'
    ...     '"A LTD","01234567","CB2 1TN","Active","62012 - Business and domestic software '
    ...     'development"\n"B LTD","07654321","CB2 1TN","Dissolved","None Supplied"\n')
    >>> firms = read_companies_house(p)
    >>> len(firms), firms.attributes["sic_section"].tolist(), firms.rejected["reason"].tolist()
    (1, ['J'], ['excluded: CompanyStatus=Dissolved (pass include_inactive=True to keep)'])
    """
    from .datasets import resolve as _resolve_dataset

    path = Path(_resolve_dataset(path))
    source = str(path)
    df, notes = read_table(path)
    df = _strip_header(df, source)
    cols = set(df.columns)
    required = [NUMBER_COLUMN, POSTCODE_COLUMN] + ([] if include_inactive else [STATUS_COLUMN])
    missing = [c for c in required if c not in cols]
    if missing:
        fix = "check that this is a Companies House BasicCompanyData file"
        if missing == [STATUS_COLUMN]:
            fix = "pass include_inactive=True to keep every row regardless of status"
        raise SchemaError(
            f"{source}: no column {', '.join(repr(c) for c in missing)} (columns are "
            f"{', '.join(map(str, df.columns[:20]))}); {fix}."
        )
    n = len(df)
    if n == 0:
        raise EmptyLayerError(f"{source}: the table has a header but no rows.")

    live = _add_status(df, source, notes)
    _add_sic(df, source, notes)
    _add_incorporation_date(df, source, notes)
    keep = live | include_inactive
    excluded = _excluded(df, np.flatnonzero(~keep), source, notes)

    info = LayerInfo(
        name=name,
        source=source,
        kind="companies_house",
        licence=CH_LICENCE,
        attribution=CH_ATTRIBUTION,
        vintage=companies_house_vintage(path),
        id_field=NUMBER_COLUMN,
    )
    kept_pos = np.flatnonzero(keep)
    layer = points_from_frame(
        df.iloc[kept_pos].reset_index(drop=True),
        name=name,
        source=source,
        postcode=POSTCODE_COLUMN,
        id_field=NUMBER_COLUMN,
        info=info,
        notes=notes,
    )
    # points_from_frame numbers rows within the frame it was given: map back to file rows.
    # (Its frames are fresh and the intermediate layer is discarded, so no copies are made.)
    attrs = layer.attributes
    attrs["row"] = kept_pos[attrs["row"].to_numpy(dtype="int64")]
    placed_rej = layer.rejected
    placed_rej["row"] = kept_pos[placed_rej["row"].to_numpy(dtype="int64")]
    parts = [f for f in (excluded, placed_rej) if len(f)]
    if parts:
        rejected = pd.concat(parts, ignore_index=True).sort_values("row", kind="stable")
        rejected = rejected.reset_index(drop=True)
    else:
        rejected = placed_rej
    return replace(layer, attributes=attrs, rejected=rejected, n_input=n)
