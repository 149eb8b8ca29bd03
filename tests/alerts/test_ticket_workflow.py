"""Ticket drafts from alerts: who, what, warranty and deadlines, as the service desk sees them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.ticket_workflow import draft_ticket, is_under_warranty, warranty_end
from models.plant import Plant, Severity
from models.tickets import Channel, TicketType
from tests.alerts.factories import FRIDAY_0800, alert_for, episode

BERLIN = ZoneInfo("Europe/Berlin")
RECEIVED = FRIDAY_0800 + timedelta(minutes=20)


def test_a_general_anomaly_drafts_a_general_fault_for_the_customer(plant: Plant) -> None:
    found = episode()

    draft = draft_ticket(alert_for(found), found, plant, received_at=RECEIVED)

    assert draft.summary == (
        "Condition anomaly on Filler (FIL-12, FIL12-88121), line Filling line 1: "
        "vibration RMS, bearing temperature rising"
    )
    assert (draft.customer_id, draft.contract_number, draft.contact_name) == (
        "nordbrau",
        "SC-2025-0042",
        "Anna Keller",
    )
    assert (draft.line_id, draft.machine_model, draft.machine_serial) == (
        "line-1",
        "FIL-12",
        "FIL12-88121",
    )
    assert draft.channel is Channel.AUTOMATIC_WARNING
    assert draft.ticket_type is TicketType.GENERAL_FAULT
    assert draft.severity is Severity.GENERAL
    assert draft.signals == ("vibration_rms", "bearing_temp")
    assert draft.alert_id == 7


def test_deadlines_follow_the_contract_from_the_time_received(plant: Plant) -> None:
    found = episode()

    draft = draft_ticket(alert_for(found), found, plant, received_at=RECEIVED)

    assert draft.received_at == RECEIVED
    assert draft.deadlines.response_due == RECEIVED + timedelta(hours=2)
    # Friday 09:20 in Hamburg; three working days on Nordbrau's Mon-Fri contract.
    assert draft.deadlines.arrival_due == datetime(2026, 1, 14, 9, 20, tzinfo=BERLIN)
    assert draft.deadlines.resolution_due == RECEIVED + timedelta(hours=72)


def test_a_serious_anomaly_is_an_emergency_with_the_contracts_serious_terms(plant: Plant) -> None:
    found = episode(severity=Severity.SERIOUS, peak=0.98, median=0.93)

    draft = draft_ticket(alert_for(found), found, plant, received_at=RECEIVED)

    assert draft.ticket_type is TicketType.EMERGENCY_REPAIR
    assert draft.deadlines.response_due == RECEIVED + timedelta(minutes=30)
    assert draft.deadlines.arrival_due == RECEIVED + timedelta(hours=12)
    assert draft.deadlines.resolution_due == RECEIVED + timedelta(hours=36)


def test_the_symptoms_give_the_figures_in_the_sites_time(plant: Plant) -> None:
    found = episode(peak=0.8, median=0.7)

    symptoms = draft_ticket(alert_for(found), found, plant, received_at=RECEIVED).symptoms

    assert "alert #7" in symptoms
    assert "from 2026-01-09 09:00 to 09:20 CET (20 min, 4 observations)" in symptoms
    assert "peak 0.80, median 0.70 (0 normal, 0.5 limit)" in symptoms
    assert "vibration_rms +4.2, bearing_temp +3.1" in symptoms


def test_warranty_follows_each_lines_acceptance_date(plant: Plant) -> None:
    found = episode()
    new_line = draft_ticket(alert_for(found), found, plant, received_at=RECEIVED)
    old_line = draft_ticket(
        alert_for(found, machine_id="l2-filler"), found, plant, received_at=RECEIVED
    )

    assert new_line.under_warranty
    assert not old_line.under_warranty


def test_the_warranty_ends_on_the_anniversary_of_acceptance(plant: Plant) -> None:
    line = plant.placement_of("l1-filler").line  # accepted 2025-03-14, 12 months

    assert warranty_end(line) == date(2026, 3, 14)
    assert is_under_warranty(line, date(2026, 3, 13))
    assert not is_under_warranty(line, date(2026, 3, 14))


def test_a_warranty_from_a_month_end_ends_on_the_last_day_of_a_shorter_month(
    plant: Plant,
) -> None:
    line = plant.placement_of("l1-filler").line.model_copy(
        update={"acceptance_date": date(2025, 1, 31), "warranty_months": 13}
    )

    assert warranty_end(line) == date(2026, 2, 28)
