"""What the app shows: its data and the results shaped for display.

:func:`load_app_data` reads the data; :mod:`._loading` keeps them once per process and loads
them in the background.

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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .._paths import public_text
from ..boundaries import Boundaries, prepare_boundaries
from ..crs import WGS84
from ..errors import GeodistrictError, InputFileError
from ..layers import PointLayer
from ..metrics.rules import SPECIALISM_RULE
from ._escape import esc_html
from ._upload import MAX_FEATURES, MAX_UPLOAD_BYTES, UPLOAD_SUFFIXES, one_district

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
    "check_swapped",
    "benchmark_rank",
    "brief_html",
    "context_map_for",
    "brief_pdf",
    "compare_table",
    "comparison",
    "comparison_ready",
    "context_places",
    "default_baseline",
    "diff_table",
    "draw_start_map_html",
    "proposal_map_html",
    "proposal_reference",
    "reference_table",
    "sector_picture",
    "sector_table",
    "geojson_bytes",
    "lep_names",
    "load_app_data",
    "map_html",
    "parameters_in_use",
    "parts_table",
    "place_boundaries",
    "place_label",
    "place_options",
    "propose",
    "report_html",
    "sources_table",
    "specialisation_for",
    "table_view",
    "warm_app_data",
]

#: Files read from the shared data folder (``--data DIR``), relative to it.
DATA_FILES = {
    "universities": "uk/universities/learning-providers-plus.csv",
    "leps": "uk/boundaries/Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson",
    "lads": "uk/boundaries/LAD_May_2024_EN_BUC_with_LEP21.geojson",
    "nomis": "uk/tables/nomis_UBC_enterprises_by_size_industry_2023-04.xlsx",
}
#: The bundled datasets (:mod:`geodistrict.io.datasets`) loaded when no data folder is given.
DATA_NAMES = {
    "universities": "learning-providers",
    "leps": "lep2021",
    "lads": "lad2024_lep21",
    "nomis": "ubc-industry-2022",
}
#: Card parameters used by the app (the library defaults, stated for the About view).
BUFFERS_M = (800.0, 1600.0)
REGION_BUFFER_M = 10_000.0
MIN_LQ, MIN_COUNT = SPECIALISM_RULE.min_lq, SPECIALISM_RULE.min_count
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
        The benchmark registry (:func:`geodistrict.districts.registry.load_registry`).
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


def load_app_data(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    bundled: bool = True,
    on_step: Callable[[str], None] | None = None,
) -> AppData:
    """Load the shipped districts, the registry, the postcodes and the other layers.

    Parameters
    ----------
    data_dir : str or Path, optional
        A data folder holding the files of :data:`DATA_FILES` (``uk/...``); without it the
        bundled datasets of :data:`DATA_NAMES` are loaded (they ship in the package).
    bundled : bool
        With ``False`` and no ``data_dir``, offer the shipped districts, the registry and the
        postcodes only.
    on_step : callable, optional
        Called with the name of each layer before it is read (the app's loading status).

    Raises
    ------
    InputFileError
        When ``data_dir`` is given but is not a folder.
    """
    from ..districts.registry import district_boundaries, load_registry
    from ..io.nomis import read_nomis
    from ..io.onspd import read_onspd
    from ..io.read import read_points

    timings: dict[str, float] = {}
    missing: list[str] = []

    def timed(name: str, fn: Any, *args: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        if on_step is not None:
            on_step(name)
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
    from ..io.datasets import path

    return path(DATA_NAMES[key])


def _data_path(data: AppData, key: str) -> Path:
    """The file a layer of :class:`AppData` was read from (data folder or bundled)."""
    if data.data_dir is not None:
        return data.data_dir / DATA_FILES[key]
    return _bundled_path(key)


def _read_boundaries(path: Path) -> Boundaries:
    from ..io.read import read_boundaries

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


_CACHE_LOCK = threading.Lock()
_WARM_LOCK = threading.Lock()


def warm_app_data(data: AppData, *, started: float | None = None) -> AppData:
    """Compute the featured cards and draw a chart and a map once for loaded data.

    Thread-safe and done once per :class:`AppData`: a second caller waits for the first.
    ``started`` (a :func:`time.perf_counter` value) dates the ``warm_cards_chart_map`` timing;
    :func:`geodistrict.app.warm` loads the data, then calls this.
    """
    t0 = time.perf_counter() if started is None else started
    with _WARM_LOCK:
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
        _warm_journey(data)
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
    hit = (
        np.flatnonzero(source.ids.astype(str) == code)
        if source is not None
        else np.empty(0, dtype=np.intp)
    )
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
    return _grown_box(shapely.union_all(b.metric), b.metric_crs, reach, crs)


def _grown_box(geom: Any, geom_crs: Any, reach: float, crs: Any) -> tuple[float, ...]:
    """The box of ``geom`` (metres, in ``geom_crs``) grown by ``reach`` metres, in ``crs``."""
    from ..crs import transform_geoms

    x0, y0, x1, y1 = shapely.bounds(geom)
    box = shapely.segmentize(shapely.box(x0 - reach, y0 - reach, x1 + reach, y1 + reach),
                             max(reach, 1.0))  # fmt: skip
    return tuple(float(v) for v in shapely.bounds(transform_geoms(box, geom_crs, crs)))


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
        out[name] = lay.window(x0, y0, x1, y1)
    return out


def _layers_near(data: AppData, b: Boundaries, other: Boundaries | None = None) -> dict:
    """The UK layers for ``b`` (none outside Great Britain), clipped to its reach.

    The reach of a card is the box of ``b``'s region; a diff with ``other`` adds its bounds
    grown by the study area of the diff's hot cells (and one cell, which may stick out of it).
    """
    from ..districts.diff import HOT_CELL_M, HOT_MARGIN_M

    layers = _uk_layers(data, b)
    if not layers:
        return layers
    crs = data.postcodes.crs  # the box is drawn in the layers' CRS (BNG), whatever b's is
    hot_reach = HOT_MARGIN_M + HOT_CELL_M + 1.0
    reach = max(REGION_BUFFER_M + max(BUFFERS_M), hot_reach) + 1.0
    box = list(_reach_box(b, reach, crs))
    if other is not None:
        ox0, oy0, ox1, oy1 = _reach_box(other, hot_reach, crs)
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
    check_swapped(data, one)
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


def report_html(data: AppData, b: Boundaries, *, context_map: str | None = None) -> bytes:
    """The regional innovation audit report of an uploaded district, as one HTML file.

    The same report as ``geodistrict report`` (:mod:`geodistrict.reports`): card, hot spots of
    the postcodes, nearest benchmark districts, sources and parameters (and, given
    ``context_map``, that map of the proposal in context, from :func:`proposal_map_html`);
    with the data folder,
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
        reference_zones=data.lads,
    )
    maps = {str(one.ids[0]): context_map} if context_map else None
    with tempfile.TemporaryDirectory() as tmp:
        run = build_reports(ctx, tmp, pdf=False, command="geodistrict app (proposed district)",
                            debug=True, context_maps=maps)  # fmt: skip
        return next(iter(run.html.values())).read_bytes()


