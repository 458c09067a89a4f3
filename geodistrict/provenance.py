"""Licence and attribution lines for the sources we know, and the provenance block of results."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from typing import Any

from ._version import __version__

__all__ = [
    "ATTRIBUTIONS",
    "NOMIS_NOTICE",
    "OGL_LICENCE",
    "known_attribution",
    "nomis_attribution",
    "nomis_source",
    "provenance_block",
]

#: The Open Government Licence, as results name it in their ``licence`` field.
OGL_LICENCE = "Open Government Licence v3.0"
#: The copyright notice of ONS tables read from Nomis (UK Business Counts, APS).
NOMIS_NOTICE = "ONS Crown Copyright / OGL v3.0"


def nomis_attribution(title: str) -> str:
    """The attribution line of a Nomis table.

    Examples
    --------
    >>> nomis_attribution("UK Business Counts")
    'Source: Nomis, UK Business Counts. ONS Crown Copyright / OGL v3.0.'
    """
    return f"Source: Nomis, {title}. {NOMIS_NOTICE}."


def nomis_source(name: str, *, source: str, title: str, vintage: str | None) -> dict[str, Any]:
    """The ``sources`` entry of a Nomis table in a report (name, file, licence, attribution).

    Examples
    --------
    >>> nomis_source("employment", source="aps.xlsx", title="APS", vintage="2023")["licence"]
    'Open Government Licence v3.0'
    """
    return {
        "name": name,
        "source": source,
        "title": title,
        "licence": OGL_LICENCE,
        "attribution": nomis_attribution(title),
        "vintage": vintage,
    }


_ONS = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right 2024."
)
#: (filename pattern, licence, attribution) for the publishers whose files users bring.
ATTRIBUTIONS: list[tuple[str, str, str]] = [
    (r"(?i)local_enterprise|^lep|lad_|lsip|combined_auth|msoa|lsoa|wards_by", "OGL v3.0", _ONS),
    (
        r"(?i)barris|districtes|area-estadistica",
        "CC BY 4.0",
        "Ajuntament de Barcelona / CartoBCN, CC BY 4.0",
    ),
    (
        r"(?i)medellin|comunas|estaciones",
        "open data",
        "Alcaldía de Medellín, GeoMedellín open data",
    ),
    (r"(?i)clue|melbourne|fishermans", "CC BY 4.0", "City of Melbourne Open Data, CC BY 4.0"),
]


def known_attribution(filename: str, gdf: Any = None) -> tuple[str | None, str | None, str | None]:
    """Licence, attribution and vintage for a file, from its own fields or its name.

    Files shipped in ``boundaries/`` carry ``licence``, ``attribution`` and ``vintage``
    columns; for publishers' files the name is matched against :data:`ATTRIBUTIONS`.
    """
    if gdf is not None:
        cols = set(gdf.columns)
        if {"licence", "attribution"} <= cols:
            lic = "; ".join(sorted({str(v) for v in gdf["licence"].dropna()}))
            att = "; ".join(sorted({str(v) for v in gdf["attribution"].dropna()}))
            vin = (
                "; ".join(sorted({str(v) for v in gdf["vintage"].dropna()}))
                if "vintage" in cols
                else None
            )
            return lic or None, att or None, vin
    vintage = None
    m = re.search(r"(19|20)\d\d", filename)
    if m:
        vintage = m.group(0)
    for pattern, lic, att in ATTRIBUTIONS:
        if re.search(pattern, filename):
            return lic, att, vintage
    return None, None, vintage


def provenance_block(
    *,
    boundaries: Any = None,
    layers: Sequence[Any] = (),
    parameters: dict[str, Any] | None = None,
    crs: dict[str, str] | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """Sources, licences, CRS and parameters of a result, for exports and reports.

    Parameters
    ----------
    boundaries : Boundaries, optional
        The polygons of the result: its first source, and (unless ``crs`` is given) the
        output and measuring CRS.
    layers : sequence of PointLayer or Boundaries
        The other inputs, in order (None entries, e.g. an optional study area not given, are
        skipped).
    parameters : dict, optional
        The parameters of the result (left out when None).
    crs : dict, optional
        The ``crs`` entry, e.g. ``{"output": ..., "points": ...}`` (default: the output and
        measuring CRS of ``boundaries``; left out when neither is given).
    command : str, optional
        The command line that made the result (left out when None).

    Returns
    -------
    dict
        ``tool``, ``created``, ``sources`` (each input's ``info.as_dict()``), ``attribution``
        (each distinct attribution once, in source order), then ``crs``, ``parameters`` and
        ``command`` when known.
    """
    inputs = [boundaries, *layers]
    srcs = [lay.info.as_dict() for lay in inputs if lay is not None]
    attributions = []
    for s in srcs:
        if s.get("attribution") and s["attribution"] not in attributions:
            attributions.append(s["attribution"])
    out: dict[str, Any] = {
        "tool": f"geodistrict {__version__}",
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "sources": srcs,
        "attribution": attributions,
    }
    if crs is None and boundaries is not None:
        crs = {
            "output": boundaries.data.crs.to_string(),
            "measured_in": boundaries.metric_crs.to_string(),
        }
    if crs is not None:
        out["crs"] = crs
    if parameters is not None:
        out["parameters"] = parameters
    if command is not None:
        out["command"] = command
    return out
