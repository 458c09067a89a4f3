"""Nomis table downloads (UK Business Counts, Annual Population Survey ...) as tidy tables.

A Nomis download (Excel or CSV) stacks one *block* per combination of the dimensions that were
not placed on the rows or columns, for example one block per year, or per year and industry::

    UK Business Counts - enterprises by industry and employment size band      <- title
    ONS Crown Copyright Reserved [from Nomis on 24 April 2023]                 <- copyright
                                                                               <- blank
    date          | 2018                                                       <- dimension rows
    industry      | Total
    legal status  | Total
                                                                               <- blank
    Area            | Total   | Micro (0 to 9) | ...                           <- header
    country:England | 2318060 | 2073890        | ...                           <- data rows
    ladu:Cambridge  | ...
                                                                               <- blank
    All figures are rounded to avoid disclosure. ...                           <- footnotes

Annual Population Survey tables have a two-row header: the first row names each variable
(``T13a:1 (A Agricuture & fishing (SIC 2007) : All people )``) over three columns and the second
names the columns ``number | Flags | conf``.

Blocks are found by scanning for the header rows whose first cell is ``Area``; the dimension
rows above each header name the block. Nothing depends on cell positions, so downloads with
other dimensions, geographies or columns read the same way.

Missing values
--------------
Nomis marks cells it cannot publish instead of giving a number: ``*`` (estimate unreliable),
``!`` (sample size zero or disclosive), ``~`` (estimate less than 500), ``-`` (missing), and in
other tables ``..`` or ``x``. Such a cell is kept as a missing value (``NaN``, never 0) and its
marker is kept in ``flag``; :attr:`NomisTable.n_suppressed` counts them. A footnote row that
starts with a symbol and a space (``"# Sample size too small"``) adds that symbol to the
markers recognised in the file. Any other text in a value cell is an error that names its row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputFileError, MissingDependencyError, SchemaError

__all__ = ["NOMIS_MARKERS", "NomisTable", "read_nomis"]

#: Cell markers Nomis writes in place of a value it does not publish.
NOMIS_MARKERS = frozenset({"*", "!", "-", "~", "..", "x", "#"})

_HEADER = "area"
_VALUE_SUBS = {"number", "value", "percent", "rate", "count"}
_FLAG_SUBS = {"flags", "flag"}
_CONF_SUBS = {"conf", "confidence"}
_BASE_COLUMNS = ("geography_type", "area", "block", "year", "variable", "value", "flag", "conf")
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")
_FOOTNOTE_MARKER = re.compile(r"^([^\w\s]{1,2})\s+\S")
_AREA_CELL = re.compile(r"^[A-Za-z][A-Za-z ]{0,40}:")
_MAX_LISTED = 10  # problems shown in one message
_MAX_CHOICES = 30  # choices listed when a selection is ambiguous or empty

Cell = Any  # str, int, float, datetime or None


@dataclass(frozen=True, eq=False, repr=False)
class NomisTable:
    """A Nomis download read into one tidy table.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per area, block and variable, in file order, with columns

        ``geography_type``
            The Nomis geography type before the first colon of the area cell: ``"ladu"``,
            ``"lep"``, ``"country"``, ``"User Defined Geography"`` ... (``None`` when the cell
            has no colon).
        ``area``
            The area label after the first colon, without surrounding spaces
            (``"Bristol, City of"``).
        ``block``
            The block's number, 1 for the first block in the file.
        one column per dimension row, named in snake_case
            ``date``, ``industry``, ``legal_status``, ``confidence`` ... as text (``"2018"``,
            ``"Jan 2018-Dec 2018"``); ``None`` for a block without that dimension.
        ``year``
            The (end) year of ``date``: ``"2018"`` gives 2018, ``"Jan 2018-Dec 2018"`` gives
            2018 and ``"Apr 2021-Mar 2022"`` gives 2022.
        ``variable``
            The column header (``"Total"``, ``"Micro (0 to 9)"``, or the APS variable name).
        ``value``
            The number, or ``NaN`` when Nomis suppressed or left out the cell.
        ``flag``
            The marker (``"*"``, ``"!"``, ``"~"``, ``"-"`` ...) of a suppressed cell, or the
            content of the APS ``Flags`` column, or, when the estimate is a number, the
            marker in its APS ``conf`` cell (``"*"``: estimate and interval unreliable);
            ``None`` otherwise.
        ``conf``
            Only for tables with ``conf`` columns (APS): the half-width of the confidence
            interval, ``NaN`` when suppressed.
        ``row``
            The 1-based row (Excel) or line (CSV) of the value in the file.
    source : str
        The file read (and sheet, for a workbook).
    title : str
        The title row of the first block.
    footnotes : tuple of str
        Each footnote row once, in order of first appearance.
    n_suppressed : int
        Value cells kept as missing (a marker or an empty cell), never replaced by 0.
    dimensions : tuple of str
        Names of the dimension columns in ``data``.
    """

    data: pd.DataFrame
    source: str
    title: str
    footnotes: tuple[str, ...]
    n_suppressed: int
    dimensions: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        n_blocks = int(self.data["block"].nunique()) if len(self.data) else 0
        return (
            f"NomisTable({self.title!r}, source={self.source!r}, rows={len(self.data)}, "
            f"blocks={n_blocks}, dimensions={self.dimensions}, n_suppressed={self.n_suppressed})"
        )

    def select(
        self,
        *,
        geography_type: str | Iterable[str] | None = None,
        year: int | Iterable[int] | None = None,
        variable: str | Iterable[str] | None = None,
        **dims: Any,
    ) -> pd.DataFrame:
        """Rows matching every filter given.

        Parameters
        ----------
        geography_type, year, variable
            A value or a list of values to keep; ``None`` keeps all.
        **dims
            Filters on the other columns of :attr:`data`, by name: ``industry="Total"``,
            ``date="Jan 2022-Dec 2022"``, ``area=["Cambridge", "Oxford"]``, ``block=3``.

        Returns
        -------
        pandas.DataFrame
            A copy of the matching rows of :attr:`data`, with a fresh index.

        Raises
        ------
        SchemaError
            When a keyword names no column of :attr:`data`.

        Examples
        --------
        >>> import pandas as pd
        >>> t = NomisTable(
        ...     data=pd.DataFrame({"geography_type": ["lep", "ladu"], "area": ["A", "B"],
        ...                        "year": [2022, 2022], "variable": ["Total", "Total"],
        ...                        "value": [5.0, 7.0]}),
        ...     source="x.csv", title="t", footnotes=(), n_suppressed=0)
        >>> t.select(geography_type="ladu")["area"].tolist()
        ['B']
        """
        filters: dict[str, Any] = dict(dims)
        if geography_type is not None:
            filters["geography_type"] = geography_type
        if year is not None:
            filters["year"] = year
        if variable is not None:
            filters["variable"] = variable
        unknown = [k for k in filters if k not in self.data.columns]
        if unknown:
            raise SchemaError(
                f"{self.source}: no column {', '.join(map(repr, unknown))} to select on; "
                f"the columns are {', '.join(map(str, self.data.columns))}."
            )
        keep = np.ones(len(self.data), dtype=bool)
        for name, wanted in filters.items():
            col = self.data[name]
            values = _as_list(wanted)
            if name == "year":
                values = [_as_year(v, source=self.source) for v in values]
            keep &= col.isin(values).to_numpy()
        return self.data.loc[keep].reset_index(drop=True)

    def wide(
        self,
        *,
        geography_type: str,
        year: int | None = None,
        variable: str = "Total",
        **dims: Any,
    ) -> pd.Series:
        """One value per area for a single year, variable and choice of every dimension.

        Parameters
        ----------
        geography_type : str
            ``"lep"``, ``"ladu"``, ``"country"`` ...
        year : int, optional
            Needed when the selection spans several years.
        variable : str
            The column header: ``"Total"`` (the default), ``"Micro (0 to 9)"``, an APS
            variable name.
        **dims
            Values of the other dimensions, e.g. ``industry="Total"``; needed for each
            dimension that takes several values in the selection.

        Returns
        -------
        pandas.Series
            Float values indexed by area label (``area``), in file order, named after
            ``variable``. Suppressed cells are ``NaN``.

        Raises
        ------
        SchemaError
            When nothing matches, when a dimension still takes several values (the message
            lists them), or when an area appears twice with different values. Rows repeated
            with the same value (Nomis repeats some) are kept once.
        """
        sel = self.select(geography_type=geography_type, year=year, variable=variable, **dims)
        asked = {"geography_type": geography_type, "variable": variable, **dims}
        if year is not None:
            asked["year"] = year
        what = ", ".join(f"{k}={v!r}" for k, v in asked.items())
        if sel.empty:
            raise SchemaError(f"{self.source}: no rows for {what}; {self._choices_hint(asked)}")
        problems: list[str] = []
        ambiguous: list[str] = []
        for name in ("year", *self.dimensions):
            if name not in sel.columns or name in asked:
                continue
            if name == "date" and "year" in ambiguous:
                continue  # choosing the year chooses the date
            values = list(dict.fromkeys(sel[name].tolist()))
            if len(values) > 1:
                ambiguous.append(name)
                problems.append(f"{name} takes {len(values)} values ({_listing(values)})")
        if problems:
            first = ambiguous[0]
            example = _plain(sel[first].iloc[0])
            raise SchemaError(
                f"{self.source}: the selection {what} is ambiguous: {'; '.join(problems)}. "
                f"Choose one, e.g. wide(..., {first}={example!r})."
            )
        pairs = sel[["area", "value"]].drop_duplicates()
        clash = pairs["area"][pairs["area"].duplicated()].unique()
        if len(clash):
            shown = []
            for area in clash[:_MAX_LISTED]:
                rows = sel.loc[sel["area"] == area]
                where = rows["row"] if "row" in rows else pd.Series("?", index=rows.index)
                vals = ", ".join(
                    f"{v:g} (row {r})" for v, r in zip(rows["value"], where, strict=True)
                )
                shown.append(f"{area!r}: {vals}")
            raise SchemaError(
                f"{self.source}: {len(clash)} area(s) have different values for {what}: "
                f"{'; '.join(shown)}. Select a block (block=...) or check the download."
            )
        out = pd.Series(
            pairs["value"].to_numpy(dtype=float),
            index=pd.Index(pairs["area"].to_numpy(), name="area"),
            name=variable,
        )
        return out

    def _choices_hint(self, asked: dict[str, Any]) -> str:
        hints = []
        for name in ("geography_type", "year", "variable", *self.dimensions):
            if name in asked and name in self.data:
                values = list(dict.fromkeys(self.data[name].tolist()))
                if not self.data[name].isin(_as_list(asked[name])).any():
                    hints.append(f"{name} is one of {_listing(values)}")
        return ("; ".join(hints) or "no row matches all of them together") + "."


def _listing(values: Sequence[Any]) -> str:
    listed = ", ".join(repr(_plain(v)) for v in values[:_MAX_CHOICES])
    more = f" and {len(values) - _MAX_CHOICES} more" if len(values) > _MAX_CHOICES else ""
    return listed + more


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _as_list(v: Any) -> list[Any]:
    if isinstance(v, str | bytes) or not isinstance(v, Iterable):
        return [v]
    return list(v)


def _as_year(v: Any, *, source: str) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        raise SchemaError(
            f"{source}: year={v!r} is not a year; pass an integer such as 2022."
        ) from None


# --------------------------------------------------------------------------------------------
# reading cells


def _clean(v: Cell) -> Cell:
    if v is None:
        return None
    if isinstance(v, str):
        v = v.strip()
        return v or None
    if isinstance(v, float) and np.isnan(v):
        return None
    return v


def _read_xlsx(path: Path, sheet: str | int | None) -> tuple[list[list[Cell]], str, str | None]:
    """The rows and title of one sheet: ``sheet``, else the first sheet holding a Nomis table.

    A workbook whose first sheet is not the table (a notes or cover sheet added before it) is
    read from the first sheet that has Nomis's header row, and the third value names the
    sheet skipped; when no sheet has one the error names the file and every sheet.
    """
    if sheet is not None:
        return (*_read_xlsx_sheet(path, sheet), None)
    rows, title, names = _read_xlsx_sheet(path, 0, with_names=True)
    if len(names) == 1 or _has_header(rows):
        return rows, title, None
    for k in range(1, len(names)):
        other, other_title = _read_xlsx_sheet(path, k)
        if _has_header(other):
            return other, other_title, title
    raise SchemaError(
        f"{path}: no sheet holds a Nomis table (a header row whose first cell is 'Area'); the "
        f"sheets are {', '.join(map(repr, names))}; download the table from Nomis again as "
        "Excel or CSV with the areas on the rows."
    )


def _has_header(rows: list[list[Cell]]) -> bool:
    return any(r and isinstance(r[0], str) and r[0].lower() == _HEADER and _width(r) > 1
               for r in rows)  # fmt: skip


def _read_xlsx_sheet(path: Path, sheet: str | int, *, with_names: bool = False) -> Any:
    from .xlsx import SheetNotFound, read_sheet_rows, sheet_names

    try:
        names = sheet_names(path) if with_names else None
        raw, title = read_sheet_rows(path, sheet)
    except SheetNotFound as exc:
        raise InputFileError(f"{path}: {exc}") from None
    except ImportError as exc:  # pragma: no cover - openpyxl is a core dependency
        raise MissingDependencyError(
            f"{path}: reading Excel needs openpyxl; pip install openpyxl (or download the CSV)."
        ) from exc
    except Exception as exc:
        raise InputFileError(
            f"{path}: not a readable Excel workbook ({type(exc).__name__}: {exc}); download "
            "the table from Nomis again as Excel (.xlsx) or CSV."
        ) from exc
    rows = [[_clean(v) for v in r] for r in raw]
    return (rows, title, names) if with_names else (rows, title)


def _read_csv(path: Path) -> list[list[Cell]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    try:
        return [[_clean(v) for v in r] for r in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise InputFileError(
            f"{path}: not a well-formed CSV file ({exc}); download the table from Nomis again."
        ) from exc


def _width(row: Sequence[Cell]) -> int:
    """Index after the last non-empty cell (0 for a blank row)."""
    for j in range(len(row) - 1, -1, -1):
        if row[j] is not None:
            return j + 1
    return 0


def _text(v: Cell) -> str:
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _snake(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "dimension"


def _year_of(v: Cell) -> int | None:
    """End year of a Nomis date: 2018, "2018", "Jan 2018-Dec 2018", "2021/22", "March 2022"."""
    if v is None:
        return None
    if isinstance(v, datetime | date):
        return v.year
    if isinstance(v, int | float) and not isinstance(v, bool):
        return int(v) if float(v).is_integer() and 1000 <= v <= 9999 else None
    s = str(v)
    m = re.fullmatch(r"\s*((?:19|20)\d\d)\s*[/-]\s*(\d\d)\s*", s)
    if m:  # financial/academic year "2021/22" or "2021-22"
        return int(m.group(1)[:2] + m.group(2))
    years = re.findall(r"(?<!\d)(\d{4})(?!\d)", s)
    return int(years[-1]) if years else None


@dataclass
class _Block:
    header: int  # index of the "Area" row
    sub: bool  # two-row header
    first_data: int
    end: int  # index after the last data row
    dims: dict[str, Cell]
    title: str | None
    start: int  # index of the block's first row (title, dimension rows or header)


def _is_data_row(row: Sequence[Cell]) -> bool:
    """A row under the header: not blank, not another header, not a lone footnote."""
    w = _width(row)
    if w == 0 or (isinstance(row[0], str) and row[0].lower() == _HEADER):
        return False
    return w > 1 or (isinstance(row[0], str) and _AREA_CELL.match(row[0]) is not None)


def _is_dim_row(row: Sequence[Cell]) -> bool:
    return _width(row) == 2 and isinstance(row[0], str) and row[1] is not None


def _find_blocks(rows: list[list[Cell]], source: str) -> list[_Block]:
    headers = [
        i
        for i, r in enumerate(rows)
        if r and isinstance(r[0], str) and r[0].lower() == _HEADER and _width(r) > 1
    ]
    if not headers:
        raise SchemaError(
            f"{source}: not a Nomis table download: no header row whose first cell is 'Area' "
            "was found. Expected Nomis's stacked layout (a title row, dimension rows such as "
            "'date | 2018', then a header row 'Area | Total | ...' followed by rows like "
            "'ladu:Cambridge | 1234'); download the table from Nomis again as Excel or CSV "
            "with the areas on the rows."
        )
    blocks: list[_Block] = []
    prev_end = 0
    for h in headers:
        # two-row header: the next row has an empty first cell and labels after it
        nxt = rows[h + 1] if h + 1 < len(rows) else []
        sub = bool(nxt) and nxt[0] is None and _width(nxt) > 1
        first = h + 2 if sub else h + 1
        end = first
        while end < len(rows) and _is_data_row(rows[end]):
            end += 1
        if end == first:
            raise SchemaError(
                f"{source}: the header row {h + 1} ('Area ...') has no data rows below it; "
                "download the table again with the areas on the rows."
            )
        # dimension rows above the header, then the title run above them
        i = h - 1
        while i >= prev_end and _width(rows[i]) == 0:
            i -= 1
        start = h
        found: list[tuple[str, Cell]] = []
        while i >= prev_end and _is_dim_row(rows[i]):
            found.append((str(rows[i][0]), rows[i][1]))
            start = i
            i -= 1
        dims = dict(reversed(found))
        while i >= prev_end and _width(rows[i]) == 0:
            i -= 1
        run_end = i
        while i >= prev_end and _width(rows[i]) == 1:
            i -= 1
        run = list(range(i + 1, run_end + 1))
        title = None
        if run:
            # the title sits just above Nomis's copyright row; rows above it are footnotes
            texts = [_text(rows[k][0]) for k in run]
            cp = next((n for n, t in enumerate(texts) if "copyright" in t.lower()), None)
            n = cp - 1 if cp else 0
            title, start = texts[n], run[n]
        blocks.append(_Block(h, sub, first, end, dims, title, start))
        prev_end = end
    return blocks


def _footnotes(rows: list[list[Cell]], blocks: list[_Block]) -> list[str]:
    notes: list[str] = []
    for b, nxt in zip(blocks, [*blocks[1:], None], strict=True):
        stop = nxt.start if nxt is not None else len(rows)
        for k in range(b.end, stop):
            r = rows[k]
            if _width(r) == 0:
                continue
            text = " ".join(_text(v) for v in r if v is not None)
            if text not in notes:
                notes.append(text)
    return notes


def _columns(
    rows: list[list[Cell]], b: _Block, source: str
) -> list[tuple[str, int, int | None, int | None]]:
    """(variable, value column, flags column, conf column) for a block."""
    head = rows[b.header]
    width = max(_width(head), _width(rows[b.header + 1]) if b.sub else 0)
    if not b.sub:
        return [
            (_text(head[j]), j, None, None)
            for j in range(1, width)
            if j < len(head) and head[j] is not None
        ]
    subs = rows[b.header + 1]
    groups: dict[str, dict[str, list[int]]] = {}
    current: str | None = None
    for j in range(1, width):
        if j < len(head) and head[j] is not None:
            current = _text(head[j])
        s = _text(subs[j]).lower() if j < len(subs) and subs[j] is not None else ""
        if current is None or not s:
            continue
        g = groups.setdefault(current, {"value": [], "flag": [], "conf": [], "other": []})
        if s in _FLAG_SUBS:
            g["flag"].append(j)
        elif s in _CONF_SUBS:
            g["conf"].append(j)
        elif s in _VALUE_SUBS:
            g["value"].append(j)
        else:
            g["other"].append(j)
    out = []
    for name, g in groups.items():
        flag = g["flag"][0] if g["flag"] else None
        conf = g["conf"][0] if g["conf"] else None
        values = [(j, None) for j in g["value"]] + [(j, _text(subs[j])) for j in g["other"]]
        values.sort()
        for j, label in values:
            var = name if len(values) == 1 or label is None else f"{name} ({label})"
            out.append((var, j, flag, conf))
    if not out:
        raise SchemaError(
            f"{source}: the two-row header at row {b.header + 1} names no value columns "
            "(expected e.g. 'number | Flags | conf'); download the table again."
        )
    return out


def _number(v: Cell, markers: frozenset[str]) -> tuple[float, str | None, bool]:
    """(value, marker, ok): ok is False for text that is neither a number nor a marker."""
    if v is None:
        return np.nan, None, True
    if isinstance(v, bool):
        return np.nan, None, False
    if isinstance(v, int | float):
        return float(v), None, True
    s = str(v)
    if s in markers:
        return np.nan, s, True
    if _NUMBER.fullmatch(s):
        return float(s), None, True
    if _THOUSANDS.fullmatch(s):
        return float(s.replace(",", "")), None, True
    return np.nan, None, False


def _load_rows(path: Path, sheet: str | int | None) -> tuple[list[list[Cell]], str]:
    """The rows of a Nomis download and the source text used in messages.

    Raises
    ------
    InputFileError
        When the file is missing, a folder, or neither a workbook nor a CSV.
    """
    if not path.exists():
        raise InputFileError(f"{path}: file not found; check the path.")
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder; pass the downloaded .xlsx or .csv file.")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        rows, sheet_name, skipped = _read_xlsx(path, sheet)
        source = f"{path} [sheet {sheet_name!r}]" if sheet is not None else str(path)
        if skipped is not None:
            source = f"{path} [sheet {sheet_name!r}; the first sheet {skipped!r} holds no table]"
        return rows, source
    if suffix in {".csv", ".txt"}:
        return _read_csv(path), str(path)
    raise InputFileError(
        f"{path}: cannot read {suffix or 'files without an extension'}; download the table "
        "from Nomis as Excel (.xlsx) or CSV (.csv)."
    )


def _markers(footnotes: Iterable[str]) -> frozenset[str]:
    """:data:`NOMIS_MARKERS` plus the markers the footnotes define (``"! Estimate ..."``)."""
    markers = set(NOMIS_MARKERS)
    for note in footnotes:
        m = _FOOTNOTE_MARKER.match(note)
        if m:
            markers.add(m.group(1))
    return frozenset(markers)


def _dimension_names(blocks: Sequence[_Block]) -> dict[str, str]:
    """Dimension row label -> column name (snake case, unique, clear of the base columns)."""
    dim_names: dict[str, str] = {}
    for b in blocks:
        for raw in b.dims:
            if raw in dim_names:
                continue
            name = _snake(raw)
            if name in (*_BASE_COLUMNS, "row"):
                name = f"dim_{name}"
            base, k = name, 2
            while name in dim_names.values():
                name, k = f"{base}_{k}", k + 1
            dim_names[raw] = name
    return dim_names


@dataclass
class _Cells:
    """The long table's columns, filled cell by cell, and the cells that are not numbers."""

    gts: list[str | None] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    block_of: list[int] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    flags: list[str | None] = field(default_factory=list)
    confs: list[float] = field(default_factory=list)
    row_of: list[int] = field(default_factory=list)
    has_conf: bool = False
    bad: list[str] = field(default_factory=list)
    n_bad: int = 0

    def problem(self, text: str) -> None:
        """Count a cell that is neither a number nor a marker (the first ones are listed)."""
        self.n_bad += 1
        if len(self.bad) < _MAX_LISTED:
            self.bad.append(text)


