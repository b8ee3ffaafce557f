"""What the TUI shows, built from a frame as plain rows: sorting, filtering and labels, no widgets.

Kept apart from the widgets so that a key press costs a sort and a few hundred lines, however
many ports there are (the table holds at most MAX_ROWS; the filter searches them all).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from rich.text import Text

from portmap.core.history import PortHistory
from portmap.present import numbers as fmt
from portmap.present.charts import BARS, chart
from portmap.present.history import port_lines
from portmap.present.text import cells, fit, shown
from portmap.present.incidents import incident_brief
from portmap.present.pollers import pollers_brief
from portmap.present.labels import host_label, port_label, reason_line, unreachable, zoomed_text
from portmap.core.flags import SORT_KEYS, RankedPort
from portmap.core.search import normalise_mac
from portmap.core.snapshot import PortKey
from portmap.core.snapshot import Frame

MAX_ROWS = 100
"""More than a console shows at once; the filter searches every port."""
MAX_NAMED_FAILURES = 5
"""Devices not answering named on the status line; more are counted (the devices screen lists them)."""
HISTORY = 40
"""Polls of history kept per port for the sparklines and the port's charts."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    title: str
    width: int
    numeric: bool = False


COLUMNS = (
    Column("mark", "", 1), Column("device", "DEVICE", 10), Column("port", "PORT", 12), Column("who", "ALIAS / HOST", 34),
    Column("status", "STATUS", 6), Column("in_pps", "IN PPS", 7, True), Column("out_pps", "OUT PPS", 7, True),
    Column("in_bps", "IN b/s", 11, True), Column("out_bps", "OUT b/s", 11, True), Column("util", "UTIL", 6, True),
    Column("avg_in", "AVG IN", 6, True), Column("errors", "ERR/S", 5, True), Column("history", "HISTORY", 16),
)
"""The table's columns, left to right."""
DROPPED_FIRST = ("history", "avg_in", "util", "status", "out_bps", "in_bps")
"""Columns left out, in this order, while the terminal is too narrow for all of them."""
NARROWEST_WHO = 16
"""The alias / host column shrinks to this before any column is left out."""
SORTED_BY = {"pps": ("in_pps", "out_pps"), "bps": ("in_bps", "out_bps"), "util": ("util",), "errors": ("errors",)}
"""The columns a sort key orders by: their titles carry the sort marker."""
SORT_MARK = "▼"


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns that fit the terminal, and whether rates are shown in bytes."""

    columns: tuple[Column, ...] = COLUMNS
    in_bytes: bool = False

    def line(self, values: Mapping[str, str]) -> str:
        """One table line: each value cut or padded to its column (numbers to the right)."""
        return " ".join(fit(values.get(c.name, ""), c.width, right=c.numeric) for c in self.columns)

    def header(self, sort: str) -> str:
        marked = SORTED_BY.get(sort, ())
        titles = {c.name: (c.title.replace("b/s", "B/s") if self.in_bytes else c.title) for c in self.columns}
        return self.line({name: title + (SORT_MARK if name in marked else "") for name, title in titles.items()})


def layout_for(width: int, in_bytes: bool = False) -> Layout:
    """The columns that fit `width` cells: the alias column narrowed first, then the least needed left out."""
    columns = list(COLUMNS)

    def total() -> int:
        return sum(c.width for c in columns) + len(columns) - 1

    for name in (None, *DROPPED_FIRST):
        if name is not None:
            columns = [c for c in columns if c.name != name]
        squeeze = min(total() - width, next(c.width for c in columns if c.name == "who") - NARROWEST_WHO)
        if squeeze > 0:
            columns = [replace(c, width=c.width - squeeze) if c.name == "who" else c for c in columns]
        if total() <= width:
            break
    return Layout(tuple(columns), in_bytes)


SORTS = ("rank", *SORT_KEYS)
"""The table's orders: "rank" is the engine's (incidents, entry port then its path, flagged ports,
then the busiest); the others are `top --sort`'s keys, ranked the same way on the poll's arrays."""


class Point(NamedTuple):
    """One poll of one port, as its charts draw it (a tuple: 10,000 are made every poll)."""

    taken_at: float
    in_pps: float
    out_pps: float
    in_bps: float
    out_bps: float
    errors_ps: float


class History:
    """The last HISTORY polls of every port seen."""

    def __init__(self) -> None:
        self.points: dict[PortKey, deque[Point]] = {}

    def add(self, ports: Iterable[RankedPort], taken_at: float) -> None:
        for port in ports:
            inbound, outbound = port.rates.inbound, port.rates.outbound
            point = Point(taken_at, (inbound.pps or 0.0) if inbound else 0.0, (outbound.pps or 0.0) if outbound else 0.0,
                          (inbound.bps or 0.0) if inbound else 0.0, (outbound.bps or 0.0) if outbound else 0.0,
                          port.rates.errors_and_discards_ps or 0.0)
            self.points.setdefault(port.key, deque(maxlen=HISTORY)).append(point)

    def series(self, key: PortKey, field: str) -> list[float]:
        return [getattr(point, field) for point in self.points.get(key, ())]

    def busier(self, key: PortKey) -> list[float]:
        """Packets/s of the busier direction, poll by poll."""
        return [max(point.in_pps, point.out_pps) for point in self.points.get(key, ())]


SPARK_WIDTH = 16


def sparkline(values: Sequence[float], top: float, width: int = SPARK_WIDTH) -> str:
    """The last `width` values, scaled to `top` (shared by the rows shown, so that a flood stands
    out from a busy port), the lowest bar for nothing."""
    values = list(values)[-width:]
    if top <= 0:
        return BARS[0] * len(values)
    return "".join(BARS[min(len(BARS) - 1, int(v / top * (len(BARS) - 1) + 0.5))] for v in values)


@dataclass(frozen=True, slots=True)
class Row:
    key: PortKey
    cells: Mapping[str, str]
    style: str
    """Most visible on a flood's entry port ('bold reverse red': also without colours), 'bold
    yellow' on the ports carrying it."""


