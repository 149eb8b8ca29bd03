"""Row-level security on its own: a connection switched to one customer sees none of
another customer's rows even when the query has no customer filter at all
(migrations 054 and 055, storage/customer_scope.py, docs/access.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from models.plant import Plant
from storage.asset_registry import sync_assets
from storage.connections import Connection, Pool
from storage.customer_scope import (
    CUSTOMER_ROLE,
    enter_customer_scope,
    is_switched,
    leave_customer_scope,
)
from storage.database import open_pool
from storage.user_store import seed_demo_users
from tests.api.factories import (
    insert_alert,
    insert_anomaly_score,
    insert_oee,
    insert_samples,
    insert_ticket,
    insert_ticket_event,
)

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
OURS, THEIRS = "alpenpack", "nordbrau"

# Every table holding a customer's data, by what ties a row to its customer. All the
# tables of one kind carry the same policy (checked below), and one seeded table per
# kind shows that policy at work.
PROTECTED: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "sites",
        "tickets",
        "complaints",
        "inspections",
        "notification_deliveries",
        "requisitions",
        "webhook_subscriptions",
    ),
    "machine_id": (
        "telemetry",
        "trend_rollups",
        "trend_rollup_state",
        "trend_rollups_pending",
        "anomaly_scores",
        "alerts",
        "plc_events",
        "machine_status",
        "downtime_events",
        "condition_forecasts",
        "condition_models",
        "condition_scoring",
        "installed_parts",
        "part_serials",
        "maintenance_overrides",
        "maintenance_tracking",
        "maintenance_occurrences",
        "anomaly_pending_analysis",
        "telemetry_pending_analysis",
        "oee_recompute_queue",
    ),
    "ticket_id": (
        "ticket_events",
        "ticket_evidence",
        "ticket_annotations",
        "ticket_assignments",
        "ticket_callbacks",
        "ticket_owners",
        "ticket_pauses",
        "ticket_rca",
        "ticket_rca_actions",
        "ticket_sign_offs",
        "ticket_sla_notices",
        "ticket_stops",
        "ticket_surveys",
        "service_reports",
        "service_report_measurements",
        "service_report_parts",
        "knowledge_proposals",
        "baseline_resets",
        "stock_movements",
        "ticket_cost_entries",
        "job_checklist_answers",
    ),
    "user_id": (
        "sessions",
        "refresh_tokens",
        "closure_idempotency_keys",
        "knowledge_idempotency_keys",
        "parts_idempotency_keys",
        "webhook_idempotency_keys",
        "ticket_idempotency_keys",
    ),
    # One table each, with a policy of its own.
    "single": (
        "customers",
        "lines",
        "machines",
        "oee_results",
        "users",
        "api_keys",
        "complaint_events",
        "inspection_findings",
        "notification_attempts",
        "ticket_assignment_parts",
        "knowledge_entries",
        "knowledge_versions",
        "maintenance_plans",
        "audit_log",
    ),
}

# Tables the customer role may not touch at all, and why they hold no customer's data.
CLOSED: dict[str, str] = {
    "schema_migrations": "the schema's own ledger",
    "dead_letters": "raw payloads that failed parsing, read by support only",
    "stores": "the vendor's stores",
    "stock_levels": "the vendor's stock",
    "engineer_profiles": "the vendor's engineers",
    "engineer_certifications": "the vendor's engineers",
    "notification_cursor": "the outbox worker's position",
    "notification_derived_events": "the outbox worker's bookkeeping",
    "sign_in_failures": "counted before anyone is signed in, as the login role",
    "sign_in_lockouts": "counted before anyone is signed in, as the login role",
}


# The vendor's reference data, which holds no customer's data: customers may read it.
SHARED: dict[str, str] = {
    "parts": "the catalogue: the installed base of a machine shows part descriptions",
    "part_fits": "the catalogue: which part fits where on a machine model",
}


async def _tables(conn: Connection) -> set[str]:
    cursor = await conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        " AND relkind IN ('r', 'p')"
    )
    return {row[0] for row in await cursor.fetchall()}


async def _policies(conn: Connection) -> dict[str, str]:
    """Each table's linecare_customer policy for reading, as the server prints it."""
    cursor = await conn.execute(
        "SELECT tablename, coalesce(qual, with_check) FROM pg_policies"
        " WHERE schemaname = 'public' AND %s = ANY(roles)",
        (CUSTOMER_ROLE,),
    )
    return {row[0]: row[1] for row in await cursor.fetchall()}