def _area_cell(r: list[Cell]) -> tuple[str | None, str]:
    """(geography type, area) of a data row's first cell (``"lep:Solent"``)."""
    cell = _text(r[0]) if r[0] is not None else ""
    gtype, sep, label = cell.partition(":")
    return (gtype.strip() if sep else None), (label.strip() if sep else cell)


def _read_block(
    rows: list[list[Cell]],
    b: _Block,
    bi: int,
    spec: list[tuple[str, int, int | None, int | None]],
    markers: frozenset[str],
    cells: _Cells,
) -> None:
    """Append the cells of block ``bi`` to ``cells``, one per (row, variable)."""
    cells.has_conf = cells.has_conf or any(c is not None for *_, c in spec)
    nan = float("nan")
    for i in range(b.first_data, b.end):
        r = rows[i]
        gt, area = _area_cell(r)
        n = len(r)
        for var, vj, fj, cj in spec:
            v = r[vj] if vj < n else None
            if type(v) is int or type(v) is float:  # the common case, fast
                value, marker = float(v), None
            else:
                value, marker, ok = _number(v, markers)
                if not ok:
                    cells.problem(f"row {i + 1}, {area!r}, column {var!r}: {v!r}")
            flag = marker
            if flag is None and fj is not None and fj < n and r[fj] is not None:
                flag = _text(r[fj])
            conf = nan
            if cj is not None:
                c = r[cj] if cj < n else None
                conf, cmarker, cok = _number(c, markers)
                if not cok:
                    cells.problem(f"row {i + 1}, {area!r}, conf of {var!r}: {c!r}")
                if flag is None and cmarker is not None and value == value:
                    flag = cmarker
            cells.gts.append(gt)
            cells.areas.append(area)
            cells.block_of.append(bi)
            cells.variables.append(var)
            cells.values.append(value)
            cells.flags.append(flag)
            cells.confs.append(conf)
            cells.row_of.append(i + 1)


