"""Field engineers' profiles through the API: who reads them, who edits them, validation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from models.users import Role
from storage.connections import Pool
from storage.user_store import create_user, seed_demo_users
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.desk_clock import Clock
from tests.api.dispatch_factories import FIELD_1, FIELD_2

pytestmark = pytest.mark.integration

PROFILE: dict[str, Any] = {
    "home_region": "north-germany",
    "base_name": "Bremen office",
    "base_location": {"lat": 53.0793, "lon": 8.8017},
    "machine_models": ["FIL-12", "LAB-2"],
    "ticket_types": ["emergency_repair", "general_fault"],
    "certifications": [
        {
            "name": "LAB-2 service training",
            "valid_until": "2026-02-28",
            "machine_models": ["LAB-2"],
        },
        {"name": "Electrical safety", "valid_until": "2027-01-31"},
    ],
}


async def test_the_desk_lists_the_demo_engineers_with_skills_and_certificates(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    response = await client.get("/api/engineers", headers=DESK)

    assert response.status_code == 200, response.text
    engineers = {e["login"]: e for e in response.json()}
    assert list(engineers) == ["demo-field-1", "demo-field-2", "demo-field-3"]
    hamburg = engineers["demo-field-1"]
    assert (hamburg["home_region"], hamburg["machine_models"]) == (
        "north-germany",
        ["FIL-12", "CAP-6", "LAB-2"],
    )
    assert hamburg["open_jobs"] == 0
    munich = engineers["demo-field-3"]["certifications"]
    assert [(c["name"], c["valid"]) for c in munich] == [("FIL-12 service training", False)]


async def test_the_desk_replaces_a_profile_and_reads_it_back(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    response = await client.put("/api/engineers/demo-field-1", json=PROFILE, headers=DESK)

    assert response.status_code == 200, response.text
    saved = response.json()
    assert saved["base_location"] == {"lat": 53.0793, "lon": 8.8017}
    assert saved["ticket_types"] == ["emergency_repair", "general_fault"]
    assert [(c["name"], c["valid"]) for c in saved["certifications"]] == [
        ("LAB-2 service training", False),  # expired two days before "now"
        ("Electrical safety", True),
    ]
    assert (saved["updated_by"], saved["updated_at"]) == ("demo-desk", "2026-03-02T12:00:00Z")
    read = await client.get("/api/engineers/demo-field-1", headers=FIELD_1)
    assert read.json() == saved

    emptied = await client.put("/api/engineers/demo-field-1", json={}, headers=DESK)
    assert emptied.json()["certifications"] == []
    assert emptied.json()["base_location"] is None


async def test_a_new_field_engineer_is_listed_with_an_empty_profile(
    client: httpx.AsyncClient, seeded_pool: Pool, clock: Clock
) -> None:
    async with seeded_pool.connection() as conn:
        await create_user(
            conn,
            login="eng-new",
            display_name="New engineer",
            role=Role.FIELD_ENGINEER,
            customer_id=None,
            token="test-new-engineer",
        )

    response = await client.get("/api/engineers/eng-new", headers=SUPPORT)

    assert response.status_code == 200
    body = response.json()
    assert (body["machine_models"], body["updated_at"], body["open_jobs"]) == ([], None, 0)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"base_location": {"lat": 91, "lon": 0}}, "lat"),
        ({"ticket_types": ["painting"]}, "ticket_types"),
        (
            {"certifications": [{"name": "A", "valid_until": "2027-01-01"}] * 2},
            "each certificate once: A is listed twice",
        ),
        ({"certifications": [{"name": "A", "valid_until": "someday"}]}, "valid_until"),
        ({"skills": ["welding"]}, "skills"),
    ],
)
async def test_a_bad_profile_answers_422_and_changes_nothing(
    client: httpx.AsyncClient, clock: Clock, change: dict[str, Any], fragment: str
) -> None:
    response = await client.put(
        "/api/engineers/demo-field-1", json={**PROFILE, **change}, headers=DESK
    )

    assert response.status_code == 422
    assert fragment in response.text
    unchanged = (await client.get("/api/engineers/demo-field-1", headers=DESK)).json()
    assert unchanged["base_name"] == "Hamburg service base"


async def test_only_the_desk_and_admins_edit_and_engineers_read_only_themselves(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    url = "/api/engineers/demo-field-1"
    assert (await client.put(url, json=PROFILE, headers=SUPPORT)).status_code == 403
    assert (await client.put(url, json=PROFILE, headers=FIELD_1)).status_code == 403
    assert (await client.put(url, json=PROFILE, headers=FIELD_2)).status_code == 404
    assert (await client.get(url, headers=FIELD_2)).status_code == 404
    assert (await client.get("/api/engineers", headers=FIELD_1)).status_code == 403
    assert (await client.get(url, headers=SUPPORT)).status_code == 200


@pytest.mark.parametrize("headers", [NORDBRAU, ALPENPACK])
async def test_customers_get_404_for_engineers(
    client: httpx.AsyncClient, clock: Clock, headers: dict[str, str]
) -> None:
    url = "/api/engineers/demo-field-1"
    assert (await client.get("/api/engineers", headers=headers)).status_code == 404
    assert (await client.get(url, headers=headers)).status_code == 404
    assert (await client.put(url, json=PROFILE, headers=headers)).status_code == 404


@pytest.mark.parametrize("login", ["nobody", "demo-desk", "demo-nordbrau"])
async def test_only_field_engineers_have_profiles(
    client: httpx.AsyncClient, clock: Clock, login: str
) -> None:
    assert (await client.get(f"/api/engineers/{login}", headers=DESK)).status_code == 404
    put = await client.put(f"/api/engineers/{login}", json=PROFILE, headers=DESK)
    assert put.status_code == 404


async def test_seeding_the_demo_again_keeps_a_profile_the_desk_edited(
    client: httpx.AsyncClient, seeded_pool: Pool, clock: Clock
) -> None:
    await client.put("/api/engineers/demo-field-1", json=PROFILE, headers=DESK)

    async with seeded_pool.connection() as conn:
        await seed_demo_users(conn)

    body = (await client.get("/api/engineers/demo-field-1", headers=DESK)).json()
    assert body["base_name"] == "Bremen office"
