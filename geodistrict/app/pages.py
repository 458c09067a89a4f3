r"""The geodistrict Panel app: compare districts, explore them on a map, test a proposed one.

This module is part of the installed package. Run it with the command line, which loads the
postcodes and the data before serving::

    geodistrict app                                   # http://127.0.0.1:5006/

or with Panel, through the thin entry ``apps/geodistrict_app.py`` of the source checkout
(``--warm`` loads the data at start; the larger websocket message size lets an oversized upload
reach the server and be refused with a message instead of closing the connection)::

    panel serve apps/geodistrict_app.py --warm --websocket-max-message-size 104857600

Views: *Compare* (shipped districts and UK places side by side, per km², with a chart and
ratios to a baseline), *Map*, *Proposed district* (upload a polygon: its card and its diff
against a baseline), *Specialisation* (location quotients of a LEP by SIC section) and
*About / data*. Every figure comes from :mod:`geodistrict`; this file only lays them out.
Text that came from an uploaded file is escaped before any pane shows it.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import panel as pn
import param
from bokeh.models.widgets.tables import NumberFormatter
from panel.custom import JSComponent

from .. import app as ga
from .._paths import public_text
from .._version import __version__
from ..errors import GeodistrictError
from ..io.write import csv_safe
from ._work import off_loop, off_process

if TYPE_CHECKING:
    import pandas as pd

TITLE = "geodistrict — innovation districts"
log = logging.getLogger("geodistrict.app")

pn.extension(
    "tabulator",
    notifications=True,
    disconnect_notification="The connection to the geodistrict server was lost: reload the page.",
)

_NUM = NumberFormatter(format="0,0.[000]")


def _data_dir_from_argv() -> str | None:
    """``panel serve apps/geodistrict_app.py --args --data DIR``."""
    argv = sys.argv[1:]
    if "--data" in argv and argv.index("--data") + 1 < len(argv):
        return argv[argv.index("--data") + 1]
    return None


def _alert(text: str, kind: str = "danger") -> pn.pane.Alert:
    return pn.pane.Alert(ga.esc_md(public_text(text)), alert_type=kind, margin=(5, 10))


def _notes_alert(title: str, notes: list[str], kind: str) -> pn.pane.Alert:
    """One alert listing ``notes``, one bullet each (each escaped as :func:`_alert` does)."""
    items = "\n".join(f"- {ga.esc_md(public_text(n))}" for n in notes)
    return pn.pane.Alert(f"**{title}**\n\n{items}", alert_type=kind, margin=(5, 10))


def _fill(table: Any, frame: Any, formatters: dict[str, Any]) -> None:
    """Show ``frame`` in ``table`` with its column formatters, in one update of the page.

    Setting the value and then the formatters sends two changes, and the browser may redraw
    the columns while it is still drawing the rows (a table left with its header only).
    """
    table.param.update(value=frame, formatters=formatters)


def _table(df: Any, **kw: Any) -> pn.widgets.Tabulator:
    fmt = {c: _NUM for c in df.columns if str(df[c].dtype).startswith(("float", "int", "Int"))}
    opts: dict[str, Any] = dict(show_index=False, disabled=True, formatters=fmt,
                                layout="fit_data_table", max_height=420)  # fmt: skip
    opts.update(kw)
    return pn.widgets.Tabulator(df, **opts)


_TABLE_CSS = """
table.gd {border-collapse: collapse; font-size: 12px; width: 100%}
table.gd th, table.gd td {border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left;
  vertical-align: top; overflow-wrap: anywhere}
