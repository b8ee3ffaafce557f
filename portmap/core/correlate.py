"""One incident across pollers that share a store: the flood that enters on an edge port polled
by one poller and crosses uplinks polled by others.

Each poller sees only its own devices: one that polls the edge port makes the incident, one
that polls only the uplinks the flood crosses makes an incident "on an uplink" (a flood
entering from a device it does not read). The correlator merges such an uplink incident into
the edge incident it carries, by the rule one machine applies to its own ports
(core/incidents.py): an uplink's incident while an edge port's is ongoing or recent carries
that flood. Across pollers the two must also be on devices the links connect. The merged
path lists the uplinks in hops from the entry device. Pure: the store's rows come in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

from portmap.core.history import StoredIncident
from portmap.core.incidents import RECUR_WITHIN_S


@dataclass(frozen=True, slots=True)
class Merge:
    into: int
    merged: tuple[int, ...]
    path: tuple[str, ...]
    """The entry incident's path with the merged incidents' ports, nearest to the entry first."""


def merge_incidents(incidents: Sequence[StoredIncident], uplinks: Collection[tuple[str, str]],
                    links: Collection[tuple[str, str]], recur_within_s: float = RECUR_WITHIN_S) -> list[Merge]:
    """The merges to write: each edge incident with the uplink incidents that carry its flood.
    `uplinks`: (device, port) known to link two devices; `links`: pairs of linked devices."""
    graph = nx.Graph(list(links))
    edges = [i for i in incidents if (i.device, i.port) not in uplinks]
    carried: dict[int, list[StoredIncident]] = {}
    for uplink in (i for i in incidents if (i.device, i.port) in uplinks):
        entry = _carrying(uplink, edges, graph, recur_within_s)
        if entry is not None:
            carried.setdefault(entry.id, []).append(uplink)
    merges = []
    for edge in edges:
        if edge.id in carried:
            distance = _hops(graph, edge.device)
            ports = dict.fromkeys([*edge.path, *(p for u in carried[edge.id] for p in (f"{u.device} {u.port}", *u.path))])
            path = sorted(ports, key=lambda p: (distance.get(p.split(" ", 1)[0], len(distance)), list(ports).index(p)))
            merges.append(Merge(edge.id, tuple(u.id for u in carried[edge.id]), tuple(path)))
    return merges


def _carrying(uplink: StoredIncident, edges: Sequence[StoredIncident], graph: nx.Graph, recur_within_s: float) -> StoredIncident | None:
    """The edge incident whose flood the uplink's carries: seen within recur_within_s before the
    uplink's began (a stale row's "ongoing" is not taken for it), on a device linked to the
    uplink's; the nearest, then the latest begun."""
    candidates = [e for e in edges if e.last_seen >= uplink.start - recur_within_s and e.start <= uplink.last_seen
                  and e.device in graph and uplink.device in graph and nx.has_path(graph, e.device, uplink.device)]
    if not candidates:
        return None
    return min(candidates, key=lambda e: (nx.shortest_path_length(graph, e.device, uplink.device), -e.start))


def _hops(graph: nx.Graph, device: str) -> Mapping[str, int]:
    return nx.single_source_shortest_path_length(graph, device) if device in graph else {device: 0}
