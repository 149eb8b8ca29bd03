"""Point-wise F1, false- and missed-alarm rates, and the NAB change-point score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from evaluation.detection_metrics import (
    NAB_STANDARD,
    NabTally,
    PointCounts,
    nab_tally,
    point_counts,
)

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
WINDOW = timedelta(hours=1)


def test_point_counts_tally_each_kind_of_row() -> None:
    predicted = np.array([True, True, False, False, True, False])
    labels = np.array([True, False, True, False, True, False])

    assert point_counts(predicted, labels) == PointCounts(tp=2, fp=1, fn=1, tn=2)


def test_f1_far_and_mar_from_counts() -> None:
    counts = PointCounts(tp=6, fp=2, fn=4, tn=88)

    # F1 = tp / (tp + (fp + fn) / 2) = 6 / 9.
    assert counts.f1 == pytest.approx(6 / 9)
    assert counts.far == pytest.approx(2 / 90)
    assert counts.mar == pytest.approx(4 / 10)


def test_counts_of_several_histories_add_up() -> None:
    total = PointCounts(1, 2, 3, 4) + PointCounts(10, 20, 30, 40)

    assert total == PointCounts(11, 22, 33, 44)


def test_empty_counts_give_zero_rates_not_errors() -> None:
    assert (PointCounts().f1, PointCounts().far, PointCounts().mar) == (0.0, 0.0, 0.0)


def test_a_detection_at_a_windows_start_earns_a_true_positive() -> None:
    tally = nab_tally([T0], [T0], window=WINDOW)

    assert tally.score == pytest.approx(NAB_STANDARD.true_positive)
    assert tally.normalised() == pytest.approx(100.0)


def test_a_later_detection_in_the_window_earns_less() -> None:
    early = nab_tally([T0 + WINDOW / 4], [T0], window=WINDOW).score
    late = nab_tally([T0 + WINDOW * 3 / 4], [T0], window=WINDOW).score

    assert NAB_STANDARD.true_positive > early > late > NAB_STANDARD.false_positive


def test_only_the_first_detection_in_a_window_counts() -> None:
    once = nab_tally([T0], [T0], window=WINDOW)
    twice = nab_tally([T0, T0 + timedelta(minutes=5)], [T0], window=WINDOW)

    assert twice == once


def test_a_detection_outside_every_window_costs_a_false_positive() -> None:
    hit = nab_tally([T0], [T0], window=WINDOW)

    with_false = nab_tally([T0 - timedelta(hours=3), T0], [T0], window=WINDOW)

    assert with_false.score == pytest.approx(hit.score + NAB_STANDARD.false_positive)


def test_a_missed_window_costs_a_false_negative() -> None:
    tally = nab_tally([], [T0, T0 + timedelta(hours=5)], window=WINDOW)

    assert tally == NabTally(
        score=2 * NAB_STANDARD.false_negative,
        perfect=2 * NAB_STANDARD.true_positive,
        null=2 * NAB_STANDARD.false_negative,
    )
    assert tally.normalised() == 0.0


def test_normalised_score_of_several_histories() -> None:
    found = nab_tally([T0], [T0], window=WINDOW)
    missed = nab_tally([], [T0], window=WINDOW)

    assert (found + missed).normalised() == pytest.approx(50.0)
