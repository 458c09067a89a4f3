"""Files that ship with geodistrict: the district polygons in ``boundaries/``."""

from __future__ import annotations

from pathlib import Path

__all__ = ["boundaries_dir", "shipped_districts_path"]


def boundaries_dir() -> Path:
    """The ``boundaries/`` folder (in a source checkout, or installed as package data)."""
    here = Path(__file__).resolve().parent
    for cand in (here.parent / "boundaries", here / "_boundaries"):
        if (cand / "districts.geojson").exists():
            return cand
    raise FileNotFoundError(
        "geodistrict's boundaries/ folder is missing; reinstall from a full checkout."
    )


def shipped_districts_path() -> Path:
    """Path of ``boundaries/districts.geojson`` (the shipped district polygons)."""
    return boundaries_dir() / "districts.geojson"
