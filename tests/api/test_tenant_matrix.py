"""Every endpoint, called by a customer user with another customer's ids, answers 404
(or 403 where the whole resource is closed to customers) and leaks no byte of the
other customer's data: exports, streams and search included (docs/access.md,
"Tenant isolation").

The routes come from the app's OpenAPI document, so a new endpoint is called too; it
fails here until it has an entry in ``EXPECTED`` saying what a customer of another
customer must get.
"""

from __future__ import annotations

import asyncio
import json
import re
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from models.plant import Plant
from settings.linecare_settings import Settings
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.database import open_pool
from storage.user_store import seed_demo_users
from tests.api.conftest import ALPENPACK, NORDBRAU, SUPPORT
from tests.api.factories import (
    T0,
    insert_alert,
    insert_anomaly_score,
    insert_oee,
    insert_samples,
    insert_ticket,
    insert_ticket_event,
)

pytestmark = pytest.mark.integration

# Customer A owns the data; a user of customer B tries to reach it.
OWNER, INTRUDER = NORDBRAU, ALPENPACK
SECRET = "NORDBRAU-SECRET"
NOT_FOUND, FORBIDDEN = 404, 403

# What a user of customer B gets from each endpoint when the path, query or body names
# customer A's line, machine, ticket, etc. The rule (docs/access.md):
# - 404 when the endpoint serves customers: another customer's record is answered
#   exactly like a missing one, so its existence is not revealed;
# - 403 when the endpoint is closed to the customer role as a whole (staff work, spare
#   parts, administration): the answer is the same for every id and says nothing;
# - 2xx for the customer's own lists, searches and creations: they must show nothing
#   of customer A, even asked with A's ids in the query;
# - 401/400/422 for the sign-in endpoints, which the customer's credentials do not enter.
EXPECTED: dict[str, int] = {
    "GET /health": 200,
    "POST /sign-in": 401,
    "POST /sign-out": 204,
    "POST /token": 401,
    "POST /token/refresh": 401,
    "POST /token/revoke": 204,
    "GET /sign-in/demo-tokens": 200,
    "GET /api-keys": 403,
    "POST /api-keys": NOT_FOUND,
    "DELETE /api-keys/{key_id}": 404,
    "GET /audit": 403,
    "GET /me": 200,
    "GET /lines": 200,
    "GET /lines/{line_id}": NOT_FOUND,
    "GET /machines/{machine_id}/live": NOT_FOUND,
    "GET /machines/{machine_id}/trend": NOT_FOUND,
    "GET /machines/{machine_id}/trends": NOT_FOUND,
    "GET /machines/{machine_id}/sisters": NOT_FOUND,
    "GET /machines/{machine_id}/contributions": NOT_FOUND,
    "GET /machines/{machine_id}/live/stream": NOT_FOUND,
    "GET /lines/{line_id}/live/stream": NOT_FOUND,
    "GET /machine-status": NOT_FOUND,
    "GET /machines/{machine_id}/anomaly": NOT_FOUND,
    "GET /oee": NOT_FOUND,
    "GET /reports/lines/{line_id}": NOT_FOUND,
    "GET /reports/lines/{line_id}/report.csv": NOT_FOUND,
    "GET /reports/lines/{line_id}/report.pdf": NOT_FOUND,
    "GET /alerts": 200,
    "GET /tickets": 200,
    "POST /tickets": NOT_FOUND,
    "GET /tickets/{ticket_id}": NOT_FOUND,
    "POST /tickets/{ticket_id}/transitions": NOT_FOUND,
    "POST /tickets/{ticket_id}/change-approval": NOT_FOUND,
    "POST /tickets/{ticket_id}/annotations": NOT_FOUND,
    "GET /tickets/{ticket_id}/annotations": NOT_FOUND,
    "GET /machines/{machine_id}/annotations": NOT_FOUND,
    "GET /tickets/{ticket_id}/dispatch-candidates": NOT_FOUND,
    "POST /tickets/{ticket_id}/dispatch": NOT_FOUND,
    "GET /tickets/{ticket_id}/dispatch": NOT_FOUND,
    "POST /tickets/assignments": NOT_FOUND,
    "GET /ticket-owners": NOT_FOUND,
    "GET /engineers": NOT_FOUND,
    "GET /engineers/{login}": NOT_FOUND,
    "PUT /engineers/{login}": NOT_FOUND,
    "GET /my-jobs": NOT_FOUND,
    "POST /my-jobs/{ticket_id}/accept": NOT_FOUND,
    "GET /tickets/{ticket_id}/evidence": NOT_FOUND,
    "GET /kpis/service": 200,
    "GET /kpis/service/review": 200,
    "GET /tickets/{ticket_id}/report": NOT_FOUND,
    "PUT /tickets/{ticket_id}/report": NOT_FOUND,
    "POST /tickets/{ticket_id}/sign-off": NOT_FOUND,
    "GET /tickets/{ticket_id}/survey": NOT_FOUND,
    "POST /tickets/{ticket_id}/survey": NOT_FOUND,
    "POST /tickets/{ticket_id}/callbacks": NOT_FOUND,
    "GET /tickets/{ticket_id}/rca": NOT_FOUND,
    "PUT /tickets/{ticket_id}/rca": NOT_FOUND,
    "GET /complaints": 200,
    "POST /complaints": NOT_FOUND,
    "GET /complaints/{complaint_id}": NOT_FOUND,
    "POST /complaints/{complaint_id}/transitions": NOT_FOUND,
    "GET /webhooks": 200,
    "POST /webhooks": 201,
    "GET /webhooks/{webhook_id}": NOT_FOUND,
    "PATCH /webhooks/{webhook_id}": NOT_FOUND,
    "DELETE /webhooks/{webhook_id}": NOT_FOUND,
    "POST /webhooks/{webhook_id}/secret": NOT_FOUND,
    "GET /notifications/deliveries": 200,
    "GET /notifications/deliveries/{delivery_id}": NOT_FOUND,
    "POST /notifications/deliveries/{delivery_id}/retry": NOT_FOUND,
    "GET /parts": FORBIDDEN,
    "POST /parts": FORBIDDEN,
    "GET /parts/{part_number}": FORBIDDEN,
    "PUT /parts/{part_number}": FORBIDDEN,
    "GET /machines/{machine_id}/installed-parts": NOT_FOUND,
    "GET /tickets/{ticket_id}/part-suggestions": NOT_FOUND,
    "GET /tickets/{ticket_id}/checklist": NOT_FOUND,
    "PUT /tickets/{ticket_id}/checklist/{occurrence_id}/{position}": NOT_FOUND,
    "GET /stores": FORBIDDEN,
    "POST /stores": FORBIDDEN,
    "GET /stores/{store_id}": FORBIDDEN,
    "GET /stock": FORBIDDEN,
    "GET /stock/warnings": FORBIDDEN,
    "PUT /stock/{store_id}/{part_number}": FORBIDDEN,
    "GET /ledger": FORBIDDEN,
    "POST /ledger": FORBIDDEN,
    "GET /requisitions": FORBIDDEN,
    "POST /requisitions": FORBIDDEN,
    "GET /requisitions/{requisition_id}": FORBIDDEN,
    "POST /requisitions/{requisition_id}/decision": FORBIDDEN,
    "POST /requisitions/{requisition_id}/receipt": FORBIDDEN,
    "GET /serials/{part_number}/{serial}": FORBIDDEN,
    "POST /serials/replacements": FORBIDDEN,
    "GET /stock-planning": FORBIDDEN,
    "GET /parts-consumption": FORBIDDEN,
    "GET /tickets/{ticket_id}/costs": NOT_FOUND,
    "POST /tickets/{ticket_id}/costs": NOT_FOUND,
    "GET /service-costs": FORBIDDEN,
    "GET /inspections/templates": 200,
    "POST /inspections": NOT_FOUND,
    "GET /inspections/{inspection_id}": NOT_FOUND,
    "POST /inspections/{inspection_id}/findings/{position}/ticket": NOT_FOUND,
    "GET /lines/{line_id}/inspections": NOT_FOUND,
    "GET /maintenance/plans": 200,
    "GET /maintenance/plans/{machine_model}": NOT_FOUND,
    "PUT /maintenance/plans/{machine_model}": FORBIDDEN,
    "GET /maintenance/overrides": NOT_FOUND,
    "PUT /maintenance/overrides/{machine_id}/{task_key}": NOT_FOUND,
    "DELETE /maintenance/overrides/{machine_id}/{task_key}": NOT_FOUND,
    "GET /maintenance/calendar": NOT_FOUND,
    "POST /maintenance/tasks/{occurrence_id}/skip": NOT_FOUND,
    "GET /knowledge": 200,
    "POST /knowledge": FORBIDDEN,
    "GET /knowledge/{entry_id}": NOT_FOUND,
    "PUT /knowledge/{entry_id}": FORBIDDEN,
    "POST /knowledge/{entry_id}/transitions": FORBIDDEN,
    "GET /knowledge/{entry_id}/versions/{version}": NOT_FOUND,
    "GET /fleet": FORBIDDEN,
    "POST /knowledge/proposals": FORBIDDEN,
    "GET /tickets/{ticket_id}/knowledge": NOT_FOUND,
    "GET /machines/{machine_id}/knowledge": NOT_FOUND,
    "GET /alerts/{alert_id}/knowledge": NOT_FOUND,
}

