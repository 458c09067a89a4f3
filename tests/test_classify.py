"""The one classification of maps and figures: mapclassify's breaks, GeodistrictError errors."""

import numpy as np
import pytest

mapclassify = pytest.importorskip("mapclassify")

from geodistrict.classify import SCHEMES, classify  # noqa: E402
from geodistrict.errors import EmptyLayerError, GeodistrictError, ParameterError  # noqa: E402

VALUES = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]


@pytest.mark.filterwarnings("ignore:Numba not installed:UserWarning")
@pytest.mark.parametrize("scheme", ["quantiles", "equal_interval", "natural_breaks"])
def test_breaks_and_classes_are_mapclassify_s(scheme):
    expected = getattr(mapclassify, SCHEMES[scheme][0])(np.array(VALUES), k=4)
    c = classify([*VALUES, np.nan], scheme=scheme, k=4)
    assert c.bins.tolist() == expected.bins.tolist()
    assert c.yb.tolist() == [*expected.yb.tolist(), -1]  # a missing value has class -1
    assert c.counts.tolist() == np.bincount(expected.yb).tolist()
    assert c.minimum == 1.0 and c.k == 4 and c.k_requested == c.k_asked == 4


def test_fewer_distinct_values_than_classes_is_said():
    c = classify([2.0, 2.0, 7.0], k=5)
    assert c.k_asked == 2 and c.k_requested == 5
    assert c.notes == ("5 classes asked for, but only 2 distinct values",)


def test_one_value_makes_one_class_in_every_scheme():
    for scheme, (_, takes_k) in SCHEMES.items():
        if not takes_k:
            continue
        c = classify([3.0] * 6, scheme=scheme, k=3, min_k=1)
        assert c.bins.tolist() == [3.0] and c.counts.tolist() == [6], scheme


def test_labels_in_both_styles():
    c = classify([1, 2, 3, 4, 100], scheme="equal_interval", k=2)
    assert c.labels() == ["1 – 50.5", "50.5 – 100"]
    assert c.labels("decimals") == ["1.0 – 50.5", "50.5 – 100.0"]


def test_a_caller_offers_its_own_schemes_and_smallest_k():
    with pytest.raises(ParameterError, match="'quantiles', 'equal_interval'"):
        classify(VALUES, scheme="box_plot", schemes=("quantiles", "equal_interval"))
    with pytest.raises(ParameterError, match="at least 2"):
        classify(VALUES, k=1)
    assert classify(VALUES, k=1, min_k=1).k == 1
    with pytest.raises(ParameterError, match="k=True"):
        classify(VALUES, k=True)


def test_nothing_to_classify_is_an_empty_layer():
    with pytest.raises(EmptyLayerError, match="every value is missing"):
        classify([np.nan, np.nan])
    with pytest.raises(GeodistrictError):
        classify(VALUES, scheme="jenks")
