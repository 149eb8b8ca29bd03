"""The simulated Sparkplug B edge node on a real Mosquitto, heard by a plain paho client."""

from __future__ import annotations

import asyncio
import queue
from datetime import timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collector.sparkplug_payload import decode_payload, rebirth_request
from models.plant import Plant
from services.mosquitto_broker import BrokerSpec
from simulator.plant_simulation import PlantSimulation
from simulator.scenarios import QUIET
from simulator.sparkplug_publisher import SparkplugEdgeNodePublisher, sparkplug_edge_nodes
from tests.simulator.scenario_factories import SEED, START

pytestmark = pytest.mark.integration


def _sparkplug_plant(plant: Plant) -> Plant:
    raw = plant.model_dump(mode="json")
    for customer in raw["customers"]:
        for site in customer["sites"]:
            for line in site["lines"]:
                if line["id"] == "line-3":
                    line["source"] = {
                        "protocol": "mqtt",
                        "payload_format": "sparkplug_b",
                        "sparkplug": {"group_id": "alpenpack", "edge_node_id": "line-3"},
                    }
    return Plant.model_validate(raw)


class _Heard:
    """Every message on the group, as (message type, device, seq or None, metric count)."""

    def __init__(self, port: int) -> None:
        self.messages: queue.Queue[tuple[str, str | None, int | None, int]] = queue.Queue()
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe("spBv1.0/alpenpack/#", qos=1)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        parts = message.topic.split("/")
        if parts[2] == "NCMD":
            return  # our own request
        payload = decode_payload(bytes(message.payload))
        seq = payload.seq if payload.HasField("seq") else None
        device = parts[4] if len(parts) > 4 else None
        self.messages.put((parts[2], device, seq, len(payload.metrics)))

    async def take(self, count: int) -> list[tuple[str, str | None, int | None, int]]:
        return [await asyncio.to_thread(self.messages.get, True, 5) for _ in range(count)]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


async def test_births_data_rebirth_and_death(plant: Plant, mqtt_broker: BrokerSpec) -> None:
    sparkplug = _sparkplug_plant(plant)
    (node,) = sparkplug_edge_nodes(sparkplug)
    simulation = PlantSimulation(sparkplug, seed=SEED, start=START, scenario=QUIET)
    heard = _Heard(mqtt_broker.port)
    await asyncio.sleep(0.2)
    try:
        async with SparkplugEdgeNodePublisher(
            node, host="127.0.0.1", port=mqtt_broker.port
        ) as edge:
            edge.publish(simulation.advance_to(START))
            first = await heard.take(1 + 3 + 3)
            # A host asks for a rebirth: the next tick starts with births again.
            await asyncio.to_thread(
                heard.client.publish(
                    node.topic("NCMD"), rebirth_request(START), qos=1
                ).wait_for_publish,
                5,
            )
            await asyncio.sleep(0.3)
            edge.publish(simulation.advance_to(START + timedelta(seconds=30)))
            second = await heard.take(1 + 3 + 3)
        (death,) = await heard.take(1)
    finally:
        heard.close()

    nbirth, *rest = first
    assert nbirth[:3] == ("NBIRTH", None, 0)
    assert [(kind, device) for kind, device, _, _ in rest] == [
        ("DBIRTH", "l3-erector"),
        ("DBIRTH", "l3-packer"),
        ("DBIRTH", "l3-sealer"),
        ("DDATA", "l3-erector"),
        ("DDATA", "l3-packer"),
        ("DDATA", "l3-sealer"),
    ]
    assert [seq for _, _, seq, _ in first] == list(range(7))
    # Each DBIRTH declares every signal of its machine.
    assert {metrics for kind, _, _, metrics in first if kind == "DBIRTH"} == {9}
    assert edge.rebirths_requested == 1
    assert [kind for kind, *_ in second] == ["NBIRTH"] + ["DBIRTH"] * 3 + ["DDATA"] * 3
    assert [seq for _, _, seq, _ in second] == list(range(7))
    assert death == ("NDEATH", None, None, 1)
