"""Options shared by the commands: how they are declared, parsed and read into layers.

A private module of the :mod:`geodistrict.cli` package (``register_all`` skips it): its names are
public to the command modules (listed in ``__all__``). It never imports :mod:`geodistrict.cli`
itself, so that the command modules can import it without a loop.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "Formatter",
    "add_cluster_options",
    "check_cluster_options",
    "check_folders",
    "check_out",
    "fetch_arguments",
    "fetch_options",
    "kv",
    "parse_buffers",
    "parse_by",
    "parse_xy",
    "POINT_LAYER_HELP",
    "point_layer_argument",
    "points_argument",
    "points_spec",
    "read_layers",
    "read_point_layer",
    "read_points_option",
    "read_study_area",
    "select_features",
]


def _no_default(default: Any) -> bool:
    """True for the defaults the help leaves out: None, False and empty values."""
    if default is None or default is False:
        return True
    return isinstance(default, str | list | tuple | dict) and not default


class Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Help formatter of every command: examples kept as written, real defaults shown.

    A default is shown as ``(default: ...)`` only when it says something: never for options
    whose default is None, False or empty (their help says what happens without them).
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if _no_default(action.default):
            return action.help
        return super()._get_help_string(action)


def kv(values: Sequence[str] | None, option: str) -> dict[str, str]:
    """``["firms=sic_section"]`` → ``{"firms": "sic_section"}`` for a repeatable NAME=VALUE option.

    Parameters
    ----------
    values : sequence of str or None
        The values given to the option (None when it was not given).
    option : str
        The option's name, used in the error.

    Raises
    ------
    SchemaError
        When a value is not NAME=VALUE with both parts non-empty.

    Examples
    --------
    >>> kv([" firms = sic_section", "postcodes=x=1"], "--by")
    {'firms': 'sic_section', 'postcodes': 'x=1'}
    """
    from ..errors import SchemaError

    out: dict[str, str] = {}
    for v in values or []:
        key, sep, val = v.partition("=")
        if not sep or not key or not val:
            raise SchemaError(f"{option} {v!r}: write it as NAME=VALUE, e.g. {option} firms=...")
        out[key.strip()] = val.strip()
    return out


def parse_xy(text: str, *, label: str | None = None) -> tuple[str, str]:
    """``"easting, northing"`` → ``("easting", "northing")``: the value of ``--xy``.

    ``profile`` writes ``--xy NAME=XCOL,YCOL`` (its NAME=VALUE pairs are split by :func:`kv`
    first) and ``clusters`` writes ``--xy XCOL,YCOL``: both end here.

    Parameters
    ----------
    text : str
        ``XCOL,YCOL`` (x, longitude or easting first).
    label : str, optional
        How the value is shown in the error (default: ``text``), e.g. ``"firms=a,b,c"``.

    Raises
    ------
    SchemaError
        When ``text`` is not two non-empty column names separated by a comma.

    Examples
    --------
    >>> parse_xy(" easting , northing")
    ('easting', 'northing')
    """
    from ..errors import SchemaError

    parts = [s.strip() for s in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise SchemaError(f"--xy {label or text}: give two columns, XCOL,YCOL.")
    return parts[0], parts[1]


def points_spec(spec: str, *, example: str = "firms", hint: str = "") -> tuple[str, str]:
    """``"firms=firms.csv"`` → ``("firms", "firms.csv")``; ``"onspd:E"`` → ``("postcodes", …)``.

    Parameters
    ----------
    spec : str
        The value of a ``--points`` option.
    example : str
        The layer name shown in the error's example.
    hint : str
        A sentence added to the error (what NAME is used for).

    Raises
    ------
    SchemaError
        Naming the value and the form to write it in.

    Examples
    --------
    >>> points_spec(" firms = data/firms.csv"), points_spec("onspd:E")
    (('firms', 'data/firms.csv'), ('postcodes', 'onspd:E'))
    """
    from ..errors import SchemaError

    if "=" in spec:
        name, path = (t.strip() for t in spec.split("=", 1))
        if name and path:
            return name, path
    elif spec.strip().startswith("onspd"):
        return "postcodes", spec.strip()
    raise SchemaError(
        f"--points {spec!r}: write it as NAME=PATH (e.g. {example}={spec}) or 'onspd'." + hint
    )


def read_point_layer(
    name: str,
    path: str,
    *,
    cluster: str | None = None,
    xy: str | None = None,
    xy_label: str | None = None,
    **read_options: Any,
) -> Any:
    """The point layer ``name`` read from ``path`` (the two halves of a ``--points`` value).

    Parameters
    ----------
    name, path : str
        From :func:`points_spec`.
    cluster : str, optional
        The ``--cluster`` value: with it, a folder is a partitioned GeoParquet layer that the
        Dask tasks read themselves (:func:`geodistrict.scale.read_partitioned`).
    xy : str, optional
        ``XCOL,YCOL`` from ``--xy`` (parsed by :func:`parse_xy`; ``xy_label`` shown in its error).
    **read_options
        Passed to :func:`geodistrict.io.read.read_points` (``crs``, ``postcode``, ``layer``,
        ``decimal``).

    Returns
    -------
    PointLayer
        Not yet checked for points: callers call ``require_points()`` when they need them.
    """
    if xy is not None:
        read_options["x"], read_options["y"] = parse_xy(xy, label=xy_label)
    if cluster and Path(path).is_dir():  # partitioned GeoParquet, read by the tasks
        from ..scale import read_partitioned

        return read_partitioned(path, name=name)
    from ..io.read import read_points

    return read_points(path, name=name, **read_options)


def read_points_option(
    spec: str, *, example: str = "firms", hint: str = "", **options: Any
) -> tuple[str, Any]:
    """The name and layer of one ``--points`` value.

    :func:`points_spec` then :func:`read_point_layer` (``options`` are the latter's keywords).
    """
    name, path = points_spec(spec, example=example, hint=hint)
    return name, read_point_layer(name, path, **options)


def add_cluster_options(p: argparse.ArgumentParser) -> None:
    """``--cluster`` and ``--partitions``: run a command's point work on Dask."""
    p.add_argument(
        "--cluster",
        metavar="local|tcp://HOST:PORT",
        default=None,
        help="run the point work as Dask tasks: 'local' starts 2 single-threaded worker "
        "processes here, an address joins a running scheduler; same output as without "
        '(needs pip install "geodistrict[scale]")',
    )
    p.add_argument(
        "--partitions",
        type=int,
        metavar="N",
        default=None,
        help="with --cluster: spatial partitions of each point layer (default: one per "
        "million points, at least two per worker thread)",
    )


def check_cluster_options(args: argparse.Namespace) -> None:
    """Refuse ``--partitions`` without ``--cluster`` (:class:`ParameterError`)."""
    if args.partitions is not None and not args.cluster:
        from ..errors import ParameterError

        raise ParameterError("--partitions splits the points for --cluster; add --cluster local.")


def check_folders(outputs: Iterable[tuple[str, Any]]) -> None:
    """Refuse, before any work, an output path whose folder does not exist.

    Parameters
    ----------
    outputs : iterable of (option, path)
        A path of None (an output not asked for) is skipped.

    Raises
    ------
    InputFileError
        Naming the option, the path and the missing folder.
    """
    from ..errors import InputFileError

    for opt, path in outputs:
        if path and not Path(path).parent.exists():
            raise InputFileError(
                f"{opt} {path}: the folder {Path(path).parent} does not exist; create it first."
            )


def select_features(b: Any, wanted: list[str], path: str) -> Any:
    """The features of the boundaries ``b`` (read from ``path``) whose id or name is in ``wanted``.

    Raises
    ------
    SchemaError
        Naming the ids or names not found and a few ids of the file.
    """
    from ..boundaries import prepare_boundaries
    from ..errors import SchemaError

    ids = b.data["id"].astype(str)
    names = b.data["name"].astype(str)
    keep = ids.isin(wanted) | names.isin(wanted)
    missing = [w for w in wanted if w not in set(ids) | set(names)]
    if missing:
        raise SchemaError(
            f"{path}: no feature with id or name {', '.join(map(repr, missing))}; ids look like "
            f"{', '.join(ids.head(3))} (run 'geodistrict inspect {path}')."
        )
    return prepare_boundaries(
        b.data[keep.to_numpy()],
        id="id",
        name="name",
        metric_crs=b.metric_crs,
        source=b.info.source,
        info=b.info,
    )


def read_study_area(path: str | None, wanted: Sequence[str] | None = None) -> Any:
    """The ``--within`` polygons (None without a path), reduced to the features ``wanted``.

    Parameters
    ----------
    path : str or None
        A polygon file or a dataset name.
    wanted : sequence of str, optional
        Ids or names of the features to keep (see :func:`select_features`); all when empty.
    """
    if not path:
        return None
    from ..io.read import read_boundaries

    within = read_boundaries(path)
    return select_features(within, list(wanted), path) if wanted else within


def points_argument(p: argparse.ArgumentParser) -> None:
    """Add the repeatable ``--points NAME=PATH|onspd`` and ``--by NAME=COLUMN`` options.

    Used by ``card``, ``compare`` and ``diff``.
    """
    p.add_argument(
        "--points",
        action="append",
        default=None,
        metavar="NAME=PATH|onspd",
        help="a point layer (CSV/XLSX with coordinates or postcodes, a vector file, or 'onspd' "
        "for all UK postcodes, named postcodes); repeatable",
    )
    p.add_argument(
        "--by",
        action="append",
        default=None,
        metavar="NAME=COLUMN",
        help="sector column of layer NAME for the sector mix (default: sic_section where a "
        "layer has it); repeatable",
    )


def check_out(path: str | None, suffixes: tuple[str, ...], option: str) -> None:
    """Refuse an output path with another suffix or in a missing folder, before any work.

    Raises
    ------
    ParameterError
        When the suffix is not one of ``suffixes``.
    InputFileError
        When the folder does not exist (see :func:`check_folders`).
    """
    from ..errors import ParameterError

    if path is None:
        return
    if Path(path).suffix.lower() not in suffixes:
        raise ParameterError(f"{option} {path}: write it as {' or '.join(suffixes)}.")
    check_folders([(option, path)])


def read_layers(specs: Sequence[str] | None) -> dict[str, Any]:
    """``["firms=firms.csv", "onspd"]`` → {name: PointLayer}: the values of ``--points``.

    Raises
    ------
    SchemaError
        When two values give the same NAME (or a value is malformed, see :func:`points_spec`).
    """
    from ..errors import SchemaError

    out: dict[str, Any] = {}
    for spec in specs or []:
        name, path = points_spec(spec)
        if name in out:
            raise SchemaError(f"--points: two layers are named {name!r}; give each its own NAME.")
        out[name] = read_point_layer(name, path)
    return out


def parse_by(specs: Sequence[str] | None, layers: Mapping[str, Any]) -> Any:
    """``--by`` values → the ``by_sector`` argument (the default column when none given).

    Returns
    -------
    str or dict
        ``"sic_section"`` without ``--by``; else {layer name: column}.

    Raises
    ------
    SchemaError
        When ``--by`` names a layer that is not among ``layers``.
    """
    from ..errors import SchemaError

    if not specs:
        return "sic_section"
    by = kv(specs, "--by")
    unknown = [k for k in by if k not in layers]
    if unknown:
        raise SchemaError(f"--by names layer(s) {unknown}, but the layers are {list(layers)}.")
    return by


def parse_buffers(text: str) -> list[float]:
    """``"800,1600"`` → [800.0, 1600.0]: the value of ``--buffers``.

    Examples
    --------
    >>> parse_buffers("800, 1600,")
    [800.0, 1600.0]
    """
    from ..errors import ParameterError

    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError as exc:
        raise ParameterError(
            f"--buffers {text!r}: give distances in metres separated by commas, e.g. 800,1600."
        ) from exc


#: Help of the single ``--points`` option of the point-pattern commands.
POINT_LAYER_HELP = (
    "the point layer: CSV/XLSX with coordinates or postcodes, a vector file, or "
    "'onspd' / 'onspd:E' (postcodes)"
)


def point_layer_argument(p: argparse.ArgumentParser, *, help: str = POINT_LAYER_HELP) -> None:
    """Add the required, single ``--points NAME=PATH|onspd`` option.

    Used by ``density``, ``hotspots`` and ``clusters``; read it with
    :func:`read_points_option`.
    """
    p.add_argument("--points", required=True, metavar="NAME=PATH|onspd", help=help)


def fetch_arguments(p: argparse.ArgumentParser, *, index: str) -> None:
    """Add ``--from``, ``--cache``, ``--no-verify``, ``--timeout``, ``--retries`` of a fetch.

    Parameters
    ----------
    index : str
        Where the expected SHA-256 comes from, for the help of ``--no-verify``
        (``"catalogue"``, ``"registry"``).
    """
    p.add_argument(
        "--from",
        dest="from_dir",
        metavar="DIR",
        default=None,
        help="copy the file from this folder (searched with its subfolders) instead of "
        "downloading it",
    )
    p.add_argument(
        "--cache",
        metavar="DIR",
        default=None,
        help="cache root (default: GEODISTRICT_CACHE_DIR or the user cache directory)",
    )
    p.add_argument(
        "--no-verify",
        action="store_true",
        help=f"accept a file whose SHA-256 differs from the {index}'s",
    )
    p.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="per-request timeout"
    )
    p.add_argument(
        "--retries",
        type=int,
        default=3,
        metavar="N",
        help="retries after a broken download (each resumes it)",
    )


def fetch_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keywords of a fetch from the options added by :func:`fetch_arguments`.

    ``cache``, ``from_dir``, ``timeout``, ``retries`` and ``verify``.
    """
    return {
        "cache": args.cache,
        "from_dir": args.from_dir,
        "timeout": args.timeout,
        "retries": args.retries,
        "verify": not args.no_verify,
    }
