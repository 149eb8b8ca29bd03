"""SLA deadlines: what the service desk promises the customer from the time received."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from alerts.sla_deadlines import add_working_days, sla_deadlines
from models.plant import Contract, Plant, Severity, SlaTerms

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY = datetime(2026, 1, 9, 9, 30, tzinfo=BERLIN)


def test_general_fault_on_friday_gets_an_engineer_by_wednesday() -> None:
    deadlines = sla_deadlines(Contract(number="SC-1"), Severity.GENERAL, received_at=FRIDAY)

    assert deadlines.response_due == datetime(2026, 1, 9, 11, 30, tzinfo=BERLIN)
    assert deadlines.arrival_due == datetime(2026, 1, 14, 9, 30, tzinfo=BERLIN)
    assert deadlines.resolution_due == datetime(2026, 1, 12, 9, 30, tzinfo=BERLIN)


def test_a_weekend_request_counts_from_the_next_working_day() -> None:
    saturday = datetime(2026, 1, 10, 15, 0, tzinfo=BERLIN)

    due = add_working_days(saturday, 3, (1, 2, 3, 4, 5))

    assert due == datetime(2026, 1, 14, 15, 0, tzinfo=BERLIN)


def test_site_holidays_do_not_count_as_working_days() -> None:
    christmas = (date(2026, 12, 24), date(2026, 12, 25))
    tuesday = datetime(2026, 12, 22, 10, 0, tzinfo=BERLIN)

    due = add_working_days(tuesday, 3, (1, 2, 3, 4, 5), christmas)

    # Wed 23rd counts, Thu 24th and Fri 25th are holidays, the weekend never
    # counts: Mon 28th and Tue 29th make three.
    assert due == datetime(2026, 12, 29, 10, 0, tzinfo=BERLIN)


def test_contract_working_days_decide_which_days_count() -> None:
    six_day_week = Contract(number="SC-2", working_days=(1, 2, 3, 4, 5, 6))

    deadlines = sla_deadlines(six_day_week, Severity.GENERAL, received_at=FRIDAY)

    assert deadlines.arrival_due == datetime(2026, 1, 13, 9, 30, tzinfo=BERLIN)


def test_contract_override_of_serious_is_used(plant: Plant) -> None:
    nordbrau = plant.placement_of("l1-filler").customer.contract

    deadlines = sla_deadlines(nordbrau, Severity.SERIOUS, received_at=FRIDAY)

    assert deadlines.response_due == datetime(2026, 1, 9, 10, 0, tzinfo=BERLIN)
    assert deadlines.arrival_due == datetime(2026, 1, 9, 21, 30, tzinfo=BERLIN)
    assert deadlines.resolution_due == datetime(2026, 1, 10, 21, 30, tzinfo=BERLIN)


def test_grades_the_contract_does_not_override_keep_the_defaults(plant: Plant) -> None:
    nordbrau = plant.placement_of("l1-filler").customer.contract

    deadlines = sla_deadlines(nordbrau, Severity.MAJOR, received_at=FRIDAY)

    assert deadlines.response_due == datetime(2026, 1, 9, 10, 30, tzinfo=BERLIN)
    assert deadlines.arrival_due == datetime(2026, 1, 9, 19, 30, tzinfo=BERLIN)


def test_minor_faults_have_no_arrival_deadline() -> None:
    deadlines = sla_deadlines(Contract(number="SC-3"), Severity.MINOR, received_at=FRIDAY)

    assert deadlines.arrival_due is None
    assert deadlines.resolution_due == datetime(2026, 1, 16, 9, 30, tzinfo=BERLIN)


def test_clock_hours_are_real_hours_across_a_daylight_saving_change() -> None:
    # Clocks go forward at 02:00 on 29 March 2026 in Berlin: that night has 23 hours.
    evening = datetime(2026, 3, 28, 20, 0, tzinfo=BERLIN)

    deadlines = sla_deadlines(Contract(number="SC-4"), Severity.SERIOUS, received_at=evening)

    assert deadlines.arrival_due == datetime(2026, 3, 29, 21, 0, tzinfo=BERLIN)


def test_clock_hours_win_when_a_contract_promises_both() -> None:
    both = SlaTerms(response_hours=1, arrival_hours=8, arrival_working_days=2, resolution_hours=24)
    contract = Contract(number="SC-5", sla={Severity.GENERAL: both})

    deadlines = sla_deadlines(contract, Severity.GENERAL, received_at=FRIDAY)

    assert deadlines.arrival_due == datetime(2026, 1, 9, 17, 30, tzinfo=BERLIN)


def test_a_time_without_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        sla_deadlines(Contract(number="SC-6"), Severity.GENERAL, received_at=datetime(2026, 1, 9))
