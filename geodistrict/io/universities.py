"""UK Register of Learning Providers: higher-education providers (learning-providers-plus).

One head-office point per provider (``UKPRN``, ``PROVIDER_NAME``, ``POSTCODE``, ``LONGITUDE``,
``LATITUDE``, ``EASTING``, ``NORTHING``, ``GROUPS``). ``GROUPS`` is a comma-separated list
(``"Russell_Group, N8_Research_Partnership"``): a breakdown by group counts a university once in
each of its groups. Rows without coordinates fall back to their postcode.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..layers import OGL_V3, LayerInfo, PointLayer
from .tables import points_from_frame, read_table

__all__ = ["read_universities", "detect_universities", "UNIVERSITIES_ATTRIBUTION"]

UNIVERSITIES_ATTRIBUTION = (
    f"UK Register of Learning Providers (UKRLP) via learning-providers.data.ac.uk; {OGL_V3}."
)


def detect_universities(columns: Iterable[object]) -> bool:
    """Whether a table has the learning-providers layout (``UKPRN`` and ``PROVIDER_NAME``)."""
    cols = {str(c).strip().upper() for c in columns}
    return {"UKPRN", "PROVIDER_NAME"} <= cols


def read_universities(path: str | Path, *, name: str = "universities") -> PointLayer:
    """Read learning-providers-plus.csv as a point layer.

    Parameters
    ----------
    path : str or Path
        The CSV as published.
    name : str
        Short layer name for output columns.

    Returns
    -------
    PointLayer
        EPSG:4326 points identified by ``UKPRN``; ``GROUPS`` is declared multi-valued.
    """
    from .datasets import resolve as _resolve_dataset

    path = Path(_resolve_dataset(path))
    df, notes = read_table(path)
    info = LayerInfo(
        name=name,
        source=str(path),
        kind="universities",
        licence=OGL_V3,
        attribution=UNIVERSITIES_ATTRIBUTION,
        vintage="learning-providers-plus (UKRLP, names c. 2013-2020)",
        id_field="UKPRN",
        multivalued=("GROUPS",),
    )
    # lon/lat as published (EASTING/NORTHING are rounded separately); other layouts: detected
    lonlat = {"LONGITUDE", "LATITUDE"} <= set(df.columns)
    return points_from_frame(
        df,
        name=name,
        source=str(path),
        x="LONGITUDE" if lonlat else None,
        y="LATITUDE" if lonlat else None,
        postcode="POSTCODE" if "POSTCODE" in df.columns else None,
        id_field="UKPRN",
        info=info,
        notes=notes,
    )
