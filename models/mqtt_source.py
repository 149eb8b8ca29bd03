"""How LineCare reaches a line that publishes over MQTT: topics and payload format.

Two payload formats:

- ``json``: the topic names the machine, and optionally the signal. With
  ``topic_template: "linecare/{site}/{line}/{machine}"`` one message carries
  one machine's signals; with ``"plant/{line}/{machine}/{signal}"`` it carries
  values of one signal (collector/payload_parsing.py lists the shapes).
- ``sparkplug_b``: the line is one Sparkplug B edge node, its machines are the
  node's devices, and metrics feed signals. By default a machine is the device
  of its own id and a metric feeds the signal of its own name.
"""

from __future__ import annotations

import re
from string import Formatter
from typing import Literal

from pydantic import Field, model_validator

from models.frozen_model import Frozen

# Sparkplug ids are single topic levels: no separators, no wildcards.
_SPARKPLUG_ID = r"^[^/+#]+$"
_PLACEHOLDERS = frozenset({"site", "line", "machine", "signal"})
_WILDCARDS = re.compile(r"[+#]")


class SparkplugNode(Frozen):
    """The Sparkplug B edge node that publishes one line."""

    group_id: str = Field(pattern=_SPARKPLUG_ID)
    edge_node_id: str = Field(pattern=_SPARKPLUG_ID)
    # Sparkplug device id -> machine id, for devices not named after their machine.
    devices: dict[str, str] = Field(default_factory=dict)
    # Metric name -> signal name, for metrics not named after their signal.
    metric_signals: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _device_ids_are_topic_levels(self) -> SparkplugNode:
        bad = sorted(d for d in self.devices if not re.match(_SPARKPLUG_ID, d))
        if bad:
            raise ValueError(f"Sparkplug device ids must be single topic levels: {bad}")
        return self


class MqttSource(Frozen):
    protocol: Literal["mqtt"] = "mqtt"
    payload_format: Literal["json", "sparkplug_b"] = "json"
    # JSON topics. Placeholders: {site}, {line}, {machine} and, optionally, {signal};
    # each fills a whole topic level.
    topic_template: str = "linecare/{site}/{line}/{machine}"
    # Required when payload_format is sparkplug_b.
    sparkplug: SparkplugNode | None = None

    @model_validator(mode="after")
    def _format_has_what_it_needs(self) -> MqttSource:
        if self.payload_format == "sparkplug_b" and self.sparkplug is None:
            raise ValueError("payload_format sparkplug_b needs a 'sparkplug' block")
        if self.payload_format == "json":
            _check_topic_template(self.topic_template)
        return self

    @property
    def signal_in_topic(self) -> bool:
        """Whether each JSON topic carries one signal rather than a whole machine."""
        return "{signal}" in self.topic_template


def _check_topic_template(template: str) -> None:
    for level in template.split("/"):
        parts = list(Formatter().parse(level))
        names = [name for _, name, _, _ in parts if name is not None]
        if not names:
            if _WILDCARDS.search(level):
                raise ValueError(f"topic_template must not hold wildcards: {template!r}")
            continue
        if len(parts) != 1 or parts[0][0] or names[0] not in _PLACEHOLDERS:
            raise ValueError(
                f"topic_template placeholders must fill whole levels and be one of "
                f"{sorted(_PLACEHOLDERS)}: {template!r}"
            )
    if "{machine}" not in template:
        raise ValueError(f"topic_template must name the {{machine}}: {template!r}")
