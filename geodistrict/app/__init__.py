"""The Panel app: state, guarded uploads and glue here, the page layout in :mod:`.pages`.

Nothing here measures anything: cards, comparisons, diffs and location quotients come from
:mod:`geodistrict.districts` and :mod:`geodistrict.metrics`. This package loads the layers the
app offers once per process (:func:`load_app_data`, :func:`warm`), turns an uploaded file into
validated :class:`~geodistrict.Boundaries` without trusting it (:func:`parse_upload`, see
:mod:`geodistrict.app._upload` for the rules), and shapes results for display and export. It
imports no Panel (only :mod:`.pages` does), so every function is testable without a browser;
``import geodistrict`` does not import it.
"""

from ._state import (
    BUFFERS_M,
    DATA_FILES,
    DEFAULT_BASELINE,
    DEFAULT_PLACES,
    FEATURED_PLACES,
    MIN_COUNT,
    MIN_LQ,
    REGION_BUFFER_M,
    AppData,
    Proposed,
    card_for,
    chart_png,
    compare_table,
    comparison,
    data_dir_from_env,
    geojson_bytes,
    get_app_data,
    lep_names,
    load_app_data,
    map_html,
    parameters_in_use,
    place_boundaries,
    place_label,
    place_options,
    propose,
    report_html,
    sources_table,
    specialisation_for,
    table_view,
    warm,
)
from ._upload import (
    MAX_FEATURES,
    MAX_UPLOAD_BYTES,
    UPLOAD_SUFFIXES,
    UploadError,
    esc_html,
    esc_md,
    one_district,
    parse_upload,
)

__all__ = [
    "BUFFERS_M",
    "DATA_FILES",
    "DEFAULT_BASELINE",
    "DEFAULT_PLACES",
    "FEATURED_PLACES",
    "MAX_FEATURES",
    "MAX_UPLOAD_BYTES",
    "MIN_COUNT",
    "MIN_LQ",
    "REGION_BUFFER_M",
    "UPLOAD_SUFFIXES",
    "AppData",
    "Proposed",
    "UploadError",
    "card_for",
    "chart_png",
    "compare_table",
    "comparison",
    "data_dir_from_env",
    "esc_html",
    "esc_md",
    "geojson_bytes",
    "get_app_data",
    "lep_names",
    "load_app_data",
    "map_html",
    "one_district",
    "parameters_in_use",
    "parse_upload",
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
