"""The catalogue of official boundary sets: schema, fetch (copy, download, resume), CLI.

Checksums are recomputed here with hashlib, feature counts and fields read with pyogrio, so
the catalogue's claims are checked against the files, not against the code under test.
Downloads go to a ThreadingHTTPServer on 127.0.0.1 (port 0) serving a tiny hand-written
GeoJSON; every server is shut down in ``finally`` and every request carries a timeout.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import os
import re
import socket
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyogrio
import pytest

from geodistrict import read_boundaries
from geodistrict.cli import main
from geodistrict.errors import GeodistrictWarning, InputFileError, ParameterError, SchemaError
from geodistrict.io.catalogue import (
    CatalogueEntry,
    fetch,
    get_entry,
    load_catalogue,
)
from geodistrict.io.read import read_catalogue_boundaries

REQUIRED = (
    "name",
    "title",
    "publisher",
    "url",
    "file",
    "format",
    "crs",
    "id_field",
    "name_field",
    "vintage",
    "licence",
    "attribution",
    "status",
)
LEPS = ("lep2017", "lep2020", "lep2021")


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Cache in tmp_path; no proxy between the client and the loopback server."""
    monkeypatch.setenv("GEODISTRICT_CACHE_DIR", str(tmp_path / "cache"))
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def find_copy(root: Path, name: str) -> Path | None:
    for dirpath, _dirs, files in os.walk(root):
        if name in files:
            return Path(dirpath) / name
    return None


# --- the catalogue file ------------------------------------------------------------------------


def test_every_entry_has_the_required_keys_as_text():
    import yaml

    from geodistrict.io.catalogue import catalogue_path

    raw = yaml.safe_load(catalogue_path().read_text(encoding="utf-8"))
    entries = load_catalogue()
    assert len(entries) == len(raw) >= 10
    for item in raw:
        missing = [k for k in REQUIRED if k not in item]
        assert not missing, (item.get("name"), missing)
    names = [e.name for e in entries]
    assert len(set(names)) == len(names)
    for e in entries:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", e.name)
        assert e.status in ("current", "historic")
        assert e.url is None or e.url.startswith("https://")
        assert e.url is not None or e.derived_from in names  # only derived sets lack a URL
        assert e.url_checked is False  # written offline: no URL could be checked
        for key in REQUIRED:
            if key != "url":
                assert isinstance(getattr(e, key), str) and getattr(e, key).strip(), (e, key)


def test_the_sets_the_issue_asks_for_are_catalogued():
    names = {e.name for e in load_catalogue()}
    assert {
        "lep2017",
        "lep2020",
        "lep2021",
        "lsip2023",
        "combined_authorities2023",
        "lad2021",
        "lad2022",
        "lad2023",
        "lad2024",
        "itl1_2021",
        "itl2_2021",
        "itl3_2021",
        "barcelona_barris",
        "medellin_comunas",
        "melbourne_clue",
    } <= names


@pytest.mark.parametrize("name", LEPS)
def test_leps_are_historic_with_successors_in_the_catalogue(name):
    entries = {e.name: e for e in load_catalogue()}
    lep = entries[name]
    assert lep.status == "historic" and lep.historic
    assert lep.successors == ("lsip2023", "combined_authorities2023")
    for s in lep.successors:
        assert entries[s].status == "current"
    assert "April 2024" in lep.note and "combined authorities" in lep.note


def test_only_leps_are_historic():
    assert {e.name for e in load_catalogue() if e.historic} == set(LEPS)


def _write_catalogue(tmp_path: Path, entries: list[dict]) -> Path:
    import yaml

    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return path


def _good(**over) -> dict:
    base = {k: f"{k} text" for k in REQUIRED}
    base.update(
        name="tiny",
        url="https://example.org/tiny.geojson",
        file="tiny.geojson",
        vintage="2021-05",
        status="current",
    )
    base.update(over)
    return base


