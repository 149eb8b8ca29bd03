"""Topics and Sparkplug nodes from the plant file, and the broker connection settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from collector.mqtt_connection import MqttConnection
from collector.mqtt_topic_map import mqtt_routes
from collector.payload_parsing import TopicTarget
from collector.sparkplug_partition import SparkplugPartition, partition_of
from models.mqtt_source import MqttSource
from models.plant import Plant
from tests.collector.conftest import plant_with_line_3_source

LINE_3 = ("l3-erector", "l3-packer", "l3-sealer")


def test_machine_topics_of_the_shipped_plant(plant: Plant) -> None:
    routes = mqtt_routes(plant)
    packer = routes.json_topics["linecare/alpenpack-bern/line-3/l3-packer"]
    assert (packer.machine_id, packer.signal) == ("l3-packer", None)
    assert {t.machine_id for t in routes.json_topics.values()} == set(LINE_3)
    assert routes.json_filters == {"linecare/+/+/+"}
    assert routes.edge_nodes == () and not routes.sparkplug_filters


def test_signal_topics_name_every_signal_of_every_machine(plant: Plant) -> None:
    source = {"protocol": "mqtt", "topic_template": "plant/{line}/{machine}/{signal}"}
    routes = mqtt_routes(plant_with_line_3_source(plant, source))
    target = routes.json_topics["plant/line-3/l3-sealer/bearing_temp"]
    assert target == TopicTarget("l3-sealer", target.signals, "bearing_temp")
    assert len(routes.json_topics) == 3 * 9
    assert routes.json_filters == {"plant/+/+/+"}


def test_a_sparkplug_line_is_one_edge_node_with_a_device_per_machine(plant: Plant) -> None:
    source = {
        "protocol": "mqtt",
        "payload_format": "sparkplug_b",
        "sparkplug": {
            "group_id": "alpenpack",
            "edge_node_id": "line-3",
            "devices": {"packer-plc": "l3-packer"},
            "metric_signals": {"Motor/Current": "motor_current"},
        },
    }
    routes = mqtt_routes(plant_with_line_3_source(plant, source))
    (node,) = routes.edge_nodes
    assert (node.group_id, node.edge_node_id) == ("alpenpack", "line-3")
    assert {device: d.machine_id for device, d in node.devices.items()} == {
        "l3-erector": "l3-erector",
        "packer-plc": "l3-packer",
        "l3-sealer": "l3-sealer",
    }
    assert node.metric_signals == {"Motor/Current": "motor_current"}
    assert "spBv1.0/alpenpack/DDATA/+/+" in routes.sparkplug_filters
    assert not any("NCMD" in f for f in routes.sparkplug_filters)
    assert routes.json_topics == {}


def test_a_device_mapped_to_an_unknown_machine_is_refused(plant: Plant) -> None:
    source = {
        "protocol": "mqtt",
        "payload_format": "sparkplug_b",
        "sparkplug": {"group_id": "g", "edge_node_id": "n", "devices": {"plc": "l9-robot"}},
    }
    with pytest.raises(ValueError, match="unknown machines"):
        mqtt_routes(plant_with_line_3_source(plant, source))


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ({"topic_template": "plant/{line}-{machine}"}, "whole levels"),
        ({"topic_template": "plant/+/{machine}"}, "wildcards"),
        ({"topic_template": "plant/{line}"}, "must name the {machine}"),
        ({"payload_format": "sparkplug_b"}, "needs a 'sparkplug' block"),
        (
            {
                "payload_format": "sparkplug_b",
                "sparkplug": {"group_id": "a/b", "edge_node_id": "n"},
            },
            "pattern",
        ),
        ({"payload_format": "xml"}, "payload_format"),
    ],
)
def test_plant_file_mistakes_fail_at_start_up(source: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        MqttSource.model_validate(source)


def test_a_connection_with_a_username_needs_a_password() -> None:
    with pytest.raises(ValueError, match="needs a password"):
        MqttConnection(host="broker", username="collector")
    assert "s3cret" not in repr(MqttConnection(host="broker", username="c", password="s3cret"))


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"cert_file": Path("c.pem"), "tls": True}, "needs its key"),
        ({"ca_file": Path("ca.pem")}, "need tls=True"),
        ({"shared_group": "a/b"}, "shared subscription group"),
        ({"client_id": ""}, "fixed client id"),
    ],
)
def test_inconsistent_connections_are_refused(options: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        MqttConnection(host="broker", **options)


def test_only_a_shared_group_changes_the_subscription() -> None:
    assert MqttConnection(host="b").subscription("a/+") == "a/+"
    shared = MqttConnection(host="b", shared_group="collectors")
    assert shared.subscription("a/+") == "$share/collectors/a/+"


def two_sparkplug_lines(plant: Plant) -> Plant:
    """Lines 1 and 3 as edge nodes of Sparkplug group ``linecare``, named after the line."""
    raw = plant.model_dump(mode="json")
    for customer in raw["customers"]:
        for site in customer["sites"]:
            for line in site["lines"]:
                if line["id"] in ("line-1", "line-3"):
                    line["source"] = {
                        "protocol": "mqtt",
                        "payload_format": "sparkplug_b",
                        "sparkplug": {"group_id": "linecare", "edge_node_id": line["id"]},
                    }
    return Plant.model_validate(raw)


def test_one_collector_subscribes_to_whole_sparkplug_groups(plant: Plant) -> None:
    routes = mqtt_routes(two_sparkplug_lines(plant))
    assert routes.for_sparkplug_partition(SparkplugPartition()) == routes
    assert "spBv1.0/linecare/DDATA/+/+" in routes.sparkplug_filters
    assert routes.foreign_edge_nodes == frozenset()


def test_a_partition_subscribes_to_its_own_edge_nodes_only(plant: Plant) -> None:
    routes = mqtt_routes(two_sparkplug_lines(plant))
    # Precondition of the hash: these two nodes fall into different partitions of 2.
    assert partition_of("linecare", "line-1", 2) != partition_of("linecare", "line-3", 2)
    shares = [routes.for_sparkplug_partition(SparkplugPartition(i, 2)) for i in (0, 1)]
    hosted = [{(n.group_id, n.edge_node_id) for n in share.edge_nodes} for share in shares]
    assert sorted(map(sorted, hosted)) == [[("linecare", "line-1")], [("linecare", "line-3")]]
    for share, own in zip(shares, hosted, strict=True):
        ((group, node),) = own
        assert share.sparkplug_filters == {
            f"spBv1.0/{group}/{kind}/{node}" for kind in ("NBIRTH", "NDATA", "NDEATH")
        } | {f"spBv1.0/{group}/{kind}/{node}/+" for kind in ("DBIRTH", "DDATA", "DDEATH")}
        assert share.foreign_edge_nodes == {("linecare", "line-1"), ("linecare", "line-3")} - own
        assert not share.is_empty and share.json_filters == routes.json_filters
