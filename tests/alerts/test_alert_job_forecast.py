"""The degradation forecast from analytics to a service ticket, on a real TimescaleDB.

Line 1's filler and capper run from 04:58, sampled every 30 s; a cycle at 06:30 learns
their first models. From 07:00 the filler's bearing wears: its temperature and
vibration climb four of their normal spreads an hour, toward limits six spreads up.
At 08:15 analytics stores each machine's outlook (the trend over the latest two hours
then puts the filler past the onset band of three spreads), and the alert cycle warns
that the filler will reach its limit.
"""

from __future__ import annotations

import numpy as np
import pytest

from alerts.alert_job import AlertReport, run_alert_cycle
from alerts.anomaly_rules import SustainedAnomalyRule
from analytics.analytics_job import run_analytics_cycle
from models.alerts import Alert
from models.condition_forecast import HealthForecast
from models.plant import Plant
from models.readings import Reading
from models.tickets import Channel, Ticket, TicketType
from storage.alert_store import list_alerts
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER, CustomerScope
from storage.forecast_store import latest_forecasts
from storage.ticket_store import list_tickets, ticket_events
from tests.analytics.late_telemetry import FIRST_MODEL_AT, write
from tests.analytics.telemetry_factories import at, condition_model, running, script_readings

pytestmark = pytest.mark.integration

NOW = at(8, 15)
WEAR_FROM = at(7)
BEARING_SIGNALS = {"vibration_rms", "bearing_temp"}
PREDICTED = "predicted_limit"


def _morning(machine_id: str, seed: int, *, wear: bool) -> list[Reading]:
    return script_readings(
        machine_id,
        [running(at(4, 58), NOW)],
        products=[(at(4, 58), 1)],
        condition=condition_model(
            np.random.default_rng(seed), wear_from=WEAR_FROM if wear else None
        ),
    )


@pytest.fixture
async def outlooks(db_pool: Pool, plant: Plant) -> dict[str, HealthForecast]:
    """The morning analysed: first models at 06:30, scores and outlooks at 08:15."""
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    await write(
        db_pool,
        [*_morning("l1-filler", 1, wear=True), *_morning("l1-capper", 2, wear=False)],
    )
    learned = await run_analytics_cycle(db_pool, plant, now=FIRST_MODEL_AT)
    assert set(learned.models_trained) == {"l1-filler", "l1-capper"}
    await run_analytics_cycle(db_pool, plant, now=NOW)
    async with db_pool.connection() as conn:
        return await latest_forecasts(
            conn, machine_ids=["l1-filler", "l1-capper"], scope=EVERY_CUSTOMER
        )


async def _alerts_and_tickets(pool: Pool) -> tuple[list[Alert], list[Ticket]]:
    async with pool.connection() as conn:
        return (
            await list_alerts(conn, scope=CustomerScope(customer_id="nordbrau")),
            await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau")),
        )


def _time_to_limit(outlook: HealthForecast) -> str:
    """The sentence naming the soonest signal's time to its limit."""
    soonest = outlook.soonest()
    assert soonest is not None
    return soonest.sentence()


async def test_analytics_stores_an_outlook_with_a_time_to_limit_for_the_wearing_machine(
    outlooks: dict[str, HealthForecast],
) -> None:
    filler, capper = outlooks["l1-filler"], outlooks["l1-capper"]
    # The last complete observation ended a minute before 08:15.
    assert filler.computed_at == at(8, 14)
    soonest = filler.soonest()
    assert soonest is not None
    assert soonest.signal in BEARING_SIGNALS
    assert soonest.rising
    assert soonest.hours_to_limit is not None and 0 < soonest.hours_to_limit < 12
    assert filler.health_index > 0.5
    # The healthy capper is heading nowhere.
    assert capper.soonest() is None
    assert capper.health_index < filler.health_index


async def test_the_forecast_alert_joins_the_ticket_of_the_open_anomaly_alert(
    db_pool: Pool, plant: Plant, outlooks: dict[str, HealthForecast]
) -> None:
    report = await run_alert_cycle(db_pool, plant, now=NOW)

    alerts, tickets = await _alerts_and_tickets(db_pool)
    by_rule = {a.rule: a for a in alerts}
    assert set(by_rule) == {"sustained_anomaly", PREDICTED}
    assert {a.machine_id for a in alerts} == {"l1-filler"}
    predicted = by_rule[PREDICTED]
    assert set(report.opened) == {a.id for a in alerts}
    # One fault, one ticket: the forecast joins the anomaly alert's.
    (ticket,) = tickets
    assert predicted.ticket_id == by_rule["sustained_anomaly"].ticket_id == ticket.id
    sentence = _time_to_limit(outlooks["l1-filler"])
    assert sentence in predicted.message
    async with db_pool.connection() as conn:
        events = await ticket_events(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER)
    assert [e.at for e in events if e.note and sentence in e.note] == [NOW]


async def test_a_forecast_alone_opens_a_preventive_maintenance_ticket_naming_the_time_to_limit(
    db_pool: Pool, plant: Plant, outlooks: dict[str, HealthForecast]
) -> None:
    # The sustained-anomaly rule here waits for longer than the wear has lasted, so the
    # forecast is the first warning on the filler.
    patient = SustainedAnomalyRule(raise_after=190)

    report = await run_alert_cycle(db_pool, plant, now=NOW, rule=patient)
    again = await run_alert_cycle(db_pool, plant, now=NOW, rule=patient)

    alerts, tickets = await _alerts_and_tickets(db_pool)
    (alert,), (ticket,) = alerts, tickets
    assert (alert.rule, alert.machine_id, alert.ticket_id) == (PREDICTED, "l1-filler", ticket.id)
    assert report == AlertReport(opened=(alert.id,), tickets=(ticket.number,))
    assert again == AlertReport(updated=(alert.id,))
    draft = ticket.draft
    assert (draft.ticket_type, draft.channel) == (
        TicketType.PREVENTIVE_MAINTENANCE,
        Channel.AUTOMATIC_WARNING,
    )
    assert draft.alert_id == alert.id
    sentence = _time_to_limit(outlooks["l1-filler"])
    assert sentence in draft.summary
    assert sentence in draft.symptoms
    assert draft.signals == (alert.signals[0],)
    assert alert.signals[0] in BEARING_SIGNALS
