"""Splitting Sparkplug B edge nodes between collector processes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from pydantic import ValidationError

from collector.sparkplug_partition import WHOLE_PLANT, SparkplugPartition, partition_of
from settings.linecare_settings import Settings

NODES = [("alpenpack", f"line-{n}") for n in range(200)] + [("nordbrau", "line-1")]


def test_the_partition_of_a_node_depends_on_its_ids_alone() -> None:
    # Pinned: every process, on every machine and Python release, must agree.
    assert [partition_of("alpenpack", f"line-{n}", 2) for n in (3, 4, 5, 6)] == [0, 1, 1, 1]
    assert partition_of("alpenpack", "line-3", 7) == 1
    assert partition_of("alpenpack", "line-3", 1) == 0


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_every_node_has_exactly_one_host(count: int) -> None:
    partitions = [SparkplugPartition(index, count) for index in range(count)]
    for group_id, edge_node_id in NODES:
        assert sum(p.hosts(group_id, edge_node_id) for p in partitions) == 1


def test_nodes_spread_about_evenly() -> None:
    shares = Counter(partition_of(g, n, 4) for g, n in NODES)
    assert sorted(shares) == [0, 1, 2, 3]
    assert all(30 <= share <= 70 for share in shares.values()), shares


def test_one_partition_hosts_everything() -> None:
    assert WHOLE_PLANT.is_whole and all(WHOLE_PLANT.hosts(g, n) for g, n in NODES)


@pytest.mark.parametrize(("index", "count"), [(2, 2), (-1, 2), (0, 0)])
def test_a_partition_outside_the_count_is_refused(index: int, count: int) -> None:
    with pytest.raises(ValueError, match="needs 0 <= index < count"):
        SparkplugPartition(index, count)


def test_settings_give_the_partition_and_a_birth_directory_per_client_id() -> None:
    settings = Settings(
        state_dir=Path("/var/lib/linecare"),
        sparkplug_partition_index=1,
        sparkplug_partition_count=3,
        mqtt_client_id="collector/b",
    )
    assert settings.sparkplug_partition() == SparkplugPartition(1, 3)
    assert settings.sparkplug_birth_dir() == Path("/var/lib/linecare/sparkplug/collector%2Fb")
    assert Settings().sparkplug_partition() == WHOLE_PLANT
    with pytest.raises(ValidationError, match="needs 0 <= index < count"):
        Settings(sparkplug_partition_index=2, sparkplug_partition_count=2)
