"""The package's shape, as ARCHITECTURE.md states it: checked here so that it stays true.

* no module imports another module's private names (a package's private module may be used
  by that package's own modules, and the names it shares are public in it);
* no import cycles between modules, counting imports inside functions too;
* the layers contract (``[tool.importlinter]`` in pyproject.toml) holds;
* the top-level namespace is the curated list, and it stays light to import.
"""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "geodistrict"
ROOT = PACKAGE.parent


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        name, is_package = _module_name(path)
        out[name] = (path, is_package)
    return out


def _absolute(current: str, is_package: bool, level: int, module: str | None) -> str:
    if level == 0:
        return module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _imports(modules: dict[str, tuple[Path, bool]]):
    """(importer, imported module, imported name or None) for every import in the package."""
    for name, (path, is_package) in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                target = _absolute(name, is_package, node.level, node.module)
                if target.split(".")[0] != "geodistrict":
                    continue
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    if full in modules:
                        yield name, full, None
                    else:
                        yield name, target, alias.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "geodistrict":
                        yield name, alias.name, None


def _private_segment_owner(module: str) -> str | None:
    """The package that owns the first private segment of ``module`` (None: all public)."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def _private_imports() -> list[str]:
    modules = _modules()
    bad = []
    for importer, module, name in _imports(modules):
        if name is not None and name.startswith("_") and not name.startswith("__"):
            bad.append(f"{importer} imports {module}.{name}")
            continue
        owner = _private_segment_owner(module)
        # a private module is for its own package (the package root's private modules, such
        # as geodistrict._version, are shared by the whole package)
        if owner is not None and not (importer == owner or importer.startswith(owner + ".")):
            bad.append(f"{importer} imports the private module {module}")
    return bad


def test_no_module_imports_another_modules_private_names():
    bad = _private_imports()
    assert not bad, f"{len(bad)} imports of private names:\n" + "\n".join(bad)


def _cycles() -> list[list[str]]:
    modules = _modules()
    edges: dict[str, set[str]] = defaultdict(set)
    for importer, module, _name in _imports(modules):
        if module in modules and module != importer:
            # a package's __init__ importing its own submodules is how it exports them, and
            # a submodule importing a sibling through the package is the same edge reversed
            if importer.startswith(module + ".") or module.startswith(importer + "."):
                continue
            edges[importer].add(module)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(modules):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    cycles = _cycles()
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_checks_above_find_what_they_look_for(tmp_path, monkeypatch):
    """The detectors themselves, on a two-module package with both faults."""
    pkg = tmp_path / "geodistrict"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub.b import _hidden\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("def _hidden():\n    from ..a import x\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", pkg)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _private_imports() == ["geodistrict.a imports geodistrict.sub.b._hidden"]
    assert _cycles() == [["geodistrict.a", "geodistrict.sub.b"]]


def test_import_direction_contracts_hold():
    """``lint-imports`` (import-linter) with the contracts in pyproject.toml."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(exe).exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    out = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_top_level_namespace_is_curated():
    import geodistrict

    public = [n for n in geodistrict.__all__ if not n.startswith("__")]
    modules = [n for n in public if isinstance(getattr(geodistrict, n), type(sys))]
    names = [n for n in public if n not in modules]
    assert 30 <= len(names) <= 40, (len(names), names)
    # every submodule in the namespace is one of the concept packages, named as such
    assert set(modules) <= {
        "datasets",
        "io",
        "join",
        "zones",
        "metrics",
        "clusters",
        "districts",
        "errors",
        "maps",
        "figures",
        "reports",
        "scale",
    }, modules
    # nothing else leaks: every public attribute of the package is in __all__ or a submodule
    leaked = [
        n
        for n in dir(geodistrict)
        if not n.startswith("_")
        and n not in geodistrict.__all__
        and n != "cli"
        and not isinstance(getattr(geodistrict, n), type(sys))
    ]
    assert not leaked, leaked
    # a function never shadows a module of the same name
    for n in names:
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(f"geodistrict.{n}")
