r"""Sectors of firms: the SIC 2007 hierarchy, Companies House's own codes and named groupings.

A firm's SIC 2007 code (``"62012"``, ``"62012 - Business and domestic software development"``,
``"62.01/2"`` or a four-digit class ``"6201"``) is parsed into its **section** (``J``),
**division** (``62``), **group** (``620``), **class** (``6201``) and **subclass** (``62012``).
Codes that are not SIC 2007 activities are kept, never dropped, and given a reason:

* Companies House's own codes (:data:`COMPANIES_HOUSE_CODES`): ``98000`` residents' property
  management, ``74990`` non-trading company, ``99999`` dormant company;
* a missing code (empty, ``"None"``, ``"None Supplied"``: LLPs and overseas companies file
  none);
* a number that is not in SIC 2007.

Data shipped with the package (``geodistrict/data/sectors/``)
---------------------------------------------------------------
``sic2007.csv``
    The UK SIC 2007 hierarchy with names: 21 sections, 88 divisions, 272 groups, 615 classes
    and 728 subclasses. Sections to classes are identical to NACE Rev. 2 (Eurostat); the
    five-digit subclasses are those of ONS's UK SIC 2007 as listed in Companies House's
    condensed list of SIC codes. Source: Office for National Statistics, "UK Standard
    Industrial Classification of Economic Activities 2007 (SIC 2007)", and Companies House,
    "Nature of business: Standard Industrial Classification (SIC) codes"; Open Government
    Licence v3.0.
``groupings.yaml``
    Named groupings with their published sources: Eurostat's high-technology manufacturing
    and knowledge-intensive services aggregations (NACE Rev. 2 at 2-digit, identical to SIC
    2007 divisions), the DCMS creative industries and digital sector (SIC 2007 classes) and
    SIC proxies for Local Industrial Strategy sectors (life sciences, advanced manufacturing).
    Each grouping lists its ``source``, ``url`` and ``licence``; :func:`load_groupings` reads
    them, and a user YAML file of the same shape adds more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputFileError, ParameterError, SchemaError

__all__ = [
    "COMPANIES_HOUSE_CODES",
    "LEVELS",
    "SECTOR_COLUMNS",
    "Grouping",
    "classify_sic",
    "data_dir",
    "grouping_of",
    "load_groupings",
    "sector_accounting",
    "sector_labels",
    "sic2007",
]

#: The levels of the SIC 2007 hierarchy, coarsest first.
LEVELS = ("section", "division", "group", "class", "subclass")

#: Columns added by :func:`classify_sic`.
SECTOR_COLUMNS = (
    "sic_code",
    "sic_section",
    "sic_division",
    "sic_group",
    "sic_class",
    "sic_subclass",
    "sic_status",
    "sic_reason",
)

#: Companies House's own codes, which are not SIC 2007 activities, with their meaning.
COMPANIES_HOUSE_CODES: Mapping[str, str] = {
    "74990": "non-trading company",
    "98000": "residents' property management",
    "99999": "dormant company",
}

_MISSING_TEXTS = frozenset({"", "none", "none supplied", "na", "n/a", "nan", "null", "-"})
# a code at the start of the text: 5 digits, 4 digits, or the dotted forms 62.01 / 62.01/2
_CODE_RE = re.compile(r"^\s*(\d{2})\.?(\d{2})(?:/?(\d))?(?!\d)")


def data_dir() -> Path:
    """Folder of the sector data shipped with the package (``geodistrict/data/sectors``)."""
    return Path(__file__).resolve().parent / "data" / "sectors"


@cache
def sic2007() -> pd.DataFrame:
    """The UK SIC 2007 hierarchy shipped with the package.

    Returns
    -------
    pandas.DataFrame
        One row per code with ``code`` (``"C"``, ``"62"``, ``"620"``, ``"6201"``,
        ``"62012"``), ``level`` (one of :data:`LEVELS`), ``section`` and ``name``; 1,724 rows.
        Companies House's own codes (:data:`COMPANIES_HOUSE_CODES`) are not in it.

    Examples
    --------
    >>> t = sic2007()
    >>> t["level"].value_counts().reindex(list(LEVELS)).tolist()
    [21, 88, 272, 615, 728]
    >>> t.set_index("code").loc["62012", "name"]
    'Business and domestic software development'
    """
    t = pd.read_csv(data_dir() / "sic2007.csv", dtype=str, keep_default_na=False)
    t.attrs["source"] = "ONS UK SIC 2007 (Companies House condensed list), OGL v3.0"
    return t


@cache
def _names() -> dict[str, str]:
    t = sic2007()
    return dict(zip(t["code"], t["name"], strict=True))


@cache
def _subclasses() -> tuple[frozenset[str], frozenset[str], dict[str, str]]:
    t = sic2007()
    sub = frozenset(t.loc[t["level"] == "subclass", "code"])
    cls = frozenset(t.loc[t["level"] == "class", "code"])
    div_section = dict(
        zip(
            t.loc[t["level"] == "division", "code"],
            t.loc[t["level"] == "division", "section"],
            strict=True,
        )
    )
    return sub, cls, div_section


def sector_labels(level: str) -> dict[str, str]:
    """Code → name of every SIC 2007 code of one level (``"section"`` ... ``"subclass"``).

    Examples
    --------
    >>> sector_labels("section")["C"]
    'Manufacturing'
    """
    _check_level(level)
    t = sic2007()
    t = t.loc[t["level"] == level]
    return dict(zip(t["code"], t["name"], strict=True))


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ParameterError(
            f"level={level!r} is not a SIC 2007 level; use one of {', '.join(LEVELS)} or the "
            "name of a grouping."
        )


def _parse_one(value: object) -> tuple[str | None, str, str | None]:
    """(code, status, reason) of one value; code is 4 or 5 digits when recognised."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None, "missing", "no SIC code"
    if isinstance(value, int | np.integer) or (isinstance(value, float) and value.is_integer()):
        text = f"{int(value):05d}"  # a code read as a number lost its leading zero (01110)
    else:
        text = str(value).strip()
    if text.casefold() in _MISSING_TEXTS or text.casefold().startswith("none"):
        return None, "missing", "no SIC code"
    m = _CODE_RE.match(text)
    if not m:
        return None, "unreadable", f"not a SIC 2007 code: {text[:40]!r}"
    code = m.group(1) + m.group(2) + (m.group(3) or "")
    if code in COMPANIES_HOUSE_CODES:
        return (
            code,
            "companies_house",
            f"Companies House code {code} ({COMPANIES_HOUSE_CODES[code]}), not a SIC 2007 activity",
        )
    sub, cls, _ = _subclasses()
    if (len(code) == 5 and code in sub) or (len(code) == 4 and code in cls):
        return code, "sic2007", None
    return code, "unknown", f"{code} is not a SIC 2007 code"


