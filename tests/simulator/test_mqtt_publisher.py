"""The MQTT line on a real Mosquitto broker, heard by a plain paho subscriber."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from models.plant import Plant
from services.free_ports import free_port
from services.mosquitto_broker import BrokerSpec
from simulator.mqtt_publisher import MqttTickPublisher, mqtt_signal_topics, mqtt_topics
from simulator.plant_simulation import PlantSimulation
from simulator.scenarios import QUIET, MicroStops
from tests.simulator.mqtt_listener import JsonDocument, MqttListener
from tests.simulator.scenario_factories import SEED, START

pytestmark = pytest.mark.integration

LINE_3 = {
    "l3-erector": "linecare/alpenpack-bern/line-3/l3-erector",
    "l3-packer": "linecare/alpenpack-bern/line-3/l3-packer",
    "l3-sealer": "linecare/alpenpack-bern/line-3/l3-sealer",
}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _samples(document: JsonDocument) -> list[JsonDocument]:
    if "samples" in document:
        samples = document["samples"]
        assert isinstance(samples, list) and len(samples) > 1
        return samples
    return [document]


def test_topics_come_from_the_template_of_mqtt_lines_only(plant: Plant) -> None:
    assert mqtt_topics(plant) == LINE_3


async def test_line_3_machines_arrive_as_valid_json_per_tick(
    plant: Plant, mqtt_broker: BrokerSpec
) -> None:
    stops = MicroStops(mean_interval=timedelta(minutes=1))
    simulation = PlantSimulation(
        plant, seed=SEED, start=START, scenario=replace(QUIET, micro_stops=stops)
    )
    async with (
        MqttListener(mqtt_broker.port, "linecare/alpenpack-bern/line-3/+") as listener,
        MqttTickPublisher(
            host="127.0.0.1", port=mqtt_broker.port, topics=mqtt_topics(plant)
        ) as publisher,
    ):
        publisher.publish(simulation.advance_to(START))
        first = await listener.collect(3)
        publisher.publish(simulation.advance_to(START + timedelta(minutes=10)))
        second = await listener.collect(3)

    assert {m.topic for m in first} == {m.topic for m in second} == set(LINE_3.values())
    assert all(m.qos == 1 for m in first + second)
    for message in first:
        assert message.document["ts"] == "2026-11-21T05:00:00.000Z"
        values = message.document["values"]
        assert isinstance(values, dict)
        assert values["state"] == 6 and values["fault_code"] == 0
        assert set(values) == {
            "state",
            "fault_code",
            "product",
            "good_count",
            "reject_count",
            "speed",
            "vibration_rms",
            "bearing_temp",
            "motor_current",
        }
        assert all(isinstance(v, int | float) for v in values.values())
    for message in second:
        samples = _samples(message.document)
        stamps = [str(sample["ts"]) for sample in samples]
        assert all(TIMESTAMP.match(ts) for ts in stamps)
        assert stamps == sorted(stamps) and stamps[-1] == "2026-11-21T05:10:00.000Z"
        # Micro-stops every minute or so: the ten-minute tick holds state changes.
        values_per_sample = [sample["values"] for sample in samples]
        states = [v["state"] for v in values_per_sample if isinstance(v, dict) and "state" in v]
        assert 5 in states


async def test_an_unreachable_broker_is_reported(plant: Plant) -> None:
    publisher = MqttTickPublisher(
        host="127.0.0.1", port=free_port(), topics=mqtt_topics(plant), connect_timeout_s=0.5
    )
    with pytest.raises(ConnectionError, match="no MQTT broker"):
        async with publisher:
            pass


def _signal_topic_plant(plant: Plant) -> Plant:
    raw = plant.model_dump(mode="json")
    for customer in raw["customers"]:
        for site in customer["sites"]:
            for line in site["lines"]:
                if line["id"] == "line-3":
                    line["source"]["topic_template"] = "plant/{line}/{machine}/{signal}"
    return Plant.model_validate(raw)


async def test_a_line_with_signal_topics_sends_one_message_per_sample(
    plant: Plant, mqtt_broker: BrokerSpec
) -> None:
    by_signal = _signal_topic_plant(plant)
    assert mqtt_topics(by_signal) == {}
    signal_topics = mqtt_signal_topics(by_signal)
    assert signal_topics["l3-packer"] == "plant/line-3/l3-packer/{signal}"
    simulation = PlantSimulation(by_signal, seed=SEED, start=START, scenario=QUIET)
    async with (
        MqttListener(mqtt_broker.port, "plant/line-3/l3-packer/#") as listener,
        MqttTickPublisher(
            host="127.0.0.1", port=mqtt_broker.port, topics={}, signal_topics=signal_topics
        ) as publisher,
    ):
        publisher.publish(simulation.advance_to(START))
        received = await listener.collect(9)

    assert {m.topic.rsplit("/", 1)[1] for m in received} == {
        "state",
        "fault_code",
        "product",
        "good_count",
        "reject_count",
        "speed",
        "vibration_rms",
        "bearing_temp",
        "motor_current",
    }
    assert all(set(m.document) == {"v", "ts"} for m in received)
    assert all(m.document["ts"] == "2026-11-21T05:00:00.000Z" for m in received)
