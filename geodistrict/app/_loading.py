"""The app's data, loaded once per process and per data folder, in the background.

Light on purpose: this module imports neither pandas nor geopandas, so that the server and a
session's first page (which says what is being read) do not wait for the scientific stack;
the loading thread imports it (:func:`geodistrict.app.load_app_data`,
:func:`geodistrict.app.warm_app_data`). It imports the state module, never the reverse.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._state import AppData

__all__ = [
    "data_dir_from_env",
    "get_app_data",
    "load_in_background",
    "loading_status",
    "set_loading_step",
    "warm",
]

_LOCK = threading.Lock()
_LOADED: dict[str, AppData] = {}
_LOADERS: dict[str, threading.Lock] = {}
_STEP: dict[str, str] = {}  # what the loader of each folder is reading now
_FAILED: dict[str, BaseException] = {}


def data_dir_from_env() -> Path | None:
    """The data folder named by ``GEODISTRICT_SHARED_DATA`` (``None`` when unset)."""
    value = os.environ.get("GEODISTRICT_SHARED_DATA", "").strip()
    return Path(value) if value else None


def _key(data_dir: str | os.PathLike[str] | None) -> str:
    return str(Path(data_dir).resolve()) if data_dir is not None else ""


def set_loading_step(data_dir: str | os.PathLike[str] | None, step: str) -> None:
    """Record what the loader of ``data_dir`` is reading now (shown by :func:`loading_status`)."""
    _STEP[_key(data_dir)] = step


def get_app_data(
    data_dir: str | os.PathLike[str] | None = None, *, load: bool = True
) -> AppData | None:
    """The :class:`AppData` of this process for ``data_dir`` (loaded on first use, then cached).

    With ``load=False`` returns ``None`` instead of loading (to tell a warm start from a cold
    one) without waiting: a session asking while another thread loads is not blocked.
    """
    key = _key(data_dir)
    got = _LOADED.get(key)
    if got is not None or not load:
        return got
    from ._state import load_app_data

    with _LOCK:
        loader = _LOADERS.setdefault(key, threading.Lock())
    with loader:  # one load per folder; the others wait for it
        if key not in _LOADED:
            _LOADED[key] = load_app_data(
                data_dir, on_step=lambda step: set_loading_step(data_dir, step)
            )
    return _LOADED[key]


def load_in_background(data_dir: str | os.PathLike[str] | None = None) -> None:
    """Start loading and warming the data of ``data_dir`` in a thread (once per process).

    The server answers meanwhile; :func:`loading_status` tells sessions what is being read.
    The thread imports the scientific stack, not the caller.
    """
    from ._work import run_in_background

    key = _key(data_dir)
    with _LOCK:
        if key in _LOADED or key in _STEP:
            return
        _STEP[key] = "starting"

    def run() -> None:
        try:
            get_app_data(data_dir)
            _STEP[key] = "the featured cards"
            warm(data_dir)
            _STEP[key] = "ready"
        except BaseException as exc:  # noqa: BLE001 - reported to every session
            _FAILED[key] = exc

    run_in_background(run, name="geodistrict-load")


def loading_status(
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[AppData | None, str, BaseException | None]:
    """(the data when loaded, what is being read now, the error that stopped loading)."""
    key = _key(data_dir)
    return _LOADED.get(key), _STEP.get(key, "not started"), _FAILED.get(key)


def warm(data_dir: str | os.PathLike[str] | None = None) -> AppData:
    """Load the data, compute the featured cards and draw a chart and a map once.

    Run before serving (or in the loading thread) so that no visitor waits for an import or a
    national layer: :func:`get_app_data`, then :func:`geodistrict.app.warm_app_data`.
    """
    from ._state import warm_app_data

    t0 = time.perf_counter()
    data = get_app_data(data_dir)
    assert data is not None
    return warm_app_data(data, started=t0)
