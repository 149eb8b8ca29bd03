"""Which MQTT topics the plant file's lines publish on, and which machine each feeds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from collector.payload_parsing import TopicTarget
from collector.sparkplug_host import EdgeNode, SparkplugDevice
from collector.sparkplug_partition import SparkplugPartition
from collector.sparkplug_payload import node_subscription_filters, subscription_filters
from models.mqtt_source import MqttSource, SparkplugNode
from models.plant import Line, Plant, Site


@dataclass(frozen=True, slots=True)
class MqttRoutes:
    """Every topic a collector subscribes to, and where its messages go."""

    # Exact JSON topic -> machine (and signal, when the topic names one).
    json_topics: Mapping[str, TopicTarget]
    # Wildcard filters over the JSON templates: a machine the plant file does not
    # know yet still reaches us, and lands in the dead-letter table.
    json_filters: frozenset[str]
    edge_nodes: tuple[EdgeNode, ...]
    sparkplug_filters: frozenset[str]
    # (group, edge node) of the plant's nodes that another collector process hosts.
    foreign_edge_nodes: frozenset[tuple[str, str]] = field(default=frozenset())

    @property
    def is_empty(self) -> bool:
        return not self.json_filters and not self.sparkplug_filters

    def for_sparkplug_partition(self, partition: SparkplugPartition) -> MqttRoutes:
        """The routes of one collector process that hosts only its partition's edge nodes.

        One process subscribes to whole groups, as ever: a node the plant file does
        not list is dead-lettered there. A partition subscribes to its own nodes
        only, so that it never sees, nor dead-letters, another partition's messages.
        """
        if partition.is_whole:
            return self
        own: list[EdgeNode] = []
        foreign: set[tuple[str, str]] = set()
        for node in self.edge_nodes:
            if partition.hosts(node.group_id, node.edge_node_id):
                own.append(node)
            else:
                foreign.add((node.group_id, node.edge_node_id))
        filters = {f for n in own for f in node_subscription_filters(n.group_id, n.edge_node_id)}
        return replace(
            self,
            edge_nodes=tuple(own),
            sparkplug_filters=frozenset(filters),
            foreign_edge_nodes=self.foreign_edge_nodes | foreign,
        )


def mqtt_routes(plant: Plant) -> MqttRoutes:
    """The routes of every MQTT line; a plant-file mapping that cannot work raises ValueError."""
    json_topics: dict[str, TopicTarget] = {}
    json_filters: set[str] = set()
    edge_nodes: dict[tuple[str, str], EdgeNode] = {}
    for _, site, line in plant.lines():
        source = line.source
        if not isinstance(source, MqttSource):
            continue
        if source.sparkplug is not None and source.payload_format == "sparkplug_b":
            node = _edge_node(line, source.sparkplug)
            key = (node.group_id, node.edge_node_id)
            if key in edge_nodes:
                raise ValueError(f"two lines claim Sparkplug edge node {'/'.join(key)}")
            edge_nodes[key] = node
        else:
            json_topics.update(_json_topics(site, line, source.topic_template))
            json_filters.add(
                source.topic_template.format(site="+", line="+", machine="+", signal="+")
            )
    sparkplug_filters = {f for group, _ in edge_nodes for f in subscription_filters(group)}
    return MqttRoutes(
        json_topics,
        frozenset(json_filters),
        tuple(edge_nodes.values()),
        frozenset(sparkplug_filters),
    )


def _json_topics(site: Site, line: Line, template: str) -> dict[str, TopicTarget]:
    topics: dict[str, TopicTarget] = {}
    for machine in line.machines:
        signals = frozenset(s.name for s in machine.signals)
        ids = {"site": site.id, "line": line.id, "machine": machine.id}
        if "{signal}" not in template:
            topics[template.format(**ids)] = TopicTarget(machine.id, signals)
            continue
        for signal in sorted(signals):
            topics[template.format(**ids, signal=signal)] = TopicTarget(machine.id, signals, signal)
    return topics


def _edge_node(line: Line, sparkplug: SparkplugNode) -> EdgeNode:
    machines = {machine.id: machine for machine in line.machines}
    strangers = sorted(set(sparkplug.devices.values()) - set(machines))
    if strangers:
        raise ValueError(f"line {line.id}: Sparkplug devices map to unknown machines {strangers}")
    device_of = {machine_id: device for device, machine_id in sparkplug.devices.items()}
    devices = {
        device_of.get(machine.id, machine.id): SparkplugDevice(
            machine.id, frozenset(s.name for s in machine.signals)
        )
        for machine in line.machines
    }
    return EdgeNode(sparkplug.group_id, sparkplug.edge_node_id, devices, sparkplug.metric_signals)
