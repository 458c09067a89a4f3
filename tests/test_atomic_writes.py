"""Outputs are never half-written: a failed or killed write leaves the previous file intact.

``write_table`` (and ``write_text`` / ``write_json``) write to a hidden temporary file in the
target's folder and ``os.replace`` it over the target once complete. Here writes are broken
half-way, by making the underlying writer raise after writing part of its output, and by
``SIGKILL``-ing a process in the middle of a write; then the previous file must be byte for
byte what it was, and no temporary file may survive (a killed process cannot clean up after
itself: the next write to the same path removes its leftovers).

The ONS Postcode Directory cache (``geodistrict.io.onspd``) is written the same way (a
``.tmp`` file, then ``os.replace``); its tests simulate failures with monkeypatching.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geodistrict import GeodistrictWarning
from geodistrict.io import onspd
from geodistrict.io.write import atomic_path, stale_temporaries, write_json, write_table


def _table(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [f"Z{i}" for i in range(n)], "firms_count": np.arange(n)},
        geometry=[shapely.box(i * 1000, 0, i * 1000 + 1000, 1000) for i in range(n)],
        crs=27700,
    )


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


class Boom(RuntimeError):
    """Raised by a writer half-way through."""


def _half_then_raise(path) -> None:
    Path(path).write_bytes(b"PARTIAL OUTPUT, cut off in the middle of a ro")
    raise Boom("the writer died half-way")


# (format, the writer to break, where it lives)
BREAKS = {
    ".csv": (pd.DataFrame, "to_csv"),
    ".gpkg": (gpd.GeoDataFrame, "to_file"),
    ".parquet": (gpd.GeoDataFrame, "to_parquet"),
    ".geojson": (Path, "write_text"),
}


@pytest.mark.parametrize("suffix", list(BREAKS))
def test_a_write_that_fails_half_way_leaves_the_previous_file(suffix, tmp_path, monkeypatch):
    target = tmp_path / f"profile{suffix}"
    write_table(_table(3), target, provenance={"run": 1})
    before = target.read_bytes()
    listing = _listing(tmp_path)

    owner, name = BREAKS[suffix]
    if owner is Path:  # Path.write_text(self, text): the path is self
        monkeypatch.setattr(owner, name, lambda self, *a, **k: _half_then_raise(self))
    else:
        monkeypatch.setattr(owner, name, lambda self, path, *a, **k: _half_then_raise(path))
    with pytest.raises(Boom):
        write_table(_table(5), target, provenance={"run": 2})
    monkeypatch.undo()

    assert target.read_bytes() == before  # the old file, whole
    assert _listing(tmp_path) == listing  # no temporary file left behind
    # and the file still reads as the old table
    if suffix == ".csv":
        assert len(pd.read_csv(target)) == 3
    elif suffix == ".parquet":
        assert len(gpd.read_parquet(target)) == 3
    else:
        assert len(pyogrio.read_dataframe(target)) == 3


def test_parquet_failing_in_its_second_step_leaves_the_previous_file(tmp_path, monkeypatch):
    """GeoParquet is written, read back and rewritten with provenance: break the rewrite."""
    import pyarrow.parquet as pq

    target = tmp_path / "profile.parquet"
    write_table(_table(3), target, provenance={"run": 1})
    before = target.read_bytes()
    monkeypatch.setattr(pq, "write_table", lambda table, where, **k: _half_then_raise(where))
    with pytest.raises(Boom):
        write_table(_table(5), target, provenance={"run": 2})
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert _listing(tmp_path) == ["profile.parquet"]


def test_a_first_write_that_fails_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(pd.DataFrame, "to_csv", lambda self, path, *a, **k: _half_then_raise(path))
    with pytest.raises(Boom):
        write_table(_table(), tmp_path / "new.csv")
    assert _listing(tmp_path) == []


def test_rewriting_a_geopackage_layer_keeps_its_other_layers(tmp_path):
    target = tmp_path / "results.gpkg"
    write_table(_table(2), target, layer="lep")
    write_table(_table(3), target, layer="lad")
    write_table(_table(4), target, layer="lep")  # replace one layer of the file
    layers = dict(pyogrio.list_layers(target)[:, :2].tolist())
    assert set(layers) == {"lep", "lad"}
    assert len(pyogrio.read_dataframe(target, layer="lep")) == 4
    assert len(pyogrio.read_dataframe(target, layer="lad")) == 3
    assert _listing(tmp_path) == ["results.gpkg"]


def test_write_json_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    write_json(target, {"layers": {"firms": {"input": 3}}})
    before = target.read_bytes()
    monkeypatch.setattr(Path, "write_text", lambda self, *a, **k: _half_then_raise(self))
    with pytest.raises(Boom):
        write_json(target, {"layers": {"firms": {"input": 5}}})
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert _listing(tmp_path) == ["report.json"]


def test_atomic_path_cleans_up_when_the_block_raises(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_text("new, half")
            assert tmp.parent == target.parent and tmp.name.startswith(".out.csv.")
            raise KeyboardInterrupt
    assert target.read_text() == "old\n"
    assert _listing(tmp_path) == ["out.csv"]


# --- a process killed in the middle of a write -----------------------------------------------

_KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import pandas as pd
    from geodistrict.io.write import write_table

    real_to_csv = pd.DataFrame.to_csv

    def slow_to_csv(self, path, *args, **kwargs):
        # write the first half of the rows for real, then stall until killed
        real_to_csv(self.iloc[: len(self) // 2], path, *args, **kwargs)
        print("HALF", path, flush=True)
        time.sleep(120)

    pd.DataFrame.to_csv = slow_to_csv
    frame = pd.DataFrame({"id": range(200_000), "firms_count": range(200_000)})
    write_table(frame, Path(sys.argv[1]))
    print("FINISHED", flush=True)
    """
)