def classify_sic(values: Sequence[object] | pd.Series) -> pd.DataFrame:
    """Parse SIC codes into the SIC 2007 hierarchy, with a status and reason for every code.

    Parameters
    ----------
    values : sequence or pandas.Series
        One code per firm: ``"62012"``, ``62012`` (a number), ``"62012 - Business and
        domestic software development"`` (Companies House's text), ``"62.01/2"``, a class
        ``"6201"``; missing values, ``"None"`` and ``"None Supplied"`` are allowed.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values`` (a Series) or 0..n-1, with the columns of
        :data:`SECTOR_COLUMNS`: ``sic_code`` (the code read, or ``None``), ``sic_section``,
        ``sic_division``, ``sic_group``, ``sic_class``, ``sic_subclass`` (``None`` unless
        the code is SIC 2007; ``sic_subclass`` also when only a class was given),
        ``sic_status`` (``"sic2007"``, ``"companies_house"``, ``"missing"``, ``"unknown"``
        or ``"unreadable"``) and ``sic_reason`` (why a firm has no section, else ``None``).

    Examples
    --------
    >>> t = classify_sic(["62012", "98000 - Residents property management", "None ", "6201"])
    >>> t[["sic_section", "sic_division", "sic_group", "sic_class", "sic_status"]]
      sic_section sic_division sic_group sic_class       sic_status
    0           J           62       620      6201          sic2007
    1        None         None      None      None  companies_house
    2        None         None      None      None          missing
    3           J           62       620      6201          sic2007
    >>> t.loc[1, "sic_reason"]
    "Companies House code 98000 (residents' property management), not a SIC 2007 activity"
    """
    index = values.index if isinstance(values, pd.Series) else pd.RangeIndex(len(values))
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    # parse each distinct value once (5 M firms share about 1,000 codes); the columns are then
    # taken from the per-value rows, so firms share their strings instead of copying them
    keys, uniques = pd.factorize(series, use_na_sentinel=True)
    _, _, div_section = _subclasses()
    rows = [_hierarchy_row(_parse_one(u), div_section) for u in uniques]
    rows.append(_hierarchy_row(_parse_one(None), div_section))  # key -1: a missing value
    table = {n: np.array([r[i] for r in rows], dtype=object) for i, n in enumerate(SECTOR_COLUMNS)}
    # object columns keep None for "no value" (pandas 3 would infer str and NaN)
    return pd.DataFrame(
        {n: pd.Series(table[n][keys], index=index, dtype=object) for n in SECTOR_COLUMNS}
    )


