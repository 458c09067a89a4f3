"""One entry point per role: :func:`read_points` for point layers, :func:`read_boundaries`."""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from pathlib import Path

import geopandas as gpd

from ..boundaries import Boundaries, prepare_boundaries
from ..crs import as_crs
from ..errors import GeodistrictWarning, InputFileError, SchemaError
from ..layers import LayerInfo, PointLayer
from .catalogue import CatalogueEntry, get_entry
from .catalogue import fetch as fetch_boundaries
from .vector import VECTOR_SUFFIXES, check_vector_crs, point_layer_from_geodataframe, read_vector

__all__ = [
    "read_boundaries",
    "read_points",
    "read_boundaries_file",
    "read_catalogue_boundaries",
    "TABLE_SUFFIXES",
]

TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls"}


def _default_name(path: Path) -> str:
    return re.sub(r"\W+", "_", path.stem).strip("_").lower() or "points"


def read_points(
    spec: str | Path,
    *,
    name: str | None = None,
    x: str | None = None,
    y: str | None = None,
    crs: object | None = None,
    postcode: str | None = None,
    layer: str | int | None = None,
    sheet: str | int | None = None,
    decimal: str | None = None,
) -> PointLayer:
    """Read any supported point source.

    Parameters
    ----------
    spec : str or Path
        ``"onspd"`` / ``"onspd:E"`` (built-in postcodes), a CSV/XLSX table (coordinates or
        postcodes; Companies House BasicCompanyData and learning-providers are recognised by
        their columns), or a vector file of points.
    name : str, optional
        Short layer name (defaults to the file stem).
    x, y, crs, postcode
        Overrides for tables (see :func:`geodistrict.io.tables.points_from_frame`); ``crs``
        also assigns a CRS to a vector file that has none.
    layer, sheet
        Layer of a GeoPackage; sheet of a workbook.
    decimal : {".", ","}, optional
        The decimal separator of a table's coordinates, when a column mixes both.

    Returns
    -------
    PointLayer
    """
    s = str(spec)
    if s == "onspd" or s.startswith("onspd:"):
        from .onspd import read_onspd

        return read_onspd(s, name=name or "postcodes")
    from .datasets import resolve

    path = Path(resolve(spec))
    suffix = path.suffix.lower()
    nm = name or _default_name(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found; check the path (or use 'onspd').")
    if suffix in TABLE_SUFFIXES:
        from .tables import points_from_frame, read_table

        df, notes = read_table(path, sheet=sheet)
        if len(df) == 0:
            from ..errors import EmptyLayerError

            raise EmptyLayerError(
                f"{path}: the table has a header but no rows; export it again with its data."
            )
        if x is None and postcode is None and crs is None and decimal is None:
            from .companies_house import detect_companies_house, read_companies_house
            from .universities import detect_universities, read_universities

            if detect_companies_house(df.columns):
                return read_companies_house(path, name=nm)
            if detect_universities(df.columns):
                return read_universities(path, name=nm)
        return points_from_frame(
            df,
            name=nm,
            source=str(path),
            x=x,
            y=y,
            crs=crs,
            postcode=postcode,
            notes=notes,
            decimal=decimal,
        )
    if suffix in VECTOR_SUFFIXES or path.is_dir():
        if crs is not None:
            gdf = _read_vector_assigning_crs(path, layer=layer, crs=crs)
        else:
            gdf = read_vector(path, layer=layer)
        return point_layer_from_geodataframe(gdf, name=nm, source=str(path))
    raise InputFileError(
        f"{path}: unknown file type {suffix!r}; use CSV/XLSX tables or GeoJSON, GeoPackage, "
        "GeoParquet or Shapefile."
    )


def _read_vector_assigning_crs(path: Path, *, layer, crs) -> gpd.GeoDataFrame:
    """Read a vector file and label it with ``crs``.

    A file without a CRS gets it; a file declaring another CRS is relabelled (not
    reprojected) with a warning naming both, for files published with a wrong label.
    """
    import warnings

    from ..errors import GeodistrictWarning

    target = as_crs(crs, what=str(path))
    gdf = read_vector(path, layer=layer, assign_crs=target)
    if not gdf.crs.equals(target):
        warnings.warn(
            f"{path}: declares {gdf.crs.to_string()} but was relabelled {target.to_string()} "
            "as asked (coordinates unchanged, not reprojected).",
            GeodistrictWarning,
            stacklevel=3,
        )
        gdf = gdf.set_crs(target, allow_override=True)
    return gdf


def read_boundaries_file(
    path: str | Path, *, layer: str | int | None = None, crs: object | None = None
) -> gpd.GeoDataFrame:
    """Read a polygon file; ``crs`` labels it (a file with a wrong CRS label is relabelled).

    Raises
    ------
    InputFileError
        For a table (CSV/XLSX): boundaries need polygons.
    CRSError
        When the coordinates contradict the declared CRS (lon/lat labelled EPSG:27700 ...).
    """
    from .datasets import resolve as _resolve_dataset

    path = Path(_resolve_dataset(path))
    if path.suffix.lower() in TABLE_SUFFIXES:
        raise InputFileError(
            f"{path}: a {path.suffix} table has no geometry column, but boundaries need "
            "polygons: give a GeoJSON, GeoPackage, GeoParquet or Shapefile (tables of points "
            "go to --points NAME=FILE)."
        )
    if crs is not None:
        gdf = _read_vector_assigning_crs(path, layer=layer, crs=crs)
    else:
        gdf = read_vector(path, layer=layer)
    check_vector_crs(gdf, what=str(path))
    return gdf


def read_boundaries(
    path: str | Path,
    *,
    id: str | None = None,  # noqa: A002
    name: str | None = None,
    layer: str | int | None = None,
    crs: object | None = None,
    metric_crs: object | None = None,
) -> Boundaries:
    """Read and prepare a boundary file (GeoJSON, GeoPackage, GeoParquet, Shapefile).

    ``path`` may also be the name of a dataset (``"lep2021"``, see
    :mod:`geodistrict.io.datasets`): its file is used, with the registry's code and name fields,
    licence, attribution and vintage.

    Examples
    --------
    >>> from geodistrict.io.datasets import shipped_districts_path
    >>> b = read_boundaries(shipped_districts_path())
    >>> len(b) >= 3 and bool((b.area_km2 > 0).all())
    True
    >>> read_boundaries("lep2021").id_field
    'LEP21CD'
    """
    from ..provenance import known_attribution
    from . import datasets

    entry = None
    resolved = datasets.resolve(path)
    if resolved is not path:
        d = datasets.get(str(path))
        if d.boundary:
            entry = get_entry(d.name)
            id = id or entry.id_field  # noqa: A001
            name = name or entry.name_field
            if crs is None and entry.declared_crs:
                crs = entry.crs
        path = resolved
    gdf = read_boundaries_file(path, layer=layer, crs=crs)
    if entry is not None:
        lower = {str(c).lower(): str(c) for c in gdf.columns}
        id = lower.get(str(id).lower(), id)  # noqa: A001
        name = lower.get(str(name).lower(), name)
    lic, attr, vintage = known_attribution(Path(path).name, gdf)
    if entry is not None:
        lic, attr, vintage = entry.licence, entry.attribution, entry.vintage
    info = LayerInfo(
        name="boundaries",
        source=str(path),
        kind="polygons",
        licence=lic,
        attribution=attr,
        vintage=vintage,
    )
    return prepare_boundaries(
        gdf, id=id, name=name, metric_crs=metric_crs, source=str(path), info=info
    )


def _resolve_field(path: Path, entry: CatalogueEntry, key: str, columns: list[str]) -> str:
    want = getattr(entry, key)
    if want in columns:
        return want
    by_lower = {c.lower(): c for c in columns}
    if want.lower() in by_lower:
        return by_lower[want.lower()]
    raise SchemaError(
        f"{path}: the catalogue's {key} {want!r} for {entry.name} is not among its fields "
        f"({', '.join(columns)}); the publisher may have renamed it: correct {key} in "
        "geodistrict/data/catalogue.yaml."
    )


def read_catalogue_boundaries(
    name: str | CatalogueEntry,
    *,
    cache: str | Path | None = None,
    from_dir: str | Path | None = None,
    timeout: float = 30,
    retries: int = 3,
    verify: bool = True,
    metric_crs: object | None = None,
) -> Boundaries:
    """Fetch a catalogued set and read it with the catalogue's code and name fields.

    The licence, attribution and vintage of the result come from the catalogue. A file that
    declares a wrong CRS (``declared_crs``) is read as the catalogue's ``crs``, with a warning.
    Options are those of :func:`geodistrict.io.catalogue.fetch`, plus ``metric_crs`` (see
    :func:`geodistrict.read_boundaries`).

    Examples
    --------
    >>> b = read_catalogue_boundaries("lep2021")  # bundled: no network needed
    >>> len(b), b.id_field
    (38, 'LEP21CD')
    """
    import pyogrio

    entry = name if isinstance(name, CatalogueEntry) else get_entry(name)
    path = fetch_boundaries(
        entry, cache=cache, from_dir=from_dir, timeout=timeout, retries=retries, verify=verify
    )
    columns = [str(c) for c in pyogrio.read_info(str(path))["fields"]]
    id_field = _resolve_field(path, entry, "id_field", columns)
    name_field = _resolve_field(path, entry, "name_field", columns)
    b = read_boundaries(
        path,
        id=id_field,
        name=name_field,
        crs=entry.crs if entry.declared_crs else None,
        metric_crs=metric_crs,
    )
    if entry.features is not None and len(b) != entry.features:
        warnings.warn(
            f"{path}: {len(b)} features, but the catalogue lists {entry.features} for "
            f"{entry.name}; the publisher may have re-issued the set (check its vintage).",
            GeodistrictWarning,
            stacklevel=2,
        )
    info = replace(
        b.info,
        licence=entry.licence,
        attribution=entry.attribution,
        vintage=entry.vintage,
    )
    return replace(b, info=info)
