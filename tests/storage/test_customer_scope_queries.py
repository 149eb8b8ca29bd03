"""The first wall of tenant isolation: storage reads apply the customer scope in their own
SQL (storage/customer_scope.py, ``scope_filter``).

Every read here runs on a staff connection, one that row-level security does not
filter, and names another customer's machine, line or ticket: with that other
customer's scope, or everyone's, it returns the rows; with the caller's own scope it
returns nothing. So the emptiness comes from the query's own predicate, not from the
database's second wall, and these tests fail if a predicate is dropped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sized
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from models.knowledge import (
    STAFF_VIEWER,
    Audience,
    EntryContent,
    EntryKind,
    FaultContext,
    KnowledgeQuery,
    Viewer,
)
from models.oee import OeeScope
from models.plant import Plant, Severity
from models.readings import Trend
from models.ticket_evidence import TicketEvidence
from storage import (
    alert_store,
    annotation_store,
    anomaly_store,
    complaint_store,
    condition_model_store,
    condition_scoring_store,
    downtime_store,
    fleet_queries,
    forecast_store,
    knowledge_store,
    machine_status_store,
    notification_store,
    oee_store,
    parts_store,
    plc_event_store,
    reliability_store,
    service_kpi_reader,
    service_report_store,
    telemetry_queries,
    ticket_evidence_store,
    ticket_store,
    trend_queries,
    trend_reader,
    webhook_store,
)
from storage.asset_registry import sync_assets
from storage.connections import Connection, Pool
from storage.customer_scope import (
    CUSTOMER_ROLE,
    EVERY_CUSTOMER,
    CustomerScope,
    is_switched,
    machine_within,
    ticket_within,
)
from storage.trend_cache import TrendCache
from storage.trend_rollups import refresh_machine_rollups
from tests.api.factories import (
    T0,
    insert_alert,
    insert_anomaly_score,
    insert_oee,
    insert_samples,
    insert_series,
    insert_ticket,
    insert_ticket_event,
)

pytestmark = pytest.mark.integration

# Customer THEIRS owns the rows; a caller scoped to OURS names THEIRS' ids.
THEIRS, OURS = "nordbrau", "alpenpack"
LINE, MACHINE = "line-1", "l1-filler"
# The machine's model: only THEIRS owns one (OURS' machines are other models).
MODEL, FAULT_CODE = "FIL-12", 104
SINCE, UNTIL = T0 - timedelta(hours=12), T0 + timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class Seeded:
    pool: Pool
    ticket_id: int
    alert_id: int


@pytest.fixture
async def seeded(db_pool: Pool, plant: Plant) -> Seeded:
    """One row of THEIRS in every table a scoped read serves, written as the login role."""
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await insert_samples(conn, machine_id=MACHINE, signal="bearing_temp", samples=[(T0, 41.0)])
        await insert_anomaly_score(conn, machine_id=MACHINE, time=T0, score=0.5)
        alert_id = await insert_alert(conn, machine_id=MACHINE)
        await insert_oee(conn, scope="machine", subject_id=MACHINE, shift_start=T0)
        await insert_oee(conn, scope="line", subject_id=LINE, shift_start=T0)
        ticket_id = await insert_ticket(conn, customer_id=THEIRS, line_id=LINE, machine_id=MACHINE)
        await conn.execute(
            "INSERT INTO machine_status (machine_id, online, since, last_seen)"
            " VALUES (%s, true, %s, %s)",
            (MACHINE, T0, T0),
        )
        await conn.execute(
            "INSERT INTO downtime_events (machine_id, shift_start, started, ended, category,"
            " fault_code, reason, lost_s, counted)"
            " VALUES (%s, %s, %s, %s, 'breakdown', 104, 'Outfeed blocked', 600, true)",
            (MACHINE, T0, T0 + timedelta(hours=1), T0 + timedelta(hours=1, minutes=10)),
        )
        await conn.execute(
            "INSERT INTO condition_forecasts (machine_id, computed_at, health_index, change_at,"
            " observations, signals) VALUES (%s, %s, 0.8, NULL, 10, '[]')",
            (MACHINE, T0),
        )
        cursor = await conn.execute(
            "INSERT INTO condition_models (machine_id, version, status, trained_from,"
            " trained_until, method, signals, metadata, model)"
            " VALUES (%s, 1, 'active', %s, %s, 'test', '{bearing_temp}', '{}', '{}')"
            " RETURNING id",
            (MACHINE, SINCE, T0),
        )
        model = await cursor.fetchone()
        assert model is not None
        await conn.execute(
            "INSERT INTO condition_scoring (machine_id, model_id, scored_until)"
            " VALUES (%s, %s, %s)",
            (MACHINE, model[0], T0),
        )
        await conn.execute(
            "INSERT INTO ticket_annotations (ticket_id, machine_id, at, note, created_by,"
            " created_at) VALUES (%s, %s, %s, 'seen here', 'demo-support', %s)",
            (ticket_id, MACHINE, T0, T0),
        )
        await _seed_ticket_records(conn, ticket_id)
        await _seed_ticket_trail(conn, ticket_id, alert_id)
        await _seed_knowledge(conn, ticket_id)
    return Seeded(db_pool, ticket_id, alert_id)


async def _seed_ticket_trail(conn: Connection, ticket_id: int, alert_id: int) -> None:
    """The ticket's history and frozen evidence, its alert linked, and a PLC alarm of the
    machine whose fault code the ticket's stop carries."""
    await insert_ticket_event(conn, ticket_id=ticket_id, at=T0, kind="registered", note="new")
    await conn.execute(
        "INSERT INTO ticket_events (ticket_id, at, kind, note, field, new_value)"
        " VALUES (%s, %s, 'machine_stop', 'stopped', 'fault_code', %s)",
        (ticket_id, T0, str(FAULT_CODE)),
    )
    await alert_store.link_ticket(conn, alert_id=alert_id, ticket_id=ticket_id)
    await conn.execute(
        "INSERT INTO complaints (number, customer_id, ticket_id, status, severity, description,"
        " contact_name, registered_by, registered_at, answer_due)"
        " VALUES ('CP-TEST-1', %s, %s, 'registered', 'minor', 'late', 'Contact', 'demo-desk',"
        " %s, %s)",
        (THEIRS, ticket_id, T0, T0 + timedelta(days=5)),
    )
    await conn.execute(
        "INSERT INTO notification_deliveries (event_id, ticket_id, customer_id, notice_kind,"
        " audience, channel, email_to, dedupe_key, subject, body, payload, created_at)"
        " VALUES (1, %s, %s, 'ticket_opened', 'customer', 'email', 'plant@example.com',"
        " 'test-scope', 'Opened', 'Opened', '{}', %s)",
        (ticket_id, THEIRS, T0),
    )
    await conn.execute(
        "INSERT INTO webhook_subscriptions (url, secret, customer_id, created_by)"
        " VALUES ('https://example.com/hook', 'secret', %s, 'demo-nordbrau')",
        (THEIRS,),
    )
    await ticket_evidence_store.save_evidence(
        conn,
        evidence=TicketEvidence(
            ticket_id=ticket_id,
            alert_id=alert_id,
            machine_id=MACHINE,
            line_id=LINE,
            rule="anomaly",
            severity=Severity.SERIOUS,
            alert_opened_at=T0,
            peak_score=0.9,
            signals=("bearing_temp",),
            captured_at=T0,
            window_start=T0 - timedelta(hours=1),
            trends=(),
            contributions=None,
            outlook=None,
            alarms=(),
            stops=(),
            oee=(),
        ),
    )
    await conn.execute(
        "INSERT INTO plc_events (time, machine_id, source_node, event_type, severity,"
        " fault_code, message, event_id, raw)"
        " VALUES (%s, %s, 'ns=2;s=Alarm', 'alarm', 500, %s, 'Outfeed blocked', '\\x01', '{}')",
        (T0, MACHINE, FAULT_CODE),
    )


