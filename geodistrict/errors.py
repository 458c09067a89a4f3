"""Exception and warning classes (``geodistrict.errors``, as ``pandas.errors``).

Each error refines a builtin so that callers who do not know geodistrict can still catch it,
and every message names the layer or file, what is wrong and the one-line fix.
"""

from __future__ import annotations

import re

__all__ = [
    "GeodistrictError",
    "InputFileError",
    "CRSError",
    "EmptyLayerError",
    "InvalidGeometryError",
    "SchemaError",
    "MissingDependencyError",
    "ParameterError",
    "ArgumentTypeError",
    "GeodistrictWarning",
    "RepairWarning",
]


def _one_line(text: str) -> str:
    """Join a message's lines: the CLI promises one line on stderr per error.

    Messages often quote a library's own error (pandas' ``Expected 3 fields ... saw 5`` and a
    line break, geopandas' two-line Parquet hint), which would otherwise break that promise.
    """
    return re.sub(r"\s*[\r\n]+\s*", " ", text).strip()


class GeodistrictError(Exception):
    """Base class: a problem with the user's input that they can fix.

    ``str(error)`` is always a single line (line breaks in quoted library errors are joined).
    """

    def __str__(self) -> str:
        if len(self.args) == 1:
            return _one_line(str(self.args[0]))
        return _one_line(super().__str__())


class InputFileError(GeodistrictError, FileNotFoundError):
    """A file is missing, unreadable or in a format we cannot read."""


class CRSError(GeodistrictError, ValueError):
    """A layer has no CRS, or its coordinates contradict the CRS it declares."""


class EmptyLayerError(GeodistrictError, ValueError):
    """A layer has no features (or no usable ones)."""


class InvalidGeometryError(GeodistrictError, ValueError):
    """Geometries are of the wrong type or cannot be repaired."""


class SchemaError(GeodistrictError, KeyError):
    """A required column is missing or ambiguous."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return _one_line(str(self.args[0])) if self.args else ""


class ParameterError(GeodistrictError, ValueError):
    """An option is out of range or unknown (a cell size of 0 m, an unknown method)."""


class ArgumentTypeError(ParameterError, TypeError):
    """An argument is of a type we do not accept (also a :class:`TypeError`)."""


class MissingDependencyError(GeodistrictError, ImportError):
    """An optional package is needed for this feature."""


class GeodistrictWarning(UserWarning):
    """Base class for warnings about silent-looking decisions we made on the user's behalf."""


class RepairWarning(GeodistrictWarning):
    """Geometries were repaired (``make_valid``); the message names the features."""