table.gd th {background: #f2f4f7}
"""


def _html_table(df: Any) -> pn.pane.HTML:
    """A static table whose long texts wrap (cells escaped by pandas)."""
    body = df.to_html(index=False, escape=True, na_rep="", classes="gd", border=0)
    return pn.pane.HTML(body, stylesheets=[_TABLE_CSS], sizing_mode="stretch_width")


def _csv(df: Any) -> io.StringIO:
    buf = io.StringIO()
    csv_safe(df).to_csv(buf, index=False)
    buf.seek(0)
    return buf


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None or v != v:
        return "n/a"
    return f"{v:,.{digits}f}" if isinstance(v, float) and not float(v).is_integer() else f"{v:,.0f}"


class UploadGuard(JSComponent):
    """Refuses an over-large file in the browser, before a byte of it is sent.

    Bokeh's file input reads the chosen file and sends all of it (base64) over the websocket;
    a 90 MB file closes the connection ("connection lost") before the server can say why. This
    invisible component listens, in the capture phase, for the ``change`` of the file input
    inside the element with the class ``gd-upload`` (``target_class``), ahead of Bokeh's own
    listener: a file over ``max_bytes`` is stopped there, the input cleared, and ``refused``
    set to ``"name|bytes|time"`` so that the session says so in one line.
    """

    max_bytes = param.Integer(default=0, doc="set from geodistrict.app.MAX_UPLOAD_BYTES")
    target_class = param.String(default="gd-upload")
    refused = param.String(default="")

    _esm = """
    export function render({ model }) {
      const find = (root) => {
        for (const node of root.querySelectorAll("*")) {
          if (!node.shadowRoot) continue
          if (node.classList.contains(model.target_class)) return node.shadowRoot
          const hit = find(node.shadowRoot)
          if (hit) return hit
        }
        return null
      }
      const guard = (ev) => {
        const input = ev.target
        if (!input || input.type !== "file" || !input.files) return
        for (const f of input.files) {
          if (f.size > model.max_bytes) {
            ev.stopImmediatePropagation()
            input.value = ""
            model.refused = `${f.name}|${f.size}|${Date.now()}`
            return
          }
        }
      }
      const attach = () => {
        const root = find(document)
        if (root && !root.__gdGuard) {
          root.__gdGuard = true
          root.addEventListener("change", guard, true)
        }
        return root !== null
      }
      if (!attach()) {
        const timer = setInterval(() => { if (attach()) clearInterval(timer) }, 250)
        model.on("remove", () => clearInterval(timer))
      }
      return document.createElement("span")
    }
    """


class GeodistrictApp:
    """One browser session: the widgets, the panes and what the user has uploaded."""

    def __init__(self, data: ga.AppData) -> None:
        self.data = data
        self.options = ga.place_options(data)
        self.labels = {v: k for k, v in self.options.items()}
        self.proposed: ga.Proposed | None = None
        self.table: pd.DataFrame | None = None
        self._map_stale = True
        self._busy = False
        # a newer request wins ("read": an upload or a drawing being read)
        self._gen = {"compare": 0, "map": 0, "proposed": 0, "read": 0}
        self._map_doc_cache: tuple[Any, tuple[str, str]] | None = None
        self._report: bytes | None = None
        self._brief: bytes | None = None  # the proposal's brief, printed on request
        self._computing: tuple[Any, ...] | None = None  # the comparison being computed
        self.tabs: pn.Tabs | None = None
        self._lazy: dict[int, Any] = {}  # tab → its builder, run when it is first opened
        self.tabs = pn.Tabs(
            ("Compare", self._compare_view()),
            ("Map", self._later(1, self._map_view)),
            ("Proposed district", self._later(2, self._proposed_view)),
            ("Specialisation", self._later(3, self._specialisation_view)),
            ("About / data", self._later(4, self._about_view)),
            dynamic=True,
            sizing_mode="stretch_width",
        )
        self.tabs.param.watch(self._on_tab, "active")
        pending = self._update_compare()
        if pending is not None:  # not computed yet (a cold start): in the pool, after the page

            async def first() -> None:
                await self._compare_off_loop(pending)

            pn.state.execute(first)

    def _later(self, index: int, builder: Any) -> pn.Column:
        """A tab whose widgets are made when it is first opened: a new session costs less."""
        self._lazy[index] = builder
        return pn.Column(sizing_mode="stretch_width")

    def _open(self, index: int) -> None:
        builder = self._lazy.pop(index, None)
        if builder is not None and self.tabs is not None:
            tab: Any = self.tabs[index]
            tab.objects = [builder()]

    # ---------------------------------------------------------------- compare
    def _compare_view(self) -> pn.viewable.Viewable:
        default = [k for k in ga.DEFAULT_PLACES if k in self.labels]
        self.places = pn.widgets.MultiSelect(
            name="Places to compare (shipped districts, LEPs, LADs; Ctrl/Shift-click for several)",
            options=self.options, value=default, size=14, sizing_mode="stretch_width",
            css_classes=["gd-places"],
        )  # fmt: skip
        self.baseline = pn.widgets.Select(
            name="Baseline (ratios divide by it)", options={}, width=380
        )
        self.compare_msg = pn.Column(sizing_mode="stretch_width", css_classes=["gd-compare-msg"])
        self.chosen = pn.pane.Markdown("", css_classes=["gd-chosen"])
        self.compare_table = _table(_empty("name"), css_classes=["gd-compare-table"])
        self.chart = pn.pane.PNG(
            None, width=900, alt_text="comparison chart", css_classes=["gd-chart"]
        )
        self.dl_csv = pn.widgets.FileDownload(
            callback=self._comparison_csv, filename="geodistrict_comparison.csv",
            label="Comparison (CSV)", button_type="primary", width=220,
        )  # fmt: skip
        self.dl_png = pn.widgets.FileDownload(
            callback=self._chart_png, filename="geodistrict_comparison.png",
            label="Chart (PNG)", button_type="primary", width=220,
        )  # fmt: skip
        self.places.param.watch(self._on_places, "value")
        self.baseline.param.watch(self._on_baseline, "value")
        note = (
            "One row per place, normalised per km². Postcodes (ONS Postcode Directory) and "
            "universities are counted only for places in Great Britain; districts abroad show "
            "the figures their publishers state (benchmark registry), divided by the published "
            "area. `..._vs_baseline` divides each density by the baseline's."
        )
        return pn.Column(
            pn.Row(self.places, pn.Column(self.baseline, self.dl_csv, self.dl_png, width=400)),
            self.chosen,
            pn.pane.Markdown(note),
            self.compare_msg,
            self.compare_table,
            self.chart,
            name="compare",
            sizing_mode="stretch_width",
        )

    async def _on_places(self, event: Any) -> None:
        await self._compare_off_loop(self._update_compare())

    async def _on_baseline(self, event: Any) -> None:
        await self._compare_off_loop(self._update_compare(keep_baseline=True))

    async def _compare_off_loop(self, pending: tuple[list[str], str | None] | None) -> None:
        """Compute a comparison that is not cached yet in the worker pool, then show it."""
        if pending is None:
            return
        keys, base = pending
        if (tuple(keys), base) == self._computing:
            return  # the same comparison is on its way (a baseline reset echoes the choice)
        self._computing = (tuple(keys), base)
        gen = self._gen["compare"] = self._gen["compare"] + 1
        self.compare_msg.objects = [_working("Computing the comparison …")]
        try:
            result = await off_loop(ga.comparison, self.data, keys, baseline=base,
                                    what="the comparison")  # fmt: skip
        except GeodistrictError as exc:
            if gen == self._gen["compare"]:
                self.compare_msg.objects = [_alert(str(exc))]
            return
        finally:
            if self._computing == (tuple(keys), base):
                self._computing = None
        if gen == self._gen["compare"]:
            self._show_compare(keys, result)

    def _update_compare(self, keep_baseline: bool = False) -> tuple[list[str], str | None] | None:
        """Show the comparison of the chosen places when it is ready (cached).

        Returns the (keys, baseline) still to compute off the event loop, or ``None``.
        """
        if self._busy:
            return None
        keys = list(self.places.value)
        self.compare_msg.objects = []
        if not keep_baseline:
            opts = {self.labels[k]: k for k in keys}
            current = self.baseline.value if self.baseline.value in keys else None
            self._busy = True
            try:
                self.baseline.param.update(options=opts, value=current or next(iter(keys), None))
            finally:
                self._busy = False
        self._map_stale = True
        self.chosen.object = f"**Chosen ({len(keys)})**: " + (
            " · ".join(ga.esc_md(self.labels[k]) for k in keys) or "none"
        )
        if not keys:
            self.table = None
            self.compare_table.value = _empty("name")
            self.chart.object = None
            self.compare_msg.objects = [_alert("Choose at least one place to compare.", "info")]
            return None
        if not ga.comparison_ready(self.data, keys, baseline=self.baseline.value):
            return keys, self.baseline.value
        try:
            result = ga.comparison(self.data, keys, baseline=self.baseline.value)
        except GeodistrictError as exc:
            self.compare_msg.objects = [_alert(str(exc))]
            return None
        self._show_compare(keys, result)
        return None

    def _show_compare(self, keys: list[str], result: tuple[Any, bytes | None, str]) -> None:
        table, png, why = result
        self.table = table
        self.compare_msg.objects = []
        view = ga.table_view(table)
        self.compare_table.param.update(
            value=view, formatters={c: _NUM for c in view.columns if c != "name"}
        )
        self.chart.object = png
        notes = [w for k in keys for w in ga.card_for(self.data, k).warnings]
        if why:
            notes.append(f"no chart: {why}")
        if notes:
            self.compare_msg.objects = [_notes_alert("Warnings", notes, "warning")]
        if self.tabs is not None and self.tabs.active == 1 and 1 not in self._lazy:
            pn.state.execute(self._update_map)

    def _comparison_csv(self) -> io.StringIO:
        return _csv(self.table if self.table is not None else _empty("name"))

    def _chart_png(self) -> io.BytesIO:
        return io.BytesIO(self.chart.object or b"")

    # ---------------------------------------------------------------- map
    def _map_view(self) -> pn.viewable.Viewable:
        self.basemap = pn.widgets.RadioButtonGroup(
            name="Basemap", options={"OpenStreetMap": "osm", "No basemap": "none"}, value="osm",
            width=260,
        )  # fmt: skip
        self.all_districts = pn.widgets.Checkbox(name="All shipped districts (dashed)")
        self.map_pane = pn.pane.HTML(
            "", height=620, sizing_mode="stretch_width", css_classes=["gd-map"]
        )
        self.map_note = pn.pane.Markdown("")
        self.dl_map = pn.widgets.FileDownload(
            callback=self._map_download, filename="geodistrict_map.html",
            label="Map (self-contained HTML)", button_type="primary",
            width=260,
        )  # fmt: skip
        for w in (self.basemap, self.all_districts):
            w.param.watch(self._on_map_option, "value")
        return pn.Column(
            pn.Row(self.basemap, self.all_districts, self.dl_map),
            self.map_note,
            self.map_pane,
            name="map",
            sizing_mode="stretch_width",
        )

    def _map_args(self) -> tuple[Any, ...]:
        proposed = self.proposed.boundaries if self.proposed else None
        return (list(self.places.value), proposed, self.basemap.value, self.all_districts.value)

    def _map_doc(self, args: tuple[Any, ...] | None = None) -> tuple[str, str]:
        keys, proposed, basemap, all_districts = args or self._map_args()
        return ga.map_html(self.data, keys, proposed=proposed, basemap=basemap,
                           all_districts=all_districts, self_contained=True)  # fmt: skip

    async def _on_map_option(self, event: Any) -> None:
        await self._update_map()

    async def _update_map(self) -> None:
        args = self._map_args()
        gen = self._gen["map"] = self._gen["map"] + 1
        self.map_note.object = "Drawing the map …"
        try:
            doc, maker = await off_loop(self._map_doc, args, what="drawing the map")
        except GeodistrictError as exc:
            if gen != self._gen["map"]:
                return
            self.map_note.object = ""
            self.map_pane.object = ""
            self.map_note.object = ga.esc_md(public_text(str(exc)))
            return
        if gen != self._gen["map"]:
            return
        self._map_doc_cache = (args, (doc, maker))
        self.map_pane.object = (
            f'<iframe title="map" srcdoc="{ga.esc_html(doc)}" '
            'style="width:100%;height:600px;border:0"></iframe>'
        )
        chosen = [self.labels[k] for k in self.places.value]
        if self.proposed:
            chosen.append(f"proposed: {self.proposed.card.name}")
        self.map_note.object = (
            f"Outlined: {ga.esc_md(', '.join(chosen) or 'the shipped districts')}. Drawn by "
            f"`{maker}`, Leaflet inlined (works offline; basemap tiles need the network)."
        )
        self._map_stale = False

    def _map_download(self) -> io.StringIO:
        args = self._map_args()
        if self._map_doc_cache is not None and _same_args(self._map_doc_cache[0], args):
            return io.StringIO(self._map_doc_cache[1][0])
        return io.StringIO(self._map_doc(args)[0])

    async def _on_tab(self, event: Any) -> None:
        self._open(event.new)
        if event.new == 1 and self._map_stale:
            await self._update_map()

    # ---------------------------------------------------------------- proposed
    def _proposed_view(self) -> pn.viewable.Viewable:
        self.upload = pn.widgets.FileInput(
            accept=",".join(ga.UPLOAD_SUFFIXES), name="Proposed district", multiple=False,
            width=380, css_classes=["gd-upload"],
        )  # fmt: skip
        polys = {
            label: key
            for label, key in self.options.items()
            if not label.endswith("(published figures only)")
        }
        self.prop_baseline = pn.widgets.Select(
            name="Baseline district", options=polys,
            value=ga.DEFAULT_BASELINE if ga.DEFAULT_BASELINE in polys.values() else None,
            width=380,
        )  # fmt: skip
        self.prop_msg = pn.Column(sizing_mode="stretch_width", css_classes=["gd-prop-msg"])
        self.prop_summary = pn.pane.Markdown("", css_classes=["gd-prop-summary"])
        self.prop_card = _table(_empty(), css_classes=["gd-prop-card"])
        self.prop_diff = _table(_empty(), css_classes=["gd-prop-diff"])
        self.dl_card = pn.widgets.FileDownload(
            callback=lambda: _csv(self.proposed.card.to_frame()) if self.proposed else None,
            filename="proposed_card.csv", label="Card (CSV)", button_type="primary",
            width=200, disabled=True,
        )  # fmt: skip
        self.dl_diff = pn.widgets.FileDownload(
            callback=lambda: _csv(self.proposed.diff.to_frame()) if self.proposed else None,
            filename="proposed_diff.csv", label="Diff (CSV)", button_type="primary",
            width=200, disabled=True,
        )  # fmt: skip
        self.dl_geojson = pn.widgets.FileDownload(
            callback=lambda: (io.BytesIO(ga.geojson_bytes(self.proposed.boundaries))
                              if self.proposed else None),
            filename="proposed.geojson", label="Polygon (GeoJSON)", button_type="primary",
            width=200, disabled=True,
        )  # fmt: skip
        self.dl_report = pn.widgets.FileDownload(
            callback=lambda: io.BytesIO(self._report) if self._report else None,
            filename="proposed_audit_report.html", label="Audit report (HTML)",
            button_type="success", width=200, disabled=True,
        )  # fmt: skip
        self.make_report = pn.widgets.Button(
            name="Prepare the audit report", button_type="light", width=210, disabled=True,
            css_classes=["gd-make-report"],
        )  # fmt: skip
        self.make_report.on_click(self._on_make_report)
        self.upload.param.watch(self._on_upload, "value")
        self.guard = UploadGuard(max_bytes=ga.MAX_UPLOAD_BYTES, width=0, height=0, margin=0)
        self.guard.param.watch(self._on_refused_in_browser, "refused")
        self._auto_baseline: str | None = None  # the baseline the app itself just picked
        self.prop_baseline.param.watch(self._on_prop_baseline, "value")
        journey = self._journey_view()
        rule = (
            f"Upload a GeoJSON (.geojson/.json, longitude/latitude unless it declares a CRS), a "
            f"GeoPackage (.gpkg) or a zipped Shapefile (.zip with .shp, .shx, .dbf and .prj), up "
            f"to {ga.MAX_UPLOAD_BYTES / 1e6:g} MB and {ga.MAX_FEATURES:,} features (several are "
            "merged into one district). Invalid polygons — a ring that crosses itself — are "
            "refused, not repaired: a repaired bow-tie is not the district you drew."
        )
        self.prop_results = pn.Column(
            pn.Row(self.dl_card, self.dl_diff, self.dl_geojson, self.make_report, self.dl_report),
            pn.pane.Markdown("#### Card of the proposed district"),
            self.prop_card,
            pn.pane.Markdown("#### Diff against the baseline"),
            self.prop_diff,
            journey,
            visible=False,
            sizing_mode="stretch_width",
        )
        return pn.Column(
            pn.Row(self.upload, self.prop_baseline, self.guard),
            pn.pane.Markdown(rule),
            self.prop_msg,
            self.prop_summary,
            self.prop_map_box,
            self.prop_results,
            name="proposed",
            sizing_mode="stretch_width",
        )

    def _on_refused_in_browser(self, event: Any) -> None:
        name, _, rest = str(event.new).partition("|")
        size = float(rest.partition("|")[0] or 0)
        self._clear_proposed()
        self.prop_msg.objects = [_alert(
            f"Upload refused: {name}: {size / 1e6:,.1f} MB is over the "
            f"{ga.MAX_UPLOAD_BYTES / 1e6:,.0f} MB limit for uploads (checked in the browser, "
            "nothing was sent); upload only the district's polygon (simplified if needed)."
        )]  # fmt: skip

    async def _on_prop_baseline(self, event: Any) -> None:
        # An async watcher runs as a task after its setter has moved on, so the app's own pick
        # is recognised by its value, not by a flag: its caller measures the new proposal with
        # it (re-measuring here would replace that proposal with the previous one).
        auto, self._auto_baseline = self._auto_baseline, None
        if auto is not None and event.new == auto:
            return
        await self._measure()

    async def _on_upload(self, event: Any) -> None:
        if event.new is None:
            return
        t0 = time.perf_counter()
        data, filename = event.new, self.upload.filename or "upload"
        # cleared now, in the same tick as this message: a clear sent after the await could
        # reach the browser after the user has chosen the next file, and empty it
        self.upload.clear()
        self.prop_msg.objects = [_working("Reading the file …")]
        gen = self._gen["read"] = self._gen["read"] + 1
        try:
            b = await _read_upload(data, filename, what="reading the file")
            read_s = time.perf_counter() - t0
        except GeodistrictError as exc:
            if gen == self._gen["read"]:  # a later file, read sooner, keeps its message
                self._clear_proposed()
                self.prop_msg.objects = [_alert(f"Upload refused: {exc}")]
            return
        except Exception as exc:  # noqa: BLE001 - keep the session alive, say what happened
            log.exception("upload failed")
            if gen == self._gen["read"]:
                self._clear_proposed()
                self.prop_msg.objects = [_alert(f"Upload failed ({type(exc).__name__}): {exc}")]
            return
        finally:
            del data
        if gen != self._gen["read"]:
            return  # the user has chosen another file (or drawn) since: that one is measured
        await self._pick_baseline(b)
        await self._measure(b, read_s)

    async def _measure(self, b: Any = None, read_s: float | None = None) -> None:
        b = b if b is not None else (self.proposed.boundaries if self.proposed else None)
        if b is None:
            return
        gen = self._gen["proposed"] = self._gen["proposed"] + 1
        self.prop_msg.objects = [_working("Measuring the district (card and diff) …")]
        try:
            p = await off_loop(ga.propose, self.data, b, baseline=self.prop_baseline.value,
                               what="measuring the district")  # fmt: skip
        except GeodistrictError as exc:
            if gen == self._gen["proposed"]:
                self._clear_proposed()
                self.prop_msg.objects = [_alert(str(exc))]
            return
        if gen != self._gen["proposed"]:
            return
        self.proposed = p
        # the server's work: reading (in the pool, with its wait) and measuring (p.seconds)
        took = p.seconds + (read_s or 0.0)
        s = p.summary()
        base = self.labels.get(p.baseline, p.baseline)
        notes = list(p.boundaries.info.notes) + list(p.card.warnings) + list(p.diff.warnings)
        self.prop_msg.objects = [_notes_alert("Notes", notes, "info")] if notes else []
        uk = "postcodes_count" in s and s["postcodes_count"] is not None
        counts = (
            f"Postcodes inside: {_fmt(s['postcodes_count'])} · "
            f"Universities inside: {_fmt(s['universities_count'])}"
            if uk
            else "No UK layers counted: the polygon lies outside Great Britain."
        )
        changes = " · ".join(
            f"{k.removesuffix('_change')} {v:+,.0f}" for k, v in s.items() if k.endswith("_change")
        )
        self.prop_summary.object = (
            f"### {ga.esc_md(p.card.name)}\n"
            f"Area: {_fmt(s['area_ha'])} ha, measured in {ga.esc_md(p.card.crs_measured)} · "
            f"{counts} · read and measured in {took:.2f} s\n\n"
            f"**Diff against {ga.esc_md(base)}**: {_fmt(s['area_added_ha'])} ha added, "
            f"{_fmt(s['area_removed_ha'])} ha removed, {_fmt(s['area_common_ha'])} ha in common"
            + (f" · change in counts: {changes}" if changes else "")
        )
        frame = p.card.to_frame()[["indicator", "value", "unit", "note"]]
        _fill(self.prop_card, frame, {"value": _NUM})
        diff = p.diff.to_frame()
        _fill(self.prop_diff, diff, {c: _NUM for c in diff.columns if c not in ("measure", "unit")})
        for w in (self.dl_card, self.dl_diff, self.dl_geojson):
            w.disabled = False
        self.prop_results.visible = True
        self.dl_geojson.filename = f"{p.boundaries.ids[0]}.geojson"
        self._map_stale = True
        self.make_report.param.update(disabled=False, name="Prepare the audit report")
        await self._update_journey(p, gen)

    async def _on_make_report(self, event: Any) -> None:
        """Build the audit report in the worker pool, on request; its download opens when done.

        On request, not after every upload: a report takes seconds of work that would queue
        ahead of other sessions' tasks.
        """
        p, gen = self.proposed, self._gen["proposed"]
        if p is None:
            return
        self._report = None
        self.make_report.param.update(disabled=True, name="Preparing the report …")
        try:
            report = await off_loop(ga.report_html, self.data, p.boundaries,
                                    context_map=self.prop_map_doc or None,
                                    what="building the audit report")  # fmt: skip
        except GeodistrictError as exc:
            if gen == self._gen["proposed"]:
                self.make_report.name = "Audit report unavailable"
                self.prop_msg.objects = [*self.prop_msg.objects, _alert(f"Audit report: {exc}")]
            return
        if gen == self._gen["proposed"] and self.proposed is p:
            self._report = report
            self.make_report.name = "Report ready"
            self.dl_report.disabled = False

    def _clear_proposed(self) -> None:
        self.proposed = None
        self._report = None
        self.make_report.param.update(disabled=True, name="Prepare the audit report")
        self.prop_summary.object = ""
        self.prop_card.value = _empty()
        self.prop_diff.value = _empty()
        for w in (self.dl_card, self.dl_diff, self.dl_geojson, self.dl_report, self.dl_brief):
            w.disabled = True
        self._brief = None
        self.make_brief.param.update(disabled=True, label="Prepare the brief (PDF)")
        self.prop_results.visible = False
        self._map_stale = True

    # ---------------------------------------------------------------- proposal in context
    def _journey_view(self) -> pn.viewable.Viewable:
        """Reference, sector picture and map of the proposal (filled by _update_journey)."""
        self.prop_baseline_note = pn.pane.Markdown("", css_classes=["gd-prop-baseline"])
        self.prop_reference = _table(_empty(), css_classes=["gd-prop-reference"])
        self.prop_sectors_note = pn.pane.Markdown("", css_classes=["gd-prop-sectors-note"])
        self.prop_sectors = _table(_empty(), css_classes=["gd-prop-sectors"])
        self.prop_rank = _table(_empty(), css_classes=["gd-prop-rank"])
        self.prop_parts = pn.Column(sizing_mode="stretch_width", css_classes=["gd-prop-parts"])
        self.prop_map = pn.pane.HTML("", height=560, sizing_mode="stretch_width",
                                     css_classes=["gd-prop-map"])  # fmt: skip
        self.prop_map_doc = ""
        self.dl_prop_map = pn.widgets.FileDownload(
            callback=lambda: io.StringIO(self.prop_map_doc), filename="proposed_map.html",
            label="Map (HTML)", button_type="primary", width=200, disabled=True,
            css_classes=["gd-dl-prop-map"],
        )  # fmt: skip
        # the brief is printed by Chromium in the worker pool on request (seconds of work),
        # then downloaded from memory: the download callback itself runs on the event loop
        self.make_brief: pn.widgets.Button = pn.widgets.Button(
            label="Prepare the brief (PDF)", button_type="light", width=210, disabled=True,
            css_classes=["gd-make-brief"],
        )  # fmt: skip
        self.make_brief.on_click(self._on_make_brief)
        self.dl_brief: pn.widgets.FileDownload = pn.widgets.FileDownload(
            callback=lambda: io.BytesIO(self._brief) if self._brief else None,
            filename="proposed_brief.pdf", label="Brief (PDF)", button_type="success",
            width=200, disabled=True, css_classes=["gd-dl-brief"],
        )  # fmt: skip
        # a drawn polygon arrives here as GeoJSON text, set by the map's draw control
        self.drawn = pn.widgets.TextAreaInput(value="", visible=False, css_classes=["gd-drawn"])
        self.drawn.param.watch(self._on_drawn, "value")
        self.prop_map_title = pn.pane.Markdown(
            "#### Draw a district\nClick **Draw a district** on the map, click its corners, "
            "then **Finish**: it is measured like an upload. Drawing again replaces it.",
            css_classes=["gd-prop-map-title"],
        )
        self.prop_map.object = self._map_iframe(ga.draw_start_map_html(self.data))
        buttons = pn.Row(self.dl_prop_map, self.make_brief, self.dl_brief)
        self.prop_map_box: pn.Column = pn.Column(
            self.prop_map_title, buttons, self.prop_map, self.drawn, sizing_mode="stretch_width"
        )
        return pn.Column(
            self.prop_baseline_note,
            self.prop_parts,
            pn.pane.Markdown("#### Against the national reference"),
            self.prop_reference,
            pn.pane.Markdown("#### Sector picture (apportioned UK Business Counts)"),
            self.prop_sectors_note,
            self.prop_sectors,
            pn.pane.Markdown(
                "#### Ranked among the benchmark districts (postcodes per km², share of the "
                "area in Gi* hot cells of the postcodes)"
            ),
            self.prop_rank,
            sizing_mode="stretch_width",
        )

    async def _on_make_brief(self, event: Any) -> None:
        """Print the brief in the worker pool, with a progress bar; its download opens when done."""
        p, gen, doc = self.proposed, self._gen["proposed"], self.prop_map_doc
        if p is None:
            return
        self._brief = None
        self.dl_brief.disabled = True
        self.make_brief.param.update(disabled=True, label="Printing the brief …")
        shown = list(self.prop_msg.objects)
        self.prop_msg.objects = [*shown, _working("Printing the one-page brief (PDF) …")]
        try:
            pdf = await off_loop(ga.brief_pdf, self.data, p, map_html=doc or None,
                                 what="printing the brief")  # fmt: skip
        except GeodistrictError as exc:
            if gen == self._gen["proposed"]:
                self.make_brief.label = "Brief unavailable"
                self.prop_msg.objects = [*shown, _alert(f"Brief: {exc}")]
            return
        if gen == self._gen["proposed"] and self.proposed is p:
            self.prop_msg.objects = shown
            self._brief = pdf
            self.make_brief.label = "Brief ready"
            self.dl_brief.disabled = False

    @staticmethod
    def _map_iframe(doc: str, editable: Any = None) -> str:
        doc = ga.with_draw_control(doc, editable)
        return (
            f'<iframe title="proposal map" srcdoc="{ga.esc_html(doc)}" '
            'style="width:100%;height:540px;border:0"></iframe>'
        )

    async def _on_drawn(self, event: Any) -> None:
        """A polygon drawn on the map: checked like an upload, then measured."""
        if not event.new:
            return
        t0 = time.perf_counter()
        gen = self._gen["read"] = self._gen["read"] + 1
        try:
            b = await _read_upload(event.new.encode("utf-8"), "drawn.geojson",
                                   what="reading the drawing")  # fmt: skip
        except GeodistrictError as exc:
            if gen == self._gen["read"]:
                self.prop_msg.objects = [_alert(f"Drawing refused: {exc}")]
            return
        if gen != self._gen["read"]:
            return
        read_s = time.perf_counter() - t0
        await self._pick_baseline(b)
        await self._measure(b, read_s)

    async def _pick_baseline(self, b: Any) -> None:
        """Set the baseline to the default for this proposal (the LAD overlapping it most)."""
        try:
            key, why = await off_loop(ga.default_baseline, self.data, b,
                                      what="choosing the baseline")  # fmt: skip
        except GeodistrictError as exc:
            self.prop_baseline_why = f"default baseline unavailable: {exc}"
            return
        if key in self.prop_baseline.options.values() and key != self.prop_baseline.value:
            self._auto_baseline = key
            self.prop_baseline.value = key
        self.prop_baseline_why = f"Baseline chosen by default: {why}; change it above."

    def _journey_results(self, p: Any) -> dict[str, Any]:
        """Everything the journey shows for ``p``, computed in the worker pool."""
        out: dict[str, Any] = {
            "parts": ga.parts_table(self.data, p.boundaries),
            "diff": ga.diff_table(self.data, p),  # with estimated enterprises added and removed
            "rank": ga.benchmark_rank(self.data, p),
            "reference": ga.reference_table(self.data, p),
        }
        try:
            picture = ga.sector_picture(self.data, p.boundaries)
            out["sectors"] = ga.sector_table(picture, str(p.boundaries.ids[0]))
        except GeodistrictError as exc:
            out["sectors_error"] = str(exc)
        try:
            out["map"] = ga.proposal_map_html(self.data, p)
        except GeodistrictError as exc:
            out["map_error"] = str(exc)
        return out

    async def _update_journey(self, p: ga.Proposed, gen: int | None = None) -> None:
        """Fill the map, reference, sectors and ranking once the card and diff are shown."""
        shown = list(self.prop_msg.objects)
        self.prop_msg.objects = [*shown, _working("Mapping the district, estimating its sectors …")]
        try:
            r = await off_loop(self._journey_results, p, what="mapping the district")
        except GeodistrictError as exc:
            self.prop_msg.objects = [*shown, _alert(str(exc))]
            return
        if self.proposed is not p or (gen is not None and gen != self._gen["proposed"]):
            return  # a newer proposal replaced this one
        self.prop_msg.objects = shown
        why = getattr(self, "prop_baseline_why", "")
        chosen = self.labels.get(p.baseline, p.baseline)
        self.prop_baseline_note.object = ga.esc_md(
            why
            if why.startswith("Baseline chosen") and chosen in why
            else f"Baseline: {chosen} (chosen by you)."
        )
        parts = r["parts"]
        self.prop_parts.objects = (
            [pn.pane.Markdown("#### Counted part by part (the parts lie apart)"), _table(parts)]
            if len(parts) > 1
            else []
        )
        diff = r["diff"]
        _fill(self.prop_diff, diff, {c: _NUM for c in diff.columns if c not in ("measure", "unit")})
        rank = r["rank"]
        _fill(self.prop_rank, rank, {c: _NUM for c in rank.columns if c != "name"})
        nums = ("value", "per_km2", "reference_per_km2", "ratio")
        _fill(self.prop_reference, r["reference"], {c: _NUM for c in nums})
        if "sectors" in r:
            rows, text = r["sectors"]
            nums = ("count", "area_total", "reference_count", "lq")
            _fill(self.prop_sectors, rows, {c: _NUM for c in nums})
            self.prop_sectors_note.object = ga.esc_md(text)
        else:
            self.prop_sectors.value = _empty()
            self.prop_sectors_note.object = ga.esc_md(r["sectors_error"])
        if "map" in r:
            self.prop_map_doc = r["map"]
            self.prop_map.object = self._map_iframe(self.prop_map_doc, p.boundaries)
            self.prop_map_title.object = (
                f"#### {ga.esc_md(p.card.name)} in context\nZoomed to the proposal. Move its "
                "corners (**Edit the proposal**) or draw another outline (**Draw a district**) "
                "on the map to re-measure."
            )
        else:
            self.prop_map_doc = ""
            self.prop_map.object = ga.esc_html(f"No map: {r['map_error']}")
        self.dl_prop_map.disabled = not self.prop_map_doc
        self._brief = None
        self.dl_brief.disabled = True
        self.make_brief.param.update(disabled=not self.prop_map_doc,
                                     label="Prepare the brief (PDF)")  # fmt: skip

    # ---------------------------------------------------------------- specialisation
    def _specialisation_view(self) -> pn.viewable.Viewable:
        names = ga.lep_names(self.data)
        if not names:
            why = next((m for m in self.data.missing if m.startswith("nomis")), "not loaded")
            return pn.Column(
                _alert(
                    "Specialisation is unavailable: it needs the UK Business Counts table by "
                    f"industry (Nomis), which was not loaded ({why}). Start the app with --data "
                    "DIR pointing at the shared data folder.",
                    "warning",
                ),
                name="specialisation",
            )
        default = "Greater Cambridge and Greater Peterborough"
        self.lep = pn.widgets.Select(name="LEP (May 2021)", options=names,
                                     value=default if default in names else names[0],
                                     width=420)  # fmt: skip
        self.lq_top = pn.pane.Markdown("", css_classes=["gd-lq-top"])
        self.lq_table = _table(_empty(), css_classes=["gd-lq-table"])
        self.dl_lq = pn.widgets.FileDownload(
            callback=lambda: _csv(ga.specialisation_for(self.data, self.lep.value)[0]),
            filename="lep_location_quotients.csv", label="LQs (CSV)", button_type="primary",
            width=200,
        )  # fmt: skip
        self.lep.param.watch(lambda e: self._update_lq(), "value")
        self._update_lq()
        return pn.Column(pn.Row(self.lep, self.dl_lq), self.lq_top, self.lq_table,
                         name="specialisation")  # fmt: skip

    def _update_lq(self) -> None:
        try:
            rows, top = ga.specialisation_for(self.data, self.lep.value)
        except GeodistrictError as exc:
            self.lq_top.object = ga.esc_md(str(exc))
            return
        a = rows.attrs
        listed = ", ".join(
            f"**{ga.esc_md(r.sector_label)}** (LQ {r.lq:.2f}, {r.count:,.0f} enterprises)"
            for r in top.itertuples()
        )
        self.lq_top.object = (
            f"Location quotients of {ga.esc_md(self.lep.value)} against "
            f"{ga.esc_md(a.get('reference', 'England'))}, UK Business Counts {a.get('year')} "
            f"(enterprises, variable {ga.esc_md(a.get('variable'))}). A specialism has LQ ≥ "
            f"{ga.MIN_LQ:g} and at least {ga.MIN_COUNT:g} enterprises.\n\n"
            f"Top specialisms: {listed or 'none'}."
        )
        cols = ["sector", "sector_label", "count", "area_total", "reference_count", "lq",
                "specialism"]  # fmt: skip
        nums = ("count", "area_total", "reference_count", "lq")
        _fill(self.lq_table, rows[cols].sort_values("lq", ascending=False),
              {c: _NUM for c in nums})  # fmt: skip

    # ---------------------------------------------------------------- about
    def _about_view(self) -> pn.viewable.Viewable:
        d = self.data
        loaded = ", ".join(f"{k} {v:.2f} s" for k, v in d.timings_s.items())
        missing = "; ".join(d.missing) or "nothing"
        text = (
            f"**geodistrict {ga.esc_md(__version__)}**. Every figure is computed by the "
            "geodistrict library (cards, comparisons, diffs, location quotients) or quoted from "
            "the benchmark registry with its citation; areas and distances are measured in "
            "metres (British National Grid in Great Britain, UTM elsewhere).\n\n"
            f"Data: {'a data folder (not shown)' if d.data_dir else 'bundled datasets'} · "
            "not loaded: "
            f"{ga.esc_md(missing)} · loaded in: {ga.esc_md(loaded)}.\n\n"
            "Uploads are parsed in memory or under fixed names in a private temporary folder "
            "(never under the uploaded name), capped in size and features; zip members with "
            "absolute or `..` paths are refused; invalid polygons are refused, not repaired. "
            "Names from uploads are escaped in every view."
        )
        return pn.Column(
            pn.pane.Markdown(text),
            pn.pane.Markdown("#### Sources, vintages and licences"),
            _html_table(ga.sources_table(d)),
            pn.pane.Markdown("#### Parameters in use"),
            _html_table(ga.parameters_in_use(d)),
            name="about",
            sizing_mode="stretch_width",
            css_classes=["gd-about"],
        )


async def _read_upload(data: bytes, filename: str, *, what: str) -> Any:
    """Read an upload off the event loop: a small GeoJSON in a thread, the rest capped."""
    run = off_process if ga.needs_own_process(data, filename) else off_loop
    return await run(ga.parse_upload, data, filename, what=what)


def _working(text: str) -> pn.Column:
    """A message with a moving progress bar (the work runs off the event loop)."""
    return pn.Column(
        _alert(text, "info"),
        pn.indicators.Progress(active=True, value=-1, width=300, bar_color="info"),
        css_classes=["gd-working"],
    )


def _same_args(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return a[0] == b[0] and a[1] is b[1] and a[2:] == b[2:]


def _empty(column: str = "") -> Any:
    """An empty table (before anything is chosen or uploaded)."""
    import pandas as pd

    return pd.DataFrame({column: pd.Series([], dtype=object)})


def create_app(data_dir: str | os.PathLike[str] | None = None) -> pn.template.BaseTemplate:
    """The page of one session.

    The data are loaded once per process, in a background thread (:func:`ga.load_in_background`)
    so that the server answers at once: until they are ready the page says what is being read,
    and it fills in by itself when they are.
    """
    if data_dir is None:
        data_dir = _data_dir_from_argv() or ga.data_dir_from_env()
    template = pn.template.BootstrapTemplate(
        title=TITLE, header_background="#3b6ea8",
        main_max_width="1400px",
    )  # fmt: skip
    holder = pn.Column(sizing_mode="stretch_width")
    main: Any = template.main
    main.append(holder)
    data = ga.get_app_data(data_dir, load=False)
    if data is not None:
        holder.objects = [GeodistrictApp(data).tabs]
        return template
    ga.load_in_background(data_dir)
    status = pn.pane.Markdown("Loading the postcodes and the data …", css_classes=["gd-loading"])
    holder.objects = [pn.Row(pn.indicators.LoadingSpinner(value=True, size=40), status)]
    t0 = time.perf_counter()

    def check() -> None:
        data, step, error = ga.loading_status(data_dir)
        if error is not None:
            poll.stop()
            holder.objects = [_alert(f"The data could not be loaded: {error}")]
        elif data is None:
            status.object = f"Loading {ga.esc_md(step)} … ({time.perf_counter() - t0:.0f} s)"
        else:
            poll.stop()
            holder.objects = [GeodistrictApp(data).tabs]

    poll = pn.state.add_periodic_callback(check, period=500, start=False)
    pn.state.onload(poll.start)
    return template