async def _seed_knowledge(conn: Connection, ticket_id: int) -> None:
    """A fault-code page published for customers on THEIRS' machine model, proposed from
    THEIRS' ticket: the vendor's, shared by every customer who owns the model."""
    async with conn.transaction():
        await knowledge_store.create_entry(
            conn,
            content=_page(MODEL),
            by="demo-support",
            by_name="Support",
            at=T0,
            manual_key="TEST-SCOPE/104",
            source_ticket_id=ticket_id,
            published=True,
        )


def _page(*models: str) -> EntryContent:
    return EntryContent(
        kind=EntryKind.FAULT_CODE,
        audience=Audience.CUSTOMERS,
        machine_models=models,
        fault_codes=(FAULT_CODE,),
        signals=("bearing_temp",),
        part_numbers=(),
        title=f"{models[0]} fault {FAULT_CODE}: scopeword outfeed blocked",
        symptoms="the outfeed stops",
        causes="",
        checks="",
        remedies="",
        body="",
    )


async def _seed_ticket_records(conn: Connection, ticket_id: int) -> None:
    """The ticket's closure records, and a part installed in its machine."""
    await conn.execute(
        "INSERT INTO service_reports (ticket_id, version, filed_by, filed_by_role, filed_at,"
        " symptoms, diagnosis, root_cause, actions_taken, state_before, state_after,"
        " remaining_issues, advice) VALUES (%s, 1, 'demo-field-1', 'field_engineer', %s,"
        " 's', 'd', 'r', 'a', 'b', 'ok', '', '')",
        (ticket_id, T0),
    )
    await conn.execute(
        "INSERT INTO ticket_sign_offs (ticket_id, report_version, accepted, comments, reason,"
        " signer_name, recorded_by, on_behalf, at)"
        " VALUES (%s, 1, true, '', '', 'Plant manager', 'demo-nordbrau', false, %s)",
        (ticket_id, T0),
    )
    await conn.execute(
        "INSERT INTO ticket_surveys (ticket_id, attitude, response_speed, technical_skill,"
        " effectiveness, overall, comments, recorded_by, on_behalf, answered_at)"
        " VALUES (%s, 5, 5, 5, 5, 5, '', 'demo-nordbrau', false, %s)",
        (ticket_id, T0),
    )
    await conn.execute(
        "INSERT INTO ticket_callbacks (ticket_id, called_by, called_at, contact_name,"
        " problem_gone, notes) VALUES (%s, 'demo-desk', %s, 'Contact', true, '')",
        (ticket_id, T0),
    )
    await conn.execute(
        "INSERT INTO ticket_rca (ticket_id, root_cause, method, analysed_by, analysed_at)"
        " VALUES (%s, 'worn bearing', 'five_whys', 'demo-support', %s)",
        (ticket_id, T0),
    )
    await conn.execute(
        "INSERT INTO parts (part_number, description, part_class, serialized, unit_cost,"
        " currency, supplier, lead_time_days, updated_at, updated_by)"
        " VALUES ('FIL12-BRG-KIT', 'Bearing kit', 'wear', false, 10, 'EUR', 's', 1, %s, 'test')"
        " ON CONFLICT DO NOTHING",
        (T0,),
    )
    await conn.execute(
        "INSERT INTO installed_parts (machine_id, position, part_number, installed_at)"
        " VALUES (%s, 'main-bearing', 'FIL12-BRG-KIT', %s)",
        (MACHINE, T0),
    )


