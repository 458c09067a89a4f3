"""The Dask client and what every scale-out step shares: retries, partitions, work folders."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import MissingDependencyError, ParameterError

__all__ = [
    "POINTS_PER_PARTITION",
    "POS_COLUMN",
    "RETRIES",
    "SIDECAR",
    "dask_client",
    "default_partitions",
    "share_with_tasks",
    "single_threaded_lookups",
    "work_folder",
]

#: Retries of a task that raised (a worker that dies is handled by the scheduler).
RETRIES = 2
#: Points per partition when the number of partitions is not given.
POINTS_PER_PARTITION = 1_000_000
#: File of a partitioned dataset's provenance and rejected rows (Parquet readers skip it).
SIDECAR = "_geodistrict.json"
#: Column of each stored point's position in the source layer.
POS_COLUMN = "_pos"


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise MissingDependencyError(
            '--cluster needs Dask: pip install "geodistrict[scale]" '
            '(or: pip install "dask[distributed]" dask-geopandas)'
        ) from exc
    return distributed


@contextmanager
def dask_client(
    cluster: str = "local", *, n_workers: int = 2, threads_per_worker: int = 1
) -> Iterator[Any]:
    """A ``distributed.Client`` for ``cluster``, closed (with its local cluster) on exit.

    Parameters
    ----------
    cluster : str
        ``"local"`` starts a ``distributed.LocalCluster`` of worker processes on this
        machine; ``"tcp://HOST:PORT"`` (or any scheduler address) connects to a running
        scheduler (``dask scheduler`` / ``dask worker``).
    n_workers, threads_per_worker : int
        Size of a local cluster (one single-threaded worker per core suits these tasks,
        which are numpy and GEOS code).

    Examples
    --------
    >>> with dask_client("local") as client:  # doctest: +SKIP
    ...     p = profile_dask(boundaries, [postcodes], client=client, partitions=8)
    """
    distributed = _distributed()
    if cluster == "local":
        lc = distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            dashboard_address=":0",  # any free port: several clusters may run
        )
        client = distributed.Client(lc)
        try:
            yield client
        finally:
            client.close()
            lc.close()
        return
    if "://" not in cluster and ":" not in cluster:
        raise ParameterError(
            f"--cluster {cluster!r}: give 'local' or a scheduler address such as "
            "tcp://10.0.0.5:8786."
        )
    try:
        client = distributed.Client(cluster, timeout="20s")
    except OSError as exc:
        raise ParameterError(
            f"--cluster {cluster}: no Dask scheduler answers there ({exc}); start one with "
            "'dask scheduler' (and workers with 'dask worker ADDRESS'), or use --cluster local."
        ) from exc
    try:
        yield client
    finally:
        client.close()


@contextmanager
def work_folder(workdir: str | Path | None) -> Iterator[str]:
    """``workdir`` (created if missing), or a temporary folder removed on exit."""
    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        yield str(workdir)
        return
    with tempfile.TemporaryDirectory(prefix="geodistrict-dask-") as tmp:
        yield tmp


def _identity(obj: Any) -> Any:
    return obj


def share_with_tasks(client: Any, obj: Any) -> Any:
    """A future of ``obj`` for every task of a computation (fetched once per worker).

    A task rather than scattered data: if the worker holding it dies, the scheduler runs
    the task again, where scattered data would be lost for good.
    """
    return client.submit(_identity, obj, pure=False)


def single_threaded_lookups() -> None:
    """Keep the join's look-ups on the task's thread (workers run one task per thread)."""
    from ..join.grid import set_lookup_threads

    set_lookup_threads(1)


def default_partitions(n_points: int, client: Any) -> int:
    """Partitions for ``n_points``: one per million points, at least two per worker thread."""
    threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
    return max(2 * max(threads, 1), math.ceil(n_points / POINTS_PER_PARTITION))
