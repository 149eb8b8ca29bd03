"""Intake, pure: warranty from the line with downtime extension, the record, the read-back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from alerts.ticket_intake import (
    IntakeError,
    confirmation_notice,
    draft_from_request,
    placement_for,
    warranty_status,
)
from models.intervals import Interval
from models.plant import Plant, Severity
from models.tickets import (
    Channel,
    Ticket,
    TicketRequest,
    TicketStatus,
    TicketType,
    WarrantyStatus,
)

RECEIVED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
REQUEST = TicketRequest(
    line_id="line-1",
    machine_id="l1-filler",
    channel=Channel.EMAIL,
    ticket_type=TicketType.CONSULTATION,
    severity=Severity.MINOR,
    summary="How often should the filler valves be greased?",
    symptoms="",
)
IN_WARRANTY = WarrantyStatus(under_warranty=True, ends_on=date(2026, 3, 14), extended_by_days=0)


def test_warranty_runs_twelve_months_from_acceptance(plant: Plant) -> None:
    line = plant.placement_of("l1-filler").line  # accepted 2025-03-14

    inside = warranty_status(line, date(2026, 3, 13), downtime=(), timezone="Europe/Berlin")
    outside = warranty_status(line, date(2026, 3, 14), downtime=(), timezone="Europe/Berlin")

    assert inside.under_warranty and inside.ends_on == date(2026, 3, 14)
    assert not outside.under_warranty


def test_downtime_during_the_warranty_extends_it_by_whole_days(plant: Plant) -> None:
    line = plant.placement_of("l1-filler").line
    breakdown = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    # Two machines down at once count once: 30 h of line downtime make two days.
    stops = [
        Interval(breakdown, breakdown + timedelta(hours=30)),
        Interval(breakdown + timedelta(hours=2), breakdown + timedelta(hours=10)),
        Interval(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 9, tzinfo=UTC)),
    ]

    status = warranty_status(line, date(2026, 3, 15), downtime=stops, timezone="Europe/Berlin")

    assert status.extended_by_days == 2
    assert status.ends_on == date(2026, 3, 16)
    assert status.under_warranty


def test_an_extension_that_reaches_more_downtime_extends_again(plant: Plant) -> None:
    line = plant.placement_of("l1-filler").line
    end = datetime(2026, 3, 13, 23, 0, tzinfo=UTC)  # 00:00 on the 14th in Berlin
    stops = [
        Interval(datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 6, 2, tzinfo=UTC)),
        Interval(end + timedelta(hours=2), end + timedelta(hours=20)),
    ]

    status = warranty_status(line, date(2026, 3, 15), downtime=stops, timezone="Europe/Berlin")

    assert status.extended_by_days == 2
    assert status.ends_on == date(2026, 3, 16)


def test_the_record_takes_the_contract_and_the_customers_contact(plant: Plant) -> None:
    placement = placement_for(plant, REQUEST)

    draft = draft_from_request(
        REQUEST, placement, received_at=RECEIVED, warranty=IN_WARRANTY, created_by="desk-1"
    )

    assert (draft.customer_id, draft.contract_number) == ("nordbrau", "SC-2025-0042")
    assert (draft.contact_name, draft.contact_phone) == ("Anna Keller", "+49 40 555 0101")
    assert draft.received_at.utcoffset() == timedelta(hours=1)  # the site's zone
    assert draft.deadlines.response_due == RECEIVED + timedelta(hours=24)
    assert draft.under_warranty and draft.warranty_override_reason is None


def test_a_machine_of_another_line_is_refused(plant: Plant) -> None:
    with pytest.raises(IntakeError, match="stands in line 'line-3', not 'line-1'"):
        placement_for(plant, TicketRequest(**{**_fields(REQUEST), "machine_id": "l3-sealer"}))


def test_the_notice_has_no_arrival_promise_when_the_grade_has_none(plant: Plant) -> None:
    placement = placement_for(plant, REQUEST)
    draft = draft_from_request(
        REQUEST, placement, received_at=RECEIVED, warranty=IN_WARRANTY, created_by="desk-1"
    )

    notice = confirmation_notice(
        Ticket(7, "LC-2026-000007", TicketStatus.REGISTERED, draft), placement
    )

    assert "engineer on site" not in notice
    assert "inside the warranty (parts and labour free of charge)" in notice
    assert "recorded it as consultation, grade minor" in notice
    assert "received 02 Mar 2026 13:00 (Europe/Berlin) by email" in notice


def _fields(request: TicketRequest) -> dict[str, Any]:
    return {name: getattr(request, name) for name in request.__slots__}
