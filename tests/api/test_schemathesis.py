"""Schemathesis against the OpenAPI document: whatever the schema allows, no 5xx.

Every operation gets a few generated requests (its documented examples first),
sent as an administrator over real HTTP to the app on the test database. The
live streams are left out: they answer with a stream that never ends.
Stateful sequences are off, to keep the run to about a minute on two cores.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from models.users import Role
from storage.connections import Pool
from storage.user_store import create_user

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ADMIN_TOKEN = "schemathesis-admin"
EXAMPLES_PER_OPERATION = 20
STREAM = "text/event-stream"


@pytest.fixture
async def admin(seeded_pool: Pool) -> dict[str, str]:
    async with seeded_pool.connection() as conn:
        await create_user(
            conn,
            login="schemathesis",
            display_name="Schemathesis",
            role=Role.ADMIN,
            customer_id=None,
            token=ADMIN_TOKEN,
        )
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def test_no_operation_answers_a_server_error(api_url: str, admin: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=api_url) as http:
        document = (await http.get("/openapi.json")).json()
    # The requests are synchronous; they run in a thread while the app serves on this loop.
    run = await asyncio.to_thread(_fuzz, document, api_url, admin)

    assert run.failures == [], "\n\n".join(run.failures)
    assert len(run.tried) > 100
    # Signed in as an administrator (the audit log is theirs alone), the requests get
    # through to the work, not only to 401s, 404s and 422s.
    assert {"GET /api/v1/audit", "GET /api/v1/tickets", "GET /api/v1/lines"} <= run.answered
    assert len(run.answered) >= 30


@dataclass
class FuzzRun:
    tried: list[str] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)  # operations with a 2xx among the cases
    failures: list[str] = field(default_factory=list)


def _fuzz(document: dict[str, Any], base_url: str, headers: dict[str, str]) -> FuzzRun:
    schema = schemathesis.openapi.from_dict(document)
    run = FuzzRun()
    failures = run.failures
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"an operation schemathesis cannot read: {result.err()}")
            continue
        operation = result.ok()
        if _streams(document, operation.path, operation.method):
            continue
        label = f"{operation.method.upper()} {operation.path}"
        run.tried.append(label)

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        # Requests the schema allows and requests it forbids (which must be 4xx, never 5xx).
        @given(
            case=operation.as_strategy(GenerationMode.POSITIVE)
            | operation.as_strategy(GenerationMode.NEGATIVE)
        )
        def call(case: Any) -> None:
            try:
                response = case.call(base_url=base_url, headers=headers, timeout=30)
            except requests.exceptions.RequestException:
                # A connection the loaded CI machine dropped is no answer of the app's:
                # asked once more, and a second loss fails the run.
                response = case.call(base_url=base_url, headers=headers, timeout=60)
            if response.status_code < 300:
                run.answered.add(label)  # noqa: B023 (each operation runs its own call at once)
            case.validate_response(response, checks=[not_a_server_error])

        try:
            call()
        # Schemathesis groups what it found (a BaseExceptionGroup); all are collected first.
        except (Exception, BaseExceptionGroup) as failure:
            failures.append(f"{label}: {_described(failure)}")
    return run


def _described(failure: BaseException) -> str:
    """The failure with every grouped sub-failure and its notes (the response, the
    reproducing call): a 5xx seen once and not again must still say what it was."""
    lines = [f"{type(failure).__name__}: {failure}", *getattr(failure, "__notes__", [])]
    if isinstance(failure, BaseExceptionGroup):
        lines += ["  " + _described(inner).replace("\n", "\n  ") for inner in failure.exceptions]
    return "\n".join(lines)


def _streams(document: dict[str, Any], path: str, method: str) -> bool:
    responses = document["paths"][path][method.lower()]["responses"]
    return any(STREAM in r.get("content", {}) for r in responses.values())