def test_sigkill_in_the_middle_of_a_write_leaves_the_previous_file(tmp_path):
    target = tmp_path / "profile.csv"
    write_table(pd.DataFrame({"id": ["A", "B"], "firms_count": [1, 2]}), target)
    before = target.read_bytes()

    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # blocks until the child is half-way through
        assert line.startswith("HALF"), line + proc.stderr.read()
        tmp = Path(line.split(" ", 1)[1].strip())
        assert tmp.exists() and tmp.stat().st_size > 0 and tmp != target
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    assert target.read_bytes() == before  # readers still see the complete old file
    # the killed writer could not clean up: its hidden temporary file is recognisably stale
    assert stale_temporaries(target) == [tmp]
    # ... and the next write to the same path removes it
    write_table(pd.DataFrame({"id": ["C"], "firms_count": [3]}), target)
    assert pd.read_csv(target)["id"].tolist() == ["C"]
    assert _listing(tmp_path) == ["profile.csv"]


def test_a_live_writers_temporary_file_is_left_alone(tmp_path):
    """Only files of dead processes are stale: two writers may race on one path."""
    target = tmp_path / "out.csv"
    mine = tmp_path / f".out.csv.{os.getpid()}.abcdef12.tmp.csv"
    mine.write_text("being written")
    assert stale_temporaries(target) == []
    write_table(pd.DataFrame({"a": [1]}), target)
    assert mine.exists()


# --- the ONS Postcode Directory cache (onspd.py writes through atomic_path) ---------------


def _directory() -> pd.DataFrame:
    """What decoding the postcode package returns, in miniature."""
    return pd.DataFrame(
        {
            "pcd": pd.Series(["CB2 1TN", "CB3 0FA", "M1  1AA"], dtype="string"),
            "x": [545000.0, 543000.0, np.nan],
            "y": [258000.0, 259000.0, np.nan],
            "laua": pd.Series(["E07000008", "E07000008", "E08000003"], dtype="category"),
        }
    )


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder, a fake package version and a counting decoder."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GEODISTRICT_CACHE_DIR", str(folder))
    monkeypatch.setattr(onspd, "_memo", {})
    monkeypatch.setattr(onspd, "package_version", lambda: "9.9.9")
    calls = []

    def decode():
        calls.append(1)
        return _directory()

    monkeypatch.setattr(onspd, "_decode_package", decode)
    path = folder / f"onspd-9.9.9-v{onspd._CACHE_SCHEMA}.arrow"
    return path, calls


