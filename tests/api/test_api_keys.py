"""API keys over the API: created by their owner or an administrator, scoped, revocable."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from models.users import Role
from storage.connections import Pool
from storage.user_store import create_user
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT

pytestmark = pytest.mark.integration

ADMIN = {"Authorization": "Bearer admin-token"}
PORTAL_TICKET: dict[str, Any] = {
    "line_id": "line-1",
    "machine_id": "l1-filler",
    "ticket_type": "general_fault",
    "severity": "general",
    "summary": "Filler drips after the cleaning cycle",
    "contact_name": "Jonas Brandt",
}


@pytest.fixture
async def admin(seeded_pool: Pool) -> None:
    async with seeded_pool.connection() as conn:
        await create_user(
            conn,
            login="admin",
            display_name="Administrator",
            role=Role.ADMIN,
            customer_id=None,
            token="admin-token",
        )


async def _create(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post("/api/api-keys", json={"name": "probe", **body}, headers=headers)


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_a_user_creates_a_key_shown_once_and_only_its_digest_is_kept(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    response = await _create(client, DESK, name="MES export", access="full")

    assert response.status_code == 201, response.text
    body = response.json()
    key = body["key"]
    assert key.startswith("lck_") and "." not in key
    assert body["api_key"]["owner_login"] == "demo-desk"
    assert body["api_key"]["access"] == "full"
    assert (await client.get("/api/me", headers=_bearer(key))).json()["login"] == "demo-desk"
    listed = (await client.get("/api/api-keys", headers=DESK)).json()
    assert "key" not in listed[0] and listed[0]["name"] == "MES export"
    async with seeded_pool.connection() as conn:
        cursor = await conn.execute("SELECT count(*) FROM api_keys WHERE key_sha256 = %s", (key,))
        assert await cursor.fetchone() == (0,)


async def test_the_demo_tokens_are_personal_keys_of_their_users(
    client: httpx.AsyncClient,
) -> None:
    keys = (await client.get("/api/api-keys", headers=SUPPORT)).json()

    assert [(k["name"], k["personal"], k["access"]) for k in keys] == [
        ("personal token", True, "full")
    ]


async def test_a_read_only_key_reads_but_changes_nothing(client: httpx.AsyncClient) -> None:
    key = (await _create(client, DESK, access="read_only")).json()["key"]

    read = await client.get("/api/tickets", headers=_bearer(key))
    write = await client.post("/api/tickets", json=PORTAL_TICKET, headers=_bearer(key))
    new_key = await _create(client, _bearer(key))

    assert read.status_code == 200
    assert write.status_code == 403
    assert "read-only" in write.json()["detail"]
    assert new_key.status_code == 403


async def test_a_tickets_write_key_changes_tickets_and_nothing_else(
    client: httpx.AsyncClient,
) -> None:
    key = (await _create(client, NORDBRAU, access="tickets_write")).json()["key"]

    ticket = await client.post("/api/tickets", json=PORTAL_TICKET, headers=_bearer(key))
    other = await _create(client, _bearer(key))

    assert ticket.status_code == 201, ticket.text
    assert other.status_code == 403
    assert "tickets only" in other.json()["detail"]


async def test_a_revoked_key_stops_working_at_once(client: httpx.AsyncClient) -> None:
    created = (await _create(client, DESK)).json()
    key, key_id = created["key"], created["api_key"]["id"]
    assert (await client.get("/api/me", headers=_bearer(key))).status_code == 200

    revoked = await client.delete(f"/api/api-keys/{key_id}", headers=DESK)
    again = await client.delete(f"/api/api-keys/{key_id}", headers=DESK)

    assert revoked.status_code == again.status_code == 204
    assert (await client.get("/api/me", headers=_bearer(key))).status_code == 401
    listed = (await client.get("/api/api-keys", headers=DESK)).json()
    assert next(k for k in listed if k["id"] == key_id)["revoked_at"] is not None


async def test_the_last_use_is_recorded(client: httpx.AsyncClient) -> None:
    created = (await _create(client, DESK)).json()
    assert created["api_key"]["last_used_at"] is None

    await client.get("/api/lines", headers=_bearer(created["key"]))

    listed = (await client.get("/api/api-keys", headers=DESK)).json()
    assert next(k for k in listed if k["id"] == created["api_key"]["id"])["last_used_at"]


async def test_a_staff_key_bound_to_a_customer_acts_as_that_customer(
    client: httpx.AsyncClient,
) -> None:
    key = (await _create(client, SUPPORT, customer_id="alpenpack")).json()["key"]

    lines = (await client.get("/api/lines", headers=_bearer(key))).json()
    foreign = await client.get("/api/lines/line-1", headers=_bearer(key))
    me = (await client.get("/api/me", headers=_bearer(key))).json()

    assert [line["id"] for line in lines] == ["line-3"]
    assert foreign.status_code == 404
    assert (me["role"], me["customer_id"]) == ("customer", "alpenpack")


async def test_a_customers_key_is_confined_to_their_customer(
    client: httpx.AsyncClient,
) -> None:
    plain = await _create(client, NORDBRAU)
    other = await _create(client, NORDBRAU, customer_id="alpenpack")

    assert plain.json()["api_key"]["customer_id"] == "nordbrau"
    assert other.status_code == 404
    lines = (await client.get("/api/lines", headers=_bearer(plain.json()["key"]))).json()
    assert [line["id"] for line in lines] == ["line-1", "line-2"]


async def test_an_unknown_customer_is_refused(client: httpx.AsyncClient) -> None:
    assert (await _create(client, DESK, customer_id="nobody")).status_code == 404


async def test_another_customers_key_is_404_and_never_listed(
    client: httpx.AsyncClient,
) -> None:
    created = (await _create(client, NORDBRAU)).json()
    key_id = created["api_key"]["id"]

    delete = await client.delete(f"/api/api-keys/{key_id}", headers=ALPENPACK)
    listed = (await client.get("/api/api-keys", headers=ALPENPACK)).json()
    others = await client.get("/api/api-keys?login=demo-nordbrau", headers=ALPENPACK)

    assert delete.status_code == 404
    assert created["api_key"]["name"] not in str(listed) or all(
        k["owner_login"] == "demo-alpenpack" for k in listed
    )
    assert all(k["owner_login"] == "demo-alpenpack" for k in listed)
    assert others.status_code == 403
    assert (await client.get("/api/me", headers=_bearer(created["key"]))).status_code == 200


async def test_only_administrators_create_keys_for_others(
    client: httpx.AsyncClient, admin: None
) -> None:
    by_desk = await _create(client, DESK, login="demo-support")
    by_admin = await _create(client, ADMIN, login="demo-nordbrau", name="portal sync")

    assert by_desk.status_code == 403
    assert by_admin.status_code == 201
    assert by_admin.json()["api_key"]["owner_login"] == "demo-nordbrau"
    assert by_admin.json()["api_key"]["customer_id"] == "nordbrau"
    every = (await client.get("/api/api-keys", headers=ADMIN)).json()
    assert {k["owner_login"] for k in every} >= {"demo-desk", "demo-nordbrau", "admin"}
    revoke = await client.delete(f"/api/api-keys/{by_admin.json()['api_key']['id']}", headers=ADMIN)
    assert revoke.status_code == 204


async def test_the_same_idempotency_key_creates_one_key(client: httpx.AsyncClient) -> None:
    headers = {**DESK, "Idempotency-Key": "key-create-1"}

    first = await client.post("/api/api-keys", json={"name": "once"}, headers=headers)
    second = await client.post("/api/api-keys", json={"name": "once"}, headers=headers)

    assert first.status_code == 201
    assert second.status_code == 409
    assert str(first.json()["api_key"]["id"]) in second.json()["detail"]
    names = [k["name"] for k in (await client.get("/api/api-keys", headers=DESK)).json()]
    assert names.count("once") == 1


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x" * 101},
        {"name": "x", "access": "everything"},
        {"name": "x", "unknown": 1},
        {},
    ],
)
async def test_bad_key_requests_answer_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post("/api/api-keys", json=body, headers=DESK)

    assert response.status_code == 422


@pytest.mark.parametrize("key_id", ["0", "-1", "99999999", "99999999999999999999", "abc"])
async def test_unknown_key_ids_answer_404_or_422(client: httpx.AsyncClient, key_id: str) -> None:
    response = await client.delete(f"/api/api-keys/{key_id}", headers=DESK)

    assert response.status_code in (404, 422)


async def test_api_keys_need_a_sign_in(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/api-keys")).status_code == 401