def _hierarchy_row(
    parsed: tuple[str | None, str, str | None], div_section: Mapping[str, str]
) -> tuple[Any, ...]:
    """(code, section, division, group, class, subclass, status, reason) of one parsed code."""
    code, status, reason = parsed
    if status != "sic2007" or code is None:
        return (code, None, None, None, None, None, status, reason)
    sub = code if len(code) == 5 else None
    return (code, div_section[code[:2]], code[:2], code[:3], code[:4], sub, status, reason)


def sector_accounting(classified: pd.DataFrame) -> dict[str, Any]:
    """Count firms with and without a SIC 2007 section, by reason.

    Parameters
    ----------
    classified : pandas.DataFrame
        Output of :func:`classify_sic` (or a layer's attributes holding its columns).

    Returns
    -------
    dict
        ``input`` (rows), ``with_section``, ``without_section`` and ``reasons`` (reason →
        count, most frequent first), with ``input == with_section + without_section``.

    Examples
    --------
    >>> sector_accounting(classify_sic(["62012", "98000", "98000", None]))["reasons"]
    {"Companies House code 98000 (residents' property management), not a SIC 2007 activity": 2, 'no SIC code': 1}
    """  # noqa: E501
    _require_columns(classified, ("sic_section", "sic_reason"), "the firm table")
    has = classified["sic_section"].notna()
    reasons = classified.loc[~has, "sic_reason"].fillna("no SIC code").value_counts()
    return {
        "input": int(len(classified)),
        "with_section": int(has.sum()),
        "without_section": int((~has).sum()),
        "reasons": {str(k): int(v) for k, v in reasons.items()},
    }


def _require_columns(frame: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{what} has no column(s) {', '.join(map(repr, missing))}; classify its SIC codes "
            "first with geodistrict.sectors.classify_sic or read it with read_firms."
        )


# --------------------------------------------------------------------------------------------
# groupings


