"""The join's tally is a function of arrays: batches combine to the whole, exactly."""

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geodistrict.join.tally as tally_module
from geodistrict import PointLayer, join_points, prepare_boundaries
from geodistrict.crs import BNG
from geodistrict.errors import ParameterError
from geodistrict.join.tally import MULTI, JoinTally, multi_combos, status_counts, weight_sums
from geodistrict.layers import LayerInfo


def _layer(df: pd.DataFrame) -> PointLayer:
    return PointLayer(
        x=df["easting"].to_numpy(float),
        y=df["northing"].to_numpy(float),
        crs=BNG,
        attributes=df.reset_index(drop=True),
        info=LayerInfo(name="pts", source="hand-drawn", id_field="pid"),
    )


def test_tally_never_imports_points():
    tree = ast.parse(Path(tally_module.__file__).read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    }
    assert "points" not in imported


def test_tally_of_batches_equals_tally_of_whole(squares, square_points):
    b = prepare_boundaries(squares)
    pts = square_points.assign(row=range(len(square_points)), staff=np.arange(len(square_points)))
    whole = join_points(_layer(pts), b).tally(weights=["staff"])
    parts = [join_points(_layer(part), b).tally(weights=["staff"]) for part in (pts[:4], pts[4:])]
    combined = JoinTally.combine(parts)
    assert combined.counts.tolist() == whole.counts.tolist()
    assert combined.status.tolist() == whole.status.tolist()
    assert combined.multi == whole.multi
    assert combined.sums["staff"].tolist() == whole.sums["staff"].tolist()


def test_array_helpers_by_hand():
    # points 0 and 1 in boundary 0; point 1 also in boundary 1 (multi); point 2 nowhere
    point, polygon = np.array([0, 1, 1]), np.array([0, 0, 1])
    status = np.array([1, MULTI, 0])
    assert multi_combos(point, polygon, status) == {(0, 1): 1}
    sums, missing = weight_sums(pd.Series([2.0, 3.0, None]), point, polygon, 2)
    assert sums.tolist() == [5.0, 3.0] and missing == 0
    assert status_counts(np.bincount(status, minlength=4), 4, 1) == {
        "input": 4,
        "matched": 1,
        "multi": 1,
        "unmatched": 1,
        "rejected": 1,
        "snapped": 0,
    }


def test_grid_assign_checks_lengths():
    import shapely

    from geodistrict.join.grid import polygon_grid

    grid = polygon_grid(np.array([shapely.box(0, 0, 1, 1)]), side=16)
    with pytest.raises(ValueError, match="one y per x"):
        grid.assign(np.array([0.5, 0.5]), np.array([0.5]))
    with pytest.raises(ParameterError):
        grid.assign(np.array([0.5, 0.5]), np.array([0.5]))
