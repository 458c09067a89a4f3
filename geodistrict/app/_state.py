"""What the app shows: the data loaded once per process and the results shaped for display.

Nothing here measures anything: cards, comparisons, diffs and location quotients come from
:mod:`geodistrict.districts` and :mod:`geodistrict.metrics`; maps from
:mod:`geodistrict.maps` when it is installed.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .._errors import GeodistrictError, InputFileError
from .._paths import public_text
from ..boundaries import Boundaries, prepare_boundaries
from ..layers import PointLayer
from ._upload import MAX_FEATURES, MAX_UPLOAD_BYTES, UPLOAD_SUFFIXES, esc_html, one_district

__all__ = [
    "BUFFERS_M",
    "DATA_FILES",
    "DATA_NAMES",
    "DEFAULT_BASELINE",
    "DEFAULT_PLACES",
    "FEATURED_PLACES",
    "MIN_COUNT",
    "MIN_LQ",
    "REGION_BUFFER_M",
    "AppData",
    "Proposed",
    "card_for",
    "chart_png",
    "compare_table",
    "comparison",
    "comparison_ready",
    "data_dir_from_env",
    "geojson_bytes",
    "get_app_data",
    "lep_names",
    "load_app_data",
    "load_in_background",
    "loading_status",
    "map_html",
    "parameters_in_use",
    "place_boundaries",
    "place_label",
    "place_options",
    "propose",
    "report_html",
    "sources_table",
    "specialisation_for",
    "table_view",
    "warm",
]

#: Files read from the shared data folder (``--data DIR``), relative to it.
DATA_FILES = {
    "universities": "uk/universities/learning-providers-plus.csv",
    "leps": "uk/boundaries/Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson",
    "lads": "uk/boundaries/LAD_May_2024_EN_BUC_with_LEP21.geojson",
    "nomis": "uk/tables/nomis_UBC_enterprises_by_size_industry_2023-04.xlsx",
}
#: The bundled datasets (:mod:`geodistrict.datasets`) loaded when no data folder is given.
DATA_NAMES = {
    "universities": "learning-providers",
    "leps": "lep2021",
    "lads": "lad2024_lep21",
    "nomis": "ubc-industry-2022",
}
#: Card parameters used by the app (the library defaults, stated for the About view).
BUFFERS_M = (800.0, 1600.0)
REGION_BUFFER_M = 10_000.0
MIN_LQ, MIN_COUNT = 1.25, 100
NOMIS_LICENCE = "Open Government Licence v3.0 (ONS Crown Copyright, via Nomis)"


# --------------------------------------------------------------------------------------------
# the data the app offers


@dataclass(frozen=True)
class AppData:
    """Layers loaded once per process.

    Attributes
    ----------
    districts : Boundaries
        The shipped districts.
    registry : pandas.DataFrame
        The benchmark registry (:func:`geodistrict.registry.load_registry`).
    postcodes : PointLayer
        The embedded ONS Postcode Directory.
    universities : PointLayer or None
        UK higher-education providers (from the data folder).
    leps, lads : Boundaries or None
        LEP 2021 and LAD 2024 boundaries (from the data folder).
    nomis : NomisTable or None
        UK Business Counts by SIC 2007 section (from the data folder).
    data_dir : Path or None
        The data folder.
    missing : tuple of str
        What is not available and why.
    timings_s : dict
        Seconds spent loading each layer.
    """

    districts: Boundaries
    registry: pd.DataFrame
    postcodes: PointLayer
    universities: PointLayer | None = None
    leps: Boundaries | None = None
    lads: Boundaries | None = None
    nomis: Any = None
    data_dir: Path | None = None
    missing: tuple[str, ...] = ()
    timings_s: dict[str, float] = field(default_factory=dict, compare=False)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def layers(self) -> dict[str, PointLayer]:
        """The point layers counted in cards: postcodes and (when loaded) universities."""
        out = {"postcodes": self.postcodes}
        if self.universities is not None:
            out["universities"] = self.universities
        return out


def data_dir_from_env() -> Path | None:
    """The data folder named by ``GEODISTRICT_SHARED_DATA`` (``None`` when unset)."""
    value = os.environ.get("GEODISTRICT_SHARED_DATA", "").strip()
    return Path(value) if value else None


def load_app_data(data_dir: str | Path | None = None, *, bundled: bool = True) -> AppData:
    """Load the shipped districts, the registry, the postcodes and the other layers.

    Parameters
    ----------
    data_dir : str or Path, optional
        A data folder holding the files of :data:`DATA_FILES` (``uk/...``); without it the
        bundled datasets of :data:`DATA_NAMES` are loaded (they ship in the package).
    bundled : bool
        With ``False`` and no ``data_dir``, offer the shipped districts, the registry and the
        postcodes only.

    Raises
    ------
    InputFileError
        When ``data_dir`` is given but is not a folder.
    """
    from ..io.nomis import read_nomis
    from ..io.onspd import read_onspd
    from ..io.read import read_points
    from ..registry import district_boundaries, load_registry

    timings: dict[str, float] = {}
    missing: list[str] = []

    def timed(name: str, fn: Any, *args: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        _STEP[_key(data_dir)] = name
        out = fn(*args, **kw)
        timings[name] = round(time.perf_counter() - t0, 3)
        return out

    districts = timed("districts", district_boundaries)
    registry = timed("registry", load_registry)
    postcodes = timed("postcodes", read_onspd, "onspd")
    got: dict[str, Any] = {}
    root = Path(data_dir) if data_dir is not None else None
    if root is not None and not root.is_dir():
        raise InputFileError(
            f"--data {root}: not a folder; give the shared data folder that holds uk/..."
        )
    readers = {
        "universities": lambda p: read_points(p, name="universities"),
        "leps": _read_boundaries,
        "lads": _read_boundaries,
        "nomis": read_nomis,
    }
    for key, rel in DATA_FILES.items():
        if root is None:
            if bundled:
                got[key] = timed(key, readers[key], _bundled_path(key))
            else:
                missing.append(f"{key}: no data folder given (start with --data DIR)")
            continue
        path = root / rel
        if not path.exists():
            missing.append(f"{key}: {rel} is not in the data folder")
            continue
        got[key] = timed(key, readers[key], path)
    return AppData(
        districts=districts,
        registry=registry,
        postcodes=postcodes,
        data_dir=root,
        missing=tuple(missing),
        timings_s=timings,
        **got,
    )


def _bundled_path(key: str) -> Path:
    from ..datasets import path

    return path(DATA_NAMES[key])


def _data_path(data: AppData, key: str) -> Path:
    """The file a layer of :class:`AppData` was read from (data folder or bundled)."""
    if data.data_dir is not None:
        return data.data_dir / DATA_FILES[key]
    return _bundled_path(key)


def _read_boundaries(path: Path) -> Boundaries:
    from ..boundaries import read_boundaries

    return read_boundaries(path)


#: Places whose cards are computed when the app warms up (the Compare view's first choices).
FEATURED_PLACES = (
    "district:cambridge",
    "district:manchester-oxford-road",
    "district:22at-barcelona",
    "district:medellin-innovation-district",
    "district:melbourne-city-north",
    "lad:E07000008",  # Cambridge
    "lad:E08000003",  # Manchester
    "lep:E37000051",  # London
)
#: The Compare view's first selection and the Proposed view's default baseline.
DEFAULT_PLACES = (
    "district:cambridge",
    "district:manchester-oxford-road",
    "district:22at-barcelona",
)
DEFAULT_BASELINE = "district:cambridge"


_LOCK = threading.Lock()
_CACHE_LOCK = threading.Lock()
_WARM_LOCK = threading.Lock()
_LOADED: dict[str, AppData] = {}
_LOADERS: dict[str, threading.Lock] = {}
_STEP: dict[str, str] = {}  # what the loader of each folder is reading now
_FAILED: dict[str, BaseException] = {}


def _key(data_dir: str | Path | None) -> str:
    return str(Path(data_dir).resolve()) if data_dir is not None else ""


def get_app_data(data_dir: str | Path | None = None, *, load: bool = True) -> AppData | None:
    """The :class:`AppData` of this process for ``data_dir`` (loaded on first use, then cached).

    With ``load=False`` returns ``None`` instead of loading (to tell a warm start from a cold
    one) without waiting: a session asking while another thread loads is not blocked.
    """
    key = _key(data_dir)
    got = _LOADED.get(key)
    if got is not None or not load:
        return got
    with _LOCK:
        loader = _LOADERS.setdefault(key, threading.Lock())
    with loader:  # one load per folder; the others wait for it
        if key not in _LOADED:
            _LOADED[key] = load_app_data(data_dir)
    return _LOADED[key]


def load_in_background(data_dir: str | Path | None = None) -> None:
    """Start loading and warming the data of ``data_dir`` in a thread (once per process).

    The server answers meanwhile; :func:`loading_status` tells sessions what is being read.
    """
    from ._work import run_in_background

    key = _key(data_dir)
    with _LOCK:
        if key in _LOADED or key in _STEP:
            return
        _STEP[key] = "starting"

    def run() -> None:
        try:
            get_app_data(data_dir)
            _STEP[key] = "the featured cards"
            warm(data_dir)
            _STEP[key] = "ready"
        except BaseException as exc:  # noqa: BLE001 - reported to every session
            _FAILED[key] = exc

    run_in_background(run, name="geodistrict-load")


def loading_status(
    data_dir: str | Path | None = None,
) -> tuple[AppData | None, str, BaseException | None]:
    """(the data when loaded, what is being read now, the error that stopped loading)."""
    key = _key(data_dir)
    return _LOADED.get(key), _STEP.get(key, "not started"), _FAILED.get(key)


def warm(data_dir: str | Path | None = None) -> AppData:
    """Load the data, compute the featured cards and draw a chart and a map once.

    Run before serving so that no visitor waits for an import or a national layer.
    """
    t0 = time.perf_counter()
    data = get_app_data(data_dir)
    assert data is not None
    with _WARM_LOCK:  # once: a second caller (another thread) waits for the first
        _warm(data, t0)
    return data


def _warm(data: AppData, t0: float) -> None:
    if "warm" not in data.cache:
        keys = [k for k in FEATURED_PLACES if k.partition(":")[0] == "district" or
                getattr(data, k.partition(":")[0] + "s") is not None]  # fmt: skip
        for k in keys:
            card_for(data, k)
        comparison(data, list(DEFAULT_PLACES), baseline=DEFAULT_BASELINE)
        map_html(data, list(DEFAULT_PLACES))
        if data.nomis is not None:
            specialisation_for(data, lep_names(data)[0])
        data.timings_s["warm_cards_chart_map"] = round(time.perf_counter() - t0, 3)
        data.cache["warm"] = True


# --------------------------------------------------------------------------------------------
# places: shipped districts, registry-only districts, LEPs and LADs


def place_options(data: AppData) -> dict[str, str]:
    """Labels (shown) → keys of every place the app can compare, shipped districts first.

    Keys are ``district:SLUG``, ``lep:CODE`` and ``lad:CODE``; labels say what each is.
    Computed once per process (every session opens with it); callers get a copy.
    """
    if "options" not in data.cache:
        data.cache["options"] = _place_options(data)
    return dict(data.cache["options"])


def _place_options(data: AppData) -> dict[str, str]:
    out: dict[str, str] = {}
    for slug, name in zip(data.districts.ids, data.districts.names, strict=True):
        out[str(name)] = f"district:{slug}"
    shipped = set(map(str, data.districts.ids))
    for slug in dict.fromkeys(data.registry["slug"]):
        if slug not in shipped:
            out[f"{slug} (published figures only)"] = f"district:{slug}"
    for kind, b, label in (("lep", data.leps, "LEP 2021"), ("lad", data.lads, "LAD 2024")):
        if b is None:
            continue
        order = np.argsort(b.names.astype(str), kind="stable")
        for i in order:
            out[f"{b.names[i]} ({label})"] = f"{kind}:{b.ids[i]}"
    return out


def place_label(data: AppData, key: str) -> str:
    """The label of a place key (the key itself when unknown)."""
    if "labels" not in data.cache:
        data.cache["labels"] = {v: k for k, v in place_options(data).items()}
    return data.cache["labels"].get(key, key)


def place_boundaries(data: AppData, key: str) -> Boundaries | None:
    """One place as a one-polygon :class:`Boundaries` (``None`` for a registry-only district).

    Raises
    ------
    InputFileError
        For an unknown key (the message lists the kinds of key).
    """
    cache = data.cache.setdefault("places", {})
    if key in cache:
        return cache[key]
    kind, _, code = key.partition(":")
    source = {"district": data.districts, "lep": data.leps, "lad": data.lads}.get(kind)
    hit = np.flatnonzero(source.ids.astype(str) == code) if source is not None else []
    if kind == "district" and not len(hit) and code in set(data.registry["slug"]):
        cache[key] = None
        return None
    if source is None or not len(hit):
        raise InputFileError(
            f"{key}: not a place of this app; use district:SLUG, lep:CODE or lad:CODE "
            "(LEPs and LADs need the data folder: --data DIR)."
        )
    row = source.data.iloc[[int(hit[0])]][["id", "name", "geometry"]].copy()
    if kind != "district":
        row["name"] = place_label(data, key)
    info = replace(source.info, name=kind, source=f"{source.info.source} ({code})")
    b = prepare_boundaries(row, id="id", name="name", source=info.source, info=info)
    cache[key] = b
    return b


#: Great Britain and Northern Ireland in longitude/latitude (west, south, east, north).
UK_LONLAT = (-8.7, 49.8, 1.8, 60.9)


def _uk_layers(data: AppData, b: Boundaries | None) -> dict[str, PointLayer]:
    """UK layers for a polygon that reaches the UK, none for one wholly elsewhere.

    A polygon measured in British National Grid reaches it; so does a district with parts in
    the UK and abroad (measured in another CRS), whose UK parts keep their postcodes.
    """
    if b is None:
        return {}
    if b.metric_crs.to_epsg() == 27700:
        return data.layers
    geom = np.asarray(b.data.geometry.to_crs(4326).array, dtype=object)
    return data.layers if shapely.intersects(geom, shapely.box(*UK_LONLAT)).any() else {}


def _reach_box(b: Boundaries, reach: float, crs: Any) -> tuple[float, ...]:
    """The box of ``b``'s polygons grown by ``reach`` metres, in ``crs``."""
    import geopandas as gpd

    x0, y0, x1, y1 = shapely.bounds(shapely.union_all(b.metric))
    box = shapely.segmentize(shapely.box(x0 - reach, y0 - reach, x1 + reach, y1 + reach),
                             max(reach, 1.0))  # fmt: skip
    return tuple(gpd.GeoSeries([box], crs=b.metric_crs).to_crs(crs).total_bounds)


