"""Browsing a server's address space, to map the tags of a new line.

``linecare opcua browse URL`` prints the tree below Objects (the standard objects
of namespace 0, such as Server, left out) with NodeIds, browse names, data types and current values,
then a ``nodes:`` snippet for the line's ``source`` in the plant file. The snippet
names each variable by its parent object (as the machine) and its own browse
name (as the signal): rename both to the plant file's ids.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import yaml
from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.object_ids import ObjectIdNames

from collector.opcua_monitoring import chunks
from collector.opcua_security import OpcUaCredentials, apply_security, new_client
from models.opcua_source import OpcUaSecurity

_MAX_VALUE_TEXT = 40


@dataclass(frozen=True, slots=True)
class BrowsedNode:
    node_id: str
    browse_name: str
    # Relative path from Objects, as the plant file's ``browse_path`` takes it.
    browse_path: str
    node_class: str
    data_type: str | None = None
    value: str | None = None
    children: tuple[BrowsedNode, ...] = ()


async def browse_endpoint(
    endpoint: str,
    *,
    depth: int,
    security: OpcUaSecurity | None = None,
    credentials: OpcUaCredentials | None = None,
) -> tuple[BrowsedNode, ...]:
    """Connect to ``endpoint`` and browse ``depth`` levels below Objects."""
    client = new_client(endpoint)
    await apply_security(client, endpoint, security or OpcUaSecurity(), credentials)
    async with client:
        return await browse_objects(client, depth=depth)


async def browse_objects(client: Client, *, depth: int) -> tuple[BrowsedNode, ...]:
    """The address space below Objects, ``depth`` levels deep, values included."""
    tree = await _children(client, client.nodes.objects, "", depth)
    return await _with_values(client, tree)


async def _children(client: Client, parent: Node, path: str, depth: int) -> tuple[BrowsedNode, ...]:
    if depth <= 0:
        return ()
    browsed = []
    for ref in await parent.get_children_descriptions():
        node_id = ua.NodeId(ref.NodeId.Identifier, ref.NodeId.NamespaceIndex, ref.NodeId.NodeIdType)
        if not path and node_id.NamespaceIndex == 0:
            # The standard objects (Server, Aliases, ...) hold no line's tags.
            continue
        name = ref.BrowseName.to_string()
        child_path = f"{path}/{name}"
        children: tuple[BrowsedNode, ...] = ()
        if ref.NodeClass == ua.NodeClass.Object:
            children = await _children(client, client.get_node(node_id), child_path, depth - 1)
        browsed.append(
            BrowsedNode(
                node_id=node_id.to_string(),
                browse_name=name,
                browse_path=child_path,
                node_class=ref.NodeClass.name,
                children=children,
            )
        )
    return tuple(browsed)


async def _with_values(client: Client, tree: tuple[BrowsedNode, ...]) -> tuple[BrowsedNode, ...]:
    variables = [node for node in walk(tree) if node.node_class == "Variable"]
    described: dict[str, tuple[str, str]] = {}
    for chunk in chunks(variables):
        node_ids = [ua.NodeId.from_string(node.node_id) for node in chunk]
        types = await client.uaclient.read_attributes(node_ids, AttributeIds.DataType)
        values = await client.uaclient.read_attributes(node_ids, AttributeIds.Value)
        for node, data_type, value in zip(chunk, types, values, strict=True):
            described[node.node_id] = (_type_name(data_type), _value_text(value))
    return _annotate(tree, described)


def _annotate(
    tree: tuple[BrowsedNode, ...], described: dict[str, tuple[str, str]]
) -> tuple[BrowsedNode, ...]:
    annotated = []
    for node in tree:
        data_type, value = described.get(node.node_id, (None, None))
        annotated.append(
            BrowsedNode(
                node_id=node.node_id,
                browse_name=node.browse_name,
                browse_path=node.browse_path,
                node_class=node.node_class,
                data_type=data_type,
                value=value,
                children=_annotate(node.children, described),
            )
        )
    return tuple(annotated)


def _type_name(data_value: ua.DataValue) -> str:
    type_id = data_value.Value.Value if data_value.Value is not None else None
    if not isinstance(type_id, ua.NodeId):
        return "?"
    if type_id.NamespaceIndex == 0 and isinstance(type_id.Identifier, int):
        return ObjectIdNames.get(type_id.Identifier, type_id.to_string())
    return type_id.to_string()


def _value_text(data_value: ua.DataValue) -> str:
    status = data_value.StatusCode
    if status is not None and not status.is_good():
        return status.name
    value = data_value.Value.Value if data_value.Value is not None else None
    text = repr(value)
    return text if len(text) <= _MAX_VALUE_TEXT else text[: _MAX_VALUE_TEXT - 1] + "…"


def walk(tree: Sequence[BrowsedNode]) -> Iterator[BrowsedNode]:
    """Every node of the tree, depth first."""
    for node in tree:
        yield node
        yield from walk(node.children)


def render_tree(tree: Sequence[BrowsedNode], indent: str = "") -> str:
    """One line per node: name, NodeId, and for variables data type and value."""
    lines = []
    for node in tree:
        detail = f" {node.data_type} = {node.value}" if node.node_class == "Variable" else ""
        lines.append(f"{indent}{node.browse_name}  [{node.node_id}]{detail}")
        if node.children:
            lines.append(render_tree(node.children, indent + "  "))
    return "\n".join(lines)


def plant_file_snippet(tree: Sequence[BrowsedNode]) -> str:
    """A ``nodes:`` mapping of every variable, by machine (parent object) and signal."""
    mapping: dict[str, dict[str, dict[str, str]]] = {}
    for parent, variable in _variables_with_parents(tree, None):
        machine = _plain_name(parent.browse_name) if parent else "machine-id"
        mapping.setdefault(machine, {})[_plain_name(variable.browse_name)] = _address(variable)
    if not mapping:
        return "# no variables found; browse deeper with --depth\n"
    header = (
        "# Under the line's `source:` in the plant file. Rename the machines and signals\n"
        "# to the plant file's ids and delete what LineCare need not collect.\n"
    )
    return header + yaml.safe_dump(
        {"nodes": mapping}, sort_keys=False, allow_unicode=True, default_flow_style=None
    )


def _variables_with_parents(
    tree: Sequence[BrowsedNode], parent: BrowsedNode | None
) -> Iterator[tuple[BrowsedNode | None, BrowsedNode]]:
    for node in tree:
        if node.node_class == "Variable":
            yield parent, node
        yield from _variables_with_parents(node.children, node)


def _address(node: BrowsedNode) -> dict[str, str]:
    # Numeric NodeIds are often renumbered when a PLC program is downloaded again;
    # browse paths and string NodeIds survive that.
    if ";i=" in node.node_id or node.node_id.startswith("i="):
        return {"browse_path": node.browse_path}
    return {"node_id": node.node_id}


def _plain_name(browse_name: str) -> str:
    return browse_name.split(":", 1)[-1]
