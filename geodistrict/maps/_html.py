"""Vendored Leaflet assets, saving a map, the offline (self-contained) page and the size budget."""

from __future__ import annotations

import base64
import hashlib
import re
import warnings
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import GeodistrictError, GeodistrictWarning, InputFileError, ParameterError

__all__ = [
    "ASSETS",
    "INERT_URLS",
    "LEAFLET_VERSION",
    "MARKERCLUSTER_VERSION",
    "MapSizeError",
    "save_map",
]

LEAFLET_VERSION = "1.9.4"
MARKERCLUSTER_VERSION = "1.5.3"
_CDN = "https://cdn.jsdelivr.net/npm"

#: URLs that occur inside the vendored Leaflet code and never cause a request: the SVG
#: namespace (an identifier) and the link to leafletjs.com in Leaflet's licence banner and in
#: the "Leaflet" prefix of its attribution control.
INERT_URLS = ("http://www.w3.org/2000/svg", "https://leafletjs.com")


@dataclass(frozen=True)
class Asset:
    """A vendored file and the CDN address of the same file of the same npm release."""

    kind: str  # "js" or "css"
    url: str
    path: str  # relative to geodistrict/_static


#: The JavaScript and CSS a map may need, by the name folium links them under.
ASSETS: dict[str, Asset] = {
    "leaflet": Asset(
        "js", f"{_CDN}/leaflet@{LEAFLET_VERSION}/dist/leaflet.js", "leaflet/leaflet.js"
    ),
    "leaflet_css": Asset(
        "css", f"{_CDN}/leaflet@{LEAFLET_VERSION}/dist/leaflet.css", "leaflet/leaflet.css"
    ),
    "markercluster": Asset(
        "js",
        f"{_CDN}/leaflet.markercluster@{MARKERCLUSTER_VERSION}/dist/leaflet.markercluster.js",
        "leaflet.markercluster/leaflet.markercluster.js",
    ),
    "markercluster_css": Asset(
        "css",
        f"{_CDN}/leaflet.markercluster@{MARKERCLUSTER_VERSION}/dist/MarkerCluster.css",
        "leaflet.markercluster/MarkerCluster.css",
    ),
    "markercluster_default_css": Asset(
        "css",
        f"{_CDN}/leaflet.markercluster@{MARKERCLUSTER_VERSION}/dist/MarkerCluster.Default.css",
        "leaflet.markercluster/MarkerCluster.Default.css",
    ),
}
_BY_URL = {a.url: a for a in ASSETS.values()}


class MapSizeError(GeodistrictError, ValueError):
    """A saved map would exceed its size budget; the message names the largest layer."""


def static_file(rel: str) -> bytes:
    """Bytes of a vendored file under ``geodistrict/_static``."""
    f = resources.files("geodistrict").joinpath("_static", *rel.split("/"))
    try:
        return f.read_bytes()
    except FileNotFoundError as exc:  # pragma: no cover - a broken installation
        raise InputFileError(
            f"the vendored file geodistrict/_static/{rel} is missing; reinstall geodistrict "
            "(its package data holds the Leaflet files)."
        ) from exc


@cache
def _sri(rel: str) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(static_file(rel)).digest()).decode()


@cache
def _inline_js(rel: str) -> str:
    text = static_file(rel).decode("utf-8")
    text = re.sub(r"(?m)^//# sourceMappingURL=.*$", "", text)  # devtools would look for it
    return re.sub(r"(?i)</script", r"<\\/script", text)


