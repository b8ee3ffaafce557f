"""The topology: LLDP links between inventoried devices only, hosts on edge ports, valid outputs."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess

import networkx as nx

from portmap.present.map import render
from portmap.core.tables import Neighbor
from portmap.core.topology import build_topology, path_between
from portmap.core.neighbourhood import map_neighbourhood, topology
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


HOSTILE_NAMES = ['sw "1"', "node", "graph", "edge", "sw-1", "sw_1", "a:b", "trail\\"]


def hostile_graph() -> nx.Graph:
    """Devices named with a quote, DOT keywords, names Mermaid would merge, a colon, a trailing
    backslash; ports named with a terminal escape and ending in a backslash."""
    neighbors = {name: [Neighbor("lldp", 1, 1, after, "", "Gi0/1\\", "")] for name, after in zip(HOSTILE_NAMES, HOSTILE_NAMES[1:])}
    port_names = {(name, 1): "Gi0/1\x1b[2J\x01" for name in HOSTILE_NAMES}
    return build_topology({name: ["switch"] for name in HOSTILE_NAMES}, neighbors, port_names, {})


def test_every_format_holds_hostile_names_and_is_read_back():
    graph = hostile_graph()
    assert graph.number_of_nodes() == len(HOSTILE_NAMES) and graph.number_of_edges() == len(HOSTILE_NAMES) - 1
    back = nx.read_graphml(io.BytesIO(render(graph, "graphml").encode()))
    assert set(back.nodes) == set(HOSTILE_NAMES) and back.number_of_edges() == graph.number_of_edges()
    assert all("\x1b" not in label and "\\x1b" in label for _, _, label in back.edges(data="label"))
    mermaid = render(graph, "mermaid").splitlines()
    nodes = [re.fullmatch(r'  (n\d+)\["([^"]*)"\]', line) for line in mermaid if '["' in line]
    assert all(nodes) and len({m.group(1) for m in nodes}) == len(HOSTILE_NAMES)
    assert {m.group(2) for m in nodes} >= {"sw-1", "sw_1", "sw #quot;1#quot;"}
    require(shutil.which("dot") is not None, "needs Graphviz (Debian: apt-get install graphviz)")
    drawn = subprocess.run(["dot", "-Tplain"], input=render(graph, "dot"), capture_output=True, text=True)
    assert drawn.returncode == 0 and drawn.stderr == "", drawn.stderr
    lines = drawn.stdout.splitlines()
    assert sum(line.startswith("node ") for line in lines) == len(HOSTILE_NAMES)
    assert sum(line.startswith("edge ") for line in lines) == graph.number_of_edges()
    assert all(name.replace('"', '\\"') in drawn.stdout for name in ("node", "graph", "edge", "sw-1", "sw_1", "a:b"))


async def test_a_floods_ports_are_ordered_along_its_way_out_from_the_entry(demo_running):
    """From acc1 (web1's switch): acc1's uplink, core1's port facing acc1, then core1's towards
    rtr1, rtr1's LAN port, and last rtr1's uplink to the ISP (nothing inventoried behind it)."""
    devices = list(demo_running.devices.values())
    tables, _ = await read_once(devices)
    neighbourhood = map_neighbourhood(tables, roles_of(devices))
    names = {(key[0], info.if_name): key for key, info in neighbourhood.interfaces.items()}
    crossed = [names[p] for p in [("rtr1", "ge-0/0/1"), ("core1", "Te1/1/4"), ("acc1", "Te1/1/1"), ("rtr1", "ge-0/0/0"), ("core1", "Te1/1/1")]]
    along = neighbourhood.flood_path().order("acc1")
    assert [neighbourhood.interfaces[p].if_name for p in sorted(crossed, key=along)] == ["Te1/1/1", "Te1/1/1", "Te1/1/4", "ge-0/0/0", "ge-0/0/1"]
    assert [p[0] for p in sorted(crossed, key=along)] == ["acc1", "core1", "core1", "rtr1", "rtr1"]
