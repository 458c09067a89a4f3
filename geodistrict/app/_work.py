"""Heavy work off the server's event loop: one small worker pool shared by every session.

A Panel server runs every session's callbacks on one event loop: a callback that buffers a
999-square district for 30 s freezes every other visitor for 30 s. The app's heavy steps
(measuring an upload, a comparison, a map, a report) therefore run through :func:`off_loop`,
an ``async`` helper that hands the call to a thread of :data:`POOL` and awaits it, so that the
loop keeps serving pages while the work runs. Shapely, GEOS, pyogrio and NumPy release the GIL
in their heavy calls, so the threads also overlap on several cores.

Each call has a **time budget**: past it the session is told the work took too long and gets
its page back (a Python thread cannot be killed, so the abandoned call finishes in the
background; the pool's size bounds how many such calls can run at once). The **memory** a call
can take is bounded by what goes in rather than by a limit on the process: uploads are capped
in bytes, unpacked bytes, vertices, parts and features (:mod:`geodistrict.app._upload`), and
geometries are simplified before they are buffered (:mod:`geodistrict.districts`).

The helper imports no Panel, so it can be tested with plain :mod:`asyncio`.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ..errors import GeodistrictError

__all__ = ["BUDGET_S", "POOL", "WorkTimeout", "busy", "off_loop", "resize", "run_in_background"]

T = TypeVar("T")

#: Seconds a task may take before its session is told so (the default budget).
BUDGET_S = 60.0
#: Threads doing heavy work for all sessions of this process.
POOL = ThreadPoolExecutor(
    max_workers=max(4, min(8, 2 * (os.cpu_count() or 2))), thread_name_prefix="geodistrict-work"
)
_RUNNING = 0
_COUNT_LOCK = threading.Lock()


def resize(workers: int) -> None:
    """Use ``workers`` threads for the tasks submitted from now on (``app --workers``)."""
    global POOL
    old, POOL = POOL, ThreadPoolExecutor(max_workers=workers, thread_name_prefix="geodistrict-work")
    old.shutdown(wait=False)


class WorkTimeout(GeodistrictError, TimeoutError):
    """A task ran past its time budget; its session was given its page back."""


def busy() -> int:
    """How many tasks the pool is running or holding now (for the load test and the logs)."""
    return _RUNNING


def _counted(fn: Callable[[], T]) -> T:
    global _RUNNING
    with _COUNT_LOCK:
        _RUNNING += 1
    try:
        return fn()
    finally:
        with _COUNT_LOCK:
            _RUNNING -= 1


async def off_loop(
    fn: Callable[..., T], *args: Any, budget_s: float = BUDGET_S, what: str = "", **kwargs: Any
) -> T:
    """Run ``fn(*args, **kwargs)`` in :data:`POOL` and await its result from the event loop.

    Parameters
    ----------
    fn : callable
        The heavy call; it must not touch widgets (the awaiting coroutine shows its result).
    budget_s : float
        Seconds allowed; past them :class:`WorkTimeout` is raised in the awaiting coroutine.
    what : str
        What the task does, for the timeout message ("measuring the district").

    Raises
    ------
    WorkTimeout
        The task took longer than ``budget_s``.
    Exception
        Whatever ``fn`` raised.

    Examples
    --------
    >>> asyncio.run(off_loop(sum, [1, 2, 3]))
    6
    """
    loop = asyncio.get_running_loop()
    call = functools.partial(_counted, functools.partial(fn, *args, **kwargs))
    fut = loop.run_in_executor(POOL, call)
    try:
        return await asyncio.wait_for(asyncio.shield(fut), timeout=budget_s)
    except TimeoutError:
        raise WorkTimeout(
            f"{what or 'the task'} took longer than {budget_s:g} s, the app's limit per task; "
            "try a simpler polygon (fewer vertices or parts) or the command line "
            "(geodistrict card), which has no limit."
        ) from None


def run_in_background(fn: Callable[[], Any], *, name: str) -> threading.Thread:
    """Start ``fn()`` in a daemon thread (data loading while the server already answers)."""
    t = threading.Thread(target=fn, name=name, daemon=True)
    t.start()
    return t
