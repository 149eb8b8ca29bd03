"""Which collector process hosts which Sparkplug B edge node.

A Sparkplug host must see all of one node's messages, in order, so the nodes
cannot go through a shared subscription as JSON topics do. Instead each of
``count`` collector processes hosts the nodes whose stable hash of
``group/edge node`` falls on its ``index``, and subscribes to those alone.
The hash depends on the node's ids only, so adding a node or a line moves no
other node to another process.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.stable_partition import stable_partition


def partition_of(group_id: str, edge_node_id: str, count: int) -> int:
    """The partition (0..count-1) of one edge node; the same in every process and release."""
    return stable_partition(f"{group_id}/{edge_node_id}", count)


@dataclass(frozen=True, slots=True)
class SparkplugPartition:
    """This collector's share of the plant's edge nodes: partition ``index`` of ``count``."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(
                f"Sparkplug partition {self.index} of {self.count}: needs 0 <= index < count"
            )

    @property
    def is_whole(self) -> bool:
        """Whether this collector hosts every edge node (one collector process)."""
        return self.count == 1

    def hosts(self, group_id: str, edge_node_id: str) -> bool:
        return self.is_whole or partition_of(group_id, edge_node_id, self.count) == self.index


WHOLE_PLANT = SparkplugPartition()
