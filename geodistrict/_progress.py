"""Progress bars that show on a terminal and stay silent in a pipe."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

__all__ = ["progress", "progress_enabled"]


def progress_enabled() -> bool:
    """Whether progress bars should be drawn (stderr is a terminal, not disabled by env)."""
    if os.environ.get("GEODISTRICT_PROGRESS", "").lower() in {"0", "false", "no", "off"}:
        return False
    if os.environ.get("GEODISTRICT_PROGRESS", "").lower() in {"1", "true", "yes", "on"}:
        return True
    return sys.stderr.isatty()


def progress(
    iterable: Iterable[T], *, desc: str, total: int | None = None, unit: str = "it"
) -> Iterator[T]:
    """Wrap ``iterable`` in a tqdm bar on a terminal; return it unchanged otherwise."""
    if not progress_enabled():
        yield from iterable
        return
    from tqdm.auto import tqdm

    yield from tqdm(iterable, desc=desc, total=total, unit=unit, file=sys.stderr, leave=False)
