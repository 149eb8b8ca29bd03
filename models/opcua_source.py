"""How LineCare reaches a line that speaks OPC UA: endpoint, node mapping, monitoring, security.

Every field has a default, so a line needs only ``endpoint``: its signals are then
found by ``node_template`` and subscribed with the line-wide settings. Per-signal
entries under ``nodes`` (machine id -> signal -> node) map a signal to another
NodeId or to a browse path and may override how it is monitored. Secrets
(passwords, keys) never live here; the collector gets them from the environment.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from models.frozen_model import Frozen


class CollectMode(StrEnum):
    """Subscribe to data changes, or read the node every ``poll_interval_ms``."""

    SUBSCRIBE = "subscribe"
    POLL = "poll"


class DeadbandKind(StrEnum):
    ABSOLUTE = "absolute"
    # Percent of the node's EURange; the server must know the range.
    PERCENT = "percent"


class Deadband(Frozen):
    """Changes smaller than this are not reported by the server."""

    kind: DeadbandKind = DeadbandKind.ABSOLUTE
    value: float = Field(ge=0)


class SecurityMode(StrEnum):
    NONE = "None"
    SIGN = "Sign"
    SIGN_AND_ENCRYPT = "SignAndEncrypt"


class SecurityPolicy(StrEnum):
    NONE = "None"
    BASIC256SHA256 = "Basic256Sha256"


class ServerTrust(StrEnum):
    """Which server certificate a secured connection accepts.

    ``first_use``: the certificate seen on the first connection is stored and from
    then on the only one accepted (delete the stored file to accept a new one).
    ``pinned``: only a certificate an operator placed in the trust directory.
    """

    FIRST_USE = "first_use"
    PINNED = "pinned"


class OpcUaSecurity(Frozen):
    policy: SecurityPolicy = SecurityPolicy.NONE
    mode: SecurityMode = SecurityMode.NONE
    server_trust: ServerTrust = ServerTrust.FIRST_USE
    # Log in with the username and password configured for this endpoint in the
    # environment, instead of anonymously.
    user_login: bool = False

    @model_validator(mode="after")
    def _policy_and_mode_agree(self) -> OpcUaSecurity:
        if (self.policy is SecurityPolicy.NONE) != (self.mode is SecurityMode.NONE):
            raise ValueError("security policy and mode must both be None or both be set")
        return self


class SignalNode(Frozen):
    """Where one signal lives on the server and how it is monitored; unset fields
    fall back to the line's settings.

    ``browse_path`` is an OPC UA relative path from the Objects folder, e.g.
    ``/2:Line1/2:Filler/2:Speed`` (``linecare opcua browse`` prints them).
    """

    node_id: str | None = None
    browse_path: str | None = None
    mode: CollectMode | None = None
    sampling_interval_ms: float | None = Field(default=None, ge=0)
    queue_size: int | None = Field(default=None, ge=1)
    deadband: Deadband | None = None

    @model_validator(mode="after")
    def _one_address(self) -> SignalNode:
        if self.node_id is not None and self.browse_path is not None:
            raise ValueError("give a signal a node_id or a browse_path, not both")
        return self


class OpcUaEvents(Frozen):
    """PLC alarms and fault codes, collected as OPC UA events.

    ``sources`` maps an event's SourceName or SourceNode (NodeId) to a machine id;
    an event whose source is itself a machine id needs no entry. ``types`` limits
    the events to these types and their subtypes: NodeIds (``ns=2;i=1001``) or
    names of standard types (``AlarmConditionType``); empty, every type. Turn
    events off (``enabled: false``) for a server whose PLC raises no alarms as events.
    """

    enabled: bool = True
    # The object whose events are subscribed: the Server object by default.
    notifier: str = "i=2253"
    # Browse name (ns:Name) of the event field carrying the PLC's fault code.
    fault_code_field: str = "2:FaultCode"
    sources: dict[str, str] = Field(default_factory=dict)
    types: tuple[str, ...] = ()


class OpcUaSource(Frozen):
    protocol: Literal["opcua"] = "opcua"
    endpoint: str
    # Placeholders: {line}, {machine}, {signal}.
    node_template: str = "ns=2;s={line}.{machine}.{signal}"
    sampling_interval_ms: int = 500
    publishing_interval_ms: float = Field(default=250, gt=0)
    # Values the server keeps per node between two publishes; a lagging collector
    # loses the oldest ones first.
    queue_size: int = Field(default=1000, ge=1)
    # Applies to process and condition signals only: states, counters, fault
    # codes and products are never thinned out unless a signal says so.
    deadband: Deadband | None = None
    mode: CollectMode = CollectMode.SUBSCRIBE
    poll_interval_ms: float = Field(default=1000, gt=0)
    security: OpcUaSecurity = Field(default_factory=OpcUaSecurity)
    events: OpcUaEvents = Field(default_factory=OpcUaEvents)
    # machine id -> signal name -> where it lives, when not at node_template.
    nodes: dict[str, dict[str, SignalNode]] = Field(default_factory=dict)
