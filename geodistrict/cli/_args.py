"""Argument pieces shared by several commands (not a command: ``register_all`` skips it)."""

from __future__ import annotations

__all__ = ["points_spec"]


def points_spec(spec: str, *, example: str = "firms", hint: str = "") -> tuple[str, str]:
    """``"firms=firms.csv"`` → ``("firms", "firms.csv")``; ``"onspd:E"`` → ``("postcodes", …)``.

    Parameters
    ----------
    spec : str
        The value of a ``--points`` option.
    example : str
        The layer name shown in the error's example.
    hint : str
        A sentence added to the error (what NAME is used for).

    Raises
    ------
    SchemaError
        Naming the value and the form to write it in.

    Examples
    --------
    >>> points_spec(" firms = data/firms.csv"), points_spec("onspd:E")
    (('firms', 'data/firms.csv'), ('postcodes', 'onspd:E'))
    """
    from .._errors import SchemaError

    if "=" in spec:
        name, path = (t.strip() for t in spec.split("=", 1))
        if name and path:
            return name, path
    elif spec.strip().startswith("onspd"):
        return "postcodes", spec.strip()
    raise SchemaError(
        f"--points {spec!r}: write it as NAME=PATH (e.g. {example}={spec}) or 'onspd'." + hint
    )