Read = Callable[[Connection, CustomerScope, int], Awaitable[Sized | bool]]

# Each scoped read, called with THEIRS' machine, line or ticket and the scope given.
READS: dict[str, Read] = {
    "telemetry_queries.latest_values": lambda conn, scope, _: telemetry_queries.latest_values(
        conn, machine_ids=[MACHINE], signals=["bearing_temp"], scope=scope
    ),
    "telemetry_queries.trend (raw)": lambda conn, scope, _: _points(
        telemetry_queries.trend(
            conn,
            machine_id=MACHINE,
            signal="bearing_temp",
            since=T0 - timedelta(minutes=30),
            until=T0 + timedelta(minutes=30),
            scope=scope,
            cache=TrendCache.disabled(),
        )
    ),
    "telemetry_queries.trend (rollup)": lambda conn, scope, _: _points(
        telemetry_queries.trend(
            conn,
            machine_id=MACHINE,
            signal="bearing_temp",
            since=SINCE,
            until=UNTIL,
            scope=scope,
            cache=TrendCache.disabled(),
        )
    ),
    "machine_status_store.list_machine_status": lambda conn, scope, _: (
        machine_status_store.list_machine_status(conn, machine_ids=[MACHINE], scope=scope)
    ),
    "anomaly_store.latest_scores": lambda conn, scope, _: anomaly_store.latest_scores(
        conn, machine_ids=[MACHINE], scope=scope
    ),
    "anomaly_store.score_history": lambda conn, scope, _: anomaly_store.score_history(
        conn, machine_id=MACHINE, since=SINCE, until=UNTIL, scope=scope
    ),
    "forecast_store.latest_forecasts": lambda conn, scope, _: forecast_store.latest_forecasts(
        conn, machine_ids=[MACHINE], scope=scope
    ),
    "condition_scoring_store.positions": lambda conn, scope, _: condition_scoring_store.positions(
        conn, machine_ids=[MACHINE], scope=scope
    ),
    "condition_model_store.versions": lambda conn, scope, _: condition_model_store.versions(
        conn, machine_id=MACHINE, scope=scope
    ),
    "oee_store.list_oee (machine)": lambda conn, scope, _: oee_store.list_oee(
        conn,
        scope=OeeScope.MACHINE,
        subject_ids=[MACHINE],
        since=SINCE,
        until=UNTIL,
        customer_scope=scope,
    ),
    "oee_store.list_oee (line)": lambda conn, scope, _: oee_store.list_oee(
        conn,
        scope=OeeScope.LINE,
        subject_ids=[LINE],
        since=SINCE,
        until=UNTIL,
        customer_scope=scope,
    ),
    "oee_store.oee_for_range": lambda conn, scope, _: oee_store.oee_for_range(
        conn,
        scope=OeeScope.LINE,
        subject_ids=[LINE],
        since=SINCE,
        until=UNTIL,
        customer_scope=scope,
    ),
    "oee_store.oee_by_period (shift)": lambda conn, scope, _: oee_store.oee_by_period(
        conn,
        scope=OeeScope.LINE,
        subject_ids=[LINE],
        since=SINCE,
        until=UNTIL,
        period="shift",
        timezone="Europe/Berlin",
        customer_scope=scope,
    ),
    "oee_store.oee_by_period (day)": lambda conn, scope, _: oee_store.oee_by_period(
        conn,
        scope=OeeScope.MACHINE,
        subject_ids=[MACHINE],
        since=SINCE,
        until=UNTIL,
        period="day",
        timezone="Europe/Berlin",
        customer_scope=scope,
    ),
    "downtime_store.list_downtimes": lambda conn, scope, _: downtime_store.list_downtimes(
        conn, machine_ids=[MACHINE], since=SINCE, until=UNTIL, scope=scope
    ),
    "downtime_store.downtime_pareto": lambda conn, scope, _: downtime_store.downtime_pareto(
        conn, machine_ids=[MACHINE], since=SINCE, until=UNTIL, scope=scope
    ),
    "reliability_store.machine_reliability": lambda conn, scope, _: (
        reliability_store.machine_reliability(
            conn, machine_ids=[MACHINE], since=SINCE, until=UNTIL, scope=scope
        )
    ),
    "fleet_queries.open_alerts_by_machine": lambda conn, scope, _: (
        fleet_queries.open_alerts_by_machine(conn, machine_ids=[MACHINE], scope=scope)
    ),
    "ticket_store.open_tickets": lambda conn, scope, _: ticket_store.open_tickets(
        conn, line_ids=[LINE], scope=scope
    ),
    "annotation_store.annotations_of_ticket": lambda conn, scope, ticket: (
        annotation_store.annotations_of_ticket(conn, ticket_id=ticket, scope=scope)
    ),
    "annotation_store.annotations_of_machine": lambda conn, scope, _: (
        annotation_store.annotations_of_machine(
            conn, machine_id=MACHINE, since=SINCE, until=UNTIL, scope=scope
        )
    ),
    "service_report_store.report": lambda conn, scope, ticket: _one(
        service_report_store.report(conn, ticket_id=ticket, scope=scope)
    ),
    "service_report_store.report_versions": lambda conn, scope, ticket: _positive(
        service_report_store.report_versions(conn, ticket_id=ticket, scope=scope)
    ),
    "service_report_store.sign_offs": lambda conn, scope, ticket: service_report_store.sign_offs(
        conn, ticket_id=ticket, scope=scope
    ),
    "service_report_store.survey": lambda conn, scope, ticket: _one(
        service_report_store.survey(conn, ticket_id=ticket, scope=scope)
    ),
    "service_report_store.callbacks": lambda conn, scope, ticket: service_report_store.callbacks(
        conn, ticket_id=ticket, scope=scope
    ),
    "service_report_store.rca": lambda conn, scope, ticket: _one(
        service_report_store.rca(conn, ticket_id=ticket, scope=scope)
    ),
    "parts_store.installed_parts": lambda conn, scope, _: parts_store.installed_parts(
        conn, machine_id=MACHINE, with_history=True, scope=scope
    ),
    "ticket_store.get_ticket": lambda conn, scope, ticket: _one(
        ticket_store.get_ticket(conn, ticket_id=ticket, scope=scope)
    ),
    "ticket_store.ticket_events": lambda conn, scope, ticket: ticket_store.ticket_events(
        conn, ticket_id=ticket, scope=scope
    ),
    "ticket_store.list_tickets": lambda conn, scope, _: ticket_store.list_tickets(
        conn, scope=scope, machine_id=MACHINE
    ),
    "service_kpi_reader.ticket_histories": lambda conn, scope, _: (
        service_kpi_reader.ticket_histories(conn, since=SINCE, until=UNTIL, scope=scope)
    ),
    "service_kpi_reader.complaints_between": lambda conn, scope, _: (
        service_kpi_reader.complaints_between(conn, since=SINCE, until=UNTIL, scope=scope)
    ),
    "complaint_store.list_complaints": lambda conn, scope, ticket: complaint_store.list_complaints(
        conn, scope=scope, ticket_id=ticket
    ),
    "notification_store.list_deliveries": lambda conn, scope, ticket: (
        notification_store.list_deliveries(conn, scope=scope, ticket_id=ticket)
    ),
    "webhook_store.list_subscriptions": lambda conn, scope, _: webhook_store.list_subscriptions(
        conn, scope=scope
    ),
    "alert_store.list_alerts": lambda conn, scope, _: alert_store.list_alerts(conn, scope=scope),
    "ticket_evidence_store.evidence_of": lambda conn, scope, ticket: (
        ticket_evidence_store.evidence_of(conn, ticket_id=ticket, scope=scope)
    ),
    "plc_event_store.list_plc_events": lambda conn, scope, _: plc_event_store.list_plc_events(
        conn, machine_ids=[MACHINE], since=SINCE, until=UNTIL, scope=scope
    ),
    # The knowledge reads are given the staff viewer: the scope alone keeps the page of a
    # model OURS does not own away from OURS.
    "knowledge_store.search": lambda conn, scope, _: knowledge_store.search(
        conn, query=KnowledgeQuery("scopeword"), viewer=STAFF_VIEWER, scope=scope
    ),
    "knowledge_store.search (by model)": lambda conn, scope, _: knowledge_store.search(
        conn,
        query=KnowledgeQuery(machine_model=MODEL, fault_code=FAULT_CODE),
        viewer=STAFF_VIEWER,
        scope=scope,
    ),
    "knowledge_store.get_entry": lambda conn, scope, _: _one(_entry_of(conn, scope)),
    "knowledge_store.link_candidates": lambda conn, scope, _: knowledge_store.link_candidates(
        conn,
        context=FaultContext(MODEL, frozenset({FAULT_CODE}), frozenset()),
        viewer=STAFF_VIEWER,
        scope=scope,
    ),
    "knowledge_store.ticket_fault_codes": lambda conn, scope, ticket: (
        knowledge_store.ticket_fault_codes(conn, ticket_id=ticket, scope=scope)
    ),
    "knowledge_store.alert_fault": lambda conn, scope, _: _one(_alert_fault(conn, scope)),
    "customer_scope.ticket_within": lambda conn, scope, ticket: ticket_within(
        conn, ticket_id=ticket, scope=scope
    ),
    "customer_scope.machine_within": lambda conn, scope, _: machine_within(
        conn, machine_id=MACHINE, scope=scope
    ),
}