@dataclass(frozen=True)
class Grouping:
    """A named grouping of SIC 2007 codes into sector groups.

    Attributes
    ----------
    name : str
        Key of the grouping (``"eurostat_technology"``), used as ``--level``.
    title, source, url, licence : str
        As published (``source`` cites the definition followed).
    groups : dict
        Group key → tuple of SIC codes or prefixes (section letters or 2-5 digits).
    titles : dict
        Group key → title; the ``other`` group included.
    other : str
        The group of firms with a SIC 2007 code in none of ``groups``.
    """

    name: str
    title: str
    source: str
    url: str | None
    licence: str | None
    groups: Mapping[str, tuple[str, ...]]
    titles: Mapping[str, str]
    other: str = "other"
    origin: str = "package"
    _prefixes: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)

    def assign(self, classified: pd.DataFrame) -> pd.Series:
        """Group of every firm (``None`` for firms without a SIC 2007 section).

        Parameters
        ----------
        classified : pandas.DataFrame
            Output of :func:`classify_sic` (columns ``sic_section`` and ``sic_class`` /
            ``sic_subclass``).

        Returns
        -------
        pandas.Series
            Group keys indexed like ``classified``, named after the grouping.
        """
        _require_columns(classified, ("sic_section", "sic_class"), "the firm table")
        cls = classified["sic_class"]
        sub = classified["sic_subclass"] if "sic_subclass" in classified else cls
        code = sub.where(sub.notna(), cls).where(classified["sic_section"].notna())
        # one decision per distinct code (about 1,000 among 5 M firms)
        keys, uniques = pd.factorize(code.astype(object), use_na_sentinel=True)
        groups = [self._group_of(_section_of(str(u)), str(u)) for u in uniques]
        table = np.array([*groups, None], dtype=object)  # key -1: no SIC 2007 section
        return pd.Series(table[keys], index=classified.index, dtype=object, name=self.name)

    def _group_of(self, section: Any, code: Any) -> str | None:
        if not isinstance(section, str):
            return None
        for prefix, group in self._prefixes:
            if prefix.isalpha():
                if section == prefix:
                    return group
            elif isinstance(code, str) and code.startswith(prefix):
                return group
        return self.other

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON reports."""
        return {
            "name": self.name,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "licence": self.licence,
            "other": self.other,
            "groups": {k: list(v) for k, v in self.groups.items()},
        }


def _build_grouping(name: str, raw: Any, where: str, problems: list[str]) -> Grouping | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: grouping {name!r} is not a mapping with title/source/groups")
        return None
    groups_raw = raw.get("groups")
    if not isinstance(groups_raw, Mapping) or not groups_raw:
        problems.append(f"{where}: grouping {name!r} has no 'groups' mapping")
        return None
    for key in ("title", "source"):
        if not raw.get(key):
            problems.append(f"{where}: grouping {name!r} has no {key!r} (cite the definition)")
    groups: dict[str, tuple[str, ...]] = {}
    titles: dict[str, str] = {}
    prefixes: list[tuple[str, str]] = []
    names = _names()
    for g, spec in groups_raw.items():
        codes = spec.get("codes") if isinstance(spec, Mapping) else spec
        if not isinstance(codes, list) or not codes:
            problems.append(f"{where}: {name}.{g} has no list of codes")
            continue
        clean = []
        for c in codes:
            c = str(c).strip().replace(".", "")
            if c not in names:
                problems.append(f"{where}: {name}.{g}: {c!r} is not a SIC 2007 code")
                continue
            clean.append(c)
            prefixes.append((c, str(g)))
        groups[str(g)] = tuple(clean)
        titles[str(g)] = str(spec.get("title", g)) if isinstance(spec, Mapping) else str(g)
    # overlap check: a code that is a prefix of another group's code
    seen = sorted(prefixes, key=lambda p: len(p[0]))
    for i, (a, ga) in enumerate(seen):
        for b, gb in seen[i + 1 :]:
            if ga != gb and (b.startswith(a) or (a.isalpha() and _section_of(b) == a)):
                problems.append(
                    f"{where}: {name}: {b!r} of group {gb!r} is inside {a!r} of group {ga!r}; "
                    "the groups of one grouping must not overlap"
                )
    other = str(raw.get("other", "other"))
    titles[other] = str(raw.get("other_title", "Other sectors"))
    # longest prefix first, so that a class listed in a group wins over nothing else
    prefixes.sort(key=lambda p: -len(p[0]))
    return Grouping(
        name=str(name),
        title=str(raw.get("title", name)),
        source=" ".join(str(raw.get("source", "")).split()),
        url=raw.get("url"),
        licence=raw.get("licence"),
        groups=groups,
        titles=titles,
        other=other,
        origin=where,
        _prefixes=tuple(prefixes),
    )


def _section_of(code: str) -> str | None:
    if code.isalpha():
        return code
    return _subclasses()[2].get(code[:2])


def _read_yaml(path: Path) -> Any:
    import yaml

    from ._yaml import safe_load

    if not path.exists():
        raise InputFileError(f"{path}: file not found; give a YAML file of sector groupings.")
    try:
        return safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SchemaError(f"{path}: not valid YAML ({exc}); fix the file.") from None


def load_groupings(path: str | Path | None = None) -> dict[str, Grouping]:
    """The shipped sector groupings, plus (or replaced by) those of a user YAML file.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file with a top-level ``groupings:`` mapping, each grouping with ``title``,
        ``source`` (the definition it follows), optional ``url``/``licence``/``other`` and
        ``groups: {key: {title: ..., codes: [...]}}``. Codes are SIC 2007 section letters or
        2-5 digit codes; a firm belongs to a group when its code starts with one of them.

    Returns
    -------
    dict
        Name → :class:`Grouping`, the shipped ones first.

    Raises
    ------
    SchemaError
        Listing every problem of the file at once (a code that is not SIC 2007, overlapping
        groups, a missing source ...).

    Examples
    --------
    >>> g = load_groupings()
    >>> sorted(g)[:3]
    ['dcms_creative', 'dcms_digital', 'eurostat_kis']
    >>> sum(len(v) for v in g["dcms_creative"].groups.values())
    31
    """
    out = dict(_shipped())
    if path is not None:
        path = Path(path)
        out.update(_groupings_from(_read_yaml(path), str(path)))
    return out


@cache
def _shipped() -> tuple[tuple[str, Grouping], ...]:
    f = data_dir() / "groupings.yaml"
    return tuple(_groupings_from(_read_yaml(f), "geodistrict sector groupings").items())


def _groupings_from(raw: Any, where: str) -> dict[str, Grouping]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("groupings"), Mapping):
        raise SchemaError(
            f"{where}: no top-level 'groupings:' mapping; write groupings: {{NAME: {{title: ..., "
            "source: ..., groups: {GROUP: {codes: [...]}}}}}}."
        )
    problems: list[str] = []
    out = {}
    for name, spec in raw["groupings"].items():
        g = _build_grouping(str(name), spec, where, problems)
        if g is not None:
            out[str(name)] = g
    if problems:
        raise SchemaError("; ".join(problems) + ". Fix these entries and read the file again.")
    return out


def grouping_of(level: str, groupings: Mapping[str, Grouping] | None = None) -> Grouping | None:
    """The grouping named ``level``, ``None`` for a SIC level; unknown names list the choices."""
    if level in LEVELS:
        return None
    groupings = load_groupings() if groupings is None else groupings
    if level in groupings:
        return groupings[level]
    raise ParameterError(
        f"--level {level!r} is neither a SIC 2007 level ({', '.join(LEVELS)}) nor a grouping "
        f"({', '.join(groupings)}); add it with a groupings YAML file (--groups)."
    )