def test_every_schema_problem_is_reported_at_once(tmp_path):
    bad = _good(name="one", urll="https://example.org")
    del bad["licence"]
    path = _write_catalogue(
        tmp_path,
        [bad, _good(name="two", status="old", successors=["nowhere"], features=0)],
    )
    with pytest.raises(SchemaError) as err:
        load_catalogue(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "entry 1 (one): unknown key 'urll' (did you mean 'url'?)" in msg
    assert "entry 1 (one): missing required key(s) licence" in msg
    assert "entry 2 (two): status 'old' is not one of current, historic" in msg
    assert "features must be a positive whole number" in msg
    assert "\n" not in msg


def test_a_successor_must_exist_and_names_must_be_unique(tmp_path):
    path = _write_catalogue(
        tmp_path,
        [
            _good(name="lep", status="historic", successors=["lsip2032"]),
            _good(name="lsip2023"),
            _good(name="lsip2023"),
        ],
    )
    with pytest.raises(SchemaError) as err:
        load_catalogue(path)
    msg = str(err.value)
    assert "successor 'lsip2032' is not in the catalogue (did you mean 'lsip2023'?)" in msg
    assert "name 'lsip2023' is used by 2 entries" in msg


def test_a_valid_small_catalogue_loads(tmp_path):
    path = _write_catalogue(tmp_path, [_good(sha256="A" * 64, features=2)])
    (entry,) = load_catalogue(path)
    assert entry.sha256 == "a" * 64 and entry.features == 2 and entry.successors == ()


def test_unknown_name_lists_the_catalogue():
    with pytest.raises(ParameterError) as err:
        get_entry("lep2022")
    msg = str(err.value)
    assert "'lep2022'" in msg and "did you mean 'lep2021'" in msg
    for e in load_catalogue():
        assert e.name in msg


# --- the copies in ../shared/data --------------------------------------------------------------


def _entries_with_checksums() -> list[str]:
    return [e.name for e in load_catalogue() if e.sha256]


@pytest.mark.shared_data
@pytest.mark.parametrize("name", _entries_with_checksums())
def test_catalogue_claims_match_the_shared_copies(name, shared_data):
    entry = get_entry(name)
    path = find_copy(shared_data, entry.file)
    assert path is not None, f"{entry.file} not under {shared_data}"
    assert sha256(path) == entry.sha256
    info = pyogrio.read_info(path)
    assert info["features"] == entry.features
    assert entry.id_field in info["fields"] and entry.name_field in info["fields"]
    assert info["crs"] == (entry.declared_crs or entry.crs)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "name, crs",
    [("lep2021", "EPSG:4326"), ("lsip2023", "EPSG:27700")],
)
def test_fetch_from_shared_copy_verifies_and_opens(name, crs, shared_data, tmp_path):
    entry = get_entry(name)
    path = fetch(name, from_dir=shared_data)
    assert path == tmp_path / "cache" / "boundaries" / name / entry.file
    assert sha256(path) == entry.sha256
    b = read_boundaries(path)
    assert len(b) == 38
    assert b.data.crs.to_string() == crs
    assert b.id_field == entry.id_field and b.name_field == entry.name_field
    assert all(re.fullmatch(r"E\d{8}", i) for i in b.ids) and len(set(b.ids)) == 38
    # a second fetch finds the cached file (no --from needed, nothing copied again)
    mtime = path.stat().st_mtime_ns
    assert fetch(name) == path and path.stat().st_mtime_ns == mtime


@pytest.mark.shared_data
def test_fetch_refuses_a_copy_with_another_checksum(shared_data, tmp_path):
    src = find_copy(shared_data, get_entry("lep2021").file)
    folder = tmp_path / "edited"
    folder.mkdir()
    (folder / src.name).write_bytes(src.read_bytes() + b"\n")
    with pytest.raises(InputFileError, match=r"sha256 .* differs .*--no-verify"):
        fetch("lep2021", from_dir=folder)
    assert not (tmp_path / "cache" / "boundaries" / "lep2021" / src.name).exists()
    assert fetch("lep2021", from_dir=folder, verify=False).read_bytes().endswith(b"\n")