async def _entry_of(conn: Connection, scope: CustomerScope) -> object | None:
    entry_id = await knowledge_store.entry_for_manual_key(conn, manual_key="TEST-SCOPE/104")
    assert entry_id is not None
    return await knowledge_store.get_entry(
        conn, entry_id=entry_id, viewer=STAFF_VIEWER, scope=scope
    )


async def _alert_fault(conn: Connection, scope: CustomerScope) -> object | None:
    cursor = await conn.execute("SELECT id FROM alerts WHERE machine_id = %s", (MACHINE,))
    row = await cursor.fetchone()
    assert row is not None
    return await knowledge_store.alert_fault(conn, alert_id=row[0], scope=scope)


async def _points(trend: Awaitable[Trend]) -> Sized:
    return (await trend).points


async def _one(found: Awaitable[object | None]) -> bool:
    return await found is not None


async def _positive(count: Awaitable[int]) -> bool:
    return await count > 0


def _found(result: Sized | bool) -> bool:
    return result if isinstance(result, bool) else len(result) > 0


async def _staff_connection(conn: Connection) -> None:
    """The connection is the login role's: row-level security filters nothing on it."""
    assert not is_switched(conn)
    cursor = await conn.execute("SELECT current_user <> %s", (CUSTOMER_ROLE,))
    assert await cursor.fetchone() == (True,)