def context_map_for(data: AppData, b: Boundaries) -> tuple[str, str]:
    """The map of a drawn district in context, and the baseline it is drawn against.

    The app's own steps: the default baseline (:func:`default_baseline`), the card and diff
    (:func:`propose`) and the map (:func:`proposal_map_html`); ``geodistrict report`` of one
    drawn district shows this map as the app's report does.
    """
    one = one_district(b)
    key, why = default_baseline(data, one)
    return proposal_map_html(data, propose(data, one, baseline=key)), why


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
    from ..metrics.specialisation import specialisation_table

    if data.nomis is None:
        why = next((m for m in data.missing if m.startswith("nomis")), "not loaded")
        raise InputFileError(f"the UK Business Counts table is unavailable ({why}).")
    if "specialisation" not in data.cache:
        result = specialisation_table(data.nomis, geography="lep", rule=SPECIALISM_RULE)
        if result.counts is not None:
            result.lq.attrs.update(result.counts.attrs)
        data.cache["specialisation"] = result
        data.cache["lq"] = result.lq
    result = data.cache["specialisation"]
    rows = result.lq[result.lq["area"] == lep]
    if rows.empty:
        raise InputFileError(f"{lep}: no LEP of that name in the UK Business Counts table.")
    top = result.specialisms(lep)
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
    lq = data.cache.get("lq")
    year = lq.attrs.get("year") if lq is not None else "latest"
    rows = [
        ("buffers_m", ", ".join(f"{b:g}" for b in BUFFERS_M), "buffer counts around a card"),
        ("region_buffer_m", f"{REGION_BUFFER_M:g}", "default region: the district + this"),
        ("metric CRS", "EPSG:27700 in Great Britain, UTM elsewhere", "areas and distances"),
        ("UK layers", "postcodes, universities", "counted only for places in Great Britain"),
        ("point on a boundary", "outside", "cards count interior points"),
        ("specialism", SPECIALISM_RULE.describe(), "Specialisation view"),
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
        from ..maps import make_map
    except ImportError:
        return _folium_html(data, chosen, basemap, all_districts), "folium"
    m = make_map(boundaries=chosen, districts=data.districts if all_districts else None,
                 basemap=basemap, simplify_m=5.0)  # fmt: skip
    return _map_document(m, self_contained), "geodistrict.maps.make_map"


def _map_document(m: Any, self_contained: bool) -> str:
    """A map of :func:`geodistrict.maps.make_map` as one HTML document (:func:`save_map`).

    Self-contained (Leaflet inlined, so that it draws with no network) when ``self_contained``.
    """
    from ..maps import save_map

    with tempfile.TemporaryDirectory(prefix="geodistrict-map-") as tmp:
        path = save_map(m, Path(tmp) / "map.html", self_contained=self_contained, budget_mb=None)
        return path.read_text(encoding="utf-8")


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


# --------------------------------------------------------------------------------------------
# the planner's journey: reference, default baseline, sector picture, map and brief of a
# proposed district (issue 16)

#: Shipped districts within this distance of a proposal are drawn on its map.
NEARBY_M = 25_000.0
#: Styles of the proposal map (proposal, baseline, the LAD and LEP it lies in).
PROPOSAL_STYLES: dict[str, dict[str, Any]] = {
    "proposal": {"colour": "#e31a1c", "weight": 3.5, "dash": None, "fill_opacity": 0.15},
    "baseline": {"colour": "#1f78b4", "weight": 3.0, "dash": "8 5", "fill_opacity": 0.04},
    "lad": {"colour": "#4d4d4d", "weight": 1.5, "dash": None, "fill_opacity": 0.0},
    "lep": {"colour": "#999999", "weight": 1.5, "dash": "2 5", "fill_opacity": 0.0},
}


def _in_metric(b: Boundaries, crs: Any) -> np.ndarray:
    from ..crs import transform_geoms

    return transform_geoms(b.metric, b.metric_crs, crs)


def _overlaps(source: Boundaries, b: Boundaries) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``source`` polygons overlapping ``b`` and the overlap areas (m², BNG/UTM)."""
    geom = _in_metric(b, source.metric_crs)
    poly = shapely.union_all(geom)
    hit = shapely.STRtree(source.metric).query(poly, predicate="intersects")
    area = shapely.area(shapely.intersection(source.metric[hit], poly)) if len(hit) else []
    return np.asarray(hit, dtype=int), np.asarray(area, dtype=float)


def default_baseline(data: AppData, b: Boundaries) -> tuple[str, str]:
    """The baseline a proposal is compared with by default, and why it was chosen.

    The LAD that overlaps the proposal most (with the data folder), else the shipped district
    that overlaps it most, else the nearest shipped district.
    """
    one = one_district(b)
    if data.lads is not None:
        hit, area = _overlaps(data.lads, one)
        if len(hit) and area.max() > 0:
            j = int(hit[int(np.argmax(area))])
            key = f"lad:{data.lads.ids[j]}"
            share = area.max() / float(shapely.area(_in_metric(one, data.lads.metric_crs)).sum())
            return key, (f"{place_label(data, key)}: the local authority overlapping the "
                         f"proposal most ({share:.0%} of its area)")  # fmt: skip
    d = data.districts
    hit, area = _overlaps(d, one)
    if len(hit) and area.max() > 0:
        j = int(hit[int(np.argmax(area))])
        key = f"district:{d.ids[j]}"
        return key, f"{d.names[j]}: the shipped district overlapping the proposal most"
    from ..crs import transform_geoms

    c = shapely.centroid(shapely.union_all(one.metric))
    pts = transform_geoms(np.array([c], dtype=object), one.metric_crs, WGS84)[0]
    cent = transform_geoms(shapely.centroid(d.metric), d.metric_crs, WGS84)
    # great-circle distance from the proposal's centroid to each district's
    lon1, lat1 = np.radians(pts.x), np.radians(pts.y)
    lon2 = np.radians(shapely.get_x(cent))
    lat2 = np.radians(shapely.get_y(cent))
    h = np.sin((lat2 - lat1) / 2) ** 2
    h = h + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    km = 2 * 6371.0088 * np.arcsin(np.sqrt(h))
    j = int(np.argmin(km))
    key = f"district:{d.ids[j]}"
    return key, f"{d.names[j]}: the nearest shipped district ({km[j]:,.0f} km away)"


def proposal_reference(data: AppData, b: Boundaries) -> Any:
    """The national reference of a proposal (:mod:`geodistrict.metrics.reference`), or ``None``.

    ``None`` outside the UK: its ratios are "not covered". Each country's totals are computed
    once per process.
    """
    from ..metrics.reference import country_of_place, national_reference

    one = one_district(b)
    geom = shapely.union_all(one.metric)
    code = country_of_place(geom, one.metric_crs, postcodes=data.postcodes, lads=data.lads)
    if code is None:
        return None
    refs = data.cache.setdefault("national_refs", {})
    if code not in refs:
        refs[code] = national_reference(code, postcodes=data.postcodes, lads=data.lads,
                                        universities=data.universities)  # fmt: skip
    return refs[code]


def reference_table(data: AppData, p: Proposed) -> pd.DataFrame:
    """The proposal's densities against its national reference, one row per UK layer.

    Columns ``measure``, ``value``, ``per_km2``, ``reference``, ``reference_per_km2``,
    ``ratio``, ``basis``; outside the UK one row saying the layers do not cover it.
    """
    ref = proposal_reference(data, p.boundaries)
    cols = ["measure", "value", "per_km2", "reference", "reference_per_km2", "ratio", "basis"]
    if ref is None:
        return pd.DataFrame([{"measure": "all UK layers", "reference": "not covered",
                              "basis": "the proposal lies outside the UK countries these "
                              "layers cover: no national reference, no ratio"}],
                            columns=cols)  # fmt: skip
    area_km2 = p.card.area_ha / 100.0
    rows = [{"measure": "area_km2", "value": area_km2, "per_km2": None, "reference": ref.name,
             "reference_per_km2": None,
             "ratio": area_km2 / ref.area_km2 if ref.area_km2 else None,
             "basis": ref.basis.get("area", "")}]  # fmt: skip
    for layer in ("postcodes", "universities"):
        try:
            v = p.card.indicator(f"{layer}_count").value
        except GeodistrictError:
            continue
        per = v / area_km2 if v is not None and area_km2 else None
        rp = ref.per_km2(layer)
        rows.append({"measure": f"{layer}_count", "value": v, "per_km2": per,
                     "reference": ref.name, "reference_per_km2": rp,
                     "ratio": per / rp if per is not None and rp else None,
                     "basis": ref.basis.get(layer, "not computed")})  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def sector_picture(data: AppData, b: Boundaries) -> Any:
    """Apportioned enterprises and LQs against England of a proposal (cached per polygon).

    :func:`geodistrict.metrics.apportion.apportioned_sectors` with the LAD UK Business
    Counts and the postcodes as weights.

    Raises
    ------
    InputFileError
        Without the Nomis table or the LAD polygons, or outside the LADs they cover.
    """
    if data.nomis is None or data.lads is None:
        why = "; ".join(m for m in data.missing if m.startswith(("nomis", "lads")))
        raise InputFileError(f"no sector picture: the UK Business Counts by LAD are not "
                             f"loaded ({why or 'start with --data DIR'}).")  # fmt: skip
    one = one_district(b)
    key = ("sectors", shapely.to_wkb(shapely.union_all(one.metric)), str(one.metric_crs))
    if key not in data.cache:
        hit, area = _overlaps(data.lads, one)
        if not len(hit) or area.max() <= 0:
            raise InputFileError(
                "no sector picture: the proposal lies outside the LADs of the UK Business "
                "Counts table (England)."
            )
        data.cache[key] = _apportion(data, one)
    return data.cache[key]


def _apportion(data: AppData, targets: Boundaries) -> Any:
    """:func:`~geodistrict.metrics.apportion.apportioned_sectors` with the app's layers."""
    from ..metrics.apportion import apportioned_sectors

    if "lad_sector_counts" not in data.cache:
        from ..metrics.nomis_sectors import nomis_sector_counts

        data.cache["lad_sector_counts"] = nomis_sector_counts(data.nomis, geography_type="ladu")
    if data.lads is None:  # callers check first; this keeps the contract explicit
        raise InputFileError("no sector picture: the app has no LAD polygons loaded.")
    return apportioned_sectors(targets, data.lads, data.nomis, data.postcodes,
                               sector_counts=data.cache["lad_sector_counts"])  # fmt: skip


def sector_table(picture: Any, pid: str) -> tuple[pd.DataFrame, str]:
    """The LQ rows of a proposal (strongest first) and the method and uncertainty in words."""
    rows, tot = picture.for_place(pid)
    cols = ["sector", "sector_label", "count", "area_total", "reference_count", "lq"]
    text = (
        f"Estimated enterprises: {tot.get('enterprises', 0):,.0f}. Method: {picture.method}. "
        f"Uncertainty: {tot.get('partial_share', 0):.0%} of the estimate comes from "
        f"{tot.get('n_partial_lads', 0)} LAD(s) the proposal only partly covers (their "
        "enterprises are assumed to follow their postcodes); the rest from whole LADs."
    )
    return rows[cols].reset_index(drop=True), text


def context_places(data: AppData, b: Boundaries) -> dict[str, str]:
    """The LAD and LEP a proposal lies in most (keys ``lad`` and ``lep`` → place keys)."""
    one = one_district(b)
    out: dict[str, str] = {}
    for kind, source in (("lad", data.lads), ("lep", data.leps)):
        if source is None:
            continue
        hit, area = _overlaps(source, one)
        if len(hit) and area.max() > 0:
            out[kind] = f"{kind}:{source.ids[int(hit[int(np.argmax(area))])]}"
    return out


def proposal_map_html(
    data: AppData,
    p: Proposed,
    *,
    basemap: str = "osm",
    self_contained: bool = True,
) -> str:
    """A map of a proposal in context, zoomed to it, as one HTML document.

    The proposal (red), its baseline (blue, dashed), the LAD (grey) and LEP (grey, dotted)
    it lies in, the shipped districts within :data:`NEARBY_M` (black, dashed), the postcodes
    around it counted on squares (a density), the diff's Gi* hot and cold cells of the
    postcodes (:func:`geodistrict.districts.diff_districts`), and the universities as points;
    legend and sources footer by :func:`geodistrict.maps.make_map`.
    """
    from ..maps import Styled, make_map

    one = p.boundaries
    styled = []
    ctx = context_places(data, one)
    for kind in ("lep", "lad"):
        key = ctx.get(kind)
        if key and key != p.baseline:
            styled.append(Styled(f"{'LEP 2021' if kind == 'lep' else 'LAD 2024'} it lies in",
                                 place_boundaries(data, key), **PROPOSAL_STYLES[kind]))  # fmt: skip
    base = place_boundaries(data, p.baseline)
    if base is not None:
        styled.append(Styled(f"Baseline: {place_label(data, p.baseline)}", base,
                             **PROPOSAL_STYLES["baseline"]))  # fmt: skip
    styled.append(Styled("Proposed district", one, **PROPOSAL_STYLES["proposal"]))
    d = data.districts
    geom = shapely.union_all(_in_metric(one, d.metric_crs))
    near = [i for i in shapely.STRtree(d.metric).query(geom, predicate="dwithin",
                                                           distance=NEARBY_M)
            if f"district:{d.ids[i]}" != p.baseline]  # fmt: skip
    districts = None
    if near:
        import geopandas as gpd

        districts = gpd.GeoDataFrame(d.data.iloc[sorted(near)][["id", "name", "geometry"]])
    points: dict[str, PointLayer] = {}
    layers = _uk_context_layers(data, one)
    if "postcodes" in layers and len(layers["postcodes"]):
        points["postcodes"] = layers["postcodes"]
    if "universities" in layers and len(layers["universities"]):
        points["universities"] = layers["universities"]
    m = make_map(styled=styled, districts=districts, points=points, basemap=basemap,
                 focus=one, simplify_m=5.0, max_markers=300, cluster_max=300,
                 hotspots=p.diff.hot_grid, hotspot_classes=["hot"],
                 title=f"Proposed district: {p.card.name}")  # fmt: skip
    return _map_document(m, self_contained)


def _warm_journey(data: AppData) -> None:
    """Compute once what every proposal in England needs.

    England's totals, the LAD sectors, the benchmark districts' measures (the ranking) and the
    imports of the diff's Gi* hot cells.
    """
    from ..metrics.reference import national_reference

    refs = data.cache.setdefault("national_refs", {})
    refs["E"] = national_reference("E", postcodes=data.postcodes, lads=data.lads,
                                   universities=data.universities)  # fmt: skip
    if data.nomis is not None and data.lads is not None:
        from ..metrics.nomis_sectors import nomis_sector_counts

        data.cache["lad_sector_counts"] = nomis_sector_counts(data.nomis, geography_type="ladu")
    draw_start_map_html(data)
    if "benchmarks" not in data.cache:
        from ..reports import measure_benchmarks

        bm = measure_benchmarks(data.postcodes, data.universities)
        data.cache["benchmarks"] = bm[bm["area_ha"].notna()]
    # the ranking's measures of the benchmarks; the first Gi* also imports libpysal and
    # scipy.stats (3-4 s), which every proposal's diff needs
    bm = data.cache["benchmarks"]
    covered = bm.loc[bm["postcodes"].notna(), "slug"]
    _benchmark_hot_cells(data, covered)
    _benchmark_enterprises(data, covered)


def _uk_context_layers(data: AppData, b: Boundaries) -> dict[str, PointLayer]:
    """Postcodes and universities in the box of the proposal grown by 2 km (UK only)."""
    from ..crs import BNG

    geom = shapely.union_all(_in_metric(b, BNG))
    x0, y0, x1, y1 = shapely.bounds(geom)
    if not (-100_000 < x0 < 800_000 and -100_000 < y0 < 1_300_000):
        return {}
    pad = 2_000.0
    layers = {k: (v if v.crs.equals(BNG) else v.to_crs(BNG)) for k, v in data.layers.items()}
    return _clip(layers, (x0 - pad, y0 - pad, x1 + pad, y1 + pad), BNG)


_BRIEF_CSS = """
@page {size: A4 portrait; margin: 10mm}
body {font: 8.5px/1.25 system-ui, sans-serif; color: #222; margin: 0}
h1 {font-size: 15px; margin: 0 0 2px} h2 {font-size: 11px; margin: 6px 0 2px}
table {border-collapse: collapse; width: 100%} td, th {border-bottom: 1px solid #ddd;
  padding: 1px 4px; text-align: left; vertical-align: top} th {background: #f2f4f7}
.cols {display: flex; gap: 8px} .cols > div {flex: 1; min-width: 0}
iframe {width: 718px; height: 300px; border: 1px solid #ccc}
.small {font-size: 8px; color: #555}
"""


_BRIEF_MAP_CSS = """<style>
.leaflet-control-layers, .gd-footer {display: none !important}
.gd-legend {transform: scale(0.7); transform-origin: bottom right}
.gd-title {font-size: 11px !important}
</style>"""


def brief_html(data: AppData, p: Proposed, *, map_html: str | None = None) -> str:
    """A one-page brief of a proposal: map, card, reference, sector picture, diff, sources."""
    from html import escape

    def tab(df: pd.DataFrame, n: int = 12) -> str:
        return df.head(n).to_html(index=False, escape=True, na_rep="",
                                  float_format=lambda v: f"{v:,.3g}" if abs(v) < 100
                                  else f"{v:,.0f}", border=0)  # fmt: skip

    doc = map_html if map_html is not None else proposal_map_html(data, p, basemap="none")
    # on paper: no layer switcher, the sources listed below instead of the map's footer
    i = doc.find("</head>")
    doc = doc[:i] + _BRIEF_MAP_CSS + doc[i:] if i >= 0 else doc
    card = p.card.to_frame()[["indicator", "value", "unit"]]
    card = card[~card["indicator"].str.contains(r"_region|_\d+m$", regex=True)]
    try:
        rows, text = sector_table(sector_picture(data, p.boundaries), str(p.boundaries.ids[0]))
        sectors = tab(rows[["sector", "count", "lq"]], 14) + f"<p class='small'>{escape(text)}</p>"
    except GeodistrictError as exc:
        sectors = f"<p>{escape(str(exc))}</p>"
    diff = diff_table(data, p)
    diff = diff[~diff["measure"].str.contains("__")]
    diff = diff[[c for c in ("measure", "baseline", "proposed", "added", "removed")
                 if c in diff.columns]]  # fmt: skip
    rank = benchmark_rank(data, p)[["name", "area_ha", "postcodes_per_km2", "universities",
                                     "rank_postcodes_per_km2"]]  # fmt: skip
    srcs = sources_table(data)
    srcs = srcs[~srcs["layer"].str.startswith(("district:", "registry:"))][["layer", "attribution"]]
    base = place_label(data, p.baseline)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Brief: "
        f"{escape(p.card.name)}</title><style>{_BRIEF_CSS}</style></head><body>"
        f"<h1>Proposed district: {escape(p.card.name)}</h1>"
        f"<p class='small'>{p.card.area_ha:,.1f} ha, measured in "
        f"{escape(str(p.card.crs_measured))}; baseline {escape(base)}.</p>"
        f'<iframe srcdoc="{escape(doc)}"></iframe>'
        f"<div class='cols'><div><h2>Card</h2>{tab(card, 14)}"
        f"<h2>Against the national reference</h2>"
        f"{tab(reference_table(data, p).drop(columns='basis'))}</div>"
        f"<div><h2>Sector picture</h2>{sectors}</div></div>"
        f"<div class='cols'><div><h2>Diff against {escape(base)}</h2>"
        f"{tab(diff, 10)}<h2>Ranked among the benchmark districts</h2>{tab(rank, 5)}</div>"
        f"<div><h2>Sources</h2>{tab(srcs, 10)}</div></div>"
        f"<p class='small'>geodistrict brief; every figure computed by the geodistrict library."
        f"</p></body></html>"
    )


