"""Names of a package imported on first use (PEP 562 module ``__getattr__``).

``import geodistrict`` imports no pandas, geopandas, pyarrow, shapely or pyproj: each public
name is imported from its module the first time it is used. ``geodistrict --version``,
``--help`` and ``datasets list`` then answer without loading the scientific stack (about
0.8 s on a small machine), and a command loads only the modules it needs.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Mapping

__all__ = ["lazy_names"]


def lazy_names(
    package: str,
    names: Mapping[str, str],
    *,
    modules: Iterable[str] = (),
    namespace: dict[str, object] | None = None,
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose public names load on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : mapping of str to str
        Public name → the module that defines it, relative to ``package`` (``".onspd"``) or
        absolute.
    modules : iterable of str
        Public names that are modules themselves, relative to ``package`` (``"datasets"`` is
        ``package.datasets``; ``"datasets=.io.datasets"`` names another module).
    namespace : dict, optional
        The package's ``globals()``: a name is stored there once loaded, so that later uses
        cost a plain attribute look-up.

    Returns
    -------
    tuple of callable
        The package's ``__getattr__`` and ``__dir__``. Any other submodule of the package is
        imported on attribute access too (``geodistrict.io.onspd``), as if it had been
        imported before.

    Examples
    --------
    >>> getattr_, dir_ = lazy_names("json", {"dumps": "json"}, modules=["decoder"])
    >>> getattr_("dumps")({"a": 1})
    '{"a": 1}'
    >>> getattr_("decoder").__name__
    'json.decoder'
    >>> "decoder" in dir_()
    True
    """
    module_of: dict[str, str] = {}
    for spec in modules:
        name, _, target = spec.partition("=")
        module_of[name] = target or f".{name}"

    def __getattr__(name: str) -> object:
        if name in names:
            value = getattr(importlib.import_module(names[name], package), name)
        elif name in module_of:
            value = importlib.import_module(module_of[name], package)
        elif not name.startswith("__") and _is_submodule(package, name):
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if namespace is not None:
            namespace[name] = value
        return value

    def __dir__() -> list[str]:
        loaded = set(namespace) if namespace is not None else set()
        return sorted(loaded | set(names) | set(module_of))

    return __getattr__, __dir__


def _is_submodule(package: str, name: str) -> bool:
    """Whether ``package.name`` is a module that can be imported."""
    try:
        return importlib.util.find_spec(f"{package}.{name}") is not None
    except (ImportError, ValueError):
        return False
