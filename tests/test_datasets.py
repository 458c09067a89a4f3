"""The dataset registry: bundled files and their checksums, names wherever a path goes, fetch."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

import geodistrict as gd
from geodistrict.cli import main
from geodistrict.errors import InputFileError, ParameterError
from geodistrict.io import datasets

BUNDLED_OGL = {
    "lep2021",
    "lep2020",
    "lsip2023",
    "combined_authorities2023",
    "lad2024_lep21",
    "lad-lep-lookup",
    "lad-ca-lookup-2025",
    "learning-providers",
    "ubc-sizeband-2022",
    "ubc-industry-2022",
    "aps-industry-2022",
}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GEODISTRICT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GEODISTRICT_DATA_DIR", raising=False)


def test_the_bundled_sets_are_the_issue_list_with_licence_and_attribution():
    bundled = {d.name for d in datasets.list_datasets("bundled")}
    derived = {"districts", "postcodes-200m-cambridge", "postcodes-200m-manchester"}
    assert bundled == BUNDLED_OGL | derived
    for d in datasets.list_datasets():
        assert d.licence.strip() and d.attribution.strip() and d.title.strip(), d.name
        if d.name in BUNDLED_OGL:
            assert "Open Government Licence v3.0" in d.attribution or d.licence == "OGL v3.0"


def test_every_bundled_file_matches_its_recorded_sha256_and_size():
    for d in datasets.list_datasets("bundled"):
        p = datasets.path(d.name)
        data = p.read_bytes()
        assert hashlib.sha256(data).hexdigest() == d.sha256, d.name
        assert len(data) == d.size, d.name


@pytest.mark.shared_data
def test_bundled_files_are_the_reference_copies(shared_data):
    """The shipped bytes are those of the project's reference data, not an edited copy."""
    for d in datasets.list_datasets("bundled"):
        if d.name == "districts":  # built by boundaries/build_districts.py
            continue
        ref = next(shared_data.rglob(d.file))
        assert ref.read_bytes() == datasets.path(d.name).read_bytes(), d.name


def test_a_changed_byte_in_a_bundled_file_is_detected(tmp_path):
    src = datasets.path("learning-providers")
    copy = tmp_path / src.name
    shutil.copyfile(src, copy)
    assert datasets.check("learning-providers", copy) == copy
    data = bytearray(copy.read_bytes())
    data[1000] ^= 0x01  # one bit of one byte
    copy.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match=r"sha256 [0-9a-f]{64} differs .*learning-providers"):
        datasets.check("learning-providers", copy)


def test_names_resolve_and_paths_pass_through(tmp_path, monkeypatch):
    assert datasets.resolve("lep2021") == datasets.path("lep2021")
    assert datasets.resolve("combined-authorities2023").name.startswith("Combined_Authorities")
    assert datasets.resolve(Path("lep2020")).name.startswith("LEP2020")
    assert datasets.resolve("onspd") == "onspd"
    assert datasets.resolve("elsewhere/lep2021") == "elsewhere/lep2021"
    # an existing file of the same name wins over the dataset
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lep2021").write_text("x")
    assert datasets.resolve("lep2021") == "lep2021"


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ParameterError, match=r"no dataset called 'lep2012' \(did you mean"):
        datasets.get("lep2012")


def test_python_api_reads_by_name_with_the_registry_fields_and_licence():
    leps = gd.read_boundaries("lep2021")
    assert len(leps) == 38 and leps.id_field == "LEP21CD" and leps.name_field == "LEP21NM"
    assert leps.info.licence == "OGL v3.0" and leps.info.vintage == "2021-05"
    lsip = gd.read_boundaries("lsip2023")
    assert len(lsip) == 38 and lsip.data.crs.to_epsg() == 27700
    lads = gd.read_boundaries("lad2024_lep21")
    assert len(lads) == 296 and lads.id_field == "LAD24CD"
    unis = gd.read_points("learning-providers", name="universities")
    assert unis.n_input == 166 and len(unis) + len(unis.rejected) == 166
    t = gd.read_nomis("ubc-industry-2022") if hasattr(gd, "read_nomis") else None
    if t is None:
        from geodistrict.io.nomis import read_nomis

        t = read_nomis("ubc-industry-2022")
    assert {"lep", "ladu"} <= set(t.data["geography_type"])