@cache
def _inline_css(rel: str) -> str:
    text = static_file(rel).decode("utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # comments (they hold bug-tracker URLs)
    folder = rel.rsplit("/", 1)[0]

    def _data_uri(m: re.Match[str]) -> str:
        name = m.group(1)
        data = base64.b64encode(static_file(f"{folder}/{name}")).decode()
        return f"url(data:image/png;base64,{data})"

    text = re.sub(r"url\((images/[\w.-]+\.png)\)", _data_uri, text)
    return re.sub(r"(?i)</style", r"<\\/style", text)


_SCRIPT = re.compile(r'<script src="([^"]+)"></script>')
_LINK = re.compile(r'<link rel="stylesheet" href="([^"]+)"\s*/?>')


def _pinned(kind: str, url: str, sri: str) -> str:
    """A ``<script>`` or stylesheet ``<link>`` of ``url`` pinned by its SRI hash."""
    if kind == "script":
        return f'<script src="{url}" integrity="{sri}" crossorigin="anonymous"></script>'
    return f'<link rel="stylesheet" href="{url}" integrity="{sri}" crossorigin="anonymous"/>'


def _link_assets(html: str, self_contained: bool) -> tuple[str, int]:
    """Inline (or pin with SRI) the vendored assets; returns the page and the inlined bytes."""
    inlined = 0
    foreign: list[str] = []

    def _replace(m: re.Match[str], kind: str) -> str:
        nonlocal inlined
        asset = _BY_URL.get(m.group(1))
        if asset is None:
            foreign.append(m.group(1))
            return m.group(0)
        if not self_contained:
            return _pinned(kind, asset.url, _sri(asset.path))
        text = _inline_js(asset.path) if kind == "script" else _inline_css(asset.path)
        inlined += len(text)
        return f"<script>{text}</script>" if kind == "script" else f"<style>{text}</style>"

    def _script(m: re.Match[str]) -> str:
        return _replace(m, "script")

    def _link(m: re.Match[str]) -> str:
        return _replace(m, "link")

    html = _SCRIPT.sub(_script, html)
    html = _LINK.sub(_link, html)
    if self_contained and foreign:
        raise ParameterError(
            "self_contained=True, but the map links files geodistrict does not vendor: "
            + ", ".join(foreign)
            + "; remove the elements that need them or save with self_contained=False."
        )
    return html, inlined


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def layer_sizes(m: Any) -> list[tuple[str, int, str]]:
    """(layer name, bytes of its data in the page, how to make it smaller), largest first."""
    out = []
    for child in m._children.values():
        size = getattr(child, "payload_bytes", None)
        if size is not None:
            out.append((child.plain_name, int(size), child.reduce_hint))
    return sorted(out, key=lambda t: -t[1])


def _budget_message(path: Path, total: int, budget_mb: float, m: Any, inlined: int) -> str:
    sizes = layer_sizes(m)
    if inlined:
        sizes.append(
            (
                "Leaflet libraries (inline)",
                inlined,
                "save with self_contained=False to load them from the CDN instead",
            )
        )
        sizes.sort(key=lambda t: -t[1])
    msg = f"{path}: the map would be {_mb(total)}, over its budget of {budget_mb:g} MB."
    if sizes:
        name, size, hint = sizes[0]
        msg += f" The largest layer is {name!r} ({_mb(size)}): {hint}."
        rest = [f"{n!r} {_mb(s)}" for n, s, _ in sizes[1:4]]
        if rest:
            msg += " Next: " + ", ".join(rest) + "."
    return msg + f" Or allow more with budget_mb (CLI: --budget-mb {2 * budget_mb:g})."


def save_map(
    m: Any,
    path: str | Path,
    *,
    self_contained: bool = False,
    budget_mb: float | None = 3.0,
    on_budget: str = "raise",
) -> Path:
    """Write a map made by :func:`make_map` as one HTML file.

    Parameters
    ----------
    m : folium.Map
        From :func:`make_map`.
    path : str or pathlib.Path
        Output ``.html`` file; its folder must exist.
    self_contained : bool
        Inline Leaflet (and Leaflet.markercluster when used) from the copies vendored in
        ``geodistrict/_static``, with their images as ``data:`` URIs: the file then opens with
        no network, apart from basemap tiles (none with ``basemap="none"``). Otherwise the page
        loads the same releases from jsDelivr, pinned by Subresource Integrity hashes.
    budget_mb : float or None
        Largest file allowed, in MB (10⁶ bytes); ``None`` for no limit.
    on_budget : {"raise", "warn"}
        Over the budget, raise :class:`MapSizeError` without writing the file, or write it and
        warn. The message names the largest layer and how to make it smaller.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import pathlib, tempfile, geopandas as gpd, shapely
    >>> from geodistrict import prepare_boundaries
    >>> from geodistrict.maps import make_map
    >>> sq = gpd.GeoDataFrame({"id": ["a"], "name": ["A"]}, crs=27700,
    ...                       geometry=[shapely.box(530000, 180000, 531000, 181000)])
    >>> m = make_map(boundaries=prepare_boundaries(sq), basemap="none")
    >>> p = save_map(m, pathlib.Path(tempfile.mkdtemp()) / "a.html", self_contained=True)
    >>> "<script src=" in p.read_text(encoding="utf-8")  # Leaflet is inline: no request at all
    False
    """
    if on_budget not in ("raise", "warn"):
        raise ParameterError(f"on_budget={on_budget!r} is not one of 'raise', 'warn'.")
    if budget_mb is not None and not budget_mb > 0:
        raise ParameterError(f"budget_mb={budget_mb!r}: give a size in MB, e.g. 3.")
    path = Path(path)
    if not path.parent.exists():
        raise InputFileError(f"{path}: the folder {path.parent} does not exist; create it first.")
    html, inlined = _link_assets(m.get_root().render(), self_contained)
    data = html.encode("utf-8")
    if budget_mb is not None and len(data) > budget_mb * 1e6:
        msg = _budget_message(path, len(data), budget_mb, m, inlined)
        if on_budget == "raise":
            raise MapSizeError(msg + " Nothing was written.")
        warnings.warn(msg, GeodistrictWarning, stacklevel=2)
    path.write_bytes(data)
    return path
