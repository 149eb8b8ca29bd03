"""What a Sparkplug B host knows of one edge node from its births, as plain data.

A host can only decode DDATA with the aliases its DBIRTH declared. Kept as data,
this knowledge can outlive the collector process (``sparkplug_birth_store``),
so that messages the broker queued while the collector was away still decode.
Metrics are kept as the birth declared them, not as signals: the signals are
worked out again from the plant file on restore, which may have changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

# Sparkplug B's sequence number runs 0..255 and wraps.
Seq = Annotated[int, Field(ge=0, le=255)]


@dataclass(frozen=True, slots=True)
class DeclaredMetric:
    """One metric as a DBIRTH declared it."""

    name: str
    alias: Annotated[int, Field(ge=0)] | None
    datatype: Annotated[int, Field(ge=0)]


@dataclass(frozen=True, slots=True)
class NodeBirthState:
    """One edge node: whether it is born, its session (bdSeq), last seq, devices' metrics."""

    group_id: str
    edge_node_id: str
    born: bool
    bd_seq: int | None
    seq: Seq
    # Device id -> the metrics its DBIRTH declared; only devices born since NBIRTH.
    devices: Mapping[str, tuple[DeclaredMetric, ...]]