def brief_pdf(data: AppData, p: Proposed, *, map_html: str | None = None) -> bytes:
    """The brief (:func:`brief_html`) printed to PDF by headless Chromium (network blocked).

    Raises
    ------
    GeodistrictError
        When Chromium is missing or the print fails (the message says why).
    """
    from ..reports import print_pdfs

    with tempfile.TemporaryDirectory(prefix="geodistrict-brief-") as tmp:
        html = Path(tmp) / "brief.html"
        pdf = Path(tmp) / "brief.pdf"
        html.write_text(brief_html(data, p, map_html=map_html), encoding="utf-8")
        (res,) = print_pdfs([(html, pdf)], timeout_s=60.0)
        if res.error:
            raise InputFileError(f"the brief could not be printed: {res.error}")
        return pdf.read_bytes()


def draw_start_map_html(data: AppData) -> str:
    """The map a planner draws on before any proposal: the shipped districts in the UK."""
    if "draw_start_map" not in data.cache:
        from ..maps import make_map

        d = data.districts
        uk = [i for i, g in enumerate(shapely.centroid(_in_metric(d, "EPSG:4326")))
              if -9 < g.x < 2 and 49 < g.y < 61]  # fmt: skip
        import geopandas as gpd

        shown = gpd.GeoDataFrame(d.data.iloc[uk][["id", "name", "geometry"]])
        m = make_map(districts=shown, basemap="osm", simplify_m=5.0,
                     title="Draw a proposed district")  # fmt: skip
        data.cache["draw_start_map"] = _map_document(m, self_contained=True)
    return data.cache["draw_start_map"]


