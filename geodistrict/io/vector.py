"""Vector files: GeoJSON, GeoPackage, GeoParquet, Shapefile, FlatGeobuf (via pyogrio)."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import check_coordinates
from ..errors import (
    CRSError,
    EmptyLayerError,
    GeodistrictWarning,
    InputFileError,
    InvalidGeometryError,
    RepairWarning,
    SchemaError,
)
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


def _gdal_message(exc: BaseException) -> str:
    """The useful part of a GDAL/pyogrio error: its first line, without generic advice."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for tail in ("; It might help to specify", " It might help to specify"):
        text = text.split(tail)[0]
    return text.rstrip(" .;")


def _sibling(p: Path, suffix: str) -> Path | None:
    """The file beside ``p`` with the same stem and ``suffix`` (any case), if present."""
    for cand in (p.with_suffix(suffix), p.with_suffix(suffix.upper())):
        if cand.exists():
            return cand
    return None


def _check_shp_length(head: bytes, size: int, what: str) -> None:
    """Raise when a .shp holds fewer bytes than its header declares (a cut-short download)."""
    if len(head) < 100 or head[:4] != b"\x00\x00\x27\x0a":  # file code 9994
        return
    declared = int.from_bytes(head[24:28], "big") * 2
    if size < declared:
        raise InputFileError(
            f"{what}: the .shp is truncated ({size:,} of the {declared:,} bytes its header "
            "declares); download or copy the Shapefile again."
        )


def _check_shapefile(p: Path, what: str) -> None:
    """A Shapefile needs its .shx and .dbf (the .dbf holds every code and name)."""
    missing = [s for s in (".shx", ".dbf") if _sibling(p, s) is None]
    if missing:
        raise InputFileError(
            f"{what}: the Shapefile's {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing (a Shapefile is .shp + .shx + "
            ".dbf + .prj; the .dbf holds the codes and names); copy "
            f"{', '.join(p.stem + s for s in missing)} beside {p.name}."
        )
    with p.open("rb") as fh:
        _check_shp_length(fh.read(100), p.stat().st_size, what)


def _check_zip(p: Path, what: str) -> None:
    """A zipped Shapefile needs its .shx and .dbf; a zip must hold some vector file."""
    import zipfile

    try:
        with zipfile.ZipFile(p) as z:
            infos = [i for i in z.infolist() if not i.is_dir()]
            names = [i.filename for i in infos]
            lower = {n.lower(): i for n, i in zip(names, infos, strict=True)}
            shps = [n for n in names if n.lower().endswith(".shp")]
            for shp in shps:
                stem = shp[:-4]
                missing = [s for s in (".shx", ".dbf") if (stem + s).lower() not in lower]
                if missing:
                    raise InputFileError(
                        f"{what}: the zipped Shapefile {shp} has no {' or '.join(missing)} "
                        "(a Shapefile is .shp + .shx + .dbf + .prj; the .dbf holds the codes "
                        f"and names); zip {', '.join(Path(stem).name + s for s in missing)} "
                        "with it."
                    )
                with z.open(shp) as fh:
                    _check_shp_length(fh.read(100), lower[shp.lower()].file_size, f"{what}!{shp}")
    except zipfile.BadZipFile as exc:
        raise InputFileError(
            f"{what}: not a readable zip archive ({exc}); download or zip it again."
        ) from exc
    vector = [n for n in names if Path(n).suffix.lower() in VECTOR_SUFFIXES - {".zip"}]
    if not vector:
        shown = ", ".join(names[:8]) + (" ..." if len(names) > 8 else "") or "nothing"
        raise InputFileError(
            f"{what}: the zip holds no vector file ({shown}); it needs a Shapefile "
            "(.shp/.shx/.dbf/.prj), a GeoPackage or a GeoJSON."
        )


_M_WARNING = "Measured (M) geometry types are not supported"
_UNCLOSED = "Non closed ring detected"