def _searchable(port: RankedPort, frame: Frame) -> str:
    key = port.key
    hosts = frame.neighbourhood.hosts_on(key) if frame.neighbourhood else []
    words = [port_label(frame.snapshot, key)] + [h.mac for h in hosts] + [ip for h in hosts for ip in h.ips]
    if frame.neighbourhood:
        words += [frame.neighbourhood.name_of(h) or "" for h in hosts]
    return " ".join(words).lower()


def needle_for(typed: str) -> str:
    """What the filter searches for: a MAC in any notation (5254.0012.3456) as the rows write it."""
    return (normalise_mac(typed) or typed).lower()


class PortView:
    """One frame's ports sorted and searched, each order and the search text computed once per
    frame, so that a key press or a typed letter costs a pass over 10,000 ports at most."""

    def __init__(self, frame: Frame, ports: list[RankedPort] | None = None) -> None:
        """`ports`: the frame's ports, where the caller has them already (they are built when read)."""
        self.frame = frame
        ports = list(frame.snapshot.ports) if ports is None else ports
        self._orders: dict[str, list[RankedPort]] = {"rank": ports}
        # built with the frame (every few seconds), not on the first typed letter
        self._search = {p.key: _searchable(p, frame) for p in ports}

    @property
    def total(self) -> int:
        return len(self._orders["rank"])

    def ordered(self, sort: str) -> list[RankedPort]:
        """The ports in the order the snapshot ranks them by `sort`."""
        if sort not in self._orders:
            self._orders[sort] = list(self.frame.snapshot.ports.by(sort))
        return self._orders[sort]

    def rows(self, history: History, sort: str, needle: str = "", in_bytes: bool = False) -> tuple[list[Row], int]:
        """The rows to show (at most MAX_ROWS), and how many ports matched."""
        ports = self.ordered(sort)
        if needle:
            wanted = needle_for(needle)
            ports = [p for p in ports if wanted in self._search[p.key]]
        shown_ports = ports[:MAX_ROWS]
        recent = [history.busier(p.key)[-SPARK_WIDTH:] for p in shown_ports]
        top = max((max(values, default=0.0) for values in recent), default=0.0)
        return [_row(p, self.frame, sparkline(values, top), in_bytes) for p, values in zip(shown_ports, recent)], len(ports)