def diff_table(data: AppData, p: Proposed) -> pd.DataFrame:
    """The diff of a proposal (:meth:`DistrictDiff.to_frame`) with estimated enterprises.

    The ``enterprises_estimated`` row carries the apportioned UK Business Counts
    (:func:`sector_picture`) of the proposal, the baseline, the area added (proposal minus
    baseline) and the area removed (baseline minus proposal), each estimated the same way;
    it is left out when the sector picture is unavailable (outside England, no data folder).
    """
    frame = p.diff.to_frame()
    base = place_boundaries(data, p.baseline)
    if base is None or data.nomis is None or data.lads is None:
        return frame
    from ..boundaries import prepare_boundaries
    from ..crs import transform_geoms

    one = p.boundaries
    prop = shapely.union_all(one.metric)
    bas = shapely.union_all(transform_geoms(base.metric, base.metric_crs, one.metric_crs))
    parts = {"proposed": prop, "baseline": bas, "added": shapely.difference(prop, bas),
             "removed": shapely.difference(bas, prop)}  # fmt: skip
    keep = {k: g for k, g in parts.items() if not g.is_empty and shapely.area(g) > 1.0}
    import geopandas as gpd

    gdf = gpd.GeoDataFrame({"id": list(keep), "name": list(keep)}, geometry=list(keep.values()),
                           crs=one.metric_crs)  # fmt: skip
    try:
        pic = _apportion(data, prepare_boundaries(gdf, id="id", name="name"))
    except GeodistrictError:
        return frame
    est = pic.totals.set_index("id")["enterprises"]
    row: dict[str, Any] = {"measure": "enterprises_estimated", "unit": "enterprises (apportioned)"}
    for k in ("baseline", "proposed", "added", "removed"):
        row[k] = float(est.get(k, 0.0))
    row["change"] = row["proposed"] - row["baseline"]
    row["change_pct"] = 100 * row["change"] / row["baseline"] if row["baseline"] else np.nan
    return pd.concat([frame, pd.DataFrame([row])], ignore_index=True)