@pytest.mark.parametrize("name", sorted(READS))
async def test_a_read_scoped_to_another_customer_returns_nothing(seeded: Seeded, name: str) -> None:
    read = READS[name]
    async with seeded.pool.connection() as conn:
        await _staff_connection(conn)
        # The rows are there: the owner and staff read them on this very connection.
        assert _found(await read(conn, CustomerScope(customer_id=THEIRS), seeded.ticket_id)), (
            f"{name}: the seed has no row for {THEIRS}, so the check below proves nothing"
        )
        assert _found(await read(conn, EVERY_CUSTOMER, seeded.ticket_id)), name
        # Another customer's scope, the same ids: the query's own predicate leaves it out.
        found = await read(conn, CustomerScope(customer_id=OURS), seeded.ticket_id)
        assert not _found(found), f"{name} returned {THEIRS}'s rows to {OURS}: {found!r}"


async def test_a_dense_raw_trend_scoped_to_another_customer_returns_nothing(
    db_pool: Pool, plant: Plant
) -> None:
    """The third way a trend is read: raw samples bucketed on the fly."""
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        count = telemetry_queries.MAX_POINTS + 10
        await insert_series(
            conn,
            machine_id=MACHINE,
            signal="bearing_temp",
            start=T0,
            step=timedelta(seconds=1),
            values=[40.0] * count,
        )

        async def points(scope: CustomerScope) -> Trend:
            return await telemetry_queries.trend(
                conn,
                machine_id=MACHINE,
                signal="bearing_temp",
                since=T0,
                until=T0 + timedelta(seconds=count),
                scope=scope,
                cache=TrendCache.disabled(),
            )

        theirs = await points(CustomerScope(customer_id=THEIRS))
        assert theirs.bucket is not None and theirs.points, "not the bucketed path"
        assert (await points(CustomerScope(customer_id=OURS))).points == ()


