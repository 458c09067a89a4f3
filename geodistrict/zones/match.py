"""Zone tables keyed by code or name: matching labels to polygons, successors, lookups.

Published tables name their areas by code (``E07000008``) or by label (``Cambridge``), in the
vintage of their date: UK Business Counts 2022 still lists the 17 districts abolished in April
2023. Matching goes by code where there is one, by normalised name otherwise, then through a
documented alias table and a successor table; whatever stays unmatched is reported on both
sides, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..boundaries import Boundaries

__all__ = [
    "LAD_SUCCESSORS_2023",
    "LEP_ALIASES",
    "ZoneMatch",
    "normalise_label",
    "match_zones",
    "aggregate_by_lookup",
]

#: Districts abolished on 1 April 2023 → their unitary successor (LAD 2023/2024 code, name).
#: Source: The Cumbria, North Yorkshire and Somerset (Structural Changes) Orders 2022.
LAD_SUCCESSORS_2023: dict[str, tuple[str, str]] = {
    **dict.fromkeys(["Allerdale", "Carlisle", "Copeland"], ("E06000063", "Cumberland")),
    **dict.fromkeys(
        ["Barrow-in-Furness", "Eden", "South Lakeland"], ("E06000064", "Westmorland and Furness")
    ),
    **dict.fromkeys(
        ["Craven", "Hambleton", "Harrogate", "Richmondshire", "Ryedale", "Scarborough", "Selby"],
        ("E06000065", "North Yorkshire"),
    ),
    **dict.fromkeys(
        ["Mendip", "Sedgemoor", "Somerset West and Taunton", "South Somerset"],
        ("E06000066", "Somerset"),
    ),
}

#: Nomis LEP labels that differ from the ONS LEP 2021 names (Nomis label → ONS name).
LEP_ALIASES: dict[str, str] = {
    "Hull and East Riding": "Hull and East Yorkshire",
    "Buckinghamshire Thames Valley": "Buckinghamshire",
}

_GSS = re.compile(r"^[EWSNKLM]\d{8}$")


def normalise_label(label: object) -> str:
    """Compare-friendly form of an area name.

    Examples
    --------
    >>> normalise_label("Bristol, City of")
    'bristol city of'
    >>> normalise_label("Greater Cambridge & Greater Peterborough")
    'greater cambridge and greater peterborough'
    """
    s = str(label).strip().lower().replace("&", " and ")
    s = re.sub(r"[^0-9a-z]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


@dataclass(frozen=True)
class ZoneMatch:
    """Values of a table carried onto polygons by code or name.

    Attributes
    ----------
    values : pandas.DataFrame
        Indexed by polygon id (every polygon; NaN where no row matched).
    matches : pandas.DataFrame
        ``label``, ``id``, ``via`` (``code``, ``name``, ``alias``, ``successor``).
    unmatched_labels : list of str
        Table rows that reached no polygon (e.g. Scottish areas against English LADs).
    unmatched_zones : list of str
        Polygons no table row reached.
    """

    values: pd.DataFrame
    matches: pd.DataFrame
    unmatched_labels: list[str] = field(default_factory=list)
    unmatched_zones: list[str] = field(default_factory=list)

    def report(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {
            "matched_rows": int(len(self.matches)),
            "matched_by": {str(k): int(v) for k, v in self.matches["via"].value_counts().items()},
            "unmatched_labels": self.unmatched_labels,
            "unmatched_zones": self.unmatched_zones,
            "merged_into_successors": {
                str(k): sorted(g["label"])
                for k, g in self.matches[self.matches["via"] == "successor"].groupby("id")
            },
        }


def match_zones(
    table: pd.DataFrame | pd.Series,
    zones: Boundaries,
    *,
    aliases: Mapping[str, str] | None = None,
    successors: Mapping[str, tuple[str, str]] | None = None,
    what: str | None = None,
) -> ZoneMatch:
    """Match table rows (indexed by area code or label) to boundary polygons.

    Parameters
    ----------
    table : pandas.DataFrame or pandas.Series
        Numeric values indexed by area code or name; duplicate labels are an error.
    zones : Boundaries
        The polygons (their ``id`` is a code, their ``name`` a label).
    aliases : mapping, optional
        Table label → polygon name, for names that differ between publishers.
    successors : mapping, optional
        Table label (or code) → (successor code, successor name): rows of predecessors are
        summed into their successor (extensive values only).
    what : str, optional
        The table's file (and sheet), named in errors.

    Returns
    -------
    ZoneMatch
    """
    frame = table.to_frame() if isinstance(table, pd.Series) else table
    labels = [str(i) for i in frame.index]
    seen = pd.Series(labels).value_counts()
    dup = sorted(seen.index[seen > 1])
    if dup:
        from ..errors import SchemaError

        where = f"{what}: " if what else ""
        raise SchemaError(
            f"{where}the table repeats the areas {dup[:10]}; keep one row per area (or choose "
            "the key column with --key)."
        )
    ids = [str(i) for i in zones.ids]
    by_code = {i: i for i in ids}
    by_name = {normalise_label(n): i for n, i in zip(zones.names, ids, strict=True)}
    alias_n = {normalise_label(k): normalise_label(v) for k, v in (aliases or {}).items()}
    succ = {normalise_label(k): v for k, v in (successors or {}).items()}
    succ.update({k: v for k, v in (successors or {}).items() if _GSS.match(k)})
    rows = []
    unmatched = []
    for lab in labels:
        n = normalise_label(lab)
        if lab in by_code:
            rows.append((lab, lab, "code"))
        elif n in by_name:
            rows.append((lab, by_name[n], "name"))
        elif n in alias_n and alias_n[n] in by_name:
            rows.append((lab, by_name[alias_n[n]], "alias"))
        elif (n in succ or lab in succ) and (succ.get(n) or succ[lab])[0] in by_code:
            rows.append((lab, (succ.get(n) or succ[lab])[0], "successor"))
        else:
            unmatched.append(lab)
    matches = pd.DataFrame(rows, columns=["label", "id", "via"])
    num = frame.apply(pd.to_numeric, errors="coerce")
    num.index = labels
    vals = num.loc[matches["label"]].copy()
    vals.index = matches["id"].to_numpy()
    # sum predecessors; NaN only when every contributor is NaN
    values = vals.groupby(level=0).sum(min_count=1).reindex(ids)
    reached = set(matches["id"])
    return ZoneMatch(
        values=values,
        matches=matches,
        unmatched_labels=unmatched,
        unmatched_zones=[i for i in ids if i not in reached],
    )


def aggregate_by_lookup(
    values: pd.Series | pd.DataFrame,
    lookup: pd.DataFrame,
    *,
    source: str,
    targets: Sequence[str],
) -> pd.DataFrame:
    """Sum values of source codes into target codes through a lookup table.

    A source listed under several target columns (a LAD in two LEPs: ``LEP21CD1``,
    ``LEP21CD2``) counts fully in each, as the publishers do.

    Parameters
    ----------
    values : pandas.Series or pandas.DataFrame
        Indexed by source code.
    lookup : pandas.DataFrame
        One row per source code.
    source : str
        Source code column of ``lookup``.
    targets : sequence of str
        Target code columns of ``lookup`` (empty cells ignored).

    Returns
    -------
    pandas.DataFrame
        Indexed by target code; column ``sources`` counts the contributing source codes.
    """
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    long = lookup.melt(id_vars=[source], value_vars=list(targets), value_name="target")
    long = long.dropna(subset=["target"])
    long = long[long["target"].astype(str).str.strip() != ""]
    joined = long.merge(frame, left_on=source, right_index=True, how="left")
    cols = list(frame.columns)
    out = joined.groupby("target")[cols].sum(min_count=1)
    out["sources"] = joined.groupby("target")[source].nunique()
    return out