def test_fetched_set_copies_from_a_folder_and_env_var(tmp_path, monkeypatch):
    d = datasets.get("melbourne-clue-jobs")
    folder = tmp_path / "downloads" / "nested"
    folder.mkdir(parents=True)
    body = b"Geography,Category,Industry Space Use,Value\n"
    (folder / d.file).write_bytes(body)
    # the wrong bytes: refused by the checksum
    with pytest.raises(InputFileError, match="sha256 .* differs"):
        datasets.fetch(d.name, from_dir=tmp_path / "downloads")
    # an unpinned set keeps what it is given; GEODISTRICT_DATA_DIR is searched like --from
    ch = datasets.get("companies-house-basic")
    assert ch.sha256 is None and not ch.pinned
    (folder / ch.file).write_bytes(body)
    monkeypatch.setenv("GEODISTRICT_DATA_DIR", str(tmp_path / "downloads"))
    got = datasets.path(ch.name)
    assert got == tmp_path / "cache" / "datasets" / ch.name / ch.file
    assert got.read_bytes() == body


def test_offline_fetch_fails_at_once_with_one_line_naming_url_and_fix(monkeypatch, capsys):
    import socket
    import time

    def no_network(*_a, **_k):
        raise socket.gaierror(-3, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    t0 = time.perf_counter()
    assert main(["datasets", "fetch", "melbourne-clue-jobs"]) == 2
    assert time.perf_counter() - t0 < 5
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "data.melbourne.vic.gov.au" in err[0]
    assert "--from DIR" in err[0] and "GEODISTRICT_DATA_DIR" in err[0]


@pytest.mark.shared_data
def test_fetch_from_the_shared_copy_verifies(shared_data):
    p = datasets.fetch("melbourne-clue-jobs", from_dir=shared_data)
    assert hashlib.sha256(p.read_bytes()).hexdigest() == datasets.get("melbourne-clue-jobs").sha256
    assert datasets.path("melbourne-clue-jobs") == p


def test_cli_list_info_path(capsys):
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    for name in BUNDLED_OGL | {"melbourne-clue-jobs", "barcelona_barris", "companies-house-basic"}:
        assert name in out
    assert main(["datasets", "info", "ubc-industry-2022"]) == 0
    out = capsys.readouterr().out
    assert "licence:     OGL v3.0" in out and "attribution: Source: Office for National" in out
    for d in datasets.list_datasets():
        assert main(["datasets", "info", d.name]) == 0
        out = capsys.readouterr().out
        assert f"licence:     {d.licence}" in out and f"attribution: {d.attribution}" in out
    assert main(["datasets", "path", "learning-providers"]) == 0
    assert Path(capsys.readouterr().out.strip()) == datasets.path("learning-providers")
    assert main(["datasets", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["name"] for d in data} == {d.name for d in datasets.list_datasets()}


def test_cli_profile_takes_names(tmp_path, capsys):
    out = tmp_path / "p.csv"
    argv = ["profile", "--boundaries", "lep2021", "--points", "universities=learning-providers"]
    assert main([*argv, "--out", str(out)]) == 0, capsys.readouterr().err
    import pandas as pd

    t = pd.read_csv(out)
    assert len(t) == 38
    # every provider in England falls in a LEP: 166 providers minus those in the other nations
    assert 100 < t["universities_count"].sum() <= 166


@pytest.mark.shared_data
def test_cli_fetch_from_folder_prints_the_cached_path(shared_data, tmp_path, capsys):
    argv = ["datasets", "fetch", "barcelona_barris", "--from", str(shared_data)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    path = Path(captured.out.strip())
    assert path == tmp_path / "cache" / "boundaries" / "barcelona_barris" / "barris_barris.geojson"
    assert "sha256 verified" in captured.err and "CC BY 4.0" in captured.err
    b = gd.read_boundaries("barcelona_barris")  # now from the cache, with the catalogue's fields
    assert len(b) == 73 and b.id_field == "BARRI"