# Public by design: the demo sign-in page lists the demo accounts, customer A's included.
ALLOWED_MENTIONS: dict[str, frozenset[str]] = {
    "GET /sign-in/demo-tokens": frozenset({"nordbrau"}),
}


@dataclass(frozen=True, slots=True)
class Seeded:
    """Customer A's records, by the name of the path parameter that takes their id."""

    ids: dict[str, str]
    ticket_number: str


@pytest.fixture
async def seeded(app: FastAPI, client: httpx.AsyncClient, seeded_pool: Pool) -> Seeded:
    """Customer A's data in every kind of record an endpoint can name, marked ``SECRET``."""
    app.state.ticket_clock = lambda: T0 + timedelta(hours=1)
    async with seeded_pool.connection() as conn:
        await insert_samples(
            conn, machine_id="l1-filler", signal="bearing_temp", samples=[(T0, 41.5)]
        )
        await insert_anomaly_score(conn, machine_id="l1-filler", time=T0, score=0.8)
        await insert_oee(conn, scope="line", subject_id="line-1", shift_start=T0)
        alert = await insert_alert(conn, machine_id="l1-filler", message=f"{SECRET} alert")
        ticket = await insert_ticket(
            conn,
            customer_id="nordbrau",
            line_id="line-1",
            machine_id="l1-filler",
            summary=f"{SECRET} ticket",
        )
        await insert_ticket_event(conn, ticket_id=ticket, at=T0, kind="note", note=f"{SECRET} note")
        cursor = await conn.execute("SELECT number FROM tickets WHERE id = %s", (ticket,))
        number = await cursor.fetchone()
    api = _prefix(app)
    made = {
        "annotation": await client.post(
            f"{api}/tickets/{ticket}/annotations",
            json={"machine_id": "l1-filler", "at": T0.isoformat(), "note": f"{SECRET} mark"},
            headers=SUPPORT,
        ),
        "complaint": await client.post(
            f"{api}/complaints",
            json={"ticket_id": ticket, "description": f"{SECRET} complaint"},
            headers=OWNER,
        ),
        "webhook": await client.post(
            f"{api}/webhooks",
            json={"url": "https://hooks.example/nordbrau", "description": f"{SECRET} hook"},
            headers=OWNER,
        ),
        "key": await client.post(f"{api}/api-keys", json={"name": f"{SECRET} key"}, headers=OWNER),
        "entry": await client.post(
            f"{api}/knowledge",
            json={"kind": "symptom", "title": f"{SECRET} entry", "machine_models": ["FIL-12"]},
            headers=SUPPORT,
        ),
    }
    for kind, response in made.items():
        assert response.status_code in (200, 201), f"seeding the {kind}: {response.text}"
    entry = made["entry"].json()
    return Seeded(
        ids={
            "line_id": "line-1",
            "machine_id": "l1-filler",
            "ticket_id": str(ticket),
            "alert_id": str(alert),
            "complaint_id": str(made["complaint"].json()["id"]),
            "webhook_id": str(made["webhook"].json()["id"]),
            "key_id": str(made["key"].json()["api_key"]["id"]),
            "entry_id": str((entry.get("entry") or entry)["id"]),
            "version": "1",
            "machine_model": "FIL-12",
            # Records the seed does not make: an id of nothing, answered the same way.
            "delivery_id": "1",
            "inspection_id": "1",
            "position": "1",
            "occurrence_id": "1",
            "requisition_id": "1",
            "login": "demo-field-1",
            "store_id": "central",
            "part_number": "FIL12-BRG-KIT",
            "serial": "FIL12-88121",
            "task_key": "lubrication",
        },
        ticket_number=str(number[0]) if number else "",
    )