def _hot_area_pct(data: AppData, geom: Any, crs: Any) -> tuple[float, float]:
    """Gi* hot cells of the postcodes in one polygon against its region, and their share.

    Each district is tested in the same way, whatever its size: the study area is its box grown
    by :data:`REGION_BUFFER_M` (its region, as on the card). The share is the hot cells' area
    over the polygon's, in per cent. NaN when no postcode lies near the polygon.
    """
    from ..districts import hot_cells_in
    from ..districts.diff import HOT_CELL_M

    if data.postcodes is None:
        return np.nan, np.nan
    lay_crs = data.postcodes.crs
    box = _grown_box(geom, crs, REGION_BUFFER_M + HOT_CELL_M + 1.0, lay_crs)
    near = _clip({"p": data.postcodes}, box, lay_crs)["p"]
    if len(near.x) == 0:
        return np.nan, np.nan
    try:
        inside, _, _ = hot_cells_in(near, [geom], crs, margin_m=REGION_BUFFER_M)
    except GeodistrictError:  # too few points or no variation around it: nothing to rank
        return np.nan, np.nan
    n = float(inside.sum())
    area = float(shapely.area(geom))
    return n, 100 * n * HOT_CELL_M**2 / area if area else np.nan


def _benchmark_hot_cells(data: AppData, slugs: Any) -> dict[str, tuple[float, float]]:
    """:func:`_hot_area_pct` of each UK benchmark district (cached per process)."""
    from ..districts.registry import district_boundaries

    if "benchmark_hot_cells" not in data.cache:
        b = district_boundaries()
        out = {}
        for i, slug in enumerate(b.ids):
            if slug in set(slugs):  # measured in its own metric CRS (BNG), as a proposal is
                one = prepare_boundaries(b.data.iloc[[i]], id="id", name="name")
                out[str(slug)] = _hot_area_pct(data, shapely.union_all(one.metric), one.metric_crs)
        data.cache["benchmark_hot_cells"] = out
    return data.cache["benchmark_hot_cells"]


