"""The C YAML loader reads every shipped YAML file exactly as PyYAML's pure-Python SafeLoader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from geodistrict._yaml import safe_load

DATA = Path(__file__).resolve().parents[1] / "geodistrict" / "data"


@pytest.mark.parametrize("path", sorted(DATA.rglob("*.yaml")), ids=lambda p: p.name)
def test_the_c_loader_reads_what_the_python_loader_reads(path):
    text = path.read_text(encoding="utf-8")
    assert safe_load(text) == yaml.load(text, Loader=yaml.SafeLoader)


def test_the_loader_stays_safe():
    with pytest.raises(yaml.YAMLError):
        safe_load("!!python/object/apply:os.system ['echo hi']")