def test_fetch_from_a_folder_without_the_file_says_where(tmp_path):
    with pytest.raises(InputFileError, match=r"no file named .*LSIP_Areas.*--from"):
        fetch("lsip2023", from_dir=tmp_path)


def test_a_derived_set_has_no_url_and_asks_for_from():
    from dataclasses import replace

    # lad2024_lep21 ships in the package: fetch returns the bundled file ...
    assert fetch("lad2024_lep21").parent.name == "bundled"
    # ... and without it, a derived set with no URL asks for --from
    unbundled = replace(get_entry("lad2024_lep21"), bundled=False)
    with pytest.raises(InputFileError, match=r"lad2024_lep21 has no download URL.*--from DIR"):
        fetch(unbundled)


@pytest.mark.shared_data
def test_read_catalogue_boundaries_relabels_a_mislabelled_crs(shared_data):
    with pytest.warns(GeodistrictWarning, match=r"declares EPSG:9377 .* relabelled EPSG:4326"):
        b = read_catalogue_boundaries("medellin_comunas", from_dir=shared_data)
    assert len(b) == 21
    assert b.data.crs.to_epsg() == 4326
    assert {"04", "10"} <= set(b.ids)  # Aranjuez and La Candelaria (the innovation district)
    assert b.info.attribution == "Alcaldía de Medellín, GeoMedellín open data"


@pytest.mark.shared_data
def test_a_shapefile_travels_with_its_sidecars(shared_data):
    b = read_catalogue_boundaries("melbourne_clue", from_dir=shared_data)
    assert len(b) == 13
    assert "Carlton" in set(b.names) and "Parkville" in set(b.names)
    assert b.info.licence == "CC BY 4.0"


# --- downloads from a loopback server ----------------------------------------------------------

TINY = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": f"T{i}", "label": label},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [0.10 + 0.01 * i, 52.20],
                        [0.11 + 0.01 * i, 52.20],
                        [0.11 + 0.01 * i, 52.21],
                        [0.10 + 0.01 * i, 52.21],
                        [0.10 + 0.01 * i, 52.20],
                    ]
                ],
            },
        }
        for i, label in enumerate(["West square", "East square"])
    ],
}


