"""Service KPIs through the API: figures from worked tickets, grouping, customer isolation,
bad input, and the monthly review as PDF and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from alerts import ticket_commands
from alerts.ticket_lifecycle import Refusal
from models.complaints import ComplaintDraft
from models.dispatch import DispatchInstructions
from models.plant import Severity
from models.service_report import ServiceReportDraft, Survey, SurveyAnswers
from models.tickets import Channel, SlaDeadlines, TicketDraft, TicketStatus, TicketType
from models.users import Role, User
from storage import complaint_store, dispatch_store, service_report_store, ticket_store
from storage.connections import Connection, Pool
from storage.user_store import create_user, find_user_by_token
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT

pytestmark = pytest.mark.integration

ENGINEER = {"Authorization": "Bearer test-engineer"}
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
NOW = datetime(2026, 4, 10, 10, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
T3 = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def fixed_now(app: FastAPI) -> Iterator[datetime]:
    app.state.ticket_clock = lambda: NOW
    yield NOW


async def _user(conn: Connection, token: str) -> User:
    user = await find_user_by_token(conn, token=token)
    assert user is not None
    return user


async def _register(
    conn: Connection,
    *,
    customer: str,
    line: str,
    machine: str,
    received: datetime,
    pauses_for_customer: bool = False,
) -> int:
    draft = TicketDraft(
        customer_id=customer,
        contract_number="SC-TEST",
        contact_name="Test Contact",
        line_id=line,
        machine_id=machine,
        machine_model="MOD-1",
        machine_serial="SER-1",
        ticket_type=TicketType.GENERAL_FAULT,
        channel=Channel.HOTLINE,
        severity=Severity.SERIOUS,
        under_warranty=True,
        summary="Bearing temperature rising",
        symptoms="runs hot",
        signals=("bearing_temp",),
        received_at=received,
        deadlines=SlaDeadlines(
            response_due=received + timedelta(hours=1),
            arrival_due=received + timedelta(hours=24),
            resolution_due=received + timedelta(hours=48),
        ),
        pauses_for_customer=pauses_for_customer,
    )
    ticket = await ticket_store.register_ticket(conn, draft=draft, note="registered for a test")
    return ticket.id


async def _move(
    conn: Connection, ticket_id: int, target: TicketStatus, user: User, at: datetime
) -> None:
    moved = await ticket_commands.move_ticket(
        conn,
        ticket_id=ticket_id,
        target=target,
        user=user,
        reason="for the test",
        expected_status=None,
        at=at,
    )
    assert moved is not None and not isinstance(moved, Refusal), moved


async def _fault_code(conn: Connection, ticket_id: int, code: int, at: datetime) -> None:
    await ticket_store.append_event(
        conn,
        ticket_id=ticket_id,
        at=at,
        kind="machine_stop",
        note=f"PLC fault {code}",
        field="fault_code",
        new_value=str(code),
    )


@pytest.fixture
async def worked_march(seeded_pool: Pool) -> dict[str, int]:
    """Three March tickets.

    - Nordbräu filler, 2 Mar: answered in 20 min, dispatched to J. Mueller, on site
      after 5 h, repaired after 8 h (report: failure 07:00, restored 15:00), survey 4.
    - Nordbräu filler, 10 Mar: the same fault code again (a repeat), never answered.
    - Alpenpack packer, 5 Mar: answered after 3 h (late), resolved remotely, complained of.
    """
    async with seeded_pool.connection() as conn:
        await create_user(
            conn,
            login="eng-mueller",
            display_name="J. Mueller",
            role=Role.FIELD_ENGINEER,
            customer_id=None,
            token="test-engineer",
        )
        engineer = await _user(conn, "test-engineer")
        desk, support = await _user(conn, "demo-desk"), await _user(conn, "demo-support")
        first = await _register(
            conn, customer="nordbrau", line="line-1", machine="l1-filler", received=T1
        )
        await _fault_code(conn, first, 201, T1 - timedelta(hours=1))
        await _move(conn, first, TicketStatus.CLASSIFIED, desk, T1 + timedelta(minutes=20))
        assignment = await dispatch_store.record_assignment(
            conn,
            ticket_id=first,
            engineer_login=engineer.login,
            dispatched_by=desk.login,
            at=T1 + timedelta(minutes=30),
            instructions=DispatchInstructions(tools=("bearing puller",)),
            idempotency_key=None,
        )
        await dispatch_store.accept_assignment(
            conn, assignment_id=assignment.id, at=T1 + timedelta(minutes=40)
        )
        await _move(conn, first, TicketStatus.DISPATCHED, desk, T1 + timedelta(minutes=30))
        await _move(conn, first, TicketStatus.EN_ROUTE, engineer, T1 + timedelta(hours=1))
        await _move(conn, first, TicketStatus.ON_SITE, engineer, T1 + timedelta(hours=5))
        await _move(conn, first, TicketStatus.REPAIRED, engineer, T1 + timedelta(hours=8))
        await service_report_store.insert_report(
            conn,
            ticket_id=first,
            draft=ServiceReportDraft(
                symptoms="hot bearing",
                diagnosis="worn bearing",
                root_cause="wear",
                actions_taken="bearing replaced",
                state_before="stopped",
                state_after="running",
                failure_at=T1 - timedelta(hours=1),
                arrived_at=T1 + timedelta(hours=5),
                restored_at=T1 + timedelta(hours=7),
            ),
            by=engineer.login,
            role="field_engineer",
            at=T1 + timedelta(hours=8),
        )
        await service_report_store.insert_survey(
            conn,
            survey=Survey(
                ticket_id=first,
                answers=SurveyAnswers(5, 4, 5, 4, 4),
                recorded_by="demo-nordbrau",
                on_behalf=False,
                answered_at=T1 + timedelta(days=2),
            ),
        )

        repeat = await _register(
            conn, customer="nordbrau", line="line-1", machine="l1-filler", received=T2
        )
        await _fault_code(conn, repeat, 201, T2 + timedelta(minutes=5))

        alpen = await _register(
            conn, customer="alpenpack", line="line-3", machine="l3-packer", received=T3
        )
        await _move(conn, alpen, TicketStatus.CLASSIFIED, desk, T3 + timedelta(hours=3))
        await _move(conn, alpen, TicketStatus.REMOTE_DIAGNOSIS, support, T3 + timedelta(hours=4))
        await _move(conn, alpen, TicketStatus.RESOLVED_REMOTELY, support, T3 + timedelta(hours=6))
        await complaint_store.register_complaint(
            conn,
            draft=ComplaintDraft(
                customer_id="alpenpack",
                ticket_id=alpen,
                description="took too long to answer",
                contact_name="Alpenpack maintenance",
                severity=Severity.GENERAL,
                registered_by="demo-desk",
                registered_at=datetime(2026, 3, 20, 9, 0, tzinfo=UTC),
            ),
            answer_due=datetime(2026, 3, 23, 9, 0, tzinfo=UTC),
        )
    return {"first": first, "repeat": repeat, "alpen": alpen}


async def _kpis(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> httpx.Response:
    return await client.get("/api/kpis/service", params=params, headers=headers)


async def test_march_figures_of_worked_tickets(
    client: httpx.AsyncClient, worked_march: dict[str, int], fixed_now: datetime
) -> None:
    response = await _kpis(client, DESK, group_by="month", **MARCH)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == "Europe/Berlin"
    assert body["customer_id"] is None
    assert [g["key"] for g in body["groups"]] == ["2026-03"]
    total = body["total"]
    # Answered on time: Nordbräu's first; late: the repeat (never answered) and Alpenpack's.
    assert total["response_on_time"] == {"hits": 1, "total": 3, "rate": 1 / 3}
    assert total["arrival_on_time"]["hits"] == 1
    # The repeat's arrival and resolution went late in March; Alpenpack needed no arrival.
    assert total["arrival_on_time"]["total"] == 2
    assert total["resolution_on_time"] == {"hits": 2, "total": 3, "rate": 2 / 3}
    assert total["first_time_fix"] == {"hits": 1, "total": 1, "rate": 1.0}
    # Failure to restore 8 h (the report) and 6 h received to resolved remotely.
    assert total["mttr_s"] == pytest.approx(7 * 3600)
    assert total["repeat_faults"] == {"hits": 1, "total": 2, "rate": 0.5}
    assert (total["satisfaction"], total["surveys"], total["complaints"]) == (4.0, 1, 1)
    assert total["backlog_open"] == 1
    assert {b["label"]: b["count"] for b in total["backlog"]}["7-30 days"] == 1
    assert (total["received"], total["resolved"]) == (3, 2)


async def test_a_wait_for_the_customer_holds_the_clocks_where_the_contract_pauses(
    client: httpx.AsyncClient, seeded_pool: Pool, fixed_now: datetime
) -> None:
    received = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    async with seeded_pool.connection() as conn:
        desk = await _user(conn, "demo-desk")
        for pauses in (True, False):
            ticket = await _register(
                conn,
                customer="nordbrau",
                line="line-1",
                machine="l1-filler",
                received=received,
                pauses_for_customer=pauses,
            )
            # Answered in time, then waiting for the customer's access to the line since.
            await _move(
                conn, ticket, TicketStatus.CLASSIFIED, desk, received + timedelta(minutes=10)
            )
            await _move(
                conn,
                ticket,
                TicketStatus.WAITING_FOR_CUSTOMER,
                desk,
                received + timedelta(minutes=30),
            )

    body = (await _kpis(client, DESK, **{"from": "2026-04-01", "to": "2026-04-30"})).json()

    total = body["total"]
    assert total["response_on_time"] == {"hits": 2, "total": 2, "rate": 1.0}
    # Only the ticket whose contract does not pause went late on arrival and resolution.
    assert total["arrival_on_time"] == {"hits": 0, "total": 1, "rate": 0.0}
    assert total["resolution_on_time"] == {"hits": 0, "total": 1, "rate": 0.0}
    # Both are still open now, nine days old.
    assert total["backlog_open"] == 2
    assert {b["label"]: b["count"] for b in total["backlog"]}["7-30 days"] == 2


async def test_a_repeat_of_a_fault_from_before_the_range_is_recognised(
    client: httpx.AsyncClient, seeded_pool: Pool, fixed_now: datetime
) -> None:
    march = datetime(2026, 3, 20, tzinfo=UTC)
    async with seeded_pool.connection() as conn:
        support = await _user(conn, "demo-support")
        tickets = []
        for received in (march, datetime(2026, 4, 2, tzinfo=UTC)):
            ticket = await _register(
                conn, customer="alpenpack", line="line-3", machine="l3-sealer", received=received
            )
            await _fault_code(conn, ticket, 103, received)
            tickets.append(ticket)
        # The March ticket was fixed in March: only the 30-day look-back finds it.
        for minutes, target in (
            (10, TicketStatus.CLASSIFIED),
            (20, TicketStatus.REMOTE_DIAGNOSIS),
            (40, TicketStatus.RESOLVED_REMOTELY),
        ):
            await _move(conn, tickets[0], target, support, march + timedelta(minutes=minutes))

    april = (await _kpis(client, DESK, **{"from": "2026-04-01", "to": "2026-04-30"})).json()

    assert april["total"]["received"] == 1
    assert april["total"]["repeat_faults"] == {"hits": 1, "total": 1, "rate": 1.0}


async def test_grouped_by_customer_engineer_line_model_and_fault_type(
    client: httpx.AsyncClient, worked_march: dict[str, int], fixed_now: datetime
) -> None:
    async def groups(dimension: str) -> dict[str, dict[str, Any]]:
        response = await _kpis(client, SUPPORT, group_by=dimension, **MARCH)
        assert response.status_code == 200, response.text
        return {g["label"]: g["figures"] for g in response.json()["groups"]}

    customers = await groups("customer")
    assert set(customers) == {"Nordbrau GmbH", "Alpenpack AG"}
    assert customers["Alpenpack AG"]["complaints"] == 1
    engineers = await groups("engineer")
    assert set(engineers) == {"J. Mueller", "no field engineer"}
    assert engineers["J. Mueller"]["first_time_fix"] == {"hits": 1, "total": 1, "rate": 1.0}
    models = await groups("line_model")
    assert set(models) == {"FL-3000", "CP-800"}
    faults = await groups("fault_type")
    assert "201 Main drive bearing failure" in faults
    assert faults["201 Main drive bearing failure"]["repeat_faults"]["hits"] == 1


async def test_a_customer_sees_only_their_own_figures(
    client: httpx.AsyncClient, worked_march: dict[str, int], fixed_now: datetime
) -> None:
    nordbrau = (await _kpis(client, NORDBRAU, group_by="customer", **MARCH)).json()
    alpenpack = (await _kpis(client, ALPENPACK, group_by="month", **MARCH)).json()

    assert nordbrau["customer_id"] == "nordbrau"
    assert [g["key"] for g in nordbrau["groups"]] == ["nordbrau"]
    assert nordbrau["total"]["received"] == 2
    assert nordbrau["total"]["complaints"] == 0  # Alpenpack's complaint is not theirs
    assert alpenpack["customer_id"] == "alpenpack"
    assert alpenpack["total"]["received"] == 1
    assert alpenpack["total"]["complaints"] == 1
    assert alpenpack["total"]["satisfaction"] is None


async def test_figures_per_engineer_and_field_engineers_get_no_kpis(
    client: httpx.AsyncClient, worked_march: dict[str, int], fixed_now: datetime
) -> None:
    by_engineer = await _kpis(client, NORDBRAU, group_by="engineer", **MARCH)
    engineer = await _kpis(client, ENGINEER, **MARCH)
    review = await client.get(
        "/api/kpis/service/review", params={"month": "2026-03"}, headers=ENGINEER
    )
    anonymous = await client.get("/api/kpis/service")

    assert by_engineer.status_code == 403
    assert "service desk" in by_engineer.json()["detail"]
    assert engineer.status_code == 403
    assert review.status_code == 403
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-04-01", "to": "2026-03-01"}, "'from' lies after 'to'"),
        ({"from": "2020-01-01", "to": "2026-03-01"}, "at most three years"),
        ({"group_by": "weekday"}, "Input should be"),
        ({"from": "March"}, "valid date"),
    ],
)
async def test_bad_ranges_and_groupings_answer_422_with_a_message(
    client: httpx.AsyncClient, fixed_now: datetime, params: dict[str, str], message: str
) -> None:
    response = await _kpis(client, DESK, **params)

    assert response.status_code == 422
    assert message in str(response.json()["detail"])


async def test_no_tickets_gives_empty_figures_and_six_months_by_default(
    client: httpx.AsyncClient, fixed_now: datetime
) -> None:
    body = (await _kpis(client, DESK)).json()

    assert [g["key"] for g in body["groups"]] == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
    ]
    assert body["until"] == NOW.isoformat().replace("+00:00", "Z")
    assert body["total"]["response_on_time"] == {"hits": 0, "total": 0, "rate": None}
    assert body["total"]["mttr_s"] is None
    assert body["total"]["backlog_open"] == 0


async def test_the_review_pdf_is_a_pdf(
    client: httpx.AsyncClient, worked_march: dict[str, int], fixed_now: datetime
) -> None:
    response = await client.get(
        "/api/kpis/service/review", params={"month": "2026-03", "format": "pdf"}, headers=DESK
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="service-review-2026-03.pdf"' in response.headers["content-disposition"]


def _sections(content: bytes) -> dict[str, list[list[str]]]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    sections: dict[str, list[list[str]]] = {}
    title: str | None = None
    for row in rows:
        if not row:
            title = None
        elif title is None:
            title = row[0]
            sections[title] = []
        else:
            sections[title].append(row)
    return sections


async def test_the_review_csv_parses_and_a_customer_gets_their_own_without_engineers(
    client: httpx.AsyncClient, worked_march: dict[str, int], fixed_now: datetime
) -> None:
    desk = await client.get(
        "/api/kpis/service/review", params={"month": "2026-03", "format": "csv"}, headers=DESK
    )
    customer = await client.get(
        "/api/kpis/service/review", params={"month": "2026-03", "format": "csv"}, headers=NORDBRAU
    )

    assert desk.status_code == 200, desk.text
    assert desk.headers["content-type"].startswith("text/csv")
    sections = _sections(desk.content)
    header, *months = sections["Trend by month"]
    assert header[:3] == ["Month", "Received", "Resolved"]
    assert [m[0] for m in months] == [
        "Oct 2025",
        "Nov 2025",
        "Dec 2025",
        "Jan 2026",
        "Feb 2026",
        "Mar 2026",
    ]
    march = dict(zip(header, months[-1], strict=True))
    assert (march["Received"], march["Response on time %"], march["Complaints"]) == (
        "3",
        "33.3",
        "1",
    )
    assert [row[0] for row in sections["By engineer"][1:]] == ["J. Mueller", "no field engineer"]

    assert customer.status_code == 200
    assert (
        'filename="service-review-2026-03-nordbrau.csv"' in customer.headers["content-disposition"]
    )
    own = _sections(customer.content)
    assert "By engineer" not in own
    assert [row[0] for row in own["By customer"][1:]] != []
    assert all("Alpenpack" not in row[0] for row in own["By customer"][1:])


@pytest.mark.parametrize(
    ("params", "status_code"),
    [
        ({"month": "2026-13"}, 422),
        ({"month": "March"}, 422),
        ({"month": "2026-05"}, 422),  # not begun yet
        ({"month": "2026-03", "format": "xlsx"}, 422),
        ({}, 422),
    ],
)
async def test_bad_review_requests_answer_422(
    client: httpx.AsyncClient, fixed_now: datetime, params: dict[str, str], status_code: int
) -> None:
    response = await client.get("/api/kpis/service/review", params=params, headers=DESK)

    assert response.status_code == status_code, response.text


async def test_the_kpi_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/kpis")

    assert response.status_code == 200
    assert "/static/kpi.js" in response.text