async def test_every_table_is_protected_or_closed_to_customers(db_pool: Pool) -> None:
    async with db_pool.connection() as conn:
        tables = await _tables(conn)
        protected = {t for kind in PROTECTED.values() for t in kind}
        unclassified = tables - protected - CLOSED.keys() - SHARED.keys()
        assert not unclassified, (
            f"New tables {sorted(unclassified)}: a table holding a customer's data needs"
            " row-level security for the role linecare_customer, in its migration:"
            " SELECT linecare_protect_customer_rows('TABLE', 'machine_id') (or customer_id,"
            " ticket_id, user_id; migration 054), GRANT linecare_customer what customer"
            " endpoints read, and a place in PROTECTED here. Any other table goes in CLOSED"
            " with the reason customers never read it (or SHARED: vendor data customers read)."
        )
        # Ticket costs (migration 052) may not be on main yet.
        missing = (protected | CLOSED.keys() | SHARED.keys()) - tables - {"ticket_cost_entries"}
        assert not missing, f"listed tables that do not exist: {sorted(missing)}"
        cursor = await conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
            " AND relkind IN ('r', 'p') AND relrowsecurity"
        )
        secured = {row[0] for row in await cursor.fetchall()}
        assert (protected & tables) - secured == set(), "row-level security is off"
        policies = await _policies(conn)
        assert (protected & tables) - policies.keys() == set(), "no policy for linecare_customer"
        for kind, members in PROTECTED.items():
            if kind != "single":  # one policy for the whole kind, not a near copy
                assert len({policies[t] for t in members if t in tables}) == 1, kind
        for table in CLOSED:
            cursor = await conn.execute(
                "SELECT has_table_privilege(%s, %s, 'SELECT, INSERT, UPDATE, DELETE')",
                (CUSTOMER_ROLE, table),
            )
            assert await cursor.fetchone() == (False,), f"{table} is open to customers"
        for table in SHARED:
            cursor = await conn.execute(
                "SELECT has_table_privilege(%s, %s, 'SELECT'),"
                " has_table_privilege(%s, %s, 'INSERT, UPDATE, DELETE')",
                (CUSTOMER_ROLE, table, CUSTOMER_ROLE, table),
            )
            assert await cursor.fetchone() == (True, False), f"{table}: read-only for customers"


@pytest.fixture
async def seeded(db_pool: Pool, plant: Plant) -> Pool:
    """Rows of both customers in one table of every kind, written as the login role."""
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await seed_demo_users(conn)
        for customer, line, machine in (
            (THEIRS, "line-1", "l1-filler"),
            (OURS, "line-3", "l3-packer"),
        ):
            await insert_samples(
                conn, machine_id=machine, signal="bearing_temp", samples=[(T0, 41.0)]
            )
            await insert_anomaly_score(conn, machine_id=machine, time=T0, score=0.5)
            await insert_alert(conn, machine_id=machine)
            await insert_oee(conn, scope="machine", subject_id=machine, shift_start=T0)
            await insert_oee(conn, scope="line", subject_id=line, shift_start=T0)
            ticket = await insert_ticket(
                conn, customer_id=customer, line_id=line, machine_id=machine
            )
            await insert_ticket_event(
                conn, ticket_id=ticket, at=T0 + timedelta(minutes=1), kind="note", note="seen"
            )
        await conn.execute(
            "INSERT INTO audit_log (at, event, actor_login, subject_login, detail)"
            " VALUES (%s, 'sign_in', 'demo-nordbrau', 'demo-nordbrau', '')",
            (T0,),
        )
    return db_pool


async def _owners(conn: Connection) -> dict[str, dict[object, str]]:
    """Whose each key is, read as the login role: the oracle the policies are checked by."""
    queries = {
        "machine": "SELECT m.id, s.customer_id FROM machines m JOIN lines l ON l.id = m.line_id"
        " JOIN sites s ON s.id = l.site_id",
        "line": "SELECT l.id, s.customer_id FROM lines l JOIN sites s ON s.id = l.site_id",
        "ticket": "SELECT id, customer_id FROM tickets",
        "user": "SELECT id, customer_id FROM users",
        "customer": "SELECT id, id FROM customers",
    }
    owners: dict[str, dict[object, str]] = {}
    for kind, query in queries.items():
        cursor = await conn.execute(query)
        owners[kind] = {row[0]: row[1] for row in await cursor.fetchall()}
    return owners


# One seeded table per kind of key: (query with no customer filter, kind of its key).
UNFILTERED = {
    "customers": ("SELECT id FROM customers", "customer"),
    "sites": ("SELECT customer_id FROM sites", "customer"),
    "lines": ("SELECT id FROM lines", "line"),
    "machines": ("SELECT id FROM machines", "machine"),
    "tickets": ("SELECT customer_id FROM tickets", "customer"),
    "telemetry": ("SELECT machine_id FROM telemetry", "machine"),
    "anomaly_scores": ("SELECT machine_id FROM anomaly_scores", "machine"),
    "telemetry_1m (the rollup view)": ("SELECT machine_id FROM telemetry_1m", "machine"),
    "alerts": ("SELECT machine_id FROM alerts", "machine"),
    "oee_results (machines)": (
        "SELECT subject_id FROM oee_results WHERE scope = 'machine'",
        "machine",
    ),
    "oee_results (lines)": ("SELECT subject_id FROM oee_results WHERE scope = 'line'", "line"),
    "ticket_events": ("SELECT ticket_id FROM ticket_events", "ticket"),
    "users": ("SELECT id FROM users", "user"),
    "api_keys": ("SELECT user_id FROM api_keys", "user"),
}


