"""The capped task processes of the app (:func:`geodistrict.app._work.off_process`, issue 17).

A hostile upload runs in a process of its own: over its memory cap it is refused in one line
and the server's own memory does not move; past its time budget the process is killed (its pid
is gone) and :class:`WorkTimeout` raised; a normal upload comes back equal to the in-process
one. Memory is read from ``/proc/self/status``, process ids from ``/proc``.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import sys
import threading
import time

import numpy as np
import pytest
import shapely

from geodistrict.app import UploadError, parse_upload
from geodistrict.app._work import (
    WorkMemoryError,
    WorkTimeout,
    children,
    off_process,
    warm_processes,
)
from geodistrict.errors import GeodistrictError

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and /proc: Linux")

MB = 1_000_000


def _rss() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0  # pragma: no cover


class _Growth:
    """Peak growth of this process's resident memory during a ``with`` block (sampled)."""

    def __enter__(self) -> _Growth:
        self.base, self.peak, self._done = _rss(), 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, _rss())
            time.sleep(0.002)

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.bytes = max(self.peak, _rss()) - self.base


@pytest.fixture(scope="module", autouse=True)
def _warm():
    warm_processes()  # the fork server imports geopandas once, not inside a test's budget


def _square_geojson() -> bytes:
    ring = [[0.11, 52.2], [0.13, 52.2], [0.13, 52.21], [0.11, 52.21], [0.11, 52.2]]
    feat = {"type": "Feature", "properties": {"name": "Core"},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "features": [feat]}).encode()


class _Chunk:
    """Unpickles as a fresh ``bytearray`` of 100 MB (zeros written: the pages are touched)."""

    def __reduce__(self):
        return bytearray, (100 * MB,)


# a task that grows 100 MB at a time until it meets the cap (30 chunks: 3 GB), and one that
# asks for 3 GB at once
_GRADUAL = (pickle.loads, pickle.dumps([_Chunk() for _ in range(30)]))
_AT_ONCE = (bytearray, 3 * 2**30)


@pytest.mark.parametrize("call", [_GRADUAL, _AT_ONCE], ids=["gradual", "at_once"])
def test_a_task_over_its_memory_cap_is_refused_and_the_server_does_not_grow(call):
    with _Growth() as growth, pytest.raises(WorkMemoryError) as err:
        # 3 GB, twice the cap: the process's allocation fails, not the server's
        asyncio.run(off_process(*call, memory_mb=1536, what="reading bomb.zip"))
    msg = str(err.value)
    assert msg.startswith("reading bomb.zip needed more than 1,536 MB, the app's memory limit")
    assert "command line" in msg and "\n" not in msg
    assert isinstance(err.value, GeodistrictError) and isinstance(err.value, MemoryError)
    assert growth.bytes < 100 * MB, growth.bytes / MB
    assert children() == []


def test_a_task_past_its_budget_is_killed():
    async def scenario() -> tuple[int, BaseException | None, float]:
        task = asyncio.ensure_future(off_process(time.sleep, 30, budget_s=1.0, what="measuring"))
        pid = 0
        for _ in range(400):  # the task's process appears within a fraction of a second
            await asyncio.sleep(0.01)
            if children():
                pid = children()[0]
                break
        t0 = time.perf_counter()
        try:
            await task
        except WorkTimeout as exc:
            return pid, exc, time.perf_counter() - t0
        return pid, None, time.perf_counter() - t0

    pid, exc, waited = asyncio.run(scenario())
    assert pid > 0
    assert isinstance(exc, WorkTimeout)
    assert str(exc).startswith("measuring took longer than 1 s, the app's limit per task")
    assert waited < 5  # killed at the budget, not left to sleep its 30 s
    assert not os.path.exists(f"/proc/{pid}")  # killed and reaped
    assert children() == []


