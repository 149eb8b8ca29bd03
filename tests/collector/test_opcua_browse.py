"""Browsing a server to map a new line: the tree, the plant-file snippet and the command."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import yaml

from collector.opcua_browse import browse_endpoint, plant_file_snippet, render_tree, walk
from launcher import cli
from models.opcua_source import OpcUaSource
from models.plant import Plant
from services.free_ports import free_port
from simulator.opcua_server import serving_opcua
from simulator.plant_simulation import PlantSimulation
from simulator.scenarios import QUIET
from tests.simulator.scenario_factories import SEED, START

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def url(plant: Plant) -> AsyncIterator[str]:
    simulation = PlantSimulation(plant, seed=SEED, start=START, scenario=QUIET)
    lines = [line for _, _, line in plant.lines() if isinstance(line.source, OpcUaSource)]
    url = f"opc.tcp://127.0.0.1:{free_port()}/browse/"
    async with serving_opcua(url, lines, simulation.advance_to(START)) as server:
        await server.write_value("l2-capper", "speed", 118.25, START)
        yield url


async def test_the_tree_shows_node_ids_types_and_values_below_objects(url: str) -> None:
    tree = await browse_endpoint(url, depth=3)

    assert [node.browse_name for node in tree] == ["2:line-1", "2:line-2"]
    speed = next(n for n in walk(tree) if n.node_id == "ns=2;s=line-2.l2-capper.speed")
    assert speed.browse_path == "/2:line-2/2:l2-capper/2:speed"
    assert (speed.node_class, speed.data_type, speed.value) == ("Variable", "Double", "118.25")
    assert "  2:l2-capper  [ns=2;i=" in render_tree(tree)
    # One level less: machines are listed, their variables are not.
    shallow = await browse_endpoint(url, depth=2)
    assert not any(node.node_class == "Variable" for node in walk(shallow))


async def test_the_snippet_maps_every_variable_by_machine_and_signal(url: str) -> None:
    tree = await browse_endpoint(url, depth=3)
    nodes = yaml.safe_load(plant_file_snippet(tree))["nodes"]

    assert set(nodes) == {f"l{n}-{m}" for n in (1, 2) for m in ("filler", "capper", "labeller")}
    assert nodes["l2-capper"]["speed"] == {"node_id": "ns=2;s=line-2.l2-capper.speed"}
    assert len(nodes["l1-filler"]) == 9


async def test_the_command_prints_tree_and_snippet(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The command runs its own event loop, as from a shell; the server keeps serving here.
    code = await asyncio.to_thread(cli.main, ["opcua", "browse", url, "--depth", "3"])
    out = capsys.readouterr().out

    assert code == 0
    assert "2:speed  [ns=2;s=line-1.l1-filler.speed] Double = " in out
    assert "nodes:\n  l1-filler:\n    state: {node_id: ns=2;s=line-1.l1-filler.state}" in out


async def test_the_command_reports_an_unreachable_server(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await asyncio.to_thread(
        cli.main, ["opcua", "browse", f"opc.tcp://127.0.0.1:{free_port()}/"]
    )
    assert code == 1
    assert "cannot browse" in capsys.readouterr().err