def _tidy_frame(cells: _Cells, blocks: Sequence[_Block], dim_names: dict[str, str]) -> pd.DataFrame:
    """The long table; block-level columns (dimensions, year) are spread by block number."""
    bidx = np.asarray(cells.block_of, dtype=np.int64)
    data = pd.DataFrame(
        {"geography_type": pd.Series(cells.gts), "area": pd.Series(cells.areas), "block": bidx + 1}
    )
    for raw, name in dim_names.items():
        per_block = [_text(b.dims[raw]) if raw in b.dims else None for b in blocks]
        data[name] = pd.Series(per_block).take(bidx).reset_index(drop=True)
    date_key = next((raw for raw, name in dim_names.items() if name == "date"), None)
    block_years = [_year_of(b.dims.get(date_key)) if date_key else None for b in blocks]
    if all(y is not None for y in block_years):
        data["year"] = np.asarray(block_years, dtype=np.int64)[bidx]
    else:
        data["year"] = pd.array(block_years, dtype="Int64")[bidx]
    data["variable"] = pd.Series(cells.variables)
    data["value"] = np.asarray(cells.values, dtype=np.float64)
    data["flag"] = pd.Series(cells.flags, dtype=object)
    if cells.has_conf:
        data["conf"] = np.asarray(cells.confs, dtype=np.float64)
    data["row"] = np.asarray(cells.row_of, dtype=np.int64)
    return data