def _emit_gdal_warnings(caught: list[warnings.WarningMessage], what: str) -> None:
    """Re-issue what GDAL/pyogrio said while reading, once each, naming the file."""
    seen: set[str] = set()
    for w in caught:
        if not issubclass(w.category, RuntimeWarning | UserWarning):
            # not GDAL's: pass it on as it came (a deprecation, say)
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            continue
        msg = str(w.message)
        if msg in seen or _UNCLOSED in msg or msg.startswith("invalid value encountered"):
            # unclosed rings are repaired and reported by _read_closing_rings; numpy's
            # "invalid value" is a NaN coordinate, which the layer checks report by feature
            continue
        seen.add(msg)
        if _M_WARNING in msg:
            warnings.warn(
                f"{what}: measured (M) coordinates dropped; areas and joins use x and y only "
                f"({msg.split('. ', 1)[-1].strip()}).",
                RepairWarning,
                stacklevel=4,
            )
        else:
            warnings.warn(f"{what}: GDAL: {msg}", GeodistrictWarning, stacklevel=4)


def _read_closing_rings(src: str, layer: str | int | None) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Read a layer whose polygons have unclosed rings, closing them.

    Returns the layer and the rows whose rings were closed.
    """
    import pyogrio

    strict = pyogrio.read_dataframe(src, layer=layer, on_invalid="ignore")
    fixed = pyogrio.read_dataframe(src, layer=layer, on_invalid="fix")
    before = strict.geometry.isna().to_numpy()
    after = fixed.geometry.isna().to_numpy()
    return fixed, np.flatnonzero(before & ~after)


def _warn_closed(rows: np.ndarray, what: str) -> None:
    if len(rows):
        shown = ", ".join(str(r) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
        warnings.warn(
            f"{what}: closed the unclosed polygon rings of {len(rows)} features (rows "
            f"{shown}): a ring must end where it starts; re-export the file to fix it for good.",
            RepairWarning,
            stacklevel=3,
        )


def _read_geoparquet(p: Path, what: str) -> gpd.GeoDataFrame:
    """Read a GeoParquet file.

    Raises
    ------
    SchemaError
        A Parquet file without a geometry column.
    InputFileError
        A file pyarrow cannot read.
    """
    try:
        return gpd.read_parquet(p)
    except ValueError as exc:
        raise SchemaError(
            f"{what}: no geometry column ({_gdal_message(exc)}); write it as GeoParquet "
            "(GeoDataFrame.to_parquet) or pass the coordinates as a table."
        ) from exc
    except Exception as exc:
        raise InputFileError(
            f"{what}: not a readable GeoParquet file ({_gdal_message(exc)})."
        ) from exc


def _check_layers(src: str, p: Path, layer: str | int | None, what: str) -> None:
    """Check that the file can be listed and that the layer to read is known.

    Raises
    ------
    InputFileError
        An unreadable file, or several layers and none chosen.
    SchemaError
        A single layer without geometry.
    """
    import pyogrio

    try:
        layers = pyogrio.list_layers(src)
    except Exception as exc:
        from .tables import sniff_content

        hint = sniff_content(p)
        raise InputFileError(
            f"{what}: not a readable vector file ({hint or _gdal_message(exc)}); "
            "check the format or re-export it as GeoPackage or GeoJSON."
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
            "polygons (GeoJSON, GeoPackage, Shapefile), a table of points needs "
            "coordinate or postcode columns (save it as CSV)."
        )


def _read_ogr(p: Path, layer: str | int | None, what: str) -> gpd.GeoDataFrame:
    """Read a file GDAL reads (GeoJSON, GeoPackage, Shapefile, zipped ...) with pyogrio.

    GDAL's and pyogrio's warnings are collected and said once, naming the file; unclosed
    polygon rings are closed (with a warning).
    """
    import pyogrio

    suffix = p.suffix.lower()
    if suffix == ".shp":
        _check_shapefile(p, what)
    elif suffix == ".zip":
        _check_zip(p, what)
    src = f"/vsizip/{p}" if suffix == ".zip" else str(p)
    closed = np.zeros(0, dtype=np.int64)
    with warnings.catch_warnings(record=True) as caught:
        # GDAL speaks through RuntimeWarning, pyogrio through UserWarning: collect them to
        # say them once, naming the file; other warnings keep the caller's filters
        warnings.simplefilter("always", RuntimeWarning)
        warnings.simplefilter("always", UserWarning)
        _check_layers(src, p, layer, what)
        try:
            gdf = pyogrio.read_dataframe(src, layer=layer)
        except Exception as exc:
            if "closed linestring" not in str(exc):
                raise InputFileError(
                    f"{what}: could not read layer {layer!r} ({_gdal_message(exc)})."
                ) from exc
            gdf, closed = _read_closing_rings(src, layer)
    _emit_gdal_warnings(caught, what)
    _warn_closed(closed, what)
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(
            f"{what}: no geometry column; boundaries need polygons (GeoJSON, GeoPackage, "
            "Shapefile), a table of points needs coordinate or postcode columns (save it "
            "as CSV)."
        )
    return gdf


def read_vector(
    path: str | Path,
    *,
    layer: str | int | None = None,
    what: str | None = None,
    assign_crs: object | None = None,
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
    assign_crs : str or pyproj.CRS, optional
        The CRS to give a file that declares none (instead of raising).

    Raises
    ------
    InputFileError
        Missing, empty, truncated or unreadable file (an HTML page, a compressed file, a
        Shapefile without its .dbf); several layers and none chosen.
    CRSError
        The file declares no CRS (a Shapefile without ``.prj``, a GeoParquet without CRS).
    SchemaError
        No geometry column.
    EmptyLayerError
        No features.

    Warns
    -----
    RepairWarning
        Unclosed polygon rings were closed; measured (M) coordinates were dropped.
    """
    from .datasets import resolve as _resolve_dataset

    p = Path(_resolve_dataset(path))
    what = what or str(p)
    if not p.exists():
        raise InputFileError(f"{what}: file not found; check the path.")
    if p.is_file() and p.stat().st_size == 0:
        raise InputFileError(f"{what}: the file is empty; export the layer again.")
    suffix = p.suffix.lower()
    if suffix in {".parquet", ".geoparquet"}:
        gdf = _read_geoparquet(p, what)
    else:
        gdf = _read_ogr(p, layer, what)
    if len(gdf) == 0:
        raise EmptyLayerError(f"{what}: the layer has no features.")
    if gdf.crs is None and assign_crs is not None:
        return gdf.set_crs(assign_crs)
    if gdf.crs is None:
        raise CRSError(_no_crs_message(gdf, p, what))
    return gdf


