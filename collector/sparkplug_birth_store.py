"""Keeps each Sparkplug B edge node's birth state in a small JSON file of its own.

One directory per collector process (per MQTT client id: the broker's queue of
messages belongs to that session, and so does this state). A file is replaced
whole after each birth or death of its node, through a temporary file and
``os.replace``, so a reader finds the old state or the new, never half of one.

Losing the state costs no data: the host dead-letters what it cannot decode
and asks the node to rebirth. So an unreadable file is logged and skipped, a
failed write is logged, and neither stops the collector.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import TypeAdapter, ValidationError

from collector.sparkplug_birth_state import NodeBirthState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _BirthFile:
    # A later format gets a new version; a file of another version reads as unreadable.
    version: Literal[1]
    node: NodeBirthState


_FILE_FORMAT = TypeAdapter(_BirthFile)


def node_file_name(group_id: str, edge_node_id: str) -> str:
    """A file name for one node; Sparkplug ids may hold any character but '/', '+', '#'."""
    return quote(f"{group_id}/{edge_node_id}", safe="") + ".json"


class SparkplugBirthStore:
    """The birth states of one collector's edge nodes, in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    @property
    def directory(self) -> Path:
        return self._directory

    def load(self) -> list[NodeBirthState]:
        """Every node state that can be read; the others are logged and left out."""
        try:
            paths = sorted(self._directory.glob("*.json"))
        except OSError as error:
            log.warning("Sparkplug birth states in %s unreadable: %s", self._directory, error)
            return []
        states: list[NodeBirthState] = []
        for path in paths:
            try:
                states.append(_FILE_FORMAT.validate_json(path.read_bytes()).node)
            except (OSError, ValidationError) as error:
                log.warning(
                    "Sparkplug birth state %s unreadable, its node will be asked to rebirth: %s",
                    path,
                    error,
                )
        return states

    def save(self, state: NodeBirthState) -> None:
        """Replace the node's file with this state; a failure is logged, never raised."""
        path = self._directory / node_file_name(state.group_id, state.edge_node_id)
        temporary = path.with_name(path.name + ".tmp")
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(_FILE_FORMAT.dump_json(_BirthFile(1, state)))
            # No fsync: a file lost in a power cut only costs a rebirth, while an
            # fsync per birth would stall the event loop when a whole plant rebirths.
            os.replace(temporary, path)
        except OSError as error:
            log.warning("Sparkplug birth state %s not saved: %s", path, error)
