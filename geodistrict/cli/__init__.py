"""The ``geodistrict`` command line: thin wrappers over the public functions.

Exit status: 0 on success, 2 on a user error (one line on stderr naming the file and the fix),
1 on an internal error (rerun with ``--debug`` for the traceback), 130 after Ctrl-C. Each
subcommand lives in its own module (see :mod:`geodistrict.cli._commands`).
"""

from __future__ import annotations

import argparse
import sys
import threading
import warnings
from collections.abc import Sequence

from .._version import __version__
from ..errors import GeodistrictError
from ._args import Formatter

__all__ = ["main", "build_parser"]


def build_parser(*, command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests).

    With ``command``, only the module of that subcommand is imported and registered (what a
    run of one command needs); the parser then parses that command's arguments exactly as the
    full one does.
    """
    from ._commands import register_all

    parser = argparse.ArgumentParser(
        prog="geodistrict",
        description=(
            "Map and measure innovation districts: join firms, universities and postcodes to "
            "LEP, local-authority and district boundaries, with densities in metres and every "
            "input record accounted for."
        ),
        epilog="run 'geodistrict COMMAND --help' for a command's options and examples.",
        formatter_class=Formatter,
    )
    parser.add_argument("--version", action="version", version=f"geodistrict {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    register_all(subparsers, only=command)
    if command is not None and command not in subparsers.choices:
        return build_parser()  # not a command's own name: the full parser (and its error)
    return parser


def _parser_for(argv: Sequence[str] | None) -> argparse.ArgumentParser:
    """The parser of the command named first in ``argv`` alone, else the full parser."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args and not args[0].startswith("-"):
        return build_parser(command=args[0])
    return build_parser()


def _format_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    line: str | None = None,
) -> str:
    return f"geodistrict: warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (130 after Ctrl-C, with one line)."""
    import signal

    from .._sigint import MESSAGE, interrupted, is_cli_process

    main_thread = threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGINT) if main_thread else None
    if main_thread and before in (interrupted, signal.default_int_handler):
        # from here Ctrl-C raises KeyboardInterrupt, so that writes in progress clean up
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        sys.stderr.write(MESSAGE)
        return 130
    finally:
        if main_thread and before is not None:  # the command line: one line again until exit
            signal.signal(signal.SIGINT, interrupted if is_cli_process() else before)


def _main(argv: Sequence[str] | None = None) -> int:
    parser = _parser_for(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    debug = bool(getattr(args, "debug", False))
    warnings.formatwarning = _format_warning
    try:
        return int(args._run(args))
    except (GeodistrictError, FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        if debug:
            raise
        print(f"geodistrict: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the CLI never shows a bare traceback
        if debug:
            raise
        print(
            f"geodistrict: internal error: {type(exc).__name__}: {exc} (rerun with --debug "
            "and report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
