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

__all__ = ["register_all"]


def register_all(subparsers: Any) -> None:
    """Register every command module of this package (in alphabetical order)."""
    package = __name__.rsplit(".", 1)[0]
    for mod in sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])):
        if mod.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{mod}")
        if hasattr(module, "register"):
            module.register(subparsers)