def _row(port: RankedPort, frame: Frame, spark: str, in_bytes: bool) -> Row:
    rates, snapshot, key = port.rates, frame.snapshot, port.key
    info = snapshot.interfaces.get(key)
    inbound, outbound = rates.inbound, rates.outbound
    mark = "!" if port.flagged and port.same_incident_as is None else "+" if port.flagged else ""
    who = host_label(frame.neighbourhood, key) or (shown(info.alias) if info else "")
    style = "bold reverse red" if mark == "!" else "bold yellow" if mark == "+" else ""
    rate = fmt.byte_rate if in_bytes else fmt.bps
    values = {
        "mark": mark, "device": rates.device, "port": shown(info.if_name) if info else str(rates.if_index), "who": who,
        "status": snapshot.oper_status.get(key, "?"),
        "in_pps": fmt.si(inbound.pps if inbound else None), "out_pps": fmt.si(outbound.pps if outbound else None),
        "in_bps": rate(inbound.bps if inbound else None), "out_bps": rate(outbound.bps if outbound else None),
        "util": fmt.pct(rates.util_pct), "avg_in": fmt.nbytes(inbound.avg_pkt_bytes if inbound else None),
        "errors": fmt.si(rates.errors_and_discards_ps), "history": spark,
    }
    return Row(key, values, style)


def status_line(frame: Frame | None, devices: int, interval_s: float, sort: str, paused: bool) -> Text:
    """Devices answering (unanswered in red, by name), interval, last poll and how long it took."""
    text = Text("portmap  ")
    if frame is None:
        return text.append(f"{devices} devices, first poll running...")
    snapshot = frame.snapshot
    failed = unreachable(snapshot, frame.earlier_failures)
    answering = sum(1 for d in snapshot.devices if d.answered)
    text.append(f"{answering}/{len(snapshot.devices)} devices answering", style="bold green" if not failed else "bold")
    if len(failed) > MAX_NAMED_FAILURES:
        text.append(f"  not answering: {len(failed)} devices (d lists them)", style="bold white on red")
    elif failed:
        text.append("  not answering: " + ", ".join(d.name for d in failed), style="bold white on red")
    stamp = time.strftime("%H:%M:%S", time.localtime(snapshot.taken_at))
    text.append(f"  every {interval_s:g}s  last poll {stamp} took {snapshot.poll_s:.2f}s  sort {sort}")
    zoomed = zoomed_text(snapshot)
    if zoomed:
        text.append(f"  {zoomed}", style="bold yellow")
    if frame.pollers:  # red as `portmap pollers` fails: for a silent poller (one that stopped gave its devices up)
        silent = any(p.state == "silent" for p in frame.pollers)
        text.append(f"  pollers: {pollers_brief(frame.pollers)}", style="bold white on red" if silent else "")
    if paused:
        text.append("  PAUSED", style="bold black on yellow")
    return text


def banner(frame: Frame | None, width: int = 0) -> Text | None:
    """The strongest incident's reason line, and the ports its flood crosses in order along its
    way, broken into lines of `width` cells between ports, never inside one (0: one line); None
    when nothing is flagged."""
    if frame is None:
        return None
    flagged = [p for p in frame.snapshot.ports.flagged if p.same_incident_as is None]
    if not flagged:
        return None
    origin = flagged[0]
    key = origin.key
    reason = reason_line(origin.flags[0], frame.neighbourhood, key, origin.since)
    text = Text.assemble(("! ", "bold"), (port_label(frame.snapshot, key), "bold"), f": {reason}")
    carriers = [port_label(frame.snapshot, p.key) for p in frame.snapshot.ports.flagged
                if p.same_incident_as == key]
    for line in wrapped("  the same flood crosses: ", carriers, width):
        text.append("\n" + line)
    return text


