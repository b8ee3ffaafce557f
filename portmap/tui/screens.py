"""The TUI's other screens: a port's detail, the devices, the topology, the keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Label, Sparkline, Static, Tree

from portmap.present.labels import port_label
from portmap.core.topology import path_between
from portmap.core.snapshot import PortKey
from portmap.tui.views import History, devices_rows, hosts_lines, routers
from portmap.present.text import MAX_SHOWN, shown
from portmap.present.vendors import vendor
from portmap.core.snapshot import Frame


class BackScreen(Screen[None]):
    """A screen left with escape or q."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "back")]


class FrameScreen(BackScreen):
    """A view of the last frame, or of none yet."""

    def __init__(self, frame: Frame | None) -> None:
        super().__init__()
        self.frame = frame


class PortScreen(BackScreen):
    """One port: in/out history, the hosts behind it, its neighbour, its path to the routers."""

    def __init__(self, key: PortKey, frame: Frame, history: History, roles: Mapping[str, Sequence[str]]) -> None:
        super().__init__()
        self.key, self.frame, self.history, self.roles = key, frame, history, roles

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(Text(port_label(self.frame.snapshot, self.key)), classes="title")
            yield Label("packets/s in (what the attached device sends)")
            yield Sparkline(list(self.history.inbound.get(self.key, [])), id="in-history")
            yield Label("packets/s out")
            yield Sparkline(list(self.history.outbound.get(self.key, [])), id="out-history")
            yield Label("behind this port", classes="title")
            yield Static(Text("\n".join(hosts_lines(self.frame, self.key, vendor))), id="hosts")
            yield Label("path to the routers", classes="title")
            yield Static(Text("\n".join(self._paths())), id="paths")
        yield Footer()

    def _paths(self) -> list[str]:
        neighbourhood = self.frame.neighbourhood
        if neighbourhood is None:
            return ["(the topology is not read yet)"]
        start = self.key[0]
        paths = [" -> ".join(path) for router in routers(self.roles) if (path := path_between(neighbourhood.graph, start, router))]
        return paths or ["no router reachable through known links"]


class DevicesScreen(FrameScreen):
    """Every device: answering or not, response time, last error."""

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(id="devices", cursor_type="row")
        table.add_columns("DEVICE", "ANSWERED", "RESPONSE", "LAST ERROR")
        table.add_rows(tuple(Text(cell) for cell in row) for row in devices_rows(self.frame))  # Text: never markup
        yield table
        yield Footer()


class TopologyScreen(FrameScreen):
    """Devices, their links, and the hosts on each edge port."""

    def compose(self) -> ComposeResult:
        tree: Tree[None] = Tree("network", id="topology")
        tree.root.expand()
        neighbourhood = self.frame.neighbourhood if self.frame else None
        if neighbourhood is not None:
            graph = neighbourhood.graph
            for device in sorted(n for n, kind in graph.nodes(data="kind") if kind == "device"):
                branch = tree.root.add(Text(f"{device} ({graph.nodes[device].get('roles') or '-'})"), expand=True)
                for other in sorted(graph.neighbors(device)):
                    label = shown(graph.edges[device, other].get("label", ""), 2 * MAX_SHOWN)
                    if graph.nodes[other].get("kind") == "host":
                        ips = graph.nodes[other].get("ips") or ""
                        branch.add_leaf(Text(f"host {other} {ips}  on {label}"))
                    else:
                        branch.add_leaf(Text(f"link to {shown(other)}: {label}"))
        yield tree
        yield Footer()


HELP = """\
1-5       sort by rank (incidents first), packets/s, bits/s, utilisation, errors
enter     the selected port: history, hosts, neighbour, path to the routers
/         filter by host, IP, MAC or port (escape clears)
d         devices: answering, response times, last error
t         topology: links, and hosts on their edge ports
p         pause / resume updates (polling goes on)
a         the selected flagged port's traffic is normal (a backup, a replication): learn it now
ctrl+p    command palette
?         this help;  q or ctrl+c  quit
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "close")]

    def compose(self) -> ComposeResult:
        yield Static(HELP, id="help")