@contextlib.contextmanager
def serve(
    root: Path, *, honour_range: bool = True, cut_first_after: int | None = None
) -> Iterator[tuple[str, list[dict]]]:
    """Serve ``root`` on 127.0.0.1; record every request's path and Range header.

    ``cut_first_after``: the first response announces the full length but sends only that many
    bytes, then closes (a broken connection).
    """
    seen: list[dict] = []
    cuts = [cut_first_after]

    class Handler(http.server.BaseHTTPRequestHandler):
        timeout = 5  # a stuck client cannot hold the server

        def log_message(self, *args):  # keep pytest output clean
            pass

        def do_GET(self):  # noqa: N802 - http.server's name
            rng = self.headers.get("Range")
            seen.append({"path": self.path, "range": rng})
            f = root / self.path.lstrip("/")
            if not f.is_file():
                self.send_error(404, "Not Found")
                return
            data = f.read_bytes()
            m = re.fullmatch(r"bytes=(\d+)-", rng or "")
            start = 0
            if honour_range and m:
                start = int(m.group(1))
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if cuts[0] is not None:
                self.wfile.write(body[: cuts[0]])
                cuts[0] = None
                self.close_connection = True
                return
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def site(tmp_path) -> Path:
    """A folder with the tiny GeoJSON (two 0.01° squares near Cambridge)."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "tiny.geojson").write_text(json.dumps(TINY, indent=1))
    return root


def tiny_entry(url: str, *, sha: str | None, file: str = "tiny.geojson") -> CatalogueEntry:
    return CatalogueEntry(
        name="tiny",
        title="Two squares",
        publisher="the test",
        url=url,
        file=file,
        format="GeoJSON",
        crs="EPSG:4326",
        id_field="CODE",  # the file says "code": matched without regard to case
        name_field="label",
        vintage="2024-01",
        licence="CC0",
        attribution="geodistrict tests",
        status="current",
        features=2,
        sha256=sha,
    )


def test_fresh_download_then_cached(site, tmp_path):
    want = sha256(site / "tiny.geojson")
    with serve(site) as (base, seen):
        entry = tiny_entry(f"{base}/tiny.geojson", sha=want)
        path = fetch(entry, timeout=5, retries=0)
        assert path == tmp_path / "cache" / "boundaries" / "tiny" / "tiny.geojson"
        assert sha256(path) == want
        assert seen == [{"path": "/tiny.geojson", "range": None}]
        assert fetch(entry, timeout=5) == path  # cached: the server is not asked again
        assert len(seen) == 1
    assert not path.with_name("tiny.geojson.part").exists()
    b = read_catalogue_boundaries(entry)
    assert list(b.ids) == ["T0", "T1"] and list(b.names) == ["West square", "East square"]
    assert (b.id_field, b.info.licence, b.info.vintage) == ("code", "CC0", "2024-01")


def test_download_resumes_a_partial_file_with_a_range_request(site, tmp_path):
    data = (site / "tiny.geojson").read_bytes()
    half = len(data) // 2
    dest = tmp_path / "cache" / "boundaries" / "tiny"
    dest.mkdir(parents=True)
    (dest / "tiny.geojson.part").write_bytes(data[:half])
    with serve(site) as (base, seen):
        path = fetch(tiny_entry(f"{base}/tiny.geojson", sha=sha256(site / "tiny.geojson")))
    assert seen == [{"path": "/tiny.geojson", "range": f"bytes={half}-"}]
    assert path.read_bytes() == data
    assert not (dest / "tiny.geojson.part").exists()


def test_a_server_ignoring_range_restarts_the_download(site, tmp_path):
    data = (site / "tiny.geojson").read_bytes()
    dest = tmp_path / "cache" / "boundaries" / "tiny"
    dest.mkdir(parents=True)
    (dest / "tiny.geojson.part").write_bytes(b"X" * 50)  # not a prefix of the file
    with serve(site, honour_range=False) as (base, seen):
        path = fetch(tiny_entry(f"{base}/tiny.geojson", sha=sha256(site / "tiny.geojson")))
    assert seen[0]["range"] == "bytes=50-"  # asked to resume, answered 200: start again
    assert path.read_bytes() == data


def test_a_broken_connection_is_retried_from_where_it_stopped(site):
    data = (site / "tiny.geojson").read_bytes()
    with serve(site, cut_first_after=100) as (base, seen):
        path = fetch(tiny_entry(f"{base}/tiny.geojson", sha=None), timeout=5, retries=2)
    assert [s["range"] for s in seen] == [None, "bytes=100-"]
    assert path.read_bytes() == data


def test_a_broken_connection_without_retries_keeps_the_part(site, tmp_path):
    with serve(site, cut_first_after=100) as (base, _seen):
        with pytest.raises(InputFileError, match=r"failed 1 times.*partial file .* resumes"):
            fetch(tiny_entry(f"{base}/tiny.geojson", sha=None), timeout=5, retries=0)
    part = tmp_path / "cache" / "boundaries" / "tiny" / "tiny.geojson.part"
    assert part.stat().st_size == 100


def test_checksum_mismatch_deletes_the_download(site, tmp_path):
    with serve(site) as (base, seen):
        entry = tiny_entry(f"{base}/tiny.geojson", sha="0" * 64)
        with pytest.raises(InputFileError, match=r"has sha256 [0-9a-f]{64}, but the catalogue"):
            fetch(entry, timeout=5, retries=0)
        assert len(seen) == 1
        assert not (tmp_path / "cache" / "boundaries" / "tiny").exists()
        # the publisher's current file can still be accepted on purpose
        path = fetch(entry, timeout=5, verify=False)
    assert path.read_bytes() == (site / "tiny.geojson").read_bytes()


def test_unreachable_server_names_the_offline_fix(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    entry = tiny_entry(f"http://127.0.0.1:{port}/x.geojson", sha=None)
    with pytest.raises(InputFileError) as err:
        fetch(entry, timeout=5, retries=3)
    msg = str(err.value)
    assert "network is unreachable" in msg and "--from DIR" in msg
    assert not (tmp_path / "cache" / "boundaries" / "tiny").exists()


def test_http_404_and_a_web_page_are_explained(site):
    (site / "page.geojson").write_text("<!DOCTYPE html><html>moved</html>")
    with serve(site) as (base, _seen):
        with pytest.raises(InputFileError, match=r"answered HTTP 404 .* --from DIR"):
            fetch(tiny_entry(f"{base}/gone.geojson", sha=None), timeout=5, retries=0)
        with pytest.raises(InputFileError, match=r"is not GeoJSON \(it starts '<!DOCTYPE"):
            fetch(tiny_entry(f"{base}/page.geojson", sha=None), timeout=5, retries=0)


def test_a_zip_download_is_unpacked_to_the_catalogued_file(site):
    want = sha256(site / "tiny.geojson")
    with zipfile.ZipFile(site / "export.zip", "w") as zf:
        zf.write(site / "tiny.geojson", "export/tiny.geojson")
        zf.writestr("export/readme.txt", "not kept")
    with zipfile.ZipFile(site / "other.zip", "w") as zf:
        zf.writestr("something_else.geojson", "{}")
    with serve(site) as (base, _seen):
        path = fetch(tiny_entry(f"{base}/export.zip", sha=want), timeout=5)
        assert sha256(path) == want
        assert sorted(p.name for p in path.parent.iterdir()) == ["tiny.geojson"]
        other = replace(tiny_entry(f"{base}/other.zip", sha=None), name="other")
        with pytest.raises(InputFileError, match=r"zip without tiny.geojson .*--from DIR"):
            fetch(other, timeout=5)


def test_bad_options_are_refused(site):
    entry = tiny_entry("http://127.0.0.1:9/x.geojson", sha=None)
    with pytest.raises(ParameterError, match="timeout"):
        fetch(entry, timeout=0)
    with pytest.raises(ParameterError, match="retries"):
        fetch(entry, retries=-1)


# --- command line ------------------------------------------------------------------------------


def test_cli_list_shows_every_set_and_marks_historic_ones(capsys):
    assert main(["boundaries", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "title", "vintage", "status", "crs", "licence"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {e.name for e in load_catalogue()}
    for name in LEPS:
        assert "historic -> lsip2023, combined_authorities2023" in rows[name]
    assert "EPSG:27700" in rows["lsip2023"]


def test_cli_list_json(capsys):
    assert main(["boundaries", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in data] == [e.name for e in load_catalogue()]
    lep = next(d for d in data if d["name"] == "lep2021")
    assert lep["successors"] == ["lsip2023", "combined_authorities2023"]
    assert lep["sha256"] == get_entry("lep2021").sha256


@pytest.mark.shared_data
def test_cli_fetch_from_shared_copy(shared_data, tmp_path, capsys):
    cache = tmp_path / "elsewhere"
    argv = ["boundaries", "fetch", "lep2021", "--from", str(shared_data / "uk" / "boundaries")]
    assert main([*argv, "--cache", str(cache)]) == 0
    out = capsys.readouterr().out.strip()
    path = Path(out)
    assert path == cache / "boundaries" / "lep2021" / get_entry("lep2021").file
    assert sha256(path) == get_entry("lep2021").sha256


def test_cli_unknown_name_is_one_line_exit_2(capsys):
    assert main(["boundaries", "fetch", "lep2022"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("geodistrict: error: no boundary set called 'lep2022'")
    assert "lsip2023" in err[0]


def test_cli_missing_from_folder_is_one_line_exit_2(tmp_path, capsys):
    argv = ["boundaries", "fetch", "lep2021", "--from", str(tmp_path / "nowhere")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such folder" in err[0]
