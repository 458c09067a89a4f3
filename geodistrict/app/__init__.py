"""The Panel app: state, guarded uploads and glue here, the page layout in :mod:`.pages`.

Nothing here measures anything: cards, comparisons, diffs and location quotients come from
:mod:`geodistrict.districts` and :mod:`geodistrict.metrics`. This package loads the layers the
app offers once per process (:func:`load_app_data`, :func:`warm`), turns an uploaded file into
validated :class:`~geodistrict.Boundaries` without trusting it (:func:`parse_upload`, see
:mod:`geodistrict.app._upload` for the rules), and shapes results for display and export. It
imports no Panel (only :mod:`.pages` does), so every function is testable without a browser;
``import geodistrict`` does not import it.

The names of the app's state, uploads and map drawing are listed once, in ``_state.__all__``,
``_upload.__all__`` and ``_draw.__all__``; :func:`resize_pool`, :func:`run_in_background` and
:func:`warm_processes` are the worker pool's (:mod:`geodistrict.app._work`), for the
``geodistrict app`` command.
"""

from . import _draw, _state, _upload
from ._draw import *  # noqa: F403 - the names of _draw.__all__ (listed once, there)
from ._state import *  # noqa: F403 - the names of _state.__all__ (listed once, there)
from ._upload import *  # noqa: F403 - the names of _upload.__all__ (listed once, there)
from ._work import resize as resize_pool
from ._work import run_in_background, warm_processes

__all__ = [
    *_state.__all__,
    *_upload.__all__,
    *_draw.__all__,
    "resize_pool",
    "run_in_background",
    "warm_processes",
]