def _benchmark_enterprises(data: AppData, slugs: Any) -> dict[str, float]:
    """Apportioned enterprises (:func:`sector_picture`'s method) of the UK benchmarks, cached."""
    from ..districts.registry import district_boundaries

    if "benchmark_enterprises" not in data.cache:
        out: dict[str, float] = {}
        b = district_boundaries()
        rows = b.data[b.data["id"].isin(set(slugs))]
        if data.nomis is not None and data.lads is not None and len(rows):
            try:
                pic = _apportion(data, prepare_boundaries(rows, id="id", name="name"))
                est = pic.totals.set_index("id")["enterprises"]
                out = {str(k): float(v) for k, v in est.items()}
            except GeodistrictError:  # outside the LADs of the table: no estimate to rank
                out = {}
        data.cache["benchmark_enterprises"] = out
    return data.cache["benchmark_enterprises"]


def _proposal_enterprises(data: AppData, p: Proposed) -> float:
    try:
        _, tot = sector_picture(data, p.boundaries).for_place(str(p.boundaries.ids[0]))
    except GeodistrictError:
        return np.nan
    return float(tot.get("enterprises", np.nan))


def benchmark_rank(data: AppData, p: Proposed) -> pd.DataFrame:
    """The proposal ranked among the shipped benchmark districts on the same measures.

    Columns ``name``, ``area_ha``, ``postcodes``, ``postcodes_per_km2``, ``universities``,
    ``hot_cells`` (significant Gi* hot cells of the postcodes, 250 m squares, each district
    tested against its region, its box grown by :data:`REGION_BUFFER_M`:
    :func:`geodistrict.districts.hot_cells_in`),
    ``hot_area_pct`` (their area over the district's), ``enterprises_estimated`` (the LAD
    UK Business Counts apportioned by postcodes, as the sector picture: :func:`sector_picture`)
    and ``enterprises_per_km2``; ``rank_postcodes_per_km2``, ``rank_hot_area_pct`` and
    ``rank_enterprises_per_km2`` (1 = densest, hottest); the proposal's row is named
    ``proposed: …``. Districts outside the layers' coverage have NaN and no rank.
    """
    from ..reports import measure_benchmarks

    if "benchmarks" not in data.cache:
        bm = measure_benchmarks(data.postcodes, data.universities)
        data.cache["benchmarks"] = bm[bm["area_ha"].notna()]
    full = data.cache["benchmarks"]
    bm = full[["name", "area_ha", "postcodes", "postcodes_per_km2", "universities"]].copy()
    covered = full.loc[full["postcodes"].notna(), "slug"]
    hot = _benchmark_hot_cells(data, covered)
    bm["hot_cells"] = [hot.get(s, (np.nan, np.nan))[0] for s in full["slug"]]
    bm["hot_area_pct"] = [hot.get(s, (np.nan, np.nan))[1] for s in full["slug"]]
    est = _benchmark_enterprises(data, covered)
    bm["enterprises_estimated"] = [est.get(s, np.nan) for s in full["slug"]]

    def value(name: str) -> float:
        try:
            v = p.card.indicator(name).value
        except GeodistrictError:
            return np.nan
        return np.nan if v is None else float(v)

    area_ha = float(p.card.area_ha)
    pcs = value("postcodes_count")
    one = p.boundaries
    n_hot, hot_pct = (
        _hot_area_pct(data, shapely.union_all(one.metric), one.metric_crs)
        if not np.isnan(pcs)
        else (np.nan, np.nan)
    )
    row = {"name": f"proposed: {p.card.name}", "area_ha": area_ha, "postcodes": pcs,
           "postcodes_per_km2": pcs / (area_ha / 100) if area_ha else np.nan,
           "universities": value("universities_count"), "hot_cells": n_hot,
           "hot_area_pct": hot_pct,
           "enterprises_estimated": _proposal_enterprises(data, p)}  # fmt: skip
    out = pd.concat([pd.DataFrame([row]), bm], ignore_index=True)
    out["enterprises_per_km2"] = out["enterprises_estimated"] / (out["area_ha"] / 100)
    for col in ("postcodes_per_km2", "hot_area_pct", "enterprises_per_km2"):
        out[f"rank_{col}"] = out[col].rank(ascending=False, method="min")
    return out.sort_values("rank_postcodes_per_km2", na_position="last").reset_index(drop=True)