async def test_a_customer_scope_adds_no_rows_of_its_own(seeded: Seeded) -> None:
    """Scoped to its owner, a read returns what the unscoped read returns, no more."""
    async with seeded.pool.connection() as conn:
        everyone = await oee_store.list_oee(
            conn,
            scope=OeeScope.MACHINE,
            subject_ids=[MACHINE, "l3-packer"],
            since=SINCE,
            until=UNTIL,
            customer_scope=EVERY_CUSTOMER,
        )
        owner = await oee_store.list_oee(
            conn,
            scope=OeeScope.MACHINE,
            subject_ids=[MACHINE, "l3-packer"],
            since=SINCE,
            until=UNTIL,
            customer_scope=CustomerScope(customer_id=THEIRS),
        )
    assert [r.subject_id for r in everyone] == [MACHINE]
    assert owner == everyone


async def test_an_aligned_trend_and_its_contributions_scoped_to_another_customer_are_empty(
    seeded: Seeded,
) -> None:
    """The diagnosis page's reads (storage/trend_reader.py, storage/trend_queries.py): the
    grid the database lays out answers nothing for a machine outside the scope, nor do
    the whole buckets another reader's request left in the process's cache."""
    grid = trend_queries.bucket_grid(SINCE, UNTIL, points=100)
    cache = TrendCache(max_buckets=10_000)

    async with seeded.pool.connection() as conn:
        await insert_anomaly_score(
            conn,
            machine_id=MACHINE,
            time=T0 + timedelta(minutes=1),
            score=0.6,
            contributions=[("bearing_temp", 2.0, 0.4)],
        )

        async def aligned(scope: CustomerScope) -> trend_reader.AlignedJson | None:
            return await trend_reader.aligned_json(
                conn,
                machine_id=MACHINE,
                signals=["bearing_temp"],
                grid=grid,
                scope=scope,
                cache=cache,
            )

        async def contributions(scope: CustomerScope) -> list[trend_queries.SignalBuckets]:
            return await trend_queries.contribution_buckets(
                conn, machine_id=MACHINE, grid=grid, scope=scope
            )

        # Rolled up to the last whole 15 minutes of the newest sample: whole buckets to keep.
        await insert_samples(
            conn,
            machine_id=MACHINE,
            signal="bearing_temp",
            samples=[(T0 + timedelta(hours=1), 43.0)],
        )
        await refresh_machine_rollups(conn, machine_id=MACHINE, signals=["bearing_temp"])
        theirs = await aligned(CustomerScope(customer_id=THEIRS))
        assert theirs is not None and "41" in theirs.series[0].avg
        assert cache.run(MACHINE, grid.width, "bearing_temp") is not None
        assert await aligned(EVERY_CUSTOMER) == theirs
        assert await aligned(CustomerScope(customer_id=OURS)) is None
        assert await contributions(CustomerScope(customer_id=THEIRS))
        assert await contributions(CustomerScope(customer_id=OURS)) == []