def read_nomis(path: str | Path, *, sheet: str | int | None = None) -> NomisTable:
    r"""Read a Nomis table download (Excel or CSV) into a tidy :class:`NomisTable`.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.xlsx`` workbook or a ``.csv`` file as downloaded from Nomis.
    sheet : str or int, optional
        Sheet name or 0-based number in a workbook; the first sheet by default.

    Returns
    -------
    NomisTable
        The tidy table (see :class:`NomisTable` for its columns), title, footnotes and the
        number of suppressed cells.

    Raises
    ------
    InputFileError
        When the file is missing or is not a readable workbook or CSV.
    SchemaError
        When the file does not have Nomis's layout (no header row starting ``Area``), or a value
        cell holds text that is neither a number nor a Nomis marker.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "ubc.csv"
    >>> _ = p.write_text(
    ...     "UK Business Counts\n\ndate,2022\n\nArea,Total\nlep:Solent,42970\n"
    ...     "ladu:Adur,*\n\n* Suppressed.\n")
    >>> t = read_nomis(p)
    >>> t.data[["geography_type", "area", "year", "value", "flag"]].values.tolist()
    [['lep', 'Solent', 2022, 42970.0, None], ['ladu', 'Adur', 2022, nan, '*']]
    >>> t.n_suppressed, t.footnotes
    (1, ('* Suppressed.',))
    """
    from .datasets import resolve

    rows, source = _load_rows(Path(resolve(path)), sheet)
    blocks = _find_blocks(rows, source)
    footnotes = _footnotes(rows, blocks)
    markers = _markers(footnotes)
    dim_names = _dimension_names(blocks)
    cells = _Cells()
    for bi, b in enumerate(blocks):
        _read_block(rows, b, bi, _columns(rows, b, source), markers, cells)
    if cells.bad:
        more = f" and {cells.n_bad - len(cells.bad)} more" if cells.n_bad > len(cells.bad) else ""
        raise SchemaError(
            f"{source}: {cells.n_bad} value cell(s) hold text that is neither a number nor a "
            f"Nomis marker ({', '.join(sorted(markers))}): {'; '.join(cells.bad)}{more}. Fix or "
            "clear these cells, or download the table from Nomis again."
        )
    data = _tidy_frame(cells, blocks, dim_names)
    n_suppressed = int(np.isnan(data["value"].to_numpy()).sum())
    return NomisTable(
        data=data,
        source=source,
        title=blocks[0].title or "",
        footnotes=tuple(footnotes),
        n_suppressed=int(n_suppressed),
        dimensions=tuple(dict.fromkeys(dim_names.values())),
    )
