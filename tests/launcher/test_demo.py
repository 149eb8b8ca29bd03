"""`linecare demo`: clear errors before it starts, a quiet Ctrl-C, a plant that resumes."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from launcher.demo import DemoError, run_demo
from models.plant import Plant
from services.free_ports import free_port
from services.mosquitto_broker import BrokerSpec
from settings.linecare_settings import Settings

PLANT_ENDPOINT = "opc.tcp://127.0.0.1:48400/linecare/"


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        yield int(squatter.getsockname()[1])


async def test_a_taken_opc_ua_port_is_one_line_naming_the_way_out(
    plant: Plant, tmp_path: Path, taken_port: int
) -> None:
    taken = f"opc.tcp://127.0.0.1:{taken_port}/linecare/"
    settings = Settings(
        state_dir=tmp_path,
        database_url=None,
        manage_services=False,
        api_port=free_port(),
        opcua_endpoint_map={PLANT_ENDPOINT: taken},
    )
    with pytest.raises(DemoError) as raised:
        await run_demo(settings, plant)

    message = str(raised.value)
    assert "\n" not in message
    assert f"port {taken_port} of the simulated OPC UA server (line-1, line-2) is taken" in message
    # The suggested setting is ready to paste and moves the server to a free port.
    suggested = re.search(r"LINECARE_OPCUA_ENDPOINT_MAP='(.*)'$", message)
    assert suggested is not None
    moved = json.loads(suggested.group(1))
    assert set(moved) == {PLANT_ENDPOINT}
    assert moved[PLANT_ENDPOINT] != taken


async def _run_until_ctrl_c(
    settings: Settings, plant: Plant, caplog: pytest.LogCaptureFixture
) -> None:
    """Run the demo until its collectors have connected and stored a while, then Ctrl-C it."""
    demo = asyncio.create_task(run_demo(settings, plant))
    async with asyncio.timeout(60):
        while not any("connected" in r.getMessage() for r in caplog.records):
            assert not demo.done(), demo.result()
            await asyncio.sleep(0.1)
        await asyncio.sleep(3)
        os.kill(os.getpid(), signal.SIGINT)
        await demo


@pytest.mark.integration
@pytest.mark.slow
async def test_ctrl_c_is_quiet_and_a_restarted_demo_resumes_the_plant(
    plant: Plant,
    tmp_path: Path,
    database_dsn: str,
    mqtt_broker: BrokerSpec,
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = conninfo_to_dict(database_dsn)
    settings = Settings(
        state_dir=tmp_path,
        database_url=None,
        manage_services=False,
        pg_port=int(str(database["port"])),
        database_name=str(database["dbname"]),
        mqtt_port=mqtt_broker.port,
        # A clean session: nothing queued on the shared broker for other tests.
        mqtt_client_id="demo-test",
        mqtt_persistent_session=False,
        api_port=free_port(),
        collector_metrics_port=0,
        opcua_endpoint_map={PLANT_ENDPOINT: f"opc.tcp://127.0.0.1:{free_port()}/linecare/"},
        simulation_speed=600.0,
        simulation_tick_s=0.1,
    )
    caplog.set_level(logging.INFO)
    # As `linecare` itself does: a lost server is logged once, by our subscriber.
    logging.getLogger("asyncua.client.ua_session").setLevel(logging.CRITICAL)

    await _run_until_ctrl_c(settings, plant, caplog)
    first_run = list(caplog.records)
    caplog.clear()
    await _run_until_ctrl_c(settings, plant, caplog)

    for records in (first_run, caplog.records):
        noise = [f"{r.name}: {r.getMessage()}" for r in records if r.levelno >= logging.WARNING]
        assert noise == []
        assert any(r.getMessage() == "stopping" for r in records)
    resumed = [r.args for r in caplog.records if "simulated plant resumes" in r.getMessage()]
    assert len(resumed) == 1 and isinstance(resumed[0], tuple)
    into_story = resumed[0][1]
    # The first run covered some simulated minutes: the story goes on from there.
    assert isinstance(into_story, timedelta) and into_story > timedelta(minutes=5)