def _cached(path: Path) -> pd.DataFrame:
    """The table in a cache file, read with pyarrow alone."""
    import pyarrow as pa

    return pa.ipc.open_file(str(path)).read_all().to_pandas()


def _same(df: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        df.reset_index(drop=True), _directory(), check_dtype=False, check_categorical=False
    )


def test_onspd_cache_write_failing_half_way_is_not_trusted(cache, monkeypatch):
    path, calls = cache
    real = onspd._write_arrow

    def disk_full(table, where):
        Path(where).write_bytes(b"ARROW1 half an Arrow file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(onspd, "_write_arrow", disk_full)
    _same(onspd.load_postcodes())  # the directory is still returned, from the package
    assert not path.exists()  # and no half-written cache under the real name

    # a later session: the write succeeds, the cache is complete and used from then on
    monkeypatch.setattr(onspd, "_write_arrow", real)
    monkeypatch.setattr(onspd, "_memo", {})
    _same(onspd.load_postcodes())
    assert path.exists()
    _same(_cached(path))
    monkeypatch.setattr(onspd, "_memo", {})
    _same(onspd.load_postcodes())
    assert len(calls) == 2  # decoded twice (failed write, rebuild), then read from the cache


def test_onspd_cache_write_crashing_never_publishes_a_partial_cache(cache, monkeypatch):
    path, _ = cache

    def crash(table, where):
        Path(where).write_bytes(b"ARROW1 half")
        raise RuntimeError("killed in the middle of the write")

    monkeypatch.setattr(onspd, "_write_arrow", crash)
    # the table was decoded: the run goes on without a cache, and no partial cache is published
    _same(onspd.load_postcodes())
    assert not path.exists()
    assert sorted(p.name for p in path.parent.iterdir()) == []  # no temporary left either


def _finished_pid() -> int:
    """The pid of a process that has finished (and been reaped): a killed writer's."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_onspd_leftover_tmp_from_a_killed_writer_is_removed(cache, monkeypatch):
    path, calls = cache
    path.parent.mkdir(parents=True)
    stale = path.with_name(f".{path.name}.{_finished_pid()}.0badcafe.tmp.arrow")
    stale.write_bytes(b"ARROW1 what a killed process left")
    _same(onspd.load_postcodes())
    _same(_cached(path))
    assert not stale.exists()


def test_onspd_tmp_of_a_writer_still_running_is_left_alone(cache, monkeypatch):
    # two processes building the cache at once (the app and a command on a new machine):
    # neither deletes the other's half-written file
    path, calls = cache
    path.parent.mkdir(parents=True)
    other = subprocess.Popen(["sleep", "30"])
    try:
        live = path.with_name(f".{path.name}.{other.pid}.0badcafe.tmp.arrow")
        live.write_bytes(b"ARROW1 being written by another process")
        _same(onspd.load_postcodes())
        _same(_cached(path))
        assert live.read_bytes() == b"ARROW1 being written by another process"
    finally:
        other.kill()
        other.wait()


def test_onspd_corrupt_cache_is_rebuilt(cache, monkeypatch):
    path, calls = cache
    path.parent.mkdir(parents=True)
    path.write_bytes(b"ARROW1 truncated by a crash before os.replace existed")
    with pytest.warns(GeodistrictWarning, match="not a readable Arrow file.*rebuilt"):
        _same(onspd.load_postcodes())
    assert len(calls) == 1
    _same(_cached(path))  # replaced by a complete cache