def wrapped(first: str, items: Sequence[str], width: int, indent: str = "    ") -> list[str]:
    """`items` after `first`, comma-separated, in lines of at most `width` cells broken only
    between items (an item wider than a line has one of its own)."""
    lines: list[str] = []
    line = first
    for number, item in enumerate(items):
        piece = item + ("," if number < len(items) - 1 else "")
        if width and line.strip() and cells(line) + 1 + cells(piece) > width and line not in (first, indent):
            lines.append(line.rstrip())
            line = indent
        line += ("" if line in (first, indent) else " ") + piece
    return [*lines, line] if items else []


RECENT_SHOWN = 3


def recent_strip(frame: Frame | None) -> Text | None:
    """The run's incidents that came back or ended (the last hour), newest first: a burst that
    was over before anyone looked stays on the screen. None when there are none."""
    if frame is None:
        return None
    recent = [i for i in frame.snapshot.incidents if i.came_back_or_ended]
    if not recent:
        return None
    text = Text.assemble(("recent incidents: ", "bold"), "  |  ".join(incident_brief(i, frame.snapshot) for i in recent[:RECENT_SHOWN]))
    if len(recent) > RECENT_SHOWN:
        text.append(f"  (+{len(recent) - RECENT_SHOWN} more)")
    return text


def devices_rows(frame: Frame | None) -> list[tuple[str, ...]]:
    if frame is None:
        return []
    failed = {d.name for d in unreachable(frame.snapshot, frame.earlier_failures)}
    return [(d.name, "no" if d.name in failed else "yes", f"{d.response_s:.2f}s", d.error or "")
            for d in frame.snapshot.devices]


def hosts_lines(frame: Frame, key: PortKey, vendors: Callable[[str], str | None]) -> list[str]:
    neighbourhood = frame.neighbourhood
    if neighbourhood is None:
        return ["(the forwarding tables are not read yet)"]
    lines = []
    for host in neighbourhood.hosts_on(key):
        name = neighbourhood.name_of(host)
        lines.append(f"{host.mac}  {', '.join(host.ips) or '-'}  {shown(name or '')}  {vendors(host.mac) or ''}  vlan {host.vlan}")
    neighbor = neighbourhood.neighbors.get(key)
    if neighbor is not None:
        lines.append(f"{neighbor.protocol.upper()} neighbour: {shown(neighbor.remote_sysname or neighbor.remote_chassis_id)} "
                     f"{shown(neighbor.remote_port)}")
    if key in neighbourhood.uplinks:
        lines.append(f"uplink: {neighbourhood.uplinks[key]}")
    return lines or ["no host learned on this port"]


def routers(roles: Mapping[str, Sequence[str]]) -> list[str]:
    return sorted(name for name, device_roles in roles.items() if "router" in device_roles)


MINUTE_S = 60.0


def kept_lines(kept: PortHistory | str | None, now: float, width: int, height: int) -> list[str]:
    """The port's last hour as the history store kept it: packets/s in per minute (a minute with
    no row was idle), then who was on the port and its incidents; or why there is none to show
    (`kept`: a reason, or None where no store is known)."""
    if kept is None:
        return ["no history store: portmap run keeps one (ui keeps one with --store or the inventory's store: block)"]
    if isinstance(kept, str):
        return [f"history: {kept}"]
    first = (now // MINUTE_S - (min(width, 60) - 1)) * MINUTE_S
    per_minute = {period.period_start: period for period in kept.rates if period.period_s == MINUTE_S}
    minutes = [per_minute.get(first + n * MINUTE_S) for n in range(int((now - first) // MINUTE_S) + 1)]
    averages = [(p.averages["in_pps"] or 0.0) if p else 0.0 for p in minutes]
    highest = max(((p.highest["in_pps"] or 0.0) for p in minutes if p), default=None)
    lines = [f"packets/s in, average per minute: {len(per_minute)} of the last {len(minutes)} minutes kept"
             + (f", highest poll {fmt.si(highest)}" if highest is not None else ""),
             *chart(averages, len(averages), height, fmt.si, MINUTE_S)]
    return lines + port_lines(kept, with_rates=False)[1:]
