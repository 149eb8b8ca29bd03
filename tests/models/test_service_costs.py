"""A ticket's cost items priced from its contract, what the customer is charged, and the
service cost KPIs split by warranty and billable work."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from models.parts import Money
from models.plant import ContractPricing
from models.service_costs import (
    CostDimension,
    CostedTicket,
    CostEntry,
    CostEntryDraft,
    CostKind,
    PartUse,
    ReportVisit,
    TicketCostFacts,
    cost_items,
    service_cost_kpis,
    sum_money,
    ticket_costs,
)
from models.service_kpis import GroupKey

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PER_KM = ContractPricing(
    currency="EUR",
    labour_rate_per_hour=Decimal("98"),
    travel_rate_per_hour=Decimal("65"),
    travel_rate_per_km=Decimal("0.65"),
    parts_markup_percent=Decimal("15"),
)
FLAT = ContractPricing(
    currency="CHF", labour_rate_per_hour=Decimal("135"), travel_flat_per_trip=Decimal("420")
)
D = Decimal


def entry(ticket: int = 1, **changes: object) -> CostEntry:
    draft: dict[str, object] = {
        "work_date": date(2026, 3, 2),
        "engineer": "demo-field-1",
        "labour_hours": D("3.5"),
        "travel_hours": D("1.5"),
        "travel_km": D("120"),
    }
    return CostEntry(1, ticket, CostEntryDraft(**(draft | changes)), "demo-desk", T0)  # type: ignore[arg-type]


def bearing(units: int = 1, at: datetime = T0) -> PartUse:
    return PartUse("FIL12-BRG-KIT", "bearing kit", units, Money(D("1480.00"), "EUR"), at)


def facts(**changes: object) -> TicketCostFacts:
    base: dict[str, object] = {"ticket_id": 1, "under_warranty": False, "pricing": PER_KM}
    return TicketCostFacts(**(base | changes))  # type: ignore[arg-type]


def test_billable_work_is_priced_from_the_contract() -> None:
    costs = ticket_costs(facts(entries=[entry()], parts=[bearing()]), zone=BERLIN)
    by_kind = {item.kind: item for item in costs.items}
    assert by_kind[CostKind.LABOUR].price == Money(D("343.00"), "EUR")  # 3.5 h x 98
    assert by_kind[CostKind.TRAVEL].price == Money(D("175.50"), "EUR")  # 1.5 x 65 + 120 x 0.65
    assert by_kind[CostKind.PARTS].cost == Money(D("1480.00"), "EUR")
    assert by_kind[CostKind.PARTS].price == Money(D("1702.00"), "EUR")  # + 15 %
    assert costs.totals.value == (Money(D("2220.50"), "EUR"),)
    assert costs.charged == costs.totals.value
    assert (costs.totals.labour_hours, costs.totals.trips, costs.totals.parts_units) == (
        D("3.5"),
        1,
        1,
    )
    assert not costs.labour_estimated


def test_warranty_work_is_free_to_the_customer_but_keeps_its_value() -> None:
    costs = ticket_costs(
        facts(under_warranty=True, entries=[entry()], parts=[bearing()]), zone=BERLIN
    )
    assert costs.charged == ()
    assert costs.totals.value == (Money(D("2220.50"), "EUR"),)
    assert costs.totals.parts_cost == (Money(D("1480.00"), "EUR"),)


def test_a_flat_fee_contract_charges_each_trip_the_fee() -> None:
    entries = [entry(), entry(work_date=date(2026, 3, 3), labour_hours=D("2"), travel_km=D("5"))]
    costs = ticket_costs(facts(pricing=FLAT, entries=entries), zone=BERLIN)
    travel = [i for i in costs.items if i.kind is CostKind.TRAVEL]
    assert [i.price for i in travel] == [Money(D("420.00"), "CHF")] * 2
    assert costs.totals.value == (Money(D("5.5") * 135 + 840, "CHF"),)


def test_an_entry_without_travel_is_no_trip() -> None:
    costs = ticket_costs(facts(entries=[entry(travel_hours=D(0), travel_km=D(0))]), zone=BERLIN)
    assert costs.totals.trips == 0
    assert [i.kind for i in costs.items] == [CostKind.LABOUR]


def test_without_entries_the_report_time_on_site_stands_in() -> None:
    report = ReportVisit(arrived_at=T0, restored_at=T0 + timedelta(hours=2, minutes=20))
    costs = ticket_costs(facts(pricing=FLAT, report=report), zone=BERLIN)
    labour, travel = sorted(costs.items, key=lambda i: i.kind)
    assert labour.kind is CostKind.LABOUR and labour.estimated
    assert labour.hours == D("2.3")
    assert labour.price == Money(D("310.50"), "CHF")
    assert travel.trips == 1 and travel.price == Money(D("420.00"), "CHF")
    assert costs.labour_estimated
    # Recorded labour replaces the estimate.
    recorded = ticket_costs(facts(pricing=FLAT, report=report, entries=[entry()]), zone=BERLIN)
    assert not recorded.labour_estimated
    assert recorded.totals.labour_hours == D("3.5")


def test_travel_charged_by_time_and_distance_is_flagged_not_priced_at_nothing() -> None:
    report = ReportVisit(arrived_at=T0, restored_at=T0 + timedelta(hours=2))
    costs = ticket_costs(facts(report=report), zone=BERLIN)  # per hour and km
    assert [i.kind for i in costs.items] == [CostKind.LABOUR]
    assert costs.travel_unrecorded
    recorded = ticket_costs(facts(report=report, entries=[entry()]), zone=BERLIN)
    assert not recorded.travel_unrecorded
    assert not ticket_costs(facts(pricing=FLAT, report=report), zone=BERLIN).travel_unrecorded


def test_a_remote_fix_has_no_visit_to_estimate() -> None:
    costs = ticket_costs(facts(report=ReportVisit(None, T0)), zone=BERLIN)
    assert costs.items == ()
    assert costs.totals.value == ()


def test_parts_returned_unused_come_off_and_currencies_stay_apart() -> None:
    gripper = PartUse("PK9-GRIPPER", "gripper", 1, Money(D("3400"), "CHF"), T0)
    uses = [bearing(2), bearing(-1), gripper]
    costs = ticket_costs(facts(parts=uses), zone=BERLIN)
    assert costs.totals.parts_units == 2
    assert costs.totals.parts_cost == (Money(D("3400.00"), "CHF"), Money(D("1480.00"), "EUR"))
    assert costs.totals.value == (Money(D("3910.00"), "CHF"), Money(D("1702.00"), "EUR"))


def test_items_fall_on_their_day_in_the_zone() -> None:
    late = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 00:30 on 1 April in Berlin
    (item,) = cost_items(facts(parts=[bearing(at=late)]), zone=BERLIN)
    assert item.day == date(2026, 4, 1)


def test_sum_money_adds_per_currency_and_drops_zero() -> None:
    assert sum_money(
        [Money(D(1), "EUR"), Money(D(2), "CHF"), Money(D(3), "EUR"), Money(D(0), "USD")]
    ) == (Money(D(2), "CHF"), Money(D(4), "EUR"))


NORDBRAU = GroupKey("nordbrau", "Nordbrau")
ALPENPACK = GroupKey("alpenpack", "Alpenpack")


def costed(ticket: int, warranty: bool, customer: GroupKey, *entries: CostEntry) -> CostedTicket:
    pricing = PER_KM if customer is NORDBRAU else FLAT
    items = cost_items(
        facts(ticket_id=ticket, under_warranty=warranty, pricing=pricing, entries=entries),
        zone=BERLIN,
    )
    return CostedTicket(ticket, warranty, customer, GroupKey("FL-3000", "FL-3000"), tuple(items))


def test_kpis_split_warranty_and_billable_per_customer() -> None:
    tickets = [
        costed(1, True, NORDBRAU, entry(1)),
        costed(2, False, NORDBRAU, entry(2, labour_hours=D(1), travel_hours=D(0), travel_km=D(0))),
        costed(3, False, ALPENPACK, entry(3)),
    ]
    kpis = service_cost_kpis(
        tickets,
        first_day=date(2026, 3, 1),
        last_day=date(2026, 3, 31),
        dimension=CostDimension.CUSTOMER,
    )
    assert [g.key for g in kpis.groups] == [ALPENPACK, NORDBRAU]
    nordbrau = kpis.groups[1].split
    assert nordbrau.warranty.tickets == 1 and nordbrau.warranty.labour_hours == D("3.5")
    assert nordbrau.billable.tickets == 1
    assert nordbrau.billable.value == (Money(D("98.00"), "EUR"),)
    assert kpis.total.billable.tickets == 2
    assert kpis.total.billable.value == (
        Money(D("3.5") * 135 + 420, "CHF"),
        Money(D("98.00"), "EUR"),
    )


def test_kpis_by_month_list_every_month_and_only_items_in_range() -> None:
    tickets = [
        costed(1, False, NORDBRAU, entry(1, work_date=date(2026, 1, 15))),
        costed(2, False, NORDBRAU, entry(2, work_date=date(2026, 3, 15))),
        costed(3, False, NORDBRAU, entry(3, work_date=date(2026, 4, 1))),
    ]
    kpis = service_cost_kpis(
        tickets,
        first_day=date(2026, 1, 1),
        last_day=date(2026, 3, 31),
        dimension=CostDimension.MONTH,
    )
    assert [g.key.key for g in kpis.groups] == ["2026-01", "2026-02", "2026-03"]
    assert [g.split.billable.tickets for g in kpis.groups] == [1, 0, 1]
    assert kpis.groups[0].key.label == "Jan 2026"
    assert kpis.total.billable.tickets == 2
