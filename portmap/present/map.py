"""The topology as JSON, Graphviz DOT, GraphML or a Mermaid flowchart (`portmap map`)."""

from __future__ import annotations

import io
import json
import re

import networkx as nx


FORMATS = ("json", "dot", "graphml", "mermaid")


def _mermaid_id(node: str) -> str:
    return "n_" + re.sub(r"\W", "_", node)


def to_mermaid(graph: nx.Graph) -> str:
    """Mermaid has no library in Python's ecosystem worth the name: its flowchart text is this simple."""
    lines = ["graph LR"]
    lines += [f'  {_mermaid_id(n)}["{n}"]' for n in graph.nodes]
    lines += [f'  {_mermaid_id(a)} ---|"{graph.edges[a, b]["label"]}"| {_mermaid_id(b)}' for a, b in graph.edges]
    return "\n".join(lines)


def render(graph: nx.Graph, fmt: str) -> str:
    # Only text attributes: GraphML and DOT cannot carry the per-end `ports` mapping of an edge.
    plain = nx.Graph()
    plain.add_nodes_from(graph.nodes(data=True))
    plain.add_edges_from((a, b, {"label": data["label"]}) for a, b, data in graph.edges(data=True))
    if fmt == "json":
        return json.dumps(nx.node_link_data(plain, edges="links"), indent=2)
    if fmt == "dot":
        # pydot reads "a:b" as node a, port b: quote names with colons (host MACs).
        quoted = nx.relabel_nodes(plain, {n: f'"{n}"' for n in plain if ":" in n})
        return str(nx.nx_pydot.to_pydot(quoted).to_string())
    if fmt == "graphml":
        buffer = io.BytesIO()
        nx.write_graphml(plain, buffer)
        return buffer.getvalue().decode()
    return to_mermaid(plain)
