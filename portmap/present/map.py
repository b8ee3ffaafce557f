"""The topology as JSON, Graphviz DOT, GraphML or a Mermaid flowchart (`portmap map`).

Names come from the inventory and from agents (port names, LLDP port IDs), so nothing in them
may break a format: DOT and Mermaid get node ids of their own (n0, n1, ...) with the name as
an escaped label; GraphML gets its text without the characters XML cannot hold.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence

import networkx as nx

from portmap.core.neighbourhood import DeviceTables
from portmap.errors import SnmpError
from portmap.present.text import shown

FORMATS = ("json", "dot", "graphml", "mermaid")
LABEL_LIMIT = 200
"""Characters of a name or link label drawn in DOT and Mermaid."""


def _labelled(graph: nx.Graph, label: Callable[[str], str]) -> nx.Graph:
    """The graph with nodes n0, n1, ... and every name, label and attribute written by `label`."""
    ids = {node: f"n{number}" for number, node in enumerate(graph.nodes)}
    drawn = nx.Graph()
    drawn.add_nodes_from((ids[node], {**{key: label(str(value)) for key, value in data.items()}, "label": label(node)})
                         for node, data in graph.nodes(data=True))
    drawn.add_edges_from((ids[a], ids[b], {"label": label(data["label"])}) for a, b, data in graph.edges(data=True))
    return drawn


def _dot_label(text: str) -> str:
    """pydot quotes a value and escapes its quotes, not its backslashes: a trailing one would end the string."""
    return shown(text, LABEL_LIMIT).replace("\\", "\\\\")


def _mermaid_label(text: str) -> str:
    return shown(text, LABEL_LIMIT).replace('"', "#quot;")


def to_mermaid(graph: nx.Graph) -> str:
    """Mermaid has no library in Python's ecosystem worth the name: its flowchart text is this simple."""
    drawn = _labelled(graph, _mermaid_label)
    lines = ["graph LR"]
    lines += [f'  {node}["{label}"]' for node, label in drawn.nodes(data="label")]
    lines += [f'  {a} ---|"{label}"| {b}' for a, b, label in drawn.edges(data="label")]
    return "\n".join(lines)


def _xml_text(value: object) -> object:
    """Text XML 1.0 can hold: other characters written as shown() writes them; other values as they are."""
    if not isinstance(value, str):
        return value
    return "".join(c if c in "\t\n\r" or 0x20 <= ord(c) < 0xD800 or 0xE000 <= ord(c) < 0xFFFE else shown(c) for c in value)


def not_read_lines(tables: Sequence[DeviceTables], errors: Sequence[SnmpError]) -> list[str]:
    """What the map lacks, for stderr (the map itself goes to stdout, in its format)."""
    lines = [f"? {t.device}: {', '.join(t.unread)} not read: its links may be missing" for t in tables if t.unread]
    return lines + [f"x {error}: its links are missing from the map" for error in errors]


def render(graph: nx.Graph, fmt: str) -> str:
    # Only text attributes: GraphML and DOT cannot carry the per-end `ports` mapping of an edge.
    plain = nx.Graph()
    plain.add_nodes_from(graph.nodes(data=True))
    plain.add_edges_from((a, b, {"label": data["label"]}) for a, b, data in graph.edges(data=True))
    if fmt == "json":
        return json.dumps(nx.node_link_data(plain, edges="links"), indent=2)
    if fmt == "dot":
        return str(nx.nx_pydot.to_pydot(_labelled(plain, _dot_label)).to_string())
    if fmt == "graphml":
        xml = nx.relabel_nodes(plain, {node: _xml_text(node) for node in plain})
        for _, data in (*xml.nodes(data=True), *((None, d) for *_, d in xml.edges(data=True))):
            data.update({key: _xml_text(value) for key, value in data.items()})
        buffer = io.BytesIO()
        nx.write_graphml(xml, buffer)
        return buffer.getvalue().decode()
    return to_mermaid(plain)