def _no_crs_message(gdf: gpd.GeoDataFrame, p: Path, what: str) -> str:
    suffix = p.suffix.lower()
    if suffix == ".shp" and _sibling(p, ".prj") is not None:
        why = "its .prj is not a CRS GDAL understands"
    elif suffix in {".shp", ".zip"}:
        why = "a Shapefile without its .prj"
    elif suffix in {".parquet", ".geoparquet"}:
        why = "a GeoParquet file written without one"
    else:
        why = "the file was written without one"
    guess, hint = None, ""
    b = gdf.total_bounds
    if np.all(np.isfinite(b)):
        if -180 <= b[0] and b[2] <= 180 and -90 <= b[1] and b[3] <= 90:
            guess = "EPSG:4326"
            hint = " Its coordinates look like longitude/latitude (EPSG:4326)."
        elif b[0] > -1e5 and b[2] < 7e5 and b[1] > -2e4 and b[3] < 1.3e6:
            guess = "EPSG:27700"
            hint = " Its coordinates look like British National Grid (EPSG:27700)."
    crs = guess or "EPSG:XXXX"
    return (
        f"{what} has no CRS ({why}).{hint} Fix: pass --boundaries-crs {crs} (points: "
        f"--points-crs NAME={crs}; Python: crs='{crs}'), or assign it for good: "
        f"ogr2ogr -a_srs {crs} fixed.gpkg {p.name}."
    )


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
    notes: tuple[str, ...] = ()
    n_z = int((shapely.has_z(geom) & good).sum())
    if n_z:
        notes = (f"{source}: z coordinates of {n_z} points ignored (points are joined in 2-D)",)
    return PointLayer(
        x=x[good],
        y=y[good],
        crs=gdf.crs,
        attributes=attrs,
        info=LayerInfo(name=name, source=source, kind="points", id_field=id_field, notes=notes),
        rejected=reject_frame(rows[~good], ids, reasons[~good]),
        n_input=len(gdf),
    )