def _lonlat_vertices(b: Boundaries) -> np.ndarray:
    from ..crs import transform_geoms

    g = transform_geoms(b.metric, b.metric_crs, WGS84)
    return shapely.get_coordinates(g)


def check_swapped(data: AppData, b: Boundaries) -> None:
    """Refuse a proposal whose longitude and latitude look swapped, naming the fix.

    Swapped degrees are valid degrees (Manchester becomes a square in the Indian Ocean), so
    only the places the app knows reveal it: a proposal that lies in none of them — the UK
    and the shipped districts, each grown by 0.1° — but would lie in one with x and y
    swapped is refused, as the CLI's joins do (:func:`geodistrict.crs.check_swapped_against`).
    """
    from ..crs import WGS84, check_swapped_against
    from ..errors import CRSError

    xy = _lonlat_vertices(b)
    boxes = [UK_LONLAT]
    d = data.districts
    for g in _in_metric(d, WGS84):
        x0, y0, x1, y1 = shapely.bounds(g)
        boxes.append((x0 - 0.1, y0 - 0.1, x1 + 0.1, y1 + 0.1))
    for box in boxes:
        try:
            check_swapped_against(xy[:, 0], xy[:, 1], WGS84, box, what="")
        except CRSError:
            raise InputFileError(
                f"the proposed district {b.names[0]!s}: it lies where the app knows nothing, "
                f"but with longitude and latitude swapped it would lie in the UK or by a shipped "
                "district: its coordinates look like (latitude, longitude); write the file again "
                "with longitude first (GeoJSON is [longitude, latitude]; in Python "
                "shapely.transform(geom, lambda c: c[:, ::-1]) swaps them)."
            ) from None


