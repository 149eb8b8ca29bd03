"""When to try a failed delivery again, and when to give up: exponential backoff."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.notifications import AttemptOutcome, DeliveryStatus, RetryPolicy


def retry_delay(policy: RetryPolicy, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: the first delay, doubled each time, capped."""
    doublings = min(max(attempts - 1, 0), 20)
    delay: timedelta = policy.first_delay * (2**doublings)
    return min(delay, policy.max_delay)


def next_step(
    policy: RetryPolicy, outcome: AttemptOutcome, *, attempts: int, now: datetime
) -> tuple[DeliveryStatus, datetime | None]:
    """Where a delivery stands after its ``attempts``-th try, and when to try next (if ever)."""
    if outcome.delivered:
        return DeliveryStatus.DELIVERED, None
    if outcome.skipped:
        return DeliveryStatus.SKIPPED, None
    if attempts >= policy.max_attempts:
        return DeliveryStatus.FAILED, None
    return DeliveryStatus.PENDING, now + retry_delay(policy, attempts)
