"""The TUI's other screens: a port's detail, the devices, the topology, the keys."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Label, Static, Tree

from portmap.present.labels import port_label
from portmap.core.topology import path_between
from portmap.core.snapshot import PortKey
from portmap.present import numbers as fmt
from portmap.tui.views import HISTORY, MINUTE_S, History, chart, devices_rows, hosts_lines, kept_lines, routers
from portmap.present.text import MAX_SHOWN, shown
from portmap.present.vendors import vendor
from portmap.core.snapshot import Frame
from portmap.core.history import PortHistory, stored_name

HOUR_S = 3600.0


class BackScreen(Screen[None]):
    """A screen left with escape or q."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "back")]


class FrameScreen(BackScreen):
    """A view of the last frame, or of none yet, shown again with every poll (show_frame)."""

    def __init__(self, frame: Frame | None) -> None:
        super().__init__()
        self.frame = frame

    def show_frame(self, frame: Frame | None) -> None:
        """A new poll: what the screen shows follows it (the topology keeps the tables it opened with)."""
        self.frame = frame


CHART_HEIGHT = 4
CHARTS = (("in_pps", "packets/s in (what the attached device sends)", fmt.si), ("out_pps", "packets/s out", fmt.si),
          ("in_bps", "bits/s in", fmt.bps), ("out_bps", "bits/s out", fmt.bps), ("errors_ps", "errors and discards/s", fmt.si))
"""The port's charts: History field, title, how its values are written."""


class PortScreen(FrameScreen):
    """One port: charts of its last polls (in/out packets and bits per second, errors, with a
    scale and a time axis), the hosts behind it, its neighbour, its path to the routers."""

    def __init__(self, key: PortKey, frame: Frame, history: History, roles: Mapping[str, Sequence[str]], interval_s: float,
                 store: str | None = None) -> None:
        """`store`: the history store to read the port's last hour from (None: none known)."""
        super().__init__(frame)
        self.key, self.history, self.roles, self.interval_s = key, history, roles, interval_s
        self.store = store
        self.kept: PortHistory | str | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label("", classes="title", id="port")
            yield Static("", id="charts")
            yield Label("behind this port", classes="title")
            yield Static("", id="hosts")
            yield Label("path to the routers", classes="title")
            yield Static("", id="paths")
            yield Label("the last hour, as the history store kept it", classes="title")
            yield Static("", id="kept")
        yield Footer()

    def on_mount(self) -> None:
        self.show_frame(self.frame)
        self._show_kept(None)
        if self.store is not None:
            self._read_kept()
            self.set_interval(MINUTE_S, self._read_kept)  # the store gains a row per minute

    @work(thread=True, exclusive=True, group="kept")
    def _read_kept(self) -> None:
        """In a thread: the store is a file (or a database) that may be slow to answer."""
        from portmap.engine.store.queries import recent_of_port  # SQLAlchemy loads when a port is opened
        from portmap.engine.store.store import StoreError

        assert self.store is not None and self.frame is not None
        port = stored_name(self.frame.snapshot.interfaces, self.key)
        try:
            kept: PortHistory | str = recent_of_port(self.store, self.key[0], port, time.time() - HOUR_S)
        except StoreError as error:
            kept = str(error)
        self.app.call_from_thread(self._show_kept, kept)

    def _show_kept(self, kept: PortHistory | str | None) -> None:
        self.kept = kept if kept is not None or self.store is None else "reading..."
        width = max(10, min(60, self.size.width - 16)) if self.size.width else 60
        self.query_one("#kept", Static).update(Text("\n".join(kept_lines(self.kept, time.time(), width, CHART_HEIGHT))))

    def show_frame(self, frame: Frame | None) -> None:
        super().show_frame(frame)
        if frame is None or not self.query("#charts"):  # not composed yet: on_mount shows it
            return
        self.query_one("#port", Label).update(Text(port_label(frame.snapshot, self.key)))
        self.query_one("#charts", Static).update(Text("\n".join(self._charts())))
        self.query_one("#hosts", Static).update(Text("\n".join(hosts_lines(frame, self.key, vendor))))
        self.query_one("#paths", Static).update(Text("\n".join(self._paths(frame))))

    def _charts(self) -> list[str]:
        width = max(10, min(HISTORY, self.size.width - 16)) if self.size.width else HISTORY
        lines = []
        for field, title, show in CHARTS:
            values = self.history.series(self.key, field)
            now = show(values[-1]) if values else "-"
            lines += [f"{title}: now {now}, highest {show(max(values, default=0.0))}",
                      *chart(values, width, CHART_HEIGHT, show, self.interval_s), ""]
        return lines

    def _paths(self, frame: Frame) -> list[str]:
        neighbourhood = frame.neighbourhood
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
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.show_frame(self.frame)

    def show_frame(self, frame: Frame | None) -> None:
        super().show_frame(frame)
        if not self.query("#devices"):
            return
        table = self.query_one("#devices", DataTable)
        cursor = table.cursor_row
        table.clear()
        table.add_rows(tuple(Text(cell) for cell in row) for row in devices_rows(frame))  # Text: never markup
        table.move_cursor(row=cursor)


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
1-5       sort by rank (incidents first), packets/s, bits/s, utilisation, errors (the column is marked ▼)
enter     the selected port: charts of its last polls, hosts, neighbour, path to the routers
i         the strongest incident's entry port, wherever the cursor is
/         filter by host, IP, MAC (any notation) or port (escape clears)
b         rates in bits or in bytes per second
d         devices: answering, response times, last error
t         topology: links, and hosts on their edge ports
p         pause / resume updates (polling goes on)
a         the selected flagged port's traffic is normal (a backup, a replication): learn it now
x         export the strongest incident (reasons, hosts, the ports it crosses) to .txt and .json here, and copy it
ctrl+p    command palette
?         this help;  q or ctrl+c  quit
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "close")]

    def compose(self) -> ComposeResult:
        yield Static(HELP, id="help")