def test_parse_upload_through_a_process_equals_in_process():
    data = _square_geojson()
    here = parse_upload(data, "core.geojson")
    there = asyncio.run(off_process(parse_upload, data, "core.geojson", what="reading the file"))
    assert list(there.ids) == list(here.ids) == ["core"]
    assert list(there.names) == list(here.names) == ["Core"]
    assert there.metric_crs == here.metric_crs
    assert there.info == here.info
    assert there.data.crs == here.data.crs
    assert shapely.equals_exact(there.metric, here.metric, tolerance=0).all()
    assert shapely.equals_exact(there.data.geometry.values, here.data.geometry.values, 0).all()
    np.testing.assert_array_equal(there.area_km2, here.area_km2)
    assert pickle.loads(pickle.dumps(here)).ids.tolist() == ["core"]


def test_errors_of_the_task_come_back_as_themselves():
    with pytest.raises(UploadError, match="over the") as err:
        asyncio.run(off_process(parse_upload, b"{}" * 100, "big.geojson", max_bytes=10))
    assert "in _check_bytes" in str(err.value.__cause__)  # the process's traceback, kept


def test_a_process_that_dies_without_a_word_is_reported_as_over_memory():
    """The kernel's OOM killer, or C++ aborting on a failed allocation: no Python error."""
    with pytest.raises(WorkMemoryError, match=r"stopped by signal 6\); try a simpler polygon"):
        asyncio.run(off_process(os.abort, what="reading x.zip"))


def _dense_geojson(limit: int) -> bytes:
    """A circle with as many vertices as fit in ``limit`` bytes (short coordinates)."""
    n = (limit - 200) // 16  # "[0.12345,0.1234]," is 16-17 bytes a vertex
    for _ in range(5):
        t = np.linspace(0, 2 * np.pi, n, endpoint=False)
        ring = [[round(0.12 + 0.01 * np.cos(a), 5), round(52.2 + 0.01 * np.sin(a), 5)] for a in t]
        ring.append(ring[0])
        doc = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
                          "properties": {}, "geometry": {"type": "Polygon",
                          "coordinates": [ring]}}]}, separators=(",", ":")).encode()  # fmt: skip
        if len(doc) <= limit:
            return doc
        n = int(n * limit / len(doc) * 0.99)
    raise AssertionError("could not fit the circle")  # pragma: no cover


def test_which_uploads_are_read_in_a_process_of_their_own():
    from geodistrict.app import IN_THREAD_MAX_BYTES, needs_own_process

    small = _square_geojson()
    assert not needs_own_process(small, "core.geojson")
    assert not needs_own_process(small, "CORE.JSON")
    assert not needs_own_process(small, "drawn.geojson")
    # formats whose reading can produce more than their bytes, and large files, are capped
    assert needs_own_process(b"PK\x03\x04" + b"\0" * 100, "district.zip")
    assert needs_own_process(b"SQLite format 3\0" + b"\0" * 100, "district.gpkg")
    assert needs_own_process(b" " * (IN_THREAD_MAX_BYTES + 1), "big.geojson")
    assert needs_own_process(small, "district.txt")  # refused, but not in a thread


def test_the_largest_geojson_read_in_a_thread_stays_small_in_memory():
    """Why a GeoJSON up to IN_THREAD_MAX_BYTES may be read in the server's own process."""
    from geodistrict.app import IN_THREAD_MAX_BYTES, needs_own_process

    doc = _dense_geojson(IN_THREAD_MAX_BYTES)
    assert not needs_own_process(doc, "dense.geojson")
    parse_upload(_square_geojson(), "warm.geojson")  # imports and PROJ's database, once
    with _Growth() as growth:
        b = parse_upload(doc, "dense.geojson")
    vertices = shapely.get_num_coordinates(b.data.geometry.values).sum()
    assert vertices > 50_000  # a dense polygon, near MAX_VERTICES' order of size
    assert growth.bytes < 150 * MB, growth.bytes / MB
