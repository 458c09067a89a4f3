"""Ctrl-C in the command line: one line and exit status 130, whenever it comes.

:func:`geodistrict.cli.main` catches :class:`KeyboardInterrupt` once it runs, but the
``geodistrict`` command spends its first half second importing NumPy, pandas, GEOS and PROJ
(through ``import geodistrict``), where an interrupt would print a traceback of 25-42 lines.
:func:`install_for_cli` is therefore called first thing by the package, and acts only when
the process is the command line (``geodistrict ...`` or ``python -m geodistrict.cli``) and
nobody else has set a handler: until ``main`` takes over, Ctrl-C prints one line and exits
with 130 (nothing has been written yet, so there is nothing to clean up).

The module imports only what the interpreter has already loaded (``os``, ``sys`` and the
built-in ``_signal``), so the handler is in place within microseconds of the package starting.
"""

from __future__ import annotations

import _signal  # the C module: built in and already loaded, where ``import signal`` builds enums
import os
import sys

__all__ = ["install_for_cli", "interrupted", "is_cli_process"]

MESSAGE = "geodistrict: interrupted\n"


def is_cli_process() -> bool:
    """Whether this process is the ``geodistrict`` command line."""
    argv0 = os.path.basename(sys.argv[0]) if sys.argv else ""
    orig = getattr(sys, "orig_argv", [])[:4]
    return argv0 in ("geodistrict", "geodistrict.exe") or "geodistrict.cli" in orig


def interrupted(signum: int = _signal.SIGINT, frame: object = None) -> None:
    """Say so in one line and exit with 130 (128 + SIGINT), without a traceback."""
    try:
        sys.stderr.write(MESSAGE)
        sys.stderr.flush()
    finally:
        os._exit(130)


def install_for_cli() -> None:
    """Install :func:`interrupted` for SIGINT when this process is the command line."""
    if not is_cli_process() or _signal.getsignal(_signal.SIGINT) is not _signal.default_int_handler:
        return
    try:
        _signal.signal(_signal.SIGINT, interrupted)
    except ValueError:  # not the main thread (of the main interpreter): leave it to the caller
        pass


install_for_cli()
