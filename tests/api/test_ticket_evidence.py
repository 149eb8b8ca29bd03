"""GET /api/tickets/{id}/evidence: every figure for staff, plain language for the ticket's
customer, 404 for anyone else's customer."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from alerts.alert_job import run_alert_cycle
from alerts.parts_catalogue_import import read_catalogue
from api.fault_meanings import fault_meanings
from api.schemas.ticket_evidence import signal_label
from launcher.knowledge_cli import seed_demo_knowledge
from models.condition_forecast import HealthForecast, SignalForecast
from models.knowledge import STAFF_VIEWER, Audience, EntryContent, EntryKind, Viewer
from models.plant import Plant
from models.plc_events import PlcEvent
from models.readings import Reading
from storage import knowledge_store, parts_store
from storage.anomaly_store import insert_scores
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER, CustomerScope
from storage.forecast_store import save_forecast
from storage.plc_event_store import write_plc_events
from storage.telemetry_writer import write_readings
from storage.ticket_store import list_tickets
from tests.alerts.factories import FRIDAY_0800, WINDOW, score_series
from tests.api.conftest import ALPENPACK, DESK, NORDBRAU, SUPPORT
from tests.api.dispatch_factories import FIELD_1
from tests.api.factories import T0, insert_ticket

pytestmark = pytest.mark.integration

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
NOW = FRIDAY_0800 + timedelta(minutes=20)
ANOMALY_START = NOW - 10 * WINDOW


def _forecast() -> HealthForecast:
    temperature = SignalForecast("bearing_temp", "°C", 52.0, 68.0, True, 0.5, 60.0, 40.0, 90.0)
    return HealthForecast("l1-filler", NOW, 0.62, (temperature,), None, 400)


@pytest.fixture
async def warned(seeded_pool: Pool, plant: Plant) -> int:
    """The filler's warning opened a ticket and froze its evidence; the ticket's id."""
    async with seeded_pool.connection() as conn:
        await write_readings(
            conn,
            [
                Reading(NOW - timedelta(minutes=m), "l1-filler", signal, 40.0 + m / 10)
                for m in range(0, 120, 2)
                for signal in ("vibration_rms", "bearing_temp", "motor_current")
            ],
        )
        await write_plc_events(
            conn,
            events=[
                PlcEvent(
                    NOW - timedelta(minutes=30),
                    "l1-filler",
                    "ns=2;s=Filler",
                    "AlarmConditionType",
                    700,
                    31,
                    "bearing overtemperature",
                    b"e1",
                    {},
                )
            ],
        )
        await insert_scores(
            conn, scores=score_series("l1-filler", start=ANOMALY_START, windows=10, score=0.7)
        )
        await save_forecast(conn, forecast=_forecast())
    await run_alert_cycle(seeded_pool, plant, now=NOW)
    async with seeded_pool.connection() as conn:
        (ticket,) = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
    return ticket.id


async def test_staff_see_every_figure_of_the_warning(
    client: httpx.AsyncClient, warned: int
) -> None:
    response = await client.get(f"/api/tickets/{warned}/evidence", headers=SUPPORT)

    assert response.status_code == 200
    body = response.json()
    assert (body["view"], body["ticket_id"]) == ("staff", warned)
    (snapshot,) = body["snapshots"]
    assert snapshot["rule"] == "sustained_anomaly"
    assert isinstance(snapshot["alert_id"], int)
    assert snapshot["signals"] == ["vibration_rms", "bearing_temp"]
    trend = snapshot["trends"][0]
    assert (trend["signal"], trend["label"], trend["unit"]) == (
        "vibration_rms",
        "Vibration RMS",
        "mm/s",
    )
    assert 0 < len(trend["points"]) <= 200
    assert set(trend["points"][0]) == {"time", "value", "min", "max", "samples"}
    shares = snapshot["contributions"]["shares"]
    assert [s["signal"] for s in shares] == ["vibration_rms", "bearing_temp", "motor_current"]
    assert shares[0]["deviation_sigma"] == pytest.approx(4.2)
    assert sum(s["share"] for s in shares) == pytest.approx(1.0)
    (outlook,) = snapshot["outlook"]["signals"]
    assert (outlook["hours_to_limit"], outlook["hours_low"], outlook["hours_high"]) == (
        60.0,
        40.0,
        90.0,
    )
    assert [a["message"] for a in snapshot["alarms"]] == ["bearing overtemperature"]
    assert [a["text"] for a in snapshot["alarms"]] == ["Filler: fault 31 bearing overtemperature"]
    assert [i["scope"] for i in snapshot["oee"]] == ["machine", "line"]


async def test_the_customer_reads_it_in_plain_language(
    client: httpx.AsyncClient, warned: int
) -> None:
    response = await client.get(f"/api/tickets/{warned}/evidence", headers=NORDBRAU)

    assert response.status_code == 200
    body = response.json()
    assert body["view"] == "customer"
    (snapshot,) = body["snapshots"]
    assert snapshot["summary"] == (
        "Filler has been running outside its usual pattern,"
        " seen in Vibration RMS and Bearing temperature."
    )
    assert snapshot["signs"] == ["Vibration RMS", "Bearing temperature"]
    assert snapshot["outlook"] == [
        "Bearing temperature may reach its limit of 68 °C in about 2 days."
    ]
    assert [t["label"] for t in snapshot["trends"]] == [
        "Vibration RMS",
        "Bearing temperature",
        "Motor current",
    ]
    assert [e["text"] for e in snapshot["events"]] == ["Bearing overtemperature (fault 31)"]
    assert [o["subject"] for o in snapshot["oee"]] == ["Filler", "Filling line 1"]
    text = json.dumps(body, ensure_ascii=False)
    for internal in ("\u03c3", "sigma", "sustained_anomaly", "alert", "#", "rule", "score"):
        assert internal not in text.lower(), internal


async def test_another_customers_ticket_evidence_looks_like_no_ticket(
    client: httpx.AsyncClient, warned: int
) -> None:
    foreign = await client.get(f"/api/tickets/{warned}/evidence", headers=ALPENPACK)
    missing = await client.get("/api/tickets/999999/evidence", headers=ALPENPACK)

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["detail"] == f"ticket {warned} not found"


async def test_a_field_engineer_reads_only_the_evidence_of_their_own_jobs(
    client: httpx.AsyncClient, warned: int
) -> None:
    """Nobody dispatched them to this ticket: it is none of theirs."""
    response = await client.get(f"/api/tickets/{warned}/evidence", headers=FIELD_1)

    assert response.status_code == 404


async def test_a_ticket_a_person_registered_has_no_evidence(
    client: httpx.AsyncClient, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        ticket_id = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler", received_at=T0
        )

    staff = await client.get(f"/api/tickets/{ticket_id}/evidence", headers=DESK)
    customer = await client.get(f"/api/tickets/{ticket_id}/evidence", headers=NORDBRAU)

    assert staff.json() == {"view": "staff", "ticket_id": ticket_id, "snapshots": []}
    assert customer.json() == {"view": "customer", "ticket_id": ticket_id, "snapshots": []}


@pytest.mark.parametrize("ticket_id", ["0", "abc", str(2**63)])
async def test_impossible_ticket_ids_answer_422(client: httpx.AsyncClient, ticket_id: str) -> None:
    response = await client.get(f"/api/tickets/{ticket_id}/evidence", headers=DESK)
    assert response.status_code == 422


async def test_signing_in_is_required(client: httpx.AsyncClient, warned: int) -> None:
    response = await client.get(f"/api/tickets/{warned}/evidence")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("vibration_rms", "Vibration RMS"),
        ("bearing_temp", "Bearing temperature"),
        ("spindle_temp", "Spindle temperature"),
        ("oil_pct", "Oil %"),
        ("co2_level", "CO2 level"),
    ],
)
def test_signal_labels_read_as_the_console_shows_them(name: str, label: str) -> None:
    assert signal_label(name) == label


@pytest.fixture
async def fault_104_and_105(seeded_pool: Pool, plant: Plant) -> int:
    """The demo manual plus a page on fault 105 kept internal, and a warning on the filler
    with PLC alarms 104 and 105 as the PLC words them ("l1-filler: fault 104")."""
    catalogue = read_catalogue((CONFIG_DIR / "parts_catalogue.csv").read_text(encoding="utf-8"))
    async with seeded_pool.connection() as conn:
        await parts_store.import_catalogue(conn, parts=catalogue.rows, by="test", at=T0)
        await seed_demo_knowledge(conn, config_dir=CONFIG_DIR, at=T0)
        await knowledge_store.create_entry(
            conn,
            content=EntryContent(
                kind=EntryKind.FAULT_CODE,
                audience=Audience.INTERNAL,
                machine_models=("FIL-12",),
                title="FIL-12 fault 105: guard door interlock bridged",
                fault_codes=(105,),
            ),
            by="test",
            by_name="Test",
            at=T0,
            published=True,
        )
        await write_plc_events(
            conn,
            events=[
                PlcEvent(
                    NOW - timedelta(minutes=m),
                    "l1-filler",
                    "ns=2;s=Filler",
                    "AlarmConditionType",
                    500,
                    code,
                    f"l1-filler: fault {code}",
                    f"e{code}".encode(),
                    {},
                )
                for m, code in ((30, 104), (20, 105))
            ],
        )
        await insert_scores(
            conn, scores=score_series("l1-filler", start=ANOMALY_START, windows=10, score=0.7)
        )
    await run_alert_cycle(seeded_pool, plant, now=NOW)
    async with seeded_pool.connection() as conn:
        (ticket,) = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
    return ticket.id


async def test_staff_read_the_machines_name_and_the_manuals_meaning_of_each_alarm(
    client: httpx.AsyncClient, fault_104_and_105: int
) -> None:
    response = await client.get(f"/api/tickets/{fault_104_and_105}/evidence", headers=DESK)

    (snapshot,) = response.json()["snapshots"]
    assert [(a["fault_code"], a["meaning"], a["text"]) for a in snapshot["alarms"]] == [
        (105, "Guard door interlock bridged", "Filler: fault 105 Guard door interlock bridged"),
        (104, "Outfeed blocked", "Filler: fault 104 Outfeed blocked"),
    ]


async def test_the_customer_reads_only_meanings_the_manual_publishes_for_customers(
    client: httpx.AsyncClient, fault_104_and_105: int
) -> None:
    response = await client.get(f"/api/tickets/{fault_104_and_105}/evidence", headers=NORDBRAU)

    (snapshot,) = response.json()["snapshots"]
    alarms = [e["text"] for e in snapshot["events"] if e["end"] is None]
    assert alarms == ["fault 105", "Outfeed blocked (fault 104)"]
    assert "l1-filler" not in json.dumps(response.json())


async def test_a_fault_page_on_several_codes_gives_each_code_its_own_meaning(
    seeded_pool: Pool,
) -> None:
    catalogue = read_catalogue((CONFIG_DIR / "parts_catalogue.csv").read_text(encoding="utf-8"))
    async with seeded_pool.connection() as conn:
        await parts_store.import_catalogue(conn, parts=catalogue.rows, by="test", at=T0)
        await seed_demo_knowledge(conn, config_dir=CONFIG_DIR, at=T0)
        wanted = [("PK-9", 103), ("PK-9", 104), ("FIL-12", 999)]
        staff = await fault_meanings(conn, wanted=wanted, viewer=STAFF_VIEWER, scope=EVERY_CUSTOMER)
        stranger = await fault_meanings(
            conn,
            wanted=wanted,
            viewer=Viewer(staff=False, owned_models=frozenset({"LAB-2"})),
            scope=EVERY_CUSTOMER,
        )

    assert staff == {("PK-9", 103): "Sensor blocked", ("PK-9", 104): "Outfeed blocked"}
    assert stranger == {}