def card_for(data: AppData, key: str) -> Any:
    """The card of a place, with the UK layers when it lies in Great Britain (cached)."""
    from ..districts import district_card

    cache = data.cache.setdefault("cards", {})
    if key not in cache:
        b = place_boundaries(data, key)
        if b is None:
            cache[key] = district_card(key.partition(":")[2])
        else:
            cache[key] = district_card(b, layers=_layers_near(data, b), buffers_m=BUFFERS_M,
                                       region_buffer_m=REGION_BUFFER_M)  # fmt: skip
    return cache[key]


def compare_table(data: AppData, keys: list[str], *, baseline: str | None = None) -> pd.DataFrame:
    """:func:`~geodistrict.districts.compare_cards` of the places, the baseline among them."""
    from ..districts import compare_cards

    if not keys:
        raise InputFileError("choose at least one place to compare.")
    cards = [card_for(data, k) for k in keys]
    base = cards[keys.index(baseline)] if baseline in keys else None
    return compare_cards(cards, baseline=base)


def comparison(
    data: AppData, keys: list[str], *, baseline: str | None = None
) -> tuple[pd.DataFrame, bytes | None, str]:
    """The comparison table of a choice of places, its chart as PNG, and why there is none.

    Cached per choice: the chart takes about a second to draw. The PNG is ``None`` (and the
    reason given) when the table has no density to plot.
    """
    cache = data.cache.setdefault("comparisons", {})
    key = (tuple(keys), baseline if baseline in keys else None)
    if key not in cache:
        table = compare_table(data, keys, baseline=baseline)
        try:
            png, why = chart_png(table), ""
        except GeodistrictError as exc:
            png, why = None, str(exc)
        with _CACHE_LOCK:  # sessions compute comparisons in parallel threads
            if len(cache) >= 64:
                cache.pop(next(iter(cache)))
            cache[key] = (table, png, why)
    return cache[key]