async def test_a_query_without_the_customer_filter_returns_no_other_customers_row(
    seeded: Pool,
) -> None:
    async with seeded.connection() as conn:
        owners = await _owners(conn)
        for table, (query, kind) in UNFILTERED.items():
            cursor = await conn.execute(query)
            keys = [row[0] for row in await cursor.fetchall()]
            # The seed holds the other customer's rows: the check below is not vacuous.
            assert THEIRS in {owners[kind][k] for k in keys}, f"no {THEIRS} row in {table}"
        await enter_customer_scope(conn, customer_id=OURS)
        for table, (query, kind) in UNFILTERED.items():
            cursor = await conn.execute(query)
            seen = {owners[kind][row[0]] for row in await cursor.fetchall()}
            assert seen == {OURS}, f"{table} shows {OURS} the rows of {seen - {OURS}}"
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # written, never read
            await conn.execute("SELECT count(*) FROM audit_log")


async def test_a_customer_cannot_write_a_row_for_another_customer(seeded: Pool) -> None:
    async with seeded.connection() as conn:
        owners = await _owners(conn)
        theirs = next(int(str(t)) for t, c in owners["ticket"].items() if c == THEIRS)
        await enter_customer_scope(conn, customer_id=OURS)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            await insert_ticket_event(conn, ticket_id=theirs, at=T0, kind="note", note="x")
        await conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            await insert_ticket(conn, customer_id=THEIRS, line_id="line-1", machine_id="l1-filler")
        await conn.rollback()
        cursor = await conn.execute("UPDATE tickets SET summary = 'taken' WHERE id = %s", (theirs,))
        assert cursor.rowcount == 0, "an update reached another customer's ticket"


async def test_no_customer_named_sees_nothing(seeded: Pool) -> None:
    async with seeded.connection() as conn:
        await conn.execute(f"SET ROLE {CUSTOMER_ROLE}")
        cursor = await conn.execute("SELECT count(*) FROM machines")
        assert await cursor.fetchone() == (0,)
        await conn.execute("RESET ROLE")


async def test_a_rollback_in_the_request_keeps_the_scope(seeded: Pool) -> None:
    async with seeded.connection() as conn:
        await enter_customer_scope(conn, customer_id=OURS)
        await conn.execute("SELECT 1")
        await conn.rollback()
        cursor = await conn.execute("SELECT current_user, count(*) FROM machines")
        assert await cursor.fetchone() == (CUSTOMER_ROLE, 3)


@pytest.fixture
async def one_connection(database_dsn: str, seeded: Pool) -> AsyncIterator[Pool]:
    """A pool of exactly one connection, so the next borrower gets the same one."""
    pool = open_pool(database_dsn, min_size=1, max_size=1)
    await pool.open(wait=True)
    try:
        yield pool
    finally:
        await pool.close()


async def _sees_everything(pool: Pool) -> None:
    async with pool.connection() as conn:
        assert not is_switched(conn)
        cursor = await conn.execute(
            "SELECT current_user <> %s, current_setting('linecare.customer_id', true),"
            " (SELECT count(*) FROM machines)",
            (CUSTOMER_ROLE,),
        )
        row = await cursor.fetchone()
        assert row is not None
        assert row[0] and not row[1], "the connection kept the customer's role or id"
        assert row[2] == 9, "the next borrower sees only one customer's machines"


async def test_the_pool_resets_a_customer_connection_it_takes_back(one_connection: Pool) -> None:
    async with one_connection.connection() as conn:
        await enter_customer_scope(conn, customer_id=OURS)
        first = conn
    await _sees_everything(one_connection)
    async with one_connection.connection() as conn:
        assert conn is first, "the test needs the same connection back"


async def test_the_reset_holds_when_the_request_fails(one_connection: Pool) -> None:
    with pytest.raises(psycopg.errors.UndefinedTable):
        async with one_connection.connection() as conn:
            await enter_customer_scope(conn, customer_id=OURS)
            await conn.execute("SELECT * FROM no_such_table")
    await _sees_everything(one_connection)


async def test_leaving_a_staff_connection_costs_nothing(seeded: Pool) -> None:
    async with seeded.connection() as conn:
        await conn.execute("SELECT 1")  # a transaction in progress stays untouched
        await leave_customer_scope(conn)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
