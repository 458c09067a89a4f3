"""The ONS Postcode Directory cache is checked on every read and rebuilt when wrong.

The cache (``geodistrict.io.onspd``) is an Arrow file of the arrays the join needs. A file
with other columns, a truncated or shifted copy, one from another version of the package, or
one edited after it was written must never be used: each is detected, announced with a
warning naming the reason, and rebuilt from the package. The package is replaced here by a
small hand-made directory (3,000 postcodes), so that every case runs in milliseconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from geodistrict import GeodistrictWarning
from geodistrict.errors import InputFileError
from geodistrict.io import onspd

N = 3000


def _directory() -> pd.DataFrame:
    """3,000 postcodes in two LADs, every tenth without a grid reference."""
    i = np.arange(N)
    x = 400000.0 + i
    y = 300000.0 + 2 * i
    x[::10] = np.nan
    y[::10] = np.nan
    laua = np.where(i < N // 2, "E07000008", "W06000015")
    return pd.DataFrame(
        {
            "pcd": pd.Series([f"AB{k:05d}" for k in i], dtype="string"),
            "x": x,
            "y": y,
            "laua": pd.Series(laua, dtype="category"),
        }
    )


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache folder, a fake package version and a counting decoder; the cache is built."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GEODISTRICT_CACHE_DIR", str(folder))
    monkeypatch.setattr(onspd, "_memo", {})
    monkeypatch.setattr(onspd, "package_version", lambda: "9.9.9")
    calls = []

    def decode():
        calls.append(1)
        return _directory()

    monkeypatch.setattr(onspd, "_decode_package", decode)
    onspd.load_postcodes()
    monkeypatch.setattr(onspd, "_memo", {})
    path = folder / f"onspd-9.9.9-v{onspd._CACHE_SCHEMA}.arrow"
    assert path.exists() and calls == [1]
    return path, calls


def _same(df: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        df.reset_index(drop=True), _directory(), check_dtype=False, check_categorical=False
    )


def _table(path: Path) -> pa.Table:
    with pa.OSFile(str(path)) as source:  # not memory-mapped: the tests rewrite the file
        return pa.ipc.open_file(source).read_all()


def _rewrite(path: Path, table: pa.Table) -> None:
    """Replace the cache by ``table``, keeping whatever schema metadata ``table`` carries."""
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _rebuilt(path: Path, calls: list, reason: str) -> None:
    with pytest.warns(GeodistrictWarning, match=reason):
        _same(onspd.load_postcodes())
    assert len(calls) == 2  # decoded again from the package
    onspd._memo.clear()
    _same(onspd.load_postcodes())  # and the new cache is good: read without a warning
    assert len(calls) == 2


def test_a_good_cache_is_read_without_decoding(cache):
    path, calls = cache
    df = onspd.load_postcodes()
    _same(df)
    assert calls == [1]
    assert isinstance(df["laua"].dtype, pd.CategoricalDtype)
    assert df["laua"].cat.categories.tolist() == ["E07000008", "W06000015"]
    # no per-row Python strings: the postcodes stay in Arrow memory
    assert df["pcd"].dtype == "string"


def test_the_cache_records_what_it_was_built_from(cache):
    path, _ = cache
    info = json.loads(_table(path).schema.metadata[onspd._META_KEY])
    assert info["rows"] == N
    assert info["package"] == "9.9.9"
    assert info["schema"] == onspd._CACHE_SCHEMA
    assert info["source"] == onspd._source_fingerprint()
    assert info["pcd_width"] == 7


def test_parquet_with_other_columns_is_rebuilt(cache):
    path, calls = cache
    pd.DataFrame({"postcode": ["AB1 2CD"], "east": [1.0]}).to_parquet(path)
    _rebuilt(path, calls, "not a readable Arrow file")


def test_arrow_file_with_other_columns_is_rebuilt(cache):
    path, calls = cache
    t = _table(path)
    other = t.rename_columns(["pcd", "easting", "northing", "laua"])
    _rebuilt_with(path, calls, other, "columns .* are not pcd, x, y, laua")


def _rebuilt_with(path, calls, table, reason):
    _rewrite(path, table)
    _rebuilt(path, calls, reason)


def test_truncated_cache_is_rebuilt(cache):
    path, calls = cache
    t = _table(path)
    _rebuilt_with(path, calls, t.slice(0, 1000), "holds 1,000 rows, its description says 3000")


def test_truncated_cache_with_a_matching_row_count_is_rebuilt(cache):
    path, calls = cache
    t = _table(path)
    info = json.loads(t.schema.metadata[onspd._META_KEY])
    info["rows"] = 1000
    short = t.slice(0, 1000).combine_chunks()
    short = short.replace_schema_metadata({onspd._META_KEY: json.dumps(info)})
    _rebuilt_with(path, calls, short, "does not match its checksum")


@pytest.mark.parametrize("column", ["x", "y", "pcd", "laua"])
def test_shifted_column_is_rebuilt(cache, column):
    """One column moved down a row: every count per LAD would be silently wrong."""
    path, calls = cache
    t = _table(path)
    i = t.schema.get_field_index(column)
    col = t.column(i).combine_chunks()
    shifted = pa.concat_arrays([col.slice(N - 1, 1), col.slice(0, N - 1)])
    _rebuilt_with(path, calls, t.set_column(i, t.field(i), shifted), "checksum")


def test_coordinates_moved_by_a_kilometre_are_rebuilt(cache):
    path, calls = cache
    t = _table(path)
    x = t.column("x").to_numpy() + 1000.0
    moved = t.set_column(1, t.field(1), pa.array(x))
    _rebuilt_with(path, calls, moved, "checksum")


def test_cache_of_another_package_version_is_rebuilt(cache):
    path, calls = cache
    t = _table(path)
    info = json.loads(t.schema.metadata[onspd._META_KEY])
    info["package"] = "1.0.0"  # copied over from an older install
    _rebuilt_with(
        path,
        calls,
        t.replace_schema_metadata({onspd._META_KEY: json.dumps(info)}),
        "its package is '1.0.0', not '9.9.9'",
    )


def test_cache_without_its_description_is_rebuilt(cache):
    path, calls = cache
    t = _table(path)
    _rebuilt_with(path, calls, t.replace_schema_metadata(None), "no geodistrict description")


def test_read_onspd_from_the_cache_accounts_for_every_row(cache):
    layer = onspd.read_onspd("onspd:W")
    d = _directory()
    w = d[d["laua"] == "W06000015"].reset_index(drop=True)
    placed = w["x"].notna().to_numpy()
    assert layer.n_input == N // 2
    assert len(layer) == placed.sum() == 1350
    assert len(layer.rejected) == 150
    np.testing.assert_array_equal(layer.x, w["x"].to_numpy()[placed])
    assert layer.attributes["pcd"].tolist() == w["pcd"][placed].tolist()
    assert layer.attributes["row"].tolist() == np.flatnonzero(placed).tolist()
    assert layer.rejected["id"].tolist() == w["pcd"][~placed].tolist()


def test_cache_dir_that_is_a_file_is_one_clear_error(tmp_path, monkeypatch):
    f = tmp_path / "not_a_folder"
    f.write_text("x")
    monkeypatch.setattr(onspd, "_memo", {})
    for target in (f, f / "sub"):
        monkeypatch.setenv("GEODISTRICT_CACHE_DIR", str(target))
        with pytest.raises(InputFileError, match=rf"{f.name} is a file, not a folder.*unset"):
            onspd.load_postcodes()


def test_cli_cache_dir_that_is_a_file_exits_2_with_one_line(tmp_path):
    f = tmp_path / "cachefile"
    f.write_text("x")
    out = tmp_path / "o.csv"
    env = {"GEODISTRICT_CACHE_DIR": str(f), "PATH": "/usr/bin:/bin"}
    r = subprocess.run(
        [sys.executable, "-m", "geodistrict.cli", "profile", "--boundaries", "none.geojson"]
        + ["--points", "postcodes=onspd", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "GEODISTRICT_CACHE_DIR" in lines[0] and str(f) in lines[0]
    assert not out.exists()


@pytest.mark.parametrize(
    "values",
    [
        ["AB1 2CD", "M1  1AA", "EC1A1BB", "BT1 5GS"],  # one width: the fixed-width path
        ["AB1 2CD", "M1 1AA", "EC1A 1BB", "X"],  # mixed widths: Arrow's own filter
        ["AB1 2CD", None, "EC1A1BB", "BT1 5GS"],  # a missing value
    ],
)
def test_filter_strings_equals_a_boolean_mask(values):
    s = pd.Series(values, dtype="string")
    mask = np.array([True, False, True, True])
    got = onspd._filter_strings(s, mask)
    assert list(got) == list(s.array[mask])
    assert got.dtype == s.dtype
    assert list(onspd._filter_strings(s, ~mask)) == list(s.array[~mask])


def test_geocode_postcodes_matches_a_dictionary_of_the_whole_directory():
    """Every kind of spelling, checked against a plain dict built from all 2.7 M postcodes."""
    from geodistrict.io.onspd import directory_form, geocode_postcodes, load_postcodes

    df = load_postcodes()
    pcd = df["pcd"].to_numpy(dtype=object)
    table = {p.replace(" ", ""): k for k, p in enumerate(pcd)}  # the reference look-up
    assert len(table) == len(pcd)  # spaces carry no information: keys are unique
    rng = np.random.default_rng(3)
    picked = rng.integers(0, len(pcd), 3000)
    no_grid = np.flatnonzero(~np.isfinite(df["x"].to_numpy()))[:50]
    asked = []
    for k, row in enumerate(np.concatenate([picked, no_grid])):
        p = pcd[row]
        v = p.replace(" ", "")
        asked.append([p, v.lower(), f"  {p.lower()} ", f"{v[:-3]} {v[-3:]}", v + "Q"][k % 5])
    asked += [None, "", "  ", "B1 1AA", "ZZ99 9ZZ", "X1", "TOOLONG1AA", "cb2\t1tn"]
    s = pd.Series(asked, index=np.arange(len(asked)) * 7 + 5)
    got = geocode_postcodes(s)
    assert got.index.equals(s.index)
    x, y, laua = df["x"].to_numpy(), df["y"].to_numpy(), df["laua"].astype(object).to_numpy()
    for i, raw in zip(s.index, s, strict=True):
        key = "".join(str(raw).split()).upper() if isinstance(raw, str) else ""
        row = table.get(key)
        r = got.loc[i]
        if not key:
            assert r["status"] == "missing", raw
        elif row is None:
            assert r["status"] == "unknown" and np.isnan(r["x"]), raw
        elif not np.isfinite(x[row]):
            assert r["status"] == "no_grid" and np.isnan(r["x"]), raw
            assert r["laua"] == laua[row] or (pd.isna(r["laua"]) and pd.isna(laua[row])), raw
        else:
            assert r["status"] == "found", raw
            assert (r["x"], r["y"], r["laua"]) == (x[row], y[row], laua[row]), raw
    statuses = set(got["status"])
    assert statuses == {"found", "unknown", "no_grid", "missing"}
    # the directory's own form, rebuilt from each key, is exactly its pcd
    keys = pd.Series([p.replace(" ", "") for p in pcd[picked]])
    assert directory_form(keys).tolist() == list(pcd[picked])
