"""Retries back off exponentially up to a cap, then give up; skipped is not failed."""

from __future__ import annotations

from datetime import timedelta

from models.notifications import AttemptOutcome, DeliveryStatus, RetryPolicy
from notifications.delivery_backoff import next_step, retry_delay
from tests.notifications.factories import AT

POLICY = RetryPolicy(
    max_attempts=5, first_delay=timedelta(seconds=30), max_delay=timedelta(minutes=3)
)
FAILED = AttemptOutcome(delivered=False, status_code=503, error="the receiver answered 503")


def test_the_delay_doubles_up_to_the_cap() -> None:
    delays = [retry_delay(POLICY, n).total_seconds() for n in range(1, 7)]
    assert delays == [30, 60, 120, 180, 180, 180]


def test_a_failure_is_retried_until_the_last_attempt() -> None:
    assert next_step(POLICY, FAILED, attempts=2, now=AT) == (
        DeliveryStatus.PENDING,
        AT + timedelta(seconds=60),
    )
    assert next_step(POLICY, FAILED, attempts=5, now=AT) == (DeliveryStatus.FAILED, None)


def test_delivered_and_skipped_are_final() -> None:
    assert next_step(POLICY, AttemptOutcome(delivered=True), attempts=1, now=AT) == (
        DeliveryStatus.DELIVERED,
        None,
    )
    skipped = AttemptOutcome(delivered=False, skipped=True, error="no SMTP server")
    assert next_step(POLICY, skipped, attempts=1, now=AT) == (DeliveryStatus.SKIPPED, None)


def test_a_huge_attempt_count_does_not_overflow() -> None:
    assert retry_delay(POLICY, 10_000) == POLICY.max_delay