def _prefix(app: FastAPI) -> str:
    """Where the API lives (``/api`` or a versioned ``/api/v1``), read from its health path."""
    health: str = next(p for p in app.openapi()["paths"] if p.endswith("/health"))
    return health.removesuffix("/health")


def _query(seeded: Seeded) -> dict[str, str]:
    """Query parameters, by name, pointing at customer A wherever they can."""
    return {
        "line_id": "line-1",
        "machine_id": "l1-filler",
        "ticket_id": seeded.ids["ticket_id"],
        "customer_id": "nordbrau",
        "webhook_id": seeded.ids["webhook_id"],
        "q": SECRET,
        "login": "demo-nordbrau",
        "signal": "bearing_temp",
        "signals": "bearing_temp",
        "month": "2026-03",
        "since": (T0 - timedelta(days=1)).isoformat(),
        "until": (T0 + timedelta(days=1)).isoformat(),
    }


def _body(route: str, seeded: Seeded) -> dict[str, Any] | None:
    """A valid body for each endpoint that takes one, naming customer A's records."""
    ticket = int(seeded.ids["ticket_id"])
    bodies: dict[str, dict[str, Any]] = {
        "POST /sign-in": {"login": "demo-nordbrau", "password": "not-the-password"},
        "POST /token": {"login": "demo-nordbrau", "password": "not-the-password"},
        "POST /token/refresh": {"refresh_token": "x" * 43},
        "POST /token/revoke": {"refresh_token": "x" * 43},
        "POST /api-keys": {"name": "intruder key", "customer_id": "nordbrau"},
        "POST /tickets": {"line_id": "line-1", "machine_id": "l1-filler", "summary": "mine?"},
        "POST /tickets/{ticket_id}/transitions": {"to": "archived", "note": "closing"},
        "POST /tickets/{ticket_id}/change-approval": {},
        "POST /tickets/{ticket_id}/annotations": {
            "machine_id": "l1-filler",
            "at": T0.isoformat(),
            "note": "here",
        },
        "POST /tickets/{ticket_id}/dispatch": {"engineer": "demo-field-1"},
        "POST /tickets/assignments": {"owner": "demo-desk", "ticket_ids": [ticket]},
        "PUT /engineers/{login}": {},
        "PUT /tickets/{ticket_id}/report": {
            "symptoms": "s",
            "diagnosis": "d",
            "actions_taken": "a",
            "state_after": "ok",
        },
        "POST /tickets/{ticket_id}/sign-off": {"accepted": True},
        "POST /tickets/{ticket_id}/survey": {
            "attitude": 5,
            "response_speed": 5,
            "technical_skill": 5,
            "effectiveness": 5,
            "overall": 5,
        },
        "POST /tickets/{ticket_id}/callbacks": {"problem_gone": True},
        "PUT /tickets/{ticket_id}/rca": {
            "root_cause": "r",
            "corrective_actions": [],
            "preventive_actions": [],
        },
        "POST /complaints": {"ticket_id": ticket, "description": "about their ticket"},
        "POST /complaints/{complaint_id}/transitions": {"to": "classified"},
        "POST /webhooks": {"url": "https://hooks.example/intruder"},
        "PATCH /webhooks/{webhook_id}": {"active": False},
        "POST /parts": {
            "part_number": "X-1",
            "description": "x",
            "part_class": "wear",
            "serialized": False,
            "unit_cost": 1,
            "currency": "EUR",
            "supplier": "s",
            "lead_time_days": 1,
        },
        "PUT /parts/{part_number}": {
            "description": "x",
            "part_class": "wear",
            "serialized": False,
            "unit_cost": 1,
            "currency": "EUR",
            "supplier": "s",
            "lead_time_days": 1,
        },
        "POST /stores": {"id": "s-1", "name": "s", "kind": "central"},
        "PUT /stock/{store_id}/{part_number}": {"safety_stock": 1, "reorder_point": 1},
        "POST /ledger": {
            "kind": "receipt",
            "store_id": "central",
            "part_number": "FIL12-BRG-KIT",
            "quantity": 1,
        },
        "POST /requisitions": {
            "part_number": "FIL12-BRG-KIT",
            "quantity": 1,
            "purpose": "ticket",
            "store_id": "central",
            "ticket_id": ticket,
        },
        "POST /requisitions/{requisition_id}/decision": {"approve": True},
        "POST /requisitions/{requisition_id}/receipt": {},
        "POST /serials/replacements": {
            "ticket_id": ticket,
            "machine_id": "l1-filler",
            "position": "main-bearing",
            "part_number": "FIL12-BRG-KIT",
            "failure_reason": "worn",
            "store_id": "central",
        },
        "PUT /tickets/{ticket_id}/checklist/{occurrence_id}/{position}": {
            "item": "Inspect valve seals for wear and leaks",
            "outcome": "ok",
        },
        "POST /tickets/{ticket_id}/costs": {"work_date": "2026-03-02", "labour_hours": 1},
        "POST /inspections": {"line_id": "line-1", "answers": []},
        "PUT /maintenance/plans/{machine_model}": {
            "machine_model": "FIL-12",
            "name": "plan",
            "tasks": [],
        },
        "PUT /maintenance/overrides/{machine_id}/{task_key}": {"reason": "r"},
        "POST /maintenance/tasks/{occurrence_id}/skip": {"reason": "r"},
        "POST /knowledge": {
            "kind": "symptom",
            "title": "their title",
            "machine_models": ["FIL-12"],
        },
        "PUT /knowledge/{entry_id}": {
            "kind": "symptom",
            "title": "their title",
            "machine_models": ["FIL-12"],
            "base_version": 1,
        },
        "POST /knowledge/{entry_id}/transitions": {"to": "in_review"},
        "POST /knowledge/proposals": {"ticket_id": ticket},
    }
    return bodies.get(route)


