"""The cell values of one sheet of an Excel workbook, read fast.

Publishers' workbooks (a Nomis table is 40,000 rows) are read with `python-calamine`_ (Rust),
about ten times faster than openpyxl; openpyxl, which reads the same values, is the fallback
when calamine is not installed or cannot open the file. Both give the values openpyxl's
``values_only`` rows give: numbers stored as whole numbers are ``int``, others ``float``;
dates are :class:`datetime.datetime`; an empty cell is ``None``.

.. _python-calamine: https://pypi.org/project/python-calamine/
"""

from __future__ import annotations

import datetime as _dt
import warnings
from pathlib import Path
from typing import Any

__all__ = ["SheetNotFound", "read_sheet_rows", "sheet_names"]


class SheetNotFound(LookupError):
    """The workbook has no such sheet (the message names the sheets it has)."""


def sheet_names(path: str | Path) -> list[str]:
    """The names of the workbook's sheets, in order.

    Parameters
    ----------
    path : str or Path
        An ``.xlsx`` workbook.
    """
    wb = _calamine(path)
    if wb is not None:
        return list(wb.sheet_names)
    book = _openpyxl(path)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def read_sheet_rows(path: str | Path, sheet: str | int = 0) -> tuple[list[list[Any]], str]:
    """The rows of one sheet as lists of values, and the sheet's name.

    Parameters
    ----------
    path : str or Path
        An ``.xlsx`` workbook.
    sheet : str or int
        The sheet's name or position (0 is the first).

    Returns
    -------
    (list of list, str)
        Every row from the first, each without its trailing empty cells (a blank row is
        ``[]``), and the sheet's name.

    Raises
    ------
    SheetNotFound
        When the workbook has no such sheet.
    Exception
        Whatever openpyxl raises on a file that is not a workbook (callers name the file).
    """
    wb = _calamine(path)
    if wb is not None:
        names = list(wb.sheet_names)
        title = _pick(names, sheet)
        try:
            raw = wb.get_sheet_by_name(title).to_python(skip_empty_area=False)
        except Exception:  # noqa: BLE001 - a sheet calamine cannot decode: openpyxl reads it
            raw = None
        if raw is not None:
            return [_trim([_value(v) for v in row]) for row in raw], title
    book = _openpyxl(path)
    try:
        title = _pick(list(book.sheetnames), sheet)
        ws = book[title]
        # some writers (Nomis) store a wrong sheet dimension (A1:A1): recompute it while reading
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        rows = [_trim([_value(v) for v in r]) for r in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    return rows, title


def _pick(names: list[str], sheet: str | int) -> str:
    listed = ", ".join(map(repr, names))
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise SheetNotFound(
                f"no sheet number {sheet}; the workbook has {len(names)} sheet(s): {listed}."
            )
        return names[sheet]
    if sheet not in names:
        raise SheetNotFound(f"no sheet {sheet!r}; the sheets are {listed}.")
    return sheet


def _calamine(path: str | Path) -> Any:
    """The workbook opened by calamine, or ``None`` (not installed, or it cannot read it)."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception:  # noqa: BLE001 - openpyxl then reads it, or names what is wrong
        return None


def _openpyxl(path: str | Path) -> Any:
    import openpyxl

    with warnings.catch_warnings():
        # workbooks with no default style (Nomis's): openpyxl warns and applies its own
        warnings.filterwarnings("ignore", message="Workbook contains no default style")
        return openpyxl.load_workbook(path, read_only=True, data_only=True)


def _value(v: Any) -> Any:
    """One cell as openpyxl's ``values_only`` gives it."""
    if v is None or (isinstance(v, str) and v == ""):
        return None
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)  # a whole number is stored as one ("2805"); openpyxl reads it as int
    if isinstance(v, _dt.date) and not isinstance(v, _dt.datetime):
        return _dt.datetime.combine(v, _dt.time())
    return v


def _trim(row: list[Any]) -> list[Any]:
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row[:end]
