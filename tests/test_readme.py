"""The README's examples marked ``<!-- runnable -->`` run as written from an empty folder.

Each marked ``bash`` block runs in ``bash -euo pipefail`` and each marked ``python`` block in
a fresh interpreter, from a temporary folder, with nothing but the installed package (its
bundled datasets): no path of the checkout or of the project's reference data is given.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"<!-- runnable -->\s*\n```(bash|python)\n(.*?)\n```", re.S)


def runnable_blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _BLOCK.finditer(README.read_text(encoding="utf-8"))]


BLOCKS = runnable_blocks()


def test_readme_names_no_workshop_path():
    text = README.read_text(encoding="utf-8")
    assert "../shared" not in text
    assert len(BLOCKS) >= 4, "the README lost its runnable examples"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lang", "code"), BLOCKS, ids=[f"{lang}-{i}" for i, (lang, _) in enumerate(BLOCKS)]
)
def test_readme_block_runs_from_an_empty_folder(lang, code, tmp_path):
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("GEODISTRICT_SHARED_DATA", None)
    env.pop("PYTHONPATH", None)
    if lang == "bash":
        argv = ["bash", "-euo", "pipefail", "-c", code]
    else:
        argv = [sys.executable, "-c", code]
    r = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, (
        f"README {lang} block failed:\n{code}\n--- stderr:\n{r.stderr[-3000:]}"
    )
