"""The command line's shape: help, command order, and the shared argument helpers."""

from __future__ import annotations

import argparse
from types import SimpleNamespace

import pytest

from geodistrict.cli import build_parser
from geodistrict.cli._args import (
    Formatter,
    check_cluster_options,
    kv,
    parse_xy,
    points_spec,
)
from geodistrict.cli._commands import command_modules
from geodistrict.cli._output import fetch_line
from geodistrict.cli.interpolate import with_area_columns
from geodistrict.cli.profile import parse_zone_spec
from geodistrict.errors import ParameterError, SchemaError


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_profile_and_interpolate_come_first_and_inspect_last():
    names = list(_subparsers(build_parser()))
    assert names[:2] == ["profile", "interpolate"] and names[-1] == "inspect"
    assert command_modules()[:2] == ["profile", "interpolate"]


@pytest.mark.parametrize("command", list(_subparsers(build_parser())))
def test_help_shows_only_real_defaults(command):
    text = _subparsers(build_parser())[command].format_help()
    assert "(default: None)" not in text and "(default: False)" not in text
    assert "(default: [])" not in text


def test_profile_help_keeps_the_defaults_that_say_something():
    text = " ".join(_subparsers(build_parser())["profile"].format_help().split())
    assert "(default: grid)" in text  # --method
    assert "(default: detected, e.g. LEP21CD)" in text  # --id says it in its own words


def test_formatter_keeps_zero_defaults():
    p = argparse.ArgumentParser(formatter_class=Formatter)
    p.add_argument("--permutations", type=int, default=0, help="permutations")
    p.add_argument("--flag", action="store_true", help="a flag")
    text = p.format_help()
    assert "(default: 0)" in text and "(default: False)" not in text


def test_kv_reads_name_value_pairs_and_names_the_option_in_errors():
    assert kv(["firms = a=b", "postcodes=x"], "--by") == {"firms": "a=b", "postcodes": "x"}
    assert kv(None, "--by") == {}
    for bad in ("firms", "=x", "firms="):
        with pytest.raises(SchemaError, match="--by"):
            kv([bad], "--by")


def test_parse_xy_reads_both_documented_forms():
    # clusters: --xy XCOL,YCOL; profile: --xy NAME=XCOL,YCOL (split by kv first)
    assert parse_xy("easting, northing") == ("easting", "northing")
    assert parse_xy(kv(["firms=lon,lat"], "--xy")["firms"]) == ("lon", "lat")
    with pytest.raises(SchemaError, match=r"--xy firms=a,b,c: give two columns"):
        parse_xy("a,b,c", label="firms=a,b,c")
    with pytest.raises(SchemaError, match="XCOL,YCOL"):
        parse_xy("a,")


def test_points_spec():
    assert points_spec("onspd") == ("postcodes", "onspd")
    with pytest.raises(SchemaError, match="NAME=PATH"):
        points_spec("firms.csv")


def test_partitions_need_cluster():
    with pytest.raises(ParameterError, match="--cluster"):
        check_cluster_options(SimpleNamespace(partitions=4, cluster=None))
    check_cluster_options(SimpleNamespace(partitions=4, cluster="local"))


def test_zone_spec():
    assert parse_zone_spec("jobs", "t.csv@z.geojson:LAD24CD") == (
        "t.csv",
        None,
        "z.geojson",
        "LAD24CD",
    )
    with pytest.raises(SchemaError, match="NAME=TABLE"):
        parse_zone_spec("jobs", "t.csv")


def test_area_columns_of_counts_and_rates():
    import pandas as pd

    counts = pd.DataFrame({"id": ["a", "b"], "value": [10.0, 3.0], "value_coverage": [1, 1]})
    out = with_area_columns(counts, [2.0, 0.5], intensive=False)
    assert list(out.columns) == ["id", "value", "value_coverage", "area_km2", "value_per_km2"]
    assert out["value_per_km2"].tolist() == [5.0, 6.0]
    rates = pd.DataFrame({"id": ["a"], "value": [0.3]})
    assert list(with_area_columns(rates, [2.0], intensive=True).columns) == [
        "id",
        "value",
        "area_km2",
    ]


def test_fetch_line_says_how_the_file_was_checked():
    line = fetch_line("x", "X", "ONS", sha256=None, verify=True, unpinned="no checksum")
    assert line == "x: X (no checksum); cite: ONS"
    assert "--no-verify" in fetch_line("x", "X", "ONS", sha256="ab", verify=False, unpinned="")


def test_provenance_block_without_boundaries():
    from geodistrict.provenance import provenance_block

    info = SimpleNamespace(as_dict=lambda: {"source": "a.csv", "attribution": "ONS"})
    layer = SimpleNamespace(info=info)
    block = provenance_block(layers=[layer, None, layer], command="geodistrict x")
    assert block["sources"] == [{"source": "a.csv", "attribution": "ONS"}] * 2
    assert block["attribution"] == ["ONS"] and block["command"] == "geodistrict x"
    assert "crs" not in block and "parameters" not in block
