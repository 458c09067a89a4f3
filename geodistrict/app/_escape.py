"""Escaping: every text that came from a file goes through one of these before a pane shows it."""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["esc_html", "esc_md"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def esc_html(text: Any) -> str:
    """Escape text for an HTML pane.

    Examples
    --------
    >>> esc_html('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    return html.escape(str(text), quote=True)


def esc_md(text: Any) -> str:
    r"""Escape text for a Markdown pane (HTML entities, then Markdown punctuation).

    Examples
    --------
    >>> esc_md("[click](javascript:x) <b>")
    '\\[click\\]\\(javascript:x\\) &lt;b&gt;'
    >>> esc_md("the district's")
    "the district's"
    """
    # quotes stay as they are: an entity such as &#x27; would lose its "#" to the escaping
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))
