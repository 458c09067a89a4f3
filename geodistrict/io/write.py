"""Writers: the output format follows the file extension; provenance travels with the data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .._errors import InputFileError

__all__ = ["write_table", "OUTPUT_SUFFIXES"]

OUTPUT_SUFFIXES = {".csv", ".gpkg", ".parquet", ".geoparquet", ".geojson", ".json"}


def write_table(
    table: gpd.GeoDataFrame | pd.DataFrame,
    path: str | Path,
    *,
    provenance: dict[str, Any] | None = None,
    layer: str | None = None,
) -> Path:
    """Write a result table, choosing the format by extension.

    ``.csv`` drops the geometry; ``.gpkg``, ``.parquet``/``.geoparquet`` and ``.geojson`` keep
    it. ``provenance`` (sources, licences, CRS, parameters) is stored inside the file where the
    format has room (GeoParquet schema metadata, GeoPackage metadata, a GeoJSON foreign member)
    and always in a ``<file>.provenance.json`` beside a CSV.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise InputFileError(
            f"{path}: unknown output format {suffix!r}; use .csv, .gpkg, .parquet or .geojson."
        )
    if not path.parent.exists():
        raise InputFileError(f"{path}: the folder {path.parent} does not exist; create it first.")
    prov_json = json.dumps(provenance or {}, default=str)
    is_geo = isinstance(table, gpd.GeoDataFrame)
    if suffix == ".csv" or not is_geo:
        frame = pd.DataFrame(table.drop(columns=table.geometry.name) if is_geo else table)
        if suffix != ".csv":
            raise InputFileError(f"{path}: this table has no geometry; write it as .csv.")
        frame.to_csv(path, index=False)
        if provenance is not None:
            Path(str(path) + ".provenance.json").write_text(
                json.dumps(provenance, indent=2, default=str)
            )
        return path
    if suffix in {".parquet", ".geoparquet"}:
        import pyarrow.parquet as pq

        table.to_parquet(path, index=False)
        arrow = pq.read_table(path)
        meta = dict(arrow.schema.metadata or {})
        meta[b"geodistrict:provenance"] = prov_json.encode()
        pq.write_table(arrow.replace_schema_metadata(meta), path)
        return path
    if suffix == ".gpkg":
        table.to_file(
            path,
            driver="GPKG",
            layer=layer or path.stem,
            engine="pyogrio",
            metadata={"geodistrict_provenance": prov_json},
        )
        return path
    # GeoJSON (RFC 7946 wants lon/lat; keep the CRS the caller chose and say so in provenance)
    doc = json.loads(table.to_json(drop_id=True))
    doc["provenance"] = provenance or {}
    if table.crs is not None and not table.crs.equals("EPSG:4326"):
        doc["crs"] = {"type": "name", "properties": {"name": table.crs.to_string()}}
    path.write_text(json.dumps(doc))
    return path
