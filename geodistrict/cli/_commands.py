"""The command-line subcommands: each public module of :mod:`geodistrict.cli` with ``register``.

Each module defines ``register(subparsers)``, which adds its parser and sets
``_run=<function taking the parsed args and returning an exit status>`` as a default. The
modules are thin: they parse, call public functions and print; no analysis of their own.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

__all__ = ["FIRST", "LAST", "command_modules", "register_all"]

#: Commands listed first in ``geodistrict --help`` (the main ones), in this order.
FIRST = ("profile", "interpolate")
#: Commands listed last (the helpers).
LAST = ("inspect",)


def command_modules() -> list[str]:
    """The names of the command modules, in their ``--help`` order.

    :data:`FIRST`, then the other public modules of this package in alphabetical order, then
    :data:`LAST`.
    """
    here = [str(Path(__file__).parent)]
    found = sorted(m.name for m in pkgutil.iter_modules(here) if not m.name.startswith("_"))
    middle = [m for m in found if m not in FIRST and m not in LAST]
    return [*(m for m in FIRST if m in found), *middle, *(m for m in LAST if m in found)]


def register_all(subparsers: Any, *, only: str | None = None) -> None:
    """Register every command module of this package, in :func:`command_modules` order.

    ``only`` (a command name) registers just its module, when there is one by that name
    (``sector-clusters`` is ``sector_clusters``), and nothing otherwise.
    """
    package = __name__.rsplit(".", 1)[0]
    modules = command_modules()
    if only is not None:
        name = only.replace("-", "_")
        modules = [name] if name in modules else []
    for mod in modules:
        module = importlib.import_module(f"{package}.{mod}")
        if hasattr(module, "register"):
            module.register(subparsers)
