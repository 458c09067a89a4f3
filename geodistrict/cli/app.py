"""``geodistrict app``: serve the Panel app (:mod:`geodistrict.app.pages`) on this machine."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["register", "run", "app_path", "WEBSOCKET_MAX_BYTES"]

#: Largest websocket message the server accepts. An upload travels base64-encoded (4/3 of its
#: size), so files up to ~75 MB reach the server and are refused with a message
#: (geodistrict.app.MAX_UPLOAD_BYTES); a larger one closes the connection and the page says so.
WEBSOCKET_MAX_BYTES = 100 * 2**20

_EXAMPLE = """\
examples:
  # the shipped districts, the registry, the ONS postcodes and the bundled datasets
  # (universities, LEP 2021 and LAD 2024 boundaries, UK Business Counts 2022): no files needed
  geodistrict app

  # the same layers read from a data folder of your own (uk/universities, uk/boundaries, ...)
  geodistrict app --data DIR --port 5007 --no-browser

The server answers at once; the postcodes and the data load in the background (about 5-15 s)
and the page says what is being read until they are ready. Heavy work (measuring an upload,
comparisons, maps, reports) runs in a pool of --workers threads, so one visitor's upload does
not freeze the others. GEODISTRICT_SHARED_DATA gives the data folder when --data is not.
"""


def register(subparsers: Any) -> None:
    """Add the ``app`` subcommand."""
    from ._args import Formatter

    p = subparsers.add_parser(
        "app",
        help="serve the Panel app: compare districts, map, proposed district, exports",
        description=(
            "Serve the geodistrict Panel app: compare shipped districts and UK places per km², "
            "map them, upload a proposed district (GeoJSON, GeoPackage, zipped Shapefile) for "
            "its card and its diff against a baseline, location quotients of LEPs, exports."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    p.add_argument("--port", type=int, default=5006, metavar="N", help="port to listen on")
    p.add_argument("--address", default="127.0.0.1", metavar="ADDR", help="address to listen on")
    p.add_argument(
        "--data",
        metavar="DIR",
        default=None,
        help="data folder (uk/universities, uk/boundaries, uk/tables); default: "
        "$GEODISTRICT_SHARED_DATA, else the bundled datasets",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="threads for heavy work (measuring, maps, reports); default: 2-4 by CPU count",
    )
    p.add_argument(
        "--num-procs",
        type=int,
        default=1,
        metavar="N",
        help="server processes sharing the port; they are forked once the data are loaded "
        "(implies --wait-for-data), so the data are read once and shared",
    )
    p.add_argument(
        "--wait-for-data",
        action="store_true",
        help="load the data before serving (the old behaviour) instead of in the background",
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run)


def app_path() -> Path:
    """Path of the app's page module (:mod:`geodistrict.app.pages`) in the installed package."""
    return Path(__file__).resolve().parents[1] / "app" / "pages.py"


def _load_app_module() -> ModuleType:
    from ..app import pages

    return pages


def run(args: argparse.Namespace) -> int:
    """Warm the data, then serve the app until interrupted (returns the exit status)."""
    from ..errors import MissingDependencyError, ParameterError

    if not 0 < args.port < 65536:
        raise ParameterError(f"--port {args.port}: give a port from 1 to 65535, e.g. 5006.")
    try:
        import panel as pn
    except ImportError as exc:
        raise MissingDependencyError(
            "geodistrict app needs panel: pip install 'geodistrict[app]'."
        ) from exc
    from .. import app as ga

    if args.workers is not None:
        if not 1 <= args.workers <= 32:
            raise ParameterError(f"--workers {args.workers}: give 1 to 32 threads, e.g. 4.")
        ga.resize_pool(args.workers)
    data_dir = args.data if args.data is not None else ga.data_dir_from_env()
    if data_dir is not None and not Path(data_dir).is_dir():
        from ..errors import InputFileError

        raise InputFileError(
            f"--data {data_dir}: not a folder; give the shared data folder that holds uk/..."
        )
    t0 = time.perf_counter()
    module = _load_app_module()

    def report() -> None:
        data = ga.warm(data_dir)
        took = time.perf_counter() - t0
        loaded = ", ".join(f"{k} {v:.1f} s" for k, v in data.timings_s.items())
        print(f"geodistrict app: data ready in {took:.1f} s ({loaded})", file=sys.stderr)
        for m in data.missing:
            print(f"geodistrict app: not loaded: {m}", file=sys.stderr)

    if not 1 <= args.num_procs <= 16:
        raise ParameterError(f"--num-procs {args.num_procs}: give 1 to 16 processes, e.g. 2.")
    if args.num_procs == 1:  # the fork server must not be inherited by Bokeh's forks
        ga.run_in_background(ga.warm_processes, name="geodistrict-warm-processes")
    wait = args.wait_for_data or args.num_procs > 1
    if wait:
        report()
    else:
        ga.load_in_background(data_dir)
        ga.run_in_background(report, name="geodistrict-load-report")
    origins = sorted({f"{args.address}:{args.port}", f"localhost:{args.port}",
                      f"127.0.0.1:{args.port}"})  # fmt: skip
    server = pn.serve(
        lambda: module.create_app(data_dir),
        port=args.port,
        address=args.address,
        websocket_origin=origins,
        show=False,
        start=False,
        title=module.TITLE,
        websocket_max_message_size=WEBSOCKET_MAX_BYTES,
        # with the data loaded, build one page before serving (not before forking: Bokeh
        # forks only applications that have made no document yet)
        warm=wait and args.num_procs == 1,
        num_procs=args.num_procs,
    )
    url = f"http://{args.address}:{args.port}/"
    server.start()
    print(f"geodistrict app: serving on {url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    if not args.no_browser:
        import webbrowser

        server.io_loop.add_callback(webbrowser.open, url)
    try:
        server.io_loop.start()
    finally:
        server.stop()
    return 0