def _markers(plant: Plant, seeded: Seeded) -> list[str]:
    """Strings that identify customer A's data, lower-cased."""
    customer = next(c for c in plant.customers if c.id == "nordbrau")
    found = [
        SECRET,
        customer.id,
        customer.name,
        customer.contact.name,
        customer.contact.phone,
        customer.contract.number,
        seeded.ticket_number,
    ]
    for site in customer.sites:
        found.append(site.name)
        for line in site.lines:
            found += [line.id, line.name, line.serial]
            found += [m for machine in line.machines for m in (machine.id, machine.serial)]
    return [m.lower() for m in found if m]


def _readable(content: bytes) -> bytes:
    """The answer as text to search: a PDF's compressed page streams inflated, since its
    core-font text is only readable there."""
    if not content.startswith(b"%PDF"):
        return content
    pages = [content]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.DOTALL):
        try:
            pages.append(zlib.decompress(stream))
        except zlib.error:  # not a deflated stream (an image, say): searched as it is
            pages.append(stream)
    return b"\n".join(pages)


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the OpenAPI document."""
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    ]


async def _call(
    client: httpx.AsyncClient, method: str, url: str, params: dict[str, str], body: Any
) -> tuple[int, bytes]:
    """Status and the first bytes of the answer; a stream that opens is read for a second."""
    headers = {**INTRUDER, "X-Requested-With": "tenant-matrix"}
    request = client.build_request(method, url, params=params, json=body, headers=headers)
    response = await client.send(request, stream=True)
    chunks = bytearray()
    try:
        async with asyncio.timeout(1.0):
            async for chunk in response.aiter_bytes():
                chunks += chunk
    except TimeoutError:  # an open stream: what it sent in a second is what is checked
        pass
    finally:
        await response.aclose()
    return response.status_code, bytes(chunks)


async def test_another_customers_ids_answer_404_or_403_and_leak_nothing(
    app: FastAPI, client: httpx.AsyncClient, seeded: Seeded, plant: Plant
) -> None:
    api = _prefix(app)
    query = _query(seeded)
    markers = _markers(plant, seeded)
    problems: list[str] = []
    unclassified: list[str] = []
    for method, path in _routes(app):
        route = f"{method} {path.removeprefix(api)}"
        if route not in EXPECTED:
            unclassified.append(route)
            continue
        names = re.findall(r"{(\w+)}", path)
        missing = [n for n in names if n not in seeded.ids]
        assert not missing, f"{route}: give path parameters {missing} a value in the seed"
        url = path.format(**{n: seeded.ids[n] for n in names})
        spec = app.openapi()["paths"][path][method.lower()]
        wanted = {p["name"] for p in spec.get("parameters", []) if p["in"] == "query"}
        params = {name: value for name, value in query.items() if name in wanted}
        body = _body(route, seeded)
        if "requestBody" in spec and body is None:
            problems.append(f"{route}: give it a valid body in _body()")
            continue
        status, content = await _call(client, method, url, params, body)
        sent = (url + json.dumps(params) + json.dumps(body)).lower()
        allowed = ALLOWED_MENTIONS.get(route, frozenset())
        text = _readable(content).lower()
        leaked = [m for m in markers if m not in sent and m not in allowed and m.encode() in text]
        if status != EXPECTED[route]:
            problems.append(f"{route}: {status}, expected {EXPECTED[route]}: {content[:200]!r}")
        if leaked:
            problems.append(f"{route}: leaked {leaked}: {content[:300]!r}")
    # The leak check reads PDF text: the intruder's own review names their own customer.
    own = await client.get(
        f"{api}/kpis/service/review", params={"month": "2026-03"}, headers=INTRUDER
    )
    assert b"alpenpack" in _readable(own.content).lower(), "the PDF's text is not searched"
    if unclassified:
        problems.append(
            "Endpoints with no entry in EXPECTED (tests/api/test_tenant_matrix.py): say what"
            " a user of another customer must get from each (404, 403 or its own data):\n  "
            + "\n  ".join(unclassified)
        )
    assert not problems, "\n".join(problems)


@pytest.fixture
async def one_connection_app(
    settings: Settings, plant: Plant, database_dsn: str
) -> AsyncIterator[FastAPI]:
    """The app over a pool of exactly one connection: every request gets the same one."""
    pool = open_pool(database_dsn, min_size=1, max_size=1)
    await pool.open(wait=True)
    async with pool.connection() as conn:
        await sync_assets(conn, plant)
        await seed_demo_users(conn)
        for customer, line, machine in (
            ("nordbrau", "line-1", "l1-filler"),
            ("alpenpack", "line-3", "l3-packer"),
        ):
            await insert_ticket(
                conn,
                customer_id=customer,
                line_id=line,
                machine_id=machine,
                summary=f"{customer} ticket",
            )
    try:
        yield create_app(settings, plant, pool=pool)
    finally:
        await pool.close()


async def test_the_connection_serves_staff_in_full_after_a_customer_request(
    one_connection_app: FastAPI,
) -> None:
    api = _prefix(one_connection_app)
    transport = httpx.ASGITransport(app=one_connection_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://linecare.test") as client:
        own = await client.get(f"{api}/tickets", headers=INTRUDER)
        refused = await client.get(f"{api}/lines/line-1", headers=INTRUDER)
        staff = await client.get(f"{api}/tickets", headers=SUPPORT)

    assert own.status_code == 200
    assert "alpenpack ticket" in own.text
    assert "nordbrau ticket" not in own.text
    assert refused.status_code == NOT_FOUND
    assert staff.status_code == 200
    assert "alpenpack ticket" in staff.text
    assert "nordbrau ticket" in staff.text, "the customer's scope outlived its request"
    pool: Pool = one_connection_app.state.pool
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT current_user <> 'linecare_customer',"
            " coalesce(current_setting('linecare.customer_id', true), ''),"
            " (SELECT count(*) FROM tickets)"
        )
        assert await cursor.fetchone() == (True, "", 2)