async def test_a_shared_knowledge_entry_hides_the_ticket_it_came_from_outside_its_customer(
    seeded: Seeded,
) -> None:
    """A page published for customers on a model both customers own stays visible to both;
    the ticket it was proposed from is THEIRS', so OURS reads no ticket id with it. A draft
    or an internal page of that model stays out of a customer's scope, whatever the viewer."""
    async with seeded.pool.connection() as conn:
        async with conn.transaction():
            shared = await knowledge_store.create_entry(
                conn,
                content=_page(MODEL, "PK-9"),
                by="demo-support",
                by_name="Support",
                at=T0,
                source_ticket_id=seeded.ticket_id,
                published=True,
            )
            internal = await knowledge_store.create_entry(
                conn,
                content=replace(_page("PK-9"), audience=Audience.INTERNAL),
                by="demo-support",
                by_name="Support",
                at=T0,
                published=True,
            )
            draft = await knowledge_store.create_entry(
                conn, content=_page("PK-9"), by="demo-support", by_name="Support", at=T0
            )

        async def source(scope: CustomerScope) -> int | None:
            entry = await knowledge_store.get_entry(
                conn, entry_id=shared, viewer=STAFF_VIEWER, scope=scope
            )
            assert entry is not None, f"the shared page is hidden from {scope}"
            return entry.shown.source_ticket_id

        assert await source(EVERY_CUSTOMER) == seeded.ticket_id
        assert await source(CustomerScope(customer_id=THEIRS)) == seeded.ticket_id
        assert await source(CustomerScope(customer_id=OURS)) is None

        ours = CustomerScope(customer_id=OURS)
        hits = await knowledge_store.search(
            conn, query=KnowledgeQuery("scopeword"), viewer=STAFF_VIEWER, scope=ours
        )
        assert [h.entry.id for h in hits] == [shared]
        assert [h.entry.shown.source_ticket_id for h in hits] == [None]
        for hidden in (internal, draft):
            assert (
                await knowledge_store.get_entry(
                    conn, entry_id=hidden, viewer=STAFF_VIEWER, scope=ours
                )
                is None
            )
            assert (
                await knowledge_store.get_entry(
                    conn, entry_id=hidden, viewer=STAFF_VIEWER, scope=EVERY_CUSTOMER
                )
                is not None
            )
        # A customer's own viewer with the scope it belongs to: the same page, no more.
        viewer = Viewer(staff=False, owned_models=frozenset({"PK-9"}))
        hits = await knowledge_store.search(
            conn, query=KnowledgeQuery("scopeword"), viewer=viewer, scope=ours
        )
        assert [h.entry.id for h in hits] == [shared]
