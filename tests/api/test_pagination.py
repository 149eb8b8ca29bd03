"""Lists page with limit and offset; the Link header leads from page to page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from launcher.parts_demo import seed_demo_parts
from models.plant import Plant
from storage.connections import Pool
from tests.api.conftest import DESK, NORDBRAU
from tests.api.dispatch_factories import FIELD_1, classified_ticket, dispatch
from tests.api.factories import T0, insert_alert, insert_ticket
from tests.fixtures.fix_database import PLANT_FILE

pytestmark = pytest.mark.integration

LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')
PARTS = {"Authorization": "Bearer demo-parts"}


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


@pytest.fixture
async def stock(
    client: httpx.AsyncClient, app: FastAPI, seeded_pool: Pool, plant: Plant
) -> httpx.AsyncClient:
    """The demo catalogue, stores and stock levels (a receipt in the ledger for each)."""
    async with seeded_pool.connection() as conn:
        await seed_demo_parts(conn, plant=plant, config_dir=PLANT_FILE.parent, at=T0)
    app.state.ticket_clock = lambda: T0 + timedelta(days=1)
    return client


async def walk(client: httpx.AsyncClient, url: str, key: str) -> list[list[Any]]:
    """Each page's keys, following Link: rel="next" to the end."""
    pages: list[list[Any]] = []
    next_url: str | None = url
    while next_url is not None:
        response = await client.get(next_url, headers=DESK)
        assert response.status_code == 200, response.text
        pages.append([item[key] for item in response.json()])
        next_url = links(response).get("next")
    return pages


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/api/v1/parts", "part_number"),
        ("/api/v1/ledger", "id"),
        ("/api/v1/stores", "id"),
    ],
)
async def test_spare_parts_lists_page_without_overlap_to_the_whole_list(
    stock: httpx.AsyncClient, path: str, key: str
) -> None:
    whole = [item[key] for item in (await stock.get(path, headers=DESK)).json()]
    pages = await walk(stock, f"{path}?limit=3", key)

    assert len(whole) > 3
    assert all(len(page) == 3 for page in pages[:-1]) and 1 <= len(pages[-1]) <= 3
    assert [item for page in pages for item in page] == whole  # no overlap, no gap


async def test_the_ledger_pages_keep_their_filter(stock: httpx.AsyncClient) -> None:
    first = await stock.get(
        "/api/v1/ledger", params={"store_id": "central", "limit": "2"}, headers=DESK
    )
    second = await stock.get(links(first)["next"], headers=DESK)

    assert links(first)["next"] == "/api/v1/ledger?store_id=central&limit=2&offset=2"
    assert {e["store_id"] for e in first.json() + second.json()} == {"central"}
    assert not {e["id"] for e in first.json()} & {e["id"] for e in second.json()}
    assert links(second)["prev"] == "/api/v1/ledger?store_id=central&limit=2&offset=0"


async def test_requisitions_page_newest_first_by_store(stock: httpx.AsyncClient) -> None:
    made = []
    for quantity in range(1, 6):
        answer = await stock.post(
            "/api/v1/requisitions",
            json={
                "part_number": "SENS-PX-M18",
                "quantity": quantity,
                "purpose": "refill safety stock",
                "store_id": "central",
            },
            headers=PARTS,
        )
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])

    pages = await walk(stock, "/api/v1/requisitions?store_id=central&status=pending&limit=2", "id")
    elsewhere = await stock.get(
        "/api/v1/requisitions", params={"store_id": "van-field-1"}, headers=DESK
    )

    paged = [item for page in pages for item in page]

    assert pages[:2] == [made[:2:-1], made[2:0:-1]]  # newest first, two a page
    assert paged[:5] == made[::-1] and len(set(paged)) == len(paged)
    assert elsewhere.status_code == 200 and elsewhere.json() == []


async def test_my_jobs_page_most_urgent_first(client: httpx.AsyncClient, app: FastAPI) -> None:
    app.state.ticket_clock = lambda: T0
    jobs = []
    for _ in range(3):
        ticket = await classified_ticket(client)
        assert (await dispatch(client, ticket, "demo-field-1")).status_code == 201
        jobs.append(ticket)
    whole = (await client.get("/api/v1/my-jobs", headers=FIELD_1)).json()

    first = await client.get("/api/v1/my-jobs", params={"limit": "2"}, headers=FIELD_1)
    rest = await client.get(links(first)["next"], headers=FIELD_1)

    assert sorted(j["order"]["ticket_id"] for j in whole) == jobs
    assert [j["order"]["ticket_id"] for j in first.json() + rest.json()] == [
        j["order"]["ticket_id"] for j in whole
    ]
    assert len(first.json()) == 2 and len(rest.json()) == 1
    assert links(first) == {"next": "/api/v1/my-jobs?limit=2&offset=2"}
    assert "next" not in links(rest)


async def test_engineers_api_keys_stock_and_owners_take_a_page(stock: httpx.AsyncClient) -> None:
    for path in (
        "/api/v1/engineers",
        "/api/v1/api-keys",
        "/api/v1/stock",
        "/api/v1/stock/warnings",
        "/api/v1/ticket-owners",
        "/api/v1/maintenance/overrides",
        "/api/v1/lines/line-1/inspections",
    ):
        response = await stock.get(path, params={"limit": "1"}, headers=DESK)
        assert response.status_code == 200, (path, response.text)
        assert len(response.json()) <= 1, path
    engineers = await stock.get("/api/v1/engineers", params={"limit": "1"}, headers=DESK)
    assert links(engineers)["next"] == "/api/v1/engineers?limit=1&offset=1"