def parts_table(data: AppData, b: Boundaries) -> pd.DataFrame:
    """Each part of a multi-part proposal: area, country and the UK counts inside it.

    A district with parts in two countries is counted part by part: the UK layers count the
    parts in the UK, the parts abroad are "not covered" (never 0).
    """
    from ..crs import BNG
    from ..metrics.reference import COUNTRIES, country_of_place

    one = one_district(b)
    geom = shapely.union_all(one.metric)
    parts = shapely.get_parts(geom)
    rows = []
    for k, part in enumerate(parts, start=1):
        code = country_of_place(part, one.metric_crs, postcodes=data.postcodes, lads=data.lads)
        row: dict[str, Any] = {"part": k, "area_ha": float(shapely.area(part)) / 1e4,
                               "country": COUNTRIES.get(code or "", "outside the UK")}  # fmt: skip
        pb = from_geom(part, one.metric_crs)
        for name, lay in _uk_context_layers(data, pb).items() if code else []:
            g = _in_metric(pb, BNG)[0]
            row[f"{name}_count"] = int(shapely.contains_xy(g, lay.x, lay.y).sum())
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in ("postcodes_count", "universities_count"):
        if c not in out.columns:
            out[c] = None
    return out.astype(object).where(out.notna(), "not covered")


def from_geom(geom: Any, crs: Any) -> Boundaries:
    """One polygon in a metric CRS as a one-row :class:`Boundaries`."""
    import geopandas as gpd

    gdf = gpd.GeoDataFrame({"id": ["part"], "name": ["part"]}, geometry=[geom], crs=crs)
    return prepare_boundaries(gdf, id="id", name="name")
