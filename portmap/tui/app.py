"""`portmap` at the console: the Textual face over the watch loop.

Polling runs in a worker that posts one FrameReady message per poll; the screen only ever
redraws from the last frame, so a slow or dead device never blocks a key press.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer, Input, Static

from portmap.tui.screens import DevicesScreen, FrameScreen, HelpScreen, PortScreen, TopologyScreen
from portmap.tui.table import PortTable
from portmap.tui.views import MAX_ROWS, SORTS, History, Layout, PortView, banner, layout_for, recent_strip, status_line
from portmap.core.snapshot import Frame, PortKey
from portmap.present.top import incident_export
from portmap.present.labels import port_label

FrameSource = Callable[[Callable[[Frame], object]], Awaitable[None]]
"""Runs the watch loop, calling its argument with every frame (portmap.watch.watch in the product)."""

SORT_BY_KEY = {"1": "rank", "2": "pps", "3": "bps", "4": "util", "5": "errors"}
"""The number keys that order the table."""
EXPORT_FOLDER = Path(".")
"""Where `x` writes the incident (the folder portmap was started in)."""


class FrameReady(Message):
    def __init__(self, frame: Frame) -> None:
        super().__init__()
        self.frame = frame


class PollerFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class Line(Widget):
    """One line of text whose updates never re-lay out the screen, as a Static's do."""

    DEFAULT_CSS = "Line { height: 1; }"
    text: reactive[Text] = reactive(Text(""), layout=False)

    def render(self) -> Text:
        return self.text


class SteadyFooter(Footer):
    """A footer that rebuilds its keys only when the keys it shows change. Textual's rebuilds them
    on every focus move, which re-lays out the whole screen: a third of opening the filter."""

    _shown: tuple[tuple[str, str, bool], ...] = ()

    def bindings_changed(self, screen: Screen[object]) -> None:
        shown = tuple((binding.key, binding.description, enabled)
                      for _, binding, enabled, _ in screen.active_bindings.values() if binding.show)
        if shown != self._shown or not self._bindings_ready:
            self._shown = shown
            super().bindings_changed(screen)


