"""The Panel app: state, guarded uploads and glue here, the page layout in :mod:`.pages`.

Nothing here measures anything: cards, comparisons, diffs and location quotients come from
:mod:`geodistrict.districts` and :mod:`geodistrict.metrics`. This package loads the layers the
app offers once per process (:func:`load_app_data`, :func:`warm`), turns an uploaded file into
validated :class:`~geodistrict.Boundaries` without trusting it (:func:`parse_upload`, see
:mod:`geodistrict.app._upload` for the rules), and shapes results for display and export. It
imports no Panel (only :mod:`.pages` does), so every function is testable without a browser;
``import geodistrict`` does not import it.

Importing it is light: the loading registry (:mod:`._loading`), the escaping of untrusted text
(:mod:`._escape`) and the worker pool (:mod:`._work`) are imported at once; the names of the
modules that need pandas and geopandas (``_state``, ``_upload``, ``_draw``) on first use. The
server and a session's first page ("loading ...") therefore do not wait for the scientific
stack; the loading thread imports it. Each module lists its names once, in its ``__all__``;
:func:`resize_pool`, :func:`run_in_background` and :func:`warm_processes` are the worker
pool's, for the ``geodistrict app`` command.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import TYPE_CHECKING

from . import _escape, _loading
from ._escape import *  # noqa: F403 - the names of _escape.__all__ (listed once, there)
from ._loading import *  # noqa: F403 - the names of _loading.__all__ (listed once, there)
from ._work import resize as resize_pool  # noqa: F401 - public, listed in _LIGHT
from ._work import run_in_background, warm_processes  # noqa: F401 - public, listed in _LIGHT

if TYPE_CHECKING:
    from ._draw import *  # noqa: F403
    from ._state import *  # noqa: F403
    from ._upload import *  # noqa: F403

#: The modules whose names load on first use (they import pandas, geopandas and shapely).
_ON_FIRST_USE = ("._state", "._upload", "._draw")
_LIGHT = [*_escape.__all__, *_loading.__all__, "resize_pool", "run_in_background",
          "warm_processes"]  # fmt: skip


def _heavy_modules() -> list[ModuleType]:
    return [importlib.import_module(m, __name__) for m in _ON_FIRST_USE]


def _all_names() -> list[str]:
    return _LIGHT + [n for m in _heavy_modules() for n in m.__all__]


def __getattr__(name: str) -> object:
    value: object
    if name == "__all__":  # ``from geodistrict.app import *`` loads every module
        value = _all_names()
    elif name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    elif importlib.util.find_spec(f"{__name__}.{name}") is not None:  # a submodule: pages
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        for module in _heavy_modules():
            if name in module.__all__:
                value = getattr(module, name)
                break
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_all_names()))
