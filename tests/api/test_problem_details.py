"""Every error answers as an RFC 9457 problem: 401, 404, 405, 409, 413, 422 and 500."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.problem_details import SERVER_ERROR_DETAIL
from models.plant import Plant
from settings.linecare_settings import Settings
from storage.connections import Pool
from tests.api.conftest import DESK, NORDBRAU
from tests.api.factories import T0, insert_ticket
from tests.api.problems import PROBLEM_JSON

pytestmark = pytest.mark.integration


async def test_a_missing_ticket_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/tickets/999999", headers=DESK)

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "ticket 999999 not found",
    }


async def test_signed_out_is_a_401_problem_that_asks_for_a_bearer(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/tickets")

    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in response.json()["detail"]


async def test_an_unknown_path_and_a_wrong_method_are_problems(
    client: httpx.AsyncClient,
) -> None:
    unknown = await client.get("/api/v1/no-such-thing", headers=DESK)
    wrong_method = await client.delete("/api/v1/lines", headers=DESK)

    assert (unknown.status_code, unknown.json()["title"]) == (404, "Not Found")
    assert unknown.headers["content-type"] == PROBLEM_JSON
    assert (wrong_method.status_code, wrong_method.json()["detail"]) == (
        405,
        "Method Not Allowed",
    )
    assert wrong_method.headers["allow"] == "GET"


async def test_a_failed_validation_names_each_field(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/tickets", params={"limit": "0", "offset": "-1"}, headers=DESK
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["type"] == "urn:linecare:problem:validation"
    assert [(e["field"], e["location"], e["type"]) for e in problem["errors"]] == [
        ("limit", "query", "greater_than_equal"),
        ("offset", "query", "greater_than_equal"),
    ]
    assert problem["detail"] == (
        "limit: Input should be greater than or equal to 1;"
        " offset: Input should be greater than or equal to 0"
    )


async def test_a_body_field_is_named_without_echoing_its_value(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/sign-in",
        json={"login": "demo-desk", "password": 12345},
        headers={"X-Requested-With": "fetch"},
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["location"]) == ("password", "body")
    assert "12345" not in response.text


async def test_a_refused_move_keeps_the_status_and_the_moves_open(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        ticket = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler", received_at=T0
        )

    response = await client.post(
        f"/api/v1/tickets/{ticket}/transitions", json={"to": "repaired"}, headers=DESK
    )

    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "urn:linecare:problem:refused"
    assert problem["detail"].startswith("Refused: a ticket that is registered cannot become")
    assert problem["current_status"] == "registered"
    assert "classified" in problem["allowed_next"]


async def test_another_customers_ticket_is_the_same_404_as_a_missing_one(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        ticket = await insert_ticket(
            conn, customer_id="alpenpack", line_id="line-3", machine_id="l3-sealer"
        )

    foreign = await client.get(f"/api/v1/tickets/{ticket}", headers=NORDBRAU)

    assert foreign.status_code == 404
    missing = await client.get("/api/v1/tickets/999999", headers=NORDBRAU)
    assert foreign.json() == missing.json() | {"detail": f"ticket {ticket} not found"}
    assert set(foreign.json()) == {"type", "title", "status", "detail"}


@pytest.fixture
async def failing_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with one route that fails with an error nobody handles."""

    async def fail() -> None:
        raise RuntimeError("password=hunter2 in a connection string")

    app.add_api_route("/api/v1/failing", fail)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://linecare.test") as http:
        yield http


async def test_an_unhandled_error_is_a_500_problem_without_internals(
    failing_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="api.problem_details"):
        response = await failing_client.get("/api/v1/failing")

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["detail"] == SERVER_ERROR_DETAIL
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "unhandled error answering GET /api/v1/failing" in caplog.text
    assert "hunter2" in caplog.text  # the log keeps what the answer leaves out


@pytest.fixture
async def small_client(
    database_dsn: str, tmp_path: Path, plant: Plant, seeded_pool: Pool
) -> AsyncIterator[httpx.AsyncClient]:
    """An app that takes bodies up to 200 bytes and lets one other origin call it."""
    settings = Settings(
        database_url=database_dsn,
        state_dir=tmp_path,
        manage_services=False,
        api_max_request_bytes=200,
        cors_allowed_origins=["https://portal.example.com"],
    )
    transport = httpx.ASGITransport(app=create_app(settings, plant, pool=seeded_pool))
    async with httpx.AsyncClient(transport=transport, base_url="http://linecare.test") as http:
        yield http


async def test_a_body_over_the_limit_is_a_413_problem(small_client: httpx.AsyncClient) -> None:
    note = {"to": "classified", "note": "x" * 300}
    declared = await small_client.post("/api/v1/tickets/1/transitions", json=note, headers=DESK)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"x" * 100

    undeclared = await small_client.post(
        "/api/v1/tickets/1/transitions", content=chunks(), headers=DESK
    )
    within = await small_client.post(
        "/api/v1/tickets/999999/transitions", json={"to": "classified"}, headers=DESK
    )

    for refused in (declared, undeclared):
        assert refused.status_code == 413
        assert refused.headers["content-type"] == PROBLEM_JSON
        assert refused.json()["detail"] == (
            "The request body is larger than the 200 bytes this API takes."
        )
    assert within.status_code == 404  # read, and refused for what it says


async def test_cors_answers_the_configured_origin_only(
    small_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    def preflight(origin: str) -> dict[str, str]:
        return {
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        }

    allowed = await small_client.options(
        "/api/v1/lines", headers=preflight("https://portal.example.com")
    )
    other = await small_client.options("/api/v1/lines", headers=preflight("https://evil.example"))
    by_default = await client.get(
        "/api/v1/lines", headers={**DESK, "Origin": "https://portal.example.com"}
    )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://portal.example.com"
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in by_default.headers
    assert other.status_code == 400
    assert other.headers["content-type"] == PROBLEM_JSON
    assert other.json()["detail"] == (
        "This cross-origin request is not allowed: the API does not accept its origin."
    )


async def test_a_refused_preflight_names_each_refused_part(
    small_client: httpx.AsyncClient,
) -> None:
    refused = await small_client.options(
        "/api/v1/lines",
        headers={
            "Origin": "https://portal.example.com",
            "Access-Control-Request-Method": "TRACE",
            "Access-Control-Request-Headers": "x-forwarded-host",
        },
    )

    assert refused.status_code == 400
    assert refused.json()["detail"] == (
        "This cross-origin request is not allowed: the API does not accept its method and a"
        " header it wants to send."
    )
