"""The topology: LLDP links between inventoried devices only, hosts on edge ports, valid outputs."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import networkx as nx

from portmap.present.map import render
from portmap.core.topology import path_between
from portmap.core.neighbourhood import topology
from portmap.engine.tables import read_once, roles_of
from tests.helpers import require


async def demo_graph(demo_running, hosts: bool) -> nx.Graph:
    devices = list(demo_running.devices.values())
    tables, failed = await read_once(devices)
    assert failed == []
    return topology(tables, roles_of(devices), hosts)


async def test_links_are_the_lldp_cables_and_the_path_from_web1_reaches_the_router(demo_running):
    switches_only = await demo_graph(demo_running, hosts=False)
    assert {frozenset(e) for e in switches_only.edges} == {
        frozenset({"core1", "acc1"}), frozenset({"core1", "acc2"}), frozenset({"core1", "rtr1"})}
    assert switches_only.edges["core1", "acc2"]["ports"] == {"core1": "Te1/1/2", "acc2": "Te1/1/1"}
    graph = await demo_graph(demo_running, hosts=True)
    web1 = demo_running.network.hosts[0]
    assert path_between(graph, web1.mac, "rtr1") == [web1.mac, "acc1", "core1", "rtr1"]
    assert graph.edges[web1.mac, "acc1"]["label"] == "acc1 Gi1/0/5"
    assert path_between(graph, web1.mac, "nowhere") == []


async def test_every_format_is_readable_by_its_tools(demo_running):
    graph = await demo_graph(demo_running, hosts=True)
    back = nx.read_graphml(io.BytesIO(render(graph, "graphml").encode()))
    assert set(back.nodes) == set(graph.nodes) and back.number_of_edges() == graph.number_of_edges()
    assert nx.node_link_graph(json.loads(render(graph, "json")), edges="links").number_of_edges() == graph.number_of_edges()
    mermaid = render(graph, "mermaid")
    assert mermaid.startswith("graph LR") and mermaid.count("---|") == graph.number_of_edges()
    require(shutil.which("dot") is not None, "needs Graphviz (Debian: apt-get install graphviz)")
    svg = subprocess.run(["dot", "-Tsvg"], input=render(graph, "dot"), capture_output=True, text=True, check=True)
    assert svg.stderr == "" and svg.stdout.count("class=\"node\"") == graph.number_of_nodes()
