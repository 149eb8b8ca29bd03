"""/api/webhooks: who manages which webhooks, secrets shown once, idempotent creation."""

from __future__ import annotations

import httpx
import pytest

from storage.connections import Pool
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.notifications.conftest import ADMIN, ENGINEER

pytestmark = pytest.mark.integration

CUSTOMER_URL = "https://hooks.nordbrau.example/linecare"


@pytest.fixture(autouse=True)
async def _staff(staff_pool: Pool) -> None:
    """The administrator and field engineer exist for every test here."""


async def _create(
    client: httpx.AsyncClient, headers: dict[str, str], **body: object
) -> httpx.Response:
    return await client.post("/api/webhooks", json=body, headers=headers)


async def test_an_admin_makes_a_staff_webhook_and_sees_its_secret_once(
    client: httpx.AsyncClient,
) -> None:
    made = await _create(client, ADMIN, url="http://127.0.0.1:9999/desk", description="desk")
    assert made.status_code == 201, made.text
    hook = made.json()
    assert hook["audience"] == "staff" and hook["customer_id"] is None
    assert hook["secret"].startswith("whsec_") and len(hook["secret"]) > 40

    shown = await client.get(f"/api/webhooks/{hook['id']}", headers=ADMIN)
    assert shown.status_code == 200 and "secret" not in shown.json()
    listed = await client.get("/api/webhooks", headers=ADMIN)
    assert [h["id"] for h in listed.json()] == [hook["id"]]
    assert "secret" not in listed.json()[0]


async def test_the_same_idempotency_key_returns_the_same_webhook(
    client: httpx.AsyncClient,
) -> None:
    key = {**ADMIN, "Idempotency-Key": "hook-1"}
    first = await _create(client, key, url="https://hooks.example/a")
    again = await _create(client, key, url="https://hooks.example/a")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = await _create(client, {**ADMIN, "Idempotency-Key": "hook-2"}, url="https://x.example/")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


async def test_a_customer_makes_webhooks_for_their_own_customer_only(
    client: httpx.AsyncClient,
) -> None:
    made = await _create(client, NORDBRAU, url=CUSTOMER_URL)
    assert made.status_code == 201, made.text
    assert made.json()["customer_id"] == "nordbrau" and made.json()["audience"] == "customer"

    other = await _create(client, NORDBRAU, url=CUSTOMER_URL, customer_id="alpenpack")
    assert other.status_code == 404
    assert other.json()["detail"] == "customer 'alpenpack' not found"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.nordbrau.example/x", "the URL must be https://"),
        ("https://127.0.0.1/x", "not a public address"),
        ("https://10.1.2.3/x", "not a public address"),
        ("https://localhost:8443/x", "not a public address"),
        ("https://[::1]/x", "not a public address"),
    ],
)
async def test_a_customers_webhook_may_not_point_into_our_network(
    client: httpx.AsyncClient, url: str, message: str
) -> None:
    refused = await _create(client, NORDBRAU, url=url)
    assert refused.status_code == 422
    assert message in refused.json()["detail"]


async def test_another_customers_webhook_is_not_there(client: httpx.AsyncClient) -> None:
    hook = (await _create(client, NORDBRAU, url=CUSTOMER_URL)).json()
    path = f"/api/webhooks/{hook['id']}"
    assert (await client.get(path, headers=ALPENPACK)).status_code == 404
    assert (await client.patch(path, json={"active": False}, headers=ALPENPACK)).status_code == 404
    assert (await client.delete(path, headers=ALPENPACK)).status_code == 404
    assert (await client.post(f"{path}/secret", headers=ALPENPACK)).status_code == 404
    assert (await client.get("/api/webhooks", headers=ALPENPACK)).json() == []
    missing = await client.get("/api/webhooks/999999", headers=ALPENPACK)
    assert missing.json() == (await client.get(path, headers=ALPENPACK)).json() | {
        "detail": "webhook 999999 not found"
    }
    # The administrator sees it; it still works for its owner.
    assert (await client.get(path, headers=ADMIN)).status_code == 200
    assert (await client.get(path, headers=NORDBRAU)).status_code == 200


@pytest.mark.parametrize("headers", [DESK, SUPPORT, ENGINEER])
async def test_other_staff_do_not_manage_webhooks(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    listed = await client.get("/api/webhooks", headers=headers)
    assert listed.status_code == 403
    assert "administrators" in listed.json()["detail"]
    assert (await _create(client, headers, url="https://x.example/")).status_code == 403


async def test_a_webhook_is_changed_paused_given_a_new_secret_and_deleted(
    client: httpx.AsyncClient,
) -> None:
    hook = (await _create(client, ADMIN, url="https://x.example/a", customer_id="nordbrau")).json()
    path = f"/api/webhooks/{hook['id']}"
    changed = await client.patch(
        path, json={"kinds": ["dispatched", "sla_breach"], "active": False}, headers=ADMIN
    )
    assert changed.status_code == 200
    assert (changed.json()["kinds"], changed.json()["active"]) == (
        ["dispatched", "sla_breach"],
        False,
    )
    assert changed.json()["url"] == "https://x.example/a"

    replaced = await client.post(f"{path}/secret", headers=ADMIN)
    assert replaced.status_code == 200
    assert replaced.json()["secret"] != hook["secret"]

    assert (await client.delete(path, headers=ADMIN)).status_code == 204
    assert (await client.get(path, headers=ADMIN)).status_code == 404
    assert (await client.delete(path, headers=ADMIN)).status_code == 404


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"url": "ftp://x.example/a"}, "http:// or https://"),
        ({"url": "https://user:pw@x.example/a"}, "must not carry a user"),
        ({"url": "not a url at all"}, "http:// or https://"),
        ({"url": "https://x.example/", "kinds": ["coffee_ready"]}, "kinds"),
        ({"url": "https://x.example/", "colour": "blue"}, "colour"),
    ],
)
async def test_bad_input_is_refused_with_a_message(
    client: httpx.AsyncClient, body: dict[str, object], fragment: str
) -> None:
    refused = await client.post("/api/webhooks", json=body, headers=ADMIN)
    assert refused.status_code == 422
    assert fragment in refused.text


async def test_an_unknown_customer_is_refused(client: httpx.AsyncClient) -> None:
    refused = await _create(client, ADMIN, url="https://x.example/", customer_id="acme")
    assert refused.status_code == 422
    assert refused.json()["detail"] == "there is no customer 'acme'"


async def test_an_id_out_of_range_is_a_clear_422(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"/api/webhooks/{2**63}", headers=ADMIN)).status_code == 422
