"""Sparkplug birth states on disk: they survive a restart, and a bad file stops nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.sparkplug_birth_state import DeclaredMetric, NodeBirthState
from collector.sparkplug_birth_store import SparkplugBirthStore, node_file_name
from collector.sparkplug_host import EdgeNode, SparkplugDevice, SparkplugHost
from collector.sparkplug_protobuf import DataType
from models.plant import STANDARD_SIGNALS
from simulator.sparkplug_payload import EdgeNodeMessages

AT = datetime(2026, 11, 21, 6, tzinfo=UTC)
SIGNALS = frozenset(s.name for s in STANDARD_SIGNALS)
PACKER = (
    DeclaredMetric("Speed", 1, DataType.DOUBLE),
    DeclaredMetric("state", 2, DataType.INT64),
    DeclaredMetric("Serial number", None, DataType.STRING),
)


def _state(
    edge_node_id: str = "line-3", seq: int = 7, group_id: str = "alpenpack"
) -> NodeBirthState:
    return NodeBirthState(group_id, edge_node_id, True, 4, seq, {"packer-plc": PACKER})


def test_saved_states_load_again(tmp_path: Path) -> None:
    store = SparkplugBirthStore(tmp_path / "births")
    odd = _state("node 4 100%", group_id="a b")  # ids need not be file names
    store.save(_state("line-3", seq=7))
    store.save(odd)
    store.save(_state("line-3", seq=9))  # replaces the first
    assert sorted(SparkplugBirthStore(tmp_path / "births").load(), key=repr) == sorted(
        [_state("line-3", seq=9), odd], key=repr
    )
    assert sorted(p.name for p in (tmp_path / "births").iterdir()) == sorted(
        [node_file_name("alpenpack", "line-3"), node_file_name("a b", "node 4 100%")]
    )


def test_no_directory_yet_is_no_state(tmp_path: Path) -> None:
    assert SparkplugBirthStore(tmp_path / "never-written").load() == []


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b'{"version": 2, "node": {}}',
        # seq runs 0..255
        b'{"version": 1, "node": {"group_id": "g", "edge_node_id": "n", "born": true,'
        b' "bd_seq": 1, "seq": 300, "devices": {}}}',
    ],
)
def test_an_unreadable_file_is_logged_and_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    store = SparkplugBirthStore(tmp_path)
    store.save(_state("line-3"))
    (tmp_path / node_file_name("alpenpack", "line-4")).write_bytes(content)
    with caplog.at_level(logging.WARNING):
        assert store.load() == [_state("line-3")]
    assert "line-4" in caplog.text and "rebirth" in caplog.text


def test_a_failed_save_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "births"
    blocked.write_text("a file where the directory should be")
    with caplog.at_level(logging.WARNING):
        SparkplugBirthStore(blocked).save(_state())
    assert "not saved" in caplog.text


def test_a_host_restored_from_the_store_decodes_the_data_after_a_restart(tmp_path: Path) -> None:
    store = SparkplugBirthStore(tmp_path)
    node = EdgeNode("alpenpack", "line-3", {"packer-plc": SparkplugDevice("l3-packer", SIGNALS)})
    edge = EdgeNodeMessages.for_machines(
        "alpenpack", "line-3", {"l3-packer": ("packer-plc", STANDARD_SIGNALS)}
    )
    first = SparkplugHost([node], on_birth_change=store.save)
    first.handle(edge.topic("NBIRTH"), edge.node_birth(AT), AT)
    birth = edge.device_birth("l3-packer", AT, {})
    assert first.handle(edge.topic("DBIRTH", "l3-packer"), birth, AT).error is None

    restarted = SparkplugHost([node], restored=store.load())
    data = edge.device_data("l3-packer", AT, [(AT, "speed", 99.5)])
    outcome = restarted.handle(edge.topic("DDATA", "l3-packer"), data, AT)
    assert (outcome.error, outcome.rebirth) == (None, None)
    assert [(r.machine_id, r.signal, r.value) for r in outcome.readings] == [
        ("l3-packer", "speed", 99.5)
    ]