class PortmapApp(App[None]):
    CSS_PATH = Path(__file__).with_name("portmap.tcss")
    TITLE = "portmap"
    BINDINGS = [
        *(Binding(key, f"sort('{sort}')", sort) for key, sort in SORT_BY_KEY.items()),
        Binding("i", "open_incident", "incident"),
        Binding("slash", "filter", "filter"),
        Binding("escape", "clear_filter", "clear filter", show=False),
        Binding("b", "bytes", "bits/bytes"),
        Binding("d", "devices", "devices"),
        Binding("t", "topology", "topology"),
        Binding("p", "pause", "pause"),
        Binding("a", "accept", "is normal"),
        Binding("x", "export", "export"),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
        Binding("ctrl+c", "quit", "quit", show=False, priority=True),  # as in htop, iftop, trippy and k9s
    ]

    def __init__(self, source: FrameSource, devices: int, interval_s: float, roles: Mapping[str, Sequence[str]],
                 accept: Callable[[PortKey], None] | None = None, store: str | None = None) -> None:
        """`accept`: tells the watch loop that a port's traffic is normal (OperatorRequests.accept).
        `store`: the history store the port screen reads a port's last hour from."""
        super().__init__()
        self.source, self.devices, self.interval_s, self.roles = source, devices, interval_s, roles
        self.accept, self.store = accept, store
        self.frame: Frame | None = None
        self.view: PortView | None = None
        self.waiting: Frame | None = None
        """The newest frame that arrived while paused."""
        self.history = History()
        self.sort, self.needle, self.paused, self.in_bytes = "rank", "", False, False
        self._banner: Text | None = None

    def compose(self) -> ComposeResult:
        yield Line(id="status")
        yield Static("", id="banner")
        yield Line(id="recent")
        yield Input(placeholder="/ filters by host, IP, MAC or port (enter keeps it, escape clears it)", id="filter")
        yield PortTable(id="ports")
        yield Line(id="shown")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.query_one("#status", Line).text = status_line(None, self.devices, self.interval_s, self.sort, False)
        # What exists now (modules, the app, its widgets) lives as long as the app: out of the
        # collector's way, a full collection stops costing a key press 200-300 ms at 10,000 ports.
        gc.freeze()
        self.query_one("#banner").display = False
        self.query_one("#recent").display = False
        self.query_one("#ports", PortTable).focus()
        self.run_worker(self._poll(), name="poller", exclusive=True)

    async def _poll(self) -> None:
        try:
            await self.source(lambda frame: self.post_message(FrameReady(frame)))
        except Exception as error:  # shown on screen, never a traceback over the table
            self.post_message(PollerFailed(f"polling stopped: {type(error).__name__}: {error}"))

    def on_frame_ready(self, message: FrameReady) -> None:
        ports = list(message.frame.snapshot.ports)  # each record built once, for the history and the view
        self.history.add(ports, message.frame.snapshot.taken_at)
        if self.paused:
            self.waiting = message.frame
            return
        self.frame, self.view = message.frame, PortView(message.frame, ports)
        self.redraw()

    def on_resize(self) -> None:
        self.redraw()

    @property
    def table_layout(self) -> Layout:
        """The table's columns for the terminal's width now."""
        return layout_for(self.size.width, self.in_bytes)

    def on_poller_failed(self, message: PollerFailed) -> None:
        self.query_one("#status", Line).text = Text(message.error, style="bold white on red")

    def redraw(self) -> None:
        if isinstance(self.screen, FrameScreen):
            self.screen.show_frame(self.frame)
        self.query_one("#status", Line).text = status_line(self.frame, self.devices, self.interval_s, self.sort, self.paused)
        incident = banner(self.frame, self.size.width - 2)
        banner_widget = self.query_one("#banner", Static)
        if banner_widget.display != (incident is not None):
            banner_widget.display = incident is not None
        if incident is not None and incident != self._banner:  # a Static's update lays the screen out again
            self._banner = incident
            banner_widget.update(incident)
        recent = recent_strip(self.frame)
        recent_line = self.query_one("#recent", Line)
        if recent_line.display != (recent is not None):
            recent_line.display = recent is not None
        if recent is not None:
            recent_line.text = recent
        if self.view is None:
            return
        rows, matched = self.view.rows(self.history, self.sort, self.needle, self.in_bytes)
        layout = self.table_layout
        self.query_one("#ports", PortTable).show(layout.header(self.sort), [(layout.line(row.cells), row.style) for row in rows],
                                                 [row.key for row in rows])
        shown = f"{matched} of {self.view.total} ports" + (f" match '{self.needle}'" if self.needle else "")
        if matched > MAX_ROWS:
            shown += f", the first {MAX_ROWS} listed (filter with / to see others)"
        self.query_one("#shown", Line).text = Text(shown)  # Text, never markup: the filter is typed text

    def action_sort(self, sort: str) -> None:
        self.sort = sort
        self.redraw()

    def action_bytes(self) -> None:
        """Rates in bytes per second, or back in bits."""
        self.in_bytes = not self.in_bytes
        self.redraw()

    def action_pause(self) -> None:
        self.paused = not self.paused
        if not self.paused and self.waiting is not None:
            self.frame, self.view, self.waiting = self.waiting, PortView(self.waiting), None
        self.redraw()

    def action_accept(self) -> None:
        """The selected flagged port's traffic is normal: learned from the next poll, no longer flagged."""
        port = self.query_one("#ports", PortTable).selected
        snapshot = self.frame.snapshot if self.frame is not None else None
        if port is None or snapshot is None or self.accept is None or port not in {p.key for p in snapshot.ports.flagged}:
            self.notify("select a flagged port to say its traffic is normal", severity="warning")
            return
        self.accept(port)
        self.notify(f"{port_label(snapshot, port)}: its traffic is taken as normal from the next poll")

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.needle = event.value.strip()
        self.redraw()

    @on(Input.Submitted, "#filter")
    def filter_kept(self) -> None:
        self.query_one("#ports", PortTable).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""  # Input.Changed redraws
        self.query_one("#ports", PortTable).focus()

    @on(PortTable.Selected)
    def open_port(self, event: PortTable.Selected) -> None:
        if self.frame is not None:
            self._open(self._port_screen(event.key))

    def _port_screen(self, port: PortKey) -> PortScreen:
        assert self.frame is not None
        return PortScreen(port, self.frame, self.history, self.roles, self.interval_s, self.store)

    def _incident_port(self) -> PortKey | None:
        flagged = self.frame.snapshot.ports.flagged if self.frame is not None else []
        return next((p.key for p in flagged if p.same_incident_as is None), None)

    def action_open_incident(self) -> None:
        """The strongest incident's entry port, wherever the cursor is."""
        port = self._incident_port()
        if port is None or self.frame is None:
            self.notify("no incident now", severity="warning")
            return
        self._open(self._port_screen(port))

    def action_export(self) -> None:
        """The strongest incident (host, port, path, evidence) written as text and JSON, the text also
        copied to the terminal's clipboard, for a ticket or a chat."""
        port = self._incident_port()
        if port is None or self.frame is None:
            self.notify("no incident to export", severity="warning")
            return
        text, document = incident_export(self.frame.snapshot, self.frame.neighbourhood, port)
        stem = EXPORT_FOLDER / time.strftime("portmap-incident-%Y%m%d-%H%M%S", time.localtime(self.frame.snapshot.taken_at))
        try:
            stem.with_suffix(".txt").write_text(text + "\n")
            stem.with_suffix(".json").write_text(json.dumps(document, indent=2) + "\n")
        except OSError as error:
            self.notify(f"cannot write {stem}.txt: {error.strerror}", severity="error")
            return
        self.copy_to_clipboard(text)
        self.notify(f"incident written to {stem}.txt and .json, and copied")

    def _open(self, screen: Screen[None]) -> None:
        """Another view in place of the one open (d then t shows the topology, not both stacked)."""
        if isinstance(self.screen, FrameScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def action_devices(self) -> None:
        self._open(DevicesScreen(self.frame))

    def action_topology(self) -> None:
        self._open(TopologyScreen(self.frame))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for sort in SORTS:
            yield SystemCommand(f"Sort by {sort}", f"order the ports by {sort}", lambda sort=sort: self.action_sort(sort))
        yield SystemCommand("Devices", "which devices answer, response times, last errors", self.action_devices)
        yield SystemCommand("Topology", "links between devices, hosts on edge ports", self.action_topology)
        yield SystemCommand("Pause or resume", "freeze the view; polling goes on", self.action_pause)
