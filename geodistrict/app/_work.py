"""Heavy work off the server's event loop: a thread pool, and capped processes for uploads.

A Panel server runs every session's callbacks on one event loop: a callback that buffers a
999-square district for 30 s freezes every other visitor for 30 s. The app's heavy steps
therefore run off the loop, in one of two ways.

:func:`off_loop` hands a call to a thread of :data:`POOL` and awaits it (a comparison, a map, a
report: work on the data the server already trusts). Shapely, GEOS, pyogrio and NumPy release
the GIL in their heavy calls, so the threads also overlap on several cores. Past its **time
budget** the session is told the work took too long and gets its page back; a Python thread
cannot be killed, so the abandoned call finishes in the background (the pool's size bounds how
many such calls can run at once).

:func:`off_process` runs a call on **untrusted input that can expand** (reading an uploaded
zip, GeoPackage or large file with :func:`~geodistrict.app.parse_upload`; a GeoJSON up to
1 MB, whose size in memory follows from its bytes, is read in a thread, see
:func:`~geodistrict.app.needs_own_process`) in a process of its own, whose address space is capped
with ``setrlimit(RLIMIT_AS)`` (:data:`MEMORY_MB`, 1.5 GB) and which is killed (SIGKILL) when its
time budget passes. A task over either limit gives its session one line
(:class:`WorkMemoryError`, :class:`WorkTimeout`) and leaves no thread or memory behind: the
server's memory grows by at most :data:`MEMORY_MB` per running task, and at most
:data:`PROCESS_SLOTS` such tasks run at once. The processes are forked from a ``forkserver``
that has already imported geopandas, pyogrio and the upload checks (:data:`WARM_MODULES`);
:func:`warm_processes` starts it when the app starts, so that the first upload does not pay
those imports (reading a one-square GeoJSON took 0.2–0.3 s, against 2.5–3 s from a cold
server and 0.03 s in a warm thread: each process looks its CRSs up in PROJ's database
afresh). Arguments and results cross by pickle (a :class:`~geodistrict.Boundaries`
pickles whole). The caps on what goes in (:mod:`geodistrict.app._upload`) still apply inside.

The helpers import no Panel, so they can be tested with plain :mod:`asyncio`.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import pickle
import signal
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from ..errors import GeodistrictError

__all__ = [
    "BUDGET_S",
    "MEMORY_MB",
    "POOL",
    "PROCESS_SLOTS",
    "WARM_MODULES",
    "WorkMemoryError",
    "WorkTimeout",
    "busy",
    "children",
    "off_loop",
    "off_process",
    "resize",
    "run_in_background",
    "warm_processes",
]

T = TypeVar("T")

#: Seconds a task may take before its session is told so (the default budget).
BUDGET_S = 60.0
#: Threads doing heavy work for all sessions of this process.
POOL = ThreadPoolExecutor(
    max_workers=max(4, min(8, 2 * (os.cpu_count() or 2))), thread_name_prefix="geodistrict-work"
)
#: Address space (MB) of a task process of :func:`off_process` (``RLIMIT_AS``, Linux): the
#: imported libraries map about 0.5 GB of it (0.1 GB resident) before the task starts.
MEMORY_MB = 1536
#: Task processes of :func:`off_process` that run at once; more wait for a free slot.
PROCESS_SLOTS = 2
#: Modules the fork server imports once, so that a task process starts warm.
WARM_MODULES = ("geodistrict.app._upload", "geodistrict.io.vector", "geopandas", "pyogrio")
_RUNNING = 0
_COUNT_LOCK = threading.Lock()
_SLOTS = threading.BoundedSemaphore(PROCESS_SLOTS)
_CHILDREN: set[int] = set()
_FIX = (
    "try a simpler polygon (fewer vertices or parts) or the command line "
    "(geodistrict card), which has no limit."
)


def resize(workers: int) -> None:
    """Use ``workers`` threads for the tasks submitted from now on (``app --workers``)."""
    global POOL
    old, POOL = POOL, ThreadPoolExecutor(max_workers=workers, thread_name_prefix="geodistrict-work")
    old.shutdown(wait=False)


class WorkTimeout(GeodistrictError, TimeoutError):
    """A task ran past its time budget; its session was given its page back."""


class WorkMemoryError(GeodistrictError, MemoryError):
    """A task process needed more memory than its limit; it was stopped."""


def busy() -> int:
    """How many tasks the pool is running or holding now (for the load test and the logs)."""
    return _RUNNING


def children() -> list[int]:
    """Process ids of the :func:`off_process` tasks running now (for the tests and the logs)."""
    with _COUNT_LOCK:
        return sorted(_CHILDREN)


def _counted(fn: Callable[[], T]) -> T:
    global _RUNNING
    with _COUNT_LOCK:
        _RUNNING += 1
    try:
        return fn()
    finally:
        with _COUNT_LOCK:
            _RUNNING -= 1


def _timeout(what: str, budget_s: float) -> WorkTimeout:
    return WorkTimeout(
        f"{what or 'the task'} took longer than {budget_s:g} s, the app's limit per task; {_FIX}"
    )


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
        raise _timeout(what, budget_s) from None


# --------------------------------------------------------------------------------------------
# capped processes


def _context() -> Any:
    """The ``forkserver`` context, its server importing :data:`WARM_MODULES` when it starts."""
    ctx = multiprocessing.get_context("forkserver")
    # "__main__" too: imported once by the server, then not again in every task process
    ctx.set_forkserver_preload(["__main__", *WARM_MODULES])
    return ctx


def warm_processes() -> None:
    """Start the fork server of :func:`off_process` and wait until it has its imports.

    Call it once when the app starts (from a thread: it takes the time of importing
    geopandas); the first upload then takes about 0.2 s instead of 2–3 s.
    Call it before any ``fork`` of the server (Bokeh's ``--num-procs``), or not at all.
    """
    _run_in_child(os.getpid, (), {}, budget_s=BUDGET_S, memory_mb=MEMORY_MB, what="warming up")


class _RemoteTraceback(Exception):
    """The task process's traceback, shown as the cause of what it raised."""

    def __str__(self) -> str:
        return str(self.args[0])


def _peak_mb() -> float:
    """The largest address space this process has had, in MB (``VmPeak``; 0 if unknown)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _task(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...],
          kwargs: dict[str, Any], memory_mb: int) -> None:  # fmt: skip
    """The body of a task process: cap the address space, run ``fn``, send back what came."""
    import resource

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    if memory_mb:
        cap = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        out: tuple[Any, ...] = ("ok", fn(*args, **kwargs))
    except MemoryError:
        out = ("memory",)
    except GeodistrictError as exc:  # the user's input refused: said as it is
        out = ("error", exc, traceback.format_exc())
    except BaseException as exc:  # noqa: BLE001 - sent to the parent, raised there
        # a failed allocation reaches Python as other errors too (a SystemError from a
        # container, a GDAL error): at the cap, it is the cap
        near_cap = memory_mb and _peak_mb() > memory_mb - 64
        out = ("memory",) if near_cap else ("error", exc, traceback.format_exc())
    try:
        payload = pickle.dumps(out)
        if out[0] == "error":
            pickle.loads(payload)  # an exception that cannot be rebuilt is sent as text
    except MemoryError:
        payload = pickle.dumps(("memory",))
    except Exception as exc:  # noqa: BLE001 - an unpicklable result or exception
        text = "".join(traceback.format_exception_only(exc)).strip()
        payload = pickle.dumps(("error", None, f"{out[-1] if out[0] == 'error' else ''}{text}"))
    conn.send_bytes(payload)
    conn.close()


def _run_in_child(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any], *,
                  budget_s: float, memory_mb: int, what: str) -> T:  # fmt: skip
    """Run ``fn`` in a capped process and return its result (blocking; see off_process)."""
    start = time.monotonic()
    if not _SLOTS.acquire(timeout=budget_s):
        raise _timeout(what, budget_s)
    try:
        ctx = _context()
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_task, args=(send, fn, args, kwargs, memory_mb), daemon=True,
                           name="geodistrict-task")  # fmt: skip
        proc.start()
        send.close()
        with _COUNT_LOCK:
            _CHILDREN.add(proc.pid)
        out: tuple[Any, ...] | None = None
        try:
            if recv.poll(max(0.0, budget_s - (time.monotonic() - start))):
                out = pickle.loads(recv.recv_bytes())
            else:
                out = ("timeout",)
        except EOFError:
            out = None  # the process died without a word: killed by the kernel or aborted
        finally:
            if out is not None and out[0] != "timeout":
                proc.join(5)  # it has answered and exits now; if it hangs, it is killed
            if proc.is_alive():
                proc.kill()
            proc.join()
            recv.close()
            with _COUNT_LOCK:
                _CHILDREN.discard(proc.pid)
    finally:
        _SLOTS.release()
    return _outcome(out, proc.exitcode, what=what, budget_s=budget_s, memory_mb=memory_mb)


def _outcome(out: tuple[Any, ...] | None, exitcode: int | None, *, what: str, budget_s: float,
             memory_mb: int) -> Any:  # fmt: skip
    """The task's result, or the exception that says why there is none."""
    if out is not None and out[0] == "ok":
        return out[1]
    if out is not None and out[0] == "timeout":
        raise _timeout(what, budget_s)
    if out is not None and out[0] == "error":
        if out[1] is None:
            raise RuntimeError(f"{what or 'the task'} failed in its process: {out[2]}")
        raise out[1] from _RemoteTraceback(out[2])
    if out is None and (exitcode or 0) >= 0:  # not killed: it failed before running fn
        raise RuntimeError(f"{what or 'the task'}: its process exited with status {exitcode}")
    how = "" if out is not None else f" (its process was stopped by signal {-(exitcode or 0)})"
    raise WorkMemoryError(
        f"{what or 'the task'} needed more than {memory_mb:,} MB, the app's memory limit per "
        f"task{how}; {_FIX}"
    )


async def off_process(
    fn: Callable[..., T],
    *args: Any,
    budget_s: float = BUDGET_S,
    memory_mb: int = MEMORY_MB,
    what: str = "",
    **kwargs: Any,
) -> T:
    """Run ``fn(*args, **kwargs)`` in a process with a time and memory budget, and await it.

    The process is forked from a warm fork server (see :func:`warm_processes`), its address
    space capped at ``memory_mb`` (``RLIMIT_AS``), and killed with SIGKILL when ``budget_s``
    has passed: nothing of the task outlives its budget. At most :data:`PROCESS_SLOTS` tasks
    run at once; waiting for a slot counts against the budget.

    Parameters
    ----------
    fn : callable
        A function importable by name (module level), for untrusted input; its arguments and
        its result must pickle.
    budget_s : float
        Seconds allowed; past them the process is killed and :class:`WorkTimeout` raised.
    memory_mb : int
        Address space of the process in MB (0: no cap). The imported libraries map about
        0.5 GB of it before ``fn`` starts.
    what : str
        What the task does, for the messages ("reading the file").

    Raises
    ------
    WorkTimeout
        The task took longer than ``budget_s``; its process was killed.
    WorkMemoryError
        The task needed more than ``memory_mb`` (a :class:`MemoryError` in the process, or the
        process stopped without a result).
    Exception
        Whatever ``fn`` raised, its traceback in the process as ``__cause__``.

    Examples
    --------
    >>> asyncio.run(off_process(sum, [1, 2, 3]))
    6
    >>> asyncio.run(off_process(bytearray, 4 * 2**30, what="a 4 GB buffer"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geodistrict.app._work.WorkMemoryError: a 4 GB buffer needed more than 1,536 MB, ...
    """
    loop = asyncio.get_running_loop()
    call = functools.partial(_run_in_child, fn, args, kwargs, budget_s=budget_s,
                             memory_mb=memory_mb, what=what)  # fmt: skip
    return await loop.run_in_executor(POOL, functools.partial(_counted, call))


def run_in_background(fn: Callable[[], Any], *, name: str) -> threading.Thread:
    """Start ``fn()`` in a daemon thread (data loading while the server already answers)."""
    t = threading.Thread(target=fn, name=name, daemon=True)
    t.start()
    return t
