"""Lists page with limit and offset; the Link header leads from page to page."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from storage.connections import Pool
from tests.api.conftest import DESK, NORDBRAU
from tests.api.factories import T0, insert_alert, insert_ticket

pytestmark = pytest.mark.integration

LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


def links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers.get("link", ""))}


@pytest.fixture
async def five_tickets(seeded_pool: Pool) -> list[int]:
    """Five tickets on l1-filler, newest first, and one on another machine."""
    async with seeded_pool.connection() as conn:
        ids = [
            await insert_ticket(
                conn,
                customer_id="nordbrau",
                line_id="line-1",
                machine_id="l1-filler",
                received_at=T0 - timedelta(hours=hour),
            )
            for hour in range(5)
        ]
        await insert_ticket(conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-capper")
    return ids


async def test_the_link_header_walks_a_filtered_list_page_by_page(
    client: httpx.AsyncClient, five_tickets: list[int]
) -> None:
    first = await client.get(
        "/api/v1/tickets", params={"machine_id": "l1-filler", "limit": "2"}, headers=DESK
    )
    second = await client.get(links(first)["next"], headers=DESK)
    third = await client.get(links(second)["next"], headers=DESK)

    assert [t["id"] for t in first.json()] == five_tickets[:2]
    assert [t["id"] for t in second.json()] == five_tickets[2:4]
    assert [t["id"] for t in third.json()] == five_tickets[4:]
    assert links(first) == {"next": "/api/v1/tickets?machine_id=l1-filler&limit=2&offset=2"}
    assert links(second) == {
        "next": "/api/v1/tickets?machine_id=l1-filler&limit=2&offset=4",
        "prev": "/api/v1/tickets?machine_id=l1-filler&limit=2&offset=0",
        "first": "/api/v1/tickets?machine_id=l1-filler&limit=2&offset=0",
    }
    assert "next" not in links(third)


async def test_a_list_that_fits_one_page_has_no_link(
    client: httpx.AsyncClient, five_tickets: list[int]
) -> None:
    response = await client.get("/api/v1/tickets", params={"limit": "6"}, headers=DESK)

    assert len(response.json()) == 6
    assert "link" not in response.headers


async def test_past_the_end_is_an_empty_page(
    client: httpx.AsyncClient, five_tickets: list[int]
) -> None:
    response = await client.get("/api/v1/tickets", params={"offset": "50"}, headers=DESK)

    assert response.status_code == 200 and response.json() == []
    assert links(response)["first"] == "/api/v1/tickets?limit=100&offset=0"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": "501"}, "limit"), ({"limit": "0"}, "limit"), ({"offset": "-1"}, "offset")],
)
async def test_limits_outside_the_bounds_are_refused(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    response = await client.get("/api/v1/alerts", params=params, headers=DESK)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_alerts_page_within_the_customers_own(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        own = [
            await insert_alert(
                conn,
                machine_id="l1-filler",
                opened_at=T0 - timedelta(hours=h),
                status="open" if h == 0 else "closed",  # one open alert per machine and rule
            )
            for h in range(3)
        ]
        await insert_alert(conn, machine_id="l3-sealer", opened_at=T0 + timedelta(hours=1))

    first = await client.get("/api/v1/alerts", params={"limit": "2"}, headers=NORDBRAU)
    rest = await client.get(links(first)["next"], headers=NORDBRAU)

    assert [a["id"] for a in first.json()] == own[:2]
    assert [a["id"] for a in rest.json()] == own[2:]
    assert "next" not in links(rest)


async def test_machine_status_pages_through_the_plant_file(client: httpx.AsyncClient) -> None:
    whole = (await client.get("/api/v1/machine-status", headers=DESK)).json()
    paged: list[str] = []
    url: str | None = "/api/v1/machine-status?limit=4"
    while url is not None:
        response = await client.get(url, headers=DESK)
        paged += [m["machine_id"] for m in response.json()]
        url = links(response).get("next")

    assert len(whole) > 4
    assert paged == [m["machine_id"] for m in whole]


async def test_complaints_deliveries_webhooks_and_knowledge_take_a_page(
    client: httpx.AsyncClient,
) -> None:
    for path in (
        "/api/v1/complaints",
        "/api/v1/notifications/deliveries",
        "/api/v1/knowledge",
    ):
        response = await client.get(path, params={"limit": "1", "offset": "0"}, headers=DESK)
        assert response.status_code == 200, path
        assert len(response.json()) <= 1
    refused = await client.get("/api/v1/webhooks", params={"limit": "9999"}, headers=DESK)
    assert refused.status_code == 422
