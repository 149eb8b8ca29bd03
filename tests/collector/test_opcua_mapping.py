"""The collection plan of an endpoint, from the plant file's lines (pure, no server)."""

from __future__ import annotations

import pytest

from collector.opcua_mapping import endpoint_plan
from models.opcua_source import (
    CollectMode,
    Deadband,
    DeadbandKind,
    OpcUaSecurity,
    OpcUaSource,
    SecurityMode,
    SecurityPolicy,
    SignalNode,
)
from models.plant import Line, Plant

ENDPOINT = "opc.tcp://127.0.0.1:48400/linecare/"


def _opcua_lines(plant: Plant) -> list[Line]:
    return [line for _, _, line in plant.lines() if isinstance(line.source, OpcUaSource)]


def _with_source(line: Line, **changes: object) -> Line:
    assert isinstance(line.source, OpcUaSource)
    return line.model_copy(update={"source": line.source.model_copy(update=changes)})


def test_the_plant_file_as_shipped_maps_every_signal_by_template(plant: Plant) -> None:
    plan = endpoint_plan(ENDPOINT, _opcua_lines(plant))

    assert len(plan.signals) == 2 * 3 * 9
    speed = next(s for s in plan.signals if (s.machine_id, s.signal) == ("l2-capper", "speed"))
    assert speed.address == "ns=2;s=line-2.l2-capper.speed"
    assert not speed.by_browse_path
    assert speed.mode is CollectMode.SUBSCRIBE
    assert plan.events is not None and plan.events.machine_of_source["l1-filler"] == "l1-filler"


def test_signals_map_to_node_ids_and_browse_paths_with_their_own_settings(plant: Plant) -> None:
    line_1, line_2 = _opcua_lines(plant)
    mapped = _with_source(
        line_1,
        deadband=Deadband(value=0.5),
        nodes={
            "l1-filler": {
                "speed": SignalNode(node_id="ns=3;s=DB10.Speed", sampling_interval_ms=100),
                "state": SignalNode(browse_path="/3:Filler/3:State", mode=CollectMode.POLL),
            }
        },
    )
    plan = endpoint_plan(ENDPOINT, [mapped, line_2])
    by_key = {(s.machine_id, s.signal): s for s in plan.signals}

    assert by_key["l1-filler", "speed"].address == "ns=3;s=DB10.Speed"
    assert by_key["l1-filler", "speed"].sampling_interval_ms == 100
    assert by_key["l1-filler", "state"].by_browse_path
    assert by_key["l1-filler", "state"].mode is CollectMode.POLL
    # The line's deadband thins out analog signals only, never states or counters.
    assert by_key["l1-capper", "bearing_temp"].deadband == Deadband(value=0.5)
    assert by_key["l1-capper", "good_count"].deadband is None
    assert by_key["l2-capper", "bearing_temp"].deadband is None


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        ({"l9-ghost": {"speed": SignalNode(node_id="i=1")}}, "not on this line"),
        ({"l1-filler": {"sped": SignalNode(node_id="i=1")}}, "no signal"),
    ],
)
def test_a_mapping_naming_unknown_machines_or_signals_fails_at_start_up(
    plant: Plant, nodes: dict[str, dict[str, SignalNode]], message: str
) -> None:
    line_1, _ = _opcua_lines(plant)
    with pytest.raises(ValueError, match=message):
        endpoint_plan(ENDPOINT, [_with_source(line_1, nodes=nodes)])


def test_a_percent_deadband_above_100_fails_at_start_up(plant: Plant) -> None:
    line_1, _ = _opcua_lines(plant)
    too_much = Deadband(kind=DeadbandKind.PERCENT, value=150)
    whole_range = Deadband(kind=DeadbandKind.PERCENT, value=100)
    node = SignalNode(deadband=too_much)

    endpoint_plan(ENDPOINT, [_with_source(line_1, deadband=whole_range)])
    with pytest.raises(ValueError, match="percent deadband of 150"):
        endpoint_plan(ENDPOINT, [_with_source(line_1, deadband=too_much)])
    with pytest.raises(ValueError, match="percent deadband of 150"):
        endpoint_plan(ENDPOINT, [_with_source(line_1, nodes={"l1-filler": {"speed": node}})])
    # An absolute deadband is in the signal's unit, with no upper limit.
    endpoint_plan(ENDPOINT, [_with_source(line_1, deadband=Deadband(value=150))])


def test_lines_sharing_a_session_must_agree_on_security(plant: Plant) -> None:
    line_1, line_2 = _opcua_lines(plant)
    secured = OpcUaSecurity(policy=SecurityPolicy.BASIC256SHA256, mode=SecurityMode.SIGN)
    with pytest.raises(ValueError, match="disagree on security"):
        endpoint_plan(ENDPOINT, [_with_source(line_1, security=secured), line_2])


def test_a_signal_takes_a_node_id_or_a_browse_path_not_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        SignalNode(node_id="i=1", browse_path="/2:A")
    with pytest.raises(ValueError, match="both be None or both be set"):
        OpcUaSecurity(policy=SecurityPolicy.BASIC256SHA256)
