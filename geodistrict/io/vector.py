"""Vector files: GeoJSON, GeoPackage, GeoParquet, Shapefile, FlatGeobuf (via pyogrio)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import CRSError, EmptyLayerError, InputFileError, InvalidGeometryError, SchemaError
from ..crs import check_coordinates
from ..layers import LayerInfo, PointLayer, reject_frame

__all__ = [
    "VECTOR_SUFFIXES",
    "read_vector",
    "point_layer_from_geodataframe",
    "list_layers",
    "check_vector_crs",
]

VECTOR_SUFFIXES = {
    ".geojson",
    ".json",
    ".gpkg",
    ".shp",
    ".zip",
    ".parquet",
    ".geoparquet",
    ".fgb",
    ".gml",
    ".kml",
}

#: The fix for a vector file whose declared CRS contradicts its coordinates ({crs}: the right one).
RELABEL = (
    "pass --boundaries-crs {crs} (points: --points-crs NAME={crs}) to relabel it, "
    "or fix the file: ogr2ogr -a_srs {crs} "
    "fixed.gpkg FILE (Python: gdf.set_crs('{crs}', allow_override=True))"
)


def list_layers(path: str | Path) -> list[str]:
    """Names of the layers in a multi-layer file (GeoPackage)."""
    import pyogrio

    return [str(r[0]) for r in pyogrio.list_layers(str(path))]


def read_vector(
    path: str | Path, *, layer: str | int | None = None, what: str | None = None
) -> gpd.GeoDataFrame:
    """Read a vector file and check what every later step relies on.

    Parameters
    ----------
    path : str or Path
        GeoJSON, GeoPackage, GeoParquet, Shapefile (or zipped), FlatGeobuf ...
    layer : str or int, optional
        The layer of a multi-layer file; required when a GeoPackage holds several.
    what : str, optional
        How to name the file in errors (defaults to the path).

    Raises
    ------
    InputFileError
        Missing, empty or unreadable file; several layers and none chosen.
    CRSError
        The file declares no CRS (a Shapefile without ``.prj``, a GeoParquet without CRS).
    SchemaError
        No geometry column.
    EmptyLayerError
        No features.
    """
    import pyogrio

    p = Path(path)
    what = what or str(p)
    if not p.exists():
        raise InputFileError(f"{what}: file not found; check the path.")
    if p.is_file() and p.stat().st_size == 0:
        raise InputFileError(f"{what}: the file is empty; export the layer again.")
    suffix = p.suffix.lower()
    if suffix in {".parquet", ".geoparquet"}:
        try:
            gdf = gpd.read_parquet(p)
        except ValueError as exc:
            raise SchemaError(
                f"{what}: no geometry column ({exc}); write it as GeoParquet "
                "(GeoDataFrame.to_parquet) or pass the coordinates as a table."
            ) from exc
        except Exception as exc:
            raise InputFileError(f"{what}: not a readable GeoParquet file ({exc}).") from exc
    else:
        src = f"/vsizip/{p}" if suffix == ".zip" else str(p)
        try:
            layers = pyogrio.list_layers(src)
        except Exception as exc:
            raise InputFileError(
                f"{what}: not a readable vector file ({str(exc).splitlines()[0]}); check the "
                "format or re-export it as GeoPackage or GeoJSON."
            ) from exc
        if layer is None and len(layers) > 1:
            names = ", ".join(str(r[0]) for r in layers)
            raise InputFileError(
                f"{what} holds {len(layers)} layers ({names}); choose one with "
                "--boundaries-layer LAYER or --points-layer NAME=LAYER (Python: layer=LAYER)."
            )
        if layer is None and len(layers) == 1 and layers[0][1] is None:
            raise SchemaError(
                f"{what}: layer {layers[0][0]!r} has no geometry column; boundaries need "
                "polygons (GeoJSON, GeoPackage, Shapefile), a table of points needs coordinate "
                "or postcode columns (save it as CSV)."
            )
        try:
            gdf = pyogrio.read_dataframe(src, layer=layer)
        except Exception as exc:
            raise InputFileError(
                f"{what}: could not read layer {layer!r} ({str(exc).splitlines()[0]})."
            ) from exc
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise SchemaError(
                f"{what}: no geometry column; boundaries need polygons (GeoJSON, GeoPackage, "
                "Shapefile), a table of points needs coordinate or postcode columns (save it "
                "as CSV)."
            )
    if len(gdf) == 0:
        raise EmptyLayerError(f"{what}: the layer has no features.")
    if gdf.crs is None:
        hint = ""
        b = gdf.total_bounds
        if np.all(np.isfinite(b)):
            if -180 <= b[0] and b[2] <= 180 and -90 <= b[1] and b[3] <= 90:
                hint = " Its coordinates look like longitude/latitude: set crs='EPSG:4326'."
            elif b[0] > -1e5 and b[2] < 7e5 and b[1] > -2e4 and b[3] < 1.3e6:
                hint = " Its coordinates look like British National Grid: set crs='EPSG:27700'."
        raise CRSError(
            f"{what} has no CRS (a Shapefile without its .prj, or a file written without one)."
            f"{hint} Fix: assign it, e.g. ogr2ogr -a_srs EPSG:4326, or pass --boundaries-crs."
        )
    return gdf


def check_vector_crs(gdf: gpd.GeoDataFrame, *, what: str) -> None:
    """Raise a :class:`CRSError` when a file's coordinates contradict the CRS it declares.

    Checks the corners of every feature's bounding box (cheap for any layer) with
    :func:`geodistrict.crs.check_coordinates`: lon/lat labelled as metres, eastings labelled
    as degrees, coordinates outside the CRS's area of use.
    """
    b = gdf.geometry.bounds.to_numpy()
    x = np.concatenate([b[:, 0], b[:, 2]])
    y = np.concatenate([b[:, 1], b[:, 3]])
    check_coordinates(x, y, gdf.crs, what=what, relabel=RELABEL)


def point_layer_from_geodataframe(
    gdf: gpd.GeoDataFrame, *, name: str, source: str, id_field: str | None = None
) -> PointLayer:
    """Turn a point GeoDataFrame into a :class:`PointLayer`, rejecting null/empty geometries.

    Raises
    ------
    InvalidGeometryError
        When the layer holds polygons or lines (they are not points: take their centroids or
        use them as boundaries).
    """
    if gdf.crs is None:
        raise CRSError(f"{source} has no CRS; pass crs='EPSG:4326' (or the CRS it was made in).")
    geom = gdf.geometry.array
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    types = shapely.get_type_id(geom)
    single = types == 0
    multi = types == 4
    nparts = np.where(multi, shapely.get_num_geometries(geom), 1)
    multi_one = multi & (nparts == 1)
    wrong = ~missing & ~single & ~multi_one
    if wrong.mean() > 0.5:
        kinds = sorted(set(gdf.geometry[wrong].geom_type.dropna()))
        raise InvalidGeometryError(
            f"{source}: holds {', '.join(kinds)} geometries, not points; use it as --boundaries, "
            "or take representative points first (GeoSeries.representative_point())."
        )
    ok = ~missing & ~wrong
    pts = np.where(multi_one, shapely.get_geometry(geom, 0), geom)
    x = np.full(len(gdf), np.nan)
    y = np.full(len(gdf), np.nan)
    x[ok] = shapely.get_x(pts[ok])
    y[ok] = shapely.get_y(pts[ok])
    finite = np.isfinite(x) & np.isfinite(y)
    check_coordinates(x, y, gdf.crs, what=source, relabel=RELABEL)
    reasons = np.where(
        missing,
        "null or empty geometry",
        np.where(wrong, "not a point (multi-part or non-point geometry)", "non-finite coordinates"),
    )
    good = ok & finite
    rows = np.arange(len(gdf))
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).loc[good].reset_index(drop=True)
    attrs.insert(0, "row", rows[good])
    ids = gdf[id_field].to_numpy()[~good] if id_field and id_field in gdf.columns else None
    if len(attrs) == 0 and len(gdf) == 0:
        raise EmptyLayerError(f"{source}: the layer has no features.")
    return PointLayer(
        x=x[good],
        y=y[good],
        crs=gdf.crs,
        attributes=attrs,
        info=LayerInfo(name=name, source=source, kind="points", id_field=id_field),
        rejected=reject_frame(rows[~good], ids, reasons[~good]),
        n_input=len(gdf),
    )