def comparison_ready(data: AppData, keys: list[str], *, baseline: str | None = None) -> bool:
    """Whether :func:`comparison` of this choice is cached (so showing it costs nothing)."""
    key = (tuple(keys), baseline if baseline in keys else None)
    return key in data.cache.get("comparisons", {})


def table_view(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison normalised per km²: name, area, densities and ratios to the baseline.

    Columns without any value are left out; regional densities, ranks and per-ha twins stay in
    the CSV export.
    """
    dens = [
        c
        for c in table.columns
        if c.endswith("_per_km2") and "_region_" not in c and not re.search(r"_\d{4}_per_km2$", c)
    ]
    ratios = [c for c in table.columns if c.endswith("_vs_baseline")]
    cols = ["name", "area_km2", *dens, *ratios]
    view = table[[c for c in cols if c in table.columns]]
    keep = [c for c in view.columns if c == "name" or view[c].notna().any()]
    return view[keep].reset_index(drop=True)


def chart_png(table: pd.DataFrame) -> bytes:
    """The comparison chart (:func:`~geodistrict.districts.compare_chart`) as PNG bytes."""
    from ..districts import compare_chart

    with tempfile.TemporaryDirectory(prefix="geodistrict-") as tmp:
        path = compare_chart(table, Path(tmp) / "chart.png")
        return path.read_bytes()


@dataclass(frozen=True)
class Proposed:
    """A proposed district measured: its boundaries, card and diff against a baseline."""

    boundaries: Boundaries
    card: Any
    diff: Any
    baseline: str
    seconds: float

    def summary(self) -> dict[str, Any]:
        """Headline numbers: area, counts inside, and the diff's areas and count changes."""

        def value(name: str) -> float | None:
            try:
                return self.card.indicator(name).value
            except GeodistrictError:
                return None

        out: dict[str, Any] = {
            "area_ha": self.card.area_ha,
            "postcodes_count": value("postcodes_count"),
            "universities_count": value("universities_count"),
            "area_added_ha": self.diff.area_added_ha,
            "area_removed_ha": self.diff.area_removed_ha,
            "area_common_ha": self.diff.area_common_ha,
        }
        for layer, r in self.diff.layers.iterrows():
            out[f"{layer}_change"] = float(r["proposed_count"] - r["baseline_count"])
        return out


def _clip(layers: dict[str, PointLayer], box: tuple[float, ...], crs: Any) -> dict[str, Any]:
    """The layers' points inside ``box`` (in ``crs``); layers in another CRS are left whole.

    Only a shortcut: every ring a card or a diff counts in lies inside the box, so the counts
    are those of the whole layer, found without testing 2.7 million postcodes four times.
    """
    out: dict[str, Any] = {}
    x0, y0, x1, y1 = box
    for name, lay in layers.items():
        if not lay.crs.equals(crs):
            out[name] = lay
            continue
        keep = (lay.x >= x0) & (lay.x <= x1) & (lay.y >= y0) & (lay.y <= y1)
        out[name] = PointLayer(
            x=lay.x[keep],
            y=lay.y[keep],
            crs=lay.crs,
            attributes=lay.attributes[keep].reset_index(drop=True),
            info=lay.info,
        )
    return out


def _layers_near(data: AppData, b: Boundaries, other: Boundaries | None = None) -> dict:
    """The UK layers for ``b`` (none outside Great Britain), clipped to its reach.

    The reach of a card is the box of ``b``'s region; a diff with ``other`` adds its bounds.
    """
    layers = _uk_layers(data, b)
    if not layers:
        return layers
    crs = data.postcodes.crs  # the box is drawn in the layers' CRS (BNG), whatever b's is
    reach = REGION_BUFFER_M + max(BUFFERS_M) + 1.0
    box = list(_reach_box(b, reach, crs))
    if other is not None:
        ox0, oy0, ox1, oy1 = _reach_box(other, 1.0, crs)
        box = [min(box[0], ox0), min(box[1], oy0), max(box[2], ox1), max(box[3], oy1)]
    return _clip(layers, tuple(box), crs)


def propose(data: AppData, b: Boundaries, *, baseline: str = DEFAULT_BASELINE) -> Proposed:
    """The card of an uploaded district and its diff against a baseline place.

    The UK layers are counted when the district lies in Great Britain, over the points in the
    box that holds the district's region (the district buffered by :data:`REGION_BUFFER_M`)
    and the baseline: the same counts as over the whole layers, in a fraction of the time.
    """
    from ..districts import diff_districts, district_card

    t0 = time.perf_counter()
    one = one_district(b)
    base = place_boundaries(data, baseline)
    if base is None:
        raise InputFileError(
            f"{baseline}: has published figures but no polygon to compare with; choose a "
            "shipped district or a UK place as the baseline."
        )
    layers = _layers_near(data, one, base)
    card = district_card(one, layers=layers, buffers_m=BUFFERS_M, region_buffer_m=REGION_BUFFER_M,
                         registry=False)  # fmt: skip
    diff = diff_districts(one, base, layers=layers)
    return Proposed(one, card, diff, baseline, time.perf_counter() - t0)


def report_html(data: AppData, b: Boundaries) -> bytes:
    """The regional innovation audit report of an uploaded district, as one HTML file.

    The same report as ``geodistrict report`` (:mod:`geodistrict.reports`): card, hot spots of
    the postcodes, nearest benchmark districts, sources and parameters; with the data folder,
    universities too, and the UK Business Counts when the district is made of whole LADs (a
    drawn district is not, and the report says why it shows no location quotients). It is
    self-contained (inline CSS, images as data URIs) so it can be e-mailed or printed.
    """
    import tempfile

    from ..reports import ReportOptions, build_context, build_reports

    one = one_district(b)
    nomis = _data_path(data, "nomis") if data.nomis is not None else None
    ctx = build_context(
        one,
        options=ReportOptions(noun="district", min_lq=MIN_LQ, min_count=MIN_COUNT),
        postcodes=data.postcodes,
        universities=data.universities,
        business_counts=nomis if data.lads is not None else None,
        zones=data.lads if nomis is not None else None,
    )
    with tempfile.TemporaryDirectory() as tmp:
        run = build_reports(ctx, tmp, pdf=False, command="geodistrict app (proposed district)",
                            debug=True)  # fmt: skip
        return next(iter(run.html.values())).read_bytes()


def geojson_bytes(b: Boundaries) -> bytes:
    """The polygons as GeoJSON (EPSG:4326, RFC 7946) with ``id``, ``name`` and ``area_ha``."""
    gdf = b.data[["id", "name", "geometry"]].to_crs(4326)
    gdf = gdf.assign(area_ha=np.round(b.area_km2 * 100, 4))
    return gdf.to_json(drop_id=True, ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------------------------
# specialisation


def specialisation_for(data: AppData, lep: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Location quotients of one LEP by SIC section, and its specialisms (strongest first).

    Raises
    ------
    InputFileError
        When the UK Business Counts table was not loaded (the message says why).
    """
    from ..metrics.specialisation import (
        is_specialism,
        location_quotients,
        nomis_sector_counts,
        specialisms,
    )

    if data.nomis is None:
        why = next((m for m in data.missing if m.startswith("nomis")), "not loaded")
        raise InputFileError(f"the UK Business Counts table is unavailable ({why}).")
    if "lq" not in data.cache:
        counts, ref = nomis_sector_counts(data.nomis, geography_type="lep")
        lq = location_quotients(counts, reference=ref)
        lq["specialism"] = is_specialism(lq, min_lq=MIN_LQ, min_count=MIN_COUNT)
        lq.attrs.update(counts.attrs)
        data.cache["lq"] = lq
    lq = data.cache["lq"]
    rows = lq[lq["area"] == lep]
    if rows.empty:
        raise InputFileError(f"{lep}: no LEP of that name in the UK Business Counts table.")
    top = specialisms(rows, min_lq=MIN_LQ, min_count=MIN_COUNT)
    return rows.reset_index(drop=True), top.reset_index(drop=True)


def lep_names(data: AppData) -> list[str]:
    """LEP names of the UK Business Counts table (empty when it is not loaded)."""
    if data.nomis is None:
        return []
    if "lep_names" not in data.cache:
        t = data.nomis.data
        names = {str(a) for a in t.loc[t["geography_type"] == "lep", "area"].dropna()}
        data.cache["lep_names"] = sorted(names)
    return list(data.cache["lep_names"])


# --------------------------------------------------------------------------------------------
# sources, parameters, map


def sources_table(data: AppData) -> pd.DataFrame:
    """Every source the app uses: what, file, vintage, licence and attribution."""
    rows: list[dict[str, Any]] = []
    d = data.districts.data
    for _, r in d.iterrows():
        rows.append({"layer": f"district: {r['name']}", "source": r.get("source"),
                     "vintage": r.get("vintage"), "licence": r.get("licence"),
                     "attribution": r.get("attribution")})  # fmt: skip
    reg = data.registry.drop_duplicates(["publisher", "title", "source_year"])
    for _, r in reg.iterrows():
        rows.append({"layer": f"registry: {r['slug']}", "source": r.get("url"),
                     "vintage": r.get("source_year"), "licence": "published figure, cited",
                     "attribution": f"{r.get('publisher')}, {r.get('title')}"})  # fmt: skip
    layers: list[tuple[str, Any]] = [("postcodes", data.postcodes.info)]
    for key, label in (("universities", "universities"), ("leps", "LEP 2021 boundaries"),
                       ("lads", "LAD 2024 boundaries")):  # fmt: skip
        obj = getattr(data, key)
        if obj is not None:
            layers.append((label, obj.info))
    for label, info in layers:
        rows.append({"layer": label, "source": info.source, "vintage": info.vintage,
                     "licence": info.licence, "attribution": info.attribution})  # fmt: skip
    if data.nomis is not None:
        rows.append({"layer": "UK Business Counts", "source": data.nomis.source,
                     "vintage": "2018-2022 (latest year used)", "licence": NOMIS_LICENCE,
                     "attribution": f"Source: Nomis, {data.nomis.title}."})  # fmt: skip
    rows.append({"layer": "basemap", "source": "OpenStreetMap tiles (when online)",
                 "vintage": "live", "licence": "ODbL", "attribution":
                 "© OpenStreetMap contributors"})  # fmt: skip
    for m in data.missing:
        rows.append({"layer": m.split(":")[0], "source": "not loaded", "vintage": None,
                     "licence": None, "attribution": m})  # fmt: skip
    out = pd.DataFrame(rows, columns=["layer", "source", "vintage", "licence", "attribution"])
    out = out.astype(object).where(out.notna(), "")
    return out.map(lambda v: public_text(v) if isinstance(v, str) else v)  # no server folders


def parameters_in_use(data: AppData) -> pd.DataFrame:
    """The parameters the app passes to the library, and its upload limits."""
    year = data.cache.get("lq").attrs.get("year") if "lq" in data.cache else "latest"
    rows = [
        ("buffers_m", ", ".join(f"{b:g}" for b in BUFFERS_M), "buffer counts around a card"),
        ("region_buffer_m", f"{REGION_BUFFER_M:g}", "default region: the district + this"),
        ("metric CRS", "EPSG:27700 in Great Britain, UTM elsewhere", "areas and distances"),
        ("UK layers", "postcodes, universities", "counted only for places in Great Britain"),
        ("point on a boundary", "outside", "cards count interior points"),
        ("specialism", f"lq >= {MIN_LQ:g} and count >= {MIN_COUNT:g}", "Specialisation view"),
        ("UK Business Counts", f"LEPs vs England, variable Total, year {year}", "LQ inputs"),
        ("upload size", f"{MAX_UPLOAD_BYTES / 1e6:g} MB", "larger files are refused"),
        ("upload features", f"{MAX_FEATURES:,}", "several features are merged into one"),
        ("upload types", ", ".join(UPLOAD_SUFFIXES), "zip: one Shapefile with .prj"),
        ("invalid polygons", "refused, not repaired", "make_valid would change the district"),
        ("GeoJSON without crs", "EPSG:4326 (RFC 7946)", ""),
    ]
    return pd.DataFrame(rows, columns=["parameter", "value", "meaning"])


def map_html(
    data: AppData,
    keys: list[str],
    *,
    proposed: Boundaries | None = None,
    basemap: str = "osm",
    all_districts: bool = False,
    self_contained: bool = True,
) -> tuple[str, str]:
    """An HTML document of the chosen places on a map, and which maker drew it.

    The places (and the proposed district) are outlined with their names in tooltips; with
    ``all_districts`` (or nothing chosen) the shipped districts are drawn dashed. Uses
    :func:`geodistrict.maps.make_map` and ``save_map`` (Leaflet inlined when
    ``self_contained``, so that it draws with no network) when that module is installed,
    else a plain folium map. Names are escaped: tooltips render HTML.
    """
    import geopandas as gpd

    frames = []
    for k in keys:
        b = place_boundaries(data, k)
        if b is not None:
            frames.append(b.data[["name", "geometry"]].to_crs(4326).assign(id=k))
    if proposed is not None:
        frames.append(proposed.data[["name", "geometry"]].to_crs(4326).assign(id="proposed"))
    chosen = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326) if frames else None
    if chosen is None:
        all_districts = True
    try:
        from ..maps import make_map, save_map
    except ImportError:
        return _folium_html(data, chosen, basemap, all_districts), "folium"
    m = make_map(boundaries=chosen, districts=data.districts if all_districts else None,
                 basemap=basemap, simplify_m=5.0)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="geodistrict-map-") as tmp:
        path = save_map(m, Path(tmp) / "map.html", self_contained=self_contained, budget_mb=None)
        return path.read_text(encoding="utf-8"), "geodistrict.maps.make_map"


def _folium_html(data: AppData, chosen: Any, basemap: str, all_districts: bool) -> str:
    import folium

    m = folium.Map(tiles="OpenStreetMap" if basemap == "osm" else None, control_scale=True)
    shown = []
    if all_districts:
        base = data.districts.data[["id", "name", "geometry"]].to_crs(4326)
        base["name"] = base["name"].map(esc_html)
        folium.GeoJson(base, name="shipped districts", tooltip=folium.GeoJsonTooltip(["name"]),
                       style_function=lambda _: {"color": "#000", "weight": 2,
                                                 "dashArray": "6 4", "fillOpacity": 0}
                       ).add_to(m)  # fmt: skip
        shown.append(base)
    if chosen is not None:
        chosen = chosen.assign(name=chosen["name"].map(esc_html))
        folium.GeoJson(chosen, name="chosen places", tooltip=folium.GeoJsonTooltip(["name"]),
                       style_function=lambda _: {"color": "#c0392b", "weight": 3,
                                                 "fillOpacity": 0.15}).add_to(m)  # fmt: skip
        shown.append(chosen)
    b = np.array([g.total_bounds for g in shown])
    m.fit_bounds([[b[:, 1].min(), b[:, 0].min()], [b[:, 3].max(), b[:, 2].max()]])
    folium.LayerControl().add_to(m)
    return m.get_root().render()
